// Key order and the ordered key set of the embedded store (embedded.ts); the key checks shared
// by every backend (validate.ts).
//
// Keys are ordered by Unicode code point, which is the order of their UTF-8 bytes and so etcd's
// order: JavaScript's `<` compares UTF-16 code units and would put U+FF00 after U+1F600.
// `SortedKeys` is a list of sorted leaves of at most LEAF_MAX keys (a two-level B-tree): insert
// and delete cost O(log n + LEAF_MAX), finding the first key ≥ a prefix O(log n), and walking k
// keys from there O(k). With a million keys that is ~1,000 leaves; no operation touches them all.

const LEAF_MAX = 1024;

/** Maps a UTF-16 code unit so that unit order becomes code point order (surrogates above U+FFFF). */
const rank = (u: number): number => (u < 0xd800 ? u : u >= 0xe000 ? u - 0x800 : u + 0x2000);

/** Negative, zero or positive as `a` sorts before, with or after `b` in UTF-8 byte order. O(common prefix). */
export function compareKeys(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no unpaired surrogate, i.e. it has a UTF-8 encoding. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Index of the first element of sorted `arr` that is ≥ key. O(log arr.length). */
function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A set of distinct keys kept in compareKeys order. */
export class SortedKeys {
  private leaves: string[][] = [];
  private count = 0;

  /** Builds the set from keys already sorted and distinct (a snapshot's). O(n). */
  static fromSorted(keys: readonly string[]): SortedKeys {
    const s = new SortedKeys();
    const half = LEAF_MAX >>> 1;
    for (let i = 0; i < keys.length; i += half) s.leaves.push(keys.slice(i, i + half));
    s.count = keys.length;
    return s;
  }

  get size(): number {
    return this.count;
  }

  /** The leaf that holds `key` or would: the first whose last key is ≥ key, else the last one. */
  private leafFor(key: string): number {
    const leaves = this.leaves;
    let lo = 0;
    let hi = leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const leaf = leaves[mid]!;
      if (compareKeys(leaf[leaf.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `key`; false if it was there already. */
  insert(key: string): boolean {
    if (this.leaves.length === 0) {
      this.leaves.push([key]);
      this.count = 1;
      return true;
    }
    const li = this.leafFor(key);
    const leaf = this.leaves[li]!;
    const at = lowerBound(leaf, key);
    if (at < leaf.length && leaf[at] === key) return false;
    leaf.splice(at, 0, key);
    this.count++;
    if (leaf.length > LEAF_MAX) this.leaves.splice(li, 1, leaf.slice(0, leaf.length >>> 1), leaf.slice(leaf.length >>> 1));
    return true;
  }

  /** Removes `key`; false if it was not there. */
  delete(key: string): boolean {
    if (this.leaves.length === 0) return false;
    const li = this.leafFor(key);
    const leaf = this.leaves[li]!;
    const at = lowerBound(leaf, key);
    if (at >= leaf.length || leaf[at] !== key) return false;
    leaf.splice(at, 1);
    this.count--;
    if (leaf.length === 0) this.leaves.splice(li, 1);
    return true;
  }

  /** Keys ≥ `start` in order. The set must not change while the iterator is in use. */
  *from(start: string): IterableIterator<string> {
    if (this.leaves.length === 0) return;
    let li = this.leafFor(start);
    let at = lowerBound(this.leaves[li]!, start);
    for (; li < this.leaves.length; li++, at = 0) {
      const leaf = this.leaves[li]!;
      for (; at < leaf.length; at++) yield leaf[at]!;
    }
  }

  /** Every key starting with `prefix`, in order. O(log n + result). */
  withPrefix(prefix: string): string[] {
    const out: string[] = [];
    for (const k of this.from(prefix)) {
      if (!k.startsWith(prefix)) break;
      out.push(k);
    }
    return out;
  }
}
