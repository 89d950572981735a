// The servers of the client benchmarks (bench/client.ts), in one child process so their CPU is not
// the load generator's. Driven over IPC (client-util.ts serveParent):
//   plain {count, bodyBytes, report?} `count` node:http listeners answering every request 200 with
//                                    a fixed body (the cost experiment; the connection-reuse test,
//                                    with `report`: ORCA load reports through withLoadReporting);
//   capacity {weights, slotsPerWeight, serviceMs, sampleMs}
//                                    one listener per weight: a server of weight w has
//                                    slotsPerWeight × w slots, each request holds a slot for
//                                    serviceMs (FIFO queue when all are busy), so capacity ∝ w.
//                                    Wrapped in withLoadReporting (ringroute/server): every
//                                    response carries `endpoint-load-metrics: TEXT
//                                    cpu_utilization=<busy slots fraction>, rps_fractional=…,
//                                    named_metrics.inflight=<n>` and GET /.well-known/ringroute/load
//                                    answers the same report. In flight (queued + in service) per
//                                    server is sampled every sampleMs between `reset` and `collect`.
// Other messages: background (other clients' traffic, simulated in the servers), cpu
// (process.cpuUsage), conns (connections accepted), reset, mark, collect.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLoadTracker, withLoadReporting, type LoadReportingHandler } from '../host/node/server.js';
import { serveParent } from './client-util.js';

const servers: Server[] = [];
let accepted = 0;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const s = createServer({ keepAliveTimeout: 120_000 }, handler);
  s.keepAliveTimeout = 120_000;
  s.headersTimeout = 130_000;
  s.maxRequestsPerSocket = 0;
  s.on('connection', () => { accepted++; });
  servers.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve());
  });
  return (s.address() as AddressInfo).port;
}

/** A server's capacity: `slots` requests at a time, each for serviceMs; the rest wait in order. */
class Capacity {
  busy = 0;
  private queue: (() => void)[] = [];
  private busyUs = 0;
  private last = performance.now();
  constructor(readonly slots: number) {}
  private account(): void {
    const t = performance.now();
    this.busyUs += (t - this.last) * 1000 * this.busy;
    this.last = t;
  }
  /** Slot-µs spent busy so far: the tracker's "CPU time" (over slots "cores": the busy fraction). */
  busyTime = (): number => {
    this.account();
    return this.busyUs;
  };
  acquire(go: () => void): void {
    if (this.busy < this.slots) {
      this.account();
      this.busy++;
      go();
    } else this.queue.push(go);
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next(); // the slot passes straight on
    else {
      this.account();
      this.busy--;
    }
  }
}

interface CapacityState {
  handlers: LoadReportingHandler[];
  caps: Capacity[];
  serviceMs: number;
  /** Background work: which servers it keeps busy, bumped on every change (old loops stop). */
  background: { generation: number; fill: Map<number, number> };
  t0: number;
  sampling?: NodeJS.Timeout;
  samples: number[][];
  sampleTimes: number[];
  arrivals: number[][]; // per server: ms since t0
  marks: { label: string; t: number }[];
}
let cap: CapacityState | undefined;

serveParent({
  async plain(m) {
    const count = m.count as number;
    const body = Buffer.alloc(m.bodyBytes as number, 'x');
    const ports: number[] = [];
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
        res.end(body);
      });
    };
    // report: each listener wrapped in withLoadReporting (its own tracker: in flight, rps; no CPU)
    for (let i = 0; i < count; i++) ports.push(await listen(m.report ? withLoadReporting(handler, { tracker: createLoadTracker({ cpuTime: null }) }) : handler));
    return { ports };
  },

  async capacity(m) {
    const weights = m.weights as number[];
    const serviceMs = m.serviceMs as number;
    const slotsPerWeight = m.slotsPerWeight as number;
    const body = Buffer.from('ok\n');
    const ports: number[] = [];
    const state: CapacityState = { handlers: [], caps: [], serviceMs, background: { generation: 0, fill: new Map() }, t0: performance.now(), samples: [], sampleTimes: [], arrivals: weights.map(() => []), marks: [] };
    cap = state;
    for (let i = 0; i < weights.length; i++) {
      const c = new Capacity(slotsPerWeight * weights[i]);
      const tracker = createLoadTracker({ cpuTime: c.busyTime, cores: c.slots, cpuWindowMs: 100, rpsWindowMs: 1000 });
      const h = withLoadReporting((req, res) => {
        state.arrivals[i].push(performance.now() - state.t0);
        req.resume();
        c.acquire(() => {
          setTimeout(() => {
            c.release();
            res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
            res.end(body);
          }, serviceMs);
        });
      }, { tracker });
      state.handlers.push(h);
      state.caps.push(c);
      ports.push(await listen(h));
    }
    return { ports };
  },

  /**
   * Other clients' traffic, simulated inside the servers: {servers, fill} keeps round(fill × slots)
   * requests in flight at each listed server (serviceMs each, through the same slots and queue, so
   * they count in the load reports); a new call replaces the previous set, an empty list stops it.
   */
  background(m) {
    if (!cap) throw new Error('no capacity servers');
    const st = cap;
    const bg = st.background;
    const generation = ++bg.generation;
    bg.fill = new Map((m.servers as number[]).map((i) => [i, m.fill as number]));
    for (const [i, fill] of bg.fill) {
      const c = st.caps[i];
      const loops = Math.round(fill * c.slots);
      for (let k = 0; k < loops; k++) {
        const one = (): void => {
          if (bg.generation !== generation) return;
          const end = st.handlers[i].tracker.begin();
          c.acquire(() => setTimeout(() => {
            c.release();
            end();
            one();
          }, st.serviceMs));
        };
        one();
      }
    }
    return {};
  },

  /** Starts a measurement: arrivals and samples from now. */
  reset(m) {
    if (!cap) throw new Error('no capacity servers');
    const st = cap;
    if (st.sampling) clearInterval(st.sampling);
    st.t0 = performance.now();
    st.samples = [];
    st.sampleTimes = [];
    st.marks = [];
    for (const a of st.arrivals) a.length = 0;
    const sample = (): void => {
      st.sampleTimes.push(performance.now() - st.t0);
      st.samples.push(st.handlers.map((h) => h.tracker.inflight));
    };
    sample();
    st.sampling = setInterval(sample, m.sampleMs as number);
    return {};
  },

  mark(m) {
    if (!cap) throw new Error('no capacity servers');
    cap.marks.push({ label: m.label as string, t: performance.now() - cap.t0 });
    return { t: performance.now() - cap.t0 };
  },

  collect() {
    if (!cap) throw new Error('no capacity servers');
    if (cap.sampling) clearInterval(cap.sampling);
    cap.sampling = undefined;
    return { samples: cap.samples, sampleTimes: cap.sampleTimes, arrivals: cap.arrivals, marks: cap.marks };
  },

  cpu() {
    return process.cpuUsage();
  },

  conns() {
    return { accepted };
  },
});
