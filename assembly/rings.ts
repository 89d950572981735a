// Locality rings and spill (shared/spec/ROUTING.md §3, rings(pool)), after Meta's ServiceRouter
// (shared/SERVICEROUTER.md): a server's ring for this client is the smallest i with
// rtt(client region, server region) ≤ rings_us[i], as one unsigned 64-bit compare (an unknown RTT
// and an unbounded ring are both all-ones u64, so an unknown RTT fits only an unbounded ring).
// The pool is grouped by ring in pool order; the spill walk visits the non-empty rings in
// ascending order and, except at the last one, keeps ring i with keep16 ≥ 65536 (no draw) or
// when (next() >>> 16) < keep16 (one draw).
import { KEEP_ONE } from './layout';
import { next } from './rng';

/** A server that fits no ring. */
export const NO_RING: u32 = 0xffffffff;

/**
 * The ring of a server at RTT `rtt` for `count` u64 bounds at `rings`, or NO_RING.
 * O(rings); called by rr_load once per server per generation.
 */
export function ringOf(rtt: u64, rings: u32, count: u32): u32 {
  for (let i: u32 = 0; i < count; i++) {
    if (rtt <= load<u64>(rings + i * 8)) return i;
  }
  return NO_RING;
}

/** keep16 of ring `ring` in the client's spill list at `keeps` (0: no list, keep everything). */
// @ts-ignore: decorator
@inline export function keepOf(keeps: u32, ring: u32): u32 {
  return keeps == 0 ? KEEP_ONE : load<u32>(keeps + ring * 4);
}

/** One spill decision at a non-last non-empty ring: keep it? Draws only when keep16 < 65536. */
// @ts-ignore: decorator
@inline export function keepRing(keep16: u32): bool {
  return keep16 >= KEEP_ONE || (next() >>> 16) < keep16;
}

// Precomputed ring groups (router.ts builds them per generation), one 16-byte record per
// non-empty ring, ascending:
//
//   ┌──────────┬──────────┬────────────┬──────────┐
//   │ keep16   │ cand ptr │ cand count │ ring     │   cand: u32 service-local server indices
//   └──────────┴──────────┴────────────┴──────────┘
export const GROUP_SIZE: u32 = 16;
export const G_KEEP: u32 = 0;
export const G_CAND: u32 = 4;
export const G_COUNT: u32 = 8;
export const G_RING: u32 = 12;

/**
 * The spill walk over `count` ≥ 1 precomputed groups: the chosen group record.
 * O(non-empty rings); called by route() once per request to a ring-routed service.
 */
export function chooseGroup(groups: u32, count: u32): u32 {
  const last = count - 1;
  for (let g: u32 = 0; g < last; g++) {
    const rec = groups + g * GROUP_SIZE;
    if (keepRing(load<u32>(rec, G_KEEP))) return rec;
  }
  return groups + last * GROUP_SIZE;
}

/**
 * The spill walk over a shard's filtered pool: `n` ≥ 1 ring numbers (u32, NO_RING excluded) at
 * `ringsOf`; returns the chosen ring. O(n × non-empty rings) (n is a shard's replica count);
 * called by route() once per request to a sharded service.
 */
export function chooseRing(ringsOf: u32, n: u32, keeps: u32): u32 {
  let cur: u32 = NO_RING;
  for (let i: u32 = 0; i < n; i++) cur = min(cur, load<u32>(ringsOf + i * 4));
  while (true) {
    let nxt: u32 = NO_RING; // the next non-empty ring above cur
    for (let i: u32 = 0; i < n; i++) {
      const r = load<u32>(ringsOf + i * 4);
      if (r > cur && r < nxt) nxt = r;
    }
    if (nxt == NO_RING || keepRing(keepOf(keeps, cur))) return cur;
    cur = nxt;
  }
}
