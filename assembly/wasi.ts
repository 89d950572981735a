// The standalone WASI command build of the router (build/ringroute.wasi.wasm, target `wasi`):
// `_start` reads one conformance fixture from stdin, runs the runner contract of
// spec/runtimes.md through the same router module as the reactor (assembly/index.ts), writes the
// runner's line payload to stdout and returns (exit 0).
//
// stdin, little-endian:  u32 R = length of the .rib  ‖  R bytes of N.rib  ‖  the bytes of N.run
// stdout, one line:      `refused <code>` | `loaded` | `<d0> <d1> ...`, then '\n'
// Malformed input: a message on stderr and exit 2.
//
// Imports: wasi_snapshot_preview1 fd_read, fd_write, proc_exit only (declared below; no wasi-shim,
// no managed strings: built with --runtime stub --use abort=). Kept apart from the reactor so that
// build/ringroute.wasm stays import-free.
import { alloc, free } from './alloc';
import * as router from './router';

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: u32, iovsLen: u32, nread: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: u32, iovsLen: u32, nwritten: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const STDERR: u32 = 2;
const ERRNO_INTR: u32 = 27;
const ERRNO_AGAIN: u32 = 6;

// the .run file (spec/runtimes.md)
const RUN_MAGIC: u32 = 0x51525252; // "RRRQ"
const RUN_HEADER: u32 = 20;
const RUN_TRACK: u32 = 1;
const RUN_INVALID: u32 = 2;

/** [0, 8): one iovec, [8, 12): the count fd_read/fd_write return, [12, 16): readStdin's length. */
const io: u32 = <u32>memory.data(16, 8);
/** fail()'s message bytes (the literals are static, nothing allocates a managed string). */
const msgBuf: u32 = <u32>memory.data(128, 8);

/** Writes all of [ptr, ptr + len) to fd; false on an error. */
function writeAll(fd: u32, ptr: u32, len: u32): bool {
  while (len > 0) {
    store<u32>(io, ptr);
    store<u32>(io, len, 4);
    const e = fd_write(fd, io, 1, io + 8);
    if (e == ERRNO_INTR || e == ERRNO_AGAIN) continue;
    if (e != 0) return false;
    const n = load<u32>(io, 8);
    ptr += n;
    len -= n;
  }
  return true;
}

/** A short message on stderr, then exit 2 (proc_exit does not return). */
function fail(msg: string): void {
  const end = putAscii(msgBuf, msg);
  writeAll(STDERR, msgBuf, end - msgBuf);
  proc_exit(2);
}

/** Appends the decimal digits of n (with a '-' when negative) at p; returns the new end. */
function putInt(p: u32, n: i32): u32 {
  let v: u32 = n < 0 ? <u32>(-n) : <u32>n; // -(i32.MIN) wraps to itself, which as u32 is 2^31
  if (n < 0) { store<u8>(p, 0x2d); p++; }
  let digits: u32 = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  let q = p + digits;
  do { q--; store<u8>(q, 0x30 + v % 10); v /= 10; } while (v != 0);
  return p + digits;
}

/** Appends the ASCII bytes of a short literal at p; returns the new end. */
function putAscii(p: u32, s: string): u32 {
  for (let i = 0, n = s.length; i < n; i++) { store<u8>(p, <u8>s.charCodeAt(i)); p++; }
  return p;
}

/** Reads fd 0 to its end into one alloc'd block: returns its pointer, the length in `io`+12. */
function readStdin(): u32 {
  let cap: u32 = 65536;
  let buf = alloc(cap);
  let len: u32 = 0;
  if (buf == 0) return 0;
  while (true) {
    if (len == cap) {
      if (cap >= 0x40000000) return 0;
      const bigger = alloc(cap << 1);
      if (bigger == 0) return 0;
      memory.copy(bigger, buf, len);
      free(buf);
      buf = bigger;
      cap <<= 1;
    }
    store<u32>(io, buf + len);
    store<u32>(io, cap - len, 4);
    const e = fd_read(STDIN, io, 1, io + 8);
    if (e == ERRNO_INTR || e == ERRNO_AGAIN) continue;
    if (e != 0) return 0;
    const n = load<u32>(io, 8);
    if (n == 0) break;
    len += n;
  }
  store<u32>(io, len, 12);
  return buf;
}

export function _start(): void {
  const input = readStdin();
  if (input == 0) { fail("ringroute.wasi: cannot read stdin\n"); return; }
  const total = load<u32>(io, 12);
  if (total < 4) { fail("ringroute.wasi: input shorter than its 4-byte .rib length\n"); return; }
  const ribLen = load<u32>(input);
  if (<u64>ribLen + 4 + RUN_HEADER > <u64>total) { fail("ringroute.wasi: input shorter than its .rib and a .run header\n"); return; }
  const run = input + 4 + ribLen;
  const runLen = total - 4 - ribLen;
  if (load<u32>(run) != RUN_MAGIC || load<u32>(run, 4) != 1) { fail("ringroute.wasi: no RRRQ v1 .run after the .rib\n"); return; }
  const flags = load<u32>(run, 8);
  const nLoads = load<u32>(run, 12);
  const nReq = load<u32>(run, 16);
  if (<u64>RUN_HEADER + <u64>nLoads * 8 + <u64>nReq * 12 > <u64>runLen) { fail("ringroute.wasi: .run shorter than its loads and requests\n"); return; }

  // the miniRIB in a block of its own: the core keeps it when the load succeeds
  const rib = alloc(ribLen);
  if (rib == 0) { fail("ringroute.wasi: out of memory\n"); return; }
  memory.copy(rib, input + 4, ribLen);
  const code = router.loadRib(rib, ribLen);

  // the line: at most 12 bytes per decision ("-2147483648 "), or "refused <code>", and '\n'
  const out = alloc(<u32>(<u64>nReq * 12 + 32));
  if (out == 0) { fail("ringroute.wasi: out of memory\n"); return; }
  let p = out;
  if ((flags & RUN_INVALID) != 0 || code != 0) {
    if (code == 0) p = putAscii(p, "loaded");
    else p = putInt(putAscii(p, "refused "), code);
  } else {
    // the L loads into the load table, as the reference runner writes them
    memory.copy(router.loadsPtr(), run + RUN_HEADER, nLoads * 8);
    let q = run + RUN_HEADER + nLoads * 8;
    for (let i: u32 = 0; i < nReq; i++, q += 12) {
      const svc = load<i32>(q);
      const d = router.route(svc, load<u32>(q, 4), load<u32>(q, 8));
      if (i > 0) { store<u8>(p, 0x20); p++; }
      p = putInt(p, d);
      if ((flags & RUN_TRACK) != 0 && d >= 0) {
        const slot = router.loadsPtr() + ((router.serverFirst(svc) + <u32>d) << 3);
        store<f64>(slot, load<f64>(slot) + 1.0);
      }
    }
  }
  store<u8>(p, 0x0a); p++;
  if (!writeAll(STDOUT, out, p - out)) proc_exit(1);
}
