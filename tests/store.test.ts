// The RibStore contract (control/store/types.ts), one suite run against every backend: the
// embedded store in a temporary directory, and etcd on a real 3-member cluster on loopback
// (scripts/etcd-cluster.ts; without etcd on PATH those tests fail saying so). Then what only one
// backend can show: the embedded store's files (durability, torn and corrupt WAL, snapshots,
// the lock), and etcd's failover (a member SIGKILLed under a writer and a watcher) and resuming
// a watch from a new client. Tests use no absolute revision numbers, only their order.

import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore, LOCK_FILE, SNAPSHOT_FILE, WAL_FILE, type EmbeddedStoreOptions } from '../control/store/embedded.js';
import { openEtcdStore, type EtcdDiagnostic } from '../control/store/etcd.js';
import { compareKeys } from '../control/store/keys.js';
import { StoreError, type KeyValue, type RibStore, type TxnOp, type WatchBatch } from '../control/store/types.js';
import { startEtcdCluster, type EtcdCluster } from '../scripts/etcd-cluster.js';

type TestStore = RibStore & { compact(revision: number): Promise<void> };

const tmpRoot = mkdtempSync(join(tmpdir(), 'ringroute-store-'));
let cluster: Promise<EtcdCluster> | null = null;
const getCluster = (): Promise<EtcdCluster> => (cluster ??= startEtcdCluster());
afterAll(async () => {
  if (cluster) await (await cluster.catch(() => null))?.stop();
  rmSync(tmpRoot, { recursive: true, force: true });
});

const opened: RibStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
});
const track = <T extends RibStore>(s: T): T => {
  opened.push(s);
  return s;
};

let seq = 0;
const freshDir = (): string => join(tmpRoot, `s${++seq}`);
const freshNs = (): string => `t${process.pid}-${Date.now()}-${++seq}/`;

interface Backend {
  name: string;
  /** A new, empty store. */
  open(): Promise<TestStore>;
}
const BACKENDS: Backend[] = [
  { name: 'embedded', open: async () => track(await openEmbeddedStore(freshDir())) },
  { name: 'etcd', open: async () => track(await openEtcdStore({ endpoints: (await getCluster()).endpoints, prefix: freshNs() })) },
];

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect(store: RibStore, prefix: string, from: number) {
  const batches: WatchBatch[] = [];
  const errors: StoreError[] = [];
  const watcher = await store.watch(prefix, from, { onBatch: (b) => batches.push(b), onError: (e) => errors.push(e) });
  const events = () => batches.flatMap((b) => b.events.map((e) => ({ type: e.type, key: e.kv.key, value: e.kv.value, rev: e.kv.modRevision })));
  return { batches, errors, watcher, events, seen: (rev: number) => batches.some((b) => b.revision >= rev) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof StoreError ? e.code : `not a StoreError: ${String(e)}`;
  }
}

const pick = (kv: KeyValue | undefined) => kv && { key: kv.key, value: kv.value, version: kv.version };

describe.each(BACKENDS)('RibStore contract: $name', (backend) => {
  it('put, get, delete: versions and create/mod revisions', async () => {
    const s = await backend.open();
    const r0 = await s.revision();
    const r1 = await s.put('k', 'v1');
    expect(r1).toBeGreaterThan(r0);
    expect(await s.get('k')).toEqual({ key: 'k', value: 'v1', createRevision: r1, modRevision: r1, version: 1 });
    const r2 = await s.put('k', 'v2');
    expect(r2).toBeGreaterThan(r1);
    expect(await s.get('k')).toEqual({ key: 'k', value: 'v2', createRevision: r1, modRevision: r2, version: 2 });
    expect(await s.revision()).toBe(r2);
    const r3 = await s.delete('k');
    expect(r3).toBeGreaterThan(r2);
    expect(await s.get('k')).toBeUndefined();
    expect(await s.delete('k')).toBe(r3); // nothing to delete: the revision stays
    expect(await s.revision()).toBe(r3);
    const r4 = await s.put('k', '');
    expect(await s.get('k')).toEqual({ key: 'k', value: '', createRevision: r4, modRevision: r4, version: 1 });
    expect(await s.get('missing')).toBeUndefined();
  });

  it('stores any UTF-8 key and value unchanged', async () => {
    const s = await backend.open();
    const value = JSON.stringify({ name: 'zürich-ø', emoji: '😀', nul: '\u0000', big: 'x'.repeat(100_000) });
    await s.put('région/😀/\u0001', value);
    expect((await s.get('région/😀/\u0001'))?.value).toBe(value);
  });

  const KEYS = ['a', 'a/b', 'a/b/c', 'a/bc', 'a/b0', 'a/c', 'a0', 'b', 'é', '\uff00', '😀', 'a/b\u00ff', 'a/b\uff00', 'a/b😀'];
  it.each([
    ['a/b', ['a/b', 'a/b/c', 'a/b0', 'a/bc', 'a/b\u00ff', 'a/b\uff00', 'a/b😀']],
    ['a/b/', ['a/b/c']],
    ['a/bc', ['a/bc']],
    ['a/', ['a/b', 'a/b/c', 'a/b0', 'a/bc', 'a/b\u00ff', 'a/b\uff00', 'a/b😀', 'a/c']],
    ['a', ['a', 'a/b', 'a/b/c', 'a/b0', 'a/bc', 'a/b\u00ff', 'a/b\uff00', 'a/b😀', 'a/c', 'a0']],
    ['\uff00', ['\uff00']],
    ['', [...KEYS].sort(compareKeys)],
    ['zz', []],
    ['a/b/c/', []],
  ])('range(%j) is every key under the prefix, in UTF-8 byte order', async (prefix, want) => {
    const s = await backend.open();
    for (const k of KEYS) await s.put(k, `v:${k}`);
    const r = await s.range(prefix);
    expect(r.kvs.map((kv) => kv.key)).toEqual(want);
    expect(r.kvs.every((kv) => kv.value === `v:${kv.key}`)).toBe(true);
    expect(r.revision).toBe(await s.revision());
  });

  it('code point order puts U+1F600 after U+FF00 (JavaScript < would not)', () => {
    expect('😀' < '\uff00').toBe(true);
    expect(compareKeys('😀', '\uff00')).toBeGreaterThan(0);
  });

  it('range pages through thousands of keys at one revision', async () => {
    const s = await backend.open();
    const n = 4500; // more than two of etcd's pages
    for (let i = 0; i < n; i += 100) {
      const ops: TxnOp[] = Array.from({ length: 100 }, (_, j) => ({ type: 'put', key: `p/${String(i + j).padStart(5, '0')}`, value: String(i + j) }));
      await s.txn([], ops);
    }
    const r = await s.range('p/');
    expect(r.kvs.length).toBe(n);
    expect(r.kvs.map((kv) => Number(kv.value))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it.each([
    ['create-if-absent on a missing key', 'absent', true],
    ['create-if-absent on an existing key', 'present', false],
    ['compare-and-swap with the current modRevision', 'current', true],
    ['compare-and-swap with a stale modRevision', 'stale', false],
  ] as const)('txn: %s', async (_name, guard, ok) => {
    const s = await backend.open();
    const first = await s.put('x', '1');
    const cur = await s.put('x', '2');
    const modRevision = { absent: 0, present: 0, current: cur, stale: first }[guard];
    const key = guard === 'absent' ? 'y' : 'x';
    const before = await s.revision();
    const r = await s.txn([{ key, modRevision }], [{ type: 'put', key, value: 'new' }, { type: 'put', key: 'side', value: 'effect' }]);
    expect(r.succeeded).toBe(ok);
    if (ok) {
      expect(r.revision).toBe(before + 1);
      expect((await s.get(key))?.value).toBe('new');
      expect((await s.get('side'))?.modRevision).toBe(r.revision);
    } else {
      expect(r.revision).toBe(before);
      expect(await s.get('side')).toBeUndefined();
      expect(await s.revision()).toBe(before);
    }
  });

  it('txn: every compare must hold', async () => {
    const s = await backend.open();
    const ra = await s.put('a', '1');
    const rb = await s.put('b', '1');
    expect((await s.txn([{ key: 'a', modRevision: ra }, { key: 'b', modRevision: ra }], [{ type: 'put', key: 'c', value: '1' }])).succeeded).toBe(false);
    expect((await s.txn([{ key: 'a', modRevision: ra }, { key: 'b', modRevision: rb }, { key: 'c', modRevision: 0 }], [{ type: 'put', key: 'c', value: '1' }])).succeeded).toBe(true);
  });

  it('txn: all ops are one revision, and the events of a watcher carry it', async () => {
    const s = await backend.open();
    await s.put('m/del', 'x');
    await s.put('m/pre/1', 'x');
    await s.put('m/pre/2', 'x');
    await s.put('m/keep', 'x');
    const before = await s.revision();
    const w = await collect(s, 'm/', before + 1);
    const r = await s.txn([], [
      { type: 'put', key: 'm/new', value: 'n' },
      { type: 'put', key: 'm/keep', value: 'k2' },
      { type: 'delete', key: 'm/del' },
      { type: 'delete', key: 'm/never-was' },
      { type: 'deletePrefix', prefix: 'm/pre/' },
    ]);
    expect(r).toEqual({ succeeded: true, revision: before + 1 });
    await until(() => w.seen(r.revision), 'the txn batch');
    expect(w.batches).toHaveLength(1);
    expect(w.batches[0]!.revision).toBe(r.revision);
    expect(w.events()).toEqual([
      { type: 'put', key: 'm/new', value: 'n', rev: r.revision },
      { type: 'put', key: 'm/keep', value: 'k2', rev: r.revision },
      { type: 'delete', key: 'm/del', value: '', rev: r.revision },
      { type: 'delete', key: 'm/pre/1', value: '', rev: r.revision },
      { type: 'delete', key: 'm/pre/2', value: '', rev: r.revision },
    ]);
    expect((await s.range('m/')).kvs.map((kv) => [kv.key, kv.value, kv.version])).toEqual([['m/keep', 'k2', 2], ['m/new', 'n', 1]]);
  });

  it('txn: a transaction that changes nothing keeps the revision', async () => {
    const s = await backend.open();
    const r0 = await s.put('a', '1');
    expect(await s.txn([], [{ type: 'delete', key: 'nope' }, { type: 'deletePrefix', prefix: 'nothing/' }])).toEqual({ succeeded: true, revision: r0 });
    expect(await s.txn([{ key: 'a', modRevision: r0 }], [])).toEqual({ succeeded: true, revision: r0 });
    expect(await s.revision()).toBe(r0);
  });

  it.each([
    ['a key put twice', [], [{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'a', value: '2' }]],
    ['a key put and deleted', [], [{ type: 'put', key: 'a', value: '1' }, { type: 'delete', key: 'a' }]],
    ['a key put under a deleted prefix', [], [{ type: 'deletePrefix', prefix: 'a/' }, { type: 'put', key: 'a/x', value: '1' }]],
    ['129 ops (etcd --max-txn-ops 128)', [], Array.from({ length: 129 }, (_, i) => ({ type: 'put', key: `k${i}`, value: '' }))],
    ['an empty key', [], [{ type: 'put', key: '', value: '1' }]],
    ['an unpaired surrogate', [], [{ type: 'put', key: 'a\ud800', value: '1' }]],
    ['a negative compare revision', [{ key: 'a', modRevision: -1 }], []],
    ['an unknown op', [], [{ type: 'rename', key: 'a' }]],
  ] as [string, any[], any[]][])('txn refuses %s with INVALID and writes nothing', async (_name, compares, ops) => {
    const s = await backend.open();
    const r0 = await s.revision();
    expect(await codeOf(s.txn(compares, ops))).toBe('INVALID');
    expect(await s.revision()).toBe(r0);
  });

  it('deletePrefix deletes exactly the keys under the prefix, in one revision', async () => {
    const s = await backend.open();
    for (const k of ['a/b', 'a/b/c', 'a/bc', 'a/c', 'a', 'b/b']) await s.put(k, '1');
    const before = await s.revision();
    const r = await s.txn([], [{ type: 'deletePrefix', prefix: 'a/b' }]);
    expect(r.revision).toBe(before + 1);
    expect((await s.range('')).kvs.map((kv) => kv.key)).toEqual(['a', 'a/c', 'b/b']);
    const all = await s.txn([], [{ type: 'deletePrefix', prefix: '' }]);
    expect(all.revision).toBe(before + 2);
    expect((await s.range('')).kvs).toEqual([]);
  });

  it('watch from a past revision replays history, then goes on live', async () => {
    const s = await backend.open();
    const revs: number[] = [];
    for (let i = 0; i < 5; i++) revs.push(await s.put(`h/${i}`, String(i)));
    await s.delete('h/0');
    const w = await collect(s, 'h/', revs[2]!);
    const live = await s.put('h/9', '9');
    await until(() => w.seen(live), 'the live event');
    expect(w.events().map((e) => `${e.type}:${e.key}`)).toEqual(['put:h/2', 'put:h/3', 'put:h/4', 'delete:h/0', 'put:h/9']);
    expect(w.batches.map((b) => b.revision)).toEqual([revs[2], revs[3], revs[4], revs[4]! + 1, live]);
    expect(w.errors).toEqual([]);
  });

  it('watch delivers one batch per revision, in order, each revision once', async () => {
    const s = await backend.open();
    const start = (await s.revision()) + 1;
    const w = await collect(s, '', start);
    const written: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ops: TxnOp[] = Array.from({ length: 1 + (i % 3) }, (_, j) => ({ type: 'put', key: `o/${i}/${j}`, value: String(i) }));
      written.push((await s.txn([], ops)).revision);
    }
    // writes in flight together (the embedded store may group-commit them)
    written.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => s.put(`c/${i}`, 'x')))));
    written.sort((a, b) => a - b);
    await until(() => w.seen(written[written.length - 1]!), 'every batch');
    expect(w.batches.map((b) => b.revision)).toEqual(written);
    for (const b of w.batches) {
      expect(b.events.every((e) => e.kv.modRevision === b.revision)).toBe(true);
    }
    expect(w.batches.slice(0, 20).map((b) => b.events.length)).toEqual(Array.from({ length: 20 }, (_, i) => 1 + (i % 3)));
  });

  it('watch sees only keys under its prefix (a/b is not a/bc ... but is a prefix of it)', async () => {
    const s = await backend.open();
    const from = (await s.revision()) + 1;
    const wb = await collect(s, 'a/b/', from);
    const wbare = await collect(s, 'a/b', from);
    await s.put('a/b', '1');
    await s.put('a/bc', '1');
    await s.put('a/b/x', '1');
    await s.put('a/c', '1');
    const r = await s.txn([], [{ type: 'put', key: 'a/b/y', value: '2' }, { type: 'put', key: 'z', value: '2' }, { type: 'delete', key: 'a/bc' }]);
    await until(() => wb.seen(r.revision) && wbare.seen(r.revision), 'the last batch');
    expect(wb.events().map((e) => `${e.type}:${e.key}`)).toEqual(['put:a/b/x', 'put:a/b/y']);
    expect(wbare.events().map((e) => `${e.type}:${e.key}`)).toEqual(['put:a/b', 'put:a/bc', 'put:a/b/x', 'put:a/b/y', 'delete:a/bc']);
    const del = wbare.batches[wbare.batches.length - 1]!.events.find((e) => e.type === 'delete')!;
    expect(del.kv).toMatchObject({ key: 'a/bc', value: '', modRevision: r.revision });
  });

  it('a closed watcher gets nothing more', async () => {
    const s = await backend.open();
    const from = (await s.revision()) + 1;
    const a = await collect(s, 'w/', from);
    const b = await collect(s, 'w/', from);
    const r1 = await s.put('w/1', '1');
    await until(() => a.seen(r1), 'the first batch');
    await a.watcher.close();
    const n = a.batches.length;
    let last = 0;
    for (let i = 2; i < 10; i++) last = await s.put(`w/${i}`, String(i));
    await until(() => b.seen(last), 'the other watcher to see every write');
    await sleep(50);
    expect(a.batches.length).toBe(n);
    expect(b.batches.length).toBe(9);
    expect(a.errors).toEqual([]);
  });

  it('watch from a compacted revision is COMPACTED; from the compaction revision on it works', async () => {
    const s = await backend.open();
    const revs: number[] = [];
    for (let i = 0; i < 10; i++) revs.push(await s.put('c/k', String(i)));
    await s.compact(revs[6]!);
    const old = await collect(s, 'c/', revs[2]!);
    const edge = await collect(s, 'c/', revs[6]!);
    await until(() => old.errors.length > 0 && edge.seen(revs[9]!), 'COMPACTED and the replay');
    expect(old.errors.map((e) => e.code)).toEqual(['COMPACTED']);
    expect(old.batches).toEqual([]);
    expect(edge.batches.map((b) => b.revision)).toEqual(revs.slice(6));
    expect(edge.errors).toEqual([]);
    expect((await s.get('c/k'))?.value).toBe('9'); // compaction drops history, not data
  });

  it('concurrent read-modify-write with txn retries loses no update (4 writers × 100 increments)', async () => {
    const s = await backend.open();
    await s.put('counter', '0');
    let conflicts = 0;
    const t0 = Date.now();
    const writer = async () => {
      for (let i = 0; i < 100; i++) {
        for (;;) {
          const kv = (await s.get('counter'))!;
          const r = await s.txn([{ key: 'counter', modRevision: kv.modRevision }], [{ type: 'put', key: 'counter', value: String(Number(kv.value) + 1) }]);
          if (r.succeeded) break;
          conflicts++;
        }
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    const kv = (await s.get('counter'))!;
    expect(kv.value).toBe('400');
    expect(kv.version).toBe(401);
    console.log(`[store ${backend.name}] 400 contended increments in ${Date.now() - t0} ms, ${conflicts} compare failures retried`);
  });

  it('bad arguments are INVALID; a closed store is CLOSED and ends its watches', async () => {
    const s = await backend.open();
    expect(await codeOf(s.get(''))).toBe('INVALID');
    expect(await codeOf(s.put('k', 5 as unknown as string))).toBe('INVALID');
    expect(await codeOf(s.watch('', 0, { onBatch: () => undefined }))).toBe('INVALID');
    expect(await codeOf(s.compact((await s.revision()) + 10))).toBe('INVALID');
    const w = await collect(s, '', (await s.revision()) + 1);
    await s.close();
    await until(() => w.errors.length > 0, 'CLOSED');
    expect(w.errors.map((e) => e.code)).toEqual(['CLOSED']);
    expect(await codeOf(s.get('k'))).toBe('CLOSED');
    expect(await codeOf(s.put('k', 'v'))).toBe('CLOSED');
    expect(await codeOf(s.range(''))).toBe('CLOSED');
    await s.close(); // twice is fine
  });
});

describe('embedded store on disk', () => {
  const open = async (dir: string, opts?: EmbeddedStoreOptions) => track(await openEmbeddedStore(dir, opts));

  it('an empty store is at revision 1 and its first write makes revision 2 (as etcd)', async () => {
    const s = await open(freshDir());
    expect(await s.revision()).toBe(1);
    expect(await s.put('a', '1')).toBe(2);
  });

  it('close and reopen: the same data, revision and watchable history', async () => {
    const dir = freshDir();
    const s = await open(dir);
    const r0 = await s.put('a', '1');
    await s.put('b', '2');
    await s.txn([], [{ type: 'put', key: 'a', value: '3' }, { type: 'delete', key: 'b' }, { type: 'put', key: 'c/d', value: 'é' }]);
    const before = await s.range('');
    await s.close();
    const t = await open(dir);
    expect(await t.range('')).toEqual(before);
    expect(await t.revision()).toBe(before.revision);
    const w = await collect(t, '', r0);
    await until(() => w.seen(before.revision), 'the replayed history');
    expect(w.batches.map((b) => b.revision)).toEqual([r0, r0 + 1, r0 + 2]);
    expect(await t.put('e', '1')).toBe(before.revision + 1);
  });

  it('group-commits concurrent writes: fewer fsyncs than writes, consecutive revisions', async () => {
    const s = await open(freshDir());
    const revs = await Promise.all(Array.from({ length: 200 }, (_, i) => s.put(`g/${i}`, String(i))));
    expect([...revs].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => 2 + i));
    expect(revs).toEqual([...revs].sort((a, b) => a - b)); // committed in call order
    expect(s.stats().walSyncs).toBeLessThan(200);
    console.log(`[store embedded] 200 concurrent puts: ${s.stats().walSyncs} WAL fsyncs`);
  });

  it('recovers from a torn last WAL record (crash mid-append): the earlier writes stay', async () => {
    const dir = freshDir();
    const s = await open(dir);
    await s.put('a', '1');
    const r2 = await s.put('b', '2');
    await s.put('c', '3');
    await s.close();
    const wal = join(dir, WAL_FILE);
    truncateSync(wal, readFileSync(wal).length - 5); // cut into the last record
    const t = await open(dir);
    expect(t.stats().recoveredTornTail).toMatch(/cut short/);
    expect(await t.revision()).toBe(r2);
    expect((await t.range('')).kvs.map((kv) => kv.key)).toEqual(['a', 'b']);
    expect(await t.put('d', '4')).toBe(r2 + 1);
    await t.close();
    const u = await open(dir);
    expect(u.stats().recoveredTornTail).toBeUndefined();
    expect((await u.range('')).kvs.map((kv) => kv.key)).toEqual(['a', 'b', 'd']);
  });

  it.each([
    ['a zero-filled tail', Buffer.alloc(300)],
    ['half a frame header', Buffer.from([7, 0, 0, 0, 1])],
  ])('recovers from %s after the last record without losing it', async (_name, junk) => {
    const dir = freshDir();
    const s = await open(dir);
    const r = await s.put('a', '1');
    await s.close();
    appendFileSync(join(dir, WAL_FILE), junk);
    const t = await open(dir);
    expect(t.stats().recoveredTornTail).toBeDefined();
    expect(await t.revision()).toBe(r);
    expect((await t.get('a'))?.value).toBe('1');
  });

  it.each([
    ['a flipped payload byte', 20],
    ['a flipped length byte', 0],
  ])('refuses a WAL with %s in the middle: CORRUPT', async (_name, at) => {
    const dir = freshDir();
    const s = await open(dir);
    await s.put('a', '1');
    await s.put('b', '2');
    await s.close();
    const wal = join(dir, WAL_FILE);
    const buf = readFileSync(wal);
    buf[at] = buf[at]! ^ 0x40;
    writeFileSync(wal, buf);
    const err = await openEmbeddedStore(dir).then(async (x) => { await x.close(); return null; }, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('CORRUPT');
    expect((err as StoreError).message).toMatch(/wal: the frame (header )?at byte 0 .*(checksum).*follow/);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false); // a refused open leaves no lock behind
  });

  it('snapshots and empties the WAL past walMaxBytes; reopens from snapshot + WAL', async () => {
    const dir = freshDir();
    const s = await open(dir, { walMaxBytes: 4096 });
    const early = await s.put('s/0', 'x');
    for (let i = 1; i < 300; i++) {
      await s.put(`s/${i % 120}`, 'v'.repeat(i % 50));
      if (i % 7 === 0) await s.delete(`s/${(i * 3) % 120}`);
    }
    const st = s.stats();
    expect(st.snapshots).toBeGreaterThan(3);
    expect(st.walBytes).toBeLessThan(4096 + 200);
    expect(existsSync(join(dir, SNAPSHOT_FILE))).toBe(true);
    const before = await s.range('');
    await s.close();
    const t = await open(dir, { walMaxBytes: 4096 });
    expect(await t.range('')).toEqual(before);
    // events before the snapshot are gone after a reopen; those in the WAL are not
    const old = await collect(t, '', early);
    await until(() => old.errors.length > 0, 'COMPACTED');
    expect(old.errors[0]!.code).toBe('COMPACTED');
    const hs = t.stats().historyStart;
    expect(hs).toBeGreaterThan(early);
    const recent = await collect(t, '', hs);
    await until(() => recent.seen(before.revision), 'history kept in the WAL');
    expect(recent.batches[0]!.revision).toBe(hs);
  });

  it('refuses a damaged snapshot: CORRUPT', async () => {
    const dir = freshDir();
    const s = await open(dir, { walMaxBytes: 200 });
    for (let i = 0; i < 20; i++) await s.put(`k${i}`, 'x'.repeat(20));
    await s.close();
    const snap = join(dir, SNAPSHOT_FILE);
    const buf = readFileSync(snap);
    buf[buf.length - 3] ^= 1;
    writeFileSync(snap, buf);
    expect(await codeOf(openEmbeddedStore(dir))).toBe('CORRUPT');
  });

  it('keeps only historyEvents events for watches: older revisions are COMPACTED', async () => {
    const s = await open(freshDir(), { historyEvents: 5 });
    const revs: number[] = [];
    for (let i = 0; i < 20; i++) revs.push(await s.put('h', String(i)));
    expect(s.stats().historyStart).toBe(revs[15]);
    const old = await collect(s, '', revs[14]!);
    const kept = await collect(s, '', revs[15]!);
    await until(() => old.errors.length > 0 && kept.seen(revs[19]!), 'both watches');
    expect(old.errors[0]!.code).toBe('COMPACTED');
    expect(old.errors[0]!.message).toMatch(/history starts at revision/);
    expect(kept.batches.map((b) => b.revision)).toEqual(revs.slice(15));
  });

  it('the lock refuses a second open, and takes over a stale one', async () => {
    const dir = freshDir();
    const s = await open(dir);
    const second = await openEmbeddedStore(dir).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(StoreError);
    expect((second as StoreError).code).toBe('UNAVAILABLE');
    expect((second as StoreError).message).toMatch(/in use by this process/);
    await s.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    // a live other process holds it
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    const held = await openEmbeddedStore(dir).catch((e: unknown) => e);
    expect((held as StoreError).message).toMatch(new RegExp(`in use by process ${process.ppid}`));
    // a dead process held it: stale, taken over
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), `${Number(dead.stdout.trim())}\n`);
    const t = await open(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await t.close();
  });

  it('delivers a batch after the write has returned, outside the write path; a handler may write', async () => {
    const s = await open(freshDir());
    const settled = new Set<number>();
    const early: number[] = [];
    const echoes: Promise<number>[] = [];
    await s.watch('k', 1, {
      onBatch: (b) => {
        if (b.events[0]!.kv.key !== 'k') return;
        if (!settled.has(b.revision)) early.push(b.revision);
        echoes.push(s.put('k-echo', b.events[0]!.kv.value)); // writing from a handler is safe
      },
    });
    let last = 0;
    for (let i = 0; i < 20; i++) {
      last = await s.put('k', String(i));
      settled.add(last);
    }
    await until(() => echoes.length === 20, 'every batch');
    await Promise.all(echoes);
    expect(early).toEqual([]);
    expect((await s.get('k-echo'))?.version).toBe(20);
  });
});

describe('etcd store', () => {
  const openEtcd = async (c: EtcdCluster, prefix: string, onDiagnostic?: (d: EtcdDiagnostic) => void) =>
    track(await openEtcdStore({ endpoints: c.endpoints, prefix, onDiagnostic }));

  it('refuses endpoints where nothing answers: UNAVAILABLE naming them', async () => {
    const t0 = Date.now();
    const err = await openEtcdStore({ endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], retryBudgetMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('UNAVAILABLE');
    expect((err as StoreError).message).toMatch(/127\.0\.0\.1:1, http:\/\/127\.0\.0\.1:2/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a member SIGKILLed in turn under 1,000 writes: the watcher sees every revision once, in order', async () => {
    const c = await getCluster();
    const ns = freshNs();
    const diags: EtcdDiagnostic[] = [];
    const writer = await openEtcd(c, ns, (d) => diags.push(d));
    const watchDiags: EtcdDiagnostic[] = [];
    const reader = await openEtcd(c, ns, (d) => watchDiags.push(d));
    const start = (await writer.revision()) + 1;
    const w = await collect(reader, 'f/', start);
    const N = 1000;
    const revs: number[] = [];
    const latency: number[] = [];
    const kills: { member: number; at: number; wasLeader: boolean }[] = [];
    let restarting: Promise<void> | null = null;
    const t0 = Date.now();
    for (let i = 0; i < N; i++) {
      // members 0, 1, 2 are killed in turn, each restarted before the next goes down: whichever
      // member serves the watch stream is killed once
      if (i % 300 === 100) {
        await restarting;
        const m = (i - 100) / 300;
        const wasLeader = (await c.leader()) === m;
        await c.kill(m);
        kills.push({ member: m, at: i, wasLeader });
      }
      if (i % 300 === 250) restarting = c.restart(kills[kills.length - 1]!.member);
      const t = Date.now();
      revs.push(await writer.put('f/k', String(i)));
      latency.push(Date.now() - t);
    }
    await restarting;
    const last = revs[revs.length - 1]!;
    await until(() => w.seen(last), 'the watcher to catch up', 15_000);
    const seen = w.batches.map((b) => b.revision);
    // every revision of the run exactly once, in order: nothing lost, repeated or reordered
    expect(seen).toEqual(Array.from({ length: last - start + 1 }, (_, i) => start + i));
    for (const r of revs) expect(seen).toContain(r);
    const values = w.events().map((e) => Number(e.value));
    expect(values.filter((v, i) => i > 0 && v < values[i - 1]!)).toEqual([]); // never backwards
    expect(new Set(values).size).toBe(N); // every write seen (a retried put may show twice)
    expect(w.errors).toEqual([]);
    const disconnects = watchDiags.filter((d) => d.kind === 'watch-disconnected').length;
    expect(disconnects).toBeGreaterThan(0); // the watch stream did fail over
    const around = kills.map((k) => Math.max(...latency.slice(k.at, k.at + 20)));
    console.log(
      `[store etcd] ${N} puts in ${Date.now() - t0} ms, ${revs.length} acknowledged, ${seen.length} revisions watched, ` +
        `${values.length - N} duplicated by a retry; kills: ${kills.map((k, j) => `m${k.member}${k.wasLeader ? ' (leader)' : ''} → slowest put after it ${around[j]} ms`).join(', ')}; ` +
        `median put ${[...latency].sort((a, b) => a - b)[N >> 1]} ms; writer retries ${diags.filter((d) => d.kind === 'retry').length}; ` +
        `watch stream failovers ${disconnects}, resumed ${watchDiags.filter((d) => d.kind === 'watch-resumed').length}`,
    );
    const kinds = new Map<string, number>();
    for (const d of [...diags, ...watchDiags]) if (d.kind !== 'watch-resumed') kinds.set(d.error.replace(/127\.0\.0\.1:\d+/g, 'HOST').slice(0, 140), (kinds.get(d.error.replace(/127\.0\.0\.1:\d+/g, 'HOST').slice(0, 140)) ?? 0) + 1);
    console.log(`[store etcd] errors seen: ${[...kinds].map(([k, n]) => `${n}× ${k}`).join(' | ')}`);
  });

  it('a client closed and reopened resumes its watch from its last revision: nothing missed or repeated', async () => {
    const c = await getCluster();
    const ns = freshNs();
    const writer = await openEtcd(c, ns);
    const start = (await writer.revision()) + 1;
    const got: number[] = [];
    let r1 = await openEtcd(c, ns);
    let last = 0;
    await r1.watch('', start, { onBatch: (b) => { got.push(b.revision); last = b.revision; } });
    let lastWrite = 0;
    for (let i = 0; i < 20; i++) lastWrite = await writer.put(`k${i % 3}`, String(i));
    await until(() => last === lastWrite, 'the first client');
    await r1.close();
    const gap: number[] = [];
    for (let i = 0; i < 20; i++) gap.push(await writer.put(`k${i % 3}`, `b${i}`));
    r1 = await openEtcd(c, ns);
    await r1.watch('', last + 1, { onBatch: (b) => { got.push(b.revision); last = b.revision; } });
    for (let i = 0; i < 5; i++) lastWrite = await writer.put('k', `c${i}`);
    await until(() => last === lastWrite, 'the second client');
    expect(got).toEqual(Array.from({ length: lastWrite - start + 1 }, (_, i) => start + i));
  });
});
