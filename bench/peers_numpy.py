# SPDX-License-Identifier: MIT
"""numpy as a peer of gradmap: times np.gradient (and np.hypot + np.arctan2 after it) on the very
inputs bench_peers wrote as .npy files, and prints one JSON line with the medians and, per output,
sum(|x|) so the driver can check that both sides computed the same thing on the same data.

Usage: /usr/bin/python3 peers_numpy.py MANIFEST.json
The manifest (written by bench_peers) lists the cases: input file, kind, edge_order, coordinate
files, output dtype; plus the repetitions and the time budget per case.
"""
import json
import statistics
import sys
import time

import numpy as np


def compute(case, f, varargs):
    """What a numpy user writes for the case; returns the outputs in gradmap's order."""
    g = np.gradient(f, *varargs, edge_order=case["edge_order"])
    if f.ndim == 1:
        g = [g]
    out_dtype = np.dtype(case["out_dtype"])
    kind = case["kind"]
    if kind == "components":
        return [x.astype(out_dtype, copy=False) for x in g]
    if kind == "magnitude_direction":
        gy, gx = g
        mag = np.hypot(gx, gy).astype(out_dtype, copy=False)
        ang = np.arctan2(gy, gx).astype(out_dtype, copy=False)
        return [mag, ang]
    # magnitude of a volume: hypot without overflow, as gradmap documents
    gz, gy, gx = g
    return [np.hypot(np.hypot(gx, gy), gz).astype(out_dtype, copy=False)]


def main():
    with open(sys.argv[1]) as fh:
        manifest = json.load(fh)
    reps = int(manifest.get("reps", 5))
    budget = float(manifest.get("budget_s", 3.0))
    result = {"numpy": np.__version__, "cases": {}}
    for case in manifest["cases"]:
        f = np.load(case["input"])
        coords = [np.load(c) for c in case.get("coords", [])]
        out = compute(case, f, coords)  # warm-up (also faults in the input)
        del out
        times = []
        while len(times) < reps and (len(times) < 3 or sum(times) < budget):
            t0 = time.perf_counter()
            out = compute(case, f, coords)
            times.append(time.perf_counter() - t0)
            last = out
            del out
        l1 = [float(np.sum(np.abs(x), dtype=np.float64)) for x in last]
        del last
        result["cases"][case["id"]] = {"median_s": statistics.median(times), "reps": len(times), "l1": l1}
        del f
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
