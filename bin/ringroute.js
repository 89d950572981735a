#!/usr/bin/env node
// The ringroute command line; the code is host/node/cli.ts, compiled to dist/ by `npm run build`.
import { main } from '../dist/host/node/cli.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
