// The workerd host of ringroute (spec/runtimes.md): an ES-module Worker that drives
// ringroute.wasm through its flat ABI alone. workerd compiles no WebAssembly from bytes at run
// time, so the module is declared in the config (config.capnp: `wasm = embed ...`) and imported
// here as a WebAssembly.Module; instances are made from it synchronously.
//
//   GET  /                      → "ringroute workerd host" (readiness)
//   POST /fixture?rib=<bytes>   body = the fixture's .rib bytes then its .run bytes (rib=0 or no
//                               `rib` parameter: no miniRIB) → the runner's line text:
//                               "d0 d1 ..." / "refused <code>" / "loaded" / "skipped",
//                               decided on a FRESH instance (one instance = one router)
//   PUT  /rib                   body = miniRIB bytes → loads it into this isolate's router
//                               → 200 { loaded: true, services, generation } or
//                                 400 { error: <code>, detail: <entry index> }
//   POST /route?service=<index>&flags=<u32>&keyHash=<u32>
//                               → 200 { server: <index> } or { error: <code> } (NO_SERVICE 1,
//                                 NO_KEY 2, NO_SERVER 3, NO_REPLICA 4);
//                                 409 { error: "not-loaded" } before any successful PUT /rib
import mod from './ringroute.wasm';

// One router per isolate: the module-level instance that PUT /rib and POST /route share.
// Its RNG is seeded by the first successful load; later loads keep the stream and carry loads.
const router = new WebAssembly.Instance(mod, {}).exports;

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const text = (body, status = 200) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** rr_alloc + copy + rr_load; frees the block when the load fails (the host still owns it). */
function load(x, bytes) {
  const ptr = x.rr_alloc(bytes.length);
  if (ptr === 0) return -1;
  new Uint8Array(x.memory.buffer).set(bytes, ptr); // views after rr_alloc: memory may have grown
  const code = x.rr_load(ptr, bytes.length);
  if (code !== 0) x.rr_free(ptr);
  return code;
}

/** The flat-ABI contract of spec/runtimes.md for one fixture, as host/node/fixture-runner.mjs. */
function runFixture(rib, run) {
  if (!rib) return 'skipped';
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  if (run.length < 20 || dv.getUint32(0, true) !== 0x51525252 /* "RRRQ" */ || dv.getUint32(4, true) !== 1) {
    throw new Error('not a version 1 .run file');
  }
  const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
  if (run.length < 20 + 8 * nLoads + 12 * nReq) throw new Error('truncated .run file');
  const x = new WebAssembly.Instance(mod, {}).exports; // a fresh router per fixture
  const code = load(x, rib);
  if (flags & 2) return code === 0 ? 'loaded' : `refused ${code}`;
  if (code !== 0) return `refused ${code}`;
  let loads = new Float64Array(x.memory.buffer, x.rr_loads(), nLoads);
  for (let i = 0; i < nLoads; i++) loads[i] = dv.getFloat64(20 + 8 * i, true);
  const out = [];
  for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
    const svc = dv.getInt32(p, true);
    const d = x.rr_route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
    out.push(d);
    if ((flags & 1) && d >= 0) {
      const slot = x.rr_server_first(svc) + d;
      loads = new Float64Array(x.memory.buffer, x.rr_loads(), slot + 1);
      loads[slot] += 1;
    }
  }
  return out.join(' ');
}

/** A u32 query parameter (decimal or 0x hex); `fallback` when absent; null when malformed. */
function u32Param(url, name, fallback) {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n >>> 0 : null;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /':
          return text('ringroute workerd host\n');
        case 'POST /fixture': {
          const body = new Uint8Array(await request.arrayBuffer());
          const ribLen = u32Param(url, 'rib', 0);
          if (ribLen === null || ribLen > body.length) return text('bad rib length', 400);
          return text(runFixture(ribLen > 0 ? body.subarray(0, ribLen) : null, body.subarray(ribLen)));
        }
        case 'PUT /rib': {
          const code = load(router, new Uint8Array(await request.arrayBuffer()));
          if (code !== 0) return json({ error: code, detail: router.rr_error_detail() }, 400);
          const generation = router.rr_generation_hi() * 2 ** 32 + router.rr_generation_lo();
          return json({ loaded: true, services: router.rr_service_count(), generation });
        }
        case 'POST /route': {
          if (router.rr_loaded() !== 1) return json({ error: 'not-loaded' }, 409);
          const service = Number(url.searchParams.get('service'));
          const flags = u32Param(url, 'flags', 0), keyHash = u32Param(url, 'keyHash', 0);
          if (!Number.isInteger(service) || url.searchParams.get('service') === null || flags === null || keyHash === null) {
            return json({ error: 'bad-request' }, 400);
          }
          // an index outside i32 is out of range for the router too: NO_SERVICE
          const d = service >= -0x80000000 && service <= 0x7fffffff ? router.rr_route(service, flags, keyHash) : -1;
          return json(d >= 0 ? { server: d } : { error: -d });
        }
        default:
          return text('not found\n', 404);
      }
    } catch (e) {
      return text(`error: ${e && e.message ? e.message : e}`, 500);
    }
  },
};
