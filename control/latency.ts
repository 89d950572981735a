// The latency controller: the region × region RTT matrix every miniRIB carries. Set whole (from a
// network map), or cell by cell from measurements, smoothed by an exponentially weighted moving
// average (new = old + α·(sample − old), rounded to a µs) so one noisy probe can't move a server
// across a ring bound. A region that still has registered servers can't be dropped from the
// matrix. Cost: O(regions²) per write; dropping a region also scans the tenant's servers.
// Called by the control server's HTTP API.
import { ApiError } from './http.js';
import * as K from './rib.js';
import type { LatencyRecord, ServerRecord } from './rib.js';
import { updateKey } from './registry.js';
import type { RibStore } from './store/types.js';

export interface MatrixBody {
  regions: string[];
  rtt_us?: (number | null)[][];
  rtt_ms?: (number | null)[][];
}

export function toRecord(body: MatrixBody): LatencyRecord {
  const rtt_us = body.rtt_us ?? body.rtt_ms!.map((row) => row.map((v) => (v === null ? null : Math.round(v * 1000))));
  return { regions: body.regions, rtt_us };
}

export async function setMatrix(store: RibStore, tenant: string, body: MatrixBody): Promise<{ revision: number }> {
  const next = toRecord(body);
  return updateKey<LatencyRecord>(store, K.latencyKey(tenant), async (cur) => {
    const dropped = (cur?.regions ?? []).filter((r) => !next.regions.includes(r));
    if (dropped.length > 0) {
      const { kvs } = await store.range(K.servicesPrefix(tenant));
      for (const kv of kvs) {
        const k = K.parseServiceKey(tenant, kv.key);
        if (k?.kind !== 'server') continue;
        const s = JSON.parse(kv.value) as ServerRecord;
        if (dropped.includes(s.region)) {
          throw new ApiError('CONFLICT', `region "${s.region}" still has servers (e.g. "${s.id}" of "${k.service}"): deregister them before dropping the region`);
        }
      }
    }
    return { value: next };
  });
}

export async function addMeasurement(store: RibStore, tenant: string, m: { from: string; to: string; rtt_us: number; alpha: number }): Promise<{ revision: number; rtt_us: number }> {
  let value = 0;
  const { revision } = await updateKey<LatencyRecord>(store, K.latencyKey(tenant), (cur) => {
    if (!cur) throw new ApiError('CONFLICT', `tenant "${tenant}" has no latency matrix yet: PUT /v1/tenants/${tenant}/latency first`);
    const i = cur.regions.indexOf(m.from), j = cur.regions.indexOf(m.to);
    if (i < 0) throw new ApiError('SCHEMA', `body.from: "${m.from}" is not in the latency matrix (regions: ${cur.regions.join(', ')})`);
    if (j < 0) throw new ApiError('SCHEMA', `body.to: "${m.to}" is not in the latency matrix (regions: ${cur.regions.join(', ')})`);
    const old = cur.rtt_us[i][j];
    value = old === null ? m.rtt_us : Math.round(old + m.alpha * (m.rtt_us - old));
    cur.rtt_us[i][j] = value;
    return { value: cur };
  });
  return { revision, rtt_us: value };
}
