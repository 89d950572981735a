// ringroute for runtimes without a file system of their own: browsers, Web Workers, workerd,
// bundlers. The same API as bindings/index.ts; the module comes from init() — a URL to fetch
// (streamed), a Response, bytes, a compiled WebAssembly.Module (workerd: import the .wasm), or by
// default the copy embedded in the package, checked against its SHA-256 — or from initSync().
import { loadWasmModule, loadWasmModuleSync, type WasmSource } from './load-web.js';
import { routerFactory } from './router.js';

let module: WebAssembly.Module | null = null;

/** Compiles ringroute.wasm once (default: the embedded copy); later calls return the same module. */
export async function init(source?: WasmSource): Promise<WebAssembly.Module> {
  return (module ??= await loadWasmModule(source));
}

/** init() without a promise, where the runtime allows a synchronous compile. */
export function initSync(source?: Exclude<WasmSource, string | URL | Response>): WebAssembly.Module {
  return (module ??= loadWasmModuleSync(source));
}

/** createRouter/createRouterSync: after init()/initSync(), or with `wasmModule` in the options. */
export const { createRouter, createRouterSync } = routerFactory(() => init(), () => initSync());
export { Router } from './router.js';
export type { CoreKind, Decision, RouteRequest, RouterOptions } from './router.js';
export type { Core } from './core.js';
export { createTsCore } from './ts-core/core.js';
export { createWasmCore } from './wasm-core.js';
export { embeddedBytes, loadWasmModule, loadWasmModuleSync } from './load-web.js';
export type { WasmSource } from './load-web.js';
export { encodeMiniRib, setGeneration } from './encoder.js';
export { validateModel, DEFAULT_RINGS_US } from './model.js';
export type { ClientModel, RibModel, ServerModel, ServiceModel, ShardMapModel } from './model.js';
export { RingrouteError, RouteError, errorName, errorMessage } from './errors.js';
export { xxh32, xxh32String } from './ts-core/hash.js';
