// The RIB store: one interface, several backends (embedded.ts: in-process and durable on disk;
// etcd.ts: an etcd v3 cluster; remote.ts: a read-and-watch view of a control server's store).
// The model is etcd's: a flat, ordered key space of UTF-8 keys and string values (JSON documents
// here), one store-wide revision counter bumped by every write, and per key its create and
// modify revisions and a version. Every controller and the RIB daemon use only this interface,
// so the control plane runs the same on either backend.

/** One key as stored. Revisions are store-wide and strictly increasing (etcd's int64; < 2^53 here). */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
  /** Number of writes since creation: 1 after the first put. */
  version: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** After a put: the new key-value. After a delete: key and modRevision (= the delete's revision); value ''. */
  kv: KeyValue;
}

/**
 * A batch of events delivered to a watcher: all the events of one or more whole revisions, in
 * revision order. A revision's events (one transaction) are never split across batches.
 */
export interface WatchBatch {
  events: WatchEvent[];
  /** The store revision the watcher has seen up to (≥ the last event's modRevision). */
  revision: number;
}

/**
 * A guard of a transaction. `modRevision: 0` means "the key does not exist";
 * otherwise the key must exist with exactly that modRevision.
 */
export interface Compare {
  key: string;
  modRevision: number;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string }
  /** Deletes every key under a prefix. */
  | { type: 'deletePrefix'; prefix: string };

export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (unchanged when it failed or wrote nothing). */
  revision: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** The store revision the read was taken at: watch from revision + 1 to miss nothing. */
  revision: number;
}

export interface Watcher {
  /** Stops the watch; no batch is delivered after close() returns. */
  close(): Promise<void>;
}

export interface WatchHandlers {
  /** Called for each batch, in order, never concurrently. */
  onBatch(batch: WatchBatch): void;
  /**
   * Called once when the watch cannot go on: `StoreError` code COMPACTED when `fromRevision` is
   * older than the store keeps history for (the caller re-reads with range() and watches again),
   * CLOSED when the store closed. Transient connection losses are NOT reported: the backend
   * reconnects and resumes after the last delivered revision, so no event is missed or repeated.
   */
  onError?(err: StoreError): void;
}

export interface RibStore {
  /** A short name for logs and metrics: 'embedded', 'etcd', 'remote'. */
  readonly kind: string;
  get(key: string): Promise<KeyValue | undefined>;
  /** Every key starting with `prefix`, in key order, at one revision. */
  range(prefix: string): Promise<RangeResult>;
  /** Returns the new store revision. */
  put(key: string, value: string): Promise<number>;
  /** Returns the new store revision (unchanged if the key did not exist). */
  delete(key: string): Promise<number>;
  /**
   * Atomic read-modify-write: if every compare holds, applies every op as ONE revision (all
   * events of the transaction carry the same modRevision). Ops that change nothing (delete of a
   * missing key) are dropped; if no op changes anything the revision does not move.
   */
  txn(compares: Compare[], ops: TxnOp[]): Promise<TxnResult>;
  /**
   * Watches every key under `prefix`, delivering every event with modRevision ≥ fromRevision
   * exactly once, in order. `fromRevision` is typically `range().revision + 1`.
   */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watcher>;
  /** The current store revision. */
  revision(): Promise<number>;
  close(): Promise<void>;
}

export type StoreErrorCode = 'COMPACTED' | 'CLOSED' | 'UNAVAILABLE' | 'CORRUPT' | 'INVALID';

export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
  }
}
