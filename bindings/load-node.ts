// The module from disk, for Node, Deno and Bun: build/ringroute.wasm (v128),
// build/ringroute.scalar.wasm, or build/ringroute.shared.wasm (the shared-memory build of
// bindings/shared.ts), next to the package's dist/. Compiled once per call; callers keep
// the WebAssembly.Module and create one core (one instance, one router) per router from it.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type WasmVariant = 'simd' | 'scalar' | 'shared';

const FILES: Record<WasmVariant, string> = {
  simd: '../../build/ringroute.wasm',
  scalar: '../../build/ringroute.scalar.wasm',
  shared: '../../build/ringroute.shared.wasm',
};

/** The compiled module (read from build/ next to dist/). */
export async function loadWasmModule(variant: WasmVariant = 'simd'): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(new URL(FILES[variant], import.meta.url)));
}

/** loadWasmModule, synchronously. */
export function loadWasmModuleSync(variant: WasmVariant = 'simd'): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL(FILES[variant], import.meta.url)));
}
