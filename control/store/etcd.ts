// The etcd RibStore: the types.ts contract over an etcd v3 cluster, through the npm client etcd3
// (1.1.x). Opened by openEtcdStore() where the control plane runs on etcd; tested against the
// embedded store in tests/store.test.ts. Costs: one RPC per call (range: one per 2,000 keys,
// all pages read at the first page's revision); a watch is one server-side watcher on the
// client's shared watch stream.
//
// Keys live under an optional namespace prefix, added and stripped here (not etcd3's Namespace,
// so the raw requests keep their revisions, limits and ranges). Revisions are etcd's own.
//
// Failures. etcd3 picks a random member per call, skipping members whose circuit breaker is open
// (here: 2 transient failures in a row skip a member for 1 s). Its own global retry is off here:
// it retries every "recoverable" error, including a connection lost after a request was sent,
// which can apply a compare-and-swap twice. Instead call() retries with backoff within a budget
// (retryBudgetMs), each try with a deadline (requestTimeoutMs), by kind of operation:
//   - reads, and writes without compares (put, delete, a txn without compares): every transient
//     error, so such a write is applied at least once (twice: two revisions, the same result);
//   - a txn with compares: only errors that prove the request never reached a member (no
//     connection, no leader, proposal dropped, breaker open); after any other transient error
//     the outcome is unknown and the caller gets UNAVAILABLE saying so (re-read, then retry).
// Watches: etcd3 re-creates a watch after its stream fails (on another member), from
// (response header revision + 1). That header is the store's revision when the watch was created
// or the response sent, which can be past events still to come (a replay from an old revision
// comes after the "created" response, in chunks), so etcd3 alone can skip events. Here each
// watcher resets that start revision to (last delivered + 1) whenever the stream drops, drops
// any event at or below the last delivered revision, and delivers one batch per revision (etcd
// never splits a revision across responses): nothing is missed, repeated or reordered across
// failovers. A watch etcd cancels is COMPACTED if a read at the wanted revision says so.
// Caveat: a member cut off from the others but still reachable keeps its watch streams open
// without news (etcd3 cannot ask for etcd's require-leader mode).

import etcd3 from 'etcd3';
import type { Etcd3 as Etcd3Client, ICompare, IKeyValue, IOptions, IRequestOp, IWatchResponse, KVClient, Watcher as EtcdWatcher } from 'etcd3';
import {
  StoreError,
  type Compare,
  type KeyValue,
  type RangeResult,
  type RibStore,
  type TxnOp,
  type TxnResult,
  type WatchEvent,
  type Watcher,
  type WatchHandlers,
} from './types.js';
import { checkKey, checkLimits, checkPrefix, checkRevision, checkTxn, type RequestLimits } from './validate.js';

const { Etcd3, CompareResult, CompareTarget, ClientClosedError, isRecoverableError } = etcd3;

export interface EtcdStoreOptions {
  /** Client URLs of the members, e.g. ['http://10.0.0.1:2379', ...]. */
  endpoints: string[];
  /** Namespace: every key is stored as prefix + key. */
  prefix?: string;
  /** Deadline of one request to one member (default 2,000 ms). */
  requestTimeoutMs?: number;
  /** How long a call keeps retrying on the members before UNAVAILABLE (default 10,000 ms). */
  retryBudgetMs?: number;
  /** Request limits checked before sending; keep them ≤ the cluster's (default: etcd's defaults). */
  limits?: Partial<RequestLimits>;
  /** Called on retries and watch reconnections, for logs and metrics. */
  onDiagnostic?: (d: EtcdDiagnostic) => void;
}

export type EtcdDiagnostic =
  | { kind: 'retry'; op: string; attempt: number; error: string }
  | { kind: 'watch-disconnected'; prefix: string; lastRevision: number; error: string }
  | { kind: 'watch-resumed'; prefix: string; fromRevision: number };

export interface EtcdRibStore extends RibStore {
  readonly kind: 'etcd';
  /** Compacts etcd's history before `revision` (cluster-wide: every namespace). */
  compact(revision: number): Promise<void>;
}

const PAGE_KEYS = 2000;
const ZERO = Buffer.from([0]);

/** etcd's range end for a prefix: the prefix with its last byte below 0xff incremented. */
function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i]!++;
      return end;
    }
  }
  return ZERO; // every key from the start
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The request certainly did not reach a member that could apply it. */
const NOT_SENT = /No connection established|ECONNREFUSED|circuit breaker is open|member skipped|etcdserver: no leader|raft proposal dropped|etcdserver: too many requests|Connection pool has no hosts/i;
/** etcd's transient server errors (some arrive as codes etcd3 does not count as recoverable). */
const TRANSIENT = /etcdserver: (request timed out|leader changed|no leader|server stopped|too many requests)|raft proposal dropped/i;

type Mode = 'read' | 'blind' | 'guarded';

/** A global policy that runs the call once: retries are call()'s business (see the header). */
type GlobalPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;
const runOnce = {
  execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
} as unknown as GlobalPolicy;
type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

class MemberSkipped extends Error {
  constructor() {
    super('member skipped: its circuit breaker is open after failures in a row');
  }
}

/**
 * etcd3's per-member policy: after 2 transient failures in a row the member is skipped for 1 s,
 * then tried again (one more failure skips it again). etcd3's default skips it for 5 s, which
 * keeps a member that is back out of use long enough to stall writes when another one dies.
 */
function memberBreaker(): HostPolicy {
  let failures = 0;
  let skipUntil = 0;
  const policy = {
    async execute<T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      if (Date.now() < skipUntil) throw new MemberSkipped();
      try {
        const r = await fn({ signal: new AbortController().signal });
        failures = 0;
        return r;
      } catch (e) {
        if (e instanceof Error && isRecoverableError(e) && ++failures >= 2) skipUntil = Date.now() + 1000;
        throw e;
      }
    },
    onSuccess: () => ({ dispose: () => undefined }),
    onFailure: () => ({ dispose: () => undefined }),
  };
  return policy as unknown as HostPolicy;
}

const doubling = (ms: number, max: number): WatchBackoff =>
  ({ duration: ms, next: () => doubling(Math.min(ms * 2, max), max) }) as unknown as WatchBackoff;

const rethrowLater = (e: unknown): void => {
  setImmediate(() => {
    throw e;
  });
};

class EtcdStore implements EtcdRibStore {
  readonly kind = 'etcd' as const;
  readonly watchers = new Set<EtcdStoreWatcher>();
  private closing: Promise<void> | null = null;

  constructor(
    readonly client: Etcd3Client,
    readonly kv: KVClient,
    private readonly ns: Buffer,
    private readonly endpoints: string[],
    private readonly retryBudgetMs: number,
    private readonly limits: RequestLimits,
    readonly diag: (d: EtcdDiagnostic) => void,
  ) {}

  get closed(): boolean {
    return this.closing !== null;
  }

  full(key: string): Buffer {
    return this.ns.length === 0 ? Buffer.from(key) : Buffer.concat([this.ns, Buffer.from(key)]);
  }

  /** The [key, range_end) of every key under `prefix` in the namespace. */
  span(prefix: string): { key: Buffer; range_end: Buffer } {
    const start = this.full(prefix);
    return { key: start.length === 0 ? ZERO : start, range_end: prefixEnd(start) };
  }

  toKv(kv: IKeyValue): KeyValue {
    return Object.freeze({
      key: kv.key.subarray(this.ns.length).toString('utf8'),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    });
  }

  private closedError(): StoreError {
    return new StoreError('CLOSED', `etcd store (${this.endpoints.join(', ')}) is closed`);
  }

  /** Runs one etcd request with the retry policy of `mode` (see the header). */
  async call<T>(op: string, mode: Mode, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryBudgetMs;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw this.closedError();
      try {
        return await fn();
      } catch (e) {
        if (this.closed || e instanceof ClientClosedError) throw this.closedError();
        const msg = errText(e);
        if (/required revision has been compacted/.test(msg)) throw new StoreError('COMPACTED', `etcd ${op}: ${msg}`);
        const transient = (e instanceof Error && isRecoverableError(e)) || TRANSIENT.test(msg) || NOT_SENT.test(msg);
        if (!transient) {
          const invalid = /InvalidArgument|OutOfRange|FailedPrecondition|etcdserver: (duplicate key|too many operations|request is too large|key is not provided)|future revision/i.test(`${(e as Error)?.name} ${msg}`);
          throw new StoreError(invalid ? 'INVALID' : 'UNAVAILABLE', `etcd ${op} refused: ${msg}`);
        }
        if (mode === 'guarded' && !NOT_SENT.test(msg)) {
          throw new StoreError('UNAVAILABLE', `etcd ${op}: the request failed after it was sent (${msg}); it may or may not have been applied: re-read before retrying (endpoints ${this.endpoints.join(', ')})`);
        }
        const pause = Math.min(25 * 2 ** (attempt - 1), 500);
        if (Date.now() + pause >= deadline) {
          throw new StoreError('UNAVAILABLE', `etcd ${op} failed on every try for ${this.retryBudgetMs} ms (endpoints ${this.endpoints.join(', ')}): ${msg}`);
        }
        this.diag({ kind: 'retry', op, attempt, error: msg });
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    checkKey(key);
    const res = await this.call('get', 'read', () => this.kv.range({ key: this.full(key) }));
    return res.kvs.length > 0 ? this.toKv(res.kvs[0]!) : undefined;
  }

  async range(prefix: string): Promise<RangeResult> {
    this.checkOpen();
    checkPrefix(prefix);
    const { key, range_end } = this.span(prefix);
    for (let restart = 0; ; restart++) {
      try {
        let res = await this.call('range', 'read', () => this.kv.range({ key, range_end, limit: PAGE_KEYS }));
        const revision = res.header.revision;
        const kvs = res.kvs.map((kv) => this.toKv(kv));
        while (res.more && res.kvs.length > 0) {
          const after = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, ZERO]);
          res = await this.call('range', 'read', () => this.kv.range({ key: after, range_end, limit: PAGE_KEYS, revision }));
          for (const kv of res.kvs) kvs.push(this.toKv(kv));
        }
        return { kvs, revision: Number(revision) };
      } catch (e) {
        // a compaction overtook the paging: read again at a newer revision
        if (e instanceof StoreError && e.code === 'COMPACTED' && restart < 3) continue;
        throw e;
      }
    }
  }

  async put(key: string, value: string): Promise<number> {
    return (await this.txn([], [{ type: 'put', key, value }])).revision;
  }

  async delete(key: string): Promise<number> {
    return (await this.txn([], [{ type: 'delete', key }])).revision;
  }

  async txn(compares: Compare[], ops: TxnOp[]): Promise<TxnResult> {
    this.checkOpen();
    checkTxn(compares, ops, this.limits);
    if (compares.length === 0 && ops.length === 1 && ops[0]!.type !== 'deletePrefix') {
      const op = ops[0]!;
      const res = op.type === 'put'
        ? await this.call('put', 'blind', () => this.kv.put({ key: this.full(op.key), value: Buffer.from(op.value) }))
        : await this.call('delete', 'blind', () => this.kv.deleteRange({ key: this.full(op.key) }));
      return { succeeded: true, revision: Number(res.header.revision) };
    }
    const compare: ICompare[] = compares.map((c) => ({
      key: this.full(c.key),
      target: CompareTarget.Mod,
      result: CompareResult.Equal,
      mod_revision: c.modRevision,
    }));
    const success: IRequestOp[] = ops.map((op) => {
      if (op.type === 'put') return { request_put: { key: this.full(op.key), value: Buffer.from(op.value) } };
      if (op.type === 'delete') return { request_delete_range: { key: this.full(op.key) } };
      return { request_delete_range: this.span(op.prefix) };
    });
    const res = await this.call('txn', compares.length === 0 ? 'blind' : 'guarded', () => this.kv.txn({ compare, success, failure: [] }));
    return { succeeded: res.succeeded, revision: Number(res.header.revision) };
  }

  async revision(): Promise<number> {
    this.checkOpen();
    const res = await this.call('revision', 'read', () => this.kv.range({ key: this.full('\u0000'), count_only: true }));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkRevision(revision, 'compact revision', 1);
    try {
      await this.call('compact', 'read', () => this.kv.compact({ revision }));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'COMPACTED') return; // already compacted at or past it
      throw e;
    }
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watcher> {
    this.checkOpen();
    checkPrefix(prefix);
    checkRevision(fromRevision, 'fromRevision', 1);
    if (typeof handlers?.onBatch !== 'function') throw new StoreError('INVALID', 'watch handlers need an onBatch function');
    const w = new EtcdStoreWatcher(this, prefix, fromRevision, handlers);
    this.watchers.add(w);
    return w;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.watchers].map((w) => w.end(this.closedError())));
      this.client.close();
    })();
    return this.closing;
  }
}

/** Cancels an etcd3 watcher, giving up after 1 s (a dead stream never confirms). */
async function cancelSoon(w: EtcdWatcher): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1000)))]);
  clearTimeout(timer);
}

class EtcdStoreWatcher implements Watcher {
  /** Revision of the last batch delivered (fromRevision - 1 at first). */
  private last: number;
  private inner: EtcdWatcher | null;
  private done = false;
  private disconnected = false;

  constructor(private readonly store: EtcdStore, private readonly prefix: string, fromRevision: number, private readonly handlers: WatchHandlers) {
    this.last = fromRevision - 1;
    const { key, range_end } = store.span(prefix);
    const w = store.client.watch().inRange({ start: key, end: range_end }).startRevision(String(fromRevision)).watcher();
    this.inner = w;
    w.on('data', (res) => this.onData(res));
    w.on('disconnected', (err) => {
      // etcd3 reattaches from w.request.start_revision: make that the revision after the last one delivered
      w.request.start_revision = String(this.last + 1);
      if (this.disconnected) return; // a failed reconnection attempt: same outage
      this.disconnected = true;
      store.diag({ kind: 'watch-disconnected', prefix, lastRevision: this.last, error: errText(err) });
    });
    w.on('connected', () => {
      if (!this.disconnected) return;
      this.disconnected = false;
      store.diag({ kind: 'watch-resumed', prefix, fromRevision: this.last + 1 });
    });
    w.on('error', (err) => void this.onCanceled(err));
  }

  private onData(res: IWatchResponse): void {
    const events = res.events;
    let i = 0;
    while (i < events.length && !this.done) {
      const rev = Number(events[i]!.kv.mod_revision);
      const batch: WatchEvent[] = [];
      for (; i < events.length && Number(events[i]!.kv.mod_revision) === rev; i++) {
        const ev = events[i]!;
        if (String(ev.type).toLowerCase() === 'put') batch.push({ type: 'put', kv: this.store.toKv(ev.kv) });
        else batch.push({ type: 'delete', kv: Object.freeze({ ...this.store.toKv(ev.kv), value: '', createRevision: 0, version: 0 }) });
      }
      if (rev <= this.last) continue; // already delivered before a reconnect
      this.last = rev;
      try {
        this.handlers.onBatch({ events: batch, revision: rev });
      } catch (e) {
        rethrowLater(e);
      }
    }
  }

  /** etcd canceled the watch: find out whether for compaction, then end. */
  private async onCanceled(err: unknown): Promise<void> {
    if (this.done) return;
    this.inner = null; // etcd3 has dropped it already
    const from = this.last + 1;
    let why: StoreError;
    try {
      await this.store.call('watch check', 'read', () => this.store.kv.range({ key: this.store.full('\u0000'), revision: from, count_only: true }));
      why = new StoreError('UNAVAILABLE', `etcd canceled the watch of ${JSON.stringify(this.prefix)} from revision ${from}: ${errText(err)}`);
    } catch (e) {
      why = e instanceof StoreError && e.code === 'COMPACTED'
        ? new StoreError('COMPACTED', `etcd: revision ${from} is compacted; range() again and watch from its revision + 1`)
        : e instanceof StoreError && e.code === 'INVALID' // a future revision: not compacted
          ? new StoreError('UNAVAILABLE', `etcd canceled the watch of ${JSON.stringify(this.prefix)} from revision ${from}: ${errText(err)}`)
          : e instanceof StoreError ? e : new StoreError('UNAVAILABLE', errText(e));
    }
    await this.end(why);
  }

  /** Ends the watch with onError(err), once, unless close() came first. */
  async end(err: StoreError): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.store.watchers.delete(this);
    const inner = this.inner;
    this.inner = null;
    setImmediate(() => {
      try {
        this.handlers.onError?.(err);
      } catch (e) {
        rethrowLater(e);
      }
    });
    if (inner) await cancelSoon(inner);
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.store.watchers.delete(this);
    const inner = this.inner;
    this.inner = null;
    if (inner) await cancelSoon(inner);
  }
}

/**
 * Connects to the cluster and checks that it answers (a read within retryBudgetMs); otherwise
 * StoreError UNAVAILABLE naming the endpoints.
 */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdRibStore> {
  const endpoints = opts?.endpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string' && e.length > 0)) {
    throw new StoreError('INVALID', 'openEtcdStore: endpoints must be a non-empty list of URLs like "http://127.0.0.1:2379"');
  }
  const prefix = opts.prefix ?? '';
  checkPrefix(prefix, 'etcd namespace prefix');
  const requestTimeoutMs = opts.requestTimeoutMs ?? 2000;
  const retryBudgetMs = opts.retryBudgetMs ?? 10_000;
  checkRevision(requestTimeoutMs, 'requestTimeoutMs', 1);
  checkRevision(retryBudgetMs, 'retryBudgetMs', 0);
  const limits = checkLimits(opts.limits);
  const client = new Etcd3({
    hosts: endpoints,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
    faultHandling: { global: runOnce, host: memberBreaker, watchBackoff: doubling(50, 1000) },
    grpcOptions: {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_receive_message_length': -1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  });
  // the raw KV client of etcd3's root namespace (not in its typings): raw requests keep
  // revisions, limits and compares that the builders hide
  const kv = (client as unknown as { kv?: KVClient }).kv;
  if (!kv || typeof kv.range !== 'function' || typeof kv.txn !== 'function') {
    client.close();
    throw new StoreError('UNAVAILABLE', 'openEtcdStore: this etcd3 version has no raw KV client (tested with etcd3 1.1.2)');
  }
  const diag = opts.onDiagnostic ?? (() => undefined);
  const store = new EtcdStore(client, kv, Buffer.from(prefix), [...endpoints], retryBudgetMs, limits, diag);
  try {
    await store.revision();
  } catch (e) {
    await store.close();
    throw new StoreError('UNAVAILABLE', `etcd unreachable at ${endpoints.join(', ')}: ${errText(e)}`);
  }
  return store;
}
