import { alloc, allocFreeBlocks, allocFreeBytes, allocLiveBlocks, free } from '../alloc';

describe('alloc', () => {
  it('returns 8-aligned, non-overlapping blocks', () => {
    const a = alloc(1), b = alloc(13), c = alloc(100);
    expect<u32>(a & 7).toBe(0);
    expect<u32>(b & 7).toBe(0);
    expect<bool>(b >= a + 8 && c >= b + 16).toBe(true);
    free(a); free(b); free(c);
  });
  it('reuses a freed block', () => {
    const a = alloc(64);
    free(a);
    expect<u32>(alloc(64)).toBe(a);
    free(a);
  });
  it('coalesces neighbours back into one block', () => {
    const big = alloc(4096);
    free(big);
    const blocks = allocFreeBlocks(), bytes = allocFreeBytes();
    const a = alloc(100), b = alloc(200), c = alloc(300);
    free(b); free(a); free(c); // middle first, then both sides
    expect<u32>(allocFreeBlocks()).toBe(blocks);
    expect<u32>(allocFreeBytes()).toBe(bytes);
    expect<u32>(alloc(4096)).toBe(big);
    free(big);
  });
  it('grows memory for a large block and counts live blocks', () => {
    const live = allocLiveBlocks();
    const pages = memory.size();
    const p = alloc(3 << 16);
    expect<u32>(p).toBeGreaterThan(0);
    expect<i32>(memory.size()).toBeGreaterThanOrEqual(pages + 3);
    store<u8>(p + (3 << 16) - 1, 1); // the last byte is ours
    expect<u32>(allocLiveBlocks()).toBe(live + 1);
    free(p);
    expect<u32>(allocLiveBlocks()).toBe(live);
  });
  it('ignores 0, foreign pointers and a second free', () => {
    const live = allocLiveBlocks();
    const a = alloc(32);
    free(0); free(a + 8); free(a); free(a);
    expect<u32>(allocLiveBlocks()).toBe(live);
  });
});
