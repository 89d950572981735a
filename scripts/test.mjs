#!/usr/bin/env node
// `npm test`: build, then every suite, then one closing line `tests: N passed, M failed`.
//   1. npm run build            (generated constants, the three .wasm builds, tsc)
//   2. as-pect                  (AssemblyScript unit tests of assembly/)
//   3. vitest                   (encoder, both readers, all cores, API, CLI, fuzz, properties)
//   4. ringroute conformance    (every scenario with every core, through the CLI as a user runs it),
//                               on Node 20 and again on Node 22 and 24
//   5. conformance:all          (every runtime through the flat ABI: spec/runtimes.md)
// Exits 1 if any step fails; every step runs even after a failure, so one run shows everything.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSIONS, nodeBinary } from './node-versions.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, opts = {}) => {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: opts.capture ? ['inherit', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (opts.capture) process.stdout.write(r.stdout ?? '');
  return { ok: r.status === 0, out: r.stdout ?? '' };
};

let passed = 0, failed = 0;
const steps = [];
const step = (name, ok, p, f) => { steps.push(`${ok ? 'ok  ' : 'FAIL'} ${name}`); passed += p; failed += f; };

const build = run(npm, ['run', '-s', 'build']);
step('build', build.ok, 0, build.ok ? 0 : 1);
if (!build.ok) {
  console.log(`\n${steps.join('\n')}\ntests: ${passed} passed, ${failed} failed`);
  process.exit(1);
}

const as = run('npx', ['asp', '--config', 'as-pect.config.js', '--summary'], { capture: true });
{
  // as-pect's summary: "[Tests]: <passed> / <total>"
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(as.out.replace(/\x1b\[[0-9;]*m/g, ''));
  const p = m ? Number(m[1]) : 0, f = m ? Number(m[2]) - p : as.ok ? 0 : 1;
  step(`as-pect (${p} tests)`, as.ok, p, as.ok ? f : Math.max(f, 1));
}

const json = join(mkdtempSync(join(tmpdir(), 'ringroute-test-')), 'vitest.json');
const vt = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${json}`]);
{
  const r = existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : null;
  const p = r?.numPassedTests ?? 0, f = r?.numFailedTests ?? (vt.ok ? 0 : 1);
  step(`vitest (${p} tests)`, vt.ok && p > 0, p, vt.ok && p > 0 ? f : Math.max(f, 1));
}

const cf = run(process.execPath, ['bin/ringroute.js', 'conformance', 'tests/conformance', '--core', 'all'], { capture: true });
{
  const m = /conformance: (\d+) passed, (\d+) failed/.exec(cf.out);
  const p = m ? Number(m[1]) : 0, f = m ? Number(m[2]) : 1;
  step(`conformance CLI, all cores (${p} runs)`, cf.ok, p, cf.ok ? f : Math.max(f, 1));
}

// the same conformance run on the other supported Node versions (binaries from npm, installed on
// demand into .cache/node/, outside node_modules so npm scripts keep the machine's Node)
for (const major of Object.keys(VERSIONS)) {
  const v = `node ${major}`;
  let bin;
  try { bin = nodeBinary(major); } catch (e) { step(`conformance on ${v}: could not install it (${e.message})`, false, 0, 1); continue; }
  const r = run(bin, ['bin/ringroute.js', 'conformance', 'tests/conformance', '--core', 'all'], { capture: true });
  const m = /conformance: (\d+) passed, (\d+) failed/.exec(r.out);
  const p = m ? Number(m[1]) : 0, f = m ? Number(m[2]) : 1;
  step(`conformance CLI on ${v} (${p} runs)`, r.ok, p, r.ok ? f : Math.max(f, 1));
}

// every runtime over the flat ABI, one table (scripts/conformance-all.mjs)
{
  const r = run(process.execPath, ['scripts/conformance-all.mjs'], { capture: true });
  const m = /conformance:all: (\d+) passed, (\d+) failed/.exec(r.out);
  const p = m ? Number(m[1]) : 0, f = m ? Number(m[2]) : 1;
  step(`conformance:all, every runtime (${p} runs)`, r.ok, p, r.ok ? f : Math.max(f, 1));
}

console.log(`\n${steps.join('\n')}`);
console.log(`(run on node ${process.version} at ${process.execPath})`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
