#!/usr/bin/env node
// Makes the data segments of a shared-memory module passive, and adds an export that writes them
// once: `node scripts/passive-data.mjs build/ringroute.shared.wasm` (in place).
//
// Why: an active data segment is written into memory by every instantiation. With one shared
// memory and one instance per thread, each new thread's instantiation would rewrite the module's
// static data while other threads run on it. AssemblyScript emits active segments only, so this
// step turns each into a passive one (flag 1) and appends a function `rr_init_data`, exported,
// that copies every segment to the address it had (memory.init) and drops it (data.drop). The
// publisher calls it once, before anything else; thread instances never do, so instantiating
// them writes nothing (spec/shared.md §1). The module must have a DataCount section (bulk memory,
// which AssemblyScript emits), and only `i32.const` segment offsets.
//
// Cost: one pass over the module's bytes. Refuses (exit 1) a module it already processed.
import { readFileSync, writeFileSync } from 'node:fs';

const EXPORT = 'rr_init_data';

const path = process.argv[2];
if (!path) {
  console.error('usage: passive-data.mjs <module.wasm>');
  process.exit(2);
}
const bytes = readFileSync(path);

// ── LEB128 ─────────────────────────────────────────────────────────────────────
function readU(buf, at) {
  let result = 0, shift = 0, b;
  do { b = buf[at++]; result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [result, at];
}
function readS32(buf, at) {
  let result = 0, shift = 0, b;
  do { b = buf[at++]; result |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
  if (shift < 32 && (b & 0x40)) result |= -1 << shift;
  return [result | 0, at];
}
function u(n) {
  const out = [];
  do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}
function s32(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
const name = (s) => [...u(Buffer.byteLength(s)), ...Buffer.from(s)];

// ── sections ───────────────────────────────────────────────────────────────────
if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${path}: not a wasm module`);
const sections = []; // { id, body: Buffer }
for (let at = 8; at < bytes.length;) {
  const id = bytes[at];
  const [size, body] = readU(bytes, at + 1);
  sections.push({ id, body: bytes.subarray(body, body + size) });
  at = body + size;
}
const find = (id) => sections.find((s) => s.id === id);
/** A vector section's entries as raw byte ranges, given a reader of one entry's end. */
function entries(body, endOf) {
  let [n, at] = readU(body, 0);
  const out = [];
  for (let i = 0; i < n; i++) { const end = endOf(body, at); out.push(body.subarray(at, end)); at = end; }
  return out;
}
const vec = (items) => Buffer.from([...u(items.length), ...items.flatMap((b) => [...b])]);

// imported functions shift the index of the function we add
let importedFuncs = 0;
const imports = find(2);
if (imports) {
  entries(imports.body, (b, at) => {
    for (let k = 0; k < 2; k++) { const [len, p] = readU(b, at); at = p + len; }
    const kind = b[at++];
    if (kind === 0) { importedFuncs++; return readU(b, at)[1]; }
    if (kind === 1) { at += 1; const flags = b[at++]; at = readU(b, at)[1]; return flags & 1 ? readU(b, at)[1] : at; }
    if (kind === 2) { const flags = b[at++]; at = readU(b, at)[1]; return flags & 1 ? readU(b, at)[1] : at; }
    if (kind === 3) return at + 2;
    throw new Error(`import kind ${kind}`);
  });
}

// exports: refuse a module already processed
const exportsSec = find(7);
const exportEntries = entries(exportsSec.body, (b, at) => { const [len, p] = readU(b, at); return readU(b, p + len + 1)[1]; });
for (const e of exportEntries) {
  const [len, p] = readU(e, 0);
  if (e.subarray(p, p + len).toString() === EXPORT) { console.error(`${path}: already has ${EXPORT}`); process.exit(1); }
}

// data: active segments (flag 0 or 2 with memory 0, offset i32.const N) → passive (flag 1)
const dataSec = find(11);
if (!dataSec) { console.error(`${path}: no data section: nothing to do`); process.exit(0); }
if (!find(12)) throw new Error(`${path}: no DataCount section (build with bulk memory)`);
const segments = []; // { offset, length }
const passive = entries(dataSec.body, (b, at) => {
  const flag = b[at];
  let p = at + 1;
  if (flag === 1) { const [len, q] = readU(b, p); segments.push(null); return q + len; }
  if (flag === 2) { const [mem, q] = readU(b, p); if (mem !== 0) throw new Error('segment of memory ≠ 0'); p = q; }
  else if (flag !== 0) throw new Error(`data segment flag ${flag}`);
  if (b[p] !== 0x41) throw new Error('data segment offset is not i32.const');
  const [offset, q] = readS32(b, p + 1);
  if (b[q] !== 0x0b) throw new Error('data segment offset is not one i32.const');
  const [len, d] = readU(b, q + 1);
  segments.push({ offset: offset >>> 0, length: len, at: d });
  return d + len;
}).map((raw, i) => {
  const s = segments[i];
  if (s === null) return raw;
  const data = dataSec.body.subarray(s.at, s.at + s.length);
  return Buffer.from([0x01, ...u(s.length), ...data]);
});
dataSec.body = vec(passive);

// the type () → (): reuse one, or add it
const typeSec = find(1);
const types = entries(typeSec.body, (b, at) => {
  if (b[at] !== 0x60) throw new Error('type is not a func type');
  let [np, p] = readU(b, at + 1); p += np;
  const [nr, q] = readU(b, p);
  return q + nr;
});
let typeIndex = types.findIndex((t) => t.length === 3 && t[0] === 0x60 && t[1] === 0 && t[2] === 0);
if (typeIndex < 0) { types.push(Buffer.from([0x60, 0, 0])); typeIndex = types.length - 1; typeSec.body = vec(types); }

// the function, its export and its body
const funcSec = find(3);
const funcs = entries(funcSec.body, (b, at) => readU(b, at)[1]);
const funcIndex = importedFuncs + funcs.length;
funcs.push(Buffer.from(u(typeIndex)));
funcSec.body = vec(funcs);
exportEntries.push(Buffer.from([...name(EXPORT), 0x00, ...u(funcIndex)]));
exportsSec.body = vec(exportEntries);

const code = [0x00]; // no locals
segments.forEach((s, i) => {
  if (s === null || s.length === 0) return;
  code.push(0x41, ...s32(s.offset | 0), 0x41, 0x00, 0x41, ...s32(s.length | 0)); // dest, src, n
  code.push(0xfc, 0x08, ...u(i), 0x00); // memory.init i (memory 0)
});
segments.forEach((s, i) => { if (s !== null) code.push(0xfc, 0x09, ...u(i)); }); // data.drop i
code.push(0x0b);
const codeSec = find(10);
const bodies = entries(codeSec.body, (b, at) => { const [size, p] = readU(b, at); return p + size; });
bodies.push(Buffer.from([...u(code.length), ...code]));
codeSec.body = vec(bodies);

const out = [bytes.subarray(0, 8)];
for (const s of sections) out.push(Buffer.from([s.id, ...u(s.body.length)]), s.body);
writeFileSync(path, Buffer.concat(out));
const active = segments.filter((s) => s !== null);
console.log(`${path}: ${active.length} data segments passive (${active.reduce((n, s) => n + s.length, 0)} bytes), ${EXPORT} = function ${funcIndex}`);
