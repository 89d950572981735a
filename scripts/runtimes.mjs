// The runtimes of `npm run conformance:all` (scripts/conformance-all.mjs). Each entry prepares
// what it needs (a build, a binary) and returns the command that runs its runner over the fixture
// folder; prepare() throws when the runtime cannot run here, which the table counts as a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-versions.mjs';

const root = fileURLToPath(new URL('..', import.meta.url)); // ends with '/'
const nodeRunner = `${root}host/node/fixture-runner.mjs`;

// ── Deno and Bun (devDependencies `deno`, `bun`) ─────────────────────────────────
// Two rows each: the flat ABI (host/<rt>/fixture-runner.ts) and the project's compiled API
// (host/<rt>/api-runner.ts over dist/bindings/wasm-core.js), the .ts runners run as they are.
// Whether npm ran their install scripts decides where the binary sits, so each is taken from the
// first candidate that exists and answers --version with the installed package's version.
const versionOf = (pkg) => {
  try { return JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, 'utf8')).version; } catch { return null; }
};
const found = new Map();
function binaryOf(pkg, version, candidates) {
  if (!version) throw new Error(`${pkg} is not installed (npm i -D ${pkg})`);
  if (!found.has(pkg)) {
    const bin = candidates.map((c) => `${root}node_modules/${c}`).find((b) => {
      if (!existsSync(b)) return false;
      const r = spawnSync(b, ['--version'], { encoding: 'utf8', timeout: 60_000 });
      return r.status === 0 && r.stdout.includes(version);
    });
    if (!bin) throw new Error(`no runnable ${pkg} ${version} in node_modules: tried ${candidates.join(', ')}`);
    found.set(pkg, bin);
  }
  return found.get(pkg);
}
const denoVersion = versionOf('deno'), bunVersion = versionOf('bun');
/** The Deno and Bun binaries (for the benchmarks' start-up probe too). */
export const denoBinary = () => binaryOf('deno', denoVersion, ['@deno/linux-x64-glibc/deno', 'deno/deno']);
export const bunBinary = () => binaryOf('bun', bunVersion, ['@oven/bun-linux-x64/bin/bun', 'bun/bin/bun.exe']);
export { denoVersion, bunVersion };
// Deno: read access to the repository (runners, dist/, build/) and the fixture folder only
const deno = (dir, file) => [
  denoBinary(),
  'run', '--no-prompt', '--no-lock', `--allow-read=${root},${dir}`, `${root}host/deno/${file}`, dir,
];
// Bun: the platform package's binary, else the copy bun's package ships (what its postinstall links)
const bun = (dir, file) => [
  bunBinary(),
  '--no-install', `${root}host/bun/${file}`, dir,
];

// ── C and Python (host/wasi/) ───────────────────────────────────────────────────
// build/ringroute.scalar.wasm compiled to C by wasm2c (Debian wabt 1.0.32 rejects v128: the scalar
// build) with gcc; Python drives the same C as a shared library through ctypes.
// `make -C host/wasi/c` (idempotent) builds into build/c/.
let wasiBuilt = false;
function wasiBuild() {
  if (wasiBuilt) return;
  for (const [tool, hint] of [['wasm2c', 'apt-get install -y wabt'], ['gcc', 'apt-get install -y gcc'], ['make', 'apt-get install -y make']]) {
    if (spawnSync(tool, ['--version'], { encoding: 'utf8' }).status !== 0) throw new Error(`${tool} is missing (${hint})`);
  }
  if (!existsSync(`${root}build/ringroute.scalar.wasm`)) throw new Error('build/ringroute.scalar.wasm is missing (npm run build)');
  const r = spawnSync('make', ['-s', '-C', `${root}host/wasi/c`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`make -C host/wasi/c failed: ${(r.stderr || r.stdout || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
  wasiBuilt = true;
}

export const RUNTIMES = [
  { name: 'node 20 (wasm, flat ABI)', prepare: (dir) => [process.execPath, nodeRunner, dir] },
  { name: 'node 20 (scalar wasm, flat ABI)', prepare: (dir) => [process.execPath, nodeRunner, dir, `${root}build/ringroute.scalar.wasm`] },
  { name: 'node 22 (wasm, flat ABI)', prepare: (dir) => [nodeBinary(22), nodeRunner, dir] },
  { name: 'node 24 (wasm, flat ABI)', prepare: (dir) => [nodeBinary(24), nodeRunner, dir] },
  { name: `deno ${denoVersion ?? '2.x'} (wasm, flat ABI)`, prepare: (dir) => deno(dir, 'fixture-runner.ts') },
  { name: `deno ${denoVersion ?? '2.x'} (wasm, TS API)`, prepare: (dir) => deno(dir, 'api-runner.ts') },
  { name: `bun ${bunVersion ?? '1.x'} (wasm, flat ABI)`, prepare: (dir) => bun(dir, 'fixture-runner.ts') },
  { name: `bun ${bunVersion ?? '1.x'} (wasm, TS API)`, prepare: (dir) => bun(dir, 'api-runner.ts') },
  { name: 'C (wasm2c, scalar)', prepare: (dir) => { wasiBuild(); return [`${root}build/c/ringroute-c-runner`, dir]; } },
  {
    name: 'Python (ctypes over wasm2c)',
    prepare: (dir) => {
      if (spawnSync('python3', ['--version'], { encoding: 'utf8' }).status !== 0) throw new Error('python3 is missing');
      wasiBuild();
      return ['python3', `${root}host/wasi/python/runner.py`, dir];
    },
  },
];
