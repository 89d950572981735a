// The TS reader and validator of a miniRIB (spec/minirib.md), in the doc's "Validation order" so
// it refuses a bad buffer with the same code as the WASM core (assembly/minirib.ts).
// Cost: O(buffer size): one xxh32 pass, one hash per id, one pass per column. Called once per
// load (per data generation), never on the hot path. Never reads past the buffer: every offset and
// length is checked before it is used.
import * as E from '../errors.js';
import { RingrouteError } from '../errors.js';
import * as L from '../layout.js';
import { xxh32 } from './hash.js';

/** A validated miniRIB: typed views over its sections (word indexes are byte offset / 4). */
export interface MiniRib {
  bytes: Uint8Array;
  u32: Uint32Array;
  generation: bigint;
  R: number;
  S: number;
  N: number;
  /** byte offset of each section, by kind */
  off: Int32Array;
  /** entry count of each section, by kind */
  count: Int32Array;
  clientRegion: number;
  clientSeed: number;
  clientIdOff: number;
  clientIdLen: number;
}

const MAX_SECTIONS = 64;
const ONES = 0xffffffff;

const fail = (code: number, detail?: number): never => {
  throw new RingrouteError(code, detail === undefined ? '' : `at ${detail}`);
};

/** Byte-equality of two ranges of one buffer. */
function sameBytes(b: Uint8Array, a: number, c: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[a + i] !== b[c + i]) return false;
  return true;
}

/**
 * An open-addressing set of strings of a buffer, keyed by a 32-bit hash (linear probing, capacity
 * a power of two ≥ 2n). Each slot holds (hash, entry + 1) side by side, so a probe that meets
 * another string costs one cache line; the bytes are compared only when the hashes are equal.
 * O(1) expected per call; used for the unique names and ids rules and the load carry-over.
 */
export class StringSet {
  private slots: Uint32Array; // [hash, entry + 1] pairs; entry + 1 = 0: empty
  private mask: number;
  private offs: Uint32Array;
  private lens: Uint32Array;
  constructor(private bytes: Uint8Array, n: number) {
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    this.slots = new Uint32Array(2 * cap);
    this.mask = cap - 1;
    this.offs = new Uint32Array(n);
    this.lens = new Uint32Array(n);
  }
  /** Inserts entry `i`; returns the entry it equals, or −1 if it is new. */
  add(i: number, hash: number, off: number, len: number): number {
    const slots = this.slots;
    let s = (Math.imul(hash, 0x9e3779b1) >>> 0) & this.mask;
    for (let e = slots[2 * s + 1]; e !== 0; s = (s + 1) & this.mask, e = slots[2 * s + 1]) {
      const j = e - 1;
      if (slots[2 * s] === hash && this.lens[j] === len && sameBytes(this.bytes, this.offs[j], off, len)) return j;
    }
    slots[2 * s] = hash;
    slots[2 * s + 1] = i + 1;
    this.offs[i] = off;
    this.lens[i] = len;
    return -1;
  }
  /** The entry equal to bytes[off, off+len) of `from` (another buffer), or −1. */
  find(hash: number, off: number, len: number, from: Uint8Array): number {
    const slots = this.slots;
    let s = (Math.imul(hash, 0x9e3779b1) >>> 0) & this.mask;
    for (let e = slots[2 * s + 1]; e !== 0; s = (s + 1) & this.mask, e = slots[2 * s + 1]) {
      const j = e - 1;
      if (slots[2 * s] === hash && this.lens[j] === len && equalAcross(this.bytes, this.offs[j], from, off, len)) return j;
    }
    return -1;
  }
}

/** Byte-equality of ranges of two buffers. */
export function equalAcross(a: Uint8Array, ao: number, b: Uint8Array, bo: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** Validates `input` and returns views over it; throws RingrouteError at the first broken rule. */
export function readMiniRib(input: Uint8Array): MiniRib {
  // an 8-aligned private copy: sections become typed-array views, and the caller may reuse its buffer
  const bytes = new Uint8Array(new ArrayBuffer((input.length + 7) & ~7), 0, input.length);
  bytes.set(input);
  const len = bytes.length;
  // 1. header
  if (len < L.HEADER_SIZE) fail(E.TRUNCATED, len);
  const dv = new DataView(bytes.buffer, 0, len);
  if (dv.getUint32(L.H_MAGIC, true) !== L.MAGIC) fail(E.BAD_MAGIC);
  if (dv.getUint16(L.H_VERSION, true) !== L.VERSION) fail(E.BAD_VERSION, dv.getUint16(L.H_VERSION, true));
  if (dv.getUint16(L.H_HEADER_SIZE, true) !== L.HEADER_SIZE || dv.getUint32(L.H_FLAGS, true) !== 0) fail(E.BAD_HEADER);
  for (let p = L.H_RESERVED; p < L.HEADER_SIZE; p++) if (bytes[p] !== 0) fail(E.BAD_HEADER, p);
  if (dv.getUint32(L.H_TOTAL_LEN, true) !== len) fail(E.BAD_LENGTH, dv.getUint32(L.H_TOTAL_LEN, true));
  if (dv.getUint32(L.H_CHECKSUM, true) !== xxh32(bytes, 0, L.HEADER_SIZE, len - L.HEADER_SIZE)) fail(E.BAD_CHECKSUM);
  // 2-3. section table
  const C = dv.getUint32(L.H_SECTION_COUNT, true);
  if (C < 1 || C > MAX_SECTIONS || L.HEADER_SIZE + C * L.SECTION_ENTRY_SIZE > len) fail(E.BAD_SECTION_TABLE, C);
  const off = new Int32Array(L.SECTION_COUNT + 1).fill(-1);
  const count = new Int32Array(L.SECTION_COUNT + 1);
  let prevEnd = L.HEADER_SIZE + C * L.SECTION_ENTRY_SIZE;
  for (let e = 0; e < C; e++) {
    const t = L.HEADER_SIZE + e * L.SECTION_ENTRY_SIZE;
    const kind = dv.getUint32(t + L.SE_KIND, true);
    const o = dv.getUint32(t + L.SE_OFFSET, true);
    const size = dv.getUint32(t + L.SE_SIZE, true);
    const n = dv.getUint32(t + L.SE_COUNT, true);
    if (kind < 1 || kind > L.SECTION_COUNT) fail(E.SECTION_UNKNOWN, e);
    if (off[kind] >= 0) fail(E.SECTION_DUPLICATE, e);
    if (o % L.SECTION_ALIGN !== 0 || o < prevEnd || o + size > len) fail(E.SECTION_OUT_OF_RANGE, e);
    if (size !== n * L.ENTRY_SIZES[kind]) fail(E.SECTION_SIZE, e);
    off[kind] = o;
    count[kind] = n;
    prevEnd = o + size;
  }
  for (let k = 1; k <= L.SECTION_COUNT; k++) if (off[k] < 0) fail(E.SECTION_MISSING, k);
  // 4. counts that must agree
  const N = count[L.S_SERVER_IDS];
  if (count[L.S_CLIENT] !== 1) fail(E.SECTION_SIZE, L.S_CLIENT);
  for (const k of [L.S_SERVER_HASH, L.S_SERVER_WEIGHT, L.S_SERVER_REGION, L.S_SERVER_STATE]) {
    if (count[k] !== N) fail(E.SECTION_SIZE, k);
  }
  if (count[L.S_SHARD_LISTS] !== count[L.S_SHARD_STARTS]) fail(E.SECTION_SIZE, L.S_SHARD_LISTS);
  const R = count[L.S_REGIONS];
  if (count[L.S_RTT] !== R * R) fail(E.RTT_SHAPE);

  const u32 = new Uint32Array(bytes.buffer, 0, len >>> 2);
  const W = (k: number): number => off[k] >>> 2;
  const strOff = off[L.S_STRINGS];
  const strLen = count[L.S_STRINGS];
  const inStrings = (o: number, n: number): boolean => o + n <= strLen; // u32 + u32 < 2^53: exact
  // 5. regions
  const regionSet = new StringSet(bytes, R);
  for (let i = 0; i < R; i++) {
    const o = u32[W(L.S_REGIONS) + 2 * i], n = u32[W(L.S_REGIONS) + 2 * i + 1];
    if (!inStrings(o, n)) fail(E.STRING_OUT_OF_RANGE, i);
    if (n === 0) fail(E.REGION_NAME_EMPTY, i);
    if (regionSet.add(i, xxh32(bytes, 0, strOff + o, n), strOff + o, n) >= 0) fail(E.REGION_NAMES_REPEAT, i);
  }
  // 6. rtt
  for (let k = 0; k < R * R; k++) {
    const lo = u32[W(L.S_RTT) + 2 * k], hi = u32[W(L.S_RTT) + 2 * k + 1];
    if (hi !== 0 && !(hi === ONES && lo === ONES)) fail(E.RTT_VALUE, k);
  }
  // 7. client
  const c = W(L.S_CLIENT);
  const clientIdOff = u32[c + L.C_ID_OFF / 4], clientIdLen = u32[c + L.C_ID_LEN / 4];
  if (!inStrings(clientIdOff, clientIdLen)) fail(E.STRING_OUT_OF_RANGE, 0);
  if (clientIdLen === 0) fail(E.CLIENT_ID_EMPTY);
  const clientRegion = u32[c + L.C_REGION / 4];
  if (clientRegion >= R) fail(E.CLIENT_REGION, clientRegion);
  const clientSeed = u32[c + L.C_SEED / 4];

  // 8. services
  const S = count[L.S_SERVICES];
  const names = new StringSet(bytes, S);
  let ids = new StringSet(bytes, 0);
  let marks = new Int32Array(0);
  const spillSeen = new Int32Array(R).fill(-1); // the last service that gave a list for each region: O(1) repeat check
  let servers = 0, rings = 0, spills = 0, keeps = 0, shards = 0, replicas = 0;
  const total = {
    servers: N, rings: count[L.S_RINGS], spills: count[L.S_SPILL_REGIONS], keeps: count[L.S_SPILL_KEEP],
    shards: count[L.S_SHARD_STARTS], replicas: count[L.S_SHARD_REPLICAS],
  };
  for (let s = 0; s < S; s++) {
    const rec = W(L.S_SERVICES) + s * (L.SERVICES_ENTRY / 4);
    const f = (field: number): number => u32[rec + field / 4];
    if (f(L.SV_RESERVED) !== 0) fail(E.BAD_HEADER, s);
    const no = f(L.SV_NAME_OFF), nl = f(L.SV_NAME_LEN);
    if (!inStrings(no, nl)) fail(E.STRING_OUT_OF_RANGE, s);
    if (nl === 0) fail(E.SERVICE_NAME_EMPTY, s);
    if (names.add(s, xxh32(bytes, 0, strOff + no, nl), strOff + no, nl) >= 0) fail(E.SERVICE_NAMES_REPEAT, s);
    // tiling
    const sc = f(L.SV_SERVER_COUNT), rc = f(L.SV_RING_COUNT), pc = f(L.SV_SPILL_COUNT);
    const hc = f(L.SV_SHARD_COUNT), qc = f(L.SV_REPLICA_COUNT);
    const kc = pc * rc;
    if (f(L.SV_SERVER_FIRST) !== servers || servers + sc > total.servers
      || f(L.SV_RING_FIRST) !== rings || rings + rc > total.rings
      || f(L.SV_SPILL_FIRST) !== spills || spills + pc > total.spills
      || f(L.SV_KEEP_FIRST) !== keeps || keeps + kc > total.keeps
      || f(L.SV_SHARD_FIRST) !== shards || shards + hc > total.shards
      || f(L.SV_REPLICA_FIRST) !== replicas || replicas + qc > total.replicas) fail(E.RANGE_NOT_TILED, s);
    if (sc > L.REPLICA_INDEX_MASK) fail(E.TOO_LARGE, s);
    if ((f(L.SV_SUBSET) > 0 ? 1 : 0) + (f(L.SV_HASH_REPLICAS) > 0 ? 1 : 0) + (hc > 0 ? 1 : 0) > 1) fail(E.POLICY_CONFLICT, s);
    // servers
    ids = new StringSet(bytes, sc);
    for (let i = 0; i < sc; i++) {
      const g = servers + i;
      const io = u32[W(L.S_SERVER_IDS) + 2 * g], il = u32[W(L.S_SERVER_IDS) + 2 * g + 1];
      if (!inStrings(io, il)) fail(E.STRING_OUT_OF_RANGE, g);
      if (il === 0) fail(E.SERVER_ID_EMPTY, g);
      const h = u32[W(L.S_SERVER_HASH) + g];
      if (xxh32(bytes, L.SEED_SERVER, strOff + io, il) !== h) fail(E.SERVER_HASH, g);
      if (ids.add(i, h, strOff + io, il) >= 0) fail(E.SERVER_IDS_REPEAT, g);
      if (u32[W(L.S_SERVER_REGION) + g] >= R) fail(E.SERVER_REGION, g);
      const w = u32[W(L.S_SERVER_WEIGHT) + g];
      if (w < 1 || w > L.WEIGHT_MAX) fail(E.SERVER_WEIGHT, g);
      if (bytes[off[L.S_SERVER_STATE] + g] > L.STATE_DOWN) fail(E.SERVER_STATE, g);
    }
    // rings
    if (rc === 0) fail(E.RINGS_EMPTY, s);
    for (let i = 0; i < rc; i++) {
      const r = rings + i;
      const lo = u32[W(L.S_RINGS) + 2 * r], hi = u32[W(L.S_RINGS) + 2 * r + 1];
      const unbounded = hi === ONES && lo === ONES;
      if (hi !== 0 && !unbounded) fail(E.RINGS_VALUE, r);
      if (unbounded && i !== rc - 1) fail(E.RINGS_UNBOUNDED_NOT_LAST, r);
      if (i > 0 && !unbounded && lo <= u32[W(L.S_RINGS) + 2 * (r - 1)]) fail(E.RINGS_ORDER, r);
    }
    // spill
    for (let j = 0; j < pc; j++) {
      const region = u32[W(L.S_SPILL_REGIONS) + spills + j];
      if (region >= R) fail(E.SPILL_REGION, spills + j);
      if (spillSeen[region] === s) fail(E.SPILL_REGION_REPEAT, spills + j);
      spillSeen[region] = s;
      for (let i = 0; i < rc; i++) if (u32[W(L.S_SPILL_KEEP) + keeps + j * rc + i] > L.KEEP_ONE) fail(E.SPILL_FRACTION, spills + j);
    }
    // shards
    if (hc > 0) {
      const st = W(L.S_SHARD_STARTS) + shards;
      if (u32[st] !== 0) fail(E.SHARDS_FIRST_START, s);
      for (let i = 1; i < hc; i++) if (u32[st + i] <= u32[st + i - 1]) fail(E.SHARDS_ORDER, shards + i);
      if (marks.length < sc) marks = new Int32Array(sc);
      marks.fill(-1, 0, sc);
      let next = 0;
      for (let i = 0; i < hc; i++) {
        const lf = u32[W(L.S_SHARD_LISTS) + 2 * (shards + i)], ln = u32[W(L.S_SHARD_LISTS) + 2 * (shards + i) + 1];
        if (lf !== next || lf + ln > qc) fail(E.RANGE_NOT_TILED, shards + i);
        next = lf + ln;
        let primaries = 0;
        for (let q = 0; q < ln; q++) {
          const packed = u32[W(L.S_SHARD_REPLICAS) + replicas + lf + q];
          const idx = packed & L.REPLICA_INDEX_MASK, role = packed >>> L.REPLICA_INDEX_BITS;
          if (idx >= sc) fail(E.SHARD_REPLICA_RANGE, shards + i);
          if (marks[idx] === i) fail(E.SHARD_REPLICA_TWICE, shards + i);
          marks[idx] = i;
          if (role > L.ROLE_PRIMARY) fail(E.SHARD_ROLE, shards + i);
          if (role === L.ROLE_PRIMARY && ++primaries > 1) fail(E.SHARD_TWO_PRIMARIES, shards + i);
        }
      }
      if (next !== qc) fail(E.RANGE_NOT_TILED, s);
    } else if (qc !== 0) {
      fail(E.RANGE_NOT_TILED, s);
    }
    servers += sc; rings += rc; spills += pc; keeps += kc; shards += hc; replicas += qc;
  }
  // 9. every section fully used
  if (servers !== total.servers || rings !== total.rings || spills !== total.spills || keeps !== total.keeps
    || shards !== total.shards || replicas !== total.replicas) fail(E.RANGE_NOT_TILED, S);

  const generation = BigInt(dv.getUint32(L.H_GEN_LO, true)) | (BigInt(dv.getUint32(L.H_GEN_HI, true)) << 32n);
  return { bytes, u32, generation, R, S, N, off, count, clientRegion, clientSeed, clientIdOff, clientIdLen };
}
