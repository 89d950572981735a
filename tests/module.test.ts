// The shipped modules: one flat ABI, no imports (a C host or any runtime instantiates them with
// nothing), the exports spec/abi.md lists, and a size that stays small.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ABI = [
  'memory', 'rr_alloc', 'rr_free', 'rr_load', 'rr_error_detail', 'rr_loaded', 'rr_generation_lo', 'rr_generation_hi',
  'rr_service_count', 'rr_service_find', 'rr_server_count', 'rr_server_first', 'rr_loads', 'rr_route', 'rr_route_other',
  'rr_route_batch', 'rr_scratch', 'rr_scratch_size', 'rr_rng_state', 'rr_set_rng_state', 'rr_xxh32', 'rr_ln',
];

describe.each(['build/ringroute.wasm', 'build/ringroute.scalar.wasm'])('%s', (file) => {
  const bytes = readFileSync(file);
  const mod = new WebAssembly.Module(bytes);
  it('imports nothing', () => {
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
  });
  it('exports exactly the ABI of spec/abi.md', () => {
    expect(WebAssembly.Module.exports(mod).map((e) => e.name).sort()).toEqual([...ABI].sort());
  });
  it('stays within 32 KiB gzip', () => {
    expect(gzipSync(bytes).length).toBeLessThanOrEqual(32 * 1024);
  });
});

describe('the WASM adapter', () => {
  it('imports nothing of a runtime of its own (it must load in browsers and workerd)', () => {
    const imports = [...readFileSync('dist/bindings/wasm-core.js', 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((p) => !p.startsWith('./'))).toEqual([]);
  });
});
