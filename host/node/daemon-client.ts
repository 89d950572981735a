// The library side of the daemon's push channel (host/node/frames.ts): connects to the local RIB
// daemon, says hello (client and services), and swaps every miniRIB it receives into a Router
// (an atomic update: a refused miniRIB leaves the old data in force and is reported). A dropped
// connection is retried with backoff; on reconnect the daemon sends the current data at once.
// Cost: one router.update() per push (the core validates and derives: O(the client's miniRIB)).
// Used by: host/node/mesh.ts, the SRLib client of issue 6, tests.
import { createConnection, type Socket } from 'node:net';
import { createRouter } from '../../bindings/index.js';
import type { ClientModel } from '../../bindings/model.js';
import type { CoreKind, Router } from '../../bindings/router.js';
import { FRAME_ERROR, FRAME_HELLO, FRAME_RIB, FRAME_SUBSCRIBE, FrameReader, jsonFrame, parseRib, type RibMeta } from './frames.js';

export interface DaemonRouterOptions {
  /** The daemon's Unix socket path. */
  socket: string;
  client: ClientModel;
  services: string[];
  core?: CoreKind;
  /** Wait at most this long for the first miniRIB (default 10 s). */
  timeoutMs?: number;
  /** Called after each miniRIB swapped in. */
  onUpdate?: (meta: RibMeta) => void;
  /** Called for daemon errors (refused data, unknown region) and refused updates; routing goes on. */
  onError?: (err: { code: string; message: string }) => void;
  /**
   * Applied to each miniRIB before it is swapped in (the SRLib client marks its locally ejected
   * servers down this way); `rib` keeps the daemon's bytes as they came.
   */
  transform?: (rib: Uint8Array, meta: RibMeta) => Uint8Array;
}

export interface DaemonRouter {
  router: Router;
  /** The meta of the miniRIB in force (addresses, policies, generation, revision). */
  readonly meta: RibMeta;
  /** The miniRIB in force as the daemon sent it (before `transform`). */
  readonly rib: Uint8Array;
  /** Swaps the current miniRIB in again through `transform` (after the transform's inputs changed). */
  reapply(): void;
  /** Adds services (the daemon reads them lazily and pushes a new miniRIB). */
  subscribe(services: string[]): void;
  readonly connected: boolean;
  close(): void;
}

export async function connectDaemon(opts: DaemonRouterOptions): Promise<DaemonRouter> {
  const services = new Set(opts.services);
  let router: Router | undefined;
  let meta: RibMeta | undefined;
  let raw: Uint8Array | undefined;
  let socket: Socket | undefined;
  let connected = false;
  let closed = false;
  let delay = 50;
  let timer: NodeJS.Timeout | undefined;

  let resolveFirst!: () => void, rejectFirst!: (e: Error) => void;
  const first = new Promise<void>((res, rej) => { resolveFirst = res; rejectFirst = rej; });
  const deadline = setTimeout(() => rejectFirst(new Error(`no miniRIB from the daemon at ${opts.socket} within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
  // swaps are serialized: a push that arrives while the first router is being created waits for it
  let chain = Promise.resolve();

  const onRib = (m: RibMeta, rib: Uint8Array): Promise<void> => (chain = chain.then(async () => {
    if (router && meta && m.generation <= meta.generation) return; // never go back
    try {
      const data = opts.transform ? opts.transform(rib, m) : rib;
      if (!router) router = await createRouter({ rib: data, core: opts.core });
      else router.update(data);
      raw = rib;
      // a partial meta lists only the services that changed; keep the rest
      meta = m.full || !meta ? m : { ...m, services: { ...meta.services, ...m.services } };
      resolveFirst();
      opts.onUpdate?.(meta);
    } catch (err) {
      opts.onError?.({ code: 'UPDATE_REFUSED', message: `miniRIB generation ${m.generation} refused by the core: ${(err as Error).message}` });
      // start over on a new connection: its first miniRIB comes with the full meta
      socket?.destroy();
    }
  }));

  const connect = (): void => {
    if (closed) return;
    const s = createConnection(opts.socket);
    socket = s;
    const reader = new FrameReader();
    s.on('connect', () => {
      connected = true;
      // the daemon's first miniRIB on a connection is full; generations from a restarted daemon
      // still only grow (they are microsecond timestamps at least)
      delay = 50;
      s.write(jsonFrame(FRAME_HELLO, { client: opts.client, services: [...services] }));
    });
    s.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (type, payload) => {
          if (type === FRAME_RIB) {
            const { meta: m, rib } = parseRib(payload);
            void onRib(m, rib);
          } else if (type === FRAME_ERROR) {
            opts.onError?.(JSON.parse(payload.toString('utf8')) as { code: string; message: string });
          }
        });
      } catch (err) {
        opts.onError?.({ code: 'BAD_FRAME', message: (err as Error).message });
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      connected = false;
      if (closed) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 1000);
    });
  };
  connect();
  try {
    await first;
  } catch (err) {
    closed = true;
    socket?.destroy();
    throw err;
  } finally {
    clearTimeout(deadline);
  }

  return {
    get router() { return router!; },
    get meta() { return meta!; },
    get rib() { return raw!; },
    reapply() {
      if (router && raw && meta) router.update(opts.transform ? opts.transform(raw, meta) : raw);
    },
    get connected() { return connected; },
    subscribe(names: string[]) {
      const added = names.filter((n) => !services.has(n));
      for (const n of added) services.add(n);
      if (added.length > 0 && connected) socket?.write(jsonFrame(FRAME_SUBSCRIBE, { services: added }));
    },
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.destroy();
    },
  };
}
