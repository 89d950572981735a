// Checksummed frames: the record format of the embedded store's write-ahead log and snapshot
// (disk.ts). A frame is
//
//   u32le length | u32le crc32(length bytes) | u32le crc32(payload) | payload (length bytes)
//
// The header has its own checksum so that a damaged length is told apart from a torn append: a
// crash mid-append leaves a prefix of the last frame, possibly followed by zeros (some
// filesystems extend a file before its data lands), and nothing after it. scanFrames() accepts
// exactly that at the end of the file and refuses any other damage with StoreError CORRUPT.
// Cost: O(bytes) for encoding and scanning (table-driven CRC-32, ~0.5 GB/s).

import { StoreError } from './types.js';

export const FRAME_HEADER_BYTES = 12;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zlib's). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length === 0 || payload.length > 0xffffffff) throw new RangeError(`frame payload of ${payload.length} bytes`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(out, 0, 4), 4);
  out.writeUInt32LE(crc32(payload), 8);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export interface Frame {
  /** Byte offset of the frame's header in the file. */
  offset: number;
  payload: Buffer;
}

export interface ScanResult {
  frames: Frame[];
  /** Bytes of whole, valid frames from the start: where the next append belongs. */
  validBytes: number;
  /** Set when the file ends in a torn frame (bytes validBytes.. are to be dropped). */
  torn?: string;
}

const zeroFrom = (buf: Buffer, from: number): boolean => {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
};

/**
 * Splits a file into frames. A damaged frame at the end of the file (a torn append) is reported
 * in `torn`; a damaged frame with data after it throws StoreError CORRUPT naming `file`, the
 * offset and what is wrong.
 */
export function scanFrames(buf: Buffer, file: string): ScanResult {
  const frames: Frame[] = [];
  let off = 0;
  while (off < buf.length) {
    const rest = buf.length - off;
    if (rest < FRAME_HEADER_BYTES) return { frames, validBytes: off, torn: `${rest} bytes of a frame header at byte ${off}` };
    const len = buf.readUInt32LE(off);
    if (crc32(buf, off, off + 4) !== buf.readUInt32LE(off + 4) || len === 0) {
      if (zeroFrom(buf, off)) return { frames, validBytes: off, torn: `zero-filled tail from byte ${off}` };
      throw new StoreError('CORRUPT', `${file}: the frame header at byte ${off} is damaged (bad length checksum) and ${rest} bytes follow; refusing to open (restore the directory from a backup)`);
    }
    const end = off + FRAME_HEADER_BYTES + len;
    if (end > buf.length) return { frames, validBytes: off, torn: `frame at byte ${off} is cut short (${len} bytes declared, ${rest - FRAME_HEADER_BYTES} present)` };
    if (crc32(buf, off + FRAME_HEADER_BYTES, end) !== buf.readUInt32LE(off + 8)) {
      if (zeroFrom(buf, end)) return { frames, validBytes: off, torn: `frame at byte ${off} fails its checksum and is the last one` };
      throw new StoreError('CORRUPT', `${file}: the frame at byte ${off} fails its checksum but ${buf.length - end} bytes follow it; the file is damaged in the middle, refusing to open (restore the directory from a backup)`);
    }
    frames.push({ offset: off, payload: buf.subarray(off + FRAME_HEADER_BYTES, end) });
    off = end;
  }
  return { frames, validBytes: off };
}
