// Weighted rendezvous (highest-random-weight) hashing and topK (shared/spec/ROUTING.md §1):
// Thaler & Ravishankar, "Using name-based mappings to increase hit rates", IEEE/ACM ToN 1998, with
// Resch's logarithmic method for weights: score = weight / −ln(u), u = (pair(anchor, sh) + 0.5) / 2^32.
//
// topK(pool, k, anchor, wmax) ranks by (score desc, pool position asc), keeps k, and returns them in
// ORIGINAL POOL ORDER. Called by route() once per request to a key-rendezvous service (n = its up
// servers) and by rr_load once per ring group with a connection subset.
//
// Pruning (exact; the argument is the TS twin's, bindings/ts-core/rendezvous.ts): once the heap
// holds k servers, with root = the k-th best score and wmax = the pool's largest weight, a server
// scores at most wmax / −ln(u), which is below root whenever u < exp(−wmax / root). So a server
// whose pair hash h satisfies
//     h + 0.5 < 2^32 · exp(−wmax / root) · (1 − 1e-9)        (h < `cut`, see hashCut)
// scores strictly below root and is skipped before any ln. The 1e-9 margin dwarfs the errors of
// Math.exp and the spec's ln (a few ulps, ~1e-16 relative; −ln(u) ≤ 23 here), so the skipped
// servers are exactly ones that would have lost: decisions do not change. `cut` is recomputed
// (one exp) whenever the root changes while the heap is full.
//
// Cost: O(n) pair hashes + expected O(k log n) scores with random hashes (the cut rises fast: over
// 1,000 servers, weights 1–4, ~13 servers are scored for k = 1 and ~30 for k = 3); worst case O(n)
// scores + O(n log k) for the selection (a binary min-heap of the k best) + O(k log k) to sort the
// kept positions. Measured (key-rendezvous route, 1,000 servers, Node 20): ~1.2 µs for k = 1 and
// ~2.4 µs for k = 3 with v128, ~3.1 / 3.9 µs scalar (without pruning: ~6.1 / 6.7 and ~19 µs).
//
// Two scoring paths, identical results:
// - scalar: pair hash, the cut compare, then the spec ln (ln.ts) and the division, one server at
//   a time;
// - v128 (when built with SIMD): 4 pair hashes per i32x4, two blocks per step; a step with no hash
//   at or above the cut (i32x4.ge_u, unsigned, against cutU = ceil(cut): for an integer h,
//   h < cut ⇔ h < ceil(cut)) is skipped with one vector compare, and so is each block of 4 of a
//   step that passes; otherwise the ln and the division on two f64x2 halves with exactly the
//   scalar operation order (wasm's f64x2 ops round like f64 ops; no fused multiply-add, no relaxed
//   SIMD), and blocks whose scores are all ≤ the heap's root are rejected with one more compare.
//
// Packed pool arrays (built once per generation by router.ts), n4 = n rounded up to 4:
//
//   hashes:  u32[n4]  server hash sh of pool position i (v128.load reads 4 at once)
//   weights: u32[n4]  weight of pool position i (≤ wmax, which the caller computes once per pool)
//
// topK's scratch `heap`, k entries of 16 bytes (min-heap by rank: the root is the worst kept):
//
//   ┌────────────┬──────────┬──────────┐
//   │ score f64  │ pos u32  │ pad u32  │
//   └────────────┴──────────┴──────────┘
import { P2, P3, P4, pairPrefix, pairWith } from './hash';
import { LN2_HI, LN2_LO, Lg1, Lg2, Lg3, Lg4, Lg5, Lg6, Lg7, SQRT2, score } from './ln';

const ENTRY: u32 = 16;

// @ts-ignore: decorator
@inline function hScore(heap: u32, i: u32): f64 { return load<f64>(heap + i * ENTRY); }
// @ts-ignore: decorator
@inline function hPos(heap: u32, i: u32): u32 { return load<u32>(heap + i * ENTRY, 8); }

/** a ranks below b: lower score, or the same score and a later pool position. */
// @ts-ignore: decorator
@inline function worse(sa: f64, pa: u32, sb: f64, pb: u32): bool {
  return sa < sb || (sa == sb && pa > pb);
}

function siftDown(heap: u32, count: u32, s: f64, p: u32): void {
  let i: u32 = 0;
  while (true) {
    let c = i * 2 + 1;
    if (c >= count) break;
    let cs = hScore(heap, c), cp = hPos(heap, c);
    if (c + 1 < count) {
      const ds = hScore(heap, c + 1), dp = hPos(heap, c + 1);
      if (worse(ds, dp, cs, cp)) { c++; cs = ds; cp = dp; }
    }
    if (!worse(cs, cp, s, p)) break;
    store<f64>(heap + i * ENTRY, cs);
    store<u32>(heap + i * ENTRY, cp, 8);
    i = c;
  }
  store<f64>(heap + i * ENTRY, s);
  store<u32>(heap + i * ENTRY, p, 8);
}

function siftUp(heap: u32, i: u32, s: f64, p: u32): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const ps = hScore(heap, parent), pp = hPos(heap, parent);
    if (!worse(s, p, ps, pp)) break;
    store<f64>(heap + i * ENTRY, ps);
    store<u32>(heap + i * ENTRY, pp, 8);
    i = parent;
  }
  store<f64>(heap + i * ENTRY, s);
  store<u32>(heap + i * ENTRY, p, 8);
}

const TWO32: f64 = 4294967296.0;
const MARGIN: f64 = 1.0 - 1e-9;

/**
 * The hash cut for a k-th best score `root` (see the pruning note): a server whose pair hash h has
 * <f64>h < hashCut(root, wmax) scores strictly below root. Below 2^32 − 4, and > −1.
 */
export function hashCut(root: f64, wmax: f64): f64 {
  return TWO32 * Math.exp(-wmax / root) * MARGIN - 0.5;
}

/** The same cut as an unsigned integer: h < cutOf(cut) ⇔ <f64>h < cut, for every u32 h. */
// @ts-ignore: decorator
@inline function cutOf(cut: f64): u32 {
  return cut <= 0 ? 0 : <u32>Math.ceil(cut);
}

// The selection state of one topK call (globals: no managed objects, and topK is not re-entrant).
let kept: u32 = 0;
let limit: u32 = 0;
let root: f64 = 0; // score of the worst kept entry once the heap is full
let wmaxOf: f64 = 0; // the pool's largest weight
let cutU: u32 = 0; // skip pair hashes below it: 0 until the heap is full, then cutOf(hashCut(root))

/** Offers pool position `pos` with score `s`; positions come in increasing order. */
// @ts-ignore: decorator
@inline function offer(heap: u32, s: f64, pos: u32): void {
  if (kept < limit) {
    siftUp(heap, kept, s, pos);
    kept++;
    if (kept == limit) { root = hScore(heap, 0); cutU = cutOf(hashCut(root, wmaxOf)); }
  } else if (s > root) { // an equal score loses: pos is later than every kept position
    siftDown(heap, kept, s, pos);
    const r = hScore(heap, 0);
    if (r != root) { root = r; cutU = cutOf(hashCut(root, wmaxOf)); }
  }
}

/** Sorts `n` u32 at `p` ascending (insertion sort: n is k, small; heapsort above 32). */
export function sortU32(p: u32, n: u32): void {
  if (n <= 32) {
    for (let i: u32 = 1; i < n; i++) {
      const v = load<u32>(p + i * 4);
      let j = i;
      while (j > 0 && load<u32>(p + (j - 1) * 4) > v) {
        store<u32>(p + j * 4, load<u32>(p + (j - 1) * 4));
        j--;
      }
      store<u32>(p + j * 4, v);
    }
    return;
  }
  // heapsort (max-heap), O(n log n)
  for (let start = (n >> 1); start > 0; ) { start--; siftMaxU32(p, start, n); }
  for (let end = n - 1; end > 0; end--) {
    const t = load<u32>(p);
    store<u32>(p, load<u32>(p + end * 4));
    store<u32>(p + end * 4, t);
    siftMaxU32(p, 0, end);
  }
}

function siftMaxU32(p: u32, i: u32, n: u32): void {
  const v = load<u32>(p + i * 4);
  while (true) {
    let c = i * 2 + 1;
    if (c >= n) break;
    if (c + 1 < n && load<u32>(p + (c + 1) * 4) > load<u32>(p + c * 4)) c++;
    const cv = load<u32>(p + c * 4);
    if (cv <= v) break;
    store<u32>(p + i * 4, cv);
    i = c;
  }
  store<u32>(p + i * 4, v);
}

/** The scalar score of pool position i. */
// @ts-ignore: decorator
@inline function scalarScore(hashes: u32, weights: u32, prefix: u32, i: u32): f64 {
  return score(<f64>load<u32>(weights + i * 4), pairWith(prefix, load<u32>(hashes + i * 4)));
}

// The v128 constants of lnLanes/pair4, each splatted to both (all) lanes, read from memory inside
// the loop: a v128.const is rebuilt from immediates at every use by V8, a load from this table is
// one instruction (an L1 hit).
const VC: u32 = <u32>memory.data<f64>([
  0.5, 0.5,                                   //   0: 0.5
  2.3283064365386963e-10, 2.3283064365386963e-10, // 16: 2^-32
  4503599627371519.0, 4503599627371519.0,     //  32: 2^52 + 1023
  SQRT2, SQRT2,                               //  48
  1.0, 1.0,                                   //  64
  2.0, 2.0,                                   //  80
  Lg1, Lg1, Lg2, Lg2, Lg3, Lg3, Lg4, Lg4,     //  96 … 144
  Lg5, Lg5, Lg6, Lg6, Lg7, Lg7,               // 160 … 192
  LN2_HI, LN2_HI, LN2_LO, LN2_LO,             // 208, 224
], 16);
const VI: u32 = <u32>memory.data<u64>([
  0x4330000000000000, 0x4330000000000000,     //   0: exponent field → 2^52 + field
  0x000fffffffffffff, 0x000fffffffffffff,     //  16: mantissa mask
  0x3ff0000000000000, 0x3ff0000000000000,     //  32: exponent 0
  0xc2b2ae3dc2b2ae3d, 0xc2b2ae3dc2b2ae3d,     //  48: P3 in 4 lanes
  0x27d4eb2f27d4eb2f, 0x27d4eb2f27d4eb2f,     //  64: P4
  0x85ebca7785ebca77, 0x85ebca7785ebca77,     //  80: P2
], 16);

/** ln of two u = (h + 0.5) / 2^32 on f64x2 lanes: ln.ts's lnSplit, operation for operation. */
// @ts-ignore: decorator
@inline function lnLanes(h: v128): v128 {
  const one = v128.load(VC, 64);
  const u = f64x2.mul(f64x2.add(h, v128.load(VC, 0)), v128.load(VC, 16));
  // split u = m · 2^e from its bits: the exponent as a double via 2^52 + field − (2^52 + 1023), exact
  const k0 = f64x2.sub(v128.or(i64x2.shr_u(u, 52), v128.load(VI, 0)), v128.load(VC, 32));
  const m0 = v128.or(v128.and(u, v128.load(VI, 16)), v128.load(VI, 32));
  const big = f64x2.gt(m0, v128.load(VC, 48));
  const m = v128.bitselect(f64x2.mul(m0, v128.load(VC, 0)), m0, big);
  const k = f64x2.add(k0, v128.and(big, one));
  const f = f64x2.sub(m, one);
  const hfsq = f64x2.mul(f64x2.mul(v128.load(VC, 0), f), f);
  const s = f64x2.div(f, f64x2.add(v128.load(VC, 80), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(v128.load(VC, 112), f64x2.mul(w, f64x2.add(v128.load(VC, 144), f64x2.mul(w, v128.load(VC, 176))))));
  const t2 = f64x2.mul(z, f64x2.add(v128.load(VC, 96), f64x2.mul(w, f64x2.add(v128.load(VC, 128),
    f64x2.mul(w, f64x2.add(v128.load(VC, 160), f64x2.mul(w, v128.load(VC, 192))))))));
  const R = f64x2.add(t2, t1);
  return f64x2.sub(
    f64x2.mul(k, v128.load(VC, 208)),
    f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.mul(k, v128.load(VC, 224)))), f),
  );
}

/** pair(anchor, sh) of 4 server hashes at once, given pairPrefix(anchor) in every lane. */
// @ts-ignore: decorator
@inline function pair4(prefix: v128, sh: v128): v128 {
  const p3 = v128.load(VI, 48);
  let x = i32x4.add(prefix, i32x4.mul(sh, p3));
  x = i32x4.mul(v128.or(i32x4.shl(x, 17), i32x4.shr_u(x, 15)), v128.load(VI, 64));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, v128.load(VI, 80));
  x = v128.xor(x, i32x4.shr_u(x, 13));
  x = i32x4.mul(x, p3);
  return v128.xor(x, i32x4.shr_u(x, 16));
}

/** The scores of pool positions i, i+1 (lo = true) or i+2, i+3 of 4 pair hashes `h`. */
// @ts-ignore: decorator
@inline function score2(h: v128, w: v128, lo: bool): v128 {
  if (!lo) {
    h = i32x4.shuffle(h, h, 2, 3, 0, 1);
    w = i32x4.shuffle(w, w, 2, 3, 0, 1);
  }
  return f64x2.div(f64x2.convert_low_i32x4_u(w), f64x2.neg(lnLanes(f64x2.convert_low_i32x4_u(h))));
}

/**
 * topK over the packed pool (hashes, weights) of n positions, every weight ≤ wmax: writes min(k, n)
 * pool positions, ascending, at `out` and returns how many. `heap` holds min(k, n) × 16 bytes.
 */
export function topK(hashes: u32, weights: u32, n: u32, k: u32, anchor: u32, wmax: f64, heap: u32, out: u32): u32 {
  return select(hashes, weights, n, k, anchor, wmax, heap, out, true);
}

/** topK with the scalar path only, whatever the build (tests: both paths against brute force). */
export function topKScalar(hashes: u32, weights: u32, n: u32, k: u32, anchor: u32, wmax: f64, heap: u32, out: u32): u32 {
  return select(hashes, weights, n, k, anchor, wmax, heap, out, false);
}

/**
 * Offers positions i … i + 3 of 4 pair hashes `h`, unless all 4 are below the cut (unsigned: for
 * an integer h, h < cut ⇔ h < ceil(cut) = cutU), or all 4 scores are ≤ the heap's root.
 */
// @ts-ignore: decorator
@inline function lanes(heap: u32, h: v128, weights: u32, i: u32): void {
  if (!v128.any_true(i32x4.ge_u(h, i32x4.splat(cutU)))) return;
  const w = v128.load(weights + i * 4);
  const s01 = score2(h, w, true);
  const s23 = score2(h, w, false);
  if (kept == limit) {
    const r = f64x2.splat(root);
    if (!v128.any_true(v128.or(f64x2.gt(s01, r), f64x2.gt(s23, r)))) return;
  }
  offer(heap, f64x2.extract_lane(s01, 0), i);
  offer(heap, f64x2.extract_lane(s01, 1), i + 1);
  offer(heap, f64x2.extract_lane(s23, 0), i + 2);
  offer(heap, f64x2.extract_lane(s23, 1), i + 3);
}

// @ts-ignore: decorator
@inline function select(
  hashes: u32, weights: u32, n: u32, k: u32, anchor: u32, wmax: f64, heap: u32, out: u32, vector: bool,
): u32 {
  if (k >= n) {
    for (let i: u32 = 0; i < n; i++) store<u32>(out + i * 4, i);
    return n;
  }
  kept = 0;
  limit = k;
  root = 0;
  wmaxOf = wmax;
  cutU = 0;
  if (k == 0) return 0;
  const prefix = pairPrefix(anchor);
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD && vector) {
    const pv = i32x4.splat(prefix);
    let cv = i32x4.splat(0); // cutU in every lane (it changes only inside lanes())
    // 8 servers per step: two blocks of pair hashes, one compare with the cut for both
    for (; i + 8 <= n; i += 8) {
      const h0 = pair4(pv, v128.load(hashes + i * 4));
      const h1 = pair4(pv, v128.load(hashes + i * 4, 16));
      if (!v128.any_true(i32x4.ge_u(i32x4.max_u(h0, h1), cv))) continue; // all 8 below the cut
      lanes(heap, h0, weights, i);
      lanes(heap, h1, weights, i + 4);
      cv = i32x4.splat(cutU);
    }
    for (; i + 4 <= n; i += 4) {
      const h = pair4(pv, v128.load(hashes + i * 4));
      lanes(heap, h, weights, i);
    }
  }
  for (; i < n; i++) {
    const h = pairWith(prefix, load<u32>(hashes + i * 4));
    if (h < cutU) continue; // scores below the k-th best (the pruning note)
    offer(heap, score(<f64>load<u32>(weights + i * 4), h), i);
  }
  for (let j: u32 = 0; j < k; j++) store<u32>(out + j * 4, hPos(heap, j));
  sortU32(out, k);
  return k;
}

/** The scores of all n positions into f64 `out` with the build's path (tests compare the paths). */
export function scoreAll(hashes: u32, weights: u32, n: u32, anchor: u32, out: u32): void {
  const prefix = pairPrefix(anchor);
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const pv = i32x4.splat(prefix);
    for (; i + 4 <= n; i += 4) {
      const h = pair4(pv, v128.load(hashes + i * 4));
      const w = v128.load(weights + i * 4);
      v128.store(out + i * 8, score2(h, w, true));
      v128.store(out + i * 8, score2(h, w, false), 16);
    }
  }
  for (; i < n; i++) store<f64>(out + i * 8, scalarScore(hashes, weights, prefix, i));
}

/** The scalar path's scores of all n positions (tests: the v128 path must equal it). */
export function scoreAllScalar(hashes: u32, weights: u32, n: u32, anchor: u32, out: u32): void {
  const prefix = pairPrefix(anchor);
  for (let i: u32 = 0; i < n; i++) store<f64>(out + i * 8, scalarScore(hashes, weights, prefix, i));
}
