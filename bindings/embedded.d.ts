// dist/bindings/embedded.js is written by scripts/embed-wasm.mjs during `npm run build`, from
// build/ringroute.wasm: the module as base64 (for bundlers and runtimes without a file system),
// stamped with the SHA-256 of its bytes so that a copy that does not match is refused.
/** build/ringroute.wasm, base64. */
export declare const WASM_BASE64: string;
/** SHA-256 of the module's bytes, 64 hex digits. */
export declare const WASM_SHA256: string;
/** Size of the module in bytes. */
export declare const WASM_BYTES: number;
