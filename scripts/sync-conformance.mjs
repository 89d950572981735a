#!/usr/bin/env node
// Keeps tests/conformance/ a copy of ../shared/conformance/ (the project must stand on its own).
//   node scripts/sync-conformance.mjs           copy the shared scenarios in
//   node scripts/sync-conformance.mjs --check   exit 1 if the copy differs (CI, when ../shared exists)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared', 'conformance');
const local = join(root, 'tests', 'conformance');
const check = process.argv.includes('--check');

const list = (dir) => {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.json')) out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
};

if (!existsSync(shared)) {
  console.log(`sync-conformance: ${shared} not present; keeping tests/conformance as it is`);
  process.exit(0);
}
const want = list(shared);
const have = list(local);
const differ = [];
for (const f of want) {
  const a = readFileSync(join(shared, f));
  const b = existsSync(join(local, f)) ? readFileSync(join(local, f)) : null;
  if (b === null || !a.equals(b)) differ.push(f);
}
const extra = have.filter((f) => !want.includes(f));
if (check) {
  if (differ.length || extra.length) {
    console.error(`tests/conformance differs from ../shared/conformance: ${differ.length} changed or missing, ${extra.length} extra (${[...differ, ...extra].slice(0, 5).join(', ')}); run node scripts/sync-conformance.mjs`);
    process.exit(1);
  }
  console.log(`sync-conformance: tests/conformance matches ../shared/conformance (${want.length} scenarios)`);
} else {
  for (const f of extra) rmSync(join(local, f));
  for (const f of differ) {
    mkdirSync(dirname(join(local, f)), { recursive: true });
    writeFileSync(join(local, f), readFileSync(join(shared, f)));
  }
  console.log(`sync-conformance: ${differ.length} copied, ${extra.length} removed, ${want.length} in all`);
}
