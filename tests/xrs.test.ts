// The xRS controller's algorithm (control/xrs.ts, spec/xrs.md):
// - every worked example of spec/xrs.md §7, number for number (keep16 exact, rps to 0.01), so the
//   page and the code can't drift;
// - properties: keeps in [0, 1] and multiples of 1/65536, one per ring, empty and last rings keep 1,
//   load conserved, no spill under target, monotone in demand, a 30-tick surge-and-recover trace
//   that converges without oscillating (checked against an independent router-side flow model),
//   hysteresis under noise, determinism (also across input key order);
// - edge cases and the errors bad input gets.
import { describe, expect, it } from 'vitest';
import {
  capacityFromServers,
  quantizeKeep,
  ringOfRtt,
  xrsTick,
  type XrsOptions,
  type XrsResult,
  type XrsServiceInput,
  type XrsState,
  type XrsTopology,
} from '../control/xrs.js';

const ONE = 65536;
const k16 = (f: number): number => f * ONE;

// spec/xrs.md §7: three regions, 0.3 ms inside a region
const T3: XrsTopology = {
  regions: ['us-east', 'us-central', 'eu-west'],
  rtt_us: [
    [300, 25000, 75000],
    [25000, 300, 100000],
    [75000, 100000, 300],
  ],
};
const CAP3 = { 'us-east': 1000, 'us-central': 1000, 'eu-west': 1000 };
const dem3 = (east: number, central: number, eu: number): Record<string, number> => ({ 'us-east': east, 'us-central': central, 'eu-west': eu });

// example 7: four regions
const T4: XrsTopology = {
  regions: ['us-east', 'us-central', 'us-west', 'eu-west'],
  rtt_us: [
    [300, 25000, 60000, 75000],
    [25000, 300, 25000, 100000],
    [60000, 25000, 300, 140000],
    [75000, 100000, 140000, 300],
  ],
};
const CAP4 = { 'us-east': 1000, 'us-central': 1000, 'us-west': 1000, 'eu-west': 1000 };

/** Runs ticks in sequence, each fed the previous state. */
function run(topology: XrsTopology, inputs: XrsServiceInput[], options?: XrsOptions, state?: XrsState): XrsResult[] {
  const out: XrsResult[] = [];
  let st = state;
  for (const input of inputs) {
    const r = xrsTick(topology, input, st, options);
    out.push(r);
    st = r.state;
  }
  return out;
}

const near = (actual: number, printed: number, halfUlp: number): void => {
  expect(Math.abs(actual - printed), `${actual} printed as ${printed}`).toBeLessThanOrEqual(halfUlp + 1e-9);
};
const load = (r: XrsResult, region: string): number => r.diag.regions.find((x) => x.region === region)!.assigned_rps;

interface Check {
  /** keep16 per ring of the listed regions; every other region must keep 65536 everywhere */
  keep16: Record<string, number[]>;
  /** assigned rps per region, as printed (0.01) */
  load?: Record<string, number>;
  /** smoothed demand of one region, exact */
  smoothed?: [string, number];
  /** [region, rows of [reaching, available, kept]] as printed (0.01) */
  rings?: [string, [number, number, number][]];
  stretch?: number;
}

interface Example {
  name: string;
  topology: XrsTopology;
  options?: XrsOptions;
  ticks: XrsServiceInput[];
  /** one check per tick */
  checks: Check[];
}

const EXAMPLES: Example[] = [
  {
    name: 'example 1: a surge in us-east spills to the 35 ms ring',
    topology: T3,
    ticks: [{ capacity_rps: CAP3, demand_rps: dem3(1500, 500, 300) }],
    checks: [
      {
        keep16: { 'us-east': [34953, 28087, ONE, ONE] },
        rings: ['us-east', [[1500, 800, 800.01], [699.99, 300, 300], [399.99, 500, 399.99], [0, 0, 0]]],
        load: { 'us-east': 800.01, 'us-central': 800.0, 'eu-west': 699.99 },
        stretch: 1,
      },
    ],
  },
  {
    name: 'example 2: the surge ends and the traffic comes back',
    topology: T3,
    ticks: [1500, 500, 500, 500, 500, 500].map((d) => ({ capacity_rps: CAP3, demand_rps: dem3(d, 500, 300) })),
    checks: [
      { smoothed: ['us-east', 1500], keep16: { 'us-east': [34953, 28087, ONE, ONE] }, load: { 'us-east': 800.01, 'us-central': 800.0, 'eu-west': 699.99 } },
      { smoothed: ['us-east', 1000], keep16: { 'us-east': [43145, 36279, ONE, ONE] }, load: { 'us-east': 658.34, 'us-central': 689.13, 'eu-west': 452.53 } },
      { smoothed: ['us-east', 750], keep16: { 'us-east': [51337, 44471, ONE, ONE] }, load: { 'us-east': 587.51, 'us-central': 610.26, 'eu-west': 352.23 } },
      { smoothed: ['us-east', 625], keep16: { 'us-east': [59529, 52663, ONE, ONE] }, load: { 'us-east': 567.71, 'us-central': 546.03, 'eu-west': 311.25 } },
      { smoothed: ['us-east', 562.5], keep16: { 'us-east': [ONE, 60855, ONE, ONE] }, load: { 'us-east': 562.5, 'us-central': 500, 'eu-west': 300 } },
      { smoothed: ['us-east', 531.25], keep16: {}, load: { 'us-east': 531.25, 'us-central': 500, 'eu-west': 300 } },
    ],
  },
  {
    name: 'example 3: us-central fails',
    topology: T3,
    ticks: [{ capacity_rps: { ...CAP3, 'us-central': 0 }, demand_rps: dem3(500, 500, 300) }],
    checks: [
      {
        keep16: { 'us-central': [ONE, 39322, ONE, ONE] },
        rings: ['us-central', [[500, 0, 0], [500, 300, 300], [200, 0, 0], [200, 500, 200]]],
        load: { 'us-east': 800, 'us-central': 0, 'eu-west': 500 },
      },
    ],
  },
  {
    name: 'example 4: the whole service over target',
    topology: T3,
    ticks: [{ capacity_rps: CAP3, demand_rps: dem3(1200, 1000, 800) }],
    checks: [{ keep16: { 'us-east': [54613, 0, ONE, ONE] }, load: { 'us-east': 999.99, 'us-central': 1000, 'eu-west': 1000.01 }, stretch: 1.25 }],
  },
  {
    name: 'example 5: noise around the target, default margin 0.05 (hysteresis holds)',
    topology: T3,
    ticks: [810, 790, 810, 790, 810, 700, 700].map((d) => ({ capacity_rps: CAP3, demand_rps: dem3(d, 500, 300) })),
    checks: [
      [810, 64727, 800.0],
      [800, 64727, 790.12],
      [810, 64727, 800.0],
      [800, 64727, 790.12],
      [810, 64727, 800.0],
      [755, 65102, 750.0],
      [727.5, ONE, 727.5],
    ].map(([sm, k0, l]) => ({ smoothed: ['us-east', sm], keep16: { 'us-east': [k0, ONE, ONE, ONE] }, load: { 'us-east': l } }) as Check),
  },
  {
    name: 'example 5: noise around the target, margin 0 (the keep flips every tick)',
    topology: T3,
    options: { margin: 0 },
    ticks: [810, 790, 810, 790, 810, 700, 700].map((d) => ({ capacity_rps: CAP3, demand_rps: dem3(d, 500, 300) })),
    checks: [64727, ONE, 64727, ONE, 64727, ONE, ONE].map((k0) => ({ keep16: { 'us-east': [k0, ONE, ONE, ONE] } })),
  },
  {
    name: 'example 6: the servers are slower than declared (calibration)',
    topology: T3,
    ticks: [{ capacity_rps: CAP3, demand_rps: dem3(700, 500, 300), measured: { 'us-east': { load_rps: 600, utilization: 0.75 } } }],
    checks: [
      {
        keep16: { 'us-east': [59919, ONE, ONE, ONE] },
        rings: ['us-east', [[700, 640, 640], [60, 300, 60], [0, 0, 0], [0, 0, 0]]],
        load: { 'us-east': 640, 'us-central': 560, 'eu-west': 300 },
      },
    ],
  },
  {
    name: 'example 7: two surges share a neighbour',
    topology: T4,
    ticks: [{ capacity_rps: CAP4, demand_rps: { 'us-east': 1200, 'us-west': 1200, 'us-central': 200 } }],
    checks: [
      {
        keep16: { 'us-east': [43691, 49153, ONE, ONE], 'us-west': [43691, 49153, 0, ONE] },
        rings: ['us-west', [[1200, 800, 800.01], [399.99, 300, 300], [99.99, 0, 0], [99.99, 700.01, 99.99]]],
        load: { 'us-east': 800.01, 'us-central': 800, 'us-west': 800.01, 'eu-west': 199.98 },
      },
    ],
  },
];

describe('xrs: the worked examples of spec/xrs.md §7', () => {
  it.each(EXAMPLES)('$name', ({ topology, options, ticks, checks }) => {
    expect(checks.length).toBe(ticks.length);
    const results = run(topology, ticks, options);
    results.forEach((r, t) => {
      const c = checks[t];
      for (const region of topology.regions) {
        const want = c.keep16[region] ?? [ONE, ONE, ONE, ONE];
        expect(r.spill[region].map(k16), `tick ${t} ${region}`).toEqual(want);
      }
      for (const [region, printed] of Object.entries(c.load ?? {})) near(load(r, region), printed, 0.005);
      if (c.smoothed) expect(r.state.demand_rps[c.smoothed[0]]).toBe(c.smoothed[1]);
      if (c.stretch !== undefined) expect(r.diag.stretch).toBe(c.stretch);
      if (c.rings) {
        const rows = r.diag.regions.find((x) => x.region === c.rings![0])!.rings;
        c.rings[1].forEach(([reach, avail, kept], i) => {
          near(rows[i].reaching_rps, reach, 0.005);
          near(rows[i].available_rps, avail, 0.005);
          near(rows[i].kept_rps, kept, 0.005);
          expect(rows[i].keep).toBe(r.spill[c.rings![0]][i]);
        });
      }
    });
  });

  it('example 7: the rings as the spec lists them', () => {
    const [r] = run(T4, [{ capacity_rps: CAP4, demand_rps: { 'us-east': 1200, 'us-west': 1200, 'us-central': 200 } }]);
    const rings = (region: string): string[] => r.diag.regions.find((x) => x.region === region)!.rings.map((g) => g.regions.join(', '));
    expect(rings('us-east')).toEqual(['us-east', 'us-central', 'us-west, eu-west', '']);
    expect(rings('us-west')).toEqual(['us-west', 'us-central', 'us-east', 'eu-west']);
  });
});

// ---------------------------------------------------------------------------------------------
// an independent model of what routers do with the published keeps: each client region's actual
// demand walks its non-empty rings, each but the last keeps its fraction, the last keeps the rest;
// a ring's kept traffic spreads over its regions in proportion to capacity (pick-2 by capacity)

function routerLoads(topology: XrsTopology, rings: (number | null)[], cap: Record<string, number>, demand: Record<string, number>, spill: Record<string, number[]>): Record<string, number> {
  const { regions, rtt_us } = topology;
  const out: Record<string, number> = Object.fromEntries(regions.map((r) => [r, 0]));
  regions.forEach((c, ci) => {
    const groups = rings.map(() => [] as string[]);
    regions.forEach((s, si) => {
      if ((cap[s] ?? 0) <= 0) return;
      const rtt = rtt_us[ci][si];
      const i = rings.findIndex((b) => b === null || (rtt !== null && rtt <= b));
      if (i >= 0) groups[i].push(s);
    });
    const nonEmpty = groups.map((g, i) => [g, i] as const).filter(([g]) => g.length > 0);
    let left = demand[c] ?? 0;
    nonEmpty.forEach(([g, i], n) => {
      const kept = n === nonEmpty.length - 1 ? left : left * spill[c][i];
      const total = g.reduce((a, s) => a + cap[s], 0);
      for (const s of g) out[s] += (kept * cap[s]) / total;
      left -= kept;
    });
  });
  return out;
}

const RINGS = [5000, 35000, 80000, null];

// a small seeded generator for random inputs (mulberry32)
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCase(seed: number): { topology: XrsTopology; input: XrsServiceInput; state?: XrsState } {
  const rand = rng(seed);
  const R = 1 + Math.floor(rand() * 6);
  const regions = Array.from({ length: R }, (_, i) => `r${i}`);
  const rtt_us = regions.map((_, i) => regions.map((__, j) => (rand() < 0.1 ? null : i === j ? Math.floor(rand() * 6000) : Math.floor(rand() * 150000))));
  const rings_us = rand() < 0.5 ? [...RINGS] : rand() < 0.5 ? [5000, 35000, 80000] : [20000, null];
  const capacity_rps: Record<string, number> = {};
  const demand_rps: Record<string, number> = {};
  for (const r of regions) {
    if (rand() < 0.8) capacity_rps[r] = rand() < 0.15 ? 0 : Math.floor(rand() * 2000);
    if (rand() < 0.9) demand_rps[r] = rand() < 0.15 ? 0 : rand() * 3000;
  }
  let state: XrsState | undefined;
  if (rand() < 0.5) {
    state = { keep: {}, demand_rps: {} };
    for (const r of regions) {
      state.keep[r] = rings_us.map(() => (rand() < 0.5 ? 1 : Math.floor(rand() * ONE) / ONE));
      state.demand_rps[r] = rand() * 3000;
    }
  }
  return { topology: { regions, rtt_us }, input: { rings_us, capacity_rps, demand_rps }, state };
}

describe('xrs: properties', () => {
  it('random inputs: keeps in [0, 1], multiples of 1/65536, one per ring, for every region; empty and last rings keep 1; load is conserved', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const { topology, input, state } = randomCase(seed);
      const r = xrsTick(topology, input, state);
      const N = input.rings_us!.length;
      expect(Object.keys(r.spill)).toEqual(topology.regions);
      let placed = 0;
      let demanded = 0;
      for (const d of r.diag.regions) {
        const keeps = r.spill[d.region];
        expect(keeps.length).toBe(N);
        for (const k of keeps) {
          expect(k >= 0 && k <= 1).toBe(true);
          expect(Number.isInteger(k * ONE)).toBe(true);
        }
        const nonEmpty = d.rings.filter((g) => g.regions.length > 0).map((g) => g.ring);
        d.rings.forEach((g) => {
          if (g.regions.length === 0) expect(keeps[g.ring]).toBe(1);
        });
        if (nonEmpty.length > 0) expect(keeps[nonEmpty[nonEmpty.length - 1]]).toBe(1);
        else expect(d.unroutable_rps).toBe(d.demand_rps);
        placed += d.assigned_rps;
        demanded += d.demand_rps - d.unroutable_rps;
      }
      expect(Math.abs(placed - demanded)).toBeLessThanOrEqual(1e-9 * Math.max(1, demanded));
    }
  });

  it('determinism: the same inputs give identical results, whatever the key order of the input objects', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { topology, input, state } = randomCase(seed);
      const a = xrsTick(topology, input, state);
      const b = xrsTick(structuredClone(topology), structuredClone(input), structuredClone(state));
      expect(b).toEqual(a);
      const rev = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).reverse());
      const c = xrsTick(
        topology,
        { ...input, capacity_rps: rev(input.capacity_rps), demand_rps: rev(input.demand_rps) },
        state && { keep: rev(state.keep), demand_rps: rev(state.demand_rps) },
      );
      expect(JSON.stringify(c)).toBe(JSON.stringify(a));
    }
  });

  it('no spill under target: every region within target of its own capacity keeps everything', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 100; trial++) {
      const R = 2 + Math.floor(rand() * 5);
      const regions = Array.from({ length: R }, (_, i) => `r${i}`);
      const rtt_us = regions.map((_, i) => regions.map((__, j) => (i === j ? 200 : 6000 + Math.floor(rand() * 150000))));
      const capacity_rps: Record<string, number> = {};
      const demand_rps: Record<string, number> = {};
      for (const r of regions) {
        capacity_rps[r] = 1 + Math.floor(rand() * 5000);
        demand_rps[r] = rand() * 0.8 * capacity_rps[r];
      }
      const r = xrsTick({ regions, rtt_us }, { capacity_rps, demand_rps });
      for (const region of regions) expect(r.spill[region]).toEqual([1, 1, 1, 1]);
      for (const d of r.diag.regions) expect(d.utilization!).toBeLessThanOrEqual(0.8);
    }
  });

  it('under target − margin everywhere: home-ring keeps only rise, one step a tick, and every keep is back to 1 within 16 ticks', () => {
    // (an outer ring may still drop for a while: the spill a low home keep still sends must fit there)
    for (let seed = 1; seed <= 50; seed++) {
      const rand = rng(seed);
      const state: XrsState = { keep: {}, demand_rps: {} };
      for (const r of T3.regions) state.keep[r] = RINGS.map(() => Math.floor(rand() * ONE) / ONE);
      const input = { capacity_rps: CAP3, demand_rps: dem3(rand() * 750, rand() * 750, rand() * 750) };
      let prev = state.keep;
      const trace = run(T3, Array(16).fill(input), undefined, state);
      for (const r of trace) {
        for (const region of T3.regions) {
          const k = r.spill[region][0];
          expect(k).toBeGreaterThanOrEqual(prev[region][0]);
          expect(k - prev[region][0]).toBeLessThanOrEqual(0.125);
        }
        prev = r.spill;
      }
      for (const region of T3.regions) expect(trace[15].spill[region]).toEqual([1, 1, 1, 1]);
    }
  });

  it('monotone response to demand: as us-east demand rises, it keeps less at home, spills more, and no region gets less', () => {
    let last: XrsResult | undefined;
    let lastDemand = 0;
    for (let d = 0; d <= 4000; d += 25) {
      const r = xrsTick(T3, { capacity_rps: CAP3, demand_rps: dem3(d, 500, 300) });
      if (last) {
        expect(r.spill['us-east'][0]).toBeLessThanOrEqual(last.spill['us-east'][0]);
        const spilled = (1 - r.spill['us-east'][0]) * d;
        const lastSpilled = (1 - last.spill['us-east'][0]) * lastDemand;
        expect(spilled).toBeGreaterThanOrEqual(lastSpilled - 1e-9);
        // up to the keep16 rounding of the two ticks' keeps: d / 131072 rps each
        for (const region of T3.regions) expect(load(r, region)).toBeGreaterThanOrEqual(load(last, region) - d / 65536);
      }
      last = r;
      lastDemand = d;
    }
  });

  it('a 30-tick surge and recovery converges without oscillation and never overloads a region', () => {
    // ticks 0–4: 500 rps; 5–14: surge to 1500 (150% of capacity); 15–29: back to 500
    const east = (t: number): number => (t >= 5 && t < 15 ? 1500 : 500);
    const inputs = Array.from({ length: 30 }, (_, t) => ({ capacity_rps: CAP3, demand_rps: dem3(east(t), 500, 300) }));
    const trace = run(T3, inputs);
    trace.forEach((r, t) => {
      // the routers' loads from the actual demand and the published keeps stay within target
      const loads = routerLoads(T3, RINGS, CAP3, inputs[t].demand_rps, r.spill);
      for (const region of T3.regions) expect(loads[region] / 1000).toBeLessThanOrEqual(0.8 + 1e-4);
    });
    for (const region of T3.regions) {
      for (let ring = 0; ring < 4; ring++) {
        const ks = trace.map((r) => r.spill[region][ring]);
        // before the surge: 1; during: one move down at its start, then constant
        for (let t = 0; t < 5; t++) expect(ks[t]).toBe(1);
        for (let t = 6; t < 15; t++) expect(ks[t]).toBe(ks[5]);
        // after: never down, at most one step up a tick, back to 1 within 5 ticks and stays
        for (let t = 15; t < 30; t++) {
          expect(ks[t]).toBeGreaterThanOrEqual(ks[t - 1]);
          expect(ks[t] - ks[t - 1]).toBeLessThanOrEqual(0.125);
        }
        for (let t = 20; t < 30; t++) expect(ks[t]).toBe(1);
      }
    }
    expect(trace[5].spill['us-east'][0]).toBeLessThan(1); // it did spill
  });

  it('hysteresis: demand noise of ±1.25% around the target never pulls traffic back; without a margin it does, every few ticks', () => {
    const rand = rng(99);
    const noisy = Array.from({ length: 30 }, () => ({ capacity_rps: CAP3, demand_rps: dem3(790 + 20 * rand(), 500, 300) }));
    const ups = (opts?: XrsOptions): number => {
      const ks = run(T3, noisy, opts).map((r) => r.spill['us-east'][0]);
      return ks.slice(1).filter((k, i) => k > ks[i]).length;
    };
    expect(ups()).toBe(0);
    expect(ups({ margin: 0 })).toBeGreaterThan(3);
  });

  it('a controller that takes over with the published state continues exactly where the leader stopped', () => {
    const inputs = [1500, 1500, 500, 500, 500].map((d) => ({ capacity_rps: CAP3, demand_rps: dem3(d, 500, 300) }));
    const leader = run(T3, inputs);
    const handedOver = JSON.parse(JSON.stringify(leader[2].state)) as XrsState;
    const standby = run(T3, inputs.slice(3), undefined, handedOver);
    expect(standby).toEqual(leader.slice(3));
  });
});

describe('xrs: edge cases', () => {
  const cases: { name: string; topology: XrsTopology; input: XrsServiceInput; state?: XrsState; check: (r: XrsResult) => void }[] = [
    {
      name: 'no capacity anywhere: all keeps 1, the demand unroutable, no utilization',
      topology: T3,
      input: { capacity_rps: {}, demand_rps: dem3(500, 500, 300) },
      check: (r) => {
        for (const region of T3.regions) expect(r.spill[region]).toEqual([1, 1, 1, 1]);
        for (const d of r.diag.regions) {
          expect(d.unroutable_rps).toBe(d.demand_rps);
          expect(d.utilization).toBeNull();
          expect(d.assigned_rps).toBe(0);
        }
        expect(r.diag.stretch).toBe(1);
      },
    },
    {
      name: 'unknown RTT with an unbounded ring: the region lands in the unbounded ring',
      topology: { regions: ['a', 'b'], rtt_us: [[300, null], [null, 300]] },
      input: { capacity_rps: { a: 1000, b: 1000 }, demand_rps: { a: 1000 } },
      check: (r) => {
        expect(r.diag.regions[0].rings.map((g) => g.regions)).toEqual([['a'], [], [], ['b']]);
        expect(r.spill.a.map(k16)).toEqual([52429, ONE, ONE, ONE]);
      },
    },
    {
      name: 'unknown RTT without an unbounded ring: the region is in no ring, the last ring overflows',
      topology: { regions: ['a', 'b'], rtt_us: [[300, null], [null, 300]] },
      input: { rings_us: [5000, 35000], capacity_rps: { a: 1000, b: 1000 }, demand_rps: { a: 1000 } },
      check: (r) => {
        expect(r.diag.regions[0].rings.map((g) => g.regions)).toEqual([['a'], []]);
        expect(r.spill.a).toEqual([1, 1]);
        expect(r.diag.regions[0].overflow_rps).toBe(200);
        expect(r.diag.regions[0].utilization).toBe(1);
      },
    },
    {
      name: 'a client region that reaches no server: unroutable, all 1s',
      topology: { regions: ['a', 'b'], rtt_us: [[300, 90000], [90000, 300]] },
      input: { rings_us: [5000, 35000], capacity_rps: { a: 1000 }, demand_rps: { a: 100, b: 700 } },
      check: (r) => {
        expect(r.spill.b).toEqual([1, 1]);
        expect(r.diag.regions[1].unroutable_rps).toBe(700);
        expect(r.diag.regions[0].assigned_rps).toBe(100);
      },
    },
    {
      name: 'empty rings keep 1 between non-empty ones',
      topology: T3,
      input: { capacity_rps: { ...CAP3, 'us-central': 0 }, demand_rps: dem3(2000, 0, 0) },
      check: (r) => {
        expect(r.diag.regions[0].rings.map((g) => g.regions.length)).toEqual([1, 0, 1, 0]);
        expect(r.spill['us-east'][1]).toBe(1);
        expect(r.spill['us-east'][3]).toBe(1);
      },
    },
    {
      name: 'a region with zero demand steps its old keeps back to 1',
      topology: T3,
      input: { capacity_rps: CAP3, demand_rps: dem3(500, 500, 0) },
      state: { keep: { 'eu-west': [0.5, 0, 0.25, 1] }, demand_rps: { 'eu-west': 0 } },
      check: (r) => {
        expect(r.spill['eu-west']).toEqual([0.625, 1, 0.375, 1]); // ring 1 is empty for eu-west, ring 3 its last
        expect(r.diag.regions[2].rings.every((g) => g.reaching_rps === 0)).toBe(true);
      },
    },
    {
      name: 'regions absent from the records count 0; a single region keeps everything',
      topology: { regions: ['solo'], rtt_us: [[100]] },
      input: { capacity_rps: { solo: 100 }, demand_rps: { solo: 1000 } },
      check: (r) => {
        expect(r.spill.solo).toEqual([1, 1, 1, 1]);
        expect(r.diag.regions[0].utilization).toBe(10);
        expect(r.diag.stretch).toBe(12.5);
      },
    },
    {
      name: 'a measured utilization below 0.2 does not calibrate; the clamp bounds a wild report',
      topology: T3,
      input: {
        capacity_rps: CAP3,
        demand_rps: dem3(100, 100, 100),
        measured: { 'us-east': { load_rps: 10, utilization: 0.1 }, 'us-central': { load_rps: 100, utilization: 1 }, 'eu-west': { load_rps: 1e9, utilization: 0.5 } },
      },
      check: (r) => {
        expect(r.diag.regions.map((d) => d.capacity_rps)).toEqual([1000, 250, 4000]);
      },
    },
    {
      name: 'per-ring targets (75/80/85/90%): a region is kept at 75% by its own clients',
      topology: T3,
      input: { capacity_rps: CAP3, demand_rps: dem3(1500, 500, 300) },
      check: (r) => {
        expect(r.diag.fill).toEqual([0.75, 0.8, 0.85, 0.9]);
        expect(r.spill['us-east'].map(k16)).toEqual([32768, 26214, ONE, ONE]); // 750/1500, then 300/750
        near(load(r, 'us-east'), 750, 0.005);
        near(load(r, 'us-central'), 800, 0.005);
      },
    },
  ];
  it.each(cases)('$name', ({ name, topology, input, state, check }) => {
    const options = name.startsWith('per-ring') ? { target: [0.75, 0.8, 0.85, 0.9] } : undefined;
    check(xrsTick(topology, input, state, options));
  });
});

describe('xrs: bad input is refused with a specific message', () => {
  const ok = (): { topology: XrsTopology; input: XrsServiceInput; state?: XrsState; options?: XrsOptions } => ({
    topology: structuredClone(T3),
    input: { capacity_rps: { ...CAP3 }, demand_rps: dem3(1, 1, 1) },
  });
  type Case = ReturnType<typeof ok>;
  const cases: [string, (c: Case) => void, RegExp][] = [
    ['negative capacity', (c) => (c.input.capacity_rps['us-east'] = -5), /^xrs: capacity_rps\["us-east"\] = -5 must be a finite number ≥ 0$/],
    ['NaN demand', (c) => (c.input.demand_rps['eu-west'] = NaN), /^xrs: demand_rps\["eu-west"\] = null must be a finite number ≥ 0$/],
    ['unknown region in demand', (c) => (c.input.demand_rps['mars'] = 1), /^xrs: demand_rps\["mars"\]: unknown region$/],
    ['RTT rows mismatch the regions', (c) => c.topology.rtt_us.pop(), /^xrs: rtt_us has 2 rows for 3 regions$/],
    ['RTT row too short', (c) => c.topology.rtt_us[1].pop(), /^xrs: rtt_us row 1 must have 3 entries$/],
    ['negative RTT', (c) => (c.topology.rtt_us[0][1] = -1), /^xrs: rtt_us\[0\]\[1\] = -1 must be null/],
    ['repeated region', (c) => (c.topology.regions[2] = 'us-east'), /^xrs: region "us-east" is listed twice$/],
    ['rings not increasing', (c) => (c.input.rings_us = [5000, 5000, null]), /^xrs: rings_us\[1\] = 5000 must be greater than rings_us\[0\] = 5000$/],
    ['unbounded ring not last', (c) => (c.input.rings_us = [5000, null, 80000]), /^xrs: rings_us\[1\] is unbounded but not the last ring$/],
    ['no rings', (c) => (c.input.rings_us = []), /^xrs: rings_us must list at least one ring$/],
    ['state keeps of the wrong length', (c) => (c.state = { keep: { 'us-east': [1, 1] }, demand_rps: {} }), /^xrs: state.keep\["us-east"\] has 2 values for 4 rings/],
    ['state keep out of range', (c) => (c.state = { keep: { 'us-east': [1, 1.5, 1, 1] }, demand_rps: {} }), /^xrs: state.keep\["us-east"\]\[1\] = 1.5 must be in \[0, 1\]$/],
    ['target above 1', (c) => (c.options = { target: 1.2 }), /^xrs: options.target\[0\] = 1.2 must be in \(0, 1\]$/],
    ['targets of the wrong length', (c) => (c.options = { target: [0.8, 0.8] }), /^xrs: options.target has 2 values for 4 rings$/],
    ['margin at the target', (c) => (c.options = { margin: 0.8 }), /^xrs: options.margin 0.8 must be in \[0, 0.8\)/],
    ['zero step', (c) => (c.options = { maxStepUp: 0 }), /^xrs: options.maxStepUp 0 must be in \(0, 1\]$/],
    ['negative measured utilization', (c) => (c.input.measured = { 'us-east': { load_rps: 1, utilization: -1 } }), /^xrs: measured\["us-east"\].utilization = -1 must be/],
    ['missing demand', (c) => delete (c.input as Partial<XrsServiceInput>).demand_rps, /^xrs: demand_rps is required$/],
  ];
  it.each(cases)('%s', (_name, mutate, message) => {
    const c = ok();
    mutate(c);
    expect(() => xrsTick(c.topology, c.input, c.state, c.options)).toThrow(message);
  });
});

describe('xrs: helpers', () => {
  it('quantizeKeep is the miniRIB keep16 rule', () => {
    const table: [number, number][] = [[0, 0], [1, ONE], [0.5, 32768], [1 / 3, 21845], [2 / 3, 43691], [0.8, 52429], [1 - 1e-9, ONE]];
    for (const [f, keep16] of table) expect(quantizeKeep(f) * ONE).toBe(keep16);
    expect(() => quantizeKeep(1.01)).toThrow(/^xrs: keep fraction 1.01 is not in \[0, 1\]$/);
    expect(() => quantizeKeep(NaN)).toThrow(/not in \[0, 1\]/);
  });

  it('ringOfRtt is routing.md\'s rule: first bound the RTT fits, unknown only in an unbounded ring', () => {
    const table: [number | null, (number | null)[], number][] = [
      [300, RINGS, 0], [5000, RINGS, 0], [5001, RINGS, 1], [80000, RINGS, 2], [80001, RINGS, 3], [null, RINGS, 3],
      [null, [5000, 35000], -1], [40000, [5000, 35000], -1], [0, [0], 0],
    ];
    for (const [rtt, rings, want] of table) expect(ringOfRtt(rtt, rings)).toBe(want);
  });

  it('capacityFromServers sums up servers only: capacity_rps, else weight × rps per weight', () => {
    const cap = capacityFromServers(
      [
        { id: 'a', region: 'us-east', weight: 2 },
        { id: 'b', region: 'us-east' },
        { id: 'c', region: 'us-east', state: 'draining', weight: 5 },
        { id: 'd', region: 'eu-west', state: 'down' },
        { id: 'e', region: 'us-central', capacity_rps: 750 },
      ],
      100,
    );
    expect(cap).toEqual({ 'us-east': 300, 'us-central': 750 });
    expect(() => capacityFromServers([], 0)).toThrow(/^xrs: rpsPerWeight 0 must be a finite number > 0$/);
    expect(() => capacityFromServers([{ id: 'x', region: 'a', capacity_rps: -1 }], 1)).toThrow(/^xrs: server "x" capacity_rps -1 must be/);
  });
});
