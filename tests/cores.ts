// The cores every suite runs against, chosen by option, never by copied test files:
// RINGROUTE_CORES=ts,wasm,wasm-scalar (the default is all three). Tests import the built package
// (dist/, build/), which `npm test` builds first: what is tested is what ships.
import type { Core } from '../dist/bindings/core.js';
import { createTsCore } from '../dist/bindings/ts-core/core.js';

export type CoreName = 'ts' | 'wasm' | 'wasm-scalar';
export interface CoreCase { name: CoreName; make: () => Core }

const names = (process.env.RINGROUTE_CORES ?? 'ts,wasm,wasm-scalar').split(',').map((s) => s.trim()) as CoreName[];
const wasm = names.some((n) => n !== 'ts')
  ? { ...(await import('../dist/bindings/wasm-core.js')), ...(await import('../dist/bindings/load-node.js')) }
  : null;

export const CORES: CoreCase[] = names.map((name) => {
  if (name === 'ts') return { name, make: createTsCore };
  if ((name !== 'wasm' && name !== 'wasm-scalar') || wasm === null) throw new Error(`RINGROUTE_CORES: unknown core ${name}`);
  const mod = wasm.loadWasmModuleSync(name === 'wasm' ? 'simd' : 'scalar');
  return { name, make: () => wasm.createWasmCore(mod) };
});
