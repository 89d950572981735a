// The shared-memory router (spec/shared.md): one miniRIB in a shared WebAssembly.Memory for every
// thread, generations published with one atomic store and freed only when no thread is on them,
// one load table for every thread, and a router per worker (tests/shared-worker.mjs).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { RULE_CODES, type Scenario } from '../dist/bindings/conformance.js';
import { encodeMiniRib } from '../dist/bindings/encoder.js';
import { RingrouteError } from '../dist/bindings/errors.js';
import {
  attachRouter, createRouterSync, createSharedRouter, createSharedRouterSync, loadWasmModuleSync,
  type SharedRouter, type SharedRouterHandle,
} from '../dist/bindings/index.js';
import type { RibModel } from '../dist/bindings/model.js';
import { pair } from '../dist/bindings/ts-core/hash.js';
import { scenarioFiles } from '../dist/host/node/cli.js';

const sample = JSON.parse(readFileSync('examples/sample-rib.json', 'utf8'));
const WORKER = new URL('./shared-worker.mjs', import.meta.url);
const small = { threads: 4, maxMemoryMiB: 64 };
const code = (fn: () => unknown): string => {
  try { fn(); } catch (e) { return e instanceof RingrouteError ? e.codeName : String(e); }
  return 'no error';
};
const sampleShared = (opts = {}): SharedRouter => createSharedRouterSync({ rib: sample.rib, client: sample.client, ...small, ...opts });
const REQS = [
  { service: 'web' }, { service: 'kv', key: 'user:1', role: 'primary' as const },
  { service: 'search', key: 'q' }, { service: 'kv', key: 'user:9' },
];

/** A one-service RIB whose ids name the epoch it will be published with. */
const tiny = (epoch: number, n = 4): RibModel => ({
  regions: ['here'], rtt_us: [[100]],
  services: [{ name: 's', servers: Array.from({ length: n }, (_, i) => ({ id: `e${epoch}.s.${i}`, region: 'here' })) }],
});

describe('the shared module', () => {
  it('writes nothing into the shared memory when a thread instantiates it (its data segments are passive)', () => {
    const shared = sampleShared();
    const mem = shared.handle.memory;
    const before = new Uint8Array(mem.buffer).slice();
    new WebAssembly.Instance(shared.handle.module, { env: { memory: mem } });
    const after = new Uint8Array(mem.buffer);
    let changed = 0;
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed++;
    expect(changed).toBe(0);
    // and the publisher's one rr_init_data() did write them: thread routers decide as expected
    expect(shared.attach().route({ service: 'web' }).server).toMatch(/^web-/);
  });

  it('imports only env.memory and exports exactly the shared ABI of spec/abi.md', () => {
    const mod = loadWasmModuleSync('shared');
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    // the export column of spec/abi.md's shared table (`rr_a`, `rr_b` cells list several)
    const spec = readFileSync('spec/abi.md', 'utf8').split('## The shared-memory build')[1];
    const documented = new Set<string>(['memory']);
    for (const line of spec.split('\n').filter((l) => l.startsWith('| `rr_'))) {
      for (const m of line.split('|')[1].matchAll(/`(rr_[a-z0-9_]+)`/g)) documented.add(m[1]);
    }
    expect(WebAssembly.Module.exports(mod).map((e) => e.name).sort()).toEqual([...documented].sort());
  });

  it('its JS side imports nothing of a runtime of its own (a Web Worker can load it)', () => {
    for (const file of ['dist/bindings/shared.js', 'dist/bindings/shared-thread.js']) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export) [^;]*? from '([^']+)';$/gms)].map((m) => m[1]);
      expect(imports.length).toBeGreaterThan(0);
      expect(imports.filter((p) => !p.startsWith('./'))).toEqual([]);
    }
  });
});

describe('a shared router on one thread', () => {
  it('thread 0 decides exactly as the single-threaded router, loads included', () => {
    const shared = sampleShared();
    const r0 = shared.attach({ thread: 0 });
    const single = createRouterSync({ rib: sample.rib, client: sample.client });
    for (let i = 0; i < 2000; i++) {
      const q = REQS[i % REQS.length];
      const a = r0.route(q), b = single.route(q);
      expect(a.server).toBe(b.server);
      r0.begin(a); single.begin(b);
      if (i % 3 !== 1) { r0.end(a); single.end(b); }
    }
  });

  it('thread t > 0 decides as a single-threaded router seeded with pair(seed, t), reproducibly', () => {
    const seeded = (t: number) => createRouterSync({ rib: sample.rib, client: { ...sample.client, seed: pair(sample.client.seed, t) } });
    for (const t of [1, 3]) {
      const a = sampleShared().attach({ thread: t }), b = sampleShared().attach({ thread: t }), c = seeded(t);
      for (let i = 0; i < 500; i++) {
        const q = REQS[i % REQS.length];
        const da = a.route(q).server;
        expect(b.route(q).server).toBe(da);
        expect(c.route(q).server).toBe(da);
      }
    }
    // and thread 1's stream is not thread 0's
    const s0 = sampleShared().attach({ thread: 0 }), s1 = sampleShared().attach({ thread: 1 });
    const seq = (r: { route: (q: { service: string }) => { server: string } }) => Array.from({ length: 50 }, () => r.route({ service: 'web' }).server).join();
    expect(seq(s0)).not.toBe(seq(s1));
  });

  it('one load table for every thread: counts and reported loads seen by all, and by the publisher', () => {
    const shared = sampleShared();
    const a = shared.attach(), b = shared.attach();
    const d = a.route({ service: 'web' });
    let e = b.route({ service: 'web' });
    while (e.index === d.index) e = b.route({ service: 'web' });
    a.begin(d); a.begin(d); b.begin(e);
    expect(b.getLoad('web', d.index)).toBe(2);
    expect(shared.outstandingTotal()).toBe(3);
    shared.setLoad('web', d.index, 2.5);
    expect(a.getLoad('web', d.index)).toBe(4.5);
    b.setLoad('web', e.index, 7);
    expect(a.getLoad('web', e.index)).toBe(8);
    a.end(d); a.end(d); a.end(d); // the third is not a request of this thread: ignored
    b.end(d); // nor is this one b's: b has no request on d's server
    expect(shared.outstanding('web', d.index)).toBe(0);
    expect(shared.outstandingTotal()).toBe(1);
    b.end(e);
    expect(shared.outstandingTotal()).toBe(0);
    expect(code(() => shared.setLoad('web', 0, -1))).toBe('BAD_OPTIONS');
    expect(code(() => a.setLoad('nope', 0, 1))).toBe('BAD_OPTIONS');
  });

  it('a load cell follows its server across updates; a server gone frees its cell once its requests end', () => {
    const shared = createSharedRouterSync({ rib: tiny(1), client: { id: 'c', region: 'here' }, ...small });
    const r = shared.attach();
    const d = r.route({ service: 's' });
    r.begin(d);
    shared.setLoad('s', 0, 4);
    // same ids: the cells carry over (counts and reported loads)
    shared.update({ ...tiny(1) });
    expect(r.getLoad('s', 0)).toBeGreaterThanOrEqual(4);
    expect(shared.outstanding('s', d.index)).toBe(1);
    // every id new: fresh cells; the old ones are orphans until their requests end
    shared.update(tiny(3));
    r.route({ service: 's' }); // r moves on: the old generations can go
    shared.collect();
    expect(shared.stats().orphanCells).toBe(1); // d's cell, with its request in flight
    expect(shared.outstandingTotal()).toBe(1);
    r.end(d); // ends on the orphan, by decision
    shared.collect();
    expect(shared.stats()).toMatchObject({ orphanCells: 0, cells: 4, generations: 1 });
    expect(shared.outstandingTotal()).toBe(0);
    // a decision whose cell was freed and handed to another server: begin/end change nothing
    shared.update(tiny(4));
    const now = Array.from({ length: 64 }, () => r.route({ service: 's' }));
    const heir = now.find((x) => x.slot === d.slot); // the free list hands d's cell out first
    expect(heir).toBeDefined();
    r.begin(d);
    expect(shared.outstanding('s', heir!.index)).toBe(0);
    r.begin(heir!);
    r.end(d);
    expect(shared.outstanding('s', heir!.index)).toBe(1);
    r.end(heir!);
    expect(shared.outstandingTotal()).toBe(0);
  });

  it('frees a retired generation only when no thread is on it; a parked or detached thread pins nothing', () => {
    const shared = createSharedRouterSync({ rib: tiny(1), client: { id: 'c', region: 'here' }, ...small });
    const a = shared.attach(), b = shared.attach();
    a.route({ service: 's' }); b.route({ service: 's' });
    shared.update(tiny(2));
    expect(shared.stats()).toMatchObject({ generations: 2, retiredPinned: 1 });
    a.route({ service: 's' });
    expect(shared.collect()).toBe(1); // b is still on epoch 1
    b.park();
    expect(shared.collect()).toBe(0);
    expect(shared.stats().generations).toBe(1);
    // every thread pinned on a different old generation: updates still find a free slot (K = T + 2)
    const c = shared.attach(), d = shared.attach();
    for (const [i, r] of [a, b, c, d].entries()) { shared.update(tiny(3 + i)); r.route({ service: 's' }); }
    for (let e = 7; e < 40; e++) shared.update(tiny(e));
    expect(shared.stats()).toMatchObject({ generations: 5, retiredPinned: 4 });
    for (const r of [a, b, c, d]) {
      const x = r.route({ service: 's' });
      expect(x.server).toBe(`e${shared.epoch}.s.${x.index}`);
    }
    a.detach(); b.detach(); c.park(); d.park();
    shared.collect();
    expect(shared.stats()).toMatchObject({ generations: 1, retiredPinned: 0, attached: 2 });
  });

  it('a refused update publishes nothing: every thread keeps the data in force', () => {
    const shared = sampleShared();
    const r = shared.attach();
    const before = r.route({ service: 'web' });
    const bad = structuredClone(sample.rib);
    bad.services[0].servers[0].weight = 0;
    expect(code(() => shared.update(bad))).toBe('SERVER_WEIGHT');
    const bytes = encodeMiniRib(sample.rib, sample.client);
    bytes[200] ^= 0xff;
    expect(code(() => shared.update(bytes))).toBe('BAD_CHECKSUM');
    expect(code(() => shared.update(bytes.subarray(0, 10)))).toBe('TRUNCATED');
    expect(shared.epoch).toBe(1);
    expect(r.route({ service: 'web' }).epoch).toBe(before.epoch);
    expect(shared.stats().generations).toBe(1);
  });

  it('refuses what it cannot do, with the project\'s codes', () => {
    const shared = sampleShared({ threads: 2 });
    const a = shared.attach({ thread: 1 });
    expect(code(() => shared.attach({ thread: 1 }))).toBe('THREADS_FULL');
    shared.attach();
    expect(code(() => shared.attach())).toBe('THREADS_FULL');
    expect(code(() => shared.attach({ thread: 2 }))).toBe('BAD_OPTIONS');
    expect(code(() => attachRouter({ ...shared.handle, control: 12 } as SharedRouterHandle))).toBe('BAD_OPTIONS');
    expect(code(() => attachRouter({} as SharedRouterHandle))).toBe('BAD_OPTIONS');
    expect(code(() => a.update(sample.rib))).toBe('BAD_OPTIONS');
    expect(code(() => a.route({ service: '' }))).toBe('BAD_REQUEST');
    expect(code(() => a.route({ service: 'nope' }))).toBe('NO_SERVICE');
    expect(code(() => a.route({ service: 'kv' }))).toBe('NO_KEY');
    a.detach();
    expect(code(() => a.route({ service: 'web' }))).toBe('BAD_OPTIONS');
    expect(shared.attach({ thread: 1 }).thread).toBe(1); // the record is free again
    expect(code(() => sampleShared({ threads: 65 }))).toBe('BAD_OPTIONS');
    expect(code(() => createSharedRouterSync({ rib: sample.rib, ...small }))).toBe('BAD_OPTIONS'); // no client
  });
});

// ── worker threads ──────────────────────────────────────────────────────────────

const workers: Worker[] = [];
afterAll(async () => { await Promise.all(workers.map((w) => w.terminate())); });

function spawn(workerData: object): Worker {
  const w = new Worker(WORKER, { workerData });
  workers.push(w);
  return w;
}
/** The worker's next message (its error, if it fails first). */
const next = <T>(w: Worker): Promise<T> => new Promise((resolve, reject) => {
  const ok = (m: T): void => { w.off('error', fail); resolve(m); };
  const fail = (e: Error): void => { w.off('message', ok); reject(e); };
  w.once('message', ok);
  w.once('error', fail);
});

describe('conformance through a worker-attached router (thread 0)', () => {
  // The WASM core only: the TS core's derived data are JS objects of one thread, so it has no
  // shared build (spec/shared.md §7); both cores pass these scenarios single-threaded.
  const files = scenarioFiles(['tests/conformance']);
  const scenarios = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Scenario);

  it('runs every valid scenario in a worker and every invalid one is refused by the publisher', async () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(184);
    const w = spawn({ job: 'conformance' });
    const module = loadWasmModuleSync('shared');
    const mismatches: string[] = [];
    let valid = 0, invalid = 0;
    for (const s of scenarios) {
      if (s.invalid !== undefined) {
        invalid++;
        const want = RULE_CODES[s.invalid];
        let buf: Uint8Array | null = null;
        try { buf = encodeMiniRib(s.rib, s.client, { check: false }); } catch { /* the format cannot hold it: the model check refuses it */ }
        const got = code(() => createSharedRouterSync({ rib: buf ?? s.rib, client: s.client, wasmModule: module, threads: 1, maxMemoryMiB: 16 }));
        if (got === 'no error' || (want !== undefined && got !== new RingrouteError(want).codeName)) mismatches.push(`${s.name}: ${got}`);
        continue;
      }
      valid++;
      const shared = await createSharedRouter({ rib: s.rib, client: s.client, wasmModule: module, threads: 1, maxMemoryMiB: 16 });
      const answer = next<{ name: string; thread: number; got: string[] }>(w);
      w.postMessage({ handle: shared.handle, scenario: s });
      const { got, thread } = await answer;
      expect(thread).toBe(0);
      const label = (x: string | { error: string } | undefined): string =>
        x === undefined ? '(no expectation)' : typeof x === 'string' ? x : `error ${x.error}`;
      (s.requests ?? []).forEach((_, i) => {
        if (got[i] !== label(s.expect?.[i])) mismatches.push(`${s.name} #${i}: expected ${label(s.expect?.[i])}, got ${got[i]}`);
      });
    }
    w.postMessage({ done: true });
    expect(mismatches).toEqual([]);
    expect(valid).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(10);
  });
});

/** The stress RIB: every server id names the epoch it is published with, so a decision shows which generation it read. */
function stressRib(epoch: number, n: number): RibModel {
  const ids = (svc: string) => Array.from({ length: n }, (_, i) => ({ id: `e${epoch}.${svc}.${i}`, region: i % 2 ? 'b' : 'a', weight: 1 + (i % 3) }));
  const shards = 16;
  return {
    regions: ['a', 'b'], rtt_us: [[100, 40000], [40000, 100]],
    services: [
      { name: 'web', servers: ids('web'), subset: 6, spill: { a: [0.8, 1, 1, 1] } },
      { name: 'search', servers: ids('search'), hash: { replicas: 3 } },
      {
        name: 'kv', servers: ids('kv'),
        shards: {
          starts: Array.from({ length: shards }, (_, i) => i * 2 ** 28),
          replicas: Array.from({ length: shards }, (_, i) => [
            { server: (3 * i) % n, role: 'primary' as const }, { server: (3 * i + 1) % n, role: 'secondary' as const },
            { server: (3 * i + 2) % n, role: 'secondary' as const },
          ]),
        },
      },
    ],
  };
}

describe('stress: workers route flat out while the main thread publishes thousands of generations', () => {
  it('every decision names a server of exactly one generation, no count is lost, malformed updates change nothing', async () => {
    const client = { id: 'stress', region: 'a', seed: 5 };
    const shared = await createSharedRouter({ rib: stressRib(1, 40), client, threads: 4, maxMemoryMiB: 256, poisonFreed: true });
    const control = new SharedArrayBuffer(8);
    const flags = new Int32Array(control);
    const services = [{ name: 'web', kind: 'plain' }, { name: 'search', kind: 'key' }, { name: 'kv', kind: 'shard' }];
    const ws = [0, 1].map(() => spawn({ job: 'stress', handle: shared.handle, services, hold: 24, control }));
    const held = ws.map((w) => next<{ holding: number; thread: number }>(w));
    const started = performance.now();
    let published = 0, refused = 0;
    const bad = stressRib(0, 40);
    (bad.services[1] as { hash: { replicas: number } }).hash.replicas = 0;
    const UPDATES = 3000;
    for (let u = 0; u < UPDATES; u++) {
      if (u % 100 === 50) {
        const before = shared.epoch;
        expect(code(() => shared.update(bad))).toBe('HASH_REPLICAS');
        const corrupt = encodeMiniRib(stressRib(before + 1, 40), client, { generation: before + 1 });
        corrupt[corrupt.length - 3] ^= 0x55;
        expect(code(() => shared.update(corrupt))).toBe('BAD_CHECKSUM');
        expect(shared.epoch).toBe(before);
        refused += 2;
      }
      shared.update(stressRib(shared.epoch + 1, 40));
      published++;
      if (u % 16 === 0) await new Promise((r) => setImmediate(r)); // let the workers' messages through
    }
    Atomics.store(flags, 0, 1); // stop
    const holding = await Promise.all(held);
    const finals = ws.map((w) => next<{ decisions: number; wrong: number; errors: number; firstWrong: unknown; maxEpoch: number; minEpoch: number; epochs: number; endedByDetach: number }>(w));
    // every request held in flight by the workers is counted once, on cells of many generations
    expect(shared.outstandingTotal()).toBe(holding.reduce((n, h) => n + h.holding, 0));
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    const results = await Promise.all(finals);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(50);
    for (const r of results) {
      expect(r.firstWrong).toBeNull();
      expect(r.wrong).toBe(0);
      expect(r.errors).toBe(0);
      expect(r.endedByDetach).toBe(0); // each worker ended its own requests
      expect(r.decisions).toBeGreaterThan(10_000);
      expect(r.maxEpoch).toBeLessThanOrEqual(shared.epoch);
      expect(r.epochs).toBeGreaterThan(20); // it saw many generations, not one
    }
    expect(published).toBe(UPDATES);
    expect(refused).toBeGreaterThan(0);
    expect(shared.epoch).toBe(1 + UPDATES);
    expect(shared.outstandingTotal()).toBe(0);
    shared.collect();
    expect(shared.stats()).toMatchObject({ generations: 1, retiredPinned: 0, orphanCells: 0, cells: 120, attached: 0 });
  });
});

describe('a worker that dies mid-request', () => {
  it('is reclaimed on exit: its requests in flight end and the generation it pinned is freed', async () => {
    const shared = await createSharedRouter({ rib: tiny(1), client: { id: 'c', region: 'here' }, ...small });
    const w = spawn({ job: 'die', handle: shared.handle, hold: 5 });
    shared.watch(w);
    const ready = await next<{ thread: number; epoch: number }>(w);
    expect(shared.outstandingTotal()).toBe(5);
    shared.update(tiny(2));
    expect(shared.stats().retiredPinned).toBe(1);
    const exited = new Promise((resolve) => w.once('exit', resolve));
    await w.terminate();
    await exited;
    await new Promise((r) => setImmediate(r));
    expect(shared.threadList()[ready.thread].attached).toBe(false);
    expect(shared.outstandingTotal()).toBe(0);
    expect(shared.stats()).toMatchObject({ generations: 1, retiredPinned: 0, attached: 0 });
  });
});
