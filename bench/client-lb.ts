// Part 2 of bench/client.ts: load balance over servers of unequal capacity. 20 servers of weights
// 1–4 in one child process (client-servers.ts `capacity`: slotsPerWeight × w slots of serviceMs
// each, ORCA load reports through withLoadReporting); 8 mesh clients (different ids and seeds) in
// this process. Per load mode:
//   steady  every client runs `concurrency` closed-loop workers for steadyMs;
//   herding `bursts` rounds: other traffic (simulated in the servers: client-servers.ts
//           `background`) keeps 15 of the 20 servers full while every client sends one request
//           to each server (`prefer`), so their last reports say the other 5 (L) are idle; then
//           it moves onto L (full), the
//           clients idle — idleShortMs (reports not yet stale) and idleMs (stale: older than
//           staleness_ms) in alternate rounds — and each sends `burst` requests at once.
//           Reports trusted as they were send the burst to L, busy now (herding); a just-in-time
//           poll (past staleness_ms) sees that L is busy.
// Modes: random (each request's server drawn uniformly by the bench, sent through the mesh client
// with `prefer`), then outstanding, piggyback, poll and adaptive, selected by the service policy
// `load: {mode, staleness_ms}`. Which way of knowing the load the client really used is counted
// from AttemptInfo.loadMode; a mode the client does not honour is flagged, not hidden.
// Load = requests that arrived at a server / its weight (steady phase), and in flight (queued +
// in service) / weight sampled every sampleMs; the figure is max ÷ mean over the servers (1 = in
// proportion to capacity). One heat-map PNG per mode: a row per server, a column per sample.
import { mkdirSync } from 'node:fs';
import type { RibModel } from '../bindings/model.js';
import { connect, type Mesh } from '../host/node/client.js';
import type { ConnectOptions } from '../host/node/client.js';
import { Canvas, heat, textWidth } from './png.js';
import { pct, sleep, startChild } from './client-util.js';

export const LB_MODES = ['random', 'outstanding', 'piggyback', 'poll', 'adaptive'] as const;
export type LbMode = (typeof LB_MODES)[number];

export interface LbOptions {
  weights: number[];
  slotsPerWeight: number;
  serviceMs: number;
  clients: number;
  concurrency: number;
  steadyMs: number;
  bursts: number;
  burst: number;
  idleShortMs: number;
  idleMs: number;
  stalenessMs: number;
  sampleMs: number;
  modes: LbMode[];
  plotDir: string;
  log: (s: string) => void;
}

export interface LbRow {
  mode: LbMode;
  /** Steady phase: arrivals / weight, max ÷ mean over servers. */
  servedImbalance: number;
  /** Steady phase: time-averaged in-flight / weight, max ÷ mean over servers. */
  inflightImbalance: number;
  /** Steady phase: mean over samples of the hottest server's in-flight / weight ÷ the mean. */
  instantImbalance: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Herding phase, by idle time before the burst. */
  herding: HerdRow[];
  /** Decisions by AttemptInfo.loadMode (none = the client did not say), by phase: steady, observe, burst. */
  loadModes: Record<string, Record<string, number>>;
  honoured: boolean;
  plot: string;
}

export interface HerdRow {
  idleMs: number;
  bursts: number;
  /** Requests of the bursts that arrived at L (busy at the burst, idle when last seen), of all. */
  share: number;
  /** Arrivals at L ÷ L's share of the weight × arrivals (1 = blind to load; > 1 herding; → 0 knows L is busy). */
  herd: number;
  p99: number;
  /** Time until a burst's last answer, median over the bursts. */
  makespanMs: number;
  /** Summed over the clients and bursts: polls sent, polls failed (timeout, error), connections opened. */
  polls: number;
  pollFailures: number;
  newConnections: number;
}

interface Burst { idleMs: number; low: number[]; lat: number[]; makespanMs: number; polls: number; pollFailures: number; newConnections: number }

interface Collected {
  samples: number[][];
  sampleTimes: number[];
  arrivals: number[][];
  marks: { label: string; t: number }[];
}

const ratio = (xs: number[]): number => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean > 0 ? Math.max(...xs) / mean : NaN;
};

export async function runLb(o: LbOptions): Promise<{ opts: Omit<LbOptions, 'log'>; rows: LbRow[] }> {
  const servers = startChild('./client-servers.js');
  const rows: LbRow[] = [];
  mkdirSync(o.plotDir, { recursive: true });
  try {
    const { ports } = await servers.call<{ ports: number[] }>('capacity', { weights: o.weights, slotsPerWeight: o.slotsPerWeight, serviceMs: o.serviceMs });
    const ids = ports.map((_, i) => `s${i}`);
    const addresses = { svc: Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`])) };
    const rib: RibModel = {
      regions: ['local'], rtt_us: [[100]],
      services: [{ name: 'svc', servers: ids.map((id, i) => ({ id, region: 'local', weight: o.weights[i] })) }],
    };
    for (const mode of o.modes) {
      const loadModes: Record<string, Record<string, number>> = { steady: {}, observe: {}, burst: {} };
      let phase = 'steady';
      const policies = {
        svc: {
          timeout_ms: 60_000,
          retries: { attempts: 0 },
          outlier: { consecutive_5xx: 0 },
          load: { mode: mode === 'random' ? 'outstanding' : mode, staleness_ms: o.stalenessMs },
        },
      } as unknown as ConnectOptions['policies'];
      const meshes: Mesh[] = await Promise.all(Array.from({ length: o.clients }, (_, k) => connect({
        client: { id: `lb-${k}`, region: 'local', seed: 101 + k }, rib, addresses, policies,
        onAttempt: (a) => { const m = a.loadMode ?? 'none'; loadModes[phase][m] = (loadModes[phase][m] ?? 0) + 1; },
      })));
      const send = async (m: Mesh): Promise<void> => {
        const r = await m.request('svc', mode === 'random' ? { path: '/', prefer: ids[Math.floor(Math.random() * ids.length)] } : { path: '/' });
        if (r.status !== 200) throw new Error(`lb ${mode}: ${r.status}`);
      };
      try {
        // warm-up: connections and JIT, then quiet so the measurement starts from idle servers
        await Promise.all(meshes.flatMap((m) => Array.from({ length: 4 }, async () => { for (let i = 0; i < 10; i++) await send(m); })));
        loadModes.steady = {};
        await sleep(Math.max(200, o.serviceMs * 4));
        await servers.call('reset', { sampleMs: o.sampleMs });
        // steady
        const lat: number[] = [];
        const until = performance.now() + o.steadyMs;
        const t0 = performance.now();
        await Promise.all(meshes.flatMap((m) => Array.from({ length: o.concurrency }, async () => {
          while (performance.now() < until) {
            const s = performance.now();
            await send(m);
            lat.push(performance.now() - s);
          }
        })));
        const steadyS = (performance.now() - t0) / 1000;
        await servers.call('mark', { label: 'herd' });
        // herding: other traffic keeps 15 servers busy while the clients look (their reports: the
        // other 5, L, are idle), then moves onto L while the clients idle past staleness_ms; then
        // every client bursts. Stale reports send the burst to L, busy now.
        const sum = (k: 'polls' | 'pollFailures' | 'newConnections'): number => meshes.reduce((acc, m) => acc + m.stats[k], 0);
        const bursts: Burst[] = [];
        for (let b = 0; b < o.bursts; b++) {
          const idleMs = b % 2 === 0 ? o.idleShortMs : o.idleMs;
          const low = Array.from({ length: 5 }, (_, j) => (5 * Math.floor(b / 2) + j) % ids.length);
          const rest = ids.map((_, i) => i).filter((i) => !low.includes(i));
          phase = 'observe';
          await servers.call('background', { servers: rest, fill: 1 });
          // each client hears from every server once (prefer): the full ones report full, L idle
          await Promise.all(meshes.flatMap((m) => ids.map(async (id) => {
            const r = await m.request('svc', { path: '/', prefer: id });
            if (r.status !== 200) throw new Error(`lb ${mode}: ${r.status}`);
          })));
          await servers.call('background', { servers: low, fill: 1 });
          await sleep(idleMs);
          await servers.call('mark', { label: `burst${b}` });
          phase = 'burst';
          const before = { polls: sum('polls'), pollFailures: sum('pollFailures'), newConnections: sum('newConnections') };
          const lat: number[] = [];
          const s = performance.now();
          await Promise.all(meshes.flatMap((m) => Array.from({ length: o.burst }, async () => {
            const q = performance.now();
            await send(m);
            lat.push(performance.now() - q);
          })));
          bursts.push({
            idleMs, low, lat, makespanMs: performance.now() - s,
            polls: sum('polls') - before.polls, pollFailures: sum('pollFailures') - before.pollFailures, newConnections: sum('newConnections') - before.newConnections,
          });
          await servers.call('mark', { label: `end${b}` });
          await servers.call('background', { servers: [], fill: 0 });
          await sleep(Math.max(50, o.serviceMs * 3));
        }
        await sleep(o.sampleMs * 3);
        const c = await servers.call<Collected>('collect');
        const row = analyse(o, mode, c, lat, steadyS, bursts, loadModes);
        rows.push(row);
        o.log(`  ${mode.padEnd(11)} served/w max÷mean ${row.servedImbalance.toFixed(2)}, in-flight/w ${row.inflightImbalance.toFixed(2)} (instant ${row.instantImbalance.toFixed(2)}), ${Math.round(row.rps)} req/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms; load modes ${JSON.stringify(row.loadModes)}`);
        for (const h of row.herding) o.log(`              idle ${h.idleMs} ms: ${(h.share * 100).toFixed(0)}% of bursts on L = ${h.herd.toFixed(2)}× its weight share, p99 ${h.p99.toFixed(0)} ms, makespan ${h.makespanMs.toFixed(0)} ms, polls ${h.polls} (${h.pollFailures} failed), ${h.newConnections} new connections`);
        o.log(`              mesh stats: ${JSON.stringify(meshes.reduce((acc, m) => { for (const [k, v] of Object.entries(m.stats)) acc[k] = (acc[k] ?? 0) + v; return acc; }, {} as Record<string, number>))}`);
      } finally {
        await Promise.all(meshes.map((m) => m.close()));
      }
    }
    const { log: _log, ...opts } = o;
    return { opts, rows };
  } finally {
    await servers.stop();
  }
}

function analyse(o: LbOptions, mode: LbMode, c: Collected, lat: number[], steadyS: number, bursts: Burst[], loadModes: Record<string, Record<string, number>>): LbRow {
  const w = o.weights;
  const herdAt = c.marks.find((m) => m.label === 'herd')!.t;
  // steady: arrivals / weight
  const served = c.arrivals.map((a, i) => a.filter((t) => t < herdAt).length / w[i]);
  // steady: in flight / weight, time-averaged and instantaneous
  const steadyIdx = c.sampleTimes.map((t, j) => [t, j] as const).filter(([t]) => t < herdAt && t > o.sampleMs).map(([, j]) => j);
  const avg = w.map((wi, i) => steadyIdx.reduce((s, j) => s + c.samples[j][i] / wi, 0) / Math.max(1, steadyIdx.length));
  const inst: number[] = [];
  for (const j of steadyIdx) {
    const r = ratio(c.samples[j].map((v, i) => v / w[i]));
    if (Number.isFinite(r)) inst.push(r);
  }
  // herding: the arrivals of each burst at L against L's share of the weight, pooled by idle time
  const totalW = w.reduce((a, b) => a + b, 0);
  const burstMarks = bursts.map((_, k) => ({
    from: c.marks.find((m) => m.label === `burst${k}`)!.t,
    to: c.marks.find((m) => m.label === `end${k}`)?.t ?? Infinity,
  }));
  const herding: HerdRow[] = [...new Set(bursts.map((b) => b.idleMs))].map((idleMs) => {
    let onLow = 0, all = 0, expected = 0;
    const group = bursts.map((b, k) => [b, k] as const).filter(([b]) => b.idleMs === idleMs);
    for (const [b, k] of group) {
      const n = c.arrivals.map((a) => a.filter((t) => t >= burstMarks[k].from && t < burstMarks[k].to).length);
      const total = n.reduce((x, y) => x + y, 0);
      onLow += b.low.reduce((x, i) => x + n[i], 0);
      all += total;
      expected += (total * b.low.reduce((x, i) => x + w[i], 0)) / totalW;
    }
    return {
      idleMs, bursts: group.length, share: onLow / all, herd: onLow / expected,
      p99: pct(group.flatMap(([b]) => b.lat), 99), makespanMs: pct(group.map(([b]) => b.makespanMs), 50),
      polls: group.reduce((x, [b]) => x + b.polls, 0), pollFailures: group.reduce((x, [b]) => x + b.pollFailures, 0),
      newConnections: group.reduce((x, [b]) => x + b.newConnections, 0),
    };
  });
  const honoured = mode === 'random' || mode === 'outstanding' || Object.values(loadModes).some((p) => Object.keys(p).some((k) => k === 'piggyback' || k === 'poll'));
  const plot = `${mode}.png`;
  drawHeatmap(`${o.plotDir}/${plot}`, o, mode, c, herdAt, bursts, burstMarks.map((m) => m.from));
  return {
    mode,
    servedImbalance: ratio(served),
    inflightImbalance: ratio(avg),
    instantImbalance: inst.reduce((a, b) => a + b, 0) / Math.max(1, inst.length),
    requests: lat.length, rps: lat.length / steadyS, p50: pct(lat, 50), p99: pct(lat, 99),
    herding, loadModes, honoured, plot,
  };
}

/**
 * The heat map of one mode: a row per server (sorted by weight, heaviest on top; the left strip is
 * the weight), colour = in flight / weight on a fixed scale (0 … 2 × slotsPerWeight, i.e. a queue
 * as long as the slots; red = over). Left panel: the steady phase, one pixel per sample. Right
 * panel: each burst from 3 samples before it, 3 pixels per sample, bursts side by side, the idle
 * time before it above, the servers of L marked black on the left.
 */
function drawHeatmap(path: string, o: LbOptions, mode: string, c: Collected, herdAt: number, info: Burst[], burstTimes: number[]): void {
  const w = o.weights;
  const order = w.map((_, i) => i).sort((a, b) => w[b] - w[a] || a - b);
  const scale = 2 * o.slotsPerWeight;
  const rowH = 10, left = 34, top = 26, colorBarH = 8;
  const steady = c.sampleTimes.map((t, j) => [t, j] as const).filter(([t]) => t < herdAt).map(([, j]) => j);
  const burstSpan = Math.ceil(Math.max(60, o.serviceMs * 6) / o.sampleMs); // samples shown per burst
  const bursts = burstTimes.map((bt) => {
    const first = c.sampleTimes.findIndex((t) => t >= bt);
    const from = Math.max(0, first - 3);
    return Array.from({ length: burstSpan }, (_, k) => from + k).filter((j) => j < c.samples.length);
  });
  const bw = 3, gap = 4;
  const burstWidth = bursts.reduce((s, b) => s + b.length * bw + gap, 0);
  const footer = `BURSTS AFTER IDLE MS (${o.sampleMs} MS/COLUMN, BLACK MARK: L)`;
  const width = Math.max(left + steady.length + 12 + burstWidth + 8, left + steady.length + 12 + textWidth(footer) + 8);
  const height = top + w.length * rowH + 36;
  const cv = new Canvas(width, height);
  const dark: [number, number, number] = [20, 20, 20];
  cv.text(4, 4, `${mode}: in flight / weight per server (rows, heaviest on top)`, dark);
  const cell = (x: number, bwid: number, j: number): void => {
    order.forEach((i, r) => cv.rect(x, top + r * rowH, bwid, rowH - 1, heat(c.samples[j][i] / w[i] / scale)));
  };
  order.forEach((i, r) => {
    const g = 255 - w[i] * 50;
    cv.rect(left - 8, top + r * rowH, 6, rowH - 1, [g, g, g]);
    if (r === 0 || w[order[r - 1]] !== w[i]) cv.text(4, top + r * rowH + 2, `W${w[i]}`, dark);
  });
  steady.forEach((j, k) => cell(left + k, 1, j));
  // one tick per second under the steady panel
  for (let s = 0; s * 1000 < herdAt; s++) {
    const k = steady.findIndex((j) => c.sampleTimes[j] >= s * 1000);
    if (k >= 0) cv.rect(left + k, top + w.length * rowH, 1, 3, dark);
  }
  cv.text(left, top + w.length * rowH + 5, 'STEADY (TICK = 1 S)', dark);
  let x = left + steady.length + 12;
  const bx = x;
  bursts.forEach((b, n) => {
    b.forEach((j, k) => cell(x + k * bw, bw, j));
    // L (busy at the burst, idle when last seen): a black mark left of its rows; the idle time above
    for (const i of info[n].low) cv.rect(x - 2, top + order.indexOf(i) * rowH, 2, rowH - 1, dark);
    cv.text(x, top - 7, String(info[n].idleMs), dark);
    x += b.length * bw + gap;
  });
  cv.text(bx, top + w.length * rowH + 5, footer, dark);
  // colour bar
  const cy = top + w.length * rowH + 16;
  const barW = 120;
  for (let k = 0; k < barW; k++) cv.rect(left + k, cy, 1, colorBarH, heat(k / (barW - 1)));
  cv.rect(left + barW + 2, cy, 6, colorBarH, heat(2));
  cv.text(left - textWidth('0') - 3, cy + 2, '0', dark);
  cv.text(left + barW + 12, cy + 2, `${scale} (RED: OVER)`, dark);
  cv.scaled(2).write(path);
}
