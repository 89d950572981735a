// The server side of load reports (host/node/server.ts, bindings/server-fetch.ts,
// bindings/load-tracker.ts): the tracker's arithmetic on an injected clock and CPU counter, then
// real node:http servers over loopback with undici as the client — the header on every response
// (200, 404, 500, a thrown or rejected handler, a half-sent response), the load endpoint, in-flight
// requests held open and aborted, the rate after a burst, CPU utilization under a busy handler —
// and the fetch-style wrapper with plain Request/Response objects. Timing assertions are bounds
// computed from the test's own clock readings, or scaled by the core count, so a loaded 2-core
// machine passes them.
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { createNeutralLoadTracker } from '../dist/bindings/load-tracker.js';
import { LOAD_REPORT_HEADER, formatLoadReport, parseLoadReport, type LoadReport } from '../dist/bindings/orca.js';
import { LOAD_PATH, createFetchLoadTracker, runtimeCores, withLoadReportingFetch } from '../dist/bindings/server-fetch.js';
import { createLoadTracker, withLoadReporting, type LoadReportingHandler, type LoadReportingOptions } from '../dist/host/node/server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function report(header: string | string[] | undefined | null): LoadReport {
  expect(typeof header).toBe('string');
  const r = parseLoadReport(header as string);
  if (!r.ok) throw new Error(`bad load header ${JSON.stringify(header)}: ${r.code} ${r.reason}`);
  return r;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('load tracker arithmetic (injected clock and CPU counter)', () => {
  it('counts requests in flight; each end counts once', () => {
    const t = createNeutralLoadTracker({ now: () => 0 });
    const ends = [t.begin(), t.begin(), t.begin()];
    expect(t.inflight).toBe(3);
    ends[0]!();
    ends[0]!();
    expect(t.inflight).toBe(2);
    expect(t.report().named_metrics).toEqual({ inflight: 2 });
  });

  it('rates requests over a sliding window and forgets them once the window passes', () => {
    let clock = 1000;
    const t = createNeutralLoadTracker({ now: () => clock, rpsWindowMs: 1000 }); // 10 buckets of 100 ms
    for (let i = 0; i < 10; i++) t.begin()();
    clock = 1450;
    for (let i = 0; i < 10; i++) t.begin()();
    clock = 1500;
    expect(t.report().rps_fractional).toBe(40); // 20 in the tracker's first 500 ms
    clock = 2050;
    expect(t.report().rps_fractional).toBeCloseTo(10 / 0.95, 3); // the t=1000 bucket left; span [1100, 2050]
    clock = 2500;
    expect(t.report().rps_fractional).toBe(0); // both buckets left the window
    clock = 9000;
    t.begin()();
    // the newest bucket starts now: the 10 buckets cover [8100, 9000], 1 request in 0.9 s
    expect(t.report().rps_fractional).toBeCloseTo(1 / 0.9, 3);
    clock = 9050;
    expect(t.report().rps_fractional).toBeCloseTo(1 / 0.95, 3);
  });

  it('rates a young tracker over its life, at least 100 ms', () => {
    let clock = 0;
    const t = createNeutralLoadTracker({ now: () => clock, rpsWindowMs: 10_000 });
    t.begin();
    clock = 5;
    expect(t.report().rps_fractional).toBe(10);
    clock = 400;
    expect(t.report().rps_fractional).toBe(2.5);
  });

  it('measures CPU time over wall time × cores, over the last 1–2 windows', () => {
    let clock = 0, cpu = 0;
    const t = createNeutralLoadTracker({ now: () => clock, cpuTime: () => cpu, cores: 2, cpuWindowMs: 1000 });
    clock = 500; cpu = 250_000; // 0.25 CPU-s in 0.5 s on 2 cores
    expect(t.report().cpu_utilization).toBe(0.25);
    clock = 520; cpu = 900_000; // read at most every 50 ms
    expect(t.report().cpu_utilization).toBe(0.25);
    clock = 1000; cpu = 1_000_000;
    expect(t.report().cpu_utilization).toBe(0.5);
    clock = 1500; // idle since 1000: [0, 1500]
    expect(t.report().cpu_utilization).toBe(0.3333);
    clock = 2000; // a new window: [1000, 2000], idle
    expect(t.report().cpu_utilization).toBe(0);
    clock = 2600; cpu = 1_600_000; // [1000, 2600]: 0.6 CPU-s over 1.6 s × 2 cores
    expect(t.report().cpu_utilization).toBe(0.1875);
    clock = 3000; cpu = 3_000_000; // a new window: [2000, 3000], 2 CPU-s over 1 s × 2 cores
    expect(t.report().cpu_utilization).toBe(1);
  });

  it('leaves cpu_utilization out without a CPU counter, or when it fails (and says so once)', () => {
    expect(createNeutralLoadTracker({ now: () => 0 }).report()).not.toHaveProperty('cpu_utilization');
    const errors: string[] = [];
    const t = createNeutralLoadTracker({ cpuTime: () => { throw new Error('no rusage'); }, onError: (e) => errors.push(e.message) });
    expect(t.report()).not.toHaveProperty('cpu_utilization');
    t.report();
    expect(errors).toEqual(['load tracker: cannot read the CPU time, cpu_utilization is left out: no rusage']);
  });

  it('adds the named metrics callback, dropping bad ones with one error each', () => {
    const errors: string[] = [];
    let extra: Record<string, number> = { queue: 7, inflight: 99, bad: NaN, 'a,b': 1 };
    const t = createNeutralLoadTracker({ now: () => 0, namedMetrics: () => extra, onError: (e) => errors.push(e.message) });
    t.begin();
    expect(t.report().named_metrics).toEqual({ inflight: 1, queue: 7 });
    t.report();
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/"inflight" is reserved/);
    expect(errors.join('\n')).toMatch(/"bad" is NaN/);
    expect(errors.join('\n')).toMatch(/"a,b" cannot be carried in the TEXT form/);
    expect(t.format()).toBe('TEXT rps_fractional=10, named_metrics.inflight=1, named_metrics.queue=7');
    extra = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`metric_${i}`, i]));
    expect(t.format()).toBe('TEXT rps_fractional=10, named_metrics.inflight=1'); // too long: the tracker's own metrics only
    expect(errors.at(-1)).toMatch(/above the limit of 4096/);
  });

  it('survives a namedMetrics callback that throws', () => {
    const errors: string[] = [];
    const t = createNeutralLoadTracker({ now: () => 0, namedMetrics: () => { throw new Error('db down'); }, onError: (e) => errors.push(e.message) });
    expect(t.report().named_metrics).toEqual({ inflight: 0 });
    expect(errors).toEqual(['load tracker: the namedMetrics callback threw, its metrics are left out: db down']);
  });

  it('writes the JSON form when asked', () => {
    const t = createNeutralLoadTracker({ now: () => 0, form: 'JSON' });
    expect(t.format()).toBe('JSON {"rps_fractional":0,"named_metrics":{"inflight":0}}');
  });

  it('refuses bad options with a message naming them', () => {
    expect(() => createNeutralLoadTracker({ rpsWindowMs: 0 })).toThrow(/rpsWindowMs must be a finite number ≥ 10, got 0/);
    expect(() => createNeutralLoadTracker({ cpuWindowMs: NaN })).toThrow(/cpuWindowMs/);
    expect(() => createNeutralLoadTracker({ form: 'BIN' as 'TEXT' })).toThrow(/form must be TEXT or JSON, got BIN/);
    expect(() => withLoadReporting(() => {}, { loadPath: 'load' })).toThrow(/loadPath must be a path starting with "\/"/);
    expect(() => withLoadReporting(undefined as unknown as () => void)).toThrow(/the handler is undefined, not a function/);
  });

  it("Node's tracker reads the process's CPU time", async () => {
    const t = createLoadTracker({ cpuWindowMs: 10 });
    const spin = performance.now() + 30;
    while (performance.now() < spin) { /* busy */ }
    const r = t.report();
    expect(r.cpu_utilization).toBeGreaterThan(0);
  });
});

// ── node:http end to end ───────────────────────────────────────────────────────
const agent = new Agent({ connections: 64, keepAliveTimeout: 1000 });
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await agent.close();
});

interface TestServer { base: string; handler: LoadReportingHandler; errors: Error[]; held: (() => void)[] }

async function serve(opts: LoadReportingOptions = {}): Promise<TestServer> {
  const errors: Error[] = [];
  const held: (() => void)[] = [];
  const app = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok': res.end('ok'); return;
      case '/missing': res.writeHead(404, { 'content-type': 'text/plain' }); res.end('no such thing'); return;
      case '/fail': res.statusCode = 500; res.end('failed'); return;
      case '/throw': res.setHeader('content-length', '99'); throw new Error('boom (sync)');
      case '/reject': await sleep(5); throw new Error('boom (async)');
      case '/half': res.writeHead(200, { 'content-length': '10' }); res.write('abc'); await sleep(5); throw new Error('boom (half-sent)');
      case '/own': res.setHeader(LOAD_REPORT_HEADER, 'TEXT named_metrics.own=1'); res.end('own'); return;
      case '/hold': held.push(() => res.end('released')); return;
      case '/busy': {
        const until = performance.now() + Number(url.searchParams.get('ms'));
        while (performance.now() < until) { /* a CPU-bound handler */ }
        res.end('busy');
        return;
      }
      default: res.writeHead(404); res.end();
    }
  };
  const handler = withLoadReporting(app, { onError: (e) => errors.push(e), ...opts });
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handler, errors, held };
}

async function get(url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET', signal?: AbortSignal) {
  const res = await request(url, { method, dispatcher: agent, signal });
  const body = method === 'HEAD' ? '' : await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

async function load(base: string): Promise<{ header: LoadReport; body: Record<string, unknown> }> {
  const res = await get(base + LOAD_PATH);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json');
  return { header: report(res.headers[LOAD_REPORT_HEADER]), body: JSON.parse(res.body) as Record<string, unknown> };
}

describe('withLoadReporting over node:http', () => {
  it('puts the load header on 200, 404 and 500 responses and on HEAD', async () => {
    const s = await serve();
    for (const [path, status] of [['/ok', 200], ['/missing', 404], ['/fail', 500], ['/nowhere', 404]] as const) {
      const res = await get(s.base + path);
      expect(res.status).toBe(status);
      const r = report(res.headers[LOAD_REPORT_HEADER]);
      expect(r.form).toBe('TEXT');
      expect(r.named_metrics.inflight).toBe(1); // this request, counted while its headers go out
      expect(r.cpu_utilization).toBeGreaterThanOrEqual(0);
      expect(r.rps_fractional).toBeGreaterThan(0);
    }
    const head = await get(`${s.base}/ok`, 'HEAD');
    expect(report(head.headers[LOAD_REPORT_HEADER]).named_metrics.inflight).toBe(1);
    expect(s.errors).toEqual([]);
  });

  it('answers a handler that throws or rejects with a 500 carrying the header, and reports the error', async () => {
    const s = await serve();
    for (const path of ['/throw', '/reject']) {
      const res = await get(s.base + path);
      expect(res.status).toBe(500);
      expect(res.body).toBe('internal server error\n'); // the handler's content-length is gone with its headers
      expect(report(res.headers[LOAD_REPORT_HEADER]).named_metrics.inflight).toBeGreaterThanOrEqual(1);
    }
    expect(s.errors.map((e) => e.message)).toEqual(['boom (sync)', 'boom (async)']);
    await until('the failed requests to end', () => s.handler.tracker.inflight === 0);
  });

  it('closes a response that fails half-sent; its headers had the load header', async () => {
    const s = await serve();
    const res = await request(`${s.base}/half`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(report(res.headers[LOAD_REPORT_HEADER]).named_metrics.inflight).toBe(1);
    await expect(res.body.text()).rejects.toThrow();
    expect(s.errors.map((e) => e.message)).toEqual(['boom (half-sent)']);
    await until('the half-sent request to end', () => s.handler.tracker.inflight === 0);
  });

  it("keeps a load header the handler set itself", async () => {
    const s = await serve();
    const res = await get(`${s.base}/own`);
    expect(res.headers[LOAD_REPORT_HEADER]).toBe('TEXT named_metrics.own=1');
  });

  it('answers the load endpoint itself: a JSON body equal to its header, not counted as traffic', async () => {
    const s = await serve({ namedMetrics: () => ({ queue: 3 }) });
    for (let i = 0; i < 3; i++) {
      const { header, body } = await load(s.base);
      expect(body).toEqual({ cpu_utilization: header.cpu_utilization, rps_fractional: 0, named_metrics: { inflight: 0, queue: 3 } });
      expect(header.named_metrics).toEqual({ inflight: 0, queue: 3 });
    }
    const q = await get(`${s.base}${LOAD_PATH}?verbose=1`);
    expect(q.status).toBe(200);
    const head = await get(s.base + LOAD_PATH, 'HEAD');
    expect(head.status).toBe(200);
    expect(report(head.headers[LOAD_REPORT_HEADER]).named_metrics.inflight).toBe(0);
    const post = await get(s.base + LOAD_PATH, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(report(post.headers[LOAD_REPORT_HEADER]).rps_fractional).toBe(0);
  });

  it('writes the JSON form when configured', async () => {
    const s = await serve({ form: 'JSON' });
    const res = await get(`${s.base}/ok`);
    expect(String(res.headers[LOAD_REPORT_HEADER])).toMatch(/^JSON \{"cpu_utilization":/);
    expect(report(res.headers[LOAD_REPORT_HEADER]).form).toBe('JSON');
  });

  it('sees requests held open in flight, and lets them go when they end or the client aborts', async () => {
    const s = await serve();
    const N = 6;
    const aborter = new AbortController();
    const pending = Array.from({ length: N }, (_, i) => get(`${s.base}/hold`, 'GET', i === 0 ? aborter.signal : undefined).catch((e: Error) => e));
    await until(`${N} held requests`, () => s.held.length === N);
    const { header, body } = await load(s.base);
    expect(header.named_metrics.inflight).toBe(N);
    expect((body.named_metrics as Record<string, number>).inflight).toBe(N);

    aborter.abort();
    await until('the aborted request to leave', async () => (await load(s.base)).header.named_metrics.inflight === N - 1);

    for (const release of s.held.slice(1)) release();
    const results = await Promise.all(pending);
    expect(results[0]).toBeInstanceOf(Error);
    for (const res of results.slice(1) as { status: number; headers: Record<string, unknown> }[]) {
      expect(res.status).toBe(200);
      const inflight = report(res.headers[LOAD_REPORT_HEADER] as string).named_metrics.inflight!;
      expect(inflight).toBeGreaterThanOrEqual(1);
      expect(inflight).toBeLessThanOrEqual(N - 1);
    }
    await until('every request to end', async () => (await load(s.base)).header.named_metrics.inflight === 0);
  });

  it('reports the rate of a burst: its count over the time since the server began', async () => {
    const before = performance.now();
    const s = await serve({ rpsWindowMs: 60_000 });
    const after = performance.now();
    for (let i = 0; i < 3; i++) await load(s.base); // not traffic
    const BURST = 60;
    const queue = Array.from({ length: BURST }, () => `${s.base}/ok`);
    await Promise.all(Array.from({ length: 10 }, async () => {
      for (let u = queue.pop(); u; u = queue.pop()) expect((await get(u)).status).toBe(200);
    }));
    const qStart = performance.now();
    const { header } = await load(s.base);
    const qEnd = performance.now();
    // rps = BURST / (the moment of the report − the tracker's start), the span at least 100 ms
    const lo = (BURST * 1000) / Math.max(qEnd - before, 100);
    const hi = (BURST * 1000) / Math.max(qStart - after, 100);
    expect(header.rps_fractional).toBeGreaterThanOrEqual(lo - 0.01);
    expect(header.rps_fractional).toBeLessThanOrEqual(hi + 0.01);
  });

  it('reports CPU utilization rising under a CPU-bound handler, matching the CPU the process used', async () => {
    // a loaded machine gives the spinning thread only a share of a core, so the report is checked
    // against the process's own CPU time over the same phases, not against a fixed fraction
    const cores = availableParallelism();
    const used = (): { cpu: number; t: number } => {
      const u = process.cpuUsage();
      return { cpu: u.user + u.system, t: performance.now() };
    };
    const fraction = (a: { cpu: number; t: number }, b: { cpu: number; t: number }): number => (b.cpu - a.cpu) / ((b.t - a.t) * 1000 * cores);
    const s = await serve({ cpuWindowMs: 500 });
    await sleep(700);
    await load(s.base); // starts a window
    const idleFrom = used();
    await sleep(600);
    const idleTo = used();
    const idle = (await load(s.base)).header.cpu_utilization!; // the last ~600 ms: idle
    const busyFrom = used();
    const stop = performance.now() + 1500;
    while (performance.now() < stop) await get(`${s.base}/busy?ms=50`);
    const busyTo = used();
    const busy = (await load(s.base)).header.cpu_utilization!; // the last 0.5–1 s: busy
    const usedIdle = fraction(idleFrom, idleTo), usedBusy = fraction(busyFrom, busyTo);
    const seen = `idle ${idle} (used ${usedIdle.toFixed(4)}), busy ${busy} (used ${usedBusy.toFixed(4)}), ${cores} cores`;
    expect(busy, seen).toBeGreaterThan(idle);
    expect(busy, seen).toBeGreaterThanOrEqual(0.5 * usedBusy);
    expect(busy, seen).toBeLessThanOrEqual(1);
    expect(Math.abs(idle - usedIdle), seen).toBeLessThanOrEqual(0.1);
  });

  it('shares one tracker between two servers', async () => {
    const tracker = createLoadTracker();
    const a = await serve({ tracker });
    const b = await serve({ tracker });
    await get(`${a.base}/ok`);
    const p = get(`${b.base}/hold`);
    await until('the held request', () => b.held.length === 1);
    expect((await load(a.base)).header.named_metrics.inflight).toBe(1);
    b.held[0]!();
    await p;
  });
});

// ── fetch-style handlers ───────────────────────────────────────────────────────
describe('withLoadReportingFetch with plain Request/Response', () => {
  const held: (() => void)[] = [];
  const errors: Error[] = [];
  const app = async (req: Request, env: { name: string }): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (path === '/throw') throw new Error('fetch boom');
    if (path === '/nothing') return undefined as unknown as Response;
    if (path === '/redirect') return Response.redirect('http://example.test/elsewhere', 302);
    if (path === '/own') return new Response('own', { headers: { [LOAD_REPORT_HEADER]: 'TEXT eps=1' } });
    if (path === '/hold') {
      await new Promise<void>((r) => held.push(r));
      return new Response('released');
    }
    if (path === LOAD_PATH) return new Response('the application');
    return new Response(`hello ${env.name}`, { status: path === '/missing' ? 404 : 200 });
  };
  const h = withLoadReportingFetch(app, { onError: (e) => errors.push(e) });
  const req = (path: string, method = 'GET'): Request => new Request(`http://example.test${path}`, { method });
  const env = { name: 'env' };

  it('adds the header to a response and passes the extra arguments through', async () => {
    const res = await h(req('/hi'), env);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello env');
    const r = report(res.headers.get(LOAD_REPORT_HEADER));
    expect(r.named_metrics.inflight).toBe(1);
    expect(r.rps_fractional).toBeGreaterThan(0);
    expect(report((await h(req('/missing'), env)).headers.get(LOAD_REPORT_HEADER)).ok).toBe(true);
  });

  it('turns a thrown error or a non-Response into a 500 with the header', async () => {
    errors.length = 0;
    for (const path of ['/throw', '/nothing']) {
      const res = await h(req(path), env);
      expect(res.status).toBe(500);
      expect(report(res.headers.get(LOAD_REPORT_HEADER)).ok).toBe(true);
    }
    expect(errors.map((e) => e.message)).toEqual(['fetch boom', 'the handler returned undefined, not a Response']);
  });

  it('copies a Response whose headers are immutable to add the header', async () => {
    const res = await h(req('/redirect'), env);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://example.test/elsewhere');
    expect(report(res.headers.get(LOAD_REPORT_HEADER)).ok).toBe(true);
  });

  it("keeps the handler's own load header", async () => {
    expect((await h(req('/own'), env)).headers.get(LOAD_REPORT_HEADER)).toBe('TEXT eps=1');
  });

  it('answers the load endpoint: GET, HEAD, and 405 for other methods', async () => {
    const res = await h(req(`${LOAD_PATH}?x=1`), env);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const header = report(res.headers.get(LOAD_REPORT_HEADER));
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.named_metrics).toEqual(header.named_metrics);
    expect(body.rps_fractional).toBe(header.rps_fractional);
    const head = await h(req(LOAD_PATH, 'HEAD'), env);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await h(req(LOAD_PATH, 'POST'), env);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(report(post.headers.get(LOAD_REPORT_HEADER)).ok).toBe(true);
  });

  it('counts requests in flight until their Response exists', async () => {
    const before = h.tracker.inflight;
    const pending = Array.from({ length: 4 }, () => h(req('/hold'), env));
    await until('4 held fetch requests', () => held.length === 4);
    const r = report((await h(req(LOAD_PATH), env)).headers.get(LOAD_REPORT_HEADER));
    expect(r.named_metrics.inflight).toBe(before + 4);
    for (const release of held.splice(0)) release();
    for (const res of await Promise.all(pending)) expect(await res.text()).toBe('released');
    expect(h.tracker.inflight).toBe(before);
  });

  it('reports the rate on an injected clock', async () => {
    let clock = 0;
    const f = withLoadReportingFetch(() => new Response('x'), { now: () => clock, rpsWindowMs: 1000 });
    clock = 400;
    for (let i = 0; i < 30; i++) await f(req('/x'));
    clock = 500;
    expect(report((await f(req(LOAD_PATH))).headers.get(LOAD_REPORT_HEADER)).rps_fractional).toBe(60);
  });

  it('reports CPU where the runtime tells it (process.cpuUsage and navigator.hardwareConcurrency), else leaves it out', async () => {
    const auto = report((await h(req(LOAD_PATH), env)).headers.get(LOAD_REPORT_HEADER));
    expect('cpu_utilization' in auto).toBe(runtimeCores() !== undefined); // Node 20 has no navigator
    const given = createFetchLoadTracker({ cpuTime: () => 0, cores: 4 });
    expect(given.report().cpu_utilization).toBe(0);
    const none = withLoadReportingFetch(() => new Response('x'), { cpuTime: null });
    expect(report((await none(req('/x'))).headers.get(LOAD_REPORT_HEADER))).not.toHaveProperty('cpu_utilization');
  });

  it('hands the load path to the application when the endpoint is off', async () => {
    const f = withLoadReportingFetch(app, { loadPath: false });
    const res = await f(req(LOAD_PATH), env);
    expect(await res.text()).toBe('the application');
    expect(report(res.headers.get(LOAD_REPORT_HEADER)).ok).toBe(true);
  });
});

describe('the package export ringroute/server', () => {
  it('resolves to the node:http wrapper in Node and to the fetch wrapper under workerd', () => {
    const script = "const m = await import('ringroute/server'); console.log([typeof m.withLoadReporting, typeof m.withLoadReportingFetch, typeof m.parseLoadReport].join(' '))";
    const node = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    expect(node).toBe('function function function');
    const workerd = execFileSync(process.execPath, ['--conditions=workerd', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    expect(workerd).toBe('undefined function function');
    expect(formatLoadReport({ rps_fractional: 1 })).toBe('TEXT rps_fractional=1');
  });
});
