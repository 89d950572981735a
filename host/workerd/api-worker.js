// The workerd host of ringroute through the project's web entry (the typed API), not the flat
// ABI: dist/bindings/index.web.js and every module of its import graph are declared as ES modules
// in the generated config (host/workerd/api-config.capnp, filled in by `runner.mjs --api`) under
// their repository paths, so this file imports them by the same relative path it has in the
// repository. workerd compiles no WebAssembly from bytes at run time: the module is declared in the
// config and imported here as a WebAssembly.Module, then handed to init() (which keeps it).
// The same HTTP interface as worker.js, each answer decided through the Core's methods:
//
//   GET  /                      → "ringroute workerd host (TS API)" (readiness)
//   POST /fixture?rib=<bytes>   body = the fixture's .rib bytes then its .run bytes → the runner's
//                               line text ("d0 d1 ..." / "refused <code>" / "loaded" / "skipped"),
//                               decided on a FRESH core (createWasmCore: one instance = one router)
//   PUT  /rib                   body = miniRIB bytes → core.load() into this isolate's router
//                               → 200 { loaded: true, services, generation } or
//                                 400 { error: <code>, detail: <the RingrouteError's detail text> }
//   POST /route?service=<index>&flags=<u32>&keyHash=<u32>
//                               → 200 { server: <index> } or { error: <code> };
//                                 409 { error: "not-loaded" } before any successful PUT /rib
import { createWasmCore, init } from '../../dist/bindings/index.web.js';
import wasm from './ringroute.wasm';

let module = null; // init(wasm) on the first request: the web entry's compiled-module path
let router = null; // one router per isolate, shared by PUT /rib and POST /route

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const text = (body, status = 200) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** core.load(); the refusal's code (a RingrouteError's .code), or 0. */
function load(core, bytes) {
  try {
    core.load(bytes);
    return { code: 0 };
  } catch (e) {
    if (typeof e?.code !== 'number') throw e;
    return { code: e.code, detail: e.detail ?? '' };
  }
}

/** The contract of spec/runtimes.md for one fixture, through the Core (as host/deno/api-runner.ts). */
function runFixture(rib, run) {
  if (!rib) return 'skipped';
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  if (run.length < 20 || dv.getUint32(0, true) !== 0x51525252 /* "RRRQ" */ || dv.getUint32(4, true) !== 1) {
    throw new Error('not a version 1 .run file');
  }
  const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
  if (run.length < 20 + 8 * nLoads + 12 * nReq) throw new Error('truncated .run file');
  const core = createWasmCore(module); // a fresh router per fixture
  const { code } = load(core, rib);
  if (flags & 2) return code === 0 ? 'loaded' : `refused ${code}`;
  if (code !== 0) return `refused ${code}`;
  const loads = core.loads();
  for (let i = 0; i < nLoads; i++) loads[i] = dv.getFloat64(20 + 8 * i, true);
  const out = [];
  for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
    const svc = dv.getInt32(p, true);
    const d = core.route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
    out.push(d);
    if ((flags & 1) && d >= 0) core.loads()[core.serverFirst(svc) + d] += 1; // loads(): a current view
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
      module ??= await init(wasm);
      router ??= createWasmCore(module);
      switch (route) {
        case 'GET /':
          return text('ringroute workerd host (TS API)\n');
        case 'POST /fixture': {
          const body = new Uint8Array(await request.arrayBuffer());
          const ribLen = u32Param(url, 'rib', 0);
          if (ribLen === null || ribLen > body.length) return text('bad rib length', 400);
          return text(runFixture(ribLen > 0 ? body.subarray(0, ribLen) : null, body.subarray(ribLen)));
        }
        case 'PUT /rib': {
          const { code, detail } = load(router, new Uint8Array(await request.arrayBuffer()));
          if (code !== 0) return json({ error: code, detail }, 400);
          return json({ loaded: true, services: router.serviceCount(), generation: Number(router.generation()) });
        }
        case 'POST /route': {
          if (!router.loaded()) return json({ error: 'not-loaded' }, 409);
          const service = Number(url.searchParams.get('service'));
          const flags = u32Param(url, 'flags', 0), keyHash = u32Param(url, 'keyHash', 0);
          if (!Number.isInteger(service) || url.searchParams.get('service') === null || flags === null || keyHash === null) {
            return json({ error: 'bad-request' }, 400);
          }
          // an index outside i32 is out of range for the router too: NO_SERVICE
          const d = service >= -0x80000000 && service <= 0x7fffffff ? router.route(service, flags, keyHash) : -1;
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
