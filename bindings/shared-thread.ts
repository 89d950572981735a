// One thread's router over a shared router (spec/shared.md): the Router interface of
// bindings/router.ts (route, tryRoute, begin, end, setLoad, getLoad, serviceIndex, epoch,
// generation) on an instance of build/ringroute.shared.wasm that imports the shared memory.
// Made by attachRouter (bindings/shared.ts) in a worker, or on the main thread.
//
// A decision is one call, rr_route_current: one atomic load checks that the generation this
// thread entered is still the one published, then it decides on it. After a publish the call
// answers NEW_GENERATION instead; the router then enters the new generation (rr_enter), drops its
// caches of names and ids (they are per generation) and decides again. Everything one decision
// reads (the service index, the route, the server's id, its load cell) is of one generation.
//
// Loads: begin/end add and take 1 on the server's load cell (the one count every thread shares),
// and record it in this thread's journal in the shared memory (one entry per server with requests
// in flight: the ticket of `tickets` below), so that the publisher can end them if this thread
// dies. Cost: route() is two calls into the module plus cached lookups; begin/end one call and one
// Map operation each.
import * as E from './errors.js';
import { RingrouteError, RouteError } from './errors.js';
import * as L from './layout.js';
import { checkRequest, requestArgs, type Decision, type RouteRequest, type Router } from './router.js';
import * as S from './shared-layout.js';

/** The exports of build/ringroute.shared.wasm (assembly/shared.ts). */
export interface SharedExports {
  memory: WebAssembly.Memory;
  rr_init_data(): void;
  rr_shared_init(threads: number, journal: number, flags: number): number;
  rr_alloc(size: number): number;
  rr_free(ptr: number): void;
  rr_build(ptr: number, len: number): number;
  rr_error_detail(): number;
  rr_publish(): number;
  rr_collect(): number;
  rr_reclaim_thread(t: number): number;
  rr_shared_stat(k: number): number;
  rr_control(): number;
  rr_attach(control: number, t: number, owner: number): number;
  rr_detach(): number;
  rr_thread(): number;
  rr_enter(): number;
  rr_park(): void;
  rr_begin(cell: number, tag: number, ticket: number): number;
  rr_end(cell: number, tag: number, ticket: number): number;
  rr_scratch(): number;
  rr_scratch_size(): number;
  rr_loaded(): number;
  rr_generation_lo(): number;
  rr_generation_hi(): number;
  rr_service_count(): number;
  rr_service_find(namePtr: number, nameLen: number): number;
  rr_server_count(svc: number): number;
  rr_server_first(svc: number): number;
  rr_rib(): number;
  rr_cells(): number;
  rr_route(svc: number, flags: number, keyHash: number): number;
  rr_route_other(): number;
  rr_route_current(svc: number, flags: number, keyHash: number): number;
  rr_route_batch(reqPtr: number, count: number, outPtr: number, track: number): void;
  rr_cell_tag(cell: number): number;
  rr_cell_outstanding(cell: number): number;
  rr_cell_reported(cell: number): number;
  rr_set_cell_reported(cell: number, value: number): void;
  rr_cell_load(cell: number): number;
  rr_rng_state(): number;
  rr_set_rng_state(state: number): void;
  rr_xxh32(ptr: number, len: number, seed: number): number;
  rr_ln(x: number): number;
}

/** The methods every router has: what createRouter returns, less `core` (a shared router has none). */
export type RouterInterface = Pick<Router,
  'route' | 'tryRoute' | 'begin' | 'end' | 'setLoad' | 'getLoad' | 'serviceIndex' | 'update' | 'epoch' | 'generation'>;

/** A decision of a shared router: `slot` is the server's load cell, `tag` the cell's tag then. */
export interface SharedDecision extends Decision {
  tag: number;
}

const STALE = -S.NEW_GENERATION;
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Typed views of a shared memory, re-made when it has grown (the publisher grows it). */
export class SharedViews {
  u8 = new Uint8Array(0);
  u32 = new Uint32Array(0);
  i32 = new Int32Array(0);
  constructor(private readonly memory: WebAssembly.Memory) { this.refresh(); }
  /** Re-makes the views if the memory is larger than they are. O(1). */
  refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer.byteLength === this.u8.byteLength) return;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }
  /** Bytes [at, at + len) copied out (TextDecoder does not read shared memory). */
  copy(at: number, len: number): Uint8Array { return this.u8.slice(at, at + len); }
  /** The table entry of a section kind in the (validated) miniRIB at `rib`: its address. */
  section(rib: number, kind: number): number {
    const count = this.u32[(rib + L.H_SECTION_COUNT) >>> 2];
    for (let e = 0; e < count; e++) {
      const at = rib + L.HEADER_SIZE + e * L.SECTION_ENTRY_SIZE;
      if (this.u32[(at + L.SE_KIND) >>> 2] === kind) return at;
    }
    throw new RingrouteError(E.SECTION_MISSING, `[${kind}]`); // unreachable: the core checked it
  }
}

/** The generation a router decides on: where its miniRIB's ids, strings and load cells are. */
export class GenerationView {
  private idsAt = 0;
  private strAt = 0;
  private cellsAt = 0;
  private ids = new Map<number, string>();
  private names = new Map<string, number>();
  private firsts: number[] = [];

  constructor(private readonly x: SharedExports, private readonly v: SharedViews, private readonly scratch: number) {}

  /** Points at the generation now in force in this instance (after rr_enter or rr_publish). */
  reset(): void {
    this.v.refresh();
    const rib = this.x.rr_rib();
    this.ids = new Map();
    this.names = new Map();
    this.firsts = [];
    if (rib === 0) { this.idsAt = this.strAt = this.cellsAt = 0; return; }
    this.idsAt = rib + this.v.u32[(this.v.section(rib, L.S_SERVER_IDS) + L.SE_OFFSET) >>> 2];
    this.strAt = rib + this.v.u32[(this.v.section(rib, L.S_STRINGS) + L.SE_OFFSET) >>> 2];
    this.cellsAt = this.x.rr_cells();
  }

  /** The service's index, or −1. O(1) after the first call per generation. */
  service(name: string): number {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    const encoded = utf8Encoder.encode(name);
    if (encoded.length > this.x.rr_scratch_size()) return -1;
    this.v.u8.set(encoded, this.scratch);
    const svc = this.x.rr_service_find(this.scratch, encoded.length);
    this.names.set(name, svc);
    return svc;
  }

  /** The global index of server 0 of a service (cached). */
  first(svc: number): number {
    let f = this.firsts[svc];
    if (f === undefined) this.firsts[svc] = f = this.x.rr_server_first(svc);
    return f;
  }

  /** The id of the server at global index g (cached, decoded from the shared miniRIB). */
  id(g: number): string {
    let id = this.ids.get(g);
    if (id === undefined) {
      const ref = this.idsAt + g * L.SERVER_IDS_ENTRY;
      const off = this.v.u32[(ref + L.STR_OFF) >>> 2], len = this.v.u32[(ref + L.STR_LEN) >>> 2];
      id = utf8Decoder.decode(this.v.copy(this.strAt + off, len));
      this.ids.set(g, id);
    }
    return id;
  }

  /** The load cell of the server at global index g. */
  cell(g: number): number { return this.v.u32[(this.cellsAt >>> 2) + g]; }

  /** The cell of server `index` of `service`; throws BAD_OPTIONS for an unknown one. */
  cellOf(service: string, index: number): number {
    const svc = this.service(service);
    if (svc < 0) throw new RingrouteError(E.BAD_OPTIONS, `no service "${service}"`);
    if (!Number.isInteger(index) || index < 0 || index >= this.x.rr_server_count(svc)) {
      throw new RingrouteError(E.BAD_OPTIONS, `server index ${String(index)} of "${service}"`);
    }
    return this.cell(this.first(svc) + index);
  }
}

/** Checks a load for setLoad: a finite number ≥ 0 (as Router.setLoad). */
export function checkLoad(load: number): void {
  if (typeof load !== 'number' || !Number.isFinite(load) || load < 0) {
    throw new RingrouteError(E.BAD_OPTIONS, `load must be a finite number >= 0, got ${String(load)}`);
  }
}

/**
 * A router of one thread of a shared router. Not for another thread: each thread attaches its own
 * (the instance, its RNG stream, its journal and its caches are this thread's).
 */
export class SharedThreadRouter implements RouterInterface {
  /** This router's thread record (0 decides exactly as the single-threaded router: spec/shared.md §3). */
  readonly thread: number;
  private readonly v: SharedViews;
  private readonly gen: GenerationView;
  private word = 0;
  private detached = false;
  /** cell → journal ticket (≥ 0), or −n: n requests begun untracked (the journal was full). */
  private readonly tickets = new Map<number, number>();
  private readonly freeTickets: number[] = [];

  /** Use attachRouter (bindings/shared.ts). */
  constructor(private readonly x: SharedExports, memory: WebAssembly.Memory, thread: number, journal: number) {
    this.thread = thread;
    this.v = new SharedViews(memory);
    this.gen = new GenerationView(x, this.v, x.rr_scratch());
    for (let t = journal - 1; t >= 0; t--) this.freeTickets.push(t);
    this.enter();
  }

  /** The publish epoch of the data this router decides on (1 after creation, +1 per update; 24 bits). */
  get epoch(): number { this.enter(); return this.word >>> S.SLOT_BITS; }
  /** The generation number stamped in that miniRIB. */
  get generation(): bigint {
    this.enter();
    return (BigInt(this.x.rr_generation_hi() >>> 0) << 32n) | BigInt(this.x.rr_generation_lo() >>> 0);
  }

  /** Enters the published generation (the one check per decision); re-points the caches if it changed. */
  private enter(): void {
    if (this.detached) throw new RingrouteError(E.BAD_OPTIONS, 'this router was detached');
    const w = this.x.rr_enter() >>> 0;
    if (w !== this.word) {
      this.word = w;
      this.gen.reset();
    }
  }

  /** Data comes from the SharedRouter that created the shared memory: update() there swaps it for every thread. */
  update(_rib?: unknown, _client?: unknown): void {
    throw new RingrouteError(E.BAD_OPTIONS, 'update() belongs to the SharedRouter that created the shared router (it publishes to every thread)');
  }

  serviceIndex(service: string): number {
    this.enter();
    return this.gen.service(service);
  }

  route(req: RouteRequest): SharedDecision {
    const d = this.tryRoute(req);
    if (d instanceof RouteError) throw d;
    return d;
  }

  tryRoute(req: RouteRequest): SharedDecision | RouteError {
    checkRequest(req);
    const { flags, keyHash } = requestArgs(req);
    if (this.detached) this.enter(); // throws
    let svc = this.gen.service(req.service);
    let i = svc < 0 ? STALE : this.x.rr_route_current(svc, flags, keyHash);
    while (i === STALE) { // a publish since the last decision (or an unknown name: is it still unknown?)
      this.enter();
      svc = this.gen.service(req.service);
      if (svc < 0) return new RouteError(E.NO_SERVICE, req.service);
      i = this.x.rr_route_current(svc, flags, keyHash);
    }
    if (i < 0) return new RouteError(-i, req.service);
    const g = this.gen.first(svc) + i;
    const cell = this.gen.cell(g);
    // the cell's tag changes only when the cell is freed, never while this thread is on a
    // generation that names it: a plain read
    return {
      service: req.service, server: this.gen.id(g), index: i, slot: cell,
      epoch: this.word >>> S.SLOT_BITS, tag: this.v.u32[(cell + S.CELL_TAG) >>> 2], other: this.x.rr_route_other(),
    };
  }

  /** A request to the decision's server starts: +1 on its cell for every thread. A server gone since is ignored. */
  begin(d: Decision): void {
    const cell = d.slot, tag = (d as SharedDecision).tag;
    if (typeof tag !== 'number' || this.detached) return;
    const t = this.tickets.get(cell);
    if (t === undefined) {
      const fresh = this.freeTickets.pop() ?? S.NO_TICKET;
      if (this.x.rr_begin(cell, tag, fresh) === 0) {
        if (fresh !== S.NO_TICKET) this.freeTickets.push(fresh);
        return;
      }
      this.tickets.set(cell, fresh === S.NO_TICKET ? -1 : fresh);
    } else if (t >= 0) {
      this.x.rr_begin(cell, tag, t);
    } else if (this.x.rr_begin(cell, tag, S.NO_TICKET) === 1) {
      this.tickets.set(cell, t - 1);
    }
  }

  /** The request ends: −1 on the cell. An end without a begin of this thread, or for a server gone since, is ignored. */
  end(d: Decision): void {
    const cell = d.slot, tag = (d as SharedDecision).tag;
    const t = this.tickets.get(cell);
    if (t === undefined || typeof tag !== 'number' || this.detached) return;
    if (t >= 0) {
      if (this.x.rr_end(cell, tag, t) === 0) {
        this.tickets.delete(cell);
        this.freeTickets.push(t);
      }
    } else if (this.x.rr_end(cell, tag, S.NO_TICKET) === 0) {
      if (t === -1) this.tickets.delete(cell); else this.tickets.set(cell, t + 1);
    }
  }

  /** Sets a server's reported load, for every thread (the outstanding count is kept apart). */
  setLoad(service: string, index: number, load: number): void {
    checkLoad(load);
    this.enter();
    this.x.rr_set_cell_reported(this.gen.cellOf(service, index), load);
  }

  /** A server's load as decisions see it: reported + outstanding requests of every thread. */
  getLoad(service: string, index: number): number {
    this.enter();
    return this.x.rr_cell_load(this.gen.cellOf(service, index));
  }

  /** Unpins the generation this thread last decided on until its next decision (for a thread going idle). */
  park(): void {
    if (this.detached) return;
    this.x.rr_park();
    this.word = 0;
  }

  /**
   * Gives the thread record back: requests still in flight end (their counts are taken off), the
   * generation it pinned may be freed. The router cannot be used after. Returns the requests ended.
   */
  detach(): number {
    if (this.detached) return 0;
    let ended = 0;
    for (const [cell, t] of this.tickets) {
      if (t >= 0) continue;
      const tag = this.x.rr_cell_tag(cell);
      for (let n = -t; n > 0; n--) if (this.x.rr_end(cell, tag, S.NO_TICKET) === 0) ended++;
    }
    this.tickets.clear();
    ended += this.x.rr_detach();
    this.detached = true;
    return ended;
  }
}
