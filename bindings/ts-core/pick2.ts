// Power of two choices (Mitzenmacher, "The power of two choices in randomized load balancing",
// IEEE TPDS 2001), exactly as spec/routing.md §3: two distinct uniform draws, the lower
// load-per-weight wins, ties to the first draw. Cost O(1), two RNG draws (none for one candidate).
// Called once per routed request.
import type { Rng } from './rng.js';

/** Picks from cand[0..n) (global server slots); loads and weights are indexed by slot. */
export function pick2(cand: ArrayLike<number>, n: number, rng: Rng, loads: Float64Array, weights: Float64Array): number {
  if (n === 1) return cand[0];
  const i = rng.below(n);
  let j = rng.below(n - 1);
  if (j >= i) j++;
  const a = cand[i], b = cand[j];
  return loads[b] * weights[a] < loads[a] * weights[b] ? b : a;
}
