// The shared load table of the shared-memory build (spec/shared.md §4): one load cell per server,
// stable across generations, in the memory every thread's instance shares. A generation names the
// cell of each of its servers (its u32[N] load table, router.ts GH_LOADS); route() reads
// reported + outstanding from the cells (pick2.ts), so every thread sees the process's whole load.
//
// A cell (CELL_SIZE = 24 bytes, 8-aligned; chunks of CELLS_PER_CHUNK are never freed, so a stale
// cell address still points at a cell):
//
//   0         4         8                    16        20        24
//   ┌─────────┬─────────┬────────────────────┬─────────┬─────────┐
//   │ count   │ tag     │ reported f64       │ refs    │ next    │
//   │ i32     │ u32     │ (i64 atomic bits)  │ u32     │ u32     │
//   └─────────┴─────────┴────────────────────┴─────────┴─────────┘
//   └── one 64-bit word ┘                     └─ publisher only ──┘
//
//   count    requests begun and not ended, every thread (i64 atomic add/sub on the word: a thread
//            never takes away more than it added, so the low half never borrows from the tag)
//   tag      bumped when the cell is freed: a decision carries its cell's tag, and begin() on a
//            cell freed and handed to another server since finds a different tag and undoes itself
//   reported the reported load (setLoad: piggybacked or polled), one i64 atomic store for all threads
//   refs     live generations that name the cell; next: the free or orphan list (cell addresses)
//
// Lifetime (publisher only, on update and collect): a new generation reuses the cell of every
// server whose (service name, id) is in the generation it replaces, and takes a fresh cell for the
// others (refs + 1 each). When a generation is freed its cells lose a ref; a cell at 0 refs is an
// orphan: no generation names it, but requests begun on it may still be in flight. An orphan is
// freed by one compare-exchange of its word from (tag, count 0) to (tag + 1, count 0), so a count
// that is not 0 is never lost and a late begin() sees the new tag.
import { alloc } from './alloc';
import * as L from './layout';
import * as S from './shared-layout';
import { GH_LOADS, GH_N, matchServers } from './router';

// ── the hot path (every thread) ──────────────────────────────────────────────

/** reported + outstanding of the cell at `c`: the load pick-2 compares. O(1). */
// @ts-ignore: decorator
@inline export function cellLoad(c: u32): f64 {
  return reinterpret<f64>(atomic.load<u64>(c, S.CELL_REPORTED)) + <f64>atomic.load<i32>(c, S.CELL_COUNT);
}

/** Adds `delta` to the cell's outstanding count (route_batch's track; delta may be −1). O(1). */
// @ts-ignore: decorator
@inline export function cellAdd(c: u32, delta: i64): u64 {
  return atomic.add<u64>(c, <u64>delta, S.CELL_COUNT);
}

/** The cell's tag (a decision carries it). */
export function cellTag(c: u32): u32 { return atomic.load<u32>(c, S.CELL_TAG); }
export function cellOutstanding(c: u32): i32 { return atomic.load<i32>(c, S.CELL_COUNT); }
export function cellReported(c: u32): f64 { return reinterpret<f64>(atomic.load<u64>(c, S.CELL_REPORTED)); }
export function setCellReported(c: u32, value: f64): void { atomic.store<u64>(c, reinterpret<u64>(value), S.CELL_REPORTED); }

// ── the publisher's bookkeeping (one thread: the one that created the shared router) ─────────

/** Heads of the publisher's lists (cell addresses, 0 = empty) and its counters. */
let freeHead: u32 = 0;
let orphanHead: u32 = 0;
let chunkHead: u32 = 0; // chunks, linked through their first word
let chunks: u32 = 0;
let liveCells: u32 = 0; // refs > 0
let orphanCells: u32 = 0;
let freeCells: u32 = 0;

const CHUNK_HDR: u32 = 8;

export function cellsLive(): u32 { return liveCells; }
export function cellsOrphaned(): u32 { return orphanCells; }
export function cellsFree(): u32 { return freeCells; }
export function cellChunks(): u32 { return chunks; }

/** Allocates a chunk of CELLS_PER_CHUNK fresh cells onto the free list; false when memory is out. */
function addChunk(): bool {
  const bytes = CHUNK_HDR + S.CELLS_PER_CHUNK * S.CELL_SIZE;
  const block = alloc(bytes);
  if (block == 0) return false;
  memory.fill(block, 0, bytes);
  store<u32>(block, chunkHead);
  chunkHead = block;
  chunks++;
  // pushed from the last cell down, so the free list hands out ascending addresses
  for (let i = S.CELLS_PER_CHUNK; i > 0; i--) {
    const c = block + CHUNK_HDR + (i - 1) * S.CELL_SIZE;
    store<u32>(c, S.FIRST_TAG, S.CELL_TAG);
    store<u32>(c, freeHead, S.CELL_NEXT);
    freeHead = c;
  }
  freeCells += S.CELLS_PER_CHUNK;
  return true;
}

/** A free cell with refs = 1, count 0 and reported 0, or 0 when memory is out. O(1) amortised. */
function takeCell(): u32 {
  if (freeHead == 0 && !addChunk()) return 0;
  const c = freeHead;
  freeHead = load<u32>(c, S.CELL_NEXT);
  freeCells--;
  store<u32>(c, 0, S.CELL_NEXT);
  store<u32>(c, 1, S.CELL_REFS);
  atomic.store<u64>(c, 0, S.CELL_REPORTED);
  liveCells++;
  return c;
}

/** One more live generation names `c`. */
// @ts-ignore: decorator
@inline function ref(c: u32): void {
  store<u32>(c, load<u32>(c, S.CELL_REFS) + 1, S.CELL_REFS);
}

/** One live generation fewer names `c`; at 0 refs it becomes an orphan. */
function unref(c: u32): void {
  const refs = load<u32>(c, S.CELL_REFS) - 1;
  store<u32>(c, refs, S.CELL_REFS);
  if (refs == 0) {
    liveCells--;
    store<u32>(c, orphanHead, S.CELL_NEXT);
    orphanHead = c;
    orphanCells++;
  }
}

/**
 * Frees every orphan whose count is 0: one compare-exchange each, (tag, 0) → (tag + 1, 0). The
 * others stay orphans until their requests end (or their thread is reclaimed). O(orphans); called
 * by the publisher's collect().
 */
export function sweepOrphans(): void {
  let prev: u32 = 0;
  let c = orphanHead;
  while (c != 0) {
    const next = load<u32>(c, S.CELL_NEXT);
    const tag = atomic.load<u32>(c, S.CELL_TAG);
    const idle = <u64>tag << 32;
    if (atomic.cmpxchg<u64>(c, idle, <u64>(tag + 1) << 32, S.CELL_COUNT) == idle) {
      if (prev == 0) orphanHead = next; else store<u32>(prev, next, S.CELL_NEXT);
      orphanCells--;
      store<u32>(c, freeHead, S.CELL_NEXT);
      freeHead = c;
      freeCells++;
    } else {
      prev = c;
    }
    c = next;
  }
}

/** Σ outstanding counts over every cell of every chunk (tests: no lost count). O(cells). */
export function outstandingSum(): i64 {
  let sum: i64 = 0;
  for (let b = chunkHead; b != 0; b = load<u32>(b)) {
    for (let i: u32 = 0; i < S.CELLS_PER_CHUNK; i++) sum += <i64>atomic.load<i32>(b + CHUNK_HDR + i * S.CELL_SIZE, S.CELL_COUNT);
  }
  return sum;
}

/** Drops the refs of the first `n` entries of a load table (a generation freed, or a failed assign). O(n). */
export function releaseCells(table: u32, n: u32): void {
  for (let g: u32 = 0; g < n; g++) {
    const c = load<u32>(table + g * 4);
    if (c != 0) unref(c);
  }
}

/**
 * Fills the load table of the new generation `gh` with cells: the cell of the same (service
 * name, server id) in `old` (the generation in force; 0: none), else a fresh one. False when
 * memory runs out (every ref taken is given back). O(total servers): a service's servers are
 * first compared with the old service's server at the same index (hash, length, bytes), and only
 * the servers that moved are looked up, in an id table over the old service (router.ts
 * matchServers, shared with carryLoads). Called by the publisher once per generation, before it is published.
 */
export function assignCells(gh: u32, old: u32): bool {
  const table = load<u32>(gh, GH_LOADS);
  const N = load<u32>(gh, GH_N);
  if (old != 0 && !carryCells(gh, old)) {
    releaseCells(table, N);
    return false;
  }
  for (let g: u32 = 0; g < N; g++) {
    if (load<u32>(table + g * 4) != 0) continue;
    const c = takeCell();
    if (c == 0) {
      releaseCells(table, N);
      return false;
    }
    store<u32>(table + g * 4, c);
  }
  return true;
}

/** Every old service has cells to carry: their counts belong to requests still in flight. */
function neverSkip(oTable: u32, oFirst: u32, oCount: u32): bool {
  return false;
}

/** The new server takes the old one's cell (one more reference to it). */
function shareCell(table: u32, g: u32, oTable: u32, og: u32): void {
  const c = load<u32>(oTable + og * 4);
  ref(c);
  store<u32>(table + g * 4, c);
}

function carryCells(gh: u32, old: u32): bool {
  return matchServers(gh, old, neverSkip, shareCell);
}
