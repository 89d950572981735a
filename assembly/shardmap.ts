// Shard lookup: the shard i with starts[i] ≤ h < starts[i+1] (shared/spec/ROUTING.md §3), the
// last shard reaching 2^32 − 1. A bucket index over the top `bits` bits of h, built once per
// generation, narrows the search to the shards that overlap h's bucket; a branch-free binary
// search (Khuong & Morin, "Array layouts for comparison-based searching", 2017: the
// conditional-move variant) finishes inside it.
//
// The index is capped at MAX_BITS = 16 bits: 2^16 + 1 u32 = 256 KiB, which stays in L2. Up to
// 65,536 shards it has about one bucket per shard; above, each bucket holds ~m / 2^16 starts
// (~16 at 1,000,000 shards: 64 bytes), so the in-bucket search touches one or two cache lines of
// `starts`, and a lookup costs one L2 hit plus one memory access instead of a 4 MiB index miss
// followed by a starts miss.
//
// Cost: build O(m + 2^bits); lookup O(log(m / 2^bits)) expected for spread-out starts, O(log m)
// worst case (all starts in one bucket). Called by route() once per request to a sharded
// service, and by routeBatch()'s first pass.
//
// Bucket index, u32[2^bits + 1]:
//
//   ┌────────────┬────────────┬─────┬──────────────────┬───────────┐
//   │ first[0]   │ first[1]   │ ... │ first[2^bits − 1]│ m − 1     │
//   └────────────┴────────────┴─────┴──────────────────┴───────────┘
//   first[b] = the shard holding hash b << (32 − bits); a hash in bucket b lies in a shard of
//   [first[b], first[b + 1]].

export const MAX_BITS: u32 = 16;

/** Bits of the bucket index for m shards: ceil(log2 m), 1 … MAX_BITS. */
export function indexBits(m: u32): u32 {
  if (m <= 2) return 1;
  const b: u32 = 32 - clz<u32>(m - 1);
  return b > MAX_BITS ? MAX_BITS : b;
}

/** Fills the index of `bits` bits (u32[2^bits + 1] at `index`) for m ≥ 1 starts (starts[0] = 0). */
export function buildIndex(starts: u32, m: u32, index: u32, bits: u32): void {
  const buckets: u32 = 1 << bits;
  const shift = 32 - bits;
  let i: u32 = 0;
  for (let b: u32 = 0; b < buckets; b++) {
    const t = b << shift;
    while (i + 1 < m && load<u32>(starts + (i + 1) * 4) <= t) i++;
    store<u32>(index + b * 4, i);
  }
  store<u32>(index + buckets * 4, m - 1);
}

/** The shard of hash h. */
export function findShard(starts: u32, index: u32, bits: u32, h: u32): u32 {
  const at = index + (h >>> (32 - bits)) * 4;
  let base = load<u32>(at);
  let n = load<u32>(at, 4) - base + 1; // candidates [base, base + n), starts[base] ≤ h
  while (n > 1) {
    const half = n >>> 1;
    const mid = base + half;
    base = select<u32>(mid, base, load<u32>(starts + mid * 4) <= h);
    n -= half;
  }
  return base;
}
