# SPDX-License-Identifier: MIT
"""gradmap.gradient / gradmap.edges with operator= and boundary= against scipy.ndimage."""
import numpy as np
import pytest
import scipy.ndimage as nd

import gradmap


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap", "constant:1.5"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_sobel_and_gaussian_equal_scipy(mode, dtype):
    rng = np.random.default_rng(3)
    f = (rng.random((9, 11, 7)) * 200).astype(dtype)
    h = (0.5, 2.0, 1.25)
    name, cval = (mode.split(":")[0], float(mode.split(":")[1])) if ":" in mode else (mode, 0.0)
    g64 = f.astype(np.float64)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    got = gradmap.gradient(f, *h, operator="sobel", boundary=mode)
    for k in range(3):
        want = nd.sobel(g64, axis=k, mode=name, cval=cval) / 32 / h[k]
        assert np.max(np.abs(got[k] - want)) <= tol * max(np.max(np.abs(want)), np.max(np.abs(g64)))
    got = gradmap.gradient(f, *h, operator="gaussian:1.5", boundary=mode)
    for k in range(3):
        want = nd.gaussian_filter(g64, [1.5 / hj for hj in h], order=[int(j == k) for j in range(3)], mode=name,
                                  cval=cval) / h[k]
        assert np.max(np.abs(got[k] - want)) <= tol * max(np.max(np.abs(want)), np.max(np.abs(g64)))


def test_edges_take_the_operator():
    f = np.random.default_rng(4).random((30, 40))
    e = gradmap.edges(f, operator="scharr", boundary="wrap")
    gy, gx = gradmap.gradient(f, operator="scharr", boundary="wrap")
    assert np.array_equal(e.magnitude, np.hypot(gx, gy))


def test_bad_operator_and_boundary_raise_value_error():
    f = np.zeros((4, 4))
    with pytest.raises(ValueError, match="unknown operator"):
        gradmap.gradient(f, operator="laplace")
    with pytest.raises(ValueError, match="central operator only"):
        gradmap.gradient(f, operator="sobel", boundary="numpy")
    with pytest.raises(ValueError, match="coordinate arrays"):
        gradmap.gradient(f, [0, 1, 3, 4], axis=0, operator="prewitt")
