# SPDX-License-Identifier: MIT
"""gradmap.gradient against numpy.gradient (the oracle, run in this process) on random inputs:
every dtype, spacing form (scalars of several types, coordinate arrays of several dtypes, uniform
and not, mixed), axis selection, edge order and memory layout. Equality is bitwise (0 ulp)."""
import itertools

import numpy as np
import pytest

import gradmap

INPUT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                np.float16, np.float32, np.float64]
COORD_DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8]


def assert_bitwise_equal(got, want):
    got, want = np.asarray(got), np.asarray(want)
    # numpy keeps a byte-swapped input's byte order in its output; gradmap returns native arrays.
    want = want.astype(want.dtype.newbyteorder("="))
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    both_nan = np.isnan(got) & np.isnan(want)
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.itemsize]
    differ = (got.view(bits) != want.view(bits)) & ~both_nan
    assert not differ.any(), f"{differ.sum()} of {got.size} values differ, e.g. {got[differ][:3]} vs {want[differ][:3]}"


def assert_same_result(got, want):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_bitwise_equal(g, w)
    else:
        assert isinstance(got, np.ndarray)
        assert_bitwise_equal(got, want)


def random_array(rng, shape, dtype):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    scale = 100.0 if dtype == np.float16 else 1e3
    return (rng.standard_normal(shape) * scale).astype(dtype)


def random_coords(rng, n, dtype):
    """Strictly monotonic coordinates exact in `dtype` (no zero steps: gradmap refuses them)."""
    while True:
        if np.issubdtype(dtype, np.integer):
            x = np.cumsum(rng.integers(1, 4, size=n)).astype(dtype)
        else:
            x = np.cumsum(rng.uniform(0.25, 2.0, size=n)).astype(dtype)
        if rng.random() < 0.3:
            x = x[::-1].copy()
        d = np.diff(x.astype(np.float64) if np.issubdtype(dtype, np.integer) else x)
        if np.all(d != 0) and np.all(np.isfinite(d)):
            return x


def random_scalar(rng):
    kind = rng.integers(0, 6)
    v = float(rng.choice([0.5, 0.7, 1.3, 2.0, 3.0, 0.1]))
    return [v, int(max(1, round(v * 2))), np.float64(v), np.float32(v), np.float16(v), np.array(v)][kind]


def random_spacing(rng, shape, axes):
    form = rng.integers(0, 3)
    if form == 0:
        return []
    if form == 1:
        return [random_scalar(rng)]
    out = []
    for ax in axes:
        kind = rng.integers(0, 3)
        if kind == 0:
            out.append(random_scalar(rng))
        elif kind == 1:
            out.append(random_coords(rng, shape[ax], COORD_DTYPES[rng.integers(len(COORD_DTYPES))]))
        else:  # uniform coordinates: numpy reduces them to a scalar of their dtype
            dt = COORD_DTYPES[rng.integers(len(COORD_DTYPES))]
            out.append((np.arange(shape[ax]) * (2 if np.issubdtype(dt, np.integer) else 0.5)).astype(dt))
    return out


def random_axis(rng, ndim):
    form = rng.integers(0, 3)
    if form == 0:
        return None
    if form == 1:
        return int(rng.integers(-ndim, ndim))
    k = int(rng.integers(1, ndim + 1))
    return tuple(int(a) - (ndim if rng.random() < 0.3 else 0) for a in rng.permutation(ndim)[:k])


def layout(rng, a):
    """The same values in another memory layout: reversed, strided, transposed or byte-swapped."""
    kind = rng.integers(0, 4)
    if kind == 0:
        return a
    if kind == 1:  # a view with negative and non-unit strides of a bigger array
        big = np.repeat(a, 2, axis=-1)
        return big[..., ::-2][..., ::-1]
    if kind == 2:
        return np.ascontiguousarray(a.T).T
    return a.astype(a.dtype.newbyteorder()) if a.itemsize > 1 else a


@pytest.mark.parametrize("dtype", INPUT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("edge_order", [1, 2])
def test_random_inputs_equal_numpy_bitwise(dtype, edge_order):
    rng = np.random.default_rng(hash((np.dtype(dtype).name, edge_order)) % 2**32)
    for _ in range(40):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(edge_order + 1, 9, size=ndim))
        f = layout(rng, random_array(rng, shape, dtype))
        axis = random_axis(rng, ndim)
        axes = list(range(ndim)) if axis is None else ([axis] if isinstance(axis, int) else list(axis))
        spacing = random_spacing(rng, shape, axes)
        with np.errstate(all="ignore"):
            want = np.gradient(f, *spacing, axis=axis, edge_order=edge_order)
        got = gradmap.gradient(f, *spacing, axis=axis, edge_order=edge_order)
        assert_same_result(got, want)


@pytest.mark.parametrize("out_dtype", [np.float32, np.float64, np.float16])
def test_dtype_rounds_numpys_result(out_dtype):
    rng = np.random.default_rng(7)
    f = random_array(rng, (6, 7), np.float64)
    x = random_coords(rng, 7, np.float32)
    want = [g.astype(out_dtype) for g in np.gradient(f, 0.5, x)]
    assert_same_result(gradmap.gradient(f, 0.5, x, dtype=out_dtype), want)


def test_out_arrays_are_filled_and_returned_in_any_layout():
    rng = np.random.default_rng(8)
    f = random_array(rng, (9, 10), np.int16)
    backing = np.zeros((2, 10, 20), np.float32)
    out = [backing[0, :9, ::2], backing[1].T[::-2][:9]]  # strided, transposed views
    got = gradmap.gradient(f, 2.0, out=out)
    assert got[0] is out[0] and got[1] is out[1]
    assert_same_result([o.copy() for o in got], [g.astype(np.float32) for g in np.gradient(f, 2.0)])
    single = np.empty((9, 10))
    assert gradmap.gradient(f, axis=1, out=single) is single
    assert_bitwise_equal(single, np.gradient(f, axis=1))


def test_out_arrays_of_the_wrong_shape_or_dtype_are_refused():
    f = np.ones((4, 5))
    with pytest.raises(ValueError):
        gradmap.gradient(f, axis=0, out=np.empty((5, 4)))
    with pytest.raises(TypeError):
        gradmap.gradient(f, axis=0, out=np.empty((4, 5), np.int32))
    with pytest.raises(ValueError):
        gradmap.gradient(f, out=[np.empty((4, 5))])


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_results_do_not_depend_on_threads(threads):
    rng = np.random.default_rng(9)
    f = random_array(rng, (64, 300), np.float32)
    want = np.gradient(f, 1.5, edge_order=2)
    assert_same_result(gradmap.gradient(f, 1.5, edge_order=2, threads=threads), want)
    gradmap.set_num_threads(threads)
    try:
        assert gradmap.get_num_threads() == threads
        assert_same_result(gradmap.gradient(f, 1.5, edge_order=2), want)
    finally:
        gradmap.set_num_threads(0)


def test_input_is_read_in_place_without_a_copy():
    # A view onto a buffer the kernels read directly: writing the buffer between calls changes
    # the result, and no copy of a big array is made (tracemalloc sees only the outputs).
    import tracemalloc
    f = np.zeros((512, 512), np.float32)[:, ::2]
    tracemalloc.start()
    gradmap.gradient(f, axis=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1.5 * f.size * 4, peak  # one float32 output; a copy of f would double it


def test_lists_and_scalars_of_rank_zero():
    assert_same_result(gradmap.gradient([1, 4, 9, 16]), np.gradient([1, 4, 9, 16]))
    assert gradmap.gradient(np.float64(3.0)) == np.gradient(np.float64(3.0)) == []


def test_gil_is_released_while_computing():
    # A Python thread keeps appending while one long gradmap call runs: holding the GIL for the
    # call would leave it no step at all inside the call (at most one), releasing it leaves many.
    import threading
    import time
    f = np.random.default_rng(1).standard_normal((3000, 3000))
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0002)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        time.sleep(0.01)
        start = time.perf_counter()
        gradmap.edges(f, threads=1)
        end = time.perf_counter()
    finally:
        stop.set()
        t.join()
    during = [x for x in ticks if start < x < end]
    assert len(during) >= 3, (len(during), end - start)
