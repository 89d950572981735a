// The typed router API over each core: decisions, typed errors, atomic updates that keep the old
// data on refusal, the load table (begin/end/setLoad) and its carry-over across updates.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RingrouteError, RouteError } from '../dist/bindings/errors.js';
import type { RibModel } from '../dist/bindings/model.js';
import { createRouter, createRouterSync } from '../dist/bindings/index.js';
import { Router } from '../dist/bindings/router.js';
import { CORES } from './cores.js';

const sample = JSON.parse(readFileSync('examples/sample-rib.json', 'utf8'));
const fresh = (): { rib: RibModel; client: any } => structuredClone(sample);
const code = (fn: () => unknown): string => {
  try { fn(); } catch (e) { return e instanceof RingrouteError ? e.codeName : String(e); }
  return 'no error';
};

describe.each(CORES)('router over the $name core', ({ make }) => {
  const router = (): Router => {
    const { rib, client } = fresh();
    const r = new Router(make(), client);
    r.update(rib);
    return r;
  };

  it('single-server: routes to the one server up', () => {
    const r = new Router(make(), { id: 'c', region: 'here' });
    r.update({ regions: ['here'], rtt_us: [[100]], services: [{ name: 's', servers: [{ id: 'only:1', region: 'here' }] }] });
    expect(r.route({ service: 's' })).toMatchObject({ service: 's', server: 'only:1', index: 0, slot: 0, epoch: 1 });
  });

  it('pick2-other: a decision names the candidate it was compared with, exactly', () => {
    const r = new Router(make(), { id: 'c', region: 'here', seed: 11 });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    r.update({ regions: ['here'], rtt_us: [[100]], services: [
      { name: 'web', servers: ids.map((id) => ({ id, region: 'here' })) },
      { name: 'one', servers: [{ id: 'solo', region: 'here' }] },
    ] });
    const loads = r.core.loads();
    for (let n = 0; n < 50; n++) {
      const state = r.core.rngState();
      const d = r.route({ service: 'web' });
      expect(d.other).toBeGreaterThanOrEqual(0);
      expect(d.other).toBeLessThan(ids.length);
      expect(d.other).not.toBe(d.index);
      // the same draws with the loser made the lighter one: the two swap places
      const saved = Float64Array.from(loads);
      loads[d.slot] = 1000;
      loads[d.slot - d.index + d.other] = 0;
      r.core.setRngState(state);
      const again = r.route({ service: 'web' });
      expect([again.index, again.other]).toEqual([d.other, d.index]);
      loads.set(saved);
      loads[d.slot] += n % 3; // vary the loads between rounds
    }
    expect(r.route({ service: 'one' }).other).toBe(-1); // one candidate: no pick-2
    r.route({ service: 'web' });
    expect(r.core.route(99, 0, 0)).toBeLessThan(0); // an error (a service index out of range)
    expect(r.core.routeOther()).toBe(-1); // names no candidate
    expect(r.decisionFor('web', 'c')?.other).toBe(-1);
  });

  it('typed errors carry the spec code', () => {
    const r = router();
    const e1 = r.tryRoute({ service: 'nope' });
    expect(e1).toBeInstanceOf(RouteError);
    expect((e1 as RouteError).codeName).toBe('NO_SERVICE');
    expect(code(() => r.route({ service: 'kv' }))).toBe('NO_KEY');
    expect(code(() => r.route({ service: 'search' }))).toBe('NO_KEY');
  });

  it.each([
    [{ service: '' }, 'empty service'],
    [{ service: 'kv', keyHash: -1 }, 'negative keyHash'],
    [{ service: 'kv', keyHash: 2 ** 32 }, 'keyHash beyond u32'],
    [{ service: 'kv', key: 5 }, 'numeric key'],
    [{ service: 'kv', key: 'a', role: 'leader' }, 'unknown role'],
  ])('refuses a malformed request (%j: %s) with BAD_REQUEST', (req) => {
    const r = router();
    const rng = r.core.rngState();
    expect(code(() => r.route(req as any))).toBe('BAD_REQUEST');
    expect(r.core.rngState()).toBe(rng); // nothing drawn
  });

  it('keyHash wins over key, and the same key goes to the same shard owner', () => {
    const r = router();
    const a = r.route({ service: 'kv', key: 'user:42', role: 'primary' });
    const b = r.route({ service: 'kv', key: 'user:42', role: 'primary' });
    expect(a.server).toBe(b.server);
    const c = r.route({ service: 'kv', key: 'ignored', keyHash: 0, role: 'primary' });
    expect(c.server).toBe(sample.rib.services[1].servers[0].id); // shard 0's primary
  });

  it('update swaps the data atomically and a refused update changes nothing', () => {
    const r = router();
    const { rib } = fresh();
    const before = r.epoch;
    const bad = structuredClone(rib);
    bad.services[0].servers[1].weight = 0;
    expect(code(() => r.update(bad))).toBe('SERVER_WEIGHT');
    expect(code(() => r.update(new Uint8Array(10)))).toBe('TRUNCATED');
    expect(r.epoch).toBe(before);
    expect(r.route({ service: 'web' }).server).toMatch(/^web-/);
    rib.services[0].servers = rib.services[0].servers.map((s: any) => ({ ...s, id: s.id.replace('web-', 'www-') }));
    r.update(rib);
    expect(r.epoch).toBe(before + 1);
    for (let i = 0; i < 50; i++) expect(r.route({ service: 'web' }).server).toMatch(/^www-/);
  });

  it('begin/end count outstanding requests and end never goes below 0', () => {
    const r = router();
    const d = r.route({ service: 'web' });
    r.begin(d);
    r.begin(d);
    expect(r.getLoad('web', d.index)).toBe(2);
    r.end(d); r.end(d); r.end(d);
    expect(r.getLoad('web', d.index)).toBe(0);
  });

  it('loads follow a server across an update by (service, id), and end() of an old decision finds it', () => {
    const r = router();
    const { rib } = fresh();
    r.setLoad('web', 5, 7);
    const d = { service: 'web', server: rib.services[0].servers[5].id, index: 5, slot: 5, epoch: r.epoch };
    r.begin(d);
    const moved = rib.services[0].servers[5];
    rib.services[0].servers.splice(5, 1);
    rib.services[0].servers.unshift(moved); // now index 0
    r.update(rib);
    expect(r.getLoad('web', 0)).toBe(8);
    r.end(d);
    expect(r.getLoad('web', 0)).toBe(7);
    expect(r.getLoad('web', 5)).toBe(0);
  });

  it.each([
    ['same order, a weight changed', (ids: string[]) => ids, (rib: RibModel) => { rib.services[0].servers[3].weight = 4; }],
    ['one server replaced', (ids: string[]) => ids.map((id, i) => (i === 7 ? 'web-new:1' : id)), () => {}],
    ['order reversed', (ids: string[]) => [...ids].reverse(), () => {}],
    ['a server appended', (ids: string[]) => [...ids, 'web-extra:1'], () => {}],
    ['a server removed', (ids: string[]) => ids.filter((_, i) => i !== 2), () => {}],
  ])('carries loads by id across an update: %s', (_name, reorder, tweak) => {
    const r = router();
    const { rib } = fresh();
    const before = rib.services[0].servers.map((x: any) => x.id);
    before.forEach((_: string, i: number) => r.setLoad('web', i, i + 1)); // load = index + 1
    const byId = new Map(rib.services[0].servers.map((x: any) => [x.id, x]));
    const ids = reorder(before);
    rib.services[0].servers = ids.map((id: string) => byId.get(id) ?? { id, region: 'us-east' });
    tweak(rib);
    r.update(rib);
    ids.forEach((id: string, i: number) => {
      const was = before.indexOf(id);
      expect(r.getLoad('web', i), id).toBe(was < 0 ? 0 : was + 1);
    });
  });

  it('setLoad refuses NaN, negatives and unknown servers', () => {
    const r = router();
    expect(code(() => r.setLoad('web', 0, Number.NaN))).toBe('BAD_OPTIONS');
    expect(code(() => r.setLoad('web', 0, -1))).toBe('BAD_OPTIONS');
    expect(code(() => r.setLoad('web', 999, 1))).toBe('BAD_OPTIONS');
    expect(code(() => r.setLoad('nope', 0, 1))).toBe('BAD_OPTIONS');
  });

  it('pick-2 prefers the lighter of two candidates', () => {
    const r = new Router(make(), { id: 'c', region: 'here' });
    r.update({ regions: ['here'], rtt_us: [[100]], services: [{ name: 's', servers: [{ id: 'a', region: 'here' }, { id: 'b', region: 'here' }] }] });
    r.setLoad('s', 0, 100);
    for (let i = 0; i < 20; i++) expect(r.route({ service: 's' }).server).toBe('b');
  });

  it('a drained server gets no new requests', () => {
    const r = router();
    const { rib } = fresh();
    rib.services[0].servers.forEach((s: any, i: number) => { if (i !== 2) s.state = 'draining'; });
    r.update(rib);
    for (let i = 0; i < 100; i++) expect(r.route({ service: 'web' }).index).toBe(2);
  });
});

describe('createRouter options', () => {
  it('chooses the core by option, wasm by default', async () => {
    const { rib, client } = fresh();
    expect((await createRouter({ rib, client })).core.kind).toBe('wasm');
    expect(createRouterSync({ rib, client, core: 'ts' }).core.kind).toBe('ts');
  });
  it('both cores make the same decisions from the same data and seed', async () => {
    const { rib, client } = fresh();
    const a = await createRouter({ rib, client, core: 'wasm' });
    const b = await createRouter({ rib, client, core: 'ts' });
    for (let i = 0; i < 500; i++) {
      const req = i % 3 === 0 ? { service: 'web' } : i % 3 === 1 ? { service: 'kv', key: `k${i}` } : { service: 'search', key: `q${i % 17}` };
      expect(a.route(req).server).toBe(b.route(req).server);
    }
  });
  it.each([
    [{ core: 'gpu' }, 'BAD_OPTIONS'],
    [{ client: undefined }, 'BAD_OPTIONS'],
  ])('refuses %j', (override, want) => {
    const { rib, client } = fresh();
    expect(code(() => createRouterSync({ rib, client, ...override } as any))).toBe(want);
  });
  it('takes an encoded miniRIB', () => {
    const r = createRouterSync({ rib: new Uint8Array(readFileSync('tests/golden/single-server.bin')), core: 'ts' });
    expect(r.route({ service: 's' }).server).toBe('only:1');
  });
});
