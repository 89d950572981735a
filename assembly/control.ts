// The control block of a shared router (spec/shared.md §2): where this instance finds the publish
// word, the thread records and the generation slots in the shared memory. One per shared router,
// allocated by the publisher (generations.ts init); every other instance is handed its address
// when it attaches (threads.ts). Layout: bindings/shared-layout.ts (CB_*, TR_*, GS_*).
import * as S from './shared-layout';

/** The control block's address in this instance (0: not a shared router yet). */
export let cb: u32 = 0;

export function setControl(at: u32): void { cb = at; }

// @ts-ignore: decorator
@inline export function threadCount(): u32 { return load<u32>(cb, S.CB_THREADS); }
// @ts-ignore: decorator
@inline export function slotCount(): u32 { return load<u32>(cb, S.CB_SLOTS); }
/** The record of thread `t` (TR_SIZE bytes). */
// @ts-ignore: decorator
@inline export function threadRecord(t: u32): u32 { return load<u32>(cb, S.CB_THREAD_TABLE) + t * S.TR_SIZE; }
/** The record of generation slot `s` (GS_SIZE bytes). */
// @ts-ignore: decorator
@inline export function slotRecord(s: u32): u32 { return load<u32>(cb, S.CB_SLOT_TABLE) + s * S.GS_SIZE; }
/** The publish word now: epoch << SLOT_BITS | slot, 0 before the first publish. One atomic load. */
// @ts-ignore: decorator
@inline export function publishedWord(): u32 { return atomic.load<u32>(cb, S.CB_PUBLISHED); }
