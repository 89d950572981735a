// The protobuf wire format and base64, as much of them as the BIN form of load reports needs
// (bindings/orca.ts): base64 in both alphabets with optional padding (gRPC sends -bin values
// unpadded), a reader of varints, doubles, length-delimited spans and skippable unknown fields,
// and a writer. Failures are WireError with code BASE64 or PROTO, naming the byte at fault.
// Pure and runtime-neutral. Cost: O(bytes).
// Used by: bindings/orca.ts.

export class WireError extends Error {
  constructor(readonly code: 'BASE64' | 'PROTO', readonly reason: string) {
    super(reason);
  }
}
function fail(code: 'BASE64' | 'PROTO', reason: string): never {
  throw new WireError(code, reason);
}

const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => { B64[c.charCodeAt(0)] = i; });
B64['-'.charCodeAt(0)] = 62;
B64['_'.charCodeAt(0)] = 63;
const B64_OUT = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 in the standard or URL-safe alphabet, padding optional; throws WireError BASE64. */
export function decodeBase64(s: string): Uint8Array {
  let n = s.length;
  if (s.endsWith('==')) n -= 2;
  else if (s.endsWith('=')) n -= 1;
  if (n % 4 === 1) fail('BASE64', `the BIN value has ${s.length} characters, not a base64 length`);
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64[c]! : -1;
    if (v < 0) fail('BASE64', `the BIN value has "${s[i]}" at ${i}, not a base64 character`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Standard base64 with padding. */
export function encodeBase64(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64_OUT[v >> 18]! + B64_OUT[(v >> 12) & 63]! + B64_OUT[(v >> 6) & 63]! + B64_OUT[v & 63]!;
  }
  if (i < b.length) {
    const v = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    out += B64_OUT[v >> 18]! + B64_OUT[(v >> 12) & 63]!;
    out += i + 1 < b.length ? `${B64_OUT[(v >> 6) & 63]!}=` : '==';
  }
  return out;
}

/** Wire type names, for messages. */
export const WIRE = ['varint', '64-bit', 'length-delimited', 'start-group', 'end-group', '32-bit', 'invalid (6)', 'invalid (7)'];

/** Reads protobuf wire data in [start, end) of `b`; throws WireError PROTO. */
export class ProtoReader {
  p: number;
  constructor(readonly b: Uint8Array, readonly view: DataView, start: number, readonly end: number) {
    this.p = start;
  }

  varint(): number {
    let v = 0, mul = 1;
    for (let k = 0; k < 10; k++) {
      if (this.p >= this.end) fail('PROTO', `truncated varint at byte ${this.p}`);
      const byte = this.b[this.p++]!;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) return v;
      mul *= 128;
    }
    fail('PROTO', `varint longer than 10 bytes at byte ${this.p - 10}`);
  }

  double(): number {
    if (this.p + 8 > this.end) fail('PROTO', `truncated double at byte ${this.p}`);
    const v = this.view.getFloat64(this.p, true);
    this.p += 8;
    return v;
  }

  /** The [start, end) of a length-delimited value. */
  span(): [number, number] {
    const len = this.varint();
    if (len > this.end - this.p) fail('PROTO', `length ${len} at byte ${this.p} runs past the end`);
    const s = this.p;
    this.p += len;
    return [s, this.p];
  }

  skip(wire: number, field: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.need(8);
    else if (wire === 2) this.span();
    else if (wire === 5) this.need(4);
    else fail('PROTO', `field ${field} has wire type ${WIRE[wire]}, which an OrcaLoadReport never uses`);
  }

  need(n: number): void {
    if (this.p + n > this.end) fail('PROTO', `truncated field at byte ${this.p}`);
    this.p += n;
  }

  tag(): [field: number, wire: number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0 || field > 0x1fffffff) fail('PROTO', `invalid field number ${field} at byte ${this.p}`);
    return [field, t % 8];
  }
}

/** Appends protobuf wire data; finish() gives the bytes. */
export class ProtoWriter {
  private readonly out: number[] = [];
  private readonly scratch = new DataView(new ArrayBuffer(8));

  varint(v: number): this {
    while (v >= 128) {
      this.out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.out.push(v);
    return this;
  }

  double(v: number): this {
    this.scratch.setFloat64(0, v, true);
    for (let k = 0; k < 8; k++) this.out.push(this.scratch.getUint8(k));
    return this;
  }

  bytes(b: Uint8Array): this {
    this.varint(b.length);
    for (const x of b) this.out.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** The bytes a varint of `v` takes. */
export function varintLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
