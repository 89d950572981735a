// The power of two choices (Mitzenmacher, "The power of two choices in randomized load
// balancing", IEEE TPDS 2001), weighted as shared/spec/ROUTING.md §3 fixes it:
//   n = 1: cand[0], no draw; else i = below(n), j = below(n − 1), j ≥ i → j + 1,
//   b wins if load[b] × weight[a] < load[a] × weight[b] (doubles; ties go to a).
// Cost O(1); called by route() once per request that has a candidate.
// The shared-memory build reads each load from the server's load cell (assembly/cells.ts): the
// reported load plus the outstanding requests of every thread (spec/shared.md).
import { cellLoad } from './cells';
import { below } from './rng';

/**
 * The candidate pick2 compared with the one it chose, in its last call on this instance
 * (service-local index), or −1 when that call had one candidate. route() resets it to −1, so
 * after a decision it names the other pick-2 candidate of that decision, or −1 (rr_route_other).
 * A global, so each instance (each thread of the shared build) has its own.
 */
export let pickOther: i32 = -1;
@inline export function resetPickOther(): void { pickOther = -1; }

/**
 * The chosen entry of `n` ≥ 1 service-local server indices at `cand`; `loads` (f64; shared
 * build: u32 cell addresses) and `weights` (u32) are the service's slices of the load table and
 * the weight column.
 */
export function pick2(cand: u32, n: u32, loads: u32, weights: u32): u32 {
  if (n == 1) {
    pickOther = -1;
    return load<u32>(cand);
  }
  const i = below(n);
  let j = below(n - 1);
  if (j >= i) j++;
  const a = load<u32>(cand + i * 4);
  const b = load<u32>(cand + j * 4);
  let la: f64, lb: f64;
  if (ASC_FEATURE_THREADS) {
    la = cellLoad(load<u32>(loads + a * 4));
    lb = cellLoad(load<u32>(loads + b * 4));
  } else {
    la = load<f64>(loads + a * 8);
    lb = load<f64>(loads + b * 8);
  }
  const wa = <f64>load<u32>(weights + a * 4), wb = <f64>load<u32>(weights + b * 4);
  // branchless (two selects): the comparison is a coin flip to the branch predictor
  const bWins = lb * wa < la * wb;
  pickOther = <i32>select<u32>(a, b, bWins);
  return select<u32>(b, a, bWins);
}
