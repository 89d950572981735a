// The RIB daemon feeding a shared router: one connection to the daemon for the whole process,
// every miniRIB it pushes published once for every worker thread (bindings/shared.ts). A pushed
// miniRIB the shared router refuses is reported and the workers keep the old data.
// Cost per push: one validation and build in a free slot (the publisher's work), one atomic store.
// Used by: Node services with worker threads (README, "Worker threads").
import { createSharedRouter } from '../../bindings/index.js';
import type { SharedRouter, SharedRouterOptions } from '../../bindings/shared.js';
import { connectDaemon, type DaemonRouterOptions } from './daemon-client.js';
import type { RibMeta } from './frames.js';

export interface SharedDaemonOptions extends Omit<DaemonRouterOptions, 'core' | 'transform' | 'onUpdate'> {
  /** Shared-router options besides the data (threads, journal, memory). */
  shared?: Omit<SharedRouterOptions, 'rib' | 'client'>;
  onUpdate?: (meta: RibMeta) => void;
}

export interface SharedDaemonRouter {
  shared: SharedRouter;
  /** The meta of the data in force (addresses, policies). */
  readonly meta: RibMeta;
  close(): void;
}

/** Connects to the daemon and keeps one shared router current for every worker thread. */
export async function connectSharedDaemon(opts: SharedDaemonOptions): Promise<SharedDaemonRouter> {
  let shared: SharedRouter | undefined;
  // the daemon client's own (single-threaded) router validates each push first: a push it
  // refuses never reaches the shared router
  const d = await connectDaemon({
    ...opts,
    onUpdate: (m) => {
      if (shared) {
        try {
          shared.update(d.rib);
        } catch (err) {
          opts.onError?.({ code: 'SHARED_UPDATE_REFUSED', message: (err as Error).message });
          return;
        }
      }
      opts.onUpdate?.(m);
    },
  });
  shared = await createSharedRouter({ ...(opts.shared ?? {}), rib: d.rib });
  // a push that arrived while the shared router was being made
  if (shared.generation !== d.router.generation) shared.update(d.rib);
  return {
    shared,
    get meta() { return d.meta; },
    close() { d.close(); },
  };
}
