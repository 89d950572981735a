// The runtime fixtures: a runner that answers right passes, and every kind of wrong answer is
// caught (wrong decision, missing line, a load that should have been refused, a wrong code).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../dist/bindings/conformance.js';
import { checkLine, makeFixture } from '../dist/bindings/fixtures.js';

const scenario = (p: string): Scenario => JSON.parse(readFileSync(`tests/conformance/${p}.json`, 'utf8'));

describe('fixtures', () => {
  it('a valid scenario: the right decisions pass, a wrong one is named', () => {
    const f = makeFixture(scenario('named/spill-half-of-ring-one'));
    const right = `${f.name}: ${f.expect.join(' ')}`;
    expect(checkLine(f, right)).toBeNull();
    const wrong = [...f.expect];
    wrong[3] = wrong[3] === 0 ? 1 : 0;
    expect(checkLine(f, `${f.name}: ${wrong.join(' ')}`)).toMatch(/^request 3:/);
    expect(checkLine(f, `${f.name}: ${f.expect.slice(1).join(' ')}`)).toMatch(/expected 16 decisions/);
    expect(checkLine(f, undefined)).toBe('no answer');
  });
  it('errors are −code', () => {
    const f = makeFixture(scenario('named/unknown-service'));
    expect(f.expect.some((d) => d === -1)).toBe(true);
  });
  it('an invalid scenario must be refused with its rule', () => {
    const f = makeFixture(scenario('invalid/server-weight-zero'));
    expect(f.rib).not.toBeNull();
    expect(checkLine(f, `${f.name}: refused 40`)).toBeNull(); // SERVER_WEIGHT
    expect(checkLine(f, `${f.name}: refused 41`)).toMatch(/SERVER_STATE, expected SERVER_WEIGHT/);
    expect(checkLine(f, `${f.name}: loaded`)).toMatch(/expected a refusal/);
  });
  it('an invalid scenario the format cannot hold has no miniRIB and is skipped', () => {
    const f = makeFixture(scenario('invalid/server-weight-fraction'));
    expect(f.rib).toBeNull();
    expect(checkLine(f, `${f.name}: skipped`)).toBeNull();
    expect(checkLine(f, `${f.name}: refused 40`)).toMatch(/expected skipped/);
  });
});
