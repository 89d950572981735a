// The flat ABI of ringroute.shared.wasm (spec/abi.md "The shared-memory build", spec/shared.md):
// the same router as assembly/index.ts, built with imported shared memory and the threads
// feature, so that every thread's instance reads one copy of the routing data. Numbers and
// (pointer, length) pairs only; the module imports nothing but `env.memory`.
//
// Two roles, one module: the publisher (the instance on the thread that creates the shared
// router: rr_shared_init, rr_alloc, rr_build, rr_publish, rr_collect, rr_reclaim_thread; the only
// instance that allocates) and the threads (rr_attach, then per decision rr_enter and rr_route;
// rr_begin / rr_end around requests). The module's data segments are passive: the publisher
// writes them once (rr_init_data, added by scripts/passive-data.mjs), so instantiating a thread
// writes nothing into the shared memory.
import { alloc, free } from './alloc';
import * as G from './generations';
import { xxh32 } from './hash';
import { ln } from './ln';
import { pickOther } from './pick2';
import { rngState, setRngState } from './rng';
import * as router from './router';
import * as S from './shared-layout';
import * as T from './threads';
import * as C from './cells';
import { cb } from './control';

// ── the publisher ────────────────────────────────────────────────────────────
/** Lays out a shared router for `threads` thread records; the control block's address or 0. */
export function rr_shared_init(threads: u32, journal: u32, flags: u32): u32 { return G.init(threads, journal, flags); }
/** An 8-aligned block for a miniRIB (publisher only), 0 when memory cannot grow. */
export function rr_alloc(size: u32): u32 { return alloc(size); }
export function rr_free(ptr: u32): void { free(ptr); }
/** Validates and builds the miniRIB at ptr in a free slot: 0 or an error code (nothing kept). */
export function rr_build(ptr: u32, len: u32): i32 { return G.build(ptr, len); }
export function rr_error_detail(): u32 { return router.loadDetail; }
/** Publishes what rr_build built (one atomic store); the new publish word, 0 if nothing was built. */
export function rr_publish(): u32 { return G.publish(); }
/** Frees the retired slots no thread announces and the idle orphan cells; the slots still pinned. */
export function rr_collect(): u32 { return G.collect(); }
/** Takes back the record of a thread that stopped: the requests it left in flight end. */
export function rr_reclaim_thread(t: u32): i32 { return G.reclaimThread(t); }
export function rr_shared_stat(k: u32): f64 { return G.stat(k); }
export function rr_control(): u32 { return cb; }

// ── a thread ─────────────────────────────────────────────────────────────────
/** Attaches this instance as thread t (ANY_THREAD: the lowest free): t, or −code. */
export function rr_attach(control: u32, t: u32, owner: u32): i32 { return T.attach(control, t, owner); }
/** Gives the thread record back (its journaled requests end); the requests ended. */
export function rr_detach(): u32 { return T.detach(); }
export function rr_thread(): i32 { return T.threadIndex(); }
/** Enters the published generation for the next decision(s): its publish word (0: not attached). */
export function rr_enter(): u32 { return T.enter(); }
/** Unpins the generation entered last, until the next rr_enter. */
export function rr_park(): void { T.park(); }
export function rr_begin(cell: u32, tag: u32, ticket: u32): i32 { return T.begin(cell, tag, ticket); }
export function rr_end(cell: u32, tag: u32, ticket: u32): i32 { return T.end(cell, tag, ticket); }
export function rr_scratch(): u32 { return T.attached() ? load<u32>(load<u32>(cb, S.CB_THREAD_TABLE) + <u32>T.threadIndex() * S.TR_SIZE, S.TR_SCRATCH) : 0; }
export function rr_scratch_size(): u32 { return S.SHARED_SCRATCH_SIZE; }

// ── the generation entered (a thread), or the one published (the publisher) ──────
export function rr_loaded(): i32 { return router.isLoaded() ? 1 : 0; }
export function rr_generation_lo(): u32 { return router.generationLo(); }
export function rr_generation_hi(): u32 { return router.generationHi(); }
export function rr_service_count(): u32 { return router.serviceCount(); }
export function rr_service_find(namePtr: u32, nameLen: u32): i32 { return router.serviceFind(namePtr, nameLen); }
export function rr_server_count(svc: i32): u32 { return router.serverCount(svc); }
export function rr_server_first(svc: i32): u32 { return router.serverFirst(svc); }
/** The miniRIB of the generation in force here (ids and names are read from it). */
export function rr_rib(): u32 { const gh = router.current(); return gh == 0 ? 0 : load<u32>(gh, router.GH_BUF); }
/** Its load table: u32[N] cell addresses, global server order. */
export function rr_cells(): u32 { return router.loadsPtr(); }
/** One decision on the generation entered (a thread only): the server's index, or −code. */
export function rr_route(svc: i32, flags: u32, keyHash: u32): i32 {
  return T.attached() ? router.route(svc, flags, keyHash) : -1;
}
/**
 * One decision with its generation check: the generation entered is still the one published (one
 * atomic load) → the server's index or −code, as rr_route; else −NEW_GENERATION and nothing is
 * decided (call rr_enter, resolve the service again, retry). The per-decision call of a host.
 */
export function rr_route_current(svc: i32, flags: u32, keyHash: u32): i32 {
  return T.stillCurrent() ? router.route(svc, flags, keyHash) : -(<i32>S.NEW_GENERATION);
}
/** The other pick-2 candidate of this thread's last decision (service-local index), or −1. */
export function rr_route_other(): i32 { return pickOther; }
export function rr_route_batch(reqPtr: u32, count: u32, outPtr: u32, track: u32): void {
  if (T.attached()) router.routeBatch(reqPtr, count, outPtr, track != 0);
}

// ── load cells (any instance: atomics only) ───────────────────────────────────
export function rr_cell_tag(cell: u32): u32 { return C.cellTag(cell); }
export function rr_cell_outstanding(cell: u32): i32 { return C.cellOutstanding(cell); }
export function rr_cell_reported(cell: u32): f64 { return C.cellReported(cell); }
export function rr_set_cell_reported(cell: u32, value: f64): void { C.setCellReported(cell, value); }
export function rr_cell_load(cell: u32): f64 { return C.cellLoad(cell); }

// ── as the single-threaded module ─────────────────────────────────────────────
export function rr_rng_state(): u32 { return rngState(); }
export function rr_set_rng_state(state: u32): void { setRngState(state); }
export function rr_xxh32(ptr: u32, len: u32, seed: u32): u32 { return xxh32(ptr, len, seed); }
export function rr_ln(x: f64): f64 { return ln(x); }
