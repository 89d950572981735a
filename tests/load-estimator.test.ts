// Adaptive load estimation (bindings/load-estimator.ts, spec/load.md):
// - the mode a decision gets at different request rates, report ages, deadlines and policies (§1);
// - the value pick-2 compares, number for number with the worked examples of §5, so the page and
//   the code can't drift (§2), and the decay of old reports toward the service prior (§3);
// - the poll rule (either candidate stale), the poll back-off, remap by server id, the counts (§4);
// - bad input: clear errors for caller bugs, ignored-and-counted reports for bad server data;
// - a discrete-event simulation (seeded, bounded): servers of unequal capacity, clients idle then
//   bursting; piggyback-only herds onto servers whose stale reports say they are free, the poll
//   rule (and adaptive, which polls when idle) does not.
import { describe, expect, it } from 'vitest';
import {
  LOAD_DEFAULTS,
  LoadEstimator,
  type DecisionMode,
  type LoadEstimatorOptions,
  type LoadMode,
} from '../bindings/load-estimator.js';
import { pick2 } from '../bindings/ts-core/pick2.js';
import { Rng } from '../bindings/ts-core/rng.js';

/** An estimator on a settable clock. */
function make(opts: Partial<LoadEstimatorOptions> & { size: number }): { est: LoadEstimator; clock: { t: number } } {
  const clock = { t: 0 };
  const est = new LoadEstimator({ now: () => clock.t, ...opts });
  return { est, clock };
}

const inflight = (n: number): { named_metrics: Record<string, number> } => ({ named_metrics: { inflight: n } });

// ── §5 example 1: four servers of weights 1, 1, 2, 4 ───────────────────────────
// A answers with inflight=5, B with inflight=1, C (a foreign server) with cpu_utilization=0.5 only,
// D has not reported; each report arrives while its request still counts (own = 1), then it ends.
function example1(mode: LoadMode = 'adaptive'): { est: LoadEstimator; clock: { t: number } } {
  const r = make({ size: 4, weights: [1, 1, 2, 4], policy: { mode, staleness_ms: 1000 } });
  const { est } = r;
  for (let s = 0; s < 3; s++) est.onRequestStart(s, 0);
  expect(est.onReport(0, inflight(5), 0)).toBeNull();
  expect(est.onReport(1, inflight(1), 0)).toBeNull();
  expect(est.onReport(2, { cpu_utilization: 0.5, rps_fractional: 120 }, 0)).toBeNull();
  for (let s = 0; s < 3; s++) est.onRequestEnd(s);
  return r;
}

describe('§2 the value pick-2 compares (worked example 1)', () => {
  it('reports net of own requests, and the prior they build', () => {
    const { est } = example1();
    // others: A 5−1 = 4, B 1−1 = 0, C 0.5·2·4 − 1 = 3; prior per weight 4 → 3.5 → 3.25
    expect(est.priorPerWeight).toBe(3.25);
    expect([0, 1, 2, 3].map((s) => est.value(s, 0))).toEqual([4, 0, 3, 13]);
  });

  it.each([
    // t, own requests to B sent at t=0, values A..D
    [0, 0, [4, 0, 3, 13]],
    [0, 3, [4, 3, 3, 13]],
    [1000, 3, [3.625, 4.625, 4.75, 13]],
    [2000, 0, [3.4375, 2.4375, 5.625, 13]],
    [1_000_000, 0, [3.25, 3.25, 6.5, 13]],
  ])('at t=%d with %d own requests in flight to B: %j', (t, ownB, want) => {
    const { est } = example1();
    for (let k = 0; k < ownB; k++) est.onRequestStart(1, 0);
    expect([0, 1, 2, 3].map((s) => est.value(s, t))).toEqual(want);
  });

  it('per unit of weight (what the core compares), the long run is capacity-proportional', () => {
    const { est } = example1();
    const w = [1, 1, 2, 4];
    expect([0, 1, 2, 3].map((s) => est.value(s, 1_000_000) / w[s])).toEqual([3.25, 3.25, 3.25, 3.25]);
  });

  it('mode outstanding: own requests only, reports do not count', () => {
    const { est } = example1('outstanding');
    est.onRequestStart(3, 0);
    expect([0, 1, 2, 3].map((s) => est.value(s, 0))).toEqual([0, 0, 0, 1]);
  });

  it('a report below this client\'s own count leaves others at 0 (requests still on the wire)', () => {
    const { est } = make({ size: 1 });
    for (let k = 0; k < 4; k++) est.onRequestStart(0, 0);
    est.onReport(0, inflight(2), 0);
    expect(est.value(0, 0)).toBe(4);
  });

  it('inflight wins over cpu_utilization; rps_fractional alone is not a load', () => {
    const { est } = make({ size: 2 });
    est.onReport(0, { cpu_utilization: 0.9, named_metrics: { inflight: 2 } }, 0);
    expect(est.value(0, 0)).toBe(2);
    expect(est.onReport(1, { rps_fractional: 300 }, 0)).toMatch(/neither named_metrics.inflight nor cpu_utilization/);
    expect(est.isFresh(1, 0)).toBe(false);
  });

  it('values() fills the load table in one pass', () => {
    const { est } = example1();
    expect(Array.from(est.values(new Float64Array(4), 2000))).toEqual([3.4375, 2.4375, 5.625, 13]);
  });
});

describe('§3 decay of old reports toward the prior (half-life = staleness)', () => {
  // one report of others = 10 on a weight-1 server, the prior held at 2 by a second server
  const setup = (): LoadEstimator => {
    const { est } = make({ size: 2, policy: { staleness_ms: 400 } });
    est.onReport(1, inflight(2), 0); // prior 2
    est.onReport(0, inflight(10), 0); // prior 2 + (10 − 2)/8 = 3
    est.onReport(1, inflight(3), 0); // prior 3 + (3 − 3)/8 = 3
    return est;
  };
  it.each([
    [0, 10],
    [400, 6.5], // 3 + 7/2
    [800, 4.75], // 3 + 7/4
    [1200, 3.875], // 3 + 7/8
    [4000, 3 + 7 / 1024],
  ])('age %d ms → %d', (age, want) => {
    expect(setup().value(0, age)).toBe(want);
  });

  it('decays monotonically, never past the prior', () => {
    const est = setup();
    let prev = Infinity;
    for (let t = 0; t <= 10_000; t += 37) {
      const v = est.value(0, t);
      expect(v).toBeLessThanOrEqual(prev);
      expect(v).toBeGreaterThanOrEqual(3);
      prev = v;
    }
  });

  it('a newer report replaces the old one; an older one is ignored', () => {
    const est = setup();
    expect(est.onReport(0, inflight(1), 800)).toBeNull();
    expect(est.value(0, 800)).toBe(1);
    expect(est.onReport(0, inflight(50), 700)).toMatch(/older/);
    expect(est.value(0, 800)).toBe(1);
  });

  it('a server with no report is worth the prior (a new server does not attract everything)', () => {
    const { est } = make({ size: 3, weights: [1, 1, 2] });
    expect(est.value(2, 0)).toBe(0); // no report anywhere yet: pure outstanding
    est.onReport(0, inflight(6), 0);
    expect(est.value(2, 0)).toBe(12);
  });
});

// ── §1 mode choice ─────────────────────────────────────────────────────────────
// Six servers, pool 6, staleness 1000 ms → busy ⇔ rate ≥ 3·6/1 s = 18 req/s. The client sends at
// `rate` req/s for the 10 s before t = 10 000 (to servers 2..5, so the candidates' reports are
// only the ones set here), the candidates 0 and 1 reported `ages` ms ago (null: never).
interface ModeCase {
  name: string;
  mode: LoadMode;
  rate: number;
  ages: [number | null, number | null];
  budgetMs?: number;
  want: DecisionMode;
}
const T = 10_000;
function modeSetup(c: Pick<ModeCase, 'mode' | 'rate' | 'ages'>): LoadEstimator {
  const { est } = make({ size: 6, policy: { mode: c.mode, staleness_ms: 1000 } });
  if (c.rate > 0) {
    const gap = 1000 / c.rate;
    for (let k = 0, t = 0; t < T; k++, t = k * gap) {
      const s = 2 + (k % 4);
      est.onRequestStart(s, t);
      est.onRequestEnd(s);
    }
  }
  c.ages.forEach((age, s) => {
    if (age !== null) est.onReport(s, inflight(1), T - age);
  });
  return est;
}
const MODE_CASES: ModeCase[] = [
  { name: 'busy client, both reports fresh → piggyback', mode: 'adaptive', rate: 50, ages: [100, 200], want: 'piggyback' },
  { name: 'busy client, one report stale → outstanding (no poll: its own traffic refreshes reports)', mode: 'adaptive', rate: 50, ages: [100, 1500], want: 'outstanding' },
  { name: 'quiet client, both fresh → piggyback', mode: 'adaptive', rate: 2, ages: [100, 200], want: 'piggyback' },
  { name: 'quiet client, one stale → poll', mode: 'adaptive', rate: 2, ages: [100, 1500], want: 'poll' },
  { name: 'quiet client, no reports at all → poll', mode: 'adaptive', rate: 2, ages: [null, null], want: 'poll' },
  { name: 'quiet client, one stale, 30 ms left (< 10 × 5 ms) → outstanding', mode: 'adaptive', rate: 2, ages: [100, 1500], budgetMs: 30, want: 'outstanding' },
  { name: 'quiet client, one stale, 50 ms left → poll', mode: 'adaptive', rate: 2, ages: [100, 1500], budgetMs: 50, want: 'poll' },
  { name: 'idle client, reports exactly staleness old → piggyback (fresh is age ≤ staleness)', mode: 'adaptive', rate: 0, ages: [1000, 1000], want: 'piggyback' },
  { name: 'idle client, a report just past staleness → poll', mode: 'adaptive', rate: 0, ages: [1000, 1000.5], want: 'poll' },
  { name: 'just under the busy rate (17 req/s), stale → poll', mode: 'adaptive', rate: 17, ages: [100, 1500], want: 'poll' },
  { name: 'just over the busy rate (19 req/s), stale → outstanding', mode: 'adaptive', rate: 19, ages: [100, 1500], want: 'outstanding' },
  { name: 'mode outstanding → outstanding whatever the reports', mode: 'outstanding', rate: 2, ages: [100, 200], want: 'outstanding' },
  { name: 'mode piggyback, stale → piggyback (decayed reports, never a poll)', mode: 'piggyback', rate: 2, ages: [5000, null], want: 'piggyback' },
  { name: 'mode poll, busy client, stale → poll (poll mode ignores the rate)', mode: 'poll', rate: 50, ages: [100, 1500], want: 'poll' },
  { name: 'mode poll, both fresh → piggyback (a fresh report is as good as a poll)', mode: 'poll', rate: 50, ages: [100, 200], want: 'piggyback' },
  { name: 'mode poll, stale, 30 ms left → outstanding', mode: 'poll', rate: 50, ages: [100, 1500], budgetMs: 30, want: 'outstanding' },
];

describe('§1 the mode of a decision', () => {
  it.each(MODE_CASES)('$name', (c) => {
    const est = modeSetup(c);
    expect(est.modeFor({ a: 0, b: 1, at: T, budgetMs: c.budgetMs })).toBe(c.want);
    expect(est.needsPoll(0, 1, T, c.budgetMs)).toBe(c.want === 'poll');
  });

  it.each([
    [25, false],
    [26, true],
  ])('busy threshold: %d requests at one instant → busy %s (pool 6: Σ 2^(−age/S) · ln 2 ≥ 18)', (n, busy) => {
    const { est } = make({ size: 6 });
    for (let k = 0; k < n; k++) est.onRequestStart(k % 6, 0);
    expect(est.isBusy(0)).toBe(busy);
    expect(est.requestRate(0)).toBeCloseTo(n * Math.LN2, 9);
    expect(est.requestRate(1000)).toBeCloseTo((n * Math.LN2) / 2, 9); // one half-life later
    expect(est.isBusy(1000)).toBe(false);
  });

  it('a steady rate r req/s reads as r on average over a request period (2^−10 short: the 10 s history)', () => {
    for (const r of [2, 17, 50]) {
      const est = modeSetup({ mode: 'adaptive', rate: r, ages: [null, null] });
      const gap = 1000 / r;
      const last = Math.floor((T - 1e-9) / gap) * gap; // the last request before T
      let sum = 0;
      const K = 1000;
      for (let k = 0; k < K; k++) sum += est.requestRate(last + ((k + 0.5) * gap) / K);
      expect(sum / K / r).toBeCloseTo(1 - 2 ** -10, 3);
    }
  });

  it('the pool option (subset size) sets the busy rate', () => {
    const { est } = make({ size: 100, pool: 6 });
    for (let k = 0; k < 26; k++) est.onRequestStart(k, 0);
    expect(est.isBusy(0)).toBe(true);
    const wide = make({ size: 100 }).est;
    for (let k = 0; k < 26; k++) wide.onRequestStart(k, 0);
    expect(wide.isBusy(0)).toBe(false); // pool 100 needs ≥ 300 req/s
  });
});

describe('the poll rule: poll when either candidate is stale', () => {
  it.each([
    [[200, 300], false],
    [[200, 1500], true],
    [[1500, 200], true],
    [[1500, 1500], true],
    [[null, 200], true],
  ] as [[number | null, number | null], boolean][])('ages %j → poll %s', (ages, want) => {
    const est = modeSetup({ mode: 'adaptive', rate: 0, ages });
    expect(est.needsPoll(0, 1, T)).toBe(want);
    expect(est.needsPoll(1, 0, T)).toBe(want);
  });

  it('the winner alone (today\'s Router): a == b polls exactly when the winner is stale', () => {
    const est = modeSetup({ mode: 'adaptive', rate: 0, ages: [200, 1500] });
    expect(est.needsPoll(0, 0, T)).toBe(false);
    expect(est.needsPoll(1, 1, T)).toBe(true);
  });

  it('a failed poll backs off: staleness, then doubling, capped at 64 × staleness; a report resets it', () => {
    const { est } = make({ size: 2, policy: { staleness_ms: 1000 } });
    est.onReport(0, inflight(1), 0);
    let t = 5000;
    const waits: number[] = [];
    for (let k = 0; k < 9; k++) {
      expect(est.needsPoll(1, 1, t)).toBe(true);
      est.onPollFailed(1, t);
      let wait = 0;
      while (!est.needsPoll(1, 1, t + wait)) wait += 500;
      waits.push(wait);
      t += wait;
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 64000, 64000]);
    // meanwhile the decision stands on the cached value: stale, no poll
    est.onPollFailed(1, t);
    est.onReport(0, inflight(1), t);
    expect(est.modeFor({ a: 0, b: 1, at: t + 1 })).toBe('outstanding');
    expect(est.onPollResult(1, inflight(4), t + 2)).toBeNull();
    expect(est.isFresh(1, t + 2)).toBe(true);
    expect(est.needsPoll(1, 1, t + 2 + 1001)).toBe(true); // stale again, no back-off left
  });

  it('an unusable poll answer counts as a failed poll', () => {
    const { est } = make({ size: 1 });
    expect(est.onPollResult(0, { rps_fractional: 3 }, 0)).toMatch(/neither/);
    expect(est.needsPoll(0, 0, 500)).toBe(false);
    expect(est.needsPoll(0, 0, 1000)).toBe(true);
    expect(est.counts()).toMatchObject({ polls: 0, pollFailures: 1, reportsIgnored: 1 });
  });
});

describe('remap: state follows the server across a routing update', () => {
  it('kept servers keep counts, reports and weights; new ones start clean; gone ones drop', () => {
    const old = ['a', 'b', 'c', 'd'];
    const next = ['d', 'x', 'b'];
    const { est } = make({ size: 4, weights: [1, 2, 3, 4] });
    est.onRequestStart(1, 0); // b: 1 in flight
    est.onRequestStart(2, 0); // c: 1 in flight (dropped)
    est.onRequestStart(3, 0);
    est.onRequestStart(3, 0); // d: 2 in flight
    est.onReport(3, inflight(10), 0); // d: others 8
    est.onPollFailed(1, 0); // b: backing off until 1000
    expect(est.inflight).toBe(4);
    est.remap((n) => old.indexOf(next[n]!), next.length);
    expect(est.size).toBe(3);
    expect(est.inflight).toBe(3);
    expect([0, 1, 2].map((s) => est.outstanding(s))).toEqual([2, 0, 1]);
    expect(est.value(0, 0)).toBe(10); // d: own 2 + others 8, same report
    expect(est.reportAge(0, 250)).toBe(250);
    expect(est.reportAge(1, 250)).toBe(Infinity); // x: new
    expect(est.needsPoll(2, 2, 500)).toBe(false); // b: still backing off
    expect(est.needsPoll(2, 2, 1000)).toBe(true);
    // the prior (8 per weight 4 = 2) prices the new server x at its weight (1 by default)
    expect(est.value(1, 0)).toBe(2);
  });

  it('weightOf sets weights; bad maps are refused and change nothing', () => {
    const { est } = make({ size: 2 });
    est.onReport(0, inflight(3), 0);
    expect(() => est.remap(() => 0, 2)).toThrow(/old server 0 is mapped to twice/);
    expect(() => est.remap(() => 2, 1)).toThrow(/oldSlotOf\(0\) must be -1 or an integer in 0..1, got 2/);
    expect(() => est.remap((n) => n, -1)).toThrow(/size must be an integer/);
    expect(() => est.remap((n) => n, 2, () => 0)).toThrow(/weightOf\(0\) must be a finite number > 0/);
    expect(est.size).toBe(2);
    expect(est.value(0, 0)).toBe(3);
    est.remap((n) => (n === 0 ? -1 : n - 1), 3, (n) => n + 1);
    expect(est.value(1, 0)).toBe(3); // prior 3 per weight, weight 2 → but its own report wins
    expect(est.value(0, 0)).toBe(3); // new, weight 1: the prior
    expect(est.value(2, 0)).toBe(9); // old 1, no report, weight 3: 3 × 3
  });
});

describe('§4 counts', () => {
  it('decisions per mode, stale decisions, reports and polls', () => {
    const est = modeSetup({ mode: 'adaptive', rate: 0, ages: [100, 1500] });
    est.onReport(2, inflight(1), T - 10);
    est.onReport(3, { named_metrics: { inflight: -1 } }, T);
    const seq: [number, number, number | undefined][] = [
      [0, 2, undefined], // both fresh → piggyback
      [0, 1, undefined], // 1 stale → poll
      [0, 1, 30], // 1 stale, no budget → outstanding (stale)
      [1, 4, undefined], // both stale → poll
    ];
    expect(seq.map(([a, b, budgetMs]) => est.decide({ a, b, at: T, budgetMs }))).toEqual(['piggyback', 'poll', 'outstanding', 'poll']);
    est.onPollResult(1, inflight(2), T);
    est.onPollFailed(4, T);
    est.onRequestEnd(5);
    expect(est.counts()).toEqual({
      outstanding: 1, piggyback: 1, poll: 2, stale: 1,
      reports: 4, reportsIgnored: 1, polls: 1, pollFailures: 1, unmatchedEnds: 1,
    });
  });

  it('mode piggyback counts stale decisions; mode outstanding never does', () => {
    for (const [mode, want] of [['piggyback', { piggyback: 1, stale: 1 }], ['outstanding', { outstanding: 1, stale: 0 }]] as const) {
      const est = modeSetup({ mode, rate: 0, ages: [null, 100] });
      est.decide({ a: 0, b: 1, at: T });
      expect(est.counts()).toMatchObject(want);
    }
  });
});

describe('bad input', () => {
  const now = (): number => 0;
  it.each([
    [{ size: -1, now }, /size must be an integer in 0..16777216, got -1/],
    [{ size: 1.5, now }, /size must be an integer/],
    [{ size: 2 }, /options.now must be a clock function/],
    [{ size: 2, now, policy: { mode: 'fast' } }, /policy.mode must be adaptive \| outstanding \| piggyback \| poll, got "fast"/],
    [{ size: 2, now, policy: { staleness_ms: 0 } }, /policy.staleness_ms must be a finite number > 0, got 0/],
    [{ size: 2, now, policy: { staleness_ms: NaN } }, /staleness_ms must be a finite number > 0, got NaN/],
    [{ size: 2, now, weights: [1] }, /weights must have one entry per server \(2\)/],
    [{ size: 2, now, weights: [1, -2] }, /weights\[1\] must be a finite number > 0, got -2/],
    [{ size: 2, now, pool: 0 }, /pool must be an integer ≥ 1, got 0/],
    [{ size: 2, now, pollTimeoutMs: -5 }, /pollTimeoutMs must be a finite number > 0/],
    [{ size: 2, now, utilizationScale: Infinity }, /utilizationScale must be a finite number > 0/],
  ])('options %j → %s', (opts, re) => {
    expect(() => new LoadEstimator(opts as unknown as LoadEstimatorOptions)).toThrow(re);
  });

  it.each([
    ['negative slot', (e: LoadEstimator) => e.onRequestStart(-1), /slot -1 is not a server index in 0..2/],
    ['NaN slot', (e: LoadEstimator) => e.value(NaN), /slot NaN/],
    ['slot past the end', (e: LoadEstimator) => e.onRequestEnd(3), /slot 3/],
    ['fractional slot', (e: LoadEstimator) => e.onReport(1.5, inflight(1)), /slot 1.5/],
    ['NaN time', (e: LoadEstimator) => e.value(0, NaN), /at must be a finite time in ms, got NaN/],
    ['infinite time', (e: LoadEstimator) => e.onRequestStart(0, Infinity), /got Infinity/],
    ['negative budget', (e: LoadEstimator) => e.needsPoll(0, 1, 0, -1), /budgetMs must be a number ≥ 0, got -1/],
    ['bad candidate', (e: LoadEstimator) => e.decide({ a: 0, b: 7 }), /slot 7/],
    ['a report that is not an object', (e: LoadEstimator) => e.onReport(0, null as never), /a report must be an object/],
    ['a short load table', (e: LoadEstimator) => e.values(new Float64Array(2)), /length ≥ 3/],
    ['a bad weight', (e: LoadEstimator) => e.setWeight(0, 0), /weight must be a finite number > 0, got 0/],
    ['a bad policy change', (e: LoadEstimator) => e.setPolicy({ staleness_ms: -1 }), /staleness_ms must be a finite number > 0, got -1/],
  ])('%s throws RangeError/TypeError naming it', (_name, fn, re) => {
    const { est } = make({ size: 3 });
    expect(() => fn(est)).toThrow(re);
  });

  it.each([
    [{ named_metrics: { inflight: -3 } }, /inflight is -3, not a finite number ≥ 0/],
    [{ named_metrics: { inflight: NaN } }, /inflight is NaN/],
    [{ cpu_utilization: -0.5 }, /cpu_utilization is -0.5/],
    [{ cpu_utilization: Infinity }, /cpu_utilization is Infinity/],
    [{}, /neither/],
  ])('a bad report %j is ignored (and counted), never thrown', (report, re) => {
    const { est } = make({ size: 1 });
    expect(est.onReport(0, report, 0)).toMatch(re);
    expect(est.value(0, 0)).toBe(0);
    expect(est.counts().reportsIgnored).toBe(1);
  });

  it('an end with nothing in flight keeps the count at 0 and is counted', () => {
    const { est } = make({ size: 1 });
    est.onRequestEnd(0);
    expect(est.outstanding(0)).toBe(0);
    expect(est.counts().unmatchedEnds).toBe(1);
  });
});

describe('policy and defaults', () => {
  it('defaults are control/config.ts\'s: adaptive, 1000 ms; refresh every staleness / 4', () => {
    const { est } = make({ size: 1 });
    expect([est.mode, est.stalenessMs, est.pollTimeoutMs, est.refreshIntervalMs, est.pool]).toEqual(['adaptive', 1000, 5, 250, 1]);
    expect(LOAD_DEFAULTS).toMatchObject({ busyFactor: 3, pollBudgetFactor: 10, priorAlpha: 0.125 });
  });

  it('setPolicy changes the mode and staleness and keeps the state', () => {
    const { est, clock } = make({ size: 2 });
    est.onRequestStart(0, 0);
    est.onReport(1, inflight(4), 0);
    clock.t = 1500;
    expect(est.isFresh(1)).toBe(false);
    est.setPolicy({ mode: 'outstanding' });
    expect(est.value(1)).toBe(0);
    est.setPolicy({ mode: 'piggyback', staleness_ms: 3000 });
    expect(est.isFresh(1)).toBe(true);
    expect(est.value(0)).toBe(5); // no report: own 1 + the prior, 4 per weight
    expect(est.value(1)).toBe(4);
  });

  it('the injected clock is read when at is left out, and only then', () => {
    let reads = 0;
    const est = new LoadEstimator({ size: 1, now: () => (reads++, 0) });
    const base = reads;
    est.onRequestStart(0, 5);
    est.value(0, 5);
    expect(reads).toBe(base);
    est.value(0);
    expect(reads).toBe(base + 1);
    const broken = new LoadEstimator({ size: 1, now: () => 0 });
    expect(() => broken.value(0, Number('x'))).toThrow(/at must be a finite time/);
    expect(() => new LoadEstimator({ size: 1, now: () => NaN })).toThrow(/the clock gave NaN/);
  });
});

// ── the simulation ─────────────────────────────────────────────────────────────
// 8 servers of weights 1,1,1,1,2,2,4,4 with 8 workers per unit of weight (128 in all) and a fixed
// 20 ms service time (FIFO queue). 20 clients, one LoadEstimator each (staleness 1000 ms), pick-2
// over all 8 servers with each client's own seeded Rng (bindings/ts-core: the core's exact rule).
//  0 … 1000 ms  warm-up: each client sends every 40 ms; a background job holds half the workers
//               of servers 0–5 and none of the big servers 6–7. Reports say: 6 and 7 are empty.
//  1000 ms      clients go idle; the background job moves: 28 of the 32 workers of 6 and 7 each.
//  2200 ms      every client bursts 5 requests, one per ms (100 in all, 72 workers free: 64 on
//               0–5, 8 on 6–7). Their cached reports are 1.2 s old.
// A poll costs 1 ms (added to the request's latency) and returns the server's true in-flight
// count. Responses carry the in-flight count with the answered request counted (like
// host/node/server.ts), reported before the client's end.
interface SimResult {
  toBig: number;
  meanMs: number;
  p99Ms: number;
  polls: number;
  counts: ReturnType<LoadEstimator['counts']>;
}
function simulate(mode: LoadMode): SimResult {
  const W = [1, 1, 1, 1, 2, 2, 4, 4];
  const N = W.length, M = 20, S = 1000, D = 20, WORKERS_PER_W = 8;
  const WARM_END = 1000, BURST_AT = 2200, BURST = 5, WARM_EVERY = 40, HORIZON = 6000;
  const weights = Float64Array.from(W);
  const cap = W.map((w) => w * WORKERS_PER_W);
  const bgWarm = W.map((w, s) => (s < 6 ? 4 * w : 0));
  const bgLate = W.map((w, s) => (s >= 6 ? 7 * w : 0));
  interface Req { client: number; slot: number; sent: number; burst: boolean; end: number }
  const busy: Req[][] = W.map(() => []);
  const queue: Req[][] = W.map(() => []);
  let t = 0;
  const bg = (s: number): number => (t < WARM_END ? bgWarm[s]! : bgLate[s]!);
  const trueLoad = (s: number): number => busy[s]!.length + queue[s]!.length + bg(s);
  const clients = Array.from({ length: M }, (_, k) => ({
    est: new LoadEstimator({ size: N, now: () => t, weights: W, policy: { mode, staleness_ms: S } }),
    rng: new Rng(0x5eed + k),
    next: 5 + k,
    left: 0,
  }));
  const cand = Uint32Array.from(W.keys());
  const loads = new Float64Array(N);
  let polls = 0, toBig = 0;
  const latencies: number[] = [];

  const route = (c: (typeof clients)[number]): { slot: number; delay: number } => {
    // the core's draws, made here so the estimator sees both candidates (spec/load.md §6)
    const probe = new Rng(c.rng.state);
    const i = probe.below(N);
    let j = probe.below(N - 1);
    if (j >= i) j++;
    let delay = 0;
    if (c.est.decide({ a: i, b: j, at: t }) === 'poll') {
      for (const x of [i, j]) {
        if (!c.est.pollable(x, t)) continue;
        c.est.onPollResult(x, { named_metrics: { inflight: trueLoad(x) } }, t);
        polls++;
      }
      delay = 1;
    }
    c.est.values(loads, t);
    const slot = pick2(cand, N, c.rng, loads, weights);
    expect(slot === i || slot === j).toBe(true);
    return { slot, delay };
  };
  const send = (k: number, burst: boolean): void => {
    const c = clients[k]!;
    const { slot, delay } = route(c);
    c.est.onRequestStart(slot, t);
    queue[slot]!.push({ client: k, slot, sent: t - delay, burst, end: 0 });
    if (burst && slot >= 6) toBig++;
  };

  for (t = 0; t < HORIZON; t++) {
    for (let s = 0; s < N; s++) {
      const still: Req[] = [];
      for (const r of busy[s]!) {
        if (r.end > t) {
          still.push(r);
          continue;
        }
        const c = clients[r.client]!;
        c.est.onReport(s, { named_metrics: { inflight: trueLoad(s) } }, t);
        c.est.onRequestEnd(s);
        if (r.burst) latencies.push(t - r.sent);
      }
      busy[s] = still;
    }
    for (let k = 0; k < M; k++) {
      const c = clients[k]!;
      if (t < WARM_END && t >= c.next) {
        send(k, false);
        c.next = t + WARM_EVERY;
      }
      if (t === BURST_AT) c.left = BURST;
      if (t >= BURST_AT && c.left > 0) {
        c.left--;
        send(k, true);
      }
    }
    for (let s = 0; s < N; s++) {
      while (queue[s]!.length > 0 && busy[s]!.length + bg(s) < cap[s]!) {
        const r = queue[s]!.shift()!;
        r.end = t + D;
        busy[s]!.push(r);
      }
    }
    if (t > BURST_AT && latencies.length === M * BURST) break;
  }
  expect(latencies.length).toBe(M * BURST); // every burst request finished within the horizon
  latencies.sort((x, y) => x - y);
  return {
    toBig: toBig / (M * BURST),
    meanMs: latencies.reduce((x, y) => x + y, 0) / latencies.length,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
    polls,
    counts: clients[0]!.est.counts(),
  };
}

describe('simulation: idle clients burst on stale reports', () => {
  const results = Object.fromEntries((['outstanding', 'piggyback', 'poll', 'adaptive'] as LoadMode[]).map((m) => [m, simulate(m)]));

  it('is deterministic', () => {
    expect(simulate('piggyback')).toEqual(results.piggyback);
  });

  it('piggyback-only herds onto the servers whose stale reports looked empty', () => {
    const { piggyback, poll, outstanding } = results;
    // the big servers have 8 of the 72 free workers (11%); stale reports send them half the burst
    expect(piggyback!.toBig).toBeGreaterThan(0.4);
    expect(piggyback!.toBig).toBeGreaterThan(3 * poll!.toBig);
    // stale information is worse than none (outstanding ignores reports altogether)
    expect(piggyback!.toBig).toBeGreaterThan(outstanding!.toBig);
    expect(piggyback!.p99Ms).toBeGreaterThan(2 * poll!.p99Ms);
    expect(piggyback!.meanMs).toBeGreaterThan(1.5 * poll!.meanMs);
    expect(piggyback!.counts.stale).toBeGreaterThan(0);
  });

  it('the poll rule removes the herd; adaptive (the clients are idle, so not busy) decides the same', () => {
    const { poll, adaptive, outstanding } = results;
    expect(poll!.toBig).toBeLessThan(0.2);
    expect(poll!.p99Ms).toBeLessThan(outstanding!.p99Ms);
    expect(poll!.polls).toBeGreaterThan(0);
    expect(adaptive).toEqual(poll);
    expect(adaptive!.counts.poll).toBeGreaterThan(0);
    expect(adaptive!.counts.stale).toBe(0);
  });

  it('the numbers (spec/load.md §5 example 4)', () => {
    const table = Object.fromEntries(Object.entries(results).map(([m, r]) => [m, [r.toBig, Math.round(r.meanMs * 10) / 10, r.p99Ms, r.polls]]));
    expect(table).toEqual({
      outstanding: [0.27, 29.5, 78, 0],
      piggyback: [0.5, 46, 136, 0],
      poll: [0.13, 26.1, 57, 282],
      adaptive: [0.13, 26.1, 57, 282],
    });
  });
});
