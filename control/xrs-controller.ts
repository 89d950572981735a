// The cross-region (xRS) controller's loop: once a tick, for every (tenant, service) with load
// reports and an `xrs` policy, it gathers the inputs from the RIB — the latency matrix, the
// service's rings (its policy), its servers' capacity (registry; a report's capacity_rps wins
// for its region), each client region's demand (reports older than STALE_TICKS ticks count as 0)
// — runs the pure algorithm of control/xrs.ts (spec/xrs.md) with the state it kept from the
// previous tick, and writes the service's spill record when the published fractions change.
// Deterministic: two control servers on one etcd compute and write the same numbers.
// Cost per tick: one range of the load reports, then per service O(its servers) to read capacity
// plus O(regions² × rings) for the algorithm. Called by control/server.ts's timer.
import { policyToModel, type ServicePolicy } from './config.js';
import * as K from './rib.js';
import type { LatencyRecord, LoadReport, ServerRecord, SpillRecord } from './rib.js';
import type { RibStore } from './store/types.js';
import { capacityFromServers, xrsTick, type XrsDiagnostic, type XrsState } from './xrs.js';

/** Capacity of a server that declares none: weight × this many requests/s. */
export const RPS_PER_WEIGHT = 100;
const STALE_TICKS = 5;

export class XrsController {
  private states = new Map<string, XrsState>(); // tenant \0 service
  private diags = new Map<string, XrsDiagnostic>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Ticks run and spill records written, for tests and metrics. */
  ticks = 0;
  writes = 0;

  constructor(private store: RibStore, private opts: { tickMs: number; log?: (l: string) => void; now?: () => number }) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().catch((err) => this.opts.log?.(`xrs: ${(err as Error).message}`)).finally(() => { this.running = undefined; });
    }, this.opts.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  diagnostic(tenant: string, service: string): XrsDiagnostic | undefined {
    return this.diags.get(`${tenant}\u0000${service}`);
  }

  /** One tick over every service with load reports. */
  async tick(): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const { kvs } = await this.store.range(K.LOAD_ROOT);
    const groups = new Map<string, { tenant: string; service: string; reports: Map<string, LoadReport> }>();
    for (const kv of kvs) {
      const k = K.parseLoadKey(kv.key);
      if (!k) continue;
      const id = `${k.tenant}\u0000${k.service}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { tenant: k.tenant, service: k.service, reports: new Map() }));
      g.reports.set(k.region, JSON.parse(kv.value) as LoadReport);
    }
    for (const [id, g] of groups) {
      try {
        await this.tickService(id, g.tenant, g.service, g.reports, now);
      } catch (err) {
        this.opts.log?.(`xrs: ${g.tenant}/${g.service}: ${(err as Error).message}`);
      }
    }
    this.ticks++;
  }

  private async tickService(id: string, tenant: string, service: string, reports: Map<string, LoadReport>, now: number): Promise<void> {
    const latKv = await this.store.get(K.latencyKey(tenant));
    if (!latKv) return;
    const topology = JSON.parse(latKv.value) as LatencyRecord;
    const { kvs } = await this.store.range(K.servicePrefix(tenant, service));
    let policy: ServicePolicy | undefined;
    let spillKv: (typeof kvs)[number] | undefined;
    const servers: ServerRecord[] = [];
    for (const kv of kvs) {
      const k = K.parseServiceKey(tenant, kv.key);
      if (k?.kind === 'server') servers.push(JSON.parse(kv.value) as ServerRecord);
      else if (k?.kind === 'policy') policy = JSON.parse(kv.value) as ServicePolicy;
      else if (k?.kind === 'spill') spillKv = kv;
    }
    if (!policy?.xrs) return; // spill is opt-in per service
    const capacity = capacityFromServers(servers.filter((s) => topology.regions.includes(s.region)), RPS_PER_WEIGHT);
    const demand: Record<string, number> = {};
    for (const [region, r] of reports) {
      if (!topology.regions.includes(region)) continue;
      const fresh = now - r.at <= STALE_TICKS * this.opts.tickMs;
      demand[region] = fresh ? r.demand_rps : 0;
      if (fresh && r.capacity_rps !== undefined) capacity[region] = r.capacity_rps;
    }
    const rings_us = policyToModel(policy).rings_us;
    const result = xrsTick(topology, { rings_us, capacity_rps: capacity, demand_rps: demand }, this.states.get(id), { target: policy.xrs.target_utilization });
    this.states.set(id, result.state);
    this.diags.set(id, result.diag);
    const current = spillKv ? (JSON.parse(spillKv.value) as SpillRecord).spill : undefined;
    if (current && JSON.stringify(current) === JSON.stringify(result.spill)) return;
    const record: SpillRecord = { spill: result.spill, at: now };
    const r = await this.store.txn([{ key: K.spillKey(tenant, service), modRevision: spillKv?.modRevision ?? 0 }], [{ type: 'put', key: K.spillKey(tenant, service), value: JSON.stringify(record) }]);
    if (r.succeeded) this.writes++;
  }
}
