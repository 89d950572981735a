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
  {
    // workerd (devDependency `workerd`): host/workerd/runner.mjs serves host/workerd/worker.js
    // (config: host/workerd/config.capnp) on 127.0.0.1 and posts each fixture to it. The binary is
    // the platform package's (npm may not run workerd's install script); its --version prints the
    // build date that the package version carries (1.20261117.1 → 2026-11-17).
    name: `workerd ${versionOf('workerd') ?? '1.x'} (Worker, flat ABI)`,
    prepare: (dir) => {
      const version = versionOf('workerd');
      if (!version) throw new Error('workerd is not installed (npm i -D workerd)');
      const candidates = [`@cloudflare/workerd-${process.platform}-${process.arch === 'arm64' ? 'arm64' : '64'}/bin/workerd`, 'workerd/bin/workerd'];
      const bin = candidates.map((c) => `${root}node_modules/${c}`).find((b) => {
        if (!existsSync(b)) return false;
        const r = spawnSync(b, ['--version'], { encoding: 'utf8', timeout: 60_000 });
        return r.status === 0 && r.stdout.replaceAll('-', '').includes(version.split('.')[1]);
      });
      if (!bin) throw new Error(`no runnable workerd ${version} binary in node_modules: tried ${candidates.join(', ')}`);
      return [process.execPath, `${root}host/workerd/runner.mjs`, dir, bin];
    },
  },
  // Chromium (Debian's /usr/bin/chromium, driven by the devDependency `playwright-core`):
  // host/browser/runner.mjs serves host/browser/, the .wasm and the fixtures on 127.0.0.1 and runs
  // the flat-ABI loop on a page, or (--worker) in a dedicated module Web Worker the page starts.
  // The rows' names carry the version that `chromium --version` prints ("Chromium 156.0.8078.79 …").
  ...((chromiumVersion) => ['page', 'Web Worker'].map((where) => ({
    name: `chromium ${chromiumVersion ?? '1xx'} (${where}, flat ABI)`,
    prepare: (dir) => {
      if (!existsSync('/usr/bin/chromium')) throw new Error('/usr/bin/chromium is missing (apt-get install -y chromium)');
      if (!chromiumVersion) throw new Error('/usr/bin/chromium --version failed');
      if (!versionOf('playwright-core')) throw new Error('playwright-core is not installed (npm i -D playwright-core)');
      return [process.execPath, `${root}host/browser/runner.mjs`, ...(where === 'page' ? [] : ['--worker']), dir];
    },
  })))(existsSync('/usr/bin/chromium')
    ? /Chromium ([\d.]+)/.exec(spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '')?.[1] ?? null
    : null),
  // The standalone WASI command (build/ringroute.wasi.wasm, assembly/wasi.ts: imports
  // wasi_snapshot_preview1 only): host/wasi/command/runner.mjs runs it in process under node:wasi,
  // one WASI + instance per fixture, the fixture on stdin, the payload line on stdout. Bun runs the
  // same script through its own node:wasi (streams passed as callbacks, see the runner).
  ...[['node', 'WASI command (node:wasi)'], ['bun', `WASI command (bun ${bunVersion ?? '1.x'} node:wasi)`]].map(([rt, name]) => ({
    name,
    prepare: (dir) => {
      if (!existsSync(`${root}build/ringroute.wasi.wasm`)) throw new Error('build/ringroute.wasi.wasm is missing (npm run build)');
      const runner = `${root}host/wasi/command/runner.mjs`;
      return rt === 'node' ? [process.execPath, '--no-warnings', runner, dir] : [bunBinary(), '--no-install', runner, dir];
    },
  })),
  // Chromium and workerd through the project's web entry (the typed API: dist/bindings/index.web.js,
  // init() then createWasmCore() per fixture, the contract through the Core's methods) instead of
  // the flat ABI: the runners above with --api (host/browser/run-api.js, host/workerd/api-worker.js
  // + api-config.capnp). Each row takes its flat-ABI twin's checks, binary and name's version.
  ...[['page', 'page, TS API'], ['Web Worker', 'Web Worker, TS API'], ['Worker', 'Worker, TS API']].map(([flat, where]) => {
    const twin = () => RUNTIMES.find((r) => r.name.endsWith(`(${flat}, flat ABI)`));
    return {
      get name() { return twin().name.replace(`(${flat}, flat ABI)`, `(${where})`); }, // RUNTIMES exists once read
      prepare: (dir) => {
        if (!existsSync(`${root}dist/bindings/index.web.js`)) throw new Error('dist/bindings/index.web.js is missing (npm run build)');
        const cmd = twin().prepare(dir); // [node, runner.mjs, ...flags, dir, ...]
        return [cmd[0], cmd[1], '--api', ...cmd.slice(2)];
      },
    };
  }),
];
