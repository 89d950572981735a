// Helpers of the client benchmarks (bench/client.ts): child processes spoken to over the IPC
// channel (request/response by id), a closed-loop load driver with per-request latency, and
// small statistics.
import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export interface Child {
  proc: ChildProcess;
  /** Sends {type, ...} and resolves with the child's answer to it. */
  call<T = Record<string, unknown>>(type: string, args?: Record<string, unknown>): Promise<T>;
  /** process.cpuUsage() of the child, in µs (user + system). */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks one of the bench's child scripts (a path relative to this file's dist directory). */
export function startChild(script: string, execArgv: string[] = []): Child {
  const proc = fork(fileURLToPath(new URL(script, import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  proc.on('message', (m: { id?: number; error?: string }) => {
    const w = m.id !== undefined ? waiting.get(m.id) : undefined;
    if (!w) return;
    waiting.delete(m.id!);
    if (m.error) w.reject(new Error(`${script}: ${m.error}`));
    else w.resolve(m);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => {
    for (const w of waiting.values()) w.reject(new Error(`${script} exited`));
    waiting.clear();
    resolve();
  }));
  const call = <T>(type: string, args: Record<string, unknown> = {}): Promise<T> => new Promise<T>((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    proc.send({ ...args, type, id });
  });
  return {
    proc,
    call,
    async cpuUs() {
      const r = await call<{ user: number; system: number }>('cpu');
      return r.user + r.system;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send({ type: 'exit', id: 0 });
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The child side: answers each {type, id} message with handlers[type](message) plus the id. */
export function serveParent(handlers: Record<string, (m: Record<string, unknown>) => unknown>): void {
  process.on('message', (m: Record<string, unknown> & { type: string; id: number }) => {
    if (m.type === 'exit') {
      process.exit(0);
    }
    void (async () => {
      try {
        const h = handlers[m.type];
        if (!h) throw new Error(`unknown message ${m.type}`);
        const out = (await h(m)) as Record<string, unknown> | undefined;
        process.send!({ ...(out ?? {}), id: m.id });
      } catch (err) {
        process.send!({ id: m.id, error: (err as Error).stack ?? String(err) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

export const ownCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * Closed loop: `concurrency` workers each send one request at a time until `n` are done.
 * Returns the latency of each request in ms (index = the order requests began).
 */
export async function closedLoop(n: number, concurrency: number, send: (i: number) => Promise<void>): Promise<Float64Array> {
  const lat = new Float64Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const t0 = performance.now();
      await send(i);
      lat[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return lat;
}

/** The p-th percentile (nearest rank) of xs. */
export function pct(xs: ArrayLike<number>, p: number): number {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (xs: number[]): number => pct(xs, 50);

export const loadavg = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

export const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');
export const f1 = (x: number): string => x.toFixed(1);
export const f2 = (x: number): string => x.toFixed(2);

/** Reads a response body to the end (undici's Dispatcher body), as the mesh client does. */
export async function drain(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
