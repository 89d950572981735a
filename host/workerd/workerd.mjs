// The real workerd (npm package `workerd`) for ringroute's workerd runners (runner.mjs: the
// fixtures; startup-runner.mjs: the start-up probe), written once: the binary, a free loopback
// port, `workerd serve` on a config written into a fresh temp folder, in its own process group,
// and a stop that always ends that group (SIGTERM, then SIGKILL) and removes the folder — also on
// SIGINT/SIGTERM/SIGHUP and at exit.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The workerd binary: the platform package's (where npm puts it without install scripts), else workerd/bin. */
export function workerdBinary() {
  const arch = { x64: '64', arm64: 'arm64' }[process.arch] ?? process.arch;
  const candidates = [
    `node_modules/@cloudflare/workerd-${process.platform}-${arch}/bin/workerd`,
    'node_modules/workerd/bin/workerd',
  ];
  const bin = candidates.map((c) => join(root, c)).find((b) => existsSync(b));
  if (!bin) throw new Error(`no workerd binary in node_modules (npm i -D workerd): tried ${candidates.join(', ')}`);
  return bin;
}

/** A port nobody listens on right now, on 127.0.0.1. */
export const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

let child = null, tmp = null;
/** workerd is running (started and not exited). */
export const running = () => child !== null && child.exitCode === null && child.signalCode === null;
function killGroup(signal) {
  if (running()) { try { process.kill(-child.pid, signal); } catch { /* gone already */ } }
}

/**
 * Starts `workerd serve` on the config `configFor(folder, port)` returns (embed paths relative to
 * `folder`, where it is written). `onOutput(chunk)` sees workerd's stdout and stderr. Returns
 * { port, pid, output() (the last 4,000 characters), spawnError (a promise of a spawn failure) }.
 */
export async function startWorkerd(bin, configFor, onOutput = () => {}) {
  await stopWorkerd();
  tmp = mkdtempSync(join(tmpdir(), 'ringroute-workerd-'));
  const port = await freePort();
  writeFileSync(join(tmp, 'config.capnp'), configFor(tmp, port));
  child = spawn(bin, ['serve', join(tmp, 'config.capnp')], { cwd: tmp, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => { onOutput(chunk); output = (output + chunk).slice(-4000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const spawnError = new Promise((r) => child.once('error', r));
  return { port, pid: child.pid, output: () => output, spawnError };
}

/** Ends workerd's process group (SIGTERM, SIGKILL after 3 s) and removes its temp folder. */
export async function stopWorkerd() {
  if (child) {
    const exited = new Promise((r) => (running() ? child.once('exit', r) : r()));
    killGroup('SIGTERM');
    if (await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]) === false) {
      killGroup('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
    }
    child = null;
  }
  if (tmp) { rmSync(tmp, { recursive: true, force: true }); tmp = null; }
}

process.on('exit', () => killGroup('SIGKILL')); // last resort: synchronous
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { stopWorkerd().finally(() => process.exit(1)); });
}
