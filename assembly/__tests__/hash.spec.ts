import { pair, pairPrefix, pairWith, xxh32 } from '../hash';
import { utf8, utf8Len } from './helpers';

function xxs(s: string, seed: u32): u32 { return xxh32(utf8(s), utf8Len(s), seed); }

describe('xxh32', () => {
  it('matches the published known answers', () => {
    expect<u32>(xxs('', 0)).toBe(0x02cc5d05);
    expect<u32>(xxs('abc', 0)).toBe(0x32d153ff);
    expect<u32>(xxs('Nobody inspects the spammish repetition', 0)).toBe(0xe2293b2f);
  });
  it('matches bindings/ts-core/hash.ts with the spec seeds and a 20-byte input', () => {
    expect<u32>(xxs('a:1', 1)).toBe(2267136095);
    expect<u32>(xxs('web-1', 2)).toBe(2457864877);
    expect<u32>(xxs('user:1', 3)).toBe(4099953652);
    expect<u32>(xxs('0123456789abcdef0123', 0)).toBe(1666225742);
  });
});

describe('pair', () => {
  it('is xxh32(le32(a) ‖ le32(b), 4)', () => {
    const p = utf8('12345678');
    store<u32>(p, 0xdeadbeef);
    store<u32>(p, 0x01020304, 4);
    expect<u32>(pair(0xdeadbeef, 0x01020304)).toBe(xxh32(p, 8, 4));
  });
  it('matches bindings/ts-core/hash.ts', () => {
    expect<u32>(pair(1, 2)).toBe(2813316352);
    expect<u32>(pair(0, 0)).toBe(1912464729);
    expect<u32>(pair(0xffffffff, 0x12345678)).toBe(3018212261);
    expect<u32>(pairWith(pairPrefix(3405691582), 1)).toBe(4287617673);
  });
});
