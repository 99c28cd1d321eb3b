#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seeded generator of numpy.gradient cases for gradmap's differential test.

Usage: /usr/bin/python3 gen_gradient_cases.py OUTDIR [--count N] [--seed S]

Writes into OUTDIR, for every case, the input array (`cNNNN_in.npy`), numpy's outputs
(`cNNNN_out<k>.npy`, one per selected axis), any coordinate arrays (`cNNNN_x<k>.npy`), and one
`manifest.json` describing the exact numpy call of each case:

    {"numpy": "1.24.2", "seed": S, "cases": [
      {"id": 7, "input": "c0007_in.npy", "dtype": "float32", "shape": [3, 4],
       "axis": null | int | [int, ...],               # numpy's `axis` argument, as passed
       "spacing": [                                    # numpy's *varargs, in order
          {"kind": "scalar", "value": "0.5", "python": "float"},     # repr() of a float64
          {"kind": "coords", "file": "c0007_x1.npy", "dtype": "int16"}],
       "edge_order": 1,
       "dtype_request": null | "float32" | "float64",  # gradmap's explicit output dtype
       "expect": "ok" | "numpy_error" | "departure",
       "outputs": ["c0007_out0.npy", ...], "out_dtype": "float32",      # expect == "ok"
       "gradmap_error": "ShapeError" | "InvalidArgument",               # otherwise
       "numpy_said": "ValueError: ..." | "returned",
       "call": "np.gradient(f, 0.5, x1, axis=(1, 0), edge_order=1)", "why": "..."}]}

`expect`:
  ok          numpy returns; gradmap must return the same dtype and the same bits.
  numpy_error numpy raises; gradmap must throw (the named exception type).
  departure   gradmap's documented departures from numpy: a zero or non-finite step (scalar 0,
              -0.0, NaN, +-Inf, repeated coordinates, coordinates whose difference is not finite)
              and any edge_order other than 1 or 2 throw InvalidArgument. numpy returns Inf/NaN
              for the former; for edge_order 0 or negative it silently uses the edge_order-2
              formulas (only `edge_order > 2` raises in numpy 1.24), or raises IndexError on short
              axes — neither is a behaviour worth copying.

The cases aim at numpy 1.24's subtleties, which gradmap mirrors:
  * integer input is converted to float64 before differencing (extreme values show wrap-around);
  * value-based casting of Python-float / numpy-scalar steps against float32/float16 arrays
    (the scalar becomes float32, unless |value| >= 3.4e38, and for float16 unless >= 65000):
    thresholds on both sides are generated, for the step itself (edge_order 1 edges), for 2*step
    (interior) and for -1.5/step, 2/step, ... (edge_order 2 edges);
  * 1-D inputs: edge values are scalar-scalar operations, hence float64;
  * coordinate arrays keep their dtype K (float16, float32, float64; integers become float64):
    np.diff, the uniformity check and the non-uniform weights are computed in K, the products with
    the data in promote(K, data type); edge weights mix K scalars with Python floats (`2. * dx1`
    is float64). Every coordinate dtype is generated against every data dtype;
  * coordinates whose np.diff are all equal collapse to a scalar of dtype K (always for length-2
    axes).

Integer scalar steps are passed as Python ints. numpy's value-based casting treats an int scalar
differently from a float one (min_scalar_type(2049) is uint16, so float16 data is divided in
float32 by 2049, while 2049.0 would be cast to float16, i.e. 2048). gradmap's API holds a double,
so int steps are restricted to values exactly representable in the data's float type (|v| <= 2048
for float16, 2**24 for float32, 2**53 otherwise), where both readings give the same bits.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOAT_DTYPES = ["float16", "float32", "float64"]
ALL_DTYPES = INT_DTYPES + FLOAT_DTYPES
# Coordinate dtypes the targeted cases pair with every data dtype.
COORD_DTYPES = FLOAT_DTYPES + ["int16", "uint8", "int64"]
COORD_KINDS = ["nonuniform", "decreasing", "linspace", "uniform", "offset"]


def coord_diff(x):
    """numpy.gradient's np.diff of a coordinate array: in its dtype, integers as float64."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        return np.diff(x)

# Step values on both sides of numpy 1.24's value-based casting thresholds (min_scalar_type:
# float16 if -65000 < v < 65000, float32 if -3.4e38 < v < 3.4e38, else float64), for the step,
# for 2*step (interior) and for 1.5/step, 2/step (edge_order 2 coefficients).
THRESHOLD_STEPS = [
    32499.99, 32500.0, 32500.5, 43333.33, 64999.0, 65000.0, 65504.0, 70000.0,
    1.6999e38, 1.7e38, 1.7000001e38, 3.3999e38, 3.4e38, 3.5e38, 1e39,
    1.5 / 65000.0, 2.0 / 65000.0, 2.0 / 64999.0, 1.5 / 3.4e38, 2.0 / 3.4e38, 0.5 / 3.4e38,
    1e-45, 1.4e-45, 1e-38, 6e-8, 5.9e-8, 1e-8, 1e-30, 1e-300, 5e-324, 1e300, 1e308,
    1.7976931348623157e308,
]
NICE_STEPS = [1.0, 0.5, 0.25, 2.0, 0.1, 1.0 / 3.0, 0.7, 3.0, 1e-3, 1e3, 1e5, 1e30]


def fmt_float(v):
    return repr(float(v))


class Gen:
    def __init__(self, outdir, seed):
        self.outdir = outdir
        self.rng = np.random.default_rng(seed)
        self.cases = []

    # ---------------------------------------------------------------- data
    def int_data(self, dt, shape):
        rng = self.rng
        info = np.iinfo(dt)
        n = int(np.prod(shape))
        mode = rng.choice(["full", "extreme", "small", "ramp"], p=[0.35, 0.3, 0.2, 0.15])
        if mode == "full":
            a = rng.integers(info.min, info.max, size=n, dtype=dt, endpoint=True)
        elif mode == "extreme":
            pool = np.array([info.min, info.max, info.min + 1, info.max - 1, 0,
                             info.max // 2, info.min // 2], dtype=dt)
            a = pool[rng.integers(0, len(pool), size=n)]
        elif mode == "small":
            lo = max(info.min, -100)
            a = rng.integers(lo, 100, size=n, dtype=dt, endpoint=True)
        else:
            start = int(rng.integers(info.min, info.max, dtype=dt.type, endpoint=True))
            step = int(rng.integers(-7, 8))
            a = np.array([(start + step * i * i) for i in range(n)], dtype=object)
            span = int(info.max) - int(info.min) + 1
            a = np.array([((int(v) - int(info.min)) % span) + int(info.min) for v in a], dtype=dt)
        return a.reshape(shape).astype(dt)

    def float_data(self, dt, shape):
        rng = self.rng
        fi = np.finfo(dt)
        n = int(np.prod(shape))
        mode = rng.choice(["smooth", "normal", "wide", "extreme"], p=[0.3, 0.3, 0.25, 0.15])
        if mode == "smooth":
            grids = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in shape], indexing="ij")
            x = np.zeros(shape)
            for g in grids:
                x += rng.normal() * g + rng.normal() * 0.3 * g * g
            x += rng.normal(size=shape) * 0.01
            x *= 10.0 ** rng.uniform(-2, 2)
            x = x.ravel()
        elif mode == "normal":
            x = rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3)
        elif mode == "wide":
            lo = math.log10(float(fi.smallest_subnormal))
            hi = math.log10(float(fi.max))
            with np.errstate(over="ignore"):  # the top of the range is meant to overflow to inf
                x = np.sign(rng.standard_normal(n)) * 10.0 ** rng.uniform(lo, hi + 0.05, n)
        else:
            pool = [0.0, -0.0, float(fi.max), -float(fi.max), float(fi.tiny), -float(fi.tiny),
                    float(fi.smallest_subnormal), 1.0, -1.0, float(fi.max) / 2, float(fi.eps)]
            x = rng.standard_normal(n)
            pick = rng.random(n) < 0.6
            x[pick] = np.array(pool)[rng.integers(0, len(pool), size=int(pick.sum()))]
        with np.errstate(all="ignore"):
            a = x.astype(dt)
        if n and rng.random() < 0.25:
            k = int(rng.integers(1, 4))
            idx = rng.integers(0, n, size=k)
            a[idx] = np.array([np.nan, np.inf, -np.inf], dtype=dt)[rng.integers(0, 3, size=k)]
        return a.reshape(shape)

    def data(self, dt, shape):
        if dt in INT_DTYPES:
            return self.int_data(np.dtype(dt), shape)
        return self.float_data(np.dtype(dt), shape)

    # ---------------------------------------------------------------- spacing
    def scalar_float(self):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            v = float(rng.uniform(0.05, 20.0))
        elif r < 0.5:
            v = float(rng.choice(NICE_STEPS))
        elif r < 0.65:
            v = float(10.0 ** rng.uniform(-320, -3))
        elif r < 0.8:
            v = float(10.0 ** rng.uniform(3, 308))
        else:
            v = float(rng.choice(THRESHOLD_STEPS))
        if v == 0.0:
            v = 5e-324
        return -v if rng.random() < 0.3 else v

    def scalar_int(self, data_dtype):
        rng = self.rng
        limit = {"float16": 2048, "float32": 2 ** 24}.get(data_dtype, 2 ** 53)
        pool = [1, 2, 3, 5, 7, 10, 255, 256, 300, 1000, 2047, 2048, 65535, 65536, 70000,
                2 ** 24, 2 ** 31, 2 ** 40, 2 ** 53]
        pool = [p for p in pool if p <= limit]
        v = int(rng.choice(pool))
        return -v if rng.random() < 0.3 else v

    def coords(self, n, kind):
        """1-D coordinate array of length n."""
        rng = self.rng
        if kind == "nonuniform":
            x = np.cumsum(rng.uniform(0.1, 3.0, n)) * 10.0 ** rng.uniform(-3, 3)
            x += rng.choice([0.0, 1.0, -7.5, 1e6, 1e-3]) * 10.0 ** rng.uniform(0, 2)
        elif kind == "decreasing":
            x = -np.cumsum(rng.uniform(0.1, 3.0, n)) * 10.0 ** rng.uniform(-2, 2) + rng.normal()
        elif kind == "uniform":  # differences exactly equal: numpy collapses them to a scalar
            h = float(rng.choice([0.5, 0.25, 2.0, 1.0, 3.0, -0.5, -4.0, 0.125]))
            x0 = float(rng.choice([0.0, 10.0, -4.0, 0.5]))
            x = x0 + h * np.arange(n, dtype=np.float64)
        elif kind == "linspace":  # nearly uniform: diffs may differ in the last bit
            a, b = rng.uniform(-5, 5), rng.uniform(5, 50)
            x = np.linspace(a, b, n) if rng.random() < 0.5 else 0.1 * np.arange(n)
        elif kind == "huge":  # differences large enough that dx1*dx2 or dx1+dx2 overflow
            x = np.cumsum(rng.uniform(0.5, 2.0, n)) * 10.0 ** rng.uniform(150, 307) / n
        elif kind.startswith("threshold"):
            # differences near a value-based casting threshold of the step itself (edge_order 1
            # edges) or of the edge_order-2 coefficients (~1.5/dx): float16 65000, float32 3.4e38
            scale = {"threshold_f16_step": 65000.0, "threshold_f16_coef": 1.5 / 65000.0,
                     "threshold_f32_step": 3.4e38, "threshold_f32_coef": 1.5 / 3.4e38}[kind]
            x = np.cumsum(scale * rng.uniform(0.6, 1.5, n))
        elif kind == "tiny":
            x = np.cumsum(rng.uniform(0.5, 2.0, n)) * 10.0 ** rng.uniform(-320, -150)
        elif kind == "offset":  # small differences of large values: float32 differences lose digits
            x = float(rng.choice([1e3, 4096.0, 1e4, -3e4])) + np.cumsum(rng.uniform(0.01, 0.07, n))
        else:
            raise AssertionError(kind)
        return np.ascontiguousarray(x, dtype=np.float64)

    def typed_coords(self, n, kind, kdt):
        """Coordinates of dtype kdt (float16/32/64) whose differences in kdt are finite and
        non-zero (a repeated or overflowing difference is a departure case, generated elsewhere)."""
        rng = self.rng
        x = self.coords(n, kind)
        if kdt == "float64":
            return x
        if kdt == "float16":
            m = float(np.max(np.abs(x)))
            if not m < 30000.0 or m < 1e-3:
                x = x / m * float(rng.choice([3.0, 300.0, 3000.0]))
        with np.errstate(all="ignore"):
            y = x.astype(kdt)
        d = coord_diff(y)
        if len(d) and (np.any(d == 0) or not np.all(np.isfinite(d))):
            # the kind does not fit kdt: a non-uniform grid that does, offset where kdt's step is coarse
            base = float(rng.choice([0.0, 1000.0, -40.0]))
            y = (base + np.cumsum(rng.integers(1, 6, n)) * 0.5).astype(kdt)
        return y

    def int_coords(self, n, dt=None, nonuniform=False):
        rng = self.rng
        dt = np.dtype(dt or rng.choice(INT_DTYPES))
        info = np.iinfo(dt)
        style = rng.choice(["steps", "extreme", "decreasing"] + ([] if nonuniform else ["uniform"]))
        span = int(info.max) - int(info.min)
        if style == "uniform":
            step = int(rng.integers(1, 4))
            start = int(rng.integers(max(info.min, -10), 10))
            vals = [start + step * i for i in range(n)]
        elif style == "extreme" and dt.itemsize == 8:
            # near the type's maximum, where float64 holds only multiples of 2048 (int64) or 4096
            # (uint64): steps above that grid stay distinct but their differences get rounded
            top = int(info.max)
            steps = [int(rng.integers(4200, 20000)) for _ in range(n)]
            vals = [top - sum(steps[i:]) for i in range(n)]
        elif style == "extreme":
            top = int(info.max)
            steps = [int(rng.integers(1, max(2, min(5000, span // n)))) for _ in range(n)]
            vals = [top - sum(steps[i:]) for i in range(n)]
        else:
            steps = [int(rng.integers(1, max(2, min(6, span // (2 * n))))) for _ in range(n)]
            base = int(rng.integers(max(info.min, -20), min(info.max - sum(steps), 20)))
            vals = [base + sum(steps[:i]) for i in range(n)]
            if style == "decreasing":
                vals = vals[::-1]
        assert all(info.min <= v <= info.max for v in vals), (dt, vals)
        return np.array(vals, dtype=dt)

    def spacing_item(self, n, data_dtype):
        """One element of *varargs for an axis of length n: ('scalar', value) or ('coords', x)."""
        rng = self.rng
        kind = rng.choice(["float", "int", "nonuniform", "decreasing", "uniform", "linspace",
                           "intcoords", "huge", "tiny"],
                          p=[0.25, 0.1, 0.2, 0.08, 0.12, 0.08, 0.11, 0.03, 0.03])
        if kind == "float":
            return ("scalar", self.scalar_float())
        if kind == "int":
            return ("scalar", self.scalar_int(data_dtype))
        if kind == "intcoords":
            return ("coords", self.int_coords(n))
        kdt = str(rng.choice(FLOAT_DTYPES, p=[0.15, 0.25, 0.6]))
        if kind in ("huge", "tiny") and kdt != "float64":  # over- and underflow in kdt: departures
            with np.errstate(all="ignore"):
                return ("coords", self.coords(n, kind).astype(kdt))
        return ("coords", self.typed_coords(n, kind, kdt))

    # ---------------------------------------------------------------- cases
    def random_shape(self):
        rng = self.rng
        rank = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.2, 0.15]))
        choices = {1: [2, 3, 4, 5, 6, 7, 9, 16, 33], 2: [1, 2, 3, 4, 5, 6, 7, 9],
                   3: [1, 2, 3, 4, 5, 6], 4: [1, 2, 3, 4]}[rank]
        weights = np.array([3.0 if c in (2, 3) else (0.4 if c == 1 else 1.0) for c in choices])
        return [int(rng.choice(choices, p=weights / weights.sum())) for _ in range(rank)]

    def random_axis(self, rank):
        """numpy's `axis` argument: None, an int, or a tuple (list) in any order."""
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            return None
        if r < 0.7:
            a = int(rng.integers(0, rank))
            return a - rank if rng.random() < 0.4 else a
        k = int(rng.integers(1, rank + 1))
        axes = [int(a) for a in rng.permutation(rank)[:k]]
        return [a - rank if rng.random() < 0.3 else a for a in axes]

    @staticmethod
    def normalized(axis, rank):
        if axis is None:
            return list(range(rank))
        if isinstance(axis, int):
            return [axis % rank]
        return [a % rank for a in axis]

    def random_case(self, dtype=None):
        rng = self.rng
        dt = dtype or str(rng.choice(ALL_DTYPES))
        shape = self.random_shape()
        rank = len(shape)
        axis = self.random_axis(rank)
        axes = self.normalized(axis, rank)
        edge = int(rng.choice([1, 2]))
        for a in axes:
            if shape[a] < edge + 1:
                shape[a] = edge + 1 + int(rng.integers(0, 3))
        f = self.data(dt, shape)
        form = rng.choice(["none", "scalar_all", "per_axis"], p=[0.2, 0.25, 0.55])
        if form == "none":
            spacing = []
        elif form == "scalar_all":
            spacing = [("scalar", self.scalar_float() if rng.random() < 0.8 else self.scalar_int(dt))]
        else:
            spacing = [self.spacing_item(shape[a], dt) for a in axes]
        dtype_request = None
        if rng.random() < 0.04:
            dtype_request = str(rng.choice(["float32", "float64"]))
        self.add(f, axis, spacing, edge, why="random " + form, dtype_request=dtype_request)

    def targeted_cases(self):
        """Deterministic cases on numpy's value-based casting thresholds and special paths."""
        rng = self.rng
        steps = THRESHOLD_STEPS + [0.1, 1.0 / 3.0, -2.5, 3.0, 1e-5]
        for dt in FLOAT_DTYPES:
            for shape in ([7], [5, 6]):
                for edge in (1, 2):
                    for h in steps:
                        f = self.float_data(np.dtype(dt), shape)
                        self.add(f, None, [("scalar", h)], edge,
                                 why="value-based casting threshold step %r" % h)
                    for h in (7, 255, 256, 300, 2047, 2048, -3):
                        f = self.float_data(np.dtype(dt), shape)
                        self.add(f, None, [("scalar", h)], edge, why="integer scalar step %d" % h)
                    for kind in ("uniform", "linspace", "nonuniform", "decreasing", "huge", "tiny",
                                 "threshold_f16_step", "threshold_f16_coef", "threshold_f32_coef"):
                        f = self.float_data(np.dtype(dt), shape)
                        axis = len(shape) - 1
                        x = self.coords(shape[axis], kind)
                        self.add(f, axis, [("coords", x)], edge, why="coords " + kind)
        # Length-2 axes with coordinates: a single difference always collapses to a scalar.
        for dt in ALL_DTYPES:
            f = self.data(dt, [2, 3])
            self.add(f, None, [("coords", np.array([0.0, 0.3])), ("coords", np.array([1.0, 1.5, 4.0]))],
                     1, why="length-2 coordinates collapse")
            f = self.data(dt, [3])
            self.add(f, None, [("coords", np.array([0.0, 0.3, 0.5]))], 2, why="1-D non-uniform edge_order 2")
            f = self.data(dt, [3, 2, 4])
            self.add(f, [2, 0], [("scalar", 0.5), ("coords", self.int_coords(3))], 2,
                     why="reordered axes with integer coords")
        # Coordinate arrays of every dtype against every data dtype, 1-D (scalar edge arithmetic)
        # and 2-D, both edge orders; then two coordinate arrays of different dtypes at once.
        for dt in ALL_DTYPES:
            for kdt in COORD_DTYPES:
                for edge in (1, 2):
                    for shape in ([7], [5, 6], [6, 2, 3]):
                        f = self.data(dt, shape)
                        axis = int(rng.integers(0, len(shape)))
                        if shape[axis] < 3:
                            axis = 0
                        kind = str(rng.choice(COORD_KINDS[:-2] + COORD_KINDS[-1:]))  # not "uniform"
                        x = (self.int_coords(shape[axis], kdt, nonuniform=True) if kdt in INT_DTYPES
                             else self.typed_coords(shape[axis], kind, kdt))
                        self.add(f, axis, [("coords", x)], edge, why="%s coords %s" % (kdt, kind))
                f = self.data(dt, [5, 6])
                k2 = str(rng.choice(COORD_DTYPES))
                xs = [self.int_coords(n, k) if k in INT_DTYPES else self.typed_coords(n, str(rng.choice(COORD_KINDS)), k)
                      for n, k in ((5, kdt), (6, k2))]
                self.add(f, None, [("coords", xs[0]), ("coords", xs[1])], int(rng.integers(1, 3)),
                         why="%s and %s coords" % (kdt, k2))
        # Explicit output dtype (gradmap's extension: numpy's result .astype(dtype)).
        for dt in ALL_DTYPES:
            for req in ("float32", "float64"):
                f = self.data(dt, [4, 5])
                self.add(f, None, [("scalar", 0.3)], int(rng.integers(1, 3)), why="explicit dtype",
                         dtype_request=req)
        # An empty axis tuple: numpy returns an empty list.
        self.add(self.data("float64", [3, 4]), [], [], 1, why="empty axis tuple")
        # Arrays with no elements along an unselected axis: numpy returns empty components.
        self.add(np.zeros((0, 4), np.float32), 1, [], 1, why="empty array, axis 1 of (0, 4)")
        self.add(np.zeros((3, 0), np.int16), 0, [("scalar", 2.0)], 2, why="empty array, axis 0 of (3, 0)")

    def large_cases(self):
        """Arrays big enough for gradmap's vectorized inner loops and thread splitting."""
        rng = self.rng

        def smooth(dt, shape):
            grids = np.meshgrid(*[np.linspace(0.0, 3.0, s) for s in shape], indexing="ij")
            x = sum(np.sin(g * (k + 1.3)) for k, g in enumerate(grids))
            x = x + rng.standard_normal(shape) * 0.1
            if np.dtype(dt).kind in "iu":
                info = np.iinfo(dt)
                lo, hi = 0.99 * float(info.min), 0.99 * float(info.max)
                x = np.round((x - x.min()) / (x.max() - x.min()) * (hi - lo) + lo)
            return x.astype(dt)

        big = smooth("float32", (1000, 1000))
        self.add(big, None, [("coords", self.coords(1000, "nonuniform")), ("scalar", 0.37)], 2,
                 why="large float32 (1000, 1000), coords + step, edge_order 2", tag="large")
        self.add(smooth("float32", (400, 500)), None, [], 1, why="large float32 (400, 500), unit steps", tag="large")
        self.add(smooth("float64", (40, 40, 40)), None, [("scalar", 0.5)], 2,
                 why="large float64 (40, 40, 40)", tag="large")
        self.add(smooth("float64", (30, 40, 50)), None,
                 [("coords", self.coords(30, "nonuniform")), ("coords", self.coords(40, "decreasing")),
                  ("coords", self.coords(50, "linspace"))], 1, why="large float64 coords on 3 axes",
                 tag="large")
        self.add(smooth("float16", (257, 131)), None, [("scalar", 0.1), ("coords", self.coords(131, "nonuniform"))],
                 1, why="large float16", tag="large")
        self.add(smooth("uint16", (300, 301)), None, [("scalar", 2.5)], 2, why="large uint16", tag="large")
        self.add(smooth("int64", (1001,)), None, [("coords", self.coords(1001, "nonuniform"))], 2,
                 why="large int64 1-D", tag="large")
        self.add(smooth("float32", (3, 100003)), -1, [("scalar", 1e-3)], 2, why="long rows", tag="large")
        self.add(smooth("float32", (100003, 3)), 0, [("scalar", 3.0)], 1, why="long columns", tag="large")
        self.add(smooth("uint8", (3, 17, 400)), [2, 1], [("scalar", 0.25), ("scalar", 1.5)], 2,
                 why="uint8 volume", tag="large")
        holes = smooth("float32", (600, 500))
        holes.ravel()[rng.integers(0, holes.size, 300)] = np.nan
        holes.ravel()[rng.integers(0, holes.size, 300)] = np.inf
        holes.ravel()[rng.integers(0, holes.size, 300)] = -np.inf
        self.add(holes, None, [("coords", self.coords(600, "decreasing")), ("coords", self.coords(500, "uniform"))],
                 1, why="large float32 with NaN/Inf, coords on both axes", tag="large")
        mid32 = smooth("float32", (200, 300))
        for h in (3.5e38, 1.7e38, 1e-300, 1e-45, 65000.0):
            self.add(mid32, None, [("scalar", h)], 2, why="large float32, step %r" % h, tag="large")
        mid16 = smooth("float16", (200, 300))
        for h in (40000.0, 70000.0, 1e-8, 2.0 / 65000.0):
            self.add(mid16, None, [("scalar", h)], 2, why="large float16, step %r" % h, tag="large")
            self.add(mid16, None, [("scalar", h)], 1, why="large float16, step %r" % h, tag="large")
        self.add(mid16, None, [("coords", self.coords(200, "threshold_f16_coef")),
                               ("coords", self.coords(300, "threshold_f16_step"))], 2,
                 why="large float16, threshold coords", tag="large")
        self.add(mid32, None, [("coords", self.coords(200, "threshold_f32_coef")),
                               ("coords", self.coords(300, "threshold_f32_step"))], 2,
                 why="large float32, threshold coords", tag="large")
        self.add(smooth("float32", (20, 30, 40)), [0, 2], [("coords", self.coords(20, "nonuniform")), ("scalar", 0.3)],
                 1, why="large float32 volume, axes (0, 2)", tag="large")
        self.add(smooth("int8", (200, 300)), None, [], 2, why="large int8", tag="large")

    def error_cases(self):
        """Cases where numpy raises; gradmap must throw."""
        for dt in ("float64", "float32", "int16", "uint8"):
            # axis too short for edge_order
            self.add(self.data(dt, [1]), None, [], 1, why="length-1 axis, edge_order 1")
            self.add(self.data(dt, [2]), None, [], 2, why="length-2 axis, edge_order 2")
            self.add(self.data(dt, [4, 2]), None, [], 2, why="second axis too short for edge_order 2")
            self.add(self.data(dt, [4, 1, 3]), [0, 1], [("scalar", 1.0)], 1, why="length-1 axis selected")
            self.add(self.data(dt, [0]), None, [], 1, why="empty 1-D array")
            # edge_order > 2
            self.add(self.data(dt, [5, 5]), None, [], 3, why="edge_order 3")
            self.add(self.data(dt, [6]), None, [("scalar", 0.5)], 7, why="edge_order 7")
            # duplicate axes
            self.add(self.data(dt, [3, 4]), [0, 0], [], 1, why="duplicate axis")
            self.add(self.data(dt, [3, 4]), [1, -1], [], 1, why="duplicate axis via negative index")
            self.add(self.data(dt, [3, 4, 5]), [0, 2, -3], [], 1, why="duplicate axis in 3-D")
            # axis out of range
            self.add(self.data(dt, [3, 4]), 2, [], 1, why="axis out of range")
            self.add(self.data(dt, [3, 4]), -3, [], 1, why="negative axis out of range")
            self.add(self.data(dt, [3, 4]), [0, 5], [], 1, why="axis tuple out of range")
            # coordinates of the wrong length
            self.add(self.data(dt, [4, 5]), 1, [("coords", np.arange(4.0))], 1, why="coords too short")
            self.add(self.data(dt, [4, 5]), None, [("scalar", 1.0), ("coords", np.arange(6.0))], 1,
                     why="coords too long")
            self.add(self.data(dt, [4, 5]), None, [("coords", np.arange(5.0)), ("scalar", 1.0)], 1,
                     why="coords for the wrong axis")
            # 2-D coordinates: AxisSpacing::coordinates(Array) refuses them with numpy's wording.
            # (The CLI's "not 1-D" error is tested there.)
            self.add(self.data(dt, [4, 5]), 1, [("coords", np.arange(10.0).reshape(2, 5))], 1,
                     why="2-D coordinates")
            # wrong number of spacings
            self.add(self.data(dt, [3, 4, 5]), None, [("scalar", 1.0), ("scalar", 2.0)], 1,
                     why="two steps for three axes")
            self.add(self.data(dt, [3, 4]), 0, [("scalar", 1.0), ("scalar", 2.0)], 1,
                     why="two steps for one axis")
            self.add(self.data(dt, [3, 4]), None, [("coords", np.arange(3.0))], 1,
                     why="single coordinate array with two axes")
            self.add(self.data(dt, [3, 4]), [1], [("scalar", 1.0)] * 3, 2, why="three steps for one axis")

    def departure_cases(self):
        """gradmap throws InvalidArgument where numpy returns Inf/NaN (or guesses)."""
        bad = [0.0, -0.0, float("nan"), float("inf"), float("-inf")]
        for dt in ("float64", "float32", "float16", "int32", "uint8"):
            for v in bad:
                self.add(self.data(dt, [4, 3]), None, [("scalar", v)], 1, why="scalar step %r" % v)
                self.add(self.data(dt, [4, 3]), None, [("scalar", 1.0), ("scalar", v)], 2,
                         why="per-axis step %r" % v)
            self.add(self.data(dt, [5]), None, [("scalar", 0)], 1, why="integer step 0")
            self.add(self.data(dt, [5, 4]), 0, [("coords", np.array([0.0, 1.0, 1.0, 2.0, 3.0]))], 1,
                     why="repeated coordinate")
            self.add(self.data(dt, [4, 5]), -1, [("coords", np.array([2, 2, 2, 2, 2], np.int16))], 2,
                     why="constant integer coordinates")
            self.add(self.data(dt, [5]), None, [("coords", np.array([0.0, 1.0, np.nan, 3.0, 4.0]))], 1,
                     why="NaN coordinate")
            self.add(self.data(dt, [5]), None, [("coords", np.array([0.0, 1.0, 2.0, 3.0, np.inf]))], 1,
                     why="Inf coordinate")
            self.add(self.data(dt, [3]), None, [("coords", np.array([-1.5e308, 0.0, 1.5e308]))], 1,
                     why="finite coordinates whose difference overflows")
            self.add(self.data(dt, [4]), None, [("coords", np.array([1, 3, 3, 4], np.uint64) * (2 ** 62 // 4))],
                     2, why="repeated integer coordinates")
            # edge_order other than 1 and 2
            self.add(self.data(dt, [5, 4]), None, [], 0, why="edge_order 0 (numpy uses the order-2 formulas)")
            self.add(self.data(dt, [5, 4]), None, [], -1, why="edge_order -1 (numpy uses the order-2 formulas)")
            self.add(self.data(dt, [2]), None, [], 0, why="edge_order 0 on a length-2 axis (numpy: IndexError)")

    # ---------------------------------------------------------------- bookkeeping
    def add(self, f, axis, spacing, edge_order, why, dtype_request=None, tag=None):
        cid = len(self.cases)
        stem = "c%04d" % cid
        f = np.ascontiguousarray(f)
        varargs, items, call_args = [], [], []
        for k, (kind, v) in enumerate(spacing):
            if kind == "scalar":
                varargs.append(v)
                items.append({"kind": "scalar", "value": fmt_float(v),
                              "python": "int" if isinstance(v, int) else "float"})
                call_args.append(repr(v))
            else:
                name = "%s_x%d.npy" % (stem, k)
                np.save(os.path.join(self.outdir, name), np.ascontiguousarray(v), allow_pickle=False)
                varargs.append(v)
                item = {"kind": "coords", "file": name, "dtype": str(v.dtype), "shape": list(v.shape)}
                if v.ndim == 1 and len(v) > 1:
                    d = coord_diff(v)
                    item["collapses"] = bool((d == d[0]).all())
                items.append(item)
                call_args.append("x%d" % k)
        axis_txt = repr(tuple(axis)) if isinstance(axis, list) else repr(axis)
        call = "np.gradient(f%s, axis=%s, edge_order=%d)" % (
            "".join(", " + a for a in call_args), axis_txt, edge_order)
        case = {"id": cid, "input": stem + "_in.npy", "dtype": str(f.dtype), "shape": list(f.shape),
                "axis": axis, "spacing": items, "edge_order": edge_order,
                "dtype_request": dtype_request, "call": call, "why": why, "tag": tag}
        np.save(os.path.join(self.outdir, case["input"]), f, allow_pickle=False)

        departure = self.departure_reason(f, axis, varargs, edge_order)
        np_axis = tuple(axis) if isinstance(axis, list) else axis
        try:
            with np.errstate(all="ignore"):
                res = np.gradient(f, *varargs, axis=np_axis, edge_order=edge_order)
            if not isinstance(res, (list, tuple)):
                res = [res]
            numpy_said = "returned"
        except Exception as e:  # noqa: BLE001 - any numpy exception is the oracle's answer
            res = None
            numpy_said = "%s: %s" % (type(e).__name__, e)
        case["numpy_said"] = numpy_said
        if departure:
            case["expect"] = "departure"
            case["gradmap_error"] = "InvalidArgument"
            case["why"] += " [departure: %s]" % departure
        elif res is None:
            case["expect"] = "numpy_error"
            shape_errors = ("Shape of array too small", "distances must match the length",
                            "distances must be either scalars or 1d")
            case["gradmap_error"] = ("ShapeError" if any(s in numpy_said for s in shape_errors)
                                     else "InvalidArgument")
        else:
            case["expect"] = "ok"
            outs = []
            for k, r in enumerate(res):
                if dtype_request:
                    with np.errstate(all="ignore"):
                        r = r.astype(dtype_request)
                name = "%s_out%d.npy" % (stem, k)
                np.save(os.path.join(self.outdir, name), np.ascontiguousarray(r), allow_pickle=False)
                outs.append(name)
            case["outputs"] = outs
            natural = np.gradient(np.zeros(3, f.dtype)).dtype  # numpy's output type for f's dtype
            case["out_dtype"] = str(np.dtype(dtype_request) if dtype_request else natural)
        self.cases.append(case)

    @staticmethod
    def departure_reason(f, axis, varargs, edge_order):
        """Why gradmap deliberately throws where numpy does not (None when it doesn't)."""
        if edge_order not in (1, 2) and edge_order <= 2:
            return "edge_order %d is neither 1 nor 2" % edge_order
        # Only single-fault cases are generated: with a bad axis, numpy's error is the expectation.
        if axis is not None:
            listed = [axis] if isinstance(axis, int) else list(axis)
            if any(not -f.ndim <= a < f.ndim for a in listed) or len({a % f.ndim for a in listed}) != len(listed):
                return None
        for v in varargs:
            if np.ndim(v) == 0:
                if not math.isfinite(float(v)) or float(v) == 0.0:
                    return "step %r" % v
            elif np.ndim(v) == 1:
                d = coord_diff(v)
                with np.errstate(all="ignore"):
                    if len(d) and (np.any(d == 0) or not np.all(np.isfinite(d))):
                        return "coordinate differences %r" % (d.tolist(),)
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=700, help="number of random cases (besides the "
                    "targeted, error and departure cases)")
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    g = Gen(args.outdir, args.seed)
    g.targeted_cases()
    g.large_cases()
    g.error_cases()
    g.departure_cases()
    for i in range(args.count):
        # Every dtype gets its share; the rest of the choices are random.
        g.random_case(ALL_DTYPES[i % len(ALL_DTYPES)])
    manifest = {"numpy": np.__version__, "seed": args.seed, "cases": g.cases}
    with open(os.path.join(args.outdir, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=0)
    counts = {}
    for c in g.cases:
        counts[c["expect"]] = counts.get(c["expect"], 0) + 1
    print("wrote %d cases to %s: %s" % (len(g.cases), args.outdir, counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
