// ringroute: the public API, for Node, Deno and Bun (the module is read from build/ on disk).
// Browsers, Web Workers, workerd and bundlers get bindings/index.web.ts (package.json `exports`).
import { threadId } from 'node:worker_threads';
import { loadWasmModule, loadWasmModuleSync } from './load-node.js';
import { routerFactory } from './router.js';
import { type AttachOptions, type SharedRouterHandle, type SharedThreadRouter, attachRouter as attachShared, sharedRouterFactory } from './shared.js';

/** Creates a router (`core: 'wasm'` by default); the module is compiled on first use, once. */
export const { createRouter, createRouterSync } = routerFactory(() => loadWasmModule(), () => loadWasmModuleSync());
/** Creates a shared router for worker threads (spec/shared.md): build/ringroute.shared.wasm, compiled once. */
export const { createSharedRouter, createSharedRouterSync } = sharedRouterFactory(() => loadWasmModule('shared'), () => loadWasmModuleSync('shared'));
/** A router for this thread over a shared router's handle; its owner is this worker's threadId + 1 (SharedRouter.watch). */
export function attachRouter(handle: SharedRouterHandle, opts: AttachOptions = {}): SharedThreadRouter {
  return attachShared(handle, { owner: threadId + 1, ...opts });
}
export { SharedRouter, SharedThreadRouter } from './shared.js';
export type { AttachOptions, RouterInterface, SharedDecision, SharedRouterHandle, SharedRouterOptions, SharedStats, ThreadInfo } from './shared.js';
export { Router } from './router.js';
export type { CoreKind, Decision, RouteRequest, RouterOptions } from './router.js';
export type { Core } from './core.js';
export { createTsCore } from './ts-core/core.js';
export { createWasmCore } from './wasm-core.js';
export { loadWasmModule, loadWasmModuleSync } from './load-node.js';
export type { WasmVariant } from './load-node.js';
export { encodeMiniRib, setGeneration } from './encoder.js';
export { validateModel, DEFAULT_RINGS_US } from './model.js';
export type { ClientModel, RibModel, ServerModel, ServiceModel, ShardMapModel } from './model.js';
export { RingrouteError, RouteError, errorName, errorMessage } from './errors.js';
export { xxh32, xxh32String } from './ts-core/hash.js';
