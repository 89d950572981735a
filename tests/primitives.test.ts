// The spec's primitives in the TS core against known answers and independent references.
import { describe, expect, it } from 'vitest';
import { pair, xxh32, xxh32String } from '../dist/bindings/ts-core/hash.js';
import { ln, lnOfHash, score } from '../dist/bindings/ts-core/ln.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('xxh32', () => {
  it.each([
    ['', 0, 0x02cc5d05],
    ['abc', 0, 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0, 0xe2293b2f],
  ])('known answer for %j seed %d', (s, seed, want) => {
    expect(xxh32(bytes(s), seed)).toBe(want);
    expect(xxh32String(s, seed)).toBe(want);
  });

  it.each(['zürich-ø:1', 'x€'.repeat(20), '日本語のキー:12345678901234', 'a'.repeat(15), 'b'.repeat(16), 'c'.repeat(33)])(
    'hashes the UTF-8 bytes of %j straight from the string', (s) => {
      expect(xxh32String(s, 7)).toBe(xxh32(bytes(s), 7));
    });

  it('reads unaligned and aligned input alike', () => {
    const data = bytes('0123456789abcdefghijklmnopqrstuvwxyz-0123456789');
    const padded = new Uint8Array(data.length + 3);
    padded.set(data, 3);
    for (let len = 0; len <= data.length; len++) {
      expect(xxh32(padded, 9, 3, len)).toBe(xxh32(data.subarray(0, len), 9));
    }
  });

  it('pair(a, b) is xxh32 of le32(a) ‖ le32(b) with SEED_PAIR', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 1000; i++) {
      const a = rng.next(), b = rng.next();
      const buf = new Uint8Array(8);
      new DataView(buf.buffer).setUint32(0, a, true);
      new DataView(buf.buffer).setUint32(4, b, true);
      expect(pair(a, b)).toBe(xxh32(buf, 4));
    }
  });
});

describe('ln', () => {
  it('is exact where the answer is', () => {
    expect(ln(1)).toBe(0);
    expect(ln(0.5)).toBe(-Math.LN2);
  });
  it('stays within an ulp or two of Math.log but is not Math.log', () => {
    const rng = new Rng(11);
    let differ = 0;
    for (let i = 0; i < 20000; i++) {
      const x = (rng.next() + 0.5) / 2 ** 32;
      const a = ln(x), b = Math.log(x);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.abs(b) * 4.5e-16);
      if (a !== b) differ++;
    }
    expect(differ).toBeGreaterThan(0); // why the spec fixes its own routine
  });
  it('lnOfHash(h) splits h with clz32 and agrees with ln((h + 0.5) / 2^32) for every exponent', () => {
    const hs = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xb504f333, 0xb504f334];
    for (let p = 0; p < 32; p++) hs.push(2 ** p, 2 ** p - 1 >>> 0, (2 ** p * 1.41421356) >>> 0);
    const rng = new Rng(3);
    for (let i = 0; i < 5000; i++) hs.push(rng.next());
    for (const h of hs) expect(lnOfHash(h)).toBe(ln((h + 0.5) / 2 ** 32));
  });
  it('score is weight / -ln(u)', () => {
    expect(score(3, 0x80000000)).toBe(3 / -ln((0x80000000 + 0.5) / 2 ** 32));
  });
});

describe('splitmix32', () => {
  // an independent BigInt reference of spec/routing.md §1
  function reference(seed: number, n: number): number[] {
    const M = (1n << 32n) - 1n;
    let state = BigInt(seed);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      state = (state + 0x9e3779b9n) & M;
      let z = state;
      z ^= z >> 16n; z = (z * 0x85ebca6bn) & M;
      z ^= z >> 13n; z = (z * 0xc2b2ae35n) & M;
      z ^= z >> 16n;
      out.push(Number(z));
    }
    return out;
  }
  it.each([0, 7, 0xffffffff, 1797869695])('matches the reference from seed %d', (seed) => {
    const rng = new Rng(seed);
    expect(Array.from({ length: 64 }, () => rng.next())).toEqual(reference(seed, 64));
  });
  it('below(n) is the high word of next() × n', () => {
    const a = new Rng(99), b = new Rng(99);
    for (const n of [1, 2, 3, 10, 1000, (1 << 21) - 1]) {
      const want = Number((BigInt(b.next()) * BigInt(n)) >> 32n);
      expect(a.below(n)).toBe(want);
    }
  });
});
