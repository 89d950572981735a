#!/usr/bin/env node
// The reference runtime runner (spec/runtimes.md): drives ringroute.wasm through its flat ABI
// alone — no adapter, no loader — over a folder of conformance fixtures, and prints one line per
// fixture for scripts/conformance-all.mjs to check. The loop is host/fixture-loop.js, shared by
// the Deno and Bun runners; this file is Node's I/O around it.
//   node host/node/fixture-runner.mjs <fixtures-dir> [path/to/ringroute.wasm]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureFlatAbi } from '../fixture-loop.js';

const [dir, wasmPath = new URL('../../build/ringroute.wasm', import.meta.url)] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(wasmPath));

for (const file of readdirSync(dir).filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  const rib = join(dir, `${name}.rib`);
  console.log(`${name}: ${existsSync(rib) ? fixtureFlatAbi(module, readFileSync(rib), readFileSync(join(dir, file))) : 'skipped'}`);
}
