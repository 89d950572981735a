// The three routers for callers that can't link the library, each built on the same mesh client
// (host/node/client.ts), never a second routing implementation:
//   sidecar       a local HTTP proxy on loopback: the service is named by the Host header
//                 (`<service>.mesh`) or by a path prefix (`/<service>/...`, stripped); the key and
//                 role by the `ringroute-key` and `ringroute-role` headers;
//   remote proxy  the same, shared by a region: long-lived connections to far servers (idle
//                 connections kept 5 minutes) and a small routing cache: a keyed request reuses the
//                 server chosen for its (service, key, role) in the last `cacheMs`, while that
//                 server is still in the data;
//   lookaside     `GET /route?service=&key=&role=` answers the chosen server, its address and how
//                 long the answer stays valid (the caller connects directly, grpclb style);
//                 `POST /load` takes load reports back (`{service, server, load}`).
// Every router serves `/metrics` (Prometheus text) and, with `debug`, adds a `ringroute-trace`
// header naming the ring, the server and the attempts behind a response.
// Cost per request: one decision plus the proxied exchange (bodies are buffered, up to a limit).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Mesh, MeshError } from './client.js';
import { MeshMetrics } from './metrics.js';

export type ProxyKind = 'sidecar' | 'remote-proxy' | 'lookaside';

export interface ProxyOptions {
  kind: ProxyKind;
  mesh: Mesh;
  port?: number;
  host?: string;
  debug?: boolean;
  /** Largest request body, bytes (default 16 MiB). */
  bodyLimit?: number;
  /** remote-proxy: how long a keyed decision is reused, ms (default 1000; 0 = no cache). */
  cacheMs?: number;
  /** lookaside: how long an answer is valid, ms (default 1000). */
  validMs?: number;
}

export interface RunningProxy {
  url: string;
  server: Server;
  metrics: MeshMetrics;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);
const CACHE_MAX = 10_000;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new MeshError('ERROR', `request body over the ${limit}-byte limit`, 0);
    chunks.push(c as Buffer);
  }
  return size > 0 ? Buffer.concat(chunks) : undefined;
}

const STATUS: Record<MeshError['code'], number> = { NO_ROUTE: 503, NO_ADDRESS: 503, CONNECT_FAILURE: 502, TIMEOUT: 504, ABORTED: 499, ERROR: 502 };

/** The service and upstream path of a proxied request: `<service>.mesh` Host, else `/<service>/rest`. */
export function targetOf(req: IncomingMessage): { service: string; path: string } | undefined {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const url = req.url ?? '/';
  if (host.endsWith('.mesh') && host.length > 5) return { service: host.slice(0, -5), path: url };
  const m = /^\/([A-Za-z0-9][A-Za-z0-9._:@-]*)(\/.*)?$/.exec(url.replace(/\?.*$/, ''));
  if (!m) return undefined;
  const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
  return { service: m[1], path: `${m[2] ?? '/'}${query}` };
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const { mesh } = opts;
  const metrics = new MeshMetrics(mesh, { router: opts.kind });
  const limit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const cacheMs = opts.kind === 'remote-proxy' ? opts.cacheMs ?? 1000 : 0;
  const cache = new Map<string, { server: string; until: number; generation: number }>();

  const proxied = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = targetOf(req);
    if (!target) {
      send(res, 400, { error: { code: 'NO_SERVICE', message: 'name the service in the Host header (<service>.mesh) or as the first path segment' } });
      return;
    }
    const key = req.headers['ringroute-key'];
    const role = req.headers['ringroute-role'];
    if (role !== undefined && role !== 'primary' && role !== 'any') {
      send(res, 400, { error: { code: 'BAD_ROLE', message: `ringroute-role must be primary or any, got ${JSON.stringify(role)}` } });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP.has(k) || k.startsWith('ringroute-')) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const body = await readBody(req, limit);
    const ctl = new AbortController();
    res.on('close', () => { if (!res.writableEnded) ctl.abort(); });
    let prefer: string | undefined;
    const cacheKey = cacheMs > 0 && typeof key === 'string' ? `${target.service}\u0000${key}\u0000${role ?? ''}` : undefined;
    if (cacheKey) {
      const hit = cache.get(cacheKey);
      if (hit && hit.until > Date.now() && hit.generation === mesh.meta.generation) prefer = hit.server;
    }
    const r = await mesh.request(target.service, {
      method: req.method, path: target.path, headers, body, signal: ctl.signal,
      ...(typeof key === 'string' ? { key } : {}), ...(role ? { role: role as 'primary' | 'any' } : {}), ...(prefer ? { prefer } : {}),
    });
    if (cacheKey) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(cacheKey, { server: r.server, until: Date.now() + cacheMs, generation: mesh.meta.generation });
    }
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    out['content-length'] = String(r.body.length);
    if (opts.debug) out['ringroute-trace'] = JSON.stringify(r.trace);
    res.writeHead(r.status, out);
    res.end(r.body);
  };

  const lookaside = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method === 'GET' && url.pathname === '/route') {
      const service = url.searchParams.get('service');
      if (!service) {
        send(res, 400, { error: { code: 'BAD_REQUEST', message: 'query service= is required' } });
        return;
      }
      const role = url.searchParams.get('role') ?? undefined;
      if (role !== undefined && role !== 'primary' && role !== 'any') {
        send(res, 400, { error: { code: 'BAD_ROLE', message: `role must be primary or any, got ${JSON.stringify(role)}` } });
        return;
      }
      const key = url.searchParams.get('key') ?? undefined;
      const d = mesh.router.tryRoute({ service, ...(key !== undefined ? { key } : {}), ...(role ? { role: role as 'primary' | 'any' } : {}) });
      if (d instanceof Error) {
        send(res, 503, { error: { code: d.codeName, message: d.message } });
        return;
      }
      const address = mesh.meta.services[service]?.addresses[d.server];
      send(res, 200, { service, server: d.server, address: address ?? null, ring: mesh.meta.services[service]?.rings?.[d.server] ?? -1, valid_ms: opts.validMs ?? 1000, generation: mesh.meta.generation });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/load') {
      const body = await readBody(req, 64 * 1024);
      let r: { service?: unknown; server?: unknown; load?: unknown };
      try {
        r = JSON.parse(body?.toString('utf8') ?? '');
      } catch {
        send(res, 400, { error: { code: 'BAD_JSON', message: 'body must be JSON {service, server, load}' } });
        return;
      }
      if (typeof r.service !== 'string' || typeof r.server !== 'string' || typeof r.load !== 'number' || !Number.isFinite(r.load) || r.load < 0) {
        send(res, 400, { error: { code: 'BAD_REQUEST', message: 'body must be {service: string, server: string, load: number ≥ 0}' } });
        return;
      }
      const index = mesh.router.serverIndex(r.service, r.server);
      if (index < 0) {
        send(res, 404, { error: { code: 'NO_SERVER', message: `service "${r.service}" has no server "${r.server}" in the data in force` } });
        return;
      }
      mesh.router.setLoad(r.service, index, r.load);
      send(res, 200, { ok: true });
      return;
    }
    send(res, 404, { error: { code: 'NOT_FOUND', message: 'lookaside serves GET /route and POST /load' } });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://router');
    void (async () => {
      try {
        if (req.method === 'GET' && url.pathname === '/metrics' && (opts.kind === 'lookaside' || !(req.headers.host ?? '').includes('.mesh'))) {
          const text = await metrics.text();
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
          return;
        }
        if (opts.kind === 'lookaside') await lookaside(req, res, url);
        else await proxied(req, res);
      } catch (err) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (err instanceof MeshError) send(res, STATUS[err.code], { error: { code: err.code, message: err.message } });
        else send(res, 500, { error: { code: 'INTERNAL', message: (err as Error).message } });
      }
    })();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    server,
    metrics,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
