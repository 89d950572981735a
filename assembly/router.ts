// The router: a generation of routing data (the validated miniRIB plus what rr_load derives from
// it for this client), and route() per shared/spec/ROUTING.md §3 over it.
//
// Per-request work does not grow with the number of servers, except the key-rendezvous topK
// (inherently O(n)): ring groups, their connection subsets, the packed hash/weight arrays of
// each key-rendezvous pool and the shard bucket indexes are all built once per load.
//
// A generation is a header block plus a chain of blocks it owns (all freed together when a later
// load replaces it, or when its own load fails half-way). Every block of the chain:
//
//   ┌───────────┬─────────┬───────────────────── … ┐
//   │ next u32  │ pad u32 │ payload (8-aligned)      │
//   └───────────┴─────────┴───────────────────── … ┘
//
// Generation header (GH_SIZE bytes):
//
//   0        4        8                  144     148     152     156       160       164     168      172    176    180      184
//   ┌────────┬────────┬──────────────────┬───────┬───────┬───────┬─────────┬─────────┬───────┬────────┬──────┬──────┬────────┐
//   │ buf    │ chain  │ view: 17 × 8     │ S     │ N     │ svcs  │ nameTab │nameMask │ loads │ ring   │ heap │ sel  │ selRing│
//   │ miniRIB│ blocks │ (ptr, count)/kind│       │       │ D recs│         │         │ f64[N]│ u32[N] │      │      │        │
//   └────────┴────────┴──────────────────┴───────┴───────┴───────┴─────────┴─────────┴───────┴────────┴──────┴──────┴────────┘
//   ring: the client's ring of every server (global index), NO_RING if it fits none.
//   heap / sel / selRing: route()'s scratch: topK heap (max k × 16), candidates (u32), their rings.
//
// The shared-memory build (ASC_FEATURE_THREADS: build/ringroute.shared.wasm, spec/shared.md)
// differs in three places, each a compile-time branch, so the other builds are unchanged:
//   loads    u32[N]: each server's load cell (assembly/cells.ts), not f64[N] loads;
//   heap / sel / selRing: the scratch of thread 0; thread t's is at + t × stride, where
//            stride (GH_STRIDE, u32 at 184; GH_SIZE 192) is one 64-aligned block of the three;
//   route_batch's two arrays come from the thread's own region (setThread), not a static.
//
// Derived service record (D_SIZE = 56 bytes), one per service:
//
//   0      4      8      12      16         20        24        28        32        36       40      44      48      52
//   ┌──────┬──────┬──────┬───────┬──────────┬─────────┬─────────┬─────────┬─────────┬────────┬───────┬───────┬───────┬─────┐
//   │ kind │ first│ count│ keeps │ ringCount│ a       │ b       │ c       │ d       │ e      │ f     │ g     │ h     │ pad │
//   └──────┴──────┴──────┴───────┴──────────┴─────────┴─────────┴─────────┴─────────┴────────┴───────┴───────┴───────┴─────┘
//   keeps: the client's keep16 list of the service (ringCount u32), 0 when it has none (keep all)
//   RINGED  a = groups ptr (rings.ts records)   b = group count
//   HASHED  a = pool ptr                        b = up servers n   c = replicas k   d = n4
//           e = the pool's largest weight (topK's wmax; 0 for an empty pool)
//           pool: hashes u32[n4] ‖ weights u32[n4] ‖ service-local index u32[n4]
//   SHARDED a = starts ptr (in buf)             b = shard count m  c = lists ptr (in buf)
//           d = replicas ptr (service's first)  e = bucket index   f = index bits
//           g = packed shard records (0: none, route() reads lists + replicas)
//           h = log2 of a record's stride in bytes (W × 4)
//
// Packed shard records (SHARDED), one per shard, so that a lookup's second memory access (after
// the bucket index, which stays in L2, and one line of `starts`) is one cache line: the shard's
// replica count and entries side by side, instead of a SHARD_LISTS miss followed by a
// SHARD_REPLICAS miss. Stride W = the smallest power of two ≥ 1 + the service's largest replica
// count, in u32 words; the block is aligned to min(W × 4, 64) bytes, so no record straddles a line:
//
//   record i at g + i × W × 4 (W = 4 for 3 replicas: 16 bytes, 4 records a line)
//   0        4          8          12                 4 + 4·count          W × 4
//   ┌────────┬──────────┬──────────┬─────┬─────────────┬────── … ──────┐
//   │ count  │ entry 0  │ entry 1  │ ... │ entry c − 1 │ 0 (padding)   │
//   └────────┴──────────┴──────────┴─────┴─────────────┴────── … ──────┘
//   entry = service-local server index | role << 28, exactly as in SHARD_REPLICAS, in map order.
//
// Fallback: when 1 + the largest replica count > 16 (a record would pass one 64-byte line), or
// the records' block cannot be allocated, g = 0 and route() reads SHARD_LISTS + SHARD_REPLICAS in
// the miniRIB as before (same decisions, one more miss).
import { alloc, free } from './alloc';
import * as E from './errors';
import * as L from './layout';
import { xxh32 } from './hash';
import { NO_DETAIL, errDetail, nameMask, nameTable, sectionCount, sectionPtr, tableFind, tableInsert, tableSlots, validate } from './minirib';
import { pick2, resetPickOther } from './pick2';
import { GROUP_SIZE, G_CAND, G_COUNT, G_KEEP, G_RING, NO_RING, chooseGroup, chooseRing, keepOf, keepRing, ringOf } from './rings';
import { topK } from './rendezvous';
import { setRngState } from './rng';
import { buildIndex, findShard, indexBits } from './shardmap';
import { cellAdd } from './cells';

// ── generation header ────────────────────────────────────────────────────────
export const GH_BUF: u32 = 0;
const GH_CHAIN: u32 = 4;
const GH_VIEW: u32 = 8;
export const GH_S: u32 = 144;
export const GH_N: u32 = 148;
const GH_SVCS: u32 = 152;
export const GH_NAMETAB: u32 = 156;
export const GH_NAMEMASK: u32 = 160;
export const GH_LOADS: u32 = 164;
const GH_RING: u32 = 168;
const GH_HEAP: u32 = 172;
const GH_SEL: u32 = 176;
const GH_SELRING: u32 = 180;
const GH_STRIDE: u32 = 184; // shared build only
const GH_SIZE: u32 = ASC_FEATURE_THREADS ? 192 : 184;
/** Bytes of one load-table entry: an f64 load, or (shared build) a u32 cell address. */
export const LOAD_ENTRY: u32 = ASC_FEATURE_THREADS ? 4 : 8;

// ── derived service record ───────────────────────────────────────────────────
const D_SIZE: u32 = 56;
const D_KIND: u32 = 0;
const D_FIRST: u32 = 4;
const D_COUNT: u32 = 8;
const D_KEEPS: u32 = 12;
const D_RINGCOUNT: u32 = 16;
const D_A: u32 = 20;
const D_B: u32 = 24;
const D_C: u32 = 28;
const D_D: u32 = 32;
const D_E: u32 = 36;
const D_F: u32 = 40;
const D_G: u32 = 44;
const D_H: u32 = 48;

/** Packed shard records are built when 1 + the largest replica count ≤ this many u32 words. */
const MAX_RECORD_WORDS: u32 = 16;
/** False: later loads build no packed records (tests compare the two paths). */
let packRecords = true;
export function setPackRecords(on: bool): void { packRecords = on; }

const RINGED: u32 = 0;
const HASHED: u32 = 1;
const SHARDED: u32 = 2;

const CHAIN_HDR: u32 = 8;

/** The generation in force (0: nothing loaded). */
let cur: u32 = 0;
/** Shared build: route()'s scratch copies derive() lays out (one per thread record). */
let scratchCopies: u32 = 1;
/** Shared build: this instance's offset into a generation's route() scratch (thread × stride). */
let scratchOff: u32 = 0;
/** Shared build: this instance's thread index, and its route_batch arrays (shard ‖ touch). */
let threadIndex: u32 = 0;
let threadBatch: u32 = 0;
let everLoaded = false;
/** rr_error_detail of the last failed load. */
export let loadDetail: u32 = NO_DETAIL;

/** A block owned by generation `gh` (freed with it), or 0. */
function genAlloc(gh: u32, size: u32): u32 {
  if (size > 0xfff00000 - CHAIN_HDR) return 0;
  const b = alloc(size + CHAIN_HDR);
  if (b == 0) return 0;
  store<u32>(b, load<u32>(gh, GH_CHAIN));
  store<u32>(gh, b, GH_CHAIN);
  return b + CHAIN_HDR;
}

/** genAlloc of n × size bytes with the product checked. */
function genArray(gh: u32, n: u32, size: u32): u32 {
  const bytes = <u64>n * <u64>size;
  return bytes > 0xfff00000 ? 0 : genAlloc(gh, <u32>bytes);
}

/** Frees a generation's derived blocks and header (not its miniRIB block). */
export function freeGeneration(gh: u32): void {
  let b = load<u32>(gh, GH_CHAIN);
  while (b != 0) {
    const nxt = load<u32>(b);
    free(b);
    b = nxt;
  }
  free(load<u32>(gh, GH_NAMETAB));
  free(gh);
}

// @ts-ignore: decorator
@inline export function view(gh: u32): u32 { return gh + GH_VIEW; }

// ── load ─────────────────────────────────────────────────────────────────────

/**
 * rr_load: validate, derive, carry the loads over, swap. 0 or an error code (the previous
 * generation stays in force, and everything this call allocated is freed).
 */
export function loadRib(buf: u32, len: u32): i32 {
  const code = buildGeneration(buf, len);
  if (code != 0) return code;
  const gh = built;
  if (!carryLoads(gh, cur)) {
    freeGeneration(gh);
    return E.OUT_OF_MEMORY;
  }
  if (!everLoaded) {
    everLoaded = true;
    setRngState(load<u32>(sectionPtr(view(gh), L.S_CLIENT), L.C_SEED));
  }
  const old = cur;
  cur = gh;
  if (old != 0) {
    free(load<u32>(old, GH_BUF));
    freeGeneration(old);
  }
  return 0;
}

/** The generation header of the last successful buildGeneration(). */
export let built: u32 = 0;

/**
 * Validates the miniRIB at `buf` and derives a generation from it, without making it current:
 * 0 with `built` set to its header (which then owns `buf`), or an error code (everything this call
 * allocated is freed; the host still owns `buf`). O(buffer). Called by loadRib, which then
 * carries the loads over, and by the shared build's publisher (assembly/generations.ts), which
 * carries load cells instead.
 */
export function buildGeneration(buf: u32, len: u32): i32 {
  loadDetail = NO_DETAIL;
  built = 0;
  const gh = alloc(GH_SIZE);
  if (gh == 0) return E.OUT_OF_MEMORY;
  memory.fill(gh, 0, GH_SIZE);
  const code = validate(buf, len, view(gh));
  if (code != 0) {
    loadDetail = errDetail;
    free(gh);
    return code;
  }
  store<u32>(gh, nameTable, GH_NAMETAB);
  store<u32>(gh, nameMask, GH_NAMEMASK);
  store<u32>(gh, buf, GH_BUF);
  if (!derive(gh)) {
    freeGeneration(gh);
    return E.OUT_OF_MEMORY;
  }
  built = gh;
  return 0;
}

/** Shared build: derive() lays out `n` copies of route()'s scratch (one per thread record). */
export function setScratchCopies(n: u32): void { scratchCopies = n; }

/** Shared build: this instance is thread `t`, with route_batch arrays at `batch` (BATCH × 8 bytes). */
export function setThread(t: u32, batch: u32): void {
  threadIndex = t;
  threadBatch = batch;
}

/** Shared build: makes `gh` the generation this instance decides on (0: none). O(1). */
export function setCurrent(gh: u32): void {
  cur = gh;
  scratchOff = gh == 0 ? 0 : threadIndex * load<u32>(gh, GH_STRIDE);
}

/** The generation this instance decides on (0: none). */
export function current(): u32 { return cur; }

/** Builds the derived data of a validated generation. False when memory runs out. */
function derive(gh: u32): bool {
  const v = view(gh);
  const S = sectionCount(v, L.S_SERVICES);
  const N = sectionCount(v, L.S_SERVER_IDS);
  store<u32>(gh, S, GH_S);
  store<u32>(gh, N, GH_N);
  const strings = sectionPtr(v, L.S_STRINGS);
  const client = sectionPtr(v, L.S_CLIENT);
  const ch = xxh32(strings + load<u32>(client, L.C_ID_OFF), load<u32>(client, L.C_ID_LEN), L.SEED_CLIENT);
  const cRegion = load<u32>(client, L.C_REGION);
  const R = sectionCount(v, L.S_REGIONS);
  const rtt = sectionPtr(v, L.S_RTT) + cRegion * R * 8; // the client's row
  const services = sectionPtr(v, L.S_SERVICES);
  const hashes = sectionPtr(v, L.S_SERVER_HASH);
  const weights = sectionPtr(v, L.S_SERVER_WEIGHT);
  const regions = sectionPtr(v, L.S_SERVER_REGION);
  const states = sectionPtr(v, L.S_SERVER_STATE);
  const rings = sectionPtr(v, L.S_RINGS);
  const spillRegions = sectionPtr(v, L.S_SPILL_REGIONS);
  const keeps = sectionPtr(v, L.S_SPILL_KEEP);

  // the load table first: it lands in the block validate() just freed (its id-pair scratch,
  // sized for N), whose pages are already touched
  const loads = genArray(gh, N, LOAD_ENTRY);
  const svcs = genArray(gh, S, D_SIZE);
  const ring = genArray(gh, N, 4);
  if ((S > 0 && svcs == 0) || loads == 0 || ring == 0) return false;
  store<u32>(gh, svcs, GH_SVCS);
  store<u32>(gh, loads, GH_LOADS);
  store<u32>(gh, ring, GH_RING);
  memory.fill(loads, 0, N * LOAD_ENTRY);

  // route() scratch sizes, and load-time subset scratch
  let maxK: u32 = 0, maxSel: u32 = 0, maxSubsetGroup: u32 = 0;
  for (let s: u32 = 0; s < S; s++) {
    const rec = services + s * L.SERVICES_ENTRY;
    const first = load<u32>(rec, L.SV_SERVER_FIRST), count = load<u32>(rec, L.SV_SERVER_COUNT);
    const ringFirst = load<u32>(rec, L.SV_RING_FIRST), ringCount = load<u32>(rec, L.SV_RING_COUNT);
    // the client's ring of each server
    for (let g = first; g < first + count; g++) {
      store<u32>(ring + g * 4, ringOf(load<u64>(rtt + load<u32>(regions + g * 4) * 8), rings + ringFirst * 8, ringCount));
    }
    // the client's spill list
    let keepList: u32 = 0;
    const spillFirst = load<u32>(rec, L.SV_SPILL_FIRST), spillCount = load<u32>(rec, L.SV_SPILL_COUNT);
    for (let j: u32 = 0; j < spillCount; j++) {
      if (load<u32>(spillRegions + (spillFirst + j) * 4) == cRegion) {
        keepList = keeps + (load<u32>(rec, L.SV_KEEP_FIRST) + j * ringCount) * 4;
        break;
      }
    }
    const d = svcs + s * D_SIZE;
    memory.fill(d, 0, D_SIZE);
    store<u32>(d, first, D_FIRST);
    store<u32>(d, count, D_COUNT);
    store<u32>(d, keepList, D_KEEPS);
    store<u32>(d, ringCount, D_RINGCOUNT);
    const k = load<u32>(rec, L.SV_HASH_REPLICAS);
    const shardCount = load<u32>(rec, L.SV_SHARD_COUNT);
    let up: u32 = 0;
    for (let g = first; g < first + count; g++) if (load<u8>(states + g) == L.STATE_UP) up++;
    if (shardCount > 0) {
      store<u32>(d, SHARDED, D_KIND);
      const shardFirst = load<u32>(rec, L.SV_SHARD_FIRST);
      const starts = sectionPtr(v, L.S_SHARD_STARTS) + shardFirst * 4;
      const lists = sectionPtr(v, L.S_SHARD_LISTS) + shardFirst * L.SHARD_LISTS_ENTRY;
      store<u32>(d, starts, D_A);
      store<u32>(d, shardCount, D_B);
      store<u32>(d, lists, D_C);
      store<u32>(d, sectionPtr(v, L.S_SHARD_REPLICAS) + load<u32>(rec, L.SV_REPLICA_FIRST) * 4, D_D);
      const bits = indexBits(shardCount);
      const index = genArray(gh, (1 << bits) + 1, 4);
      if (index == 0) return false;
      buildIndex(starts, shardCount, index, bits);
      store<u32>(d, index, D_E);
      store<u32>(d, bits, D_F);
      let maxReps: u32 = 0;
      for (let i: u32 = 0; i < shardCount; i++) maxReps = max(maxReps, load<u32>(lists + i * L.SHARD_LISTS_ENTRY, L.SL_COUNT));
      maxSel = max(maxSel, maxReps);
      if (packRecords && 1 + maxReps <= MAX_RECORD_WORDS) buildRecords(gh, d, lists, load<u32>(d, D_D), shardCount, maxReps);
    } else if (k > 0) {
      store<u32>(d, HASHED, D_KIND);
      const n4 = (up + 3) & ~<u32>3;
      const pool = genArray(gh, n4, 12);
      if (pool == 0 && n4 > 0) return false;
      memory.fill(pool, 0, n4 * 12);
      let p: u32 = 0, wmax: u32 = 0;
      for (let g = first; g < first + count; g++) {
        if (load<u8>(states + g) != L.STATE_UP) continue;
        const w = load<u32>(weights + g * 4);
        store<u32>(pool + p * 4, load<u32>(hashes + g * 4));
        store<u32>(pool + (n4 + p) * 4, w);
        store<u32>(pool + (2 * n4 + p) * 4, g - first);
        wmax = max(wmax, w);
        p++;
      }
      store<u32>(d, pool, D_A);
      store<u32>(d, up, D_B);
      store<u32>(d, k, D_C);
      store<u32>(d, n4, D_D);
      store<u32>(d, wmax, D_E);
      if (k < up) { maxK = max(maxK, k); maxSel = max(maxSel, k); }
    } else {
      store<u32>(d, RINGED, D_KIND);
      const subset = load<u32>(rec, L.SV_SUBSET);
      // one pass per ring would be O(rings × servers); count each ring's members instead
      const groups = genArray(gh, ringCount, GROUP_SIZE);
      const cands = genArray(gh, up, 4);
      if ((groups == 0 && ringCount > 0) || (cands == 0 && up > 0)) return false;
      memory.fill(groups, 0, ringCount * GROUP_SIZE);
      for (let g = first; g < first + count; g++) {
        const r = load<u32>(ring + g * 4);
        if (load<u8>(states + g) == L.STATE_UP && r != NO_RING) {
          const rec16 = groups + r * GROUP_SIZE;
          store<u32>(rec16, load<u32>(rec16, G_COUNT) + 1, G_COUNT);
        }
      }
      // lay the groups out in ring order, compacting away the empty rings
      let at: u32 = 0, nonEmpty: u32 = 0;
      for (let r: u32 = 0; r < ringCount; r++) {
        const c = load<u32>(groups + r * GROUP_SIZE, G_COUNT);
        if (c == 0) continue;
        const out = groups + nonEmpty * GROUP_SIZE;
        store<u32>(out, keepList == 0 ? L.KEEP_ONE : load<u32>(keepList + r * 4), G_KEEP);
        store<u32>(out, cands + at * 4, G_CAND);
        store<u32>(out, 0, G_COUNT); // refilled below
        store<u32>(out, r, G_RING);
        at += c;
        nonEmpty++;
        if (subset > 0 && c > subset) maxSubsetGroup = max(maxSubsetGroup, c);
      }
      // fill each group's members in RIB order (groups are ascending in ring: find by a walk)
      for (let g = first; g < first + count; g++) {
        const r = load<u32>(ring + g * 4);
        if (load<u8>(states + g) != L.STATE_UP || r == NO_RING) continue;
        let rec16 = groups;
        while (load<u32>(rec16, G_RING) != r) rec16 += GROUP_SIZE;
        const c = load<u32>(rec16, G_COUNT);
        store<u32>(load<u32>(rec16, G_CAND) + c * 4, g - first);
        store<u32>(rec16, c + 1, G_COUNT);
      }
      store<u32>(d, groups, D_A);
      store<u32>(d, nonEmpty, D_B);
    }
  }

  // connection subsets: topK(group, subset, client hash) of each ring group larger than subset
  if (maxSubsetGroup > 0 && !buildSubsets(gh, services, hashes, weights, ch, maxSubsetGroup)) return false;

  if (ASC_FEATURE_THREADS) {
    // one block of scratchCopies strides, each 64-aligned so that no two threads share a line
    const hb = (maxK + 1) * 16, sb = (maxSel + 1) * 4;
    const stride = (hb + 2 * sb + 63) & ~<u32>63;
    const block = genArray(gh, scratchCopies + 1, stride);
    if (block == 0) return false;
    const base = (block + 63) & ~<u32>63;
    store<u32>(gh, base, GH_HEAP);
    store<u32>(gh, base + hb, GH_SEL);
    store<u32>(gh, base + hb + sb, GH_SELRING);
    store<u32>(gh, stride, GH_STRIDE);
    return true;
  }
  const heap = genArray(gh, maxK + 1, 16);
  const sel = genArray(gh, maxSel + 1, 4);
  const selRing = genArray(gh, maxSel + 1, 4);
  if (heap == 0 || sel == 0 || selRing == 0) return false;
  store<u32>(gh, heap, GH_HEAP);
  store<u32>(gh, sel, GH_SEL);
  store<u32>(gh, selRing, GH_SELRING);
  return true;
}

/**
 * The packed shard records of a sharded service (layout above), stored in its record `d` (g, h).
 * Leaves g = 0 (the lists + replicas fallback) when the block cannot be allocated.
 * O(shards × W); called by derive() once per sharded service.
 */
function buildRecords(gh: u32, d: u32, lists: u32, reps: u32, m: u32, maxReps: u32): void {
  const words: u32 = maxReps == 0 ? 1 : <u32>1 << (32 - clz<u32>(maxReps)); // pow2 ≥ 1 + maxReps
  const shift: u32 = 2 + ctz<u32>(words);
  const align: u32 = min<u32>(words * 4, 64);
  const bytes = (<u64>m << shift) + align;
  if (bytes > 0xfff00000) return;
  const block = genAlloc(gh, <u32>bytes);
  if (block == 0) return;
  const recs = (block + align - 1) & ~(align - 1);
  memory.fill(recs, 0, m << shift);
  for (let i: u32 = 0; i < m; i++) {
    const list = lists + i * L.SHARD_LISTS_ENTRY;
    const c = load<u32>(list, L.SL_COUNT);
    const rec = recs + (i << shift);
    store<u32>(rec, c);
    memory.copy(rec + 4, reps + load<u32>(list, L.SL_FIRST) * 4, c * 4);
  }
  store<u32>(d, recs, D_G);
  store<u32>(d, shift, D_H);
}

/**
 * Replaces each ring group larger than its service's subset by topK(group, subset, ch), in RIB
 * order (the group's list shrinks in place). Scratch: packed hashes/weights, heap and positions
 * for the largest such group, freed here.
 */
function buildSubsets(gh: u32, services: u32, hashes: u32, weights: u32, ch: u32, maxGroup: u32): bool {
  const n4 = (maxGroup + 3) & ~<u32>3;
  const bytes = <u64>n4 * 4 * 3 + <u64>maxGroup * 16;
  if (bytes > 0xfff00000) return false;
  const tmp = alloc(<u32>bytes);
  if (tmp == 0) return false;
  const ph = tmp, pw = tmp + n4 * 4, pos = tmp + n4 * 8, heap = tmp + n4 * 12;
  const S = load<u32>(gh, GH_S);
  const svcs = load<u32>(gh, GH_SVCS);
  for (let s: u32 = 0; s < S; s++) {
    const d = svcs + s * D_SIZE;
    const subset = load<u32>(services + s * L.SERVICES_ENTRY, L.SV_SUBSET);
    if (load<u32>(d, D_KIND) != RINGED || subset == 0) continue;
    const first = load<u32>(d, D_FIRST);
    const groups = load<u32>(d, D_A);
    const count = load<u32>(d, D_B);
    for (let g: u32 = 0; g < count; g++) {
      const rec = groups + g * GROUP_SIZE;
      const n = load<u32>(rec, G_COUNT);
      if (n <= subset) continue;
      const cand = load<u32>(rec, G_CAND);
      let wmax: u32 = 0;
      for (let i: u32 = 0; i < n; i++) {
        const idx = first + load<u32>(cand + i * 4);
        const w = load<u32>(weights + idx * 4);
        store<u32>(ph + i * 4, load<u32>(hashes + idx * 4));
        store<u32>(pw + i * 4, w);
        wmax = max(wmax, w);
      }
      const kept = topK(ph, pw, n, subset, ch, <f64>wmax, heap, pos);
      for (let i: u32 = 0; i < kept; i++) store<u32>(cand + i * 4, load<u32>(cand + load<u32>(pos + i * 4) * 4));
      store<u32>(rec, kept, G_COUNT);
    }
  }
  free(tmp);
  return true;
}

/**
 * Carries the loads of the previous generation over to `gh` by (service name, server id).
 * O(total servers): one id table per matched old service, keyed by the stored server hashes.
 */
/** Server i of the new service has the id of server i of the old one (hash, length, bytes). */
// @ts-ignore: decorator
@inline export function samePlace(i: u32, first: u32, oFirst: u32, oCount: u32, hashes: u32, oHashes: u32,
  ids: u32, oIds: u32, strings: u32, oStrings: u32): bool {
  if (i >= oCount) return false;
  const g = first + i, og = oFirst + i;
  if (load<u32>(hashes + g * 4) != load<u32>(oHashes + og * 4)) return false;
  const ref = ids + g * L.SERVER_IDS_ENTRY, oref = oIds + og * L.SERVER_IDS_ENTRY;
  const len = load<u32>(ref, L.STR_LEN);
  if (len != load<u32>(oref, L.STR_LEN)) return false;
  return memory.compare(strings + load<u32>(ref, L.STR_OFF), oStrings + load<u32>(oref, L.STR_OFF), len) == 0;
}

/**
 * Pairs each server of `gh` with the server of the same (service name, server id) in `old`, and
 * calls `copy(table, g, oTable, og)` for every pair (tables: each generation's GH_LOADS). Most
 * updates keep servers where they were, so each server is first compared with the one at the same
 * index (hash, length, bytes; sequential), and only the servers that moved are looked up, in an
 * id table over the old service keyed by the stored hashes. `skip(oTable, oFirst, oCount)` lets a
 * caller pass over an old service with nothing to carry. O(total servers); false only when the id
 * table cannot be allocated. Called once per generation by carryLoads (here) and by
 * assignCells (cells.ts, the shared build).
 */
export function matchServers(gh: u32, old: u32, skip: (oTable: u32, oFirst: u32, oCount: u32) => bool,
  copy: (table: u32, g: u32, oTable: u32, og: u32) => void): bool {
  const v = view(gh), ov = view(old);
  const strings = sectionPtr(v, L.S_STRINGS), oStrings = sectionPtr(ov, L.S_STRINGS);
  const services = sectionPtr(v, L.S_SERVICES), oServices = sectionPtr(ov, L.S_SERVICES);
  const ids = sectionPtr(v, L.S_SERVER_IDS), oIds = sectionPtr(ov, L.S_SERVER_IDS);
  const hashes = sectionPtr(v, L.S_SERVER_HASH), oHashes = sectionPtr(ov, L.S_SERVER_HASH);
  const table = load<u32>(gh, GH_LOADS), oTable = load<u32>(old, GH_LOADS);
  const S = load<u32>(gh, GH_S);
  let tab: u32 = 0, cap: u32 = 0;
  for (let s: u32 = 0; s < S; s++) {
    const rec = services + s * L.SERVICES_ENTRY;
    const nOff = load<u32>(rec, L.SV_NAME_OFF), nLen = load<u32>(rec, L.SV_NAME_LEN);
    const os = tableFind(load<u32>(old, GH_NAMETAB), load<u32>(old, GH_NAMEMASK), xxh32(strings + nOff, nLen, 0),
      oStrings, oServices, L.SERVICES_ENTRY, strings + nOff, nLen);
    if (os < 0) continue;
    const orec = oServices + <u32>os * L.SERVICES_ENTRY;
    const oFirst = load<u32>(orec, L.SV_SERVER_FIRST), oCount = load<u32>(orec, L.SV_SERVER_COUNT);
    if (oCount == 0 || skip(oTable, oFirst, oCount)) continue;
    const first = load<u32>(rec, L.SV_SERVER_FIRST), count = load<u32>(rec, L.SV_SERVER_COUNT);
    let moved: u32 = 0;
    for (let i: u32 = 0; i < count; i++) {
      if (samePlace(i, first, oFirst, oCount, hashes, oHashes, ids, oIds, strings, oStrings)) {
        copy(table, first + i, oTable, oFirst + i);
      } else {
        moved++;
      }
    }
    if (moved == 0) continue;
    const slots = tableSlots(oCount);
    if (slots > cap) {
      free(tab);
      tab = <u64>slots * 8 > 0xfff00000 ? 0 : alloc(slots * 8);
      cap = tab == 0 ? 0 : slots;
      if (tab == 0) return false;
    }
    memory.fill(tab, 0, slots * 8);
    for (let g = oFirst; g < oFirst + oCount; g++) {
      const ref = oIds + g * L.SERVER_IDS_ENTRY;
      tableInsert(tab, slots - 1, load<u32>(oHashes + g * 4), g, oStrings, oIds, L.SERVER_IDS_ENTRY,
        oStrings + load<u32>(ref, L.STR_OFF), load<u32>(ref, L.STR_LEN));
    }
    for (let i: u32 = 0; i < count; i++) {
      if (samePlace(i, first, oFirst, oCount, hashes, oHashes, ids, oIds, strings, oStrings)) continue;
      const g = first + i;
      const ref = ids + g * L.SERVER_IDS_ENTRY;
      const og = tableFind(tab, slots - 1, load<u32>(hashes + g * 4), oStrings, oIds, L.SERVER_IDS_ENTRY,
        strings + load<u32>(ref, L.STR_OFF), load<u32>(ref, L.STR_LEN));
      if (og >= 0) copy(table, g, oTable, <u32>og);
    }
  }
  free(tab);
  return true;
}

/** Nothing to carry from an old service whose loads are all 0 (a new router, or an idle service). */
function idleLoads(oLoads: u32, oFirst: u32, oCount: u32): bool {
  for (let g = oFirst; g < oFirst + oCount; g++) if (load<f64>(oLoads + g * 8) != 0) return false;
  return true;
}

function copyLoad(loads: u32, g: u32, oLoads: u32, og: u32): void {
  store<f64>(loads + g * 8, load<f64>(oLoads + og * 8));
}

function carryLoads(gh: u32, old: u32): bool {
  return old == 0 || matchServers(gh, old, idleLoads, copyLoad);
}

// ── queries ──────────────────────────────────────────────────────────────────

export function isLoaded(): bool { return cur != 0; }
export function generationLo(): u32 { return cur == 0 ? 0 : load<u32>(load<u32>(cur, GH_BUF), L.H_GEN_LO); }
export function generationHi(): u32 { return cur == 0 ? 0 : load<u32>(load<u32>(cur, GH_BUF), L.H_GEN_HI); }
export function serviceCount(): u32 { return cur == 0 ? 0 : load<u32>(cur, GH_S); }
export function loadsPtr(): u32 { return cur == 0 ? 0 : load<u32>(cur, GH_LOADS); }

// @ts-ignore: decorator
@inline function svcRecord(svc: i32): u32 { return load<u32>(cur, GH_SVCS) + <u32>svc * D_SIZE; }
// @ts-ignore: decorator
@inline function validSvc(svc: i32): bool { return cur != 0 && svc >= 0 && <u32>svc < load<u32>(cur, GH_S); }

export function serverCount(svc: i32): u32 { return validSvc(svc) ? load<u32>(svcRecord(svc), D_COUNT) : 0; }
export function serverFirst(svc: i32): u32 { return validSvc(svc) ? load<u32>(svcRecord(svc), D_FIRST) : 0; }

/** The index of the service named by the `len` bytes at `ptr`, or −1. O(1) expected. */
export function serviceFind(ptr: u32, len: u32): i32 {
  if (cur == 0) return -1;
  const v = view(cur);
  return tableFind(load<u32>(cur, GH_NAMETAB), load<u32>(cur, GH_NAMEMASK), xxh32(ptr, len, 0),
    sectionPtr(v, L.S_STRINGS), sectionPtr(v, L.S_SERVICES), L.SERVICES_ENTRY, ptr, len);
}

// ── route ────────────────────────────────────────────────────────────────────

/** One decision (ROUTING.md §3): the server's index within the service, or −code. */
export function route(svc: i32, flags: u32, keyHash: u32): i32 {
  resetPickOther(); // a decision without pick-2 (one candidate, an error) has no other candidate
  if (!validSvc(svc)) return -E.NO_SERVICE;
  const d = svcRecord(svc);
  const kind = load<u32>(d, D_KIND);
  const first = load<u32>(d, D_FIRST);
  const loads = load<u32>(cur, GH_LOADS) + first * LOAD_ENTRY;
  const weights = sectionPtr(view(cur), L.S_SERVER_WEIGHT) + first * 4;
  if (kind == RINGED) {
    const groups = load<u32>(d, D_B);
    if (groups == 0) return -E.NO_SERVER;
    const g = chooseGroup(load<u32>(d, D_A), groups);
    return <i32>pick2(load<u32>(g, G_CAND), load<u32>(g, G_COUNT), loads, weights);
  }
  if (!(flags & L.ROUTE_HAS_KEY)) return -E.NO_KEY;
  if (kind == HASHED) {
    const n = load<u32>(d, D_B);
    if (n == 0) return -E.NO_SERVER;
    const pool = load<u32>(d, D_A);
    const n4 = load<u32>(d, D_D);
    const idx = pool + n4 * 8;
    const k = load<u32>(d, D_C);
    if (k >= n) return <i32>pick2(idx, n, loads, weights);
    // route()'s scratch (shared build: this thread's copy)
    const sel = ASC_FEATURE_THREADS ? load<u32>(cur, GH_SEL) + scratchOff : load<u32>(cur, GH_SEL);
    const heap = ASC_FEATURE_THREADS ? load<u32>(cur, GH_HEAP) + scratchOff : load<u32>(cur, GH_HEAP);
    topK(pool, pool + n4 * 4, n, k, keyHash, <f64>load<u32>(d, D_E), heap, sel);
    for (let i: u32 = 0; i < k; i++) store<u32>(sel + i * 4, load<u32>(idx + load<u32>(sel + i * 4) * 4));
    return <i32>pick2(sel, k, loads, weights);
  }
  // SHARDED
  touchSink ^= touchGuess(d, keyHash);
  return routeShard(d, flags, findShard(load<u32>(d, D_A), load<u32>(d, D_E), load<u32>(d, D_F), keyHash));
}

/** Folds the speculative record loads of touchGuess (a global keeps them from being optimised away). */
let touchSink: u32 = 0;

/**
 * A prefetch for a single lookup: loads the first word of the record of the shard that linear
 * interpolation inside h's bucket guesses (exact for equal ranges, close for near-equal ones),
 * so that the record's cache miss overlaps the miss on `starts` of the binary search instead of
 * following it. Never affects a decision (the value only goes to touchSink); a wrong guess costs
 * one wasted memory access. O(1).
 */
// @ts-ignore: decorator
@inline function touchGuess(d: u32, h: u32): u32 {
  const bits = load<u32>(d, D_F);
  const bk = load<u32>(d, D_E) + (h >>> (32 - bits)) * 4;
  const lo = load<u32>(bk), hi = load<u32>(bk, 4);
  const guess = lo + <u32>((<u64>(hi - lo) * <u64>(h << bits)) >> 32);
  const recs = load<u32>(d, D_G);
  return recs != 0
    ? load<u32>(recs + (guess << load<u32>(d, D_H)))
    : load<u32>(load<u32>(d, D_C) + guess * L.SHARD_LISTS_ENTRY, L.SL_COUNT);
}

/**
 * The rest of route() for a keyed request to the sharded service `d`, once its shard is known:
 * the shard's pool (role, state, ring filters), the spill walk, pick-2.
 */
function routeShard(d: u32, flags: u32, shard: u32): i32 {
  const first = load<u32>(d, D_FIRST);
  const recs = load<u32>(d, D_G);
  let reps: u32, m: u32;
  if (recs != 0) {
    const rec = recs + (shard << load<u32>(d, D_H));
    m = load<u32>(rec);
    reps = rec + 4;
  } else {
    const list = load<u32>(d, D_C) + shard * L.SHARD_LISTS_ENTRY;
    m = load<u32>(list, L.SL_COUNT);
    reps = load<u32>(d, D_D) + load<u32>(list, L.SL_FIRST) * 4;
  }
  const v = view(cur);
  const loads = load<u32>(cur, GH_LOADS) + first * LOAD_ENTRY;
  const weights = sectionPtr(v, L.S_SERVER_WEIGHT) + first * 4;
  const primaryOnly = (flags & L.ROUTE_PRIMARY) != 0;
  const states = sectionPtr(v, L.S_SERVER_STATE) + first;
  const ring = load<u32>(cur, GH_RING) + first * 4;
  const sel = ASC_FEATURE_THREADS ? load<u32>(cur, GH_SEL) + scratchOff : load<u32>(cur, GH_SEL);
  const selRing = ASC_FEATURE_THREADS ? load<u32>(cur, GH_SELRING) + scratchOff : load<u32>(cur, GH_SELRING);
  // the pool: role, state and ring filters, in map order; `mask` collects the rings below 64
  let c: u32 = 0;
  let mask: u64 = 0;
  let high = false; // a ring ≥ 64: the general spill walk
  for (let j: u32 = 0; j < m; j++) {
    const e = load<u32>(reps + j * 4);
    const idx = e & L.REPLICA_INDEX_MASK;
    if (primaryOnly && (e >>> L.REPLICA_INDEX_BITS) != L.ROLE_PRIMARY) continue;
    if (load<u8>(states + idx) != L.STATE_UP) continue;
    const r = load<u32>(ring + idx * 4);
    if (r == NO_RING) continue;
    store<u32>(sel + c * 4, idx);
    store<u32>(selRing + c * 4, r);
    mask |= <u64>1 << <u64>(r & 63);
    high |= r >= 64;
    c++;
  }
  if (c == 0) return -E.NO_REPLICA;
  if (c == 1) return <i32>load<u32>(sel); // one candidate: one ring (no spill draw), no pick-2 draw
  let chosen: u32;
  if (high) {
    chosen = chooseRing(selRing, c, load<u32>(d, D_KEEPS));
  } else {
    // the spill walk over the set bits of mask, ascending, except the last (as chooseRing)
    const keeps = load<u32>(d, D_KEEPS);
    chosen = <u32>ctz<u64>(mask);
    let rest = mask & (mask - 1);
    while (rest != 0) {
      if (keepRing(keepOf(keeps, chosen))) break;
      chosen = <u32>ctz<u64>(rest);
      rest &= rest - 1;
    }
    if ((mask & (mask - 1)) == 0) return <i32>pick2(sel, c, loads, weights); // one ring: the whole pool
  }
  let n: u32 = 0;
  for (let j: u32 = 0; j < c; j++) {
    store<u32>(sel + n * 4, load<u32>(sel + j * 4));
    n += <u32>(load<u32>(selRing + j * 4) == chosen);
  }
  return <i32>pick2(sel, n, loads, weights);
}

// routeBatch works in chunks of BATCH requests, in two passes. Pass 1 finds the shard of every
// keyed request to a sharded service and touches its replica record (loads its count into
// batchTouch): these lookups are independent of each other and of the RNG and loads, so their
// cache misses overlap instead of queueing one after another. Pass 2 routes every request in
// order (sharded ones from the stored shard, the rest through route()), so the RNG draws and the
// tracked loads happen exactly as with one route() call per request.
//
//   batchShard: u32[BATCH]  the request's shard, or NO_SHARD (not a keyed sharded request)
//   batchTouch: u32[BATCH]  the record's first word (written only to make the load happen)
const BATCH: u32 = 64;
const NO_SHARD: u32 = 0xffffffff;
// (shared build: both arrays are the thread's own, BATCH × 8 bytes at threadBatch, so that two
// instances on one memory never share them; the statics below are then never used.)
const batchShardStatic: u32 = <u32>memory.data(BATCH * 4, 16);
const batchTouchStatic: u32 = <u32>memory.data(BATCH * 4, 16);

/** rr_route_batch: `count` requests of 12 bytes (svc, flags, keyHash) → one i32 each at `out`. */
export function routeBatch(req: u32, count: u32, out: u32, track: bool): void {
  let batchShard: u32, batchTouch: u32;
  if (ASC_FEATURE_THREADS) {
    batchShard = threadBatch;
    batchTouch = threadBatch + BATCH * 4;
  } else {
    batchShard = batchShardStatic;
    batchTouch = batchTouchStatic;
  }
  for (let base: u32 = 0; base < count; base += BATCH) {
    const n = min<u32>(BATCH, count - base);
    const chunk = req + base * 12;
    // pass 1a: each keyed sharded request's bucket, and a touch of its starts
    let any = false;
    for (let j: u32 = 0; j < n; j++) {
      const at = chunk + j * 12;
      const svc = load<i32>(at);
      let shard = NO_SHARD;
      if (validSvc(svc) && (load<u32>(at, 4) & L.ROUTE_HAS_KEY)) {
        const d = svcRecord(svc);
        if (load<u32>(d, D_KIND) == SHARDED) {
          const b = load<u32>(d, D_E) + (load<u32>(at, 8) >>> (32 - load<u32>(d, D_F))) * 4;
          const lo = load<u32>(b), hi = load<u32>(b, 4);
          const starts = load<u32>(d, D_A);
          store<u32>(batchTouch + j * 4, load<u32>(starts + lo * 4) ^ load<u32>(starts + hi * 4));
          shard = 0;
          any = true;
        }
      }
      store<u32>(batchShard + j * 4, shard);
    }
    if (any) {
      // pass 1b: the shards (their starts now cached)
      for (let j: u32 = 0; j < n; j++) {
        if (load<u32>(batchShard + j * 4) == NO_SHARD) continue;
        const at = chunk + j * 12;
        const d = svcRecord(load<i32>(at));
        store<u32>(batchShard + j * 4, findShard(load<u32>(d, D_A), load<u32>(d, D_E), load<u32>(d, D_F), load<u32>(at, 8)));
      }
      // pass 1c: touch each shard's record
      for (let j: u32 = 0; j < n; j++) {
        const shard = load<u32>(batchShard + j * 4);
        if (shard == NO_SHARD) continue;
        const d = svcRecord(load<i32>(chunk + j * 12));
        const recs = load<u32>(d, D_G);
        store<u32>(batchTouch + j * 4, recs != 0
          ? load<u32>(recs + (shard << load<u32>(d, D_H)))
          : load<u32>(load<u32>(d, D_C) + shard * L.SHARD_LISTS_ENTRY, L.SL_COUNT));
      }
    }
    // pass 2: the decisions, in request order
    for (let j: u32 = 0; j < n; j++) {
      const at = chunk + j * 12;
      const svc = load<i32>(at);
      const flags = load<u32>(at, 4);
      const shard = load<u32>(batchShard + j * 4);
      const dec = shard != NO_SHARD ? routeShard(svcRecord(svc), flags, shard) : route(svc, flags, load<u32>(at, 8));
      store<i32>(out + (base + j) * 4, dec);
      if (track && dec >= 0) {
        const slot = load<u32>(cur, GH_LOADS) + (serverFirst(svc) + <u32>dec) * LOAD_ENTRY;
        if (ASC_FEATURE_THREADS) cellAdd(load<u32>(slot), 1);
        else store<f64>(slot, load<f64>(slot) + 1.0);
      }
    }
  }
}
