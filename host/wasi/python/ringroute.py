"""ringroute for Python: a ctypes binding over the C host (host/wasi/c), i.e. over
ringroute.scalar.wasm compiled to C by wasm2c. The routing core is the WebAssembly module: each
Router is one module instance (its own linear memory and RNG), so Python makes exactly the
decisions of every other runtime (npm run conformance:all).

    make -C host/wasi/c                      # builds build/c/libringroute.so
    from ringroute import Router
    r = Router(); r.load(open('rib.bin', 'rb').read())
    svc = r.service_index('checkout'); d = r.route(svc)

The methods mirror the Core interface of bindings/core.ts (load, loaded, generation,
service_count, service_index, server_count, server_first, server_id, route, route_batch, loads,
rng_state, set_rng_state), plus set_load/add_load. The library is found at $RINGROUTE_LIB, else at
build/c/libringroute.so of this checkout.

Threads: the wasm2c runtime keeps its trap target in process globals, so calls must not run
concurrently; the library is loaded with ctypes.PyDLL, which keeps the GIL held during every
call, so Python threads are serialised by construction.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_size_t, c_uint32, c_uint64, c_void_p

__all__ = ['Router', 'RingrouteError', 'ROUTE_HAS_KEY', 'ROUTE_PRIMARY',
           'NO_SERVICE', 'NO_KEY', 'NO_SERVER', 'NO_REPLICA', 'OUT_OF_MEMORY', 'TRAP', 'library_path']

ROUTE_HAS_KEY = 1
ROUTE_PRIMARY = 2
NO_SERVICE, NO_KEY, NO_SERVER, NO_REPLICA = 1, 2, 3, 4
OUT_OF_MEMORY = 25
TRAP = 1000  # the module trapped (never on validated data); close the router


class RingrouteError(Exception):
    """A refused load (or a trap): `code` is the spec's code (bindings/errors.ts), `detail` the
    offending entry's index or None."""

    def __init__(self, code: int, detail: int | None = None):
        self.code = code
        self.detail = detail
        super().__init__(f'ringroute error {code}' + ('' if detail is None else f' at {detail}'))


def library_path() -> str:
    env = os.environ.get('RINGROUTE_LIB')
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return os.path.join(root, 'build', 'c', 'libringroute.so')


_lib = None


def _load_library():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.PyDLL(library_path())  # GIL held during calls: see the module docstring
    sigs = {
        'rr_open': ([], c_void_p),
        'rr_close': ([c_void_p], None),
        'rr_load_rib': ([c_void_p, c_char_p, c_size_t], c_int),
        'rr_error_detail': ([c_void_p], c_uint32),
        'rr_is_loaded': ([c_void_p], c_int),
        'rr_generation': ([c_void_p], c_uint64),
        'rr_service_count': ([c_void_p], c_uint32),
        'rr_service_index': ([c_void_p, c_char_p, c_size_t], c_int32),
        'rr_server_count': ([c_void_p, c_int32], c_uint32),
        'rr_first': ([c_void_p, c_int32], c_uint32),
        'rr_server_id': ([c_void_p, c_int32, c_uint32, POINTER(c_size_t)], c_void_p),
        'rr_load_table': ([c_void_p], c_void_p),
        'rr_load_count': ([c_void_p], c_uint32),
        'rr_route_req': ([c_void_p, c_int32, c_uint32, c_uint32], c_int32),
        'rr_route_many': ([c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_int], c_int),
        'rr_rng_state': ([c_void_p], c_uint32),
        'rr_set_rng_state': ([c_void_p, c_uint32], None),
        'rr_hash': ([c_void_p, c_char_p, c_size_t, c_uint32], c_uint32),
    }
    for name, (args, res) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    _lib = lib
    return lib


class Router:
    """One router: a fresh instance of the module (nothing loaded; the first successful load
    seeds its RNG with the client's seed). Close it (or use `with`) to free its memory at once."""

    def __init__(self):
        self._lib = _load_library()
        self._r = self._lib.rr_open()
        if not self._r:
            raise MemoryError('rr_open: out of memory')
        self._names: dict[str, int] = {}
        # the bound hot-path call (no attribute lookups per decision)
        self._route = self._lib.rr_route_req

    # ── lifetime ──────────────────────────────────────────────────────────────
    def close(self) -> None:
        if self._r:
            self._lib.rr_close(self._r)
            self._r = None

    def __enter__(self) -> 'Router':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ── data ──────────────────────────────────────────────────────────────────
    def load(self, buf: bytes | bytearray | memoryview) -> None:
        """Validates a miniRIB and, if it is good, makes it the routing data; raises
        RingrouteError (previous data stays in force) otherwise. Loads of servers that keep their
        (service name, id) carry over."""
        data = bytes(buf)
        code = self._lib.rr_load_rib(self._r, data, len(data))
        if code != 0:
            detail = None
            if -code != TRAP:
                d = self._lib.rr_error_detail(self._r)
                detail = None if d == 0xFFFFFFFF else d
            raise RingrouteError(-code, detail)
        self._names.clear()

    def loaded(self) -> bool:
        return self._lib.rr_is_loaded(self._r) == 1

    def generation(self) -> int:
        return self._lib.rr_generation(self._r)

    def service_count(self) -> int:
        return self._lib.rr_service_count(self._r)

    def service_index(self, name: str) -> int:
        """The index of the service named `name`, or -1 (cached per name until the next load)."""
        svc = self._names.get(name)
        if svc is not None:
            return svc
        raw = name.encode('utf-8')
        svc = self._lib.rr_service_index(self._r, raw, len(raw))
        if svc >= 0:
            self._names[name] = svc
        return svc

    def server_count(self, svc: int) -> int:
        return self._lib.rr_server_count(self._r, svc)

    def server_first(self, svc: int) -> int:
        return self._lib.rr_first(self._r, svc)

    def server_id(self, svc: int, i: int) -> str:
        n = c_size_t(0)
        p = self._lib.rr_server_id(self._r, svc, i, ctypes.byref(n)) if i >= 0 else None
        if not p:
            raise IndexError(f'no server {i} in service {svc}')
        return ctypes.string_at(p, n.value).decode('utf-8')

    # ── decisions ─────────────────────────────────────────────────────────────
    def route(self, svc: int, flags: int = 0, key_hash: int = 0) -> int:
        """One decision: the server's index within the service, or -code (-NO_SERVICE, -NO_KEY,
        -NO_SERVER, -NO_REPLICA). flags: ROUTE_HAS_KEY | ROUTE_PRIMARY."""
        return self._route(self._r, svc, flags, key_hash & 0xFFFFFFFF)

    def route_batch(self, svc, flags, key_hash, track: bool = False) -> list[int]:
        """out[j] = route(svc[j], flags[j], key_hash[j]) in order; with `track` each successful
        decision adds 1 to its server's load before the next. One call into the module per chunk."""
        n = len(svc)
        if len(flags) != n or len(key_hash) != n:
            raise ValueError('svc, flags and key_hash must have the same length')
        a = (c_int32 * n)(*svc)
        f = (c_uint32 * n)(*[x & 0xFFFFFFFF for x in flags])
        k = (c_uint32 * n)(*[x & 0xFFFFFFFF for x in key_hash])
        out = (c_int32 * n)()
        code = self._lib.rr_route_many(self._r, a, f, k, out, n, 1 if track else 0)
        if code != 0:
            raise RingrouteError(-code)
        return list(out)

    # ── loads ─────────────────────────────────────────────────────────────────
    def loads(self) -> memoryview:
        """The load table of the data in force, read-write, one float per server in global slot
        order (server i of svc at server_first(svc) + i). A view into the module's memory: it is
        invalid after the next load() (the memory may move), so take a new one then."""
        n = self._lib.rr_load_count(self._r)
        p = self._lib.rr_load_table(self._r)
        if not p or n == 0:
            return memoryview(bytearray()).cast('d')
        return memoryview((c_double * n).from_address(p)).cast('B').cast('d')

    def _slot(self, slot: int) -> int:
        n = self._lib.rr_load_count(self._r)
        if not 0 <= slot < n:
            raise IndexError(f'no load slot {slot} (table of {n})')
        return self._lib.rr_load_table(self._r) + 8 * slot

    def set_load(self, slot: int, value: float) -> None:
        c_double.from_address(self._slot(slot)).value = value

    def add_load(self, slot: int, delta: float = 1.0) -> None:
        c = c_double.from_address(self._slot(slot))
        c.value += delta

    # ── RNG, hashing ──────────────────────────────────────────────────────────
    def rng_state(self) -> int:
        return self._lib.rr_rng_state(self._r)

    def set_rng_state(self, state: int) -> None:
        self._lib.rr_set_rng_state(self._r, state & 0xFFFFFFFF)

    def hash(self, key: bytes | str, seed: int = 0) -> int:
        """xxh32 of a key (up to 64 KiB), computed by the module: the key hash route() takes."""
        raw = key.encode('utf-8') if isinstance(key, str) else bytes(key)
        return self._lib.rr_hash(self._r, raw, len(raw), seed & 0xFFFFFFFF)
