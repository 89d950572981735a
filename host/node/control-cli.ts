// The control-plane commands of `ringroute`: the control server, the RIB daemon, the local mesh,
// and the operator's commands (registry, latency, config) over the control API.
// Where to find the control server and which token to send, in order: --control / --token,
// $RINGROUTE_CONTROL / $RINGROUTE_TOKEN, then the local mesh's files (.ringroute/mesh/control.url,
// admin.token), then http://127.0.0.1:7070.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Auth, newToken } from '../../control/auth.js';
import { ControlClient, ControlError } from '../../control/client.js';
import { ConfigError, loadConfigDir, readConfigFiles } from '../../control/config.js';
import { startControlServer } from '../../control/server.js';
import { openEmbeddedStore } from '../../control/store/embedded.js';
import { openEtcdStore } from '../../control/store/etcd.js';
import { openRemoteStore } from '../../control/store/remote.js';
import type { RibStore } from '../../control/store/types.js';
import { CONTROL_LIMITS } from '../../control/store/validate.js';
import { RibDaemon } from './daemon.js';
import { runMesh } from './mesh.js';
import { connect } from './client.js';
import { startProxy } from './proxy.js';

export const CONTROL_USAGE = `  ringroute mesh [--dir D] [--duration S] [--no-script] [--exit-after-script] [--json] [--port P]
      the local mesh: control server, daemon, HTTP servers in three regions and a client (npm start)
  ringroute control [--store embedded:<dir> | --store etcd:<url,url,...>] [--tokens F] [--port P] [--host H]
      the control server (registry, config, latency, xRS APIs); default store embedded:.ringroute/control
  ringroute daemon --socket PATH [--cache DIR] [--tenant T] [--name N] [--etcd URL,...]
      the per-machine RIB daemon; follows the control server (or etcd) and pushes miniRIBs
  ringroute registry list | show <service> | register <service> <id> --region R [--address H:P] [--weight W]
                   | drain <service> <id> [--wait MS] | undrain <service> <id> | deregister <service> <id>
  ringroute latency show | set <file.json> | measure <from> <to> <rtt_us>
  ringroute config apply <dir> [-m MSG] | diff <dir> | check <dir> | rollback [--to V] | history | show
      control commands take [--control URL] [--token T] [--tenant T] (default tenant "default")
  ringroute sidecar | remote-proxy | lookaside --daemon SOCKET --id CLIENT_ID --region R [--seed N]
                   [--services a,b] [--port P] [--host H] [--debug]
      the routers for callers that can't link the library, on the same client: a local proxy
      (<service>.mesh or /<service>/...), a shared regional proxy, or GET /route answers`;

export class CliUsageError extends Error {}

interface Parsed { positional: string[]; flags: Map<string, string | true> }

function parse(argv: string[], valued: string[], bools: string[] = []): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-') && a.length > 1) {
      if (valued.includes(a)) {
        if (i + 1 >= argv.length) throw new CliUsageError(`${a} needs a value`);
        flags.set(a, argv[++i]);
      } else if (bools.includes(a)) flags.set(a, true);
      else throw new CliUsageError(`unknown option ${a}`);
    } else positional.push(a);
  }
  return { positional, flags };
}

const str = (p: Parsed, f: string): string | undefined => {
  const v = p.flags.get(f);
  return typeof v === 'string' ? v : undefined;
};

function num(p: Parsed, f: string, dflt?: number): number | undefined {
  const v = str(p, f);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliUsageError(`${f} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

const MESH_DIR = '.ringroute/mesh';
const COMMON = ['--control', '--token', '--tenant'];

function clientFrom(p: Parsed): ControlClient {
  const meshUrl = join(MESH_DIR, 'control.url'), meshToken = join(MESH_DIR, 'admin.token');
  const url = str(p, '--control') ?? process.env.RINGROUTE_CONTROL ?? (existsSync(meshUrl) ? readFileSync(meshUrl, 'utf8').trim() : 'http://127.0.0.1:7070');
  const token = str(p, '--token') ?? process.env.RINGROUTE_TOKEN ?? (existsSync(meshToken) ? readFileSync(meshToken, 'utf8').trim() : undefined);
  if (!token) throw new CliUsageError('no token: pass --token or set RINGROUTE_TOKEN');
  return new ControlClient(url, token, str(p, '--tenant') ?? 'default');
}

const print = (v: unknown): void => console.log(JSON.stringify(v, null, 2));


async function withClient(p: Parsed, fn: (c: ControlClient) => Promise<number>): Promise<number> {
  const c = clientFrom(p);
  try {
    return await fn(c);
  } catch (err) {
    if (err instanceof ControlError) {
      console.error(`${err.code}: ${err.message}`);
      return 1;
    }
    if (err instanceof ConfigError) {
      console.error(err.problems.join('\n'));
      return 1;
    }
    throw err;
  } finally {
    await c.close();
  }
}

async function openStore(spec: string): Promise<RibStore> {
  const [kind, rest] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
  if (kind === 'embedded' && rest) return openEmbeddedStore(rest, { limits: CONTROL_LIMITS });
  if (kind === 'etcd' && rest) return openEtcdStore({ endpoints: rest.split(','), limits: CONTROL_LIMITS });
  throw new CliUsageError(`--store must be embedded:<dir> or etcd:<url,...>, got ${JSON.stringify(spec)}`);
}

const waitForSignal = (): Promise<void> => new Promise((r) => {
  process.once('SIGINT', () => r());
  process.once('SIGTERM', () => r());
});

export async function controlMain(cmd: string, argv: string[]): Promise<number | undefined> {
  switch (cmd) {
    case 'mesh': {
      const p = parse(argv, ['--dir', '--duration', '--port', '--concurrency'], ['--no-script', '--json', '--exit-after-script']);
      return runMesh({
        dir: str(p, '--dir') ?? MESH_DIR, durationS: num(p, '--duration'), script: !p.flags.has('--no-script'),
        json: p.flags.has('--json'), port: num(p, '--port'), concurrency: num(p, '--concurrency', 16)!, exitAfterScript: p.flags.has('--exit-after-script'),
      });
    }
    case 'sidecar': case 'remote-proxy': case 'lookaside': {
      const p = parse(argv, ['--daemon', '--id', '--region', '--seed', '--services', '--port', '--host'], ['--debug']);
      const daemon = str(p, '--daemon'), id = str(p, '--id'), region = str(p, '--region');
      if (!daemon || !id || !region) throw new CliUsageError(`${cmd} needs --daemon SOCKET --id CLIENT_ID --region R`);
      const mesh = await connect({
        client: { id, region, ...(num(p, '--seed') !== undefined ? { seed: num(p, '--seed') } : {}) }, daemon,
        services: str(p, '--services')?.split(',').filter(Boolean) ?? [],
        ...(cmd === 'remote-proxy' ? { connections: 32, keepAliveMs: 300_000 } : {}),
      });
      const proxy = await startProxy({ kind: cmd, mesh, port: num(p, '--port', cmd === 'lookaside' ? 7082 : cmd === 'sidecar' ? 7080 : 7081), host: str(p, '--host'), debug: p.flags.has('--debug') });
      console.log(`ringroute ${cmd}: ${proxy.url} (client ${id} in ${region}, daemon ${daemon})`);
      await waitForSignal();
      await proxy.close();
      await mesh.close();
      return 0;
    }
    case 'control': {
      const p = parse(argv, ['--store', '--tokens', '--port', '--host', '--xrs-tick']);
      const store = await openStore(str(p, '--store') ?? 'embedded:.ringroute/control');
      let tokensFile = str(p, '--tokens');
      if (!tokensFile) {
        // embedded defaults: one admin token, made once, kept beside the store
        mkdirSync('.ringroute', { recursive: true });
        tokensFile = '.ringroute/tokens.json';
        if (!existsSync(tokensFile)) {
          const token = newToken();
          writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'admin', tenant: '*', role: 'admin', token }] }, null, 2), { mode: 0o600 });
          console.log(`made an admin token in ${resolve(tokensFile)} (tenant '*')`);
        }
      }
      const server = await startControlServer({
        store, auth: Auth.fromFile(tokensFile), port: num(p, '--port', 7070), host: str(p, '--host') ?? '127.0.0.1',
        xrsTickMs: num(p, '--xrs-tick', 1000), log: (l) => console.error(l),
      });
      console.log(`ringroute control: ${server.url} (store ${store.kind}, tokens ${tokensFile})`);
      await waitForSignal();
      await server.close();
      await store.close();
      return 0;
    }
    case 'daemon': {
      const p = parse(argv, [...COMMON, '--socket', '--cache', '--name', '--etcd']);
      const socket = str(p, '--socket');
      if (!socket) throw new CliUsageError('daemon needs --socket PATH');
      const tenant = str(p, '--tenant') ?? 'default';
      const name = str(p, '--name') ?? `${hostname()}-${process.pid}`;
      const etcd = str(p, '--etcd');
      // through the control server (a read token), or straight from etcd (no token: etcd's own access control)
      const client = etcd ? undefined : clientFrom(p);
      const store = etcd
        ? await openEtcdStore({ endpoints: etcd.split(','), limits: CONTROL_LIMITS })
        : openRemoteStore({ url: client!.url, token: client!.token, tenant });
      const daemon = await RibDaemon.start({
        store, tenant, socket, cacheDir: str(p, '--cache') ?? '.ringroute/daemon-cache',
        report: client ? (r) => client.reportDaemon(name, r).then(() => undefined) : undefined,
        log: (l) => console.error(l),
      });
      console.log(`ringroute daemon "${name}": tenant ${tenant}, socket ${socket}, store ${store.kind}`);
      await waitForSignal();
      await daemon.close();
      await store.close();
      await client?.close();
      return 0;
    }
    case 'registry': {
      const p = parse(argv, [...COMMON, '--region', '--address', '--weight', '--wait']);
      const [sub, service, id] = p.positional;
      return withClient(p, async (c) => {
        switch (sub) {
          case 'list': print(await c.services()); return 0;
          case 'show': if (!service) break; print(await c.service(service)); return 0;
          case 'register': {
            if (!service || !id) break;
            const region = str(p, '--region');
            if (!region) throw new CliUsageError('register needs --region');
            print(await c.register(service, id, { region, ...(str(p, '--address') ? { address: str(p, '--address') } : {}), ...(num(p, '--weight') !== undefined ? { weight: num(p, '--weight') } : {}) }));
            return 0;
          }
          case 'drain': if (!service || !id) break; print(await c.drain(service, id, num(p, '--wait', 0))); return 0;
          case 'undrain': if (!service || !id) break; print(await c.setState(service, id, 'up')); return 0;
          case 'deregister': if (!service || !id) break; print(await c.deregister(service, id)); return 0;
        }
        throw new CliUsageError(`registry ${sub ?? ''}: see usage`);
      });
    }
    case 'latency': {
      const p = parse(argv, COMMON);
      const [sub, a, b, rtt] = p.positional;
      return withClient(p, async (c) => {
        if (sub === 'show') print(await c.latency());
        else if (sub === 'set' && a) print(await c.setLatency(JSON.parse(readFileSync(a, 'utf8'))));
        else if (sub === 'measure' && a && b && rtt) print(await c.measure(a, b, Number(rtt)));
        else throw new CliUsageError(`latency ${sub ?? ''}: see usage`);
        return 0;
      });
    }
    case 'config': {
      const p = parse(argv, [...COMMON, '-m', '--to']);
      const [sub, dir] = p.positional;
      if (sub === 'check') {
        if (!dir) throw new CliUsageError('config check <dir>');
        try {
          const set = await loadConfigDir(dir);
          console.log(`${dir}: ${Object.keys(set.services).length} services, valid`);
          return 0;
        } catch (err) {
          if (err instanceof ConfigError) {
            console.error(err.problems.join('\n'));
            return 1;
          }
          throw err;
        }
      }
      return withClient(p, async (c) => {
        switch (sub) {
          case 'apply': {
            if (!dir) break;
            const r = await c.applyConfig({ files: await readConfigFiles(dir) }, str(p, '-m') ? { message: str(p, '-m') } : {});
            console.log(r.unchanged ? `unchanged: version ${r.version} is current` : `applied version ${r.version} (RIB revision ${r.revision})\n${r.text}`);
            return 0;
          }
          case 'diff': {
            if (!dir) break;
            const r = await c.diffConfig({ files: await readConfigFiles(dir) });
            console.log(r.text || `no changes against version ${r.version}`);
            return 0;
          }
          case 'rollback': {
            const r = await c.rollback(num(p, '--to'), str(p, '-m'));
            console.log(`rolled back to version ${r.to} as version ${r.version}\n${r.text}`);
            return 0;
          }
          case 'history': {
            for (const h of (await c.versions()).versions) {
              console.log(`${String(h.version).padStart(4)}  ${new Date(h.applied_at).toISOString()}  ${h.by}${h.rollback_of ? ` (rollback to ${h.rollback_of})` : ''}  ${h.message ?? ''}  ${h.hash.slice(0, 12)}`);
            }
            return 0;
          }
          case 'show': print(await c.config()); return 0;
        }
        throw new CliUsageError(`config ${sub ?? ''}: see usage`);
      });
    }
  }
  return undefined;
}
