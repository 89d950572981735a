#!/usr/bin/env node
// The Chromium start-up probe (bench group "startup"): a headless Chromium (host/browser/chromium.mjs)
// loads host/browser/startup.html from a loopback server <runs> times, each time in a NEW page
// (tab) of the same browser, and prints the page's measurement (startup.js: bytes in hand →
// compile + instantiate + load + first route) in milliseconds, one line per page load. With
// --worker the page starts a module Web Worker and the worker measures.
//   node host/browser/startup-runner.mjs [--worker] <ringroute.wasm> <minirib.bin> [runs]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withChromium } from './chromium.mjs';

const LIMIT_MS = 120_000;
const inWorker = process.argv.includes('--worker'); // measure in a module Web Worker the page starts
const [wasmPath, ribPath, runsArg = '9'] = process.argv.slice(2).filter((a) => a !== '--worker');
if (!wasmPath || !ribPath) { console.error('usage: startup-runner.mjs [--worker] <ringroute.wasm> <minirib.bin> [runs]'); process.exit(2); }
const runs = Math.max(1, Number(runsArg) | 0);
const here = fileURLToPath(new URL('.', import.meta.url));
const wasmBytes = readFileSync(wasmPath), ribBytes = readFileSync(ribPath);

function handle(path, _req, send) {
  if (path === '/build/ringroute.wasm') return send(200, wasmBytes, 'application/wasm');
  if (path === '/rib') return send(200, ribBytes);
  if (path === '/host/browser/startup.html') return send(200, readFileSync(join(here, 'startup.html')), 'text/html; charset=utf-8');
  if (path === '/host/browser/startup.js') return send(200, readFileSync(join(here, 'startup.js')), 'text/javascript; charset=utf-8');
}

const status = await withChromium('chromium startup runner', LIMIT_MS, handle, async (browser, origin) => {
  const url = `${origin}/host/browser/startup.html${inWorker ? '?worker=1' : ''}`;
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
});
process.exit(status);
