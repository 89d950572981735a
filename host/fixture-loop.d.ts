// Types of host/fixture-loop.js (plain JavaScript so that every runtime imports it as it is).
import type { Core } from '../bindings/core.js';

/** The answer for one fixture through the module's flat ABI on a fresh instance. */
export function fixtureFlatAbi(module: WebAssembly.Module, rib: Uint8Array, run: Uint8Array): string;
/** The answer for one fixture through the typed core; `makeCore()` gives a fresh one. */
export function fixtureCore(makeCore: () => Core, rib: Uint8Array, run: Uint8Array): string;
