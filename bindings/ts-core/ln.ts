// The spec's ln (spec/routing.md §1): fdlibm e_log.c's argument reduction and polynomial
// (Sun Microsystems, 1993), one formula for every input, no small-f shortcuts, IEEE double
// operations in exactly the written order. Not Math.log: V8's differs in the last bit.
// Cost: O(1), ~20 flops. Called by the rendezvous score, once per server scored.

const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const Lg1 = 6.666666666666735130e-01;
const Lg2 = 3.999999999940941908e-01;
const Lg3 = 2.857142874366239149e-01;
const Lg4 = 2.222219843214978396e-01;
const Lg5 = 1.818357216161805012e-01;
const Lg6 = 1.531383769920937332e-01;
const Lg7 = 1.479819860511658591e-01;
const SQRT2 = 1.4142135623730951;

/** The reduction's tail: ln(m · 2^e) for m in [1, 2) and the integer e. */
function lnSplit(m: number, e: number): number {
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const f = m - 1;
  const hfsq = 0.5 * f * f;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const R = t2 + t1;
  const k = e;
  return k * LN2_HI - ((hfsq - (s * (hfsq + R) + k * LN2_LO)) - f);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/** ln(x) for a normal x in (0, 1] (the split reads the double's bits). */
export function ln(x: number): number {
  f64[0] = x;
  const hi = u32[HI];
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  u32[HI] = (hi & 0x000fffff) | 0x3ff00000; // same mantissa, exponent 0: m in [1, 2)
  return lnSplit(f64[0], e);
}

// 2^-p for p in 0..32, exact
const POW2_NEG = Array.from({ length: 33 }, (_, p) => 2 ** -p);

/**
 * ln(u) for the score's u = (h + 0.5) / 2^32, split straight from h with Math.clz32 (no typed-array
 * round trip): h + 0.5 = m · 2^p with p = 31 − clz32(h) for h ≥ 1 (and 0.5 = 1 · 2^−1 for h = 0),
 * so e = p − 32 and m = (h + 0.5) · 2^−p, both exact.
 */
export function lnOfHash(h: number): number {
  if (h === 0) return lnSplit(1, -33);
  const p = 31 - Math.clz32(h);
  return lnSplit((h + 0.5) * POW2_NEG[p], p - 32);
}

/** The weighted rendezvous score of a server: weight / −ln((h + 0.5) / 2^32). */
export function score(weight: number, h: number): number {
  return weight / -lnOfHash(h);
}
