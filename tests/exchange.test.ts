// One exchange through undici's dispatch() (host/node/exchange.ts): the response as request()
// would give it, and each way an exchange ends without one, against real loopback servers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlineWheel, ExchangeError, exchange } from '../dist/host/node/exchange.js';

let server: Server;
let origin = '';
const pools: Pool[] = [];
const pool = (connections = 4): Pool => {
  const p = new Pool(origin, { connections });
  pools.push(p);
  return p;
};
const wheel = new DeadlineWheel(5);
const MB = 1 << 20;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const delay = Number(url.searchParams.get('delay') ?? 0);
      setTimeout(() => {
        if (url.pathname === '/echo') {
          res.writeHead(201, { 'x-method': req.method ?? '', 'set-cookie': ['a=1', 'b=2'] });
          res.end(Buffer.concat(chunks));
        } else if (url.pathname === '/chunks') {
          // several writes: several data chunks on the client side
          res.writeHead(200, { 'content-type': 'text/plain' });
          const n = Number(url.searchParams.get('n') ?? 4);
          let i = 0;
          const next = (): void => {
            if (i === n) { res.end(); return; }
            res.write(`part${i++};`);
            setTimeout(next, 2);
          };
          next();
        } else if (url.pathname === '/hints') {
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
          res.writeHead(200, { 'x-final': 'yes' });
          res.end('final');
        } else if (url.pathname === '/big') {
          res.writeHead(200);
          res.end(Buffer.alloc(Number(url.searchParams.get('bytes')), 7));
        } else {
          res.writeHead(503);
          res.end('down');
        }
      }, delay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const failure = async (p: Promise<unknown>): Promise<ExchangeError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  return err as ExchangeError;
};

describe('exchange', () => {
  it('response: status, headers (lower-case, repeated ones as arrays) and the request body echoed', async () => {
    const r = await exchange(pool(), { path: '/echo', method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 1000, wheel, MB);
    expect(r.status).toBe(201);
    expect(r.headers['x-method']).toBe('POST');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.body.toString()).toBe('hello');
  });

  it('chunked-body is joined in order', async () => {
    const r = await exchange(pool(), { path: '/chunks?n=5', method: 'GET' }, 1000, wheel, MB);
    expect(r.body.toString()).toBe('part0;part1;part2;part3;part4;');
  });

  it('early-hints: a 103 before the answer is skipped, the final response is the one kept', async () => {
    const r = await exchange(pool(), { path: '/hints', method: 'GET' }, 1000, wheel, MB);
    expect(r.status).toBe(200);
    expect(r.headers['x-final']).toBe('yes');
    expect(r.headers.link).toBeUndefined();
    expect(r.body.toString()).toBe('final');
  });

  it('5xx is a response, not a failure', async () => {
    const r = await exchange(pool(), { path: '/down', method: 'GET' }, 1000, wheel, MB);
    expect(r.status).toBe(503);
    expect(r.body.toString()).toBe('down');
  });

  it('too-large: a body past the limit ends the exchange', async () => {
    const e = await failure(exchange(pool(), { path: '/big?bytes=200000', method: 'GET' }, 1000, wheel, 100_000));
    expect(e.kind).toBe('too_large');
    // the limit itself is allowed
    const r = await exchange(pool(), { path: '/big?bytes=100000', method: 'GET' }, 1000, wheel, 100_000);
    expect(r.body.length).toBe(100_000);
  });

  it('timeout: no answer within the deadline (late by less than one step)', async () => {
    const t0 = performance.now();
    const e = await failure(exchange(pool(), { path: '/echo?delay=500', method: 'GET' }, 50, wheel, MB));
    const ms = performance.now() - t0;
    expect(e.kind).toBe('timeout');
    expect(ms).toBeGreaterThanOrEqual(49);
    expect(ms).toBeLessThan(300);
  });

  it('timeout-while-queued settles at its deadline, not when the pool gets to it', async () => {
    const p = pool(1);
    const slow = exchange(p, { path: '/echo?delay=400', method: 'GET' }, 2000, wheel, MB);
    const t0 = performance.now();
    const e = await failure(exchange(p, { path: '/echo', method: 'GET' }, 50, wheel, MB));
    expect(e.kind).toBe('timeout');
    expect(performance.now() - t0).toBeLessThan(300);
    expect((await slow).status).toBe(201);
    // the pool still works afterwards
    expect((await exchange(p, { path: '/echo', method: 'GET' }, 1000, wheel, MB)).status).toBe(201);
  });

  it('abort by the caller, before and during the exchange', async () => {
    const before = new AbortController();
    before.abort();
    expect((await failure(exchange(pool(), { path: '/echo', method: 'GET', signal: before.signal }, 1000, wheel, MB))).kind).toBe('aborted');
    const during = new AbortController();
    const p = exchange(pool(), { path: '/echo?delay=300', method: 'GET', signal: during.signal }, 1000, wheel, MB);
    setTimeout(() => during.abort(), 20);
    expect((await failure(p)).kind).toBe('aborted');
  });

  it('refused: undici\'s error code is kept', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const p = new Pool(`http://127.0.0.1:${port}`);
    pools.push(p);
    const e = await failure(exchange(p, { path: '/', method: 'GET' }, 1000, wheel, MB));
    expect(e.kind).toBe('failed');
    expect(e.code).toBe('ECONNREFUSED');
  });
});
