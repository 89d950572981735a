// The registry controller: which servers each service has (register, drain, deregister) and its
// shard map from a shard manager (set whole, move one replica, change a primary), each change one
// atomic store transaction. A server's region must be in the latency matrix (the miniRIB can only
// place servers in known regions); a server that is a shard replica can't be deregistered until
// the shard manager moves it. Cost: O(1) store operations per call, O(servers + shards) for shard
// map checks. Called by the control server's HTTP API (control/server.ts).
import { ApiError } from './http.js';
import * as K from './rib.js';
import type { LatencyRecord, ServerRecord, ShardsRecord } from './rib.js';
import type { Compare, RibStore, TxnOp } from './store/types.js';

const MAX_ATTEMPTS = 20;

/** What a read-modify-write does: the new value (undefined deletes), more ops and guards in the same transaction. */
export interface Change<T> {
  value?: T;
  extra?: TxnOp[];
  compares?: Compare[];
}

/**
 * Read-modify-write of one key with a compare on its modRevision, retried on a conflicting
 * write. `change` returns the new value (or undefined to delete) and may throw an ApiError to
 * refuse; its extra ops ride in the same transaction.
 */
export async function updateKey<T>(
  store: RibStore,
  key: string,
  change: (current: T | undefined) => Promise<Change<T>> | Change<T>,
): Promise<{ revision: number; value?: T }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const kv = await store.get(key);
    const current = kv ? (JSON.parse(kv.value) as T) : undefined;
    const { value, extra = [], compares = [] } = await change(current);
    const ops: TxnOp[] = value === undefined ? [{ type: 'delete', key }] : [{ type: 'put', key, value: JSON.stringify(value) }];
    const r = await store.txn([{ key, modRevision: kv?.modRevision ?? 0 }, ...compares], [...ops, ...extra]);
    if (r.succeeded) return { revision: r.revision, value };
  }
  throw new ApiError('CONFLICT', `${key}: still contended after ${MAX_ATTEMPTS} attempts, try again`);
}

async function readJsonKey<T>(store: RibStore, key: string): Promise<T | undefined> {
  const kv = await store.get(key);
  return kv ? (JSON.parse(kv.value) as T) : undefined;
}

export async function latency(store: RibStore, tenant: string): Promise<LatencyRecord | undefined> {
  return readJsonKey<LatencyRecord>(store, K.latencyKey(tenant));
}

export async function register(store: RibStore, tenant: string, service: string, id: string, body: Omit<ServerRecord, 'id'>): Promise<{ revision: number; server: ServerRecord }> {
  const lat = await latency(store, tenant);
  if (!lat) throw new ApiError('CONFLICT', `tenant "${tenant}" has no latency matrix yet: PUT /v1/tenants/${tenant}/latency first`);
  if (!lat.regions.includes(body.region)) {
    throw new ApiError('SCHEMA', `body.region: "${body.region}" is not in the latency matrix (regions: ${lat.regions.join(', ')})`);
  }
  const server: ServerRecord = { id, ...body };
  const { revision } = await updateKey<ServerRecord>(store, K.serverKey(tenant, service, id), () => ({ value: server }));
  return { revision, server };
}

export async function setState(store: RibStore, tenant: string, service: string, id: string, state: ServerRecord['state']): Promise<{ revision: number; server: ServerRecord }> {
  const { revision, value } = await updateKey<ServerRecord>(store, K.serverKey(tenant, service, id), (cur) => {
    if (!cur) throw new ApiError('NOT_FOUND', `service "${service}" has no server "${id}"`);
    return { value: { ...cur, state } };
  });
  return { revision, server: value! };
}

export async function deregister(store: RibStore, tenant: string, service: string, id: string): Promise<{ revision: number }> {
  const shardsKey = K.shardsKey(tenant, service);
  return updateKey<ServerRecord>(store, K.serverKey(tenant, service, id), async (cur) => {
    if (!cur) throw new ApiError('NOT_FOUND', `service "${service}" has no server "${id}"`);
    // the shard map must not change between this check and the delete
    const shardsKv = await store.get(shardsKey);
    const compares = [{ key: shardsKey, modRevision: shardsKv?.modRevision ?? 0 }];
    if (shardsKv) {
      const map = JSON.parse(shardsKv.value) as ShardsRecord;
      const used = map.shards.flatMap((s, i) => (s.replicas.some((r) => r.server === id) ? [i] : []));
      if (used.length > 0) {
        throw new ApiError('CONFLICT', `server "${id}" is a replica of shard(s) ${used.slice(0, 10).join(', ')}${used.length > 10 ? '…' : ''}: move them first`);
      }
    }
    return { compares };
  });
}

export async function servers(store: RibStore, tenant: string, service: string): Promise<{ servers: ServerRecord[]; revision: number }> {
  const prefix = `${K.servicePrefix(tenant, service)}server/`;
  const { kvs, revision } = await store.range(prefix);
  return { servers: kvs.map((kv) => JSON.parse(kv.value) as ServerRecord), revision };
}

/** Checks every replica names a registered server of the service. */
async function checkReplicas(store: RibStore, tenant: string, service: string, map: ShardsRecord): Promise<void> {
  const ids = new Set((await servers(store, tenant, service)).servers.map((s) => s.id));
  map.shards.forEach((sh, i) => {
    sh.replicas.forEach((r, j) => {
      if (!ids.has(r.server)) {
        throw new ApiError('SCHEMA', `body.shards[${i}].replicas[${j}].server: "${r.server}" is not a registered server of "${service}"`);
      }
    });
  });
}

export async function setShards(store: RibStore, tenant: string, service: string, map: ShardsRecord): Promise<{ revision: number }> {
  await checkReplicas(store, tenant, service, map);
  return updateKey<ShardsRecord>(store, K.shardsKey(tenant, service), () => ({ value: map }));
}

function shardAt(map: ShardsRecord | undefined, service: string, index: number): ShardsRecord['shards'][number] {
  if (!map) throw new ApiError('NOT_FOUND', `service "${service}" has no shard map`);
  if (!(Number.isInteger(index) && index >= 0 && index < map.shards.length)) {
    throw new ApiError('NOT_FOUND', `shard ${index} is out of range: "${service}" has ${map.shards.length} shards`);
  }
  return map.shards[index];
}

/** Moves shard `index`'s replica from one server to another, keeping its role. */
export async function moveReplica(store: RibStore, tenant: string, service: string, index: number, from: string, to: string): Promise<{ revision: number }> {
  const ids = new Set((await servers(store, tenant, service)).servers.map((s) => s.id));
  if (!ids.has(to)) throw new ApiError('SCHEMA', `body.to: "${to}" is not a registered server of "${service}"`);
  return updateKey<ShardsRecord>(store, K.shardsKey(tenant, service), (cur) => {
    const shard = shardAt(cur, service, index);
    const r = shard.replicas.find((x) => x.server === from);
    if (!r) throw new ApiError('SCHEMA', `body.from: "${from}" is not a replica of shard ${index}`);
    if (shard.replicas.some((x) => x.server === to)) throw new ApiError('SCHEMA', `body.to: "${to}" is already a replica of shard ${index}`);
    r.server = to;
    return { value: cur };
  });
}

/** Makes `server` shard `index`'s primary; the old primary becomes a secondary. */
export async function setPrimary(store: RibStore, tenant: string, service: string, index: number, server: string): Promise<{ revision: number }> {
  return updateKey<ShardsRecord>(store, K.shardsKey(tenant, service), (cur) => {
    const shard = shardAt(cur, service, index);
    const r = shard.replicas.find((x) => x.server === server);
    if (!r) throw new ApiError('SCHEMA', `body.server: "${server}" is not a replica of shard ${index}`);
    for (const x of shard.replicas) x.role = x === r ? 'primary' : 'secondary';
    return { value: cur };
  });
}

export async function deleteShards(store: RibStore, tenant: string, service: string): Promise<{ revision: number }> {
  return updateKey<ShardsRecord>(store, K.shardsKey(tenant, service), (cur) => {
    if (!cur) throw new ApiError('NOT_FOUND', `service "${service}" has no shard map`);
    return {};
  });
}

/** Every service of a tenant with its server count and what it has. O(keys of the tenant). */
export async function listServices(store: RibStore, tenant: string): Promise<{ services: { name: string; servers: number; up: number; shards: boolean; policy: boolean }[]; revision: number }> {
  const { kvs, revision } = await store.range(K.servicesPrefix(tenant));
  const by = new Map<string, { name: string; servers: number; up: number; shards: boolean; policy: boolean }>();
  for (const kv of kvs) {
    const k = K.parseServiceKey(tenant, kv.key);
    if (!k) continue;
    let e = by.get(k.service);
    if (!e) by.set(k.service, (e = { name: k.service, servers: 0, up: 0, shards: false, policy: false }));
    if (k.kind === 'server') {
      e.servers++;
      if ((JSON.parse(kv.value) as ServerRecord).state === 'up') e.up++;
    } else if (k.kind === 'shards') e.shards = true;
    else if (k.kind === 'policy') e.policy = true;
  }
  return { services: [...by.values()], revision };
}
