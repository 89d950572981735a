// Locality rings and spill (spec/routing.md §3 `rings`; ServiceRouter §3.4.1): a server's ring is
// the smallest i with rtt(client region, server region) ≤ rings_us[i], an unknown RTT fitting only
// an unbounded ring; the nearest non-empty ring wins unless a spill draw moves the request outward.
// Costs: ringOf O(rings), once per server per load; chooseRing O(non-empty rings) per request,
// at most one RNG draw per ring passed over.
import type { MiniRib } from './minirib.js';
import * as L from '../layout.js';
import type { Rng } from './rng.js';

const ONES = 0xffffffff;

/** The client's ring of a server region, or −1 if it fits none. */
export function ringOf(rib: MiniRib, serverRegion: number, ringFirst: number, ringCount: number): number {
  const u32 = rib.u32;
  const k = (rib.off[L.S_RTT] >>> 2) + 2 * (rib.clientRegion * rib.R + serverRegion);
  const unknown = u32[k + 1] === ONES;
  const rtt = u32[k];
  const base = (rib.off[L.S_RINGS] >>> 2) + 2 * ringFirst;
  for (let i = 0; i < ringCount; i++) {
    const unbounded = u32[base + 2 * i + 1] === ONES;
    // u64 compare: all-ones (unknown) ≤ all-ones (unbounded); any known u32 ≤ unbounded
    if (unbounded || (!unknown && rtt <= u32[base + 2 * i])) return i;
  }
  return -1;
}

/** keep16 of each ring for the client's region (65536 everywhere if the service has no list). */
export function keepsFor(rib: MiniRib, rec: number): Int32Array {
  const u32 = rib.u32;
  const f = (field: number): number => u32[rec + field / 4];
  const rc = f(L.SV_RING_COUNT);
  const keeps = new Int32Array(rc).fill(L.KEEP_ONE);
  for (let j = 0; j < f(L.SV_SPILL_COUNT); j++) {
    if (u32[(rib.off[L.S_SPILL_REGIONS] >>> 2) + f(L.SV_SPILL_FIRST) + j] === rib.clientRegion) {
      const base = (rib.off[L.S_SPILL_KEEP] >>> 2) + f(L.SV_KEEP_FIRST) + j * rc;
      for (let i = 0; i < rc; i++) keeps[i] = u32[base + i];
    }
  }
  return keeps;
}

/**
 * Which of `n` non-empty rings (in ascending ring order, their keep16 in keeps[ringIndex[g]])
 * serves the request: the first whose keep draw succeeds, else the last. Returns a position < n.
 */
export function chooseRing(ringIndex: ArrayLike<number>, n: number, keeps: Int32Array, rng: Rng): number {
  for (let g = 0; g < n - 1; g++) {
    const keep16 = keeps[ringIndex[g]];
    if (keep16 >= L.KEEP_ONE) return g;
    if (rng.next16() < keep16) return g;
  }
  return n - 1;
}
