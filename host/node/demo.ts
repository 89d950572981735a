// The demo behind `npm start` (until the local mesh of the control-plane issue exists): a sample
// RIB (examples/sample-rib.json: four regions, a plain service with spill and a connection subset,
// a sharded key-value service, a key-rendezvous search service), a closed-loop workload routed by
// the WASM core with outstanding-request loads, and a table of where it went, per ring and per
// server. Halfway through, one server is drained through update() to show the swap.
import { readFileSync } from 'node:fs';
import type { ClientModel, RibModel } from '../../bindings/model.js';
import { DEFAULT_RINGS_US } from '../../bindings/model.js';
import { createRouterSync } from '../../bindings/index.js';
import type { CoreKind, Decision } from '../../bindings/router.js';
import { Rng } from '../../bindings/ts-core/rng.js';

export interface DemoOptions { requests: number; core: CoreKind }

/** The ring label of each server of a service, for display (the core decides on its own data). */
function ringLabels(rib: RibModel, client: ClientModel, service: string): Map<string, string> {
  const svc = rib.services.find((s) => s.name === service)!;
  const rings = svc.rings_us ?? DEFAULT_RINGS_US;
  const from = rib.regions.indexOf(client.region);
  const out = new Map<string, string>();
  for (const s of svc.servers) {
    const rtt = rib.rtt_us[from][rib.regions.indexOf(s.region)];
    const i = rings.findIndex((b) => b === null || (rtt !== null && rtt <= b));
    out.set(s.id, i < 0 ? 'none' : `ring ${i} (${rings[i] === null ? 'unbounded' : `≤ ${rings[i]! / 1000} ms`})`);
  }
  return out;
}

export function runDemo(opts: DemoOptions): number {
  const file = new URL('../../../examples/sample-rib.json', import.meta.url);
  const { rib, client } = JSON.parse(readFileSync(file, 'utf8')) as { rib: RibModel; client: ClientModel };
  const router = createRouterSync({ rib, client, core: opts.core });
  console.log(`ringroute demo: client ${client.id} in ${client.region}, ${opts.core} core, ${opts.requests} requests`);
  console.log(`services: ${rib.services.map((s) => `${s.name} (${s.servers.length} servers${s.shards ? ', sharded' : s.hash ? ', key-rendezvous' : s.subset ? `, subset ${s.subset}` : ''})`).join(', ')}\n`);

  const rng = new Rng(7); // the workload's own randomness, seeded
  const inflight: Decision[] = [];
  const counts = new Map<string, Map<string, number>>();
  const errors = new Map<string, number>();
  const half = opts.requests >> 1;
  for (let n = 0; n < opts.requests; n++) {
    if (n === half) {
      // planned maintenance: the registry drains web-us-east-1 before it stops
      const web = rib.services.find((s) => s.name === 'web')!;
      web.servers[0] = { ...web.servers[0], state: 'draining' };
      router.update(rib);
      console.log(`after ${n} requests: drained ${web.servers[0].id} (update to epoch ${router.epoch})\n`);
    }
    const pick = rng.below(10);
    const req = pick < 6 ? { service: 'web' }
      : pick < 9 ? { service: 'kv', key: `user:${rng.below(5000)}`, role: pick === 8 ? 'primary' as const : 'any' as const }
        : { service: 'search', key: `query:${rng.below(200)}` };
    const d = router.tryRoute(req);
    if (d instanceof Error) {
      errors.set(d.codeName, (errors.get(d.codeName) ?? 0) + 1);
      continue;
    }
    router.begin(d);
    inflight.push(d);
    const perService = counts.get(d.service) ?? new Map<string, number>();
    perService.set(d.server, (perService.get(d.server) ?? 0) + 1);
    counts.set(d.service, perService);
    // a closed loop of ~32 requests in flight; the oldest finish first
    while (inflight.length > 32) router.end(inflight.shift()!);
  }
  for (const d of inflight) router.end(d);

  for (const svc of rib.services) {
    const perServer = counts.get(svc.name) ?? new Map();
    const labels = ringLabels(rib, client, svc.name);
    const total = [...perServer.values()].reduce((a, b) => a + b, 0);
    console.log(`${svc.name}: ${total} requests`);
    const byRing = new Map<string, number>();
    for (const s of svc.servers) byRing.set(labels.get(s.id)!, (byRing.get(labels.get(s.id)!) ?? 0) + (perServer.get(s.id) ?? 0));
    for (const [ring, c] of [...byRing].sort()) {
      if (c > 0) console.log(`  ${ring.padEnd(26)} ${String(c).padStart(6)}  ${(100 * c / Math.max(1, total)).toFixed(1).padStart(5)}%`);
    }
    for (const s of svc.servers) {
      const c = perServer.get(s.id) ?? 0;
      const state = s.state && s.state !== 'up' ? ` [${s.state}]` : '';
      const bar = '#'.repeat(Math.round((40 * c) / Math.max(1, total)));
      console.log(`    ${(s.id + state).padEnd(34)} ${labels.get(s.id)!.slice(0, 6)}  ${String(c).padStart(6)} ${bar}`);
    }
    console.log('');
  }
  if (errors.size > 0) console.log(`errors: ${[...errors].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return 0;
}
