// The flat-ABI runner of spec/runtimes.md in Bun: host/node/fixture-runner.mjs with Bun's own
// APIs (Bun.file, Bun.Glob; no node: module) — ringroute.wasm alone, no adapter, one fresh
// instance per fixture.
//   bun host/bun/fixture-runner.ts <fixtures-dir> [path/to/ringroute.wasm]
// Type-checked by the project's tsc (which knows no Bun): the little of Bun it uses is declared.
declare const Bun: {
  argv: string[];
  file(path: string | URL): { bytes(): Promise<Uint8Array<ArrayBuffer>> };
  Glob: new (pattern: string) => { scanSync(options: { cwd: string; onlyFiles?: boolean }): Iterable<string> };
};
interface Exports {
  memory: WebAssembly.Memory;
  rr_alloc(size: number): number;
  rr_load(ptr: number, len: number): number;
  rr_loads(): number;
  rr_route(svc: number, flags: number, keyHash: number): number;
  rr_server_first(svc: number): number;
}

const [dir, wasmPath = new URL('../../build/ringroute.wasm', import.meta.url)] = Bun.argv.slice(2);
const module = new WebAssembly.Module(await Bun.file(wasmPath).bytes());
const files = new Set(new Bun.Glob('*').scanSync({ cwd: dir, onlyFiles: true }));

for (const file of [...files].filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  if (!files.has(`${name}.rib`)) { console.log(`${name}: skipped`); continue; }
  const rib = await Bun.file(`${dir}/${name}.rib`).bytes();
  const run = await Bun.file(`${dir}/${file}`).bytes();
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
  const x = new WebAssembly.Instance(module, {}).exports as unknown as Exports; // one instance = one router
  const ptr = x.rr_alloc(rib.length);
  new Uint8Array(x.memory.buffer).set(rib, ptr);
  const code = x.rr_load(ptr, rib.length);
  if (flags & 2) { console.log(`${name}: ${code === 0 ? 'loaded' : `refused ${code}`}`); continue; }
  if (code !== 0) { console.log(`${name}: refused ${code}`); continue; }
  let loads = new Float64Array(x.memory.buffer, x.rr_loads(), nLoads);
  for (let i = 0; i < nLoads; i++) loads[i] = dv.getFloat64(20 + 8 * i, true);
  const out: number[] = [];
  for (let q = 0, p = 20 + 8 * nLoads; q < nReq; q++, p += 12) {
    const svc = dv.getInt32(p, true);
    const d = x.rr_route(svc, dv.getUint32(p + 4, true), dv.getUint32(p + 8, true));
    out.push(d);
    if ((flags & 1) && d >= 0) {
      loads = new Float64Array(x.memory.buffer, x.rr_loads(), x.rr_server_first(svc) + d + 1);
      loads[x.rr_server_first(svc) + d] += 1;
    }
  }
  console.log(`${name}: ${out.join(' ')}`);
}
