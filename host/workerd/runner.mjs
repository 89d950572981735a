#!/usr/bin/env node
// The workerd runner (spec/runtimes.md): serves host/workerd/worker.js with the real workerd
// binary on 127.0.0.1:<free port>, posts every conformance fixture to it (each decided on a fresh
// instance inside the Worker) and prints one line per fixture, as host/node/fixture-runner.mjs
// does. It then checks PUT /rib + POST /route once against Node's own instance of the module.
// Only fixture lines go to stdout; workerd's output and diagnostics go to stderr. workerd is
// always stopped (its whole process group), also on a time limit or a signal.
// With --api it serves host/workerd/api-worker.js instead (the same config.capnp template), which answers
// the same requests through the project's web entry (dist/bindings/index.web.js, whose whole import
// graph this runner declares as ES modules; needs `npm run build`) rather than the flat ABI.
//   node host/workerd/runner.mjs [--api] <fixtures-dir> [path/to/workerd]
// Env: RINGROUTE_WORKERD_TIMEOUT_MS (whole run, default 300000).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { running, sleep, startWorkerd, stopWorkerd, workerdBinary } from './workerd.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const API = process.argv.includes('--api');
const WORKER = join(here, API ? 'api-worker.js' : 'worker.js');
const TEMPLATE = join(here, 'config.capnp');
const WASM = join(root, 'build', 'ringroute.wasm');
const WEB_ENTRY = join(root, 'dist', 'bindings', 'index.web.js');
const TIME_LIMIT_MS = Number(process.env.RINGROUTE_WORKERD_TIMEOUT_MS ?? 300_000);

export { workerdBinary };

const log = (msg) => process.stderr.write(`[workerd runner] ${msg}\n`);

/**
 * The files of `entry`'s static import graph (itself first): every `import … from './x.js'`,
 * `export … from './x.js'` and `import './x.js'`, but the .wasm (declared on its own). Only
 * relative specifiers are allowed (workerd resolves them among the declared modules).
 */
function importGraph(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)) {
      if (!/^\.\.?\//.test(m[1])) throw new Error(`${relative(root, file)} imports ${m[1]}: not a relative module`);
      if (!m[1].endsWith('.wasm')) visit(join(dirname(file), m[1]));
    }
  };
  visit(entry);
  return [...seen];
}

/** The @MODULES@ lines of config.capnp (embed paths relative to the config's folder `at`). */
function modules(at) {
  if (API && !existsSync(WEB_ENTRY)) throw new Error(`${WEB_ENTRY} is missing (npm run build)`);
  const name = (file) => relative(root, file).split('\\').join('/');
  const [main, ...rest] = importGraph(WORKER);
  return [
    `    (name = "${name(main)}", esModule = embed "${relative(at, main)}"),`,
    `    (name = "${name(join(here, 'ringroute.wasm'))}", wasm = embed "${relative(at, WASM)}"),`,
    ...rest.map((f) => `    (name = "${name(f)}", esModule = embed "${relative(at, f)}"),`),
  ].join('\n');
}

// ── workerd (host/workerd/workerd.mjs starts it and always stops it) ──────────────────
/** Writes the concrete config, starts workerd, waits until GET / answers. Returns the base URL. */
async function start(bin) {
  for (let attempt = 1; ; attempt++) {
    // embed paths are resolved relative to the config file (absolute ones go through import paths)
    const w = await startWorkerd(bin, (at, port) => readFileSync(TEMPLATE, 'utf8')
      .replaceAll('@ADDRESS@', `127.0.0.1:${port}`)
      .replace(/^@MODULES@$/m, () => modules(at)), // the line of its own, not the comment's
    (chunk) => process.stderr.write(chunk));
    const base = `http://127.0.0.1:${w.port}`;
    const t0 = performance.now();
    while (performance.now() - t0 < 30_000 && running()) {
      const err = await Promise.race([w.spawnError, sleep(0).then(() => null)]);
      if (err) throw new Error(`cannot start ${bin}: ${err.message}`);
      try {
        const r = await fetch(`${base}/`, { signal: AbortSignal.timeout(2000) });
        const hello = r.ok ? await r.text() : '';
        if (hello.startsWith('ringroute') && hello.includes('(TS API)') === API) {
          log(`workerd pid ${w.pid} on ${base}, ready in ${(performance.now() - t0).toFixed(0)} ms`);
          return base;
        }
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    const exited = !running();
    await stopWorkerd();
    if (exited && /address already in use|EADDRINUSE/i.test(w.output()) && attempt < 3) { log(`port ${w.port} taken, retrying`); continue; }
    throw new Error(`workerd ${exited ? 'exited' : 'did not answer within 30 s'}: ${w.output().trim().split('\n').slice(-5).join(' | ')}`);
  }
}

async function post(url, body, method = 'POST') {
  const r = await fetch(url, { method, body, signal: AbortSignal.timeout(30_000) });
  return { status: r.status, text: await r.text() };
}

// ── the run ─────────────────────────────────────────────────────────────────────
async function main() {
  const [dir, bin = workerdBinary()] = process.argv.slice(2).filter((a) => a !== '--api');
  if (!dir) throw new Error('usage: node host/workerd/runner.mjs [--api] <fixtures-dir> [path/to/workerd]');
  if (!existsSync(WASM)) throw new Error(`${WASM} is missing (npm run build)`);
  const base = await start(bin);

  const names = readdirSync(dir).filter((f) => f.endsWith('.run')).map((f) => f.slice(0, -4)).sort();
  const t0 = performance.now();
  for (const name of names) {
    const ribFile = join(dir, `${name}.rib`);
    if (!existsSync(ribFile)) { console.log(`${name}: skipped`); continue; }
    const rib = readFileSync(ribFile), run = readFileSync(join(dir, `${name}.run`));
    const r = await post(`${base}/fixture?rib=${rib.length}`, Buffer.concat([rib, run]));
    if (r.status !== 200) throw new Error(`${name}: the worker answered ${r.status}: ${r.text.slice(0, 300)}`);
    console.log(`${name}: ${r.text}`);
  }
  log(`${names.length} fixtures in ${(performance.now() - t0).toFixed(0)} ms`);

  await sanityCheck(base, dir, names);
}

/**
 * PUT /rib + POST /route once: the first fixture that loads, its first requests (no loads set,
 * no tracking) decided by the Worker's module-level router and by a fresh instance in Node.
 */
async function sanityCheck(base, dir, names) {
  const before = await post(`${base}/route?service=0`, undefined);
  if (before.status !== 409) throw new Error(`POST /route before PUT /rib: expected 409, got ${before.status} ${before.text}`);
  const mod = new WebAssembly.Module(readFileSync(WASM));
  for (const name of names) {
    const ribFile = join(dir, `${name}.rib`);
    if (!existsSync(ribFile)) continue;
    const rib = readFileSync(ribFile), run = readFileSync(join(dir, `${name}.run`));
    const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
    const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
    if ((flags & 2) || nReq === 0) continue;
    const x = new WebAssembly.Instance(mod, {}).exports;
    const ptr = x.rr_alloc(rib.length);
    new Uint8Array(x.memory.buffer).set(rib, ptr);
    if (x.rr_load(ptr, rib.length) !== 0) continue;
    const n = Math.min(nReq, 16), requests = [];
    for (let q = 0, p = 20 + 8 * nLoads; q < n; q++, p += 12) {
      const svc = dv.getInt32(p, true), f = dv.getUint32(p + 4, true), key = dv.getUint32(p + 8, true);
      requests.push({ svc, f, key, d: x.rr_route(svc, f, key) });
    }
    if (!requests.some((r) => r.d >= 0)) continue; // want a fixture that picks servers
    // one PUT only: the Worker's router keeps its RNG stream across loads
    const put = await post(`${base}/rib`, rib, 'PUT');
    if (put.status !== 200 || JSON.parse(put.text).loaded !== true) throw new Error(`PUT /rib (${name}): ${put.status} ${put.text}`);
    for (const [q, { svc, f, key, d }] of requests.entries()) {
      const want = JSON.stringify(d >= 0 ? { server: d } : { error: -d });
      const got = await post(`${base}/route?service=${svc}&flags=${f}&keyHash=${key}`, undefined);
      if (got.status !== 200 || got.text !== want) {
        throw new Error(`POST /route (${name} #${q}): expected ${want}, got ${got.status} ${got.text}`);
      }
    }
    log(`sanity: PUT /rib ${put.text} + ${n} × POST /route (${name}) agree with Node`);
    return;
  }
  throw new Error('sanity: no fixture loads and picks a server');
}

const limit = setTimeout(() => {
  log(`time limit of ${TIME_LIMIT_MS} ms reached: stopping workerd`);
  stopWorkerd().finally(() => process.exit(1));
}, TIME_LIMIT_MS);
limit.unref();

let status = 0;
try {
  await main();
} catch (e) {
  log(`error: ${e.message}`);
  status = 1;
} finally {
  await stopWorkerd();
}
process.exit(status);
