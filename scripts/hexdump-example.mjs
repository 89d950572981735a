#!/usr/bin/env node
// Writes the annotated hex dump of tests/golden/single-server.bin into spec/minirib.md (between
// the ```dump fences of "An annotated example"). Needs `npm run build` first (the layout constants).
import { readFileSync, writeFileSync } from 'node:fs';
import * as L from '../dist/bindings/layout.js';

const buf = readFileSync(new URL('../tests/golden/single-server.bin', import.meta.url));
const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
const KIND = Object.fromEntries(Object.entries(L).filter(([k]) => k.startsWith('S_')).map(([k, v]) => [v, k.slice(2)]));
const lines = [];
const hex = (o, n) => [...buf.subarray(o, o + n)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const row = (o, n, note) => lines.push(`${o.toString(16).padStart(4, '0')}  ${hex(o, n).padEnd(48)}  ${note}`);
const u32 = (o) => dv.getUint32(o, true);
const str = (o, n) => JSON.stringify(buf.subarray(sections[L.S_STRINGS] + o, sections[L.S_STRINGS] + o + n).toString('utf8'));

const sections = {};
const counts = {};
for (let e = 0; e < u32(L.H_SECTION_COUNT); e++) {
  const t = L.HEADER_SIZE + e * L.SECTION_ENTRY_SIZE;
  sections[u32(t)] = u32(t + 4);
  counts[u32(t)] = u32(t + 12);
}
lines.push('-- header --');
row(0, 4, `magic "RRIB"`);
row(4, 4, `version ${dv.getUint16(4, true)}, header size ${dv.getUint16(6, true)}`);
row(8, 4, `total length ${u32(8)}`);
row(12, 4, `checksum xxh32(body, 0) = 0x${u32(12).toString(16).padStart(8, '0')}`);
row(16, 8, `generation ${u32(16) + u32(20) * 2 ** 32}`);
row(24, 8, `${u32(24)} sections, flags 0`);
row(32, 16, 'reserved');
row(48, 16, 'reserved');
lines.push('-- section table: kind, offset, size, count --');
for (let e = 0; e < u32(L.H_SECTION_COUNT); e++) {
  const t = L.HEADER_SIZE + e * 16;
  row(t, 16, `${KIND[u32(t)].padEnd(15)} at ${u32(t + 4)}, ${u32(t + 8)} bytes, ${u32(t + 12)} entries`);
}
const at = (k, note) => lines.push(`-- ${KIND[k]} (${note}) --`);
at(L.S_STRINGS, 'UTF-8 bytes of every id and name');
for (let o = 0; o < counts[L.S_STRINGS]; o += 16) row(sections[L.S_STRINGS] + o, Math.min(16, counts[L.S_STRINGS] - o), JSON.stringify(buf.subarray(sections[L.S_STRINGS] + o, sections[L.S_STRINGS] + Math.min(o + 16, counts[L.S_STRINGS])).toString('latin1')));
const c = sections[L.S_CLIENT];
at(L.S_CLIENT, 'id, region, seed');
row(c, 16, `id ${str(u32(c), u32(c + 4))} (${u32(c)}, ${u32(c + 4)}), region ${u32(c + 8)}, seed ${u32(c + 12)}`);
at(L.S_REGIONS, 'name refs');
for (let i = 0; i < counts[L.S_REGIONS]; i++) { const o = sections[L.S_REGIONS] + 8 * i; row(o, 8, `region ${i}: ${str(u32(o), u32(o + 4))}`); }
at(L.S_RTT, 'u64 µs, row-major; all-ones = unknown');
for (let i = 0; i < counts[L.S_RTT]; i++) { const o = sections[L.S_RTT] + 8 * i; row(o, 8, u32(o + 4) === 0xffffffff ? 'unknown' : `${u32(o)} µs`); }
at(L.S_SERVICES, 'one 64-byte record each');
for (let s = 0; s < counts[L.S_SERVICES]; s++) {
  const o = sections[L.S_SERVICES] + 64 * s;
  row(o, 16, `name ${str(u32(o), u32(o + 4))}; servers from ${u32(o + 8)}, ${u32(o + 12)} of them`);
  row(o + 16, 16, `rings from ${u32(o + 16)}, ${u32(o + 20)}; spill lists from ${u32(o + 24)}, ${u32(o + 28)}`);
  row(o + 32, 16, `keep values from ${u32(o + 32)}; subset ${u32(o + 36)}; hash replicas ${u32(o + 40)}; shards from ${u32(o + 44)}`);
  row(o + 48, 16, `${u32(o + 48)} shards; replicas from ${u32(o + 52)}, ${u32(o + 56)}; reserved`);
}
const col = (k, size, note) => {
  at(k, note);
  for (let i = 0; i < counts[k]; i++) {
    const o = sections[k] + size * i;
    const v = size === 1 ? buf[o] : u32(o);
    row(o, size, k === L.S_SERVER_IDS ? `server ${i}: ${str(u32(o), u32(o + 4))}` : k === L.S_SERVER_HASH ? `server ${i}: 0x${v.toString(16).padStart(8, '0')}` : k === L.S_RINGS ? (u32(o + 4) === 0xffffffff ? 'unbounded' : `≤ ${v} µs`) : `${i}: ${v}`);
  }
};
col(L.S_SERVER_IDS, 8, 'id refs');
col(L.S_SERVER_HASH, 4, 'xxh32(id, 1)');
col(L.S_SERVER_WEIGHT, 4, 'weights');
col(L.S_SERVER_REGION, 4, 'region indexes');
col(L.S_SERVER_STATE, 1, '0 up, 1 draining, 2 down');
col(L.S_RINGS, 8, 'u64 bounds');
for (const k of [L.S_SPILL_REGIONS, L.S_SPILL_KEEP, L.S_SHARD_STARTS, L.S_SHARD_LISTS, L.S_SHARD_REPLICAS]) {
  if (counts[k] === 0) lines.push(`-- ${KIND[k]}: empty (0 bytes at ${sections[k]}) --`);
}
lines.push(`-- end at ${buf.length} (padding to a multiple of 8 is zero) --`);

const doc = new URL('../spec/minirib.md', import.meta.url);
const text = readFileSync(doc, 'utf8');
const start = text.indexOf('```dump\n');
const end = text.indexOf('```', start + 8);
const fresh = text.slice(0, start + 8) + lines.join('\n') + '\n' + text.slice(end);
if (process.argv.includes('--check')) {
  if (fresh !== text) { console.error('spec/minirib.md: the example dump is stale (node scripts/hexdump-example.mjs)'); process.exit(1); }
  console.log('hexdump-example: spec/minirib.md is current');
} else {
  writeFileSync(doc, fresh);
  console.log(`hexdump-example: ${lines.length} lines written into spec/minirib.md`);
}
