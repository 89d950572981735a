// The page of host/browser/runner.mjs: runs the fixture loop on the page itself, or with
// `?mode=worker` inside a dedicated module Web Worker; with `&api=1` through the web entry (the
// typed API, runFixturesApi) instead of the flat ABI (runFixtures), both in run-fixtures.js. `window.__results` is a
// promise of { lines, where } that the runner awaits.
import { runFixtures, runFixturesApi } from './run-fixtures.js';


const wasmUrl = new URL('/build/ringroute.wasm', location.href).href;
const fixturesUrl = new URL('/fixtures/', location.href).href;
const params = new URLSearchParams(location.search);
const mode = params.get('mode') ?? 'page';
const api = params.get('api') === '1';

window.__results = mode === 'worker'
  ? new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) reject(new Error(`worker: ${data.error}`)); else resolve(data);
    };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(`worker: ${e.message ?? 'failed to start'}`)); };
    worker.postMessage({ wasmUrl, fixturesUrl, api });
  })
  : (api ? runFixturesApi : runFixtures)(wasmUrl, fixturesUrl).then((lines) => ({ lines, where: 'Window' }));
