# SPDX-License-Identifier: MIT
"""gradmap.dask against numpy on the computed whole array: bit-identical for random chunkings
(uneven chunks, chunks of one sample, single chunks), every spacing form, both edge orders; on a
distributed LocalCluster of 2 workers too."""
import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import gradmap  # noqa: E402
import gradmap.dask  # noqa: E402
from test_gradient_differential import assert_same_result, random_array, random_coords  # noqa: E402


def random_chunks(rng, n):
    """A random partition of n (uneven, with chunks of 1 sample sometimes)."""
    cuts = sorted(set(int(c) for c in rng.integers(1, n, size=int(rng.integers(0, min(n, 5))))))
    bounds = [0] + cuts + [n]
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


def random_case(rng, edge_order):
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(s) for s in rng.integers(edge_order + 1, 14, size=ndim))
    dtype = [np.float32, np.float64, np.int16, np.uint8, np.float16][rng.integers(5)]
    f = random_array(rng, shape, dtype)
    chunks = tuple(random_chunks(rng, s) for s in shape)
    axis = None if rng.random() < 0.5 else tuple(int(a) for a in rng.permutation(ndim)[:int(rng.integers(1, ndim + 1))])
    axes = list(range(ndim)) if axis is None else list(axis)
    spacing = []
    form = rng.integers(0, 3)
    if form == 1:
        spacing = [float(rng.choice([0.5, 2.0, 0.3]))]
    elif form == 2:
        for ax in axes:
            kind = rng.integers(0, 3)
            if kind == 0:
                spacing.append(np.float32(0.7))
            elif kind == 1:
                spacing.append(random_coords(rng, shape[ax], [np.float64, np.float32, np.int64][rng.integers(3)]))
            else:  # non-uniform overall, uniform over stretches: blocks see uniform slices
                c = np.arange(shape[ax], dtype=np.float64)
                c[-1] += 0.5
                spacing.append(c)
    return f, chunks, spacing, axis


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_equals_numpy_bitwise_for_random_chunkings(edge_order):
    rng = np.random.default_rng(100 + edge_order)
    for _ in range(60):
        f, chunks, spacing, axis = random_case(rng, edge_order)
        x = da.from_array(f, chunks=chunks)
        got = gradmap.dask.gradient(x, *spacing, axis=axis, edge_order=edge_order)
        computed = [g.compute(scheduler="sync") for g in got] if isinstance(got, list) else got.compute(
            scheduler="sync")
        want = np.gradient(f, *spacing, axis=axis, edge_order=edge_order)
        assert_same_result(computed, want)
        if isinstance(got, list):
            assert all(g.chunks == x.chunks for g in got) or min(min(c) for c in x.chunks) < edge_order


@pytest.mark.parametrize("edge_order", [1, 2])
def test_edges_equal_whole_array_edges_bitwise(edge_order):
    rng = np.random.default_rng(200 + edge_order)
    for ndim in (2, 3):
        for _ in range(10):
            shape = tuple(int(s) for s in rng.integers(edge_order + 1, 12, size=ndim))
            f = random_array(rng, shape, np.float32)
            x = da.from_array(f, chunks=tuple(random_chunks(rng, s) for s in shape))
            coords = random_coords(rng, shape[-1], np.float64)
            spacing = [1.0] * (ndim - 1) + [coords]
            got = gradmap.dask.edges(x, *spacing, edge_order=edge_order, units="deg")
            want = gradmap.edges(f, *spacing, edge_order=edge_order, units="deg")
            assert type(got).__name__ == type(want).__name__
            assert_same_result([g.compute(scheduler="sync") for g in got], list(want))


def test_invalid_arguments_raise_numpys_exceptions_before_computing():
    x = da.ones((5, 5), chunks=2)
    with pytest.raises(TypeError):
        gradmap.dask.gradient(x, 1.0, 2.0, 3.0)
    with pytest.raises(np.AxisError):
        gradmap.dask.gradient(x, axis=2)
    with pytest.raises(ValueError):
        gradmap.dask.gradient(x, np.ones(4), 1.0)
    with pytest.raises(ValueError):
        gradmap.dask.gradient(da.ones((2, 5), chunks=1), edge_order=2)
    with pytest.raises(ValueError):
        gradmap.dask.gradient(x, edge_order=3)
    with pytest.raises(TypeError):
        gradmap.dask.gradient(da.ones(5, dtype=complex, chunks=2))


def test_runs_on_a_local_cluster_of_two_worker_processes():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(5)
    f = random_array(rng, (40, 50, 30), np.float32)
    x = da.from_array(f, chunks=(13, 20, 16))
    coords = random_coords(rng, 30, np.float32)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        g = gradmap.dask.gradient(x, 2.5, 0.5, coords, edge_order=2)
        e = gradmap.dask.edges(x, 2.5, 0.5, coords)
        got = client.compute(g + list(e), sync=True)
    assert_same_result(got[:3], np.gradient(f, 2.5, 0.5, coords, edge_order=2))
    assert_same_result(got[3:], list(gradmap.edges(f, 2.5, 0.5, coords)))


OPERATORS = ["central", "central4", "sobel", "prewitt", "scharr", "gaussian:1", "gaussian:0.8,1.5,2"]
BOUNDARIES = ["reflect", "mirror", "nearest", "wrap", "constant:2.5"]


def test_operators_equal_the_whole_array_bitwise_for_random_chunkings():
    """Every operator x padded boundary, ranks 1-3, random (uneven, one-sample) chunkings, several
    dtypes, axis subsets and spacings: the blocks' halos (edges and corners included, the opposite
    end for wrap) make each output equal gradmap on the whole array."""
    rng = np.random.default_rng(300)
    for op in OPERATORS:
        for boundary in BOUNDARIES:
            for _ in range(3):
                ndim = int(rng.integers(1, 4))
                shape = tuple(int(s) for s in rng.integers(1, 16, size=ndim))
                dtype = [np.float32, np.float64, np.int16, np.uint8][rng.integers(4)]
                f = random_array(rng, shape, dtype)
                x = da.from_array(f, chunks=tuple(random_chunks(rng, s) for s in shape))
                o = op
                if op.startswith("gaussian:") and "," in op:
                    o = "gaussian:" + ",".join(op.split(":")[1].split(",")[:ndim])
                axis = None if rng.random() < 0.5 else int(rng.integers(ndim))
                naxes = ndim if axis is None else 1
                spacing = [] if rng.random() < 0.5 else [float(rng.choice([0.5, 2.0, 0.7])) for _ in range(naxes)]
                kw = dict(axis=axis, operator=o, boundary=boundary)
                want = gradmap.gradient(f, *spacing, **kw)
                got = gradmap.dask.gradient(x, *spacing, **kw)
                computed = [g.compute(scheduler="sync") for g in got] if isinstance(got, list) else got.compute(
                    scheduler="sync")
                assert_same_result(computed, want), (op, boundary, shape, x.chunks, axis, spacing)
                if ndim >= 2 and axis is None:
                    we = gradmap.edges(f, *spacing, **kw)
                    ge = gradmap.dask.edges(x, *spacing, **kw)
                    assert_same_result([g.compute(scheduler="sync") for g in ge], list(we))


def test_operators_refuse_what_gradmap_refuses_before_computing():
    x = da.ones((6, 6), chunks=2)
    with pytest.raises(gradmap.InvalidArgument, match="coordinate arrays"):
        gradmap.dask.gradient(x, np.arange(6.0) ** 2, 1.0, operator="sobel")
    with pytest.raises(gradmap.InvalidArgument, match="unknown operator"):
        gradmap.dask.gradient(x, operator="bogus")
    with pytest.raises(gradmap.InvalidArgument, match="edge_order 2"):
        gradmap.dask.edges(x, operator="sobel", edge_order=2)
