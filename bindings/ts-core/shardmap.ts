// Shard-map lookup: the shard i with starts[i] ≤ h < starts[i+1] (spec/routing.md §3).
// A bucket index over the top bits of h (built once per load, O(shards + buckets)) narrows the
// range to the shards that overlap h's bucket, then a branch-free binary search (the "monobound"
// form: the loop count depends only on the range length) finishes it. Cost: O(1) expected for
// spread-out starts, O(log shards) worst case; the bucket table (≤ 2^16 words, 256 KiB) stays in
// L2, so a lookup in a 1,000,000-shard map costs about one cache miss into `starts`.
// Called once per request to a sharded service.

export interface ShardIndex {
  starts: Uint32Array; // view of the service's starts
  shift: number; // 32 − bucket bits
  buckets: Uint32Array; // buckets[b] = the shard holding b << shift; buckets[B] = last shard
}

const MAX_BITS = 16;

export function buildShardIndex(starts: Uint32Array): ShardIndex {
  const m = starts.length;
  let bits = 1;
  while (bits < MAX_BITS && 1 << bits < m) bits++;
  const B = 1 << bits;
  const shift = 32 - bits;
  const buckets = new Uint32Array(B + 1);
  let i = 0;
  for (let b = 0; b < B; b++) {
    const lo = (b * 2 ** shift) >>> 0; // b << shift without the sign bit
    while (i + 1 < m && starts[i + 1] <= lo) i++;
    buckets[b] = i;
  }
  buckets[B] = m - 1;
  return { starts, shift, buckets };
}

export function findShard(ix: ShardIndex, h: number): number {
  const b = h >>> ix.shift;
  const starts = ix.starts;
  let base = ix.buckets[b];
  let len = ix.buckets[b + 1] - base + 1;
  while (len > 1) {
    const half = len >>> 1;
    base = starts[base + half] <= h ? base + half : base;
    len -= half;
  }
  return base;
}
