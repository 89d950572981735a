// Runtime conformance fixtures (spec/runtimes.md): each scenario becomes a miniRIB file and a
// small binary request file that any host can read with no JSON parser — C, Python, Deno, Bun,
// browsers, workerd — and drive through the flat ABI. One Node driver writes them, runs every
// runtime's runner over the folder and checks the answers against the scenarios' `expect`.
import { encodeMiniRib } from './encoder.js';
import { ROUTE_ERRORS, RingrouteError, errorCode, errorName } from './errors.js';
import { RULE_CODES, type Scenario } from './conformance.js';
import { requestArgs } from './router.js';

/** "RRRQ": the request file's magic. */
export const RUN_MAGIC = 0x51525252;
export const RUN_VERSION = 1;
/** Request file header: magic, version, flags (bit 0 track, bit 1 invalid), load count, request count. */
export const RUN_HEADER = 20;
export const RUN_TRACK = 1;
export const RUN_INVALID = 2;

export interface Fixture {
  name: string;
  /** the miniRIB; null for an invalid scenario the format cannot hold (the encoder refused it) */
  rib: Uint8Array | null;
  run: Uint8Array;
  /** what a runner must print: one integer per request (server index or −code), or for an invalid
   * scenario the code its load must fail with (0: any refusal) */
  expect: number[];
}

/**
 * The fixture of a scenario. Request file, little-endian:
 *   u32 magic "RRRQ", u32 version 1, u32 flags, u32 L, u32 Q,
 *   L × f64 loads (load-table slots 0 .. L−1, set after the load),
 *   Q × (i32 service index (−1: no such service), u32 route flags, u32 key hash).
 */
export function makeFixture(s: Scenario): Fixture {
  if (s.invalid !== undefined) {
    let rib: Uint8Array | null = null;
    try {
      rib = encodeMiniRib(s.rib, s.client, { check: false });
    } catch (e) {
      if (!(e instanceof RingrouteError)) throw e;
    }
    return { name: s.name, rib, run: header(RUN_INVALID, 0, 0), expect: [RULE_CODES[s.invalid] ?? 0] };
  }
  const rib = encodeMiniRib(s.rib, s.client);
  const services = s.rib.services.map((x) => x.name);
  // the load table: slot = the service's first server + i, services in RIB order
  const firsts: number[] = [];
  let total = 0;
  for (const svc of s.rib.services) { firsts.push(total); total += svc.servers.length; }
  const loads = new Float64Array(s.loads ? total : 0);
  for (const [name, values] of Object.entries(s.loads ?? {})) {
    const i = services.indexOf(name);
    if (i >= 0) values.forEach((x, j) => { loads[firsts[i] + j] = x; });
  }
  const requests = s.requests ?? [];
  const run = header(s.track ? RUN_TRACK : 0, loads.length, requests.length, 8 * loads.length + 12 * requests.length);
  const dv = new DataView(run.buffer);
  let p = RUN_HEADER;
  for (const x of loads) { dv.setFloat64(p, x, true); p += 8; }
  for (const r of requests) {
    const { flags, keyHash } = requestArgs(r);
    dv.setInt32(p, services.indexOf(r.service), true);
    dv.setUint32(p + 4, flags, true);
    dv.setUint32(p + 8, keyHash, true);
    p += 12;
  }
  const expect = (s.expect ?? []).map((e, j) => {
    if (typeof e !== 'string') return -codeOf(e.error);
    const svc = s.rib.services[services.indexOf(requests[j].service)];
    return svc ? svc.servers.findIndex((x) => x.id === e) : -1;
  });
  return { name: s.name, rib, run, expect };
}

function header(flags: number, loads: number, requests: number, body = 0): Uint8Array {
  const run = new Uint8Array(RUN_HEADER + body);
  const dv = new DataView(run.buffer);
  dv.setUint32(0, RUN_MAGIC, true);
  dv.setUint32(4, RUN_VERSION, true);
  dv.setUint32(8, flags, true);
  dv.setUint32(12, loads, true);
  dv.setUint32(16, requests, true);
  return run;
}

function codeOf(name: string): number {
  const c = errorCode(name);
  if (c === undefined || !(ROUTE_ERRORS as readonly number[]).includes(c)) throw new Error(`unknown decision error ${name}`);
  return c;
}

/**
 * Checks a runner's line for a fixture. A runner prints one line per fixture:
 *   `<name>: <d0> <d1> ...`        the decisions (server index ≥ 0 or −code), in request order
 *   `<name>: refused <code>`       its load was refused (the only right answer for invalid ones)
 *   `<name>: skipped`              an invalid scenario with no miniRIB (the encoder refused it)
 * Returns null when right, else what was wrong.
 */
export function checkLine(f: Fixture, line: string | undefined): string | null {
  if (line === undefined) return 'no answer';
  const got = line.slice(line.indexOf(':') + 1).trim();
  if (f.rib === null) return got === 'skipped' ? null : `expected skipped, got ${got}`;
  const want = f.expect;
  if (f.run[8] & RUN_INVALID) {
    const m = /^refused (\d+)$/.exec(got);
    if (!m) return `expected a refusal (${errorName(want[0])}), got ${got}`;
    return want[0] === 0 || Number(m[1]) === want[0] ? null : `refused with ${errorName(Number(m[1]))}, expected ${errorName(want[0])}`;
  }
  const values = got === '' ? [] : got.split(/\s+/).map(Number);
  if (values.length !== want.length) return `expected ${want.length} decisions, got ${values.length} (${got.slice(0, 80)})`;
  const bad = values.findIndex((v, i) => v !== want[i]);
  return bad < 0 ? null : `request ${bad}: expected ${want[bad]}, got ${values[bad]}`;
}
