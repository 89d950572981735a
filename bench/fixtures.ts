// Data builders of the benchmark suite: JSON models (bindings/model.ts) for the routing cases, and
// the precomputed request inputs (random u32 key hashes, string keys). Everything is drawn from a
// seeded PRNG, so two runs (and the two cores of one run) see exactly the same data.
import type { ClientModel, RibModel, ServerModel, ServiceModel } from '../bindings/model.js';
import { xxh32String } from '../bindings/ts-core/hash.js';

/** mulberry32: a small seeded PRNG for fixtures (not the router's RNG). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The four regions, as seen from the client in `local`: 300 µs, 20 ms, 60 ms, 150 ms. */
export const REGIONS = ['local', 'near', 'far', 'remote'];
const RTT_FROM_LOCAL = [300, 20000, 60000, 150000];
/** Rows for the other regions: symmetric distances |i − j| scaled; only row 0 matters to routing. */
export const RTT_US: number[][] = REGIONS.map((_, i) =>
  REGIONS.map((__, j) => (i === 0 ? RTT_FROM_LOCAL[j] : j === 0 ? RTT_FROM_LOCAL[i] : i === j ? 300 : 40000 * Math.abs(i - j))),
);
/** Default rings [5000, 35000, 80000, unbounded]: local → ring 0, near → 1, far → 2, remote → 3. */
export const RINGS_US: (number | null)[] = [5000, 35000, 80000, null];
/** Keep 90% of requests in each ring before spilling to the next one. */
export const SPILL = { local: [0.9, 0.9, 0.9, 1] };
export const CLIENT: ClientModel = { id: 'bench-client-1', region: 'local', seed: 7 };

/** "10.x.y.z:port", unique for g < 2^24 · 1000. */
export function serverId(g: number): string {
  return `10.${(g >>> 16) & 255}.${(g >>> 8) & 255}.${g & 255}:${8000 + Math.floor(g / 16777216)}`;
}

/** n servers spread round-robin over the 4 regions, weights 1 … 4, all up. */
export function servers(n: number, seed = 1): ServerModel[] {
  const r = prng(seed);
  const out: ServerModel[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { id: serverId(i), region: REGIONS[i & 3], weight: 1 + (r() & 3) };
  return out;
}

export function plainService(name: string, n: number, subset: number): ServiceModel {
  return { name, servers: servers(n), rings_us: RINGS_US, spill: SPILL, subset };
}

export function hashService(name: string, n: number, replicas: number): ServiceModel {
  return { name, servers: servers(n), rings_us: RINGS_US, spill: SPILL, hash: { replicas } };
}

/**
 * `shards` equal ranges of the u32 key space over `nServers` servers, 3 distinct replicas per shard
 * (the first one primary), drawn at random.
 */
export function shardedService(name: string, shards: number, nServers: number, seed = 2): ServiceModel {
  const r = prng(seed);
  const starts = new Array<number>(shards);
  const replicas = new Array<{ server: number; role: 'primary' | 'secondary' }[]>(shards);
  for (let i = 0; i < shards; i++) {
    starts[i] = Math.floor((i * 4294967296) / shards);
    const a = r() % nServers;
    let b = r() % nServers;
    while (b === a) b = r() % nServers;
    let c = r() % nServers;
    while (c === a || c === b) c = r() % nServers;
    replicas[i] = [
      { server: a, role: 'primary' },
      { server: b, role: 'secondary' },
      { server: c, role: 'secondary' },
    ];
  }
  return { name, servers: servers(nServers), rings_us: RINGS_US, spill: SPILL, shards: { starts, replicas } };
}

/**
 * Seed of the ring point hash: point v of a server is xxh32(UTF-8 of `${serverId}#${v}`, seed 0).
 * Any good 32-bit hash would do (hashring uses md5, consistent-hash spreads points uniformly); xxh32
 * is the one at hand, and the points are computed once, when the fixture is built.
 */
export const RING_POINT_SEED = 0;

/**
 * A consistent-hash ring as a ringroute shard map: `perServer` points per server, sorted; each
 * point starts a range owned by its server, up to the next point; [0, first point) belongs to the
 * owner of the last point (the ring wraps). Equal points (a 32-bit collision) keep the one of the
 * lower server index. owners[i] owns [starts[i], starts[i + 1]).
 */
export interface HashRing { starts: number[]; owners: number[]; points: number; collisions: number }

export function hashRing(ids: string[], perServer: number): HashRing {
  const mult = 2 ** Math.ceil(Math.log2(Math.max(2, ids.length)));
  if (mult * 2 ** 32 > 2 ** 53) throw new Error(`hashRing: ${ids.length} servers: too many to pack`);
  const packed = new Float64Array(ids.length * perServer);
  let k = 0;
  for (let s = 0; s < ids.length; s++) {
    for (let v = 0; v < perServer; v++) packed[k++] = xxh32String(`${ids[s]}#${v}`, RING_POINT_SEED) * mult + s;
  }
  packed.sort();
  const values: number[] = [], servers: number[] = [];
  for (let i = 0; i < packed.length; i++) {
    const value = Math.floor(packed[i] / mult);
    if (values.length > 0 && values[values.length - 1] === value) continue;
    values.push(value);
    servers.push(packed[i] - value * mult);
  }
  const collisions = packed.length - values.length;
  if (values[0] === 0) return { starts: values, owners: servers, points: values.length, collisions };
  return { starts: [0, ...values], owners: [servers[servers.length - 1], ...servers], points: values.length, collisions };
}

/** The owner of key hash h on a ring: the range with the greatest start ≤ h (reference search). */
export function ringOwner(ring: HashRing, h: number): number {
  let lo = 0, hi = ring.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ring.starts[mid] <= h) lo = mid;
    else hi = mid - 1;
  }
  return ring.owners[lo];
}

/**
 * A sharded service that IS a consistent-hash ring over `nServers` servers (the ids and regions of
 * servers()), `perServer` points each: one shard per point, one replica (role primary).
 */
export function ringService(name: string, nServers: number, perServer: number): { svc: ServiceModel; ring: HashRing } {
  const list = servers(nServers);
  const ring = hashRing(list.map((s) => s.id), perServer);
  const replicas = ring.owners.map((server) => [{ server, role: 'primary' as const }]);
  return { svc: { name, servers: list, rings_us: RINGS_US, spill: SPILL, shards: { starts: ring.starts, replicas } }, ring };
}

export function rib(services: ServiceModel[]): RibModel {
  return { regions: REGIONS, rtt_us: RTT_US, services };
}

/**
 * The big miniRIB of the load group: `total` servers in four services (plain with a subset, plain
 * without, key-rendezvous, plain with a subset), ids "10.x.y.z:port" unique across the whole RIB.
 */
export function bigRib(total: number): RibModel {
  const parts = [0.4, 0.3, 0.2, 0.1].map((f) => Math.floor(total * f));
  parts[3] = total - parts[0] - parts[1] - parts[2];
  const r = prng(3);
  let g = 0;
  const make = (n: number): ServerModel[] => {
    const out: ServerModel[] = new Array(n);
    for (let i = 0; i < n; i++, g++) out[i] = { id: serverId(g), region: REGIONS[g & 3], weight: 1 + (r() & 3) };
    return out;
  };
  return rib([
    { name: 'web', servers: make(parts[0]), rings_us: RINGS_US, spill: SPILL, subset: 20 },
    { name: 'api', servers: make(parts[1]), rings_us: RINGS_US, spill: SPILL },
    { name: 'cache', servers: make(parts[2]), rings_us: RINGS_US, spill: SPILL, hash: { replicas: 3 } },
    { name: 'search', servers: make(parts[3]), rings_us: RINGS_US, spill: SPILL, subset: 50 },
  ]);
}

/** Total UTF-8 bytes of the server ids of a model (ASCII ids: their length). */
export function idBytes(model: RibModel): number {
  let n = 0;
  for (const svc of model.services) for (const s of svc.servers) n += Buffer.byteLength(s.id, 'utf8');
  return n;
}

/** n random u32 key hashes (n a power of two so callers can cycle with a mask). */
export function keyHashes(n: number, seed = 11): Uint32Array {
  const r = prng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

/** n random string keys like "user:1234567:profile". */
export function stringKeys(n: number, seed = 12): string[] {
  const r = prng(seed);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = `user:${r() % 100000000}:profile`;
  return out;
}

/** Nonzero loads (1 … 8) for every server, so pick-2 really compares. */
export function fillLoads(loads: Float64Array, seed = 13): void {
  const r = prng(seed);
  for (let i = 0; i < loads.length; i++) loads[i] = 1 + (r() & 7);
}
