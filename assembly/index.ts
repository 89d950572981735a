// The flat ABI of ringroute.wasm (spec/abi.md): numbers and (pointer, length) pairs only, no
// managed objects, no imports (built with --runtime stub --use abort=). Each export is a thin
// call into the module that owns the work.
import { alloc, free } from './alloc';
import { xxh32 } from './hash';
import { ln } from './ln';
import { rngState, setRngState } from './rng';
import { pickOther } from './pick2';
import * as router from './router';

const SCRATCH_SIZE: u32 = 65536;
const scratch: u32 = <u32>memory.data(SCRATCH_SIZE, 16);

/** An 8-aligned block of `size` bytes for the host (a miniRIB), 0 when memory cannot grow. */
export function rr_alloc(size: u32): u32 { return alloc(size); }
/** Returns a block of rr_alloc the host no longer needs (after a failed rr_load). */
export function rr_free(ptr: u32): void { free(ptr); }
/** Validates and loads the miniRIB at ptr: 0, or an error code (the previous data stays). */
export function rr_load(ptr: u32, len: u32): i32 { return router.loadRib(ptr, len); }
/** After a failed load: the index of the offending entry, or 0xFFFFFFFF. */
export function rr_error_detail(): u32 { return router.loadDetail; }
export function rr_loaded(): i32 { return router.isLoaded() ? 1 : 0; }
export function rr_generation_lo(): u32 { return router.generationLo(); }
export function rr_generation_hi(): u32 { return router.generationHi(); }
export function rr_service_count(): u32 { return router.serviceCount(); }
export function rr_service_find(namePtr: u32, nameLen: u32): i32 { return router.serviceFind(namePtr, nameLen); }
export function rr_server_count(svc: i32): u32 { return router.serverCount(svc); }
export function rr_server_first(svc: i32): u32 { return router.serverFirst(svc); }
/** The load table f64[N] of the data in force (moves on every successful load). */
export function rr_loads(): u32 { return router.loadsPtr(); }
/** One decision: the server's index within the service, or −code. flags: 1 key hash given, 2 primary. */
export function rr_route(svc: i32, flags: u32, keyHash: u32): i32 { return router.route(svc, flags, keyHash); }
/** The other pick-2 candidate of the last decision here (service-local index), or −1 (none: one candidate, no pick-2, an error). */
export function rr_route_other(): i32 { return pickOther; }
/** `count` requests of 12 bytes (svc i32, flags u32, keyHash u32) → one i32 each at outPtr. */
export function rr_route_batch(reqPtr: u32, count: u32, outPtr: u32, track: u32): void {
  router.routeBatch(reqPtr, count, outPtr, track != 0);
}
export function rr_scratch(): u32 { return scratch; }
export function rr_scratch_size(): u32 { return SCRATCH_SIZE; }
export function rr_rng_state(): u32 { return rngState(); }
export function rr_set_rng_state(state: u32): void { setRngState(state); }
export function rr_xxh32(ptr: u32, len: u32, seed: u32): u32 { return xxh32(ptr, len, seed); }
export function rr_ln(x: f64): f64 { return ln(x); }
