// One miniRIB in shared memory for every worker thread (spec/shared.md). The thread that creates
// the shared router (createSharedRouter) owns its publisher: the one instance of
// build/ringroute.shared.wasm that writes into the shared WebAssembly.Memory. It hands out a
// SharedRouterHandle, which postMessage clones to workers (the compiled module, the shared memory
// and the control block's address); attachRouter(handle) in a worker gives that thread its own
// router (bindings/shared-thread.ts) over the same bytes. update(rib) validates the new miniRIB in
// a free slot of the shared memory and publishes it to every thread with one atomic store.
//
// This file imports nothing of a runtime's own: the entry points bind the module's loader
// (bindings/index.ts: from disk), or the caller passes `wasmModule`.
import * as E from './errors.js';
import { RingrouteError } from './errors.js';
import type { ClientModel, RibModel } from './model.js';
import { toBuffer } from './router.js';
import * as S from './shared-layout.js';
import {
  GenerationView, SharedThreadRouter, SharedViews, checkLoad, type SharedExports,
} from './shared-thread.js';

export { SharedThreadRouter } from './shared-thread.js';
export type { RouterInterface, SharedDecision } from './shared-thread.js';

export interface SharedRouterOptions {
  /** The routing data: the JSON model (with `client`) or an encoded miniRIB. */
  rib: RibModel | Uint8Array;
  /** The client; required with a JSON model. */
  client?: ClientModel;
  /** Thread records: the most routers attached at once (default 8, at most 64). */
  threads?: number;
  /** Journal entries per thread: servers one thread may have requests in flight on, journaled (default 4096). */
  journal?: number;
  /** The most the shared memory may grow to, in MiB (default 4095: the 32-bit limit). */
  maxMemoryMiB?: number;
  /** A compiled build/ringroute.shared.wasm (default: the package's, from the entry point's loader). */
  wasmModule?: WebAssembly.Module;
  /** Tests: overwrite a freed generation's miniRIB with 0xDD bytes, so that a stale read shows. */
  poisonFreed?: boolean;
}

/** What a worker needs to attach: structured-cloneable (postMessage it). */
export interface SharedRouterHandle {
  readonly kind: 'ringroute.shared';
  readonly version: number;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** The control block's address in `memory`. */
  readonly control: number;
  readonly threads: number;
  readonly journal: number;
}

export interface AttachOptions {
  /** The thread record to take (0 … threads − 1); default: the lowest free one. */
  thread?: number;
  /** The host's name for this thread, for SharedRouter.watch / threadList (Node's entry: threadId + 1). */
  owner?: number;
}

export interface SharedStats {
  /** Slots holding a generation (published, retired or built). */
  generations: number;
  /** Retired generations still pinned by a thread. */
  retiredPinned: number;
  /** Load cells named by a live generation, orphans (no generation, requests in flight), free cells. */
  cells: number;
  orphanCells: number;
  freeCells: number;
  /** Thread records attached. */
  attached: number;
  /** Bytes of the shared memory (what every thread shares), and the allocator's free bytes in it. */
  memoryBytes: number;
  freeBytes: number;
}

export interface ThreadInfo {
  thread: number;
  attached: boolean;
  owner: number;
  /** The publish epoch the thread last entered (0: none, parked or detached). */
  epoch: number;
}

const isInt = (x: unknown, lo: number, hi: number): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;

/** Instantiates the shared module on `memory` (instantiation writes nothing into it: spec/shared.md §1). */
function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): SharedExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SharedExports;
}

/**
 * The publisher side of a shared router, on the thread that created it. Not for another thread:
 * workers get `handle` and call attachRouter.
 */
export class SharedRouter {
  readonly handle: SharedRouterHandle;
  private readonly x: SharedExports;
  private readonly v: SharedViews;
  private readonly gen: GenerationView;
  private client: ClientModel | undefined;
  private word = 0;

  constructor(module: WebAssembly.Module, opts: SharedRouterOptions) {
    if (opts === null || typeof opts !== 'object') throw new RingrouteError(E.BAD_OPTIONS, 'options object');
    const threads = opts.threads ?? 8;
    const journal = opts.journal ?? S.DEFAULT_JOURNAL;
    const maxMiB = opts.maxMemoryMiB ?? 4095;
    if (!isInt(threads, 1, S.MAX_THREADS)) throw new RingrouteError(E.BAD_OPTIONS, `threads: an integer in 1..${S.MAX_THREADS}, got ${String(threads)}`);
    if (!isInt(journal, 1, 1 << 24)) throw new RingrouteError(E.BAD_OPTIONS, `journal: an integer in 1..${1 << 24}, got ${String(journal)}`);
    if (!isInt(maxMiB, 1, 4095)) throw new RingrouteError(E.BAD_OPTIONS, `maxMemoryMiB: an integer in 1..4095, got ${String(maxMiB)}`);
    const maximum = Math.max(S.SHARED_INITIAL_PAGES, Math.min(S.SHARED_MAX_PAGES, maxMiB * 16));
    const memory = new WebAssembly.Memory({ initial: S.SHARED_INITIAL_PAGES, maximum, shared: true });
    this.x = instantiate(module, memory);
    this.x.rr_init_data(); // the module's static data, written once for every instance
    const control = this.x.rr_shared_init(threads, journal, opts.poisonFreed ? S.SHARED_POISON : 0);
    if (control === 0) throw new RingrouteError(E.OUT_OF_MEMORY, 'the shared router\'s control block');
    this.v = new SharedViews(memory);
    const scratch = this.x.rr_alloc(S.SHARED_SCRATCH_SIZE);
    if (scratch === 0) throw new RingrouteError(E.OUT_OF_MEMORY, 'the publisher\'s scratch');
    this.gen = new GenerationView(this.x, this.v, scratch);
    this.client = opts.client;
    this.handle = Object.freeze({ kind: 'ringroute.shared', version: S.CB_VERSION_VALUE, module, memory, control, threads, journal });
    this.update(opts.rib, opts.client);
  }

  /** The publish epoch: 1 after creation, +1 per successful update (24 bits, wraps). */
  get epoch(): number { return this.word >>> S.SLOT_BITS; }
  /** The generation number stamped in the miniRIB published. */
  get generation(): bigint {
    return (BigInt(this.x.rr_generation_hi() >>> 0) << 32n) | BigInt(this.x.rr_generation_lo() >>> 0);
  }

  /**
   * Writes the new routing data into a free slot of the shared memory, validates and derives it
   * there, and publishes it to every thread with one atomic store. A bad model or buffer throws a
   * RingrouteError naming the rule and publishes nothing: every thread keeps deciding on the data
   * in force. Cost: O(buffer), on this thread only; a thread sees the new data at its next decision.
   */
  update(rib: RibModel | Uint8Array, client?: ClientModel): void {
    const buf = toBuffer(rib, client ?? this.client, (this.epoch + 1) >>> 0);
    const ptr = this.x.rr_alloc(buf.length);
    if (ptr === 0) throw new RingrouteError(E.OUT_OF_MEMORY, `${buf.length} bytes`);
    this.v.refresh();
    this.v.u8.set(buf, ptr);
    const code = this.x.rr_build(ptr, buf.length);
    if (code !== 0) {
      const detail = this.x.rr_error_detail() >>> 0;
      this.x.rr_free(ptr);
      throw new RingrouteError(code, detail === 0xffffffff ? '' : `at ${detail}`);
    }
    this.word = this.x.rr_publish() >>> 0;
    if (client !== undefined) this.client = client;
    this.gen.reset();
  }

  /** Frees the retired generations no thread is on, and the idle orphan cells; the generations still pinned. */
  collect(): number { return this.x.rr_collect(); }

  /**
   * Takes back the record of thread `thread`, which must have stopped (its worker exited or was
   * terminated, without detach()): the requests it left in flight end, the generation it pinned
   * can be freed. Returns the requests ended.
   */
  reclaim(thread: number): number {
    if (!isInt(thread, 0, this.handle.threads - 1)) throw new RingrouteError(E.BAD_OPTIONS, `thread ${String(thread)}`);
    const r = this.x.rr_reclaim_thread(thread);
    if (r < 0) throw new RingrouteError(-r, `thread ${thread}`);
    return r;
  }

  /** Reclaims the thread records of a worker when it exits (records whose owner is its threadId + 1). */
  watch(worker: { readonly threadId: number; once(event: 'exit', listener: () => void): unknown }): void {
    const owner = worker.threadId + 1;
    worker.once('exit', () => {
      for (const t of this.threadList()) if (t.attached && t.owner === owner) this.reclaim(t.thread);
    });
  }

  /** Every thread record: attached or not, its owner, the epoch it is on. */
  threadList(): ThreadInfo[] {
    this.v.refresh();
    const table = this.v.u32[(this.handle.control + S.CB_THREAD_TABLE) >>> 2];
    const out: ThreadInfo[] = [];
    for (let t = 0; t < this.handle.threads; t++) {
      const r = (table + t * S.TR_SIZE) >>> 2;
      out.push({
        thread: t,
        attached: Atomics.load(this.v.i32, r + S.TR_STATE / 4) === S.THREAD_ATTACHED,
        owner: Atomics.load(this.v.i32, r + S.TR_OWNER / 4) >>> 0,
        epoch: (Atomics.load(this.v.i32, r + S.TR_ANNOUNCE / 4) >>> 0) >>> S.SLOT_BITS,
      });
    }
    return out;
  }

  /** The service's index in the data published, or −1. */
  serviceIndex(service: string): number { return this.gen.service(service); }

  /** Sets a server's reported load once for every thread (a piggybacked or polled report). */
  setLoad(service: string, index: number, load: number): void {
    checkLoad(load);
    this.x.rr_set_cell_reported(this.gen.cellOf(service, index), load);
  }

  /** A server's load as decisions see it: reported + the outstanding requests of every thread. */
  getLoad(service: string, index: number): number {
    return this.x.rr_cell_load(this.gen.cellOf(service, index));
  }

  /** Requests in flight on a server, every thread together. */
  outstanding(service: string, index: number): number {
    return this.x.rr_cell_outstanding(this.gen.cellOf(service, index));
  }

  /** Σ outstanding requests over every load cell, live or orphaned (O(cells): tests, diagnostics). */
  outstandingTotal(): number { return this.x.rr_shared_stat(S.STAT_OUTSTANDING); }

  stats(): SharedStats {
    const k = (s: number): number => this.x.rr_shared_stat(s);
    return {
      generations: k(S.STAT_LIVE_SLOTS), retiredPinned: k(S.STAT_RETIRED),
      cells: k(S.STAT_CELLS), orphanCells: k(S.STAT_ORPHANS), freeCells: k(S.STAT_FREE_CELLS),
      attached: k(S.STAT_ATTACHED), memoryBytes: this.handle.memory.buffer.byteLength, freeBytes: k(S.STAT_FREE_BYTES),
    };
  }

  /** A router for this thread too (the same as attachRouter(this.handle, opts)). */
  attach(opts?: AttachOptions): SharedThreadRouter { return attachRouter(this.handle, opts); }
}

/**
 * A router for the calling thread over the shared router of `handle` (posted from the thread
 * that created it). The same interface as createRouter's; its decisions, per thread, are
 * reproducible (spec/shared.md §3). Throws THREADS_FULL when every record is attached (or the one
 * asked for is taken), BAD_OPTIONS for something that is not a handle.
 */
export function attachRouter(handle: SharedRouterHandle, opts: AttachOptions = {}): SharedThreadRouter {
  if (handle === null || typeof handle !== 'object' || handle.kind !== 'ringroute.shared' || handle.version !== S.CB_VERSION_VALUE ||
      !(handle.module instanceof WebAssembly.Module) || !(handle.memory instanceof WebAssembly.Memory) ||
      !isInt(handle.control, 1, 0xffffffff) || !isInt(handle.threads, 1, S.MAX_THREADS) || !isInt(handle.journal, 1, 1 << 24)) {
    throw new RingrouteError(E.BAD_OPTIONS, 'not a SharedRouterHandle (post SharedRouter.handle to the worker)');
  }
  const thread = opts.thread ?? S.ANY_THREAD;
  if (opts.thread !== undefined && !isInt(thread, 0, handle.threads - 1)) {
    throw new RingrouteError(E.BAD_OPTIONS, `thread: an integer in 0..${handle.threads - 1}, got ${String(opts.thread)}`);
  }
  const owner = opts.owner ?? 0;
  if (!isInt(owner, 0, 0xffffffff)) throw new RingrouteError(E.BAD_OPTIONS, `owner ${String(owner)}`);
  const x = instantiate(handle.module, handle.memory);
  const t = x.rr_attach(handle.control, thread, owner);
  if (t < 0) throw new RingrouteError(-t, opts.thread === undefined ? `all ${handle.threads} thread records` : `thread ${thread}`);
  return new SharedThreadRouter(x, handle.memory, t, handle.journal);
}

/**
 * createSharedRouter and createSharedRouterSync over a way of getting the shared module (each
 * entry point passes its runtime's loader). The module is compiled once and kept.
 */
export function sharedRouterFactory(load: () => Promise<WebAssembly.Module>, loadSync: () => WebAssembly.Module): {
  createSharedRouter(opts: SharedRouterOptions): Promise<SharedRouter>;
  createSharedRouterSync(opts: SharedRouterOptions): SharedRouter;
} {
  let compiled: WebAssembly.Module | null = null;
  return {
    async createSharedRouter(opts: SharedRouterOptions): Promise<SharedRouter> {
      return new SharedRouter(opts?.wasmModule ?? (compiled ??= await load()), opts);
    },
    createSharedRouterSync(opts: SharedRouterOptions): SharedRouter {
      return new SharedRouter(opts?.wasmModule ?? (compiled ??= loadSync()), opts);
    },
  };
}
