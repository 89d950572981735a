// The embedded RibStore: in-process, durable in one directory, no dependencies. Opened by
// openEmbeddedStore() wherever the control plane runs without etcd (a single control server,
// tests); the contract is types.ts's, tested against etcd's in tests/store.test.ts.
//
// State: a Map key → KeyValue plus the keys in a SortedKeys (keys.ts), so get is O(1) and
// range(prefix) O(log n + result). Revisions: an empty store is at revision 1 and its first write
// makes revision 2, as in etcd. Writes: every put/delete/txn joins a queue; one committer takes
// the whole queue as a group, evaluates each transaction in order against the committed state
// plus the group's earlier writes (an overlay), appends one WAL frame per new revision in one
// write and one fdatasync (disk.ts), then applies the group to memory, feeds the watchers and
// resolves the callers. So a read sees only what is on disk, and nothing a watcher or a caller
// saw can be lost by a crash. When the WAL passes walMaxBytes the committer writes a snapshot
// (atomic rename) and empties the WAL; writes wait meanwhile (O(keys)), reads do not.
// Opening: the directory lock (lock.ts), the snapshot, then the WAL replayed (a torn last frame
// is cut off, damage in the middle is CORRUPT). History for watches: the latest
// `historyEvents` events in memory (history.ts); after a reopen it starts after the snapshot.
// If the disk fails (write or fsync error) the store stops taking writes (UNAVAILABLE), since
// what reached the disk is unknown; reopening recovers what was written whole.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readSnapshot, SNAPSHOT_TMP_FILE, Wal, writeSnapshot, type Change, type LogRecord } from './disk.js';
import { History, LocalWatcher, type RevisionEvents } from './history.js';
import { SortedKeys, compareKeys } from './keys.js';
import { acquireDirLock, type DirLock } from './lock.js';
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

export { LOCK_FILE } from './lock.js';
export { SNAPSHOT_FILE, WAL_FILE } from './disk.js';

export interface EmbeddedStoreOptions {
  /** Events kept in memory for watches from past revisions (default 100,000). */
  historyEvents?: number;
  /** WAL size that triggers a snapshot and a new, empty WAL (default 64 MiB). */
  walMaxBytes?: number;
  /** Request limits, etcd's defaults unless set (validate.ts). */
  limits?: Partial<RequestLimits>;
}

export interface EmbeddedStoreStats {
  revision: number;
  keys: number;
  walBytes: number;
  /** fdatasync calls of WAL appends: fewer than writes when writes were group-committed. */
  walSyncs: number;
  snapshots: number;
  /** Oldest revision a watch can start from. */
  historyStart: number;
  historyEvents: number;
  /** What opening cut off the end of the WAL, if anything (a torn last frame). */
  recoveredTornTail?: string;
}

export interface EmbeddedRibStore extends RibStore {
  readonly kind: 'embedded';
  /** Drops the watch history before `revision` (≤ the current revision). */
  compact(revision: number): Promise<void>;
  stats(): EmbeddedStoreStats;
}

interface Pending {
  compares: Compare[];
  ops: TxnOp[];
  resolve(r: TxnResult): void;
  reject(e: unknown): void;
}

const deleteEvent = (key: string, revision: number): WatchEvent => ({
  type: 'delete',
  kv: Object.freeze({ key, value: '', createRevision: 0, modRevision: revision, version: 0 }),
});

const putKv = (prev: KeyValue | undefined, key: string, value: string, revision: number): KeyValue =>
  Object.freeze({ key, value, createRevision: prev ? prev.createRevision : revision, modRevision: revision, version: prev ? prev.version + 1 : 1 });

class EmbeddedStore implements EmbeddedRibStore {
  readonly kind = 'embedded' as const;
  private readonly watchers = new Set<LocalWatcher>();
  private queue: Pending[] = [];
  private committer: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  /** Set when the disk failed: writes are refused with it. */
  private broken: StoreError | null = null;
  private walSyncs = 0;
  private snapshots = 0;
  /** WAL size at which the next snapshot is due (pushed further when a snapshot fails). */
  private snapshotAt: number;

  constructor(
    private readonly dir: string,
    private readonly lock: DirLock,
    private readonly wal: Wal,
    private rev: number,
    private readonly kvs: Map<string, KeyValue>,
    private readonly keys: SortedKeys,
    private readonly history: History,
    private readonly walMaxBytes: number,
    private readonly limits: RequestLimits,
    private readonly tornTail: string | undefined,
  ) {
    this.snapshotAt = walMaxBytes;
  }

  private checkOpen(): void {
    if (this.closing) throw new StoreError('CLOSED', `embedded store ${this.dir} is closed`);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    checkKey(key);
    return this.kvs.get(key);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.checkOpen();
    checkPrefix(prefix);
    return { kvs: this.keys.withPrefix(prefix).map((k) => this.kvs.get(k)!), revision: this.rev };
  }

  async put(key: string, value: string): Promise<number> {
    return (await this.txn([], [{ type: 'put', key, value }])).revision;
  }

  async delete(key: string): Promise<number> {
    return (await this.txn([], [{ type: 'delete', key }])).revision;
  }

  async revision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  txn(compares: Compare[], ops: TxnOp[]): Promise<TxnResult> {
    try {
      this.checkOpen();
      checkTxn(compares, ops, this.limits);
      if (this.broken) throw this.broken;
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<TxnResult>((resolve, reject) => {
      // copies: the caller may reuse its arrays before the group is committed
      this.queue.push({ compares: compares.map((c) => ({ ...c })), ops: ops.map((o) => ({ ...o })), resolve, reject });
      this.committer ??= this.commitLoop();
    });
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watcher> {
    this.checkOpen();
    checkPrefix(prefix);
    checkRevision(fromRevision, 'fromRevision', 1);
    if (typeof handlers?.onBatch !== 'function') throw new StoreError('INVALID', 'watch handlers need an onBatch function');
    const w = new LocalWatcher(prefix, fromRevision, handlers, (x) => this.watchers.delete(x));
    if (fromRevision < this.history.start) {
      w.end(new StoreError('COMPACTED', `embedded store ${this.dir}: revision ${fromRevision} is compacted; history starts at revision ${this.history.start} (now at ${this.rev}); range() again and watch from its revision + 1`));
      return w;
    }
    this.watchers.add(w);
    w.offer(this.history.since(fromRevision));
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkRevision(revision, 'compact revision', 1);
    if (revision > this.rev) throw new StoreError('INVALID', `compact revision ${revision} is in the future (store at ${this.rev})`);
    this.history.compact(revision);
  }

  stats(): EmbeddedStoreStats {
    return {
      revision: this.rev,
      keys: this.kvs.size,
      walBytes: this.wal.bytes,
      walSyncs: this.walSyncs,
      snapshots: this.snapshots,
      historyStart: this.history.start,
      historyEvents: this.history.events,
      ...(this.tornTail ? { recoveredTornTail: this.tornTail } : {}),
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.committer;
      for (const w of [...this.watchers]) w.end(new StoreError('CLOSED', `embedded store ${this.dir} was closed`));
      await this.wal.close();
      await this.lock.release();
    })();
    return this.closing;
  }

  /** Commits queued transactions group by group until the queue is empty. */
  private async commitLoop(): Promise<void> {
    await null; // let the caller's tick queue more writes into the first group (and set this.committer)
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      if (this.broken) {
        for (const p of group) p.reject(this.broken);
        continue;
      }
      let plan: ReturnType<EmbeddedStore['evaluate']>;
      try {
        plan = this.evaluate(group);
      } catch (e) {
        for (const p of group) p.reject(e);
        continue;
      }
      const { results, revs, records } = plan;
      if (records.length > 0) {
        try {
          await this.wal.append(records);
          this.walSyncs++;
        } catch (e) {
          this.broken = new StoreError('UNAVAILABLE', `embedded store ${this.dir}: writing the WAL failed (${(e as Error).message}); the store takes no more writes, reopen it`);
          for (const p of group) p.reject(this.broken);
          continue;
        }
        this.apply(revs);
      }
      for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
      if (this.wal.bytes >= this.snapshotAt) await this.snapshot();
    }
    this.committer = null;
  }

  /** Decides a group of transactions in order, as if each ran alone; changes nothing yet. */
  private evaluate(group: readonly Pending[]): { results: TxnResult[]; revs: RevisionEvents[]; records: LogRecord[] } {
    const overlay = new Map<string, KeyValue | null>();
    const look = (k: string): KeyValue | undefined => (overlay.has(k) ? overlay.get(k) ?? undefined : this.kvs.get(k));
    const results: TxnResult[] = [];
    const revs: RevisionEvents[] = [];
    const records: LogRecord[] = [];
    let rev = this.rev;
    for (const p of group) {
      if (!p.compares.every((c) => (look(c.key)?.modRevision ?? 0) === c.modRevision)) {
        results.push({ succeeded: false, revision: rev });
        continue;
      }
      const next = rev + 1;
      const events: WatchEvent[] = [];
      const changes: Change[] = [];
      const del = (k: string): void => {
        overlay.set(k, null);
        events.push(deleteEvent(k, next));
        changes.push([k]);
      };
      for (const op of p.ops) {
        if (op.type === 'put') {
          const kv = putKv(look(op.key), op.key, op.value, next);
          overlay.set(op.key, kv);
          events.push({ type: 'put', kv });
          changes.push([op.key, op.value]);
        } else if (op.type === 'delete') {
          if (look(op.key)) del(op.key);
        } else {
          for (const k of this.keysUnder(op.prefix, overlay)) del(k);
        }
      }
      if (events.length > 0) {
        rev = next;
        revs.push({ revision: next, events });
        records.push({ revision: next, changes });
      }
      results.push({ succeeded: true, revision: rev });
    }
    return { results, revs, records };
  }

  /** Live keys under `prefix` in key order, counting the overlay's puts and deletes. */
  private keysUnder(prefix: string, overlay: Map<string, KeyValue | null>): string[] {
    const base = this.keys.withPrefix(prefix).filter((k) => !overlay.has(k) || overlay.get(k) !== null);
    const added: string[] = [];
    for (const [k, v] of overlay) if (v !== null && k.startsWith(prefix) && !this.kvs.has(k)) added.push(k);
    return added.length === 0 ? base : base.concat(added).sort(compareKeys);
  }

  /** Applies committed revisions to memory and hands them to history and watchers. */
  private apply(revs: readonly RevisionEvents[]): void {
    for (const r of revs) {
      for (const e of r.events) {
        if (e.type === 'put') {
          if (!this.kvs.has(e.kv.key)) this.keys.insert(e.kv.key);
          this.kvs.set(e.kv.key, e.kv);
        } else {
          this.kvs.delete(e.kv.key);
          this.keys.delete(e.kv.key);
        }
      }
      this.rev = r.revision;
      this.history.push(r);
    }
    for (const w of this.watchers) w.offer(revs);
  }

  private async snapshot(): Promise<void> {
    const kvs = this.kvs;
    const keys = this.keys;
    function* inOrder(): Generator<KeyValue> {
      for (const k of keys.from('')) yield kvs.get(k)!;
    }
    try {
      await writeSnapshot(this.dir, this.rev, kvs.size, inOrder());
    } catch (e) {
      // the WAL is intact: go on, and try again when it has grown by half the threshold again
      this.snapshotAt = this.wal.bytes + Math.ceil(this.walMaxBytes / 2);
      process.emitWarning(`embedded store ${this.dir}: snapshot failed (${(e as Error).message}); the WAL keeps growing`);
      return;
    }
    this.snapshots++;
    try {
      await this.wal.reset();
      this.snapshotAt = this.walMaxBytes;
    } catch (e) {
      this.broken = new StoreError('UNAVAILABLE', `embedded store ${this.dir}: emptying the WAL after a snapshot failed (${(e as Error).message}); the store takes no more writes, reopen it`);
    }
  }
}

/** Rebuilds the state from a snapshot's key-values and the WAL's records after it. */
function replay(dir: string, snapRev: number, snapKvs: KeyValue[], records: LogRecord[], walPath: string) {
  const kvs = new Map<string, KeyValue>();
  for (const kv of snapKvs) kvs.set(kv.key, kv);
  const keys = SortedKeys.fromSorted(snapKvs.map((kv) => kv.key));
  let rev = snapRev;
  const replayed: RevisionEvents[] = [];
  for (const r of records) {
    if (r.revision <= snapRev) continue; // logged before the snapshot that made the WAL redundant
    if (r.revision !== rev + 1) {
      throw new StoreError('CORRUPT', `${walPath}: record of revision ${r.revision} follows revision ${rev}; revisions ${rev + 1}..${r.revision - 1} are missing (${dir})`);
    }
    const events: WatchEvent[] = [];
    for (const c of r.changes) {
      const key = c[0];
      if (c.length === 2) {
        const kv = putKv(kvs.get(key), key, c[1], r.revision);
        if (!kvs.has(key)) keys.insert(key);
        kvs.set(key, kv);
        events.push({ type: 'put', kv });
      } else {
        if (!kvs.has(key)) throw new StoreError('CORRUPT', `${walPath}: revision ${r.revision} deletes ${JSON.stringify(key)}, which does not exist`);
        kvs.delete(key);
        keys.delete(key);
        events.push(deleteEvent(key, r.revision));
      }
    }
    rev = r.revision;
    replayed.push({ revision: rev, events });
  }
  return { kvs, keys, rev, replayed };
}

/**
 * Opens (creating if needed) the store in `dir`. Fails with StoreError UNAVAILABLE if another
 * open store holds the directory, CORRUPT if its files are damaged beyond a torn last write.
 * Cost: O(snapshot + WAL) time and memory for the data, plus the history.
 */
export async function openEmbeddedStore(dir: string, opts: EmbeddedStoreOptions = {}): Promise<EmbeddedRibStore> {
  const historyEvents = opts.historyEvents ?? 100_000;
  const walMaxBytes = opts.walMaxBytes ?? 64 * 1024 * 1024;
  checkRevision(historyEvents, 'historyEvents', 0);
  checkRevision(walMaxBytes, 'walMaxBytes', 1);
  const limits = checkLimits(opts.limits);
  await mkdir(dir, { recursive: true });
  const lock = await acquireDirLock(dir);
  let wal: Wal | undefined;
  try {
    await rm(join(dir, SNAPSHOT_TMP_FILE), { force: true }); // an unfinished snapshot of a crashed process
    const snap = await readSnapshot(dir);
    const opened = await Wal.open(dir);
    wal = opened.wal;
    const snapRev = snap?.revision ?? 1;
    const { kvs, keys, rev, replayed } = replay(dir, snapRev, snap?.kvs ?? [], opened.records, wal.path);
    const history = new History(snap ? snapRev + 1 : 1, historyEvents);
    for (const r of replayed) history.push(r);
    return new EmbeddedStore(dir, lock, wal, rev, kvs, keys, history, walMaxBytes, limits, opened.torn);
  } catch (e) {
    await wal?.close().catch(() => undefined);
    await lock.release();
    throw e;
  }
}
