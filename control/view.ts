// A daemon's view of one tenant's RIB: the latency matrix and the services its clients asked for,
// kept current from store events, and the routing model of each service (bindings/model.ts) built
// from it on demand and cached until the service changes. The daemon encodes each client's
// miniRIB from these cached per-service models, so a change to one service costs a rebuild of
// that service's model (O(its servers + shards)) plus a re-encode of the clients that carry it.
// Each entity remembers the revision it was loaded at: events at or below it are already in, so
// a range read and a watch can overlap without applying anything twice.
// Used by host/node/daemon.ts (and its tests).
import { DEFAULT_RINGS_US, type ServiceModel, validateModel } from '../bindings/model.js';
import { policyToModel, type ServicePolicy } from './config.js';
import * as K from './rib.js';
import { ringOfRtt } from './xrs.js';
import type { LatencyRecord, ServerRecord, ShardsRecord, SpillRecord } from './rib.js';
import type { KeyValue, WatchEvent } from './store/types.js';

export interface ServiceState {
  name: string;
  servers: Map<string, ServerRecord>;
  shards?: ShardsRecord;
  policy?: ServicePolicy;
  spill?: SpillRecord;
  /** Store revision the service was read at; events ≤ this are already applied. */
  loadedAt: number;
  /** Bumped on every change; the cached model is valid for one value. */
  version: number;
}

export interface BuiltService {
  model: ServiceModel;
  /** id → address, for clients that connect (issue 6's SRLib; the mesh demo). */
  addresses: Record<string, string>;
  /** id → the server's locality ring seen from the client region (−1: none), for metrics and traces. */
  rings: Record<string, number>;
  /** Problems met while building (a dangling replica, a spill list of the wrong length), dropped from the model. */
  warnings: string[];
  /**
   * Set when the service's model breaks a rule of spec/routing.md §2 against the current latency
   * matrix (checked once per build, so a client's encode need not check it again): a miniRIB
   * with this service would be refused, so the daemon keeps the clients' last good one.
   */
  error?: string;
}

export class RibView {
  latency?: LatencyRecord;
  latencyAt = 0;
  readonly services = new Map<string, ServiceState>();
  private built = new Map<string, { version: number; latencyAt: number; out: BuiltService }>(); // key: service \0 client region

  constructor(readonly tenant: string) {}

  /** Replaces a service's state with a range read of its prefix at `revision`. */
  loadService(name: string, kvs: KeyValue[], revision: number): ServiceState {
    const s: ServiceState = { name, servers: new Map(), loadedAt: revision, version: (this.services.get(name)?.version ?? 0) + 1 };
    for (const kv of kvs) this.applyKey(s, kv.key, kv.value);
    this.services.set(name, s);
    return s;
  }

  loadLatency(kv: KeyValue | undefined, revision: number): void {
    this.latency = kv ? (JSON.parse(kv.value) as LatencyRecord) : undefined;
    this.latencyAt = revision;
  }

  /**
   * Applies a batch of store events; returns what changed: the names of changed services and
   * whether the latency matrix changed. Events for services not carried are ignored.
   */
  apply(events: WatchEvent[]): { services: Set<string>; latency: boolean } {
    const changed = new Set<string>();
    let latency = false;
    for (const e of events) {
      if (e.kv.key === K.latencyKey(this.tenant)) {
        if (e.kv.modRevision <= this.latencyAt) continue;
        this.latency = e.type === 'put' ? (JSON.parse(e.kv.value) as LatencyRecord) : undefined;
        this.latencyAt = e.kv.modRevision;
        latency = true;
        continue;
      }
      const k = K.parseServiceKey(this.tenant, e.kv.key);
      if (!k) continue;
      const s = this.services.get(k.service);
      if (!s || e.kv.modRevision <= s.loadedAt) continue;
      this.applyKey(s, e.kv.key, e.type === 'put' ? e.kv.value : undefined);
      s.version++;
      changed.add(s.name);
    }
    return { services: changed, latency };
  }

  private applyKey(s: ServiceState, key: string, value: string | undefined): void {
    const k = K.parseServiceKey(this.tenant, key);
    if (!k) return;
    switch (k.kind) {
      case 'server':
        if (value === undefined) s.servers.delete(k.id);
        else s.servers.set(k.id, JSON.parse(value) as ServerRecord);
        break;
      case 'shards': s.shards = value === undefined ? undefined : (JSON.parse(value) as ShardsRecord); break;
      case 'policy': s.policy = value === undefined ? undefined : (JSON.parse(value) as ServicePolicy); break;
      case 'spill': s.spill = value === undefined ? undefined : (JSON.parse(value) as SpillRecord); break;
    }
  }

  /**
   * The routing model of a service for clients in `clientRegion` (spill is per client region).
   * Servers are in id order (stable across daemons and restarts). O(servers + shards) when the
   * service changed since the last call for that region, else O(1).
   */
  build(name: string, clientRegion: string): BuiltService {
    const s = this.services.get(name);
    if (!s) return { model: { name, servers: [] }, addresses: {}, rings: {}, warnings: [] };
    const cacheKey = `${name}\u0000${clientRegion}`;
    const cached = this.built.get(cacheKey);
    if (cached && cached.version === s.version && cached.latencyAt === this.latencyAt) return cached.out;
    const warnings: string[] = [];
    const ids = [...s.servers.keys()].sort();
    const index = new Map(ids.map((id, i) => [id, i]));
    const addresses: Record<string, string> = {};
    const servers = ids.map((id) => {
      const r = s.servers.get(id)!;
      if (r.address) addresses[id] = r.address;
      return { id, region: r.region, weight: r.weight, state: r.state };
    });
    const model: ServiceModel = { name, servers };
    if (s.policy) Object.assign(model, policyToModel(s.policy));
    if (s.shards) {
      delete model.subset;
      delete model.hash;
      model.shards = {
        starts: s.shards.shards.map((sh) => sh.start),
        replicas: s.shards.shards.map((sh, i) => sh.replicas.flatMap((r) => {
          const at = index.get(r.server);
          if (at === undefined) {
            warnings.push(`shard ${i}: replica "${r.server}" is not registered; left out`);
            return [];
          }
          return [{ server: at, role: r.role }];
        })),
      };
    }
    const keep = s.spill?.spill[clientRegion];
    if (keep) {
      const rings = model.rings_us?.length ?? 4;
      if (keep.length === rings) model.spill = { [clientRegion]: keep };
      else warnings.push(`spill for ${clientRegion} has ${keep.length} fractions for ${rings} rings; left out`);
    }
    const rings: Record<string, number> = {};
    if (this.latency) {
      const from = this.latency.regions.indexOf(clientRegion);
      const bounds = model.rings_us ?? DEFAULT_RINGS_US;
      for (const srv of servers) {
        rings[srv.id] = ringOfRtt(from < 0 ? null : this.latency.rtt_us[from]?.[this.latency.regions.indexOf(srv.region)] ?? null, bounds);
      }
    }
    const out: BuiltService = { model, addresses, rings, warnings };
    if (this.latency) {
      try {
        validateModel({ regions: this.latency.regions, rtt_us: this.latency.rtt_us, services: [model] }, { id: 'check', region: this.latency.regions[0] });
      } catch (err) {
        out.error = (err as Error).message;
      }
    }
    this.built.set(cacheKey, { version: s.version, latencyAt: this.latencyAt, out });
    return out;
  }

  /** Forgets a service no client carries any more. */
  drop(name: string): void {
    this.services.delete(name);
    for (const k of this.built.keys()) if (k.startsWith(`${name}\u0000`)) this.built.delete(k);
  }
}
