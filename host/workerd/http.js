// The HTTP side of ringroute's workerd Workers (worker.js: the flat ABI; api-worker.js: the typed
// web entry), written once. `serve(router)` gives the Worker's `{ fetch }`; `router` is the
// worker's own adapter:
//   greeting            the text of GET / (the runner checks it: the right worker answers)
//   ready()             async, once per request before anything else (e.g. init the module)
//   fixture(rib, run)   the fixture's answer on a fresh router (host/fixture-loop.js)
//   load(bytes)         loads a miniRIB into the isolate's router → { code, detail } (code 0: loaded)
//   loaded()            whether a miniRIB is in force
//   info()              { services, generation } of the data in force
//   route(svc, flags, keyHash)  a decision: a server index ≥ 0 or −code
//
//   GET  /                      → the greeting (readiness)
//   POST /fixture?rib=<bytes>   body = the fixture's .rib bytes then its .run bytes (rib=0 or absent:
//                               no miniRIB) → "d0 d1 ..." / "refused <code>" / "loaded" / "skipped"
//   PUT  /rib                   body = miniRIB bytes → 200 { loaded: true, services, generation }
//                               or 400 { error: <code>, detail }
//   POST /route?service=<index>&flags=<u32>&keyHash=<u32>
//                               → 200 { server: <index> } or { error: <code> } (NO_SERVICE 1,
//                                 NO_KEY 2, NO_SERVER 3, NO_REPLICA 4); 409 { error: "not-loaded" }
//                                 before any successful PUT /rib; 400 { error: "bad-request" }

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const text = (body, status = 200) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** A u32 query parameter (decimal or 0x hex); `fallback` when absent; null when malformed. */
function u32Param(url, name, fallback) {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n >>> 0 : null;
}

export function serve(router) {
  return {
    async fetch(request) {
      const url = new URL(request.url);
      try {
        await router.ready?.();
        switch (`${request.method} ${url.pathname}`) {
          case 'GET /':
            return text(`${router.greeting}\n`);
          case 'POST /fixture': {
            const body = new Uint8Array(await request.arrayBuffer());
            const ribLen = u32Param(url, 'rib', 0);
            if (ribLen === null || ribLen > body.length) return text('bad rib length', 400);
            return text(ribLen > 0 ? router.fixture(body.subarray(0, ribLen), body.subarray(ribLen)) : 'skipped');
          }
          case 'PUT /rib': {
            const { code, detail } = router.load(new Uint8Array(await request.arrayBuffer()));
            if (code !== 0) return json({ error: code, detail }, 400);
            return json({ loaded: true, ...router.info() });
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
}
