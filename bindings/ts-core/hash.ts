// xxHash32 (Yann Collet, https://github.com/Cyan4973/xxHash, doc/xxhash_spec.md), exactly as
// published, and the spec's derived hashes (spec/routing.md §1).
// Cost: O(len) with 4 lanes of 32-bit multiply-rotate per 16-byte stripe.
// Called by: the encoder (server hashes, body checksum), the TS reader (checksum and id checks at
// load, once per generation), the router API (key hashes, once per keyed request).
import { SEED_PAIR } from '../layout.js';

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

const imul = Math.imul;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** xxh32 of bytes[off, off+len) with `seed`; returns an unsigned 32-bit integer. */
export function xxh32(bytes: Uint8Array, seed: number, off = 0, len = bytes.length - off): number {
  let p = off;
  const end = off + len;
  let h: number;
  // Word reads through a Uint32Array view when the start is aligned (the body checksum of a
  // large miniRIB is the case that matters: 4 words per stripe, no byte shuffling).
  const abs = bytes.byteOffset + off;
  const words = LITTLE_ENDIAN && (abs & 3) === 0
    ? new Uint32Array(bytes.buffer, abs, len >>> 2) : null;
  const w = (q: number): number => words !== null
    ? words[(q - off) >>> 2]
    : bytes[q] | (bytes[q + 1] << 8) | (bytes[q + 2] << 16) | (bytes[q + 3] << 24);
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    if (words !== null) {
      let i = 0;
      for (; p <= limit; p += 16, i += 4) {
        v1 = imul(rotl((v1 + imul(words[i], P2)) | 0, 13), P1);
        v2 = imul(rotl((v2 + imul(words[i + 1], P2)) | 0, 13), P1);
        v3 = imul(rotl((v3 + imul(words[i + 2], P2)) | 0, 13), P1);
        v4 = imul(rotl((v4 + imul(words[i + 3], P2)) | 0, 13), P1);
      }
    } else {
      for (; p <= limit; p += 16) {
        v1 = imul(rotl((v1 + imul(w(p), P2)) | 0, 13), P1);
        v2 = imul(rotl((v2 + imul(w(p + 4), P2)) | 0, 13), P1);
        v3 = imul(rotl((v3 + imul(w(p + 8), P2)) | 0, 13), P1);
        v4 = imul(rotl((v4 + imul(w(p + 12), P2)) | 0, 13), P1);
      }
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; p + 4 <= end; p += 4) h = imul(rotl((h + imul(w(p), P3)) | 0, 17), P4);
  for (; p < end; p++) h = imul(rotl((h + imul(bytes[p], P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = imul(h, P2);
  h ^= h >>> 13;
  h = imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(256);

/** xxh32 of a string's UTF-8 bytes. O(len); no allocation unless the string outgrows the scratch. */
export function xxh32String(s: string, seed: number): number {
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(s.length * 3);
  const { written } = utf8.encodeInto(s, scratch);
  return xxh32(scratch, seed, 0, written);
}

/**
 * pair(a, b) = xxh32(le32(a) ‖ le32(b), SEED_PAIR), unrolled for the 8-byte input.
 * O(1); called once per server scored by rendezvous (the hot loop of topK).
 */
export function pair(a: number, b: number): number {
  let h = (SEED_PAIR + P5 + 8) | 0;
  h = imul(rotl((h + imul(a, P3)) | 0, 17), P4);
  h = imul(rotl((h + imul(b, P3)) | 0, 17), P4);
  h ^= h >>> 15;
  h = imul(h, P2);
  h ^= h >>> 13;
  h = imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The first half of pair(a, ·), which depends on the anchor only: hoisted out of topK's loop. */
export function pairPrefix(a: number): number {
  return imul(rotl((((SEED_PAIR + P5 + 8) | 0) + imul(a, P3)) | 0, 17), P4);
}

/** pair(a, b) given pairPrefix(a). */
export function pairWith(prefix: number, b: number): number {
  let h = imul(rotl((prefix + imul(b, P3)) | 0, 17), P4);
  h ^= h >>> 15;
  h = imul(h, P2);
  h ^= h >>> 13;
  h = imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
