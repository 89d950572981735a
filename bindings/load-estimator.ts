// Adaptive load estimation (spec/load.md; ServiceRouter §3.4.3, `../shared/SERVICEROUTER.md`
// "Load balancing"): for one service, the load value of each server that pick-2 compares, and which
// way of knowing it is in force for a decision. The three ways: this client's own outstanding
// requests, loads piggybacked on responses (ORCA `endpoint-load-metrics`), and a just-in-time
// poll of a candidate whose report is stale. A value is "requests in flight at the server"
// (absolute, not per unit of capacity: the core divides by the weight, spec/routing.md §3 step 5).
// Pure and deterministic: the clock is injected, nothing random, no Node imports.
// Cost: every per-request and per-decision call is O(1) with no allocation (a handful of typed
// array reads and writes, at most two Math.pow; ~170 ns for a request's decide + value + start +
// report + end on Node 20); remap and values are O(servers), on a routing update or a refresh
// tick. Memory: 37 bytes per server.
// Used by: the SRLib client, once per request (onRequestStart/End, onReport) and once per decision
// (decide, value → Router.setLoad); one LoadEstimator per (client, service), indexed by the
// server's index in the service (Decision.index).

export type LoadMode = 'adaptive' | 'outstanding' | 'piggyback' | 'poll';
/** What informs one decision (spec/load.md §1). */
export type DecisionMode = 'outstanding' | 'piggyback' | 'poll';

/** The service's `load` policy (control/config.ts LoadPolicy has this shape). */
export interface LoadEstimatorPolicy {
  mode: LoadMode;
  /** A report older than this is stale; also the half-life of a report's decay. */
  staleness_ms: number;
}

export interface LoadEstimatorOptions {
  /** Servers of the service; slot i is the server at index i (RIB order). */
  size: number;
  /** A monotonic clock in ms; every `at` that is left out is read from it. */
  now: () => number;
  /** Default: adaptive, 1000 ms (control/config.ts's defaults). */
  policy?: Partial<LoadEstimatorPolicy>;
  /** Capacity weights by slot (each > 0); default 1. */
  weights?: ArrayLike<number>;
  /**
   * How many servers this client spreads the service's requests over: the subset size in
   * `mode: subset`, else the number of servers (the default, following `size` across remaps).
   */
  pool?: number;
  /** The time budget of one poll, ms (default 5). */
  pollTimeoutMs?: number;
  /** Requests in flight at a server of weight 1 at cpu_utilization 1.0 (default 4). */
  utilizationScale?: number;
}

/** The part of an ORCA report the estimator reads (bindings/orca.ts LoadMetrics fits). */
export interface ReportedLoad {
  cpu_utilization?: number;
  rps_fractional?: number;
  named_metrics?: Record<string, number>;
}

/** One decision: its two candidates (slots; the winner twice when only it is known). */
export interface DecisionContext {
  a: number;
  b: number;
  /** Default: now(). */
  at?: number;
  /** Time left before the request's deadline, ms; absent = no deadline. */
  budgetMs?: number;
}

export interface LoadCounts {
  /** Decisions by the mode that informed them (decide()). */
  outstanding: number;
  piggyback: number;
  poll: number;
  /** Of those, decisions made with a candidate's report stale and no poll. */
  stale: number;
  /** Reports taken (piggybacked and polled) and reports ignored (no usable metric, bad value, older). */
  reports: number;
  reportsIgnored: number;
  /** Poll results taken, and polls that failed (timeout, error, unusable answer). */
  polls: number;
  pollFailures: number;
  /** onRequestEnd on a server with no request in flight (a caller bug; the count stays at 0). */
  unmatchedEnds: number;
}

/** The policy's constants (spec/load.md §1–3). */
export const LOAD_DEFAULTS = Object.freeze({
  mode: 'adaptive' as LoadMode,
  stalenessMs: 1000,
  pollTimeoutMs: 5,
  utilizationScale: 4,
  /** busy ⇔ rate × staleness ≥ BUSY_FACTOR × pool: then ≤ e^−3 ≈ 5% of candidates are stale. */
  busyFactor: 3,
  /** A poll may take at most 1/POLL_BUDGET_FACTOR of the time a request has left. */
  pollBudgetFactor: 10,
  /** Weight of each new report in the service's prior (load per weight). */
  priorAlpha: 1 / 8,
  /** Poll back-off after f consecutive failures: staleness × 2^(min(f, 7) − 1). */
  pollBackoffMaxDoublings: 6,
});

const MODES: readonly LoadMode[] = ['adaptive', 'outstanding', 'piggyback', 'poll'];
const LN2 = Math.LN2;
const MAX_SIZE = 1 << 24;

function fail(what: string, v: unknown, rule: string): never {
  throw new RangeError(`load estimator: ${what} must be ${rule}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? typeof v}`);
}

function positive(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(what, v, 'a finite number > 0');
  return v;
}

function checkPolicy(p: Partial<LoadEstimatorPolicy> | undefined, base: LoadEstimatorPolicy): LoadEstimatorPolicy {
  if (p === undefined) return base;
  if (p === null || typeof p !== 'object') throw new TypeError('load estimator: policy must be an object');
  const mode = p.mode ?? base.mode;
  if (!MODES.includes(mode)) fail('policy.mode', mode, 'adaptive | outstanding | piggyback | poll');
  const staleness = p.staleness_ms ?? base.staleness_ms;
  positive('policy.staleness_ms', staleness);
  return { mode, staleness_ms: staleness };
}

function checkSize(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE) fail('size', v, `an integer in 0..${MAX_SIZE}`);
  return v;
}

export class LoadEstimator {
  private n: number;
  private policy: LoadEstimatorPolicy;
  private readonly now: () => number;
  private readonly poolOption: number | undefined;
  private readonly pollTimeout: number;
  private readonly utilScale: number;

  // per server (slot)
  private own: Int32Array;           // this client's requests in flight
  private others: Float64Array;      // reported load minus own, at the report
  private reportAt: Float64Array;    // when the report arrived; -Infinity = never
  private weight: Float64Array;
  private pollRetryAt: Float64Array; // no poll before this (after failures); -Infinity = any time
  private pollFails: Uint8Array;     // consecutive failed polls (saturates at 255)

  // per service
  private inflightTotal = 0;
  private recent = 0;                // request starts, each decayed with half-life = staleness
  private recentAt = 0;
  private prior = 0;                 // others per unit of weight, EWMA over reports
  private hasPrior = false;
  private c: LoadCounts = {
    outstanding: 0, piggyback: 0, poll: 0, stale: 0, reports: 0, reportsIgnored: 0, polls: 0, pollFailures: 0, unmatchedEnds: 0,
  };

  constructor(opts: LoadEstimatorOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('load estimator: options object required');
    this.n = checkSize(opts.size);
    if (typeof opts.now !== 'function') throw new TypeError('load estimator: options.now must be a clock function (ms)');
    this.now = opts.now;
    this.policy = checkPolicy(opts.policy, { mode: LOAD_DEFAULTS.mode, staleness_ms: LOAD_DEFAULTS.stalenessMs });
    if (opts.pool !== undefined && (typeof opts.pool !== 'number' || !Number.isInteger(opts.pool) || opts.pool < 1)) {
      fail('pool', opts.pool, 'an integer ≥ 1');
    }
    this.poolOption = opts.pool;
    this.pollTimeout = opts.pollTimeoutMs === undefined ? LOAD_DEFAULTS.pollTimeoutMs : positive('pollTimeoutMs', opts.pollTimeoutMs);
    this.utilScale = opts.utilizationScale === undefined ? LOAD_DEFAULTS.utilizationScale : positive('utilizationScale', opts.utilizationScale);
    this.own = new Int32Array(this.n);
    this.others = new Float64Array(this.n);
    this.reportAt = new Float64Array(this.n).fill(-Infinity);
    this.weight = new Float64Array(this.n).fill(1);
    this.pollRetryAt = new Float64Array(this.n).fill(-Infinity);
    this.pollFails = new Uint8Array(this.n);
    if (opts.weights !== undefined) {
      if (opts.weights === null || typeof opts.weights !== 'object' || opts.weights.length !== this.n) {
        throw new RangeError(`load estimator: weights must have one entry per server (${this.n})`);
      }
      for (let i = 0; i < this.n; i++) this.weight[i] = positive(`weights[${i}]`, opts.weights[i]);
    }
    this.recentAt = this.time(undefined);
  }

  // ── configuration ─────────────────────────────────────────────────────────────
  get size(): number { return this.n; }
  get mode(): LoadMode { return this.policy.mode; }
  get stalenessMs(): number { return this.policy.staleness_ms; }
  /** Servers this client spreads over (the pool option, else size). */
  get pool(): number { return this.poolOption ?? Math.max(1, this.n); }
  get pollTimeoutMs(): number { return this.pollTimeout; }
  /** How often the SRLib client writes values() into the load table so decay shows: staleness / 4. */
  get refreshIntervalMs(): number { return this.policy.staleness_ms / 4; }

  /** A new `load` policy (a config change). State is kept; the new staleness applies from now on. */
  setPolicy(policy: Partial<LoadEstimatorPolicy>): void {
    const t = this.time(undefined);
    this.recent = this.recentNow(t);
    this.recentAt = t;
    this.policy = checkPolicy(policy, this.policy);
  }

  setWeight(slot: number, weight: number): void {
    this.slot(slot);
    this.weight[slot] = positive('weight', weight);
  }

  // ── per request ───────────────────────────────────────────────────────────────
  /** A request to the server is sent: its outstanding count +1, and the service's rate. */
  onRequestStart(slot: number, at?: number): void {
    this.slot(slot);
    const t = this.time(at);
    this.recent = this.recentNow(t) + 1;
    if (t > this.recentAt) this.recentAt = t;
    this.own[slot]++;
    this.inflightTotal++;
  }

  /**
   * The request ended (response, failure or abort): −1. With a response, call onReport first:
   * the server's report counts the request it answers, so must ours.
   */
  onRequestEnd(slot: number): void {
    this.slot(slot);
    if (this.own[slot] > 0) {
      this.own[slot]--;
      this.inflightTotal--;
    } else {
      this.c.unmatchedEnds++;
    }
  }

  /**
   * A load report from the server (a response's header, before onRequestEnd of that request).
   * Returns null when taken, or why it was ignored (counted in reportsIgnored; never throws for
   * a report's values, which come from the network).
   */
  onReport(slot: number, report: ReportedLoad, at?: number): string | null {
    this.slot(slot);
    const t = this.time(at);
    if (report === null || typeof report !== 'object') throw new TypeError('load estimator: a report must be an object (a parsed LoadReport)');
    const w = this.weight[slot];
    let load: number;
    const named = report.named_metrics;
    const inflight = named !== null && typeof named === 'object' ? named.inflight : undefined;
    if (inflight !== undefined) {
      if (typeof inflight !== 'number' || !(inflight >= 0) || inflight === Infinity) {
        return this.ignore(`named_metrics.inflight is ${String(inflight)}, not a finite number ≥ 0`);
      }
      load = inflight;
    } else if (report.cpu_utilization !== undefined) {
      const u = report.cpu_utilization;
      if (typeof u !== 'number' || !(u >= 0) || u === Infinity) {
        return this.ignore(`cpu_utilization is ${String(u)}, not a finite number ≥ 0`);
      }
      load = u * w * this.utilScale;
    } else {
      return this.ignore('the report has neither named_metrics.inflight nor cpu_utilization');
    }
    if (t < this.reportAt[slot]) return this.ignore('the report is older than the one in hand');
    const others = load > this.own[slot] ? load - this.own[slot] : 0;
    this.others[slot] = others;
    this.reportAt[slot] = t;
    this.pollFails[slot] = 0;
    this.pollRetryAt[slot] = -Infinity;
    if (this.hasPrior) this.prior += (others / w - this.prior) * LOAD_DEFAULTS.priorAlpha;
    else {
      this.prior = others / w;
      this.hasPrior = true;
    }
    this.c.reports++;
    return null;
  }

  /** A poll answered (GET /.well-known/ringroute/load): taken as a report; an unusable answer is a failed poll. */
  onPollResult(slot: number, report: ReportedLoad, at?: number): string | null {
    const t = this.time(at);
    const why = this.onReport(slot, report, t);
    if (why === null) this.c.polls++;
    else this.onPollFailed(slot, t);
    return why;
  }

  /** A poll timed out or failed: the cached value stands, and the server is not polled again for a while. */
  onPollFailed(slot: number, at?: number): void {
    this.slot(slot);
    const t = this.time(at);
    const f = this.pollFails[slot] < 255 ? ++this.pollFails[slot] : 255;
    const doublings = Math.min(f - 1, LOAD_DEFAULTS.pollBackoffMaxDoublings);
    this.pollRetryAt[slot] = t + this.policy.staleness_ms * 2 ** doublings;
    this.c.pollFailures++;
  }

  // ── the value pick-2 compares ─────────────────────────────────────────────────
  /**
   * The server's load, in requests in flight (the core divides by weight): own outstanding +
   * the others' reported load, decayed toward the service prior with half-life = staleness.
   * Mode outstanding: own outstanding only.
   */
  value(slot: number, at?: number): number {
    this.slot(slot);
    return this.valueAt(slot, this.time(at));
  }

  /** Every server's value into out[0..size) (a refresh of the load table). O(size). */
  values(out: Float64Array, at?: number): Float64Array {
    if (!(out instanceof Float64Array) || out.length < this.n) {
      throw new RangeError(`load estimator: values() needs a Float64Array of length ≥ ${this.n}`);
    }
    const t = this.time(at);
    for (let i = 0; i < this.n; i++) out[i] = this.valueAt(i, t);
    return out;
  }

  /** This client's requests in flight to the server. */
  outstanding(slot: number): number {
    this.slot(slot);
    return this.own[slot];
  }

  /** This client's requests in flight to the service. */
  get inflight(): number { return this.inflightTotal; }

  /** Age of the server's report in ms (Infinity: none). */
  reportAge(slot: number, at?: number): number {
    this.slot(slot);
    const age = this.time(at) - this.reportAt[slot];
    return age > 0 ? age : 0;
  }

  /** The service prior: others' load per unit of weight, EWMA over reports (0 before any). */
  get priorPerWeight(): number { return this.prior; }

  /** This client's request rate to the service, per second (exponentially weighted, half-life = staleness). */
  requestRate(at?: number): number {
    return (this.recentNow(this.time(at)) * LN2 * 1000) / this.policy.staleness_ms;
  }

  /** Busy: rate × staleness ≥ 3 × pool, i.e. the client's own traffic keeps its reports fresh. */
  isBusy(at?: number): boolean {
    return this.busyAt(this.time(at));
  }

  // ── per decision ──────────────────────────────────────────────────────────────
  /** The mode in force for a decision (spec/load.md §1). Pure: counts nothing. */
  modeFor(ctx: DecisionContext): DecisionMode {
    if (ctx === null || typeof ctx !== 'object') throw new TypeError('load estimator: a decision context must be an object');
    return this.classify(ctx.a, ctx.b, this.time(ctx.at), ctx.budgetMs);
  }

  /** modeFor, counted: call once per decision (a context object may be reused: nothing is kept). */
  decide(ctx: DecisionContext): DecisionMode {
    if (ctx === null || typeof ctx !== 'object') throw new TypeError('load estimator: a decision context must be an object');
    const t = this.time(ctx.at);
    const m = this.classify(ctx.a, ctx.b, t, ctx.budgetMs);
    this.c[m]++;
    if (m !== 'poll' && this.policy.mode !== 'outstanding' && (!this.fresh(ctx.a, t) || !this.fresh(ctx.b, t))) this.c.stale++;
    return m;
  }

  /**
   * Whether to poll before this decision: a candidate's report is stale (the either rule) and it
   * may be polled, the request can afford the poll, and (adaptive) the client is not busy.
   */
  needsPoll(a: number, b: number, at?: number, budgetMs?: number): boolean {
    return this.classify(a, b, this.time(at), budgetMs) === 'poll';
  }

  /** Whether the server's report is at most staleness old. */
  isFresh(slot: number, at?: number): boolean {
    this.slot(slot);
    return this.fresh(slot, this.time(at));
  }

  /** Whether a poll of this server is useful and allowed now: stale, and not backing off. */
  pollable(slot: number, at?: number): boolean {
    this.slot(slot);
    const t = this.time(at);
    return !this.fresh(slot, t) && t >= this.pollRetryAt[slot];
  }

  counts(): LoadCounts {
    return { ...this.c };
  }

  // ── routing updates ───────────────────────────────────────────────────────────
  /**
   * A new routing generation: `newSize` servers, server n being the old server oldSlotOf(n)
   * (matched by id by the caller) or new (−1). Kept servers keep their state; new ones start with
   * no report; the rest are dropped (their requests in flight no longer count). Weights: from
   * weightOf, else kept, else 1. O(old + new size); allocates the new arrays.
   */
  remap(oldSlotOf: (newSlot: number) => number, newSize: number, weightOf?: (newSlot: number) => number): void {
    if (typeof oldSlotOf !== 'function') throw new TypeError('load estimator: remap needs oldSlotOf(newSlot)');
    const size = checkSize(newSize);
    const used = new Uint8Array(this.n);
    const own = new Int32Array(size);
    const others = new Float64Array(size);
    const reportAt = new Float64Array(size).fill(-Infinity);
    const weight = new Float64Array(size).fill(1);
    const pollRetryAt = new Float64Array(size).fill(-Infinity);
    const pollFails = new Uint8Array(size);
    let inflight = 0;
    for (let i = 0; i < size; i++) {
      const o = oldSlotOf(i);
      if (o !== -1) {
        if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o >= this.n) fail(`oldSlotOf(${i})`, o, `-1 or an integer in 0..${this.n - 1}`);
        if (used[o]) throw new RangeError(`load estimator: old server ${o} is mapped to twice (again by new server ${i})`);
        used[o] = 1;
        own[i] = this.own[o];
        others[i] = this.others[o];
        reportAt[i] = this.reportAt[o];
        weight[i] = this.weight[o];
        pollRetryAt[i] = this.pollRetryAt[o];
        pollFails[i] = this.pollFails[o];
        inflight += own[i];
      }
      if (weightOf !== undefined) weight[i] = positive(`weightOf(${i})`, weightOf(i));
    }
    this.n = size;
    this.own = own;
    this.others = others;
    this.reportAt = reportAt;
    this.weight = weight;
    this.pollRetryAt = pollRetryAt;
    this.pollFails = pollFails;
    this.inflightTotal = inflight;
  }

  // ── internals ─────────────────────────────────────────────────────────────────
  private slot(slot: number): void {
    if (!(slot >= 0 && slot < this.n && Math.floor(slot) === slot)) {
      throw new RangeError(`load estimator: slot ${String(slot)} is not a server index in 0..${this.n - 1}`);
    }
  }

  private time(at: number | undefined): number {
    const t = at === undefined ? this.now() : at;
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new RangeError(`load estimator: ${at === undefined ? 'the clock gave' : 'at must be a finite time in ms, got'} ${String(t)}`);
    }
    return t;
  }

  private ignore(why: string): string {
    this.c.reportsIgnored++;
    return why;
  }

  private recentNow(t: number): number {
    const dt = t - this.recentAt;
    return dt > 0 ? this.recent * Math.pow(2, -dt / this.policy.staleness_ms) : this.recent;
  }

  private busyAt(t: number): boolean {
    return this.recentNow(t) * LN2 >= LOAD_DEFAULTS.busyFactor * this.pool;
  }

  private fresh(slot: number, t: number): boolean {
    return t - this.reportAt[slot] <= this.policy.staleness_ms;
  }

  private valueAt(slot: number, t: number): number {
    const own = this.own[slot];
    if (this.policy.mode === 'outstanding') return own;
    const p = this.prior * this.weight[slot];
    const age = t - this.reportAt[slot];
    if (age === Infinity) return own + p;
    const f = age > 0 ? Math.pow(2, -age / this.policy.staleness_ms) : 1;
    return own + p + (this.others[slot] - p) * f;
  }

  private classify(a: number, b: number, t: number, budgetMs: number | undefined): DecisionMode {
    this.slot(a);
    this.slot(b);
    if (budgetMs !== undefined && (typeof budgetMs !== 'number' || !(budgetMs >= 0))) fail('budgetMs', budgetMs, 'a number ≥ 0');
    const mode = this.policy.mode;
    if (mode === 'outstanding') return 'outstanding';
    const fa = this.fresh(a, t), fb = this.fresh(b, t);
    if (fa && fb) return 'piggyback';
    if (mode === 'piggyback') return 'piggyback';
    const canPoll = ((!fa && t >= this.pollRetryAt[a]) || (!fb && t >= this.pollRetryAt[b])) &&
      (budgetMs === undefined || budgetMs >= LOAD_DEFAULTS.pollBudgetFactor * this.pollTimeout);
    if (canPoll && (mode === 'poll' || !this.busyAt(t))) return 'poll';
    return 'outstanding';
  }
}
