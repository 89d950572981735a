#!/usr/bin/env python3
"""The Python runtime runner (spec/runtimes.md): drives ringroute.scalar.wasm (compiled to C by
wasm2c, loaded with ctypes: ringroute.py) over a folder of conformance fixtures and prints one line
per fixture for scripts/conformance-all.mjs to check, exactly as host/node/fixture-runner.mjs does.
A fresh Router (a new module instance) per fixture.
    python3 host/wasi/python/runner.py <fixtures-dir>"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringroute import RingrouteError, Router  # noqa: E402


def main(argv):
    if len(argv) != 2:
        print('usage: runner.py <fixtures-dir>', file=sys.stderr)
        return 2
    folder = argv[1]
    out_lines = []
    for file in sorted(f for f in os.listdir(folder) if f.endswith('.run')):
        name = file[:-4]
        rib_file = os.path.join(folder, name + '.rib')
        if not os.path.exists(rib_file):
            out_lines.append(f'{name}: skipped')
            continue
        with open(rib_file, 'rb') as fh:
            rib = fh.read()
        with open(os.path.join(folder, file), 'rb') as fh:
            run = fh.read()
        flags, n_loads, n_req = struct.unpack_from('<III', run, 8)
        with Router() as r:  # one instance = one router
            try:
                r.load(rib)
                code = 0
            except RingrouteError as e:
                code = e.code
            if flags & 2:
                out_lines.append(f'{name}: loaded' if code == 0 else f'{name}: refused {code}')
                continue
            if code != 0:
                out_lines.append(f'{name}: refused {code}')
                continue
            loads = r.loads()
            for i, v in enumerate(struct.unpack_from(f'<{n_loads}d', run, 20)):
                loads[i] = v
            route, first = r.route, r.server_first
            out = []
            for svc, qflags, key in struct.iter_unpack('<iII', run[20 + 8 * n_loads:20 + 8 * n_loads + 12 * n_req]):
                d = route(svc, qflags, key)
                out.append(d)
                if flags & 1 and d >= 0:
                    loads[first(svc) + d] += 1
            del loads
            out_lines.append(f'{name}: ' + ' '.join(map(str, out)))
    sys.stdout.write('\n'.join(out_lines) + ('\n' if out_lines else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
