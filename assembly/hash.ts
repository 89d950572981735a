// xxHash32 (Yann Collet, https://github.com/Cyan4973/xxHash, doc/xxhash_spec.md) over linear
// memory, exactly as published, and the spec's pair hash (shared/spec/ROUTING.md §1). The TS twin
// is bindings/ts-core/hash.ts.
//
// Cost: xxh32 is O(len): 4 lanes of multiply-rotate per 16-byte stripe. Called by rr_load (body
// checksum once, each server id once, each name once per generation), rr_xxh32 (hosts' key
// hashes, once per keyed request) and rr_service_find. pair is O(1), called once per server
// scored by rendezvous (topK's hot loop, through pairPrefix/pairWith).
import { SEED_PAIR } from './layout';

export const P1: u32 = 0x9e3779b1;
export const P2: u32 = 0x85ebca77;
export const P3: u32 = 0xc2b2ae3d;
export const P4: u32 = 0x27d4eb2f;
export const P5: u32 = 0x165667b1;

// @ts-ignore: decorator
@inline function round(acc: u32, lane: u32): u32 {
  return rotl<u32>(acc + lane * P2, 13) * P1;
}

// @ts-ignore: decorator
@inline export function avalanche(h: u32): u32 {
  h ^= h >>> 15;
  h *= P2;
  h ^= h >>> 13;
  h *= P3;
  h ^= h >>> 16;
  return h;
}

/** xxh32 of the `len` bytes at `ptr` with `seed`. Reads nothing outside [ptr, ptr + len). */
export function xxh32(ptr: u32, len: u32, seed: u32): u32 {
  let p = ptr;
  const end = ptr + len;
  let h: u32;
  if (len >= 16) {
    let v1 = seed + P1 + P2;
    let v2 = seed + P2;
    let v3 = seed;
    let v4 = seed - P1;
    const limit = end - 16;
    while (p <= limit) {
      v1 = round(v1, load<u32>(p));
      v2 = round(v2, load<u32>(p, 4));
      v3 = round(v3, load<u32>(p, 8));
      v4 = round(v4, load<u32>(p, 12));
      p += 16;
    }
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
  } else {
    h = seed + P5;
  }
  h += len;
  while (end - p >= 4) {
    h = rotl<u32>(h + load<u32>(p) * P3, 17) * P4;
    p += 4;
  }
  while (p < end) {
    h = rotl<u32>(h + <u32>load<u8>(p) * P5, 11) * P1;
    p++;
  }
  return avalanche(h);
}

/** The half of pair(a, ·) that depends on the anchor only (hoisted out of topK's loop). */
// @ts-ignore: decorator
@inline export function pairPrefix(a: u32): u32 {
  return rotl<u32>(SEED_PAIR + P5 + 8 + a * P3, 17) * P4;
}

/** pair(a, b) given pairPrefix(a). */
// @ts-ignore: decorator
@inline export function pairWith(prefix: u32, b: u32): u32 {
  return avalanche(rotl<u32>(prefix + b * P3, 17) * P4);
}

/** pair(a, b) = xxh32(le32(a) ‖ le32(b), SEED_PAIR), unrolled for the 8-byte input. */
export function pair(a: u32, b: u32): u32 {
  return pairWith(pairPrefix(a), b);
}
