// The flat-ABI runner of spec/runtimes.md in Bun: Bun's own file APIs (Bun.file, Bun.Glob; no
// node: module) around the shared loop (host/fixture-loop.js) — ringroute.wasm alone, one fresh
// instance per fixture.
//   bun host/bun/fixture-runner.ts <fixtures-dir> [path/to/ringroute.wasm]
// Type-checked by the project's tsc (which knows no Bun): the little of Bun it uses is declared.
import { fixtureFlatAbi } from '../fixture-loop.js';

declare const Bun: {
  argv: string[];
  file(path: string | URL): { bytes(): Promise<Uint8Array<ArrayBuffer>> };
  Glob: new (pattern: string) => { scanSync(options: { cwd: string; onlyFiles?: boolean }): Iterable<string> };
};

const [dir, wasmPath = new URL('../../build/ringroute.wasm', import.meta.url)] = Bun.argv.slice(2);
const module = new WebAssembly.Module(await Bun.file(wasmPath).bytes());
const files = new Set(new Bun.Glob('*').scanSync({ cwd: dir, onlyFiles: true }));

for (const file of [...files].filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  const answer = files.has(`${name}.rib`)
    ? fixtureFlatAbi(module, await Bun.file(`${dir}/${name}.rib`).bytes(), await Bun.file(`${dir}/${file}`).bytes())
    : 'skipped';
  console.log(`${name}: ${answer}`);
}
