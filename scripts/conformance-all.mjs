#!/usr/bin/env node
// `npm run conformance:all`: every conformance scenario in every runtime, one table.
// Writes the fixtures (spec/runtimes.md) of tests/conformance/ into a temporary folder, runs each
// runtime's runner over it, checks every line against the scenarios, and prints
// runtime × passed / failed. Exits 1 on any failure and on any runtime that did not run: a
// missing runtime is a failure, not a skip. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLine, makeFixture } from '../dist/bindings/fixtures.js';
import { scenarioFiles } from '../dist/host/node/cli.js';
import { RUNTIMES } from './runtimes.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ringroute-fixtures-'));
const fixtures = scenarioFiles(['tests/conformance']).map((f) => makeFixture(JSON.parse(readFileSync(f, 'utf8'))));
for (const f of fixtures) {
  if (f.rib) writeFileSync(join(dir, `${f.name}.rib`), f.rib);
  writeFileSync(join(dir, `${f.name}.run`), f.run);
}

const only = process.argv.slice(2);
const rows = [];
let failedAll = 0;
for (const rt of RUNTIMES.filter((r) => only.length === 0 || only.includes(r.name))) {
  const t0 = performance.now();
  let cmd;
  try {
    cmd = rt.prepare(dir);
  } catch (e) {
    rows.push([rt.name, 0, fixtures.length, `did not run: ${e.message.split('\n')[0]}`]);
    failedAll++;
    continue;
  }
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  const lines = new Map();
  for (const line of (r.stdout ?? '').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) lines.set(line.slice(0, i), line);
  }
  let passed = 0, failed = 0;
  for (const f of fixtures) {
    const wrong = checkLine(f, lines.get(f.name));
    if (wrong === null) passed++;
    else { failed++; if (failed <= 5) console.log(`MISMATCH ${rt.name} ${f.name}: ${wrong}`); }
  }
  const ran = r.status === 0;
  if (!ran) console.log(`${rt.name}: exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${(r.stderr ?? '').slice(0, 600)}`);
  rows.push([rt.name, passed, ran ? failed : Math.max(failed, 1), `${((performance.now() - t0) / 1000).toFixed(1)} s`]);
  if (failed > 0 || !ran) failedAll++;
}

const w = Math.max(...rows.map((r) => r[0].length), 7);
console.log(`\n${'runtime'.padEnd(w)}  passed  failed  note`);
for (const [name, p, f, note] of rows) console.log(`${name.padEnd(w)}  ${String(p).padStart(6)}  ${String(f).padStart(6)}  ${note}`);
const p = rows.reduce((a, r) => a + r[1], 0), f = rows.reduce((a, r) => a + r[2], 0);
console.log(`conformance:all: ${p} passed, ${f} failed`);
process.exit(failedAll === 0 ? 0 : 1);
