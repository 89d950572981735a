import { alloc } from '../alloc';
import { buildIndex, findShard, indexBits } from '../shardmap';
import { u32s } from './helpers';

function index(starts: u32, m: u32): u32 {
  const bits = indexBits(m);
  const idx = alloc(((1 << bits) + 1) * 4);
  buildIndex(starts, m, idx, bits);
  return idx;
}

describe('findShard', () => {
  it('finds the shard at each boundary', () => {
    const starts = u32s([0, 10, 0xffffffff]);
    const idx = index(starts, 3), bits = indexBits(3);
    expect<u32>(findShard(starts, idx, bits, 0)).toBe(0);
    expect<u32>(findShard(starts, idx, bits, 9)).toBe(0);
    expect<u32>(findShard(starts, idx, bits, 10)).toBe(1);
    expect<u32>(findShard(starts, idx, bits, 0xfffffffe)).toBe(1);
    expect<u32>(findShard(starts, idx, bits, 0xffffffff)).toBe(2);
  });
  it('handles one shard', () => {
    const starts = u32s([0]);
    const idx = index(starts, 1), bits = indexBits(1);
    expect<u32>(findShard(starts, idx, bits, 0)).toBe(0);
    expect<u32>(findShard(starts, idx, bits, 0xffffffff)).toBe(0);
  });
  it('agrees with a linear scan, starts crowded into one bucket and spread out', () => {
    const m: u32 = 1000;
    const crowded = alloc(m * 4), spread = alloc(m * 4);
    for (let i: u32 = 0; i < m; i++) {
      store<u32>(crowded + i * 4, i * 3); // all in bucket 0: the O(log m) worst case
      store<u32>(spread + i * 4, i * 4294967); // about one per bucket
    }
    for (let t = 0; t < 2; t++) {
      const starts = t == 0 ? crowded : spread;
      const idx = index(starts, m), bits = indexBits(m);
      let h: u32 = 1;
      for (let q = 0; q < 3000; q++) {
        h = q < 1000 ? load<u32>(starts + <u32>q * 4) - (q & 1) : h * 1103515245 + 12345;
        let want: u32 = 0;
        while (want + 1 < m && load<u32>(starts + (want + 1) * 4) <= h) want++;
        expect<u32>(findShard(starts, idx, bits, h)).toBe(want);
      }
    }
  });
  it('agrees with a plain binary search above 2^16 shards (index capped at 16 bits)', () => {
    const m: u32 = 200000;
    expect<u32>(indexBits(m)).toBe(16);
    const starts = alloc(m * 4);
    let x: u32 = 7, s: u32 = 0;
    for (let i: u32 = 0; i < m; i++) {
      store<u32>(starts + i * 4, s);
      x = x * 1103515245 + 12345;
      s += 1 + (x >>> 16) % 30000; // ~15,000 apart on average: ~4 starts a bucket
    }
    const idx = index(starts, m), bits = indexBits(m);
    let h: u32 = 99;
    for (let q = 0; q < 20000; q++) {
      h = q < 5000 ? load<u32>(starts + <u32>(q * 37) * 4) - (q & 1) : h * 1664525 + 1013904223;
      let lo: u32 = 0, hi: u32 = m; // the last i with starts[i] ≤ h
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (load<u32>(starts + mid * 4) <= h) lo = mid; else hi = mid;
      }
      expect<u32>(findShard(starts, idx, bits, h)).toBe(lo);
    }
  });
});
