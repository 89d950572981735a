// The sidecar, remote proxy and lookaside routers over loopback with real servers: the same
// request goes to the same server as through the library (same seed, same data); the service is
// named by Host or path; metrics and the debug trace; 1,000 concurrent requests through the
// sidecar (autocannon) without an error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../dist/host/node/client.js';
import { startProxy, type RunningProxy } from '../dist/host/node/proxy.js';
import type { RibModel } from '../dist/bindings/model.js';

const servers: { id: string; server: Server; address: string }[] = [];
const ids = Array.from({ length: 8 }, (_, i) => `s${i}`);
const rib: RibModel = {
  regions: ['east', 'west'], rtt_us: [[300, 30000], [30000, 300]],
  services: [
    { name: 'web', subset: 5, servers: ids.map((id, i) => ({ id, region: i < 6 ? 'east' : 'west' })) },
    { name: 'kv', hash: { replicas: 2 }, servers: ids.map((id) => ({ id, region: 'east' })) },
  ],
};
const addresses: Record<string, string> = {};
const client = { id: 'same-client', region: 'east', seed: 42 };
const meshes: Mesh[] = [];
const proxies: RunningProxy[] = [];

async function newMesh(): Promise<Mesh> {
  // outstanding loads: the decisions depend on the seed and the data only, not on timing
  const policy = { load: { mode: 'outstanding' as const, staleness_ms: 1000 } };
  const m = await connect({ client, rib, addresses: { web: addresses, kv: addresses }, policies: { web: policy, kv: policy } });
  meshes.push(m);
  return m;
}

beforeAll(async () => {
  for (const id of ids) {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'x-path': req.url ?? '' });
      res.end(id);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    addresses[id] = address;
    servers.push({ id, server, address });
  }
});

afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const m of meshes) await m.close();
  for (const s of servers) await new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); });
});

const get = async (url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> => {
  const r = await request(url, { headers });
  return { status: r.statusCode, body: await r.body.text(), headers: r.headers };
};

describe('routers', () => {
  it('same-decision: library, sidecar, remote proxy and lookaside choose the same servers', async () => {
    const workload = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? { service: 'kv', key: `user:${i}` } : { service: 'web' }));
    const lib = await newMesh();
    const viaLibrary: string[] = [];
    for (const w of workload) viaLibrary.push((await lib.request(w.service, 'key' in w ? { key: w.key } : {})).server);

    for (const kind of ['sidecar', 'remote-proxy', 'lookaside'] as const) {
      const p = await startProxy({ kind, mesh: await newMesh() });
      proxies.push(p);
      const seen: string[] = [];
      for (const w of workload) {
        const key = 'key' in w ? w.key : undefined;
        if (kind === 'lookaside') {
          const r = JSON.parse((await get(`${p.url}/route?service=${w.service}${key ? `&key=${encodeURIComponent(key)}` : ''}`)).body) as { server: string; address: string; valid_ms: number };
          expect(r.address).toBe(addresses[r.server]);
          expect(r.valid_ms).toBeGreaterThan(0);
          seen.push(r.server);
        } else {
          const r = await get(`${p.url}/${w.service}/hello?x=1`, key ? { 'ringroute-key': key } : {});
          expect(r.status).toBe(200);
          expect(r.headers['x-path']).toBe('/hello?x=1');
          seen.push(r.body);
        }
      }
      expect({ kind, seen }).toEqual({ kind, seen: viaLibrary });
    }
  });

  it('host-header names the service; metrics and the debug trace', async () => {
    const p = await startProxy({ kind: 'sidecar', mesh: await newMesh(), debug: true });
    proxies.push(p);
    const r = await get(`${p.url}/x`, { host: 'web.mesh' });
    expect(r.status).toBe(200);
    const trace = JSON.parse(r.headers['ringroute-trace'] as string) as { service: string; tries: { server: string; outcome: string; other?: { server: string } }[] };
    expect(trace.service).toBe('web');
    expect(trace.tries).toEqual([expect.objectContaining({ server: r.body, outcome: 'ok', mode: expect.any(String), load: expect.any(Number) })]);
    // the candidate pick-2 compared it with: another server of the service
    expect(trace.tries[0].other).toMatchObject({ server: expect.any(String), ring: expect.any(Number), load: expect.any(Number) });
    expect(trace.tries[0].other!.server).not.toBe(r.body);
    expect((await get(`${p.url}/nope/x`)).status).toBe(503);
    expect(JSON.parse((await get(`${p.url}/web/x`, { 'ringroute-role': 'boss' })).body).error.code).toBe('BAD_ROLE');
    const metrics = (await get(`${p.url}/metrics`)).body;
    expect(metrics).toMatch(/ringroute_decisions_total\{service="web",ring="-1",outcome="ok",load_mode="[a-z]+",router="sidecar"\} [1-9]/);
    expect(metrics).toMatch(/ringroute_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/ringroute_minirib_generation\{router="sidecar"\} \d+/);
  });

  it('lookaside takes load reports back', async () => {
    const p = await startProxy({ kind: 'lookaside', mesh: await newMesh() });
    proxies.push(p);
    const post = async (body: unknown) => {
      const r = await request(`${p.url}/load`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return { status: r.statusCode, body: await r.body.text() };
    };
    expect((await post({ service: 'web', server: 's1', load: 3.5 })).status).toBe(200);
    expect((await post({ service: 'web', server: 'zz', load: 1 })).status).toBe(404);
    expect((await post({ service: 'web', server: 's1', load: -1 })).status).toBe(400);
  });

  it('1000-concurrent requests through the sidecar, no error', async () => {
    const p = await startProxy({ kind: 'sidecar', mesh: await newMesh() });
    proxies.push(p);
    const result = await autocannon({ url: `${p.url}/web/`, connections: 1000, amount: 5000, timeout: 10 });
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result['2xx']).toBe(5000);
    expect(result.non2xx).toBe(0);
  }, 60_000);
});
