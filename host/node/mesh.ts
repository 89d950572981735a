// The local mesh (`ringroute mesh`, behind `npm start`): the whole control plane and data plane
// on one machine, with embedded defaults and nothing to set up by hand —
//   a control server on an embedded RIB store (.ringroute/mesh/store), with generated tokens;
//   a latency matrix of three simulated regions; the policies of a config directory
//   (.ringroute/mesh/config, first copied from examples/mesh/config), re-applied when a file changes;
//   HTTP servers (two per region per service, wrapped by ringroute/server: ORCA load reports)
//   that register themselves with the registry;
//   a RIB daemon on a Unix socket, following the control server;
//   a client in us-east, the SRLib client (host/node/client.ts) on the daemon's socket, that
//   routes and sends every request and prints each second where the traffic went and how each
//   decision knew the servers' load (outstanding, piggyback, poll).
// A scripted timeline (turn it off with --no-script) drains a server, brings it back, and changes a
// policy file, printing how long each change took to reach the client's decisions.
// Used by: host/node/cli.ts; tests/mesh.test.ts runs it with --duration and --json.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Auth, newToken } from '../../control/auth.js';
import { ControlClient } from '../../control/client.js';
import { ConfigError, parseConfigFiles, readConfigFiles, type ConfigSet } from '../../control/config.js';
import { startControlServer, type ControlServer } from '../../control/server.js';
import { openEmbeddedStore } from '../../control/store/embedded.js';
import { openRemoteStore } from '../../control/store/remote.js';
import type { RibStore } from '../../control/store/types.js';
import { CONTROL_LIMITS } from '../../control/store/validate.js';
import { Rng } from '../../bindings/ts-core/rng.js';
import { RibDaemon } from './daemon.js';
import { connect, type Mesh, MeshError } from './client.js';
import { withLoadReporting } from './server.js';

export interface MeshOptions {
  dir: string;
  /** Stop after this many seconds (default: run until Ctrl-C). */
  durationS?: number;
  script: boolean;
  /** One JSON object per line instead of tables (tests). */
  json: boolean;
  port?: number;
  concurrency: number;
  /** Stop 2 s after the scripted timeline ends (tests); --duration stays a hard cap. */
  exitAfterScript?: boolean;
}

export const REGIONS = ['us-east', 'us-west', 'eu-west'];
/** RTT in ms: us-east→us-west 30 ms is inside the 35 ms ring, →eu-west 75 ms inside the 80 ms ring. */
export const RTT_MS = [
  [0.3, 30, 75],
  [30, 0.3, 140],
  [75, 140, 0.3],
];
const CLIENT_REGION = 'us-east';
/** Each server's declared capacity, for cross-region spill (xRS): us-east's two web servers take 3,000 req/s. */
const CAPACITY_RPS = 1500;
/** How much the scripted surge multiplies the demand us-east reports. */
const SURGE = 4;
export const TENANT = 'default';

export const examplesConfig = fileURLToPath(new URL('../../../examples/mesh/config/', import.meta.url));

interface MeshServer {
  service: string;
  id: string;
  region: string;
  server: Server;
  address: string;
  inflight: number;
  served: number;
}

export async function runMesh(opts: MeshOptions): Promise<number> {
  const dir = resolve(opts.dir);
  const out = (line: string, obj?: Record<string, unknown>): void => {
    if (opts.json) {
      if (obj) console.log(JSON.stringify({ t: Date.now(), ...obj }));
    } else console.log(line);
  };
  mkdirSync(dir, { recursive: true });
  const configDir = join(dir, 'config');
  if (!existsSync(configDir)) cpSync(examplesConfig, configDir, { recursive: true });

  // tokens: generated once, kept in the mesh dir (0600), never printed in full
  const tokensFile = join(dir, 'tokens.json');
  if (!existsSync(tokensFile)) {
    const tokens = [
      { name: 'mesh-admin', tenant: TENANT, role: 'admin', token: newToken() },
      { name: 'mesh-daemon', tenant: TENANT, role: 'read', token: newToken() },
      { name: 'mesh-servers', tenant: TENANT, role: 'write', token: newToken() },
    ];
    writeFileSync(tokensFile, JSON.stringify({ tokens }, null, 2), { mode: 0o600 });
  }
  const tokens = (JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens: { name: string; token: string }[] }).tokens;
  const tokenOf = (name: string): string => tokens.find((t) => t.name === name)!.token;
  writeFileSync(join(dir, 'admin.token'), tokenOf('mesh-admin'), { mode: 0o600 });

  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };

  try {
    const store: RibStore = await openEmbeddedStore(join(dir, 'store'), { limits: CONTROL_LIMITS });
    cleanups.push(() => store.close());
    let control: ControlServer;
    try {
      control = await startControlServer({ store, auth: Auth.fromFile(tokensFile), port: opts.port ?? 7070, xrsTickMs: 500 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.port !== undefined) throw err;
      control = await startControlServer({ store, auth: Auth.fromFile(tokensFile), port: 0, xrsTickMs: 500 });
    }
    cleanups.push(() => control.close());
    writeFileSync(join(dir, 'control.url'), control.url);
    const admin = new ControlClient(control.url, tokenOf('mesh-admin'), TENANT);
    const writer = new ControlClient(control.url, tokenOf('mesh-servers'), TENANT);
    cleanups.push(() => admin.close(), () => writer.close());

    await admin.setLatency({ regions: REGIONS, rtt_ms: RTT_MS });

    // the policies
    const applyDir = async (why: string): Promise<ConfigSet | undefined> => {
      try {
        const files = await readConfigFiles(configDir);
        const r = await admin.applyConfig({ files }, { message: why });
        if (!r.unchanged) out(`config version ${r.version} applied (${why})${r.text ? `:\n${r.text.replace(/^/gm, '    ')}` : ''}`, { event: 'config', version: r.version, changes: r.changes });
        return parseConfigFiles(files); // what the server applied, for the display
      } catch (err) {
        const message = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message;
        out(`config NOT applied (${why}), the last good version stays: ${message}`, { event: 'config-refused', message });
        return undefined;
      }
    };
    let config = await applyDir('mesh start');
    if (!config) throw new Error(`the config in ${configDir} is invalid; fix it or delete the directory to start from the example`);
    const services = Object.keys(config.services);

    // the servers: two per region per service, each registering itself
    const servers: MeshServer[] = [];
    for (const service of services) {
      for (const region of REGIONS) {
        for (let n = 1; n <= 2; n++) {
          const s: MeshServer = { service, id: `${service}-${region}-${n}`, region, server: undefined as unknown as Server, address: '', inflight: 0, served: 0 };
          // ringroute/server: the ORCA load header on every response and the load endpoint
          s.server = createServer(withLoadReporting((req, res) => {
            s.inflight++;
            s.served++;
            req.resume();
            // a few ms of "work", so loads mean something
            setTimeout(() => {
              s.inflight--;
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.end(`${s.id}\n`);
            }, 2);
          }));
          await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', () => r()));
          s.address = `127.0.0.1:${(s.server.address() as AddressInfo).port}`;
          servers.push(s);
          cleanups.push(() => new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); }));
          await writer.register(service, s.id, { region, address: s.address, weight: 1, capacity_rps: CAPACITY_RPS });
        }
      }
      const policy = config.services[service] as { mode?: string };
      if (policy.mode === 'sharded') {
        // a shard manager's map: 6 shards, each on one server of each region, primary in us-east
        const own = servers.filter((x) => x.service === service);
        const byRegion = REGIONS.map((r) => own.filter((x) => x.region === r));
        await writer.setShards(service, {
          shards: Array.from({ length: 6 }, (_, i) => ({
            start: Math.floor((i * 0x100000000) / 6),
            replicas: byRegion.map((list, ri) => ({ server: list[i % list.length].id, role: ri === 0 ? 'primary' as const : 'secondary' as const })),
          })),
        });
      }
    }
    const byId = new Map(servers.map((s) => [s.id, s]));

    // the daemon, following the control server like a daemon on another machine would
    const daemonStore = openRemoteStore({ url: control.url, token: tokenOf('mesh-daemon'), tenant: TENANT });
    const reporter = new ControlClient(control.url, tokenOf('mesh-daemon'), TENANT);
    const socket = join(dir, 'daemon.sock');
    const daemon = await RibDaemon.start({
      store: daemonStore, tenant: TENANT, socket, cacheDir: join(dir, 'daemon-cache'),
      report: (r) => reporter.reportDaemon('mesh-daemon', r).then(() => undefined),
    });
    cleanups.push(() => daemon.close(), () => daemonStore.close(), () => reporter.close());

    // the client
    const client = { id: 'mesh-client-1', region: CLIENT_REGION, seed: 7 };
    const errors = new Map<string, number>();
    // the SRLib client (host/node/client.ts) on the daemon's push channel
    const mesh: Mesh = await connect({ client, daemon: socket, services });
    cleanups.push(() => mesh.close());
    const modes = new Map<string, number>();
    mesh.addObserver((a) => modes.set(a.loadMode ?? 'outstanding', (modes.get(a.loadMode ?? 'outstanding') ?? 0) + 1));
    out(`ringroute local mesh — control ${control.url}, tenant "${TENANT}", daemon ${socket}`, { event: 'start', control: control.url, socket });
    out(`  ${servers.length} servers: ${services.map((s) => `${s} ×${servers.filter((x) => x.service === s).length}`).join(', ')} in ${REGIONS.join(', ')}`);
    out(`  client ${client.id} in ${client.region}; RTT from it: ${REGIONS.map((r, i) => `${r} ${RTT_MS[0][i]} ms`).join(', ')}`);
    out(`  edit ${configDir}/*.yaml to change a policy; drain a server from another terminal:`);
    out(`    RINGROUTE_TOKEN=$(cat ${join(dir, 'admin.token')}) node bin/ringroute.js registry drain web web-us-east-1 --control ${control.url}`);
    out('');

    // the workload: a closed loop, `concurrency` requests in flight, mixed over the services
    const rng = new Rng(11);
    const window = new Map<string, Map<string, number>>();
    let running = true;
    let sent = 0;
    let webDone = 0;
    let surge = 1;
    let keep = 1; // the published keep fraction of web's ring 0 for us-east (xRS), for display
    const one = async (): Promise<void> => {
      const service = services[rng.below(services.length)];
      const policy = config!.services[service] as { mode?: string };
      const key = policy.mode === 'key' || policy.mode === 'sharded' ? `user:${rng.below(10_000)}` : undefined;
      try {
        const r = await mesh.request(service, key !== undefined ? { key } : {});
        if (r.status !== 200) errors.set(`HTTP ${r.status}`, (errors.get(`HTTP ${r.status}`) ?? 0) + 1);
        else {
          let m = window.get(service);
          if (!m) window.set(service, (m = new Map()));
          m.set(r.server, (m.get(r.server) ?? 0) + 1);
        }
        sent++;
        if (service === 'web') webDone++;
      } catch (err) {
        const code = err instanceof MeshError ? err.code : 'ERROR';
        errors.set(code, (errors.get(code) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const loops = Array.from({ length: opts.concurrency }, async () => {
      while (running) await one();
    });

    // the display, once a second
    const tick = (): void => {
      const snap = window;
      const total = [...snap.values()].reduce((a, m) => a + [...m.values()].reduce((x, y) => x + y, 0), 0);
      const gen = mesh.meta.generation;
      if (opts.json) {
        const perServer: Record<string, number> = {};
        for (const m of snap.values()) for (const [id, c] of m) perServer[id] = c;
        out('', { event: 'tick', keep, modes: Object.fromEntries(modes), generation: gen, revision: mesh.meta.revision, total, perServer, errors: Object.fromEntries(errors) });
      } else {
        const decided = [...modes.values()].reduce((a, b) => a + b, 0);
        const modeText = [...modes].sort().map(([k, v]) => `${k} ${((100 * v) / Math.max(1, decided)).toFixed(0)}%`).join(', ');
        console.log(`--- ${new Date().toISOString().slice(11, 19)}  ${total} req/s  miniRIB generation ${gen} (RIB revision ${mesh.meta.revision})  load known by: ${modeText}${errors.size ? `  errors: ${[...errors].map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`);
        for (const service of services) {
          const m = snap.get(service) ?? new Map<string, number>();
          const n = [...m.values()].reduce((a, b) => a + b, 0);
          const p = config!.services[service] as { mode?: string; subset?: number; xrs?: unknown };
          const spill = p.xrs ? `, xRS: ring 0 keeps ${(100 * keep).toFixed(0)}%` : '';
          console.log(`  ${service} (${p.mode ?? 'random'}${p.subset ? ` ${p.subset}` : ''}${spill}): ${n} req/s`);
          for (const s of servers.filter((x) => x.service === service)) {
            const c = m.get(s.id) ?? 0;
            const rec = mesh.meta.services[service];
            const state = serverStates.get(s.id) ?? 'up';
            const ring = rec?.rings?.[s.id] ?? -1; // as the daemon placed it for this client
            const bar = '█'.repeat(Math.round((30 * c) / Math.max(1, n)));
            console.log(`    ${s.id.padEnd(22)} ring ${ring} ${state.padEnd(8)} ${String(c).padStart(5)} ${bar}${rec?.addresses[s.id] ? '' : ' (not in miniRIB)'}`);
          }
        }
      }
      window.clear();
      errors.clear();
      modes.clear();
    };
    const serverStates = new Map<string, string>();
    const ticker = setInterval(tick, 1000);
    cleanups.push(() => clearInterval(ticker));

    // the demand of this region's clients, as their daemons would report it to xRS (×SURGE in a surge)
    let lastReport = performance.now();
    const reporterTimer = setInterval(() => {
      const now = performance.now();
      const rps = (webDone * 1000) / (now - lastReport);
      webDone = 0;
      lastReport = now;
      void writer.reportLoad('web', CLIENT_REGION, Math.round(rps * surge)).catch(() => undefined);
      void admin.xrs('web').then((x) => { keep = x.spill?.spill[CLIENT_REGION]?.[0] ?? 1; }).catch(() => undefined);
    }, 500);
    cleanups.push(() => clearInterval(reporterTimer));

    /** ms from now until the client's decisions stop (or start) naming `id`. */
    const timeUntil = async (pred: () => boolean, limitMs = 5000): Promise<number> => {
      const t0 = performance.now();
      while (!pred()) {
        if (performance.now() - t0 > limitMs) return NaN;
        await new Promise((r) => setTimeout(r, 2));
      }
      return performance.now() - t0;
    };
    const routesTo = (service: string, id: string): boolean => {
      for (let i = 0; i < 200; i++) {
        const d = mesh.router.tryRoute({ service });
        if (!(d instanceof Error) && d.server === id) return true;
      }
      return false;
    };

    // edits of the config dir, applied within a second (fs.watch, debounced)
    let debounce: NodeJS.Timeout | undefined;
    const watcher = watch(configDir, () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        void applyDir('config directory changed').then((c) => { if (c) config = c; });
      }, 100);
    });
    cleanups.push(() => { clearTimeout(debounce); watcher.close(); });

    const script = async (): Promise<void> => {
      const at = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
      const victim = servers.find((s) => s.service === 'web' && s.region === CLIENT_REGION && routesTo('web', s.id)) ?? servers.find((s) => s.service === 'web')!;
      await at(3);
      const t0 = performance.now();
      const d = await admin.drain('web', victim.id, 2000);
      serverStates.set(victim.id, 'draining');
      const ms = await timeUntil(() => !routesTo('web', victim.id));
      out(`>>> drained ${victim.id} (RIB revision ${d.revision}): the client stopped choosing it ${(performance.now() - t0).toFixed(1)} ms after the request (${ms.toFixed(1)} ms after the drain call returned; daemons reached: ${d.daemons?.reached.join(', ') || 'none'})`,
        { event: 'drain', server: victim.id, ms: performance.now() - t0 });
      // planned maintenance: in-flight requests finish, then the server may stop
      await timeUntil(() => byId.get(victim.id)!.inflight === 0);
      await at(3);
      await admin.setState('web', victim.id, 'up');
      serverStates.set(victim.id, 'up');
      out(`>>> ${victim.id} is up again`, { event: 'undrain', server: victim.id });
      await at(3);
      // a policy change through the config directory, as an operator would make it
      const file = readdirSync(configDir).find((f) => /^web\.ya?ml$/.test(f));
      if (file) {
        const path = join(configDir, file);
        const before = readFileSync(path, 'utf8');
        const t1 = performance.now();
        const gen0 = mesh.meta.generation;
        writeFileSync(path, before.replace(/^rings_ms:.*$/m, 'rings_ms: [100, null]'));
        const ms2 = await timeUntil(() => mesh.meta.generation !== gen0, 3000);
        out(`>>> edited ${file}: rings_ms [100, null] (every region in ring 0): reached the client in ${ms2.toFixed(1)} ms`, { event: 'policy', ms: performance.now() - t1 });
        await at(3);
        writeFileSync(path, before);
        out(`>>> restored ${file}`, { event: 'policy-restored' });
      }
      await at(2);
      // a demand surge in us-east: xRS spills part of web's traffic to the next ring, then takes it back
      const t2 = performance.now();
      surge = SURGE;
      out(`>>> surge: us-east's web demand ×${SURGE} (capacity ${2 * CAPACITY_RPS} req/s, target 80%)`, { event: 'surge' });
      const ms3 = await timeUntil(() => keep < 1, 5000);
      out(`>>> xRS: ring 0 keeps ${(100 * keep).toFixed(0)}% of us-east's web traffic, the rest spills to the outer rings (${ms3.toFixed(0)} ms after the surge began)`, { event: 'xrs-spill', keep, ms: performance.now() - t2 });
      await at(4);
      surge = 1;
      const t3 = performance.now();
      out('>>> surge over', { event: 'surge-over' });
      const ms4 = await timeUntil(() => keep === 1, 15_000);
      out(`>>> xRS: all of us-east's web traffic is back in ring 0, ${ms4.toFixed(0)} ms after the surge ended`, { event: 'xrs-recovered', ms: performance.now() - t3 });
    };
    const scripted = opts.script ? script().catch((err) => out(`script failed: ${(err as Error).message}`, { event: 'script-error', message: (err as Error).message })) : Promise.resolve();

    await new Promise<void>((resolveRun) => {
      const end = (): void => resolveRun();
      process.once('SIGINT', end);
      process.once('SIGTERM', end);
      if (opts.durationS !== undefined) setTimeout(end, opts.durationS * 1000).unref();
      if (opts.exitAfterScript) void scripted.then(() => setTimeout(end, 2000));
    });
    running = false;
    await scripted.catch(() => undefined);
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 2000))]);
    out(`mesh stopped after ${sent} requests (${mesh.stats.retries} retried, ${mesh.stats.polls} load polls, ${mesh.stats.newConnections} connections opened)`, { event: 'stop', sent });
    return 0;
  } finally {
    await stop();
  }
}
