// The control server (`ringroute control`): the controllers' HTTP/JSON APIs on one port, over one
// RIB store. Every request but /healthz needs a bearer token (control/auth.ts) for the tenant in
// its path; every body is checked with a schema (control/schema.ts, control/rib.ts) and a refused
// request changes nothing. Endpoints (all under /v1/tenants/:t):
//   registry   GET  /services                          GET /services/:s
//              PUT  /services/:s/servers/:id           (register or update; write)
//              POST /services/:s/servers/:id/drain     POST /services/:s/servers/:id/state {state}
//              DELETE /services/:s/servers/:id
//              PUT  /services/:s/shards  {shards}      DELETE /services/:s/shards
//              POST /services/:s/shards/:i/move {from,to}   POST /services/:s/shards/:i/primary {server}
//   latency    GET|PUT /latency                        POST /latency/measurements {from,to,rtt_us}
//   config     GET /config   GET /config/versions   GET /config/versions/:v   GET /config/diff?from=&to=
//              POST /config {services} | {files:[{name,text}]}  (admin)   POST /config/diff (dry run)
//              POST /config/rollback {to?}  (admin)
//   xRS        POST /xrs/load {service,region,demand_rps,capacity_rps?}   GET /xrs/:s
//   RIB        GET /rib?prefix=   GET /rib/revision   GET /rib/watch?from=&prefix=   (NDJSON stream: the daemons' feed)
//   daemons    POST /daemons/:name {revision}   GET /daemons
// Cost per request: the controller's (see each module) plus O(body). Long-lived: one watch per
// connected daemon.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auth, type Grant, type Role } from './auth.js';
import { parseConfigFiles, validateConfigSet, diffConfigSets, formatDiff } from './config.js';
import { applyConfig, currentSet, history, readVersion, rollbackConfig } from './config-store.js';
import { ApiError, type Context, readJson, Router, sendError, sendJson } from './http.js';
import * as latency from './latency.js';
import * as registry from './registry.js';
import * as K from './rib.js';
import * as S from './schema.js';
import { StoreError, type RibStore, type Watcher } from './store/types.js';
import { XrsController } from './xrs-controller.js';

export interface ControlServerOptions {
  store: RibStore;
  auth: Auth;
  port?: number;
  host?: string;
  /** Largest JSON body accepted, bytes (default 16 MiB: shard maps and config sets). */
  bodyLimit?: number;
  /** xRS tick in ms (default 1000); 0 disables the cross-region controller. */
  xrsTickMs?: number;
  log?: (line: string) => void;
}

export interface ControlServer {
  url: string;
  server: Server;
  xrs?: XrsController;
  close(): Promise<void>;
}

interface DaemonReport {
  name: string;
  revision: number;
  seen: number;
  clients: number;
  services: number;
}

const DAEMON_LIVE_MS = 10_000;
const HEARTBEAT_MS = 5_000;

const configBody = S.object({
  services: S.optional(S.record(S.string({ min: 1, max: 128 }), S.object({}, { extra: true }))),
  files: S.optional(S.array(S.object({ name: S.string({ min: 1, max: 255 }), text: S.string({ min: 0, max: 4_000_000 }) }), { max: 10_000 })),
  message: S.optional(S.string({ min: 1, max: 500 })),
  expect_version: S.optional(S.int({ min: 0 })),
});
const rollbackBody = S.object({ to: S.optional(S.int({ min: 1 })), message: S.optional(S.string({ min: 1, max: 500 })) });
const daemonBody = S.object({ revision: S.int({ min: 0 }), clients: S.withDefault(S.int({ min: 0 }), 0), services: S.withDefault(S.int({ min: 0 }), 0) });

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { store, auth } = opts;
  const limit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const daemons = new Map<string, Map<string, DaemonReport>>(); // tenant → name → report
  const streams = new Set<ServerResponse>();
  const xrs = opts.xrsTickMs === 0 ? undefined : new XrsController(store, { tickMs: opts.xrsTickMs ?? 1000, log: opts.log });

  const router = new Router();
  const grantOf = (ctx: Context, role: Role): Grant => {
    const g = auth.authenticate(ctx.req.headers.authorization);
    const tenant = K.tenantName.check(ctx.params.t, 'path tenant');
    Auth.authorize(g, tenant, role);
    return g;
  };
  const svc = (ctx: Context): string => K.serviceName.check(ctx.params.s, 'path service');
  const sid = (ctx: Context): string => K.serverId.check(ctx.params.id, 'path server id');
  const body = async <T>(ctx: Context, schema: S.Schema<T>): Promise<T> => schema.check(await readJson(ctx.req, limit), 'body');
  const ok = (ctx: Context, value: unknown, status = 200): void => sendJson(ctx.res, status, value);
  const T = '/v1/tenants/:t';

  // registry
  router
    .on('GET', `${T}/services`, async (ctx) => {
      grantOf(ctx, 'read');
      ok(ctx, await registry.listServices(store, ctx.params.t));
    })
    .on('GET', `${T}/services/:s`, async (ctx) => {
      grantOf(ctx, 'read');
      const s = svc(ctx);
      const { kvs, revision } = await store.range(K.servicePrefix(ctx.params.t, s));
      if (kvs.length === 0) throw new ApiError('NOT_FOUND', `tenant "${ctx.params.t}" has no service "${s}"`);
      const out: Record<string, unknown> = { name: s, servers: [], revision };
      for (const kv of kvs) {
        const k = K.parseServiceKey(ctx.params.t, kv.key);
        if (!k) continue;
        if (k.kind === 'server') (out.servers as unknown[]).push(JSON.parse(kv.value));
        else out[k.kind] = JSON.parse(kv.value);
      }
      ok(ctx, out);
    })
    .on('PUT', `${T}/services/:s/servers/:id`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx), id = sid(ctx);
      ok(ctx, await registry.register(store, ctx.params.t, s, id, await body(ctx, K.serverBody)));
    })
    .on('POST', `${T}/services/:s/servers/:id/drain`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx), id = sid(ctx);
      const r = await registry.setState(store, ctx.params.t, s, id, 'draining');
      const waitMs = Number(ctx.query.get('wait_ms') ?? 0);
      const reached = waitMs > 0 ? await waitForDaemons(ctx.params.t, r.revision, Math.min(waitMs, 60_000)) : undefined;
      ok(ctx, { ...r, ...(reached ? { daemons: reached } : {}) });
    })
    .on('POST', `${T}/services/:s/servers/:id/state`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx), id = sid(ctx);
      const { state } = await body(ctx, K.stateBody);
      ok(ctx, await registry.setState(store, ctx.params.t, s, id, state));
    })
    .on('DELETE', `${T}/services/:s/servers/:id`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx), id = sid(ctx);
      ok(ctx, await registry.deregister(store, ctx.params.t, s, id));
    })
    .on('PUT', `${T}/services/:s/shards`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx);
      ok(ctx, await registry.setShards(store, ctx.params.t, s, await body(ctx, K.shardsBody)));
    })
    .on('DELETE', `${T}/services/:s/shards`, async (ctx) => {
      grantOf(ctx, 'write');
      ok(ctx, await registry.deleteShards(store, ctx.params.t, svc(ctx)));
    })
    .on('POST', `${T}/services/:s/shards/:i/move`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx), i = shardIndex(ctx.params.i);
      const { from, to } = await body(ctx, K.moveBody);
      ok(ctx, await registry.moveReplica(store, ctx.params.t, s, i, from, to));
    })
    .on('POST', `${T}/services/:s/shards/:i/primary`, async (ctx) => {
      grantOf(ctx, 'write');
      const s = svc(ctx), i = shardIndex(ctx.params.i);
      const { server } = await body(ctx, K.primaryBody);
      ok(ctx, await registry.setPrimary(store, ctx.params.t, s, i, server));
    });

  // latency
  router
    .on('GET', `${T}/latency`, async (ctx) => {
      grantOf(ctx, 'read');
      const lat = await registry.latency(store, ctx.params.t);
      if (!lat) throw new ApiError('NOT_FOUND', `tenant "${ctx.params.t}" has no latency matrix`);
      ok(ctx, lat);
    })
    .on('PUT', `${T}/latency`, async (ctx) => {
      grantOf(ctx, 'write');
      ok(ctx, await latency.setMatrix(store, ctx.params.t, await body(ctx, K.latencyBody)));
    })
    .on('POST', `${T}/latency/measurements`, async (ctx) => {
      grantOf(ctx, 'write');
      ok(ctx, await latency.addMeasurement(store, ctx.params.t, await body(ctx, K.measurementBody)));
    });

  // config
  const setFrom = (b: S.Infer<typeof configBody>) => {
    if ((b.services === undefined) === (b.files === undefined)) throw new ApiError('SCHEMA', 'body: give exactly one of services and files');
    return b.files ? parseConfigFiles(b.files) : validateConfigSet({ services: b.services });
  };
  router
    .on('GET', `${T}/config`, async (ctx) => {
      grantOf(ctx, 'read');
      const cur = await currentSet(store, ctx.params.t);
      if (!cur) throw new ApiError('NOT_FOUND', `tenant "${ctx.params.t}" has no config applied`);
      ok(ctx, cur);
    })
    .on('GET', `${T}/config/versions`, async (ctx) => {
      grantOf(ctx, 'read');
      ok(ctx, { versions: await history(store, ctx.params.t) });
    })
    .on('GET', `${T}/config/versions/:v`, async (ctx) => {
      grantOf(ctx, 'read');
      ok(ctx, await readVersion(store, ctx.params.t, versionParam(ctx.params.v, 'path version')));
    })
    .on('GET', `${T}/config/diff`, async (ctx) => {
      grantOf(ctx, 'read');
      const from = await readVersion(store, ctx.params.t, versionParam(ctx.query.get('from'), 'query from'));
      const to = await readVersion(store, ctx.params.t, versionParam(ctx.query.get('to'), 'query to'));
      const changes = diffConfigSets(from.set, to.set);
      ok(ctx, { changes, text: formatDiff(changes) });
    })
    .on('POST', `${T}/config/diff`, async (ctx) => {
      grantOf(ctx, 'read');
      const set = setFrom(await body(ctx, configBody));
      const cur = await currentSet(store, ctx.params.t);
      const changes = diffConfigSets(cur?.set ?? { services: {} }, set);
      ok(ctx, { version: cur?.head.version ?? 0, changes, text: formatDiff(changes) });
    })
    .on('POST', `${T}/config`, async (ctx) => {
      const g = grantOf(ctx, 'admin');
      const b = await body(ctx, configBody);
      const set = setFrom(b);
      const r = await applyConfig(store, ctx.params.t, set, { by: g.name, message: b.message, expect: b.expect_version });
      ok(ctx, { ...r, text: formatDiff(r.changes) });
    })
    .on('POST', `${T}/config/rollback`, async (ctx) => {
      const g = grantOf(ctx, 'admin');
      const b = await body(ctx, rollbackBody);
      const r = await rollbackConfig(store, ctx.params.t, { by: g.name, to: b.to, message: b.message });
      ok(ctx, { ...r, text: formatDiff(r.changes) });
    });

  // xRS
  router
    .on('POST', `${T}/xrs/load`, async (ctx) => {
      grantOf(ctx, 'write');
      const b = await body(ctx, K.loadBody);
      const report: K.LoadReport = { demand_rps: b.demand_rps, ...(b.capacity_rps !== undefined ? { capacity_rps: b.capacity_rps } : {}), at: Date.now() };
      ok(ctx, { revision: await store.put(K.loadKey(ctx.params.t, b.service, b.region), JSON.stringify(report)) });
    })
    .on('GET', `${T}/xrs/:s`, async (ctx) => {
      grantOf(ctx, 'read');
      const s = svc(ctx);
      const spill = await store.get(K.spillKey(ctx.params.t, s));
      ok(ctx, { service: s, spill: spill ? JSON.parse(spill.value) : null, diagnostic: xrs?.diagnostic(ctx.params.t, s) ?? null });
    });

  // the RIB feed for daemons
  router
    .on('GET', `${T}/rib`, async (ctx) => {
      grantOf(ctx, 'read');
      const prefix = K.tenantPrefix(ctx.params.t) + (ctx.query.get('prefix') ?? '');
      ok(ctx, await store.range(prefix));
    })
    .on('GET', `${T}/rib/revision`, async (ctx) => {
      grantOf(ctx, 'read');
      ok(ctx, { revision: await store.revision() });
    })
    .on('GET', `${T}/rib/watch`, async (ctx) => {
      grantOf(ctx, 'read');
      const prefix = K.tenantPrefix(ctx.params.t) + (ctx.query.get('prefix') ?? '');
      const from = versionParam(ctx.query.get('from'), 'query from');
      await streamWatch(ctx, prefix, from);
    })
    .on('POST', `${T}/daemons/:name`, async (ctx) => {
      grantOf(ctx, 'read');
      const name = S.name('a daemon name').check(ctx.params.name, 'path name');
      const b = await body(ctx, daemonBody);
      let m = daemons.get(ctx.params.t);
      if (!m) daemons.set(ctx.params.t, (m = new Map()));
      m.set(name, { name, revision: b.revision, seen: Date.now(), clients: b.clients!, services: b.services! });
      ok(ctx, { ok: true });
    })
    .on('GET', `${T}/daemons`, async (ctx) => {
      grantOf(ctx, 'read');
      const now = Date.now();
      ok(ctx, { daemons: [...(daemons.get(ctx.params.t)?.values() ?? [])].map((d) => ({ ...d, live: now - d.seen < DAEMON_LIVE_MS })) });
    });

  /** Waits until every live daemon of the tenant has applied `revision` (drain reaching clients). */
  async function waitForDaemons(tenant: string, revision: number, waitMs: number): Promise<{ reached: string[]; pending: string[] }> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const live = [...(daemons.get(tenant)?.values() ?? [])].filter((d) => now - d.seen < DAEMON_LIVE_MS);
      const pending = live.filter((d) => d.revision < revision).map((d) => d.name);
      if (pending.length === 0 || now >= deadline) return { reached: live.filter((d) => d.revision >= revision).map((d) => d.name), pending };
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async function streamWatch(ctx: Context, prefix: string, from: number): Promise<void> {
    const { res, req } = ctx;
    let watcher: Watcher | undefined;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(beat);
      streams.delete(res);
      void watcher?.close();
      res.end();
    };
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    streams.add(res);
    const beat = setInterval(() => res.write('{"heartbeat":true}\n'), HEARTBEAT_MS);
    req.on('close', end);
    watcher = await store.watch(prefix, from, {
      onBatch: (b) => {
        if (!ended) res.write(`${JSON.stringify(b)}\n`);
      },
      onError: (e: StoreError) => {
        if (!ended) res.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
        end();
      },
    });
    if (ended) void watcher.close();
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://control');
    if (url.pathname === '/healthz') {
      sendJson(res, 200, { ok: true, store: store.kind });
      return;
    }
    void (async () => {
      try {
        const { handler, params } = router.match(req.method ?? 'GET', url.pathname);
        await handler({ req, res, params, query: url.searchParams });
      } catch (err) {
        if (!(err instanceof ApiError || err instanceof S.SchemaError)) opts.log?.(`control: ${req.method} ${url.pathname}: ${(err as Error).stack ?? err}`);
        // drain the rest of a refused body so the connection stays usable
        req.resume();
        sendError(res, err);
      }
    })();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  xrs?.start();
  return {
    url: `http://${addr.address}:${addr.port}`,
    server,
    xrs,
    async close() {
      xrs?.stop();
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function shardIndex(raw: string): number {
  return S.int({ min: 0, max: 0xffffffff }).check(/^\d+$/.test(raw) ? Number(raw) : raw, 'path shard index');
}

function versionParam(raw: string | null | undefined, path: string): number {
  if (raw === null || raw === undefined) throw new ApiError('SCHEMA', `${path}: is required`);
  return S.int({ min: 0 }).check(/^\d+$/.test(raw) ? Number(raw) : raw, path);
}
