// The SRLib client on the daemon's push channel, end to end: a control server, a RIB daemon, real
// HTTP servers and `connect({ daemon })`. A drained server gets no new requests while its
// in-flight requests finish; a new miniRIB swaps in without failing a request in flight.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Auth } from '../dist/control/auth.js';
import { ControlClient } from '../dist/control/client.js';
import { startControlServer, type ControlServer } from '../dist/control/server.js';
import { openEmbeddedStore } from '../dist/control/store/embedded.js';
import type { RibStore } from '../dist/control/store/types.js';
import { RibDaemon } from '../dist/host/node/daemon.js';
import { connect } from '../dist/host/node/client.js';

const TOKEN = 'srlib-admin-token-0123456789';
let dir: string;
let store: RibStore;
let control: ControlServer;
let admin: ControlClient;
let daemon: RibDaemon;
const servers: { id: string; server: Server; hits: number; slowMs: number }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringroute-srlib-'));
  store = await openEmbeddedStore(join(dir, 'store'));
  control = await startControlServer({ store, auth: new Auth([{ name: 'a', tenant: '*', role: 'admin', token: TOKEN }]), xrsTickMs: 0 });
  admin = new ControlClient(control.url, TOKEN);
  await admin.setLatency({ regions: ['east'], rtt_ms: [[0.3]] });
  await admin.applyConfig({ services: { web: { service: 'web', mode: 'random', retries: { attempts: 0 } } } });
  for (const id of ['a', 'b', 'c']) {
    const t = { id, server: undefined as unknown as Server, hits: 0, slowMs: 0 };
    t.server = createServer((req, res) => {
      t.hits++;
      req.resume();
      setTimeout(() => res.end(id), t.slowMs);
    });
    await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', () => r()));
    servers.push(t);
    await admin.register('web', id, { region: 'east', address: `127.0.0.1:${(t.server.address() as AddressInfo).port}` });
  }
  daemon = await RibDaemon.start({ store, tenant: 'default', socket: join(dir, 'd.sock'), cacheDir: join(dir, 'cache') });
});

afterAll(async () => {
  await daemon?.close();
  for (const s of servers) await new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); });
  await admin?.close();
  await control?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('drain: no new requests to the drained server, its in-flight requests finish', async () => {
  const mesh = await connect({ client: { id: 'srlib-1', region: 'east' }, daemon: join(dir, 'd.sock'), services: ['web'] });
  try {
    const a = servers[0];
    a.slowMs = 400;
    // requests in flight, some on a
    const inflight = Array.from({ length: 12 }, () => mesh.request('web'));
    await new Promise((r) => setTimeout(r, 50));
    const gen = mesh.meta.generation;
    await admin.drain('web', 'a');
    const t0 = Date.now();
    while (mesh.meta.generation === gen && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    const hitsAtDrain = a.hits;
    for (let i = 0; i < 60; i++) expect((await mesh.request('web')).server).not.toBe('a');
    expect(a.hits).toBe(hitsAtDrain);
    // the requests that were on a when it was drained still finish, with a's answer
    const done = await Promise.all(inflight);
    expect(done.every((r) => r.status === 200)).toBe(true);
    expect(done.some((r) => r.server === 'a' && r.body.toString() === 'a')).toBe(true);
    a.slowMs = 0;
    await admin.setState('web', 'a', 'up');
  } finally {
    await mesh.close();
  }
});

it('swap-under-load: 200 updates while requests flow, none fails', async () => {
  const mesh = await connect({ client: { id: 'srlib-2', region: 'east' }, daemon: join(dir, 'd.sock'), services: ['web'] });
  try {
    let running = true;
    let failed = 0, ok = 0;
    const loops = Array.from({ length: 8 }, async () => {
      while (running) {
        try {
          const r = await mesh.request('web');
          if (r.status === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    });
    const gen0 = mesh.meta.generation;
    for (let i = 0; i < 200; i++) await admin.register('web', 'c', { region: 'east', weight: 1 + (i % 4), address: `127.0.0.1:${(servers[2].server.address() as AddressInfo).port}` });
    await new Promise((r) => setTimeout(r, 100));
    running = false;
    await Promise.all(loops);
    expect(mesh.meta.generation).toBeGreaterThan(gen0);
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(200);
  } finally {
    await mesh.close();
  }
});

it('first-request-to-a-new-service waits for the daemon to carry it', async () => {
  await admin.register('api', 'x1', { region: 'east', address: `127.0.0.1:${(servers[0].server.address() as AddressInfo).port}` });
  const mesh = await connect({ client: { id: 'srlib-3', region: 'east' }, daemon: join(dir, 'd.sock'), services: ['web'] });
  try {
    const r = await mesh.request('api');
    expect(r.status).toBe(200);
    expect(r.server).toBe('x1');
    await expect(mesh.request('nothing-here')).rejects.toThrow(/no server for "nothing-here"/);
  } finally {
    await mesh.close();
  }
});
