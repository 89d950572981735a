// A typed HTTP client of the control server's API (control/server.ts), over undici: what the CLI
// (`ringroute registry|latency|config ...`), the local mesh, servers registering themselves and
// the tests use. A refusal becomes a ControlError with the server's code and message.
// Cost: one HTTP request per call, on a keep-alive pool.
import { Agent, request } from 'undici';
import type { ConfigChange, ConfigSet } from './config.js';
import type { ConfigVersion } from './config-store.js';
import type { ConfigHead, LatencyRecord, ServerRecord, ShardsRecord } from './rib.js';

export class ControlError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

/** A config set as files (YAML/JSON texts) or as policies (validated and completed by the server). */
export type ConfigBody = { files: { name: string; text: string }[] } | { services: Record<string, Partial<ConfigSet['services'][string]>> };

export interface ApplyResponse { version: number; revision: number; changes: ConfigChange[]; unchanged: boolean; text: string }

export class ControlClient {
  private dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  private base: string;

  constructor(readonly url: string, readonly token: string, readonly tenant = 'default') {
    this.base = `${url.replace(/\/$/, '')}/v1/tenants/${encodeURIComponent(tenant)}`;
  }

  async call<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await request(`${this.base}${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ControlError(0, 'UNAVAILABLE', `control server ${this.url}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ControlError(res.statusCode, 'BAD_RESPONSE', `control server answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (res.statusCode >= 400) {
      const e = (json as { error?: { code: string; message: string } }).error;
      throw new ControlError(res.statusCode, e?.code ?? 'ERROR', e?.message ?? text);
    }
    return json as T;
  }

  // registry
  register(service: string, id: string, body: Partial<Omit<ServerRecord, 'id'>> & { region: string }) {
    return this.call<{ revision: number; server: ServerRecord }>('PUT', `/services/${enc(service)}/servers/${enc(id)}`, body);
  }
  drain(service: string, id: string, waitMs = 0) {
    return this.call<{ revision: number; server: ServerRecord; daemons?: { reached: string[]; pending: string[] } }>('POST', `/services/${enc(service)}/servers/${enc(id)}/drain${waitMs ? `?wait_ms=${waitMs}` : ''}`);
  }
  setState(service: string, id: string, state: ServerRecord['state']) {
    return this.call<{ revision: number; server: ServerRecord }>('POST', `/services/${enc(service)}/servers/${enc(id)}/state`, { state });
  }
  deregister(service: string, id: string) {
    return this.call<{ revision: number }>('DELETE', `/services/${enc(service)}/servers/${enc(id)}`);
  }
  services() {
    return this.call<{ services: { name: string; servers: number; up: number; shards: boolean; policy: boolean }[]; revision: number }>('GET', '/services');
  }
  service(name: string) {
    return this.call<{ name: string; servers: ServerRecord[]; shards?: ShardsRecord; policy?: unknown; spill?: unknown; revision: number }>('GET', `/services/${enc(name)}`);
  }
  setShards(service: string, map: ShardsRecord) {
    return this.call<{ revision: number }>('PUT', `/services/${enc(service)}/shards`, map);
  }
  moveReplica(service: string, shard: number, from: string, to: string) {
    return this.call<{ revision: number }>('POST', `/services/${enc(service)}/shards/${shard}/move`, { from, to });
  }
  setPrimary(service: string, shard: number, server: string) {
    return this.call<{ revision: number }>('POST', `/services/${enc(service)}/shards/${shard}/primary`, { server });
  }

  // latency
  setLatency(body: { regions: string[]; rtt_us?: (number | null)[][]; rtt_ms?: (number | null)[][] }) {
    return this.call<{ revision: number }>('PUT', '/latency', body);
  }
  latency() {
    return this.call<LatencyRecord>('GET', '/latency');
  }
  measure(from: string, to: string, rtt_us: number, alpha?: number) {
    return this.call<{ revision: number; rtt_us: number }>('POST', '/latency/measurements', { from, to, rtt_us, ...(alpha !== undefined ? { alpha } : {}) });
  }

  // config
  applyConfig(body: ConfigBody, opts: { message?: string; expect_version?: number } = {}) {
    return this.call<ApplyResponse>('POST', '/config', { ...body, ...opts });
  }
  diffConfig(body: ConfigBody) {
    return this.call<{ version: number; changes: ConfigChange[]; text: string }>('POST', '/config/diff', body);
  }
  rollback(to?: number, message?: string) {
    return this.call<ApplyResponse & { to: number }>('POST', '/config/rollback', { ...(to !== undefined ? { to } : {}), ...(message ? { message } : {}) });
  }
  config() {
    return this.call<ConfigVersion>('GET', '/config');
  }
  versions() {
    return this.call<{ versions: ConfigHead[] }>('GET', '/config/versions');
  }

  // xRS
  reportLoad(service: string, region: string, demand_rps: number, capacity_rps?: number) {
    return this.call<{ revision: number }>('POST', '/xrs/load', { service, region, demand_rps, ...(capacity_rps !== undefined ? { capacity_rps } : {}) });
  }
  xrs(service: string) {
    return this.call<{ service: string; spill: { spill: Record<string, number[]> } | null; diagnostic: unknown }>('GET', `/xrs/${enc(service)}`);
  }

  // daemons
  reportDaemon(name: string, r: { revision: number; clients: number; services: number }) {
    return this.call<{ ok: true }>('POST', `/daemons/${enc(name)}`, r);
  }
  daemons() {
    return this.call<{ daemons: { name: string; revision: number; live: boolean }[] }>('GET', '/daemons');
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

const enc = encodeURIComponent;
