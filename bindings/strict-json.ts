// A small strict JSON reader for the JSON form of load reports (bindings/orca.ts). Unlike
// JSON.parse it refuses a key repeated in an object (RFC 8259 leaves that open; protobuf's JSON
// parsers refuse it), makes objects Maps (so no key, "__proto__" included, touches a prototype),
// limits nesting, and says where the text is wrong. Failures are JsonError with code SYNTAX or
// DUPLICATE. Pure and runtime-neutral.
// Cost: O(text length), one pass, no backtracking.
// Used by: bindings/orca.ts.

export class JsonError extends Error {
  constructor(readonly code: 'SYNTAX' | 'DUPLICATE', readonly reason: string) {
    super(reason);
  }
}
function fail(code: 'SYNTAX' | 'DUPLICATE', reason: string): never {
  throw new JsonError(code, reason);
}
const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

export type Json = number | string | boolean | null | Json[] | Map<string, Json>;
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_JSON_DEPTH = 16;
const JSON_ESCAPES = new Map([['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t']]);

class JsonReader {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  at(): string {
    return this.i < this.s.length ? `"${this.s[this.i]}" at ${this.i}` : 'the end';
  }

  value(depth: number): Json {
    if (depth > MAX_JSON_DEPTH) fail('SYNTAX', `JSON nested deeper than ${MAX_JSON_DEPTH}`);
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      JSON_NUMBER.lastIndex = this.i;
      const m = JSON_NUMBER.exec(this.s);
      if (!m) fail('SYNTAX', `invalid JSON number at ${this.i}`);
      this.i += m[0].length;
      return Number(m[0]);
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    fail('SYNTAX', `invalid JSON: unexpected ${this.at()}`);
  }

  object(depth: number): Map<string, Json> {
    const out = new Map<string, Json>();
    this.i++; // {
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') fail('SYNTAX', `invalid JSON: expected a key, found ${this.at()}`);
      const key = this.string();
      if (out.has(key)) fail('DUPLICATE', `JSON key "${clip(key)}" appears twice`);
      this.ws();
      if (this.s[this.i] !== ':') fail('SYNTAX', `invalid JSON: expected ":" after "${clip(key)}", found ${this.at()}`);
      this.i++;
      out.set(key, this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        fail('SYNTAX', `invalid JSON: expected "," or "}", found ${this.at()}`);
      }
    }
  }

  array(depth: number): Json[] {
    const out: Json[] = [];
    this.i++; // [
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        fail('SYNTAX', `invalid JSON: expected "," or "]", found ${this.at()}`);
      }
    }
  }

  string(): string {
    const s = this.s;
    const start = ++this.i; // opening quote
    let out = '';
    let from = start;
    for (;;) {
      if (this.i >= s.length) fail('SYNTAX', `invalid JSON: unterminated string at ${start - 1}`);
      const c = s.charCodeAt(this.i);
      if (c === 0x22) { // "
        out += s.slice(from, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) fail('SYNTAX', `invalid JSON: control character in a string at ${this.i}`);
      if (c === 0x5c) { // backslash
        out += s.slice(from, this.i);
        const e = s[this.i + 1];
        const simple = e === undefined ? undefined : JSON_ESCAPES.get(e);
        if (simple !== undefined) {
          out += simple;
          this.i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          fail('SYNTAX', `invalid JSON: bad escape at ${this.i}`);
        }
        from = this.i;
        continue;
      }
      this.i++;
    }
  }
}

/** The one JSON value that is `text` (whitespace around it allowed); throws JsonError. */
export function readJson(text: string): Json {
  const reader = new JsonReader(text);
  reader.ws();
  if (reader.i >= text.length) fail('SYNTAX', 'invalid JSON: no value');
  const v = reader.value(0);
  reader.ws();
  if (reader.i < text.length) fail('SYNTAX', `invalid JSON: trailing ${reader.at()}`);
  return v;
}

/** "a number", "an object", "null", ... for messages. */
export const jsonType = (v: Json): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : v instanceof Map ? 'an object' : `a ${typeof v}`;
