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

// 4 little-endian bytes at p
const rd = (b: Uint8Array, p: number): number => b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
const round = (v: number, w: number): number => imul(rotl((v + imul(w, P2)) | 0, 13), P1);

function avalanche(h: number): number {
  h ^= h >>> 15;
  h = imul(h, P2);
  h ^= h >>> 13;
  h = imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** xxh32 of bytes[off, off+len) with `seed`; returns an unsigned 32-bit integer. */
export function xxh32(bytes: Uint8Array, seed: number, off = 0, len = bytes.length - off): number {
  // large aligned inputs (a miniRIB body): word reads through one Uint32Array view
  if (len >= 1024 && LITTLE_ENDIAN && ((bytes.byteOffset + off) & 3) === 0) {
    return xxh32Words(new Uint32Array(bytes.buffer, bytes.byteOffset + off, len >>> 2), bytes, seed, off, len);
  }
  let p = off;
  const end = off + len;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0, v2 = (seed + P2) | 0, v3 = seed | 0, v4 = (seed - P1) | 0;
    for (const limit = end - 16; p <= limit; p += 16) {
      v1 = round(v1, rd(bytes, p));
      v2 = round(v2, rd(bytes, p + 4));
      v3 = round(v3, rd(bytes, p + 8));
      v4 = round(v4, rd(bytes, p + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; p + 4 <= end; p += 4) h = imul(rotl((h + imul(rd(bytes, p), P3)) | 0, 17), P4);
  for (; p < end; p++) h = imul(rotl((h + imul(bytes[p], P5)) | 0, 11), P1);
  return avalanche(h);
}

function xxh32Words(words: Uint32Array, bytes: Uint8Array, seed: number, off: number, len: number): number {
  let v1 = (seed + P1 + P2) | 0, v2 = (seed + P2) | 0, v3 = seed | 0, v4 = (seed - P1) | 0;
  const stripes = len >>> 4;
  for (let i = 0, w = 0; i < stripes; i++, w += 4) {
    v1 = round(v1, words[w]);
    v2 = round(v2, words[w + 1]);
    v3 = round(v3, words[w + 2]);
    v4 = round(v4, words[w + 3]);
  }
  let h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18) + len) | 0;
  let w = stripes * 4;
  let p = off + stripes * 16;
  const end = off + len;
  for (; p + 4 <= end; p += 4, w++) h = imul(rotl((h + imul(words[w], P3)) | 0, 17), P4);
  for (; p < end; p++) h = imul(rotl((h + imul(bytes[p], P5)) | 0, 11), P1);
  return avalanche(h);
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(256);

/**
 * xxh32 of a string's UTF-8 bytes. One pass hashes the char codes as if they were the bytes (true
 * for ASCII) and ORs them together; only if a code ≥ 0x80 turned up is the string encoded with
 * TextEncoder into a reused scratch and hashed again. O(len), no allocation for ASCII keys.
 * Called once per keyed request by the router API.
 */
export function xxh32String(s: string, seed: number): number {
  const len = s.length;
  let any = 0;
  let p = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0, v2 = (seed + P2) | 0, v3 = seed | 0, v4 = (seed - P1) | 0;
    for (const limit = len - 16; p <= limit; p += 16) {
      const a = s.charCodeAt(p) | (s.charCodeAt(p + 1) << 8) | (s.charCodeAt(p + 2) << 16) | (s.charCodeAt(p + 3) << 24);
      const b = s.charCodeAt(p + 4) | (s.charCodeAt(p + 5) << 8) | (s.charCodeAt(p + 6) << 16) | (s.charCodeAt(p + 7) << 24);
      const c = s.charCodeAt(p + 8) | (s.charCodeAt(p + 9) << 8) | (s.charCodeAt(p + 10) << 16) | (s.charCodeAt(p + 11) << 24);
      const d = s.charCodeAt(p + 12) | (s.charCodeAt(p + 13) << 8) | (s.charCodeAt(p + 14) << 16) | (s.charCodeAt(p + 15) << 24);
      // `any` is the OR of every char code: ≥ 0x80 exactly when some char is not ASCII
      any |= s.charCodeAt(p) | s.charCodeAt(p + 1) | s.charCodeAt(p + 2) | s.charCodeAt(p + 3)
        | s.charCodeAt(p + 4) | s.charCodeAt(p + 5) | s.charCodeAt(p + 6) | s.charCodeAt(p + 7)
        | s.charCodeAt(p + 8) | s.charCodeAt(p + 9) | s.charCodeAt(p + 10) | s.charCodeAt(p + 11)
        | s.charCodeAt(p + 12) | s.charCodeAt(p + 13) | s.charCodeAt(p + 14) | s.charCodeAt(p + 15);
      v1 = round(v1, a);
      v2 = round(v2, b);
      v3 = round(v3, c);
      v4 = round(v4, d);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; p + 4 <= len; p += 4) {
    const c0 = s.charCodeAt(p), c1 = s.charCodeAt(p + 1), c2 = s.charCodeAt(p + 2), c3 = s.charCodeAt(p + 3);
    any |= c0 | c1 | c2 | c3;
    h = imul(rotl((h + imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), P3)) | 0, 17), P4);
  }
  for (; p < len; p++) {
    const c = s.charCodeAt(p);
    any |= c;
    h = imul(rotl((h + imul(c, P5)) | 0, 11), P1);
  }
  if (any >= 0x80) {
    if (len * 3 > scratch.length) scratch = new Uint8Array(len * 3);
    return xxh32(scratch, seed, 0, utf8.encodeInto(s, scratch).written);
  }
  return avalanche(h);
}

/**
 * pair(a, b) = xxh32(le32(a) ‖ le32(b), SEED_PAIR), unrolled for the 8-byte input.
 * O(1); called once per server scored by rendezvous (the hot loop of topK).
 */
export function pair(a: number, b: number): number {
  let h = (SEED_PAIR + P5 + 8) | 0;
  h = imul(rotl((h + imul(a, P3)) | 0, 17), P4);
  h = imul(rotl((h + imul(b, P3)) | 0, 17), P4);
  return avalanche(h);
}

/** The first half of pair(a, ·), which depends on the anchor only: hoisted out of topK's loop. */
export function pairPrefix(a: number): number {
  return imul(rotl((((SEED_PAIR + P5 + 8) | 0) + imul(a, P3)) | 0, 17), P4);
}

/** pair(a, b) given pairPrefix(a). */
export function pairWith(prefix: number, b: number): number {
  return avalanche(imul(rotl((prefix + imul(b, P3)) | 0, 17), P4));
}
