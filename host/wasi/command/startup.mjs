// Start-up probe of the WASI command build (bench group "startup"), in a fresh Node process: from
// the module's bytes in hand to the first decision — compile, a new WASI (stdin: one fixture of one
// request, stdout: a temp file), instantiate, _start (read stdin, load the miniRIB, route once,
// write the answer). Prints the milliseconds.
//   node --no-warnings host/wasi/command/startup.mjs <ringroute.wasi.wasm> <minirib.bin>
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

const [wasmPath, ribPath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
const rib = readFileSync(ribPath);
// stdin: u32 len(rib) ‖ rib ‖ run, the run being one keyless request to service 0 (spec/runtimes.md)
const run = new Uint8Array(20 + 12);
const dv = new DataView(run.buffer);
dv.setUint32(0, 0x51525252, true); dv.setUint32(4, 1, true); dv.setUint32(16, 1, true);
const input = new Uint8Array(4 + rib.length + run.length);
new DataView(input.buffer).setUint32(0, rib.length, true);
input.set(rib, 4);
input.set(run, 4 + rib.length);
const dir = mkdtempSync(join(tmpdir(), 'ringroute-wasi-startup-'));
writeFileSync(join(dir, 'in'), input);
const stdin = openSync(join(dir, 'in'), 'r'), stdout = openSync(join(dir, 'out'), 'w');

const t0 = performance.now();
const module = new WebAssembly.Module(wasm);
const wasi = new WASI({ version: 'preview1', args: ['ringroute'], stdin, stdout, returnOnExit: true });
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
wasi.start(instance);
const ms = performance.now() - t0;

closeSync(stdin);
closeSync(stdout);
const answer = readFileSync(join(dir, 'out'), 'utf8').trim();
rmSync(dir, { recursive: true, force: true });
if (!/^\d+$/.test(answer)) throw new Error(`the probe decision was ${JSON.stringify(answer)}`);
console.log(ms.toFixed(3));
