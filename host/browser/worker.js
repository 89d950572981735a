// The Web Worker mode of host/browser/runner.mjs: runs the fixture loop inside a dedicated module
// worker (through the flat ABI, or with `api` through the web entry) and posts { lines } or
// { error } back to the page (page.js).
import { runFixtures, runFixturesApi } from './run-fixtures.js';


self.onmessage = async ({ data: { wasmUrl, fixturesUrl, api } }) => {
  try {
    self.postMessage({ lines: await (api ? runFixturesApi : runFixtures)(wasmUrl, fixturesUrl), where: self.constructor.name });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};
