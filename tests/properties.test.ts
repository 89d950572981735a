// Properties of the decisions, over random data, for every core:
// - subset stability: removing one server changes at most one member of any client's subset;
// - key-rendezvous moves only the removed server's keys;
// - pick-2 never returns a server that is not up.
import { describe, expect, it } from 'vitest';
import type { Core } from '../dist/bindings/core.js';
import { encodeMiniRib } from '../dist/bindings/encoder.js';
import * as E from '../dist/bindings/errors.js';
import * as L from '../dist/bindings/layout.js';
import type { ClientModel, RibModel } from '../dist/bindings/model.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';
import { CORES } from './cores.js';
import { randomRib } from './random-rib.js';

const oneRing = (n: number, extra: object, seed: number): RibModel => ({
  regions: ['here'],
  rtt_us: [[100]],
  services: [{ name: 's', servers: Array.from({ length: n }, (_, i) => ({ id: `10.0.${seed % 200}.${i}:443`, region: 'here', weight: 1 + (i % 3) })), ...extra }],
});

const load = (core: Core, rib: RibModel, client: ClientModel): Core => {
  core.load(encodeMiniRib(rib, client));
  return core;
};

/** The servers a client ever routes to (its subset): with loads 0 pick-2 returns its first draw, uniform over the subset. */
function reachable(core: Core, draws: number): Set<string> {
  const seen = new Set<string>();
  for (let i = 0; i < draws; i++) seen.add(core.serverId(0, core.route(0, 0, 0)));
  return seen;
}

describe.each(CORES)('properties, $name core', ({ make }) => {
  it('subset stability: removing one server changes at most one member of a client subset', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 40; trial++) {
      const n = 20 + rng.below(80);
      const k = 3 + rng.below(8);
      const rib = oneRing(n, { subset: k }, trial);
      const client = { id: `client-${trial}`, region: 'here', seed: trial };
      const before = reachable(load(make(), rib, client), 60 * k);
      expect(before.size).toBe(k);
      const removed = rib.services[0].servers.splice(rng.below(n), 1)[0];
      const after = reachable(load(make(), rib, client), 60 * k);
      expect(after.size).toBe(k);
      const lost = [...before].filter((s) => !after.has(s));
      expect(lost.length).toBeLessThanOrEqual(1);
      if (lost.length === 1) expect(lost[0]).toBe(removed.id);
    }
  });

  it('key-rendezvous: removing a server moves only the keys it owned', () => {
    const rng = new Rng(23);
    for (let trial = 0; trial < 10; trial++) {
      const n = 5 + rng.below(60);
      const rib = oneRing(n, { hash: { replicas: 1 } }, trial);
      const client = { id: 'c', region: 'here' };
      const keys = Array.from({ length: 400 }, () => rng.next());
      const a = load(make(), rib, client);
      const owners = keys.map((h) => a.serverId(0, a.route(0, L.ROUTE_HAS_KEY, h)));
      const removed = rib.services[0].servers.splice(rng.below(n), 1)[0].id;
      const b = load(make(), rib, client);
      keys.forEach((h, i) => {
        const now = b.serverId(0, b.route(0, L.ROUTE_HAS_KEY, h));
        if (owners[i] !== removed) expect(now).toBe(owners[i]);
        else expect(now).not.toBe(removed);
      });
    }
  });

  it('pick-2 never returns a server that is not up, whatever the data and loads', () => {
    for (let seed = 100; seed < 160; seed++) {
      const { rib, client } = randomRib(seed);
      const core = load(make(), rib, client);
      const rng = new Rng(seed);
      const loads = core.loads();
      for (let i = 0; i < loads.length; i++) loads[i] = rng.below(5);
      for (let s = 0; s < rib.services.length; s++) {
        for (let i = 0; i < 60; i++) {
          const d = core.route(s, L.ROUTE_HAS_KEY | (i % 4 === 0 ? L.ROUTE_PRIMARY : 0), rng.next());
          if (d >= 0) expect(rib.services[s].servers[d].state ?? 'up').toBe('up');
          else expect([E.NO_SERVER, E.NO_REPLICA]).toContain(-d); // never NO_KEY: a key is given
        }
      }
    }
  });
});
