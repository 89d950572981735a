#!/usr/bin/env node
// Generates assembly/layout.ts, assembly/errors.ts and assembly/shared-layout.ts from
// bindings/layout.ts, bindings/errors.ts and bindings/shared-layout.ts (their
// `export const NAME = <integer>;` lines), so the numbers of the byte layouts and the error codes
// live in one place. `--check` exits 1 if a file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = false;

for (const [src, dst, type] of [
  ['bindings/layout.ts', 'assembly/layout.ts', 'u32'],
  ['bindings/errors.ts', 'assembly/errors.ts', 'i32'],
  ['bindings/shared-layout.ts', 'assembly/shared-layout.ts', 'u32'],
]) {
  const lines = readFileSync(join(root, src), 'utf8').split('\n');
  const out = [
    `// GENERATED from ${src} by scripts/gen-shared.mjs — do not edit; run \`npm run gen\`.`,
    '',
  ];
  for (const line of lines) {
    const m = /^export const ([A-Z0-9_]+) = (0x[0-9a-fA-F]+|\d+);(.*)$/.exec(line);
    if (m) out.push(`export const ${m[1]}: ${type} = ${m[2]};${m[3]}`);
  }
  const text = out.join('\n') + '\n';
  const path = join(root, dst);
  let old = '';
  try { old = readFileSync(path, 'utf8'); } catch { /* first run */ }
  if (old !== text) {
    if (check) { console.error(`${dst} is stale: run npm run gen`); stale = true; }
    else writeFileSync(path, text);
  }
}
process.exit(stale ? 1 : 0);
