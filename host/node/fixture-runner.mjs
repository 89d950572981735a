#!/usr/bin/env node
// The reference runtime runner (spec/runtimes.md): drives ringroute.wasm through its flat ABI
// alone — no adapter, no loader — over a folder of conformance fixtures, and prints one line per
// fixture for scripts/conformance-all.mjs to check. Every other runtime's runner does the same.
//   node host/node/fixture-runner.mjs <fixtures-dir> [path/to/ringroute.wasm]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, wasmPath = new URL('../../build/ringroute.wasm', import.meta.url)] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(wasmPath));

for (const file of readdirSync(dir).filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  const ribFile = join(dir, `${name}.rib`);
  if (!existsSync(ribFile)) { console.log(`${name}: skipped`); continue; }
  const rib = readFileSync(ribFile);
  const run = readFileSync(join(dir, file));
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  const flags = dv.getUint32(8, true), nLoads = dv.getUint32(12, true), nReq = dv.getUint32(16, true);
  const x = new WebAssembly.Instance(module, {}).exports; // one instance = one router
  const ptr = x.rr_alloc(rib.length);
  new Uint8Array(x.memory.buffer).set(rib, ptr);
  const code = x.rr_load(ptr, rib.length);
  if (flags & 2) { console.log(`${name}: ${code === 0 ? 'loaded' : `refused ${code}`}`); continue; }
  if (code !== 0) { console.log(`${name}: refused ${code}`); continue; }
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
  console.log(`${name}: ${out.join(' ')}`);
}
