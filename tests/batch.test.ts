// routeBatch must make exactly the decisions of route() called one by one (same draws, same
// order, same load tracking), whatever the mix: runs of one sharded service (the two-pass path),
// keyless requests, unknown service indexes, plain and key-rendezvous services in between.
import { describe, expect, it } from 'vitest';
import { encodeMiniRib } from '../dist/bindings/encoder.js';
import * as L from '../dist/bindings/layout.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';
import { CORES } from './cores.js';
import { randomRib } from './random-rib.js';

describe.each(CORES)('routeBatch, $name core', ({ make }) => {
  it.each([false, true])('equals route() one by one (track %s)', (track) => {
    for (let seed = 1; seed <= 30; seed++) {
      const { rib, client } = randomRib(seed, { services: 3, kinds: seed % 2 ? ['shards'] : ['shards', 'plain', 'hash', 'subset'] });
      // a fourth service with 20 replicas per shard: more than a packed record holds (the fallback)
      rib.services.push({
        name: 'wide', servers: Array.from({ length: 24 }, (_, i) => ({ id: `w${i}`, region: rib.regions[i % rib.regions.length] })),
        shards: { starts: [0, 1 << 30, 2 ** 31], replicas: [0, 1, 2].map((k) => Array.from({ length: 20 }, (_, i) => ({ server: (i + k) % 24, role: i === 0 ? 'primary' as const : 'secondary' as const }))) },
      });
      const buf = encodeMiniRib(rib, client);
      const single = make(), batch = make();
      single.load(buf);
      batch.load(buf);
      const rng = new Rng(seed);
      const n = 500;
      const svc = new Int32Array(n), flags = new Int32Array(n), keys = new Uint32Array(n), out = new Int32Array(n);
      let s = rng.below(3);
      for (let j = 0; j < n; j++) {
        if (rng.below(8) === 0) s = rng.below(4) - (rng.below(10) === 0 ? 5 : 0); // runs (index 3: the wide service), now and then an unknown index
        svc[j] = s;
        flags[j] = (rng.below(20) === 0 ? 0 : L.ROUTE_HAS_KEY) | (rng.below(3) === 0 ? L.ROUTE_PRIMARY : 0);
        keys[j] = rng.next();
      }
      const want: number[] = [];
      for (let j = 0; j < n; j++) {
        const d = single.route(svc[j], flags[j], keys[j]);
        want.push(d);
        if (track && d >= 0) single.loads()[single.serverFirst(svc[j]) + d] += 1;
      }
      batch.routeBatch(svc, flags, keys, out, track);
      expect(Array.from(out), `seed ${seed}`).toEqual(want);
      expect(Array.from(batch.loads())).toEqual(Array.from(single.loads()));
      expect(batch.rngState()).toBe(single.rngState());
    }
  });
});
