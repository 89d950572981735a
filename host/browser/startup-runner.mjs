#!/usr/bin/env node
// The Chromium start-up probe (bench group "startup"): Debian's /usr/bin/chromium (headless,
// driven by playwright-core) loads host/browser/startup.html from a static HTTP server on
// 127.0.0.1 (a free port) <runs> times, each time in a NEW page (tab) of the same browser, and
// prints the page's measurement (startup.js: bytes in hand → compile + instantiate + load + first
// route) in milliseconds, one line per page load. Always closes the browser and the server and
// kills any Chromium process of this run left behind (the pattern of host/browser/runner.mjs).
//   node host/browser/startup-runner.mjs [--worker] <ringroute.wasm> <minirib.bin> [runs]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const LIMIT_MS = 120_000;
const inWorker = process.argv.includes('--worker'); // measure in a module Web Worker the page starts
const [wasmPath, ribPath, runsArg = '9'] = process.argv.slice(2).filter((a) => a !== '--worker');
if (!wasmPath || !ribPath) { console.error('usage: startup-runner.mjs [--worker] <ringroute.wasm> <minirib.bin> [runs]'); process.exit(2); }
const runs = Math.max(1, Number(runsArg) | 0);
const here = fileURLToPath(new URL('.', import.meta.url));
const wasmBytes = readFileSync(wasmPath), ribBytes = readFileSync(ribPath);

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const send = (status, body, type = 'application/octet-stream') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  if (path === '/build/ringroute.wasm') return send(200, wasmBytes, 'application/wasm');
  if (path === '/rib') return send(200, ribBytes);
  if (path === '/host/browser/startup.html') return send(200, readFileSync(join(here, 'startup.html')), 'text/html; charset=utf-8');
  if (path === '/host/browser/startup.js') return send(200, readFileSync(join(here, 'startup.js')), 'text/javascript; charset=utf-8');
  send(404, 'not found', 'text/plain');
});

// every Chromium process of this run carries our fresh --user-data-dir: SIGKILL leftovers by pid
const profile = mkdtempSync(join(tmpdir(), 'ringroute-chromium-'));
const ours = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile); } catch { return false; }
});
const alive = (pid) => existsSync(`/proc/${pid}`);
async function endOurs(pids) {
  for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone already */ } }
  for (const t0 = Date.now(); pids.some(alive) && Date.now() - t0 < 10_000;) await new Promise((r) => setTimeout(r, 50));
  const left = pids.filter(alive);
  if (left.length) console.error(`chromium startup runner: processes ${left.join(' ')} still there after 10 s`);
}

let browser, timer, status = 0;
try {
  const { chromium } = await import('playwright-core').catch(() => {
    throw new Error('playwright-core is not installed (npm i -D playwright-core)');
  });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  const deadline = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${LIMIT_MS / 1000} s`)), LIMIT_MS); });
  const run = async () => {
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/host/browser/startup.html${inWorker ? '?worker=1' : ''}`;
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: 60_000,
    });
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => window.__startup !== undefined, null, { timeout: 30_000 })
        .catch(() => { throw new Error(`page did not start: ${errors.join('; ') || 'no window.__startup'}`); });
      const { ms, where } = await page.evaluate(() => window.__startup);
      const want = inWorker ? 'DedicatedWorkerGlobalScope' : 'Window';
      if (where !== want) throw new Error(`ran in ${where}, not in ${want}`);
      console.log(ms.toFixed(3));
      await page.close();
    }
  };
  await Promise.race([run(), deadline]);
} catch (e) {
  console.error(`chromium startup runner: ${e?.message ?? e}`);
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
process.exit(status);
