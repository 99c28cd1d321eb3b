# SPDX-License-Identifier: MIT
"""The operators of `--operator` against their peers, in one process on the same data.

Case A: 2-D float32 4096² -> 2 components; case B: 3-D float32 256³ -> 3 components. For each
operator gradmap.gradient(f, operator=...) at 1 and 2 threads against scipy.ndimage's equivalent
(the same values: see README "Beyond numpy") and, in 2-D, OpenCV's (cv2.Sobel ksize 3, cv2.Scharr,
GaussianBlur + Sobel ksize 1: the same derivative up to scale and border rule). For gaussian,
ITK's GradientRecursiveGaussianImageFilter (Deriche's recursive approximation, O(1) per sample
whatever sigma): ITK has no Python binding on Debian 12, so build/bench/bench_itk_gaussian is run
on the same array, written to a temporary raw file.

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/operators_bench.py [--quick] [--itk PATH]
Prints a Markdown table: times in ms (best of the repetitions), and peer / gradmap ratios
(> 1: gradmap faster).
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.ndimage as nd

import gradmap

try:
    import cv2
except ImportError:  # OpenCV's Python module is optional here
    cv2 = None


def best(fn, budget=3.0, most=5):
    """Best wall time of fn() in ms over up to `most` runs, fewer when one run is slow."""
    times = []
    start = time.perf_counter()
    while len(times) < most:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget:
            break
    return 1e3 * min(times)


def scipy_components(f, op):
    n = f.ndim
    g = f.astype(np.float64)  # scipy computes these in float64 for a float64 result, as gradmap does
    if op == "central":
        return [nd.correlate1d(g, [-1, 0, 1], axis=k, mode="reflect") / 2 for k in range(n)]
    if op == "central4":
        return [nd.correlate1d(g, [1, -8, 0, 8, -1], axis=k, mode="reflect") / 12 for k in range(n)]
    if op == "sobel":
        return [nd.sobel(g, axis=k) / (2 * 4 ** (n - 1)) for k in range(n)]
    if op == "prewitt":
        return [nd.prewitt(g, axis=k) / (2 * 3 ** (n - 1)) for k in range(n)]
    if op == "scharr":
        out = []
        for k in range(n):
            d = nd.correlate1d(g, [-1, 0, 1], axis=k)
            for j in range(n):
                if j != k:
                    d = nd.correlate1d(d, [3, 10, 3], axis=j)
            out.append(d / (2 * 16 ** (n - 1)))
        return out
    sigma = float(op.split(":")[1])
    return [nd.gaussian_filter(g, sigma, order=[int(j == k) for j in range(n)]) for k in range(n)]


def opencv_components(f, op):
    if cv2 is None or f.ndim != 2:
        return None
    border = cv2.BORDER_REFLECT_101 if op != "sobel" else cv2.BORDER_REFLECT
    if op == "sobel":
        return [cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3, borderType=border),
                cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3, borderType=border)]
    if op == "scharr":
        return [cv2.Scharr(f, cv2.CV_32F, 0, 1), cv2.Scharr(f, cv2.CV_32F, 1, 0)]
    if op.startswith("gaussian:"):
        s = cv2.GaussianBlur(f, (0, 0), float(op.split(":")[1]))
        return [cv2.Sobel(s, cv2.CV_32F, 0, 1, ksize=1), cv2.Sobel(s, cv2.CV_32F, 1, 0, ksize=1)]
    if op == "central":
        return [cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=1), cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=1)]
    return None


def itk_gaussian(tool, raw, f, op, threads):
    """ITK's best time in ms for a gaussian operator (None when the tool is missing or not gaussian)."""
    if tool is None or not op.startswith("gaussian:"):
        return None
    shape = ",".join(str(s) for s in f.shape)
    r = subprocess.run([tool, raw, shape, op.split(":")[1], str(threads), "3"], capture_output=True, text=True,
                       check=True)
    return float(r.stdout)


def main():
    quick = "--quick" in sys.argv
    here = os.path.dirname(os.path.abspath(__file__))
    tool = sys.argv[sys.argv.index("--itk") + 1] if "--itk" in sys.argv else os.path.join(
        here, "..", "build", "bench", "bench_itk_gaussian")
    if not os.access(tool, os.X_OK):
        print(f"(no {tool}: the ITK column is empty; build with scripts/build.sh)", file=sys.stderr)
        tool = None
    rng = np.random.default_rng(0)
    cases = {
        "A 2-D f32 " + ("1024²" if quick else "4096²"): rng.random((1024, 1024) if quick else (4096, 4096), dtype=np.float32),
        "B 3-D f32 " + ("64³" if quick else "256³"): rng.random((64, 64, 64) if quick else (256, 256, 256), dtype=np.float32),
    }
    ops = ["central", "central4", "sobel", "prewitt", "scharr", "gaussian:1", "gaussian:4", "gaussian:16"]
    print("| case | operator | gradmap 1 / 2 threads ms | scipy ms | scipy ÷ gradmap (1 / 2) | OpenCV ms 1 / 2 "
          "| OpenCV ÷ gradmap (1 / 2) | ITK ms 1 / 2 | ITK ÷ gradmap (1 / 2) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    tmp = tempfile.TemporaryDirectory()
    for name, f in cases.items():
        raw = os.path.join(tmp.name, "case.f32")
        f.tofile(raw)
        gradmap.gradient(f, operator="sobel")  # warm-up: thread pool, page cache of the outputs
        for op in ops:
            boundary = "reflect"
            g1 = best(lambda: gradmap.gradient(f, operator=op, boundary=boundary, threads=1))
            g2 = best(lambda: gradmap.gradient(f, operator=op, boundary=boundary, threads=2))
            sp = best(lambda: scipy_components(f, op), budget=1.0, most=2)
            row = f"| {name} | {op} | {g1:.1f} / {g2:.1f} | {sp:.1f} | {sp / g1:.2f} / {sp / g2:.2f} |"
            if opencv_components(f, op) is not None:
                cv2.setNumThreads(1)
                c1 = best(lambda: opencv_components(f, op))
                cv2.setNumThreads(2)
                c2 = best(lambda: opencv_components(f, op))
                row += f" {c1:.1f} / {c2:.1f} | {c1 / g1:.2f} / {c2 / g2:.2f} |"
            else:
                row += " n/a | n/a |"
            i1 = itk_gaussian(tool, raw, f, op, 1)
            if i1 is not None:
                i2 = itk_gaussian(tool, raw, f, op, 2)
                row += f" {i1:.1f} / {i2:.1f} | {i1 / g1:.2f} / {i2 / g2:.2f} |"
            else:
                row += " n/a | n/a |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
