// The SRLib client's benchmarks, written to the "client" section of bench/RESULTS.md:
//   npm run bench:client   (or, after a build: node dist/bench/client.js [--quick] [--only cost,lb,reuse])
//   1. cost: the ServiceRouter paper's cost experiment on loopback — CPU per request and latency of
//      bare undici, the mesh client, a sidecar and a remote proxy (bench/client-cost.ts);
//   2. load balance over servers of unequal capacity, per load mode, with stale-load herding after
//      idle periods; one heat-map PNG per mode in bench/plots/ (bench/client-lb.ts);
//   3. connection reuse: new connections with subset 20 and without, 1,000 servers
//      (bench/client-reuse.ts).
// Servers (and proxies) run in child processes; the load generator is this process. The machine is
// shared and small (the figures say its load average): read ratios rather than absolute numbers.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type CostResult, runCost } from './client-cost.js';
import { LB_MODES, type LbMode, type LbRow, runLb } from './client-lb.js';
import { type ReuseRow, runReuse } from './client-reuse.js';
import { f1, f2, fmtInt, loadavg } from './client-util.js';
import { writeSection } from './report.js';

const QUICK = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const ONLY = new Set(onlyArg >= 0 ? process.argv[onlyArg + 1].split(',') : ['cost', 'lb', 'reuse']);
const OUT = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const PLOTS = fileURLToPath(new URL('../../bench/plots', import.meta.url));
/** `--set name=value`: overrides one numeric option of a part (e.g. --set idleMs=250), for experiments. */
const SET: Record<string, number> = Object.fromEntries(process.argv.flatMap((a, i) => (process.argv[i - 1] === '--set' ? [a.split('=')] : [])).map(([k, v]) => [k, Number(v)]));
const flags = [...(QUICK ? ['--quick'] : []), ...(onlyArg >= 0 ? ['--only', [...ONLY].join(',')] : []), ...Object.entries(SET).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
const COMMAND = `npm run bench:client${flags.length ? ` -- ${flags.join(' ')}` : ''}`;
const log = (s: string): void => console.log(s);

const started = performance.now();
/** Per part: when it ran, the 1/5/15-min load average before and after, seconds. */
const ran: Record<string, { at: string; before: string; after: string; seconds: number }> = {};
async function part<T>(name: string, title: string, run: () => Promise<T>): Promise<T> {
  const before = loadavg();
  log(`${title} (load average ${before})`);
  const t0 = performance.now();
  const out = await run();
  ran[name] = { at: new Date().toISOString(), before, after: loadavg(), seconds: (performance.now() - t0) / 1000 };
  return out;
}

let cost: CostResult | undefined;
let lb: { opts: { weights: number[]; slotsPerWeight: number; serviceMs: number; clients: number; concurrency: number; steadyMs: number; bursts: number; burst: number; idleShortMs: number; idleMs: number; stalenessMs: number; sampleMs: number }; rows: LbRow[] } | undefined;
let reuse: { opts: { servers: number; clients: number; requests: number; concurrency: number }; rows: ReuseRow[] } | undefined;

if (ONLY.has('cost')) {
  cost = await part('cost', '1. cost', () => runCost({
    servers: 10, requests: QUICK ? 10_000 : 100_000, concurrency: 64, reps: 3, warmup: QUICK ? 1000 : 3000, bodyBytes: 128, log,
  }));
}
if (ONLY.has('lb')) {
  lb = await part('lb', '2. load balance', () => runLb({
    weights: Array.from({ length: 20 }, (_, i) => 1 + (i % 4)),
    slotsPerWeight: 2, serviceMs: 20, clients: 8, concurrency: 10,
    steadyMs: QUICK ? 1500 : 5000, bursts: QUICK ? 4 : 16, burst: 10, idleShortMs: 100, idleMs: 300, stalenessMs: 200, sampleMs: 10,
    modes: [...LB_MODES] as LbMode[], plotDir: PLOTS, log,
    ...SET,
  }));
}
if (ONLY.has('reuse')) {
  reuse = await part('reuse', '3. connection reuse', () => runReuse({
    servers: 1000, clients: 50, requests: QUICK ? 10_000 : 100_000, concurrency: 4, batch: 5, subsets: [20, null], loadModes: ['default', 'outstanding'], log,
  }));
}
const seconds = (performance.now() - started) / 1000;

// ── the report ─────────────────────────────────────────────────────────────────────────
const x = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');
const header = [
  '## Mesh client: cost, load balance, connection reuse',
  '',
  `\`npm run bench:client\` (bench/client.ts; \`-- --quick\` for a smoke run, \`-- --only cost,lb,reuse\` for some parts: the others keep their last figures). ` +
    `${os.cpus()[0]?.model ?? 'CPU'} × ${os.cpus().length} logical cores, Node ${process.version}. The machine is shared: each part gives the command that made it and the 1/5/15-min load average before and after it. ` +
    'Servers and proxies run in child processes; the load generator (and the mesh clients) in the benchmark process.',
  '',
];
const blocks: Record<string, string[]> = {};
const runLine = (name: string): string => {
  const r = ran[name];
  return `_Made by \`${COMMAND}\` on ${r.at} in ${r.seconds.toFixed(0)} s${QUICK ? ' (**--quick**: small N, indicative only)' : ''}; load average ${r.before} before, ${r.after} after._`;
};

if (cost) {
  const bare = cost.ways.find((w) => w.way === 'bare')!;
  const byWay = Object.fromEntries(cost.ways.map((w) => [w.way, w]));
  const label: Record<string, string> = {
    bare: 'bare undici (Pool per server, random server)',
    bareAbort: '(decomposition) bare undici + AbortController + setTimeout per request, as the client\'s per-try timeout',
    client: 'ringroute mesh client (connect, default policy: load adaptive)',
    bareTimeouts: '(decomposition) bare undici + undici\'s headersTimeout/bodyTimeout per request instead',
    bareDispatch: '(decomposition) bare undici sent as the client sends (dispatch() + exchange.ts handler, deadline wheel), random server',
    clientOutstanding: 'ringroute mesh client, load mode outstanding',
    sidecar: 'sidecar (own process) ← bare undici',
    remote: 'remote proxy (own process) ← bare undici',
  };
  const o = cost.opts;
  const lines: string[] = (blocks.cost = []);
  lines.push(
    '### 1. Cost per request (the paper\'s cost experiment, on loopback)',
    '',
    runLine('cost'),
    '',
    `${o.servers} node:http servers (one child process, ${o.servers} listeners, ${o.bodyBytes}-byte bodies); the same closed loop of ${o.concurrency} concurrent requests, ` +
      `${fmtInt(o.requests)} requests per way and repetition, ${o.reps} repetitions with the order rotated, ${fmtInt(o.warmup)} warm-up requests before each (and ${fmtInt(3 * o.warmup)} per way before the first); medians over the repetitions. ` +
      'CPU = process.cpuUsage() of every process on the path except the servers: the load generator, plus the proxy process for the proxied ways.',
    '',
    '| way | CPU s per 100k requests | of which proxy | ÷ bare | p50 ms | p99 ms | req/s | servers\' CPU s / 100k (not counted) | each repetition, µs/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cost.ways.map((w) => `| ${label[w.way]} | ${f2(w.totalUsPerReq / 10)} | ${w.proxyUsPerReq > 0 ? f2(w.proxyUsPerReq / 10) : '—'} | ${x(w.totalUsPerReq / bare.totalUsPerReq)} | ${f2(w.p50)} | ${f2(w.p99)} | ${fmtInt(w.rps)} | ${f2(w.serverUsPerReq / 10)} | ${w.reps.map(f1).join(', ')} |`),
    '',
    `| target | measured | result |`,
    '|---|---|---|',
    `| mesh client CPU ≤ 1.05 × bare undici (default policy) | ${x(byWay.client.totalUsPerReq / bare.totalUsPerReq)} (${f1(byWay.client.totalUsPerReq)} vs ${f1(bare.totalUsPerReq)} µs/request) | ${byWay.client.totalUsPerReq <= 1.05 * bare.totalUsPerReq ? '**met**' : '**missed**'} |`,
    `| mesh client CPU ≤ 1.05 × bare undici (load mode outstanding) | ${x(byWay.clientOutstanding.totalUsPerReq / bare.totalUsPerReq)} (${f1(byWay.clientOutstanding.totalUsPerReq)} vs ${f1(bare.totalUsPerReq)} µs/request) | ${byWay.clientOutstanding.totalUsPerReq <= 1.05 * bare.totalUsPerReq ? '**met**' : '**missed**'} |`,
    '',
    `How the client gets there: it sends each try through undici's \`dispatch()\` with a handler of its own (host/node/exchange.ts: the body collected in memory, ` +
      `no Readable stream, no AsyncResource) and keeps per-try timeouts on one shared deadline wheel (5 ms steps, a Set insert and delete per try). ` +
      `Sent that way without routing (a random server), bare undici costs ${x(byWay.bareDispatch.totalUsPerReq / bare.totalUsPerReq)} bare \`request()\`; ` +
      `the routing itself (policy, route(), load bookkeeping, retry budget, trace) is the difference to the client: ${f1(byWay.clientOutstanding.totalUsPerReq - byWay.bareDispatch.totalUsPerReq)} µs/request (load mode outstanding), ` +
      `${f1(byWay.client.totalUsPerReq - byWay.bareDispatch.totalUsPerReq)} µs (default policy); a difference of a few µs is within the run-to-run spread (the last column). ` +
      `What the client does not do any more: an AbortController, its signal in \`request()\` and a setTimeout per try cost ${f1(byWay.bareAbort.totalUsPerReq - bare.totalUsPerReq)} µs/request on their own (the first decomposition row); ` +
      `undici's per-request \`headersTimeout\`/\`bodyTimeout\` ${x(byWay.bareTimeouts.totalUsPerReq / bare.totalUsPerReq)} bare (they bound each phase, not the whole try).`,
    '',
    `The proxies' extra cost: a sidecar costs ${x(byWay.sidecar.totalUsPerReq / bare.totalUsPerReq)} the bare client's CPU ` +
      `(${f1(byWay.sidecar.genUsPerReq)} µs in the application + ${f1(byWay.sidecar.proxyUsPerReq)} µs in the proxy per request) and ${x(byWay.sidecar.p50 / bare.p50)} its p50 latency; ` +
      `a remote proxy ${x(byWay.remote.totalUsPerReq / bare.totalUsPerReq)} the CPU (${f1(byWay.remote.genUsPerReq)} + ${f1(byWay.remote.proxyUsPerReq)} µs) and ${x(byWay.remote.p50 / bare.p50)} the p50. ` +
      `On loopback the "remote" proxy is one hop like the sidecar; across machines it adds the network hop too. ` +
      `The servers send no load reports (the paper's servers are plain too); over the whole run the default-policy client made ${fmtInt(cost.clientStats.requests)} requests, ` +
      `${fmtInt(cost.clientStats.polls)} load polls (${fmtInt(cost.clientStats.pollFailures)} failed: a plain server has no report), decisions by load mode ${Object.entries(cost.clientLoadCounts).map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ')}, and opened ${cost.clientStats.newConnections} connections.`,
    '',
  );
}

if (lb) {
  const o = lb.opts;
  const notHonoured = lb.rows.filter((r) => !r.honoured).map((r) => r.mode);
  const modes = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ') || '—';
  const lines: string[] = (blocks.lb = []);
  lines.push(
    '### 2. Load balance over unequal capacity',
    '',
    runLine('lb'),
    '',
    `${o.weights.length} servers of weights 1–4 (${o.weights.filter((w) => w === 1).length} of each), one child process; a server of weight w has ${o.slotsPerWeight}·w slots of ${o.serviceMs} ms ` +
      `(capacity ∝ weight; a FIFO queue beyond) and reports its load with withLoadReporting (ORCA \`endpoint-load-metrics: TEXT cpu_utilization=<busy slots fraction>, rps_fractional=…, named_metrics.inflight=<queued + in service>\`, ` +
      `and \`GET /.well-known/ringroute/load\`). ${o.clients} mesh clients (different ids and seeds) in the benchmark process, no subset, policy \`load: {mode, staleness_ms: ${o.stalenessMs}}\`, no retries. ` +
      '`random` draws each request\'s server uniformly itself (sent through the mesh client with `prefer`).',
    '',
    `**Steady**: ${o.concurrency} closed-loop workers per client for ${o.steadyMs / 1000} s. Load per unit of weight, max ÷ mean over the servers (1.00 = exactly in proportion to capacity): ` +
      `of the requests that arrived, and of the in-flight requests (queued + in service) sampled every ${o.sampleMs} ms (time average; and each sample's max ÷ mean, averaged).`,
    '',
    '| mode | arrivals/weight max÷mean | in-flight/weight max÷mean (time avg) | in-flight/weight max÷mean (per sample) | req/s | p50 ms | p99 ms | load known by (AttemptInfo.loadMode) | plot |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
    ...lb.rows.map((r) => `| ${r.mode}${r.honoured ? '' : ' ⚠'} | ${f2(r.servedImbalance)} | ${f2(r.inflightImbalance)} | ${f2(r.instantImbalance)} | ${fmtInt(r.rps)} | ${f1(r.p50)} | ${f1(r.p99)} | ${modes(r.loadModes.steady)} | [${r.plot}](plots/${r.plot}) |`),
    '',
    `**Stale-load herding** (${o.bursts} rounds per mode): other clients' traffic (simulated inside the servers, through the same slots, so it shows in the load reports) keeps 15 servers full ` +
      `while each of the ${o.clients} clients sends one request to each server (\`prefer\`): their last reports say the other 5 servers, L, are idle. The other traffic then moves onto L (full), ` +
      `the clients stay idle — ${o.idleShortMs} ms (reports not yet stale) or ${o.idleMs} ms (> staleness_ms ${o.stalenessMs}: stale, so a poll is allowed), alternately — and each sends ${o.burst} requests at once. ` +
      'Herding = the burst goes to L, the servers that last reported low load and are busy now. "× weight share" = the requests that arrived at L ÷ what L\'s share of the weight would get (pooled over the rounds): 1 for a load-blind choice, > 1 herding, → 0 for a client that knows L is busy.',
    '',
    '| mode | idle ms | burst share at L (busy) | × weight share | burst p99 ms | burst makespan ms | polls (failed) | new connections | load known by, in all bursts |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...lb.rows.flatMap((r) => r.herding.map((h, k) => `| ${k === 0 ? `${r.mode}${r.honoured ? '' : ' ⚠'}` : ''} | ${h.idleMs} | ${(h.share * 100).toFixed(0)}% | ${f2(h.herd)} | ${f1(h.p99)} | ${fmtInt(h.makespanMs)} | ${h.polls} (${h.pollFailures}) | ${h.newConnections} | ${k === 0 ? modes(r.loadModes.burst) : ''} |`)),
    '',
    'Plots (one PNG per mode): a row per server (heaviest on top; the grey strip is the weight), colour = in flight ÷ weight on a fixed scale (red: over it); left the steady phase (one column per sample), right each burst from 30 ms before it, the idle time above it and L marked black on the left (the other traffic on L shows before the burst starts). Rendered at 2×.',
    '',
  );
  if (notHonoured.length) {
    lines.push(
      `⚠ **Not measured: ${notHonoured.join(', ')}.** The mesh client reported no decision made on piggybacked or polled loads (AttemptInfo.loadMode) in these rows: it does not honour \`load.mode\`, so they ran on outstanding requests and show nothing about reported loads or stale-load herding.`,
      '',
    );
  }
}

if (reuse) {
  const o = reuse.opts;
  const lines: string[] = (blocks.reuse = []);
  lines.push(
    '### 3. Connection reuse',
    '',
    runLine('reuse'),
    '',
    `${fmtInt(o.servers)} listeners in one child process, each reporting its load (withLoadReporting: in flight and requests/s), as ringroute servers do; ${o.clients} mesh clients (different ids, so different rendezvous subsets), ${o.concurrency} concurrent requests each, ${fmtInt(o.requests)} requests in all (${fmtInt(o.requests / o.clients)} per client). ` +
      'New connections = Σ mesh.stats.newConnections (undici connects), checked against the connections the servers accepted. Clients run 5 at a time and close their pools after their share (file descriptors).',
    '',
    '| load policy | subset | requests | new connections | per 100k requests | accepted by the servers | servers per client | load polls (failed) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...reuse.rows.map((r) => `| ${r.loadMode === 'default' ? 'default (adaptive)' : r.loadMode} | ${r.subset ?? 'off (all 1,000)'} | ${fmtInt(r.requests)} | ${fmtInt(r.newConnections)} | ${fmtInt((r.newConnections / r.requests) * 100_000)} | ${fmtInt(r.accepted)} | ${fmtInt(r.serversPerClient)} | ${fmtInt(r.polls)} (${fmtInt(r.pollFailures)}) |`),
    '',
  );
  for (const mode of [...new Set(reuse.rows.map((r) => r.loadMode))]) {
    const a = reuse.rows.find((r) => r.loadMode === mode && r.subset !== null);
    const b = reuse.rows.find((r) => r.loadMode === mode && r.subset === null);
    if (a && b && a.newConnections > 0) lines.push(`- ${mode === 'default' ? 'default policy' : `load mode ${mode}`}: subset ${a.subset} opens ${(b.newConnections / a.newConnections).toFixed(1)}× fewer connections than no subset for the same requests (${fmtInt(a.newConnections)} vs ${fmtInt(b.newConnections)}).`);
  }
  lines.push('');
}

// parts not run this time keep their block from the section as it is
const previous = existsSync(OUT) ? /<!-- section:client -->[\s\S]*?<!-- \/section:client -->/.exec(readFileSync(OUT, 'utf8'))?.[0] ?? '' : '';
const kept = (name: string): string | undefined => new RegExp(`<!-- client:${name} -->[\\s\\S]*?<!-- /client:${name} -->`).exec(previous)?.[0];
const body = [
  ...header,
  ...['cost', 'lb', 'reuse'].flatMap((name) => {
    const b = blocks[name] ? `<!-- client:${name} -->\n${blocks[name].join('\n').trim()}\n<!-- /client:${name} -->` : kept(name);
    return b ? [b, ''] : [];
  }),
].join('\n');
writeSection(OUT, 'client', body);
console.log(`\n${body}\nwritten to ${OUT} (${seconds.toFixed(0)} s)`);
process.exit(0);
