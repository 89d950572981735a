// The typed router API over either core: createRouter({ rib, client, core }) → Router.
// Routing data swaps atomically (a rejected update keeps the old data and says why); the hot path
// (route) validates the request, looks the service index up in a per-generation cache and makes
// one core call. Loads: begin/end around each request (outstanding count), setLoad for reports.
import type { Core } from './core.js';
import { encodeMiniRib } from './encoder.js';
import * as E from './errors.js';
import { RingrouteError, RouteError } from './errors.js';
import { ROUTE_HAS_KEY, ROUTE_PRIMARY, SEED_KEY } from './layout.js';
import type { ClientModel, RibModel } from './model.js';
import { createTsCore } from './ts-core/core.js';
import { xxh32String } from './ts-core/hash.js';
import { createWasmCore } from './wasm-core.js';

export type CoreKind = 'wasm' | 'ts';

export interface RouterOptions {
  /** The routing data: the JSON model (with `client`) or an encoded miniRIB. */
  rib: RibModel | Uint8Array;
  /** The client this router routes for; required with a JSON model. */
  client?: ClientModel;
  /** Which core decides: 'wasm' (default) or 'ts'. */
  core?: CoreKind;
  /** A compiled ringroute.wasm, for runtimes that load it their own way. */
  wasmModule?: WebAssembly.Module;
}

export interface RouteRequest {
  service: string;
  key?: string;
  /** u32; wins over `key` when both are given. */
  keyHash?: number;
  role?: 'primary' | 'any';
}

export interface Decision {
  service: string;
  /** The chosen server's id. */
  server: string;
  /** Its index among the service's servers (RIB order). */
  index: number;
  /** Its slot in the load table. */
  slot: number;
  /** The router's data epoch the decision was made on (bumped by every successful update). */
  epoch: number;
  /**
   * The other candidate pick-2 compared it with (its index within the service), or −1 when
   * there was none (one candidate; a decision not made by route(), such as decisionFor).
   */
  other: number;
}

/**
 * The route() flags and key hash of a (valid) request: ROUTE_PRIMARY for role primary, and
 * ROUTE_HAS_KEY with the keyHash if given (it wins over the key), else xxh32(key, SEED_KEY).
 */
export function requestArgs(r: RouteRequest): { flags: number; keyHash: number } {
  let flags = r.role === 'primary' ? ROUTE_PRIMARY : 0;
  let keyHash = 0;
  if (r.keyHash !== undefined) {
    flags |= ROUTE_HAS_KEY;
    keyHash = r.keyHash >>> 0;
  } else if (r.key !== undefined) {
    flags |= ROUTE_HAS_KEY;
    keyHash = xxh32String(r.key, SEED_KEY);
  }
  return { flags, keyHash };
}

const isU32 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/** Throws RingrouteError BAD_REQUEST unless `req` is a well-formed request (every router's check). */
export function checkRequest(req: RouteRequest): void {
  if (req === null || typeof req !== 'object' || typeof req.service !== 'string' || req.service === '') {
    throw new RingrouteError(E.BAD_REQUEST, 'service');
  }
  if (req.role !== undefined && req.role !== 'primary' && req.role !== 'any') {
    throw new RingrouteError(E.BAD_REQUEST, `role ${JSON.stringify(req.role)}`);
  }
  if (req.keyHash !== undefined) {
    if (!isU32(req.keyHash)) throw new RingrouteError(E.BAD_REQUEST, `keyHash ${JSON.stringify(req.keyHash)}`);
  } else if (req.key !== undefined && typeof req.key !== 'string') {
    throw new RingrouteError(E.BAD_REQUEST, 'key must be a string');
  }
}

/** The miniRIB of an update: the bytes as given, or the JSON model encoded for `client`. */
export function toBuffer(rib: RibModel | Uint8Array, client: ClientModel | undefined, generation: number): Uint8Array {
  if (rib instanceof Uint8Array) return rib;
  if (client === undefined) throw new RingrouteError(E.BAD_OPTIONS, 'a JSON rib needs a client');
  return encodeMiniRib(rib, client, { generation });
}

export class Router {
  private services = new Map<string, number>();
  private idIndex = new Map<number, Map<string, number>>();
  private epochValue = 0;

  constructor(readonly core: Core, private client: ClientModel | undefined) {}

  /** The data epoch: 1 after creation, +1 per successful update. */
  get epoch(): number { return this.epochValue; }
  /** The generation number stamped in the miniRIB in force. */
  get generation(): bigint { return this.core.generation(); }

  /**
   * Replaces the routing data. On a bad model or buffer it throws a RingrouteError naming the
   * rule and changes nothing: the previous data, loads and RNG stay as they were.
   */
  update(rib: RibModel | Uint8Array, client?: ClientModel): void {
    const c = client ?? this.client;
    const buf = toBuffer(rib, c, this.epochValue + 1);
    this.core.load(buf);
    if (client !== undefined) this.client = client;
    this.services = new Map();
    this.idIndex = new Map();
    this.epochValue++;
  }

  /** The service's index in the data in force, or −1. */
  serviceIndex(service: string): number {
    let i = this.services.get(service);
    if (i === undefined) {
      i = this.core.serviceIndex(service);
      this.services.set(service, i);
    }
    return i;
  }

  /** Picks a server. Throws RouteError (NO_SERVICE, NO_KEY, NO_SERVER, NO_REPLICA) or, for a malformed request, RingrouteError BAD_REQUEST. */
  route(req: RouteRequest): Decision {
    const d = this.tryRoute(req);
    if (d instanceof RouteError) throw d;
    return d;
  }

  /** As route(), but returns the RouteError instead of throwing it (no exception on the hot path). */
  tryRoute(req: RouteRequest): Decision | RouteError {
    checkRequest(req);
    const { flags, keyHash } = requestArgs(req);
    const svc = this.serviceIndex(req.service);
    if (svc < 0) return new RouteError(E.NO_SERVICE, req.service);
    const i = this.core.route(svc, flags, keyHash);
    if (i < 0) return new RouteError(-i, req.service);
    return {
      service: req.service, server: this.core.serverId(svc, i), index: i,
      slot: this.core.serverFirst(svc) + i, epoch: this.epochValue, other: this.core.routeOther(),
    };
  }

  /** A request to the decision's server starts: its outstanding count +1. */
  begin(d: Decision): void {
    const slot = this.slotOf(d);
    if (slot >= 0) this.core.loads()[slot] += 1;
  }

  /** The request ends (success, failure or abort): −1, never below 0. A server gone since is ignored. */
  end(d: Decision): void {
    const slot = this.slotOf(d);
    if (slot >= 0) {
      const loads = this.core.loads();
      loads[slot] = Math.max(0, loads[slot] - 1);
    }
  }

  /** Sets a server's load (a reported or estimated value: a finite number ≥ 0). */
  setLoad(service: string, index: number, load: number): void {
    if (typeof load !== 'number' || !Number.isFinite(load) || load < 0) {
      throw new RingrouteError(E.BAD_OPTIONS, `load must be a finite number >= 0, got ${String(load)}`);
    }
    this.core.loads()[this.slot(service, index)] = load;
  }

  /** A server's current load. */
  getLoad(service: string, index: number): number {
    return this.core.loads()[this.slot(service, index)];
  }

  private slot(service: string, index: number): number {
    const svc = this.serviceIndex(service);
    if (svc < 0) throw new RingrouteError(E.BAD_OPTIONS, `no service "${service}"`);
    if (!Number.isInteger(index) || index < 0 || index >= this.core.serverCount(svc)) {
      throw new RingrouteError(E.BAD_OPTIONS, `server index ${String(index)} of "${service}"`);
    }
    return this.core.serverFirst(svc) + index;
  }

  /** The decision's slot now: the same slot in its epoch, else found again by (service, id); −1 if gone. */
  private slotOf(d: Decision): number {
    if (d.epoch === this.epochValue) return d.slot;
    const svc = this.serviceIndex(d.service);
    if (svc < 0) return -1;
    const i = this.indexOf(svc, d.server);
    return i < 0 ? -1 : this.core.serverFirst(svc) + i;
  }

  /** A server's index within its service in the data in force, by id; −1 if absent. O(1) after the first call per service and generation. */
  serverIndex(service: string, id: string): number {
    const svc = this.serviceIndex(service);
    return svc < 0 ? -1 : this.indexOf(svc, id);
  }

  /** A decision naming a given server (a proxy's cached choice), or undefined if it is not in the data. */
  decisionFor(service: string, id: string): Decision | undefined {
    const svc = this.serviceIndex(service);
    if (svc < 0) return undefined;
    const i = this.indexOf(svc, id);
    if (i < 0) return undefined;
    return { service, server: id, index: i, slot: this.core.serverFirst(svc) + i, epoch: this.epochValue, other: -1 };
  }

  private indexOf(svc: number, id: string): number {
    let ids = this.idIndex.get(svc);
    if (ids === undefined) {
      ids = new Map();
      for (let i = 0; i < this.core.serverCount(svc); i++) ids.set(this.core.serverId(svc, i), i);
      this.idIndex.set(svc, ids);
    }
    return ids.get(id) ?? -1;
  }
}

function makeRouter(core: Core, opts: RouterOptions): Router {
  if (opts === null || typeof opts !== 'object') throw new RingrouteError(E.BAD_OPTIONS, 'options object');
  const router = new Router(core, opts.client);
  router.update(opts.rib, opts.client);
  return router;
}

function checkCore(opts: RouterOptions): CoreKind {
  const kind = opts?.core ?? 'wasm';
  if (kind !== 'wasm' && kind !== 'ts') throw new RingrouteError(E.BAD_OPTIONS, `core ${JSON.stringify(kind)}: 'wasm' or 'ts'`);
  return kind;
}

/**
 * createRouter and createRouterSync over a way of getting the module: each entry point of the
 * package passes its runtime's loader (bindings/index.ts: from disk; bindings/index.web.ts: fetch
 * or the embedded copy). The module is compiled once and kept; each router is its own instance.
 */
export function routerFactory(load: () => Promise<WebAssembly.Module>, loadSync: () => WebAssembly.Module): {
  createRouter(opts: RouterOptions): Promise<Router>;
  createRouterSync(opts: RouterOptions): Router;
} {
  let compiled: WebAssembly.Module | null = null;
  return {
    async createRouter(opts: RouterOptions): Promise<Router> {
      const kind = checkCore(opts);
      if (kind === 'ts') return makeRouter(createTsCore(), opts);
      const mod = opts.wasmModule ?? (compiled ??= await load());
      return makeRouter(createWasmCore(mod), opts);
    },
    createRouterSync(opts: RouterOptions): Router {
      const kind = checkCore(opts);
      if (kind === 'ts') return makeRouter(createTsCore(), opts);
      const mod = opts.wasmModule ?? (compiled ??= loadSync());
      return makeRouter(createWasmCore(mod), opts);
    },
  };
}
