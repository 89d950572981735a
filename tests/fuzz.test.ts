// Fuzzing the loaders: valid buffers mutated (bit flips, random words, boundary values in the
// section table and service records), truncated and extended, thousands of times, with and
// without a resealed checksum. Every core must either load or refuse with a RingrouteError (never
// trap, never throw anything else), all cores must agree on the outcome and the code, a refused
// load must leave the previous data in force, and an accepted buffer must route identically.
import { describe, expect, it } from 'vitest';
import type { Core } from '../dist/bindings/core.js';
import { encodeMiniRib, resealChecksum } from '../dist/bindings/encoder.js';
import { RingrouteError } from '../dist/bindings/errors.js';
import * as L from '../dist/bindings/layout.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';
import { CORES } from './cores.js';
import { randomRib } from './random-rib.js';

const ROUNDS = Number(process.env.RINGROUTE_FUZZ_ROUNDS ?? 4000);

function mutate(base: Uint8Array, rng: Rng): Uint8Array {
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const setLen = (b: Uint8Array) => { if (b.length >= 12) dv(b).setUint32(L.H_TOTAL_LEN, b.length, true); };
  const boundary = [0, 1, 2, 3, 4, 7, 8, 0xffffffff, 0xfffffff0, 0x0fffffff, 0x10000000, 0x80000000, base.length, base.length - 8, 65536, 65537];
  let b = base.slice();
  switch (rng.below(6)) {
    case 0: // a few random bit flips anywhere
      for (let i = 0, n = 1 + rng.below(4); i < n; i++) b[rng.below(b.length)] ^= 1 << rng.below(8);
      break;
    case 1: { // a boundary value into a word of the header, the section table or a service record
      const word = rng.below(Math.min(b.length, 1024) >>> 2);
      dv(b).setUint32(word * 4, boundary[rng.below(boundary.length)], true);
      break;
    }
    case 2: { // a random word anywhere
      const word = rng.below(b.length >>> 2);
      dv(b).setUint32(word * 4, rng.next(), true);
      break;
    }
    case 3: // truncation
      b = b.slice(0, rng.below(b.length));
      if (rng.below(2) === 0) setLen(b);
      break;
    case 4: { // extension with random bytes
      const e = new Uint8Array(b.length + 1 + rng.below(64));
      e.set(b);
      for (let i = b.length; i < e.length; i++) e[i] = rng.below(256);
      b = e;
      if (rng.below(2) === 0) setLen(b);
      break;
    }
    default: // a random byte run
      for (let i = rng.below(b.length), n = 1 + rng.below(16); n > 0 && i < b.length; n--, i++) b[i] = rng.below(256);
  }
  if (rng.below(4) !== 0) resealChecksum(b); // mostly past the checksum, to reach the rules behind it
  return b;
}

const outcome = (core: Core, buf: Uint8Array): string => {
  try {
    core.load(buf);
    return 'loaded';
  } catch (e) {
    if (e instanceof RingrouteError) return e.codeName;
    return `CRASH ${(e as Error)?.constructor?.name}: ${String(e)}`;
  }
};

/** Decisions for every service of the data in force, a few keys each. */
function decisions(core: Core, rng: Rng): string[] {
  const out: string[] = [];
  for (let s = 0; s < core.serviceCount(); s++) {
    for (let i = 0; i < 3; i++) {
      const d = core.route(s, L.ROUTE_HAS_KEY | (i === 2 ? L.ROUTE_PRIMARY : 0), rng.next());
      out.push(d >= 0 ? core.serverId(s, d) : `-${-d}`);
    }
  }
  return out;
}

describe('fuzzed miniRIBs', () => {
  it(`${ROUNDS} mutations: every core loads or refuses cleanly, and all agree (${CORES.map((c) => c.name).join(', ')})`, () => {
    const bases = [1, 2, 3, 4, 5, 6].map((seed) => {
      const { rib, client } = randomRib(seed);
      return encodeMiniRib(rib, client);
    });
    const cores = CORES.map((c) => ({ name: c.name, core: c.make() }));
    for (const { core } of cores) core.load(bases[0]);
    const rng = new Rng(2026);
    const codes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const buf = mutate(bases[round % bases.length], rng);
      const results = cores.map(({ name, core }) => `${name}:${outcome(core, buf)}`);
      const first = results[0].split(':')[1];
      expect(first.startsWith('CRASH'), results.join(' ')).toBe(false);
      expect(results.map((r) => r.split(':')[1]), `round ${round}`).toEqual(results.map(() => first));
      codes.set(first, (codes.get(first) ?? 0) + 1);
      const seed = rng.next();
      const seen = cores.map(({ core }) => decisions(core, new Rng(seed)).join(','));
      expect(new Set(seen).size, `round ${round}: decisions differ`).toBe(1);
    }
    // the mutations reach past the checksum into the rules
    expect(codes.size).toBeGreaterThan(12);
  });
});
