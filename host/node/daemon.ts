// The RIB daemon (`ringroute daemon`, one per machine): follows one tenant's RIB (through the
// control server, or etcd directly), keeps only the services its local clients ask for (lazily:
// a service is read the first time a client names it), builds each client's miniRIB with the
// encoder, and pushes it on the frame channel of host/node/frames.ts. It caches what it carries
// on disk (one file per service and a meta file, each written atomically), so a restart with the
// RIB unreachable still serves the last good data; on reconnect it resumes the watch from the
// cached revision, or re-reads everything if the store no longer has that history.
//
// Cost of a change: O(events) to apply; per changed service one model rebuild (O(its servers +
// shards)); per client that carries it one encode (O(the client's servers)) and one write. A
// client never gets half a change: one watch batch (whole revisions) → at most one push.
// Called by: host/node/cli.ts (`ringroute daemon`), host/node/mesh.ts, tests.
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, openSync, fsyncSync, closeSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeMiniRib } from '../../bindings/encoder.js';
import { errorName, RingrouteError } from '../../bindings/errors.js';
import { type ClientModel, validateModel } from '../../bindings/model.js';
import * as K from '../../control/rib.js';
import type { ServicePolicy } from '../../control/config.js';
import * as S from '../../control/schema.js';
import { StoreError, type RibStore, type WatchEvent, type Watcher } from '../../control/store/types.js';
import { type BuiltService, RibView, type ServiceState } from '../../control/view.js';
import { FRAME_ERROR, FRAME_HELLO, FRAME_SUBSCRIBE, FrameReader, jsonFrame, ribFrame, type RibMeta } from './frames.js';

export interface DaemonOptions {
  store: RibStore;
  tenant: string;
  /** Unix socket path the libraries connect to. */
  socket: string;
  /** Directory of the on-disk cache. */
  cacheDir: string;
  /** Called after each applied change and every `reportMs` (the control server's daemon list). */
  report?: (r: { revision: number; clients: number; services: number }) => Promise<void>;
  reportMs?: number;
  log?: (line: string) => void;
}

export interface DaemonStatus {
  tenant: string;
  /** Last store revision applied and pushed. */
  revision: number;
  generation: number;
  clients: number;
  services: number;
  /** True while a watch on the store is open and caught up at least once. */
  synced: boolean;
  /** Pushes sent, encode failures. */
  pushes: number;
  encodeErrors: number;
  /** The last flush: how many clients got a new miniRIB, and the ms it took to build and send them. */
  lastFlush: { clients: number; ms: number };
  lastError?: string;
}

const hello = S.object({
  client: S.object({ id: S.string({ min: 1, max: 256 }), region: K.regionName, seed: S.optional(S.int({ min: 0, max: 0xffffffff })) }),
  services: S.array(K.serviceName, { max: 100_000 }),
});
const subscribe = S.object({ services: S.array(K.serviceName, { min: 1, max: 100_000 }) });

interface Client {
  socket: Socket;
  model?: ClientModel;
  services: Set<string>;
  dirty: boolean;
  /** Generation of the last miniRIB sent. */
  sent: number;
  /** Per service, the built model last sent: a service whose model is the same object is left out of the next meta. */
  sentBuilt: Map<string, BuiltService>;
  lastError?: string;
}

interface CacheMeta {
  format: 1;
  tenant: string;
  revision: number;
  generation: number;
  latencyAt: number;
  latency?: K.LatencyRecord;
}

const RETRY_MIN_MS = 100, RETRY_MAX_MS = 2000;

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export class RibDaemon {
  readonly view: RibView;
  private server!: Server;
  private clients = new Set<Client>();
  /** Services being read for the first time: their events are held until the read is in. */
  private loading = new Map<string, { events: WatchEvent[]; done: Promise<void> }>();
  private watcher?: Watcher;
  private revision = 0;
  private generation = 0;
  private synced = false;
  private closed = false;
  private pushes = 0;
  private encodeErrors = 0;
  private lastFlush = { clients: 0, ms: 0 };
  private reporting = false;
  private reportAgain = false;
  private lastError?: string;
  private flushScheduled = false;
  private dirtyServices = new Set<string>();
  private cacheTimer?: NodeJS.Timeout;
  private reportTimer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  /** True until the first attempt to reach the store has ended: clients wait rather than hear "no data". */
  private firstSync = true;
  /** Resolvers waiting for a revision to be applied and pushed (tests, drain). */
  private waiters: { revision: number; resolve: () => void }[] = [];

  private constructor(readonly opts: DaemonOptions) {
    this.view = new RibView(opts.tenant);
  }

  static async start(opts: DaemonOptions): Promise<RibDaemon> {
    const d = new RibDaemon(opts);
    d.loadCache();
    await d.listen();
    d.sync();
    if (opts.report) {
      d.reportTimer = setInterval(() => d.report(), opts.reportMs ?? 2000);
      d.reportTimer.unref();
    }
    return d;
  }

  status(): DaemonStatus {
    return {
      tenant: this.opts.tenant, revision: this.revision, generation: this.generation, clients: this.clients.size,
      services: this.view.services.size, synced: this.synced, pushes: this.pushes, encodeErrors: this.encodeErrors, lastFlush: this.lastFlush,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Resolves once the daemon has applied and pushed store revision `revision` (or later). */
  reached(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  private log(line: string): void {
    this.opts.log?.(`daemon: ${line}`);
  }

  // ---- the on-disk cache -------------------------------------------------------------------

  private cachePath(...parts: string[]): string {
    return join(this.opts.cacheDir, ...parts);
  }

  private loadCache(): void {
    mkdirSync(this.cachePath('svc'), { recursive: true });
    const metaFile = this.cachePath('meta.json');
    if (!existsSync(metaFile)) return;
    try {
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CacheMeta;
      if (meta.format !== 1 || meta.tenant !== this.opts.tenant) {
        this.log(`cache in ${this.opts.cacheDir} is for tenant "${meta.tenant}" (format ${meta.format}): ignored`);
        return;
      }
      this.revision = meta.revision;
      this.generation = meta.generation;
      this.view.latency = meta.latency;
      this.view.latencyAt = meta.latencyAt;
      for (const f of readdirSync(this.cachePath('svc'))) {
        if (!f.endsWith('.json')) continue;
        const s = JSON.parse(readFileSync(this.cachePath('svc', f), 'utf8')) as { name: string; loadedAt: number; servers: K.ServerRecord[]; shards?: K.ShardsRecord; policy?: ServicePolicy; spill?: K.SpillRecord };
        const state: ServiceState = {
          name: s.name, servers: new Map(s.servers.map((r) => [r.id, r])), loadedAt: s.loadedAt, version: 1,
          ...(s.shards ? { shards: s.shards } : {}), ...(s.policy ? { policy: s.policy } : {}), ...(s.spill ? { spill: s.spill } : {}),
        };
        this.view.services.set(s.name, state);
      }
      this.log(`cache: ${this.view.services.size} services at revision ${this.revision}${this.view.latency ? "" : ", no latency matrix"}`);
    } catch (err) {
      // a damaged cache is not fatal: the store is the truth; start empty
      this.log(`cache in ${this.opts.cacheDir} unreadable (${(err as Error).message}): starting without it`);
      this.view.services.clear();
      this.revision = 0;
    }
  }

  private scheduleCacheWrite(services: Iterable<string>): void {
    for (const s of services) this.dirtyServices.add(s);
    if (this.cacheTimer) return;
    this.cacheTimer = setTimeout(() => {
      this.cacheTimer = undefined;
      this.writeCache();
    }, 50);
  }

  /** Service files first, then meta (whose revision promises the files are at least that new). */
  private writeCache(): void {
    try {
      for (const name of this.dirtyServices) {
        const s = this.view.services.get(name);
        const file = this.cachePath('svc', `${name}.json`);
        if (!s) {
          if (existsSync(file)) unlinkSync(file);
          continue;
        }
        writeAtomic(file, JSON.stringify({ name, loadedAt: s.loadedAt, servers: [...s.servers.values()], shards: s.shards, policy: s.policy, spill: s.spill }));
      }
      this.dirtyServices.clear();
      const meta: CacheMeta = { format: 1, tenant: this.opts.tenant, revision: this.revision, generation: this.generation, latencyAt: this.view.latencyAt, latency: this.view.latency };
      writeAtomic(this.cachePath('meta.json'), JSON.stringify(meta));
    } catch (err) {
      this.lastError = `cache write: ${(err as Error).message}`;
      this.log(this.lastError);
    }
  }

  // ---- following the store -----------------------------------------------------------------

  private sync(): void {
    if (this.closed || this.syncing) return;
    this.syncing = (async () => {
      let delay = RETRY_MIN_MS;
      while (!this.closed) {
        try {
          await this.watcher?.close();
          this.watcher = undefined;
          if (this.revision > 0 && this.view.latency) {
            await this.watchFrom(this.revision + 1);
            // services asked for while the store was unreachable
            const missing = [...this.wanted()].filter((n) => !this.view.services.has(n));
            if (missing.length > 0) {
              await this.ensureServices(missing);
              this.markAllDirty();
            }
          } else {
            await this.resync();
          }
          return;
        } catch (err) {
          if (this.firstSync) {
            this.firstSync = false;
            this.markAllDirty(); // tell waiting clients there is no data yet
          }
          this.synced = false;
          this.lastError = err instanceof Error ? err.message : String(err);
          this.log(`store: ${this.lastError}; retrying in ${delay} ms (serving cached data)`);
          await new Promise((r) => { this.retry = setTimeout(r, delay); });
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        }
      }
    })().finally(() => {
      this.syncing = undefined;
      this.firstSync = false;
    });
  }

  /** Re-reads the latency matrix and every carried service, then watches from before the reads. */
  private async resync(): Promise<void> {
    const { store, tenant } = this.opts;
    const r0 = await store.revision();
    const lat = await store.range(K.latencyKey(tenant));
    this.view.loadLatency(lat.kvs.find((kv) => kv.key === K.latencyKey(tenant)), lat.revision);
    const names = new Set([...this.view.services.keys(), ...this.wanted()]);
    for (const name of names) {
      const r = await store.range(K.servicePrefix(tenant, name));
      this.view.loadService(name, r.kvs, r.revision);
    }
    this.scheduleCacheWrite(names);
    await this.watchFrom(r0 + 1);
    this.markAllDirty();
    this.advance(Math.max(r0, lat.revision));
  }

  private async watchFrom(from: number): Promise<void> {
    this.watcher = await this.opts.store.watch(K.tenantPrefix(this.opts.tenant), from, {
      onBatch: (b) => this.onBatch(b.events, b.revision),
      onError: (e: StoreError) => {
        this.synced = false;
        this.lastError = `watch: ${e.code} ${e.message}`;
        this.log(this.lastError);
        if (e.code === 'COMPACTED') this.revision = 0; // re-read everything
        if (!this.closed) {
          void this.watcher?.close();
          this.watcher = undefined;
          setTimeout(() => this.sync(), RETRY_MIN_MS).unref();
        }
      },
    });
    this.synced = true;
  }

  private onBatch(events: WatchEvent[], revision: number): void {
    for (const e of events) {
      const k = K.parseServiceKey(this.opts.tenant, e.kv.key);
      if (k) this.loading.get(k.service)?.events.push(e);
    }
    const changed = this.view.apply(events);
    if (changed.latency) this.markAllDirty();
    else if (changed.services.size > 0) {
      for (const c of this.clients) {
        for (const s of changed.services) {
          if (c.services.has(s)) {
            c.dirty = true;
            break;
          }
        }
      }
    }
    this.scheduleCacheWrite(changed.services);
    this.advance(revision);
  }

  private advance(revision: number): void {
    if (revision > this.revision) this.revision = revision;
    this.scheduleFlush();
  }

  private wanted(): Set<string> {
    const out = new Set<string>();
    for (const c of this.clients) for (const s of c.services) out.add(s);
    return out;
  }

  /** Reads services not carried yet (lazily, on a client's first ask). */
  private async ensureServices(names: string[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const name of names) {
      if (this.view.services.has(name)) continue;
      const inflight = this.loading.get(name);
      if (inflight) {
        waits.push(inflight.done);
        continue;
      }
      const entry = { events: [] as WatchEvent[], done: Promise.resolve() };
      entry.done = (async () => {
        try {
          const r = await this.opts.store.range(K.servicePrefix(this.opts.tenant, name));
          this.view.loadService(name, r.kvs, r.revision);
          // events that arrived while the read was in flight: apply() drops those ≤ loadedAt
          this.view.apply(entry.events);
          this.scheduleCacheWrite([name]);
        } catch (err) {
          // store unreachable: the service stays unknown (empty) until the next resync reads it
          this.lastError = `reading service "${name}": ${(err as Error).message}`;
          this.log(this.lastError);
        } finally {
          this.loading.delete(name);
        }
      })();
      this.loading.set(name, entry);
      waits.push(entry.done);
    }
    await Promise.all(waits);
  }

  // ---- pushing to clients ------------------------------------------------------------------

  private markAllDirty(): void {
    for (const c of this.clients) c.dirty = true;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const t0 = performance.now();
      const before = this.pushes;
      for (const c of this.clients) if (c.dirty) this.push(c);
      if (this.pushes > before) this.lastFlush = { clients: this.pushes - before, ms: performance.now() - t0 };
      const due = this.waiters.filter((w) => w.revision <= this.revision);
      this.waiters = this.waiters.filter((w) => w.revision > this.revision);
      for (const w of due) w.resolve();
      this.report();
    });
  }

  private nextGeneration(): number {
    // microseconds since the epoch, or one more than the last: grows across restarts even without a cache
    this.generation = Math.max(this.generation + 1, Date.now() * 1000);
    return this.generation;
  }

  /** Encodes and sends a client's miniRIB; on failure sends an error frame and keeps the last good data. */
  private push(c: Client): void {
    if (!c.model || c.socket.destroyed) return;
    if (c.socket.writableNeedDrain) return; // still dirty: pushed on 'drain', only the newest data
    c.dirty = false;
    const lat = this.view.latency;
    if (!lat && this.firstSync) {
      c.dirty = true; // pushed when the first sync ends
      return;
    }
    if (!lat) {
      this.sendError(c, 'NO_DATA', `no latency matrix for tenant "${this.opts.tenant}" yet (RIB ${this.synced ? 'empty' : 'unreachable, no cache'})`);
      return;
    }
    if (!lat.regions.includes(c.model.region)) {
      this.sendError(c, 'CLIENT_REGION', `client region "${c.model.region}" is not in the latency matrix (regions: ${lat.regions.join(', ')})`);
      return;
    }
    const names = [...c.services].sort();
    const built = names.map((n) => this.view.build(n, c.model!.region));
    // each service was checked when its model was built; the client's own fields are checked here
    const broken = built.find((b) => b.error);
    if (broken) {
      this.encodeErrors++;
      this.sendError(c, 'MODEL', `miniRIB not built, keeping the last good one: ${broken.error}`);
      return;
    }
    let rib: Uint8Array;
    const generation = this.nextGeneration();
    try {
      validateModel({ regions: lat.regions, rtt_us: lat.rtt_us, services: [] }, c.model);
      rib = encodeMiniRib({ regions: lat.regions, rtt_us: lat.rtt_us, services: built.map((b) => b.model) }, c.model, { generation, check: false });
    } catch (err) {
      this.encodeErrors++;
      const code = err instanceof RingrouteError ? errorName(err.code) : 'ENCODE';
      this.sendError(c, code, `miniRIB refused, keeping the last good one: ${(err as Error).message}`);
      return;
    }
    const full = c.sent === 0;
    const meta: RibMeta = { generation, revision: this.revision, services: {}, full };
    names.forEach((n, i) => {
      const b = built[i];
      if (!full && c.sentBuilt.get(n) === b) return;
      c.sentBuilt.set(n, b);
      const policy = this.view.services.get(n)?.policy;
      meta.services[n] = { addresses: b.addresses, rings: b.rings, ...(policy ? { policy } : {}), ...(b.warnings.length ? { warnings: b.warnings } : {}) };
    });
    c.sent = generation;
    c.lastError = undefined;
    this.pushes++;
    c.socket.write(ribFrame(meta, rib));
  }

  private sendError(c: Client, code: string, message: string): void {
    if (c.lastError === message) return;
    c.lastError = message;
    if (!c.socket.destroyed) c.socket.write(jsonFrame(FRAME_ERROR, { code, message }));
  }

  /**
   * Reports the revision pushed (after each flush and on a timer). One report at a time: flushes
   * while one is in flight are folded into a single report of the newest revision when it returns.
   */
  private report(): void {
    if (!this.opts.report) return;
    if (this.reporting) {
      this.reportAgain = true;
      return;
    }
    this.reporting = true;
    this.opts.report({ revision: this.revision, clients: this.clients.size, services: this.view.services.size })
      .catch(() => undefined)
      .finally(() => {
        this.reporting = false;
        if (this.reportAgain && !this.closed) {
          this.reportAgain = false;
          this.report();
        }
      });
  }

  // ---- the socket --------------------------------------------------------------------------

  private async listen(): Promise<void> {
    const path = this.opts.socket;
    if (existsSync(path)) {
      // a live daemon answers; a stale socket file (crashed daemon) refuses: remove it
      const live = await new Promise<boolean>((resolve) => {
        const s = createConnection(path);
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
      });
      if (live) throw new Error(`another daemon is listening on ${path}`);
      unlinkSync(path);
    }
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => resolve());
    });
  }

  private accept(socket: Socket): void {
    const c: Client = { socket, services: new Set(), dirty: false, sent: 0, sentBuilt: new Map() };
    this.clients.add(c);
    const reader = new FrameReader();
    socket.on('drain', () => { if (c.dirty) this.push(c); });
    socket.on('close', () => this.clients.delete(c));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (type, payload) => this.onFrame(c, type, payload));
      } catch (err) {
        this.sendError(c, 'BAD_FRAME', (err as Error).message);
        socket.end();
      }
    });
  }

  private onFrame(c: Client, type: number, payload: Buffer): void {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      this.sendError(c, 'BAD_FRAME', `frame is not JSON: ${(err as Error).message}`);
      return;
    }
    try {
      if (type === FRAME_HELLO) {
        if (c.model) throw new S.SchemaError('hello', 'sent twice on one connection');
        const h = hello.check(body, 'hello');
        c.model = { id: h.client.id, region: h.client.region, ...(h.client.seed !== undefined ? { seed: h.client.seed } : {}) };
        this.addServices(c, h.services);
      } else if (type === FRAME_SUBSCRIBE) {
        if (!c.model) throw new S.SchemaError('subscribe', 'send hello first');
        this.addServices(c, subscribe.check(body, 'subscribe').services);
      } else {
        throw new S.SchemaError('frame', `unknown frame type 0x${type.toString(16)}`);
      }
    } catch (err) {
      this.sendError(c, 'BAD_REQUEST', (err as Error).message);
    }
  }

  private addServices(c: Client, names: string[]): void {
    for (const n of names) c.services.add(n);
    void this.ensureServices(names).then(() => {
      c.dirty = true;
      this.scheduleFlush();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.reportTimer);
    if (this.cacheTimer) {
      clearTimeout(this.cacheTimer);
      this.cacheTimer = undefined;
      this.writeCache();
    }
    await this.watcher?.close();
    for (const c of this.clients) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
