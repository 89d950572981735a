// The runner of spec/runtimes.md in Bun through the project's compiled API instead of the flat
// ABI: dist/bindings/wasm-core.js, with dist/bindings/load-node.js (node:fs, new URL(...,
// import.meta.url)) loading build/ringroute.wasm; each fixture gets a fresh createWasmCore(module)
// and the shared loop (host/fixture-loop.js). Same printed lines as fixture-runner.ts.
//   bun host/bun/api-runner.ts <fixtures-dir> [path/to/dist/bindings/wasm-core.js]
// Needs `npm run build` first. Type-checked against the API's source; at run time the import is
// dist's JavaScript (a dynamic import, so that tsc does not need dist/ to exist yet).
import { fixtureCore } from '../fixture-loop.js';

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
  const answer = files.has(`${name}.rib`)
    ? fixtureCore(() => createWasmCore(module), await Bun.file(`${dir}/${name}.rib`).bytes(), await Bun.file(`${dir}/${file}`).bytes())
    : 'skipped';
  console.log(`${name}: ${answer}`);
}
