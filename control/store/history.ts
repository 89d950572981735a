// Watch support of the embedded store (embedded.ts): the in-memory event history and the
// watchers fed from it.
//
// History keeps the events of the latest revisions, whole revisions only, at most `limit` events
// (the oldest revisions are dropped first); `start` is the oldest revision whose events are all
// still there, so a watch from revision ≥ start can be served and an older one is COMPACTED.
// Revisions are consecutive (every revision has at least one event), so finding a revision is
// O(1). A LocalWatcher filters each committed revision by its prefix (O(events)) and queues a
// batch per revision; the queue is drained in a setImmediate callback, never inside the call
// that made the write. A slow handler makes its queue grow; nothing bounds it.

import { StoreError, type WatchBatch, type WatchEvent, type Watcher, type WatchHandlers } from './types.js';

export interface RevisionEvents {
  revision: number;
  events: WatchEvent[];
}

export class History {
  private revs: RevisionEvents[] = [];
  private head = 0;
  private count = 0;

  /** @param start the oldest revision watchable (1 for a new store, snapshot revision + 1 after a reopen) */
  constructor(public start: number, private readonly limit: number) {}

  get events(): number {
    return this.count;
  }

  push(r: RevisionEvents): void {
    this.revs.push(r);
    this.count += r.events.length;
    while (this.count > this.limit && this.head < this.revs.length) this.dropOldest();
    this.tidy();
  }

  /** Forgets every revision before `revision` (which must be ≤ the current revision + 1). */
  compact(revision: number): void {
    while (this.head < this.revs.length && this.revs[this.head]!.revision < revision) this.dropOldest();
    if (revision > this.start) this.start = revision;
    this.tidy();
  }

  /** The revisions ≥ from, oldest first. Requires from ≥ start. */
  since(from: number): RevisionEvents[] {
    if (this.head >= this.revs.length) return [];
    const first = this.revs[this.head]!.revision;
    return this.revs.slice(this.head + Math.max(0, from - first));
  }

  private dropOldest(): void {
    const r = this.revs[this.head++]!;
    this.count -= r.events.length;
    this.start = r.revision + 1;
  }

  private tidy(): void {
    if (this.head > 1024 && this.head * 2 > this.revs.length) {
      this.revs = this.revs.slice(this.head);
      this.head = 0;
    }
  }
}

/** Rethrows a handler's exception outside the store, so it is neither lost nor able to break the store. */
const rethrowLater = (e: unknown): void => {
  setImmediate(() => {
    throw e;
  });
};

export class LocalWatcher implements Watcher {
  /** The next revision this watcher wants. */
  private next: number;
  private queue: WatchBatch[] = [];
  private qhead = 0;
  private scheduled = false;
  /** Set by close(): nothing more is delivered. */
  private closed = false;
  /** Set when the watch ends (COMPACTED, CLOSED): queued batches go out, then onError. */
  private ending: StoreError | null = null;

  constructor(
    private readonly prefix: string,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
    private readonly onDone: (w: LocalWatcher) => void,
  ) {
    this.next = fromRevision;
  }

  /** Queues the events of committed revisions (in order) that this watcher wants. */
  offer(revs: readonly RevisionEvents[]): void {
    if (this.closed || this.ending) return;
    for (const r of revs) {
      if (r.revision < this.next) continue;
      const events = this.prefix === '' ? r.events : r.events.filter((e) => e.kv.key.startsWith(this.prefix));
      if (events.length > 0) this.queue.push({ events, revision: r.revision });
      this.next = r.revision + 1;
    }
    this.schedule();
  }

  /** Ends the watch: batches already queued are delivered, then onError(err) once. */
  end(err: StoreError): void {
    if (this.closed || this.ending) return;
    this.ending = err;
    this.onDone(this);
    this.schedule(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.qhead = 0;
    this.onDone(this);
  }

  private schedule(always = false): void {
    if (this.scheduled || (!always && this.qhead >= this.queue.length)) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    while (!this.closed && this.qhead < this.queue.length) {
      const batch = this.queue[this.qhead++]!;
      try {
        this.handlers.onBatch(batch);
      } catch (e) {
        rethrowLater(e);
      }
    }
    this.queue = [];
    this.qhead = 0;
    if (this.ending && !this.closed) {
      this.closed = true;
      try {
        this.handlers.onError?.(this.ending);
      } catch (e) {
        rethrowLater(e);
      }
    }
  }
}
