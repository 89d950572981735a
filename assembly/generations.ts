// The publisher of a shared router (spec/shared.md §2, §3): the one instance (on the thread that
// created the router) that allocates in the shared memory. It lays out the control block, builds
// each new generation in a free slot (validate, derive, assign load cells: all of it in the slot,
// read-only once published), publishes it with one atomic store of the publish word, and frees a
// retired slot once no thread announces it. Nothing here runs on a thread's hot path.
//
// Slot states (GS_STATE), publisher-written:
//
//   FREE ──build()──▶ BUILT ──publish()──▶ PUBLISHED ──next publish()──▶ RETIRED ──collect()──▶ FREE
//     ▲                 │ (a refused miniRIB never gets a slot: validation fails before)      │
//     └─────────────────┴─ build() again before publish(): the BUILT one is freed ◀──────────┘
//                                                          (no thread announces it any more)
//
// K = T + 2 slots always leave one free: the T threads pin at most T slots, one is published.
import { alloc, allocFreeBytes, allocLiveBlocks, free } from './alloc';
import * as E from './errors';
import * as S from './shared-layout';
import { assignCells, cellChunks, cellsFree, cellsLive, cellsOrphaned, outstandingSum, releaseCells, sweepOrphans } from './cells';
import { cb, publishedWord, setControl, slotCount, slotRecord, threadCount, threadRecord } from './control';
import { GH_BUF, GH_LOADS, GH_N, buildGeneration, built, freeGeneration, setCurrent, setScratchCopies } from './router';
import { releaseRecord } from './threads';

const NO_SLOT: u32 = 0xffffffff;
/** The slot build() filled and publish() has not published yet. */
let builtSlot: u32 = NO_SLOT;

/** A zeroed block of `bytes` aligned to 64 (one cache line), never freed; 0 when memory is out. */
function lineBlock(bytes: u32): u32 {
  const raw = alloc(bytes + 64);
  if (raw == 0) return 0;
  const at = (raw + 63) & ~<u32>63;
  memory.fill(at, 0, bytes);
  return at;
}

/**
 * Lays out the control block, T thread records (each with its journal of `journalCap` entries,
 * its host scratch and its route_batch scratch) and T + 2 slots; returns the control block's
 * address, or 0 (bad arguments, or memory is out). O(T × J). Called once, by the publisher.
 */
export function init(threads: u32, journalCap: u32, flags: u32): u32 {
  if (cb != 0 || threads < 1 || threads > S.MAX_THREADS || journalCap < 1 || journalCap > 0x1000000) return 0;
  const slots = threads + 2;
  const control = lineBlock(S.CB_SIZE);
  const tt = lineBlock(threads * S.TR_SIZE);
  const st = lineBlock(slots * S.GS_SIZE);
  if (control == 0 || tt == 0 || st == 0) return 0;
  for (let t: u32 = 0; t < threads; t++) {
    const journal = lineBlock(journalCap * S.JE_SIZE);
    const scratch = lineBlock(S.SHARED_SCRATCH_SIZE);
    const batch = lineBlock(S.BATCH_SCRATCH);
    if (journal == 0 || scratch == 0 || batch == 0) return 0;
    const r = tt + t * S.TR_SIZE;
    store<u32>(r, journal, S.TR_JOURNAL);
    store<u32>(r, scratch, S.TR_SCRATCH);
    store<u32>(r, batch, S.TR_BATCH);
  }
  store<u32>(control, S.CB_VERSION_VALUE, S.CB_VERSION);
  store<u32>(control, threads, S.CB_THREADS);
  store<u32>(control, slots, S.CB_SLOTS);
  store<u32>(control, tt, S.CB_THREAD_TABLE);
  store<u32>(control, st, S.CB_SLOT_TABLE);
  store<u32>(control, journalCap, S.CB_JOURNAL_CAP);
  store<u32>(control, S.SHARED_SCRATCH_SIZE, S.CB_SCRATCH_SIZE);
  store<u32>(control, flags, S.CB_FLAGS);
  atomic.store<u32>(control, 0, S.CB_PUBLISHED);
  atomic.store<u32>(control, S.CB_MAGIC_VALUE, S.CB_MAGIC); // last: an attach checks it first
  setControl(control);
  setScratchCopies(threads);
  return control;
}

/** The generation header of the published slot (0: none). */
function publishedGeneration(): u32 {
  const w = publishedWord();
  return w == 0 ? 0 : load<u32>(slotRecord(w & S.SLOT_MASK), S.GS_GEN);
}

/** Frees slot `s`'s generation (its cells lose a ref, its miniRIB and derived blocks go back). O(N + blocks). */
function releaseSlot(s: u32): void {
  const r = slotRecord(s);
  const gh = load<u32>(r, S.GS_GEN);
  if (gh != 0) {
    releaseCells(load<u32>(gh, GH_LOADS), load<u32>(gh, GH_N));
    const buf = load<u32>(gh, GH_BUF);
    if (load<u32>(cb, S.CB_FLAGS) & S.SHARED_POISON) memory.fill(buf, <u8>S.POISON_BYTE, load<u32>(r, S.GS_RIB_BYTES));
    freeGeneration(gh);
    free(buf);
  }
  store<u32>(r, 0, S.GS_GEN);
  store<u32>(r, 0, S.GS_EPOCH);
  store<u32>(r, 0, S.GS_RIB_BYTES);
  store<u32>(r, S.SLOT_FREE, S.GS_STATE);
}

/**
 * Validates the miniRIB of `len` bytes at `buf` (a block of alloc) in place and builds its
 * generation in a free slot: derived data, and a load cell for each server (carried by id from
 * the published generation). 0, or an error code with nothing published and nothing kept (the
 * host still owns `buf`). On success the slot owns `buf`. O(buffer).
 */
export function build(buf: u32, len: u32): i32 {
  if (cb == 0) return E.NOT_LOADED;
  if (builtSlot != NO_SLOT) {
    releaseSlot(builtSlot);
    builtSlot = NO_SLOT;
  }
  collect();
  let slot = NO_SLOT;
  const K = slotCount();
  for (let s: u32 = 0; s < K && slot == NO_SLOT; s++) {
    if (load<u32>(slotRecord(s), S.GS_STATE) == S.SLOT_FREE) slot = s;
  }
  if (slot == NO_SLOT) return E.THREADS_FULL; // unreachable with K = T + 2 (header comment)
  const code = buildGeneration(buf, len);
  if (code != 0) return code;
  const gh = built;
  if (!assignCells(gh, publishedGeneration())) {
    freeGeneration(gh);
    return E.OUT_OF_MEMORY;
  }
  const r = slotRecord(slot);
  store<u32>(r, gh, S.GS_GEN);
  store<u32>(r, len, S.GS_RIB_BYTES);
  store<u32>(r, S.SLOT_BUILT, S.GS_STATE);
  builtSlot = slot;
  return 0;
}

/**
 * Publishes the slot build() filled: one atomic store of the publish word (new epoch, slot); the
 * slot published before is retired, and freed by collect() as soon as no thread announces it.
 * Returns the new word, 0 when nothing was built. O(T × K) (the collect).
 */
export function publish(): u32 {
  if (cb == 0 || builtSlot == NO_SLOT) return 0;
  let epoch = (load<u32>(cb, S.CB_EPOCH) + 1) & S.EPOCH_MASK;
  if (epoch == 0) epoch = 1;
  store<u32>(cb, epoch, S.CB_EPOCH);
  const r = slotRecord(builtSlot);
  store<u32>(r, epoch, S.GS_EPOCH);
  store<u32>(r, S.SLOT_PUBLISHED, S.GS_STATE);
  const word = (epoch << S.SLOT_BITS) | builtSlot;
  const old = publishedWord();
  atomic.store<u32>(cb, word, S.CB_PUBLISHED);
  if (old != 0) store<u32>(slotRecord(old & S.SLOT_MASK), S.SLOT_RETIRED, S.GS_STATE);
  builtSlot = NO_SLOT;
  setCurrent(load<u32>(r, S.GS_GEN)); // the publisher's own queries (service_find, cells) read it
  collect();
  return word;
}

/**
 * Frees every retired slot that no thread announces, then every orphan cell whose requests have
 * all ended. Returns the retired slots still pinned. O(K × T + orphans).
 */
export function collect(): u32 {
  if (cb == 0) return 0;
  const K = slotCount(), T = threadCount();
  let pinned: u32 = 0;
  for (let s: u32 = 0; s < K; s++) {
    if (load<u32>(slotRecord(s), S.GS_STATE) != S.SLOT_RETIRED) continue;
    let used = false;
    for (let t: u32 = 0; t < T && !used; t++) {
      const a = atomic.load<u32>(threadRecord(t), S.TR_ANNOUNCE);
      used = a != 0 && (a & S.SLOT_MASK) == s;
    }
    if (used) pinned++;
    else releaseSlot(s);
  }
  sweepOrphans();
  return pinned;
}

/**
 * Takes back the record of thread `t`, which must have stopped (its worker exited or was
 * terminated): its journaled requests end, its announcement is withdrawn and the record is free.
 * Returns the requests ended, or −BAD_OPTIONS (no such record) / −NOT_LOADED (record not attached).
 * Requests it began without a journal entry (TR_UNTRACKED) cannot be found and stay counted.
 * O(J + K × T). Called by the host when it knows the thread has stopped (SharedRouter.reclaim).
 */
export function reclaimThread(t: u32): i32 {
  if (cb == 0 || t >= threadCount()) return -E.BAD_OPTIONS;
  const r = threadRecord(t);
  if (atomic.load<u32>(r, S.TR_STATE) != S.THREAD_ATTACHED) return -E.NOT_LOADED;
  const ended = releaseRecord(r);
  collect();
  return <i32>ended;
}

/** The statistic `k` (STAT_*). O(1), except STAT_OUTSTANDING O(cells) and STAT_FREE_BYTES O(free blocks). */
export function stat(k: u32): f64 {
  if (cb == 0) return 0;
  switch (k) {
    case S.STAT_LIVE_SLOTS: {
      let n: u32 = 0;
      for (let s: u32 = 0; s < slotCount(); s++) n += <u32>(load<u32>(slotRecord(s), S.GS_STATE) != S.SLOT_FREE);
      return <f64>n;
    }
    case S.STAT_RETIRED: {
      let n: u32 = 0;
      for (let s: u32 = 0; s < slotCount(); s++) n += <u32>(load<u32>(slotRecord(s), S.GS_STATE) == S.SLOT_RETIRED);
      return <f64>n;
    }
    case S.STAT_CELLS: return <f64>cellsLive();
    case S.STAT_ORPHANS: return <f64>cellsOrphaned();
    case S.STAT_FREE_CELLS: return <f64>cellsFree();
    case S.STAT_CHUNKS: return <f64>cellChunks();
    case S.STAT_OUTSTANDING: return <f64>outstandingSum();
    case S.STAT_LIVE_BLOCKS: return <f64>allocLiveBlocks();
    case S.STAT_FREE_BYTES: return <f64>allocFreeBytes();
    case S.STAT_ATTACHED: {
      let n: u32 = 0;
      for (let t: u32 = 0; t < threadCount(); t++) n += <u32>(atomic.load<u32>(threadRecord(t), S.TR_STATE) == S.THREAD_ATTACHED);
      return <f64>n;
    }
    default: return -1;
  }
}
