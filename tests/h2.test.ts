// The mesh client speaks what each server offers, as its address says (control/rib.ts):
// `host:port` HTTP/1.1, `https://` TLS with h2 when the server offers it by ALPN (HTTP/1.1 when it
// does not), `h2c://` cleartext h2. Real node:http2 / node:https servers on loopback; the test
// certificate is tests/tls/localhost.crt.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, originOf } from '../dist/host/node/client.js';

const key = readFileSync('tests/tls/localhost.key');
const cert = readFileSync('tests/tls/localhost.crt');

// every server answers with the HTTP version the request came in and echoes the body
const handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    (res as ServerResponse).setHeader('x-http', req.httpVersion);
    res.end(`${req.method} ${Buffer.concat(chunks).toString()}`);
  });
};

const servers: Server[] = [];
const listen = async (s: Server): Promise<number> => {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
};
const addresses: Record<string, string> = {};

beforeAll(async () => {
  addresses.plain = `127.0.0.1:${await listen(createHttpServer(handler) as unknown as Server)}`;
  addresses.h2c = `h2c://127.0.0.1:${await listen(createH2cServer(handler) as unknown as Server)}`;
  addresses.tlsH2 = `https://127.0.0.1:${await listen(createSecureServer({ key, cert, allowHTTP1: true }, handler) as unknown as Server)}`;
  addresses.tlsH1 = `https://127.0.0.1:${await listen(createHttpsServer({ key, cert }, handler) as unknown as Server)}`;
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

const meshFor = (ids: string[], extra: Record<string, unknown> = {}) => connect({
  client: { id: 'h2-client', region: 'here', seed: 1 },
  rib: { regions: ['here'], rtt_us: [[100]], services: ids.map((id) => ({ name: id, servers: [{ id, region: 'here' }] })) },
  addresses: Object.fromEntries(ids.map((id) => [id, { [id]: addresses[id] }])),
  policies: Object.fromEntries(ids.map((id) => [id, { load: { mode: 'outstanding' }, retries: { attempts: 0 } }])),
  tls: { ca: cert },
  ...extra,
});

describe('protocols', () => {
  it.each([
    ['plain', '1.1', 'host:port is HTTP/1.1'],
    ['h2c', '2.0', 'h2c:// is cleartext h2'],
    ['tlsH2', '2.0', 'https:// to a server that offers h2 speaks h2'],
    ['tlsH1', '1.1', 'https:// to a server that offers only HTTP/1.1 speaks HTTP/1.1'],
  ])('%s: HTTP/%s (%s)', async (id, version) => {
    const m = await meshFor([id]);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await m.request(id, { method: 'POST', body: `hello ${i}`, headers: { 'content-type': 'text/plain' } });
        expect(r.status).toBe(200);
        expect(r.headers['x-http']).toBe(version);
        expect(r.body.toString()).toBe(`POST hello ${i}`);
      }
      if (version === '2.0') expect(m.stats.newConnections).toBe(1); // h2: one connection, the requests its streams
    } finally {
      await m.close();
    }
  });

  it('allowH2: false keeps a TLS server that offers h2 on HTTP/1.1', async () => {
    const m = await meshFor(['tlsH2'], { allowH2: false });
    try {
      expect((await m.request('tlsH2')).headers['x-http']).toBe('1.1');
    } finally {
      await m.close();
    }
  });

  it('an untrusted certificate is a failed connection, not a response', async () => {
    const m = await meshFor(['tlsH2'], { tls: {} }); // the system CAs do not know the test one
    try {
      await expect(m.request('tlsH2')).rejects.toMatchObject({ name: 'MeshError' });
    } finally {
      await m.close();
    }
  });

  it.each([
    ['10.0.0.1:80', 'http://10.0.0.1:80', false, false],
    ['http://a:1', 'http://a:1', false, false],
    ['https://a:443', 'https://a:443', true, false],
    ['h2c://a:8080', 'http://a:8080', false, true],
  ])('originOf(%s)', (address, origin, tls, h2c) => {
    expect(originOf(address)).toEqual({ origin, tls, h2c });
  });
});
