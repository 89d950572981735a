// The entry for browsers, Web Workers, workerd and bundlers: the embedded module (checked against
// its SHA-256 stamp), init()/initSync() from every kind of source, and the exports map.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RingrouteError } from '../dist/bindings/errors.js';
import { embeddedBytes } from '../dist/bindings/load-web.js';
import { sha256Hex } from '../dist/bindings/sha256.js';
import { Rng } from '../dist/bindings/ts-core/rng.js';
import * as web from '../dist/bindings/index.web.js';

const sample = JSON.parse(readFileSync('examples/sample-rib.json', 'utf8'));

describe('sha256', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('known answer for %j', (s, want) => {
    expect(sha256Hex(new TextEncoder().encode(s))).toBe(want);
  });
  it('agrees with node:crypto on every length around the block edges', () => {
    const rng = new Rng(5);
    for (let n = 0; n < 300; n++) {
      const data = Uint8Array.from({ length: n }, () => rng.below(256));
      expect(sha256Hex(data), `length ${n}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('the web entry', () => {
  it('embeds build/ringroute.wasm byte for byte', () => {
    expect(Buffer.from(embeddedBytes()).equals(readFileSync('build/ringroute.wasm'))).toBe(true);
  });
  it('refuses an embedded copy that does not match its stamp', () => {
    const wasm = readFileSync('build/ringroute.wasm');
    const tampered = Buffer.from(wasm);
    tampered[tampered.length - 1] ^= 1;
    const stamp = createHash('sha256').update(wasm).digest('hex');
    expect(() => embeddedBytes(tampered.toString('base64'), stamp)).toThrow(RingrouteError);
    expect(() => embeddedBytes(tampered.toString('base64'), stamp)).toThrow(/does not match its stamp/);
  });
  it('routes with the embedded module, the same as the Node entry', async () => {
    const node = await import('../dist/bindings/index.js');
    const a = await web.createRouter({ ...structuredClone(sample) });
    const b = await node.createRouter({ ...structuredClone(sample) });
    for (let i = 0; i < 200; i++) {
      const req = i % 2 ? { service: 'web' } : { service: 'kv', key: `user:${i}` };
      expect(a.route(req).server).toBe(b.route(req).server);
    }
  });
  it.each([
    ['bytes', () => new Uint8Array(readFileSync('build/ringroute.wasm'))],
    ['a compiled module', () => new WebAssembly.Module(readFileSync('build/ringroute.wasm'))],
    ['a Response', () => new Response(readFileSync('build/ringroute.wasm'), { headers: { 'content-type': 'application/wasm' } })],
  ])('loads the module from %s', async (_what, source) => {
    const mod = await web.loadWasmModule(source() as never);
    expect(WebAssembly.Module.exports(mod).some((e) => e.name === 'rr_route')).toBe(true);
  });
  it('init() compiles once', async () => {
    expect(await web.init()).toBe(await web.init());
    expect(web.initSync()).toBe(await web.init());
  });
});

describe('package.json exports', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  it.each(['workerd', 'browser', 'deno', 'bun', 'node', 'default'])('the %s condition points at a built entry', (cond) => {
    const target = pkg.exports['.'][cond];
    expect(existsSync(target.default)).toBe(true);
    expect(existsSync(target.types)).toBe(true);
  });
  it('browsers, workerd and bundlers get an entry whose whole import graph has no node: import', () => {
    for (const cond of ['workerd', 'browser', 'default']) expect(pkg.exports['.'][cond].default).toBe('./dist/bindings/index.web.js');
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export) [^;]*? from '([^']+)';$/gms)) {
        expect(m[1], `${file} imports ${m[1]}`).toMatch(/^\.\.?\//);
        visit(new URL(m[1], `file://${process.cwd()}/${file}`).pathname.slice(process.cwd().length + 1));
      }
    };
    visit('dist/bindings/index.web.js');
    expect(seen.size).toBeGreaterThan(10);
  });
});
