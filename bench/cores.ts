// The cores a run compares: the TS core always, the WASM core (SIMD build) and its scalar build when
// bindings/wasm-core.ts has been built and build/ringroute*.wasm exist. The WASM binding is imported
// by a computed path so that this suite compiles (and runs on the TS core alone) before it exists.
import type { Core } from '../bindings/core.js';
import { createTsCore } from '../bindings/ts-core/core.js';

export type CoreName = 'ts' | 'wasm' | 'wasm-scalar';

export interface CoreSet {
  /** Factories, in the order the tables show them; 'ts' is always there. */
  make: Partial<Record<CoreName, () => Core>>;
  /** Why a WASM core is missing, if it is. */
  notes: string[];
}

interface WasmBinding {
  createWasmCore(module: WebAssembly.Module): Core;
  loadWasmModuleSync(build?: 'simd' | 'scalar'): WebAssembly.Module;
}

export async function loadCores(): Promise<CoreSet> {
  const set: CoreSet = { make: { ts: createTsCore }, notes: [] };
  let binding: WasmBinding;
  try {
    const core = '../bindings/wasm-core.js', loader = '../bindings/load-node.js';
    binding = { ...(await import(core)), ...(await import(loader)) } as WasmBinding;
  } catch (e) {
    set.notes.push(`WASM core absent (bindings/wasm-core.js not importable: ${(e as Error).message.split('\n')[0]})`);
    return set;
  }
  for (const [name, build] of [['wasm', 'simd'], ['wasm-scalar', 'scalar']] as const) {
    try {
      const mod = binding.loadWasmModuleSync(build);
      set.make[name] = () => binding.createWasmCore(mod);
    } catch (e) {
      set.notes.push(`${name} absent (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return set;
}
