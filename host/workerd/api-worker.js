// The workerd host of ringroute through the typed web entry (dist/bindings/index.web.js) instead of
// the flat ABI: init(wasm) with the WebAssembly.Module the config declares (workerd compiles no
// bytes at run time), then createWasmCore. The endpoints are host/workerd/http.js (the same as
// worker.js; a refused PUT /rib's detail is the error's text here); fixtures run
// host/fixture-loop.js through the core.
import { createWasmCore, init } from '../../dist/bindings/index.web.js';
import { fixtureCore } from '../fixture-loop.js';
import { serve } from './http.js';
import wasm from './ringroute.wasm';

let module = null; // init(wasm) on the first request: the web entry's compiled-module path
let router = null; // one router per isolate, shared by PUT /rib and POST /route

export default serve({
  greeting: 'ringroute workerd host (TS API)',
  async ready() {
    module ??= await init(wasm);
    router ??= createWasmCore(module);
  },
  fixture: (rib, run) => fixtureCore(() => createWasmCore(module), rib, run),
  load(bytes) {
    try {
      router.load(bytes);
      return { code: 0 };
    } catch (e) {
      if (typeof e?.code !== 'number') throw e; // a RingrouteError carries the core's code
      return { code: e.code, detail: e.detail ?? '' };
    }
  },
  loaded: () => router.loaded(),
  info: () => ({ services: router.serviceCount(), generation: Number(router.generation()) }),
  route: (svc, flags, keyHash) => router.route(svc, flags, keyHash),
});
