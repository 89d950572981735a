// Part 3 of bench/client.ts: connection reuse. 1,000 HTTP listeners in one child process (each
// reporting its load, as ringroute servers do: withLoadReporting); many
// mesh clients (different ids, so different rendezvous subsets) share N requests, with `subset:
// 20` and without a subset (pick-2 over all 1,000), with the default load policy (adaptive) and
// with load mode outstanding (no polls). New connections = the sum of every client's
// mesh.stats.newConnections (undici 'connect' events), checked against the connections the
// servers accepted. Clients run a batch at a time and close their pools after their share, which
// keeps the open sockets under the file-descriptor limit; a client's count does not depend on it.
import type { RibModel } from '../bindings/model.js';
import { connect, type ConnectOptions } from '../host/node/client.js';
import { closedLoop, startChild } from './client-util.js';

export interface ReuseOptions {
  servers: number;
  clients: number;
  requests: number;
  concurrency: number;
  batch: number;
  subsets: (number | null)[];
  /** Load policies to run each subset with: 'default' (the client's default: adaptive) or a mode. */
  loadModes: string[];
  log: (s: string) => void;
}

export interface ReuseRow {
  subset: number | null;
  loadMode: string;
  polls: number;
  pollFailures: number;
  newConnections: number;
  accepted: number;
  requests: number;
  seconds: number;
  /** Distinct servers a client talked to, mean over clients. */
  serversPerClient: number;
}

export async function runReuse(o: ReuseOptions): Promise<{ opts: Omit<ReuseOptions, 'log'>; rows: ReuseRow[] }> {
  const servers = startChild('./client-servers.js');
  try {
    const { ports } = await servers.call<{ ports: number[] }>('plain', { count: o.servers, bodyBytes: 64, report: true });
    const ids = ports.map((_, i) => `s${i}`);
    const addresses = { svc: Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`])) };
    const rows: ReuseRow[] = [];
    const perClient = Math.ceil(o.requests / o.clients);
    for (const loadMode of o.loadModes) for (const subset of o.subsets) {
      const policies = loadMode === 'default' ? undefined : { svc: { load: { mode: loadMode, staleness_ms: 1000 } } } as unknown as ConnectOptions['policies'];
      const rib: RibModel = {
        regions: ['local'], rtt_us: [[100]],
        services: [{ name: 'svc', ...(subset !== null ? { subset } : {}), servers: ids.map((id) => ({ id, region: 'local' })) }],
      };
      const a0 = (await servers.call<{ accepted: number }>('conns')).accepted;
      const t0 = performance.now();
      let newConnections = 0, requests = 0, distinct = 0, polls = 0, pollFailures = 0;
      for (let b = 0; b < o.clients; b += o.batch) {
        const batch = Array.from({ length: Math.min(o.batch, o.clients - b) }, (_, k) => b + k);
        await Promise.all(batch.map(async (c) => {
          const mesh = await connect({ client: { id: `app-${c}`, region: 'local', seed: c + 1 }, rib, addresses, policies });
          const seen = new Set<string>();
          try {
            await closedLoop(perClient, o.concurrency, async () => {
              const r = await mesh.request('svc', { path: '/' });
              if (r.status !== 200) throw new Error(`reuse: ${r.status}`);
              seen.add(r.server);
            });
          } finally {
            newConnections += mesh.stats.newConnections;
            requests += mesh.stats.requests;
            polls += mesh.stats.polls;
            pollFailures += mesh.stats.pollFailures;
            distinct += seen.size;
            await mesh.close();
          }
        }));
      }
      const seconds = (performance.now() - t0) / 1000;
      // the servers see a connection once it is accepted: give the last ones a moment
      await new Promise((r) => setTimeout(r, 100));
      const accepted = (await servers.call<{ accepted: number }>('conns')).accepted - a0;
      const row: ReuseRow = { subset, loadMode, polls, pollFailures, newConnections, accepted, requests, seconds, serversPerClient: distinct / o.clients };
      rows.push(row);
      o.log(`  load ${loadMode}, subset ${subset ?? 'off'}: ${newConnections} new connections (servers accepted ${accepted}) for ${requests} requests, ${polls} polls (${pollFailures} failed), ${row.serversPerClient.toFixed(0)} servers per client, ${seconds.toFixed(1)} s`);
    }
    const { log: _log, ...opts } = o;
    return { opts, rows };
  } finally {
    await servers.stop();
  }
}
