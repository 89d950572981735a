// A thin layer over benchmark.js: each case is a function doing `inner` operations and returning a
// number folded into a printed sink (so no result is dead code); the figures are per operation.
import Benchmark from 'benchmark';

export interface Case {
  /** Row of the group's table, e.g. "route · 1,000 servers". */
  row: string;
  /** Column: the core ('ts', 'wasm', 'wasm-scalar') or a peer's name. */
  who: string;
  /** Operations one call of fn performs. */
  inner: number;
  /** Runs `inner` operations; returns something derived from every result. */
  fn: () => number;
}

export interface Measure {
  group: string;
  row: string;
  who: string;
  /** ns per operation (mean of the samples). */
  ns: number;
  /** operations per second. */
  opsPerSec: number;
  /** relative margin of error, %. */
  rme: number;
  samples: number;
}

export interface RunOptions {
  maxTime: number; // seconds per case
  minSamples: number;
}

let sinkValue = 0;
/** Folds a result into the sink. */
export function consume(x: number): void {
  sinkValue = (sinkValue + (x | 0)) | 0;
}
export function sink(): number {
  return sinkValue >>> 0;
}

export const measures: Measure[] = [];

export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns >= 100) return `${ns.toFixed(0)} ns`;
  return `${ns.toFixed(1)} ns`;
}

export function fmtOps(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** Runs the cases one after the other (benchmark.js, synchronous), records and prints each. */
export function runCases(group: string, cases: Case[], opts: RunOptions): Measure[] {
  const out: Measure[] = [];
  const suite = new Benchmark.Suite(group);
  const byName = new Map<string, Case>();
  for (const c of cases) {
    if (byName.has(`${c.who} | ${c.row}`)) throw new Error(`duplicate case ${c.who} | ${c.row}`);
    byName.set(`${c.who} | ${c.row}`, c);
    const fn = c.fn;
    suite.add(`${c.who} | ${c.row}`, () => { consume(fn()); }, {
      maxTime: opts.maxTime,
      minSamples: opts.minSamples,
      onError: (ev: Benchmark.Event) => { console.error(`  ${c.who} ${c.row}: ${String((ev.target as unknown as Benchmark).error)}`); },
    });
  }
  suite.on('cycle', (ev: Benchmark.Event) => {
    const b = ev.target as unknown as Benchmark & { error?: unknown };
    const c = byName.get(b.name as string);
    if (b.error || c === undefined) return;
    const m: Measure = {
      group,
      row: c.row,
      who: c.who,
      ns: (b.stats.mean * 1e9) / c.inner,
      opsPerSec: b.hz * c.inner,
      rme: b.stats.rme,
      samples: b.stats.sample.length,
    };
    out.push(m);
    measures.push(m);
    console.log(
      `  ${c.who.padEnd(12)} ${c.row.padEnd(44)} ${fmtNs(m.ns).padStart(10)}/op ${fmtOps(m.opsPerSec).padStart(14)} ops/s ±${m.rme.toFixed(1)}% (${m.samples} samples)`,
    );
  });
  suite.run({ async: false });
  return out;
}

export function find(group: string, row: string, who: string): Measure | undefined {
  return measures.find((m) => m.group === group && m.row === row && m.who === who);
}
