"""The start-up probe of the Python host (bench group "startup"), run in a fresh interpreter:
the time from the miniRIB in hand to the first decision through the ctypes binding
(ringroute.Router, over the wasm2c build in build/c/libringroute.so): Router() (rr_open: the
runtime's and the module's one-time init + a fresh instance) + load (rr_alloc, copy in, rr_load)
+ one route (service 0, flags 0), timed with time.perf_counter_ns. Excluded: the interpreter's
start, `import ringroute` and loading the shared library (dlopen + the ctypes signatures), done
before the clock starts. Prints the milliseconds.
    python3 host/wasi/python/startup.py <minirib.bin>
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringroute  # noqa: E402


def main() -> int:
    if len(sys.argv) < 2:
        print('usage: startup.py <minirib.bin>', file=sys.stderr)
        return 2
    with open(sys.argv[1], 'rb') as f:
        rib = f.read()
    ringroute._load_library()  # the library load, outside the timing
    t0 = time.perf_counter_ns()
    r = ringroute.Router()
    r.load(rib)
    d = r.route(0, 0, 0)
    ns = time.perf_counter_ns() - t0
    if d < 0:
        print(f'the probe route failed: {d}', file=sys.stderr)
        return 1
    print(f'{ns / 1e6:.3f}')
    r.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
