// Every scenario of tests/conformance/ (a checked copy of ../shared/conformance/) with every core.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario, type Scenario } from '../dist/bindings/conformance.js';
import { scenarioFiles } from '../dist/host/node/cli.js';
import { CORES } from './cores.js';

const files = scenarioFiles(['tests/conformance']);

describe.each(CORES)('conformance, $name core', ({ make }) => {
  it('has the whole suite to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(184);
  });
  it.each(files.map((f) => [f.replace('tests/conformance/', ''), f]))('%s', (_name, file) => {
    const scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
    const r = runScenario(make, scenario);
    expect(r.mismatches).toEqual([]);
  });
});
