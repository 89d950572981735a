// Headless Chromium for ringroute's browser runners (runner.mjs: the fixtures; startup-runner.mjs:
// the start-up probe), written once: a static HTTP server on 127.0.0.1 (a free port), Debian's
// /usr/bin/chromium driven by playwright-core with a fresh profile, a time limit, and a cleanup
// that always closes the browser and the server and leaves no Chromium process behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Serves `handle(path, req, send)` on loopback, launches Chromium, runs `body(browser, origin)`
 * within `limitMs`, then cleans up. Returns the exit status: 0, or 1 after printing the error
 * (prefixed with `name`) on stderr. `send(status, body, type)` answers a request; a handler that
 * returns without sending gets a 404.
 */
export async function withChromium(name, limitMs, handle, body) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let sent = false;
    const send = (status, data, type = 'application/octet-stream') => {
      sent = true;
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(data);
    };
    try {
      handle(path, req, send);
      if (!sent) send(404, 'not found', 'text/plain');
    } catch (e) {
      if (!sent) send(500, String(e), 'text/plain');
    }
  });

  // Every Chromium process of this run carries our fresh --user-data-dir (the crashpad handlers
  // too): after browser.close(), SIGKILL any still there by pid, then wait (up to 10 s) until each
  // is gone. The zygotes and crashpad handlers are double-forked, so init reaps them, not us:
  // waiting leaves no chromium process, not even a zombie, behind once the runner exits.
  const profile = mkdtempSync(join(tmpdir(), 'ringroute-chromium-'));
  const ours = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile); } catch { return false; }
  });
  const alive = (pid) => existsSync(`/proc/${pid}`);
  const endOurs = async (pids) => {
    for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone already */ } }
    for (const t0 = Date.now(); pids.some(alive) && Date.now() - t0 < 10_000;) await new Promise((r) => setTimeout(r, 50));
    const left = pids.filter(alive);
    if (left.length) console.error(`${name}: processes ${left.join(' ')} still there after 10 s`);
  };

  let browser, timer, status = 0;
  try {
    const { chromium } = await import('playwright-core').catch(() => {
      throw new Error('playwright-core is not installed (npm i -D playwright-core)');
    });
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
    const deadline = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${limitMs / 1000} s`)), limitMs); });
    const run = async () => {
      await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: FLAGS, timeout: 60_000,
      });
      await body(browser, `http://127.0.0.1:${server.address().port}`);
    };
    await Promise.race([run(), deadline]);
  } catch (e) {
    console.error(`${name}: ${e?.message ?? e}`);
    status = 1;
  } finally {
    clearTimeout(timer);
    const pids = ours();
    await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    await endOurs([...new Set([...pids, ...ours()])]);
    server.closeAllConnections?.();
    server.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  }
  return status;
}
