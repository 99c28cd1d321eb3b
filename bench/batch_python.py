#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python baseline of bench/batch_bench.sh: what a user would write with OpenCV + numpy to get
the edge maps of a folder of images — per image cv2.imread, np.gradient, np.hypot, np.arctan2,
min-max normalization to 8 bits, cv2.imwrite of magnitude and direction.

    batch_python.py INDIR OUTDIR [--jobs N]     # N processes (default 1: the plain script)
    batch_python.py --check INDIR GRADMAP_NPY_DIR   # gradmap's float64 magnitudes == numpy's?
"""
import argparse
import os
import sys
import time
from multiprocessing import Pool

import cv2
import numpy as np


def to_uint8(values, lo, hi):
    # Min-max (or fixed-range) scaling to 0..255, rounded; the usual cv2.normalize-style step.
    span = hi - lo if hi > lo else 1.0
    return np.clip(np.rint((values - lo) * (255.0 / span)), 0, 255).astype(np.uint8)


def one(job):
    src, outdir = job
    f = cv2.imread(src, cv2.IMREAD_GRAYSCALE)
    gy, gx = np.gradient(f)
    mag = np.hypot(gx, gy)
    ang = np.arctan2(gy, gx)
    stem = os.path.splitext(os.path.basename(src))[0]
    cv2.imwrite(os.path.join(outdir, stem + "_mag.png"), to_uint8(mag, mag.min(), mag.max()))
    cv2.imwrite(os.path.join(outdir, stem + "_dir.png"), to_uint8(ang, -np.pi, np.pi))


def inputs(indir):
    return sorted(os.path.join(indir, n) for n in os.listdir(indir) if n.lower().endswith(".png"))


def check(indir, npydir):
    """Exit 0 when every gradmap magnitude equals np.hypot(*np.gradient(image)) bit for bit."""
    bad = 0
    files = inputs(indir)
    for src in files:
        f = cv2.imread(src, cv2.IMREAD_GRAYSCALE)
        gy, gx = np.gradient(f)
        expected = np.hypot(gy, gx)
        stem = os.path.splitext(os.path.basename(src))[0]
        got = np.load(os.path.join(npydir, stem + "_mag.npy"))
        if got.dtype != expected.dtype or got.shape != expected.shape or got.tobytes() != expected.tobytes():
            bad += 1
            print(f"{src}: magnitudes differ (max |diff| {np.max(np.abs(got - expected)):.3g})")
    print(f"magnitude check: {len(files) - bad}/{len(files)} images identical to numpy (float64, bit for bit)")
    return 0 if bad == 0 else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("indir")
    p.add_argument("outdir")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    if a.check:
        return check(a.indir, a.outdir)
    os.makedirs(a.outdir, exist_ok=True)
    jobs = [(s, a.outdir) for s in inputs(a.indir)]
    t0 = time.perf_counter()
    if a.jobs > 1:
        with Pool(a.jobs) as pool:
            pool.map(one, jobs, chunksize=1)
    else:
        for j in jobs:
            one(j)
    wall = time.perf_counter() - t0
    print(f"python ({a.jobs} process{'es' if a.jobs > 1 else ''}): {len(jobs)} images in {wall:.2f} s, "
          f"{len(jobs) / wall:.1f} images/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
