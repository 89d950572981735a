// The README's main job, as a user runs it: `ringroute mesh` (what `npm start` runs) in a fresh
// directory, with its scripted timeline, in JSON lines. The drain and the policy edit must
// change the client's routing within a second, and real HTTP requests must flow without errors.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/ringroute.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ringroute-mesh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Line { event: string; [k: string]: unknown }

function runMesh(seconds: number): Promise<{ lines: Line[]; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, 'mesh', '--dir', join(dir, 'mesh'), '--duration', String(seconds), '--exit-after-script', '--json', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('close', (code) => resolve({ lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), code, stderr: err }));
  });
}

it('local-mesh: a drain, a policy edit and a surge change the routing as they should; no request fails', async () => {
  const { lines, code, stderr } = await runMesh(90);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const ev = (name: string): Line | undefined => lines.find((l) => l.event === name);
  expect(ev('start')).toBeDefined();
  expect(ev('script-error')).toBeUndefined();

  const drain = ev('drain')!;
  expect(drain).toBeDefined();
  expect(drain.ms as number).toBeLessThan(1000);
  const policy = ev('policy')!;
  expect(policy).toBeDefined();
  expect(policy.ms as number).toBeLessThan(1000);
  // the start, the edit and the restore: config versions 1, 2, 3
  expect(lines.filter((l) => l.event === 'config').map((l) => l.version)).toEqual([1, 2, 3]);

  // the seconds after the drain: the drained server gets (next to) nothing; before: its share
  const ticks = lines.filter((l) => l.event === 'tick') as (Line & { t: number; perServer: Record<string, number>; errors: Record<string, number>; total: number })[];
  const server = drain.server as string;
  const drainedAt = (drain as Line & { t: number }).t;
  const undrainAt = (ev('undrain') as Line & { t: number }).t;
  const before = ticks.filter((t) => t.t < drainedAt);
  const during = ticks.filter((t) => t.t > drainedAt + 1000 && t.t < undrainAt);
  expect(before.some((t) => (t.perServer[server] ?? 0) > 50)).toBe(true);
  expect(during.length).toBeGreaterThan(0);
  for (const t of during) expect(t.perServer[server] ?? 0).toBe(0);

  // after the edit to rings_ms [100, null], web traffic reaches the other regions too
  const policyAt = (policy as Line & { t: number }).t;
  const restored = (ev('policy-restored') as Line & { t: number }).t;
  const wide = ticks.filter((t) => t.t > policyAt + 1000 && t.t < restored);
  expect(wide.some((t) => (t.perServer['web-eu-west-1'] ?? 0) + (t.perServer['web-us-west-1'] ?? 0) > 0)).toBe(true);
  const narrow = before.filter((t) => t.total > 0);
  for (const t of narrow) expect((t.perServer['web-eu-west-1'] ?? 0) + (t.perServer['web-eu-west-2'] ?? 0)).toBe(0);

  // a surge in us-east: xRS spills part of web's traffic outward within a few ticks, then takes it back
  const spill = ev('xrs-spill') as Line & { t: number; keep: number; ms: number };
  expect(spill).toBeDefined();
  expect(spill.keep).toBeLessThan(1);
  expect(spill.ms).toBeLessThan(3000);
  const over = (ev('surge-over') as Line & { t: number }).t;
  const spilled = ticks.filter((t) => t.t > spill.t + 1000 && t.t < over);
  expect(spilled.length).toBeGreaterThan(0);
  for (const t of spilled) expect((t.perServer['web-us-west-1'] ?? 0) + (t.perServer['web-us-west-2'] ?? 0)).toBeGreaterThan(0);
  const recovered = ev('xrs-recovered') as Line & { t: number; ms: number };
  expect(recovered).toBeDefined();
  expect(recovered.ms).toBeLessThan(10_000);
  const after = ticks.filter((t) => t.t > recovered.t + 1500);
  for (const t of after) expect((t.perServer['web-us-west-1'] ?? 0) + (t.perServer['web-eu-west-1'] ?? 0)).toBe(0);

  for (const t of ticks) expect(t.errors).toEqual({});
  expect(ticks.reduce((a, t) => a + t.total, 0)).toBeGreaterThan(1000);
});
