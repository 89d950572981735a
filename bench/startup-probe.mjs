// Start-up probe (bench group "startup"), run in a fresh process of each runtime: the time from the
// module's bytes in hand to the first decision — compile, instantiate, copy a miniRIB in, load it,
// route once — through the flat ABI. Prints the milliseconds.
//   <runtime> bench/startup-probe.mjs <ringroute.wasm> <minirib.bin>
import { readFileSync } from 'node:fs';

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const wasm = readFileSync(args[0]);
const rib = readFileSync(args[1]);
const t0 = performance.now();
const x = new WebAssembly.Instance(new WebAssembly.Module(wasm), {}).exports;
const ptr = x.rr_alloc(rib.length);
new Uint8Array(x.memory.buffer).set(rib, ptr);
if (x.rr_load(ptr, rib.length) !== 0) throw new Error('the probe miniRIB did not load');
const d = x.rr_route(0, 0, 0);
const ms = performance.now() - t0;
if (d < 0) throw new Error(`the probe route failed: ${d}`);
console.log(ms.toFixed(3));
