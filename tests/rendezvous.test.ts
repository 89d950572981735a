// topK with its pruning against a brute-force ranking (every score computed, sorted by score then
// position): the pruning may only skip servers that would have lost, so the two must agree on
// every pool, every anchor and every k — including weights from 1 to 1,000,000 and equal weights.
import { describe, expect, it } from 'vitest';
import { pair } from '../dist/bindings/ts-core/hash.js';
import { score } from '../dist/bindings/ts-core/ln.js';
import { topK } from '../dist/bindings/ts-core/rendezvous.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';

function bruteForce(hashes: Uint32Array, weights: Float64Array, k: number, anchor: number): number[] {
  const ranked = Array.from(hashes, (h, p) => ({ p, s: score(weights[p], pair(anchor, h)) }));
  ranked.sort((a, b) => b.s - a.s || a.p - b.p);
  return ranked.slice(0, Math.min(k, hashes.length)).map((x) => x.p).sort((a, b) => a - b);
}

const WEIGHTS: [string, (rng: Rng) => number][] = [
  ['equal weights', () => 1],
  ['weights 1-4', (rng) => 1 + rng.below(4)],
  ['weights 1-1,000,000', (rng) => 1 + rng.below(1_000_000)],
  ['one heavy server', (rng) => (rng.below(50) === 0 ? 1_000_000 : 1)],
];

describe('topK with pruning', () => {
  it.each(WEIGHTS)('agrees with the brute-force ranking (%s)', (_name, weightOf) => {
    const rng = new Rng(99);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rng.below(trial < 200 ? 60 : 2000);
      const hashes = Uint32Array.from({ length: n }, () => rng.next());
      const weights = Float64Array.from({ length: n }, () => weightOf(rng));
      const wmax = Math.max(...weights);
      for (const k of [1, 2, 3, 5, 20]) {
        const anchor = rng.next();
        const out = new Int32Array(k);
        const m = topK(hashes, weights, n, k, anchor, wmax, out, new Float64Array(k), new Int32Array(k));
        expect(Array.from(out.subarray(0, m)), `n=${n} k=${k} anchor=${anchor}`).toEqual(bruteForce(hashes, weights, k, anchor));
      }
    }
  });

  it('keeps exact score ties in pool order (duplicate hashes)', () => {
    const hashes = Uint32Array.from([7, 7, 7, 7, 9, 9]);
    const weights = Float64Array.from([1, 1, 1, 1, 1, 1]);
    const out = new Int32Array(3);
    topK(hashes, weights, 6, 3, 12345, 1, out, new Float64Array(3), new Int32Array(3));
    expect(Array.from(out)).toEqual(bruteForce(hashes, weights, 3, 12345));
  });
});
