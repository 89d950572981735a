import { alloc, free } from '../alloc';
import { pair } from '../hash';
import { score } from '../ln';
import { hashCut, scoreAll, scoreAllScalar, sortU32, topK, topKScalar } from '../rendezvous';
import { u32s } from './helpers';

const HS: u32[] = [3428989595, 2563011894, 1697034193, 831056492, 4260046087, 3394068386, 2528090685, 1662112984];
const WS: u32[] = [1, 2, 3, 1, 2, 3, 1, 5];

describe('topK', () => {
  it('keeps the k best and returns them in pool order', () => {
    // ranking for anchor 99 (bindings/ts-core): 5, 3, 1, 6, 2, 7, 4, 0
    const out = alloc(64), heap = alloc(256);
    expect<u32>(topK(u32s(HS), u32s(WS), 8, 3, 99, 5.0, heap, out)).toBe(3);
    expect<u32>(load<u32>(out)).toBe(1);
    expect<u32>(load<u32>(out, 4)).toBe(3);
    expect<u32>(load<u32>(out, 8)).toBe(5);
    expect<u32>(topK(u32s(HS), u32s(WS), 8, 1, 99, 5.0, heap, out)).toBe(1);
    expect<u32>(load<u32>(out)).toBe(5);
  });
  it('keeps the whole pool when k ≥ n', () => {
    const out = alloc(64), heap = alloc(256);
    expect<u32>(topK(u32s(HS), u32s(WS), 8, 20, 99, 5.0, heap, out)).toBe(8);
    for (let i: u32 = 0; i < 8; i++) expect<u32>(load<u32>(out + i * 4)).toBe(i);
  });
  it('breaks exact score ties by pool position', () => {
    // the same server hash and weight twice: equal scores, the earlier position wins
    const out = alloc(64), heap = alloc(256);
    const hs = u32s([7, 9, 7, 9]), ws = u32s([1, 1, 1, 1]);
    topK(hs, ws, 4, 1, 5, 1.0, heap, out);
    const best = load<u32>(out);
    expect<bool>(best == 0 || best == 1).toBe(true, 'the first copy of the best hash');
  });
  it('agrees with a brute-force ranking on a larger pool (v128 and scalar tails)', () => {
    const n: u32 = 203;
    const hs = alloc(n * 4 + 16), ws = alloc(n * 4 + 16), sc = alloc(n * 8);
    let x: u32 = 12345;
    for (let i: u32 = 0; i < n; i++) {
      x = x * 1103515245 + 12345;
      store<u32>(hs + i * 4, x);
      store<u32>(ws + i * 4, 1 + (x >>> 20) % 7);
    }
    const out = alloc(n * 4), heap = alloc(n * 16);
    for (let k: u32 = 1; k < 40; k += 7) {
      const anchor = k * 2654435761;
      scoreAllScalar(hs, ws, n, anchor, sc);
      topK(hs, ws, n, k, anchor, 7.0, heap, out);
      // every kept position beats (or ties earlier than) every dropped one
      for (let j: u32 = 0; j < k; j++) {
        const p = load<u32>(out + j * 4);
        if (j > 0) expect<bool>(p > load<u32>(out + (j - 1) * 4)).toBe(true, 'pool order');
        let better: u32 = 0;
        for (let q: u32 = 0; q < n; q++) {
          const sq = load<f64>(sc + q * 8), sp = load<f64>(sc + p * 8);
          if (sq > sp || (sq == sp && q < p)) better++;
        }
        expect<bool>(better < k).toBe(true, 'ranked within the first k');
      }
    }
    free(out); free(heap);
  });
});

/**
 * The unpruned ranking: every score with the scalar `score`, ranked by (score desc, position asc),
 * the first k, in pool order, at `out`. O(n·k): k passes, each taking the best ranked after the
 * previous pick.
 */
function bruteTopK(hs: u32, ws: u32, n: u32, k: u32, anchor: u32, sc: u32, out: u32): u32 {
  for (let i: u32 = 0; i < n; i++) store<f64>(sc + i * 8, score(<f64>load<u32>(ws + i * 4), pair(anchor, load<u32>(hs + i * 4))));
  const m = min(k, n);
  let lastS: f64 = Infinity, lastP: u32 = 0, first = true;
  for (let j: u32 = 0; j < m; j++) {
    let bs: f64 = -1, bp: u32 = 0xffffffff;
    for (let q: u32 = 0; q < n; q++) {
      const s = load<f64>(sc + q * 8);
      const after = first || s < lastS || (s == lastS && q > lastP); // ranked after the last pick
      if (after && (s > bs || (s == bs && q < bp))) { bs = s; bp = q; }
    }
    store<u32>(out + j * 4, bp);
    lastS = bs; lastP = bp; first = false;
  }
  sortU32(out, m);
  return m;
}

/** Weights of mode 0: all equal, 1: 1–4, 2: 1–1,000,000, 3: all 1 but one 1,000,000 (heavy). */
function fillPool(hs: u32, ws: u32, n: u32, mode: u32, seed: u32): u32 {
  let x = seed * 2654435761 + 1;
  let wmax: u32 = 0;
  const heavy = (seed * 40503) % n;
  for (let i: u32 = 0; i < n; i++) {
    x = x * 1664525 + 1013904223;
    store<u32>(hs + i * 4, x ^ (x >>> 16) * 0x45d9f3b);
    x = x * 1664525 + 1013904223;
    let w: u32 = 1;
    if (mode == 0) w = 3;
    else if (mode == 1) w = 1 + (x >>> 30);
    else if (mode == 2) w = 1 + (x >>> 8) % 1000000;
    else w = i == heavy ? 1000000 : 1;
    store<u32>(ws + i * 4, w);
    wmax = max(wmax, w);
  }
  return wmax;
}

describe('topK pruning', () => {
  it('equals the unpruned brute-force ranking (v128 and scalar paths, many random pools)', () => {
    const NS: u32[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 20, 21, 22, 33, 64, 100, 127, 257, 500, 1000, 1023, 2000];
    const KS: u32[] = [1, 2, 3, 5, 20];
    const cap: u32 = 2000;
    const hs = alloc(cap * 4 + 16), ws = alloc(cap * 4 + 16), sc = alloc(cap * 8);
    const want = alloc(32 * 4), got = alloc(32 * 4), heap = alloc(32 * 16);
    let pools: u32 = 0, bad: u32 = 0;
    for (let a: u32 = 0; a < <u32>NS.length; a++) {
      const n = NS[a];
      for (let mode: u32 = 0; mode < 4; mode++) {
        for (let rep: u32 = 0; rep < (n >= 1000 ? <u32>2 : <u32>4); rep++) {
          const seed = n * 131 + mode * 17 + rep + 1;
          const wmax = fillPool(hs, ws, n, mode, seed);
          const anchor = seed * 0x9e3779b9;
          for (let b: u32 = 0; b < <u32>KS.length; b++) {
            const k = KS[b];
            const m = bruteTopK(hs, ws, n, k, anchor, sc, want);
            for (let path: u32 = 0; path < 2; path++) {
              const c = path == 0
                ? topK(hs, ws, n, k, anchor, <f64>wmax, heap, got)
                : topKScalar(hs, ws, n, k, anchor, <f64>wmax, heap, got);
              let same = c == m;
              for (let j: u32 = 0; same && j < m; j++) same = load<u32>(got + j * 4) == load<u32>(want + j * 4);
              if (!same) bad++;
              pools++;
            }
          }
        }
      }
    }
    expect<u32>(bad).toBe(0, 'pools where topK differs from the brute-force ranking');
    expect<bool>(pools > 2000).toBe(true);
  });
  it('cuts exactly below the hash where the heaviest weight still loses', () => {
    // just below the cut, wmax scores below root; the cut is well inside (0, 2^32)
    for (let i: u32 = 1; i < 200; i++) {
      const root = <f64>i * 0.37, wmax = <f64>(1 + i % 7);
      const cut = hashCut(root, wmax);
      expect<bool>(cut > -1 && cut < 4294967292.0).toBe(true);
      if (cut < 1) continue;
      const h = <u32>Math.ceil(cut) - 1; // the largest skipped hash
      expect<bool>(score(wmax, h) < root).toBe(true, 'a skipped hash loses even at wmax');
    }
  });
});

describe('scores', () => {
  it('the build path (v128 when enabled) equals the scalar path bit for bit', () => {
    const n: u32 = 4099;
    const hs = alloc(n * 4 + 16), ws = alloc(n * 4 + 16), a = alloc(n * 8), b = alloc(n * 8);
    let x: u32 = 7;
    for (let i: u32 = 0; i < n; i++) {
      x = x * 1664525 + 1013904223;
      store<u32>(hs + i * 4, x);
      store<u32>(ws + i * 4, i % 3 == 0 ? 1 : 1 + (x >>> 12) % 1000000);
    }
    for (let anchor: u32 = 0; anchor < 5; anchor++) {
      scoreAll(hs, ws, n, anchor * 0x9e3779b9, a);
      scoreAllScalar(hs, ws, n, anchor * 0x9e3779b9, b);
      let diff: u32 = 0;
      for (let i: u32 = 0; i < n; i++) if (load<u64>(a + i * 8) != load<u64>(b + i * 8)) diff++;
      expect<u32>(diff).toBe(0, 'lanes that differ');
    }
    expect<bool>(ASC_FEATURE_SIMD).toBe(true, 'the tests build with SIMD so both paths run');
  });
  it('is weight / −ln((pair + 0.5) / 2^32)', () => {
    const hs = u32s(HS), ws = u32s(WS), sc = alloc(64);
    scoreAllScalar(hs, ws, 1, 99, sc);
    expect<f64>(load<f64>(sc)).toBe(0.6229663532690034);
    expect<f64>(load<f64>(sc)).toBe(score(1.0, pair(99, HS[0])));
  });
});

describe('sortU32', () => {
  it('sorts short and long arrays', () => {
    for (let n: u32 = 0; n < 100; n += 9) {
      const p = alloc(n * 4 + 4);
      for (let i: u32 = 0; i < n; i++) store<u32>(p + i * 4, (i * 2654435761) ^ 0x5555);
      sortU32(p, n);
      for (let i: u32 = 1; i < n; i++) expect<bool>(load<u32>(p + (i - 1) * 4) <= load<u32>(p + i * 4)).toBe(true);
    }
  });
});
