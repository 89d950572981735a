// The push channel between a RIB daemon and the library instances on its machine: length-framed
// messages on a Unix socket (or loopback TCP).
//
//   frame:  0        4      5
//           +--------+------+---------------------------+
//           | length | type | payload (length − 1 bytes) |
//           +--------+------+---------------------------+
//           length: u32 little-endian, bytes after the length field (type + payload), ≤ MAX_FRAME
//
//   library → daemon   'H' hello      JSON { client: {id, region, seed?}, services: [names] }
//                      'S' subscribe  JSON { services: [names] }   (adds services)
//   daemon → library   'R' rib        u32 LE meta length, meta JSON (RibMeta), then the miniRIB
//                      'E' error      JSON { code, message }       (the last good data stays)
//
// A library sends 'H' first and gets the current miniRIB at once, then a new 'R' for every change
// that touches its services; generations only grow. Cost: O(frame) to encode and decode.
export const FRAME_HELLO = 0x48; // 'H'
export const FRAME_SUBSCRIBE = 0x53; // 'S'
export const FRAME_RIB = 0x52; // 'R'
export const FRAME_ERROR = 0x45; // 'E'
export const FRAME_HEADER = 5;
export const MAX_FRAME = 1 << 30;

export interface RibMeta {
  /** The generation stamped in the miniRIB's header. */
  generation: number;
  /** The RIB store revision the data reflects. */
  revision: number;
  /**
   * Per service: server id → address, and the policy fields the core doesn't carry. With `full`
   * false, only the services that changed since the previous miniRIB on this connection: the
   * library keeps the others' entries (daemon-client.ts merges).
   */
  services: Record<string, { addresses: Record<string, string>; rings?: Record<string, number>; policy?: unknown; warnings?: string[] }>;
  full: boolean;
}

export function frame(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length + 1, 0);
  out[4] = type;
  out.set(payload, FRAME_HEADER);
  return out;
}

export const jsonFrame = (type: number, value: unknown): Buffer => frame(type, Buffer.from(JSON.stringify(value), 'utf8'));

export function ribFrame(meta: RibMeta, rib: Uint8Array): Buffer {
  const m = Buffer.from(JSON.stringify(meta), 'utf8');
  const out = Buffer.allocUnsafe(FRAME_HEADER + 4 + m.length + rib.length);
  out.writeUInt32LE(1 + 4 + m.length + rib.length, 0);
  out[4] = FRAME_RIB;
  out.writeUInt32LE(m.length, FRAME_HEADER);
  out.set(m, FRAME_HEADER + 4);
  out.set(rib, FRAME_HEADER + 4 + m.length);
  return out;
}

export function parseRib(payload: Buffer): { meta: RibMeta; rib: Uint8Array } {
  if (payload.length < 4) throw new Error('rib frame shorter than its meta length');
  const n = payload.readUInt32LE(0);
  if (4 + n > payload.length) throw new Error(`rib frame meta of ${n} bytes overruns the frame`);
  const meta = JSON.parse(payload.subarray(4, 4 + n).toString('utf8')) as RibMeta;
  // copy: the miniRIB outlives the socket's chunk
  return { meta, rib: new Uint8Array(payload.subarray(4 + n)) };
}

/** Splits a byte stream into frames; throws on a frame over MAX_FRAME or an empty one. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer, onFrame: (type: number, payload: Buffer) => void): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.size < 4) return;
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const len = this.chunks[0].readUInt32LE(0);
      if (len < 1 || len > MAX_FRAME) throw new Error(`bad frame length ${len}`);
      if (this.size < 4 + len) return; // wait for the whole frame: one concat per frame, not per chunk
      const head = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const type = head[4];
      const payload = head.subarray(FRAME_HEADER, 4 + len);
      const rest = head.subarray(4 + len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      onFrame(type, payload);
    }
  }
}
