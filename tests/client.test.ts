// The SRLib client end to end over loopback with real HTTP servers: routing, retries on another
// server, the idempotency rule, the retry budget, outlier ejection and its cap, recovery.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../dist/host/node/client.js';
import type { RibModel } from '../dist/bindings/model.js';

interface TestServer { id: string; server: Server; address: string; hits: number; fail: boolean; delayMs: number }
const servers: TestServer[] = [];

async function start(id: string): Promise<TestServer> {
  const t: TestServer = { id, server: undefined as unknown as Server, address: '', hits: 0, fail: false, delayMs: 0 };
  t.server = createServer((req, res) => {
    t.hits++;
    req.resume();
    setTimeout(() => {
      res.writeHead(t.fail ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(id);
    }, t.delayMs);
  });
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', () => r()));
  t.address = `127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  servers.push(t);
  return t;
}

const rib = (ids: string[]): RibModel => ({
  regions: ['east'], rtt_us: [[300]],
  services: [{ name: 'web', servers: ids.map((id) => ({ id, region: 'east' })) }],
});

let a: TestServer, b: TestServer, c: TestServer;
beforeAll(async () => {
  a = await start('a');
  b = await start('b');
  c = await start('c');
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); });
});
const reset = (): void => { for (const s of servers) { s.hits = 0; s.fail = false; s.delayMs = 0; } };

async function mesh(ids: string[], policy: Record<string, unknown> = {}, extra: Record<string, string> = {}): Promise<Mesh> {
  const addresses: Record<string, string> = { ...extra };
  for (const s of servers) if (ids.includes(s.id)) addresses[s.id] = s.address;
  // outstanding loads: these servers count every hit, and a poll would be one
  return connect({ client: { id: 'test-client', region: 'east', seed: 3 }, rib: rib(ids), addresses: { web: addresses }, policies: { web: { load: { mode: 'outstanding' }, ...policy } } });
}

describe('client', () => {
  it('routes-and-reuses-connections', async () => {
    reset();
    const m = await mesh(['a', 'b', 'c']);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const r = await m.request('web');
        expect(r.status).toBe(200);
        expect(r.body.toString()).toBe(r.server);
        seen.add(r.server);
      }
      expect(seen.size).toBe(3);
      // 60 requests, at most 2 connections per server (undici may open a second while the first
      // finishes a response), not one per request
      expect(m.stats.newConnections).toBeLessThanOrEqual(6);
    } finally {
      await m.close();
    }
  });

  it('retry-lands-on-another-server, never the same twice', async () => {
    reset();
    a.fail = true;
    b.fail = true;
    const m = await mesh(['a', 'b', 'c'], { retries: { attempts: 2, budget_ratio: 1, budget_min_per_s: 100, on: ['connect_failure', '5xx'], idempotent_only: true }, outlier: { consecutive_5xx: 0 } });
    try {
      for (let i = 0; i < 20; i++) {
        const r = await m.request('web');
        expect(r.status).toBe(200);
        expect(r.server).toBe('c');
      }
      expect(a.hits + b.hits + c.hits).toBeLessThanOrEqual(60);
      expect(c.hits).toBe(20);
    } finally {
      await m.close();
    }
  });

  it('connect-failure is retried elsewhere, even for a POST', async () => {
    reset();
    const m = await mesh(['a', 'dead'], { retries: { attempts: 1, budget_ratio: 1, budget_min_per_s: 100, on: ['connect_failure'], idempotent_only: true }, outlier: { consecutive_5xx: 0 } }, { dead: '127.0.0.1:1' });
    try {
      for (let i = 0; i < 10; i++) {
        const r = await m.request('web', { method: 'POST', body: 'x' });
        expect(r.server).toBe('a');
      }
    } finally {
      await m.close();
    }
  });

  it('non-idempotent POST is not retried on a 5xx', async () => {
    reset();
    a.fail = true;
    b.fail = true;
    c.fail = true;
    const m = await mesh(['a', 'b', 'c'], { retries: { attempts: 2, budget_ratio: 1, budget_min_per_s: 100, on: ['5xx'], idempotent_only: true }, outlier: { consecutive_5xx: 0 } });
    try {
      const r = await m.request('web', { method: 'POST', body: 'x' });
      expect(r.status).toBe(503);
      expect(r.attempts).toBe(1);
      expect(a.hits + b.hits + c.hits).toBe(1);
    } finally {
      await m.close();
    }
  });

  it('retry-budget bounds retries during an outage', async () => {
    reset();
    a.fail = true;
    b.fail = true;
    c.fail = true;
    const m = await mesh(['a', 'b', 'c'], { retries: { attempts: 2, budget_ratio: 0.1, budget_min_per_s: 0, on: ['5xx'], idempotent_only: true }, outlier: { consecutive_5xx: 0 } });
    try {
      for (let i = 0; i < 100; i++) expect((await m.request('web')).status).toBe(503);
      // 100 requests: at most 10% of them retried, not 200 retries
      expect(a.hits + b.hits + c.hits).toBeLessThanOrEqual(112);
      expect(m.stats.retriesDenied).toBeGreaterThan(80);
    } finally {
      await m.close();
    }
  });

  it('ejection-and-recovery, and the cap on the ejected fraction', async () => {
    reset();
    a.fail = true;
    const m = await mesh(['a', 'b', 'c'], { retries: { attempts: 0 }, outlier: { consecutive_5xx: 3, ejection_ms: 400, max_ejected_percent: 34 } });
    try {
      for (let i = 0; i < 40; i++) await m.request('web');
      expect(m.ejections()).toEqual({ web: ['a'] });
      const hits = a.hits;
      for (let i = 0; i < 40; i++) expect((await m.request('web')).server).not.toBe('a');
      expect(a.hits).toBe(hits);
      // b fails too: ejecting it would pass the 34% cap, so it is kept (panic), and counted
      b.fail = true;
      for (let i = 0; i < 30; i++) await m.request('web');
      expect(m.ejections()).toEqual({ web: ['a'] });
      expect(m.stats.panics).toBeGreaterThan(0);
      // a recovers; once its ejection ends it gets traffic again
      a.fail = false;
      b.fail = false;
      await new Promise((r) => setTimeout(r, 900));
      expect(m.ejections()).toEqual({});
      const before = a.hits;
      for (let i = 0; i < 30; i++) await m.request('web');
      expect(a.hits).toBeGreaterThan(before);
    } finally {
      await m.close();
    }
  });

  it('timeout is retried on another server for an idempotent request', async () => {
    reset();
    a.delayMs = 500;
    b.delayMs = 500;
    const m = await mesh(['a', 'b', 'c'], { timeout_ms: 100, retries: { attempts: 2, budget_ratio: 1, budget_min_per_s: 100, on: ['timeout'], idempotent_only: true }, outlier: { consecutive_5xx: 0 } });
    try {
      for (let i = 0; i < 5; i++) expect((await m.request('web')).server).toBe('c');
    } finally {
      await m.close();
    }
  });

  it('abort by the caller ends the request and its outstanding count', async () => {
    reset();
    a.delayMs = b.delayMs = c.delayMs = 300;
    const m = await mesh(['a', 'b', 'c'], { retries: { attempts: 2 } });
    try {
      const ctl = new AbortController();
      const p = m.request('web', { signal: ctl.signal });
      setTimeout(() => ctl.abort(), 30);
      await expect(p).rejects.toThrow(/aborted by the caller/);
      const svc = m.router.serviceIndex('web');
      for (let i = 0; i < 3; i++) expect(m.router.getLoad('web', i)).toBe(0);
      expect(svc).toBe(0);
    } finally {
      await m.close();
    }
  });
});

describe('load estimation (spec/load.md)', () => {
  it('piggyback-and-poll: reports are read from every response, stale candidates are polled, a malformed header is counted', async () => {
    const { withLoadReporting } = await import('../dist/host/node/server.js');
    const made: Server[] = [];
    const addrs: Record<string, string> = {};
    for (const id of ['p', 'q', 'bad']) {
      const handler = (_req: unknown, res: import('node:http').ServerResponse) => {
        if (id === 'bad') res.setHeader('endpoint-load-metrics', 'TEXT cpu_utilization=lots');
        res.end(id);
      };
      const srv = createServer(id === 'bad' ? handler : withLoadReporting(handler));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      addrs[id] = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
      made.push(srv);
    }
    const model = (ids: string[]): RibModel => ({ regions: ['east'], rtt_us: [[300]], services: [{ name: 'svc', servers: ids.map((id) => ({ id, region: 'east' })) }] });
    try {
      const piggy = await connect({ client: { id: 'pg', region: 'east' }, rib: model(['p', 'q']), addresses: { svc: addrs }, policies: { svc: { load: { mode: 'piggyback', staleness_ms: 1000 } } } });
      for (let i = 0; i < 50; i++) expect((await piggy.request('svc')).status).toBe(200);
      expect(piggy.loadCounts().piggyback).toBeGreaterThan(0);
      expect(piggy.stats.badLoadReports).toBe(0);
      expect(piggy.stats.polls).toBe(0);
      await piggy.close();

      const poller = await connect({ client: { id: 'po', region: 'east' }, rib: model(['p', 'q']), addresses: { svc: addrs }, policies: { svc: { load: { mode: 'poll', staleness_ms: 50 } } } });
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 80)); // idle past the staleness bound: the next decision polls
        expect((await poller.request('svc')).status).toBe(200);
      }
      expect(poller.stats.polls).toBeGreaterThan(0);
      expect(poller.loadCounts().poll).toBeGreaterThan(0);
      await poller.close();

      // concurrent decisions on one stale server share one poll
      const single = await connect({ client: { id: 'po1', region: 'east' }, rib: model(['p']), addresses: { svc: addrs }, policies: { svc: { load: { mode: 'poll', staleness_ms: 50 } } } });
      await new Promise((r) => setTimeout(r, 80));
      await Promise.all(Array.from({ length: 8 }, () => single.request('svc')));
      expect(single.stats.polls).toBe(1);
      await single.close();

      const bad = await connect({ client: { id: 'bd', region: 'east' }, rib: model(['bad']), addresses: { svc: addrs }, policies: { svc: { load: { mode: 'piggyback', staleness_ms: 1000 } } } });
      for (let i = 0; i < 5; i++) expect((await bad.request('svc')).body.toString()).toBe('bad');
      expect(bad.stats.badLoadReports).toBe(5);
      await bad.close();
    } finally {
      for (const srv of made) await new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); });
    }
  });

  it('poll-both-candidates: both stale candidates are polled, and pick-2 compares what they said', async () => {
    // two servers whose reported utilization the test sets; pick-2 over two always compares both
    const util: Record<string, number> = { x: 0.05, y: 0.9 };
    const polled: Record<string, number> = { x: 0, y: 0 };
    const made: Server[] = [];
    const addrs: Record<string, string> = {};
    for (const id of ['x', 'y']) {
      const srv = createServer((req, res) => {
        if (req.url === '/.well-known/ringroute/load') polled[id]++;
        res.setHeader('endpoint-load-metrics', `TEXT cpu_utilization=${util[id]}`);
        res.end(id);
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      addrs[id] = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
      made.push(srv);
    }
    const m = await connect({
      client: { id: 'both', region: 'east', seed: 5 }, addresses: { svc: addrs },
      rib: { regions: ['east'], rtt_us: [[300]], services: [{ name: 'svc', servers: [{ id: 'x', region: 'east' }, { id: 'y', region: 'east' }] }] },
      policies: { svc: { load: { mode: 'poll', staleness_ms: 50 } } },
    });
    try {
      for (let i = 0; i < 6; i++) await m.request('svc'); // fresh reports: x light, y heavy
      expect((await m.request('svc')).server).toBe('x');
      // the loads swap; the client's reports go stale, and still say x is the lighter
      util.x = 0.9;
      util.y = 0.05;
      await new Promise((r) => setTimeout(r, 90));
      polled.x = polled.y = 0;
      const r = await m.request('svc');
      expect(polled).toEqual({ x: 1, y: 1 }); // both candidates, one poll each
      expect(r.server).toBe('y');
      expect(r.trace.tries[0]).toMatchObject({ server: 'y', mode: 'poll', other: { server: 'x' } });
      expect(r.trace.tries[0].other!.load).toBeGreaterThan(r.trace.tries[0].load);
    } finally {
      await m.close();
      for (const srv of made) await new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); });
    }
  });
});
