// A small schema language for the control plane's inputs (API bodies, config files): each schema
// checks a JSON value and returns it typed, or throws a SchemaError naming the path and the rule,
// e.g. `body.servers[2].weight: must be an integer in 1..65535, got 0`. Unknown object fields are
// refused by default (a typo in a policy must not pass silently).
// Cost: O(size of the value), once per request or config load. Used by control/registry.ts,
// control/latency.ts, control/config.ts, control/server.ts.

export class SchemaError extends Error {
  constructor(readonly path: string, readonly rule: string) {
    super(`${path}: ${rule}`);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  /** Checks `value` (at `path`, for messages) and returns it typed (defaults filled in). */
  check(value: unknown, path: string): T;
  /** For messages and docs: "an integer in 1..65535". */
  readonly describe: string;
  /** Set on schemas made by optional(): the field may be absent. */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

const fail = (path: string, rule: string, got: unknown): never => {
  throw new SchemaError(path, `${rule}, got ${show(got)}`);
};

export function string(o: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Schema<string> {
  const min = o.min ?? 1, max = o.max ?? 256;
  const describe = o.what ?? `a string of ${min}..${max} characters${o.pattern ? ` matching ${o.pattern}` : ''}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'string' || v.length < min || v.length > max || (o.pattern && !o.pattern.test(v))) {
        fail(path, `must be ${describe}`, v);
      }
      return v as string;
    },
  };
}

export function int(o: { min?: number; max?: number } = {}): Schema<number> {
  const min = o.min ?? 0, max = o.max ?? Number.MAX_SAFE_INTEGER;
  const describe = `an integer in ${min}..${max}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `must be ${describe}`, v);
      return v as number;
    },
  };
}

export function number(o: { min?: number; max?: number } = {}): Schema<number> {
  const min = o.min ?? -Infinity, max = o.max ?? Infinity;
  const describe = `a number in ${min}..${max}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(path, `must be ${describe}`, v);
      return v as number;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    describe: 'true or false',
    check(v, path) {
      if (typeof v !== 'boolean') fail(path, 'must be true or false', v);
      return v as boolean;
    },
  };
}

export function literal<const T extends readonly (string | number | boolean | null)[]>(...values: T): Schema<T[number]> {
  const describe = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return {
    describe,
    check(v, path) {
      if (!values.includes(v as T[number])) fail(path, `must be ${describe}`, v);
      return v as T[number];
    },
  };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return {
    describe: `${s.describe} or null`,
    check: (v, path) => (v === null ? null : s.check(v, path)),
  };
}

export function optional<T>(s: Schema<T>, fallback?: T): Schema<T | undefined> {
  return {
    describe: `${s.describe} (optional)`,
    optional: true,
    check: (v, path) => (v === undefined ? fallback : s.check(v, path)),
  };
}

export function array<T>(item: Schema<T>, o: { min?: number; max?: number } = {}): Schema<T[]> {
  const min = o.min ?? 0, max = o.max ?? 1_000_000;
  const describe = `a list of ${min}..${max} items`;
  return {
    describe,
    check(v, path) {
      if (!Array.isArray(v)) return fail(path, `must be ${describe}`, v);
      if (v.length < min || v.length > max) fail(path, `must be ${describe}`, `${v.length} items`);
      return v.map((x, i) => item.check(x, `${path}[${i}]`));
    },
  };
}

/** May be absent; then `fallback`. The checked value is never undefined. */
export function withDefault<T>(s: Schema<T>, fallback: T): Schema<T> {
  return {
    describe: `${s.describe} (default ${JSON.stringify(fallback)})`,
    optional: true,
    check: (v, path) => (v === undefined ? fallback : s.check(v, path)),
  };
}

/** A map with string keys (checked by `key`) and values of one schema. */
export function record<T>(key: Schema<string>, value: Schema<T>, o: { max?: number } = {}): Schema<Record<string, T>> {
  const max = o.max ?? 100_000;
  return {
    describe: 'an object',
    check(v, path) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(path, 'must be an object', v);
      const entries = Object.entries(v);
      if (entries.length > max) fail(path, `must have at most ${max} entries`, `${entries.length}`);
      const out: Record<string, T> = {};
      for (const [k, x] of entries) {
        key.check(k, `${path} key ${JSON.stringify(k)}`);
        out[k] = value.check(x, `${path}.${k}`);
      }
      return out;
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : undefined extends Infer<S[K]> ? K : never }[keyof S];
export type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

export function object<S extends Shape>(shape: S, o: { extra?: boolean } = {}): Schema<ObjectOf<S>> {
  return {
    describe: `an object with fields ${Object.keys(shape).join(', ')}`,
    check(v, path) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(path, 'must be an object', v);
      const src = v as Record<string, unknown>;
      if (!o.extra) {
        for (const k of Object.keys(src)) {
          if (!Object.hasOwn(shape, k)) {
            throw new SchemaError(`${path}.${k}`, `is not a known field (known: ${Object.keys(shape).join(', ')})`);
          }
        }
      }
      // with `extra`, fields the shape doesn't name pass through unchecked (a later schema checks them)
      const out: Record<string, unknown> = o.extra ? { ...src } : {};
      for (const [k, s] of Object.entries(shape)) {
        if (src[k] === undefined && !s.optional) throw new SchemaError(`${path}.${k}`, `is required: ${s.describe}`);
        const x = s.check(src[k], `${path}.${k}`);
        if (x !== undefined) out[k] = x;
      }
      return out as ObjectOf<S>;
    },
  };
}

/** Checks that a value is one of several object shapes, told apart by a tag field. */
export function tagged<K extends string, M extends Record<string, Schema<unknown>>>(tag: K, variants: M): Schema<Infer<M[keyof M]>> {
  const names = Object.keys(variants);
  return {
    describe: `an object whose ${tag} is one of ${names.join(', ')}`,
    check(v, path) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(path, 'must be an object', v);
      const t = (v as Record<string, unknown>)[tag];
      if (typeof t !== 'string' || !Object.hasOwn(variants, t)) fail(`${path}.${tag}`, `must be one of ${names.join(', ')}`, t);
      return variants[t as string].check(v, path) as Infer<M[keyof M]>;
    },
  };
}

/** Adds a whole-value rule after the shape checks (cross-field rules). */
export function refine<T>(s: Schema<T>, rule: (v: T, path: string) => void): Schema<T> {
  return {
    describe: s.describe,
    optional: s.optional,
    check(v, path) {
      const out = s.check(v, path);
      rule(out, path);
      return out;
    },
  };
}

/** Names used in the RIB: services, regions, server ids, tenants. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
export const name = (what: string, max = 128): Schema<string> =>
  string({ min: 1, max, pattern: NAME, what: `${what}: 1..${max} characters of A-Z a-z 0-9 . _ : @ - (not starting with a punctuation mark)` });
