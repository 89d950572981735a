// The page of host/browser/startup-runner.mjs (bench group "startup"): the start-up probe of
// bench/startup-probe.mjs on a Chromium page. It fetches the .wasm bytes and the miniRIB bytes
// first (not timed), then times with performance.now, from the module's bytes in hand to the first
// decision: new WebAssembly.Module(bytes) (a synchronous compile, as the probe of the other
// runtimes; no code cache applies to it) + new WebAssembly.Instance + rr_alloc, copy the miniRIB in,
// rr_load + one rr_route(0, 0, 0). `window.__startup` is a promise of { ms, decision, where }.
// (performance.now is coarsened on a page that is not cross-origin isolated: 0.1 ms steps in
// Chromium, fine against a budget of 20 ms.)
// With ?worker=1 the page starts this same file as a module Web Worker and the worker measures
// (fetching its bytes itself, untimed): the figure of the Web Worker row.
const here = new URL(location.href);
const fetchBytes = async (url) => {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

async function measure() {
  const wasm = await fetchBytes(new URL('/build/ringroute.wasm', here));
  const rib = await fetchBytes(new URL('/rib', here));
  const t0 = performance.now();
  const x = new WebAssembly.Instance(new WebAssembly.Module(wasm), {}).exports;
  const ptr = x.rr_alloc(rib.length);
  new Uint8Array(x.memory.buffer).set(rib, ptr);
  if (x.rr_load(ptr, rib.length) !== 0) throw new Error('the probe miniRIB did not load');
  const d = x.rr_route(0, 0, 0);
  const ms = performance.now() - t0;
  if (d < 0) throw new Error(`the probe route failed: ${d}`);
  return { ms, decision: d, where: globalThis.constructor.name };
}

if (typeof document === 'undefined') {
  // in the Web Worker: measure once, post the result to the page
  measure().then((r) => self.postMessage(r), (e) => self.postMessage({ error: String(e?.message ?? e) }));
} else if (here.searchParams.get('worker') === '1') {
  window.__startup = new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./startup.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
    worker.onerror = (e) => reject(new Error(e.message));
  });
} else {
  window.__startup = measure();
}
