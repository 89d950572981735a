// Runs conformance scenarios (spec/routing.md §4) against any Core. Used by the CLI
// (`ringroute conformance`), the vitest suite and, later, every runtime's runner.
import type { Core } from './core.js';
import { encodeMiniRib } from './encoder.js';
import * as E from './errors.js';
import { RingrouteError, errorName } from './errors.js';
import { type ClientModel, type RibModel, validateModel } from './model.js';
import { requestArgs, type RouteRequest } from './router.js';

/** A scenario's request: the router API's request (spec/routing.md §2). */
export type ScenarioRequest = RouteRequest;
export type Expectation = string | { error: string };

export interface Scenario {
  name: string;
  rib: RibModel;
  client: ClientModel;
  loads?: Record<string, number[]>;
  track?: boolean;
  requests?: ScenarioRequest[];
  expect?: Expectation[];
  /** invalid scenarios: the rule the routing data breaks */
  invalid?: string;
}

export interface Mismatch {
  request: number; // −1: the scenario as a whole (load, invalid data)
  expected: string;
  got: string;
}

export interface ScenarioResult {
  name: string;
  core: Core['kind'];
  passed: boolean;
  requests: number;
  mismatches: Mismatch[];
}

/** The rule texts of the shared invalid scenarios → the code each core must refuse them with. */
export const RULE_CODES: Record<string, number> = {
  'regions: unique names': E.REGION_NAMES_REPEAT,
  'rtt_us: one row of one entry per region, per region': E.RTT_SHAPE,
  'rtt_us: u32 microseconds or null': E.RTT_VALUE,
  'service: unique names': E.SERVICE_NAMES_REPEAT,
  'service: at most one of subset, shards, hash': E.POLICY_CONFLICT,
  'server: unique ids within a service': E.SERVER_IDS_REPEAT,
  'server: state up, draining or down': E.SERVER_STATE,
  'server: a region of the regions list': E.SERVER_REGION,
  'server: weight an integer in 1..1000000': E.SERVER_WEIGHT,
  'rings_us: a non-empty list': E.RINGS_EMPTY,
  'rings_us: strictly increasing': E.RINGS_ORDER,
  'rings_us: only the last ring may be unbounded': E.RINGS_UNBOUNDED_NOT_LAST,
  'spill: keep fractions in [0, 1]': E.SPILL_FRACTION,
  'spill: one keep fraction per ring': E.SPILL_LENGTH,
  'spill: keyed by a region of the regions list': E.SPILL_REGION,
  'hash: replicas an integer >= 1': E.HASH_REPLICAS,
  'shards: the first start is 0': E.SHARDS_FIRST_START,
  'shards: strictly increasing starts': E.SHARDS_ORDER,
  'shards: u32 starts': E.SHARDS_START_VALUE,
  'shards: one replica list per shard': E.SHARDS_LISTS,
  'shards: replica server index in range': E.SHARD_REPLICA_RANGE,
  'shards: a server at most once per shard': E.SHARD_REPLICA_TWICE,
  'shards: role primary or secondary': E.SHARD_ROLE,
  'shards: at most one primary per shard': E.SHARD_TWO_PRIMARIES,
  'client: seed a u32': E.CLIENT_SEED,
  'client: a region of the regions list': E.CLIENT_REGION,
};

const codeOf = (e: unknown): number => (e instanceof RingrouteError ? e.code : -1);
const show = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs one scenario on a fresh core from `makeCore`. Never throws for a core's wrong answer. */
export function runScenario(makeCore: () => Core, s: Scenario): ScenarioResult {
  const core = makeCore();
  const mismatches: Mismatch[] = [];
  const result = (): ScenarioResult => ({
    name: s.name, core: core.kind, passed: mismatches.length === 0,
    requests: s.requests?.length ?? 0, mismatches,
  });

  if (s.invalid !== undefined) {
    const want = RULE_CODES[s.invalid];
    const expected = want === undefined ? `refused (${s.invalid})` : `refused with ${errorName(want)}`;
    const ok = (code: number): boolean => code > 0 && (want === undefined || code === want);
    // 1. the model check (what the encoder runs first) must refuse it
    try {
      validateModel(s.rib, s.client);
      mismatches.push({ request: -1, expected, got: 'the model check accepted it' });
    } catch (e) {
      if (!ok(codeOf(e))) mismatches.push({ request: -1, expected, got: `model check: ${show(e)}` });
    }
    // 2. where the format can hold the broken data, the core's own validator must refuse it too.
    // The raw encoder refuses what the format cannot hold (a fractional weight; a spill list for a
    // ring list that is empty): then the model check above is the refusal.
    let buf: Uint8Array | null = null;
    try {
      buf = encodeMiniRib(s.rib, s.client, { check: false });
    } catch (e) {
      if (!(e instanceof RingrouteError)) mismatches.push({ request: -1, expected, got: `encoder crashed: ${show(e)}` });
    }
    if (buf !== null) {
      try {
        core.load(buf);
        mismatches.push({ request: -1, expected, got: `the ${core.kind} core loaded it` });
      } catch (e) {
        if (!ok(codeOf(e))) mismatches.push({ request: -1, expected, got: `${core.kind} core: ${show(e)}` });
      }
    }
    return result();
  }

  try {
    core.load(encodeMiniRib(s.rib, s.client));
  } catch (e) {
    mismatches.push({ request: -1, expected: 'the data loads', got: show(e) });
    return result();
  }
  const loads = core.loads();
  for (const [name, values] of Object.entries(s.loads ?? {})) {
    const svc = core.serviceIndex(name);
    if (svc < 0) continue;
    const first = core.serverFirst(svc);
    values.forEach((x, i) => { loads[first + i] = x; });
  }
  const requests = s.requests ?? [];
  const expect = s.expect ?? [];
  requests.forEach((r, i) => {
    const svc = core.serviceIndex(r.service);
    let decision: Expectation;
    if (svc < 0) {
      decision = { error: 'NO_SERVICE' };
    } else {
      const { flags, keyHash } = requestArgs(r);
      const d = core.route(svc, flags, keyHash);
      if (d >= 0) {
        decision = core.serverId(svc, d);
        if (s.track) core.loads()[core.serverFirst(svc) + d] += 1;
      } else {
        decision = { error: errorName(-d) };
      }
    }
    const label = (x: Expectation | undefined): string =>
      x === undefined ? '(no expectation)' : typeof x === 'string' ? x : `error ${x.error}`;
    if (label(decision) !== label(expect[i])) {
      mismatches.push({ request: i, expected: label(expect[i]), got: label(decision) });
    }
  });
  return result();
}
