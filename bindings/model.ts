// The JSON model of the routing data (spec/routing.md §2, the `rib` and `client` of a conformance
// scenario) and its validation. The encoder refuses a model that breaks a rule, with the rule's
// code, before any byte is written; the cores check the same rules again on the buffer.
import * as E from './errors.js';
import { RingrouteError } from './errors.js';
import { WEIGHT_MAX } from './layout.js';

export type ServerState = 'up' | 'draining' | 'down';
export type Role = 'primary' | 'secondary';

export interface ServerModel {
  id: string;
  region: string;
  weight?: number;
  state?: ServerState;
}

export interface ShardMapModel {
  starts: number[];
  replicas: { server: number; role: Role }[][];
}

export interface ServiceModel {
  name: string;
  servers: ServerModel[];
  /** latency bounds in µs, strictly increasing; null = unbounded (last only). */
  rings_us?: (number | null)[];
  /** per client region, one keep fraction in [0, 1] per ring. */
  spill?: Record<string, number[]>;
  subset?: number;
  shards?: ShardMapModel;
  hash?: { replicas: number };
}

export interface RibModel {
  regions: string[];
  /** rtt_us[i][j]: µs from region i to region j; null = unknown. */
  rtt_us: (number | null)[][];
  services: ServiceModel[];
}

export interface ClientModel {
  id: string;
  region: string;
  seed?: number;
}

export const DEFAULT_RINGS_US: readonly (number | null)[] = [5000, 35000, 80000, null];

const isU32 = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
const fail = (code: number, detail: string): never => {
  throw new RingrouteError(code, detail);
};
const shape = (cond: boolean, what: string): void => {
  if (!cond) fail(E.MODEL_SHAPE, what);
};

/**
 * Checks every rule of spec/routing.md §2 on the JSON model; throws a RingrouteError naming the
 * first broken rule and where. O(total servers + shards + replicas), once per encode.
 */
export function validateModel(rib: RibModel, client: ClientModel): void {
  shape(rib !== null && typeof rib === 'object', 'rib must be an object');
  shape(Array.isArray(rib.regions), 'rib.regions must be a list');
  shape(Array.isArray(rib.rtt_us), 'rib.rtt_us must be a list');
  shape(Array.isArray(rib.services), 'rib.services must be a list');
  const regionIndex = new Map<string, number>();
  rib.regions.forEach((r, i) => {
    shape(typeof r === 'string', `regions[${i}] must be a string`);
    if (r === '') fail(E.REGION_NAME_EMPTY, `regions[${i}]`);
    if (regionIndex.has(r)) fail(E.REGION_NAMES_REPEAT, `region "${r}"`);
    regionIndex.set(r, i);
  });
  const R = rib.regions.length;
  if (rib.rtt_us.length !== R) fail(E.RTT_SHAPE, `${rib.rtt_us.length} rows for ${R} regions`);
  rib.rtt_us.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== R) fail(E.RTT_SHAPE, `row ${i}`);
    row.forEach((v, j) => {
      if (v !== null && !isU32(v)) fail(E.RTT_VALUE, `rtt_us[${i}][${j}] = ${JSON.stringify(v)}`);
    });
  });

  const names = new Set<string>();
  rib.services.forEach((svc, si) => {
    shape(svc !== null && typeof svc === 'object', `services[${si}] must be an object`);
    shape(typeof svc.name === 'string', `services[${si}].name must be a string`);
    const where = `service "${svc.name}"`;
    if (svc.name === '') fail(E.SERVICE_NAME_EMPTY, `services[${si}]`);
    if (names.has(svc.name)) fail(E.SERVICE_NAMES_REPEAT, where);
    names.add(svc.name);
    shape(Array.isArray(svc.servers), `${where}: servers must be a list`);
    const ids = new Set<string>();
    svc.servers.forEach((s, i) => {
      shape(s !== null && typeof s === 'object', `${where} servers[${i}] must be an object`);
      shape(typeof s.id === 'string', `${where} servers[${i}].id must be a string`);
      if (s.id === '') fail(E.SERVER_ID_EMPTY, `${where} servers[${i}]`);
      if (ids.has(s.id)) fail(E.SERVER_IDS_REPEAT, `${where} server "${s.id}"`);
      ids.add(s.id);
      if (!regionIndex.has(s.region)) fail(E.SERVER_REGION, `${where} server "${s.id}" region ${JSON.stringify(s.region)}`);
      if (s.weight !== undefined && !(Number.isInteger(s.weight) && s.weight >= 1 && s.weight <= WEIGHT_MAX)) {
        fail(E.SERVER_WEIGHT, `${where} server "${s.id}" weight ${JSON.stringify(s.weight)}`);
      }
      if (s.state !== undefined && s.state !== 'up' && s.state !== 'draining' && s.state !== 'down') {
        fail(E.SERVER_STATE, `${where} server "${s.id}" state ${JSON.stringify(s.state)}`);
      }
    });
    if (svc.servers.length > 0x0fffffff) fail(E.TOO_LARGE, `${where}: ${svc.servers.length} servers`);

    const rings = svc.rings_us ?? DEFAULT_RINGS_US;
    if (!Array.isArray(rings) || rings.length === 0) fail(E.RINGS_EMPTY, where);
    rings.forEach((b, i) => {
      if (b === null) {
        if (i !== rings.length - 1) fail(E.RINGS_UNBOUNDED_NOT_LAST, `${where} rings_us[${i}]`);
      } else {
        if (!isU32(b)) fail(E.RINGS_VALUE, `${where} rings_us[${i}] = ${JSON.stringify(b)}`);
        const prev = i > 0 ? rings[i - 1] : undefined;
        if (prev !== undefined && prev !== null && b <= prev) fail(E.RINGS_ORDER, `${where} rings_us[${i}]`);
      }
    });
    if (svc.spill !== undefined) {
      shape(svc.spill !== null && typeof svc.spill === 'object' && !Array.isArray(svc.spill), `${where}: spill must be an object`);
      for (const [region, list] of Object.entries(svc.spill)) {
        if (!regionIndex.has(region)) fail(E.SPILL_REGION, `${where} spill "${region}"`);
        if (!Array.isArray(list) || list.length !== rings.length) {
          fail(E.SPILL_LENGTH, `${where} spill "${region}": ${Array.isArray(list) ? list.length : 'no list'} for ${rings.length} rings`);
        }
        list.forEach((f, i) => {
          if (typeof f !== 'number' || !(f >= 0 && f <= 1)) fail(E.SPILL_FRACTION, `${where} spill "${region}"[${i}] = ${JSON.stringify(f)}`);
        });
      }
    }
    const given = (svc.subset !== undefined ? 1 : 0) + (svc.shards !== undefined ? 1 : 0) + (svc.hash !== undefined ? 1 : 0);
    if (given > 1) fail(E.POLICY_CONFLICT, where);
    if (svc.subset !== undefined && !isU32(svc.subset)) fail(E.SUBSET_VALUE, `${where} subset ${JSON.stringify(svc.subset)}`);
    if (svc.hash !== undefined) {
      const k = svc.hash?.replicas;
      if (!isU32(k) || k < 1) fail(E.HASH_REPLICAS, `${where} hash.replicas ${JSON.stringify(k)}`);
    }
    if (svc.shards !== undefined) validateShards(svc, where);
  });

  shape(client !== null && typeof client === 'object', 'client must be an object');
  shape(typeof client.id === 'string', 'client.id must be a string');
  if (client.id === '') fail(E.CLIENT_ID_EMPTY, 'client');
  if (!regionIndex.has(client.region)) fail(E.CLIENT_REGION, `client region ${JSON.stringify(client.region)}`);
  if (client.seed !== undefined && !isU32(client.seed)) fail(E.CLIENT_SEED, `client seed ${JSON.stringify(client.seed)}`);
}

function validateShards(svc: ServiceModel, where: string): void {
  const m = svc.shards!;
  shape(m !== null && typeof m === 'object', `${where}: shards must be an object`);
  shape(Array.isArray(m.starts) && Array.isArray(m.replicas), `${where}: shards needs starts and replicas lists`);
  m.starts.forEach((s, i) => {
    if (!isU32(s)) fail(E.SHARDS_START_VALUE, `${where} starts[${i}] = ${JSON.stringify(s)}`);
  });
  if (m.starts.length === 0 || m.starts[0] !== 0) fail(E.SHARDS_FIRST_START, where);
  for (let i = 1; i < m.starts.length; i++) {
    if (m.starts[i] <= m.starts[i - 1]) fail(E.SHARDS_ORDER, `${where} starts[${i}]`);
  }
  if (m.replicas.length !== m.starts.length) {
    fail(E.SHARDS_LISTS, `${where}: ${m.replicas.length} replica lists for ${m.starts.length} shards`);
  }
  const n = svc.servers.length;
  m.replicas.forEach((list, i) => {
    shape(Array.isArray(list), `${where} replicas[${i}] must be a list`);
    const seen = new Set<number>();
    let primaries = 0;
    list.forEach((r, j) => {
      shape(r !== null && typeof r === 'object', `${where} replicas[${i}][${j}] must be an object`);
      if (!(Number.isInteger(r.server) && r.server >= 0 && r.server < n)) {
        fail(E.SHARD_REPLICA_RANGE, `${where} shard ${i} replica ${JSON.stringify(r.server)}`);
      }
      if (seen.has(r.server)) fail(E.SHARD_REPLICA_TWICE, `${where} shard ${i} server ${r.server}`);
      seen.add(r.server);
      if (r.role !== 'primary' && r.role !== 'secondary') fail(E.SHARD_ROLE, `${where} shard ${i} role ${JSON.stringify(r.role)}`);
      if (r.role === 'primary' && ++primaries > 1) fail(E.SHARD_TWO_PRIMARIES, `${where} shard ${i}`);
    });
  });
}
