// The RIB's key layout and record types: what each controller writes into the store and what the
// RIB daemon reads back. The routing data of a tenant lives under `rr/<tenant>/`, and only that:
// daemons watch this prefix, so nothing chatty or bulky (load reports, config history) sits there.
//
//   rr/<t>/latency                       LatencyRecord   (latency controller)
//   rr/<t>/svc/<service>/server/<id>     ServerRecord    (registry)
//   rr/<t>/svc/<service>/shards          ShardsRecord    (registry, from a shard manager)
//   rr/<t>/svc/<service>/policy          ServicePolicy   (config controller, control/config.ts)
//   rr/<t>/svc/<service>/spill           SpillRecord     (xRS controller)
//   cfg/<t>/current                      ConfigHead      (config controller)
//   cfg/<t>/v/<version, 10 digits>       ConfigVersion   (config controller: every applied set)
//   xrs/<t>/load/<service>/<region>      LoadReport      (servers or their daemons report demand)
//
// Values are JSON. Server ids, service and region names use control/schema.ts NAME, which has no
// '/', so a key splits unambiguously. A service's whole routing state sits under one prefix, so a
// daemon reads it with one range and recognises its events by prefix.
import type { ServerState, Role } from '../bindings/model.js';
import * as S from './schema.js';

export const ROOT = 'rr/';
export const tenantPrefix = (t: string): string => `rr/${t}/`;
export const latencyKey = (t: string): string => `rr/${t}/latency`;
export const servicePrefix = (t: string, s: string): string => `rr/${t}/svc/${s}/`;
export const servicesPrefix = (t: string): string => `rr/${t}/svc/`;
export const serverKey = (t: string, s: string, id: string): string => `rr/${t}/svc/${s}/server/${id}`;
export const shardsKey = (t: string, s: string): string => `rr/${t}/svc/${s}/shards`;
export const policyKey = (t: string, s: string): string => `rr/${t}/svc/${s}/policy`;
export const spillKey = (t: string, s: string): string => `rr/${t}/svc/${s}/spill`;
export const configHeadKey = (t: string): string => `cfg/${t}/current`;
export const configVersionPrefix = (t: string): string => `cfg/${t}/v/`;
export const configVersionKey = (t: string, v: number): string => `cfg/${t}/v/${String(v).padStart(10, '0')}`;
export const LOAD_ROOT = 'xrs/';
export const loadKey = (t: string, s: string, region: string): string => `xrs/${t}/load/${s}/${region}`;
/** Splits a load report key into tenant, service and region. */
export function parseLoadKey(key: string): { tenant: string; service: string; region: string } | undefined {
  const p = key.split('/');
  return p.length === 5 && p[0] === 'xrs' && p[2] === 'load' ? { tenant: p[1], service: p[3], region: p[4] } : undefined;
}

/** What a key under `rr/<t>/svc/` is, or undefined for a key the daemon doesn't use. */
export type ServiceKey =
  | { service: string; kind: 'server'; id: string }
  | { service: string; kind: 'shards' | 'policy' | 'spill' };

export function parseServiceKey(t: string, key: string): ServiceKey | undefined {
  const p = servicesPrefix(t);
  if (!key.startsWith(p)) return undefined;
  const parts = key.slice(p.length).split('/');
  if (parts.length === 3 && parts[1] === 'server') return { service: parts[0], kind: 'server', id: parts[2] };
  if (parts.length === 2 && (parts[1] === 'shards' || parts[1] === 'policy' || parts[1] === 'spill')) {
    return { service: parts[0], kind: parts[1] };
  }
  return undefined;
}

export const WEIGHT_LIMIT = 65535;
export const tenantName = S.name('a tenant name', 64);
export const serviceName = S.name('a service name');
export const regionName = S.name('a region name', 64);
export const serverId = S.name('a server id', 256);
/**
 * Where clients connect: `host:port` (HTTP/1.1), `https://host:port` (TLS; h2 when the server
 * offers it by ALPN) or `h2c://host:port` (cleartext h2, prior knowledge). host/node/client.ts reads it.
 */
const address = S.string({ min: 3, max: 256, pattern: /^(?:(?:http|https|h2c):\/\/)?[^\s/]+:\d{1,5}$/, what: 'an address [http:// | https:// | h2c://]host:port' });

/** A registered server. `address` is where clients connect; `id` is its identity in routing. */
export interface ServerRecord {
  id: string;
  region: string;
  weight: number;
  state: ServerState;
  address?: string;
  /** Capacity in requests/s for cross-region spill (xRS); default 100 × weight. */
  capacity_rps?: number;
  /** Free-form labels (version, zone...), not used in routing. */
  labels?: Record<string, string>;
}

export const serverBody = S.object({
  region: regionName,
  weight: S.withDefault(S.int({ min: 1, max: WEIGHT_LIMIT }), 1),
  state: S.withDefault(S.literal('up', 'draining', 'down'), 'up'),
  address: S.optional(address),
  capacity_rps: S.optional(S.number({ min: 0, max: 1e9 })),
  labels: S.optional(S.record(S.string({ min: 1, max: 64 }), S.string({ min: 0, max: 256 }), { max: 32 })),
});

export const stateBody = S.object({ state: S.literal('up', 'draining', 'down') });

/** A shard map as the shard manager publishes it: replicas named by server id. */
export interface ShardsRecord {
  /** starts[i]: first key hash (u32) of shard i; starts[0] = 0, strictly increasing. */
  shards: { start: number; replicas: { server: string; role: Role }[] }[];
}

const replica = S.object({ server: serverId, role: S.literal('primary', 'secondary') });
export const shardsBody = S.refine(
  S.object({
    shards: S.array(S.object({ start: S.int({ min: 0, max: 0xffffffff }), replicas: S.array(replica, { max: 64 }) }), { min: 1, max: 4_000_000 }),
  }),
  (v, path) => {
    v.shards.forEach((sh, i) => {
      if (i === 0 && sh.start !== 0) throw new S.SchemaError(`${path}.shards[0].start`, `must be 0, got ${sh.start}`);
      if (i > 0 && sh.start <= v.shards[i - 1].start) {
        throw new S.SchemaError(`${path}.shards[${i}].start`, `must be greater than shards[${i - 1}].start (${v.shards[i - 1].start}), got ${sh.start}`);
      }
      const seen = new Set<string>();
      let primaries = 0;
      sh.replicas.forEach((r, j) => {
        if (seen.has(r.server)) throw new S.SchemaError(`${path}.shards[${i}].replicas[${j}].server`, `"${r.server}" is listed twice in this shard`);
        seen.add(r.server);
        if (r.role === 'primary' && ++primaries > 1) throw new S.SchemaError(`${path}.shards[${i}].replicas[${j}].role`, 'a shard has at most one primary');
      });
    });
  },
);

export const moveBody = S.object({ from: serverId, to: serverId });
export const primaryBody = S.object({ server: serverId });

/** The region × region RTT matrix (µs; null = unknown). */
export interface LatencyRecord {
  regions: string[];
  rtt_us: (number | null)[][];
}

export const latencyBody = S.refine(
  S.object({
    regions: S.array(regionName, { min: 1, max: 1024 }),
    rtt_us: S.optional(S.array(S.array(S.nullable(S.int({ min: 0, max: 0xfffffffe })), { max: 1024 }), { max: 1024 })),
    rtt_ms: S.optional(S.array(S.array(S.nullable(S.number({ min: 0, max: 4_000_000 })), { max: 1024 }), { max: 1024 })),
  }),
  (v, path) => {
    if ((v.rtt_us === undefined) === (v.rtt_ms === undefined)) throw new S.SchemaError(path, 'give exactly one of rtt_us and rtt_ms');
    const m = (v.rtt_us ?? v.rtt_ms)!;
    const field = v.rtt_us ? 'rtt_us' : 'rtt_ms';
    if (new Set(v.regions).size !== v.regions.length) throw new S.SchemaError(`${path}.regions`, 'names a region twice');
    if (m.length !== v.regions.length) throw new S.SchemaError(`${path}.${field}`, `must have ${v.regions.length} rows (one per region), got ${m.length}`);
    m.forEach((row, i) => {
      if (row.length !== v.regions.length) throw new S.SchemaError(`${path}.${field}[${i}]`, `must have ${v.regions.length} columns, got ${row.length}`);
    });
  },
);

export const measurementBody = S.object({
  from: regionName,
  to: regionName,
  rtt_us: S.int({ min: 0, max: 0xfffffffe }),
  /** Weight of this sample in the moving average, default 0.2 (1 = replace). */
  alpha: S.withDefault(S.number({ min: 0.001, max: 1 }), 0.2),
});

/** xRS output for one service: keep fractions per client region, one per ring. */
export interface SpillRecord {
  spill: Record<string, number[]>;
  at: number;
}

/** A region's load report for one service (xRS input). */
export interface LoadReport {
  /** Requests/s that clients in this region sent to the service. */
  demand_rps: number;
  /** Requests/s this region's servers of the service can take; optional (else from the registry). */
  capacity_rps?: number;
  at: number;
}

export const loadBody = S.object({
  service: serviceName,
  region: regionName,
  demand_rps: S.number({ min: 0, max: 1e12 }),
  capacity_rps: S.optional(S.number({ min: 0, max: 1e12 })),
});

export interface ConfigHead {
  version: number;
  hash: string;
  applied_at: number;
  /** Who applied it (the token's name) and why. */
  by: string;
  message?: string;
  /** The version this one replaced (for rollback), 0 if none. */
  previous: number;
  /** Set when this version was made by a rollback. */
  rollback_of?: number;
}
