// The flat-ABI runner of spec/runtimes.md in Deno: host/node/fixture-runner.mjs with Deno's own
// APIs (no node: module) — ringroute.wasm alone, no adapter, one fresh instance per fixture.
//   deno run --allow-read host/deno/fixture-runner.ts <fixtures-dir> [path/to/ringroute.wasm]
// Type-checked by the project's tsc (which knows no Deno): the little of Deno it uses is declared.
declare const Deno: {
  args: string[];
  readFileSync(path: string | URL): Uint8Array<ArrayBuffer>;
  readDirSync(path: string): Iterable<{ name: string; isFile: boolean }>;
};
interface Exports {
  memory: WebAssembly.Memory;
  rr_alloc(size: number): number;
  rr_load(ptr: number, len: number): number;
  rr_loads(): number;
  rr_route(svc: number, flags: number, keyHash: number): number;
  rr_server_first(svc: number): number;
}

const [dir, wasmPath = new URL('../../build/ringroute.wasm', import.meta.url)] = Deno.args;
const module = new WebAssembly.Module(Deno.readFileSync(wasmPath));
const files = new Set([...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name));

for (const file of [...files].filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  if (!files.has(`${name}.rib`)) { console.log(`${name}: skipped`); continue; }
  const rib = Deno.readFileSync(`${dir}/${name}.rib`);
  const run = Deno.readFileSync(`${dir}/${file}`);
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
