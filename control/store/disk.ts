// The embedded store's files (embedded.ts is the only caller): the write-ahead log `wal` and the
// snapshot `snapshot`, both sequences of checksummed frames (frames.ts).
//
// WAL: one frame per revision, payload JSON {"r": revision, "e": [[key, value] | [key], ...]}
// (a put or a delete per event, in the order the transaction made them). Appends of a group
// commit go out in one write and one fdatasync. Opening scans the file: a torn last frame (a
// crash mid-append) is cut off; damage in the middle is StoreError CORRUPT.
// Snapshot: frames {"v":1,"revision":R,"keys":N}, then chunks [[key, value, createRevision,
// modRevision, version], ...] in key order, then {"end":true,"keys":N}. Written to snapshot.tmp,
// fdatasync'ed, renamed over `snapshot`, and the directory fsync'ed, so a crash leaves either
// the old snapshot or the new one. Costs: append O(bytes); open O(file size); snapshot O(keys).

import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFrame, scanFrames } from './frames.js';
import { compareKeys } from './keys.js';
import { StoreError, type KeyValue } from './types.js';

export const WAL_FILE = 'wal';
export const SNAPSHOT_FILE = 'snapshot';
export const SNAPSHOT_TMP_FILE = 'snapshot.tmp';

/** One event of a logged revision: [key, value] is a put, [key] a delete. */
export type Change = [key: string, value: string] | [key: string];

export interface LogRecord {
  revision: number;
  changes: Change[];
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isRev = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

function parse(payload: Buffer, where: string): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new StoreError('CORRUPT', `${where}: checksum is right but the payload is not JSON (${(e as Error).message})`);
  }
}

export function encodeRecord(r: LogRecord): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify({ r: r.revision, e: r.changes })));
}

function decodeRecord(payload: Buffer, where: string): LogRecord {
  const o = parse(payload, where) as { r?: unknown; e?: unknown };
  const ok = isRev(o?.r) && Array.isArray(o.e) && o.e.length > 0
    && o.e.every((c) => Array.isArray(c) && (c.length === 1 || c.length === 2) && c.every(isStr));
  if (!ok) throw new StoreError('CORRUPT', `${where}: not a log record (want {"r": revision, "e": [[key, value] | [key], ...]})`);
  return { revision: o.r as number, changes: o.e as Change[] };
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

/** fsync of a directory, so a rename or a new file in it survives a crash (a no-op on Windows). */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The open write-ahead log, positioned for appends. */
export class Wal {
  private constructor(private fh: FileHandle | null, readonly path: string, private size: number) {}

  /**
   * Reads the log at dir/wal (creating it if missing), cuts off a torn last frame, and opens it
   * for appends. Returns the records in file order and what was cut off, if anything.
   */
  static async open(dir: string): Promise<{ wal: Wal; records: LogRecord[]; torn?: string }> {
    const path = join(dir, WAL_FILE);
    const buf = await readIfExists(path);
    const scan = buf ? scanFrames(buf, path) : { frames: [], validBytes: 0 };
    const records = scan.frames.map((f) => decodeRecord(f.payload, `${path}: frame at byte ${f.offset}`));
    if (buf && scan.validBytes < buf.length) {
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(scan.validBytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
    const fh = await open(path, 'a');
    if (!buf) await fsyncDir(dir);
    return { wal: new Wal(fh, path, scan.validBytes), records, torn: 'torn' in scan ? scan.torn : undefined };
  }

  get bytes(): number {
    return this.size;
  }

  /** Appends the records and returns once they are on disk (one write, one fdatasync). */
  async append(records: readonly LogRecord[]): Promise<void> {
    if (!this.fh) throw new StoreError('CLOSED', `${this.path} is closed`);
    const buf = records.length === 1 ? encodeRecord(records[0]!) : Buffer.concat(records.map(encodeRecord));
    await writeAll(this.fh, buf);
    await this.fh.datasync();
    this.size += buf.length;
  }

  /** Empties the log (after a snapshot made its records redundant). */
  async reset(): Promise<void> {
    if (!this.fh) throw new StoreError('CLOSED', `${this.path} is closed`);
    await this.fh.truncate(0);
    await this.fh.datasync();
    this.size = 0;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}

const SNAPSHOT_CHUNK_KEYS = 4096;
const SNAPSHOT_WRITE_BYTES = 1 << 20;

/** Writes a snapshot of `count` key-values (given in key order) at `revision`, atomically. */
export async function writeSnapshot(dir: string, revision: number, count: number, kvs: Iterable<KeyValue>): Promise<void> {
  const tmp = join(dir, SNAPSHOT_TMP_FILE);
  const fh = await open(tmp, 'w');
  try {
    let pending: Buffer[] = [encodeFrame(Buffer.from(JSON.stringify({ v: 1, revision, keys: count })))];
    let pendingBytes = pending[0]!.length;
    let chunk: unknown[] = [];
    let written = 0;
    const flushChunk = async (force: boolean): Promise<void> => {
      if (chunk.length > 0) {
        const f = encodeFrame(Buffer.from(JSON.stringify(chunk)));
        pending.push(f);
        pendingBytes += f.length;
        chunk = [];
      }
      if (pendingBytes >= SNAPSHOT_WRITE_BYTES || (force && pendingBytes > 0)) {
        await writeAll(fh, Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
    };
    for (const kv of kvs) {
      chunk.push([kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version]);
      written++;
      if (chunk.length >= SNAPSHOT_CHUNK_KEYS) await flushChunk(false);
    }
    if (written !== count) throw new Error(`snapshot: ${written} key-values given, ${count} announced`);
    await flushChunk(false);
    const end = encodeFrame(Buffer.from(JSON.stringify({ end: true, keys: count })));
    pending.push(end);
    pendingBytes += end.length;
    await flushChunk(true);
    await fh.datasync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, join(dir, SNAPSHOT_FILE));
  await fsyncDir(dir);
}

/** Reads dir/snapshot; undefined if there is none. Any damage is StoreError CORRUPT. O(size). */
export async function readSnapshot(dir: string): Promise<{ revision: number; kvs: KeyValue[] } | undefined> {
  const path = join(dir, SNAPSHOT_FILE);
  const buf = await readIfExists(path);
  if (!buf) return undefined;
  const scan = scanFrames(buf, path);
  if (scan.torn) throw new StoreError('CORRUPT', `${path}: ${scan.torn}; a snapshot is written whole before it is renamed into place, so it is damaged`);
  const frames = scan.frames;
  const head = frames.length >= 2 ? (parse(frames[0]!.payload, path) as { v?: unknown; revision?: unknown; keys?: unknown }) : undefined;
  const tail = frames.length >= 2 ? (parse(frames[frames.length - 1]!.payload, path) as { end?: unknown; keys?: unknown }) : undefined;
  if (!head || head.v !== 1 || !isRev(head.revision) || typeof head.keys !== 'number' || tail?.end !== true || tail.keys !== head.keys) {
    throw new StoreError('CORRUPT', `${path}: not a version-1 snapshot (header or end frame missing or wrong)`);
  }
  const revision = head.revision;
  const kvs: KeyValue[] = [];
  for (let i = 1; i < frames.length - 1; i++) {
    const where = `${path}: frame at byte ${frames[i]!.offset}`;
    const rows = parse(frames[i]!.payload, where);
    if (!Array.isArray(rows)) throw new StoreError('CORRUPT', `${where}: not a chunk of key-values`);
    for (const row of rows) {
      const [key, value, createRevision, modRevision, version] = Array.isArray(row) ? row : [];
      const ok = isStr(key) && key.length > 0 && isStr(value) && isRev(createRevision) && isRev(modRevision) && isRev(version)
        && createRevision <= modRevision && modRevision <= revision;
      if (!ok) throw new StoreError('CORRUPT', `${where}: bad key-value ${JSON.stringify(row).slice(0, 120)}`);
      const prev = kvs[kvs.length - 1];
      if (prev && compareKeys(prev.key, key) >= 0) throw new StoreError('CORRUPT', `${where}: key ${JSON.stringify(key)} is out of order`);
      kvs.push(Object.freeze({ key, value, createRevision, modRevision, version }));
    }
  }
  if (kvs.length !== head.keys) throw new StoreError('CORRUPT', `${path}: ${kvs.length} key-values, the header says ${String(head.keys)}`);
  return { revision, kvs };
}
