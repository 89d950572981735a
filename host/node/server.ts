// `ringroute/server` in Node: the server side of load-aware routing. withLoadReporting(handler)
// wraps a node:http request handler so that every response carries the ORCA header
// `endpoint-load-metrics` — set just before the headers go out (writeHead is wrapped; res.end()
// and res.write() go through it too), on errors as well: a handler that throws or rejects before
// answering gets a 500 with the header — and `GET|HEAD /.well-known/ringroute/load` is answered
// here with the same report as JSON. The load is the server's own: requests in flight (named
// metric `inflight`, from the handler's call to the response's 'close'), requests/s over a
// sliding window (`rps_fractional`) and the process's CPU (`cpu_utilization` = process.cpuUsage()
// user + system over wall time × os.availableParallelism(), over the last 1–2 windows).
// createLoadTracker() is the same accounting without node:http. Also re-exported: the fetch-style
// wrapper and the header parser/formatter, so one import serves every handler style.
// Cost per request: begin/end O(1), a closure for writeHead, one report + format (~1–2 µs; the CPU
// time is read at most every 50 ms). Rules: spec/load-reports.md.
// Used by: applications, the local mesh's servers, tests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { createNeutralLoadTracker, type LoadTracker, type LoadTrackerOptions } from '../../bindings/load-tracker.js';
import { LOAD_REPORT_HEADER, loadReportJson } from '../../bindings/orca.js';
import { LOAD_PATH, pathOf } from '../../bindings/server-fetch.js';

export * from '../../bindings/server-fetch.js';

export interface LoadReportingOptions extends Omit<LoadTrackerOptions, 'onError'> {
  /** The load endpoint's path (default LOAD_PATH); false: no endpoint. */
  loadPath?: string | false;
  /** A tracker to share between servers (default: one of its own, from these options). */
  tracker?: LoadTracker;
  /** A handler's failure (answered 500 or, after the headers went out, by closing) or a tracker problem. Default: console.error. */
  onError?: (err: Error, req?: IncomingMessage) => void;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
export type LoadReportingHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { readonly tracker: LoadTracker };

/** The process's CPU time so far in µs (user + system, every thread). */
const processCpuTime = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * A load tracker measuring this process: cpu_utilization from process.cpuUsage() over
 * os.availableParallelism() cores (override with `cores`, e.g. a container's CPU quota; or
 * `cpuTime: null` for none), rps_fractional and in-flight requests as the caller begins and ends them.
 */
export function createLoadTracker(opts: LoadTrackerOptions = {}): LoadTracker {
  return createNeutralLoadTracker({
    ...opts,
    cpuTime: opts.cpuTime === undefined ? processCpuTime : opts.cpuTime,
    cores: opts.cores ?? availableParallelism(),
  });
}

const describe = (v: unknown): string =>
  v === null || v === undefined ? String(v) : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** Wraps a node:http handler so every response reports the server's load (see the header comment). */
export function withLoadReporting(handler: NodeHandler, opts: LoadReportingOptions = {}): LoadReportingHandler {
  if (typeof handler !== 'function') throw new TypeError(`withLoadReporting: the handler is ${describe(handler)}, not a function`);
  const loadPath = opts.loadPath ?? LOAD_PATH;
  if (loadPath !== false && (typeof loadPath !== 'string' || !loadPath.startsWith('/'))) {
    throw new RangeError(`withLoadReporting: loadPath must be a path starting with "/" or false, got ${String(loadPath)}`);
  }
  const onError = opts.onError ?? ((err: Error) => console.error('ringroute/server:', err));
  const tracker = opts.tracker ?? createLoadTracker({ ...opts, onError: (err) => onError(err) });

  const serveLoad = (req: IncomingMessage, res: ServerResponse): void => {
    const r = tracker.report();
    const header = tracker.format(r);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8', [LOAD_REPORT_HEADER]: header });
      res.end('method not allowed\n');
      return;
    }
    const body = loadReportJson(r); // ASCII only: its length is its byte length
    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': body.length,
      [LOAD_REPORT_HEADER]: header,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const wrapped = (req: IncomingMessage, res: ServerResponse): void => {
    if (loadPath !== false && pathOf(req.url ?? '/') === loadPath) return serveLoad(req, res);
    const end = tracker.begin();
    res.once('close', end);
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      // the handler's own header, set earlier, is kept; one in writeHead's arguments overrides ours
      if (!this.headersSent && !this.hasHeader(LOAD_REPORT_HEADER)) this.setHeader(LOAD_REPORT_HEADER, tracker.format());
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['writeHead'];

    const failed = (err: unknown): void => {
      onError(err instanceof Error ? err : new Error(String(err)), req);
      if (res.headersSent) {
        if (!res.writableEnded) res.destroy(); // a half-sent response cannot become a 500
        return;
      }
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal server error\n');
    };
    let out: unknown;
    try {
      out = handler(req, res);
    } catch (err) {
      failed(err);
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as Promise<unknown>).then === 'function') {
      (out as Promise<unknown>).then(undefined, failed);
    }
  };
  return Object.assign(wrapped, { tracker });
}
