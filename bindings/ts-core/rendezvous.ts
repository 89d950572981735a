// Weighted rendezvous hashing (Thaler & Ravishankar, "Using name-based mappings to increase hit
// rates", IEEE/ACM ToN 1998) with Resch's logarithmic method for weights: score = w / −ln(u),
// u = (pair(anchor, server hash) + 0.5) / 2^32 (spec/routing.md §1). Each server wins with
// probability w / Σw, and removing a server moves only the anchors it owned.
// Cost: topK is O(n + n·k) worst case, O(n) expected for small k (one score per server).
// Called by: the load (each ring group's connection subset, once per generation) and the
// key-rendezvous route (once per keyed request to a `hash` service: the one per-request O(n) path).
import { lnOfHash } from './ln.js';
import { pairPrefix, pairWith } from './hash.js';

/**
 * The k best of pool[0..n) (hashes[p], weights[p] for pool position p) for `anchor`, ranked by
 * (score descending, position ascending), written to out[0..k) **in pool order**; returns k' =
 * min(k, n). `rankScore`/`rankPos` are caller-owned scratch of length ≥ k (no allocation here).
 */
export function topK(
  hashes: ArrayLike<number>, weights: ArrayLike<number>, n: number, k: number, anchor: number,
  out: Int32Array, rankScore: Float64Array, rankPos: Int32Array,
): number {
  if (k >= n) {
    for (let p = 0; p < n; p++) out[p] = p;
    return n;
  }
  const prefix = pairPrefix(anchor);
  let have = 0;
  let floor = -Infinity; // the k-th best score once `have` = k
  for (let p = 0; p < n; p++) {
    const s = weights[p] / -lnOfHash(pairWith(prefix, hashes[p]));
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
    floor = rankScore[k - 1];
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
