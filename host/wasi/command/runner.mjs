#!/usr/bin/env node
// The runner of spec/runtimes.md for the standalone WASI command build (build/ringroute.wasi.wasm,
// assembly/wasi.ts), run under node:wasi in process: per fixture, one `new WASI` and one fresh
// instance (one router), stdin = a temp file holding u32 len(N.rib) ‖ N.rib ‖ N.run, stdout = a
// temp file whose one line is the payload printed after `N: `.
//   node host/wasi/command/runner.mjs <fixtures-dir> [--runtime node|bun] [--wasm path]
// The same file runs under Bun (its node:wasi); --runtime names the runtime to use and re-runs
// this script under it when the current one is the other (Bun: the devDependency's binary).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(name); return i < 0 ? fallback : args.splice(i, 2)[1]; };
const runtime = opt('--runtime', process.versions.bun ? 'bun' : 'node');
const wasmPath = opt('--wasm', fileURLToPath(new URL('../../../build/ringroute.wasi.wasm', import.meta.url)));
const [dir] = args;
if (!dir || !['node', 'bun'].includes(runtime)) {
  console.error('usage: runner.mjs <fixtures-dir> [--runtime node|bun] [--wasm path]');
  process.exit(2);
}

const current = process.versions.bun ? 'bun' : 'node';
if (runtime !== current) {
  const bin = runtime === 'bun' ? (await import('../../../scripts/runtimes.mjs')).bunBinary() : 'node';
  const r = spawnSync(bin, [fileURLToPath(import.meta.url), dir, '--wasm', wasmPath], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const module = new WebAssembly.Module(readFileSync(wasmPath));
const tmp = mkdtempSync(join(tmpdir(), 'ringroute-wasi-'));
const inFile = join(tmp, 'stdin'), outFile = join(tmp, 'stdout');

/** Runs the command once over one fixture: its stdout (the payload line, without '\n'). */
function runFixture(rib, run) {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(rib.length);
  const input = Buffer.concat([len, rib, run]);
  if (current === 'bun') return runBun(input);
  writeFileSync(inFile, input);
  const stdin = openSync(inFile, 'r'), stdout = openSync(outFile, 'w+');
  try {
    const wasi = new WASI({ version: 'preview1', args: ['ringroute.wasi'], env: {}, stdin, stdout, stderr: 2, returnOnExit: true });
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport });
    const code = wasi.start(instance) ?? 0;
    if (code !== 0) throw new Error(`exit ${code}`);
  } finally {
    closeSync(stdin);
    closeSync(stdout);
  }
  return readFileSync(outFile, 'utf8').replace(/\n$/, '');
}

/**
 * Bun's node:wasi (a port of wasi-js) ignores the `stdin`/`stdout` fd options: WASI fds 0 and 1
 * are always the process's own. It takes the streams as callbacks instead: `getStdin()` is asked
 * for more bytes whenever its last Buffer is used up (null: end of input), `sendStdout(bytes)`
 * gets each fd_write to fd 1. Its proc_exit ends the process (only on malformed input here).
 */
function runBun(input) {
  let pending = input;
  const out = [];
  const wasi = new WASI({
    version: 'preview1', args: ['ringroute.wasi'], env: {},
    getStdin: () => { const b = pending; pending = null; return b; },
    sendStdout: (bytes) => { out.push(Buffer.from(bytes)); },
  });
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport });
  wasi.start(instance);
  return Buffer.concat(out).toString('utf8').replace(/\n$/, '');
}

try {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.run')).sort()) {
    const name = file.slice(0, -4);
    const rib = join(dir, `${name}.rib`);
    console.log(`${name}: ${existsSync(rib) ? runFixture(readFileSync(rib), readFileSync(join(dir, file))) : 'skipped'}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
