// SRLib for Node: `connect()` gives a mesh client that routes every request itself and sends it
// with undici, one Pool per chosen server (the rendezvous subset keeps the pools few, so
// connections are reused). It follows each service's policy from the RIB (control/config.ts):
// per-try timeout, retries on another server (never the same one twice in a request) for
// connection failures always and for timeouts/5xx when the request is idempotent, bounded by a
// retry budget; local outlier ejection (Envoy-style consecutive failures, a cap on the ejected
// fraction, panic routing when the cap is reached). Data comes from the RIB daemon (pushed
// miniRIBs, swapped in without disturbing requests in flight) or from a miniRIB/model given.
// Cost per request: one route() (tens of ns), a Map lookup for the pool, the HTTP exchange.
// Used by: applications (`import { connect } from 'ringroute'`), the sidecar, remote proxy and
// lookaside routers (host/node/proxy.ts), the local mesh.
import { Pool } from 'undici';
import * as L from '../../bindings/layout.js';
import type { ClientModel, RibModel } from '../../bindings/model.js';
import { createRouter } from '../../bindings/index.js';
import { encodeMiniRib, resealChecksum } from '../../bindings/encoder.js';
import type { CoreKind, Decision, Router } from '../../bindings/router.js';
import type { ServicePolicy } from '../../control/config.js';
import { type DecisionMode, LoadEstimator, type LoadMode } from '../../bindings/load-estimator.js';
import { LOAD_REPORT_HEADER, parseLoadReport } from '../../bindings/orca.js';
import { connectDaemon, type DaemonRouter } from './daemon-client.js';
import { DeadlineWheel, type ExchangeError, type ExchangeResult, exchange } from './exchange.js';
import type { RibMeta } from './frames.js';

export interface ConnectOptions {
  client: ClientModel;
  /** The RIB daemon's Unix socket. */
  daemon?: string;
  /** Services to ask the daemon for up front (more are added on first use). */
  services?: string[];
  /** Without a daemon: the routing data (a JSON model or a miniRIB) and where each server is. */
  rib?: RibModel | Uint8Array;
  addresses?: Record<string, Record<string, string>>;
  /** Policies by service when there is no daemon (else they come with the miniRIB). */
  policies?: Record<string, Partial<ServicePolicy>>;
  core?: CoreKind;
  /**
   * Connections per server pool (default 8). A server's address says how to speak to it:
   * `host:port` HTTP/1.1; `https://host:port` TLS, h2 when the server offers it by ALPN (unless
   * `allowH2: false`); `h2c://host:port` cleartext h2 (prior knowledge).
   */
  connections?: number;
  allowH2?: boolean;
  /** TLS for `https://` servers: the CA to trust (default: the system's), and an SNI name. */
  tls?: { ca?: string | Buffer | (string | Buffer)[]; servername?: string; rejectUnauthorized?: boolean };
  /** How long an idle connection is kept, ms (default 30 s; the remote proxy keeps 5 min). */
  keepAliveMs?: number;
  /** Largest response body kept, bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** Observes each finished attempt (metrics, tracing). */
  onAttempt?: (a: AttemptInfo) => void;
}

export interface MeshRequest {
  key?: string;
  role?: 'primary' | 'any';
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Safe to send twice (default: by method: GET, HEAD, OPTIONS, PUT, DELETE). */
  idempotent?: boolean;
  /** Send the first try to this server if it is in the data and not ejected (a proxy's routing cache). */
  prefer?: string;
}

export interface MeshResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The server that answered, and how many tries it took. */
  server: string;
  attempts: number;
  /** What was behind the response: each try's server, ring, outcome and time (the `ringroute-trace` header). */
  trace: { service: string; generation: number; tries: TraceTry[] };
}

/**
 * One try in a trace (the `ringroute-trace` header in debug mode): the server, its ring, the
 * outcome and time; how the load was known (mode) and the loads pick-2 compared: the chosen
 * server's and the other candidate's (server, ring, load), when there was one.
 */
export interface TraceTry {
  server: string;
  ring: number;
  outcome: string;
  ms: number;
  mode: string;
  load: number;
  other?: { server: string; ring: number; load: number };
}

export interface AttemptInfo {
  service: string;
  server: string;
  outcome: 'ok' | '5xx' | 'connect_failure' | 'timeout' | 'aborted' | 'error';
  status?: number;
  ms: number;
  retry: boolean;
  /** The server's locality ring for this client (from the daemon's meta), −1 if unknown. */
  ring: number;
  /** How the load pick-2 compared was known: outstanding, piggyback or poll. */
  loadMode?: string;
}

export class MeshError extends Error {
  constructor(readonly code: 'NO_ROUTE' | 'NO_ADDRESS' | 'CONNECT_FAILURE' | 'TIMEOUT' | 'ABORTED' | 'ERROR', message: string, readonly attempts: number) {
    super(message);
    this.name = 'MeshError';
  }
}

/** A field (SE_OFFSET, SE_COUNT) of a section's entry in a miniRIB's section table (spec/minirib.md). */
const section = (dv: DataView, kind: number, field: number): number =>
  dv.getUint32(L.HEADER_SIZE + (kind - 1) * L.SECTION_ENTRY_SIZE + field, true);

/** The caller's response: its fields named one by one (an object spread here cost ~10% of a request's CPU). */
const responseOf = (r: ExchangeResult, server: string, attempts: number, trace: MeshResponse['trace']): MeshResponse =>
  ({ status: r.status, headers: r.headers, body: r.body, server, attempts, trace });

/** A server's address (control/rib.ts) as an undici origin: TLS (ALPN may give h2), cleartext h2, or HTTP/1.1. */
export function originOf(address: string): { origin: string; tls: boolean; h2c: boolean } {
  if (address.startsWith('https://')) return { origin: address, tls: true, h2c: false };
  if (address.startsWith('h2c://')) return { origin: `http://${address.slice(6)}`, tls: false, h2c: true };
  if (address.startsWith('http://')) return { origin: address, tls: false, h2c: false };
  return { origin: `http://${address}`, tls: false, h2c: false };
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The policy fields the client uses, with the defaults of control/config.ts. */
interface ClientPolicy {
  timeout_ms: number;
  connect_timeout_ms: number;
  retries: { attempts: number; budget_ratio: number; budget_min_per_s: number; on: string[]; idempotent_only: boolean };
  outlier: { consecutive_5xx: number; ejection_ms: number; max_ejected_percent: number };
  load: { mode: LoadMode; staleness_ms: number };
}

const DEFAULT_POLICY: ClientPolicy = {
  timeout_ms: 1000,
  connect_timeout_ms: 250,
  retries: { attempts: 2, budget_ratio: 0.2, budget_min_per_s: 10, on: ['connect_failure', '5xx'], idempotent_only: true },
  outlier: { consecutive_5xx: 5, ejection_ms: 30_000, max_ejected_percent: 20 },
  load: { mode: 'adaptive', staleness_ms: 1000 },
};

function policyOf(raw: unknown): ClientPolicy {
  const p = (raw ?? {}) as Partial<ClientPolicy>;
  return {
    timeout_ms: p.timeout_ms ?? DEFAULT_POLICY.timeout_ms,
    connect_timeout_ms: p.connect_timeout_ms ?? DEFAULT_POLICY.connect_timeout_ms,
    retries: { ...DEFAULT_POLICY.retries, ...(p.retries ?? {}) },
    outlier: { ...DEFAULT_POLICY.outlier, ...(p.outlier ?? {}) },
    load: { ...DEFAULT_POLICY.load, ...(p.load ?? {}) },
  };
}

/** A service's load estimator (spec/load.md), valid for one data epoch of the router. */
interface Estimation {
  est: LoadEstimator;
  epoch: number;
  ids: string[];
  svc: number;
  first: number;
  /** The servers' capacity weights (the miniRIB's weight column), by index within the service. */
  weights: Uint32Array;
  refreshedAt: number;
}

const POLL_PATH = '/.well-known/ringroute/load';
/** A load report's body is empty or tiny; anything larger is not one. */
const POLL_MAX_BODY = 64 * 1024;
/** undici's and Node's codes for a server that could not be reached or dropped the connection. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);
/** Per-try deadlines are grouped into steps of this many ms (exchange.ts, DeadlineWheel). */
const DEADLINE_STEP = 5;

/**
 * The retry budget of one service (Envoy/Finagle style): retries may be at most `ratio` of the
 * requests of the last 10 s, plus `minPerS` per second, so an outage cannot multiply the load.
 * O(1) per call.
 */
class RetryBudget {
  private requests = 0;
  private retries = 0;
  private windowStart = -Infinity;
  private roll(now: number): void {
    if (now - this.windowStart > 10_000) {
      this.windowStart = now;
      this.requests = 0;
      this.retries = 0;
    }
  }
  allow(ratio: number, minPerS: number, now: number): boolean {
    this.roll(now);
    // at least a second's worth of the minimum rate, even at the start of a window
    const allowed = this.requests * ratio + (minPerS * Math.max(1000, now - this.windowStart)) / 1000;
    if (this.retries + 1 > allowed) return false;
    this.retries++;
    return true;
  }
  request(now: number): void {
    this.roll(now);
    this.requests++;
  }
}

interface Outlier {
  failures: number;
  ejections: number;
  ejectedUntil: number;
}

export class Mesh {
  private pools = new Map<string, Pool>();
  private budgets = new Map<string, RetryBudget>();
  private outliers = new Map<string, Outlier>(); // service \0 server id
  private ejected = new Map<string, Set<string>>(); // service → ejected ids
  private timer?: NodeJS.Timeout;
  private observers: ((a: AttemptInfo) => void)[] = [];
  private updateWaiters: (() => void)[] = [];
  private policies = new Map<string, { raw: unknown; policy: ClientPolicy }>(); // by service, per policy object
  private wheel = new DeadlineWheel(DEADLINE_STEP); // per-try and poll deadlines
  /** Counters for metrics: ejections made, retries denied by the budget, panics (cap reached). */
  readonly stats = { requests: 0, retries: 0, retriesDenied: 0, ejections: 0, panics: 0, newConnections: 0, polls: 0, pollFailures: 0, badLoadReports: 0 };
  private estimations = new Map<string, Estimation>();
  private scratch = new Float64Array(0);

  private constructor(
    private opts: ConnectOptions,
    private source: { router: Router; meta: () => RibMeta; rib: () => Uint8Array; reapply: () => void; subscribe: (s: string[]) => void; close: () => void },
  ) {
    if (opts.onAttempt) this.observers.push(opts.onAttempt);
    this.timer = setInterval(() => this.releaseEjections(), 250);
    this.timer.unref();
  }

  static async connect(opts: ConnectOptions): Promise<Mesh> {
    let mesh: Mesh | undefined;
    const transform = (rib: Uint8Array): Uint8Array => (mesh ? mesh.markEjected(rib) : rib);
    if (opts.daemon) {
      const d: DaemonRouter = await connectDaemon({
        socket: opts.daemon, client: opts.client, services: opts.services ?? [], core: opts.core, transform,
        onUpdate: () => {
          mesh?.prunePools();
          mesh?.notifyUpdate();
        },
      });
      mesh = new Mesh(opts, { router: d.router, meta: () => d.meta, rib: () => d.rib, reapply: () => d.reapply(), subscribe: (s) => d.subscribe(s), close: () => d.close() });
      return mesh;
    }
    if (!opts.rib) throw new TypeError('connect() needs a daemon socket or a rib');
    // bytes, so that local ejections can be marked in them (markEjected)
    const base = opts.rib instanceof Uint8Array ? opts.rib : encodeMiniRib(opts.rib, opts.client);
    const router = await createRouter({ rib: base, core: opts.core });
    const meta: RibMeta = { generation: Number(router.generation), revision: 0, full: true, services: {} };
    for (const [svc, addresses] of Object.entries(opts.addresses ?? {})) meta.services[svc] = { addresses, policy: opts.policies?.[svc] };
    for (const [svc, policy] of Object.entries(opts.policies ?? {})) meta.services[svc] ??= { addresses: {}, policy };
    mesh = new Mesh(opts, {
      router, meta: () => meta, rib: () => base,
      reapply: () => router.update(mesh!.markEjected(base)),
      subscribe: () => undefined,
      close: () => undefined,
    });
    return mesh;
  }

  /** Observes every finished attempt (metrics, tracing). */
  addObserver(fn: (a: AttemptInfo) => void): void {
    this.observers.push(fn);
  }

  get router(): Router { return this.source.router; }
  get meta(): RibMeta { return this.source.meta(); }

  /** Sends one request to `service`; resolves with the first non-retried response. */
  async request(service: string, req: MeshRequest = {}): Promise<MeshResponse> {
    if (!this.meta.services[service]) await this.arrival(service);
    const raw = this.meta.services[service]?.policy;
    let cached = this.policies.get(service);
    if (!cached || cached.raw !== raw) this.policies.set(service, (cached = { raw, policy: policyOf(raw) }));
    const policy = cached.policy;
    const method = (req.method ?? 'GET').toUpperCase();
    const idempotent = req.idempotent ?? IDEMPOTENT.has(method);
    let budget = this.budgets.get(service);
    if (!budget) this.budgets.set(service, (budget = new RetryBudget()));
    budget.request(Date.now());
    this.stats.requests++;
    const tried = new Map<string, Decision>();
    let last: MeshError | undefined;
    const trace: MeshResponse['trace'] = { service, generation: this.meta.generation, tries: [] };
    for (let attempt = 1; attempt <= 1 + policy.retries.attempts; attempt++) {
      const d = (attempt === 1 && req.prefer ? this.preferred(service, req.prefer) : undefined) ?? this.pick(service, req, tried);
      if (!d) {
        if (last) throw last;
        throw new MeshError('NO_ROUTE', `no server for "${service}"${tried.size ? ` other than ${[...tried.keys()].join(', ')}` : ''}`, attempt - 1);
      }
      let decision = d;
      const t0 = performance.now();
      // how the loads pick-2 compared are known (spec/load.md §1: its two candidates a and b);
      // a just-in-time poll of the stale ones, then the same comparison on what they said
      const e = policy.load.mode === 'outstanding' ? undefined : this.estimation(service, policy);
      let loadMode: DecisionMode = 'outstanding';
      if (e) {
        const b = d.other >= 0 ? d.other : d.index;
        loadMode = e.est.decide({ a: d.index, b, budgetMs: policy.timeout_ms });
        if (loadMode === 'poll' && e.est.needsPoll(d.index, b, undefined, policy.timeout_ms)) {
          await this.pollCandidates(e, d, policy);
          decision = this.redecide(e, d, tried);
        }
      }
      tried.set(decision.server, decision);
      const address = this.meta.services[service]?.addresses[decision.server];
      if (!address) throw new MeshError('NO_ADDRESS', `server "${decision.server}" of "${service}" has no address in the RIB`, attempt);
      const r = await this.attempt(decision, address, method, req, policy, e);
      const ms = performance.now() - t0;
      const retryable = r.outcome === 'connect_failure'
        ? policy.retries.on.includes('connect_failure')
        : (r.outcome === '5xx' && policy.retries.on.includes('5xx')) || (r.outcome === 'timeout' && policy.retries.on.includes('timeout'));
      const mayRetry = retryable && (r.outcome === 'connect_failure' || idempotent || !policy.retries.idempotent_only)
        && attempt <= policy.retries.attempts && !req.signal?.aborted;
      const retry = mayRetry && budget.allow(policy.retries.budget_ratio, policy.retries.budget_min_per_s, Date.now());
      if (mayRetry && !retry) this.stats.retriesDenied++;
      if (retry) this.stats.retries++;
      const info: AttemptInfo = { service, server: decision.server, outcome: r.outcome, status: r.response?.status, ms, retry, ring: this.meta.services[service]?.rings?.[decision.server] ?? -1, loadMode };
      for (const o of this.observers) o(info);
      trace.tries.push(this.traceTry(decision, info, ms, e));
      this.observe(service, decision.server, r.outcome, policy);
      if (r.response && !retry) return responseOf(r.response, decision.server, attempt, trace);
      last = r.error ?? new MeshError('ERROR', `${service}: ${decision.server} answered ${r.response?.status}`, attempt);
      if (!retry) {
        if (r.response) return responseOf(r.response, decision.server, attempt, trace);
        throw last;
      }
    }
    throw last!;
  }

  /**
   * A service not in the data yet: asks the daemon for it and waits for the miniRIB that has it
   * (at most the default timeout; then the request fails with NO_ROUTE). Without a daemon, at once.
   */
  private async arrival(service: string): Promise<void> {
    this.source.subscribe([service]);
    if (!this.opts.daemon) return;
    const until = performance.now() + DEFAULT_POLICY.timeout_ms;
    while (!this.meta.services[service] && performance.now() < until) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, until - performance.now()));
        this.updateWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Called after each miniRIB swapped in: wakes requests waiting for a service. */
  notifyUpdate(): void {
    const w = this.updateWaiters;
    this.updateWaiters = [];
    for (const f of w) f();
  }

  /**
   * Routes, skipping servers already tried in this request: while it draws, the tried servers'
   * loads are raised out of reach (and restored before it returns; route() is synchronous, so no
   * other request sees them), so pick-2 takes an untried candidate whenever it draws one; a few
   * draws, then it gives up.
   */
  private pick(service: string, req: MeshRequest, tried: Map<string, Decision>): Decision | undefined {
    const loads = tried.size > 0 ? this.router.core.loads() : undefined;
    const saved: [number, number][] = [];
    if (loads) {
      for (const d of tried.values()) {
        if (d.epoch !== this.router.epoch) continue;
        saved.push([d.slot, loads[d.slot]]);
        loads[d.slot] = Number.MAX_VALUE;
      }
    }
    try {
      for (let i = 0; i < 8; i++) {
        const d = this.router.tryRoute({ service, key: req.key, role: req.role });
        if (d instanceof Error) return undefined;
        if (!tried.has(d.server)) return d;
      }
      return undefined;
    } finally {
      if (loads) for (let i = saved.length - 1; i >= 0; i--) loads[saved[i][0]] = saved[i][1];
    }
  }

  /**
   * The service's load estimator for the data in force: made on first use, carried over a data
   * swap by server id (remap), its values written into the router's load table every
   * staleness/4 so old reports decay there too. O(1), or O(servers) after a swap or a refresh.
   */
  private estimation(service: string, policy: ClientPolicy): Estimation | undefined {
    const svc = this.router.serviceIndex(service);
    if (svc < 0) return undefined;
    const core = this.router.core;
    let e = this.estimations.get(service);
    if (!e || e.epoch !== this.router.epoch) {
      const n = core.serverCount(svc);
      const ids = Array.from({ length: n }, (_, i) => core.serverId(svc, i));
      if (!e) {
        const weights = this.weights(core.serverFirst(svc), n);
        e = { est: new LoadEstimator({ size: n, now: () => performance.now(), policy: policy.load, weights }), epoch: this.router.epoch, ids, svc, first: core.serverFirst(svc), weights, refreshedAt: 0 };
      } else {
        const old = new Map(e.ids.map((id, i) => [id, i]));
        const weights = this.weights(core.serverFirst(svc), n);
        e.est.remap((i) => old.get(ids[i]) ?? -1, n, (i) => weights[i]);
        Object.assign(e, { epoch: this.router.epoch, ids, svc, first: core.serverFirst(svc), weights, refreshedAt: 0 });
      }
      this.estimations.set(service, e);
    }
    e.est.setPolicy(policy.load);
    const now = performance.now();
    if (now - e.refreshedAt >= e.est.refreshIntervalMs) {
      e.refreshedAt = now;
      if (this.scratch.length < e.ids.length) this.scratch = new Float64Array(e.ids.length);
      const values = e.est.values(this.scratch.subarray(0, e.ids.length));
      core.loads().set(values, e.first);
    }
    return e;
  }

  /** Servers' capacity weights from the miniRIB in force (its weight column), for the estimator's prior. O(n). */
  private weights(first: number, n: number): Uint32Array {
    const rib = this.source.rib();
    const off = section(new DataView(rib.buffer, rib.byteOffset, rib.byteLength), L.S_SERVER_WEIGHT, L.SE_OFFSET);
    return new Uint32Array(rib.buffer.slice(rib.byteOffset + off + 4 * first, rib.byteOffset + off + 4 * (first + n)));
  }

  /** The estimator's value of server `index` into the router's load table, if it and the index (of `epoch`) are of the data in force. */
  private writeLoad(e: Estimation, index: number, epoch: number): void {
    if (epoch === this.router.epoch && e.epoch === epoch) this.router.core.loads()[e.first + index] = e.est.value(index);
  }

  /** A just-in-time load poll of one server, within the estimator's time budget. */
  private polling = new Map<string, Promise<void>>(); // service \0 server → the poll in flight

  /** Polls the decision's candidates whose reports are stale and may be polled (spec/load.md §1), together. */
  private pollCandidates(e: Estimation, d: Decision, policy: ClientPolicy): Promise<unknown> {
    const polls: Promise<void>[] = [];
    if (e.est.pollable(d.index)) polls.push(this.poll(e, d.service, d.index, policy));
    if (d.other >= 0 && e.est.pollable(d.other)) polls.push(this.poll(e, d.service, d.other, policy));
    return Promise.all(polls);
  }

  /**
   * After a poll: pick-2's comparison again between the same two candidates, on the loads the
   * polls brought (load per unit of weight; a tie keeps the chosen one). An other candidate
   * already tried in this request, or data swapped meanwhile, keeps the decision. O(1).
   */
  private redecide(e: Estimation, d: Decision, tried: Map<string, Decision>): Decision {
    if (d.other < 0 || d.epoch !== this.router.epoch || e.epoch !== d.epoch) return d;
    const la = e.est.value(d.index), lo = e.est.value(d.other);
    const wa = e.weights[d.index], wo = e.weights[d.other];
    if (!(lo * wa < la * wo)) return d;
    const server = this.router.core.serverId(e.svc, d.other);
    if (tried.has(server)) return d;
    return { service: d.service, server, index: d.other, slot: e.first + d.other, epoch: d.epoch, other: d.index };
  }

  /** A try as the trace shows it (TraceTry). */
  private traceTry(d: Decision, info: AttemptInfo, ms: number, e?: Estimation): TraceTry {
    const current = d.epoch === this.router.epoch;
    const loads = current ? this.router.core.loads() : undefined;
    const t: TraceTry = {
      server: d.server, ring: info.ring, outcome: info.outcome, ms: Math.round(ms * 1000) / 1000,
      mode: info.loadMode ?? 'outstanding', load: e && current ? e.est.value(d.index) : loads ? loads[d.slot] : NaN,
    };
    if (d.other >= 0 && current) {
      const server = this.router.core.serverId(this.router.serviceIndex(d.service), d.other);
      t.other = {
        server, ring: this.meta.services[d.service]?.rings?.[server] ?? -1,
        load: e ? e.est.value(d.other) : loads![d.slot - d.index + d.other],
      };
    }
    return t;
  }

  /** Polls a server's load, joining a poll already in flight to it (one poll per server at a time). */
  private poll(e: Estimation, service: string, index: number, policy: ClientPolicy): Promise<void> {
    const server = e.ids[index];
    const key = `${service}\u0000${server}`;
    let p = this.polling.get(key);
    if (!p) {
      p = this.pollOnce(e, service, server, index, policy).finally(() => this.polling.delete(key));
      this.polling.set(key, p);
    }
    return p;
  }

  /** One poll; its answer is applied only if the data (and so the server indices) did not change meanwhile. */
  private async pollOnce(e: Estimation, service: string, server: string, index: number, policy: ClientPolicy): Promise<void> {
    const address = this.meta.services[service]?.addresses[server];
    if (!address) return;
    this.stats.polls++;
    const epoch = e.epoch;
    try {
      const res = await exchange(this.pool(address, policy), { path: POLL_PATH, method: 'GET' }, e.est.pollTimeoutMs, this.wheel, POLL_MAX_BODY);
      if (e.epoch !== epoch) return;
      const report = parseLoadReport(res.headers[LOAD_REPORT_HEADER] as string | undefined);
      if (res.status === 200 && report.ok) e.est.onPollResult(index, report);
      else {
        if (!report.ok) this.stats.badLoadReports++;
        e.est.onPollFailed(index);
        this.stats.pollFailures++;
      }
    } catch {
      if (e.epoch !== epoch) return;
      e.est.onPollFailed(index); // timed out or refused: the cached value stands
      this.stats.pollFailures++;
    }
    this.writeLoad(e, index, epoch);
  }

  /** Decisions per load-estimation mode, summed over services (the paper saw ~50/25/25%). */
  loadCounts(): Record<DecisionMode, number> {
    const out: Record<DecisionMode, number> = { outstanding: 0, piggyback: 0, poll: 0 };
    for (const e of this.estimations.values()) {
      const c = e.est.counts();
      out.outstanding += c.outstanding;
      out.piggyback += c.piggyback;
      out.poll += c.poll;
    }
    return out;
  }

  /** A decision for `id` if it is routable now (in the data, up, not ejected by this client). */
  private preferred(service: string, id: string): Decision | undefined {
    if (this.ejected.get(service)?.has(id)) return undefined;
    return this.router.decisionFor(service, id);
  }

  private pool(address: string, policy: ClientPolicy): Pool {
    let p = this.pools.get(address);
    if (!p) {
      const { origin, tls, h2c } = originOf(address);
      p = new Pool(origin, {
        connections: this.opts.connections ?? 8,
        allowH2: tls && (this.opts.allowH2 ?? true),
        // (a Pool hands useH2c to its connector only inside `connect`)
        connect: { timeout: policy.connect_timeout_ms, ...(tls ? this.opts.tls : {}), ...(h2c ? { useH2c: true } : {}) },
        keepAliveTimeout: this.opts.keepAliveMs ?? 30_000,
        keepAliveMaxTimeout: Math.max(this.opts.keepAliveMs ?? 30_000, 600_000),
      });
      p.on('connect', () => { this.stats.newConnections++; });
      this.pools.set(address, p);
    }
    return p;
  }

  private async attempt(d: Decision, address: string, method: string, req: MeshRequest, policy: ClientPolicy, e?: Estimation): Promise<{
    outcome: AttemptInfo['outcome']; response?: ExchangeResult; error?: MeshError;
  }> {
    if (e) {
      e.est.onRequestStart(d.index);
      this.writeLoad(e, d.index, d.epoch);
    } else this.router.begin(d);
    try {
      const res = await exchange(this.pool(address, policy), {
        path: req.path ?? '/', method, headers: req.headers, body: req.body, signal: req.signal,
      }, policy.timeout_ms, this.wheel, this.opts.maxBodyBytes ?? 16 * 1024 * 1024);
      const header = res.headers[LOAD_REPORT_HEADER];
      if (e && typeof header === 'string') {
        // before onRequestEnd: the server's report counts the request it answers (spec/load.md)
        const report = parseLoadReport(header);
        if (report.ok) e.est.onReport(d.index, report);
        else this.stats.badLoadReports++;
      }
      return { outcome: res.status >= 500 ? '5xx' : 'ok', response: res };
    } catch (err) {
      const x = err as ExchangeError;
      if (x.kind === 'aborted' || req.signal?.aborted) return { outcome: 'aborted', error: new MeshError('ABORTED', `${d.service}: aborted by the caller`, 1) };
      if (x.kind === 'timeout') return { outcome: 'timeout', error: new MeshError('TIMEOUT', `${d.service}: ${d.server} gave no answer within ${policy.timeout_ms} ms`, 1) };
      return x.code !== undefined && CONNECT_FAILURES.has(x.code)
        ? { outcome: 'connect_failure', error: new MeshError('CONNECT_FAILURE', `${d.service}: ${d.server} at ${address}: ${x.code}`, 1) }
        : { outcome: 'error', error: new MeshError('ERROR', `${d.service}: ${d.server}: ${x.message ?? String(err)}`, 1) };
    } finally {
      if (e) {
        e.est.onRequestEnd(d.index);
        this.writeLoad(e, d.index, d.epoch);
      } else this.router.end(d);
    }
  }

  // ---- outlier ejection (local to this client) ----------------------------------------------

  private observe(service: string, server: string, outcome: AttemptInfo['outcome'], policy: ClientPolicy): void {
    if (policy.outlier.consecutive_5xx === 0 || outcome === 'aborted') return;
    const key = `${service}\u0000${server}`;
    let o = this.outliers.get(key);
    if (!o) this.outliers.set(key, (o = { failures: 0, ejections: 0, ejectedUntil: 0 }));
    if (outcome === 'ok') {
      o.failures = 0;
      return;
    }
    if (outcome !== '5xx' && outcome !== 'connect_failure') return;
    if (++o.failures < policy.outlier.consecutive_5xx || o.ejectedUntil > Date.now()) return;
    const set = this.ejected.get(service) ?? new Set<string>();
    const total = this.serverCount(service);
    if (total === 0 || ((set.size + 1) * 100) / total > policy.outlier.max_ejected_percent) {
      this.stats.panics++; // the cap is reached: keep routing to it rather than eject too many
      return;
    }
    o.ejections++;
    o.failures = 0;
    o.ejectedUntil = Date.now() + policy.outlier.ejection_ms * o.ejections; // longer each time
    set.add(server);
    this.ejected.set(service, set);
    this.stats.ejections++;
    this.source.reapply();
  }

  private serverCount(service: string): number {
    const svc = this.router.serviceIndex(service);
    return svc < 0 ? 0 : this.router.core.serverCount(svc);
  }

  private releaseEjections(): void {
    const now = Date.now();
    let changed = false;
    for (const [service, set] of this.ejected) {
      for (const id of set) {
        const o = this.outliers.get(`${service}\u0000${id}`);
        if (!o || o.ejectedUntil <= now) {
          set.delete(id);
          changed = true;
        }
      }
    }
    if (changed) this.source.reapply();
  }

  /** Servers ejected now, by service (for metrics and tests). */
  ejections(): Record<string, string[]> {
    return Object.fromEntries([...this.ejected].filter(([, s]) => s.size > 0).map(([k, s]) => [k, [...s].sort()]));
  }

  /**
   * The miniRIB with this client's ejected servers marked down (their state byte), resealed.
   * O(miniRIB) for the checksum; runs only when the ejected set or the data changes.
   */
  private markEjected(rib: Uint8Array): Uint8Array {
    if (![...this.ejected.values()].some((s) => s.size > 0)) return rib;
    const out = new Uint8Array(rib);
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const states = section(dv, L.S_SERVER_STATE, L.SE_OFFSET);
    // the buffer's own services and server ids (it may be newer than the data in force)
    const services = section(dv, L.S_SERVICES, L.SE_OFFSET);
    const nServices = section(dv, L.S_SERVICES, L.SE_COUNT);
    const strings = section(dv, L.S_STRINGS, L.SE_OFFSET);
    const ids = section(dv, L.S_SERVER_IDS, L.SE_OFFSET);
    const text = new TextDecoder();
    for (let s = 0; s < nServices; s++) {
      const rec = services + s * L.SERVICES_ENTRY;
      const name = text.decode(out.subarray(strings + dv.getUint32(rec + L.SV_NAME_OFF, true), strings + dv.getUint32(rec + L.SV_NAME_OFF, true) + dv.getUint32(rec + L.SV_NAME_LEN, true)));
      const set = this.ejected.get(name);
      if (!set || set.size === 0) continue;
      const first = dv.getUint32(rec + L.SV_SERVER_FIRST, true);
      const count = dv.getUint32(rec + L.SV_SERVER_COUNT, true);
      for (let i = first; i < first + count; i++) {
        const off = dv.getUint32(ids + 8 * i, true), len = dv.getUint32(ids + 8 * i + 4, true);
        if (set.has(text.decode(out.subarray(strings + off, strings + off + len)))) out[states + i] = L.STATE_DOWN;
      }
    }
    resealChecksum(out);
    return out;
  }

  /** Closes pools of servers no longer in the data (after a daemon push). */
  private prunePools(): void {
    const live = new Set<string>();
    for (const s of Object.values(this.meta.services)) for (const a of Object.values(s.addresses)) live.add(a);
    for (const [a, p] of this.pools) {
      if (!live.has(a)) {
        this.pools.delete(a);
        void p.close();
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.source.close();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}

/** Connects a mesh client: to the local RIB daemon, or over routing data given directly. */
export const connect = (opts: ConnectOptions): Promise<Mesh> => Mesh.connect(opts);
