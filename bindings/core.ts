// The contract every routing core meets (the WASM core through bindings/wasm-core.ts, the pure-TS
// core in bindings/ts-core/core.ts). The router API (bindings/router.ts), the conformance runner
// and the benchmarks use only this interface, so the core is chosen by an option, never by code.

export interface Core {
  readonly kind: 'wasm' | 'ts';
  /**
   * Validates a miniRIB and, if it is good, makes it the routing data (atomically: a route() sees
   * either the old or the new data). Loads of servers that keep their (service name, id) carry
   * over. Throws RingrouteError on a bad buffer and leaves the previous data in force.
   * The first successful load seeds the router's RNG with the client's seed.
   */
  load(buf: Uint8Array): void;
  /** True once some data has been loaded. */
  loaded(): boolean;
  /** The header's generation number of the data in force. */
  generation(): bigint;
  serviceCount(): number;
  /** The index of the service named `name`, or −1. O(1) expected (hash table). */
  serviceIndex(name: string): number;
  /** Number of servers of a service (RIB order; route() answers an index below it). */
  serverCount(svc: number): number;
  /** The slot of the service's server 0 in the load table; server i is at serverFirst + i. */
  serverFirst(svc: number): number;
  /** The id of server i of a service. */
  serverId(svc: number, i: number): string;
  /**
   * One decision (spec/routing.md §3): the server's index within the service, or −code
   * (−NO_KEY, −NO_SERVER, −NO_REPLICA; an svc out of range is −NO_SERVICE).
   * flags: ROUTE_HAS_KEY | ROUTE_PRIMARY; keyHash is read only with ROUTE_HAS_KEY.
   */
  route(svc: number, flags: number, keyHash: number): number;
  /**
   * The candidate pick-2 compared with the one the last route() chose (an index within that
   * service), or −1 when that decision had no second candidate (one candidate, an error). Read it
   * right after route(); routeBatch leaves it unspecified. What a load-aware caller polls along
   * with the chosen one (spec/load.md §1) and what a trace names.
   */
  routeOther(): number;
  /**
   * Many decisions in one call: for each j, out[j] = route(svc[j], flags[j], keyHash[j]); with
   * `track`, each successful decision adds 1 to its server's load before the next.
   */
  routeBatch(svc: Int32Array, flags: Int32Array, keyHash: Uint32Array, out: Int32Array, track: boolean): void;
  /** The load table of the data in force: one double per server, global slot order. */
  loads(): Float64Array;
  /** The RNG's state (for tests and for handing a stream over). */
  rngState(): number;
  setRngState(state: number): void;
}
