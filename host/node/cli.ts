// `ringroute <command>`: conformance runs, miniRIB encoding and inspection, one-off routing, and
// the demo workload. Exit codes: 0 good, 1 a failed check (a mismatch, a refused buffer), 2 usage.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Core } from '../../bindings/core.js';
import { runScenario, type Scenario, type ScenarioResult } from '../../bindings/conformance.js';
import { encodeMiniRib } from '../../bindings/encoder.js';
import { RingrouteError } from '../../bindings/errors.js';
import type { ClientModel, RibModel } from '../../bindings/model.js';
import { createRouterSync } from '../../bindings/index.js';
import type { CoreKind } from '../../bindings/router.js';
import { createTsCore } from '../../bindings/ts-core/core.js';
import { readMiniRib } from '../../bindings/ts-core/minirib.js';
import { loadWasmModuleSync } from '../../bindings/load-node.js';
import { createWasmCore } from '../../bindings/wasm-core.js';
import { runDemo } from './demo.js';
import { CliUsageError, CONTROL_USAGE, controlMain } from './control-cli.js';

const USAGE = `usage:
  ringroute conformance <file|dir>... [--core wasm|wasm-scalar|ts|both|all] [--json]
      run conformance scenarios; both = wasm + ts, all = wasm + wasm-scalar + ts
  ringroute encode <scenario.json> [-o out.bin] [--generation N]
      encode the rib + client of a scenario (or of a {rib, client} file) into a miniRIB
  ringroute inspect <minirib.bin>
      validate a miniRIB and summarise it
  ringroute route <scenario.json|minirib.bin> <service> [--key K] [--key-hash H] [--role primary|any] [--count N] [--core wasm|ts]
      route requests and print the decisions
  ringroute demo [--requests N] [--core wasm|ts]
      route a sample workload over a sample RIB and show where it went (no control plane)
${CONTROL_USAGE}`;

type CoreName = 'wasm' | 'wasm-scalar' | 'ts';
const CORE_SETS: Record<string, CoreName[]> = {
  wasm: ['wasm'], 'wasm-scalar': ['wasm-scalar'], ts: ['ts'], both: ['wasm', 'ts'], all: ['wasm', 'wasm-scalar', 'ts'],
};

function coreFactory(name: CoreName): () => Core {
  if (name === 'ts') return createTsCore;
  const mod = loadWasmModuleSync(name === 'wasm' ? 'simd' : 'scalar');
  return () => createWasmCore(mod);
}

interface Args { positional: string[]; flags: Map<string, string | true> }
function parseArgs(argv: string[], valued: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      if (valued.includes(a)) {
        if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
        flags.set(a, argv[++i]);
      } else flags.set(a, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

class UsageError extends Error {}

/** Scenario files under the given files and folders, sorted by path. */
export function scenarioFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (p.endsWith('.json')) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

function conformance(argv: string[]): number {
  const { positional, flags } = parseArgs(argv, ['--core']);
  if (positional.length === 0) throw new UsageError('conformance needs a file or folder');
  const set = CORE_SETS[String(flags.get('--core') ?? 'both')];
  if (!set) throw new UsageError(`--core ${String(flags.get('--core'))}: wasm, wasm-scalar, ts, both or all`);
  const json = flags.has('--json');
  const files = scenarioFiles(positional);
  const cores = set.map((name) => ({ name, make: coreFactory(name) }));
  let passed = 0, failed = 0;
  const perCore = new Map<string, [number, number]>();
  for (const file of files) {
    let scenario: Scenario;
    try {
      scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
    } catch (e) {
      console.error(`${file}: not a JSON scenario: ${(e as Error).message}`);
      failed++;
      continue;
    }
    for (const { name, make } of cores) {
      const r: ScenarioResult = runScenario(make, scenario);
      const tally = perCore.get(name) ?? [0, 0];
      if (r.passed) { passed++; tally[0]++; } else { failed++; tally[1]++; }
      perCore.set(name, tally);
      if (json) {
        console.log(JSON.stringify({ file, scenario: r.name, core: name, passed: r.passed, requests: r.requests, mismatches: r.mismatches }));
      } else {
        for (const m of r.mismatches) {
          const where = m.request < 0 ? 'data' : `request ${m.request}`;
          console.log(`MISMATCH ${name} ${r.name} ${where}: expected ${m.expected}, got ${m.got}`);
        }
      }
    }
  }
  if (!json) {
    for (const [name, [p, f]] of perCore) console.log(`  ${name.padEnd(12)} ${p} passed, ${f} failed`);
    console.log(`conformance: ${passed} passed, ${failed} failed`);
  }
  return failed === 0 && files.length > 0 ? 0 : 1;
}

function readScenarioData(file: string): { rib: RibModel; client: ClientModel } {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { rib?: RibModel; client?: ClientModel };
  if (!data.rib || !data.client) throw new UsageError(`${file}: needs "rib" and "client"`);
  return { rib: data.rib, client: data.client };
}

function encode(argv: string[]): number {
  const { positional, flags } = parseArgs(argv, ['-o', '--generation']);
  if (positional.length !== 1) throw new UsageError('encode needs one scenario file');
  const { rib, client } = readScenarioData(positional[0]);
  const gen = flags.get('--generation');
  const buf = encodeMiniRib(rib, client, { generation: gen === undefined ? 1 : BigInt(String(gen)) });
  const out = flags.get('-o');
  if (typeof out === 'string') {
    writeFileSync(out, buf);
    console.log(`${out}: ${buf.length} bytes`);
  } else process.stdout.write(buf);
  return 0;
}

function inspect(argv: string[]): number {
  const { positional } = parseArgs(argv, []);
  if (positional.length !== 1) throw new UsageError('inspect needs one miniRIB file');
  const rib = readMiniRib(new Uint8Array(readFileSync(positional[0])));
  const core = createTsCore();
  core.load(rib.bytes);
  console.log(`${positional[0]}: valid miniRIB v1, ${rib.bytes.length} bytes, generation ${rib.generation}`);
  console.log(`  regions ${rib.R}, services ${rib.S}, servers ${rib.N}`);
  for (let s = 0; s < core.serviceCount(); s++) {
    const n = core.serverCount(s);
    const first = n > 0 ? core.serverId(s, 0) : '-';
    console.log(`  service ${s}: ${n} servers (first ${first})`);
  }
  return 0;
}

function coreKind(flags: Map<string, string | true>): CoreKind {
  const c = String(flags.get('--core') ?? 'wasm');
  if (c !== 'wasm' && c !== 'ts') throw new UsageError(`--core ${c}: wasm or ts`);
  return c;
}

function route(argv: string[]): number {
  const { positional, flags } = parseArgs(argv, ['--key', '--key-hash', '--role', '--count', '--core']);
  if (positional.length !== 2) throw new UsageError('route needs a data file and a service');
  const [file, service] = positional;
  const core = coreKind(flags);
  const router = file.endsWith('.bin')
    ? createRouterSync({ rib: new Uint8Array(readFileSync(file)), core })
    : createRouterSync({ ...readScenarioData(file), core });
  const count = Number(flags.get('--count') ?? 1);
  const key = flags.get('--key');
  const keyHash = flags.get('--key-hash');
  const role = flags.get('--role');
  for (let i = 0; i < count; i++) {
    const d = router.tryRoute({
      service,
      key: typeof key === 'string' ? key : undefined,
      keyHash: typeof keyHash === 'string' ? Number(keyHash) : undefined,
      role: role === 'primary' || role === 'any' ? role : undefined,
    });
    console.log(d instanceof RingrouteError ? `error ${d.codeName}` : d.server);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'conformance': return conformance(rest);
      case 'encode': return encode(rest);
      case 'inspect': return inspect(rest);
      case 'route': return route(rest);
      case 'demo': {
        const { flags } = parseArgs(rest, ['--requests', '--core']);
        return runDemo({ requests: Number(flags.get('--requests') ?? 20000), core: coreKind(flags) });
      }
      case undefined: case '-h': case '--help': case 'help':
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default: {
        const code = await controlMain(cmd, rest);
        if (code === undefined) throw new UsageError(`unknown command ${cmd}`);
        return code;
      }
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof CliUsageError) {
      console.error(`${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof RingrouteError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

export const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
