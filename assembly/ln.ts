// The spec's ln (shared/spec/ROUTING.md §1): fdlibm e_log.c's argument reduction and polynomial
// (Sun Microsystems, 1993), one formula for every input, no small-f shortcuts, IEEE double
// operations in exactly the written order (wasm f64 ops are correctly rounded and never fused).
// The TS twin is bindings/ts-core/ln.ts; the v128 twin is lnLanes() in rendezvous.ts.
//
// Cost: O(1), ~20 flops. Called by the rendezvous score, once per server scored (topK), and by
// rr_ln (tests).

export const LN2_HI: f64 = 6.93147180369123816490e-01;
export const LN2_LO: f64 = 1.90821492927058770002e-10;
export const Lg1: f64 = 6.666666666666735130e-01;
export const Lg2: f64 = 3.999999999940941908e-01;
export const Lg3: f64 = 2.857142874366239149e-01;
export const Lg4: f64 = 2.222219843214978396e-01;
export const Lg5: f64 = 1.818357216161805012e-01;
export const Lg6: f64 = 1.531383769920937332e-01;
export const Lg7: f64 = 1.479819860511658591e-01;
export const SQRT2: f64 = 1.4142135623730951;

/** ln(m · 2^k) for m in [1, 2) and the integer k (as a double). */
// @ts-ignore: decorator
@inline export function lnSplit(m: f64, k: f64): f64 {
  // branch-free (the branch is unpredictable): the same two values the spec's `if` computes
  const big = m > SQRT2;
  m = select<f64>(m * 0.5, m, big);
  k = select<f64>(k + 1.0, k, big);
  const f = m - 1.0;
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const R = t2 + t1;
  return k * LN2_HI - ((hfsq - (s * (hfsq + R) + k * LN2_LO)) - f);
}

/** ln(x) for a normal x in (0, 1]: split x = m · 2^e from its bits, then lnSplit. */
// @ts-ignore: decorator
@inline export function ln(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  const e = <i32>((bits >> 52) & 0x7ff) - 1023;
  const m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  return lnSplit(m, <f64>e);
}

/** ln(u) of the rendezvous u = (h + 0.5) / 2^32 (exact: h + 0.5 needs 33 bits, / 2^32 is a shift). */
// @ts-ignore: decorator
@inline export function lnOfHash(h: u32): f64 {
  return ln((<f64>h + 0.5) * 2.3283064365386963e-10);
}

/** The weighted rendezvous score: weight / −ln((h + 0.5) / 2^32). Positive and finite. */
// @ts-ignore: decorator
@inline export function score(weight: f64, h: u32): f64 {
  return weight / -lnOfHash(h);
}
