// A seeded generator of valid routing data for the fuzz and property tests.
import type { ClientModel, RibModel, ServiceModel } from '../dist/bindings/model.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';

export interface RandomRibOptions { services?: number; maxServers?: number; kinds?: ('plain' | 'subset' | 'hash' | 'shards')[] }

export function randomRib(seed: number, opts: RandomRibOptions = {}): { rib: RibModel; client: ClientModel } {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.below(xs.length)];
  const R = 1 + rng.below(4);
  const regions = Array.from({ length: R }, (_, i) => `r${i}`);
  const rtt_us = regions.map((_, i) => regions.map((_, j) => (i === j ? 200 + rng.below(800) : rng.below(10) === 0 ? null : 1000 * (1 + rng.below(150)))));
  const kinds = opts.kinds ?? ['plain', 'subset', 'hash', 'shards'];
  const services: ServiceModel[] = [];
  for (let s = 0; s < (opts.services ?? 1 + rng.below(4)); s++) {
    const n = 1 + rng.below(opts.maxServers ?? 40);
    const servers = Array.from({ length: n }, (_, i) => ({
      id: `s${s}-${i}:${8000 + rng.below(100)}`,
      region: pick(regions),
      weight: rng.below(4) === 0 ? 1 + rng.below(100) : undefined,
      state: pick(['up', 'up', 'up', 'draining', 'down'] as const),
    }));
    const svc: ServiceModel = { name: `svc${s}`, servers };
    if (rng.below(2) === 0) {
      const rings: (number | null)[] = [];
      let b = 0;
      for (let i = 0; i < 1 + rng.below(4); i++) rings.push((b += 1000 * (1 + rng.below(60))));
      if (rng.below(2) === 0) rings.push(null);
      svc.rings_us = rings;
    }
    const ringCount = (svc.rings_us ?? [0, 0, 0, 0]).length;
    if (rng.below(2) === 0) {
      svc.spill = { [pick(regions)]: Array.from({ length: ringCount }, () => pick([0, 0.25, 0.5, 0.9, 1, rng.next() / 2 ** 32])) };
    }
    const kind = pick(kinds);
    if (kind === 'subset') svc.subset = 1 + rng.below(8);
    if (kind === 'hash') svc.hash = { replicas: 1 + rng.below(4) };
    if (kind === 'shards') {
      const m = 1 + rng.below(20);
      const starts = [0];
      while (starts.length < m) {
        const next = starts[starts.length - 1] + 1 + rng.below(2 ** 32 / m);
        if (next > 0xffffffff) break;
        starts.push(next);
      }
      svc.shards = {
        starts,
        replicas: starts.map(() => {
          const list: { server: number; role: 'primary' | 'secondary' }[] = [];
          const used = new Set<number>();
          for (let q = 0; q < rng.below(5); q++) {
            const idx = rng.below(n);
            if (used.has(idx)) continue;
            used.add(idx);
            list.push({ server: idx, role: list.length === 0 && rng.below(2) === 0 ? 'primary' : 'secondary' });
          }
          return list;
        }),
      };
    }
    services.push(svc);
  }
  return { rib: { regions, rtt_us, services }, client: { id: `client-${seed}`, region: pick(regions), seed: rng.next() } };
}
