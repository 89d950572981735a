#!/usr/bin/env node
// The workerd start-up probe (bench group "startup"): <runs> times, a FRESH workerd process
// (serve startup-config.capnp with startup-worker.js on 127.0.0.1:<free port>; workerd compiles
// ringroute.wasm while it starts), waited for until its port accepts a TCP connection (no HTTP
// request before the measured one), then:
//   1. POST /startup, the process's first request: the worker instantiates the module, copies the
//      miniRIB in, loads it and routes once. Timed from Node with performance.now() around the
//      whole request on a new connection (node:http, no keep-alive): TCP connect + HTTP + that
//      work + the response. (performance.now() inside workerd stays frozen without I/O: the
//      worker's own figure reads 0, printed as worker=.)
//   2. GET /noop on another new connection: the same round trip without the work (noop=).
// then stops workerd (its process group: host/workerd/workerd.mjs). One line per run on stdout:
// (ready= is timed from just before the config is written and workerd spawned.)
//   <first-request ms> noop=<ms> worker=<ms> ready=<ms from spawn to the port accepting>
//   node host/workerd/startup-runner.mjs <ringroute.wasm> <minirib.bin> [runs] [path/to/workerd]
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { running, sleep, startWorkerd, stopWorkerd, workerdBinary } from './workerd.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [wasmArg, ribArg, runsArg = '9', binArg] = process.argv.slice(2);
if (!wasmArg || !ribArg) { console.error('usage: startup-runner.mjs <ringroute.wasm> <minirib.bin> [runs] [workerd]'); process.exit(2); }
const WASM = resolve(wasmArg), RIB = resolve(ribArg);
const runs = Math.max(1, Number(runsArg) | 0);
const TIME_LIMIT_MS = 120_000;

const accepts = (port) => new Promise((res) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); res(true); });
  s.once('error', () => { s.destroy(); res(false); });
});
/** One HTTP request on a new connection (no agent, no keep-alive): { ms, status, body }. */
const timed = (port, method, path) => new Promise((res, rej) => {
  const t0 = performance.now();
  const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close' } }, (r) => {
    let body = '';
    r.setEncoding('utf8');
    r.on('data', (c) => { body += c; });
    r.on('end', () => res({ ms: performance.now() - t0, status: r.statusCode, body }));
  });
  req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
  req.once('error', rej);
  req.end();
});

// ── one run: a fresh workerd (host/workerd/workerd.mjs starts it and always stops it) ──
async function once(bin) {
  const t0 = performance.now();
  const w = await startWorkerd(bin, (at, port) => readFileSync(join(here, 'startup-config.capnp'), 'utf8')
    .replaceAll('@ADDRESS@', `127.0.0.1:${port}`)
    .replaceAll('@WORKER@', relative(at, join(here, 'startup-worker.js')))
    .replaceAll('@WASM@', relative(at, WASM))
    .replaceAll('@RIB@', relative(at, RIB)));
  const port = w.port;
  while (!(await accepts(port))) {
    if (!running() || performance.now() - t0 > 30_000) {
      throw new Error(`workerd ${running() ? 'did not listen within 30 s' : 'exited'}: ${w.output().trim().split('\n').slice(-3).join(' | ')}`);
    }
    await sleep(5);
  }
  const ready = performance.now() - t0;
  const first = await timed(port, 'POST', '/startup');
  if (first.status !== 200) throw new Error(`POST /startup: ${first.status} ${first.body.slice(0, 200)}`);
  const { decision, workerMs } = JSON.parse(first.body);
  if (!(decision >= 0)) throw new Error(`the probe route failed: ${decision}`);
  const noop = await timed(port, 'GET', '/noop');
  if (noop.status !== 200) throw new Error(`GET /noop: ${noop.status}`);
  await stopWorkerd();
  console.log(`${first.ms.toFixed(3)} noop=${noop.ms.toFixed(3)} worker=${Number(workerMs).toFixed(3)} ready=${ready.toFixed(0)}`);
}

const limit = setTimeout(() => { console.error('workerd startup runner: time limit reached'); stopWorkerd().finally(() => process.exit(1)); }, TIME_LIMIT_MS);
limit.unref();
let status = 0;
try {
  const bin = binArg ?? workerdBinary();
  for (let i = 0; i < runs; i++) await once(bin);
} catch (e) {
  console.error(`workerd startup runner: ${e?.message ?? e}`);
  status = 1;
} finally {
  await stopWorkerd();
}
process.exit(status);
