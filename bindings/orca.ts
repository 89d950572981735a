// ORCA load reports: the xDS OrcaLoadReport (cncf/xds `xds/data/orca/v3/orca_load_report.proto`)
// as Envoy and gRPC carry it in the `endpoint-load-metrics` response header. parseLoadReport reads
// its three forms — `TEXT name=value, ...`, `JSON {...}` and `BIN <base64 protobuf>` (also the
// legacy `endpoint-load-metrics-bin` header, parseLoadReportBin) — and never throws: a malformed
// header gives a ParseFailure whose code and reason name what is wrong (the SRLib client ignores
// that report and counts a warning). formatLoadReport writes TEXT, JSON or BIN and throws a
// RangeError naming the field for a value the format cannot carry. Rules: spec/load-reports.md.
// The JSON text is read by bindings/strict-json.ts, the BIN bytes by bindings/protowire.ts; this
// module holds the schema, the TEXT form, validation and formatting.
// Pure and runtime-neutral (no Node imports): Node, browsers, workerd, Deno, Bun.
// Cost: O(header length), capped by LOAD_REPORT_MAX_CHARS (4 KiB) before anything is scanned; a
// typical TEXT header (3–5 entries, ~80 chars) parses in about a microsecond.
// Used by: bindings/load-tracker.ts, host/node/server.ts, bindings/server-fetch.ts, the SRLib client.
import { JsonError, jsonType, readJson } from './strict-json.js';
import { ProtoReader, ProtoWriter, WIRE, WireError, decodeBase64, encodeBase64, varintLen } from './protowire.js';

/** The response header of per-request ORCA reports. */
export const LOAD_REPORT_HEADER = 'endpoint-load-metrics';
/** gRPC's legacy header: the base64 protobuf without the `BIN ` prefix. */
export const LOAD_REPORT_BIN_HEADER = 'endpoint-load-metrics-bin';
/** The largest header value parsed or formatted, in characters; longer is TOO_LARGE. */
export const LOAD_REPORT_MAX_CHARS = 4096;

export type LoadReportForm = 'TEXT' | 'JSON' | 'BIN';

/** The metrics of an OrcaLoadReport, named as in the proto. Absent means "not reported". */
export interface LoadMetrics {
  /** Process CPU in use, as a fraction of the CPUs available to it; ≥ 0, may exceed 1 past a soft limit. */
  cpu_utilization?: number;
  /** Memory in use, as a fraction of the memory available; in [0, 1]. */
  mem_utilization?: number;
  /** The application's own utilization (e.g. max of CPU and memory); ≥ 0, may exceed 1. */
  application_utilization?: number;
  /** Requests per second served; ≥ 0. */
  rps_fractional?: number;
  /** Errors per second; ≥ 0. */
  eps?: number;
  /** Deprecated integer requests/s (proto field 3); prefer rps_fractional. */
  rps?: number;
  /** Opaque application metrics (ringroute's servers report `inflight` here); any finite value. */
  named_metrics?: Record<string, number>;
  /** Named resource utilizations; each in [0, 1]. */
  utilization?: Record<string, number>;
  /** Named costs of this request (e.g. bytes); any finite value. */
  request_cost?: Record<string, number>;
}

/** A parsed report: the metrics present in the header, maps always present (maybe empty). */
export interface LoadReport extends LoadMetrics {
  ok: true;
  form: LoadReportForm;
  named_metrics: Record<string, number>;
  utilization: Record<string, number>;
  request_cost: Record<string, number>;
  /** Keys this parser does not know (a newer ORCA, a typo), skipped; usually empty. */
  ignored: string[];
}

export type LoadReportErrorCode =
  | 'ABSENT'     // no header (not a warning: the server does not report)
  | 'EMPTY'      // the header is empty or blank
  | 'TOO_LARGE'  // longer than LOAD_REPORT_MAX_CHARS
  | 'FORM'       // no TEXT / JSON / BIN prefix
  | 'SYNTAX'     // TEXT entry without name=value, invalid JSON, an empty metric name
  | 'TYPE'       // JSON: a value of the wrong type
  | 'VALUE'      // not a number, NaN/Infinity, out of the metric's range
  | 'DUPLICATE'  // the same metric twice (TEXT, JSON)
  | 'BASE64'     // BIN: not base64
  | 'PROTO';     // BIN: not an OrcaLoadReport protobuf

export interface ParseFailure {
  ok: false;
  code: LoadReportErrorCode;
  reason: string;
}

// ── the schema ──────────────────────────────────────────────────────────────────
type Scalar = 'cpu_utilization' | 'mem_utilization' | 'application_utilization' | 'rps_fractional' | 'eps' | 'rps';
type MapField = 'named_metrics' | 'utilization' | 'request_cost';

interface ScalarRule { max: number; integer: boolean }
const SCALARS: Record<Scalar, ScalarRule> = {
  cpu_utilization: { max: Infinity, integer: false },
  mem_utilization: { max: 1, integer: false },
  rps: { max: Number.MAX_SAFE_INTEGER, integer: true },
  rps_fractional: { max: Infinity, integer: false },
  eps: { max: Infinity, integer: false },
  application_utilization: { max: Infinity, integer: false },
};
/** In TEXT and the formatters' order. */
const SCALAR_ORDER: Scalar[] = ['cpu_utilization', 'mem_utilization', 'application_utilization', 'rps_fractional', 'eps', 'rps'];
const MAP_ORDER: MapField[] = ['named_metrics', 'utilization', 'request_cost'];
/** utilization values are fractions; named metrics and costs are opaque (any finite value). */
const MAP_RANGE: Record<MapField, [number, number]> = {
  named_metrics: [-Infinity, Infinity],
  utilization: [0, 1],
  request_cost: [-Infinity, Infinity],
};
const PROTO_FIELD: Record<number, Scalar | MapField> = {
  1: 'cpu_utilization', 2: 'mem_utilization', 3: 'rps', 4: 'request_cost', 5: 'utilization',
  6: 'rps_fractional', 7: 'eps', 8: 'named_metrics', 9: 'application_utilization',
};
/** JSON accepts the proto field names and their lowerCamelCase JSON names (protojson emits those). */
const JSON_NAMES = new Map<string, Scalar | MapField>();
for (const f of [...SCALAR_ORDER, ...MAP_ORDER]) {
  JSON_NAMES.set(f, f);
  JSON_NAMES.set(f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), f);
}

const SCALAR_SET: ReadonlySet<string> = new Set(SCALAR_ORDER);
const MAP_SET: ReadonlySet<string> = new Set(MAP_ORDER);
const isScalar = (f: string): f is Scalar => SCALAR_SET.has(f);
const isMap = (f: string): f is MapField => MAP_SET.has(f);

/** Why `v` is not a valid value of scalar `f`, or null. */
function scalarProblem(f: Scalar, v: number): string | null {
  if (Number.isNaN(v)) return `${f} is NaN`;
  if (!Number.isFinite(v)) return `${f} is infinite`;
  const rule = SCALARS[f];
  if (v < 0) return `${f} is negative (${v})`;
  if (v > rule.max) return `${f} is ${v}, above ${rule.max}`;
  if (rule.integer && !Number.isInteger(v)) return `${f} is ${v}, not an integer`;
  return null;
}

function mapValueProblem(m: MapField, name: string, v: number): string | null {
  const [lo, hi] = MAP_RANGE[m];
  if (v >= lo && v <= hi && Number.isFinite(v)) return null;
  const key = `${m}.${name}`;
  if (Number.isNaN(v)) return `${key} is NaN`;
  if (!Number.isFinite(v)) return `${key} is infinite`;
  return `${key} is ${v}, outside [${lo}, ${hi}]`;
}

// ── parsing ─────────────────────────────────────────────────────────────────────
class Fail {
  constructor(readonly code: LoadReportErrorCode, readonly reason: string) {}
}
function fail(code: LoadReportErrorCode, reason: string): never {
  throw new Fail(code, reason);
}
const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** A thrown parse failure (ours, the JSON reader's or the wire reader's) as a ParseFailure. */
function failure(e: unknown): ParseFailure {
  if (e instanceof Fail || e instanceof JsonError || e instanceof WireError) return { ok: false, code: e.code, reason: e.reason };
  return { ok: false, code: 'SYNTAX', reason: `unexpected parser failure: ${(e as Error)?.message ?? String(e)}` };
}

function emptyReport(form: LoadReportForm): LoadReport {
  return { ok: true, form, named_metrics: {}, utilization: {}, request_cost: {}, ignored: [] };
}

function setScalar(r: LoadReport, f: Scalar, v: number): void {
  const p = scalarProblem(f, v);
  if (p) fail('VALUE', p);
  r[f] = v;
}

function setMapValue(r: LoadReport, m: MapField, name: string, v: number): void {
  if (name === '') fail('SYNTAX', `${m}: a metric with an empty name`);
  const p = mapValueProblem(m, name, v);
  if (p) fail('VALUE', p);
  // a metric named "__proto__" is an own property like any other, never the object's prototype
  if (name === '__proto__') Object.defineProperty(r[m], name, { value: v, enumerable: true, writable: true, configurable: true });
  else r[m][name] = v;
}

/** The header's text, or what is wrong with it before its text is read: absent, repeated, not text, too long. */
function precheck(header: unknown, name: string): ParseFailure | string {
  if (header === null || header === undefined) return { ok: false, code: 'ABSENT', reason: `no ${name} header` };
  if (Array.isArray(header)) return { ok: false, code: 'DUPLICATE', reason: `the ${name} header appears ${header.length} times` };
  if (typeof header !== 'string') return { ok: false, code: 'SYNTAX', reason: `the ${name} header is a ${typeof header}, not a string` };
  if (header.length > LOAD_REPORT_MAX_CHARS) {
    return { ok: false, code: 'TOO_LARGE', reason: `the header is ${header.length} characters, above the limit of ${LOAD_REPORT_MAX_CHARS}` };
  }
  return header;
}

/**
 * Parses an `endpoint-load-metrics` header value (`TEXT ...`, `JSON ...` or `BIN ...`). Never
 * throws; `null`/`undefined` (no header) is the failure ABSENT, which is not a warning.
 */
export function parseLoadReport(header: string | null | undefined): LoadReport | ParseFailure {
  const text = precheck(header, LOAD_REPORT_HEADER);
  if (typeof text !== 'string') return text;
  const value = text.trim();
  if (value === '') return { ok: false, code: 'EMPTY', reason: `the ${LOAD_REPORT_HEADER} header is empty` };
  const space = value.indexOf(' ');
  const word = space < 0 ? value : value.slice(0, space);
  const body = space < 0 ? '' : value.slice(space + 1);
  try {
    switch (word) {
      case 'TEXT': return parseText(body);
      case 'JSON': return parseJson(body);
      case 'BIN': return parseBin(body.trim());
      default: return { ok: false, code: 'FORM', reason: `unsupported form "${clip(word)}" (expected TEXT, JSON or BIN)` };
    }
  } catch (e) {
    return failure(e);
  }
}

/** Parses the legacy `endpoint-load-metrics-bin` header (base64 protobuf, no prefix). Never throws. */
export function parseLoadReportBin(header: string | null | undefined): LoadReport | ParseFailure {
  const text = precheck(header, LOAD_REPORT_BIN_HEADER);
  if (typeof text !== 'string') return text;
  try {
    return parseBin(text.trim());
  } catch (e) {
    return failure(e);
  }
}

// TEXT: comma-separated `name=value` (Envoy ≥ 1.33 and the ORCA design) or `name:value` (Envoy
// before its delimiter fix); an entry with a '=' splits at the first '=', else at the first ':'.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

function parseText(body: string): LoadReport {
  const r = emptyReport('TEXT');
  const seen = new Set<string>();
  let start = 0;
  for (;;) {
    let end = body.indexOf(',', start);
    if (end < 0) end = body.length;
    const entry = body.slice(start, end).trim();
    if (entry !== '') {
      let sep = entry.indexOf('=');
      if (sep < 0) sep = entry.indexOf(':');
      if (sep < 0) fail('SYNTAX', `entry "${clip(entry)}" is not name=value`);
      const name = entry.slice(0, sep).trim();
      const raw = entry.slice(sep + 1).trim();
      if (name === '') fail('SYNTAX', `entry "${clip(entry)}" has no name`);
      if (raw === '') fail('SYNTAX', `${clip(name)} has no value`);
      if (seen.has(name)) fail('DUPLICATE', `${clip(name)} appears twice`);
      seen.add(name);
      let v: number;
      if (DECIMAL.test(raw)) v = Number(raw);
      else if (NON_FINITE.test(raw)) v = raw.toLowerCase().includes('nan') ? NaN : Infinity;
      else fail('VALUE', `${clip(name)}: "${clip(raw)}" is not a number`);
      setKey(r, name, v);
    }
    if (end >= body.length) return r;
    start = end + 1;
  }
}

/** A flattened TEXT key: a scalar, or `<map>.<name>`. */
function setKey(r: LoadReport, key: string, v: number): void {
  if (isScalar(key)) return setScalar(r, key, v);
  const dot = key.indexOf('.');
  if (dot > 0) {
    const m = key.slice(0, dot);
    if (isMap(m)) return setMapValue(r, m, key.slice(dot + 1), v);
  }
  r.ignored.push(key);
}

function parseJson(body: string): LoadReport {
  if (body.trim() === '') fail('SYNTAX', 'invalid JSON: the JSON form has no body');
  const top = readJson(body);
  if (!(top instanceof Map)) fail('TYPE', `the JSON body is ${jsonType(top)}, not an object`);
  const r = emptyReport('JSON');
  const given = new Map<string, string>(); // field → the spelling that set it
  for (const [key, v] of top) {
    const f = JSON_NAMES.get(key);
    if (f === undefined) {
      r.ignored.push(key);
      continue;
    }
    const before = given.get(f);
    if (before !== undefined) fail('DUPLICATE', `${f} appears twice (as "${before}" and "${key}")`);
    given.set(f, key);
    if (v === null) continue; // proto3 JSON: null is the default, i.e. not reported
    if (isScalar(f)) {
      // protojson writes 64-bit integers as strings: the deprecated `rps` may come as "12"
      if (f === 'rps' && typeof v === 'string' && /^\d{1,16}$/.test(v)) setScalar(r, f, Number(v));
      else if (typeof v === 'number') setScalar(r, f, v);
      else fail('TYPE', `${key} is ${jsonType(v)}, not a number`);
    } else {
      if (!(v instanceof Map)) fail('TYPE', `${key} is ${jsonType(v)}, not an object of numbers`);
      for (const [name, x] of v) {
        if (typeof x !== 'number') fail('TYPE', `${key}.${clip(name)} is ${jsonType(x)}, not a number`);
        setMapValue(r, f, name, x);
      }
    }
  }
  return r;
}

// BIN: base64 of a serialized OrcaLoadReport. Protobuf rules: unknown fields are skipped, a
// repeated field or map key keeps its last value, an empty message is a report of nothing.
let utf8Decoder: TextDecoder | undefined;
let utf8Encoder: TextEncoder | undefined;

function parseBin(b64: string): LoadReport {
  const bytes = decodeBase64(b64);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rd = new ProtoReader(bytes, view, 0, bytes.length);
  const r = emptyReport('BIN');
  while (rd.p < rd.end) {
    const [field, wire] = rd.tag();
    const f = PROTO_FIELD[field];
    if (f === undefined) {
      rd.skip(wire, field);
      continue;
    }
    if (isScalar(f)) {
      const want = f === 'rps' ? 0 : 1;
      if (wire !== want) fail('PROTO', `field ${field} (${f}) has wire type ${WIRE[wire]}, expected ${WIRE[want]}`);
      setScalar(r, f, f === 'rps' ? rd.varint() : rd.double());
    } else {
      if (wire !== 2) fail('PROTO', `field ${field} (${f}) has wire type ${WIRE[wire]}, expected length-delimited`);
      const [s, e] = rd.span();
      const entry = new ProtoReader(bytes, view, s, e);
      let name = '', value = 0;
      while (entry.p < entry.end) {
        const [ef, ew] = entry.tag();
        if (ef === 1 && ew === 2) {
          const [ks, ke] = entry.span();
          try {
            name = (utf8Decoder ??= new TextDecoder('utf-8', { fatal: true })).decode(bytes.subarray(ks, ke));
          } catch {
            fail('PROTO', `${f}: a key at byte ${ks} is not UTF-8`);
          }
        } else if (ef === 2 && ew === 1) {
          value = entry.double();
        } else if (ef === 1 || ef === 2) {
          fail('PROTO', `${f}: map entry field ${ef} has wire type ${WIRE[ew]}`);
        } else {
          entry.skip(ew, ef);
        }
      }
      setMapValue(r, f, name, value);
    }
  }
  return r;
}

// ── formatting ──────────────────────────────────────────────────────────────────
/** A TEXT metric name: visible ASCII except ',' and '=' (they would split the entry). */
const TEXT_NAME = /^[!-+\--<>-~]+$/;

/** Whether a named metric can be carried in the TEXT form (JSON and BIN carry any non-empty name). */
export function isTextMetricName(name: string): boolean {
  return TEXT_NAME.test(name);
}

function checkMetrics(r: LoadMetrics, form: LoadReportForm): void {
  for (const f of SCALAR_ORDER) {
    const v = r[f];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new RangeError(`load report: ${f} is a ${typeof v}, not a number`);
    const p = scalarProblem(f, v);
    if (p) throw new RangeError(`load report: ${p}`);
  }
  for (const m of MAP_ORDER) {
    const map = r[m];
    if (map === undefined) continue;
    for (const name of Object.keys(map)) {
      const v = map[name];
      if (name === '') throw new RangeError(`load report: ${m} has a metric with an empty name`);
      if (form === 'TEXT' && !TEXT_NAME.test(name)) {
        throw new RangeError(`load report: ${m}.${clip(name)}: a TEXT metric name is visible ASCII without "," or "="`);
      }
      if (typeof v !== 'number') throw new RangeError(`load report: ${m}.${clip(name)} is a ${typeof v}, not a number`);
      const p = mapValueProblem(m, name, v);
      if (p) throw new RangeError(`load report: ${p}`);
    }
  }
}

/** JSON text with every non-ASCII character escaped, so it is a valid header value. */
const asciiJson = (v: string | number): string =>
  JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The report as the JSON object of the JSON form and the load endpoint's body (snake_case proto
 * names, absent metrics and empty maps left out, ASCII only). Throws RangeError like formatLoadReport.
 */
export function loadReportJson(r: LoadMetrics): string {
  checkMetrics(r, 'JSON');
  const parts: string[] = [];
  for (const f of SCALAR_ORDER) if (r[f] !== undefined) parts.push(`"${f}":${asciiJson(r[f]!)}`);
  for (const m of MAP_ORDER) {
    const map = r[m];
    if (!map) continue;
    const names = Object.keys(map);
    if (names.length === 0) continue;
    parts.push(`"${m}":{${names.map((n) => `${asciiJson(n)}:${asciiJson(map[n]!)}`).join(',')}}`);
  }
  return `{${parts.join(',')}}`;
}

function encodeProto(r: LoadMetrics): Uint8Array {
  const enc = (utf8Encoder ??= new TextEncoder());
  const w = new ProtoWriter();
  const fields: [number, Scalar | MapField][] = Object.entries(PROTO_FIELD).map(([n, f]) => [Number(n), f]);
  fields.sort((a, b) => a[0] - b[0]);
  for (const [n, f] of fields) {
    if (isScalar(f)) {
      const v = r[f];
      if (v === undefined) continue;
      if (f === 'rps') w.varint(n * 8).varint(v);
      else w.varint(n * 8 + 1).double(v);
    } else {
      const map = r[f];
      if (!map) continue;
      for (const name of Object.keys(map)) {
        const key = enc.encode(name);
        const entryLen = 1 + varintLen(key.length) + key.length + 1 + 8;
        w.varint(n * 8 + 2).varint(entryLen); // the map entry: key = 1 (string), value = 2 (double)
        w.varint(1 * 8 + 2).bytes(key);
        w.varint(2 * 8 + 1).double(map[name]!);
      }
    }
  }
  return w.finish();
}

/**
 * The `endpoint-load-metrics` header value of a report: `TEXT k=v, k=v` (the default), `JSON {...}`
 * or `BIN <base64>`. Absent metrics are left out (BIN writes every present field, zeros too).
 * Throws RangeError, naming the field, for a value out of its range, a name the form cannot carry,
 * or a result longer than LOAD_REPORT_MAX_CHARS.
 */
export function formatLoadReport(r: LoadMetrics, form: LoadReportForm = 'TEXT'): string {
  let out: string;
  if (form === 'TEXT') {
    checkMetrics(r, 'TEXT');
    const parts: string[] = [];
    for (const f of SCALAR_ORDER) if (r[f] !== undefined) parts.push(`${f}=${String(r[f])}`);
    for (const m of MAP_ORDER) {
      const map = r[m];
      if (map) for (const name of Object.keys(map)) parts.push(`${m}.${name}=${String(map[name])}`);
    }
    out = `TEXT ${parts.join(', ')}`;
  } else if (form === 'JSON') {
    out = `JSON ${loadReportJson(r)}`;
  } else if (form === 'BIN') {
    checkMetrics(r, 'BIN');
    out = `BIN ${encodeBase64(encodeProto(r))}`;
  } else {
    throw new RangeError(`load report: unknown form "${String(form)}" (expected TEXT, JSON or BIN)`);
  }
  if (out.length > LOAD_REPORT_MAX_CHARS) {
    throw new RangeError(`load report: ${out.length} characters, above the limit of ${LOAD_REPORT_MAX_CHARS}`);
  }
  return out;
}

