// The runtimes of `npm run conformance:all` (scripts/conformance-all.mjs). Each entry prepares
// what it needs (a build, a binary) and returns the command that runs its runner over the fixture
// folder; prepare() throws when the runtime cannot run here, which the table counts as a failure.
import { nodeBinary } from './node-versions.mjs';

const runner = 'host/node/fixture-runner.mjs';

export const RUNTIMES = [
  { name: 'node 20 (wasm, flat ABI)', prepare: (dir) => [process.execPath, runner, dir] },
  { name: 'node 20 (scalar wasm, flat ABI)', prepare: (dir) => [process.execPath, runner, dir, 'build/ringroute.scalar.wasm'] },
  { name: 'node 22 (wasm, flat ABI)', prepare: (dir) => [nodeBinary(22), runner, dir] },
  { name: 'node 24 (wasm, flat ABI)', prepare: (dir) => [nodeBinary(24), runner, dir] },
];
