// Stable error codes of ringroute, shared by the WASM core, the TS core, the encoder and every host.
// This file is the one place: assembly/errors.ts is generated from the `export const` lines
// below (scripts/gen-shared.mjs), and the messages live only in MESSAGES here.
// Codes never change meaning once released; new codes take new numbers.

// ── decisions (spec/routing.md §3): the flat ABI returns −code from route() ─────
export const NO_SERVICE = 1;
export const NO_KEY = 2;
export const NO_SERVER = 3;
export const NO_REPLICA = 4;

// ── buffer structure ────────────────────────────────────────────────────────
export const TRUNCATED = 10;
export const BAD_MAGIC = 11;
export const BAD_VERSION = 12;
export const BAD_HEADER = 13;
export const BAD_LENGTH = 14;
export const BAD_CHECKSUM = 15;
export const BAD_SECTION_TABLE = 16;
export const SECTION_OUT_OF_RANGE = 17;
export const SECTION_UNKNOWN = 18;
export const SECTION_DUPLICATE = 19;
export const SECTION_MISSING = 20;
export const SECTION_SIZE = 21;
export const STRING_OUT_OF_RANGE = 22;
export const RANGE_NOT_TILED = 23;
export const TOO_LARGE = 24;
export const OUT_OF_MEMORY = 25;
export const NOT_LOADED = 26;

// ── the rules of the routing data (spec/routing.md §2) ─────────────────────────
export const REGION_NAME_EMPTY = 30;
export const REGION_NAMES_REPEAT = 31;
export const RTT_SHAPE = 32;
export const RTT_VALUE = 33;
export const SERVICE_NAME_EMPTY = 34;
export const SERVICE_NAMES_REPEAT = 35;
export const SERVER_ID_EMPTY = 36;
export const SERVER_IDS_REPEAT = 37;
export const SERVER_HASH = 38;
export const SERVER_REGION = 39;
export const SERVER_WEIGHT = 40;
export const SERVER_STATE = 41;
export const RINGS_EMPTY = 42;
export const RINGS_ORDER = 43;
export const RINGS_UNBOUNDED_NOT_LAST = 44;
export const RINGS_VALUE = 45;
export const SPILL_REGION = 46;
export const SPILL_REGION_REPEAT = 47;
export const SPILL_FRACTION = 48;
export const SPILL_LENGTH = 49;
export const POLICY_CONFLICT = 50;
export const SUBSET_VALUE = 51;
export const HASH_REPLICAS = 52;
export const SHARDS_FIRST_START = 53;
export const SHARDS_ORDER = 54;
export const SHARDS_START_VALUE = 55;
export const SHARDS_LISTS = 56;
export const SHARD_REPLICA_RANGE = 57;
export const SHARD_REPLICA_TWICE = 58;
export const SHARD_ROLE = 59;
export const SHARD_TWO_PRIMARIES = 60;
export const CLIENT_ID_EMPTY = 61;
export const CLIENT_REGION = 62;
export const CLIENT_SEED = 63;
export const MODEL_SHAPE = 64;

// ── API calls ─────────────────────────────────────────────────────────────────
export const BAD_REQUEST = 70;
export const BAD_OPTIONS = 71;
export const THREADS_FULL = 72;

/** Code → [name, message]. The message names the rule; a detail (which entry) is appended. */
export const MESSAGES: Record<number, readonly [string, string]> = {
  [NO_SERVICE]: ['NO_SERVICE', 'no service of that name'],
  [NO_KEY]: ['NO_KEY', 'the service is sharded or key-hashed and the request has no key'],
  [NO_SERVER]: ['NO_SERVER', 'no server of the service is up in any ring'],
  [NO_REPLICA]: ['NO_REPLICA', 'no replica of the shard is up with that role in any ring'],

  [TRUNCATED]: ['TRUNCATED', 'buffer shorter than the 64-byte header'],
  [BAD_MAGIC]: ['BAD_MAGIC', 'bad magic: not a miniRIB (expected "RRIB")'],
  [BAD_VERSION]: ['BAD_VERSION', 'unsupported miniRIB format version (this core reads version 1)'],
  [BAD_HEADER]: ['BAD_HEADER', 'bad header: header size, flags or reserved bytes not as version 1 defines them'],
  [BAD_LENGTH]: ['BAD_LENGTH', 'total length in the header differs from the buffer length'],
  [BAD_CHECKSUM]: ['BAD_CHECKSUM', 'checksum mismatch: the body is not what was encoded'],
  [BAD_SECTION_TABLE]: ['BAD_SECTION_TABLE', 'section table: wrong section count or table beyond the buffer'],
  [SECTION_OUT_OF_RANGE]: ['SECTION_OUT_OF_RANGE', 'section offset out of range: misaligned, overlapping or beyond the buffer'],
  [SECTION_UNKNOWN]: ['SECTION_UNKNOWN', 'unknown section kind'],
  [SECTION_DUPLICATE]: ['SECTION_DUPLICATE', 'section kind given twice'],
  [SECTION_MISSING]: ['SECTION_MISSING', 'a required section is missing'],
  [SECTION_SIZE]: ['SECTION_SIZE', 'section size differs from its count times its entry size'],
  [STRING_OUT_OF_RANGE]: ['STRING_OUT_OF_RANGE', 'string reference out of the string table'],
  [RANGE_NOT_TILED]: ['RANGE_NOT_TILED', "a service's range does not follow the previous one or overruns its section"],
  [TOO_LARGE]: ['TOO_LARGE', 'beyond the format limits (2^28 - 1 servers per service)'],
  [OUT_OF_MEMORY]: ['OUT_OF_MEMORY', 'out of memory while loading the routing data'],
  [NOT_LOADED]: ['NOT_LOADED', 'no routing data loaded'],

  [REGION_NAME_EMPTY]: ['REGION_NAME_EMPTY', 'regions: names must be non-empty'],
  [REGION_NAMES_REPEAT]: ['REGION_NAMES_REPEAT', 'regions: unique names'],
  [RTT_SHAPE]: ['RTT_SHAPE', 'rtt_us: one row of one entry per region, per region'],
  [RTT_VALUE]: ['RTT_VALUE', 'rtt_us: u32 microseconds or null (unknown)'],
  [SERVICE_NAME_EMPTY]: ['SERVICE_NAME_EMPTY', 'service: names must be non-empty'],
  [SERVICE_NAMES_REPEAT]: ['SERVICE_NAMES_REPEAT', 'service: unique names'],
  [SERVER_ID_EMPTY]: ['SERVER_ID_EMPTY', 'server: ids must be non-empty'],
  [SERVER_IDS_REPEAT]: ['SERVER_IDS_REPEAT', 'server: unique ids within a service'],
  [SERVER_HASH]: ['SERVER_HASH', 'server: precomputed hash differs from xxh32(id, SEED_SERVER)'],
  [SERVER_REGION]: ['SERVER_REGION', 'server: region must be one of the regions list'],
  [SERVER_WEIGHT]: ['SERVER_WEIGHT', 'server: weight an integer in 1..1000000'],
  [SERVER_STATE]: ['SERVER_STATE', 'server: state up, draining or down'],
  [RINGS_EMPTY]: ['RINGS_EMPTY', 'rings_us: a non-empty list'],
  [RINGS_ORDER]: ['RINGS_ORDER', 'rings_us: strictly increasing'],
  [RINGS_UNBOUNDED_NOT_LAST]: ['RINGS_UNBOUNDED_NOT_LAST', 'rings_us: only the last ring may be unbounded'],
  [RINGS_VALUE]: ['RINGS_VALUE', 'rings_us: u32 microseconds or null (unbounded)'],
  [SPILL_REGION]: ['SPILL_REGION', 'spill: keyed by a region of the regions list'],
  [SPILL_REGION_REPEAT]: ['SPILL_REGION_REPEAT', 'spill: one list per client region'],
  [SPILL_FRACTION]: ['SPILL_FRACTION', 'spill: keep fractions in [0, 1]'],
  [SPILL_LENGTH]: ['SPILL_LENGTH', 'spill: one keep fraction per ring'],
  [POLICY_CONFLICT]: ['POLICY_CONFLICT', 'service: at most one of subset, shards, hash'],
  [SUBSET_VALUE]: ['SUBSET_VALUE', 'subset: an integer >= 0'],
  [HASH_REPLICAS]: ['HASH_REPLICAS', 'hash: replicas an integer >= 1'],
  [SHARDS_FIRST_START]: ['SHARDS_FIRST_START', 'shards: the first start is 0'],
  [SHARDS_ORDER]: ['SHARDS_ORDER', 'shards: strictly increasing starts'],
  [SHARDS_START_VALUE]: ['SHARDS_START_VALUE', 'shards: u32 starts'],
  [SHARDS_LISTS]: ['SHARDS_LISTS', 'shards: one replica list per shard'],
  [SHARD_REPLICA_RANGE]: ['SHARD_REPLICA_RANGE', 'shards: replica server index in range'],
  [SHARD_REPLICA_TWICE]: ['SHARD_REPLICA_TWICE', 'shards: a server at most once per shard'],
  [SHARD_ROLE]: ['SHARD_ROLE', 'shards: role primary or secondary'],
  [SHARD_TWO_PRIMARIES]: ['SHARD_TWO_PRIMARIES', 'shards: at most one primary per shard'],
  [CLIENT_ID_EMPTY]: ['CLIENT_ID_EMPTY', 'client: id must be non-empty'],
  [CLIENT_REGION]: ['CLIENT_REGION', 'client: a region of the regions list'],
  [CLIENT_SEED]: ['CLIENT_SEED', 'client: seed a u32'],
  [MODEL_SHAPE]: ['MODEL_SHAPE', 'routing data: a field is missing or of the wrong type'],

  [BAD_REQUEST]: ['BAD_REQUEST', 'bad request: service a non-empty string, key a string, keyHash a u32, role primary or any'],
  [BAD_OPTIONS]: ['BAD_OPTIONS', 'bad argument to the router API'],
  [THREADS_FULL]: ['THREADS_FULL', 'shared router: every thread record is attached (createSharedRouter `threads`), or the one asked for is taken'],
};

/** The name of a code (`NO_SERVER`), or `E<code>` for a code this build does not know. */
export function errorName(code: number): string {
  return MESSAGES[code]?.[0] ?? `E${code}`;
}

/** The code of a name (`NO_SERVER` → 3), the reverse of errorName; undefined for an unknown name. */
export function errorCode(name: string): number | undefined {
  for (const [code, [n]] of Object.entries(MESSAGES)) if (n === name) return Number(code);
  return undefined;
}

export function errorMessage(code: number): string {
  return MESSAGES[code]?.[1] ?? `unknown error code ${code}`;
}

export const ROUTE_ERRORS = [NO_SERVICE, NO_KEY, NO_SERVER, NO_REPLICA] as const;

/**
 * A refused load of routing data (encoder, TS reader or WASM reader), or a refused API call.
 * `code` is the stable number, `name` its symbol, `detail` says where (which service, server, shard).
 */
export class RingrouteError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly detail: string;
  constructor(code: number, detail = '') {
    super(`${errorName(code)}: ${errorMessage(code)}${detail ? ` (${detail})` : ''}`);
    this.name = 'RingrouteError';
    this.code = code;
    this.codeName = errorName(code);
    this.detail = detail;
  }
}

/** A request that got no server: carries the spec's code (`NO_SERVER`, ...). */
export class RouteError extends RingrouteError {
  constructor(code: number, detail = '') {
    super(code, detail);
    this.name = 'RouteError';
  }
}
