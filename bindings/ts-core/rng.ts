// splitmix32 as fixed by spec/routing.md §1 (after Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014, with a 32-bit finaliser). One stream per router,
// seeded with the client's seed, consumed only by the spill draw and pick-2. O(1) per draw.
//
// The state and the raw draw are kept as int32 (V8 holds them unboxed); the spec's unsigned values
// are taken where they are used: next() >>> 0, and below()'s high word of the 64-bit product.

export class Rng {
  private s: number; // int32 view of the u32 state
  constructor(seed: number) {
    this.s = seed | 0;
  }
  get state(): number {
    return this.s >>> 0;
  }
  set state(v: number) {
    this.s = v | 0;
  }
  /** The next draw as an int32 (its bits are the spec's u32). */
  nextInt(): number {
    const s = (this.s + 0x9e3779b9) | 0;
    this.s = s;
    let z = s ^ (s >>> 16);
    z = Math.imul(z, 0x85ebca6b);
    z ^= z >>> 13;
    z = Math.imul(z, 0xc2b2ae35);
    return z ^ (z >>> 16);
  }
  /** The next draw, unsigned. */
  next(): number {
    return this.nextInt() >>> 0;
  }
  /** (next() × n) >>> 32 for n < 2^21: the product stays below 2^53, so it is exact as a double. */
  below(n: number): number {
    return Math.floor(((this.nextInt() >>> 0) * n) / 4294967296);
  }
  /** next() >>> 16: the spill draw, compared with keep16. */
  next16(): number {
    return this.nextInt() >>> 16;
  }
}
