// The start-up probe of workerd (bench group "startup"; config: startup-config.capnp). workerd
// compiles the module when it starts (a `wasm` module of the config: it compiles no bytes at run
// time) and the miniRIB is a `data` module, so both are in hand before any request. What a
// request pays is the rest of bench/startup-probe.mjs, done in the handler of the FIRST request:
// new WebAssembly.Instance + rr_alloc, copy the miniRIB in, rr_load + one rr_route(0, 0, 0).
//   POST /startup → { decision, workerMs } (workerMs: performance.now() around that work, which
//                   workerd freezes while a request does no I/O, so it reads 0; the runner times
//                   the whole request from outside)
//   GET  /noop    → "ok" (the same request path without the work: the runner's HTTP baseline)
import mod from './ringroute.wasm';
import ribBuffer from './rib.bin';

const rib = new Uint8Array(ribBuffer);

function firstDecision() {
  const x = new WebAssembly.Instance(mod, {}).exports;
  const ptr = x.rr_alloc(rib.length);
  new Uint8Array(x.memory.buffer).set(rib, ptr);
  if (x.rr_load(ptr, rib.length) !== 0) throw new Error('the probe miniRIB did not load');
  return x.rr_route(0, 0, 0);
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/startup' && request.method === 'POST') {
      const t0 = performance.now();
      const decision = firstDecision();
      const workerMs = performance.now() - t0;
      return new Response(JSON.stringify({ decision, workerMs }), { headers: { 'content-type': 'application/json' } });
    }
    if (path === '/noop') return new Response('ok');
    return new Response('not found', { status: 404 });
  },
};
