// The flat-ABI runner of spec/runtimes.md in Deno: Deno's own file APIs (no node: module) around
// the shared loop (host/fixture-loop.js) — ringroute.wasm alone, one fresh instance per fixture.
//   deno run --allow-read host/deno/fixture-runner.ts <fixtures-dir> [path/to/ringroute.wasm]
// Type-checked by the project's tsc (which knows no Deno): the little of Deno it uses is declared.
import { fixtureFlatAbi } from '../fixture-loop.js';

declare const Deno: {
  args: string[];
  readFileSync(path: string | URL): Uint8Array<ArrayBuffer>;
  readDirSync(path: string): Iterable<{ name: string; isFile: boolean }>;
};

const [dir, wasmPath = new URL('../../build/ringroute.wasm', import.meta.url)] = Deno.args;
const module = new WebAssembly.Module(Deno.readFileSync(wasmPath));
const files = new Set([...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name));

for (const file of [...files].filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  const answer = files.has(`${name}.rib`)
    ? fixtureFlatAbi(module, Deno.readFileSync(`${dir}/${name}.rib`), Deno.readFileSync(`${dir}/${file}`))
    : 'skipped';
  console.log(`${name}: ${answer}`);
}
