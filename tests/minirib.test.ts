// The encoder and the readers of both cores: golden buffers load, each malformed buffer of the
// fail set is refused with its code, and a refused load leaves the previous data in force.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeMiniRib, setGeneration } from '../dist/bindings/encoder.js';
import { RingrouteError } from '../dist/bindings/errors.js';
import * as L from '../dist/bindings/layout.js';
import { validateModel } from '../dist/bindings/model.js';
import { readMiniRib } from '../dist/bindings/ts-core/minirib.js';
import { CORES } from './cores.js';

const failIndex = JSON.parse(readFileSync('tests/golden/fail/index.json', 'utf8')) as Record<string, string>;
const golden = readdirSync('tests/golden').filter((f) => f.endsWith('.bin'));
const bin = (p: string): Uint8Array => new Uint8Array(readFileSync(`tests/golden/${p}`));
const scenario = (p: string) => JSON.parse(readFileSync(`tests/conformance/${p}.json`, 'utf8'));
const refusal = (fn: () => void): string => {
  try { fn(); } catch (e) { return e instanceof RingrouteError ? e.codeName : `not a RingrouteError: ${String(e)}`; }
  return 'accepted';
};

describe('encoder', () => {
  it('writes the header and section table of spec/minirib.md', () => {
    const s = scenario('named/single-server');
    const b = encodeMiniRib(s.rib, s.client, { generation: 0x1_0000_0002n });
    const dv = new DataView(b.buffer);
    expect(dv.getUint32(L.H_MAGIC, true)).toBe(L.MAGIC);
    expect(String.fromCharCode(...b.subarray(0, 4))).toBe('RRIB');
    expect(dv.getUint32(L.H_TOTAL_LEN, true)).toBe(b.length);
    expect(b.length % 8).toBe(0);
    expect(dv.getUint32(L.H_SECTION_COUNT, true)).toBe(L.SECTION_COUNT);
    expect(readMiniRib(b).generation).toBe(0x1_0000_0002n);
    for (let e = 0; e < L.SECTION_COUNT; e++) {
      expect(dv.getUint32(L.HEADER_SIZE + e * 16 + L.SE_OFFSET, true) % 8).toBe(0);
    }
  });
  it('restamps the generation without touching the checksum', () => {
    const s = scenario('named/single-server');
    const b = encodeMiniRib(s.rib, s.client);
    setGeneration(b, 77n);
    expect(readMiniRib(b).generation).toBe(77n);
  });
  it('is deterministic', () => {
    const s = scenario('named/shard-primary-role');
    expect(encodeMiniRib(s.rib, s.client)).toEqual(encodeMiniRib(structuredClone(s.rib), s.client));
  });
  it('takes non-ASCII ids and names', () => {
    const s = scenario('named/single-server');
    s.rib.services[0].servers[0].id = 'zürich-ø:1';
    s.rib.regions[0] = 'région';
    s.rib.services[0].servers[0].region = 'région';
    s.client.region = 'région';
    for (const { make } of CORES) {
      const core = make();
      core.load(encodeMiniRib(s.rib, s.client));
      expect(core.serverId(0, 0)).toBe('zürich-ø:1');
      expect(core.serviceIndex(s.rib.services[0].name)).toBe(0);
    }
  });
  it.each([
    ['a fractional weight', (s: any) => { s.rib.services[0].servers[0].weight = 1.5; }, 'SERVER_WEIGHT'],
    ['a negative seed', (s: any) => { s.client.seed = -1; }, 'CLIENT_SEED'],
    ['a short rtt row', (s: any) => { s.rib.rtt_us[0] = []; }, 'RTT_SHAPE'],
    ['regions not a list', (s: any) => { s.rib.regions = 'local'; }, 'MODEL_SHAPE'],
  ])('refuses %s before writing a byte', (_what, mutate, code) => {
    const s = scenario('named/single-server');
    mutate(s);
    expect(refusal(() => encodeMiniRib(s.rib, s.client))).toBe(code);
    expect(refusal(() => validateModel(s.rib, s.client))).toBe(code);
  });
});

describe.each(CORES)('reader of the $name core', ({ make }) => {
  it.each(golden)('loads golden %s', (f) => {
    const core = make();
    core.load(bin(f));
    expect(core.loaded()).toBe(true);
    expect(core.serviceCount()).toBeGreaterThan(0);
  });
  it('loads from a Node Buffer at an odd offset of a larger allocation, and keeps no reference to it', () => {
    const core = make();
    const src = Buffer.concat([Buffer.alloc(3, 0xee), readFileSync('tests/golden/shard-primary-role.bin')]).subarray(3);
    expect(src.byteOffset % 8).not.toBe(0);
    core.load(src);
    const svc = core.serviceIndex('kv');
    const before = core.serverId(svc, 0);
    src.fill(0); // the caller may reuse its buffer
    expect(core.serverId(svc, 1)).toMatch(/\S/);
    expect(core.serverId(svc, 0)).toBe(before);
    expect(core.route(svc, L.ROUTE_HAS_KEY, 12345)).toBeGreaterThanOrEqual(0);
  });
  it.each(Object.entries(failIndex))('refuses fail/%s with %s', (f, code) => {
    const core = make();
    expect(refusal(() => core.load(bin(`fail/${f}`)))).toBe(code);
    expect(core.loaded()).toBe(false);
  });
  it('keeps the previous data, loads and RNG when a load is refused', () => {
    const core = make();
    core.load(bin('fail/valid-base.bin'));
    const svc = core.serviceIndex('web');
    core.loads()[core.serverFirst(svc) + 1] = 4.5;
    const rng = core.rngState();
    for (const f of Object.keys(failIndex)) expect(refusal(() => core.load(bin(`fail/${f}`)))).not.toBe('accepted');
    expect(core.serviceIndex('web')).toBe(svc);
    expect(core.loads()[core.serverFirst(svc) + 1]).toBe(4.5);
    expect(core.rngState()).toBe(rng);
    expect(core.route(svc, 0, 0)).toBeGreaterThanOrEqual(0);
  });
  it('routes nothing before the first load (NO_SERVICE)', () => {
    const core = make();
    expect(core.loaded()).toBe(false);
    expect(core.serviceIndex('web')).toBe(-1);
    expect(core.route(0, 0, 0)).toBe(-1);
  });
});
