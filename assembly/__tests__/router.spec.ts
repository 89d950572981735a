import { alloc, free } from '../alloc';
import * as E from '../errors';
import * as L from '../layout';
import { rngState, setRngState } from '../rng';
import { loadRib, loadsPtr, route, routeBatch, serverFirst, serviceCount, setPackRecords } from '../router';
import { RibBuilder, TestRng } from './ribbuilder';

const UNBOUNDED: u32 = 0xffffffff;
const RINGS: u32[] = [5000, 35000, UNBOUNDED];

/** A random replica list of up to `most` distinct servers of `n`, at most one primary. */
function randomList(rng: TestRng, n: u32, most: u32): u32[] {
  const out: u32[] = [];
  const want = rng.below(most + 1);
  let primary = false;
  for (let q: u32 = 0; q < want; q++) {
    const idx = rng.below(n);
    let seen = false;
    for (let i = 0; i < out.length; i++) if ((out[i] & L.REPLICA_INDEX_MASK) == idx) seen = true;
    if (seen) continue;
    const role: u32 = !primary && rng.below(3) == 0 ? L.ROLE_PRIMARY : L.ROLE_SECONDARY;
    if (role == L.ROLE_PRIMARY) primary = true;
    out.push(idx | (role << L.REPLICA_INDEX_BITS));
  }
  return out;
}

function servers(b: RibBuilder, rng: TestRng, prefix: string, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const st = rng.below(8);
    b.server(prefix + i.toString(), rng.below(3), 1 + rng.below(5), <u8>(st == 0 ? L.STATE_DOWN : st == 1 ? L.STATE_DRAINING : L.STATE_UP));
  }
}

/**
 * Services: 0 "kv" 70,000 shards (more than the 2^16 buckets of the index; packed records),
 * 1 "wide" 40 shards, one with 16 replicas (1 + 16 > 16 words: the lists + replicas fallback),
 * 2 "web" ring-routed with a subset, 3 "kv2" 300 shards with crowded starts.
 */
function buildRib(): void {
  const rng = new TestRng(12345);
  const b = new RibBuilder(3);
  b.service('kv', RINGS, 0, 0);
  servers(b, rng, 'kv-', 60);
  b.spill(0, [32768, 50000, 65536]);
  const m: u32 = 70000;
  let start: u32 = 0;
  for (let i: u32 = 0; i < m; i++) {
    b.shard(start, randomList(rng, 60, 5));
    start += 1 + rng.below(<u32>(0x100000000 / <u64>m) * 3 / 2); // ends near 3/4 of the key space
  }
  b.service('wide', RINGS, 0, 0);
  servers(b, rng, 'w-', 24);
  b.spill(0, [20000, 65536, 65536]);
  for (let i: u32 = 0; i < 40; i++) {
    if (i == 7) {
      const all: u32[] = [];
      for (let k: u32 = 0; k < 16; k++) all.push(k | (k == 3 ? L.ROLE_PRIMARY << L.REPLICA_INDEX_BITS : 0));
      b.shard(i * 100000000, all);
    } else {
      b.shard(i * 100000000, randomList(rng, 24, 6));
    }
  }
  b.service('web', RINGS, 4, 0);
  servers(b, rng, 'web-', 30);
  b.spill(0, [40000, 40000, 65536]);
  b.service('kv2', RINGS, 0, 0);
  servers(b, rng, 'k2-', 10);
  for (let i: u32 = 0; i < 300; i++) b.shard(i * 7, randomList(rng, 10, 4)); // all in bucket 0
  const len = alloc(4);
  const p = b.build(len);
  const code = loadRib(p, load<u32>(len));
  expect<i32>(code).toBe(0, 'the built miniRIB loads');
}

let loaded = false;
function ensureLoaded(): void {
  if (!loaded) { buildRib(); loaded = true; }
}

/** `count` random requests (12 bytes each) over the services, invalid indexes and flags. */
function requests(count: u32, seed: u32): u32 {
  const rng = new TestRng(seed);
  const req = alloc(count * 12);
  for (let j: u32 = 0; j < count; j++) {
    const pickSvc = rng.below(10);
    const svc: i32 = pickSvc < 4 ? 0 : pickSvc < 6 ? 1 : pickSvc < 7 ? 2 : pickSvc < 8 ? 3 : pickSvc < 9 ? 4 : -1;
    const flags = rng.below(10) == 0 ? L.ROUTE_PRIMARY : rng.below(2) == 0 ? L.ROUTE_HAS_KEY : L.ROUTE_HAS_KEY | L.ROUTE_PRIMARY;
    store<i32>(req + j * 12, svc);
    store<u32>(req + j * 12, flags, 4);
    store<u32>(req + j * 12, rng.next(), 8);
  }
  return req;
}

/** routeBatch gives exactly what route() one request at a time gives: decisions, RNG, loads. */
function batchEqualsSingle(count: u32, seed: u32, track: bool): void {
  ensureLoaded();
  const req = requests(count, seed);
  const N = serverFirst(<i32>serviceCount() - 1) + 10;
  const loads0 = alloc(N * 8);
  memory.copy(loads0, loadsPtr(), N * 8);
  const rng0 = rngState();

  const single = alloc(count * 4);
  for (let j: u32 = 0; j < count; j++) {
    const svc = load<i32>(req + j * 12);
    const d = route(svc, load<u32>(req + j * 12, 4), load<u32>(req + j * 12, 8));
    store<i32>(single + j * 4, d);
    if (track && d >= 0) {
      const slot = loadsPtr() + (serverFirst(svc) + <u32>d) * 8;
      store<f64>(slot, load<f64>(slot) + 1.0);
    }
  }
  const rng1 = rngState();
  const loads1 = alloc(N * 8);
  memory.copy(loads1, loadsPtr(), N * 8);

  memory.copy(loadsPtr(), loads0, N * 8);
  setRngState(rng0);
  const batch = alloc(count * 4);
  routeBatch(req, count, batch, track);

  let ok: u32 = 0, decided: u32 = 0, replicaErrors: u32 = 0;
  for (let j: u32 = 0; j < count; j++) {
    const d = load<i32>(single + j * 4);
    if (load<i32>(batch + j * 4) == d) ok++;
    if (d >= 0) decided++;
    if (d == -E.NO_REPLICA) replicaErrors++;
  }
  expect<u32>(ok).toBe(count, 'every batch decision equals route()');
  expect<u32>(rngState()).toBe(rng1, 'the same draws in the same order');
  expect<i32>(memory.compare(loads1, loadsPtr(), N * 8)).toBe(0, 'the same tracked loads');
  if (count >= 1000) {
    expect<bool>(decided > count / 3).toBe(true, 'most requests are decided');
    expect<bool>(replicaErrors > 0).toBe(true, 'some shards have no usable replica');
  }
  free(req); free(loads0); free(single); free(loads1); free(batch);
}

describe('routeBatch', () => {
  it('equals route() one by one (packed records, fallback lists, mixed services), untracked', () => {
    batchEqualsSingle(5000, 1, false);
  });
  it('equals route() one by one with tracked loads, chunk boundaries included', () => {
    batchEqualsSingle(64 * 7 + 13, 2, true);
    batchEqualsSingle(1, 3, true);
    batchEqualsSingle(64, 4, true);
    batchEqualsSingle(3000, 5, true);
  });
});

describe('route on a sharded service', () => {
  it('decides the same from packed records as from the miniRIB lists', () => {
    ensureLoaded();
    const count: u32 = 20000;
    const req = requests(count, 9);
    const packed = alloc(count * 4);
    const rng0 = rngState();
    for (let j: u32 = 0; j < count; j++) store<i32>(packed + j * 4, route(load<i32>(req + j * 12), load<u32>(req + j * 12, 4), load<u32>(req + j * 12, 8)));
    const rng1 = rngState();
    setPackRecords(false);
    buildRib(); // the same data again, now without records (loads carry over, the stream stays)
    setPackRecords(true);
    setRngState(rng0);
    let ok: u32 = 0;
    for (let j: u32 = 0; j < count; j++) {
      if (route(load<i32>(req + j * 12), load<u32>(req + j * 12, 4), load<u32>(req + j * 12, 8)) == load<i32>(packed + j * 4)) ok++;
    }
    expect<u32>(ok).toBe(count);
    expect<u32>(rngState()).toBe(rng1);
    batchEqualsSingle(2000, 10, true); // and the batch over the fallback everywhere
    buildRib(); // back to packed records for the other tests
  });
  it('routes the 16-replica shard (fallback) to its primary with role primary', () => {
    ensureLoaded();
    for (let q: u32 = 0; q < 50; q++) {
      const d = route(1, L.ROUTE_HAS_KEY | L.ROUTE_PRIMARY, 700000000 + q * 1000000);
      expect<bool>(d == 3 || d == -E.NO_REPLICA).toBe(true);
    }
  });
});
