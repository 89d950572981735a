#!/usr/bin/env node
// The Chromium runner of spec/runtimes.md: the flat-ABI fixture loop (run-fixtures.js) run by a
// headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), on a page or, with
// --worker, inside a dedicated Web Worker started by the page; with --api, the same contract through
// the project's web entry (run-fixtures.js runFixturesApi: dist/bindings/index.web.js, init(url) + createWasmCore).
// Serves host/browser/, dist/bindings/ (read-only, .js only), the .wasm and the fixture folder from
// a static HTTP server on 127.0.0.1 (a free port), prints one line per fixture, and always closes
// the browser and the server (and kills any Chromium process left).
//   node host/browser/runner.mjs [--worker] [--api] <fixtures-dir> [path/to/ringroute.wasm]
// --api needs `npm run build` (dist/).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
const LIMIT_MS = 120_000;

const args = process.argv.slice(2);
const worker = args.includes('--worker');
const api = args.includes('--api');
const [dir, wasmPath = fileURLToPath(new URL('../../build/ringroute.wasm', import.meta.url))] = args.filter((a) => a !== '--worker' && a !== '--api');
if (!dir) { console.error('usage: runner.mjs [--worker] [--api] <fixtures-dir> [ringroute.wasm]'); process.exit(2); }
const here = fileURLToPath(new URL('.', import.meta.url));
const distBindings = fileURLToPath(new URL('../../dist/bindings/', import.meta.url)); // ends with '/'
let distServed = 0; // --api: how many dist/bindings modules the browser fetched

// ── the static server: /host/browser/<file>, /host/fixture-loop.js, /dist/bindings/<path>.js, /build/ringroute.wasm,
// /fixtures/ and /fixtures/<file>
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };
const pages = new Set(['page.html', 'page.js', 'worker.js', 'run-fixtures.js']);
const sharedLoop = fileURLToPath(new URL('../fixture-loop.js', import.meta.url)); // /host/fixture-loop.js
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const send = (status, body, type = 'application/octet-stream') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  try {
    if (path === '/build/ringroute.wasm') return send(200, readFileSync(wasmPath), types['.wasm']);
    if (path === '/fixtures/') {
      const files = readdirSync(dir).filter((f) => f.endsWith('.run') || f.endsWith('.rib'));
      return send(200, JSON.stringify(files), 'application/json');
    }
    if (path.startsWith('/fixtures/')) {
      const f = path.slice('/fixtures/'.length);
      if (f === basename(f) && /\.(run|rib)$/.test(f) && existsSync(join(dir, f))) return send(200, readFileSync(join(dir, f)));
    }
    if (path.startsWith('/dist/bindings/') && path.endsWith('.js')) {
      // the web entry's modules (GET only; nothing outside dist/bindings/, no .map or .d.ts)
      const f = normalize(join(distBindings, path.slice('/dist/bindings/'.length)));
      if (req.method === 'GET' && f.startsWith(distBindings) && !f.slice(distBindings.length).split(sep).includes('..')
        && existsSync(f) && statSync(f).isFile()) {
        distServed++;
        return send(200, readFileSync(f), 'application/javascript; charset=utf-8');
      }
    }
    if (path === '/host/fixture-loop.js') return send(200, readFileSync(sharedLoop), types['.js']);
    if (path.startsWith('/host/browser/')) {
      const f = path.slice('/host/browser/'.length);
      if (pages.has(f)) return send(200, readFileSync(join(here, f)), types[f.slice(f.lastIndexOf('.'))]);
    }
    send(404, 'not found', 'text/plain');
  } catch (e) {
    send(500, String(e), 'text/plain');
  }
});

// Every Chromium process of this run carries our fresh --user-data-dir (the crashpad handlers too):
// after browser.close(), SIGKILL any still there by pid, then wait (up to 10 s) until each is gone.
// The zygotes and crashpad handlers are double-forked, so init reaps them, not us: waiting leaves
// no chromium process, not even a zombie, behind once this runner exits.
const profile = mkdtempSync(join(tmpdir(), 'ringroute-chromium-'));
const ours = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile); } catch { return false; }
});
const alive = (pid) => { try { return existsSync(`/proc/${pid}`); } catch { return false; } };
async function endOurs(pids) {
  for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone already */ } }
  for (const t0 = Date.now(); pids.some(alive) && Date.now() - t0 < 10_000;) await new Promise((r) => setTimeout(r, 50));
  const left = pids.filter(alive);
  if (left.length) console.error(`chromium runner: processes ${left.join(' ')} still there after 10 s`);
}

let browser, timer, status = 0;
try {
  const { chromium } = await import('playwright-core').catch(() => {
    throw new Error('playwright-core is not installed (npm i -D playwright-core)');
  });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  if (api && !existsSync(join(distBindings, 'index.web.js'))) throw new Error('dist/bindings/index.web.js is missing (npm run build)');
  const deadline = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${LIMIT_MS / 1000} s`)), LIMIT_MS); });
  const run = async () => {
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: 60_000,
    });
    const page = browser.pages()[0] ?? await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const query = new URLSearchParams({ ...(worker ? { mode: 'worker' } : {}), ...(api ? { api: '1' } : {}) }).toString();
    await page.goto(`${origin}/host/browser/page.html${query ? `?${query}` : ''}`);
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 30_000 })
      .catch(() => { throw new Error(`page did not start: ${errors.join('; ') || 'no window.__results'}`); });
    const { lines, where } = await page.evaluate(() => window.__results);
    const expected = worker ? 'DedicatedWorkerGlobalScope' : 'Window';
    if (where !== expected) throw new Error(`ran in ${where}, not in ${expected}`);
    if (api && distServed === 0) throw new Error('--api: the browser fetched nothing from /dist/bindings/');
    for (const line of lines) console.log(line);
  };
  await Promise.race([run(), deadline]);
} catch (e) {
  console.error(`chromium runner: ${e?.message ?? e}`);
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
