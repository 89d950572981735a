// The fixture loop of spec/runtimes.md for a browser (a page or a Web Worker) through the
// project's web entry (the typed API) instead of the flat ABI: dist/bindings/index.web.js, served
// read-only by host/browser/runner.mjs under /dist/bindings/ (its whole import graph is relative
// ES modules). init(wasmUrl) fetches and compiles the module while it streams; each fixture gets a
// fresh createWasmCore(module) (one core = one instance = one router) and the contract runs
// through the core's methods: load() (a RingrouteError with .code on refusal), loads(), route(),
// serverFirst(). Returns the lines the runner prints, as run-fixtures.js does.
export async function runFixturesApi(wasmUrl, fixturesUrl) {
  const { init, createWasmCore } = await import('/dist/bindings/index.web.js');
  const get = async (url) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${(await r.text()).slice(0, 200)}`);
    return r;
  };
  const bytes = async (url) => new Uint8Array(await (await get(url)).arrayBuffer());
  const module = await init(wasmUrl); // a URL: fetched and compiled while it streams, once
  if (!(module instanceof WebAssembly.Module)) throw new Error('init() did not give a WebAssembly.Module');
  const files = await (await get(fixturesUrl)).json();
  const names = new Set(files);
  const lines = [];
  for (const file of files.filter((f) => f.endsWith('.run')).sort()) {
    const name = file.slice(0, -4);
    if (!names.has(`${name}.rib`)) { lines.push(`${name}: skipped`); continue; }
    const [rib, run] = await Promise.all([bytes(`${fixturesUrl}${encodeURIComponent(name)}.rib`), bytes(`${fixturesUrl}${encodeURIComponent(file)}`)]);
    const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
    const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
    const core = createWasmCore(module); // a fresh router per fixture
    let code = 0;
    try {
      core.load(rib);
    } catch (e) {
      if (typeof e?.code !== 'number') throw e; // a RingrouteError carries the core's code
      code = e.code;
    }
    if (flags & 2) { lines.push(`${name}: ${code === 0 ? 'loaded' : `refused ${code}`}`); continue; }
    if (code !== 0) { lines.push(`${name}: refused ${code}`); continue; }
    const loads = core.loads();
    for (let i = 0; i < nLoads; i++) loads[i] = dv.getFloat64(20 + 8 * i, true);
    const out = [];
    for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
      const svc = dv.getInt32(p, true);
      const d = core.route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
      out.push(d);
      if ((flags & 1) && d >= 0) core.loads()[core.serverFirst(svc) + d] += 1; // loads(): a current view
    }
    lines.push(`${name}: ${out.join(' ')}`);
  }
  return lines;
}
