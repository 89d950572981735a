// Test helpers: bytes of strings and arrays in the allocator's memory (tests only).
import { alloc } from '../alloc';

/** The UTF-8 bytes of `s` in a fresh block: (ptr, len). */
export function utf8(s: string): u32 {
  const b = String.UTF8.encode(s);
  const p = alloc(<u32>b.byteLength);
  memory.copy(p, changetype<usize>(b), b.byteLength);
  return p;
}
export function utf8Len(s: string): u32 { return <u32>String.UTF8.byteLength(s); }

/** A block holding the u32 values of `a`. */
export function u32s(a: u32[]): u32 {
  const p = alloc(<u32>a.length * 4 + 16);
  for (let i = 0; i < a.length; i++) store<u32>(p + <u32>i * 4, a[i]);
  return p;
}
