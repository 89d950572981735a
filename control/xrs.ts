// The cross-region routing (xRS) controller's algorithm: for one service and one tick, the spill
// keep fractions of every client region (ServiceModel.spill; spec/routing.md §2–3), computed from
// each region's demand and its servers' capacity against a target utilization, and damped so that a
// surge spills outward at once and comes back over a few ticks without oscillating. Pure and
// deterministic: no clock, no randomness, no I/O; regions are visited in topology order, every sum
// in a fixed order, and every keep is quantized to 1/65536 (the miniRIB's keep16), so two
// controllers fed the same inputs publish the same numbers bit for bit. Spec: spec/xrs.md.
//
// Source: ServiceRouter (Saokar et al., OSDI '23), cross-region routing: xRS has the global view
// one client lacks, aggregates each service's load per region and publishes a cross-region routing
// table (here: per-ring keep fractions) through the RIB, off the request path.
//
// Cost: O(R² × rings) per service per tick, R = regions: the ring of every (client region, server
// region) pair, then each pair is visited once more in the level walk; O(R × rings) memory.
// Called by: the xRS controller, once per service per tick (e.g. every second). It publishes
// `spill` to the RIB and passes `state` back into the next tick for that service.
import { KEEP_ONE } from '../bindings/layout.js';
import { DEFAULT_RINGS_US, type ServerState } from '../bindings/model.js';

/** The regions and their RTT matrix, as in the RIB (spec/routing.md §2). */
export interface XrsTopology {
  regions: string[];
  /** rtt_us[i][j]: µs from region i to region j; null = unknown. */
  rtt_us: (number | null)[][];
}

/** What the controller knows of one service this tick. */
export interface XrsServiceInput {
  /** Ring bounds in µs, strictly increasing, the last may be null (unbounded). Default 5 ms | 35 ms | 80 ms | unbounded. */
  rings_us?: (number | null)[];
  /**
   * Per server region: requests/s the service's `up` servers there serve at utilization 1
   * (capacityFromServers() derives it from the registry). Absent or 0 = no server there.
   */
  capacity_rps: Record<string, number>;
  /** Per client region: requests/s to this service originating there, measured over the last tick. Absent = 0. */
  demand_rps: Record<string, number>;
  /**
   * Optional, per server region: what its servers reported over the last tick (requests/s served,
   * mean utilization in [0, 1]). Calibrates the capacity: load_rps / utilization.
   */
  measured?: Record<string, { load_rps: number; utilization: number }>;
}

/** Tuning; every field has a default (spec/xrs.md §5). */
export interface XrsOptions {
  /** Target utilization, one for all rings or one per ring; each in (0, 1]. Default 0.8. */
  target?: number | number[];
  /** Hysteresis: a ring takes traffic back only up to target − margin. In [0, min target). Default 0.05. */
  margin?: number;
  /** Largest rise of a keep fraction per tick. In (0, 1]. Default 0.125 (8192/65536). */
  maxStepUp?: number;
  /** Smoothing gain when the measured demand rises above the smoothed one. In (0, 1]. Default 1 (at once). */
  riseGain?: number;
  /** Smoothing gain when the measured demand falls below the smoothed one. In (0, 1]. Default 0.5. */
  fallGain?: number;
  /** A measured utilization below this does not calibrate the capacity. In (0, 1]. Default 0.2. */
  calibrationMinUtilization?: number;
  /** The calibrated capacity stays within [nominal / f, nominal × f]. ≥ 1. Default 4. */
  calibrationMaxFactor?: number;
}

/** Carried from one tick to the next, per service. A controller that takes over may start without it. */
export interface XrsState {
  /** The keep fractions last published, per client region (same shape as the output). */
  keep: Record<string, number[]>;
  /** The smoothed demand, per client region. */
  demand_rps: Record<string, number>;
}

/** One ring as seen from one client region. */
export interface XrsRingDiag {
  ring: number;
  /** Server regions in the ring, in topology order (empty: the ring is empty for this client). */
  regions: string[];
  /** Σ capacity of those regions. */
  capacity_rps: number;
  /** Traffic of this client region that reaches the ring (not kept by nearer rings). */
  reaching_rps: number;
  /** This client region's share of the ring's free capacity under the ring's fill level. */
  available_rps: number;
  /** Traffic the ring keeps: keep × reaching. */
  kept_rps: number;
  /** The published keep fraction. */
  keep: number;
}

export interface XrsRegionDiag {
  region: string;
  /** As a client region: the smoothed demand the tick used. */
  demand_rps: number;
  /** As a server region: the capacity the tick used (calibrated if measured). */
  capacity_rps: number;
  /** As a server region: the load the published keeps put on it. */
  assigned_rps: number;
  /** assigned / capacity; null without capacity. */
  utilization: number | null;
  /** As a client region: traffic kept by its last non-empty ring beyond that ring's available share. */
  overflow_rps: number;
  /** As a client region: demand no ring can serve (no server region fits any ring). */
  unroutable_rps: number;
  rings: XrsRingDiag[];
}

export interface XrsDiagnostic {
  /** The fill level of each ring this tick: target × stretch. */
  fill: number[];
  /** ≥ 1: how far the targets were raised because the whole service is over target (spec/xrs.md §3 step 5). */
  stretch: number;
  regions: XrsRegionDiag[];
}

export interface XrsResult {
  /** Per client region (every region of the topology), one keep fraction per ring: ServiceModel.spill. */
  spill: Record<string, number[]>;
  /** Pass to the next tick of the same service. */
  state: XrsState;
  diag: XrsDiagnostic;
}

export const XRS_DEFAULTS: Readonly<Required<Omit<XrsOptions, 'target'>> & { target: number }> = Object.freeze({
  target: 0.8,
  margin: 0.05,
  maxStepUp: 0.125,
  riseGain: 1,
  fallGain: 0.5,
  calibrationMinUtilization: 0.2,
  calibrationMaxFactor: 4,
});

const fail = (msg: string): never => {
  throw new Error(`xrs: ${msg}`);
};
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A keep fraction as the miniRIB stores it: the nearest multiple of 1/65536 (keep16 = floor(f × 65536 + 0.5)). */
export function quantizeKeep(f: number): number {
  if (!(f >= 0 && f <= 1)) fail(`keep fraction ${f} is not in [0, 1]`);
  return Math.floor(f * KEEP_ONE + 0.5) / KEEP_ONE;
}

/**
 * The ring of a server region seen from a client region (spec/routing.md §3): the first ring whose
 * bound the RTT fits; an unknown RTT (null) fits only an unbounded ring; −1 if none fits.
 */
export function ringOfRtt(rtt_us: number | null, rings_us: readonly (number | null)[]): number {
  for (let i = 0; i < rings_us.length; i++) {
    const b = rings_us[i];
    if (b === null || (rtt_us !== null && rtt_us <= b)) return i;
  }
  return -1;
}

/** A server as the registry knows it: ServiceModel's servers and the control plane's records both fit. */
export interface XrsServer {
  id?: string;
  region: string;
  /** Capacity weight (default 1). */
  weight?: number;
  state?: ServerState;
  /** Requests/s at utilization 1, when the server declares it; else weight × rpsPerWeight. */
  capacity_rps?: number;
}

/**
 * Per region, the capacity of a service's `up` servers: Σ capacity_rps, or weight × rpsPerWeight
 * for a server that declares none (weight default 1). Draining and down servers count for nothing,
 * as routing never chooses them. O(servers), once per tick.
 */
export function capacityFromServers(servers: readonly XrsServer[], rpsPerWeight: number): Record<string, number> {
  if (!isNum(rpsPerWeight) || rpsPerWeight <= 0) fail(`rpsPerWeight ${rpsPerWeight} must be a finite number > 0`);
  const out: Record<string, number> = {};
  servers.forEach((s, i) => {
    const name = s.id !== undefined ? `server "${s.id}"` : `servers[${i}]`;
    const w = s.weight ?? 1;
    if (!isNum(w) || w < 0) fail(`${name} weight ${JSON.stringify(w)} must be a finite number ≥ 0`);
    if (s.capacity_rps !== undefined && (!isNum(s.capacity_rps) || s.capacity_rps < 0)) {
      fail(`${name} capacity_rps ${JSON.stringify(s.capacity_rps)} must be a finite number ≥ 0`);
    }
    if ((s.state ?? 'up') !== 'up') return;
    out[s.region] = (out[s.region] ?? 0) + (s.capacity_rps ?? w * rpsPerWeight);
  });
  return out;
}

interface Opts {
  target: number[];
  margin: number;
  maxStepUp: number;
  riseGain: number;
  fallGain: number;
  calibrationMinUtilization: number;
  calibrationMaxFactor: number;
}

function resolveOptions(o: XrsOptions | undefined, ringCount: number): Opts {
  const d = XRS_DEFAULTS;
  const t = o?.target ?? d.target;
  const target = Array.isArray(t) ? t.slice() : new Array<number>(ringCount).fill(t);
  if (target.length !== ringCount) fail(`options.target has ${target.length} values for ${ringCount} rings`);
  target.forEach((v, i) => {
    if (!isNum(v) || v <= 0 || v > 1) fail(`options.target[${i}] = ${v} must be in (0, 1]`);
  });
  const margin = o?.margin ?? d.margin;
  const minTarget = Math.min(...target);
  if (!isNum(margin) || margin < 0 || margin >= minTarget) fail(`options.margin ${margin} must be in [0, ${minTarget}) (below the smallest target)`);
  const unit = (name: keyof XrsOptions, v: number): number => {
    if (!isNum(v) || v <= 0 || v > 1) fail(`options.${name} ${v} must be in (0, 1]`);
    return v;
  };
  const factor = o?.calibrationMaxFactor ?? d.calibrationMaxFactor;
  if (!isNum(factor) || factor < 1) fail(`options.calibrationMaxFactor ${factor} must be a finite number ≥ 1`);
  return {
    target,
    margin,
    maxStepUp: unit('maxStepUp', o?.maxStepUp ?? d.maxStepUp),
    riseGain: unit('riseGain', o?.riseGain ?? d.riseGain),
    fallGain: unit('fallGain', o?.fallGain ?? d.fallGain),
    calibrationMinUtilization: unit('calibrationMinUtilization', o?.calibrationMinUtilization ?? d.calibrationMinUtilization),
    calibrationMaxFactor: factor,
  };
}

function validateTopology(t: XrsTopology): Map<string, number> {
  if (t === null || typeof t !== 'object' || !Array.isArray(t.regions) || !Array.isArray(t.rtt_us)) {
    fail('topology needs a regions list and an rtt_us matrix');
  }
  const index = new Map<string, number>();
  t.regions.forEach((r, i) => {
    if (typeof r !== 'string' || r === '') fail(`regions[${i}] must be a non-empty string`);
    if (index.has(r)) fail(`region "${r}" is listed twice`);
    index.set(r, i);
  });
  const R = t.regions.length;
  if (t.rtt_us.length !== R) fail(`rtt_us has ${t.rtt_us.length} rows for ${R} regions`);
  t.rtt_us.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== R) fail(`rtt_us row ${i} must have ${R} entries`);
    row.forEach((v, j) => {
      if (v !== null && (!isNum(v) || v < 0)) fail(`rtt_us[${i}][${j}] = ${JSON.stringify(v)} must be null or a finite number ≥ 0`);
    });
  });
  return index;
}

function validateRings(rings: readonly (number | null)[]): void {
  if (!Array.isArray(rings) || rings.length === 0) fail('rings_us must list at least one ring');
  rings.forEach((b, i) => {
    if (b === null) {
      if (i !== rings.length - 1) fail(`rings_us[${i}] is unbounded but not the last ring`);
      return;
    }
    if (!isNum(b) || b < 0) fail(`rings_us[${i}] = ${JSON.stringify(b)} must be a finite number ≥ 0 or null`);
    const prev = i > 0 ? rings[i - 1] : undefined;
    if (prev !== undefined && prev !== null && b <= prev) fail(`rings_us[${i}] = ${b} must be greater than rings_us[${i - 1}] = ${prev}`);
  });
}

/** A record keyed by region name → one number per region in topology order (absent = 0). */
function perRegion(rec: Record<string, number> | undefined, what: string, index: Map<string, number>): Float64Array {
  const out = new Float64Array(index.size);
  if (rec === undefined) return out;
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) fail(`${what} must be an object keyed by region`);
  for (const [region, v] of Object.entries(rec)) {
    const i = index.get(region);
    if (i === undefined) fail(`${what}["${region}"]: unknown region`);
    if (!isNum(v) || v < 0) fail(`${what}["${region}"] = ${JSON.stringify(v)} must be a finite number ≥ 0`);
    out[i!] = v;
  }
  return out;
}

/**
 * One tick of the xRS controller for one service: the keep fractions to publish, the state for the
 * next tick and a diagnostic. Throws an Error ("xrs: …") naming the first bad input.
 */
export function xrsTick(topology: XrsTopology, service: XrsServiceInput, state?: XrsState, options?: XrsOptions): XrsResult {
  // 1. Validate; read every per-region input into topology order.
  const index = validateTopology(topology);
  const { regions, rtt_us } = topology;
  const R = regions.length;
  if (service === null || typeof service !== 'object') fail('service input must be an object');
  const rings = service.rings_us ?? DEFAULT_RINGS_US;
  validateRings(rings);
  const N = rings.length;
  const o = resolveOptions(options, N);
  if (service.capacity_rps === undefined) fail('capacity_rps is required');
  if (service.demand_rps === undefined) fail('demand_rps is required');
  const nominal = perRegion(service.capacity_rps, 'capacity_rps', index);
  const measuredDemand = perRegion(service.demand_rps, 'demand_rps', index);

  // 2. Capacity, calibrated by what the servers measured.
  const cap = Float64Array.from(nominal);
  if (service.measured !== undefined) {
    if (service.measured === null || typeof service.measured !== 'object') fail('measured must be an object keyed by region');
    for (const [region, m] of Object.entries(service.measured)) {
      const s = index.get(region);
      if (s === undefined) fail(`measured["${region}"]: unknown region`);
      if (m === null || typeof m !== 'object') fail(`measured["${region}"] must be { load_rps, utilization }`);
      if (!isNum(m.load_rps) || m.load_rps < 0) fail(`measured["${region}"].load_rps = ${JSON.stringify(m.load_rps)} must be a finite number ≥ 0`);
      if (!isNum(m.utilization) || m.utilization < 0) fail(`measured["${region}"].utilization = ${JSON.stringify(m.utilization)} must be a finite number ≥ 0`);
    }
    for (let s = 0; s < R; s++) {
      const m = service.measured[regions[s]];
      if (m === undefined || nominal[s] <= 0 || m.load_rps <= 0 || m.utilization < o.calibrationMinUtilization) continue;
      const implied = m.load_rps / m.utilization;
      cap[s] = Math.min(Math.max(implied, nominal[s] / o.calibrationMaxFactor), nominal[s] * o.calibrationMaxFactor);
    }
  }

  // 3. The previous state; the smoothed demand.
  const prevKeep: number[][] = regions.map(() => new Array<number>(N).fill(1));
  const prevDemand: (number | undefined)[] = new Array(R).fill(undefined);
  if (state !== undefined) {
    if (state === null || typeof state !== 'object' || typeof state.keep !== 'object' || typeof state.demand_rps !== 'object' || state.keep === null || state.demand_rps === null) {
      fail('state must be { keep, demand_rps } as returned by the previous tick');
    }
    for (const [region, list] of Object.entries(state.keep)) {
      const c = index.get(region);
      if (c === undefined) fail(`state.keep["${region}"]: unknown region`);
      if (!Array.isArray(list) || list.length !== N) {
        fail(`state.keep["${region}"] has ${Array.isArray(list) ? list.length : 'no'} values for ${N} rings (the rings changed: start without state)`);
      }
      list.forEach((f, i) => {
        if (!isNum(f) || f < 0 || f > 1) fail(`state.keep["${region}"][${i}] = ${JSON.stringify(f)} must be in [0, 1]`);
        prevKeep[c!][i] = quantizeKeep(f);
      });
    }
    const pd = perRegion(state.demand_rps, 'state.demand_rps', index);
    for (const region of Object.keys(state.demand_rps)) prevDemand[index.get(region)!] = pd[index.get(region)!];
  }
  const demand = new Float64Array(R);
  for (let c = 0; c < R; c++) {
    const m = measuredDemand[c];
    const p = prevDemand[c];
    if (p === undefined) demand[c] = m;
    else {
      const g = m >= p ? o.riseGain : o.fallGain;
      demand[c] = (1 - g) * p + g * m;
    }
  }

  // 4. Ring membership: members[c][r] = server regions (capacity > 0) in ring r of client region c.
  const members: number[][][] = [];
  const last = new Int32Array(R).fill(-1);
  for (let c = 0; c < R; c++) {
    const byRing: number[][] = Array.from({ length: N }, () => []);
    for (let s = 0; s < R; s++) {
      if (cap[s] <= 0) continue;
      const r = ringOfRtt(rtt_us[c][s], rings);
      if (r < 0) continue;
      byRing[r].push(s);
      if (r > last[c]) last[c] = r;
    }
    members.push(byRing);
  }

  // 5. Fill levels: the targets, raised together when the whole service is over target.
  let totalDemand = 0;
  let totalCap = 0;
  for (let c = 0; c < R; c++) if (last[c] >= 0) totalDemand += demand[c];
  for (let s = 0; s < R; s++) totalCap += cap[s];
  const tmax = Math.max(...o.target);
  const stretch = totalCap > 0 ? Math.max(1, totalDemand / (tmax * totalCap)) : 1;
  const fill = o.target.map((t) => t * stretch);

  // 6. The level walk: ring 0 of every client region, then ring 1, …; nearer demand claims first.
  const keep: number[][] = regions.map(() => new Array<number>(N).fill(1));
  const ringDiag: XrsRingDiag[][] = regions.map(() => []);
  const reach = new Float64Array(R);
  for (let c = 0; c < R; c++) reach[c] = last[c] >= 0 ? demand[c] : 0;
  const assigned = new Float64Array(R);
  const overflow = new Float64Array(R);
  const claim = new Float64Array(R);
  const freeHi = new Float64Array(R);
  const freeLo = new Float64Array(R);
  const add = new Float64Array(R);
  for (let r = 0; r < N; r++) {
    claim.fill(0);
    add.fill(0);
    for (let c = 0; c < R; c++) for (const s of members[c][r]) claim[s] += reach[c];
    for (let s = 0; s < R; s++) {
      freeHi[s] = Math.max(0, fill[r] * cap[s] - assigned[s]);
      freeLo[s] = Math.max(0, (fill[r] - o.margin) * cap[s] - assigned[s]);
    }
    for (let c = 0; c < R; c++) {
      const ms = members[c][r];
      const T = reach[c];
      let ringCap = 0;
      let hi = 0;
      let lo = 0;
      for (const s of ms) {
        ringCap += cap[s];
        if (claim[s] > 0) {
          hi += (freeHi[s] * T) / claim[s];
          lo += (freeLo[s] * T) / claim[s];
        }
      }
      if (ms.length === 0) {
        ringDiag[c].push({ ring: r, regions: [], capacity_rps: 0, reaching_rps: T, available_rps: 0, kept_rps: 0, keep: 1 });
        continue;
      }
      let k: number;
      if (r === last[c]) k = 1;
      else {
        const p = prevKeep[c][r];
        if (p * T > hi) k = quantizeKeep(hi / T); // over the fill level: spill at once
        else if (p * T <= lo) k = quantizeKeep(Math.min(p + o.maxStepUp, T <= lo ? 1 : lo / T)); // room: take back, one step
        else k = p; // inside the hysteresis band: hold
      }
      keep[c][r] = k;
      const kept = k * T;
      const within = Math.min(kept, hi);
      const excess = kept - within;
      for (const s of ms) {
        if (hi > 0 && claim[s] > 0) add[s] += (within * ((freeHi[s] * T) / claim[s])) / hi;
        if (excess > 0) add[s] += (excess * cap[s]) / ringCap;
      }
      if (r === last[c]) overflow[c] = excess;
      ringDiag[c].push({ ring: r, regions: ms.map((s) => regions[s]), capacity_rps: ringCap, reaching_rps: T, available_rps: hi, kept_rps: kept, keep: k });
      reach[c] = T - kept;
    }
    for (let s = 0; s < R; s++) assigned[s] += add[s];
  }

  // 7. Publish.
  const spill: Record<string, number[]> = {};
  const stateKeep: Record<string, number[]> = {};
  const stateDemand: Record<string, number> = {};
  const diagRegions: XrsRegionDiag[] = [];
  for (let i = 0; i < R; i++) {
    spill[regions[i]] = keep[i].slice();
    stateKeep[regions[i]] = keep[i].slice();
    stateDemand[regions[i]] = demand[i];
    diagRegions.push({
      region: regions[i],
      demand_rps: demand[i],
      capacity_rps: cap[i],
      assigned_rps: assigned[i],
      utilization: cap[i] > 0 ? assigned[i] / cap[i] : null,
      overflow_rps: overflow[i],
      unroutable_rps: last[i] >= 0 ? 0 : demand[i],
      rings: ringDiag[i],
    });
  }
  return { spill, state: { keep: stateKeep, demand_rps: stateDemand }, diag: { fill, stretch, regions: diagRegions } };
}
