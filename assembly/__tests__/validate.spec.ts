import { allocLiveBlocks, free } from '../alloc';
import * as E from '../errors';
import * as L from '../layout';
import { loadDetail, loadRib } from '../router';
import { RibBuilder } from './ribbuilder';
import { alloc } from '../alloc';

const RINGS: u32[] = [5000, 0xffffffff];

/**
 * Two services: "a" with 100 servers (global 0 … 99) and "b" with n servers (global 100 …),
 * ids "s-i" (service a's ids repeat in b: allowed across services). `dupAt[k]` in b (service
 * index) takes the id of b's `dupOf[k]`; `weight0` (service index in b, or −1) gets weight 0;
 * `badHash` (service index in b, or −1) a wrong stored hash. Returns rr_load's code (the buffer
 * is freed when refused).
 */
function loadWith(n: u32, dupAt: u32[], dupOf: u32[], weight0: i32, badHash: i32): i32 {
  const b = new RibBuilder(2);
  b.service('a', RINGS, 0, 0);
  for (let i: u32 = 0; i < 100; i++) b.server('s-' + i.toString(), 0, 1, <u8>L.STATE_UP);
  b.service('b', RINGS, 3, 0);
  for (let i: u32 = 0; i < n; i++) {
    let id = i;
    for (let k = 0; k < dupAt.length; k++) if (dupAt[k] == i) id = dupOf[k];
    b.server('s-' + id.toString(), i & 1, <i32>i == weight0 ? 0 : 1, <u8>L.STATE_UP);
  }
  if (badHash >= 0) b.hashes[100 + badHash] ^= 1;
  const len = alloc(4);
  const p = b.build(len);
  const code = loadRib(p, load<u32>(len));
  if (code != 0) free(p);
  free(len);
  return code;
}

describe('unique server ids (radix-partitioned check)', () => {
  it('accepts unique ids, the same id in two services included', () => {
    expect<i32>(loadWith(10000, [], [], -1, -1)).toBe(0);
  });
  it('reports the first later occurrence in server order, across partitions', () => {
    const live = allocLiveBlocks();
    expect<i32>(loadWith(10000, [9000, 7000], [5, 6999], -1, -1)).toBe(E.SERVER_IDS_REPEAT);
    expect<u32>(loadDetail).toBe(100 + 7000);
    expect<i32>(loadWith(10000, [9999], [0], -1, -1)).toBe(E.SERVER_IDS_REPEAT);
    expect<u32>(loadDetail).toBe(100 + 9999);
    expect<i32>(loadWith(10000, [1], [0], -1, -1)).toBe(E.SERVER_IDS_REPEAT);
    expect<u32>(loadDetail).toBe(100 + 1);
    expect<i32>(loadWith(3, [2], [1], -1, -1)).toBe(E.SERVER_IDS_REPEAT); // one partition
    expect<u32>(loadDetail).toBe(100 + 2);
    expect<u32>(allocLiveBlocks()).toBe(live, 'a refused load frees all it allocated');
  });
  it('keeps the per-server check order: hash, repeat, then region, weight, state', () => {
    // an earlier server's weight wins over a later repeat
    expect<i32>(loadWith(10000, [9000, 7000], [5, 6999], 6000, -1)).toBe(E.SERVER_WEIGHT);
    expect<u32>(loadDetail).toBe(100 + 6000);
    // at the same server the repeat comes before the weight ...
    expect<i32>(loadWith(10000, [7000], [6999], 7000, -1)).toBe(E.SERVER_IDS_REPEAT);
    expect<u32>(loadDetail).toBe(100 + 7000);
    // ... and after the hash
    expect<i32>(loadWith(10000, [7000], [6999], -1, 7000)).toBe(E.SERVER_HASH);
    expect<u32>(loadDetail).toBe(100 + 7000);
    // a repeat before a bad hash wins; a bad hash before a repeat wins
    expect<i32>(loadWith(10000, [7000], [12], -1, 8000)).toBe(E.SERVER_IDS_REPEAT);
    expect<u32>(loadDetail).toBe(100 + 7000);
    expect<i32>(loadWith(10000, [7000], [12], -1, 300)).toBe(E.SERVER_HASH);
    expect<u32>(loadDetail).toBe(100 + 300);
    // a repeat of a server after the failing one is never reached
    expect<i32>(loadWith(10000, [7000], [6999], 6999, -1)).toBe(E.SERVER_WEIGHT);
    expect<u32>(loadDetail).toBe(100 + 6999);
  });
});
