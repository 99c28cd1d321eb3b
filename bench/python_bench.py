#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gradmap's Python module against numpy and dask.array, in one process (issue #16's goals):

  1. gradmap.gradient vs np.gradient, 4096² float32, one thread (goal >= 4x);
  2. gradmap.edges vs np.gradient + np.hypot + np.arctan2, 4096² float32, one thread (goal >= 8x);
  3. gradmap.dask.edges vs numpy's kernels in the same halo graph (gradmap.dask's face halos), 512³
     float32 in 64³ chunks, on one 2-worker LocalCluster (goal >= 3x); numpy's kernels under dask's
     own map_overlap and dask.array.gradient + hypot + arctan2 for reference.

Times are the best of --repeat runs after a warm-up, in this process. Peak memory per case is
measured in a fresh process (resource-style: Linux VmHWM minus VmRSS before the case), which sees
gradmap's C++ allocations as well as numpy's; for the cluster case, the workers' peak is not
measured (each worker holds its share of the input and the blocks in flight). Run from the build tree:

    PYTHONPATH=build/python /usr/bin/python3 bench/python_bench.py [--size 4096] [--volume 512] [--chunk 64]
"""
import argparse
import os
import sys
import time

import numpy as np

import gradmap


def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def best_time(fn, repeat):
    fn()  # warm up: first-touch page faults, thread pools, gradmap's buffer cache
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        r = fn()
        best = min(best, time.perf_counter() - t)
        del r
    return best


def image_cases(f):
    """name -> callable; numpy's first in each group (the reference of the rows after it)."""
    out = [np.empty_like(f), np.empty_like(f)]
    return {
        "np.gradient(f)": lambda: np.gradient(f),
        "gradmap.gradient(f, threads=1)": lambda: gradmap.gradient(f, threads=1),
        "gradmap.gradient(f, out=..., threads=1)": lambda: gradmap.gradient(f, out=out, threads=1),
        f"gradmap.gradient(f), all {gradmap_threads()} threads": lambda: gradmap.gradient(f),
        "np.gradient + np.hypot + np.arctan2": lambda: numpy_edges(f),
        "gradmap.edges(f, threads=1)": lambda: gradmap.edges(f, threads=1),
        f"gradmap.edges(f), all {gradmap_threads()} threads": lambda: gradmap.edges(f),
    }


def peak_of_case(name, n):
    """Peak resident memory of one case, in a fresh process (so that neither numpy's heap nor
    gradmap's buffer cache is already resident): VmHWM after the case minus VmRSS before it, the
    input excluded. glibc's mmap threshold is fixed so that every big array is mapped when allocated."""
    import subprocess
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    r = subprocess.run([sys.executable, __file__, "--peak-of", name, "--size", str(n)], env=env,
                       capture_output=True, text=True, check=True)
    return int(r.stdout.split()[-1])


def run_peak_of(name, n):
    f = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    fn = image_cases(f)[name]
    base = _status("VmRSS")
    r = fn()
    print(_status("VmHWM") - base)
    del r


def row(name, seconds, peak, ref=None):
    speed = f"{ref / seconds:6.1f}x" if ref else "   1.0x"
    print(f"| {name:<52} | {seconds * 1e3:9.1f} ms | {speed} | {peak / 2**20:8.0f} MB |", flush=True)


def dask_row(name, seconds, ref=None):
    speed = f"{ref / seconds:6.1f}x" if ref else "   1.0x"
    print(f"| {name:<52} | {seconds:10.2f} s | {speed} |", flush=True)


def numpy_edges(f):
    gy, gx = np.gradient(f)
    return np.hypot(gy, gx), np.arctan2(gy, gx)


def image_benchmarks(n, repeat):
    f = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    print(f"\n{n}x{n} float32 (input {f.nbytes / 2**20:.0f} MB); numpy is single-threaded; best of {repeat}; "
          f"peak: resident memory above the input's, in a fresh process\n")
    print(f"| {'case':<52} | {'time':>12} | {'speed':>7} | {'peak':>11} |")
    print(f"|{'-' * 54}|{'-' * 14}|{'-' * 9}|{'-' * 13}|")
    ref = None
    for name, fn in image_cases(f).items():
        t = best_time(fn, repeat)
        if name.startswith("np."):
            ref = t
        row(name, t, peak_of_case(name, n), None if name.startswith("np.") else ref)


def gradmap_threads():
    return len(os.sched_getaffinity(0))


def numpy_maps(gz, gy, gx):
    return [np.sqrt(gz * gz + gy * gy + gx * gx), np.arctan2(gy, gx), np.arctan2(gz, np.hypot(gx, gy))]


def numpy_block_edges(block, block_info=None):
    """numpy's kernels on one block of dask's map_overlap, cut to the block: what a user writes."""
    info = block_info[0]
    cut = tuple(slice(1 if i > 0 else 0, n - (1 if i < k - 1 else 0))
                for i, k, n in zip(info["chunk-location"], info["num-chunks"], block.shape))
    return np.stack([m[cut] for m in numpy_maps(*np.gradient(block))])


def numpy_compute(block, axes, spacing):
    """numpy's kernels in gradmap.dask's own halo graph: the same tasks, only the kernels differ."""
    return numpy_maps(*np.gradient(block, *spacing, axis=axes))


def dask_benchmarks(n, chunk, repeat):
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    import gradmap.dask
    print(f"\n{n}^3 float32 in {chunk}^3 chunks, LocalCluster of 2 worker processes x 1 thread "
          f"(gradmap threads=1 per block)\n")
    print(f"| {'case':<52} | {'time':>12} | {'speed':>7} |")
    print(f"|{'-' * 54}|{'-' * 14}|{'-' * 9}|")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=40,
                      memory_limit="6GB") as cluster, Client(cluster) as client:
        x = da.random.RandomState(0).standard_normal((n,) * 3, chunks=chunk).astype(np.float32).persist()
        wait(x)

        def run(maps):
            # A reduction per map keeps the outputs off the client; the same for every case.
            return dask.compute(*[m.sum() for m in maps])

        def numpy_overlap():
            s = da.map_overlap(numpy_block_edges, x, depth=1, boundary="none", trim=False, new_axis=[0],
                               chunks=((3,),) + x.chunks, dtype=np.float32)
            return [s[k] for k in range(3)]

        def dask_gradient():
            gz, gy, gx = da.gradient(x)
            return [da.sqrt(gz * gz + gy * gy + gx * gx), da.arctan2(gy, gx), da.arctan2(gz, da.hypot(gx, gy))]

        def best(make):
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                run(make())
                times.append(time.perf_counter() - t)
            return min(times)

        t_np = best(lambda: gradmap.dask._map_blocks(x, (), None, 1, numpy_compute, 3, np.float32, ("numpy",)))
        dask_row("numpy kernels in gradmap.dask's halo graph", t_np)
        t = best(lambda: list(gradmap.dask.edges(x, threads=1)))
        dask_row("gradmap.dask.edges(x, threads=1)", t, t_np)
        t = best(numpy_overlap)
        dask_row("numpy kernels under dask's map_overlap (depth 1)", t, t_np)
        t = best(dask_gradient)
        dask_row("dask.array.gradient + sqrt/arctan2 (reference)", t, t_np)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=4096, help="image edge (default 4096)")
    p.add_argument("--volume", type=int, default=512, help="volume edge for the Dask case (default 512; 0 skips)")
    p.add_argument("--chunk", type=int, default=64, help="chunk edge of the Dask case (default 64)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--peak-of", help=argparse.SUPPRESS)  # internal: one case's peak memory
    a = p.parse_args(argv)
    if a.peak_of:
        run_peak_of(a.peak_of, a.size)
        return 0
    print(f"gradmap {gradmap.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    image_benchmarks(a.size, a.repeat)
    if a.volume:
        dask_benchmarks(a.volume, a.chunk, max(1, a.repeat // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
