// The Core of bindings/core.ts over ringroute.wasm's flat ABI (spec/abi.md). The module imports
// nothing: instantiation needs no loader and no glue, and this file imports nothing of a runtime's
// own (no node:fs): it runs wherever WebAssembly does. Getting the module is the host's part
// (bindings/load-node.ts reads build/ from disk for Node, Deno and Bun). Views into linear memory are re-created
// whenever `memory.buffer` changes (it does after a grow inside rr_alloc / rr_load).
// Cost: load() is O(buffer) (one copy in, the core's validation); route() is one call across the
// boundary; routeBatch() packs requests into the module's scratch area in chunks.
import type { Core } from './core.js';
import { OUT_OF_MEMORY, RingrouteError, SECTION_MISSING } from './errors.js';
import * as L from './layout.js';

interface Exports {
  memory: WebAssembly.Memory;
  rr_alloc(size: number): number;
  rr_free(ptr: number): void;
  rr_load(ptr: number, len: number): number;
  rr_error_detail(): number;
  rr_loaded(): number;
  rr_generation_lo(): number;
  rr_generation_hi(): number;
  rr_service_count(): number;
  rr_service_find(namePtr: number, nameLen: number): number;
  rr_server_count(svc: number): number;
  rr_server_first(svc: number): number;
  rr_loads(): number;
  rr_route(svc: number, flags: number, keyHash: number): number;
  rr_route_other(): number;
  rr_route_batch(reqPtr: number, count: number, outPtr: number, track: number): void;
  rr_scratch(): number;
  rr_scratch_size(): number;
  rr_rng_state(): number;
  rr_set_rng_state(state: number): void;
  rr_xxh32(ptr: number, len: number, seed: number): number;
  rr_ln(x: number): number;
}

const REQUEST_BYTES = 12;
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** A Core over a fresh instance of `module` (one instance = one router = one RNG stream). */
export function createWasmCore(module: WebAssembly.Module): Core {
  const x = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  const scratch = x.rr_scratch();
  const scratchSize = x.rr_scratch_size();

  let buffer: ArrayBuffer | null = null;
  let bytes = new Uint8Array(0);
  let mem = new DataView(new ArrayBuffer(0));
  let loadsView = new Float64Array(0);
  let loadsPtr = -1;
  let total = 0; // servers of the data in force: the load table's length
  const refresh = (): void => {
    if (x.memory.buffer !== buffer) {
      buffer = x.memory.buffer;
      bytes = new Uint8Array(buffer);
      mem = new DataView(buffer);
      loadsPtr = -1;
    }
    const p = x.rr_loads();
    if (p !== loadsPtr) {
      loadsPtr = p;
      loadsView = new Float64Array(buffer!, p, p === 0 ? 0 : total);
    }
  };
  refresh();

  // the data in force is the miniRIB the core keeps in its memory: ids are decoded from there,
  // lazily (a sparse cache: a 1,000,000-server service costs nothing until its ids are asked for)
  let idsAt = 0, strAt = 0; // addresses of SERVER_IDS and STRINGS in linear memory
  let ids = new Map<number, string>();
  const names = new Map<string, number>();

  /** The table entry of a section kind in the miniRIB at `ptr` (one the core accepted). */
  const sectionEntry = (ptr: number, kind: number): number => {
    const count = mem.getUint32(ptr + L.H_SECTION_COUNT, true);
    for (let e = 0; e < count; e++) {
      const at = ptr + L.HEADER_SIZE + e * L.SECTION_ENTRY_SIZE;
      if (mem.getUint32(at + L.SE_KIND, true) === kind) return at;
    }
    throw new RingrouteError(SECTION_MISSING, `[${kind}]`); // unreachable: the core checked it
  };

  const core: Core = {
    kind: 'wasm',

    load(buf: Uint8Array): void {
      const ptr = x.rr_alloc(buf.length);
      if (ptr === 0) throw new RingrouteError(OUT_OF_MEMORY, `${buf.length} bytes`);
      refresh();
      bytes.set(buf, ptr);
      const code = x.rr_load(ptr, buf.length);
      if (code !== 0) {
        const detail = x.rr_error_detail() >>> 0;
        x.rr_free(ptr);
        refresh();
        throw new RingrouteError(code, detail === 0xffffffff ? '' : `at ${detail}`); // as the TS core words it
      }
      // the core owns the block at ptr now (it frees it when a later load replaces it)
      refresh();
      const idsEntry = sectionEntry(ptr, L.S_SERVER_IDS);
      idsAt = ptr + mem.getUint32(idsEntry + L.SE_OFFSET, true);
      total = mem.getUint32(idsEntry + L.SE_COUNT, true);
      strAt = ptr + mem.getUint32(sectionEntry(ptr, L.S_STRINGS) + L.SE_OFFSET, true);
      ids = new Map();
      names.clear();
      loadsPtr = -1;
      refresh();
    },

    loaded: () => x.rr_loaded() === 1,

    generation: () => (BigInt(x.rr_generation_hi() >>> 0) << 32n) | BigInt(x.rr_generation_lo() >>> 0),

    serviceCount: () => x.rr_service_count(),

    serviceIndex(name: string): number {
      const known = names.get(name);
      if (known !== undefined) return known;
      const encoded = utf8Encoder.encode(name);
      if (encoded.length > scratchSize) return -1;
      refresh();
      bytes.set(encoded, scratch);
      const svc = x.rr_service_find(scratch, encoded.length);
      if (svc >= 0) names.set(name, svc);
      return svc;
    },

    serverCount: (svc: number) => x.rr_server_count(svc),

    serverFirst: (svc: number) => x.rr_server_first(svc),

    serverId(svc: number, i: number): string {
      if (i < 0 || i >= x.rr_server_count(svc) || total === 0) throw new RangeError(`no server ${i} in service ${svc}`);
      const g = x.rr_server_first(svc) + i;
      let id = ids.get(g);
      if (id === undefined) {
        refresh();
        const off = mem.getUint32(idsAt + g * L.SERVER_IDS_ENTRY + L.STR_OFF, true);
        const len = mem.getUint32(idsAt + g * L.SERVER_IDS_ENTRY + L.STR_LEN, true);
        id = utf8Decoder.decode(bytes.subarray(strAt + off, strAt + off + len));
        ids.set(g, id);
      }
      return id;
    },

    route: (svc: number, flags: number, keyHash: number) => x.rr_route(svc, flags, keyHash),
    routeOther: () => x.rr_route_other(),

    routeBatch(svc: Int32Array, flags: Int32Array, keyHash: Uint32Array, out: Int32Array, track: boolean): void {
      const n = out.length;
      // the scratch area holds `chunk` requests (12 bytes) and their answers (4 bytes)
      const chunk = Math.floor(scratchSize / (REQUEST_BYTES + 4));
      const outPtr = scratch + chunk * REQUEST_BYTES;
      refresh();
      const u32 = new Uint32Array(buffer!, scratch, chunk * 3);
      const answers = new Int32Array(buffer!, outPtr, chunk);
      for (let start = 0; start < n; start += chunk) {
        const m = Math.min(chunk, n - start);
        for (let j = 0; j < m; j++) {
          u32[3 * j] = svc[start + j];
          u32[3 * j + 1] = flags[start + j];
          u32[3 * j + 2] = keyHash[start + j];
        }
        x.rr_route_batch(scratch, m, outPtr, track ? 1 : 0);
        out.set(answers.subarray(0, m), start);
      }
    },

    loads(): Float64Array {
      refresh();
      return loadsView;
    },

    rngState: () => x.rr_rng_state() >>> 0,

    setRngState: (state: number) => x.rr_set_rng_state(state >>> 0),
  };
  return core;
}
