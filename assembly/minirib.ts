// The miniRIB validator/reader (spec/minirib.md). It checks the buffer in exactly the spec's
// "Validation order" and stops at the first failure, so every core refuses a bad buffer with the
// same code and detail (each code's detail as bindings/ts-core/minirib.ts reports it). It never
// traps, never reads outside [buf, buf + len) and always ends: every offset + size and count ×
// size sum is done in u64 before a byte is read, and every loop is bounded by a count already
// checked against its section.
//
// Cost: O(size of the buffer): one xxh32 pass over the body, one xxh32 of each server id (checked
// against its stored hash), a radix-partitioned unique-id check (below), one pass over each
// column. Called by rr_load, once per generation; never on the routing path.
//
// The unique-id check of a service's n servers does not probe one table of 2·n slots (8 bytes a
// slot: 16 MiB at 1,000,000 servers, one cache and TLB miss per id). It scatters (hash, index)
// pairs into P = 2^pbits partitions by the top pbits bits of the hash (a counting sort: one
// histogram pass, one scatter pass, so each partition keeps index order), P chosen so a partition
// holds ~DUP_PART ids, then checks each partition with a small table that stays in L1/L2. Within a
// partition the first repeat met is its smallest later occurrence, so the minimum over the
// partitions is the server the in-order check would report.
//
// Scratch tables (allocated here, freed before validate() returns, failure or not):
//
//   name/region table, `slots` = power of two ≥ 2 × entries, 8 bytes a slot:
//     ┌──────────┬────────────┐
//     │ hash u32 │ index+1 u32│   index+1 = 0: empty slot; linear probing from hash & (slots − 1)
//     └──────────┴────────────┘
//   id pairs:        (hash u32, global index u32)[N], grouped by partition, index order within
//                    one (sized for all N servers: derive() reuses the freed block, see firstRepeat)
//   partition starts: u32[P + 1]       where each partition's pairs start (then: its fill cursor)
//   partition table: u32[slots], slots = power of two ≥ 2 × the biggest partition: the position
//                    in the partition + 1 of an id (0: empty), linear probing from hash & (slots − 1)
//   spill stamps:   u32[R]              stamp = service index + 1 (region seen in this service)
//   replica stamps: u32[max servers]    stamp = global shard index + 1 (server seen in this shard)
//
// The service-name table is the one table that outlives validation: on success its ownership
// passes to the caller (router.ts keeps it as the generation's rr_service_find index).
//
// The view validate() fills for the caller, one 8-byte entry per section kind (index 0 unused):
//
//   view + kind × 8:  ┌──────────────────┬───────────┐
//                     │ absolute ptr u32 │ count u32 │
//                     └──────────────────┴───────────┘
import { alloc, free } from './alloc';
import * as E from './errors';
import * as L from './layout';
import { xxh32 } from './hash';

export const NO_DETAIL: u32 = 0xffffffff;
/** The most sections a table may list (the format's limit; version 1 writes SECTION_COUNT). */
const MAX_SECTIONS: u32 = 64;
const EMPTY: u32 = 0; // a table slot's index+1 word when the slot is free

/** The index of the entry that failed the last validate(), or NO_DETAIL. */
export let errDetail: u32 = NO_DETAIL;
/** After a successful validate(): the service-name table (caller owns it) and its slot mask. */
export let nameTable: u32 = 0;
export let nameMask: u32 = 0;

let tabIds: u32 = 0;
let tabIdsCap: u32 = 0; // slots
let idPairs: u32 = 0;
let idPairsCap: u32 = 0; // pairs
let partStarts: u32 = 0; // u32[2^MAX_PART_BITS + 1]

/** Ids per partition the unique-id check aims at (a table of ≤ 4 × DUP_PART u32 slots: ≤ 32 KiB). */
const DUP_PART: u32 = 2048;
const MAX_PART_BITS: u32 = 12;
const NO_REPEAT: u32 = 0xffffffff;
let tabRegions: u32 = 0;
let spillStamps: u32 = 0;
let replicaStamps: u32 = 0;
let replicaStampsCap: u32 = 0;

// @ts-ignore: decorator
@inline function fail(code: i32, detail: u32): i32 {
  errDetail = detail;
  return code;
}

// @ts-ignore: decorator
@inline export function sectionPtr(view: u32, kind: u32): u32 { return load<u32>(view + kind * 8); }
// @ts-ignore: decorator
@inline export function sectionCount(view: u32, kind: u32): u32 { return load<u32>(view + kind * 8, 4); }

/** The size of one entry of a section kind (1 … SECTION_COUNT). */
function entrySize(kind: u32): u32 {
  switch (kind) {
    case L.S_STRINGS: return L.STRINGS_ENTRY;
    case L.S_CLIENT: return L.CLIENT_ENTRY;
    case L.S_REGIONS: return L.REGIONS_ENTRY;
    case L.S_RTT: return L.RTT_ENTRY;
    case L.S_SERVICES: return L.SERVICES_ENTRY;
    case L.S_SERVER_IDS: return L.SERVER_IDS_ENTRY;
    case L.S_SERVER_HASH: return L.SERVER_HASH_ENTRY;
    case L.S_SERVER_WEIGHT: return L.SERVER_WEIGHT_ENTRY;
    case L.S_SERVER_REGION: return L.SERVER_REGION_ENTRY;
    case L.S_SERVER_STATE: return L.SERVER_STATE_ENTRY;
    case L.S_RINGS: return L.RINGS_ENTRY;
    case L.S_SPILL_REGIONS: return L.SPILL_REGIONS_ENTRY;
    case L.S_SPILL_KEEP: return L.SPILL_KEEP_ENTRY;
    case L.S_SHARD_STARTS: return L.SHARD_STARTS_ENTRY;
    case L.S_SHARD_LISTS: return L.SHARD_LISTS_ENTRY;
    default: return L.SHARD_REPLICAS_ENTRY;
  }
}

/** Slots of a table for `n` entries: the smallest power of two ≥ 2n (at least 2). */
export function tableSlots(n: u32): u32 {
  const want = <u64>n * 2;
  return want <= 2 ? 2 : <u32>(<u64>1 << (64 - clz<u64>(want - 1)));
}

/**
 * Inserts string (ptr, len) with hash h into a table of mask + 1 slots unless an equal string is
 * there; `strings`/`refs` resolve a stored index to its (off, len) reference. Returns false on a
 * repeat. O(1) expected.
 */
export function tableInsert(tab: u32, mask: u32, h: u32, index: u32, strings: u32, refs: u32, refSize: u32, ptr: u32, len: u32): bool {
  let slot = h & mask;
  while (true) {
    const at = tab + (slot << 3);
    const stored = load<u32>(at, 4);
    if (stored == EMPTY) {
      store<u32>(at, h);
      store<u32>(at, index + 1, 4);
      return true;
    }
    if (load<u32>(at) == h) {
      const ref = refs + (stored - 1) * refSize;
      if (load<u32>(ref, 4) == len && memory.compare(strings + load<u32>(ref), ptr, len) == 0) {
        return false;
      }
    }
    slot = (slot + 1) & mask;
  }
}

/**
 * Looks up string (ptr, len) with hash h in a table built by tableInsert; the stored index, or −1.
 * O(1) expected. Used by rr_service_find and the load carry-over.
 */
export function tableFind(tab: u32, mask: u32, h: u32, strings: u32, refs: u32, refSize: u32, ptr: u32, len: u32): i32 {
  if (tab == 0) return -1;
  let slot = h & mask;
  while (true) {
    const at = tab + (slot << 3);
    const stored = load<u32>(at, 4);
    if (stored == EMPTY) return -1;
    if (load<u32>(at) == h) {
      const ref = refs + (stored - 1) * refSize;
      if (load<u32>(ref, 4) == len && memory.compare(strings + load<u32>(ref), ptr, len) == 0) {
        return <i32>(stored - 1);
      }
    }
    slot = (slot + 1) & mask;
  }
}

// @ts-ignore: decorator
@inline function strInRange(off: u32, len: u32, stringsCount: u32): bool {
  return <u64>off + <u64>len <= <u64>stringsCount;
}

/** A u64 in (lo, hi) words that is a u32 value or all-ones (unknown / unbounded). */
// @ts-ignore: decorator
@inline function u32OrAllOnes(lo: u32, hi: u32): bool {
  return hi == 0 || (hi == L.U32_ALL_ONES && lo == L.U32_ALL_ONES);
}

/**
 * Validates the miniRIB of `len` bytes at `buf`; fills `view` (17 × 8 bytes) and returns 0, or an
 * error code with errDetail set. On success the caller owns nameTable.
 */
export function validate(buf: u32, len: u32, view: u32): i32 {
  errDetail = NO_DETAIL;
  nameTable = 0;
  const code = check(buf, len, view);
  free(tabIds); tabIds = 0; tabIdsCap = 0;
  free(idPairs); idPairs = 0; idPairsCap = 0;
  free(partStarts); partStarts = 0;
  free(tabRegions); tabRegions = 0;
  free(spillStamps); spillStamps = 0;
  free(replicaStamps); replicaStamps = 0; replicaStampsCap = 0;
  if (code != 0) { free(nameTable); nameTable = 0; }
  return code;
}

/** A zeroed scratch block of `n` entries of `size` bytes, or 0 (also when the size passes 4 GiB). */
function zeroed(n: u32, size: u32): u32 {
  const bytes = <u64>n * <u64>size;
  if (bytes > 0xfff00000) return 0;
  const p = alloc(<u32>bytes);
  if (p != 0) memory.fill(p, 0, <u32>bytes);
  return p;
}

/**
 * The smallest g in [first, end) whose id equals the id of a server in [first, g) (the repeat the
 * in-order check meets first), NO_REPEAT when the ids are unique, NO_REPEAT − 1 when scratch
 * memory runs out. The ids' hashes are already checked. Radix-partitioned (header comment).
 * `total` (all servers of the buffer, ≥ end − first) sizes the pair scratch once per validation.
 * O(n) expected; called by check() once per service.
 */
function firstRepeat(first: u32, end: u32, total: u32, hashes: u32, ids: u32, strings: u32): u32 {
  if (end <= first + 1) return NO_REPEAT;
  const n = end - first;
  let pbits: u32 = n <= DUP_PART ? 0 : 32 - clz<u32>((n - 1) / DUP_PART);
  if (pbits > MAX_PART_BITS) pbits = MAX_PART_BITS;
  const parts: u32 = 1 << pbits;
  const shift: u32 = 32 - pbits; // pbits = 0: every id in partition 0 (handled apart: a shift by 32 is one by 0)
  if (n > idPairsCap) {
    // sized for every server of the buffer: freed at the end of validate(), this block is where
    // router.ts's derive() then puts the load table (f64[N]), on pages the scatter already touched
    const cap = max(n, total);
    free(idPairs);
    idPairs = <u64>cap * 8 > 0xfff00000 ? 0 : alloc(cap * 8);
    idPairsCap = idPairs == 0 ? 0 : cap;
    if (idPairs == 0) return NO_REPEAT - 1;
  }
  if (partStarts == 0) {
    partStarts = alloc(((1 << MAX_PART_BITS) + 1) * 4);
    if (partStarts == 0) return NO_REPEAT - 1;
  }
  // counting sort of (hash, index) by partition, stable
  memory.fill(partStarts, 0, (parts + 1) * 4);
  if (pbits == 0) {
    store<u32>(partStarts + 4, n);
  } else {
    for (let g = first; g < end; g++) {
      const at = partStarts + 4 + (load<u32>(hashes + g * 4) >>> shift) * 4;
      store<u32>(at, load<u32>(at) + 1);
    }
  }
  // partStarts[p + 1] = start of partition p (the fill cursor); after the scatter it is p's end
  let sum: u32 = 0, biggest: u32 = 0;
  for (let p: u32 = 0; p < parts; p++) {
    const c = load<u32>(partStarts + (p + 1) * 4);
    biggest = max(biggest, c);
    store<u32>(partStarts + (p + 1) * 4, sum);
    sum += c;
  }
  for (let g = first; g < end; g++) {
    const h = load<u32>(hashes + g * 4);
    const at = partStarts + 4 + (pbits == 0 ? 0 : (h >>> shift) * 4);
    const k = load<u32>(at);
    store<u32>(at, k + 1);
    store<u64>(idPairs + k * 8, (<u64>g << 32) | <u64>h);
  }
  // partition p now spans [partStarts[p], partStarts[p + 1]) (partStarts[0] = 0); its table
  // holds u32 slots of (position in the partition + 1), 0 = empty: 16 KiB for 2,048 ids (L1)
  const slots = tableSlots(biggest);
  if (slots > tabIdsCap) {
    free(tabIds);
    tabIds = <u64>slots * 4 > 0xfff00000 ? 0 : alloc(slots * 4);
    tabIdsCap = tabIds == 0 ? 0 : slots;
    if (tabIds == 0) return NO_REPEAT - 1;
  }
  let best = NO_REPEAT;
  let lo: u32 = 0;
  for (let p: u32 = 0; p < parts; p++) {
    const hi = load<u32>(partStarts + (p + 1) * 4);
    if (hi - lo > 1) {
      const pslots = tableSlots(hi - lo);
      memory.fill(tabIds, 0, pslots * 4);
      const pairs = idPairs + lo * 8;
      if (!partitionUnique(pairs, hi - lo, tabIds, pslots - 1, best, ids, strings)) best = <u32>(load<u64>(pairs + repeatAt * 8) >>> 32);
    }
    lo = hi;
  }
  return best;
}

/** Set by partitionUnique when it finds a repeat: its position in the partition. */
let repeatAt: u32 = 0;

/**
 * Checks the `count` (hash, index) pairs of one partition in order with the table `tab` (mask + 1
 * u32 slots, zeroed); false when a pair repeats an earlier id (its position in repeatAt). Stops
 * early at an index ≥ `stop` (it cannot beat a repeat already found). A pair's (off, len) id
 * reference is read only when two hashes match (a repeat or a rare collision).
 */
function partitionUnique(pairs: u32, count: u32, tab: u32, mask: u32, stop: u32, ids: u32, strings: u32): bool {
  for (let k: u32 = 0; k < count; k++) {
    const pr = load<u64>(pairs + k * 8);
    const h = <u32>pr, g = <u32>(pr >>> 32);
    if (g >= stop) return true;
    let slot = h & mask;
    while (true) {
      const at = tab + (slot << 2);
      const stored = load<u32>(at);
      if (stored == EMPTY) {
        store<u32>(at, k + 1);
        break;
      }
      const other = load<u64>(pairs + (stored - 1) * 8);
      if (<u32>other == h) {
        const a = ids + <u32>(other >>> 32) * L.SERVER_IDS_ENTRY, b = ids + g * L.SERVER_IDS_ENTRY;
        const len = load<u32>(b, L.STR_LEN);
        if (load<u32>(a, L.STR_LEN) == len && memory.compare(strings + load<u32>(a, L.STR_OFF), strings + load<u32>(b, L.STR_OFF), len) == 0) {
          repeatAt = k;
          return false;
        }
      }
      slot = (slot + 1) & mask;
    }
  }
  return true;
}

function check(buf: u32, len: u32, view: u32): i32 {
  // 1. header
  if (len < L.HEADER_SIZE) return fail(E.TRUNCATED, len);
  if (load<u32>(buf + L.H_MAGIC) != L.MAGIC) return fail(E.BAD_MAGIC, NO_DETAIL);
  if (<u32>load<u16>(buf + L.H_VERSION) != L.VERSION) return fail(E.BAD_VERSION, <u32>load<u16>(buf + L.H_VERSION));
  if (<u32>load<u16>(buf + L.H_HEADER_SIZE) != L.HEADER_SIZE) return fail(E.BAD_HEADER, NO_DETAIL);
  if (load<u32>(buf + L.H_FLAGS) != 0) return fail(E.BAD_HEADER, NO_DETAIL);
  for (let p = L.H_RESERVED; p < L.HEADER_SIZE; p++) {
    if (load<u8>(buf + p) != 0) return fail(E.BAD_HEADER, p); // detail: the byte offset
  }
  if (load<u32>(buf + L.H_TOTAL_LEN) != len) return fail(E.BAD_LENGTH, load<u32>(buf + L.H_TOTAL_LEN));
  if (xxh32(buf + L.HEADER_SIZE, len - L.HEADER_SIZE, 0) != load<u32>(buf + L.H_CHECKSUM)) {
    return fail(E.BAD_CHECKSUM, NO_DETAIL);
  }

  // 2. section table
  const C = load<u32>(buf + L.H_SECTION_COUNT);
  if (C < 1 || C > MAX_SECTIONS) return fail(E.BAD_SECTION_TABLE, C);
  const tableEnd = L.HEADER_SIZE + C * L.SECTION_ENTRY_SIZE;
  if (tableEnd > len) return fail(E.BAD_SECTION_TABLE, C);

  // 3. each entry, then the missing kinds
  let seen: u32 = 0;
  let prevEnd: u64 = tableEnd;
  for (let e: u32 = 0; e < C; e++) {
    const at = buf + L.HEADER_SIZE + e * L.SECTION_ENTRY_SIZE;
    const kind = load<u32>(at, L.SE_KIND);
    const off = load<u32>(at, L.SE_OFFSET);
    const size = load<u32>(at, L.SE_SIZE);
    const count = load<u32>(at, L.SE_COUNT);
    if (kind < 1 || kind > L.SECTION_COUNT) return fail(E.SECTION_UNKNOWN, e);
    if (seen & (1 << kind)) return fail(E.SECTION_DUPLICATE, e);
    seen |= 1 << kind;
    if (off % L.SECTION_ALIGN != 0 || <u64>off < prevEnd || <u64>off + <u64>size > <u64>len) {
      return fail(E.SECTION_OUT_OF_RANGE, e);
    }
    if (<u64>count * <u64>entrySize(kind) != <u64>size) return fail(E.SECTION_SIZE, e);
    prevEnd = <u64>off + <u64>size;
    store<u32>(view + kind * 8, buf + off);
    store<u32>(view + kind * 8, count, 4);
  }
  for (let k: u32 = 1; k <= L.SECTION_COUNT; k++) {
    if (!(seen & (1 << k))) return fail(E.SECTION_MISSING, k);
  }

  // 4. counts that must agree
  const N = sectionCount(view, L.S_SERVER_IDS);
  if (sectionCount(view, L.S_CLIENT) != 1) return fail(E.SECTION_SIZE, L.S_CLIENT);
  for (let k = L.S_SERVER_HASH; k <= L.S_SERVER_STATE; k++) {
    if (sectionCount(view, k) != N) return fail(E.SECTION_SIZE, k);
  }
  const shardN = sectionCount(view, L.S_SHARD_STARTS);
  if (sectionCount(view, L.S_SHARD_LISTS) != shardN) return fail(E.SECTION_SIZE, L.S_SHARD_LISTS);
  const R = sectionCount(view, L.S_REGIONS);
  if (<u64>sectionCount(view, L.S_RTT) != <u64>R * <u64>R) return fail(E.RTT_SHAPE, NO_DETAIL);

  const strings = sectionPtr(view, L.S_STRINGS);
  const stringsN = sectionCount(view, L.S_STRINGS);

  // 5. regions
  const regions = sectionPtr(view, L.S_REGIONS);
  const regionSlots = tableSlots(R);
  tabRegions = zeroed(regionSlots, 8);
  if (tabRegions == 0) return fail(E.OUT_OF_MEMORY, NO_DETAIL);
  for (let i: u32 = 0; i < R; i++) {
    const off = load<u32>(regions + i * L.REGIONS_ENTRY, L.STR_OFF);
    const n = load<u32>(regions + i * L.REGIONS_ENTRY, L.STR_LEN);
    if (!strInRange(off, n, stringsN)) return fail(E.STRING_OUT_OF_RANGE, i);
    if (n == 0) return fail(E.REGION_NAME_EMPTY, i);
    const h = xxh32(strings + off, n, 0);
    if (!tableInsert(tabRegions, regionSlots - 1, h, i, strings, regions, L.REGIONS_ENTRY, strings + off, n)) {
      return fail(E.REGION_NAMES_REPEAT, i);
    }
  }

  // 6. RTT entries
  const rtt = sectionPtr(view, L.S_RTT);
  const rttN = R * R;
  for (let k: u32 = 0; k < rttN; k++) {
    if (!u32OrAllOnes(load<u32>(rtt + k * 8), load<u32>(rtt + k * 8, 4))) return fail(E.RTT_VALUE, k);
  }

  // 7. client
  const client = sectionPtr(view, L.S_CLIENT);
  const cOff = load<u32>(client, L.C_ID_OFF);
  const cLen = load<u32>(client, L.C_ID_LEN);
  if (!strInRange(cOff, cLen, stringsN)) return fail(E.STRING_OUT_OF_RANGE, 0);
  if (cLen == 0) return fail(E.CLIENT_ID_EMPTY, NO_DETAIL);
  if (load<u32>(client, L.C_REGION) >= R) return fail(E.CLIENT_REGION, load<u32>(client, L.C_REGION));

  // 8. services
  const services = sectionPtr(view, L.S_SERVICES);
  const S = sectionCount(view, L.S_SERVICES);
  const ids = sectionPtr(view, L.S_SERVER_IDS);
  const hashes = sectionPtr(view, L.S_SERVER_HASH);
  const weights = sectionPtr(view, L.S_SERVER_WEIGHT);
  const sregions = sectionPtr(view, L.S_SERVER_REGION);
  const states = sectionPtr(view, L.S_SERVER_STATE);
  const rings = sectionPtr(view, L.S_RINGS);
  const ringN = sectionCount(view, L.S_RINGS);
  const spillRegions = sectionPtr(view, L.S_SPILL_REGIONS);
  const spillN = sectionCount(view, L.S_SPILL_REGIONS);
  const keeps = sectionPtr(view, L.S_SPILL_KEEP);
  const keepN = sectionCount(view, L.S_SPILL_KEEP);
  const starts = sectionPtr(view, L.S_SHARD_STARTS);
  const lists = sectionPtr(view, L.S_SHARD_LISTS);
  const replicas = sectionPtr(view, L.S_SHARD_REPLICAS);
  const replicaN = sectionCount(view, L.S_SHARD_REPLICAS);

  const svcSlots = tableSlots(S);
  nameTable = zeroed(svcSlots, 8);
  nameMask = svcSlots - 1;
  spillStamps = zeroed(R + 1, 4);
  if (nameTable == 0 || spillStamps == 0) return fail(E.OUT_OF_MEMORY, NO_DETAIL);

  let tSrv: u32 = 0, tRing: u32 = 0, tSpill: u32 = 0, tShard: u32 = 0, tReplica: u32 = 0;
  let tKeep: u64 = 0;
  for (let s: u32 = 0; s < S; s++) {
    const rec = services + s * L.SERVICES_ENTRY;
    // 8.1 reserved word, name
    if (load<u32>(rec, L.SV_RESERVED) != 0) return fail(E.BAD_HEADER, s);
    const nOff = load<u32>(rec, L.SV_NAME_OFF);
    const nLen = load<u32>(rec, L.SV_NAME_LEN);
    if (!strInRange(nOff, nLen, stringsN)) return fail(E.STRING_OUT_OF_RANGE, s);
    if (nLen == 0) return fail(E.SERVICE_NAME_EMPTY, s);
    if (!tableInsert(nameTable, nameMask, xxh32(strings + nOff, nLen, 0), s, strings, services, L.SERVICES_ENTRY, strings + nOff, nLen)) {
      return fail(E.SERVICE_NAMES_REPEAT, s);
    }

    // 8.2 tiling
    const srvFirst = load<u32>(rec, L.SV_SERVER_FIRST), srvCount = load<u32>(rec, L.SV_SERVER_COUNT);
    const ringFirst = load<u32>(rec, L.SV_RING_FIRST), ringCount = load<u32>(rec, L.SV_RING_COUNT);
    const spillFirst = load<u32>(rec, L.SV_SPILL_FIRST), spillCount = load<u32>(rec, L.SV_SPILL_COUNT);
    const keepFirst = load<u32>(rec, L.SV_KEEP_FIRST);
    const keepCount = <u64>spillCount * <u64>ringCount;
    const shardFirst = load<u32>(rec, L.SV_SHARD_FIRST), shardCount = load<u32>(rec, L.SV_SHARD_COUNT);
    const repFirst = load<u32>(rec, L.SV_REPLICA_FIRST), repCount = load<u32>(rec, L.SV_REPLICA_COUNT);
    if (
      srvFirst != tSrv || <u64>srvFirst + srvCount > <u64>N ||
      ringFirst != tRing || <u64>ringFirst + ringCount > <u64>ringN ||
      spillFirst != tSpill || <u64>spillFirst + spillCount > <u64>spillN ||
      <u64>keepFirst != tKeep || <u64>keepFirst + keepCount > <u64>keepN ||
      shardFirst != tShard || <u64>shardFirst + shardCount > <u64>shardN ||
      repFirst != tReplica || <u64>repFirst + repCount > <u64>replicaN
    ) return fail(E.RANGE_NOT_TILED, s);
    if (srvCount > L.REPLICA_INDEX_MASK) return fail(E.TOO_LARGE, s);
    tSrv = srvFirst + srvCount;
    tRing = ringFirst + ringCount;
    tSpill = spillFirst + spillCount;
    tKeep = <u64>keepFirst + keepCount;
    tShard = shardFirst + shardCount;
    tReplica = repFirst + repCount;

    // 8.3 policy
    const policies = (load<u32>(rec, L.SV_SUBSET) > 0 ? 1 : 0) + (load<u32>(rec, L.SV_HASH_REPLICAS) > 0 ? 1 : 0) +
      (shardCount > 0 ? 1 : 0);
    if (policies > 1) return fail(E.POLICY_CONFLICT, s);

    // 8.4 servers: every check but the repeat in one pass, stopping at the first failure `bad`;
    // then the repeat check over the servers whose repeat check the in-order walk reaches
    const srvEnd = srvFirst + srvCount;
    let bad = srvEnd, badCode: i32 = 0;
    let afterRepeat = false; // bad's failure comes after the repeat check (region, weight, state)
    for (let g = srvFirst; g < srvEnd; g++) {
      const iOff = load<u32>(ids + g * L.SERVER_IDS_ENTRY, L.STR_OFF);
      const iLen = load<u32>(ids + g * L.SERVER_IDS_ENTRY, L.STR_LEN);
      let code: i32 = 0;
      if (!strInRange(iOff, iLen, stringsN)) code = E.STRING_OUT_OF_RANGE;
      else if (iLen == 0) code = E.SERVER_ID_EMPTY;
      else if (xxh32(strings + iOff, iLen, L.SEED_SERVER) != load<u32>(hashes + g * 4)) code = E.SERVER_HASH;
      else {
        const w = load<u32>(weights + g * 4);
        if (load<u32>(sregions + g * 4) >= R) code = E.SERVER_REGION;
        else if (w < 1 || w > L.WEIGHT_MAX) code = E.SERVER_WEIGHT;
        else if (<u32>load<u8>(states + g) > L.STATE_DOWN) code = E.SERVER_STATE;
        afterRepeat = code != 0;
      }
      if (code != 0) { bad = g; badCode = code; break; }
    }
    const repeat = firstRepeat(srvFirst, afterRepeat ? bad + 1 : bad, N, hashes, ids, strings);
    if (repeat == NO_REPEAT - 1) return fail(E.OUT_OF_MEMORY, NO_DETAIL);
    if (repeat != NO_REPEAT) return fail(E.SERVER_IDS_REPEAT, repeat);
    if (bad != srvEnd) return fail(badCode, bad);

    // 8.5 rings
    if (ringCount == 0) return fail(E.RINGS_EMPTY, s);
    const ringEnd = ringFirst + ringCount;
    for (let r = ringFirst; r < ringEnd; r++) {
      const lo = load<u32>(rings + r * 8), hi = load<u32>(rings + r * 8, 4);
      if (!u32OrAllOnes(lo, hi)) return fail(E.RINGS_VALUE, r);
      if (hi != 0 && r + 1 != ringEnd) return fail(E.RINGS_UNBOUNDED_NOT_LAST, r);
      if (r > ringFirst && load<u64>(rings + r * 8) <= load<u64>(rings + (r - 1) * 8)) return fail(E.RINGS_ORDER, r);
    }

    // 8.6 spill lists
    const spillEnd = spillFirst + spillCount;
    for (let j = spillFirst; j < spillEnd; j++) {
      const region = load<u32>(spillRegions + j * 4);
      if (region >= R) return fail(E.SPILL_REGION, j);
      if (load<u32>(spillStamps + region * 4) == s + 1) return fail(E.SPILL_REGION_REPEAT, j);
      store<u32>(spillStamps + region * 4, s + 1);
      const k0 = keeps + (keepFirst + (j - spillFirst) * ringCount) * 4;
      for (let r: u32 = 0; r < ringCount; r++) {
        if (load<u32>(k0 + r * 4) > L.KEEP_ONE) return fail(E.SPILL_FRACTION, j);
      }
    }

    // 8.7 shards
    const shardEnd = shardFirst + shardCount;
    if (shardCount > 0) {
      if (load<u32>(starts + shardFirst * 4) != 0) return fail(E.SHARDS_FIRST_START, s);
      for (let i = shardFirst + 1; i < shardEnd; i++) {
        if (load<u32>(starts + i * 4) <= load<u32>(starts + (i - 1) * 4)) return fail(E.SHARDS_ORDER, i);
      }
      if (srvCount > replicaStampsCap) {
        free(replicaStamps);
        replicaStamps = zeroed(srvCount, 4);
        replicaStampsCap = replicaStamps == 0 ? 0 : srvCount;
        if (replicaStamps == 0) return fail(E.OUT_OF_MEMORY, NO_DETAIL);
      }
    }
    let expected: u32 = 0;
    for (let i = shardFirst; i < shardEnd; i++) {
      const lf = load<u32>(lists + i * L.SHARD_LISTS_ENTRY, L.SL_FIRST);
      const lc = load<u32>(lists + i * L.SHARD_LISTS_ENTRY, L.SL_COUNT);
      if (lf != expected || <u64>lf + lc > <u64>repCount) return fail(E.RANGE_NOT_TILED, i);
      let primaries: u32 = 0;
      const rEnd = repFirst + lf + lc;
      for (let r = repFirst + lf; r < rEnd; r++) {
        const v = load<u32>(replicas + r * 4);
        const idx = v & L.REPLICA_INDEX_MASK;
        if (idx >= srvCount) return fail(E.SHARD_REPLICA_RANGE, i);
        if (load<u32>(replicaStamps + idx * 4) == i + 1) return fail(E.SHARD_REPLICA_TWICE, i);
        store<u32>(replicaStamps + idx * 4, i + 1);
        const role = v >>> L.REPLICA_INDEX_BITS;
        if (role > L.ROLE_PRIMARY) return fail(E.SHARD_ROLE, i);
        if (role == L.ROLE_PRIMARY && primaries++ > 0) return fail(E.SHARD_TWO_PRIMARIES, i);
      }
      expected = lf + lc;
    }
    if (expected != repCount) return fail(E.RANGE_NOT_TILED, s);
  }

  // 9. the running totals end at their sections' counts
  if (tSrv != N || tRing != ringN || tSpill != spillN || tKeep != <u64>keepN || tShard != shardN || tReplica != replicaN) {
    return fail(E.RANGE_NOT_TILED, S);
  }
  return 0;
}
