// A server's own load, as its ORCA report says it (spec/load-reports.md): requests in flight
// (named metric `inflight`), requests per second over a sliding window (`rps_fractional`) and,
// where the runtime tells the process's CPU time, `cpu_utilization` over a short window. The
// runtime-neutral core of host/node/server.ts (node:http) and bindings/server-fetch.ts (fetch
// handlers): the caller says when a request begins and ends; no timers, no Node imports.
// Cost: begin() and its end are O(1); report() is O(buckets) = 10 additions, one CPU-time read at
// most every 50 ms, plus the namedMetrics callback; format() is formatLoadReport (~1 µs).
// Used by: host/node/server.ts, bindings/server-fetch.ts.
import { formatLoadReport, isTextMetricName, type LoadMetrics } from './orca.js';

export interface LoadTrackerOptions {
  /** The header's form (default TEXT, the shortest). */
  form?: 'TEXT' | 'JSON';
  /** rps_fractional counts the requests that began in the last this-many ms (default 5000; 10 buckets). */
  rpsWindowMs?: number;
  /** cpu_utilization is measured over the last 1–2 windows of this length (default 1000 ms). */
  cpuWindowMs?: number;
  /**
   * The process's CPU time so far, in µs (user + system, every thread). Omitted or null: no
   * cpu_utilization in the report.
   */
  cpuTime?: (() => number) | null;
  /** The CPUs the process may use; cpu_utilization = CPU time / (wall time × cores). Default 1. */
  cores?: number;
  /** Extra named metrics, read for each report; `inflight` is reserved. */
  namedMetrics?: () => Record<string, number> | undefined;
  /** A monotonic clock in ms (default performance.now, else Date.now); tests inject one. */
  now?: () => number;
  /** Problems that do not stop a response: a namedMetrics callback that throws or gives bad metrics. */
  onError?: (err: Error) => void;
}

export interface LoadTracker {
  /** A request began: it counts in flight and in the rate. Returns its end (idempotent). */
  begin(): () => void;
  /** Requests begun and not yet ended. */
  readonly inflight: number;
  /** The load now: cpu_utilization (when known), rps_fractional, named_metrics.inflight and the extra metrics. */
  report(): LoadMetrics;
  /** The `endpoint-load-metrics` header value of a report (default: of report()). */
  format(report?: LoadMetrics): string;
  readonly form: 'TEXT' | 'JSON';
}

const BUCKETS = 10;
const CPU_CACHE_MS = 50;
const MAX_REPORTED_ERRORS = 100;

function positive(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new RangeError(`load tracker: ${name} must be a finite number ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

const round = (v: number, digits: number): number => {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
};

function defaultClock(): () => number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf && typeof perf.now === 'function' ? () => perf.now() : () => Date.now();
}

export function createNeutralLoadTracker(opts: LoadTrackerOptions = {}): LoadTracker {
  const form = opts.form ?? 'TEXT';
  if (form !== 'TEXT' && form !== 'JSON') throw new RangeError(`load tracker: form must be TEXT or JSON, got ${String(form)}`);
  const rpsWindowMs = positive('rpsWindowMs', opts.rpsWindowMs, 5000, 10);
  const cpuWindowMs = positive('cpuWindowMs', opts.cpuWindowMs, 1000, 10);
  const cores = positive('cores', opts.cores, 1, 1e-3);
  const now = opts.now ?? defaultClock();
  const cpuTime = opts.cpuTime ?? null;
  const onError = opts.onError ?? (() => {});
  const reported = new Set<string>();
  const warn = (err: Error): void => {
    // each distinct problem once, so a bad callback cannot flood the log at request rate
    if (reported.has(err.message) || reported.size >= MAX_REPORTED_ERRORS) return;
    reported.add(err.message);
    try {
      onError(err);
    } catch { /* the observer's own failure must not break a response */ }
  };

  const t0 = now();
  let inflight = 0;

  // the rate: BUCKETS counters of bucketMs each, bucket k covering [t0 + k·bucketMs, t0 + (k+1)·bucketMs)
  const bucketMs = rpsWindowMs / BUCKETS;
  const counts = new Float64Array(BUCKETS);
  let current = 0; // the absolute index of the newest bucket
  const advance = (t: number): void => {
    const k = Math.floor((t - t0) / bucketMs);
    if (k <= current) return; // same bucket, or the clock stepped back
    const clear = Math.min(k - current, BUCKETS);
    for (let j = 1; j <= clear; j++) counts[(current + j) % BUCKETS] = 0;
    current = k;
  };
  const rps = (t: number): number => {
    advance(t);
    let sum = 0;
    for (let j = 0; j < BUCKETS; j++) sum += counts[j]!;
    // the span the counted buckets cover up to now, not before the tracker began
    const oldest = Math.max(t0, t0 + (current - BUCKETS + 1) * bucketMs);
    const span = Math.max(t - oldest, Math.min(bucketMs, 100));
    return (sum * 1000) / span;
  };

  // the CPU: two samples; utilization over [prev, now], prev being 1–2 windows old while reports
  // are frequent (older when they are not: then it is the average since the last report)
  let prev: { t: number; cpu: number } | null = null;
  let cur: { t: number; cpu: number } | null = null;
  let cpuCachedAt = -Infinity;
  let cpuCached: number | undefined;
  if (cpuTime) {
    try {
      const c = cpuTime();
      if (Number.isFinite(c)) prev = cur = { t: t0, cpu: c };
    } catch (err) {
      warn(new Error(`load tracker: cannot read the CPU time, cpu_utilization is left out: ${(err as Error).message}`));
    }
  }
  const cpu = (t: number): number | undefined => {
    if (!cpuTime || !prev || !cur) return undefined;
    if (t - cpuCachedAt < CPU_CACHE_MS) return cpuCached;
    let c: number;
    try {
      c = cpuTime();
    } catch (err) {
      warn(new Error(`load tracker: cannot read the CPU time: ${(err as Error).message}`));
      return undefined;
    }
    if (!Number.isFinite(c)) return undefined;
    if (t - cur.t >= cpuWindowMs) {
      prev = cur;
      cur = { t, cpu: c };
    }
    const dt = t - prev.t;
    cpuCached = dt > 0 ? round(Math.max(0, c - prev.cpu) / (dt * 1000 * cores), 4) : 0;
    cpuCachedAt = t;
    return cpuCached;
  };

  const extraMetrics = (into: Record<string, number>): void => {
    if (!opts.namedMetrics) return;
    let extra: Record<string, number> | undefined;
    try {
      extra = opts.namedMetrics();
    } catch (err) {
      warn(new Error(`load tracker: the namedMetrics callback threw, its metrics are left out: ${(err as Error)?.message ?? String(err)}`));
      return;
    }
    if (extra === undefined || extra === null) return;
    if (typeof extra !== 'object') {
      warn(new TypeError(`load tracker: the namedMetrics callback returned a ${typeof extra}, not an object`));
      return;
    }
    for (const name of Object.keys(extra)) {
      const v = extra[name];
      if (name === 'inflight') warn(new RangeError('load tracker: named metric "inflight" is reserved for the tracker\'s own count; the callback\'s is left out'));
      else if (typeof v !== 'number' || !Number.isFinite(v)) warn(new RangeError(`load tracker: named metric "${name}" is ${String(v)}, not a finite number; left out`));
      else if (name === '' || (form === 'TEXT' && !isTextMetricName(name))) warn(new RangeError(`load tracker: named metric "${name}" cannot be carried in the ${form} form (visible ASCII without "," or "="); left out`));
      else into[name] = v;
    }
  };

  const tracker: LoadTracker = {
    form,
    get inflight() {
      return inflight;
    },
    begin() {
      inflight++;
      advance(now());
      counts[current % BUCKETS]!++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inflight--;
      };
    },
    report() {
      const t = now();
      const r: LoadMetrics = {};
      const c = cpu(t);
      if (c !== undefined) r.cpu_utilization = c;
      r.rps_fractional = round(rps(t), 3);
      const named: Record<string, number> = { inflight };
      extraMetrics(named);
      r.named_metrics = named;
      return r;
    },
    format(report = tracker.report()) {
      try {
        return formatLoadReport(report, form);
      } catch (err) {
        // an extra metric made it unformattable (too long): report without the extras
        warn(err as Error);
        const own: LoadMetrics = { ...report, named_metrics: { inflight: report.named_metrics?.inflight ?? inflight } };
        return formatLoadReport(own, form);
      }
    },
  };
  return tracker;
}
