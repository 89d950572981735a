// A real 3-member etcd cluster on loopback for tests/store.test.ts and bench/control.ts: free ports, a data directory
// per member (under /dev/shm when there is one: etcd fsyncs every commit), --initial-cluster
// bootstrap, health by each member's /health endpoint. kill(i) SIGKILLs a member, restart(i)
// starts it again on its data, stop() kills everything and removes the directories.
// No process outlives the test: each member runs under a small sh wrapper that SIGKILLs it when
// the test process's end of its stdin pipe closes, which happens even if the test process dies.
// (A test process killed outright leaves its data directory; the next start removes it.)
// Startup takes about a second; if `etcd` is not on PATH, startEtcdCluster() throws saying so.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROL_LIMITS } from '../control/store/validate.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  log: string;
  proc: ChildProcess | null;
  pid: number | null;
  exited: Promise<void> | null;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdMember[];
  /** SIGKILLs member i and waits until it is gone. */
  kill(i: number): Promise<void>;
  /** Starts member i again on its data directory; resolves when it reports healthy. */
  restart(i: number): Promise<void>;
  /** Index of the current leader (asked of the members that are up). */
  leader(): Promise<number>;
  stop(): Promise<void>;
}

// Runs "$@" (etcd) in the background, prints its pid, exits with its status; a watchdog
// subshell SIGKILLs it when stdin reaches EOF (the test process closed it, or died). stdin is
// passed as fd 3: sh gives background jobs /dev/null as their stdin.
const WRAPPER = `
exec 3<&0
"$@" </dev/null >/dev/null 2>>"$RR_ETCD_LOG" 3<&- &
pid=$!
echo "$pid"
( cat <&3 >/dev/null; kill -9 "$pid" 2>/dev/null ) &
watchdog=$!
wait "$pid"
status=$?
kill "$watchdog" 2>/dev/null
exit "$status"
`;

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function healthy(m: EtcdMember): Promise<boolean> {
  try {
    const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true' || body.health === true;
  } catch {
    return false;
  }
}

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Removes the data directories of earlier runs whose test process died without stop(). */
function removeOrphans(base: string): void {
  for (const name of readdirSync(base)) {
    const pid = Number(/^ringroute-etcd-(\d+)-/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(base, name), { recursive: true, force: true });
    }
  }
}

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  if (spawnSync('sh', ['-c', 'command -v etcd']).status !== 0) {
    throw new Error('etcd is not on PATH: the etcd store tests need an etcd server (Debian: apt-get install etcd-server etcd-client; .ci/run installs them)');
  }
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  removeOrphans(base);
  const root = mkdtempSync(join(base, `ringroute-etcd-${process.pid}-`));
  const ports = await freePorts(size * 2);
  const members: EtcdMember[] = Array.from({ length: size }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: join(root, `m${i}`),
    log: join(root, `m${i}.log`),
    proc: null,
    pid: null,
    exited: null,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `ringroute-${process.pid}-${Date.now()}`;

  const launch = async (m: EtcdMember): Promise<void> => {
    const args = [
      'etcd', '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
      '--heartbeat-interval', '100', '--election-timeout', '1000',
      // the control plane's limits (control/store/validate.ts): a config set is one transaction
      '--max-txn-ops', String(CONTROL_LIMITS.maxTxnOps), '--max-request-bytes', String(CONTROL_LIMITS.maxRequestBytes),
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
    ];
    const proc = spawn('sh', ['-c', WRAPPER, 'sh', ...args], { env: { ...process.env, RR_ETCD_LOG: m.log }, stdio: ['pipe', 'pipe', 'ignore'] });
    m.proc = proc;
    m.exited = new Promise((resolve) => proc.once('exit', () => {
      proc.stdin?.end(); // lets the watchdog's cat finish
      m.proc = null;
      m.pid = null;
      resolve();
    }));
    m.pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0]!;
        if (out.includes('\n')) resolve(Number(line));
      });
      proc.once('exit', (code) => reject(new Error(`etcd member ${m.name} exited at once (status ${code}):\n${tail(m.log)}`)));
    });
  };

  const waitHealthy = async (list: EtcdMember[], timeoutMs: number): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ok = await Promise.all(list.map(healthy));
      if (ok.every(Boolean)) return;
      if (Date.now() > until) {
        const bad = list.filter((_, i) => !ok[i]);
        throw new Error(`etcd members not healthy after ${timeoutMs} ms: ${bad.map((m) => `${m.name} (${m.clientUrl}${m.proc ? '' : ', exited'}):\n${tail(m.log)}`).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const killAll = (): void => {
    for (const m of members) if (m.pid) try { process.kill(m.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  process.once('exit', killAll);

  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    async kill(i) {
      const m = members[i]!;
      if (!m.pid) throw new Error(`etcd member ${m.name} is not running`);
      process.kill(m.pid, 'SIGKILL');
      await m.exited;
    },
    async restart(i) {
      const m = members[i]!;
      if (m.pid) throw new Error(`etcd member ${m.name} is running`);
      await launch(m);
      await waitHealthy([m], 15_000);
    },
    async leader() {
      for (const [i, m] of members.entries()) {
        if (!m.pid) continue;
        try {
          const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
          const s = (await res.json()) as { header?: { member_id?: string }; leader?: string };
          if (s.leader && s.header?.member_id === s.leader) return i;
        } catch { /* try the next one */ }
      }
      throw new Error('no etcd member says it is the leader');
    },
    async stop() {
      process.removeListener('exit', killAll);
      killAll();
      await Promise.all(members.map((m) => m.exited));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map(launch));
    await waitHealthy(members, 20_000);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
