// A tiny first-fit block allocator over memory.grow, for a module built with `--runtime stub`
// (no managed objects anywhere). Classic address-ordered free list with immediate coalescing
// (Knuth, TAOCP vol. 1, §2.5, "first fit" with the boundary merge done on the sorted list).
//
// Cost: alloc O(free blocks) first-fit walk, free O(free blocks) sorted insert + merge. Called by:
// the host through rr_alloc/rr_free (once per miniRIB), and rr_load (a handful of blocks per
// generation: derived data, scratch tables). Never called on the routing hot path.
//
// A block, 8-aligned, `size` counts the header:
//
//   used:  0        4        8
//          ┌────────┬────────┬──────────────────────── … ┐
//          │ size   │ USED   │ payload (size − 8 bytes)   │   alloc() returns the payload address
//          └────────┴────────┴──────────────────────── … ┘
//   free:  ┌────────┬────────┬──────────────────────── … ┐
//          │ size   │ next   │ (unused)                    │   next: the next free block by address, 0 = end
//          └────────┴────────┴──────────────────────── … ┘
//
// Memory the allocator manages: with the stub runtime, [__heap_base, end of memory) plus every
// page it grows; under any other runtime (the as-pect test build, whose GC heap owns __heap_base)
// only the pages it grows itself. Regions need not be contiguous: merging is by address only.

const HDR: u32 = 8;
const MIN_BLOCK: u32 = 16;
const USED: u32 = 0x55534544; // "DESU": marks a block handed out, so a bogus rr_free is ignored
const PAGE_SHIFT: u32 = 16;
const MAX_PAGES: i32 = 65535; // stay below 4 GiB so every address and block end fits a u32

let freeHead: u32 = 0;
let started = false;
let liveBlocks: u32 = 0;

// @ts-ignore: decorator
@inline function blockSize(b: u32): u32 { return load<u32>(b); }
// @ts-ignore: decorator
@inline function nextFree(b: u32): u32 { return load<u32>(b, 4); }

function start(): void {
  started = true;
  if (ASC_RUNTIME == 0) { // Runtime.Stub: nothing else allocates, the heap is ours
    const lo = (<u32>__heap_base + 7) & ~<u32>7;
    const hi = <u32>memory.size() << PAGE_SHIFT;
    if (hi > lo + MIN_BLOCK) release(lo, hi - lo);
  } else {
    // A GC runtime's TLSF claims every page that exists when it initialises: make it initialise
    // now, before the first page we grow, so it never takes ours.
    heap.free(heap.alloc(16));
  }
}

/** Inserts [b, b+size) into the address-ordered free list and merges it with its neighbours. */
function release(b: u32, size: u32): void {
  let prev: u32 = 0;
  let cur = freeHead;
  while (cur != 0 && cur < b) { prev = cur; cur = nextFree(cur); }
  // merge with the following block
  if (cur != 0 && b + size == cur) {
    size += blockSize(cur);
    cur = nextFree(cur);
  }
  store<u32>(b, size);
  store<u32>(b, cur, 4);
  if (prev == 0) {
    freeHead = b;
  } else if (prev + blockSize(prev) == b) { // merge with the preceding block
    store<u32>(prev, blockSize(prev) + size);
    store<u32>(prev, cur, 4);
  } else {
    store<u32>(prev, b, 4);
  }
}

/** Grows memory by enough pages for a block of `need` bytes; false when memory cannot grow. */
function grow(need: u32): bool {
  const pages = <i32>((<u64>need + 0xffff) >> PAGE_SHIFT);
  const before = memory.size();
  if (before + pages > MAX_PAGES) return false;
  if (memory.grow(pages) < 0) return false;
  release(<u32>before << PAGE_SHIFT, <u32>pages << PAGE_SHIFT);
  return true;
}

/** An 8-aligned block of at least `n` bytes, or 0 when memory cannot grow. */
export function alloc(n: u32): u32 {
  if (!started) start();
  if (n > 0xfff00000) return 0;
  let need = ((n + 7) & ~<u32>7) + HDR;
  if (need < MIN_BLOCK) need = MIN_BLOCK;
  for (let attempt = 0; attempt < 2; attempt++) {
    let prev: u32 = 0;
    let b = freeHead;
    while (b != 0) {
      const size = blockSize(b);
      if (size >= need) {
        let next = nextFree(b);
        if (size - need >= MIN_BLOCK) { // split: the tail stays free in b's place
          const tail = b + need;
          store<u32>(tail, size - need);
          store<u32>(tail, next, 4);
          next = tail;
          store<u32>(b, need);
        }
        if (prev == 0) freeHead = next; else store<u32>(prev, next, 4);
        store<u32>(b, USED, 4);
        liveBlocks++;
        return b + HDR;
      }
      prev = b;
      b = nextFree(b);
    }
    if (attempt == 0 && !grow(need)) return 0;
  }
  return 0; // unreachable: a grow of `need` bytes always makes a fitting block
}

/** Returns a block from alloc(). 0, a pointer alloc() did not return, or a second free are ignored. */
export function free(p: u32): void {
  if (p < HDR || p & 7) return;
  if (<u64>p >= (<u64>memory.size() << PAGE_SHIFT)) return;
  const b = p - HDR;
  if (load<u32>(b, 4) != USED) return;
  const size = blockSize(b);
  if (size < MIN_BLOCK || <u64>b + size > (<u64>memory.size() << PAGE_SHIFT)) return;
  liveBlocks--;
  release(b, size);
}

/** Blocks handed out and not yet freed (tests: a failed load must leave this unchanged). */
export function allocLiveBlocks(): u32 { return liveBlocks; }

/** Bytes in the free list (tests: coalescing). O(free blocks). */
export function allocFreeBytes(): u32 {
  let total: u32 = 0;
  for (let b = freeHead; b != 0; b = nextFree(b)) total += blockSize(b);
  return total;
}

/** Number of free blocks (tests: coalescing). O(free blocks). */
export function allocFreeBlocks(): u32 {
  let n: u32 = 0;
  for (let b = freeHead; b != 0; b = nextFree(b)) n++;
  return n;
}
