#!/usr/bin/env node
// The Chromium runner of spec/runtimes.md: the fixture loop (run-fixtures.js over
// host/fixture-loop.js) run by a headless Chromium (host/browser/chromium.mjs), on a page or, with
// --worker, inside a dedicated Web Worker started by the page; with --api, the same contract
// through the project's web entry (runFixturesApi: dist/bindings/index.web.js, init(url) +
// createWasmCore). Serves host/browser/, host/fixture-loop.js, dist/bindings/ (read-only, .js
// only), the .wasm and the fixture folder on loopback, prints one line per fixture.
//   node host/browser/runner.mjs [--worker] [--api] <fixtures-dir> [path/to/ringroute.wasm]
// --api needs `npm run build` (dist/).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, withChromium } from './chromium.mjs';

export { CHROMIUM };
const LIMIT_MS = 120_000;

const args = process.argv.slice(2);
const worker = args.includes('--worker');
const api = args.includes('--api');
const [dir, wasmPath = fileURLToPath(new URL('../../build/ringroute.wasm', import.meta.url))] = args.filter((a) => a !== '--worker' && a !== '--api');
if (!dir) { console.error('usage: runner.mjs [--worker] [--api] <fixtures-dir> [ringroute.wasm]'); process.exit(2); }
const here = fileURLToPath(new URL('.', import.meta.url));
const distBindings = fileURLToPath(new URL('../../dist/bindings/', import.meta.url)); // ends with '/'
const sharedLoop = fileURLToPath(new URL('../fixture-loop.js', import.meta.url)); // /host/fixture-loop.js
let distServed = 0; // --api: how many dist/bindings modules the browser fetched

// ── what the server answers: /host/browser/<file>, /host/fixture-loop.js, /dist/bindings/<path>.js,
// /build/ringroute.wasm, /fixtures/ and /fixtures/<file>
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };
const pages = new Set(['page.html', 'page.js', 'worker.js', 'run-fixtures.js']);
function handle(path, req, send) {
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
}

if (api && !existsSync(join(distBindings, 'index.web.js'))) {
  console.error('chromium runner: dist/bindings/index.web.js is missing (npm run build)');
  process.exit(1);
}
const status = await withChromium('chromium runner', LIMIT_MS, handle, async (browser, origin) => {
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
});
process.exit(status);
