// Part 1 of bench/client.ts: the ServiceRouter paper's cost experiment on loopback. Ten HTTP
// servers (one child process, ten listeners: their CPU is not the client's), the same closed-loop
// load driven four ways:
//   bare     undici, a Pool per server, a random server per request: the lower bound;
//   bareAbort  bare undici plus what the mesh client does for its per-try timeout: an
//            AbortController, its signal in the request, a setTimeout/clearTimeout (a decomposition
//            of the client's cost, not a way to send);
//   bareTimeouts  bare undici with undici's own per-request headersTimeout/bodyTimeout instead
//            (the cheaper way to bound a try);
//   bareDispatch  bare undici sent the way the mesh client sends (host/node/exchange.ts: dispatch()
//            with its own handler, the per-try timeout on a shared deadline wheel), a random
//            server: the client less its routing (a decomposition too);
//   client   the ringroute mesh client (connect() over a static RIB, no subset: pick-2 over the
//            ten servers) in the load generator's process, with the default policy (load mode
//            adaptive: the servers send no load reports, so it decides on outstanding requests
//            once its rate makes it busy, after polls that find no report);
//   clientOutstanding  the same with `load: {mode: 'outstanding'}` (no load estimator);
//   sidecar  bare undici requests to a sidecar (startProxy kind 'sidecar') in its own process;
//   remote   the same through a remote proxy (kind 'remote-proxy').
// CPU per request = the load generator's process.cpuUsage() delta + the proxy process's (for the
// proxied ways): every process on the path except the servers. Each way runs `reps` times, the
// order rotated each time; the figures are the medians over the repetitions.
import { Pool } from 'undici';
import { connect, type ConnectOptions } from '../host/node/client.js';
import { DeadlineWheel, exchange } from '../host/node/exchange.js';
import type { RibModel } from '../bindings/model.js';
import { type Child, closedLoop, drain, median, ownCpuUs, pct, startChild } from './client-util.js';

export type Way = 'bare' | 'bareAbort' | 'bareTimeouts' | 'bareDispatch' | 'client' | 'clientOutstanding' | 'sidecar' | 'remote';
export const WAYS: Way[] = ['bare', 'bareAbort', 'bareTimeouts', 'bareDispatch', 'client', 'clientOutstanding', 'sidecar', 'remote'];

export interface CostOptions {
  servers: number;
  requests: number;
  concurrency: number;
  reps: number;
  warmup: number;
  bodyBytes: number;
  log: (s: string) => void;
}

export interface WayResult {
  way: Way;
  /** Medians over the repetitions. */
  genUsPerReq: number;
  proxyUsPerReq: number;
  totalUsPerReq: number;
  serverUsPerReq: number;
  p50: number;
  p99: number;
  rps: number;
  /** Every repetition's total µs/request, in run order. */
  reps: number[];
}

export interface CostResult {
  opts: Omit<CostOptions, 'log'>;
  ways: WayResult[];
  /** The default-policy mesh client's counters and decisions by load mode, over the whole run. */
  clientStats: Record<string, number>;
  clientLoadCounts: Record<string, number>;
}

interface Rep { gen: number; proxy: number; server: number; p50: number; p99: number; rps: number }

const POOL = { connections: 8, allowH2: true, connect: { timeout: 250 }, keepAliveTimeout: 30_000 } as const;

export async function runCost(o: CostOptions): Promise<CostResult> {
  const servers = startChild('./client-servers.js');
  const sidecarChild = startChild('./client-proxy.js');
  const remoteChild = startChild('./client-proxy.js');
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const { ports } = await servers.call<{ ports: number[] }>('plain', { count: o.servers, bodyBytes: o.bodyBytes });
    const ids = ports.map((_, i) => `s${i}`);
    const addresses = { svc: Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`])) };
    const rib: RibModel = { regions: ['local'], rtt_us: [[100]], services: [{ name: 'svc', servers: ids.map((id) => ({ id, region: 'local' })) }] };

    // (a) bare undici
    const pools = ports.map((p) => new Pool(`http://127.0.0.1:${p}`, POOL));
    closers.push(() => Promise.all(pools.map((p) => p.close())));
    const bare = async (): Promise<void> => {
      const res = await pools[Math.floor(Math.random() * pools.length)].request({ path: '/', method: 'GET' });
      const body = await drain(res.body);
      if (res.statusCode !== 200 || body.length !== o.bodyBytes) throw new Error(`bare: ${res.statusCode}`);
    };
    const bareAbort = async (): Promise<void> => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error('timeout')), 1000);
      try {
        const res = await pools[Math.floor(Math.random() * pools.length)].request({ path: '/', method: 'GET', signal: abort.signal });
        const body = await drain(res.body);
        if (res.statusCode !== 200 || body.length !== o.bodyBytes) throw new Error(`bare: ${res.statusCode}`);
      } finally {
        clearTimeout(timer);
      }
    };
    const bareTimeouts = async (): Promise<void> => {
      const res = await pools[Math.floor(Math.random() * pools.length)].request({ path: '/', method: 'GET', headersTimeout: 1000, bodyTimeout: 1000 });
      const body = await drain(res.body);
      if (res.statusCode !== 200 || body.length !== o.bodyBytes) throw new Error(`bare: ${res.statusCode}`);
    };
    const wheel = new DeadlineWheel(5);
    const bareDispatch = async (): Promise<void> => {
      const r = await exchange(pools[Math.floor(Math.random() * pools.length)], { path: '/', method: 'GET' }, 1000, wheel, 16 * 1024 * 1024);
      if (r.status !== 200 || r.body.length !== o.bodyBytes) throw new Error(`bareDispatch: ${r.status}`);
    };
    // (b) the mesh client
    const mesh = await connect({ client: { id: 'cost-client', region: 'local', seed: 7 }, rib, addresses });
    closers.push(() => mesh.close());
    const client = async (): Promise<void> => {
      const r = await mesh.request('svc', { path: '/' });
      if (r.status !== 200 || r.body.length !== o.bodyBytes) throw new Error(`client: ${r.status}`);
    };
    const policies = { svc: { load: { mode: 'outstanding', staleness_ms: 1000 } } } as unknown as ConnectOptions['policies'];
    const meshOut = await connect({ client: { id: 'cost-client-2', region: 'local', seed: 7 }, rib, addresses, policies });
    closers.push(() => meshOut.close());
    const clientOutstanding = async (): Promise<void> => {
      const r = await meshOut.request('svc', { path: '/' });
      if (r.status !== 200 || r.body.length !== o.bodyBytes) throw new Error(`client: ${r.status}`);
    };
    // (c), (d) the proxies, each in its own process; the generator keeps `concurrency` connections to it
    const proxyWay = async (child: Child, kind: string, name: string): Promise<() => Promise<void>> => {
      const { url } = await child.call<{ url: string }>('start', { kind, client: { id: `${kind}-1`, region: 'local', seed: 7 }, rib, addresses });
      const pool = new Pool(url, { ...POOL, connections: o.concurrency });
      closers.push(() => pool.close());
      return async () => {
        const res = await pool.request({ path: '/svc/', method: 'GET' });
        const body = await drain(res.body);
        if (res.statusCode !== 200 || body.length !== o.bodyBytes) throw new Error(`${name}: ${res.statusCode} ${body.toString().slice(0, 200)}`);
      };
    };
    const send: Record<Way, () => Promise<void>> = {
      bare, bareAbort, bareTimeouts, bareDispatch, client, clientOutstanding,
      sidecar: await proxyWay(sidecarChild, 'sidecar', 'sidecar'),
      remote: await proxyWay(remoteChild, 'remote-proxy', 'remote'),
    };
    const proxyOf: Partial<Record<Way, Child>> = { sidecar: sidecarChild, remote: remoteChild };

    const reps = Object.fromEntries(WAYS.map((w) => [w, [] as Rep[]])) as Record<Way, Rep[]>;
    // JIT and connections for every way before the first measurement
    for (const way of WAYS) await closedLoop(o.warmup * 3, o.concurrency, send[way]);
    for (let r = 0; r < o.reps; r++) {
      const rot = WAYS.map((_, i) => WAYS[(i + r) % WAYS.length]);
      for (const way of rot) {
        await closedLoop(o.warmup, o.concurrency, send[way]);
        const proxy = proxyOf[way];
        const [p0, s0] = await Promise.all([proxy ? proxy.cpuUs() : 0, servers.cpuUs()]);
        const g0 = ownCpuUs();
        const t0 = performance.now();
        const lat = await closedLoop(o.requests, o.concurrency, send[way]);
        const wall = performance.now() - t0;
        const g1 = ownCpuUs();
        const [p1, s1] = await Promise.all([proxy ? proxy.cpuUs() : 0, servers.cpuUs()]);
        const rep: Rep = {
          gen: (g1 - g0) / o.requests, proxy: (p1 - p0) / o.requests, server: (s1 - s0) / o.requests,
          p50: pct(lat, 50), p99: pct(lat, 99), rps: (o.requests / wall) * 1000,
        };
        reps[way].push(rep);
        o.log(`  rep ${r + 1} ${way.padEnd(17)} ${(rep.gen + rep.proxy).toFixed(1)} µs/req (generator ${rep.gen.toFixed(1)} + proxy ${rep.proxy.toFixed(1)}; servers ${rep.server.toFixed(1)}), p50 ${rep.p50.toFixed(2)} ms, p99 ${rep.p99.toFixed(2)} ms, ${Math.round(rep.rps)} req/s`);
      }
    }
    const ways = WAYS.map((way): WayResult => {
      const rs = reps[way];
      return {
        way,
        genUsPerReq: median(rs.map((r) => r.gen)),
        proxyUsPerReq: median(rs.map((r) => r.proxy)),
        totalUsPerReq: median(rs.map((r) => r.gen + r.proxy)),
        serverUsPerReq: median(rs.map((r) => r.server)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        rps: median(rs.map((r) => r.rps)),
        reps: rs.map((r) => r.gen + r.proxy),
      };
    });
    const { log: _log, ...opts } = o;
    return { opts, ways, clientStats: { ...mesh.stats }, clientLoadCounts: mesh.loadCounts() };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await Promise.all([servers.stop(), sidecarChild.stop(), remoteChild.stop()]);
  }
}
