#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Whole processes on one large file (issue #15): `gradmap gradient` and `gradmap edges` on a
4096² float32 .npy, against what reading the input and writing the same bytes costs at least
(`cat` of the input, `dd` of each output's size) and against numpy's load + compute + save, in the
same run. Start-up, reading, page faults, the kernels and the writes all count: this is what a
user waits for.

Wall time is the best of --reps runs, every output removed before each run (untimed), the input
in the page cache; peak memory is GNU time's %M of the process itself. Prints a markdown table.

    bench/process_bench.py [--gradmap build/app/gradmap] [--size 4096] [--reps 7]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

NUMPY_GRADIENT = """
import sys, numpy as np
f = np.load(sys.argv[1])
gy, gx = np.gradient(f)
np.save(sys.argv[2] + '/gy.npy', gy); np.save(sys.argv[2] + '/gx.npy', gx)
"""
NUMPY_EDGES = """
import sys, numpy as np
f = np.load(sys.argv[1])
gy, gx = np.gradient(f)
np.save(sys.argv[2] + '/mag.npy', np.hypot(gy, gx)); np.save(sys.argv[2] + '/dir.npy', np.arctan2(gy, gx))
"""


def run(argv, out):
    """Wall seconds and peak RSS (bytes) of one run of argv, into a fresh folder `out`."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    t0 = time.perf_counter()
    p = subprocess.run(['/usr/bin/time', '-f', '%M'] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f'process_bench: {argv} failed:\n{p.stderr}')
    return wall, int(p.stderr.split()[-1]) * 1024


def best(argv, out, reps):
    runs = [run(argv, out) for _ in range(reps)]
    return min(w for w, _ in runs), max(m for _, m in runs)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--gradmap', default=os.path.join(root, 'build', 'app', 'gradmap'))
    ap.add_argument('--size', type=int, default=4096)
    ap.add_argument('--reps', type=int, default=7)
    a = ap.parse_args()
    if not os.access(a.gradmap, os.X_OK):
        sys.exit(f'process_bench: no CLI at {a.gradmap} (scripts/build.sh first, or --gradmap)')
    work = tempfile.mkdtemp(prefix='gradmap-process-bench-')
    try:
        src = os.path.join(work, 'big.npy')
        f = np.random.default_rng(15).standard_normal((a.size, a.size)).astype(np.float32)
        np.save(src, f)
        tiny = os.path.join(work, 'tiny.npy')
        np.save(tiny, f[:8, :8])
        in_bytes = os.path.getsize(src)
        out = os.path.join(work, 'out')
        # The least any tool does: read the input once, write two outputs of the input's size.
        mib = (in_bytes + (1 << 20) - 1) >> 20
        floor = ['sh', '-c', f'cat "$0" > /dev/null && dd if=/dev/zero of="$1/a" bs=1M count={mib} status=none '
                 f'&& dd if=/dev/zero of="$1/b" bs=1M count={mib} status=none', src, out]
        rows = [
            ("`cat` input + `dd` of the outputs' bytes", floor),
            ('`gradmap gradient big.npy --format npy`',
             [a.gradmap, 'gradient', src, '-o', out, '--format', 'npy']),
            ('`gradmap edges big.npy --format npy`',
             [a.gradmap, 'edges', src, '-o', out, '--format', 'npy']),
            ('`gradmap edges tiny.npy --format npy` (8×8: start-up and exit)',
             [a.gradmap, 'edges', tiny, '-o', out, '--format', 'npy']),
            ('numpy: load, `np.gradient`, save', ['/usr/bin/python3', '-c', NUMPY_GRADIENT, src, out]),
            ('numpy: load, gradient, `hypot`, `arctan2`, save',
             ['/usr/bin/python3', '-c', NUMPY_EDGES, src, out]),
        ]
        for _ in range(2):  # warm the page cache and the CLI's own files
            run(floor, out)
            run(rows[2][1], out)
        results = [(label, *best(argv, out, a.reps)) for label, argv in rows]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor_s = results[0][1]
    print(f'| {a.size}² float32 .npy ({in_bytes / 1e6:.0f} MB in, {2 * in_bytes / 1e6:.0f} MB out), '
          f'{os.cpu_count()} cores, best of {a.reps} | wall s | ÷ cat + dd | peak RSS MB | peak ÷ input |')
    print('|---|---:|---:|---:|---:|')
    for label, wall, peak in results:
        print(f'| {label} | {wall:.3f} | {wall / floor_s:.2f} | {peak / 1e6:.0f} | {peak / in_bytes:.2f} |')


if __name__ == '__main__':
    main()
