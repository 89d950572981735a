// The fixture contract of spec/runtimes.md, written once for every JavaScript runtime (Node, Deno,
// Bun; browsers, Web Workers and workerd can import it too): no I/O and no runtime API here — a
// runner reads the files its own way, calls one of these per fixture and prints `N: <answer>`.

/** The request file's header (spec/runtimes.md), checked: a malformed file is an error, not an answer. */
function header(run) {
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  if (run.length < 20 || dv.getUint32(0, true) !== 0x51525252 /* "RRRQ" */ || dv.getUint32(4, true) !== 1) {
    throw new Error('not a version 1 .run file');
  }
  const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
  if (run.length < 20 + 8 * nLoads + 12 * nReq) throw new Error('truncated .run file');
  return { dv, flags, nLoads, nReq };
}

/** The answer for one fixture, through the module's flat ABI on a fresh instance. */
export function fixtureFlatAbi(module, rib, run) {
  const { dv, flags, nLoads, nReq } = header(run);
  const x = new WebAssembly.Instance(module, {}).exports; // one instance = one router
  const ptr = x.rr_alloc(rib.length);
  new Uint8Array(x.memory.buffer).set(rib, ptr);
  const code = x.rr_load(ptr, rib.length);
  if (flags & 2) return code === 0 ? 'loaded' : `refused ${code}`;
  if (code !== 0) return `refused ${code}`;
  const table = new Float64Array(x.memory.buffer, x.rr_loads(), nLoads);
  for (let i = 0; i < nLoads; i++) table[i] = dv.getFloat64(20 + 8 * i, true);
  const out = [];
  for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
    const svc = dv.getInt32(p, true);
    const d = x.rr_route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
    out.push(d);
    if ((flags & 1) && d >= 0) {
      const slot = x.rr_server_first(svc) + d;
      new Float64Array(x.memory.buffer, x.rr_loads(), slot + 1)[slot] += 1;
    }
  }
  return out.join(' ');
}

/** The same through the project's typed core (bindings/core.ts): `makeCore()` gives a fresh one. */
export function fixtureCore(makeCore, rib, run) {
  const { dv, flags, nLoads, nReq } = header(run);
  const core = makeCore(); // one core = one router
  let code = 0;
  try {
    core.load(rib);
  } catch (e) {
    if (typeof e?.code !== 'number') throw e; // a RingrouteError carries the core's code
    code = e.code;
  }
  if (flags & 2) return code === 0 ? 'loaded' : `refused ${code}`;
  if (code !== 0) return `refused ${code}`;
  const table = core.loads();
  for (let i = 0; i < nLoads; i++) table[i] = dv.getFloat64(20 + 8 * i, true);
  const out = [];
  for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
    const svc = dv.getInt32(p, true);
    const d = core.route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
    out.push(d);
    if ((flags & 1) && d >= 0) core.loads()[core.serverFirst(svc) + d] += 1;
  }
  return out.join(' ');
}
