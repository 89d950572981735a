// One HTTP exchange with a server, sent through undici's dispatch() with a handler of our own
// (the undici 7 handler interface: onRequestStart, onResponseStart, onResponseData,
// onResponseEnd, onResponseError), the body collected in memory, the per-try timeout kept by a
// shared deadline wheel.
//
// Why not `pool.request()`: for each request it makes an AsyncResource, a Readable stream for the
// body (read back with an async iterator) and, when a signal is passed, an abort listener with
// `{ once: true }` that is removed on the stream's 'close' event. For the small responses of an
// RPC that is most of the client's own CPU (bench/RESULTS.md, "Cost per request": an
// AbortController and its listener alone cost about as much as the rest of the exchange). Here a
// try costs one handler object, one promise and one Set insert/delete in its deadline bucket.
//
// Used by: the mesh client (host/node/client.ts) for every try and every load poll; once per
// request. O(body chunks) per exchange.
import type { Dispatcher } from 'undici';

export interface ExchangeRequest {
  path: string;
  method: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The caller's signal (only when the caller gave one: a listener costs CPU). */
  signal?: AbortSignal;
}

export interface ExchangeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Why an exchange ended without a response. `code` is undici's or Node's error code, if any. */
export class ExchangeError extends Error {
  constructor(readonly kind: 'timeout' | 'aborted' | 'too_large' | 'failed', message: string, readonly code?: string) {
    super(message);
    this.name = 'ExchangeError';
  }
}

/** What the deadline wheel needs of an exchange in flight. */
interface Expirable {
  expire(): void;
}

/**
 * Per-try deadlines, grouped into steps of `stepMs`: all tries whose deadlines fall in one step
 * share one bucket (a Set) and one timer, so a try costs a Set insert and delete, not a timer of
 * its own. When a step's timer fires, every try still in its bucket is expired (aborted). A
 * timeout is late by less than `stepMs`. O(1) per try; O(tries expired) per step.
 */
export class DeadlineWheel {
  private buckets = new Map<number, Set<Expirable>>();
  constructor(private readonly stepMs = 5) {}

  /** Adds `x`, expiring in `ms` (rounded up to the step); returns its bucket, to remove it from. */
  add(x: Expirable, ms: number): Set<Expirable> {
    const at = Math.ceil((performance.now() + ms) / this.stepMs) * this.stepMs;
    let bucket = this.buckets.get(at);
    if (!bucket) {
      const b = new Set<Expirable>();
      this.buckets.set(at, b);
      setTimeout(() => {
        this.buckets.delete(at);
        for (const e of b) e.expire();
        b.clear();
      }, Math.max(0, at - performance.now())).unref();
      bucket = b;
    }
    bucket.add(x);
    return bucket;
  }
}

/** The undici 7 dispatch controller, as far as this handler uses it. */
interface Controller {
  abort(reason: Error): void;
}

class ExchangeHandler implements Expirable {
  private controller?: Controller;
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private failure?: ExchangeError;
  private done = false;
  private bucket?: Set<Expirable>;
  private onAbort?: () => void;

  constructor(
    private readonly resolve: (r: ExchangeResult) => void,
    private readonly reject: (e: ExchangeError) => void,
    private readonly maxBody: number,
    private readonly signal: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {}

  arm(wheel: DeadlineWheel): void {
    this.bucket = wheel.add(this, this.timeoutMs);
    if (this.signal) {
      this.onAbort = () => this.stop(new ExchangeError('aborted', 'aborted by the caller'));
      this.signal.addEventListener('abort', this.onAbort);
    }
  }

  expire(): void {
    this.stop(new ExchangeError('timeout', `no answer within ${this.timeoutMs} ms`));
  }

  /** Ends the exchange with `why`: aborts the request if undici has started it. */
  private stop(why: ExchangeError): void {
    if (this.done || this.failure) return;
    this.failure = why;
    if (this.controller) {
      this.controller.abort(why); // undici then calls onResponseError, which rejects
      return;
    }
    // still queued in the pool: settle now; onRequestStart aborts it when undici gets to it
    this.finish();
    this.reject(why);
  }

  private finish(): void {
    this.done = true;
    this.bucket?.delete(this);
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(_c: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // an informational response (103 Early Hints): the final one follows
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_c: Controller, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBody) {
      this.stop(new ExchangeError('too_large', `response body over ${this.maxBody} bytes`));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.finish();
    if (this.failure) {
      this.reject(this.failure);
      return;
    }
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_c: Controller, err: Error & { code?: string }): void {
    if (this.done) return;
    this.finish();
    this.reject(this.failure ?? new ExchangeError('failed', err.message, err.code));
  }
}

/**
 * Sends one request through `dispatcher` (a Pool) and collects the response. Rejects with an
 * ExchangeError: `timeout` after `timeoutMs` (kept by `wheel`), `aborted` when `req.signal`
 * fires, `too_large` past `maxBody` bytes, `failed` for anything undici reports (its `code`).
 */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, timeoutMs: number, wheel: DeadlineWheel, maxBody: number): Promise<ExchangeResult> {
  if (req.signal?.aborted) return Promise.reject(new ExchangeError('aborted', 'aborted by the caller'));
  return new Promise<ExchangeResult>((resolve, reject) => {
    const h = new ExchangeHandler(resolve, reject, maxBody, req.signal, timeoutMs);
    h.arm(wheel);
    try {
      dispatcher.dispatch({ path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body }, h as unknown as Dispatcher.DispatchHandler);
    } catch (err) {
      h.onResponseError(undefined as unknown as Controller, err as Error);
    }
  });
}
