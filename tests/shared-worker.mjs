// The worker side of tests/shared.test.ts (plain JS: a worker runs what Node can load as is).
// workerData.job says what to do:
//   conformance  for each message { handle, scenario }: attach as thread 0, set the scenario's
//                loads, route its requests (begin() each decision when it tracks), answer the
//                decisions' labels, detach; { done: true } ends the worker
//   stress       attach, route flat out on every service until control[STOP] is set, checking
//                that each decision's server id is the one of its own generation
//                (`e<epoch>.<service>.<index>`), with up to `hold` requests in flight; then report
//                the requests held, wait for control[RELEASE], end them all, detach and report
//   die          attach, begin `hold` requests, report, and spin mid-request until terminated
import { parentPort, workerData } from 'node:worker_threads';
import { attachRouter } from '../dist/bindings/index.js';
import { errorName, RouteError } from '../dist/bindings/errors.js';

const STOP = 0, RELEASE = 1;
const label = (x) => (x === undefined ? '(no expectation)' : typeof x === 'string' ? x : `error ${x.error}`);

function conformance() {
  parentPort.on('message', (m) => {
    if (m.done) { parentPort.close(); return; }
    const { handle, scenario: s } = m;
    const r = attachRouter(handle, { thread: 0 });
    for (const [name, values] of Object.entries(s.loads ?? {})) {
      if (r.serviceIndex(name) < 0) continue;
      values.forEach((x, i) => r.setLoad(name, i, x));
    }
    const got = [];
    for (const req of s.requests ?? []) {
      const d = r.tryRoute(req);
      if (d instanceof RouteError) { got.push(label({ error: errorName(d.code) })); continue; }
      if (s.track) r.begin(d);
      got.push(label(d.server));
    }
    const thread = r.thread;
    r.detach();
    parentPort.postMessage({ name: s.name, thread, got });
  });
}

function stress() {
  const { handle, services, hold, control } = workerData;
  const flags = new Int32Array(control);
  const r = attachRouter(handle);
  const reqs = services.map((s, k) => (s.kind === 'key' || s.kind === 'shard'
    ? { service: s.name, keyHash: 0, role: s.kind === 'shard' && k % 2 ? 'primary' : undefined }
    : { service: s.name }));
  const inflight = [];
  let decisions = 0, wrong = 0, errors = 0, firstWrong = null, minEpoch = Infinity, maxEpoch = 0, epochs = 0, lastEpoch = -1;
  let key = 1;
  while (Atomics.load(flags, STOP) === 0) {
    for (let j = 0; j < 64; j++) {
      const q = reqs[(decisions + j) % reqs.length];
      if (q.keyHash !== undefined) q.keyHash = (key = (Math.imul(key, 1103515245) + 12345) >>> 0);
      const d = r.tryRoute(q);
      if (d instanceof RouteError) { errors++; continue; }
      const want = `e${d.epoch}.${q.service}.${d.index}`;
      if (d.server !== want) { wrong++; firstWrong ??= { got: d.server, want }; }
      if (d.epoch !== lastEpoch) { epochs++; lastEpoch = d.epoch; }
      minEpoch = Math.min(minEpoch, d.epoch); maxEpoch = Math.max(maxEpoch, d.epoch);
      r.begin(d);
      inflight.push(d);
      if (inflight.length > hold) r.end(inflight.shift());
    }
    decisions += 64;
  }
  parentPort.postMessage({ holding: inflight.length, thread: r.thread });
  while (Atomics.load(flags, RELEASE) === 0) Atomics.wait(flags, RELEASE, 0, 1000);
  for (const d of inflight) r.end(d);
  const ended = r.detach();
  parentPort.postMessage({ decisions, wrong, errors, firstWrong, minEpoch, maxEpoch, epochs, endedByDetach: ended });
}

function die() {
  const { handle, hold } = workerData;
  const r = attachRouter(handle);
  for (let i = 0; i < hold; i++) r.begin(r.route({ service: 's' }));
  parentPort.postMessage({ ready: true, thread: r.thread, epoch: r.epoch });
  // busy mid-request, on the generation of its last decision, until terminated
  let spin = 0;
  for (;;) spin = (spin + 1) | 0;
}

({ conformance, stress, die })[workerData.job]();
