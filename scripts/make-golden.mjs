#!/usr/bin/env node
// Writes tests/golden/: the miniRIBs of a few scenarios (*.bin, byte-exact: a change of the
// format or the encoder shows as a diff) and fail/*.bin, malformed buffers each with the error
// code every core must refuse it with (fail/index.json). Needs `npm run build` first.
//   node scripts/make-golden.mjs           (re)write the files
//   node scripts/make-golden.mjs --check   exit 1 if the files differ from what it would write
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMiniRib, resealChecksum } from '../dist/bindings/encoder.js';
import * as L from '../dist/bindings/layout.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const golden = join(root, 'tests', 'golden');
const check = process.argv.includes('--check');
const scenario = (name) => JSON.parse(readFileSync(join(root, 'tests', 'conformance', name), 'utf8'));

const files = new Map();
for (const name of ['named/single-server', 'named/spill-half-of-ring-one', 'named/shard-primary-role', 'named/hash-replicas-pick2']) {
  const s = scenario(`${name}.json`);
  files.set(`${name.split('/')[1]}.bin`, encodeMiniRib(s.rib, s.client));
}

// the fail set: edits of a valid buffer (a sharded + spill + hash scenario)
const base = scenario('invalid/shards-two-primaries.json');
base.rib.services[1].shards.replicas[0][1].role = 'secondary'; // make it valid
const good = encodeMiniRib(base.rib, base.client);
const dv = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const section = (b, kind) => {
  for (let e = 0; e < L.SECTION_COUNT; e++) {
    const t = L.HEADER_SIZE + e * L.SECTION_ENTRY_SIZE;
    if (dv(b).getUint32(t + L.SE_KIND, true) === kind) return { t, off: dv(b).getUint32(t + L.SE_OFFSET, true) };
  }
  throw new Error(`no section ${kind}`);
};
const svcRec = (b, s) => section(b, L.S_SERVICES).off + s * L.SERVICES_ENTRY;
const edit = (fn, reseal = true) => {
  const b = good.slice();
  const out = fn(b) ?? b;
  if (reseal) resealChecksum(out);
  return out;
};
const raw = (mutate) => {
  const s = structuredClone(base);
  mutate(s);
  return encodeMiniRib(s.rib, s.client, { check: false });
};
const fails = {
  'truncated-header': [good.slice(0, 40), 'TRUNCATED'],
  'bad-magic': [edit((b) => { b[0] = 0x58; }, false), 'BAD_MAGIC'],
  'version-2': [edit((b) => { dv(b).setUint16(L.H_VERSION, 2, true); }, false), 'BAD_VERSION'],
  'reserved-byte': [edit((b) => { b[L.H_RESERVED + 5] = 1; }, false), 'BAD_HEADER'],
  'length-mismatch': [(() => { const b = new Uint8Array(good.length + 8); b.set(good); return b; })(), 'BAD_LENGTH'],
  'cut-short': [edit((b) => { const c = b.slice(0, b.length - 8); dv(c).setUint32(L.H_TOTAL_LEN, c.length, true); return c; }), 'SECTION_OUT_OF_RANGE'],
  'body-bit-flip': [edit((b) => { b[b.length - 3] ^= 0x10; }, false), 'BAD_CHECKSUM'],
  'section-count-zero': [edit((b) => { dv(b).setUint32(L.H_SECTION_COUNT, 0, true); }, false), 'BAD_SECTION_TABLE'],
  'section-kind-unknown': [edit((b) => { dv(b).setUint32(L.HEADER_SIZE + 3 * L.SECTION_ENTRY_SIZE + L.SE_KIND, 99, true); }), 'SECTION_UNKNOWN'],
  'section-kind-twice': [edit((b) => { dv(b).setUint32(L.HEADER_SIZE + 3 * L.SECTION_ENTRY_SIZE + L.SE_KIND, 3, true); }), 'SECTION_DUPLICATE'],
  'section-misaligned': [edit((b) => { const t = section(b, L.S_SERVICES).t; dv(b).setUint32(t + L.SE_OFFSET, dv(b).getUint32(t + L.SE_OFFSET, true) + 4, true); }), 'SECTION_OUT_OF_RANGE'],
  'section-size-wrong': [edit((b) => { const t = section(b, L.S_RINGS).t; dv(b).setUint32(t + L.SE_COUNT, dv(b).getUint32(t + L.SE_COUNT, true) - 1, true); }), 'SECTION_SIZE'],
  'section-missing': [edit((b) => { dv(b).setUint32(L.H_SECTION_COUNT, L.SECTION_COUNT - 1, true); }), 'SECTION_MISSING'],
  'string-out-of-range': [edit((b) => { dv(b).setUint32(section(b, L.S_SERVER_IDS).off + L.STR_OFF, 0xfffffff0, true); }), 'STRING_OUT_OF_RANGE'],
  'server-hash-wrong': [edit((b) => { const o = section(b, L.S_SERVER_HASH).off; dv(b).setUint32(o, dv(b).getUint32(o, true) ^ 1, true); }), 'SERVER_HASH'],
  'servers-not-tiled': [edit((b) => { dv(b).setUint32(svcRec(b, 1) + L.SV_SERVER_FIRST, 1, true); }), 'RANGE_NOT_TILED'],
  'server-count-overrun': [edit((b) => { dv(b).setUint32(svcRec(b, 2) + L.SV_SERVER_COUNT, 1000, true); }), 'RANGE_NOT_TILED'],
  'weight-zero': [raw((s) => { s.rib.services[0].servers[1].weight = 0; }), 'SERVER_WEIGHT'],
  'state-unknown': [raw((s) => { s.rib.services[0].servers[0].state = 'gone'; }), 'SERVER_STATE'],
  'rings-empty': [raw((s) => { s.rib.services[2].rings_us = []; }), 'RINGS_EMPTY'],
  'rings-unsorted': [raw((s) => { s.rib.services[0].rings_us = [35000, 5000, null]; }), 'RINGS_ORDER'],
  'rtt-value-high-word': [edit((b) => { dv(b).setUint32(section(b, L.S_RTT).off + 4, 1, true); }), 'RTT_VALUE'],
  'keep-above-one': [raw((s) => { s.rib.services[0].spill.local = [1.5, 1, 1]; }), 'SPILL_FRACTION'],
  'policy-conflict': [raw((s) => { s.rib.services[2].subset = 3; }), 'POLICY_CONFLICT'],
  'shards-first-start': [raw((s) => { s.rib.services[1].shards.starts = [7, 2147483648]; }), 'SHARDS_FIRST_START'],
  'replica-out-of-range': [raw((s) => { s.rib.services[1].shards.replicas[1][0].server = 9; }), 'SHARD_REPLICA_RANGE'],
  'replica-role-unknown': [raw((s) => { s.rib.services[1].shards.replicas[1][0].role = 'leader'; }), 'SHARD_ROLE'],
  'shard-list-not-tiled': [edit((b) => { dv(b).setUint32(section(b, L.S_SHARD_LISTS).off + 8 + L.SL_FIRST, 0, true); }), 'RANGE_NOT_TILED'],
  'client-region': [raw((s) => { s.client.region = 'mars'; }), 'CLIENT_REGION'],
  'service-reserved': [edit((b) => { dv(b).setUint32(svcRec(b, 0) + L.SV_RESERVED, 5, true); }), 'BAD_HEADER'],
};
const index = {};
files.set('fail/valid-base.bin', good);
for (const [name, [buf, code]] of Object.entries(fails)) {
  files.set(`fail/${name}.bin`, buf);
  index[`${name}.bin`] = code;
}
files.set('fail/index.json', Buffer.from(JSON.stringify(index, null, 1) + '\n'));

let stale = 0;
for (const [name, bytes] of files) {
  const p = join(golden, name);
  const same = existsSync(p) && Buffer.compare(readFileSync(p), Buffer.from(bytes)) === 0;
  if (!same) {
    if (check) { console.error(`tests/golden/${name} differs from what the encoder writes now`); stale++; }
    else writeFileSync(p, bytes);
  }
}
console.log(`make-golden: ${files.size} files${check ? (stale ? `, ${stale} stale` : ', all current') : ' written'}`);
process.exit(stale ? 1 : 0);
