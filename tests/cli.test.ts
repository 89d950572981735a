// The CLI as a user runs it: conformance over files and folders, mismatches reported with exit 1,
// --json output, encode → inspect → route round trips, usage errors with exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/ringroute.js', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'ringroute-cli-'));
const cores = process.env.RINGROUTE_CORES?.includes('wasm') === false ? 'ts' : 'both';

describe('ringroute conformance', () => {
  it('passes a folder of scenarios and prints the closing count', () => {
    const r = cli('conformance', 'tests/conformance/named', '--core', cores);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/conformance: \d+ passed, 0 failed/);
  });

  it('prints each mismatch (scenario, request, expected, got) and exits 1', () => {
    const s = JSON.parse(readFileSync('tests/conformance/named/single-server.json', 'utf8'));
    s.expect[0] = 'nobody:1';
    const file = join(tmp, 'broken.json');
    writeFileSync(file, JSON.stringify(s));
    const r = cli('conformance', file, 'tests/conformance/named/local-ring-first.json', '--core', 'ts');
    expect(r.code).toBe(1);
    expect(r.out).toContain('MISMATCH ts single-server request 0: expected nobody:1, got only:1');
    expect(r.out).toMatch(/1 passed, 1 failed/);
  });

  it('--json prints one result object per scenario and core', () => {
    const r = cli('conformance', 'tests/conformance/invalid', '--core', 'ts', '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(29);
    expect(lines.every((l) => l.passed === true && l.core === 'ts' && Array.isArray(l.mismatches))).toBe(true);
  });

  it('refuses an unknown core with exit 2', () => {
    expect(cli('conformance', 'tests/conformance/named', '--core', 'gpu').code).toBe(2);
  });
});

describe('encode, inspect, route', () => {
  it('round-trips a scenario through a miniRIB file', () => {
    const bin = join(tmp, 'shard.bin');
    expect(cli('encode', 'tests/conformance/named/shard-primary-role.json', '-o', bin, '--generation', '9').code).toBe(0);
    const inspect = cli('inspect', bin);
    expect(inspect.code).toBe(0);
    expect(inspect.out).toMatch(/valid miniRIB v1, \d+ bytes, generation 9/);
    const route = cli('route', bin, 'kv', '--key', 'user:1', '--role', 'primary', '--core', 'ts');
    expect(route.code).toBe(0);
    expect(route.out.trim()).not.toBe('');
  });
  it('inspect refuses a corrupt file with the rule and exit 1', () => {
    const r = cli('inspect', 'tests/golden/fail/body-bit-flip.bin');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/BAD_CHECKSUM/);
  });
  it('prints usage with exit 2 for an unknown command', () => {
    const r = cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage:/);
  });
});
