// The flat-ABI fixture loop of spec/runtimes.md for a browser (a page or a Web Worker): the same
// steps as host/node/fixture-runner.mjs, over HTTP instead of the file system. Served by
// host/browser/runner.mjs, which also serves `<base>/fixtures/` (a JSON list of the folder's file
// names) and `<base>/fixtures/<file>`. Returns the lines the runner prints.
export async function runFixtures(wasmUrl, fixturesUrl) {
  const get = async (url) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${(await r.text()).slice(0, 200)}`);
    return r;
  };
  const bytes = async (url) => new Uint8Array(await (await get(url)).arrayBuffer());
  const module = await WebAssembly.compileStreaming(get(wasmUrl)); // compile once, one instance per fixture
  const files = await (await get(fixturesUrl)).json();
  const names = new Set(files);
  const lines = [];
  for (const file of files.filter((f) => f.endsWith('.run')).sort()) {
    const name = file.slice(0, -4);
    if (!names.has(`${name}.rib`)) { lines.push(`${name}: skipped`); continue; }
    const [rib, run] = await Promise.all([bytes(`${fixturesUrl}${encodeURIComponent(name)}.rib`), bytes(`${fixturesUrl}${encodeURIComponent(file)}`)]);
    const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
    const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
    const x = (await WebAssembly.instantiate(module, {})).exports; // one instance = one router
    const ptr = x.rr_alloc(rib.length);
    new Uint8Array(x.memory.buffer).set(rib, ptr);
    const code = x.rr_load(ptr, rib.length);
    if (flags & 2) { lines.push(`${name}: ${code === 0 ? 'loaded' : `refused ${code}`}`); continue; }
    if (code !== 0) { lines.push(`${name}: refused ${code}`); continue; }
    let loads = new Float64Array(x.memory.buffer, x.rr_loads(), nLoads);
    for (let i = 0; i < nLoads; i++) loads[i] = dv.getFloat64(20 + 8 * i, true);
    const out = [];
    for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
      const svc = dv.getInt32(p, true);
      const d = x.rr_route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
      out.push(d);
      if ((flags & 1) && d >= 0) {
        loads = new Float64Array(x.memory.buffer, x.rr_loads(), x.rr_server_first(svc) + d + 1);
        loads[x.rr_server_first(svc) + d] += 1;
      }
    }
    lines.push(`${name}: ${out.join(' ')}`);
  }
  return lines;
}
