// The shared-memory router's benchmarks (issue 7's targets), written to the "shared" section of
// bench/RESULTS.md:  npm run bench:shared  (or, after a build: node --expose-gc dist/bench/shared.js [--quick])
//   1. memory: a 1,000,000-server miniRIB (--quick: 100,000) with 1, 2, 4 and 8 workers: the
//      process's RSS and the bytes of routing data, for the shared router (one copy) against the
//      naive set-up (a router of its own in each worker) and against workers holding no data.
//      Each configuration runs in a fresh child process (this file with --child), so that one
//      configuration's freed memory does not count in the next;
//   2. throughput with 1 and 2 workers routing flat out (Router API, 1,000 servers, subset 20);
//   3. the generation check per decision: rr_route_current (check + decision, the call a host
//      makes) against rr_route alone (flat ABI), and the Router API's route() of a shared thread
//      against the single-threaded router's;
//   4. update under load: 1,000 updates while 2 workers route flat out; the time from the call of
//      update() (and from its return) until every worker decides on the new generation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeMiniRib } from '../bindings/encoder.js';
import { createRouterSync, createSharedRouterSync, loadWasmModuleSync } from '../bindings/index.js';
import type { RibModel } from '../bindings/model.js';
import type { SharedRouter } from '../bindings/shared.js';
import * as S from '../bindings/shared-layout.js';
import * as F from './fixtures.js';
import { md, type Table, writeSection } from './report.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const OUT = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const WORKER = fileURLToPath(new URL('./shared-worker.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const MEMORY_SERVERS = QUICK ? 100_000 : 1_000_000;
const MEMORY_WORKERS = [1, 2, 4, 8];
const THROUGHPUT_MS = QUICK ? 400 : 3000;
const UPDATES = QUICK ? 200 : 1000;
const CHECK_ITERS = QUICK ? 1_000_000 : 10_000_000;
const CHECK_REPS = QUICK ? 3 : 7;
const STOP = 0, GO = 1, SEEN = 1;
const SEEN_SLOTS = 4096; // epochs the load workers note, round-robin
const gc = (globalThis as { gc?: () => void }).gc;

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (xs: number[]): number => pct(xs, 50);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Msg { ready?: boolean; ownBytes?: number; decisions?: number }
function spawn(data: object): Worker {
  return new Worker(WORKER, { workerData: data }); // V8 flags (--expose-gc) are the process's: workers have gc too
}
const next = (w: Worker): Promise<Msg> => new Promise((resolve, reject) => {
  const ok = (m: Msg): void => { w.off('error', fail); resolve(m); };
  const fail = (e: Error): void => { w.off('message', ok); reject(e); };
  w.once('message', ok);
  w.once('error', fail);
});

// ── 1. memory (child process) ───────────────────────────────────────────────────

type MemMode = 'none' | 'shared' | 'naive';
interface MemResult { mode: MemMode; workers: number; rss: number; routingBytes: number; usedBytes: number }

async function memoryChild(mode: MemMode, workers: number, ribFile: string): Promise<void> {
  const control = new SharedArrayBuffer(8);
  let shared: SharedRouter | null = null;
  if (mode === 'shared') {
    let bytes: Uint8Array | null = readFileSync(ribFile);
    shared = createSharedRouterSync({ rib: bytes, threads: workers });
    bytes = null;
  }
  gc?.();
  const ws = Array.from({ length: workers }, () => spawn({
    job: mode === 'none' ? 'idle' : 'hold', mode, handle: shared?.handle, ribFile, control, service: 'web',
  }));
  const ready = await Promise.all(ws.map(next));
  gc?.();
  await sleep(300);
  const rss = process.memoryUsage().rss;
  const own = ready.reduce((n, m) => n + (m.ownBytes ?? 0), 0);
  const routingBytes = shared ? shared.handle.memory.buffer.byteLength : own;
  const usedBytes = shared ? routingBytes - shared.stats().freeBytes : own;
  Atomics.store(new Int32Array(control), STOP, 1);
  Atomics.notify(new Int32Array(control), STOP);
  await Promise.all(ws.map((w) => w.terminate()));
  const r: MemResult = { mode, workers, rss, routingBytes, usedBytes };
  console.log(JSON.stringify(r));
}

function memory(): { table: Table; ratio8: number; ratioNaive: number; bytes8: number } {
  console.log(`memory: encoding a ${MEMORY_SERVERS.toLocaleString('en-US')}-server miniRIB ...`);
  let model: RibModel | null = F.bigRib(MEMORY_SERVERS);
  const buf = encodeMiniRib(model, F.CLIENT);
  model = null;
  const dir = mkdtempSync(join(tmpdir(), 'ringroute-shared-bench-'));
  const file = join(dir, 'big.rib');
  writeFileSync(file, buf);
  const results = new Map<string, MemResult>();
  try {
    for (const w of MEMORY_WORKERS) {
      for (const mode of ['none', 'shared', 'naive'] as MemMode[]) {
        const r = spawnSync(process.execPath, ['--expose-gc', SELF, '--child', mode, String(w), file], { encoding: 'utf8', maxBuffer: 1 << 24 });
        const line = r.stdout.trim().split('\n').pop() ?? '';
        if (r.status !== 0 || !line.startsWith('{')) throw new Error(`memory child ${mode} ${w}: ${r.stderr}`);
        const m = JSON.parse(line) as MemResult;
        results.set(`${mode}${w}`, m);
        console.log(`  ${mode} × ${w}: RSS ${mib(m.rss)} MiB, routing data ${mib(m.routingBytes)} MiB`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const get = (mode: MemMode, w: number): MemResult => results.get(`${mode}${w}`)!;
  const extra = (mode: MemMode, w: number): number => get(mode, w).rss - get('none', w).rss;
  const rows = MEMORY_WORKERS.map((w) => [
    String(w),
    mib(get('none', w).rss),
    `${mib(get('shared', w).rss)} (+${mib(extra('shared', w))})`,
    `${mib(get('naive', w).rss)} (+${mib(extra('naive', w))})`,
    `${mib(get('shared', w).routingBytes)} (${mib(get('shared', w).usedBytes)} used)`,
    mib(get('naive', w).routingBytes),
    f2(extra('shared', w) / extra('shared', 1)),
    f2(extra('naive', w) / extra('naive', 1)),
  ]);
  const ratio8 = extra('shared', 8) / extra('shared', 1);
  const ratioNaive = extra('shared', 8) / extra('naive', 1);
  const bytes8 = get('shared', 8).routingBytes / get('shared', 1).routingBytes;
  return {
    ratio8, ratioNaive, bytes8,
    table: {
      title: `Memory: one ${MEMORY_SERVERS.toLocaleString('en-US')}-server miniRIB, 1 to 8 workers`,
      intro: 'RSS of the whole process (MiB) once every worker has routed 1,000 requests; in brackets, above the same number of ' +
        'workers holding no routing data ("no data"). Routing data: the shared memory (one copy), or the sum of every naive ' +
        "worker's own WASM memory. Growth: RSS above \"no data\" relative to 1 worker.",
      head: ['workers', 'no data RSS', 'shared RSS', 'naive RSS (a router per worker)', 'shared routing data', 'naive routing data', 'shared growth', 'naive growth'],
      rows,
      after: [
        `Shared, 8 workers against 1: **${f2(bytes8)}×** the bytes of routing data (the shared memory; target ≤ 1.1×), ${f2(ratio8)}× the RSS above ` +
          `"no data"; against one single-threaded router (naive, 1 worker): ${f2(ratioNaive)}× that RSS. The naive set-up at 8 workers: ` +
          `${f2(get('naive', 8).routingBytes / get('naive', 1).routingBytes)}× the bytes.`,
        'RSS differences of a few MiB are within the run-to-run noise of 1 … 8 worker isolates; they dominate the RSS ratios at a small miniRIB.',
      ],
    },
  };
}

// ── 2. throughput ─────────────────────────────────────────────────────────────

const ROUTE_RIB = F.rib([F.plainService('web', 1000, 20)]);

async function throughput(): Promise<{ table: Table; scaling: number }> {
  const ribBytes = encodeMiniRib(ROUTE_RIB, F.CLIENT);
  const dir = mkdtempSync(join(tmpdir(), 'ringroute-shared-bench-'));
  const file = join(dir, 'route.rib');
  writeFileSync(file, ribBytes);
  const rates = new Map<string, number>();
  try {
    for (const mode of ['shared', 'naive'] as const) {
      for (const n of [1, 2]) {
        const shared = mode === 'shared' ? createSharedRouterSync({ rib: ribBytes, threads: 2 }) : null;
        const control = new SharedArrayBuffer(8);
        const ws = Array.from({ length: n }, () => spawn({ job: 'throughput', mode, handle: shared?.handle, ribFile: file, control, service: 'web', ms: THROUGHPUT_MS }));
        await Promise.all(ws.map(next));
        const done = ws.map(next);
        Atomics.store(new Int32Array(control), GO, 1);
        Atomics.notify(new Int32Array(control), GO);
        const res = await Promise.all(done);
        await Promise.all(ws.map((w) => w.terminate()));
        const total = res.reduce((s, m) => s + (m.decisions ?? 0), 0) / (THROUGHPUT_MS / 1000);
        rates.set(`${mode}${n}`, total);
        console.log(`throughput ${mode} × ${n}: ${Math.round(total).toLocaleString('en-US')} decisions/s`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = (k: string): number => rates.get(k)!;
  const scaling = r('shared2') / r('shared1');
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  return {
    scaling,
    table: {
      title: 'Throughput: 1 and 2 workers routing flat out',
      intro: `route() through the Router API, 1,000 servers in 4 rings, spill, subset 20; ${THROUGHPUT_MS} ms per run; decisions per second, all workers together (ns per decision per worker in brackets).`,
      head: ['set-up', '1 worker', '2 workers', 'scaling'],
      rows: (['shared', 'naive'] as const).map((m) => [
        m === 'shared' ? 'shared router (attachRouter)' : 'a router per worker (createRouter)',
        `${fmt(r(`${m}1`))} (${f1(1e9 / r(`${m}1`))} ns)`,
        `${fmt(r(`${m}2`))} (${f1(2e9 / r(`${m}2`))} ns)`,
        `${f2(r(`${m}2`) / r(`${m}1`))}×`,
      ]),
      after: [`Shared, 2 workers against 1: **${f2(scaling)}×** (target ≥ 1.8×), on ${os.cpus().length} logical cores.`],
    },
  };
}

// ── 3. the generation check ───────────────────────────────────────────────────

interface Raw {
  rr_enter(): number;
  rr_route(svc: number, flags: number, keyHash: number): number;
  rr_route_current(svc: number, flags: number, keyHash: number): number;
  rr_attach(control: number, t: number, owner: number): number;
  rr_alloc(n: number): number;
  rr_load(p: number, n: number): number;
  memory: WebAssembly.Memory;
}

function generationCheck(): { table: Table; checkNs: number } {
  const ribBytes = encodeMiniRib(ROUTE_RIB, F.CLIENT);
  const shared = createSharedRouterSync({ rib: ribBytes, threads: 2 });
  const x = new WebAssembly.Instance(shared.handle.module, { env: { memory: shared.handle.memory } }).exports as unknown as Raw;
  if (x.rr_attach(shared.handle.control, S.ANY_THREAD, 0) < 0) throw new Error('attach');
  x.rr_enter();
  const svc = shared.serviceIndex('web');
  // the single-threaded build, the same miniRIB
  const y = new WebAssembly.Instance(loadWasmModuleSync('simd'), {}).exports as unknown as Raw;
  const p = y.rr_alloc(ribBytes.length);
  new Uint8Array(y.memory.buffer).set(ribBytes, p);
  if (y.rr_load(p, ribBytes.length) !== 0) throw new Error('load');
  const r0 = shared.attach();
  const single = createRouterSync({ rib: ribBytes });
  const req = { service: 'web' };
  const loops: Record<string, () => number> = {
    'rr_route (shared build)': () => { let s = 0; for (let i = 0; i < CHECK_ITERS; i++) s += x.rr_route(svc, 0, 0); return s; },
    'rr_route_current: check + decision (shared build)': () => { let s = 0; for (let i = 0; i < CHECK_ITERS; i++) s += x.rr_route_current(svc, 0, 0); return s; },
    'rr_enter, then rr_route (shared build: two calls)': () => { let s = 0; for (let i = 0; i < CHECK_ITERS; i++) { x.rr_enter(); s += x.rr_route(svc, 0, 0); } return s; },
    'rr_route (single-threaded build)': () => { let s = 0; for (let i = 0; i < CHECK_ITERS; i++) s += y.rr_route(svc, 0, 0); return s; },
    'route() of a shared thread (Router API)': () => { let s = 0; for (let i = 0; i < CHECK_ITERS / 4; i++) s += r0.route(req).index; return s; },
    'route() of createRouter (Router API)': () => { let s = 0; for (let i = 0; i < CHECK_ITERS / 4; i++) s += single.route(req).index; return s; },
  };
  const ns = new Map<string, number[]>();
  for (let rep = 0; rep < CHECK_REPS; rep++) {
    for (const [name, fn] of Object.entries(loops)) {
      const n = name.includes('Router API') ? CHECK_ITERS / 4 : CHECK_ITERS;
      const t0 = performance.now();
      fn();
      const t = ((performance.now() - t0) * 1e6) / n;
      if (!ns.has(name)) ns.set(name, []);
      ns.get(name)!.push(t);
    }
  }
  const med = (k: string): number => median(ns.get(k)!);
  const checkNs = med('rr_route_current: check + decision (shared build)') - med('rr_route (shared build)');
  console.log(`generation check: ${f2(checkNs)} ns per decision`);
  return {
    checkNs,
    table: {
      title: 'The generation check per decision',
      intro: `One thread, no update running; medians of ${CHECK_REPS} runs of ${CHECK_ITERS.toLocaleString('en-US')} decisions (the Router API rows: a quarter of that), 1,000 servers, subset 20.`,
      head: ['loop', 'ns per decision'],
      rows: Object.keys(loops).map((k) => [k, f2(med(k))]),
      after: [
        `The check (inside rr_route_current: one atomic load and a compare) costs **${f2(checkNs)} ns** per decision (target ≤ 5 ns); ` +
          'as a call of its own (rr_enter) it costs the call across the boundary too.',
      ],
    },
  };
}

// ── 4. update under load ──────────────────────────────────────────────────────

async function updateUnderLoad(): Promise<{ table: Table; p99: number }> {
  const a = ROUTE_RIB;
  const b: RibModel = structuredClone(ROUTE_RIB);
  b.services[0].servers[0].state = 'draining';
  const bytes = [encodeMiniRib(a, F.CLIENT), encodeMiniRib(b, F.CLIENT)];
  const shared = createSharedRouterSync({ rib: bytes[0], threads: 2 });
  const control = new SharedArrayBuffer(8);
  const flags = new Int32Array(control);
  const seenBuf = new SharedArrayBuffer(SEEN_SLOTS * 2 * 8);
  const seen = new Float64Array(seenBuf);
  const ws = [0, 1].map((index) => spawn({ job: 'load', handle: shared.handle, control, service: 'web', seen: seenBuf, slots: SEEN_SLOTS, index }));
  await Promise.all(ws.map(next));
  /** Blocks (no spinning: the two workers keep both cores) until control[SEEN] reaches n. */
  const waitSeen = (n: number): void => {
    for (let v = Atomics.load(flags, SEEN); v < n; v = Atomics.load(flags, SEEN)) Atomics.wait(flags, SEEN, v, 1000);
  };
  waitSeen(2);
  await sleep(100);
  const now = (): number => Number(process.hrtime.bigint());
  const fromCall: number[] = [], fromReturn: number[] = [], call: number[] = [];
  for (let u = 0; u < UPDATES; u++) {
    const before = Atomics.load(flags, SEEN);
    const t0 = now();
    shared.update(bytes[(u + 1) & 1]);
    const t1 = now();
    waitSeen(before + 2);
    const slot = (shared.epoch % SEEN_SLOTS) * 2;
    const t2 = Math.max(seen[slot], seen[slot + 1]);
    fromCall.push((t2 - t0) / 1000);
    fromReturn.push((t2 - t1) / 1000);
    call.push((t1 - t0) / 1000);
  }
  const done = ws.map(next);
  Atomics.store(flags, STOP, 1);
  const res = await Promise.all(done);
  await Promise.all(ws.map((w) => w.terminate()));
  const decisions = res.reduce((s, m) => s + (m.decisions ?? 0), 0);
  const row = (name: string, xs: number[]): string[] => [name, f1(pct(xs, 50)), f1(pct(xs, 99)), f1(Math.max(...xs))];
  const p99 = pct(fromCall, 99);
  console.log(`update under load: p99 ${f1(p99)} µs from update() to both workers on the new generation`);
  return {
    p99,
    table: {
      title: 'Update under load: from update() to every worker on the new generation',
      intro: `${UPDATES} updates (1,000 servers; each flips one server between up and draining) while 2 workers route flat out through the Router API ` +
        `(${decisions.toLocaleString('en-US')} decisions meanwhile). Each worker notes the time (process.hrtime, one clock for every thread) of its first ` +
        'decision on each epoch; the main thread waits (Atomics.wait, no spinning) for both before the next update. µs.',
      head: ['interval', 'p50 µs', 'p99 µs', 'max µs'],
      rows: [
        row('update() called → both workers decided on it', fromCall),
        row('update() returned → both workers decided on it', fromReturn),
        row('update() itself (validate, derive, carry cells, publish)', call),
      ],
    },
  };
}

// ── main ──────────────────────────────────────────────────────────────────────

if (argv[0] === '--child') {
  await memoryChild(argv[1] as MemMode, Number(argv[2]), argv[3]);
  process.exit(0);
}

const started = performance.now();
const loadStart = os.loadavg()[0];
const mem = memory();
const thr = await throughput();
const chk = generationCheck();
const upd = await updateUnderLoad();
const seconds = (performance.now() - started) / 1000;
const cpus = os.cpus();
const body = [
  '## Shared-memory router (worker threads)',
  '',
  `Generated by \`node --expose-gc dist/bench/shared.js${QUICK ? ' --quick' : ''}\` (\`npm run bench:shared\`) on ${new Date().toISOString()}, in ${seconds.toFixed(0)} s; ` +
    `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} logical cores, Node ${process.version}, 1-min load average ${loadStart.toFixed(2)} at the start. ` +
    (QUICK ? '**Quick settings: preliminary figures** (a smaller miniRIB, shorter runs).' : 'Full settings.'),
  '',
  '| target | measured | result |',
  '|---|---|---|',
  `| memory, 8 workers ≤ 1.1× 1 worker (one copy) | routing data ${f2(mem.bytes8)}×; RSS above "no data" ${f2(mem.ratio8)}× (${f2(mem.ratioNaive)}× one single-threaded router) | ${mem.bytes8 <= 1.1 ? '**met**' : '**missed**'} (routing data) |`,
  `| throughput, 2 workers ≥ 1.8× 1 worker | ${f2(thr.scaling)}× | ${thr.scaling >= 1.8 ? '**met**' : '**missed**'} |`,
  `| generation check ≤ 5 ns per decision | ${f2(chk.checkNs)} ns | ${chk.checkNs <= 5 ? '**met**' : '**missed**'} |`,
  `| update → all workers on it, p99 over ${UPDATES} updates | ${f1(upd.p99)} µs | (no target) |`,
  '',
  md(mem.table), md(thr.table), md(chk.table), md(upd.table),
].join('\n');
writeSection(OUT, 'shared', body);
console.log(`wrote the "shared" section of ${OUT}`);
