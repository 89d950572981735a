// The worker side of bench/shared.ts. workerData.job:
//   hold        make a router (attach to the shared one, or — the naive baseline — a router of its
//               own over the miniRIB file), route 1,000 times, report its routing bytes, wait for
//               control[STOP]
//   idle        report, wait for control[STOP] (the RSS baseline: a worker with no routing data)
//   throughput  make a router as `hold`, wait for control[GO], route flat out for `ms` through the
//               Router API, report decisions
//   load        attach, route flat out (Router API) until control[STOP]; the first time it decides
//               on an epoch it writes the time (process.hrtime, ns: one clock for every thread) in
//               seen[(epoch mod slots) × 2 + index] and bumps control[SEEN]; report decisions
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { attachRouter, createRouterSync } from '../bindings/index.js';
import type { SharedRouterHandle } from '../bindings/shared.js';

const STOP = 0, GO = 1, SEEN = 1;
interface Job {
  job: 'hold' | 'idle' | 'throughput' | 'load';
  mode?: 'shared' | 'naive';
  handle?: SharedRouterHandle;
  ribFile?: string;
  control: SharedArrayBuffer;
  service: string;
  ms?: number;
  seen?: SharedArrayBuffer;
  slots?: number;
  index?: number;
}
const data = workerData as Job;
const flags = new Int32Array(data.control);
const gc = (globalThis as { gc?: () => void }).gc;

interface Routing { route(req: { service: string }): { server: string }; }

/** The router of this worker, and the bytes of routing data it holds on its own. */
function makeRouter(): { router: Routing; ownBytes: number } {
  if (data.mode === 'shared') return { router: attachRouter(data.handle!), ownBytes: 0 };
  let bytes: Uint8Array | null = readFileSync(data.ribFile!);
  const router = createRouterSync({ rib: bytes });
  bytes = null;
  gc?.();
  return { router, ownBytes: router.core.loads().buffer.byteLength };
}

function waitFor(index: number): void {
  while (Atomics.load(flags, index) === 0) Atomics.wait(flags, index, 0, 50);
}

const req = { service: data.service };
if (data.job === 'idle') {
  parentPort!.postMessage({ ready: true, ownBytes: 0 });
  waitFor(STOP);
} else if (data.job === 'hold') {
  const { router, ownBytes } = makeRouter();
  let n = 0;
  for (let i = 0; i < 1000; i++) n += router.route(req).server.length;
  gc?.();
  parentPort!.postMessage({ ready: true, ownBytes, n });
  waitFor(STOP);
} else if (data.job === 'throughput') {
  const { router } = makeRouter();
  for (let i = 0; i < 200_000; i++) router.route(req); // warm up
  parentPort!.postMessage({ ready: true });
  waitFor(GO);
  const end = performance.now() + data.ms!;
  let decisions = 0, sum = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 4096; i++) sum += router.route(req).server.length;
    decisions += 4096;
  }
  parentPort!.postMessage({ decisions, sum });
} else {
  const router = attachRouter(data.handle!);
  const seen = new Float64Array(data.seen!);
  const me = data.index!;
  parentPort!.postMessage({ ready: true });
  let decisions = 0, sum = 0, last = -1;
  while (Atomics.load(flags, STOP) === 0) {
    for (let i = 0; i < 256; i++) {
      const d = router.route(req);
      sum += d.server.length;
      if (d.epoch !== last) {
        last = d.epoch;
        seen[(d.epoch % data.slots!) * 2 + me] = Number(process.hrtime.bigint());
        Atomics.add(flags, SEEN, 1);
        Atomics.notify(flags, SEEN);
      }
    }
    decisions += 256;
  }
  parentPort!.postMessage({ decisions, sum });
}
