// The workerd host of ringroute (spec/runtimes.md) over the module's flat ABI alone. workerd
// compiles no WebAssembly from bytes at run time, so the module is declared in the config
// (config.capnp) and imported here as a WebAssembly.Module; instances are made from it
// synchronously. The endpoints are host/workerd/http.js; fixtures run host/fixture-loop.js.
import { fixtureFlatAbi } from '../fixture-loop.js';
import { serve } from './http.js';
import mod from './ringroute.wasm';

// One router per isolate: the module-level instance that PUT /rib and POST /route share.
// Its RNG is seeded by the first successful load; later loads keep the stream and carry loads.
const router = new WebAssembly.Instance(mod, {}).exports;

export default serve({
  greeting: 'ringroute workerd host',
  fixture: (rib, run) => fixtureFlatAbi(mod, rib, run),
  load(bytes) {
    const ptr = router.rr_alloc(bytes.length);
    if (ptr === 0) return { code: 25, detail: bytes.length }; // OUT_OF_MEMORY
    new Uint8Array(router.memory.buffer).set(bytes, ptr); // a view after rr_alloc: memory may have grown
    const code = router.rr_load(ptr, bytes.length);
    if (code !== 0) router.rr_free(ptr); // refused: the block is still ours
    return { code, detail: code === 0 ? undefined : router.rr_error_detail() };
  },
  loaded: () => router.rr_loaded() === 1,
  info: () => ({ services: router.rr_service_count(), generation: router.rr_generation_hi() * 2 ** 32 + router.rr_generation_lo() }),
  route: (svc, flags, keyHash) => router.rr_route(svc, flags, keyHash),
});
