// Load reporting for fetch-style handlers, `(Request, ...rest) => Response | Promise<Response>`
// (workerd, Deno.serve, Bun.serve, Node with a fetch adapter): every response carries the ORCA
// `endpoint-load-metrics` header (errors too: a handler that throws or returns no Response gives a
// 500 with it), requests in flight and the request rate are tracked, and
// `GET|HEAD /.well-known/ringroute/load` is answered here with the report as JSON. CPU: from
// `process.cpuUsage` and `navigator.hardwareConcurrency` where the runtime has both (Bun, Deno,
// Node ≥ 21), else cpu_utilization is left out (workerd, browsers, Node 20) unless the options
// give `cpuTime` and `cores`. A request counts in flight until its handler's Response exists (a
// body still streaming after that is not counted). Runtime-neutral: no Node imports.
// Cost per request: begin/end O(1), one report and format (~1–2 µs), a header set; a Response
// whose headers are immutable (Response.redirect, fetch() results) is copied once to add it.
// Also re-exported: the header parser/formatter (bindings/orca.ts), so `ringroute/server` is one
// import in every runtime. Rules: spec/load-reports.md.
// Used by: applications (`ringroute/server` outside Node), host/node/server.ts, tests.
import { createNeutralLoadTracker, type LoadTracker, type LoadTrackerOptions } from './load-tracker.js';
import { LOAD_REPORT_HEADER, loadReportJson } from './orca.js';

export type { LoadTracker, LoadTrackerOptions } from './load-tracker.js';
export {
  LOAD_REPORT_HEADER, LOAD_REPORT_BIN_HEADER, LOAD_REPORT_MAX_CHARS,
  parseLoadReport, parseLoadReportBin, formatLoadReport, loadReportJson, isTextMetricName,
} from './orca.js';
export type { LoadMetrics, LoadReport, LoadReportForm, LoadReportErrorCode, ParseFailure } from './orca.js';

/** The path a server answers with its own load report. */
export const LOAD_PATH = '/.well-known/ringroute/load';

export interface FetchLoadReportingOptions extends Omit<LoadTrackerOptions, 'onError'> {
  /** The load endpoint's path (default LOAD_PATH); false: no endpoint. */
  loadPath?: string | false;
  /** A tracker to share between handlers (default: one of its own, from these options). */
  tracker?: LoadTracker;
  /** A handler's failure (answered 500) or a tracker problem. Default: console.error. */
  onError?: (err: Error, request?: Request) => void;
}

export type FetchHandler<A extends unknown[] = []> = (request: Request, ...rest: A) => Response | Promise<Response>;
export type LoadReportingFetchHandler<A extends unknown[] = []> = ((request: Request, ...rest: A) => Promise<Response>) & {
  readonly tracker: LoadTracker;
};

interface ProcessLike { cpuUsage?: () => { user: number; system: number } }

/** The process's CPU time in µs from `process.cpuUsage`, where the runtime has it; else null. */
export function runtimeCpuTime(): (() => number) | null {
  const proc = (globalThis as { process?: ProcessLike }).process;
  const usage = proc?.cpuUsage;
  if (typeof usage !== 'function') return null;
  const read = (): number => {
    const u = usage.call(proc);
    return u.user + u.system;
  };
  try {
    return Number.isFinite(read()) ? read : null;
  } catch {
    return null;
  }
}

/** `navigator.hardwareConcurrency` where the runtime has it (≥ 1); else undefined. */
export function runtimeCores(): number | undefined {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? n : undefined;
}

/** A tracker for this runtime: CPU from runtimeCpuTime() and runtimeCores() when both exist. */
export function createFetchLoadTracker(opts: LoadTrackerOptions = {}): LoadTracker {
  let { cpuTime, cores } = opts;
  if (cpuTime === undefined) {
    cores ??= runtimeCores();
    cpuTime = cores === undefined ? null : runtimeCpuTime();
  }
  return createNeutralLoadTracker({ ...opts, cpuTime, cores });
}

/** The path of a request URL (`http://h/p?q` → `/p`) without parsing it into a URL object. */
export function pathOf(url: string): string {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (slash < 0) return '/';
  let end = url.length;
  const q = url.indexOf('?', slash);
  if (q >= 0) end = q;
  const h = url.indexOf('#', slash);
  if (h >= 0 && h < end) end = h;
  return url.slice(slash, end);
}

const isResponse = (v: unknown): v is Response =>
  typeof v === 'object' && v !== null && typeof (v as Response).status === 'number' &&
  typeof (v as Response).headers?.set === 'function';

const describe = (v: unknown): string =>
  v === null || v === undefined ? String(v) : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** `res` with the header set (a handler's own is kept); a copy when its headers are immutable. */
function withHeader(res: Response, value: string): Response {
  if (res.headers.has(LOAD_REPORT_HEADER)) return res;
  try {
    res.headers.set(LOAD_REPORT_HEADER, value);
    return res;
  } catch {
    try {
      const copy = new Response(res.body, res);
      copy.headers.set(LOAD_REPORT_HEADER, value);
      return copy;
    } catch {
      return res; // a status a Response cannot be built with (0: Response.error(), 101): as it is
    }
  }
}

/** Wraps a fetch handler so every response reports the server's load (see the header comment). */
export function withLoadReportingFetch<A extends unknown[] = []>(
  handler: FetchHandler<A>,
  opts: FetchLoadReportingOptions = {},
): LoadReportingFetchHandler<A> {
  if (typeof handler !== 'function') throw new TypeError(`withLoadReportingFetch: the handler is ${describe(handler)}, not a function`);
  const loadPath = opts.loadPath ?? LOAD_PATH;
  if (loadPath !== false && (typeof loadPath !== 'string' || !loadPath.startsWith('/'))) {
    throw new RangeError(`withLoadReportingFetch: loadPath must be a path starting with "/" or false, got ${String(loadPath)}`);
  }
  const onError = opts.onError ?? ((err: Error) => console.error('ringroute/server:', err));
  const tracker = opts.tracker ?? createFetchLoadTracker({ ...opts, onError: (err) => onError(err) });

  const loadResponse = (method: string): Response => {
    const r = tracker.report();
    const header = tracker.format(r);
    if (method !== 'GET' && method !== 'HEAD') {
      return new Response('method not allowed\n', {
        status: 405,
        headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8', [LOAD_REPORT_HEADER]: header },
      });
    }
    return new Response(method === 'HEAD' ? null : loadReportJson(r), {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', [LOAD_REPORT_HEADER]: header },
    });
  };

  const wrapped = async (request: Request, ...rest: A): Promise<Response> => {
    if (loadPath !== false && pathOf(request.url) === loadPath) return loadResponse(request.method);
    const end = tracker.begin();
    try {
      let res: Response;
      try {
        const out: unknown = await handler(request, ...rest);
        if (!isResponse(out)) throw new TypeError(`the handler returned ${describe(out)}, not a Response`);
        res = out;
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)), request);
        res = new Response('internal server error\n', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      }
      return withHeader(res, tracker.format());
    } finally {
      end();
    }
  };
  return Object.assign(wrapped, { tracker });
}
