// Test helper: builds a miniRIB (spec/minirib.md) in the allocator's memory, so a spec can make
// data of any size (70,000 shards, a 16-replica shard, duplicate ids ...) without an embedded
// dump. Regions "r0" … "r{R-1}", the client "c-1" in region 0 with seed 7, rings and spill per
// service. Tests only: no validation here, rr_load does that.
import { alloc, free } from '../alloc';
import { xxh32 } from '../hash';
import * as L from '../layout';

/** splitmix32 for test data (not the router's stream). */
export class TestRng {
  constructor(public s: u32) {}
  next(): u32 {
    this.s += 0x9e3779b9;
    let z = this.s;
    z ^= z >>> 16; z *= 0x85ebca6b; z ^= z >>> 13; z *= 0xc2b2ae35; z ^= z >>> 16;
    return z;
  }
  below(n: u32): u32 { return <u32>((<u64>this.next() * <u64>n) >> 32); }
}

export class RibBuilder {
  strings: u8[] = [];
  regionCount: u32;
  rtt: u64[] = []; // R × R
  services: u32[] = []; // 16 words each
  ids: u32[] = []; // (off, len) pairs
  hashes: u32[] = [];
  weights: u32[] = [];
  regions: u32[] = [];
  states: u8[] = [];
  rings: u64[] = [];
  spillRegions: u32[] = [];
  keeps: u32[] = [];
  starts: u32[] = [];
  lists: u32[] = []; // (first, count) pairs
  replicas: u32[] = [];
  // the service being added
  private svcRec: i32 = -1;

  constructor(R: u32) {
    this.regionCount = R;
    for (let i: u32 = 0; i < R; i++) {
      for (let j: u32 = 0; j < R; j++) this.rtt.push(i == j ? 300 : <u64>(20000 * (i > j ? i - j : j - i)));
    }
  }

  str(s: string): u64 {
    const off = this.strings.length;
    const b = Uint8Array.wrap(String.UTF8.encode(s));
    for (let i = 0; i < b.length; i++) this.strings.push(b[i]);
    return (<u64>off << 32) | <u64>b.length;
  }

  /** Starts a service: rings (0xFFFFFFFF = unbounded), the policy words. */
  service(name: string, rings: u32[], subset: u32, hashReplicas: u32): RibBuilder {
    const n = this.str(name);
    this.svcRec = this.services.length;
    const w: u32[] = [<u32>(n >> 32), <u32>n, this.hashes.length, 0, this.rings.length, rings.length,
      this.spillRegions.length, 0, this.keeps.length, subset, hashReplicas, this.starts.length, 0, this.replicas.length, 0, 0];
    for (let i = 0; i < 16; i++) this.services.push(w[i]);
    for (let i = 0; i < rings.length; i++) this.rings.push(rings[i] == 0xffffffff ? 0xffffffffffffffff : <u64>rings[i]);
    return this;
  }

  server(id: string, region: u32, weight: u32, state: u8): RibBuilder {
    const s = this.str(id);
    this.ids.push(<u32>(s >> 32)); this.ids.push(<u32>s);
    const off = <u32>(s >> 32);
    const tmp = alloc(<u32>s + 1);
    for (let i: u32 = 0; i < <u32>s; i++) store<u8>(tmp + i, this.strings[off + i]);
    this.hashes.push(xxh32(tmp, <u32>s, L.SEED_SERVER));
    free(tmp);
    this.weights.push(weight); this.regions.push(region); this.states.push(state);
    this.services[this.svcRec + 3]++;
    return this;
  }

  /** A spill list (keep16 per ring) for a client region. */
  spill(region: u32, keep16: u32[]): RibBuilder {
    this.spillRegions.push(region);
    for (let i = 0; i < keep16.length; i++) this.keeps.push(keep16[i]);
    this.services[this.svcRec + 7]++;
    return this;
  }

  /** A shard: its start and replica entries (index | role << 28). */
  shard(start: u32, entries: u32[]): RibBuilder {
    this.starts.push(start);
    const first = <u32>this.replicas.length - this.services[this.svcRec + 13];
    this.lists.push(first); this.lists.push(entries.length);
    for (let i = 0; i < entries.length; i++) this.replicas.push(entries[i]);
    this.services[this.svcRec + 12]++;
    this.services[this.svcRec + 14] += entries.length;
    return this;
  }

  /** The buffer (ptr, an alloc() block) and its length in `lenOut` (a u32 cell). */
  build(lenOut: u32): u32 {
    const client = this.str('c-1');
    const regionRefs: u64[] = [];
    for (let i: u32 = 0; i < this.regionCount; i++) regionRefs.push(this.str('r' + i.toString()));
    const sizes: u32[] = [0,
      this.strings.length, 16, this.regionCount * 8, this.rtt.length * 8, this.services.length * 4, this.ids.length * 4,
      this.hashes.length * 4, this.weights.length * 4, this.regions.length * 4, this.states.length, this.rings.length * 8,
      this.spillRegions.length * 4, this.keeps.length * 4, this.starts.length * 4, this.lists.length * 4, this.replicas.length * 4];
    const counts: u32[] = [0,
      this.strings.length, 1, this.regionCount, this.rtt.length, this.services.length / 16, this.ids.length / 2,
      this.hashes.length, this.weights.length, this.regions.length, this.states.length, this.rings.length,
      this.spillRegions.length, this.keeps.length, this.starts.length, this.lists.length / 2, this.replicas.length];
    const offs: u32[] = [0];
    let at: u32 = L.HEADER_SIZE + L.SECTION_COUNT * L.SECTION_ENTRY_SIZE;
    for (let k: u32 = 1; k <= L.SECTION_COUNT; k++) { offs.push(at); at = (at + sizes[k] + 7) & ~7; }
    const total = at;
    const p = alloc(total);
    memory.fill(p, 0, total);
    store<u32>(p + L.H_MAGIC, L.MAGIC);
    store<u16>(p + L.H_VERSION, <u16>L.VERSION);
    store<u16>(p + L.H_HEADER_SIZE, <u16>L.HEADER_SIZE);
    store<u32>(p + L.H_TOTAL_LEN, total);
    store<u32>(p + L.H_GEN_LO, 1);
    store<u32>(p + L.H_SECTION_COUNT, L.SECTION_COUNT);
    for (let k: u32 = 1; k <= L.SECTION_COUNT; k++) {
      const e = p + L.HEADER_SIZE + (k - 1) * L.SECTION_ENTRY_SIZE;
      store<u32>(e + L.SE_KIND, k); store<u32>(e + L.SE_OFFSET, offs[k]);
      store<u32>(e + L.SE_SIZE, sizes[k]); store<u32>(e + L.SE_COUNT, counts[k]);
    }
    for (let i = 0; i < this.strings.length; i++) store<u8>(p + offs[1] + i, this.strings[i]);
    store<u32>(p + offs[2], <u32>(client >> 32)); store<u32>(p + offs[2] + 4, <u32>client);
    store<u32>(p + offs[2] + 8, 0); store<u32>(p + offs[2] + 12, 7);
    for (let i = 0; i < regionRefs.length; i++) {
      store<u32>(p + offs[3] + i * 8, <u32>(regionRefs[i] >> 32)); store<u32>(p + offs[3] + i * 8 + 4, <u32>regionRefs[i]);
    }
    for (let i = 0; i < this.rtt.length; i++) store<u64>(p + offs[4] + i * 8, this.rtt[i]);
    for (let i = 0; i < this.services.length; i++) store<u32>(p + offs[5] + i * 4, this.services[i]);
    for (let i = 0; i < this.ids.length; i++) store<u32>(p + offs[6] + i * 4, this.ids[i]);
    for (let i = 0; i < this.hashes.length; i++) {
      store<u32>(p + offs[7] + i * 4, this.hashes[i]);
      store<u32>(p + offs[8] + i * 4, this.weights[i]);
      store<u32>(p + offs[9] + i * 4, this.regions[i]);
      store<u8>(p + offs[10] + i, this.states[i]);
    }
    for (let i = 0; i < this.rings.length; i++) store<u64>(p + offs[11] + i * 8, this.rings[i]);
    for (let i = 0; i < this.spillRegions.length; i++) store<u32>(p + offs[12] + i * 4, this.spillRegions[i]);
    for (let i = 0; i < this.keeps.length; i++) store<u32>(p + offs[13] + i * 4, this.keeps[i]);
    for (let i = 0; i < this.starts.length; i++) store<u32>(p + offs[14] + i * 4, this.starts[i]);
    for (let i = 0; i < this.lists.length; i++) store<u32>(p + offs[15] + i * 4, this.lists[i]);
    for (let i = 0; i < this.replicas.length; i++) store<u32>(p + offs[16] + i * 4, this.replicas[i]);
    store<u32>(p + L.H_CHECKSUM, xxh32(p + L.HEADER_SIZE, total - L.HEADER_SIZE, 0));
    store<u32>(lenOut, total);
    return p;
  }
}
