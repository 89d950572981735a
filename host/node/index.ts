// ringroute for Node: everything of the runtime-neutral entry (bindings/index.ts: routers, the
// shared router, the encoder) plus the Node-only mesh client (SRLib: connect()), its routers
// (sidecar, remote proxy, lookaside), the daemon client and metrics. package.json's `exports`
// maps `ringroute` to this file under the `node` condition; Deno and Bun get bindings/index.js.
export * from '../../bindings/index.js';
export { connect, Mesh, MeshError } from './client.js';
export type { AttemptInfo, ConnectOptions, MeshRequest, MeshResponse } from './client.js';
export { connectDaemon } from './daemon-client.js';
export type { DaemonRouter, DaemonRouterOptions } from './daemon-client.js';
export { startProxy } from './proxy.js';
export { connectSharedDaemon } from './shared-daemon.js';
export type { SharedDaemonOptions, SharedDaemonRouter } from './shared-daemon.js';
export type { ProxyKind, ProxyOptions, RunningProxy } from './proxy.js';
export { MeshMetrics } from './metrics.js';
