// The runner of spec/runtimes.md in Bun through the project's compiled API instead of the flat
// ABI: dist/bindings/wasm-core.js, with dist/bindings/load-node.js (node:fs, new URL(..., import.meta.url)) loading build/ringroute.wasm
// and each fixture gets a fresh createWasmCore(module). Same printed lines as fixture-runner.ts.
//   bun host/bun/api-runner.ts <fixtures-dir> [path/to/dist/bindings/wasm-core.js]
// Needs `npm run build` (or `npx tsc -p .`) first. Type-checked by the project's tsc against the
// source of the API; at run time the import is dist's JavaScript (a dynamic import, so that tsc
// does not need dist/ to exist yet).
declare const Bun: {
  argv: string[];
  file(path: string | URL): { bytes(): Promise<Uint8Array<ArrayBuffer>> };
  Glob: new (pattern: string) => { scanSync(options: { cwd: string; onlyFiles?: boolean }): Iterable<string> };
};
type WasmCoreApi = typeof import('../../bindings/wasm-core.js');
type LoaderApi = typeof import('../../bindings/load-node.js');

const [dir, api = new URL('../../dist/bindings/wasm-core.js', import.meta.url).href] = Bun.argv.slice(2);
const { createWasmCore }: WasmCoreApi = await import(api);
const { loadWasmModuleSync }: LoaderApi = await import(new URL('load-node.js', api).href);
const module = loadWasmModuleSync();
const files = new Set(new Bun.Glob('*').scanSync({ cwd: dir, onlyFiles: true }));

for (const file of [...files].filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  if (!files.has(`${name}.rib`)) { console.log(`${name}: skipped`); continue; }
  const rib = await Bun.file(`${dir}/${name}.rib`).bytes();
  const run = await Bun.file(`${dir}/${file}`).bytes();
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
  const core = createWasmCore(module); // one core = one instance = one router
  let code = 0;
  try {
    core.load(rib);
  } catch (e) {
    if (typeof (e as { code?: unknown }).code !== 'number') throw e; // a RingrouteError carries the core's code
    code = (e as { code: number }).code;
  }
  if (flags & 2) { console.log(`${name}: ${code === 0 ? 'loaded' : `refused ${code}`}`); continue; }
  if (code !== 0) { console.log(`${name}: refused ${code}`); continue; }
  const loads = core.loads();
  for (let i = 0; i < nLoads; i++) loads[i] = dv.getFloat64(20 + 8 * i, true);
  const out: number[] = [];
  for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
    const svc = dv.getInt32(p, true);
    const d = core.route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
    out.push(d);
    if ((flags & 1) && d >= 0) core.loads()[core.serverFirst(svc) + d] += 1;
  }
  console.log(`${name}: ${out.join(' ')}`);
}
