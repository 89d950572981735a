// One thread's side of a shared router (spec/shared.md §3, §5): attaching to a thread record,
// entering the published generation once per decision, and the journal of its requests in flight.
// Everything here runs in the thread's own instance and writes only the thread's own record,
// journal and scratch, the shared cells (atomics) and nothing the allocator manages: a thread never
// allocates, so two instances never race on the heap.
//
// Entering a generation (the only shared read on the hot path):
//
//   w = atomic load of the publish word                    one load: the generation check
//   w == the word this thread announced → decide on it     (the common case: nothing else;
//                                                           route_current does only this much)
//   else: repeat { atomic store w in TR_ANNOUNCE;          announce first,
//                  w' = atomic load of the publish word;   then check it is still the one;
//                  w' == w → stop; w = w' }                a retry needs a publish in between
//
// The publisher frees a retired slot only after it sees no thread announcing it, and it scans the
// announcements after its own store of the new word. With sequentially consistent atomics either
// the thread's check sees the new word (and it moves on), or its announcement precedes the
// publisher's scan (and the slot stays): a decision never reads a freed generation. A thread pins
// at most one slot (the last it announced) until it enters again, parks or detaches.
import * as E from './errors';
import * as L from './layout';
import * as S from './shared-layout';
import { cb, publishedWord, setControl, slotRecord, threadCount, threadRecord } from './control';
import { pair } from './hash';
import { sectionPtr } from './minirib';
import { setRngState } from './rng';
import { current, setCurrent, setThread, view } from './router';

/** This instance's thread record (0: not attached), its index, the word it announced, its journal. */
let rec: u32 = 0;
let index: i32 = -1;
let myWord: u32 = 0;
let journal: u32 = 0;
let journalCap: u32 = 0;

export function attached(): bool { return rec != 0; }
export function threadIndex(): i32 { return index; }

/**
 * Attaches this instance to the shared router whose control block is at `control`, as thread `t`
 * (ANY_THREAD: the lowest free record): claims the record with one compare-exchange, enters the
 * published generation and seeds the RNG (spec/shared.md §3: thread 0 with the client's seed,
 * thread t > 0 with pair(seed, t)). Returns t, or −THREADS_FULL (none free / t taken),
 * −BAD_OPTIONS (no control block there, t out of range, already attached), −NOT_LOADED.
 * O(threads).
 */
export function attach(control: u32, t: u32, owner: u32): i32 {
  if (rec != 0) return -E.BAD_OPTIONS;
  if (control == 0 || control & 63 || <u64>control + S.CB_SIZE > (<u64>memory.size() << 16)) return -E.BAD_OPTIONS;
  if (load<u32>(control, S.CB_MAGIC) != S.CB_MAGIC_VALUE || load<u32>(control, S.CB_VERSION) != S.CB_VERSION_VALUE) return -E.BAD_OPTIONS;
  setControl(control);
  const T = threadCount();
  let got: i32 = -1;
  if (t == S.ANY_THREAD) {
    for (let i: u32 = 0; i < T && got < 0; i++) {
      if (atomic.cmpxchg<u32>(threadRecord(i), S.THREAD_FREE, S.THREAD_ATTACHED, S.TR_STATE) == S.THREAD_FREE) got = <i32>i;
    }
  } else if (t < T) {
    if (atomic.cmpxchg<u32>(threadRecord(t), S.THREAD_FREE, S.THREAD_ATTACHED, S.TR_STATE) == S.THREAD_FREE) got = <i32>t;
  } else {
    setControl(0);
    return -E.BAD_OPTIONS;
  }
  if (got < 0) {
    setControl(0);
    return -E.THREADS_FULL;
  }
  rec = threadRecord(<u32>got);
  index = got;
  atomic.store<u32>(rec, owner, S.TR_OWNER);
  atomic.store<u32>(rec, 0, S.TR_UNTRACKED);
  atomic.add<u32>(rec, 1, S.TR_ATTACHES);
  journal = load<u32>(rec, S.TR_JOURNAL);
  journalCap = load<u32>(cb, S.CB_JOURNAL_CAP);
  setThread(<u32>got, load<u32>(rec, S.TR_BATCH));
  myWord = 0;
  if (enter() == 0) {
    detach();
    return -E.NOT_LOADED;
  }
  const seed = load<u32>(sectionPtr(view(current()), L.S_CLIENT), L.C_SEED);
  setRngState(got == 0 ? seed : pair(seed, <u32>got));
  return got;
}

/**
 * Makes the published generation this thread's for the next decision(s) and returns its publish
 * word (0: not attached). One atomic load when nothing was published since the last call;
 * otherwise announce-and-check (header comment). Called once per decision (or batch) by the host.
 */
export function enter(): u32 {
  if (rec == 0) return 0;
  let w = publishedWord();
  if (w == myWord) return w;
  while (true) {
    atomic.store<u32>(rec, w, S.TR_ANNOUNCE);
    const again = publishedWord();
    if (again == w) break;
    w = again;
  }
  myWord = w;
  setCurrent(w == 0 ? 0 : load<u32>(slotRecord(w & S.SLOT_MASK), S.GS_GEN));
  return w;
}

/**
 * The generation check of one decision: true when the word published is still the one this thread
 * entered (so the service indices it resolved and the generation it decides on are current). One
 * atomic load. Called by route_current once per decision.
 */
// @ts-ignore: decorator
@inline export function stillCurrent(): bool {
  return rec != 0 && publishedWord() == myWord;
}

/** Unpins the generation this thread last entered (until it enters again): for idle threads. */
export function park(): void {
  if (rec == 0) return;
  atomic.store<u32>(rec, 0, S.TR_ANNOUNCE);
  myWord = 0;
  setCurrent(0);
}

/**
 * A request to the cell `c` (a decision's slot, with the tag it carried) begins: +1 on the cell's
 * count, and on the journal entry `ticket` (NO_TICKET or ≥ J: not journaled, counted in
 * TR_UNTRACKED). Returns 1, or 0 when the cell was freed and given to another server since the
 * decision (its tag moved on: nothing is counted). No loop and no call: a thread stopped by its
 * host (Worker.terminate) stops between host calls, never half-way through this function, so the
 * count and the journal agree. O(1).
 */
export function begin(c: u32, tag: u32, ticket: u32): i32 {
  if (rec == 0 || c == 0 || c & 7) return 0;
  const old = atomic.add<u64>(c, 1, S.CELL_COUNT);
  if (<u32>(old >>> 32) != tag) {
    atomic.sub<u64>(c, 1, S.CELL_COUNT);
    return 0;
  }
  if (ticket < journalCap) {
    const je = journal + ticket * S.JE_SIZE;
    store<u32>(je, c, S.JE_CELL);
    store<u32>(je, load<u32>(je, S.JE_COUNT) + 1, S.JE_COUNT);
  } else {
    store<u32>(rec, load<u32>(rec, S.TR_UNTRACKED) + 1, S.TR_UNTRACKED);
  }
  return 1;
}

/**
 * The request ends: −1 on the cell's count and on the journal entry. Returns the entry's count
 * left (its ticket is free again at 0), 0 for an untracked request, −1 when nothing changes: the
 * entry does not hold this cell (no begin of this thread to end), or the cell's tag is not the
 * decision's (its server is gone; a cell with requests in flight is never freed, so a request
 * begun on this server would have kept the tag). No loop, no call. O(1).
 */
export function end(c: u32, tag: u32, ticket: u32): i32 {
  if (rec == 0 || c == 0 || c & 7) return -1;
  if (atomic.load<u32>(c, S.CELL_TAG) != tag) return -1;
  if (ticket < journalCap) {
    const je = journal + ticket * S.JE_SIZE;
    if (load<u32>(je, S.JE_CELL) != c) return -1;
    const n = load<u32>(je, S.JE_COUNT);
    atomic.sub<u64>(c, 1, S.CELL_COUNT);
    store<u32>(je, n - 1, S.JE_COUNT);
    if (n == 1) store<u32>(je, 0, S.JE_CELL);
    return <i32>(n - 1);
  }
  const u = load<u32>(rec, S.TR_UNTRACKED);
  if (u == 0) return -1;
  atomic.sub<u64>(c, 1, S.CELL_COUNT);
  store<u32>(rec, u - 1, S.TR_UNTRACKED);
  return 0;
}

/**
 * Ends every journaled request of the thread record `r` (subtracts each entry's count from its
 * cell) and clears the journal; returns how many requests that was. O(J). Called by detach() for
 * this thread, and by the publisher for a thread that died (reclaim).
 */
export function settleJournal(r: u32): u32 {
  const j = load<u32>(r, S.TR_JOURNAL);
  const cap = load<u32>(cb, S.CB_JOURNAL_CAP);
  let ended: u32 = 0;
  for (let i: u32 = 0; i < cap; i++) {
    const je = j + i * S.JE_SIZE;
    const c = load<u32>(je, S.JE_CELL);
    if (c == 0) continue;
    const n = load<u32>(je, S.JE_COUNT);
    atomic.sub<u64>(c, <u64>n, S.CELL_COUNT);
    store<u64>(je, 0);
    ended += n;
  }
  return ended;
}

/**
 * Frees thread record `r`: its journaled requests end, its announcement is withdrawn (the slot it
 * pinned may be freed), and the record is free for the next attach. Returns the requests ended.
 * O(J). Called by detach (the thread itself) and reclaimThread (the publisher, for a dead thread).
 */
export function releaseRecord(r: u32): u32 {
  atomic.fence();
  const ended = settleJournal(r);
  atomic.store<u32>(r, 0, S.TR_ANNOUNCE);
  atomic.store<u32>(r, 0, S.TR_OWNER);
  atomic.store<u32>(r, 0, S.TR_UNTRACKED);
  atomic.store<u32>(r, S.THREAD_FREE, S.TR_STATE);
  return ended;
}

/**
 * Gives the thread record back: its journaled requests end (settleJournal), its announcement is
 * withdrawn (the slot it pinned may be freed) and the record is free for the next attach.
 * Returns the requests ended. O(J).
 */
export function detach(): u32 {
  if (rec == 0) return 0;
  const ended = releaseRecord(rec);
  rec = 0;
  index = -1;
  myWord = 0;
  journal = 0;
  journalCap = 0;
  setCurrent(0);
  setControl(0);
  return ended;
}
