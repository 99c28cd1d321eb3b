#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How kAtanP in atan2_lanes.hpp was made: atan(t) = t + t^3 P(t^2) on [0, 1], P of degree DEG
(default 8), fitted to atan's relative error by Lawson-reweighted least squares on Chebyshev nodes
(mpmath gives the exact values), with atan(1) = pi/4 held by a heavy node at t = 1. The coefficients
are then rounded to float32, and the top one nudged (in steps of 2^-40) until the float32
evaluation at t = 1 gives fl(pi/4) and fl(3pi/4) as C does (degree 8 needs no nudge). Prints the
relative error before rounding and the coefficients, constant term first, as C hex floats.

    /usr/bin/python3 lib/src/edges/atan2_fit.py [DEG]

The accuracy of the whole atan2 is not this script's claim: tests/test_polar_atan2.cpp measures it
over every float ratio.
"""
import sys

import mpmath as mp
import numpy as np

deg = int(sys.argv[1]) if len(sys.argv) > 1 else 8
mp.mp.dps = 40


def g(s):
    """P's target: (atan(sqrt s) - sqrt s) / s^(3/2)."""
    s = mp.mpf(s)
    if s == 0:
        return mp.mpf(-1) / 3
    t = mp.sqrt(s)
    return (mp.atan(t) - t) / (s * t)


n = 4000
ts = np.sort(np.cos(np.pi * (np.arange(n) + 0.5) / n) * 0.5 + 0.5)
ts = np.append(ts, 1.0)
ss = ts * ts
gv = np.array([float(g(x)) for x in ss])
at = np.array([float(mp.atan(mp.mpf(x))) for x in ts])
wt = ts**3 / at  # P's error times wt is atan's relative error
V = np.vander(ss, deg + 1, increasing=True)
w = np.ones(n + 1)
for _ in range(200):
    ww = w.copy()
    ww[-1] = 1e6
    c, *_ = np.linalg.lstsq(V * (wt * ww)[:, None], gv * wt * ww, rcond=None)
    e = np.abs((V @ c - gv) * wt)
    w = np.maximum(w * e / (w * e).max(), 1e-12)

f32 = np.float32


def exact_at_one(p):
    t = f32(1)
    s = t * t
    q = p[-1]
    for k in p[-2::-1]:
        q = q * s + k
    c = (t * s) * q
    pi_hi = f32(np.pi)
    pi_lo = f32(np.pi - float(pi_hi))
    return t + c == f32(np.pi / 4) and pi_hi + (-t + (-c + pi_lo)) == f32(3 * np.pi / 4)


p = [f32(x) for x in c]
step = 0
while not exact_at_one(p):
    step += 1
    for d in (step, -step):
        q = list(p)
        q[-1] = f32(float(p[-1]) + d * 2.0**-40)
        if exact_at_one(q):
            p = q
            break
    else:
        continue
    break
print(f"degree {deg}: relative error {e.max():.3g} before rounding to float; top coefficient nudged {step} steps")
print(", ".join(float.hex(float(x)).replace("0000000p", "p") + "f" for x in p))
