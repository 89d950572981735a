// The miniRIB encoder: JSON model (spec/routing.md §2) → one flat buffer (spec/minirib.md).
// Cost: O(total servers + string bytes + shards + replicas), one pass to size, one to write.
// Called by: the CLI and conformance runners, the router API's update(), the daemon (per client
// and per change of a service it carries).
import * as E from './errors.js';
import { RingrouteError } from './errors.js';
import * as L from './layout.js';
import { type ClientModel, DEFAULT_RINGS_US, type RibModel, validateModel } from './model.js';
import { xxh32 } from './ts-core/hash.js';

export interface EncodeOptions {
  /** Stamped into the header; default 1. */
  generation?: number | bigint;
  /**
   * Check every rule of §2 first (default). `false` writes whatever the format can hold, even if
   * it breaks a rule, so tests can hand a core a buffer that only the core's validator refuses;
   * values the format cannot hold (a fractional weight, a negative RTT) still throw.
   */
  check?: boolean;
}

const ALL_ONES = 0xffffffff;
const align = (n: number): number => (n + L.SECTION_ALIGN - 1) & ~(L.SECTION_ALIGN - 1);
const stateCode = { up: L.STATE_UP, draining: L.STATE_DRAINING, down: L.STATE_DOWN } as Record<string, number>;

/** A growing byte buffer of UTF-8 strings; ASCII goes byte by byte, the rest via TextEncoder. */
class Strings {
  bytes = new Uint8Array(1024);
  length = 0;
  private utf8 = new TextEncoder();
  add(s: string): number {
    const need = this.length + s.length * 3;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    const start = this.length;
    let p = start;
    const b = this.bytes;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        p = start + this.utf8.encodeInto(s, b.subarray(start)).written;
        break;
      }
      b[p++] = c;
    }
    this.length = p;
    return start;
  }
}

function u32OrThrow(x: unknown, code: number, what: string): number {
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= ALL_ONES) return x;
  throw new RingrouteError(code, `${what} = ${JSON.stringify(x)}`);
}

/** Encodes one client's miniRIB. Throws RingrouteError (with the rule's code) on a bad model. */
export function encodeMiniRib(rib: RibModel, client: ClientModel, opts: EncodeOptions = {}): Uint8Array {
  if (opts.check !== false) validateModel(rib, client);
  const regionIndex = new Map<string, number>();
  (rib.regions ?? []).forEach((r, i) => { if (!regionIndex.has(r)) regionIndex.set(r, i); });
  const R = rib.regions.length;
  const regionOf = (name: string): number => regionIndex.get(name) ?? R; // R: out of range (raw mode)

  const strings = new Strings();
  const services = rib.services;
  let N = 0, ringTotal = 0, spillTotal = 0, keepTotal = 0, shardTotal = 0, replicaTotal = 0;
  for (const svc of services) {
    const rings = svc.rings_us ?? DEFAULT_RINGS_US;
    N += svc.servers.length;
    ringTotal += rings.length;
    const lists = Object.keys(svc.spill ?? {}).length;
    spillTotal += lists;
    keepTotal += lists * rings.length;
    if (svc.shards) {
      shardTotal += svc.shards.starts.length;
      for (const list of svc.shards.replicas) replicaTotal += list.length;
    }
  }

  // section sizes, in kind order; STRINGS is sized after the strings are known
  const clientOff = strings.add(client.id);
  const clientLen = strings.length - clientOff;
  const regionRefs = new Uint32Array(R * 2);
  rib.regions.forEach((r, i) => {
    regionRefs[2 * i] = strings.add(r);
    regionRefs[2 * i + 1] = strings.length - regionRefs[2 * i];
  });
  const serviceRefs = new Uint32Array(services.length * 2);
  const serverRefs = new Uint32Array(N * 2);
  let g = 0;
  services.forEach((svc, si) => {
    serviceRefs[2 * si] = strings.add(svc.name);
    serviceRefs[2 * si + 1] = strings.length - serviceRefs[2 * si];
    for (const s of svc.servers) {
      serverRefs[2 * g] = strings.add(s.id);
      serverRefs[2 * g + 1] = strings.length - serverRefs[2 * g];
      g++;
    }
  });

  const counts: number[] = [];
  counts[L.S_STRINGS] = strings.length;
  counts[L.S_CLIENT] = 1;
  counts[L.S_REGIONS] = R;
  counts[L.S_RTT] = R * R;
  counts[L.S_SERVICES] = services.length;
  counts[L.S_SERVER_IDS] = counts[L.S_SERVER_HASH] = counts[L.S_SERVER_WEIGHT] = N;
  counts[L.S_SERVER_REGION] = counts[L.S_SERVER_STATE] = N;
  counts[L.S_RINGS] = ringTotal;
  counts[L.S_SPILL_REGIONS] = spillTotal;
  counts[L.S_SPILL_KEEP] = keepTotal;
  counts[L.S_SHARD_STARTS] = counts[L.S_SHARD_LISTS] = shardTotal;
  counts[L.S_SHARD_REPLICAS] = replicaTotal;
  const entry = L.ENTRY_SIZES;

  const offsets: number[] = [];
  let end = L.HEADER_SIZE + L.SECTION_COUNT * L.SECTION_ENTRY_SIZE;
  for (let k = 1; k <= L.SECTION_COUNT; k++) {
    end = align(end);
    offsets[k] = end;
    end += counts[k] * entry[k];
  }
  const total = align(end);
  if (total > ALL_ONES) throw new RingrouteError(E.TOO_LARGE, `${total} bytes`);

  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  const u32 = new Uint32Array(buf.buffer); // sections are 8-aligned: index = byte offset / 4
  const at = (k: number): number => offsets[k] >>> 2;

  // section table
  for (let k = 1; k <= L.SECTION_COUNT; k++) {
    const e = L.HEADER_SIZE + (k - 1) * L.SECTION_ENTRY_SIZE;
    dv.setUint32(e + L.SE_KIND, k, true);
    dv.setUint32(e + L.SE_OFFSET, offsets[k], true);
    dv.setUint32(e + L.SE_SIZE, counts[k] * entry[k], true);
    dv.setUint32(e + L.SE_COUNT, counts[k], true);
  }
  buf.set(strings.bytes.subarray(0, strings.length), offsets[L.S_STRINGS]);

  // client
  const c = offsets[L.S_CLIENT];
  dv.setUint32(c + L.C_ID_OFF, clientOff, true);
  dv.setUint32(c + L.C_ID_LEN, clientLen, true);
  dv.setUint32(c + L.C_REGION, regionOf(client.region), true);
  dv.setUint32(c + L.C_SEED, u32OrThrow(client.seed ?? 0, E.CLIENT_SEED, 'client seed'), true);

  u32.set(regionRefs, at(L.S_REGIONS));
  if (rib.rtt_us.length !== R) throw new RingrouteError(E.RTT_SHAPE, `${rib.rtt_us.length} rows for ${R} regions`);
  for (let i = 0; i < R; i++) {
    const row = rib.rtt_us[i];
    if (!Array.isArray(row) || row.length !== R) throw new RingrouteError(E.RTT_SHAPE, `row ${i}`);
    for (let j = 0; j < R; j++) {
      const v = row[j];
      const p = at(L.S_RTT) + 2 * (i * R + j);
      if (v === null) { u32[p] = ALL_ONES; u32[p + 1] = ALL_ONES; } else u32[p] = u32OrThrow(v, E.RTT_VALUE, `rtt_us[${i}][${j}]`);
    }
  }

  // servers, rings, spill, shards, tiled in service order
  u32.set(serverRefs, at(L.S_SERVER_IDS));
  const hashes = at(L.S_SERVER_HASH), weights = at(L.S_SERVER_WEIGHT), regions = at(L.S_SERVER_REGION);
  const states = offsets[L.S_SERVER_STATE];
  const sbytes = strings.bytes;
  g = 0;
  let ring = 0, spill = 0, keep = 0, shard = 0, replica = 0;
  services.forEach((svc, si) => {
    const rec = offsets[L.S_SERVICES] + si * L.SERVICES_ENTRY;
    const where = `service "${svc.name}"`;
    const rings = svc.rings_us ?? DEFAULT_RINGS_US;
    dv.setUint32(rec + L.SV_NAME_OFF, serviceRefs[2 * si], true);
    dv.setUint32(rec + L.SV_NAME_LEN, serviceRefs[2 * si + 1], true);
    dv.setUint32(rec + L.SV_SERVER_FIRST, g, true);
    dv.setUint32(rec + L.SV_SERVER_COUNT, svc.servers.length, true);
    for (const s of svc.servers) {
      u32[hashes + g] = xxh32(sbytes, L.SEED_SERVER, serverRefs[2 * g], serverRefs[2 * g + 1]);
      u32[weights + g] = u32OrThrow(s.weight ?? 1, E.SERVER_WEIGHT, `${where} server "${s.id}" weight`);
      u32[regions + g] = regionOf(s.region);
      buf[states + g] = s.state === undefined ? L.STATE_UP : stateCode[s.state] ?? 255;
      g++;
    }
    dv.setUint32(rec + L.SV_RING_FIRST, ring, true);
    dv.setUint32(rec + L.SV_RING_COUNT, rings.length, true);
    for (const b of rings) {
      const p = at(L.S_RINGS) + 2 * ring++;
      if (b === null) { u32[p] = ALL_ONES; u32[p + 1] = ALL_ONES; } else u32[p] = u32OrThrow(b, E.RINGS_VALUE, `${where} rings_us`);
    }
    const lists = Object.entries(svc.spill ?? {});
    dv.setUint32(rec + L.SV_SPILL_FIRST, spill, true);
    dv.setUint32(rec + L.SV_SPILL_COUNT, lists.length, true);
    dv.setUint32(rec + L.SV_KEEP_FIRST, keep, true);
    for (const [region, fractions] of lists) {
      u32[at(L.S_SPILL_REGIONS) + spill++] = regionOf(region);
      if (!Array.isArray(fractions) || fractions.length !== rings.length) {
        throw new RingrouteError(E.SPILL_LENGTH, `${where} spill "${region}"`);
      }
      for (const f of fractions) {
        if (typeof f !== 'number' || !(f >= 0)) throw new RingrouteError(E.SPILL_FRACTION, `${where} spill "${region}"`);
        u32[at(L.S_SPILL_KEEP) + keep++] = u32OrThrow(Math.floor(f * 65536 + 0.5), E.SPILL_FRACTION, `${where} spill "${region}" keep16`);
      }
    }
    dv.setUint32(rec + L.SV_SUBSET, svc.subset === undefined ? 0 : u32OrThrow(svc.subset, E.SUBSET_VALUE, `${where} subset`), true);
    if (svc.hash !== undefined) {
      const k = u32OrThrow(svc.hash?.replicas, E.HASH_REPLICAS, `${where} hash.replicas`);
      if (k === 0) throw new RingrouteError(E.HASH_REPLICAS, `${where} hash.replicas = 0`);
      dv.setUint32(rec + L.SV_HASH_REPLICAS, k, true);
    }
    dv.setUint32(rec + L.SV_SHARD_FIRST, shard, true);
    dv.setUint32(rec + L.SV_REPLICA_FIRST, replica, true);
    const replicaFirst = replica;
    if (svc.shards) {
      const m = svc.shards;
      if (m.replicas.length !== m.starts.length) throw new RingrouteError(E.SHARDS_LISTS, where);
      dv.setUint32(rec + L.SV_SHARD_COUNT, m.starts.length, true);
      m.starts.forEach((s, i) => {
        u32[at(L.S_SHARD_STARTS) + shard] = u32OrThrow(s, E.SHARDS_START_VALUE, `${where} starts[${i}]`);
        const list = m.replicas[i];
        u32[at(L.S_SHARD_LISTS) + 2 * shard] = replica - replicaFirst;
        u32[at(L.S_SHARD_LISTS) + 2 * shard + 1] = list.length;
        for (const r of list) {
          const idx = u32OrThrow(r.server, E.SHARD_REPLICA_RANGE, `${where} shard ${i} replica`);
          if (idx > L.REPLICA_INDEX_MASK) throw new RingrouteError(E.SHARD_REPLICA_RANGE, `${where} shard ${i} replica ${idx}`);
          const role = r.role === 'primary' ? L.ROLE_PRIMARY : r.role === 'secondary' ? L.ROLE_SECONDARY : 15;
          u32[at(L.S_SHARD_REPLICAS) + replica++] = (idx | (role << L.REPLICA_INDEX_BITS)) >>> 0;
        }
        shard++;
      });
    }
    dv.setUint32(rec + L.SV_REPLICA_COUNT, replica - replicaFirst, true);
  });

  // header last: the checksum covers everything after it
  dv.setUint32(L.H_MAGIC, L.MAGIC, true);
  dv.setUint16(L.H_VERSION, L.VERSION, true);
  dv.setUint16(L.H_HEADER_SIZE, L.HEADER_SIZE, true);
  dv.setUint32(L.H_TOTAL_LEN, total, true);
  setGeneration(buf, opts.generation ?? 1);
  dv.setUint32(L.H_SECTION_COUNT, L.SECTION_COUNT, true);
  dv.setUint32(L.H_CHECKSUM, bodyChecksum(buf), true);
  return buf;
}

/** xxh32 of the body (everything after the header), seed 0: the header's checksum field. */
export function bodyChecksum(buf: Uint8Array): number {
  return xxh32(buf, 0, L.HEADER_SIZE, buf.length - L.HEADER_SIZE);
}

/** Restamps the generation (not covered by the checksum). */
export function setGeneration(buf: Uint8Array, generation: number | bigint): void {
  const g = BigInt(generation);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(L.H_GEN_LO, Number(g & 0xffffffffn), true);
  dv.setUint32(L.H_GEN_HI, Number((g >> 32n) & 0xffffffffn), true);
}

/** Recomputes the checksum after a deliberate edit (tests and fuzzing). */
export function resealChecksum(buf: Uint8Array): void {
  if (buf.length < L.HEADER_SIZE) return;
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setUint32(L.H_CHECKSUM, bodyChecksum(buf), true);
}
