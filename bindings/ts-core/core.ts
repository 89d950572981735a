// The pure-TypeScript routing core: the same contract as the WASM core (bindings/core.ts,
// spec/routing.md) over the same miniRIB, with no WebAssembly. It is the baseline the WASM core is
// benchmarked against, so it is tuned honestly: typed arrays, Math.imul, no allocation per call.
//
// Per generation (load): validate (minirib.ts), then derive what route() needs so that a request
// does O(1) work for plain services (ring groups and their subsets precomputed), O(log shards +
// replicas) for sharded ones and O(n) only for key-rendezvous (inherent: one score per server).
import type { Core } from '../core.js';
import * as E from '../errors.js';
import * as L from '../layout.js';
import { xxh32 } from './hash.js';
import { equalAcross, type MiniRib, readMiniRib, StringSet } from './minirib.js';
import { type PickOther, pick2 } from './pick2.js';
import { chooseRing, keepsFor, ringOf } from './rings.js';
import { Rng } from './rng.js';
import { topK } from './rendezvous.js';
import { buildShardIndex, findShard, type ShardIndex } from './shardmap.js';

const PLAIN = 0, HASH = 1, SHARDED = 2;
const BATCH_CHUNK = 64;

interface Service {
  first: number;
  count: number;
  kind: number;
  /** plain: the non-empty ring groups in ascending ring order (global slots, subset applied) */
  groups: Int32Array[];
  groupRing: Int32Array;
  keeps: Int32Array;
  /** hash: the up pool in RIB order, its packed hashes and weights, and k */
  k: number;
  poolSlots: Int32Array;
  poolHash: Uint32Array;
  poolWeight: Float64Array;
  poolWmax: number;
  /** sharded: the index over starts, the lists and packed replicas, each server's ring (−1: none) */
  shards: ShardIndex | null;
  lists: Uint32Array;
  replicas: Uint32Array;
  serverRing: Int32Array;
  maxReplicas: number;
  /** the packed per-shard replica records (see packShards), stride 0 when not packed */
  rec: Uint32Array;
  stride: number;
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
const utf8 = new TextDecoder();

/** One immutable generation of routing data plus its (mutable) load table. */
class Generation {
  readonly names = new Map<string, number>();
  readonly services: Service[] = [];
  readonly loads: Float64Array;
  readonly weights: Float64Array;
  readonly state: Uint8Array;
  readonly ids: (string | undefined)[];
  // per-request scratch, sized for the largest pool of this generation
  readonly cand: Int32Array;
  readonly candRing: Int32Array;
  readonly rankScore: Float64Array;
  readonly rankPos: Int32Array;

  constructor(readonly rib: MiniRib) {
    const { u32, bytes, off, N, S } = rib;
    this.loads = new Float64Array(N);
    this.weights = new Float64Array(N);
    const wBase = off[L.S_SERVER_WEIGHT] >>> 2;
    for (let g = 0; g < N; g++) this.weights[g] = u32[wBase + g];
    this.state = bytes.subarray(off[L.S_SERVER_STATE], off[L.S_SERVER_STATE] + N);
    this.ids = new Array(N);
    const strOff = off[L.S_STRINGS];
    const clientHash = xxh32(bytes, L.SEED_CLIENT, strOff + rib.clientIdOff, rib.clientIdLen);
    const hashBase = off[L.S_SERVER_HASH] >>> 2;
    const regionBase = off[L.S_SERVER_REGION] >>> 2;
    let maxPool = 1, maxK = 1;
    const hashes = u32.subarray(hashBase, hashBase + N);
    for (let s = 0; s < S; s++) {
      const rec = (off[L.S_SERVICES] >>> 2) + s * (L.SERVICES_ENTRY / 4);
      const f = (field: number): number => u32[rec + field / 4];
      this.names.set(utf8.decode(bytes.subarray(strOff + f(L.SV_NAME_OFF), strOff + f(L.SV_NAME_OFF) + f(L.SV_NAME_LEN))), s);
      const first = f(L.SV_SERVER_FIRST), count = f(L.SV_SERVER_COUNT);
      const ringFirst = f(L.SV_RING_FIRST), ringCount = f(L.SV_RING_COUNT);
      const svc: Service = {
        first, count, kind: PLAIN, groups: [], groupRing: EMPTY_I32, keeps: keepsFor(rib, rec),
        k: 0, poolSlots: EMPTY_I32, poolHash: EMPTY_U32, poolWeight: EMPTY_F64, poolWmax: 0,
        shards: null, lists: EMPTY_U32, replicas: EMPTY_U32, serverRing: EMPTY_I32, maxReplicas: 0,
        rec: EMPTY_U32, stride: 0,
      };
      // a server's ring depends only on its region: one lookup per region, not per server
      const ringOfRegion = new Int32Array(rib.R);
      for (let r = 0; r < rib.R; r++) ringOfRegion[r] = ringOf(rib, r, ringFirst, ringCount);
      const state = this.state;
      if (f(L.SV_SHARD_COUNT) > 0) {
        svc.kind = SHARDED;
        const sf = f(L.SV_SHARD_FIRST), sc = f(L.SV_SHARD_COUNT);
        const startsW = (off[L.S_SHARD_STARTS] >>> 2) + sf;
        svc.shards = buildShardIndex(u32.subarray(startsW, startsW + sc));
        const listsW = (off[L.S_SHARD_LISTS] >>> 2) + 2 * sf;
        svc.lists = u32.subarray(listsW, listsW + 2 * sc);
        const repW = (off[L.S_SHARD_REPLICAS] >>> 2) + f(L.SV_REPLICA_FIRST);
        svc.replicas = u32.subarray(repW, repW + f(L.SV_REPLICA_COUNT));
        svc.serverRing = new Int32Array(count);
        for (let i = 0; i < count; i++) svc.serverRing[i] = ringOfRegion[u32[regionBase + first + i]];
        for (let i = 0; i < sc; i++) svc.maxReplicas = Math.max(svc.maxReplicas, svc.lists[2 * i + 1]);
        maxPool = Math.max(maxPool, svc.maxReplicas);
        packShards(svc, sc);
      } else if (f(L.SV_HASH_REPLICAS) > 0) {
        svc.kind = HASH;
        svc.k = f(L.SV_HASH_REPLICAS);
        let n = 0;
        for (let g = first; g < first + count; g++) if (state[g] === L.STATE_UP) n++;
        svc.poolSlots = new Int32Array(n);
        svc.poolHash = new Uint32Array(n);
        svc.poolWeight = new Float64Array(n);
        for (let g = first, i = 0; g < first + count; g++) {
          if (state[g] !== L.STATE_UP) continue;
          svc.poolSlots[i] = g;
          svc.poolHash[i] = hashes[g];
          svc.poolWeight[i] = this.weights[g];
          if (this.weights[g] > svc.poolWmax) svc.poolWmax = this.weights[g];
          i++;
        }
        maxPool = Math.max(maxPool, n);
        maxK = Math.max(maxK, Math.min(svc.k, n));
      } else {
        // plain: the up servers grouped by ring in RIB order (a counting sort), then the subsets
        const sizes = new Int32Array(ringCount);
        for (let g = first; g < first + count; g++) {
          if (state[g] !== L.STATE_UP) continue;
          const r = ringOfRegion[u32[regionBase + g]];
          if (r >= 0) sizes[r]++;
        }
        const byRing = Array.from({ length: ringCount }, (_, r) => new Int32Array(sizes[r]));
        sizes.fill(0);
        for (let g = first; g < first + count; g++) {
          if (state[g] !== L.STATE_UP) continue;
          const r = ringOfRegion[u32[regionBase + g]];
          if (r >= 0) byRing[r][sizes[r]++] = g;
        }
        const subset = f(L.SV_SUBSET);
        const rings: number[] = [];
        for (let r = 0; r < ringCount; r++) {
          let group: Int32Array = byRing[r];
          if (group.length === 0) continue;
          if (subset > 0 && group.length > subset) group = subsetOf(group, subset, clientHash, hashes, this.weights);
          svc.groups.push(group);
          rings.push(r);
        }
        svc.groupRing = Int32Array.from(rings);
      }
      this.services.push(svc);
    }
    this.cand = new Int32Array(maxPool);
    this.candRing = new Int32Array(maxPool);
    this.rankScore = new Float64Array(maxK);
    this.rankPos = new Int32Array(maxK);
  }

  serverId(g: number): string {
    let id = this.ids[g];
    if (id === undefined) {
      const w = (this.rib.off[L.S_SERVER_IDS] >>> 2) + 2 * g;
      const o = this.rib.off[L.S_STRINGS] + this.rib.u32[w];
      id = utf8.decode(this.rib.bytes.subarray(o, o + this.rib.u32[w + 1]));
      this.ids[g] = id;
    }
    return id;
  }

  /**
   * Copies the loads of servers that keep their (service name, id) from the previous generation.
   * Most updates keep most servers where they were (a drain, a weight change, servers appended),
   * so each server is first compared with the one at the same index (hash, then bytes): O(n)
   * sequential. Only the servers that moved are looked up in a table of the old ids.
   */
  carryLoads(prev: Generation): void {
    const rib = this.rib, old = prev.rib;
    const oIds = old.off[L.S_SERVER_IDS] >>> 2, oHash = old.off[L.S_SERVER_HASH] >>> 2, oStr = old.off[L.S_STRINGS];
    const nIds = rib.off[L.S_SERVER_IDS] >>> 2, nHash = rib.off[L.S_SERVER_HASH] >>> 2, nStr = rib.off[L.S_STRINGS];
    for (const [name, s] of this.names) {
      const ps = prev.names.get(name);
      if (ps === undefined) continue;
      const o = prev.services[ps], n = this.services[s];
      let any = false;
      for (let g = o.first; g < o.first + o.count && !any; g++) any = prev.loads[g] !== 0;
      if (!any) continue;
      let moved = 0;
      const matched = new Uint8Array(n.count);
      for (let i = 0; i < n.count; i++) {
        const g = n.first + i, og = o.first + i;
        const len = rib.u32[nIds + 2 * g + 1];
        if (i < o.count && rib.u32[nHash + g] === old.u32[oHash + og] && old.u32[oIds + 2 * og + 1] === len
          && equalAcross(rib.bytes, nStr + rib.u32[nIds + 2 * g], old.bytes, oStr + old.u32[oIds + 2 * og], len)) {
          this.loads[g] = prev.loads[og];
          matched[i] = 1;
        } else {
          moved++;
        }
      }
      if (moved === 0) continue;
      const oldIds = new StringSet(old.bytes, o.count);
      for (let i = 0; i < o.count; i++) {
        const g = o.first + i;
        oldIds.add(i, old.u32[oHash + g], oStr + old.u32[oIds + 2 * g], old.u32[oIds + 2 * g + 1]);
      }
      for (let i = 0; i < n.count; i++) {
        const g = n.first + i;
        if (matched[i] === 1) continue;
        const j = oldIds.find(rib.u32[nHash + g], nStr + rib.u32[nIds + 2 * g], rib.u32[nIds + 2 * g + 1], rib.bytes);
        if (j >= 0) this.loads[g] = prev.loads[o.first + j];
      }
    }
  }
}

/**
 * The packed per-shard replica records, built once per load so that a lookup's second memory
 * access is one cache line (the first is the shard's start): W = the smallest power of two
 * ≥ 1 + the most replicas of any shard, record i at rec[i·W]:
 *
 *   ┌────────┬──────────┬──────────┬─────┬──────────────┐
 *   │ count  │ entry 0  │ entry 1  │ ... │ (zero pad)   │   W u32 words; an entry is as in
 *   └────────┴──────────┴──────────┴─────┴──────────────┘   SHARD_REPLICAS: index | role << 28
 *
 * A map with more than MAX_PACKED − 1 replicas in some shard keeps reading SHARD_LISTS and
 * SHARD_REPLICAS in place (stride 0): packing it would waste more memory than it saves misses.
 */
const MAX_PACKED = 16;
function packShards(svc: Service, shards: number): void {
  if (svc.maxReplicas + 1 > MAX_PACKED) return;
  let w = 1;
  while (w < svc.maxReplicas + 1) w *= 2;
  const rec = new Uint32Array(shards * w);
  for (let i = 0; i < shards; i++) {
    const first = svc.lists[2 * i], n = svc.lists[2 * i + 1];
    rec[i * w] = n;
    for (let q = 0; q < n; q++) rec[i * w + 1 + q] = svc.replicas[first + q];
  }
  svc.rec = rec;
  svc.stride = w;
}

/** topK(group, k, client hash) over global slots, returned as slots in group order. */
function subsetOf(group: Int32Array, k: number, anchor: number, hashes: Uint32Array, weights: Float64Array): Int32Array {
  const n = group.length;
  const h = new Uint32Array(n);
  const w = new Float64Array(n);
  let wmax = 0;
  for (let i = 0; i < n; i++) {
    h[i] = hashes[group[i]];
    w[i] = weights[group[i]];
    if (w[i] > wmax) wmax = w[i];
  }
  const pos = new Int32Array(k);
  topK(h, w, n, k, anchor, wmax, pos, new Float64Array(k), new Int32Array(k));
  for (let i = 0; i < k; i++) pos[i] = group[pos[i]];
  return pos;
}

export class TsCore implements Core {
  readonly kind = 'ts' as const;
  private gen: Generation | null = null;
  private readonly rng = new Rng(0);
  /** The last decision's other pick-2 candidate (a slot, −1 if none) and its service's first slot. */
  private readonly pick: PickOther = { other: -1 };
  private pickFirst = 0;
  private readonly batchShards = new Int32Array(BATCH_CHUNK);
  /** keeps the batch's touch loads observable (not dead code) */
  sink = 0;

  load(buf: Uint8Array): void {
    const next = new Generation(readMiniRib(buf)); // throws before anything changes
    if (this.gen === null) this.rng.state = next.rib.clientSeed;
    else next.carryLoads(this.gen);
    this.gen = next; // the swap: one reference store
  }
  loaded(): boolean { return this.gen !== null; }
  generation(): bigint { return this.need().rib.generation; }
  serviceCount(): number { return this.gen?.rib.S ?? 0; }
  serviceIndex(name: string): number { return this.gen?.names.get(name) ?? -1; }
  serverCount(svc: number): number { return this.need().services[svc].count; }
  serverFirst(svc: number): number { return this.need().services[svc].first; }
  serverId(svc: number, i: number): string {
    const gen = this.need();
    return gen.serverId(gen.services[svc].first + i);
  }
  loads(): Float64Array { return this.need().loads; }
  routeOther(): number { return this.pick.other < 0 ? -1 : this.pick.other - this.pickFirst; }
  rngState(): number { return this.rng.state >>> 0; }
  setRngState(state: number): void { this.rng.state = state >>> 0; }

  route(svcIndex: number, flags: number, keyHash: number): number {
    this.pick.other = -1; // a decision without pick-2 (one candidate, an error) has no other candidate
    const gen = this.gen;
    if (gen === null || svcIndex < 0 || svcIndex >= gen.services.length) return -E.NO_SERVICE;
    const svc = gen.services[svcIndex];
    this.pickFirst = svc.first;
    if (svc.kind === PLAIN) {
      const n = svc.groups.length;
      if (n === 0) return -E.NO_SERVER;
      const group = svc.groups[n === 1 ? 0 : chooseRing(svc.groupRing, n, svc.keeps, this.rng)];
      return pick2(group, group.length, this.rng, gen.loads, gen.weights, this.pick) - svc.first;
    }
    if ((flags & L.ROUTE_HAS_KEY) === 0) return -E.NO_KEY;
    const h = keyHash >>> 0;
    if (svc.kind === HASH) {
      const n = svc.poolSlots.length;
      if (n === 0) return -E.NO_SERVER;
      if (svc.k >= n) return pick2(svc.poolSlots, n, this.rng, gen.loads, gen.weights, this.pick) - svc.first;
      const cand = gen.cand;
      const m = topK(svc.poolHash, svc.poolWeight, n, svc.k, h, svc.poolWmax, cand, gen.rankScore, gen.rankPos);
      for (let i = 0; i < m; i++) cand[i] = svc.poolSlots[cand[i]];
      return pick2(cand, m, this.rng, gen.loads, gen.weights, this.pick) - svc.first;
    }
    return this.routeShard(gen, svc, (flags & L.ROUTE_PRIMARY) !== 0, findShard(svc.shards!, h));
  }

  private routeShard(gen: Generation, svc: Service, primaryOnly: boolean, shard: number): number {
    let src: Uint32Array, at: number, ln: number;
    if (svc.stride > 0) {
      src = svc.rec;
      at = shard * svc.stride + 1;
      ln = src[at - 1];
    } else {
      src = svc.replicas;
      at = svc.lists[2 * shard];
      ln = svc.lists[2 * shard + 1];
    }
    const cand = gen.cand, candRing = gen.candRing;
    let c = 0, minRing = 0x7fffffff, maxRing = -1;
    for (let q = 0; q < ln; q++) {
      const packed = src[at + q];
      if (primaryOnly && packed >>> L.REPLICA_INDEX_BITS !== L.ROLE_PRIMARY) continue;
      const i = packed & L.REPLICA_INDEX_MASK;
      const r = svc.serverRing[i];
      if (gen.state[svc.first + i] !== L.STATE_UP || r < 0) continue;
      cand[c] = svc.first + i;
      candRing[c++] = r;
      if (r < minRing) minRing = r;
      if (r > maxRing) maxRing = r;
    }
    if (c === 0) return -E.NO_REPLICA;
    // the rings present, ascending: draw for each but the last (spec: rings(pool))
    let ring = minRing;
    while (ring !== maxRing) {
      const keep16 = svc.keeps[ring];
      if (keep16 >= L.KEEP_ONE || this.rng.next16() < keep16) break;
      let next = maxRing;
      for (let i = 0; i < c; i++) if (candRing[i] > ring && candRing[i] < next) next = candRing[i];
      ring = next;
    }
    let n = 0;
    for (let i = 0; i < c; i++) if (candRing[i] === ring) cand[n++] = cand[i];
    return pick2(cand, n, this.rng, gen.loads, gen.weights, this.pick) - svc.first;
  }

  /**
   * Many decisions. A run of keyed requests to one sharded service goes in two passes over a chunk:
   * first every shard lookup (independent, so their cache misses overlap) touching each shard's
   * record, then the decisions in request order — the same draws and results as route() one by one.
   */
  routeBatch(svc: Int32Array, flags: Int32Array, keyHash: Uint32Array, out: Int32Array, track: boolean): void {
    const gen = this.gen;
    const n = out.length;
    for (let j = 0; j < n;) {
      const s = svc[j];
      const service = gen !== null && s >= 0 && s < gen.services.length ? gen.services[s] : null;
      if (service === null || service.kind !== SHARDED) {
        out[j] = this.route(s, flags[j], keyHash[j]);
        if (track && out[j] >= 0) gen!.loads[service!.first + out[j]] += 1;
        j++;
        continue;
      }
      let end = j;
      while (end < n && end - j < BATCH_CHUNK && svc[end] === s && (flags[end] & L.ROUTE_HAS_KEY) !== 0) end++;
      if (end === j) { // a keyless request
        out[j] = -E.NO_KEY;
        j++;
        continue;
      }
      const shards = this.batchShards;
      let touch = 0;
      for (let q = j; q < end; q++) {
        const shard = findShard(service.shards!, keyHash[q] >>> 0);
        shards[q - j] = shard;
        touch += service.stride > 0 ? service.rec[shard * service.stride] : service.lists[2 * shard];
      }
      this.sink = touch;
      for (let q = j; q < end; q++) {
        const d = this.routeShard(gen!, service, (flags[q] & L.ROUTE_PRIMARY) !== 0, shards[q - j]);
        out[q] = d;
        if (track && d >= 0) gen!.loads[service.first + d] += 1;
      }
      j = end;
    }
  }

  private need(): Generation {
    if (this.gen === null) throw new E.RingrouteError(E.NOT_LOADED);
    return this.gen;
  }
}

export function createTsCore(): Core {
  return new TsCore();
}
