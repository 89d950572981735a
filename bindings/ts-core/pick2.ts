// Power of two choices (Mitzenmacher, "The power of two choices in randomized load balancing",
// IEEE TPDS 2001), exactly as spec/routing.md §3: two distinct uniform draws, the lower
// load-per-weight wins, ties to the first draw. Cost O(1), two RNG draws (none for one candidate).
// Called once per routed request.
import type { Rng } from './rng.js';

/** Where pick2 leaves the candidate it compared with the one it chose (a slot), or −1 for one candidate. */
export interface PickOther { other: number }

/** Picks from cand[0..n) (global server slots); loads and weights are indexed by slot. */
export function pick2(cand: ArrayLike<number>, n: number, rng: Rng, loads: Float64Array, weights: Float64Array, out?: PickOther): number {
  if (n === 1) {
    if (out) out.other = -1;
    return cand[0];
  }
  const i = rng.below(n);
  let j = rng.below(n - 1);
  if (j >= i) j++;
  const a = cand[i], b = cand[j];
  const bWins = loads[b] * weights[a] < loads[a] * weights[b];
  if (out) out.other = bWins ? a : b;
  return bWins ? b : a;
}
