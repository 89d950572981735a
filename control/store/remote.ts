// A read-and-watch view of a control server's RIB store over HTTP (GET /v1/tenants/:t/rib and its
// NDJSON /rib/watch stream), so a RIB daemon on another machine (or process) follows the RIB the
// same way whatever the backend behind the control server is. Writes are refused: they go through
// the controllers, which validate them. A dropped stream is reopened from the last delivered
// revision + 1 (events at or below it are dropped), so nothing is missed or repeated; a stream
// silent for longer than three heartbeats counts as dropped.
// Cost: one HTTP request per read; one long-lived request per watch. Used by host/node/daemon.ts.
import { Agent, request } from 'undici';
import { StoreError, type KeyValue, type RangeResult, type RibStore, type TxnResult, type WatchBatch, type WatchHandlers, type Watcher } from './types.js';

export interface RemoteStoreOptions {
  /** The control server, e.g. http://127.0.0.1:7070 */
  url: string;
  token: string;
  tenant: string;
  /** Per-request timeout for reads, ms (default 5000). */
  timeoutMs?: number;
  /** First reconnect delay, ms (default 100; doubles up to 2000). */
  retryMs?: number;
}

const SILENCE_MS = 15_000;

export function openRemoteStore(opts: RemoteStoreOptions): RibStore {
  const base = `${opts.url.replace(/\/$/, '')}/v1/tenants/${encodeURIComponent(opts.tenant)}`;
  const tenantPrefix = `rr/${opts.tenant}/`;
  const headers = { authorization: `Bearer ${opts.token}` };
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  const timeout = opts.timeoutMs ?? 5000;
  let closed = false;
  const watchers = new Set<{ close(): Promise<void> }>();

  const relative = (prefix: string): string => {
    if (!prefix.startsWith(tenantPrefix)) {
      throw new StoreError('INVALID', `key "${prefix}" is outside tenant "${opts.tenant}" (${tenantPrefix}…)`);
    }
    return prefix.slice(tenantPrefix.length);
  };

  async function getJson<T>(path: string): Promise<T> {
    if (closed) throw new StoreError('CLOSED', 'remote store is closed');
    let res;
    try {
      res = await request(`${base}${path}`, { headers, dispatcher, headersTimeout: timeout, bodyTimeout: timeout });
    } catch (err) {
      throw new StoreError('UNAVAILABLE', `control server ${opts.url}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch { /* keep the raw text */ }
      throw new StoreError(res.statusCode >= 500 ? 'UNAVAILABLE' : 'INVALID', `control server ${opts.url}: ${res.statusCode} ${msg}`);
    }
    return JSON.parse(text) as T;
  }

  const readOnly = (): never => {
    throw new StoreError('INVALID', 'the remote store is a read-only view: write through the control server API');
  };

  const store: RibStore = {
    kind: 'remote',
    async get(key: string): Promise<KeyValue | undefined> {
      const r = await getJson<RangeResult>(`/rib?prefix=${encodeURIComponent(relative(key))}`);
      return r.kvs.find((kv) => kv.key === key);
    },
    async range(prefix: string): Promise<RangeResult> {
      return getJson<RangeResult>(`/rib?prefix=${encodeURIComponent(relative(prefix))}`);
    },
    put: async () => readOnly(),
    delete: async () => readOnly(),
    txn: async (): Promise<TxnResult> => readOnly(),
    async revision(): Promise<number> {
      return (await getJson<{ revision: number }>('/rib/revision')).revision;
    },
    async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watcher> {
      const rel = relative(prefix);
      let next = fromRevision;
      let stopped = false;
      let abort = new AbortController();
      let delay = opts.retryMs ?? 100;
      let silence: NodeJS.Timeout | undefined;

      const deliver = (b: WatchBatch): void => {
        const events = b.events.filter((e) => e.kv.modRevision >= next);
        if (events.length > 0) {
          next = events[events.length - 1].kv.modRevision + 1;
          handlers.onBatch({ events, revision: b.revision });
        }
      };

      const loop = async (): Promise<void> => {
        while (!stopped) {
          abort = new AbortController();
          const arm = (): void => {
            clearTimeout(silence);
            silence = setTimeout(() => abort.abort(new Error('watch stream silent')), SILENCE_MS);
          };
          try {
            const res = await request(`${base}/rib/watch?prefix=${encodeURIComponent(rel)}&from=${next}`, {
              headers, dispatcher, signal: abort.signal, headersTimeout: timeout, bodyTimeout: 0,
            });
            if (res.statusCode !== 200) {
              const text = await res.body.text();
              if (res.statusCode < 500) {
                stopped = true;
                handlers.onError?.(new StoreError('INVALID', `watch refused: ${res.statusCode} ${text}`));
                return;
              }
              throw new Error(`${res.statusCode} ${text}`);
            }
            delay = opts.retryMs ?? 100;
            arm();
            let buf = '';
            for await (const chunk of res.body) {
              arm();
              buf += (chunk as Buffer).toString('utf8');
              let nl: number;
              while ((nl = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 1);
                if (!line || stopped) continue;
                const msg = JSON.parse(line) as WatchBatch & { heartbeat?: boolean; error?: { code: string; message: string } };
                if (msg.heartbeat) continue;
                if (msg.error) {
                  stopped = true;
                  handlers.onError?.(new StoreError(msg.error.code === 'COMPACTED' ? 'COMPACTED' : 'UNAVAILABLE', msg.error.message));
                  return;
                }
                deliver(msg);
              }
            }
          } catch {
            // dropped: reconnect below
          } finally {
            clearTimeout(silence);
          }
          if (stopped || closed) return;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 2000);
        }
      };
      const done = loop();
      const w = {
        async close() {
          stopped = true;
          abort.abort();
          watchers.delete(w);
          await done.catch(() => undefined);
        },
      };
      watchers.add(w);
      return w;
    },
    async close() {
      closed = true;
      await Promise.all([...watchers].map((w) => w.close()));
      await dispatcher.close();
    },
  };
  return store;
}
