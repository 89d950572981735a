// splitmix32 as fixed by spec/routing.md §1 (after Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014, with a 32-bit finaliser). One stream per router,
// seeded with the client's seed, consumed only by the spill draw and pick-2. O(1) per draw.

export class Rng {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z ^= z >>> 16;
    z = Math.imul(z, 0x85ebca6b);
    z ^= z >>> 13;
    z = Math.imul(z, 0xc2b2ae35);
    z ^= z >>> 16;
    return z >>> 0;
  }
  /** (next() × n) >>> 32 for n < 2^21: the product stays below 2^53, so it is exact as a double. */
  below(n: number): number {
    return Math.floor((this.next() * n) / 4294967296);
  }
}
