// The ringroute benchmark suite: the WASM core against the TS core in one run, and both against npm
// peers on their own jobs. `npm run bench` (build, then this), or after a build:
//   node dist/bench/run.js [--quick] [--only route|shards|rendezvous|batch|peers|load] [--out FILE]
// A run without --only (re)writes bench/RESULTS.md in full; with --only it writes only with --out.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Core } from '../bindings/core.js';
import { encodeMiniRib } from '../bindings/encoder.js';
import { ROUTE_HAS_KEY, ROUTE_PRIMARY, SEED_KEY } from '../bindings/layout.js';
import type { RibModel } from '../bindings/model.js';
import { xxh32String } from '../bindings/ts-core/hash.js';
import { type CoreName, type CoreSet, loadCores } from './cores.js';
import * as F from './fixtures.js';
import { type Case, find, fmtNs, runCases, type RunOptions, sink } from './harness.js';
import { makeConsistentHash, makeHashring, makeP2c, makeSkeleton, peerVersion } from './peers.js';
import { coreTable, md, type Table, type TargetRow, targetsTable, writeResults, x } from './report.js';

const GROUPS = ['route', 'shards', 'rendezvous', 'batch', 'peers', 'load'] as const;
type Group = (typeof GROUPS)[number];

// ── options ───────────────────────────────────────────────────────────────────
const argv = process.argv.slice(2);
const arg = (name: string): string | null => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : null;
};
const QUICK = argv.includes('--quick');
const ONLY = arg('--only') as Group | null;
if (ONLY !== null && !GROUPS.includes(ONLY)) {
  console.error(`--only: one of ${GROUPS.join(', ')}`);
  process.exit(2);
}
const OUT = arg('--out') ?? (ONLY === null ? fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url)) : null);
const RUN: RunOptions = QUICK ? { maxTime: 0.1, minSamples: 3 } : { maxTime: 2, minSamples: 5 };
if (QUICK) (await import('benchmark')).default.options.minTime = 0.01;
const enabled = (g: Group): boolean => ONLY === null || ONLY === g;

// sizes (the quick run shrinks the two big ones)
const PLAIN_SIZES = [10, 1000, 100000];
const SHARD_SIZES = [1000, QUICK ? 100000 : 1000000];
const SHARD_SERVERS = 1000;
const HASH_SERVERS = 1000;
const HASH_REPLICAS = [1, 3];
const LOAD_SERVERS = QUICK ? 200000 : 1000000;
const LOAD_REPS = QUICK ? 2 : 5;
const BATCH = 256;

const n = (v: number): string => v.toLocaleString('en-US');
const notes: string[] = [];
const tables: Table[] = [];
const targets: TargetRow[] = [];
const started = performance.now();
const LOAD_AVG_START = os.loadavg();

// ── fixtures: a family = one RIB, encoded once, loaded into each core ─────────
interface Row { row: string; svc: string; flags: number; keys: Uint32Array; inner: number }
interface Family { rows: Row[]; cores: { who: CoreName; core: Core }[]; bytes: number }

const NO_KEYS = new Uint32Array(1);
const KEYS_1M = F.keyHashes(1 << 20);
const KEYS_64K = KEYS_1M.subarray(0, 1 << 16);

function prepare(name: string, model: RibModel, rows: Row[], whos: CoreName[], set: CoreSet): Family {
  const t0 = performance.now();
  const buf = encodeMiniRib(model, F.CLIENT);
  const cores = whos.filter((w) => set.make[w] !== undefined).map((who) => {
    const core = set.make[who]!();
    core.load(buf);
    F.fillLoads(core.loads());
    return { who, core };
  });
  // cross-check: from identical state every core must make identical decisions
  for (const r of rows) {
    const svcs = cores.map((c) => c.core.serviceIndex(r.svc));
    const seqs = cores.map((c, ci) => {
      const out: number[] = [];
      for (let i = 0; i < 2000; i++) out.push(c.core.route(svcs[ci], r.flags, r.keys[i & (r.keys.length - 1)]));
      return out;
    });
    const errors = seqs[0].filter((d) => d < 0).length;
    if (errors > 0) notes.push(`${name} · ${r.row}: ${errors} of 2,000 decisions were errors (fixture problem?)`);
    for (let c = 1; c < cores.length; c++) {
      const k = seqs[c].findIndex((d, i) => d !== seqs[0][i]);
      if (k >= 0) {
        const msg = `DECISIONS DIFFER: ${r.row}: ${cores[c].who} vs ${cores[0].who} at request ${k} (${seqs[c][k]} vs ${seqs[0][k]})`;
        console.warn(`  WARNING ${msg}`);
        notes.push(msg);
      }
    }
  }
  console.log(`  [${name}: ${n(buf.length)}-byte miniRIB, encoded and loaded into ${cores.map((c) => c.who).join(', ')} in ${(performance.now() - t0).toFixed(0)} ms; decisions cross-checked]`);
  return { rows, cores, bytes: buf.length };
}

/** A fresh function per case, so every case has its own JIT feedback (no shared call sites). */
function singleLoop(core: Core, svc: number, flags: number, keys: Uint32Array, inner: number): () => number {
  const make = new Function('core', 'svc', 'flags', 'keys', 'inner', `
    const mask = keys.length - 1;
    let pos = 0;
    return function () {
      let acc = 0, p = pos;
      for (let i = 0; i < inner; i++) { acc = (acc + core.route(svc, flags, keys[p])) | 0; p = (p + 1) & mask; }
      pos = p;
      return acc;
    };`) as (...a: unknown[]) => () => number;
  return make(core, svc, flags, keys, inner);
}

function batchLoop(core: Core, svc: number, flags: number, keys: Uint32Array): () => number {
  const svcArr = new Int32Array(BATCH).fill(svc);
  const flagArr = new Int32Array(BATCH).fill(flags);
  const out = new Int32Array(BATCH);
  const batches: Uint32Array[] = [];
  if (keys.length < BATCH) batches.push(new Uint32Array(BATCH));
  else for (let o = 0; o + BATCH <= keys.length; o += BATCH) batches.push(keys.subarray(o, o + BATCH));
  const make = new Function('core', 'svcArr', 'flagArr', 'batches', 'out', `
    const nb = batches.length;
    let b = 0;
    return function () {
      core.routeBatch(svcArr, flagArr, batches[b], out, false);
      b = b + 1 === nb ? 0 : b + 1;
      return (out[0] + out[out.length - 1]) | 0;
    };`) as (...a: unknown[]) => () => number;
  return make(core, svcArr, flagArr, batches, out);
}

function casesOf(fam: Family, batch: boolean): Case[] {
  const cases: Case[] = [];
  for (const r of fam.rows) {
    for (const { who, core } of fam.cores) {
      const svc = core.serviceIndex(r.svc);
      cases.push(batch
        ? { row: r.row, who, inner: BATCH, fn: batchLoop(core, svc, r.flags, r.keys) }
        : { row: r.row, who, inner: r.inner, fn: singleLoop(core, svc, r.flags, r.keys, r.inner) });
    }
  }
  return cases;
}

const families = new Map<string, Family>();
function family(name: 'plain' | 'sharded' | 'hash', set: CoreSet): Family {
  let fam = families.get(name);
  if (fam) return fam;
  if (name === 'plain') {
    const model = F.rib(PLAIN_SIZES.map((s) => F.plainService(`plain-${s}`, s, 20)));
    fam = prepare(name, model, PLAIN_SIZES.map((s) => ({ row: `route · ${n(s)} servers`, svc: `plain-${s}`, flags: 0, keys: NO_KEYS, inner: 1024 })), ['ts', 'wasm'], set);
  } else if (name === 'sharded') {
    const model = F.rib(SHARD_SIZES.map((s) => F.shardedService(`kv-${s}`, s, SHARD_SERVERS)));
    const rows: Row[] = [];
    for (const s of SHARD_SIZES) {
      rows.push({ row: `shards · ${n(s)} · role any`, svc: `kv-${s}`, flags: ROUTE_HAS_KEY, keys: KEYS_1M, inner: 1024 });
      rows.push({ row: `shards · ${n(s)} · role primary`, svc: `kv-${s}`, flags: ROUTE_HAS_KEY | ROUTE_PRIMARY, keys: KEYS_1M, inner: 1024 });
    }
    // for information: the big map with a hot set of 1,024 keys (cache-resident): separates the
    // cost of the search from the cost of cache and TLB misses on a 1M-entry map
    const big = SHARD_SIZES[SHARD_SIZES.length - 1];
    rows.push({ row: `info: shards · ${n(big)} · role any · 1,024 distinct keys`, svc: `kv-${big}`, flags: ROUTE_HAS_KEY, keys: KEYS_1M.subarray(0, 1024), inner: 1024 });
    fam = prepare(name, model, rows, ['ts', 'wasm'], set);
  } else {
    const model = F.rib(HASH_REPLICAS.map((k) => F.hashService(`hash-r${k}`, HASH_SERVERS, k)));
    fam = prepare(name, model, HASH_REPLICAS.map((k) => ({ row: `owners · ${n(HASH_SERVERS)} servers · replicas ${k}`, svc: `hash-r${k}`, flags: ROUTE_HAS_KEY, keys: KEYS_64K, inner: 32 })), ['ts', 'wasm', 'wasm-scalar'], set);
  }
  families.set(name, fam);
  return fam;
}

const whosOf = (fam: Family): string[] => fam.cores.map((c) => c.who);

// ── groups ────────────────────────────────────────────────────────────────────
function groupRoute(set: CoreSet): void {
  console.log('\n# 1. route() on an unsharded service (4 rings, spill 0.9 in ring 0, subset 20, nonzero loads)');
  const fam = family('plain', set);
  runCases('route', casesOf(fam, false), RUN);
  const t = coreTable('route', '1. route(), unsharded service', fam.rows.map((r) => r.row), whosOf(fam),
    'Servers round-robin over 4 regions (300 µs, 20 ms, 60 ms, 150 ms from the client), rings [5000, 35000, 80000, unbounded], ' +
    'spill keeps 0.9 of requests in each ring, subset 20, weights 1–4, loads 1–8. One route() call per operation.');
  tables.push(t);
  console.log(md(t));
}

function groupShards(set: CoreSet): void {
  console.log('\n# 2. sharded service (3 replicas per shard, one primary)');
  const fam = family('sharded', set);
  runCases('shards', casesOf(fam, false), RUN);
  const [small, big] = SHARD_SIZES;
  const t = coreTable('shards', `2. sharded service, ${n(small)} and ${n(big)} shards`, fam.rows.map((r) => r.row), whosOf(fam),
    `Equal ranges of the u32 key space, 3 distinct random replicas of ${n(SHARD_SERVERS)} servers per shard (the first primary); ` +
    `keys: ${n(KEYS_1M.length)} random u32 key hashes, precomputed and cycled.`);
  const after = ['| core · role | ' + `${n(big)} ÷ ${n(small)} (time)` + ' |', '|---|---:|'];
  for (const { who } of fam.cores) {
    let worst = 0;
    for (const role of ['any', 'primary']) {
      const a = find('shards', `shards · ${n(small)} · role ${role}`, who), b = find('shards', `shards · ${n(big)} · role ${role}`, who);
      const r = a && b ? b.ns / a.ns : NaN;
      after.push(`| ${who} · ${role} | ${x(r)} |`);
      worst = Math.max(worst, r);
    }
    targets.push({ target: `shards: ${n(big)} ÷ ${n(small)} shards ≤ 2× (${who} core, worst role)`, measured: x(worst), met: Number.isFinite(worst) ? worst <= 2 : null });
  }
  t.after = after;
  tables.push(t);
  console.log(md(t));
}

function groupRendezvous(set: CoreSet): void {
  console.log('\n# 3. key-rendezvous owners (hash service, 1,000 servers)');
  const fam = family('hash', set);
  runCases('rendezvous', casesOf(fam, false), RUN);
  const t = coreTable('rendezvous', `3. key-rendezvous owners, ${n(HASH_SERVERS)} servers`, fam.rows.map((r) => r.row), whosOf(fam),
    'topK(1,000 servers, k) over random u32 key hashes, then pick-2 among the k (k = 1: no draw). wasm-scalar is the build without v128, for reference.');
  tables.push(t);
  console.log(md(t));
  for (const r of fam.rows) {
    const ts = find('rendezvous', r.row, 'ts'), wasm = find('rendezvous', r.row, 'wasm');
    const s = ts && wasm ? ts.ns / wasm.ns : NaN;
    targets.push({ target: `key-rendezvous ${r.row.replace('owners · ', '')}: WASM ≥ 2× TS`, measured: Number.isFinite(s) ? `${x(s)} (ts ${fmtNs(ts!.ns)}, wasm ${fmtNs(wasm!.ns)})` : 'no WASM core', met: Number.isFinite(s) ? s >= 2 : null });
  }
}

function groupBatch(set: CoreSet): void {
  console.log(`\n# 4. routeBatch, ${BATCH} requests per call (ns per decision)`);
  const fams = [family('plain', set), family('sharded', set), family('hash', set)];
  const rows: string[] = [];
  for (const fam of fams) {
    const two = { ...fam, cores: fam.cores.filter((c) => c.who !== 'wasm-scalar') };
    runCases('batch', casesOf(two, true), RUN);
    rows.push(...fam.rows.map((r) => r.row));
  }
  const t = coreTable('batch', `4. routeBatch, ${BATCH} requests per call`, rows, ['ts', 'wasm'].filter((w) => set.make[w as CoreName]),
    'The cases of groups 1–3 through routeBatch (track off); ns per decision. "batch ÷ single" compares with the same case through route().');
  t.head.push('ts batch ÷ single', 'wasm batch ÷ single');
  t.rows.forEach((cells, i) => {
    const row = rows[i];
    const single = (who: string): number => {
      const b = find('batch', row, who);
      const s = find('route', row, who) ?? find('shards', row, who) ?? find('rendezvous', row, who);
      return b && s ? b.ns / s.ns : NaN;
    };
    cells.push(x(single('ts')), x(single('wasm')));
  });
  tables.push(t);
  console.log(md(t));
}

function peerLoop(src: string, names: string[], values: unknown[]): () => number {
  return (new Function(...names, src) as (...a: unknown[]) => () => number)(...values);
}

function groupPeers(set: CoreSet): void {
  console.log('\n# 5. npm peers, each on its own job, vs ringroute on the equivalent job');
  const ids = F.servers(HASH_SERVERS).map((s) => s.id);
  const keys = F.stringKeys(1 << 16);
  const model = F.rib([
    F.hashService('owners', HASH_SERVERS, 1),
    { name: 'lb', servers: ids.map((id) => ({ id, region: 'local' })), subset: 0 },
    F.shardedService('kv', 1000, HASH_SERVERS),
  ]);
  const buf = encodeMiniRib(model, F.CLIENT);
  const cores = (['ts', 'wasm'] as CoreName[]).filter((w) => set.make[w]).map((who) => {
    const core = set.make[who]!();
    core.load(buf);
    return { who, core };
  });
  const keyLoop = `
    const mask = keys.length - 1; let pos = 0;
    return function () { let acc = 0, p = pos;
      for (let i = 0; i < inner; i++) { acc = (acc + STEP) | 0; p = (p + 1) & mask; }
      pos = p; return acc; };`;
  const KEY_JOB = `key → owner of ${n(HASH_SERVERS)} servers (string key)`;
  const LB_JOB = `pick-2 among ${n(HASH_SERVERS)} endpoints, count the pick`;
  const cases: Case[] = [];
  const hr = makeHashring(ids), ch = makeConsistentHash(ids), sk = makeSkeleton(ids), p2c = makeP2c(HASH_SERVERS);
  const peerKey = (who: string, obj: unknown, call: string, inner: number): void => {
    cases.push({ row: KEY_JOB, who, inner, fn: peerLoop(keyLoop.replace('STEP', call), ['obj', 'keys', 'inner'], [obj, keys, inner]) });
  };
  peerKey('hashring', hr, 'obj.get(keys[p]).length', 256);
  peerKey('consistent-hash', ch, 'obj.get(keys[p]).length', 256);
  peerKey('skeleton-rendezvous', sk, 'obj.findSite(keys[p]).length', 8);
  cases.push({ row: LB_JOB, who: 'load-balancers', inner: 1024, fn: peerLoop(
    'return function () { let acc = 0; for (let i = 0; i < inner; i++) acc = (acc + obj.pick()) | 0; return acc; };', ['obj', 'inner'], [p2c, 1024]) });
  const SHARD_JOB = 'info: key → shard owner, 1,000 shards (string key)';
  const HASH_JOB = 'info: xxh32String(key, 3) alone';
  cases.push({ row: HASH_JOB, who: 'js', inner: 256, fn: peerLoop(keyLoop.replace('STEP', 'hash(keys[p], SEED)'),
    ['hash', 'SEED', 'keys', 'inner'], [xxh32String, SEED_KEY, keys, 256]) });
  for (const { who, core } of cores) {
    const hashSvc = core.serviceIndex('owners'), lbSvc = core.serviceIndex('lb'), kvSvc = core.serviceIndex('kv');
    cases.push({ row: KEY_JOB, who, inner: 32, fn: peerLoop(keyLoop.replace('STEP', 'core.route(svc, HAS_KEY, hash(keys[p], SEED))'),
      ['core', 'svc', 'hash', 'HAS_KEY', 'SEED', 'keys', 'inner'], [core, hashSvc, xxh32String, ROUTE_HAS_KEY, SEED_KEY, keys, 32]) });
    cases.push({ row: SHARD_JOB, who, inner: 256, fn: peerLoop(keyLoop.replace('STEP', 'core.route(svc, HAS_KEY, hash(keys[p], SEED))'),
      ['core', 'svc', 'hash', 'HAS_KEY', 'SEED', 'keys', 'inner'], [core, kvSvc, xxh32String, ROUTE_HAS_KEY, SEED_KEY, keys, 256]) });
    const first = core.serverFirst(lbSvc);
    cases.push({ row: LB_JOB, who, inner: 1024, fn: peerLoop(`
      return function () { const loads = core.loads(); let acc = 0;
        for (let i = 0; i < inner; i++) { const d = core.route(svc, 0, 0); loads[first + d] += 1; acc = (acc + d) | 0; }
        return acc; };`, ['core', 'svc', 'first', 'inner'], [core, lbSvc, first, 1024]) });
  }
  runCases('peers', cases, RUN);

  const rr = (job: string, who: string) => find('peers', job, who);
  const best = set.make.wasm ? 'wasm' : 'ts';
  const head = ['job', 'implementation', 'ns/op', 'ops/s ±rme', 'ringroute wasm: speed-up', 'ringroute ts: speed-up'];
  const rows: string[][] = [];
  const peerRow = (job: string, peer: string, label: string): void => {
    const p = find('peers', job, peer);
    const sp = (who: string): number => {
      const r = rr(job, who);
      return p && r ? p.ns / r.ns : NaN;
    };
    rows.push([job, label, p ? fmtNs(p.ns) : '—', p ? `${Math.round(p.opsPerSec).toLocaleString('en-US')} ±${p.rme.toFixed(1)}%` : '—', x(sp('wasm')), x(sp('ts'))]);
    const s = sp(best);
    const bar = peer === 'hashring' ? 10 : 1;
    targets.push({
      target: peer === 'hashring' ? `ringroute ≥ 10× hashring get (${best} core)` : `ringroute faster than ${peer} on its job (${best} core)`,
      measured: `${x(s)} (${peer} ${p ? fmtNs(p.ns) : '—'}, ringroute ${rr(job, best) ? fmtNs(rr(job, best)!.ns) : '—'})`,
      met: Number.isFinite(s) ? (bar === 1 ? s > 1 : s >= bar) : null,
    });
  };
  peerRow(KEY_JOB, 'hashring', `hashring ${peerVersion('hashring')} get()`);
  peerRow(KEY_JOB, 'consistent-hash', `consistent-hash ${peerVersion('consistent-hash')} get(), uniform`);
  peerRow(KEY_JOB, 'skeleton-rendezvous', `skeleton-rendezvous ${peerVersion('skeleton-rendezvous')} findSite()`);
  for (const who of ['wasm', 'ts']) {
    const m = rr(KEY_JOB, who);
    if (m) rows.push([KEY_JOB, `ringroute ${who}: xxh32String + route(), hash service replicas 1`, fmtNs(m.ns), `${Math.round(m.opsPerSec).toLocaleString('en-US')} ±${m.rme.toFixed(1)}%`, '', '']);
    const s = rr(SHARD_JOB, who);
    if (s) rows.push([SHARD_JOB, `ringroute ${who}: xxh32String + route(), 1,000 shards, role any`, fmtNs(s.ns), `${Math.round(s.opsPerSec).toLocaleString('en-US')} ±${s.rme.toFixed(1)}%`, '', '']);
  }
  const hj = rr(HASH_JOB, 'js');
  if (hj) rows.push([HASH_JOB, 'bindings/ts-core/hash.ts xxh32String (part of both ringroute rows above)', fmtNs(hj.ns), `${Math.round(hj.opsPerSec).toLocaleString('en-US')} ±${hj.rme.toFixed(1)}%`, '', '']);
  peerRow(LB_JOB, 'load-balancers', `load-balancers ${peerVersion('load-balancers')} P2cBalancer.pick()`);
  for (const who of ['wasm', 'ts']) {
    const m = rr(LB_JOB, who);
    if (m) rows.push([LB_JOB, `ringroute ${who}: route() (1 ring, subset off) + loads[d] += 1`, fmtNs(m.ns), `${Math.round(m.opsPerSec).toLocaleString('en-US')} ±${m.rme.toFixed(1)}%`, '', '']);
  }
  const t: Table = {
    title: '5. npm peers on their own jobs',
    intro: `String keys: ${n(keys.length)} random "user:N:profile" keys, cycled (hashring's 5,000-key LRU cache misses on them). ` +
      'ringroute hashes the key (xxh32String, seed 3) and routes: a key-rendezvous service (topK over every server: O(n) per key, ' +
      'where the hash rings are O(log n)); the shard-map row is the O(log n) equivalent, for information. Speed-up = peer ns ÷ ringroute ns.',
    head, rows,
  };
  tables.push(t);
  console.log(md(t));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function getGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const heapNow = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external; // external includes ArrayBuffers
};

function groupLoad(set: CoreSet): void {
  console.log(`\n# 6. encode + load + validate, ${n(LOAD_SERVERS)} servers`);
  const gc = getGc();
  let model: RibModel | null = F.bigRib(LOAD_SERVERS);
  const ids = F.idBytes(model);
  const encodeMs: number[] = [];
  let buf: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < LOAD_REPS; i++) {
    const t0 = performance.now();
    buf = encodeMiniRib(model, F.CLIENT);
    encodeMs.push(performance.now() - t0);
  }
  model = null;
  gc();
  const per = buf.length / LOAD_SERVERS, perNoIds = (buf.length - ids) / LOAD_SERVERS;
  console.log(`  encode: median ${median(encodeMs).toFixed(1)} ms of ${encodeMs.map((v) => v.toFixed(0)).join(', ')}; ${n(buf.length)} bytes = ${per.toFixed(1)} B/server, ${perNoIds.toFixed(1)} B/server without the ${n(ids)} id bytes`);
  const tiny = encodeMiniRib(F.rib([F.plainService('tiny', 1, 0)]), F.CLIENT);
  const rows: string[][] = [];
  for (const who of ['ts', 'wasm', 'wasm-scalar'] as CoreName[]) {
    const make = set.make[who];
    if (!make) continue;
    const first: number[] = [], reload: number[] = [], mem: number[] = [];
    for (let i = 0; i < LOAD_REPS; i++) {
      let core: Core | null = make();
      core.load(tiny);
      gc();
      const before = who === 'ts' ? heapNow() : core.loads().buffer.byteLength;
      const t0 = performance.now();
      core.load(buf);
      const t1 = performance.now();
      first.push(t1 - t0);
      F.fillLoads(core.loads());
      const t2 = performance.now();
      core.load(buf); // a replace with the same data: loads carry over
      reload.push(performance.now() - t2);
      if (who === 'ts') {
        gc();
        mem.push(heapNow() - before);
      } else {
        mem.push(core.loads().buffer.byteLength - before);
      }
      core = null;
      gc();
    }
    const loadMs = median(first), memPer = median(mem) / LOAD_SERVERS;
    console.log(`  ${who.padEnd(12)} load+validate: median ${loadMs.toFixed(1)} ms of ${first.map((v) => v.toFixed(0)).join(', ')}; reload (carry-over) ${median(reload).toFixed(1)} ms; memory kept ${memPer.toFixed(1)} B/server`);
    rows.push([who, `${loadMs.toFixed(1)} ms`, `${median(reload).toFixed(1)} ms`, `${memPer.toFixed(1)} B`,
      who === 'ts' ? 'heap + external growth after GC (the core keeps the caller\'s buffer, counted here only as far as the derived data)' : 'growth of memory.buffer.byteLength (includes the copy of the buffer)']);
    if (who !== 'wasm-scalar') targets.push({ target: `load + validate of ${n(LOAD_SERVERS)} servers ≤ 100 ms (${who} core)`, measured: `${loadMs.toFixed(1)} ms`, met: loadMs <= 100 });
  }
  targets.push({ target: 'miniRIB ≤ 48 bytes per server plus ids', measured: `${perNoIds.toFixed(1)} B/server + ${(ids / LOAD_SERVERS).toFixed(1)} B of id`, met: perNoIds <= 48 });
  const t: Table = {
    title: `6. encode, load + validate, ${n(LOAD_SERVERS)} servers`,
    intro: `Four services (plain subset 20: 40%, plain: 30%, key-rendezvous replicas 3: 20%, plain subset 50: 10%), ids "10.x.y.z:port". ` +
      `performance.now(), median of ${LOAD_REPS} repetitions; "load" is the first load into a fresh core (after a 1-server load), ` +
      `"reload" loads the same buffer again into that core (nonzero loads carried over).\n\n` +
      `Encode (JSON model → buffer): **${median(encodeMs).toFixed(1)} ms** (runs: ${encodeMs.map((v) => v.toFixed(0)).join(', ')} ms). ` +
      `Buffer: ${n(buf.length)} bytes = **${per.toFixed(1)} B/server** with ids, **${perNoIds.toFixed(1)} B/server** without the id bytes (${(ids / LOAD_SERVERS).toFixed(1)} B/server of ids).`,
    head: ['core', 'load + validate', 'reload (carry-over)', 'memory kept per server', 'how measured'],
    rows,
  };
  tables.push(t);
  console.log(md(t));
}

// ── main ──────────────────────────────────────────────────────────────────────
const set = await loadCores();
const coreNames = (Object.keys(set.make) as CoreName[]);
notes.push(...set.notes);
if (!set.make.wasm) notes.push('the WASM core was not available: only the TS core was measured; every WASM figure and ratio is missing');
if (process.execPath.includes('node_modules')) {
  notes.push(`ran on ${process.version} from ${process.execPath}, not the system Node: npm scripts put node_modules/.bin first in PATH, ` +
    'and the node22/node24 devDependencies link a `node` there');
}
if (QUICK) notes.push('quick run: short benchmark.js samples and smaller big cases (shards, load); not for comparison');
console.log(`ringroute bench: cores ${coreNames.join(', ')}${set.notes.length ? ` (${set.notes.join('; ')})` : ''}; ${QUICK ? 'quick' : 'full'} run${ONLY ? `, only ${ONLY}` : ''}`);

if (enabled('route')) groupRoute(set);
if (enabled('shards')) groupShards(set);
if (enabled('rendezvous')) groupRendezvous(set);
if (enabled('batch')) groupBatch(set);
families.clear();
if (enabled('peers')) groupPeers(set);
if (enabled('load')) groupLoad(set);

const seconds = (performance.now() - started) / 1000;
const tt = targetsTable(targets);
console.log('\n' + md(tt));
console.log(`sink ${sink()} · ${seconds.toFixed(0)} s`);
if (OUT !== null) {
  writeResults(OUT, {
    command: `node dist/bench/run.js ${argv.join(' ')}`.trim(),
    quick: QUICK, only: ONLY, cores: coreNames, notes, sink: sink(), seconds, loadStart: LOAD_AVG_START[0],
  }, tt, tables);
  console.log(`wrote ${OUT}`);
}
