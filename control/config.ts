// Routing policy as code: loads, validates, canonicalises, hashes and diffs a *config set*, the
// per-service routing policies kept as a directory of YAML / JSON files and applied with
// `ringroute config apply <dir>`. The format is documented in examples/mesh/config/README.md.
//
// Pure (no store, no network): the CLI calls loadConfigDir(); the control server calls
// parseConfigFiles() on uploaded files, validateConfigSet() / servicePolicySchema on JSON bodies,
// diffConfigSets() / formatDiff() to show what an apply or a rollback changes, configHash() for
// the version identity; the RIB daemon calls policyToModel() to merge a policy into the routing
// model (bindings/model.ts). Every check goes through control/schema.ts, and a set is validated
// as a whole: a ConfigError lists EVERY problem found, each as `file: path: rule`.
// A directory is read non-recursively: *.yaml / *.yml / *.json are read, dotfiles and *.md ignored,
// anything else (and subdirectories) refused; no config file at all is refused too.
//
// Cost: O(total bytes of the files) to parse and check, O(services × fields) to diff or hash;
// run once per apply / API call, never on the routing path.

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { DEFAULT_RINGS_US, type ServiceModel } from '../bindings/model.js';
import { SchemaError, array, boolean, int, literal, name, nullable, number, object, optional, type Schema } from './schema.js';

// ── the policy ───────────────────────────────────────────────────────────────────

export type RoutingMode = 'random' | 'subset' | 'key' | 'sharded';
export type RetryOn = 'connect_failure' | 'timeout' | '5xx';
export type LoadMode = 'adaptive' | 'outstanding' | 'piggyback' | 'poll';

export interface RetryPolicy {
  /** Retries after the first try (0 = off). */
  attempts: number;
  /** Retries allowed as a fraction of this client's requests to the service (retry budget). */
  budget_ratio: number;
  /** Retries per second always allowed, whatever the ratio (so quiet clients can still retry). */
  budget_min_per_s: number;
  /** What is retried, in canonical order: connect_failure, timeout, 5xx. */
  on: RetryOn[];
  /** Timeouts and 5xx are retried only for requests the caller marks idempotent. */
  idempotent_only: boolean;
  /** Exponential backoff with full jitter: the n-th retry waits random(0, min(max, base·2^(n-1))). */
  backoff_base_ms: number;
  backoff_max_ms: number;
}

export interface LoadPolicy {
  /**
   * Where pick-2 gets a server's load: outstanding = this client's in-flight requests; piggyback =
   * reported on responses; poll = a just-in-time poll of a candidate whose report is older than
   * staleness_ms; adaptive = piggyback when fresh, a poll for an idle client, else outstanding
   * (spec/load.md).
   */
  mode: LoadMode;
  /** A reported load older than this is not used (adaptive falls back to outstanding requests). */
  staleness_ms: number;
}

export interface OutlierPolicy {
  /** Consecutive 5xx / connect failures that eject a server (0 = outlier ejection off). */
  consecutive_5xx: number;
  /** How long an ejected server stays out. */
  ejection_ms: number;
  /** Never eject more than this share of the service's servers. */
  max_ejected_percent: number;
}

export interface XrsPolicy {
  /** Spill to the next ring when the nearer one runs above this utilisation. */
  target_utilization: number;
}

/** One service's policy, canonical: every field present (subset / replicas only in their mode). */
export interface ServicePolicy {
  service: string;
  mode: RoutingMode;
  /** mode subset only: connection subset size (rendezvous on the client, pick-2 within). */
  subset?: number;
  /** mode key only: owners per key (key-rendezvous, pick-2 among them). */
  replicas?: number;
  /** Locality ring bounds in ms, strictly increasing; null = unbounded (last only). */
  rings_ms: (number | null)[];
  /** Per try (each retry gets a fresh timeout; a caller's own deadline still bounds the call). */
  timeout_ms: number;
  connect_timeout_ms: number;
  retries: RetryPolicy;
  load: LoadPolicy;
  outlier: OutlierPolicy;
  /** Cross-region spill control; null = off (the nearest non-empty ring takes everything). */
  xrs: XrsPolicy | null;
}

/** Canonical: services keyed and sorted by name, each policy complete. */
export interface ConfigSet {
  services: Record<string, ServicePolicy>;
}

export interface FieldChange {
  path: string;
  /** undefined = the field was absent (e.g. `subset` before the mode became subset). */
  from: unknown;
  to: unknown;
}

export interface ConfigChange {
  service: string;
  kind: 'added' | 'removed' | 'changed';
  /** kind 'changed' only: the leaf fields that differ, in canonical field order. */
  fields?: FieldChange[];
}

/** Thrown for any invalid input; `problems` holds every problem found, each `file: path: rule`. */
export class ConfigError extends SchemaError {
  readonly problems: string[];
  constructor(problems: string[]) {
    const text = problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`;
    super('config', text);
    this.name = 'ConfigError';
    this.message = text;
    this.problems = problems;
  }
}

export const CONFIG_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
/** Per file; a larger file is refused rather than parsed. */
export const MAX_FILE_BYTES = 1 << 20;
export const MAX_SERVICES = 10_000;
export const DEFAULT_RINGS_MS: readonly (number | null)[] = DEFAULT_RINGS_US.map((b) => (b === null ? null : b / 1000));
/** Largest ring bound: one minute (the model's limit is u32 µs, ~71.6 minutes). */
export const MAX_RING_MS = 60_000;
export const MAX_RINGS = 16;
export const DEFAULT_SUBSET = 16;
export const DEFAULT_REPLICAS = 3;

// ── a collecting object schema ────────────────────────────────────────────────
// control/schema.ts's object() stops at the first problem; group() checks every field with its
// schema and reports them all (as a ConfigError, which is a SchemaError, so it composes).

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const msg = (path: string, rule: string): string => (path ? `${path}: ${rule}` : rule);
const anyObject = object({}, { extra: true });
/** Checks (through schema.ts) that `v` is a plain object and returns it as is. */
const asObject = (v: unknown, path: string): Record<string, unknown> => {
  anyObject.check(v, path);
  return v as Record<string, unknown>;
};

function absorb(e: unknown, problems: string[]): void {
  if (e instanceof ConfigError) problems.push(...e.problems);
  else if (e instanceof SchemaError) problems.push(msg(e.path, e.rule));
  else throw e;
}

/** Levenshtein distance ≤ 2, for "did you mean" on unknown fields. */
function near(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] <= 2;
}

type Report = (path: string, rule: string) => void;
/** Cross-field rules: sees the fields that passed (failed ones are absent) and the raw input. */
type Finish<T> = (v: Partial<T>, raw: Record<string, unknown>, path: string, report: Report) => T;

function group<T>(shape: Record<string, Schema<unknown>>, finish: Finish<T>): Schema<T> {
  const known = Object.keys(shape);
  return {
    describe: `an object with fields ${known.join(', ')}`,
    check(v, path) {
      const problems: string[] = [];
      const report: Report = (p, rule) => problems.push(msg(p, rule));
      let raw: Record<string, unknown>;
      try {
        raw = asObject(v, path);
      } catch (e) {
        absorb(e, problems);
        throw new ConfigError(problems);
      }
      for (const k of Object.keys(raw)) {
        if (!Object.hasOwn(shape, k)) {
          const guess = known.find((f) => near(k, f) || (k.length >= 4 && (f.startsWith(k) || k.startsWith(f))));
          report(at(path, k), `is not a known field${guess ? `, did you mean ${guess}?` : ''} (known: ${known.join(', ')})`);
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(shape)) {
        if (raw[k] === undefined && !s.optional) {
          report(at(path, k), `is required: ${s.describe}`);
          continue;
        }
        try {
          const x = s.check(raw[k], at(path, k));
          if (x !== undefined) out[k] = x;
        } catch (e) {
          absorb(e, problems);
        }
      }
      const done = finish(out as Partial<T>, raw, path, report);
      if (problems.length > 0) throw new ConfigError(problems);
      return done;
    },
  };
}

/** An optional nested group: absent means "all its defaults". */
const orEmpty = <T>(s: Schema<T>): Schema<T> => ({
  describe: `${s.describe} (optional)`,
  optional: true,
  check: (v, path) => s.check(v === undefined ? {} : v, path),
});

const ringBound = nullable(number({ min: 0, max: MAX_RING_MS }));
const anything: Schema<unknown> = { describe: 'anything', check: (x) => x };
const ringsSchema: Schema<(number | null)[]> = {
  describe: `a list of 1..${MAX_RINGS} ring bounds in ms, strictly increasing, the last may be null (unbounded)`,
  check(v, path) {
    const list = array(anything, { min: 1, max: MAX_RINGS }).check(v, path);
    const problems: string[] = [];
    const out: (number | null)[] = [];
    let prev: number | null | undefined;
    list.forEach((x, i) => {
      const p = `${path}[${i}]`;
      try {
        const b = ringBound.check(x, p);
        if (b === null) {
          if (i !== list.length - 1) problems.push(msg(p, 'null (unbounded) is allowed only as the last ring'));
        } else if (Math.abs(Math.round(b * 1000) - b * 1000) > 1e-6) {
          problems.push(msg(p, `must be a whole number of microseconds (at most 3 decimals), got ${b}`));
        } else if (typeof prev === 'number' && b <= prev) {
          problems.push(msg(p, `must be greater than ${path}[${i - 1}] (${prev}), got ${b}`));
        }
        out.push(b === null ? null : Math.round(b * 1000) / 1000 + 0);
        prev = b;
      } catch (e) {
        absorb(e, problems);
        prev = undefined;
      }
    });
    if (problems.length > 0) throw new ConfigError(problems);
    return out;
  },
};

const RETRY_ON: readonly RetryOn[] = ['connect_failure', 'timeout', '5xx'];
const retryOnSchema: Schema<RetryOn[]> = {
  describe: `a list of ${RETRY_ON.join(', ')} (no repeats)`,
  check(v, path) {
    const list = array(literal(...RETRY_ON), { max: RETRY_ON.length }).check(v, path);
    const seen = new Set<RetryOn>();
    list.forEach((x, i) => {
      if (seen.has(x)) throw new SchemaError(`${path}[${i}]`, `${x} is listed twice`);
      seen.add(x);
    });
    return RETRY_ON.filter((x) => seen.has(x));
  },
};

const retriesSchema = group<RetryPolicy>(
  {
    attempts: optional(int({ min: 0, max: 5 }), 2),
    budget_ratio: optional(number({ min: 0, max: 1 }), 0.2),
    budget_min_per_s: optional(int({ min: 0, max: 10_000 }), 10),
    on: optional(retryOnSchema),
    idempotent_only: optional(boolean(), true),
    backoff_base_ms: optional(int({ min: 1, max: 10_000 }), 25),
    backoff_max_ms: optional(int({ min: 1, max: 60_000 }), 250),
  },
  (v, raw, path, report) => {
    const on = v.on ?? (raw.on === undefined ? (['connect_failure', '5xx'] as RetryOn[]) : undefined);
    if (v.backoff_base_ms !== undefined && v.backoff_max_ms !== undefined && v.backoff_base_ms > v.backoff_max_ms) {
      report(at(path, 'backoff_max_ms'), `must be at least backoff_base_ms (${v.backoff_base_ms}), got ${v.backoff_max_ms}`);
    }
    if (on !== undefined && on.length === 0 && v.attempts !== undefined && v.attempts > 0) {
      report(at(path, 'on'), `is empty, so attempts: ${v.attempts} would never be used; set attempts: 0 to turn retries off`);
    }
    return {
      attempts: v.attempts!,
      budget_ratio: v.budget_ratio!,
      budget_min_per_s: v.budget_min_per_s!,
      on: on!,
      idempotent_only: v.idempotent_only!,
      backoff_base_ms: v.backoff_base_ms!,
      backoff_max_ms: v.backoff_max_ms!,
    };
  },
);

const loadSchema = group<LoadPolicy>(
  {
    mode: optional(literal('adaptive', 'outstanding', 'piggyback', 'poll'), 'adaptive'),
    staleness_ms: optional(int({ min: 1, max: 600_000 }), 1000),
  },
  (v) => ({ mode: v.mode!, staleness_ms: v.staleness_ms! }),
);

const outlierSchema = group<OutlierPolicy>(
  {
    consecutive_5xx: optional(int({ min: 0, max: 1000 }), 5),
    ejection_ms: optional(int({ min: 1, max: 3_600_000 }), 30_000),
    max_ejected_percent: optional(int({ min: 0, max: 100 }), 20),
  },
  (v) => ({ consecutive_5xx: v.consecutive_5xx!, ejection_ms: v.ejection_ms!, max_ejected_percent: v.max_ejected_percent! }),
);

const xrsSchema = group<XrsPolicy>(
  { target_utilization: optional(number({ min: 0.05, max: 1 }), 0.8) },
  (v) => ({ target_utilization: v.target_utilization! }),
);

/** Validates one policy (all problems at once, as a ConfigError) and returns it canonical. */
export const servicePolicySchema: Schema<ServicePolicy> = group<ServicePolicy>(
  {
    service: name('a service name'),
    mode: optional(literal('random', 'subset', 'key', 'sharded'), 'random'),
    subset: optional(int({ min: 2, max: 10_000 })),
    replicas: optional(int({ min: 1, max: 100 })),
    rings_ms: optional(ringsSchema),
    timeout_ms: optional(int({ min: 1, max: 600_000 }), 1000),
    connect_timeout_ms: optional(int({ min: 1, max: 60_000 }), 250),
    retries: orEmpty(retriesSchema),
    load: orEmpty(loadSchema),
    outlier: orEmpty(outlierSchema),
    xrs: optional(nullable(xrsSchema), null),
  },
  (v, raw, path, report) => {
    const mode = v.mode;
    const rings = v.rings_ms ?? (raw.rings_ms === undefined ? [...DEFAULT_RINGS_MS] : undefined);
    if (mode !== undefined) {
      if (v.subset !== undefined && mode !== 'subset') report(at(path, 'subset'), `is only used with mode: subset (mode is ${mode})`);
      if (v.replicas !== undefined && mode !== 'key') report(at(path, 'replicas'), `is only used with mode: key (mode is ${mode})`);
      // (the default rings are accepted, so the canonical form, which carries them, validates again)
      if (mode === 'key' && v.rings_ms !== undefined && canonicalJson(v.rings_ms) !== canonicalJson(DEFAULT_RINGS_MS)) {
        report(at(path, 'rings_ms'), 'is not used by mode: key (every client must agree on a key\'s owners, so key routing ignores locality); remove it');
      }
      if (mode === 'key' && v.xrs) report(at(path, 'xrs'), 'is not used by mode: key (key routing ignores locality, so there is nothing to spill); remove it');
    }
    if (mode !== 'key' && v.xrs && rings !== undefined && rings.length < 2) {
      report(at(path, 'xrs'), `needs at least two rings in rings_ms to spill between, got ${JSON.stringify(rings)}`);
    }
    if (v.timeout_ms !== undefined && v.connect_timeout_ms !== undefined && v.connect_timeout_ms > v.timeout_ms) {
      report(at(path, 'connect_timeout_ms'), `must be at most timeout_ms (${v.timeout_ms}), got ${v.connect_timeout_ms}`);
    }
    return {
      service: v.service!,
      mode: mode!,
      ...(mode === 'subset' ? { subset: v.subset ?? DEFAULT_SUBSET } : {}),
      ...(mode === 'key' ? { replicas: v.replicas ?? DEFAULT_REPLICAS } : {}),
      rings_ms: rings!,
      timeout_ms: v.timeout_ms!,
      connect_timeout_ms: v.connect_timeout_ms!,
      retries: v.retries!,
      load: v.load!,
      outlier: v.outlier!,
      xrs: v.xrs ?? null,
    };
  },
);

// ── files ─────────────────────────────────────────────────────────────────────

type FileKind = 'yaml' | 'json' | 'ignored' | 'refused';

/** Dotfiles and *.md are ignored; *.yaml, *.yml, *.json are read; anything else is refused. */
export function configFileKind(fileName: string): FileKind {
  const lower = fileName.toLowerCase();
  if (fileName.startsWith('.') || lower.endsWith('.md')) return 'ignored';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  return 'refused';
}

const REFUSED = `is not a config file: only *.yaml, *.yml and *.json are read (dotfiles and *.md are ignored); rename or move it`;

/** The parser's DUPLICATE_KEY points at the repeated key: name it. */
function duplicateKey(text: string, pos: number): string {
  const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:\s,{}[\]]+)/.exec(text.slice(pos))?.[1];
  return `${key ? `key ${key.startsWith('"') || key.startsWith("'") ? key : JSON.stringify(key)}` : 'a key'} is repeated in the same mapping (a field may appear once)`;
}

function parseYaml(file: string, text: string, problems: string[]): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    merge: false,
    strict: true,
    uniqueKeys: true,
    prettyErrors: false,
    lineCounter: lines,
  });
  const errors = [...doc.errors, ...doc.warnings];
  for (const e of errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    const what = e.code === 'MULTIPLE_DOCS'
      ? 'holds several YAML documents (---): write one policy per file, or one services: [...] list'
      : e.code === 'DUPLICATE_KEY' ? duplicateKey(text, e.pos[0]) : e.message;
    problems.push(`${file}: line ${line}, column ${col}: YAML syntax: ${what}`);
  }
  if (errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    problems.push(`${file}: YAML: ${(e as Error).message}`);
    return undefined;
  }
}

function parseJson(file: string, text: string, problems: string[]): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = /^(.*?)(?: in JSON)? at position (\d+)/.exec((e as Error).message);
    if (m) {
      const before = text.slice(0, Number(m[2]));
      const line = before.split('\n').length;
      const col = before.length - before.lastIndexOf('\n');
      problems.push(`${file}: line ${line}, column ${col}: JSON syntax: ${m[1]}`);
    } else {
      problems.push(`${file}: JSON syntax: ${(e as Error).message}`);
    }
    return undefined;
  }
  // JSON.parse keeps the last of repeated keys silently; the YAML parser (JSON is YAML 1.2) finds them.
  const lines = new LineCounter();
  const doc = parseDocument(text, { schema: 'json', uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  let repeated = false;
  for (const e of doc.errors) {
    if (e.code !== 'DUPLICATE_KEY') continue;
    const { line, col } = lines.linePos(e.pos[0]);
    problems.push(`${file}: line ${line}, column ${col}: JSON: ${duplicateKey(text, e.pos[0])}`);
    repeated = true;
  }
  return repeated ? undefined : value;
}

/** The policies a parsed file holds, each with its path inside the file ('' for a one-policy file). */
function entriesOf(file: string, doc: unknown, problems: string[]): [string, unknown][] {
  if (doc === null || doc === undefined) {
    problems.push(`${file}: is empty: expected one policy (service: ...) or a list (services: [...])`);
    return [];
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    problems.push(`${file}: must be a mapping: one policy (service: ...) or a list (services: [...]), got ${Array.isArray(doc) ? 'a list' : JSON.stringify(doc)}`);
    return [];
  }
  const top = doc as Record<string, unknown>;
  if (!Object.hasOwn(top, 'services')) return [['', top]];
  for (const k of Object.keys(top)) {
    if (k !== 'services') problems.push(`${file}: ${k}: is not a known field (a file with services: [...] holds only that list)`);
  }
  try {
    const list = array(anything, { min: 1, max: MAX_SERVICES }).check(top.services, 'services');
    return list.map((x, i) => [`services[${i}]`, x]);
  } catch (e) {
    const found: string[] = [];
    absorb(e, found);
    problems.push(...found.map((m) => `${file}: ${m}`));
    return [];
  }
}

function parseInto(files: { name: string; text: string }[], where: string, problems: string[]): ConfigSet {
  const services: Record<string, ServicePolicy> = {};
  const origin = new Map<string, string>();
  const names = new Set<string>();
  let configFiles = 0;
  for (const f of files) {
    if (typeof f.name !== 'string' || f.name === '' || /[/\\]/.test(f.name) || f.name === '..') {
      problems.push(`${JSON.stringify(f.name)}: must be a plain file name (no directory part)`);
      continue;
    }
    if (names.has(f.name)) {
      problems.push(`${f.name}: is given twice`);
      continue;
    }
    names.add(f.name);
    const kind = configFileKind(f.name);
    if (kind === 'ignored') continue;
    if (kind === 'refused') {
      problems.push(`${f.name}: ${REFUSED}`);
      continue;
    }
    configFiles++;
    if (typeof f.text !== 'string') {
      problems.push(`${f.name}: has no text`);
      continue;
    }
    if (Buffer.byteLength(f.text) > MAX_FILE_BYTES) {
      problems.push(`${f.name}: is larger than ${MAX_FILE_BYTES} bytes`);
      continue;
    }
    const text = f.text.startsWith('\uFEFF') ? f.text.slice(1) : f.text;
    const before = problems.length;
    const doc = kind === 'yaml' ? parseYaml(f.name, text, problems) : parseJson(f.name, text, problems);
    if (problems.length > before) continue;
    for (const [path, raw] of entriesOf(f.name, doc, problems)) {
      const here = path ? `${f.name} ${path}` : f.name;
      const claimed = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).service : undefined;
      if (typeof claimed === 'string' && claimed !== '') {
        const first = origin.get(claimed);
        if (first !== undefined) {
          problems.push(`${f.name}: ${at(path, 'service')}: ${JSON.stringify(claimed)} is already defined in ${first}; a service has one policy`);
        } else {
          origin.set(claimed, here);
        }
      }
      try {
        const p = servicePolicySchema.check(raw, path);
        if (!Object.hasOwn(services, p.service)) services[p.service] = p;
      } catch (e) {
        const found: string[] = [];
        absorb(e, found);
        problems.push(...found.map((m) => `${f.name}: ${m}`));
      }
    }
  }
  if (configFiles === 0) problems.push(`${where}: no config files (*.yaml, *.yml, *.json)`);
  if (origin.size > MAX_SERVICES) problems.push(`${where}: more than ${MAX_SERVICES} services`);
  return sortSet(services);
}

function sortSet(services: Record<string, ServicePolicy>): ConfigSet {
  const out: Record<string, ServicePolicy> = {};
  for (const k of Object.keys(services).sort(byCodeUnit)) out[k] = services[k];
  return { services: out };
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Parses and validates a config set given as files (name and text): the server uses it for
 * uploaded files, loadConfigDir() for a directory. Names are plain file names; the extension
 * picks the parser (see configFileKind). Throws a ConfigError listing every problem.
 */
export function parseConfigFiles(files: { name: string; text: string }[]): ConfigSet {
  const problems: string[] = [];
  if (!Array.isArray(files)) throw new ConfigError(['files: must be a list of { name, text }']);
  const set = parseInto(files, 'config', problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return set;
}

/**
 * Reads a config directory (not recursively): every *.yaml, *.yml, *.json file. Dotfiles and *.md
 * are ignored; other files and subdirectories are refused (so a misspelt extension or a file
 * meant to be read never drops out silently). No config file at all is an error too.
 */
export async function loadConfigDir(dir: string): Promise<ConfigSet> {
  const problems: string[] = [];
  const files = await readDir(dir, problems);
  const set = parseInto(files, dir, problems);
  if (problems.length > 0) throw configError(dir, problems);
  return set;
}

/**
 * The texts of a config directory's files, as `loadConfigDir` reads them, for a client that sends
 * them to the control server (which parses and validates them): throws ConfigError for every
 * file the format refuses or that cannot be read, so no file is left out silently.
 */
export async function readConfigFiles(dir: string): Promise<{ name: string; text: string }[]> {
  const problems: string[] = [];
  const files = await readDir(dir, problems);
  if (files.length === 0 && problems.length === 0) problems.push(`${dir}: no config files (*.yaml, *.yml, *.json)`);
  if (problems.length > 0) throw configError(dir, problems);
  return files;
}

/** Reads the config files of `dir` (not recursively), adding a problem for each file it refuses. */
async function readDir(dir: string, problems: string[]): Promise<{ name: string; text: string }[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort(byCodeUnit);
  } catch (e) {
    throw new ConfigError([`${dir}: cannot read the directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  const files: { name: string; text: string }[] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (const entry of entries) {
    const kind = configFileKind(entry);
    if (kind === 'ignored') continue;
    const full = join(dir, entry);
    let info;
    try {
      info = await stat(full);
    } catch (e) {
      problems.push(`${entry}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    if (info.isDirectory()) {
      problems.push(`${entry}: is a directory; config directories are not read recursively`);
      continue;
    }
    if (kind === 'refused') {
      problems.push(`${entry}: ${REFUSED}`);
      continue;
    }
    if (!info.isFile()) {
      problems.push(`${entry}: is not a regular file`);
      continue;
    }
    if (info.size > MAX_FILE_BYTES) {
      problems.push(`${entry}: is larger than ${MAX_FILE_BYTES} bytes`);
      continue;
    }
    try {
      files.push({ name: entry, text: utf8.decode(await readFile(full)) });
    } catch (e) {
      problems.push(`${entry}: ${e instanceof TypeError ? 'is not valid UTF-8' : `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`}`);
    }
  }
  return files;
}

function configError(dir: string, problems: string[]): ConfigError {
  // A refused or unreadable file is not "no config files": drop that complaint when others explain it.
  const none = `${dir}: no config files (*.yaml, *.yml, *.json)`;
  const list = problems.length > 1 ? problems.filter((p) => p !== none) : problems;
  // by file (each problem starts with its file name), keeping each file's problems in order
  const file = (p: string): string => p.slice(0, p.indexOf(': '));
  return new ConfigError(list.map((p, i) => [p, i] as const).sort(([a, i], [b, j]) => byCodeUnit(file(a), file(b)) || i - j).map(([p]) => p));
}

/** Validates a whole ConfigSet sent as JSON (defaults are filled in, so policies may be partial). */
export function validateConfigSet(value: unknown): ConfigSet {
  const problems: string[] = [];
  let raw: Record<string, unknown>;
  try {
    raw = asObject(value, 'config');
  } catch (e) {
    absorb(e, problems);
    throw new ConfigError(problems);
  }
  for (const k of Object.keys(raw)) {
    if (k !== 'services') problems.push(`${k}: is not a known field (known: services)`);
  }
  const services: Record<string, ServicePolicy> = {};
  try {
    const map = asObject(raw.services, 'services');
    const keys = Object.keys(map);
    if (keys.length === 0) problems.push('services: must name at least one service');
    if (keys.length > MAX_SERVICES) problems.push(`services: must have at most ${MAX_SERVICES} entries, got ${keys.length}`);
    const key = name('a service name');
    for (const k of keys) {
      try {
        key.check(k, `services key ${JSON.stringify(k)}`);
        const p = servicePolicySchema.check(map[k], `services.${k}`);
        if (p.service !== k) problems.push(`services.${k}.service: must equal its key ${JSON.stringify(k)}, got ${JSON.stringify(p.service)}`);
        else services[k] = p;
      } catch (e) {
        absorb(e, problems);
      }
    }
  } catch (e) {
    absorb(e, problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sortSet(services);
}

// ── identity, diff, model ─────────────────────────────────────────────────────

/** JSON with object keys sorted (recursively) and no whitespace; undefined fields dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const o = value as Record<string, unknown>;
  const parts = Object.keys(o).sort(byCodeUnit).filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`);
  return `{${parts.join(',')}}`;
}

/** The version identity of a (validated, canonical) set: sha256 hex of its canonical JSON. */
export function configHash(set: ConfigSet): string {
  return createHash('sha256').update(canonicalJson(set)).digest('hex');
}

const FIELD_ORDER = [
  'service', 'mode', 'subset', 'replicas', 'rings_ms', 'timeout_ms', 'connect_timeout_ms', 'retries', 'load', 'outlier', 'xrs',
  'attempts', 'budget_ratio', 'budget_min_per_s', 'on', 'idempotent_only', 'backoff_base_ms', 'backoff_max_ms',
  'staleness_ms', 'consecutive_5xx', 'ejection_ms', 'max_ejected_percent', 'target_utilization',
];
const rank = (k: string): number => {
  const i = FIELD_ORDER.indexOf(k);
  return i < 0 ? FIELD_ORDER.length : i;
};
const isPlainObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

function diffValues(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => rank(x) - rank(y) || byCodeUnit(x, y));
    for (const k of keys) diffValues(a[k], b[k], at(path, k), out);
  } else if (canonicalJson(a) !== canonicalJson(b) || (a === undefined) !== (b === undefined)) {
    out.push({ path, from: a, to: b });
  }
}

/** What changes from `from` to `to`: per service added / removed / changed (with leaf fields), by name. */
export function diffConfigSets(from: ConfigSet, to: ConfigSet): ConfigChange[] {
  const names = [...new Set([...Object.keys(from.services), ...Object.keys(to.services)])].sort(byCodeUnit);
  const changes: ConfigChange[] = [];
  for (const service of names) {
    const a = Object.hasOwn(from.services, service) ? from.services[service] : undefined;
    const b = Object.hasOwn(to.services, service) ? to.services[service] : undefined;
    if (a === undefined) changes.push({ service, kind: 'added' });
    else if (b === undefined) changes.push({ service, kind: 'removed' });
    else {
      const fields: FieldChange[] = [];
      diffValues(a, b, '', fields);
      if (fields.length > 0) changes.push({ service, kind: 'changed', fields });
    }
  }
  return changes;
}

const showValue = (v: unknown): string =>
  v === undefined ? '(none)' : typeof v === 'string' && /^[A-Za-z0-9._:@-]+$/.test(v) ? v : canonicalJson(v);

/** One line per added / removed service and per changed field: `+ search`, `- old`, `~ web: subset 20 → 10`. */
export function formatDiff(changes: ConfigChange[]): string {
  if (changes.length === 0) return 'no changes';
  const lines: string[] = [];
  for (const c of changes) {
    if (c.kind === 'added') lines.push(`+ ${c.service}`);
    else if (c.kind === 'removed') lines.push(`- ${c.service}`);
    else for (const f of c.fields ?? []) lines.push(`~ ${c.service}: ${f.path} ${showValue(f.from)} → ${showValue(f.to)}`);
  }
  return lines.join('\n');
}

/**
 * The routing-model part of a policy, to merge into the service's ServiceModel (its servers come
 * from the registry). mode subset → `subset`, key → `hash: { replicas }`, random and sharded →
 * neither (a sharded service's `shards` come from the shard manager); rings always.
 */
export function policyToModel(p: ServicePolicy): Pick<ServiceModel, 'rings_us' | 'subset' | 'hash'> {
  const out: Pick<ServiceModel, 'rings_us' | 'subset' | 'hash'> = {
    rings_us: p.rings_ms.map((b) => (b === null ? null : Math.round(b * 1000))),
  };
  if (p.mode === 'subset') out.subset = p.subset ?? DEFAULT_SUBSET;
  if (p.mode === 'key') out.hash = { replicas: p.replicas ?? DEFAULT_REPLICAS };
  return out;
}
