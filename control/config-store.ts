// The config controller's store side: applying a validated config set (control/config.ts) as a
// new version in ONE transaction — the version record, the head pointer and every changed
// service's policy key — so daemons never see half a config; rolling back by re-applying an older
// version as a new one (history only grows); listing and diffing versions.
// Only changed policies are rewritten, so daemons re-encode only the services whose policy moved.
// Cost: O(services in the set) per apply. Called by the control server's HTTP API.
// etcd note: one apply is one transaction of (changed services + 2) ops; run etcd with
// `--max-txn-ops` above your service count (default 128) and `--max-request-bytes` above the set.
import { type ConfigChange, type ConfigSet, type ServicePolicy, configHash, diffConfigSets } from './config.js';
import { ApiError } from './http.js';
import * as K from './rib.js';
import type { ConfigHead } from './rib.js';
import type { RibStore, TxnOp } from './store/types.js';

export interface ConfigVersion {
  head: ConfigHead;
  set: ConfigSet;
}

const EMPTY: ConfigSet = { services: {} };

export async function currentHead(store: RibStore, tenant: string): Promise<{ head?: ConfigHead; modRevision: number }> {
  const kv = await store.get(K.configHeadKey(tenant));
  return kv ? { head: JSON.parse(kv.value) as ConfigHead, modRevision: kv.modRevision } : { modRevision: 0 };
}

export async function readVersion(store: RibStore, tenant: string, version: number): Promise<ConfigVersion> {
  const kv = await store.get(K.configVersionKey(tenant, version));
  if (!kv) throw new ApiError('NOT_FOUND', `config version ${version} does not exist`);
  return JSON.parse(kv.value) as ConfigVersion;
}

export async function currentSet(store: RibStore, tenant: string): Promise<ConfigVersion | undefined> {
  const { head } = await currentHead(store, tenant);
  return head ? readVersion(store, tenant, head.version) : undefined;
}

export interface ApplyResult {
  version: number;
  revision: number;
  changes: ConfigChange[];
  /** True when the set equals the current one: nothing was written. */
  unchanged: boolean;
}

/**
 * Applies `set` (already validated) as the next version. `expect` (optional): the version the
 * caller diffed against; if the head moved since, CONFLICT (no lost update between two operators).
 */
export async function applyConfig(
  store: RibStore, tenant: string, set: ConfigSet,
  meta: { by: string; message?: string; expect?: number; rollbackOf?: number },
): Promise<ApplyResult> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const { head, modRevision } = await currentHead(store, tenant);
    if (meta.expect !== undefined && (head?.version ?? 0) !== meta.expect) {
      throw new ApiError('CONFLICT', `config is at version ${head?.version ?? 0}, not ${meta.expect}: diff again and re-apply`);
    }
    const old = head ? (await readVersion(store, tenant, head.version)).set : EMPTY;
    const changes = diffConfigSets(old, set);
    const hash = configHash(set);
    if (head && head.hash === hash && meta.rollbackOf === undefined) {
      return { version: head.version, revision: await store.revision(), changes: [], unchanged: true };
    }
    const version = (head?.version ?? 0) + 1;
    const next: ConfigHead = {
      version, hash, applied_at: Date.now(), by: meta.by, previous: head?.version ?? 0,
      ...(meta.message ? { message: meta.message } : {}),
      ...(meta.rollbackOf !== undefined ? { rollback_of: meta.rollbackOf } : {}),
    };
    const ops: TxnOp[] = [
      { type: 'put', key: K.configVersionKey(tenant, version), value: JSON.stringify({ head: next, set } satisfies ConfigVersion) },
      { type: 'put', key: K.configHeadKey(tenant), value: JSON.stringify(next) },
    ];
    for (const c of changes) {
      const key = K.policyKey(tenant, c.service);
      if (c.kind === 'removed') ops.push({ type: 'delete', key });
      else ops.push({ type: 'put', key, value: JSON.stringify(set.services[c.service] satisfies ServicePolicy) });
    }
    const r = await store.txn([{ key: K.configHeadKey(tenant), modRevision }], ops);
    if (r.succeeded) return { version, revision: r.revision, changes, unchanged: false };
  }
  throw new ApiError('CONFLICT', 'config head still contended after 10 attempts, try again');
}

/** Re-applies version `to` (default: the one before the current) as a new version. */
export async function rollbackConfig(store: RibStore, tenant: string, meta: { by: string; to?: number; message?: string }): Promise<ApplyResult & { to: number }> {
  const { head } = await currentHead(store, tenant);
  if (!head) throw new ApiError('CONFLICT', 'no config has been applied: nothing to roll back');
  const to = meta.to ?? head.previous;
  if (to === 0) throw new ApiError('CONFLICT', `version ${head.version} is the first: nothing before it to roll back to`);
  if (to === head.version) throw new ApiError('CONFLICT', `version ${to} is already current`);
  const target = await readVersion(store, tenant, to);
  const r = await applyConfig(store, tenant, target.set, {
    by: meta.by, rollbackOf: to, expect: head.version, message: meta.message ?? `rollback to version ${to}`,
  });
  return { ...r, to };
}

/** Every version's head, newest first. O(versions). */
export async function history(store: RibStore, tenant: string): Promise<ConfigHead[]> {
  const { kvs } = await store.range(K.configVersionPrefix(tenant));
  return kvs.map((kv) => (JSON.parse(kv.value) as ConfigVersion).head).reverse();
}
