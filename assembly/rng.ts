// splitmix32 as fixed by shared/spec/ROUTING.md §1 (after Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014, with a 32-bit finaliser). The TS twin is
// bindings/ts-core/rng.ts.
//
// One stream per router (module instance): the first successful rr_load seeds it with the
// client's seed, later loads keep it. Consumed only by the spill draw (rings.ts) and pick-2
// (pick2.ts), at most a few draws per route(). Cost O(1) per draw.

let state: u32 = 0;

export function rngState(): u32 { return state; }
export function setRngState(s: u32): void { state = s; }

/** The next 32-bit output of the stream. */
// @ts-ignore: decorator
@inline export function next(): u32 {
  state += 0x9e3779b9;
  let z = state;
  z ^= z >>> 16;
  z *= 0x85ebca6b;
  z ^= z >>> 13;
  z *= 0xc2b2ae35;
  z ^= z >>> 16;
  return z;
}

/** (next() × n) >>> 32: a draw in [0, n), n < 2^21 (the high half of the 64-bit product). */
// @ts-ignore: decorator
@inline export function below(n: u32): u32 {
  return <u32>((<u64>next() * <u64>n) >> 32);
}
