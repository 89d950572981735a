// The module for runtimes without a file system of their own (browsers, Web Workers, workerd,
// bundlers): fetched and compiled while it streams, handed over as bytes or as a compiled module
// (workerd compiles no bytes at run time: import the .wasm as a module there), or taken from the
// copy embedded in the package, which is checked against its SHA-256 first.
import { WASM_BASE64, WASM_BYTES, WASM_SHA256 } from './embedded.js';
import { BAD_OPTIONS, RingrouteError } from './errors.js';
import { sha256Hex } from './sha256.js';

/** What init() takes: nothing (the embedded copy), a URL to fetch, a Response, bytes, or a compiled module. */
export type WasmSource = undefined | string | URL | Response | ArrayBuffer | Uint8Array | WebAssembly.Module;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The embedded copy's bytes, refused unless their SHA-256 is the one stamped next to them. */
export function embeddedBytes(base64 = WASM_BASE64, sha256 = WASM_SHA256): Uint8Array {
  const bytes = decodeBase64(base64);
  const got = sha256Hex(bytes);
  if (bytes.length !== WASM_BYTES && base64 === WASM_BASE64) {
    throw new RingrouteError(BAD_OPTIONS, `embedded ringroute.wasm is ${bytes.length} bytes, expected ${WASM_BYTES}`);
  }
  if (got !== sha256) {
    throw new RingrouteError(BAD_OPTIONS, `embedded ringroute.wasm does not match its stamp (sha256 ${got}, expected ${sha256})`);
  }
  return bytes;
}

/** Compiles the module from `source` (default: the embedded copy). Streams when given a URL or Response. */
export async function loadWasmModule(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) return WebAssembly.compile(embeddedBytes() as BufferSource);
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return WebAssembly.compile(source as BufferSource);
  const response = source instanceof Response ? source : await fetch(source);
  if (!response.ok) throw new RingrouteError(BAD_OPTIONS, `fetching ringroute.wasm: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** The same without a promise, where the runtime allows synchronous compiles (not workerd; browsers only for small modules off the main thread). */
export function loadWasmModuleSync(source?: Exclude<WasmSource, string | URL | Response>): WebAssembly.Module {
  if (source instanceof WebAssembly.Module) return source;
  return new WebAssembly.Module((source ?? embeddedBytes()) as BufferSource);
}
