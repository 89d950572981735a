// The runner of spec/runtimes.md in Deno through the project's compiled API instead of the flat
// ABI: dist/bindings/wasm-core.js, with dist/bindings/load-node.js (node:fs, new URL(...,
// import.meta.url)) loading build/ringroute.wasm; each fixture gets a fresh createWasmCore(module)
// and the shared loop (host/fixture-loop.js). Same printed lines as fixture-runner.ts.
//   deno run --allow-read host/deno/api-runner.ts <fixtures-dir> [path/to/dist/bindings/wasm-core.js]
// Needs `npm run build` first. Type-checked against the API's source; at run time the import is
// dist's JavaScript (a dynamic import, so that tsc does not need dist/ to exist yet).
import { fixtureCore } from '../fixture-loop.js';

declare const Deno: {
  args: string[];
  readFileSync(path: string | URL): Uint8Array<ArrayBuffer>;
  readDirSync(path: string): Iterable<{ name: string; isFile: boolean }>;
};
type WasmCoreApi = typeof import('../../bindings/wasm-core.js');
type LoaderApi = typeof import('../../bindings/load-node.js');

const [dir, api = new URL('../../dist/bindings/wasm-core.js', import.meta.url).href] = Deno.args;
const { createWasmCore }: WasmCoreApi = await import(api);
const { loadWasmModuleSync }: LoaderApi = await import(new URL('load-node.js', api).href);
const module = loadWasmModuleSync();
const files = new Set([...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name));

for (const file of [...files].filter((f) => f.endsWith('.run')).sort()) {
  const name = file.slice(0, -4);
  const answer = files.has(`${name}.rib`)
    ? fixtureCore(() => createWasmCore(module), Deno.readFileSync(`${dir}/${name}.rib`), Deno.readFileSync(`${dir}/${file}`))
    : 'skipped';
  console.log(`${name}: ${answer}`);
}
