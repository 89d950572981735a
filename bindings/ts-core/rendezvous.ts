// Weighted rendezvous hashing (Thaler & Ravishankar, "Using name-based mappings to increase hit
// rates", IEEE/ACM ToN 1998) with Resch's logarithmic method for weights: score = w / −ln(u),
// u = (pair(anchor, server hash) + 0.5) / 2^32 (spec/routing.md §1). Each server wins with
// probability w / Σw, and removing a server moves only the anchors it owned.
//
// Pruning (exact): once k servers are ranked, a server can enter only with a score above the k-th
// best, `floor`. Its score is at most wmax / −ln(u) (wmax: the pool's largest weight), which is
// below floor whenever u < exp(−wmax / floor). So a server whose hash gives
//     h + 0.5 < 2^32 · exp(−wmax / floor) · (1 − 1e-9)
// scores strictly below floor and is skipped without computing ln. The 1e-9 margin dwarfs the
// errors involved (Math.exp and the spec's ln are within a few ulps, ~1e-16 relative; −ln(u) ≤ 23
// for these u), so the skipped servers are exactly ones that would have lost: decisions do not
// change. With random hashes the cut rises fast: ln is computed for O(k log n) servers, and the
// rest cost one pair hash and a compare.
//
// Cost: topK is O(n) pair hashes + O(k log n) scores expected, O(n·k) worst case. Called by: the
// load (each ring group's connection subset, once per generation) and the key-rendezvous route
// (once per keyed request to a `hash` service: the one per-request O(n) path).
import { lnOfHash } from './ln.js';
import { pairPrefix, pairWith } from './hash.js';

const TWO32 = 4294967296;
const MARGIN = 1 - 1e-9;

/** The hash below which a server scores strictly less than `floor` (see the pruning note). */
export function hashCut(floor: number, wmax: number): number {
  return TWO32 * Math.exp(-wmax / floor) * MARGIN - 0.5;
}

/**
 * The k best of pool[0..n) (hashes[p], weights[p] for pool position p; every weight ≤ wmax) for
 * `anchor`, ranked by (score descending, position ascending), written to out[0..k) **in pool
 * order**; returns min(k, n). `rankScore`/`rankPos` are caller-owned scratch of length ≥ k.
 */
export function topK(
  hashes: Uint32Array, weights: Float64Array, n: number, k: number, anchor: number, wmax: number,
  out: Int32Array, rankScore: Float64Array, rankPos: Int32Array,
): number {
  if (k >= n) {
    for (let p = 0; p < n; p++) out[p] = p;
    return n;
  }
  const prefix = pairPrefix(anchor);
  let have = 0;
  let floor = 0; // the k-th best score once `have` = k
  let cut = -1; // skip hashes below it once `have` = k
  for (let p = 0; p < n; p++) {
    const h = pairWith(prefix, hashes[p]);
    if (h < cut) continue;
    const s = weights[p] / -lnOfHash(h);
    if (have === k && !(s > floor)) continue; // an equal score at a later position loses the tie
    // insertion into the ranked list, dropping the last when full
    let j = have < k ? have++ : k - 1;
    while (j > 0 && rankScore[j - 1] < s) {
      rankScore[j] = rankScore[j - 1];
      rankPos[j] = rankPos[j - 1];
      j--;
    }
    rankScore[j] = s;
    rankPos[j] = p;
    if (have === k) {
      floor = rankScore[k - 1];
      cut = hashCut(floor, wmax);
    }
  }
  // back to pool order: k is small, an insertion sort of the positions
  for (let i = 0; i < k; i++) {
    const v = rankPos[i];
    let j = i;
    while (j > 0 && out[j - 1] > v) { out[j] = out[j - 1]; j--; }
    out[j] = v;
  }
  return k;
}
