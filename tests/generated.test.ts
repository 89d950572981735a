// The numbers that live in one place stay in one place: generated files and golden buffers match
// their sources, and the conformance copy matches ../shared when it is there.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (script: string): string => execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });

describe('generated and copied files', () => {
  it('assembly/layout.ts and assembly/errors.ts are generated from bindings/', () => {
    expect(() => run('scripts/gen-shared.mjs')).not.toThrow();
  });
  it('tests/golden/ is what the encoder writes now (the format did not drift)', () => {
    expect(run('scripts/make-golden.mjs')).toMatch(/all current/);
  });
  it('the annotated hex dump in spec/minirib.md is the golden buffer as the encoder writes it', () => {
    expect(run('scripts/hexdump-example.mjs')).toMatch(/current/);
  });
  it('tests/conformance/ matches ../shared/conformance/ when present', () => {
    expect(run('scripts/sync-conformance.mjs')).toMatch(/matches|not present/);
  });
});
