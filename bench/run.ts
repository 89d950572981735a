// The ringroute benchmark suite: the WASM core against the TS core in one run, and both against npm
// peers on their own jobs. `npm run bench` (build, then this), or after a build:
//   node dist/bench/run.js [--quick] [--only route|shards|rendezvous|batch|peers|load] [--out FILE]
// A run without --only (re)writes bench/RESULTS.md in full; with --only it writes only with --out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
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
import { type Case, consume, find, fmtNs, runCases, type RunOptions, sink } from './harness.js';
import { makeConsistentHash, makeHashring, makeP2c, makeSkeleton, peerVersion, pointsPerServer } from './peers.js';
import { coreTable, md, type Table, type TargetRow, targetsTable, writeResults, x } from './report.js';

const GROUPS = ['route', 'shards', 'rendezvous', 'batch', 'peers', 'load', 'startup', 'native'] as const;
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
/** Lines printed under the targets table (how the peer targets are measured). */
const peerNote: string[] = [];
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
  console.log('\n# 5. npm peers, each on its own job, vs ringroute doing the same job');
  const ids = F.servers(HASH_SERVERS).map((s) => s.id);
  const keys = F.stringKeys(1 << 16);
  const hr = makeHashring(ids), ch = makeConsistentHash(ids), sk = makeSkeleton(ids), p2c = makeP2c(HASH_SERVERS);
  // ringroute's twin of each peer ring: a shard map over the same 1,000 servers with as many points
  // per server as the peer builds by default (read from the peer's ring)
  const hrPoints = pointsPerServer(hr, HASH_SERVERS), chPoints = pointsPerServer(ch, HASH_SERVERS);
  for (const [peer, got, want] of [['hashring', hrPoints, 160], ['consistent-hash', chPoints, 40]] as const) {
    if (got !== want) notes.push(`${peer} built ${got} points per server (expected ${want}): its ringroute twin follows the peer`);
  }
  const ring160 = F.ringService('ring-hashring', HASH_SERVERS, Math.round(hrPoints));
  const ring40 = F.ringService('ring-consistent-hash', HASH_SERVERS, Math.round(chPoints));
  const model = F.rib([
    F.hashService('owners', HASH_SERVERS, 1),
    { name: 'lb', servers: ids.map((id) => ({ id, region: 'local' })), subset: 0 },
    ring160.svc,
    ring40.svc,
  ]);
  const buf = encodeMiniRib(model, F.CLIENT);
  const cores = (['ts', 'wasm'] as CoreName[]).filter((w) => set.make[w]).map((who) => {
    const core = set.make[who]!();
    core.load(buf);
    return { who, core };
  });
  // cross-check: the twin rings answer the ring's owner (reference search over the same points) for
  // every key of a sample; the cores agree with each other on key-rendezvous
  const hashes = keys.slice(0, 4096).map((k) => xxh32String(k, SEED_KEY));
  for (const [name, ring] of [['ring-hashring', ring160.ring], ['ring-consistent-hash', ring40.ring]] as const) {
    for (const { who, core } of cores) {
      const svc = core.serviceIndex(name);
      const bad = hashes.findIndex((h) => core.route(svc, ROUTE_HAS_KEY, h) !== F.ringOwner(ring, h));
      if (bad >= 0) {
        const msg = `RING MISMATCH: ${who} core, service ${name}, key ${JSON.stringify(keys[bad])}: route() ${core.route(core.serviceIndex(name), ROUTE_HAS_KEY, hashes[bad])}, ring owner ${F.ringOwner(ring, hashes[bad])}`;
        console.warn(`  WARNING ${msg}`);
        notes.push(msg);
      }
    }
  }
  if (cores.length > 1) {
    const seqs = cores.map(({ core }) => hashes.map((h) => core.route(core.serviceIndex('owners'), ROUTE_HAS_KEY, h)));
    const k = seqs[1].findIndex((d, i) => d !== seqs[0][i]);
    if (k >= 0) notes.push(`DECISIONS DIFFER: peers · key-rendezvous: ${cores[1].who} vs ${cores[0].who} at key ${k}`);
  }
  console.log(`  [peers: ${n(buf.length)}-byte miniRIB; twin rings of ${n(ring160.ring.points)} and ${n(ring40.ring.points)} points ` +
    `(${ring160.ring.collisions + ring40.ring.collisions} point collisions merged), checked against a reference search on ${n(hashes.length)} keys]`);

  const keyLoop = `
    const mask = keys.length - 1; let pos = 0;
    return function () { let acc = 0, p = pos;
      for (let i = 0; i < inner; i++) { acc = (acc + STEP) | 0; p = (p + 1) & mask; }
      pos = p; return acc; };`;
  const RING160_JOB = `ring: key → owner, ${n(HASH_SERVERS)} servers × ${ring160.ring.points / HASH_SERVERS | 0} points (hashring default)`;
  const RING40_JOB = `ring: key → owner, ${n(HASH_SERVERS)} servers × ${ring40.ring.points / HASH_SERVERS | 0} points (consistent-hash default)`;
  const RDV_JOB = `rendezvous: key → owner of ${n(HASH_SERVERS)} servers`;
  const LB_JOB = `pick-2 among ${n(HASH_SERVERS)} endpoints, count the pick`;
  const HASH_JOB = 'info: xxh32String(key, 3) alone';
  const cases: Case[] = [];
  const peerKey = (job: string, who: string, obj: unknown, call: string, inner: number): void => {
    cases.push({ row: job, who, inner, fn: peerLoop(keyLoop.replace('STEP', call), ['obj', 'keys', 'inner'], [obj, keys, inner]) });
  };
  peerKey(RING160_JOB, 'hashring', hr, 'obj.get(keys[p]).length', 256);
  peerKey(RING40_JOB, 'consistent-hash', ch, 'obj.get(keys[p]).length', 256);
  peerKey(RDV_JOB, 'skeleton-rendezvous', sk, 'obj.findSite(keys[p]).length', 8);
  cases.push({ row: LB_JOB, who: 'load-balancers', inner: 1024, fn: peerLoop(
    'return function () { let acc = 0; for (let i = 0; i < inner; i++) acc = (acc + obj.pick()) | 0; return acc; };', ['obj', 'inner'], [p2c, 1024]) });
  cases.push({ row: HASH_JOB, who: 'js', inner: 256, fn: peerLoop(keyLoop.replace('STEP', 'hash(keys[p], SEED)'),
    ['hash', 'SEED', 'keys', 'inner'], [xxh32String, SEED_KEY, keys, 256]) });
  const routeKey = 'core.route(svc, HAS_KEY, hash(keys[p], SEED))';
  for (const { who, core } of cores) {
    const keyCase = (job: string, svcName: string, inner: number): void => {
      cases.push({ row: job, who, inner, fn: peerLoop(keyLoop.replace('STEP', routeKey),
        ['core', 'svc', 'hash', 'HAS_KEY', 'SEED', 'keys', 'inner'], [core, core.serviceIndex(svcName), xxh32String, ROUTE_HAS_KEY, SEED_KEY, keys, inner]) });
    };
    keyCase(RING160_JOB, 'ring-hashring', 256);
    keyCase(RING40_JOB, 'ring-consistent-hash', 256);
    keyCase(RDV_JOB, 'owners', 32);
    const lbSvc = core.serviceIndex('lb');
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
  const opsCell = (m: { opsPerSec: number; rme: number }): string => `${Math.round(m.opsPerSec).toLocaleString('en-US')} ±${m.rme.toFixed(1)}%`;
  const speedUp = (peerJob: string, peer: string, rrJob: string, who: string): number => {
    const p = find('peers', peerJob, peer), r = rr(rrJob, who);
    return p && r ? p.ns / r.ns : NaN;
  };
  const ours = (job: string, what: string): void => {
    for (const who of ['wasm', 'ts']) {
      const m = rr(job, who);
      if (m) rows.push([job, `ringroute ${who}: ${what}`, fmtNs(m.ns), opsCell(m), '', '']);
    }
  };
  const peerRow = (job: string, peer: string, label: string, target: string, bar: number): void => {
    const p = find('peers', job, peer);
    rows.push([job, label, p ? fmtNs(p.ns) : '—', p ? opsCell(p) : '—', x(speedUp(job, peer, job, 'wasm')), x(speedUp(job, peer, job, 'ts'))]);
    const s = speedUp(job, peer, job, best), r = rr(job, best);
    targets.push({
      target: `${target} (${best} core)`,
      measured: `${x(s)} (${peer} ${p ? fmtNs(p.ns) : '—'}, ringroute ${r ? fmtNs(r.ns) : '—'})`,
      met: Number.isFinite(s) ? (bar === 1 ? s > 1 : s >= bar) : null,
    });
  };
  peerRow(RING160_JOB, 'hashring', `hashring ${peerVersion('hashring')} get()`,
    `ringroute ≥ 10× hashring get, same ring (${n(HASH_SERVERS)} servers × ${Math.round(hrPoints)} points)`, 10);
  ours(RING160_JOB, `xxh32String + route(), shard map = the ring (${n(ring160.ring.starts.length)} ranges, 1 replica)`);
  peerRow(RING40_JOB, 'consistent-hash', `consistent-hash ${peerVersion('consistent-hash')} get(), uniform`,
    `ringroute faster than consistent-hash get, same ring (${n(HASH_SERVERS)} servers × ${Math.round(chPoints)} points)`, 1);
  ours(RING40_JOB, `xxh32String + route(), shard map = the ring (${n(ring40.ring.starts.length)} ranges, 1 replica)`);
  peerRow(RDV_JOB, 'skeleton-rendezvous', `skeleton-rendezvous ${peerVersion('skeleton-rendezvous')} findSite()`,
    'ringroute faster than skeleton-rendezvous findSite (rendezvous, 1,000 servers)', 1);
  ours(RDV_JOB, 'xxh32String + route(), key-rendezvous service, replicas 1 (O(n): scores every server)');
  // the comparison of earlier runs, kept in view: not like for like, not a target
  const XALG = 'different algorithm, not a target: hashring ring (O(log n)) vs ringroute key-rendezvous (O(n))';
  const hp = find('peers', RING160_JOB, 'hashring');
  rows.push([XALG, `hashring ${peerVersion('hashring')} get() ÷ ringroute key-rendezvous (row above)`, hp ? fmtNs(hp.ns) : '—', hp ? opsCell(hp) : '—',
    x(speedUp(RING160_JOB, 'hashring', RDV_JOB, 'wasm')), x(speedUp(RING160_JOB, 'hashring', RDV_JOB, 'ts'))]);
  const hj = rr(HASH_JOB, 'js');
  if (hj) rows.push([HASH_JOB, 'bindings/ts-core/hash.ts xxh32String (part of every ringroute key row above)', fmtNs(hj.ns), opsCell(hj), '', '']);
  peerRow(LB_JOB, 'load-balancers', `load-balancers ${peerVersion('load-balancers')} P2cBalancer.pick()`,
    'ringroute faster than load-balancers P2C pick', 1);
  ours(LB_JOB, 'route() (1 ring, subset off) + loads[d] += 1');
  const xalg = speedUp(RING160_JOB, 'hashring', RDV_JOB, best);
  peerNote.push(
    'The hashring and consistent-hash targets compare like with like: each peer\'s ring against ringroute\'s shard map built as the same ' +
      'kind of ring over the same 1,000 servers, with the peer\'s default number of points per server (table 5). ' +
      `For reference, not a target: hashring get() against ringroute's key-rendezvous (O(n) per key, a different algorithm) is ${x(xalg)} (${best} core).`);
  const t: Table = {
    title: '5. npm peers on their own jobs',
    intro: `String keys: ${n(keys.length)} random "user:N:profile" keys, cycled (hashring's 5,000-key LRU cache misses on them). ` +
      'Every ringroute row hashes the key (xxh32String, seed 3) and calls route() with ROUTE_HAS_KEY. Speed-up = peer ns ÷ ringroute ns.\n\n' +
      '**The ring rows are like for like.** hashring (ketama: md5, 40 vnodes × 4 points per server) and consistent-hash (40 points per ' +
      'server, uniform, in a 100,003-point range) are consistent-hash rings: sorted points, binary search, O(log n) per key. ' +
      'ringroute\'s ring is its shard map: over the same 1,000 servers, point v of a server at xxh32(`${serverId}#${v}`, seed 0), ' +
      'as many points per server as the peer builds by default, sorted; each point starts a shard owned by its server, [0, first point) ' +
      'belongs to the owner of the last point (the ring wraps), one replica per shard (role primary); route() binary-searches the starts. ' +
      `The twin rings were checked against a reference search over the same points (${n(hashes.length)} keys, both cores). ` +
      'The rendezvous row is like for like too (skeleton-rendezvous vs ringroute\'s key-rendezvous: topK over every server, O(n) per key). ' +
      'The "different algorithm" row keeps the comparison of earlier runs in view (hashring\'s O(log n) ring vs ringroute\'s O(n) rendezvous); ' +
      'no target is based on it.',
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

// ── 7. size and start-up ─────────────────────────────────────────────────────
/**
 * One start-up probe: `cmd` prints one line per measured run, the milliseconds first (other
 * `key=value` fields may follow). A probe that measures one run per process is spawned `runs`
 * times; a `batch` probe gets the run count as its last argument and prints them all.
 */
interface StartupProbe { name: string; cmd: () => string[]; batch?: boolean }

/** The lines (split into fields) of `runs` measured runs of a probe, or a one-line problem. */
function runProbe(p: StartupProbe, runs: number): { lines: string[][]; problem: string } {
  const lines: string[][] = [];
  let problem = '';
  try {
    const cmd = p.cmd();
    for (let i = 0; i < (p.batch ? 1 : runs); i++) {
      const args = p.batch ? [...cmd.slice(1), String(runs)] : cmd.slice(1);
      const r = spawnSync(cmd[0], args, { encoding: 'utf8', timeout: p.batch ? 180_000 : 60_000 });
      const out = (r.stdout ?? '').trim().split('\n').filter((l) => /^[0-9.]+/.test(l)).map((l) => l.trim().split(/\s+/));
      lines.push(...out);
      if (r.status !== 0 || out.length === 0) {
        problem = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n').pop() ?? '';
        break;
      }
    }
  } catch (e) {
    problem = (e as Error).message.split('\n')[0];
  }
  return { lines, problem };
}

/** The first line of `cmd --version` (or `fallback`). */
function versionOf(cmd: string[], fallback: string, pick = (s: string): string => s.split('\n')[0].trim()): string {
  try {
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 30_000 });
    return r.status === 0 ? pick(`${r.stdout}${r.stderr}`) || fallback : fallback;
  } catch {
    return fallback;
  }
}

async function groupStartup(): Promise<void> {
  console.log('\n# 7. module size, and bytes to first decision in each runtime');
  const root = new URL('../../', import.meta.url);
  const path = (p: string): string => new URL(p, root).pathname;
  const sizes: string[][] = [];
  for (const f of ['build/ringroute.wasm', 'build/ringroute.scalar.wasm']) {
    const bytes = readFileSync(path(f));
    sizes.push([f, `${n(bytes.length)} B`, `${n(gzipSync(bytes, { level: 9 }).length)} B`]);
  }
  const RUNS = QUICK ? 3 : 9;
  const { nodeBinary } = await import(path('scripts/node-versions.mjs')) as { nodeBinary(major: number): string };
  const rt = await import(path('scripts/runtimes.mjs')) as { denoBinary(): string; bunBinary(): string; denoVersion: string; bunVersion: string };
  const probe = path('bench/startup-probe.mjs');
  const wasm = path('build/ringroute.wasm'), rib = path('tests/golden/spill-half-of-ring-one.bin');
  // the C and Python probes run the wasm2c build (host/wasi/c: build/c/ringroute-c-startup, libringroute.so)
  let native: string | null = null;
  const make = (): void => {
    if (native === null) {
      const r = spawnSync('make', ['-s', '-C', path('host/wasi/c')], { encoding: 'utf8' });
      native = r.status === 0 ? '' : `make -C host/wasi/c failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
    }
    if (native) throw new Error(native);
  };
  const workerdBin = (): string => {
    const arch = ({ x64: '64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
    return [`node_modules/@cloudflare/workerd-${process.platform}-${arch}/bin/workerd`, 'node_modules/workerd/bin/workerd']
      .map(path).find((b) => { try { return readFileSync(b).length > 0; } catch { return false; } }) ?? 'workerd';
  };
  const chromiumVersion = versionOf(['/usr/bin/chromium', '--version'], '', (s) => /Chromium ([0-9.]+)/.exec(s)?.[1] ?? '');
  const workerdVersion = versionOf([workerdBin(), '--version'], '', (s) => s.trim().replace(/^workerd\s*/, ''));
  const gccVersion = versionOf(['gcc', '-dumpfullversion'], '');
  const pyVersion = versionOf(['python3', '--version'], '', (s) => s.trim().replace(/^Python\s*/, ''));
  const WORKERD = `workerd ${workerdVersion}`.trim();
  const probes: StartupProbe[] = [
    { name: `node ${process.versions.node}`, cmd: () => [process.execPath, probe, wasm, rib] },
    { name: 'node 22', cmd: () => [nodeBinary(22), probe, wasm, rib] },
    { name: 'node 24', cmd: () => [nodeBinary(24), probe, wasm, rib] },
    { name: `deno ${rt.denoVersion}`, cmd: () => [rt.denoBinary(), 'run', '--no-prompt', `--allow-read=${path('')}`, probe, wasm, rib] },
    { name: `bun ${rt.bunVersion}`, cmd: () => [rt.bunBinary(), probe, wasm, rib] },
    { name: `chromium ${chromiumVersion}`.trim() + ', page', batch: true, cmd: () => [process.execPath, path('host/browser/startup-runner.mjs'), wasm, rib] },
    { name: `chromium ${chromiumVersion}`.trim() + ', Web Worker', batch: true, cmd: () => [process.execPath, path('host/browser/startup-runner.mjs'), '--worker', wasm, rib] },
    { name: WORKERD, batch: true, cmd: () => [process.execPath, path('host/workerd/startup-runner.mjs'), wasm, rib] },
    { name: `WASI command (node:wasi, ${process.versions.node})`, cmd: () => [process.execPath, '--no-warnings', path('host/wasi/command/startup.mjs'), path('build/ringroute.wasi.wasm'), rib] },
    { name: `C, wasm2c 1.0.32 + gcc ${gccVersion}`, cmd: () => { make(); return [path('build/c/ringroute-c-startup'), rib]; } },
    { name: `python ${pyVersion}, ctypes over the C build`, cmd: () => { make(); return ['python3', path('host/wasi/python/startup.py'), rib]; } },
  ];
  const rows: string[][] = [];
  const field = (line: string[], key: string): number => Number(line.find((f) => f.startsWith(`${key}=`))?.slice(key.length + 1) ?? NaN);
  let workerdExtra = '';
  const fmtRuns = (times: number[]): string => times.map((t) => t.toFixed(t < 1 ? 2 : 1)).join(', ');
  const addRow = (name: string, times: number[], problem: string, targetName = name): void => {
    const ms = times.length ? median(times) : NaN;
    rows.push([name, times.length ? `${ms.toFixed(2)} ms` : `did not run: ${problem}`, fmtRuns(times)]);
    if (times.length) targets.push({ target: `first decision ≤ 20 ms after the bytes are in hand (${targetName})`, measured: `${ms.toFixed(2)} ms`, met: ms <= 20 });
    console.log(`  ${name}: ${times.length ? `median ${ms.toFixed(2)} ms of ${times.map((t) => t.toFixed(2)).join(', ')}` : `did not run: ${problem}`}`);
  };
  for (const p of probes) {
    const { lines, problem } = runProbe(p, RUNS);
    if (p.name !== WORKERD) {
      addRow(p.name, lines.map((l) => Number(l[0])), problem);
      continue;
    }
    // workerd: two rows from the same runs — the work timed inside the worker, and the whole first
    // request timed from Node (plus, for the note, a second no-op request and the time to listen)
    addRow(`${WORKERD}, in the worker (1 ms clock)`, lines.map((l) => field(l, 'worker')), problem, `${WORKERD}, instantiate + load + route in the worker`);
    const first = lines.map((l) => Number(l[0]));
    rows.push([`${WORKERD}, first request from Node`, first.length ? `${median(first).toFixed(2)} ms` : `did not run: ${problem}`, fmtRuns(first)]);
    console.log(`  ${WORKERD}, first request from Node: ${first.length ? `median ${median(first).toFixed(2)} ms of ${first.map((t) => t.toFixed(2)).join(', ')}` : `did not run: ${problem}`}`);
    if (lines.length) {
      workerdExtra = ` (this run: a no-op second request took a median ${median(lines.map((l) => field(l, 'noop'))).toFixed(2)} ms, ` +
        `and workerd listened a median ${median(lines.map((l) => field(l, 'ready'))).toFixed(0)} ms after its spawn)`;
    }
  }
  const gz = Number(sizes[0][2].replace(/[^0-9]/g, ''));
  targets.push({ target: 'ringroute.wasm ≤ 32 KB gzip', measured: sizes[0][2], met: gz <= 32 * 1024 });
  const t1: Table = {
    title: '7. module size and start-up',
    intro: 'Sizes of the two release builds (gzip -9). Start-up (7b): the time from the module bytes and the miniRIB of the ' +
      '`spill-half-of-ring-one` scenario in hand to the first decision (service 0, flags 0) through the flat ABI; ' +
      `median of ${RUNS} runs. What each row includes:\n\n` +
      '- **node, deno, bun**: a fresh process each run runs bench/startup-probe.mjs: compile (`new WebAssembly.Module`) + ' +
      'instantiate + rr_alloc, copy the miniRIB in, rr_load + one rr_route, performance.now().\n' +
      '- **chromium, page**: headless Chromium (Debian\'s, driven by playwright-core; host/browser/startup-runner.mjs), one browser, ' +
      'a new page (tab) per run loading host/browser/startup.html from a loopback server; the page fetches the .wasm and the miniRIB ' +
      'first (not timed), then times the same steps as the probe (synchronous `new WebAssembly.Module`) with performance.now() ' +
      '(coarsened to 0.1 ms on a page that is not cross-origin isolated).\n' +
      '- **workerd**: a fresh workerd process each run (host/workerd/startup-runner.mjs). workerd compiles no bytes at run time: it ' +
      'compiles ringroute.wasm when it starts, from the config, with the miniRIB as a data module, so compile is NOT in these figures. ' +
      'The first request (POST /startup) does instantiate + copy in + rr_load + rr_route (host/workerd/startup-worker.js). ' +
      '"in the worker": performance.now() around that work inside the handler (it advances in this local workerd, in 1 ms steps, ' +
      'so 1.00 means 0–2 ms). "first request from Node": the whole first request timed from Node on a new loopback connection ' +
      '(TCP connect + HTTP + workerd\'s own first-request costs + the work)' + workerdExtra + '.\n' +
      '- **C**: build/c/ringroute-c-startup (host/wasi/c/startup.c), a fresh process each run, clock_gettime around rr_open ' +
      '(the wasm2c runtime\'s and module\'s one-time init + a fresh instance and its linear memory) + rr_load_rib + rr_route_req. ' +
      'The module is compiled C (ringroute.scalar.wasm through wasm2c, gcc -O2 at build time): there is no compile step.\n' +
      '- **python**: host/wasi/python/startup.py in a fresh interpreter, perf_counter_ns around Router() (rr_open) + load + route ' +
      'through the ctypes binding over the same C build; the interpreter start, `import ringroute` and loading libringroute.so ' +
      '(dlopen + ctypes signatures) are excluded.',
    head: ['module', 'raw', 'gzip'],
    rows: sizes,
  };
  const t2: Table = { title: '7b. bytes to first decision', head: ['runtime', 'median', 'runs (ms)'], rows };
  tables.push(t1, t2);
  console.log(md(t1));
  console.log(md(t2));
}

// ── 8. WASM in V8 vs the native (wasm2c) build ────────────────────────────────
/**
 * The same decisions through the same module, once in V8 (the SIMD and the scalar build through
 * the flat ABI: core.route) and once compiled to native code by wasm2c + gcc
 * (build/c/ringroute-c-bench, bounds-checked memory, no guard pages), timed the same way: one call
 * per decision in a plain loop, mean over a fixed count, in the same run.
 */
function groupNative(set: CoreSet): void {
  console.log('\n# 8. WASM in V8 vs native C (wasm2c), the same decisions');
  const root = new URL('../../', import.meta.url);
  const path = (p: string): string => new URL(p, root).pathname;
  const make = spawnSync('make', ['-s', '-C', path('host/wasi/c')], { encoding: 'utf8' });
  if (make.status !== 0) {
    notes.push(`group 8 skipped: make -C host/wasi/c failed (${(make.stderr || make.error?.message || '').split('\n')[0]})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ringroute-native-'));
  const keys = F.keyHashes(1 << 16);
  writeFileSync(join(dir, 'keys.u32'), new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength));
  const cases: [string, RibModel, boolean][] = [
    ['route · 1,000 servers, 4 rings, subset 20', F.rib([F.plainService('web', 1000, 20)]), false],
    ['owners · 1,000 servers · replicas 3', F.rib([F.hashService('owners', 1000, 3)]), true],
  ];
  const iters = QUICK ? 200_000 : 3_000_000;
  const rows: string[][] = [];
  for (const [label, model, keyed] of cases) {
    const buf = encodeMiniRib(model, F.CLIENT);
    const ribFile = join(dir, 'case.bin');
    writeFileSync(ribFile, buf);
    const count = keyed ? Math.max(1, Math.floor(iters / 200)) : iters;
    const timeJs = (who: CoreName): number => {
      const make = set.make[who];
      if (!make) return NaN;
      const core = make();
      core.load(buf);
      const flags = keyed ? ROUTE_HAS_KEY : 0;
      let acc = 0;
      for (let i = 0; i < count / 10; i++) acc += core.route(0, flags, keys[i & 0xffff]);
      const t0 = performance.now();
      for (let i = 0; i < count; i++) acc += core.route(0, flags, keys[i & 0xffff]);
      const ns = ((performance.now() - t0) * 1e6) / count;
      consume(acc);
      return ns;
    };
    const wasm = timeJs('wasm'), scalar = timeJs('wasm-scalar');
    const c = spawnSync(path('build/c/ringroute-c-bench'), [ribFile, '0', String(count), ...(keyed ? [join(dir, 'keys.u32')] : [])], { encoding: 'utf8' });
    const native = c.status === 0 ? Number(c.stdout.split(' ')[0]) : NaN;
    rows.push([label, fmtNs(wasm), fmtNs(scalar), fmtNs(native), x(wasm / native), x(scalar / native)]);
    targets.push({ target: `WASM in V8 ÷ native C ≤ 2×, ${label}`, measured: `${x(wasm / native)} (V8 ${fmtNs(wasm)}, C ${fmtNs(native)})`, met: Number.isFinite(wasm / native) ? wasm / native <= 2 : null });
  }
  rmSync(dir, { recursive: true, force: true });
  const t: Table = {
    title: '8. WASM in V8 vs native C (wasm2c)',
    intro: 'The same module and decisions: in V8 through the flat ABI (core.route per decision), and compiled to C by wasm2c ' +
      '(Debian wabt 1.0.32, the scalar build: it rejects v128) and gcc -O2 -ffp-contract=off, with bounds-checked memory ' +
      '(no guard pages or signal handler: host/wasi/c/ringroute.h), called per decision from a C loop (build/c/ringroute-c-bench). ' +
      `Mean over ${n(iters)} decisions (key-rendezvous: ${n(Math.max(1, Math.floor(iters / 200)))}), same run. Loads all 0.`,
    head: ['case', 'wasm (v128) in V8', 'wasm scalar in V8', 'native C (wasm2c)', 'v128 in V8 ÷ C', 'scalar in V8 ÷ C'],
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
  notes.push(`ran on ${process.version} from ${process.execPath}, not the system Node (a node_modules/.bin/node first in PATH?)`);
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
if (enabled('startup')) await groupStartup();
if (enabled('native')) groupNative(set);

const seconds = (performance.now() - started) / 1000;
const tt = targetsTable(targets);
if (peerNote.length) tt.after = peerNote;
console.log('\n' + md(tt));
console.log(`sink ${sink()} · ${seconds.toFixed(0)} s`);
if (OUT !== null) {
  writeResults(OUT, {
    command: `node dist/bench/run.js ${argv.join(' ')}`.trim(),
    quick: QUICK, only: ONLY, cores: coreNames, notes, sink: sink(), seconds, loadStart: LOAD_AVG_START[0],
  }, tt, tables);
  console.log(`wrote ${OUT}`);
}
