// The Web Worker mode of host/browser/runner.mjs: runs the fixture loop inside a dedicated module
// worker and posts { lines } or { error } back to the page (page.js).
import { runFixtures } from './run-fixtures.js';

self.onmessage = async ({ data: { wasmUrl, fixturesUrl } }) => {
  try {
    self.postMessage({ lines: await runFixtures(wasmUrl, fixturesUrl), where: self.constructor.name });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};
