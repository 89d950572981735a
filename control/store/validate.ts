// Argument checks shared by every RibStore backend (embedded.ts, etcd.ts), so that a call the
// embedded store accepts is one etcd accepts too, and a bad call fails the same way on both:
// StoreError INVALID naming the argument. The limits default to etcd 3.4's server defaults
// (--max-txn-ops 128, --max-request-bytes 1.5 MiB). Cost: O(size of the request), and
// O(puts × deletes) for the overlap check of a transaction (at most 128 × 128).

import { isWellFormed } from './keys.js';
import { StoreError, type Compare, type TxnOp } from './types.js';

export interface RequestLimits {
  /** Most operations in one transaction (etcd: --max-txn-ops, default 128). */
  maxTxnOps: number;
  /** Most bytes of keys and values in one request (etcd: --max-request-bytes, default 1.5 MiB). */
  maxRequestBytes: number;
}

export const ETCD_DEFAULT_LIMITS: RequestLimits = { maxTxnOps: 128, maxRequestBytes: 1536 * 1024 };

/**
 * The limits the control plane runs its stores with: a config set (up to 10,000 services) is
 * applied as one transaction of one op per changed service, plus its version record. An etcd
 * cluster behind `ringroute control` must be started with at least these:
 * `--max-txn-ops 16384 --max-request-bytes 16777216`.
 */
export const CONTROL_LIMITS: RequestLimits = { maxTxnOps: 16384, maxRequestBytes: 16 * 1024 * 1024 };

const show = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);

export function checkKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new StoreError('INVALID', `${what} must be a string, got ${typeof key}`);
  if (key.length === 0) throw new StoreError('INVALID', `${what} must not be empty`);
  if (!isWellFormed(key)) throw new StoreError('INVALID', `${what} ${show(key)} has an unpaired surrogate (not UTF-8 encodable)`);
}

export function checkPrefix(prefix: unknown, what = 'prefix'): asserts prefix is string {
  if (typeof prefix !== 'string') throw new StoreError('INVALID', `${what} must be a string, got ${typeof prefix}`);
  if (!isWellFormed(prefix)) throw new StoreError('INVALID', `${what} ${show(prefix)} has an unpaired surrogate (not UTF-8 encodable)`);
}

export function checkValue(value: unknown, key: string): asserts value is string {
  if (typeof value !== 'string') throw new StoreError('INVALID', `value of ${show(key)} must be a string, got ${typeof value}`);
  if (!isWellFormed(value)) throw new StoreError('INVALID', `value of ${show(key)} has an unpaired surrogate (not UTF-8 encodable)`);
}

/** A revision argument: an integer in [min, 2^53). */
export function checkRevision(rev: unknown, what: string, min: number): asserts rev is number {
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < min) {
    throw new StoreError('INVALID', `${what} must be an integer ≥ ${min}, got ${String(rev)}`);
  }
}

/**
 * Checks a transaction as etcd 3.4 does: at most maxTxnOps ops, no key put twice, no key both
 * put and deleted (by key or by prefix). Deletes may overlap each other.
 */
export function checkTxn(compares: readonly Compare[], ops: readonly TxnOp[], limits: RequestLimits): void {
  if (!Array.isArray(compares)) throw new StoreError('INVALID', 'txn compares must be an array');
  if (!Array.isArray(ops)) throw new StoreError('INVALID', 'txn ops must be an array');
  if (ops.length > limits.maxTxnOps) {
    throw new StoreError('INVALID', `txn has ${ops.length} ops, more than the limit of ${limits.maxTxnOps} (etcd --max-txn-ops)`);
  }
  let bytes = 0;
  for (const [i, c] of compares.entries()) {
    checkKey(c?.key, `txn compare[${i}].key`);
    checkRevision(c.modRevision, `txn compare[${i}].modRevision`, 0);
    bytes += Buffer.byteLength(c.key) + 16;
  }
  const puts = new Set<string>();
  const deletedKeys: string[] = [];
  const deletedPrefixes: string[] = [];
  for (const [i, op] of ops.entries()) {
    switch (op?.type) {
      case 'put':
        checkKey(op.key, `txn op[${i}].key`);
        checkValue(op.value, op.key);
        if (puts.has(op.key)) throw new StoreError('INVALID', `txn puts key ${show(op.key)} twice`);
        puts.add(op.key);
        bytes += Buffer.byteLength(op.key) + Buffer.byteLength(op.value) + 16;
        break;
      case 'delete':
        checkKey(op.key, `txn op[${i}].key`);
        deletedKeys.push(op.key);
        bytes += Buffer.byteLength(op.key) + 16;
        break;
      case 'deletePrefix':
        checkPrefix(op.prefix, `txn op[${i}].prefix`);
        deletedPrefixes.push(op.prefix);
        bytes += Buffer.byteLength(op.prefix) + 16;
        break;
      default:
        throw new StoreError('INVALID', `txn op[${i}] has unknown type ${JSON.stringify((op as { type?: unknown })?.type)}`);
    }
  }
  for (const k of deletedKeys) {
    if (puts.has(k)) throw new StoreError('INVALID', `txn both puts and deletes key ${show(k)}`);
  }
  for (const p of deletedPrefixes) {
    for (const k of puts) {
      if (k.startsWith(p)) throw new StoreError('INVALID', `txn puts key ${show(k)} and deletes its prefix ${show(p)}`);
    }
  }
  if (bytes > limits.maxRequestBytes) {
    throw new StoreError('INVALID', `txn is about ${bytes} bytes, more than the limit of ${limits.maxRequestBytes} (etcd --max-request-bytes)`);
  }
}

export function checkLimits(limits: Partial<RequestLimits> | undefined): RequestLimits {
  const out = { ...ETCD_DEFAULT_LIMITS, ...limits };
  checkRevision(out.maxTxnOps, 'maxTxnOps', 1);
  checkRevision(out.maxRequestBytes, 'maxRequestBytes', 1);
  return out;
}
