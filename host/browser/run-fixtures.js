// The fixture loops of spec/runtimes.md for a browser (a page or a Web Worker): the shared loop of
// host/fixture-loop.js, with the fixtures fetched over HTTP instead of read from disk. Served by
// host/browser/runner.mjs, which also serves `<base>/fixtures/` (a JSON list of the folder's file
// names) and `<base>/fixtures/<file>`. Each returns the lines the runner prints.
import { fixtureCore, fixtureFlatAbi } from '/host/fixture-loop.js';

const get = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${(await r.text()).slice(0, 200)}`);
  return r;
};
const bytes = async (url) => new Uint8Array(await (await get(url)).arrayBuffer());

/** `N: <answer(rib, run)>` for every fixture of the folder (`N: skipped` without a miniRIB). */
async function eachFixture(fixturesUrl, answer) {
  const files = await (await get(fixturesUrl)).json();
  const names = new Set(files);
  const lines = [];
  for (const file of files.filter((f) => f.endsWith('.run')).sort()) {
    const name = file.slice(0, -4);
    if (!names.has(`${name}.rib`)) { lines.push(`${name}: skipped`); continue; }
    const [rib, run] = await Promise.all([bytes(`${fixturesUrl}${encodeURIComponent(name)}.rib`), bytes(`${fixturesUrl}${encodeURIComponent(file)}`)]);
    lines.push(`${name}: ${answer(rib, run)}`);
  }
  return lines;
}

/** Through the flat ABI: the module compiled once while it streams, one instance per fixture. */
export async function runFixtures(wasmUrl, fixturesUrl) {
  const module = await WebAssembly.compileStreaming(get(wasmUrl));
  return eachFixture(fixturesUrl, (rib, run) => fixtureFlatAbi(module, rib, run));
}

/**
 * Through the project's web entry (the typed API): dist/bindings/index.web.js, served read-only by
 * the runner under /dist/bindings/; init(wasmUrl) streams and compiles the module once, and each
 * fixture gets a fresh createWasmCore(module).
 */
export async function runFixturesApi(wasmUrl, fixturesUrl) {
  const { init, createWasmCore } = await import('/dist/bindings/index.web.js');
  const module = await init(wasmUrl);
  if (!(module instanceof WebAssembly.Module)) throw new Error('init() did not give a WebAssembly.Module');
  return eachFixture(fixturesUrl, (rib, run) => fixtureCore(() => createWasmCore(module), rib, run));
}
