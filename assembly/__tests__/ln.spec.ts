import { ln, lnOfHash } from '../ln';

// Expected bits computed in Node with bindings/ts-core/ln.ts.
function bits(x: f64): u64 { return reinterpret<u64>(x); }

describe('ln', () => {
  it('gives ln(1) = 0 and ln(0.5) = −LN2 to the last bit', () => {
    expect<f64>(ln(1.0)).toBe(0.0);
    expect<u64>(bits(ln(0.5))).toBe(0xbfe62e42fefa39ef);
    expect<u64>(bits(ln(0.25))).toBe(0xbff62e42fefa39ef);
  });
  it('matches bindings/ts-core/ln.ts across the range', () => {
    expect<u64>(bits(ln(0.1))).toBe(0xc0026bb1bbb55515);
    expect<u64>(bits(ln(0.7071067811865476))).toBe(0xbfd62e42fefa39ee);
    expect<u64>(bits(ln(0.7071067811865477))).toBe(0xbfd62e42fefa39eb);
    expect<u64>(bits(ln(1e-300))).toBe(0xc085963447f87fb5);
    expect<u64>(bits(ln(2.3283064365386963e-10))).toBe(0xc0362e42fefa39ef);
    expect<u64>(bits(ln(0.9999999998835847))).toBe(0xbde0000000040000);
    expect<u64>(bits(ln(0.123456789))).toBe(0xc000bc233add5d72);
    expect<u64>(bits(ln(0.999))).toBe(0xbf5064670d979b73);
  });
  it('differs from Math.log in the last bit where the spec says it does', () => {
    // u = (h + 0.5) / 2^32 for hashes where V8's Math.log (fdlibm) rounds the other way
    expect<u64>(bits(lnOfHash(3463783424))).toBe(0xbfcb87d28feeea92);
    expect<u64>(bits(lnOfHash(3376177152))).toBe(0xbfcecf410924871b);
    expect<u64>(bits(lnOfHash(3223314432))).toBe(0xbfd25ec2f2b93df5);
    expect<u64>(bits(lnOfHash(3386871872))).toBe(0xbfce679e6e75cac8);
  });
});
