// Prometheus metrics of a mesh client and of the routers built on it (sidecar, remote proxy,
// lookaside), with prom-client, on a registry of their own (served at /metrics):
//   ringroute_decisions_total{service,ring,outcome,load_mode}   one per attempt
//   ringroute_request_duration_seconds{service,outcome}         per attempt, histogram
//   ringroute_retries_total{service} / ringroute_retries_denied_total (the retry budget)
//   ringroute_ejections_total, ringroute_ejected_servers{service}
//   ringroute_minirib_generation                                the data in force
// Cost: a few label lookups per attempt. Used by host/node/proxy.ts and applications.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptInfo, Mesh } from './client.js';

export class MeshMetrics {
  readonly registry = new Registry();
  private decisions: Counter;
  private duration: Histogram;
  private retries: Counter;

  constructor(mesh: Mesh, labels: Record<string, string> = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    this.decisions = new Counter({ name: 'ringroute_decisions_total', help: 'Routing decisions (one per attempt) by service, locality ring, outcome and load-estimation mode', labelNames: ['service', 'ring', 'outcome', 'load_mode'], registers });
    this.duration = new Histogram({
      name: 'ringroute_request_duration_seconds', help: 'Duration of each attempt, from the decision to the end of the response body', labelNames: ['service', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers,
    });
    this.retries = new Counter({ name: 'ringroute_retries_total', help: 'Attempts retried on another server', labelNames: ['service'], registers });
    new Counter({
      name: 'ringroute_retries_denied_total', help: 'Retries the retry budget refused', registers,
      collect() { this.reset(); this.inc(mesh.stats.retriesDenied); },
    });
    new Counter({
      name: 'ringroute_ejections_total', help: 'Servers ejected by local outlier detection', registers,
      collect() { this.reset(); this.inc(mesh.stats.ejections); },
    });
    new Gauge({
      name: 'ringroute_ejected_servers', help: 'Servers ejected now, by service', labelNames: ['service'], registers,
      collect() {
        this.reset();
        for (const [service, ids] of Object.entries(mesh.ejections())) this.set({ service }, ids.length);
      },
    });
    new Gauge({
      name: 'ringroute_minirib_generation', help: 'Generation of the miniRIB in force', registers,
      collect() { this.set(mesh.meta.generation); },
    });
    mesh.addObserver((a) => this.attempt(a));
  }

  private attempt(a: AttemptInfo): void {
    this.decisions.inc({ service: a.service, ring: String(a.ring), outcome: a.outcome, load_mode: a.loadMode ?? 'outstanding' });
    this.duration.observe({ service: a.service, outcome: a.outcome }, a.ms / 1000);
    if (a.retry) this.retries.inc({ service: a.service });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
