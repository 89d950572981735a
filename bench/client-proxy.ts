// A router of the cost experiment (bench/client.ts) in its own process, as it would run beside
// (sidecar) or away from (remote proxy) the application: connect() over a static RIB, then
// startProxy({kind}). Driven over IPC: start {kind, client, rib, addresses, policies} → {url};
// cpu → process.cpuUsage(); stats → the mesh client's counters.
import { connect, type Mesh } from '../host/node/client.js';
import { startProxy, type ProxyKind } from '../host/node/proxy.js';
import type { ConnectOptions } from '../host/node/client.js';
import { serveParent } from './client-util.js';

let mesh: Mesh | undefined;

serveParent({
  async start(m) {
    mesh = await connect({
      client: m.client as ConnectOptions['client'],
      rib: m.rib as ConnectOptions['rib'],
      addresses: m.addresses as ConnectOptions['addresses'],
      policies: m.policies as ConnectOptions['policies'],
    });
    const proxy = await startProxy({ kind: m.kind as ProxyKind, mesh });
    proxy.server.maxRequestsPerSocket = 0;
    return { url: proxy.url };
  },
  cpu() {
    return process.cpuUsage();
  },
  stats() {
    return { ...mesh?.stats };
  },
});
