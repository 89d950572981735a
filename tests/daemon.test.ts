// The RIB daemon end to end: a control server on an embedded store, a daemon following it over
// HTTP, and library instances on the daemon's socket. Registry writes reach the client's
// decisions; drains stop new decisions; services are read lazily; a restart with the RIB down
// serves the cached data and catches up when the RIB is back; bad hellos get specific errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth } from '../dist/control/auth.js';
import { ControlClient } from '../dist/control/client.js';
import { startControlServer, type ControlServer } from '../dist/control/server.js';
import { openEmbeddedStore } from '../dist/control/store/embedded.js';
import { openRemoteStore } from '../dist/control/store/remote.js';
import type { RibStore } from '../dist/control/store/types.js';
import { RibDaemon } from '../dist/host/node/daemon.js';
import { connectDaemon, type DaemonRouter } from '../dist/host/node/daemon-client.js';
import { FRAME_ERROR, FRAME_HELLO, FRAME_RIB, FrameReader, jsonFrame, parseRib, type RibMeta } from '../dist/host/node/frames.js';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const auth = new Auth([
  { name: 'admin', tenant: 'default', role: 'admin', token: ADMIN },
  { name: 'daemon', tenant: 'default', role: 'read', token: READ },
]);

let dir: string;
let store: RibStore;
let control: ControlServer;
let port: number;
let admin: ControlClient;

async function startControl(): Promise<void> {
  store = await openEmbeddedStore(join(dir, 'store'));
  control = await startControlServer({ store, auth, port, xrsTickMs: 0 });
  port = Number(new URL(control.url).port);
  admin = new ControlClient(control.url, ADMIN);
}

async function stopControl(): Promise<void> {
  await admin.close();
  await control.close();
  await store.close();
}

function startDaemon(name: string): Promise<{ daemon: RibDaemon; close(): Promise<void>; socket: string }> {
  const remote = openRemoteStore({ url: control.url, token: READ, tenant: 'default', retryMs: 20 });
  const reporter = new ControlClient(control.url, READ);
  const socket = join(dir, `${name}.sock`);
  return RibDaemon.start({
    store: remote, tenant: 'default', socket, cacheDir: join(dir, `${name}-cache`), reportMs: 200,
    report: (r) => reporter.reportDaemon(name, r).then(() => undefined),
    log: process.env.DEBUG_DAEMON ? console.log : undefined,
  }).then((daemon) => ({
    daemon, socket,
    async close() {
      await daemon.close();
      await remote.close();
      await reporter.close();
    },
  }));
}

const until = async (pred: () => boolean, ms = 5000): Promise<number> => {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - t0;
};

const servers = (m: DaemonRouter, service: string): string[] => Object.keys(m.meta.services[service]?.addresses ?? {}).sort();
const chosen = (m: DaemonRouter, service: string, n = 400): Set<string> => {
  const out = new Set<string>();
  for (let i = 0; i < n; i++) {
    const d = m.router.tryRoute({ service });
    if (!(d instanceof Error)) out.add(d.server);
  }
  return out;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringroute-daemon-'));
  port = 0;
  await startControl();
  await admin.setLatency({ regions: ['east', 'west'], rtt_ms: [[0.3, 30], [30, 0.3]] });
  await admin.applyConfig({ services: { web: { service: 'web', mode: 'random' }, api: { service: 'api', mode: 'random' } } });
  for (const id of ['e1', 'e2']) await admin.register('web', id, { region: 'east', address: `127.0.0.1:1${id.charCodeAt(1)}` });
  await admin.register('web', 'w1', { region: 'west', address: '127.0.0.1:200' });
  await admin.register('api', 'a1', { region: 'east', address: '127.0.0.1:300' });
});

afterAll(async () => {
  await stopControl().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('daemon', () => {
  it('registry-write-reaches-client, drain stops new decisions, lazily', async () => {
    const d = await startDaemon('d1');
    const m = await connectDaemon({ socket: d.socket, client: { id: 'c1', region: 'east' }, services: ['web'] });
    try {
      expect(servers(m, 'web')).toEqual(['e1', 'e2', 'w1']);
      expect([...chosen(m, 'web')].sort()).toEqual(['e1', 'e2']); // ring 0: east only
      // lazily: the daemon carries only what a client asked for
      expect([...d.daemon.view.services.keys()]).toEqual(['web']);

      const t0 = performance.now();
      await admin.register('web', 'e3', { region: 'east', address: '127.0.0.1:400' });
      await until(() => servers(m, 'web').includes('e3'));
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(2000);

      const gen = m.meta.generation;
      const r = await admin.drain('web', 'e1', 3000);
      expect(r.daemons?.reached).toContain('d1'); // the drain call waited for the daemon
      await until(() => m.meta.generation > gen);
      expect(chosen(m, 'web').has('e1')).toBe(false);

      m.subscribe(['api']);
      await until(() => servers(m, 'api').length === 1);
      expect([...d.daemon.view.services.keys()].sort()).toEqual(['api', 'web']);
      expect(m.router.route({ service: 'api' }).server).toBe('a1');
    } finally {
      m.close();
      await d.close();
    }
  });

  it('restart-with-rib-down serves the cache, then catches up', async () => {
    const d = await startDaemon('d2');
    const m1 = await connectDaemon({ socket: d.socket, client: { id: 'c2', region: 'east' }, services: ['web'] });
    const before = servers(m1, 'web');
    const gen1 = m1.meta.generation;
    m1.close();
    await d.close();

    await stopControl(); // the RIB is gone
    const d2 = await startDaemon('d2');
    const m2 = await connectDaemon({ socket: d2.socket, client: { id: 'c2', region: 'east' }, services: ['web'] });
    try {
      expect(servers(m2, 'web')).toEqual(before);
      expect(m2.meta.generation).toBeGreaterThan(gen1);
      expect(d2.daemon.status().revision).toBeGreaterThan(0); // from the cache

      await startControl(); // back on the same port, same store
      await admin.register('web', 'e4', { region: 'east', address: '127.0.0.1:500' });
      await until(() => servers(m2, 'web').includes('e4'), 10_000);
    } finally {
      m2.close();
      await d2.close();
    }
  });

  it('a second library instance gets the current generation at once', async () => {
    const d = await startDaemon('d3');
    try {
      const a = await connectDaemon({ socket: d.socket, client: { id: 'ca', region: 'east' }, services: ['web'] });
      const b = await connectDaemon({ socket: d.socket, client: { id: 'cb', region: 'west' }, services: ['web'] });
      expect(servers(a, 'web')).toEqual(servers(b, 'web'));
      expect([...chosen(b, 'web')]).toEqual(['w1']);
      a.close();
      b.close();
    } finally {
      await d.close();
    }
  });

  const bad: { name: string; hello: unknown; message: RegExp }[] = [
    { name: 'hello-no-client', hello: { services: ['web'] }, message: /hello\.client: is required/ },
    { name: 'hello-bad-service', hello: { client: { id: 'x', region: 'east' }, services: ['a/b'] }, message: /hello\.services\[0\]/ },
    { name: 'hello-unknown-region', hello: { client: { id: 'x', region: 'mars' }, services: ['web'] }, message: /client region "mars" is not in the latency matrix/ },
  ];
  it.each(bad)('$name gets a specific error frame', async ({ hello, message }) => {
    const d = await startDaemon('d4');
    try {
      const s = createConnection(d.socket);
      const reader = new FrameReader();
      const err = await new Promise<string>((resolve, reject) => {
        s.on('data', (c: Buffer) => reader.push(c, (type, p) => {
          if (type === FRAME_ERROR) resolve((JSON.parse(p.toString()) as { message: string }).message);
          else reject(new Error(`frame type ${type}`));
        }));
        s.on('connect', () => s.write(jsonFrame(FRAME_HELLO, hello)));
      });
      s.destroy();
      expect(err).toMatch(message);
      expect(d.daemon.status().clients).toBeLessThanOrEqual(1);
    } finally {
      await d.close();
    }
  });

  it('partial-meta: after the first miniRIB, a push lists only the services that changed', async () => {
    const d = await startDaemon('d6');
    try {
      const s = createConnection(d.socket);
      const reader = new FrameReader();
      const frames: RibMeta[] = [];
      s.on('data', (c: Buffer) => reader.push(c, (type, p) => { if (type === FRAME_RIB) frames.push(parseRib(p).meta); }));
      s.on('connect', () => s.write(jsonFrame(FRAME_HELLO, { client: { id: 'raw', region: 'east' }, services: ['web', 'api'] })));
      await until(() => frames.length === 1);
      expect(frames[0].full).toBe(true);
      expect(Object.keys(frames[0].services).sort()).toEqual(['api', 'web']);
      await admin.register('api', 'a2', { region: 'west', address: '127.0.0.1:301' });
      await until(() => frames.length === 2);
      expect(frames[1].full).toBe(false);
      expect(Object.keys(frames[1].services)).toEqual(['api']);
      s.destroy();
    } finally {
      await d.close();
    }
  });

  it('bad-record-in-store: the client keeps its last good miniRIB and hears why', async () => {
    const d = await startDaemon('d7');
    const errors: string[] = [];
    const m = await connectDaemon({ socket: d.socket, client: { id: 'c7', region: 'east' }, services: ['web'], onError: (e) => errors.push(`${e.code}: ${e.message}`) });
    try {
      const gen = m.meta.generation;
      const before = servers(m, 'web');
      // a record no controller would write (weight 0), put straight into the store
      await store.put('rr/default/svc/web/server/bad', JSON.stringify({ id: 'bad', region: 'east', weight: 0, state: 'up', address: '127.0.0.1:9' }));
      await until(() => errors.length > 0);
      expect(errors[0]).toMatch(/^MODEL: miniRIB not built, keeping the last good one: .*weight/);
      expect(m.meta.generation).toBe(gen);
      expect(servers(m, 'web')).toEqual(before);
      await store.delete('rr/default/svc/web/server/bad');
      await until(() => m.meta.generation > gen);
      expect(servers(m, 'web')).toEqual(before);
    } finally {
      m.close();
      await d.close();
    }
  });

  it('a stale socket file is replaced; a live one is refused', async () => {
    const d = await startDaemon('d5');
    await expect(startDaemon('d5')).rejects.toThrow(/another daemon is listening/);
    await d.close();
  });

  it('slow-reporting: one report at a time, in order, the last one naming the newest revision', async () => {
    const remote = openRemoteStore({ url: control.url, token: READ, tenant: 'default', retryMs: 20 });
    const seen: number[] = [];
    let inFlight = 0, maxInFlight = 0;
    const daemon = await RibDaemon.start({
      store: remote, tenant: 'default', socket: join(dir, 'd5.sock'), cacheDir: join(dir, 'd5-cache'), reportMs: 10_000,
      // a control server that takes 40 ms to take each report
      report: async (r) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((res) => setTimeout(res, 40));
        seen.push(r.revision);
        inFlight--;
      },
    });
    const m = await connectDaemon({ socket: join(dir, 'd5.sock'), client: { id: 'c5', region: 'east' }, services: ['web'] });
    try {
      for (let i = 0; i < 8; i++) await admin.register('web', `r${i}`, { region: 'east', address: `127.0.0.1:${500 + i}` });
      await until(() => servers(m, 'web').includes('r7'));
      const newest = daemon.status().revision;
      await until(() => seen.at(-1) === newest && inFlight === 0);
      expect(maxInFlight).toBe(1);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
      // flushes during a report fold into one: fewer reports than the 8 writes' flushes
      expect(seen.length).toBeLessThan(9);
    } finally {
      m.close();
      await daemon.close();
      await remote.close();
      for (let i = 0; i < 8; i++) await admin.deregister('web', `r${i}`);
    }
  });
});
