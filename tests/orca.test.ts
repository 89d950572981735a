// The ORCA load report header (bindings/orca.ts, spec/load-reports.md), table-driven: every form
// the parser accepts (TEXT with '=' or ':' and any spacing, JSON with proto or camelCase names,
// BIN padded, unpadded and URL-safe, the legacy -bin header), what it skips (unknown keys and
// protobuf fields) and every way a header is refused (each with its code); the formatter's output,
// exactly, its refusals, and round trips through all three forms. Plus: it never throws.
import { describe, expect, it } from 'vitest';
import {
  LOAD_REPORT_MAX_CHARS, formatLoadReport, isTextMetricName, loadReportJson, parseLoadReport, parseLoadReportBin,
  type LoadMetrics, type LoadReport, type LoadReportErrorCode, type ParseFailure,
} from '../dist/bindings/orca.js';

/** The ORCA design document's BIN example: cpu 0.1, rps_fractional 2, named foo 0.1 and bar 0.2. */
const DOC_BIN = 'CZqZmZmZmbk/MQAAAAAAAABAQg4KA2ZvbxGamZmZmZm5P0IOCgNiYXIRmpmZmZmZyT8=';

/** base64 of raw bytes, for hand-made protobufs. */
const b64 = (bytes: number[]): string => Buffer.from(bytes).toString('base64');
/** A little-endian double's 8 bytes. */
const f64 = (v: number): number[] => [...Buffer.from(new Float64Array([v]).buffer)];

function ok(header: string | null | undefined): LoadReport {
  const r = parseLoadReport(header);
  if (!r.ok) throw new Error(`expected a report from ${JSON.stringify(header)}, got ${r.code}: ${r.reason}`);
  return r;
}

/** The report's metrics without ok/form/ignored and without empty maps, for comparisons. */
function metrics(r: LoadReport): LoadMetrics {
  const out: LoadMetrics = {};
  for (const k of ['cpu_utilization', 'mem_utilization', 'application_utilization', 'rps_fractional', 'eps', 'rps'] as const) {
    if (r[k] !== undefined) out[k] = r[k];
  }
  for (const m of ['named_metrics', 'utilization', 'request_cost'] as const) {
    if (Object.keys(r[m]).length) out[m] = { ...r[m] };
  }
  return out;
}

describe('parseLoadReport accepts', () => {
  const cases: [string, string, LoadMetrics, string[]?][] = [
    ['the ORCA design example (TEXT, "=" and ", ")',
      'TEXT cpu_utilization=0.3, mem_utilization=0.8, rps_fractional=10.0, eps=1, named_metrics.custom_metric_util=0.4',
      { cpu_utilization: 0.3, mem_utilization: 0.8, rps_fractional: 10, eps: 1, named_metrics: { custom_metric_util: 0.4 } }],
    ['TEXT without spaces', 'TEXT cpu_utilization=0.3,rps_fractional=10', { cpu_utilization: 0.3, rps_fractional: 10 }],
    ['TEXT with spaces and tabs around names, values and commas',
      'TEXT   cpu_utilization = 0.3 ,\trps_fractional=\t10  ,named_metrics.q =2', { cpu_utilization: 0.3, rps_fractional: 10, named_metrics: { q: 2 } }],
    ['TEXT with ":" (Envoy before 1.33: the Envoy parser test vector)',
      'TEXT cpu_utilization:0.7,application_utilization:0.8,mem_utilization:0.9,rps_fractional:1000,eps:2,named_metrics.foo:123,named_metrics.bar:0.2',
      { cpu_utilization: 0.7, application_utilization: 0.8, mem_utilization: 0.9, rps_fractional: 1000, eps: 2, named_metrics: { foo: 123, bar: 0.2 } }],
    ['TEXT mixing "=" and ":"', 'TEXT cpu_utilization:0.5, rps_fractional=3', { cpu_utilization: 0.5, rps_fractional: 3 }],
    ['TEXT in any order', 'TEXT named_metrics.inflight=4, rps_fractional=2.5, cpu_utilization=0.25',
      { cpu_utilization: 0.25, rps_fractional: 2.5, named_metrics: { inflight: 4 } }],
    ['TEXT: a ":" inside a name when the entry has "="', 'TEXT named_metrics.a:b=2, named_metrics.x.y=1', { named_metrics: { 'a:b': 2, 'x.y': 1 } }],
    ['TEXT with empty entries and a trailing comma', 'TEXT ,cpu_utilization=0.5,, ,', { cpu_utilization: 0.5 }],
    ['TEXT with nothing after the prefix', 'TEXT ', {}],
    ['TEXT alone', 'TEXT', {}],
    ['the header with surrounding whitespace', '  TEXT cpu_utilization=0.1 \t', { cpu_utilization: 0.1 }],
    ['TEXT number spellings', 'TEXT cpu_utilization=+.5, eps=5., rps_fractional=1e-3, named_metrics.big=1.5E+3, named_metrics.z=-0',
      { cpu_utilization: 0.5, eps: 5, rps_fractional: 0.001, named_metrics: { big: 1500, z: -0 } }],
    ['TEXT cpu and application utilization above 1 (past a soft limit)', 'TEXT cpu_utilization=1.7, application_utilization=2',
      { cpu_utilization: 1.7, application_utilization: 2 }],
    ['TEXT utilization and request_cost maps, a negative named metric and the deprecated rps',
      'TEXT utilization.disk=0.5, request_cost.bytes=3487, named_metrics.delta=-2, rps=12',
      { utilization: { disk: 0.5 }, request_cost: { bytes: 3487 }, named_metrics: { delta: -2 }, rps: 12 }],
    ['TEXT with unknown keys, skipped and listed', 'TEXT cpu_utilization=0.5, gpu_utilization=0.2, other_map.x=1',
      { cpu_utilization: 0.5 }, ['gpu_utilization', 'other_map.x']],
    ['the ORCA design example (JSON)', 'JSON {"cpu_utilization": 0.3, "mem_utilization": 0.8, "rps_fractional": 10.0, "eps": 1, "named_metrics": {"custom-metric-util": 0.4}}',
      { cpu_utilization: 0.3, mem_utilization: 0.8, rps_fractional: 10, eps: 1, named_metrics: { 'custom-metric-util': 0.4 } }],
    ['JSON compact', 'JSON {"cpu_utilization":0.3,"rps_fractional":10,"named_metrics":{"foo":123}}',
      { cpu_utilization: 0.3, rps_fractional: 10, named_metrics: { foo: 123 } }],
    ['JSON with protojson camelCase names and rps as a string',
      'JSON {"cpuUtilization":0.3,"memUtilization":0.1,"applicationUtilization":0.4,"rpsFractional":7,"namedMetrics":{"q":1},"requestCost":{"c":2},"rps":"9"}',
      { cpu_utilization: 0.3, mem_utilization: 0.1, application_utilization: 0.4, rps_fractional: 7, named_metrics: { q: 1 }, request_cost: { c: 2 }, rps: 9 }],
    ['JSON with null fields (proto3: not set)', 'JSON {"cpu_utilization":null,"rps_fractional":1,"named_metrics":null}', { rps_fractional: 1 }],
    ['JSON with unknown keys of any shape, skipped and listed', 'JSON {"x":[1,{"y":null}],"cpu_utilization":0.2,"z":"s","w":true}',
      { cpu_utilization: 0.2 }, ['x', 'z', 'w']],
    ['JSON with whitespace and escapes in names', 'JSON \n{ "named_metrics" : { "a\\u00e9\\"b" : 1 } }\r\n', { named_metrics: { 'aé"b': 1 } }],
    ['JSON "__proto__" keys, as plain names', 'JSON {"__proto__":1,"named_metrics":{"__proto__":2,"constructor":3}}',
      { named_metrics: { ['__proto__']: 2, constructor: 3 } }, ['__proto__']],
    ['JSON empty object', 'JSON {}', {}],
    ['the ORCA design example (BIN)', `BIN ${DOC_BIN}`, { cpu_utilization: 0.1, rps_fractional: 2, named_metrics: { foo: 0.1, bar: 0.2 } }],
    ['BIN without padding (gRPC -bin style)', `BIN ${DOC_BIN.replace(/=+$/, '')}`,
      { cpu_utilization: 0.1, rps_fractional: 2, named_metrics: { foo: 0.1, bar: 0.2 } }],
    ['BIN in the URL-safe alphabet', `BIN ${b64([0x09, ...f64(0.75)]).replace(/\+/g, '-').replace(/\//g, '_')}`, { cpu_utilization: 0.75 }],
    ['BIN of an empty message (every field default)', 'BIN ', {}],
    ['BIN with unknown fields (varint, fixed32, fixed64, bytes) skipped',
      `BIN ${b64([0x78, 0x96, 0x01, 0xa5, 0x01, 1, 2, 3, 4, 0xa9, 0x01, ...f64(1), 0xb2, 0x01, 2, 0x41, 0x42, 0x09, ...f64(0.5)])}`,
      { cpu_utilization: 0.5 }],
    ['BIN with a field twice (protobuf: the last wins) and rps as a varint',
      `BIN ${b64([0x09, ...f64(0.2), 0x09, ...f64(0.4), 0x18, 0xac, 0x02])}`, { cpu_utilization: 0.4, rps: 300 }],
    ['BIN map entry with unknown fields inside it', `BIN ${b64([0x42, 14, 0x18, 7, 0x0a, 1, 0x71, 0x11, ...f64(3)])}`, { named_metrics: { q: 3 } }],
  ];
  for (const [scenario, header, want, ignored] of cases) {
    it(scenario, () => {
      const r = ok(header);
      expect(metrics(r)).toEqual(want);
      expect(r.ignored).toEqual(ignored ?? []);
      expect(r.form).toBe(header.trim().split(' ')[0]);
    });
  }

  it('a report of exactly LOAD_REPORT_MAX_CHARS characters', () => {
    const name = 'p'.repeat(LOAD_REPORT_MAX_CHARS - 'TEXT named_metrics.=1'.length);
    const header = `TEXT named_metrics.${name}=1`;
    expect(header.length).toBe(LOAD_REPORT_MAX_CHARS);
    expect(ok(header).named_metrics[name]).toBe(1);
    expect(parseLoadReport(`${header} `)).toMatchObject({ ok: false, code: 'TOO_LARGE' });
  });

  it('the legacy endpoint-load-metrics-bin header (no prefix), padded or not', () => {
    for (const v of [DOC_BIN, DOC_BIN.replace(/=+$/, ''), ` ${DOC_BIN} `]) {
      const r = parseLoadReportBin(v);
      expect(r.ok && metrics(r)).toEqual({ cpu_utilization: 0.1, rps_fractional: 2, named_metrics: { foo: 0.1, bar: 0.2 } });
    }
    expect(parseLoadReportBin(undefined)).toMatchObject({ ok: false, code: 'ABSENT' });
    expect(parseLoadReportBin('!!')).toMatchObject({ ok: false, code: 'BASE64' });
  });
});

describe('parseLoadReport refuses, with a code and a reason', () => {
  const deep = `JSON ${'{"x":'.repeat(20)}1${'}'.repeat(20)}`;
  const cases: [string, string | null | undefined, LoadReportErrorCode, RegExp?][] = [
    ['no header (not a warning)', undefined, 'ABSENT'],
    ['a null header', null, 'ABSENT'],
    ['an empty header', '', 'EMPTY'],
    ['a blank header', '  \t ', 'EMPTY'],
    ['a header sent twice (undici gives an array)', ['TEXT eps=1', 'TEXT eps=2'] as unknown as string, 'DUPLICATE', /appears 2 times/],
    ['a header over the size limit', `TEXT named_metrics.pad=${'1'.repeat(LOAD_REPORT_MAX_CHARS)}`, 'TOO_LARGE', /4096/],
    ['no form prefix (the bare Envoy text)', 'cpu_utilization:0.7', 'FORM', /cpu_utilization:0\.7/],
    ['an unknown form', 'BADBAD random-value', 'FORM', /"BADBAD"/],
    ['a lower-case form', 'text cpu_utilization=0.1', 'FORM'],
    ['a form glued to its body', 'TEXTcpu_utilization=0.1', 'FORM'],
    ['TEXT: an entry that is not name=value', 'TEXT not-a-list-of-key-value-pairs', 'SYNTAX', /not name=value/],
    ['TEXT: a decimal comma', 'TEXT cpu_utilization=0,5', 'SYNTAX', /"5"/],
    ['TEXT: an entry without a name', 'TEXT =0.5', 'SYNTAX', /no name/],
    ['TEXT: an entry without a value', 'TEXT cpu_utilization=', 'SYNTAX', /no value/],
    ['TEXT: a named metric with an empty name', 'TEXT named_metrics.=123', 'SYNTAX', /empty name/],
    ['TEXT: the same metric twice', 'TEXT cpu_utilization=0.7,cpu_utilization=0.8', 'DUPLICATE', /cpu_utilization appears twice/],
    ['TEXT: the same named metric twice', 'TEXT named_metrics.foo=123,named_metrics.dup=1,named_metrics.dup=0.2', 'DUPLICATE', /named_metrics\.dup/],
    ['TEXT: the same metric with both separators', 'TEXT eps=1, eps:1', 'DUPLICATE'],
    ['TEXT: a quoted value', 'TEXT cpu_utilization="0.7"', 'VALUE', /not a number/],
    ['TEXT: a hex value', 'TEXT cpu_utilization=0x10', 'VALUE', /not a number/],
    ['TEXT: NaN', 'TEXT cpu_utilization=NaN', 'VALUE', /NaN/],
    ['TEXT: nan', 'TEXT named_metrics.x=nan', 'VALUE', /NaN/],
    ['TEXT: inf', 'TEXT cpu_utilization=inf', 'VALUE', /infinite/],
    ['TEXT: -Infinity', 'TEXT named_metrics.x=-Infinity', 'VALUE', /infinite/],
    ['TEXT: a number too large for a double', 'TEXT rps_fractional=1e999', 'VALUE', /infinite/],
    ['TEXT: a negative CPU utilization', 'TEXT cpu_utilization=-0.1', 'VALUE', /negative/],
    ['TEXT: a negative rate', 'TEXT rps_fractional=-3', 'VALUE', /negative/],
    ['TEXT: memory utilization above 1', 'TEXT mem_utilization=1.5', 'VALUE', /above 1/],
    ['TEXT: a utilization map value above 1', 'TEXT utilization.disk=1.01', 'VALUE', /outside \[0, 1\]/],
    ['TEXT: a fractional deprecated rps', 'TEXT rps=1.5', 'VALUE', /not an integer/],
    ['JSON without a body', 'JSON', 'SYNTAX', /no body/],
    ['JSON that is not JSON', 'JSON not-a-valid-json-string', 'SYNTAX', /invalid JSON/],
    ['JSON cut short (the Envoy parser test vector)', 'JSON {"cpu_utilization": "0.7"', 'SYNTAX', /invalid JSON/],
    ['JSON with a trailing comma', 'JSON {"cpu_utilization":0.7,}', 'SYNTAX', /expected a key/],
    ['JSON with single quotes', "JSON {'cpu_utilization':0.7}", 'SYNTAX'],
    ['JSON with something after the object', 'JSON {"eps":1} x', 'SYNTAX', /trailing/],
    ['JSON with a control character in a string', 'JSON {"named_metrics":{"a\tb":1}}', 'SYNTAX', /control character/],
    ['JSON nested too deeply', deep, 'SYNTAX', /deeper than 16/],
    ['JSON that is an array', 'JSON [1,2]', 'TYPE', /an array, not an object/],
    ['JSON that is a number', 'JSON 0.5', 'TYPE'],
    ['JSON: a metric as a string', 'JSON {"cpu_utilization":"0.7"}', 'TYPE', /cpu_utilization is a string/],
    ['JSON: a metric as a boolean', 'JSON {"eps":true}', 'TYPE'],
    ['JSON: named_metrics as an array', 'JSON {"named_metrics":[1]}', 'TYPE', /not an object of numbers/],
    ['JSON: a named metric as a string', 'JSON {"named_metrics":{"q":"3"}}', 'TYPE', /named_metrics\.q is a string/],
    ['JSON: a named metric as null', 'JSON {"named_metrics":{"q":null}}', 'TYPE'],
    ['JSON: a key twice', 'JSON {"eps":1,"eps":2}', 'DUPLICATE', /"eps" appears twice/],
    ['JSON: a named metric twice', 'JSON {"named_metrics":{"a":1,"a":2}}', 'DUPLICATE'],
    ['JSON: a field by both its names', 'JSON {"cpu_utilization":0.1,"cpuUtilization":0.2}', 'DUPLICATE', /cpu_utilization appears twice/],
    ['JSON: a negative metric', 'JSON {"eps":-1}', 'VALUE', /negative/],
    ['JSON: a number too large for a double', 'JSON {"cpu_utilization":1e400}', 'VALUE', /infinite/],
    ['JSON: a named metric with an empty name', 'JSON {"named_metrics":{"":1}}', 'SYNTAX', /empty name/],
    ['BIN: a character outside base64', 'BIN CZqZ*mZm', 'BASE64', /"\*" at 4/],
    ['BIN: a length base64 cannot have', 'BIN CZqZm', 'BASE64', /base64 length/],
    ['BIN: half a message (the Envoy parser test)', `BIN ${DOC_BIN.slice(0, 20)}`, 'PROTO', /truncated/],
    ['BIN: cpu_utilization as a varint', `BIN ${b64([0x08, 0x01])}`, 'PROTO', /field 1 \(cpu_utilization\) has wire type varint/],
    ['BIN: named_metrics as a double', `BIN ${b64([0x41, ...f64(1)])}`, 'PROTO', /expected length-delimited/],
    ['BIN: a group', `BIN ${b64([0x7b, 0x7c])}`, 'PROTO', /start-group/],
    ['BIN: field number 0', `BIN ${b64([0x01, ...f64(1)])}`, 'PROTO', /field number 0/],
    ['BIN: a length past the end', `BIN ${b64([0x42, 0x20, 0x0a])}`, 'PROTO', /runs past the end/],
    ['BIN: a varint that never ends', `BIN ${b64([0x18, ...new Array(11).fill(0xff)])}`, 'PROTO', /varint/],
    ['BIN: a map key that is not UTF-8', `BIN ${b64([0x42, 13, 0x0a, 2, 0xc3, 0x28, 0x11, ...f64(1)])}`, 'PROTO', /not UTF-8/],
    ['BIN: a NaN double', `BIN ${b64([0x09, ...f64(NaN)])}`, 'VALUE', /NaN/],
    ['BIN: a negative CPU', `BIN ${b64([0x09, ...f64(-1)])}`, 'VALUE', /negative/],
    ['BIN: an infinite named metric', `BIN ${b64([0x42, 12, 0x0a, 1, 0x71, 0x11, ...f64(Infinity)])}`, 'VALUE', /infinite/],
    ['BIN: a named metric entry without a key', `BIN ${b64([0x42, 9, 0x11, ...f64(1)])}`, 'SYNTAX', /empty name/],
  ];
  for (const [scenario, header, code, reason] of cases) {
    it(scenario, () => {
      const r = parseLoadReport(header) as ParseFailure;
      expect(r.ok).toBe(false);
      expect({ code: r.code, reason: r.reason }).toMatchObject({ code });
      expect(typeof r.reason).toBe('string');
      if (reason) expect(r.reason).toMatch(reason);
    });
  }

  it('BIN of readable garbage (the Envoy parser test) is refused, not thrown', () => {
    const r = parseLoadReport('BIN not-a-valid-binary-proto');
    expect(r.ok).toBe(false);
  });
});

describe('parseLoadReport never throws', () => {
  it('on 20000 random headers of random forms and characters', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = 'TEXTJSONBIN {}[]":,=.-+0123456789eE_named_metrics.cpu_utilization nulltrue\\u\t\u00e9\u0000/';
    const prefixes = ['TEXT ', 'JSON ', 'BIN ', '', 'JSON {"named_metrics":{', `BIN ${DOC_BIN.slice(0, 30)}`];
    let refused = 0;
    for (let i = 0; i < 20000; i++) {
      let s = prefixes[rnd(prefixes.length)]!;
      const len = rnd(60);
      for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)];
      const r = parseLoadReport(s);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) {
        refused++;
        expect(r.reason.length).toBeGreaterThan(0);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});

describe('formatLoadReport', () => {
  const full: LoadMetrics = {
    cpu_utilization: 0.3, mem_utilization: 0.8, application_utilization: 1.2, rps_fractional: 10.5, eps: 1, rps: 10,
    named_metrics: { inflight: 3, 'queue-depth': 7 }, utilization: { disk: 0.25 }, request_cost: { bytes: 3487 },
  };

  it('writes TEXT with "=" and ", ", in a fixed order, absent metrics left out', () => {
    expect(formatLoadReport({ rps_fractional: 10, cpu_utilization: 0.3, named_metrics: { inflight: 2 } }))
      .toBe('TEXT cpu_utilization=0.3, rps_fractional=10, named_metrics.inflight=2');
    expect(formatLoadReport(full, 'TEXT')).toBe(
      'TEXT cpu_utilization=0.3, mem_utilization=0.8, application_utilization=1.2, rps_fractional=10.5, eps=1, rps=10, ' +
      'named_metrics.inflight=3, named_metrics.queue-depth=7, utilization.disk=0.25, request_cost.bytes=3487');
    expect(formatLoadReport({})).toBe('TEXT ');
  });

  it('writes JSON with proto names, ASCII only (non-ASCII names escaped)', () => {
    expect(formatLoadReport({ cpu_utilization: 0.3, rps_fractional: 10, named_metrics: { foo: 123, 'é,=': 1 }, utilization: {} }, 'JSON'))
      .toBe('JSON {"cpu_utilization":0.3,"rps_fractional":10,"named_metrics":{"foo":123,"\\u00e9,=":1}}');
    expect(loadReportJson({ eps: 0 })).toBe('{"eps":0}');
  });

  it('writes BIN byte for byte as the ORCA design example', () => {
    expect(formatLoadReport({ cpu_utilization: 0.1, rps_fractional: 2, named_metrics: { foo: 0.1, bar: 0.2 } }, 'BIN')).toBe(`BIN ${DOC_BIN}`);
  });

  for (const form of ['TEXT', 'JSON', 'BIN'] as const) {
    it(`round-trips every metric through ${form}`, () => {
      const r = ok(formatLoadReport(full, form));
      expect(r.form).toBe(form);
      expect(metrics(r)).toEqual(full);
      expect(r.ignored).toEqual([]);
    });
  }

  it('round-trips awkward numbers exactly', () => {
    const values = [0, 1e-7, 0.1 + 0.2, 123456789.123456, 5e-324, 1.7976931348623157e308];
    for (const form of ['TEXT', 'JSON', 'BIN'] as const) {
      const named = Object.fromEntries(values.map((v, i) => [`m${i}`, v]));
      expect(ok(formatLoadReport({ named_metrics: named }, form)).named_metrics).toEqual(named);
    }
  });

  const refusals: [string, LoadMetrics, 'TEXT' | 'JSON' | 'BIN', RegExp][] = [
    ['a NaN CPU', { cpu_utilization: NaN }, 'TEXT', /cpu_utilization is NaN/],
    ['an infinite rate', { rps_fractional: Infinity }, 'JSON', /rps_fractional is infinite/],
    ['a negative CPU', { cpu_utilization: -0.5 }, 'BIN', /negative/],
    ['memory above 1', { mem_utilization: 1.2 }, 'TEXT', /above 1/],
    ['a string value', { eps: '1' as unknown as number }, 'TEXT', /eps is a string/],
    ['a TEXT name with a comma', { named_metrics: { 'a,b': 1 } }, 'TEXT', /visible ASCII/],
    ['a TEXT name with "="', { named_metrics: { 'a=b': 1 } }, 'TEXT', /visible ASCII/],
    ['a TEXT name with a space', { named_metrics: { 'a b': 1 } }, 'TEXT', /visible ASCII/],
    ['an empty name', { named_metrics: { '': 1 } }, 'JSON', /empty name/],
    ['a non-finite named metric', { named_metrics: { q: NaN } }, 'JSON', /named_metrics\.q is NaN/],
    ['a result over the size limit', { named_metrics: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`metric_${i}`, i])) }, 'TEXT', /above the limit of 4096/],
    ['an unknown form', {}, 'XML' as 'TEXT', /unknown form "XML"/],
  ];
  for (const [scenario, r, form, message] of refusals) {
    it(`throws a RangeError for ${scenario}`, () => {
      expect(() => formatLoadReport(r, form)).toThrow(RangeError);
      expect(() => formatLoadReport(r, form)).toThrow(message);
    });
  }

  it('carries in JSON and BIN the names TEXT cannot', () => {
    const named = { 'a,b': 1, 'c=d': 2, 'ü x': 3 };
    expect(isTextMetricName('a,b')).toBe(false);
    expect(isTextMetricName('queue-depth.p99:x')).toBe(true);
    for (const form of ['JSON', 'BIN'] as const) expect(ok(formatLoadReport({ named_metrics: named }, form)).named_metrics).toEqual(named);
  });
});
