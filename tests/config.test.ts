// The config controller's pure part (control/config.ts): loading a directory of YAML / JSON
// policies, validating the set as a whole (every problem, each with file and path), defaults and
// canonical form, diffs, the version hash, and the mapping onto the routing model.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RingrouteError } from '../bindings/errors.js';
import { type RibModel, type ServiceModel, validateModel } from '../bindings/model.js';
import {
  type ConfigChange, ConfigError, type ConfigSet, type ServicePolicy, canonicalJson, configFileKind, configHash,
  diffConfigSets, formatDiff, loadConfigDir, parseConfigFiles, policyToModel, servicePolicySchema, validateConfigSet,
} from '../control/config.js';
import { SchemaError } from '../control/schema.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./config-fixtures/${name}`, import.meta.url));
const examples = fileURLToPath(new URL('../examples/mesh/config', import.meta.url));

/** The problems a call reports (fails the test if it does not throw a ConfigError). */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError, got a valid set');
}
async function problemsOfDir(dir: string): Promise<string[]> {
  try {
    await loadConfigDir(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError, got a valid set');
}
const yamlFile = (text: string, name = 'web.yaml') => [{ name, text }];

const DEFAULTS = {
  rings_ms: [5, 35, 80, null],
  timeout_ms: 1000,
  connect_timeout_ms: 250,
  retries: {
    attempts: 2, budget_ratio: 0.2, budget_min_per_s: 10, on: ['connect_failure', '5xx'],
    idempotent_only: true, backoff_base_ms: 25, backoff_max_ms: 250,
  },
  load: { mode: 'adaptive', staleness_ms: 1000 },
  outlier: { consecutive_5xx: 5, ejection_ms: 30000, max_ejected_percent: 20 },
  xrs: null,
};

describe('loading a config directory', () => {
  it('valid dir: loads every .yaml/.yml/.json, both file forms, fills the defaults, sorts by name', async () => {
    const set = await loadConfigDir(fixture('valid'));
    expect(Object.keys(set.services)).toEqual(['auth', 'billing', 'kv', 'search', 'web']);
    expect(set.services.web).toEqual({ ...DEFAULTS, service: 'web', mode: 'subset', subset: 6, xrs: { target_utilization: 0.8 } });
    expect(set.services.kv).toEqual({ ...DEFAULTS, service: 'kv', mode: 'sharded', rings_ms: [5, 35, null], timeout_ms: 100, connect_timeout_ms: 50 });
    expect(set.services.search).toEqual({ ...DEFAULTS, service: 'search', mode: 'key', replicas: 3, load: { mode: 'piggyback', staleness_ms: 500 } });
    expect(set.services.auth).toEqual({ ...DEFAULTS, service: 'auth', mode: 'random', retries: { ...DEFAULTS.retries, attempts: 0 } });
    expect(set.services.billing.outlier.consecutive_5xx).toBe(0);
    // canonical key order, mode-specific fields right after mode
    expect(Object.keys(set.services.web)).toEqual([
      'service', 'mode', 'subset', 'rings_ms', 'timeout_ms', 'connect_timeout_ms', 'retries', 'load', 'outlier', 'xrs',
    ]);
  });

  it('defaults are fresh objects: changing one loaded policy does not change another', async () => {
    const set = await loadConfigDir(fixture('valid'));
    set.services.auth.rings_ms.push(1);
    set.services.auth.retries.on.push('timeout');
    expect(set.services.billing.rings_ms).toEqual([5, 35, 80, null]);
    expect(set.services.billing.retries.on).toEqual(['connect_failure', '5xx']);
  });

  it('YAML and JSON forms equal: one file per policy, a JSON list, a YAML list give the same set and hash', async () => {
    const a = await loadConfigDir(fixture('forms-yaml'));
    const b = await loadConfigDir(fixture('forms-json'));
    const c = await loadConfigDir(fixture('forms-list'));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(configHash(b)).toBe(configHash(a));
    expect(configHash(c)).toBe(configHash(a));
    expect(a.services.web.retries.on).toEqual(['timeout', '5xx']); // canonical order, whatever the file's
    expect(a.services.web.rings_ms).toEqual([2.5, 30, null]);
  });

  it('the example directory (examples/mesh/config) loads; its README is ignored', async () => {
    const set = await loadConfigDir(examples);
    expect(Object.keys(set.services)).toEqual(['kv', 'search', 'web']);
    expect(set.services.web).toMatchObject({ mode: 'subset', subset: 6, xrs: { target_utilization: 0.8 } });
    expect(set.services.kv.mode).toBe('sharded');
    expect(set.services.search).toMatchObject({ mode: 'key', replicas: 3 });
  });

  const dirCases: { scenario: string; dir: string; problems: (dir: string) => string[] }[] = [
    {
      scenario: 'empty dir (only a dotfile)',
      dir: 'empty',
      problems: (d) => [`${d}: no config files (*.yaml, *.yml, *.json)`],
    },
    {
      scenario: 'dir with documentation only',
      dir: 'only-docs',
      problems: (d) => [`${d}: no config files (*.yaml, *.yml, *.json)`],
    },
    {
      scenario: 'duplicate services across files, and within a list',
      dir: 'duplicate',
      problems: () => [
        'b.yaml: services[1].service: "web" is already defined in a.yaml; a service has one policy',
        'c.json: service: "kv" is already defined in b.yaml services[0]; a service has one policy',
      ],
    },
    {
      scenario: 'other extensions and subdirectories are refused, not skipped',
      dir: 'refused',
      problems: () => [
        'nested: is a directory; config directories are not read recursively',
        'web.yaml.bak: is not a config file: only *.yaml, *.yml and *.json are read (dotfiles and *.md are ignored); rename or move it',
      ],
    },
    {
      scenario: 'YAML syntax error: reported with its line, the other files still checked',
      dir: 'syntax',
      problems: () => [
        'web.yaml: line 5, column 1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    },
    {
      scenario: 'several problems in several files: all reported, each with file and path',
      dir: 'many-problems',
      problems: () => [
        'kv.json: load.mode: must be one of "adaptive", "outstanding", "piggyback", "poll", got "push"',
        'kv.json: load.staleness_ms: must be an integer in 1..600000, got 0',
        "search.yaml: rings_ms: is not used by mode: key (every client must agree on a key's owners, so key routing ignores locality); remove it",
        'web.yaml: colour: is not a known field (known: service, mode, subset, replicas, rings_ms, timeout_ms, connect_timeout_ms, retries, load, outlier, xrs)',
        'web.yaml: timeout_ms: must be an integer in 1..600000, got 0',
        'web.yaml: retries.attempts: must be an integer in 0..5, got 9',
        'web.yaml: retries.on[1]: must be one of "connect_failure", "timeout", "5xx", got "sometimes"',
        'web.yaml: subset: is only used with mode: subset (mode is random)',
      ],
    },
  ];
  it.each(dirCases)('$scenario', async ({ dir, problems }) => {
    expect(await problemsOfDir(fixture(dir))).toEqual(problems(fixture(dir)));
  });

  it('missing dir: one problem naming it', async () => {
    const dir = fixture('no-such-dir');
    expect(await problemsOfDir(dir)).toEqual([`${dir}: cannot read the directory: ENOENT`]);
  });

  it('the error message lists every problem, and a ConfigError is a SchemaError (the API answers 400)', async () => {
    try {
      await loadConfigDir(fixture('many-problems'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaError);
      expect((e as Error).message).toMatch(/^8 problems:\n {2}kv\.json: load\.mode: /);
      expect((e as Error).message).toContain('\n  web.yaml: retries.attempts: must be an integer in 0..5, got 9');
    }
  });
});

describe('validating policies: every field, every rule', () => {
  // Each case: a policy body (YAML, after `service: web`) and the one problem it must give.
  const cases: { scenario: string; yaml: string; problem: string }[] = [
    { scenario: 'service missing', yaml: '', problem: 'web.yaml: service: is required: a service name: 1..128 characters of A-Z a-z 0-9 . _ : @ - (not starting with a punctuation mark)' },
    { scenario: 'service not a name', yaml: 'service: "-web"', problem: 'web.yaml: service: must be a service name: 1..128 characters of A-Z a-z 0-9 . _ : @ - (not starting with a punctuation mark), got "-web"' },
    { scenario: 'mode unknown', yaml: 'mode: fast', problem: 'web.yaml: mode: must be one of "random", "subset", "key", "sharded", got "fast"' },
    { scenario: 'subset too small', yaml: 'mode: subset\nsubset: 1', problem: 'web.yaml: subset: must be an integer in 2..10000, got 1' },
    { scenario: 'subset not an integer', yaml: 'mode: subset\nsubset: 2.5', problem: 'web.yaml: subset: must be an integer in 2..10000, got 2.5' },
    { scenario: 'subset without mode subset', yaml: 'subset: 6', problem: 'web.yaml: subset: is only used with mode: subset (mode is random)' },
    { scenario: 'replicas zero', yaml: 'mode: key\nreplicas: 0', problem: 'web.yaml: replicas: must be an integer in 1..100, got 0' },
    { scenario: 'replicas without mode key', yaml: 'mode: sharded\nreplicas: 3', problem: 'web.yaml: replicas: is only used with mode: key (mode is sharded)' },
    { scenario: 'rings_ms not a list', yaml: 'rings_ms: 5', problem: 'web.yaml: rings_ms: must be a list of 1..16 items, got 5' },
    { scenario: 'rings_ms empty', yaml: 'rings_ms: []', problem: 'web.yaml: rings_ms: must be a list of 1..16 items, got "0 items"' },
    { scenario: 'rings_ms not increasing', yaml: 'rings_ms: [5, 5, null]', problem: 'web.yaml: rings_ms[1]: must be greater than rings_ms[0] (5), got 5' },
    { scenario: 'rings_ms unbounded not last', yaml: 'rings_ms: [null, 5]', problem: 'web.yaml: rings_ms[0]: null (unbounded) is allowed only as the last ring' },
    { scenario: 'rings_ms negative', yaml: 'rings_ms: [-1, null]', problem: 'web.yaml: rings_ms[0]: must be a number in 0..60000, got -1' },
    { scenario: 'rings_ms beyond a minute', yaml: 'rings_ms: [5, 60001]', problem: 'web.yaml: rings_ms[1]: must be a number in 0..60000, got 60001' },
    { scenario: 'rings_ms finer than a microsecond', yaml: 'rings_ms: [0.0005, null]', problem: 'web.yaml: rings_ms[0]: must be a whole number of microseconds (at most 3 decimals), got 0.0005' },
    { scenario: 'rings_ms with mode key', yaml: 'mode: key\nrings_ms: [5, null]', problem: "web.yaml: rings_ms: is not used by mode: key (every client must agree on a key's owners, so key routing ignores locality); remove it" },
    { scenario: 'timeout_ms zero', yaml: 'timeout_ms: 0', problem: 'web.yaml: timeout_ms: must be an integer in 1..600000, got 0' },
    { scenario: 'timeout_ms with a unit', yaml: 'timeout_ms: 1s', problem: 'web.yaml: timeout_ms: must be an integer in 1..600000, got "1s"' },
    { scenario: 'connect_timeout_ms above timeout_ms', yaml: 'timeout_ms: 100\nconnect_timeout_ms: 200', problem: 'web.yaml: connect_timeout_ms: must be at most timeout_ms (100), got 200' },
    { scenario: 'retries.attempts too many', yaml: 'retries:\n  attempts: 9', problem: 'web.yaml: retries.attempts: must be an integer in 0..5, got 9' },
    { scenario: 'retries.budget_ratio above 1', yaml: 'retries: { budget_ratio: 1.5 }', problem: 'web.yaml: retries.budget_ratio: must be a number in 0..1, got 1.5' },
    { scenario: 'retries.budget_min_per_s negative', yaml: 'retries: { budget_min_per_s: -1 }', problem: 'web.yaml: retries.budget_min_per_s: must be an integer in 0..10000, got -1' },
    { scenario: 'retries.on unknown condition', yaml: 'retries: { on: [connect_failure, always] }', problem: 'web.yaml: retries.on[1]: must be one of "connect_failure", "timeout", "5xx", got "always"' },
    { scenario: 'retries.on repeated', yaml: 'retries: { on: [timeout, 5xx, timeout] }', problem: 'web.yaml: retries.on[2]: timeout is listed twice' },
    { scenario: 'retries.on not a list', yaml: 'retries: { on: timeout }', problem: 'web.yaml: retries.on: must be a list of 0..3 items, got "timeout"' },
    { scenario: 'retries.on empty with attempts', yaml: 'retries: { on: [] }', problem: 'web.yaml: retries.on: is empty, so attempts: 2 would never be used; set attempts: 0 to turn retries off' },
    { scenario: 'retries.idempotent_only as yes (YAML 1.2: a string)', yaml: 'retries: { idempotent_only: yes }', problem: 'web.yaml: retries.idempotent_only: must be true or false, got "yes"' },
    { scenario: 'retries.backoff_base_ms zero', yaml: 'retries: { backoff_base_ms: 0 }', problem: 'web.yaml: retries.backoff_base_ms: must be an integer in 1..10000, got 0' },
    { scenario: 'retries.backoff_max_ms below base', yaml: 'retries: { backoff_base_ms: 100, backoff_max_ms: 50 }', problem: 'web.yaml: retries.backoff_max_ms: must be at least backoff_base_ms (100), got 50' },
    { scenario: 'retries null', yaml: 'retries:', problem: 'web.yaml: retries: must be an object, got null' },
    { scenario: 'load.mode unknown', yaml: 'load: { mode: push }', problem: 'web.yaml: load.mode: must be one of "adaptive", "outstanding", "piggyback", "poll", got "push"' },
    { scenario: 'load.staleness_ms zero', yaml: 'load: { staleness_ms: 0 }', problem: 'web.yaml: load.staleness_ms: must be an integer in 1..600000, got 0' },
    { scenario: 'outlier.consecutive_5xx negative', yaml: 'outlier: { consecutive_5xx: -1 }', problem: 'web.yaml: outlier.consecutive_5xx: must be an integer in 0..1000, got -1' },
    { scenario: 'outlier.ejection_ms zero', yaml: 'outlier: { ejection_ms: 0 }', problem: 'web.yaml: outlier.ejection_ms: must be an integer in 1..3600000, got 0' },
    { scenario: 'outlier.max_ejected_percent above 100', yaml: 'outlier: { max_ejected_percent: 101 }', problem: 'web.yaml: outlier.max_ejected_percent: must be an integer in 0..100, got 101' },
    { scenario: 'xrs not an object', yaml: 'xrs: true', problem: 'web.yaml: xrs: must be an object, got true' },
    { scenario: 'xrs.target_utilization zero', yaml: 'xrs: { target_utilization: 0 }', problem: 'web.yaml: xrs.target_utilization: must be a number in 0.05..1, got 0' },
    { scenario: 'xrs with mode key', yaml: 'mode: key\nxrs: {}', problem: 'web.yaml: xrs: is not used by mode: key (key routing ignores locality, so there is nothing to spill); remove it' },
    { scenario: 'xrs with a single ring', yaml: 'rings_ms: [null]\nxrs: {}', problem: 'web.yaml: xrs: needs at least two rings in rings_ms to spill between, got [null]' },
    { scenario: 'unknown field, with a suggestion', yaml: 'timeout: 5', problem: 'web.yaml: timeout: is not a known field, did you mean timeout_ms? (known: service, mode, subset, replicas, rings_ms, timeout_ms, connect_timeout_ms, retries, load, outlier, xrs)' },
    { scenario: 'unknown nested field', yaml: 'retries: { attemps: 3 }', problem: 'web.yaml: retries.attemps: is not a known field, did you mean attempts? (known: attempts, budget_ratio, budget_min_per_s, on, idempotent_only, backoff_base_ms, backoff_max_ms)' },
    { scenario: 'YAML merge keys are refused', yaml: '<<: { mode: subset }', problem: 'web.yaml: <<: is not a known field (known: service, mode, subset, replicas, rings_ms, timeout_ms, connect_timeout_ms, retries, load, outlier, xrs)' },
  ];
  it.each(cases)('$scenario', ({ scenario, yaml, problem }) => {
    const text = scenario === 'service missing' ? 'mode: random\n' : yaml.startsWith('service:') ? `${yaml}\n` : `service: web\n${yaml}\n`;
    expect(problemsOf(() => parseConfigFiles(yamlFile(text)))).toEqual([problem]);
  });

  const fileCases: { scenario: string; files: { name: string; text: string }[]; problems: string[] }[] = [
    { scenario: 'empty file', files: yamlFile('# nothing yet\n'), problems: ['web.yaml: is empty: expected one policy (service: ...) or a list (services: [...])'] },
    { scenario: 'top-level list', files: yamlFile('- service: web\n'), problems: ['web.yaml: must be a mapping: one policy (service: ...) or a list (services: [...]), got a list'] },
    { scenario: 'top-level scalar', files: [{ name: 'web.json', text: '"web"' }], problems: ['web.json: must be a mapping: one policy (service: ...) or a list (services: [...]), got "web"'] },
    { scenario: 'empty services list', files: yamlFile('services: []\n'), problems: ['web.yaml: services: must be a list of 1..10000 items, got "0 items"'] },
    { scenario: 'services list beside other fields', files: yamlFile('services: [{service: web}]\nmode: key\n'), problems: ['web.yaml: mode: is not a known field (a file with services: [...] holds only that list)'] },
    { scenario: 'problem inside a list names the entry', files: yamlFile('services:\n  - service: kv\n  - service: web\n    timeout_ms: -5\n'), problems: ['web.yaml: services[1].timeout_ms: must be an integer in 1..600000, got -5'] },
    { scenario: 'YAML duplicate key, with its line', files: yamlFile('service: web\nmode: subset\nmode: key\n'), problems: ['web.yaml: line 3, column 1: YAML syntax: key "mode" is repeated in the same mapping (a field may appear once)'] },
    { scenario: 'YAML several documents', files: yamlFile('service: web\n---\nservice: kv\n'), problems: ['web.yaml: line 2, column 1: YAML syntax: holds several YAML documents (---): write one policy per file, or one services: [...] list'] },
    { scenario: 'YAML unresolved tag', files: yamlFile('service: !env WEB\n'), problems: ['web.yaml: line 1, column 10: YAML syntax: Unresolved tag: !env'] },
    { scenario: 'JSON syntax error, with its line', files: [{ name: 'web.json', text: '{\n  "service": "web",\n  "mode": "subset",,\n}' }], problems: ['web.json: line 3, column 20: JSON syntax: Expected double-quoted property name'] },
    { scenario: 'JSON duplicate key, with its line', files: [{ name: 'web.json', text: '{\n  "service": "web",\n  "retries": { "attempts": 1, "attempts": 3 }\n}' }], problems: ['web.json: line 3, column 31: JSON: key "attempts" is repeated in the same mapping (a field may appear once)'] },
    { scenario: 'unknown extension', files: [{ name: 'web.yaml', text: 'service: web' }, { name: 'kv.ymal', text: 'service: kv' }], problems: ['kv.ymal: is not a config file: only *.yaml, *.yml and *.json are read (dotfiles and *.md are ignored); rename or move it'] },
    { scenario: 'file name with a directory', files: [{ name: 'a/web.yaml', text: 'service: web' }], problems: ['"a/web.yaml": must be a plain file name (no directory part)', 'config: no config files (*.yaml, *.yml, *.json)'] },
    { scenario: 'same file name twice', files: [{ name: 'web.yaml', text: 'service: web' }, { name: 'web.yaml', text: 'service: kv' }], problems: ['web.yaml: is given twice'] },
    { scenario: 'no files', files: [], problems: ['config: no config files (*.yaml, *.yml, *.json)'] },
    { scenario: 'only ignored files', files: [{ name: 'README.md', text: '# hi' }, { name: '.web.yaml', text: 'service: web' }], problems: ['config: no config files (*.yaml, *.yml, *.json)'] },
    { scenario: 'duplicate services in memory', files: [{ name: 'a.yaml', text: 'service: web' }, { name: 'b.json', text: '{"service": "web", "mode": "nope"}' }], problems: ['b.json: service: "web" is already defined in a.yaml; a service has one policy', 'b.json: mode: must be one of "random", "subset", "key", "sharded", got "nope"'] },
  ];
  it.each(fileCases)('file: $scenario', ({ files, problems }) => {
    expect(problemsOf(() => parseConfigFiles(files))).toEqual(problems);
  });

  it('several problems in one policy: all reported, field rules and cross-field rules together', () => {
    const text = 'service: web\nmode: random\nsubset: 4\ntimeout_ms: 50\nconnect_timeout_ms: 100\nrings_ms: [5, 1, 0.0001]\nretries: { attempts: 7, backoff_base_ms: 500, colour: red }\nxrs: { target_utilization: 2 }\n';
    expect(problemsOf(() => parseConfigFiles(yamlFile(text)))).toEqual([
      'web.yaml: rings_ms[1]: must be greater than rings_ms[0] (5), got 1',
      'web.yaml: rings_ms[2]: must be a whole number of microseconds (at most 3 decimals), got 0.0001',
      'web.yaml: retries.colour: is not a known field (known: attempts, budget_ratio, budget_min_per_s, on, idempotent_only, backoff_base_ms, backoff_max_ms)',
      'web.yaml: retries.attempts: must be an integer in 0..5, got 7',
      'web.yaml: retries.backoff_max_ms: must be at least backoff_base_ms (500), got 250',
      'web.yaml: xrs.target_utilization: must be a number in 0.05..1, got 2',
      'web.yaml: subset: is only used with mode: subset (mode is random)',
      'web.yaml: connect_timeout_ms: must be at most timeout_ms (50), got 100',
    ]);
  });

  it('mode defaults: subset 16 for mode subset, replicas 3 for mode key, neither otherwise', () => {
    const set = parseConfigFiles([{ name: 'all.yaml', text: 'services: [{service: a, mode: subset}, {service: b, mode: key}, {service: c}, {service: d, mode: sharded}]' }]);
    expect(set.services.a.subset).toBe(16);
    expect(set.services.b.replicas).toBe(3);
    for (const p of [set.services.a, set.services.c, set.services.d]) expect(p).not.toHaveProperty('replicas');
    for (const p of [set.services.b, set.services.c, set.services.d]) expect(p).not.toHaveProperty('subset');
  });

  it('canonical form validates again: a key-mode policy carries (and may state) the default rings', () => {
    const set = parseConfigFiles(yamlFile('service: search\nmode: key\nrings_ms: [5, 35, 80, null]\n', 'search.yaml'));
    expect(set.services.search.rings_ms).toEqual([5, 35, 80, null]);
    expect(validateConfigSet(set)).toEqual(set);
    expect(servicePolicySchema.check(set.services.search, 'body')).toEqual(set.services.search);
  });

  it('servicePolicySchema: a control/schema.ts Schema for API bodies; paths start at the given root', () => {
    expect(servicePolicySchema.check({ service: 'web' }, 'body')).toEqual({ ...DEFAULTS, service: 'web', mode: 'random' });
    try {
      servicePolicySchema.check({ service: 'web', retries: { attempts: 9 }, mode: 'x' }, 'body');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaError);
      expect((e as ConfigError).problems).toEqual([
        'body.mode: must be one of "random", "subset", "key", "sharded", got "x"',
        'body.retries.attempts: must be an integer in 0..5, got 9',
      ]);
    }
    expect(problemsOf(() => servicePolicySchema.check([1], 'body'))).toEqual(['body: must be an object, got [1]']);
  });

  const setCases: { scenario: string; value: unknown; problems: string[] }[] = [
    { scenario: 'not an object', value: [], problems: ['config: must be an object, got []'] },
    { scenario: 'services missing', value: {}, problems: ['services: must be an object, got nothing'] },
    { scenario: 'no services', value: { services: {} }, problems: ['services: must name at least one service'] },
    { scenario: 'unknown top-level field', value: { services: { web: { service: 'web' } }, version: 3 }, problems: ['version: is not a known field (known: services)'] },
    { scenario: 'key differs from the service', value: { services: { web: { service: 'kv' } } }, problems: ['services.web.service: must equal its key "web", got "kv"'] },
    {
      scenario: 'every bad policy reported',
      value: { services: { web: { service: 'web', mode: 'key', subset: 3 }, kv: { service: 'kv', outlier: { ejection_ms: 0 } } } },
      problems: ['services.web.subset: is only used with mode: subset (mode is key)', 'services.kv.outlier.ejection_ms: must be an integer in 1..3600000, got 0'],
    },
  ];
  it.each(setCases)('validateConfigSet: $scenario', ({ value, problems }) => {
    expect(problemsOf(() => validateConfigSet(value))).toEqual(problems);
  });

  it('validateConfigSet: a JSON round trip of a loaded set validates to the same set; partial policies get defaults', async () => {
    const set = await loadConfigDir(fixture('valid'));
    expect(validateConfigSet(JSON.parse(JSON.stringify(set)))).toEqual(set);
    const partial = validateConfigSet({ services: { web: { service: 'web', mode: 'subset', subset: 6, xrs: {} }, kv: { service: 'kv' } } });
    expect(Object.keys(partial.services)).toEqual(['kv', 'web']);
    expect(partial.services.web).toEqual(set.services.web);
  });

  it('configFileKind: what a directory entry is', () => {
    expect(['a.yaml', 'a.YML', 'a.json', 'README.md', '.a.yaml', 'a.yaml.bak', 'a'].map(configFileKind)).toEqual(
      ['yaml', 'yaml', 'json', 'ignored', 'ignored', 'refused', 'refused'],
    );
  });
});

describe('diff and version identity', () => {
  const policy = (service: string, extra: string): string => `service: ${service}\n${extra}`;
  const from = parseConfigFiles([
    { name: 'web.yaml', text: policy('web', 'mode: subset\nsubset: 20\nretries: { attempts: 2 }') },
    { name: 'kv.yaml', text: policy('kv', 'mode: sharded') },
    { name: 'old.yaml', text: policy('old', '') },
    { name: 'auth.yaml', text: policy('auth', 'mode: subset') },
  ]);
  const to = parseConfigFiles([
    { name: 'web.yaml', text: policy('web', 'mode: subset\nsubset: 10\nretries: { attempts: 3, on: [timeout] }\nxrs: { target_utilization: 0.7 }') },
    { name: 'kv.yaml', text: policy('kv', 'mode: sharded') },
    { name: 'search.json', text: '{"service": "search", "mode": "key"}' },
    { name: 'auth.yaml', text: policy('auth', 'mode: key\nreplicas: 2') },
  ]);

  it('diff: added, removed, changed (leaf fields, canonical order), unchanged left out', () => {
    const changes = diffConfigSets(from, to);
    expect(changes).toEqual<ConfigChange[]>([
      { service: 'auth', kind: 'changed', fields: [
        { path: 'mode', from: 'subset', to: 'key' },
        { path: 'subset', from: 16, to: undefined },
        { path: 'replicas', from: undefined, to: 2 },
      ] },
      { service: 'old', kind: 'removed' },
      { service: 'search', kind: 'added' },
      { service: 'web', kind: 'changed', fields: [
        { path: 'subset', from: 20, to: 10 },
        { path: 'retries.attempts', from: 2, to: 3 },
        { path: 'retries.on', from: ['connect_failure', '5xx'], to: ['timeout'] },
        { path: 'xrs', from: null, to: { target_utilization: 0.7 } },
      ] },
    ]);
    expect(formatDiff(changes)).toBe([
      '~ auth: mode subset → key',
      '~ auth: subset 16 → (none)',
      '~ auth: replicas (none) → 2',
      '- old',
      '+ search',
      '~ web: subset 20 → 10',
      '~ web: retries.attempts 2 → 3',
      '~ web: retries.on ["connect_failure","5xx"] → ["timeout"]',
      '~ web: xrs null → {"target_utilization":0.7}',
    ].join('\n'));
  });

  it('diff: a set against itself, and against the empty set (first apply)', () => {
    expect(diffConfigSets(to, to)).toEqual([]);
    expect(formatDiff([])).toBe('no changes');
    const first = diffConfigSets({ services: {} }, to);
    expect(first.map((c) => `${c.kind} ${c.service}`)).toEqual(['added auth', 'added kv', 'added search', 'added web']);
    expect(formatDiff(diffConfigSets(to, { services: {} }))).toBe('- auth\n- kv\n- search\n- web');
  });

  it('diff: a nested field changed to an equal value in another key order is no change', () => {
    const shuffled = structuredClone(to);
    const web = shuffled.services.web as unknown as Record<string, unknown>;
    web.retries = Object.fromEntries(Object.entries(to.services.web.retries).reverse());
    expect(diffConfigSets(to, shuffled)).toEqual([]);
  });

  const reverseKeys = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
      : v;

  it('configHash: sha256 hex of the canonical JSON, stable across key order and file layout', async () => {
    const h = configHash(to);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(createHash('sha256').update(canonicalJson(to)).digest('hex'));
    expect(configHash(reverseKeys(to) as ConfigSet)).toBe(h);
    expect(configHash(JSON.parse(JSON.stringify(to)))).toBe(h);
    // the same policies written with other key orders, in other files, parse to the same hash
    const again = parseConfigFiles([
      { name: 'all.json', text: JSON.stringify({ services: [...Object.values(reverseKeys(to.services) as Record<string, ServicePolicy>)].reverse() }) },
    ]);
    expect(configHash(again)).toBe(h);
    expect(configHash(from)).not.toBe(h);
    const tweaked = structuredClone(to);
    tweaked.services.kv.outlier.ejection_ms += 1;
    expect(configHash(tweaked)).not.toBe(h);
  });

  it('canonicalJson: sorted keys, no whitespace', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe('{"a":true,"b":[1,{"c":"x","d":null}]}');
  });
});

describe('policyToModel: onto the routing model (bindings/model.ts)', () => {
  const regions = ['us-east', 'us-west', 'eu-west'];
  const rib = (services: ServiceModel[]): RibModel => ({
    regions,
    rtt_us: [[200, 60000, 80000], [60000, 200, 140000], [80000, 140000, 300]],
    services,
  });
  const servers = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `${prefix}:${i}`, region: regions[i % regions.length] }));
  const client = { id: 'client-1', region: 'us-east', seed: 7 };
  const codeOf = (fn: () => void): string => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return e instanceof RingrouteError ? e.codeName : String(e);
    }
  };

  it('each mode maps onto the model: rings in µs, subset / hash / nothing', async () => {
    const set = await loadConfigDir(examples);
    expect(policyToModel(set.services.web)).toEqual({ rings_us: [5000, 35000, 80000, null], subset: 6 });
    expect(policyToModel(set.services.search)).toEqual({ rings_us: [5000, 35000, 80000, null], hash: { replicas: 3 } });
    expect(policyToModel(set.services.kv)).toEqual({ rings_us: [5000, 35000, null] });
    const random = parseConfigFiles(yamlFile('service: web\nrings_ms: [0.25, 2.5, 1000]')).services.web;
    expect(policyToModel(random)).toEqual({ rings_us: [250, 2500, 1000000] });
  });

  it('the example policies, merged with registry servers (and the shard manager\'s map), pass validateModel', async () => {
    const set = await loadConfigDir(examples);
    const services: ServiceModel[] = [
      { name: 'web', servers: servers('web', 20), ...policyToModel(set.services.web) },
      { name: 'search', servers: servers('search', 10), ...policyToModel(set.services.search) },
      {
        name: 'kv', servers: servers('kv', 4), ...policyToModel(set.services.kv),
        shards: { starts: [0, 2147483648], replicas: [[{ server: 0, role: 'primary' }, { server: 1, role: 'secondary' }], [{ server: 2, role: 'primary' }, { server: 3, role: 'secondary' }]] },
      },
    ];
    expect(codeOf(() => validateModel(rib(services), client))).toBe('ok');
  });

  it('every accepted policy of every mode and ring shape passes validateModel', () => {
    const text = [
      'services:',
      '  - { service: r1, rings_ms: [null] }',
      '  - { service: r2, rings_ms: [0, 0.001, 60000] }',
      '  - { service: s1, mode: subset, subset: 2, rings_ms: [1, null], xrs: {} }',
      '  - { service: s2, mode: subset, subset: 10000 }',
      '  - { service: k1, mode: key, replicas: 1 }',
      '  - { service: k2, mode: key, replicas: 100 }',
      '  - { service: sh, mode: sharded }',
    ].join('\n');
    const set = parseConfigFiles(yamlFile(text, 'all.yaml'));
    const services = Object.values(set.services).map((p) => ({ name: p.service, servers: servers(p.service, 3), ...policyToModel(p) }));
    expect(codeOf(() => validateModel(rib(services), client))).toBe('ok');
  });

  it('why sharded adds nothing: a subset or hash beside a shard map is POLICY_CONFLICT', () => {
    const shards = { starts: [0], replicas: [[{ server: 0, role: 'primary' as const }]] };
    const web = parseConfigFiles(yamlFile('service: web\nmode: subset\nsubset: 4')).services.web;
    expect(codeOf(() => validateModel(rib([{ name: 'web', servers: servers('web', 2), ...policyToModel(web), shards }]), client))).toBe('POLICY_CONFLICT');
  });
});
