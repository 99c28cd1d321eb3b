# SPDX-License-Identifier: MIT
"""gradmap.gradient and gradmap.edges on Dask arrays, bit-identical to numpy on the whole array.

Each block is computed by gradmap's kernels with a halo of neighbouring samples (``map_overlap``,
``boundary='none'``): numpy's central differences need one neighbour on each side, and the one-sided
differences at the array's true ends need ``edge_order`` samples inward, so the halo is
``edge_order`` deep along the selected axes (and chunks are made at least that long). The
one-sided rule is applied only at the array's true ends: a block's halo side is cut off after
computing. Coordinate arrays are sliced per block; numpy's "uniform coordinates become a scalar step"
rule is decided once on the whole coordinate array, and a block whose slice of a non-uniform
coordinate array happens to be uniform is given one padding sample so that it takes the same
non-uniform formula. The result equals ``np.gradient(x.compute(), ...)`` bit for bit for any chunking.
"""
from __future__ import annotations

import dask.array as da
import numpy as np
from dask.array.overlap import ensure_minimum_chunksize
from numpy.core.numeric import normalize_axis_tuple

import gradmap
from gradmap import Edges2D, Edges3D, EdgesND, _check_edge_order, _gradmap, _input_array, _resolve

__all__ = ["gradient", "edges"]


def _axis_spacing(varargs, axes, shape, axis):
    """Per selected axis: a scalar step (the user's object, or numpy's reduction of uniform
    coordinates: diff[0] in the coordinates' dtype) or a 1-D coordinate ndarray kept non-uniform."""
    _resolve(shape, varargs, axis)  # numpy's argument checks and exception types
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [varargs[0]] * len(axes)
    out = []
    for d in varargs:
        if np.ndim(d) == 0:
            out.append(d)
            continue
        c = np.asarray(d)
        if np.issubdtype(c.dtype, np.integer):
            c = c.astype(np.float64)
        diff = np.diff(c)
        out.append(diff[0] if (diff == diff[0]).all() else c)
    return out


def _pad_for_nonuniform(block, coords, ax, at_end):
    """One extra sample at a block's halo end (`at_end`: the high end) with a coordinate that makes
    the block's coordinates non-uniform; the padded sample is cut off with the halo."""
    step = coords[-1] - coords[-2] if at_end else coords[1] - coords[0]
    extra = (coords[-1] + 2 * step) if at_end else (coords[0] - 2 * step)
    if not np.isfinite(extra):
        extra = (coords[-1] + step / 2) if at_end else (coords[0] - step / 2)
    extra = np.asarray([extra], dtype=coords.dtype)
    edge = np.take(block, [-1 if at_end else 0], axis=ax)
    if at_end:
        return np.concatenate([block, edge], axis=ax), np.concatenate([coords, extra])
    return np.concatenate([edge, block], axis=ax), np.concatenate([extra, coords])


def _selected_axes(ndim, axis):
    return list(range(ndim)) if axis is None else list(normalize_axis_tuple(axis, ndim))


def _map_blocks(x, varargs, axis, edge_order, compute, n_out, out_dtype):
    """Runs `compute(block, axes, spacing) -> list of n_out arrays` over blocks with halos; returns n_out
    dask arrays of x's shape and chunks."""
    axes = _selected_axes(x.ndim, axis)
    spacing = _axis_spacing(varargs, axes, x.shape, axis)
    edge_order = _check_edge_order(edge_order)
    for ax in axes:
        if x.shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
    depth = {ax: (edge_order if ax in axes else 0) for ax in range(x.ndim)}
    chunks = tuple(ensure_minimum_chunksize(depth[ax], c) if depth[ax] and len(c) > 1 else c
                   for ax, c in enumerate(x.chunks))
    if chunks != x.chunks:
        x = x.rechunk(chunks)
    starts = [np.concatenate([[0], np.cumsum(c)]) for c in x.chunks]
    ndim = x.ndim  # the task function must not refer to x: it would ship x's graph with every task

    def block_fn(block, block_info=None):
        info = block_info[0]
        loc, nch = info["chunk-location"], info["num-chunks"]
        trim = []
        block_spacing = []
        for ax in range(ndim):
            lo = depth[ax] if loc[ax] > 0 else 0
            hi = depth[ax] if loc[ax] < nch[ax] - 1 else 0
            trim.append([lo, hi])
        for k, ax in enumerate(axes):
            s = spacing[k]
            if np.ndim(s) == 1:
                lo, hi = trim[ax]
                first = starts[ax][loc[ax]] - lo
                c = s[first:first + block.shape[ax]]
                d = np.diff(c)
                if (d == d[0]).all() and len(c) != len(s):
                    at_end = hi > 0
                    block, c = _pad_for_nonuniform(block, c, ax, at_end)
                    trim[ax][1 if at_end else 0] += 1
                s = c
            block_spacing.append(s)
        outs = compute(block, tuple(axes), block_spacing)
        index = tuple(slice(lo, n - hi) for (lo, hi), n in zip(trim, block.shape))
        return np.stack([o[index] for o in outs])

    meta = np.empty((0,) * (x.ndim + 1), dtype=out_dtype)
    stacked = da.map_overlap(block_fn, x, depth=depth, boundary="none", trim=False, allow_rechunk=False,
                             chunks=((n_out,),) + x.chunks, new_axis=[0], dtype=out_dtype, meta=meta)
    return [stacked[k] for k in range(n_out)]


def _out_dtype(x, dtype):
    name = np.dtype(x.dtype).name
    if name not in gradmap._INPUT_DTYPES:
        _input_array(np.empty(0, dtype=x.dtype), "dask")  # raises numpy-style TypeError
    return np.dtype(_gradmap.gradient_dtype(name, gradmap._dtype_name(dtype)))


def gradient(x, *varargs, axis=None, edge_order=1, dtype=None, threads=None):
    """Return the gradient of a Dask array, as dask arrays of its shape and chunks.

    Equivalent to ``numpy.gradient(x.compute(), *varargs, axis=axis, edge_order=edge_order)``, bit
    for bit, for any chunking (uneven chunks included). Arguments and return form as
    `gradmap.gradient`; coordinate arrays are numpy arrays of the axis' length. `threads`: gradmap
    threads per block (None: every core; 1 when the scheduler already runs a task per core).

    Examples
    --------
    >>> import dask.array as da, numpy as np, gradmap.dask
    >>> x = da.from_array(np.arange(20.0).reshape(4, 5) ** 2, chunks=(2, 3))
    >>> gy, gx = gradmap.dask.gradient(x, 2.0)
    >>> np.array_equal(gx.compute(), np.gradient(x.compute(), 2.0)[1])
    True
    """
    x = da.asarray(x)
    out_dtype = _out_dtype(x, dtype)
    naxes = len(_selected_axes(x.ndim, axis))
    if naxes == 0:
        return []

    def compute(block, axes, spacing):
        g = gradmap.gradient(block, *spacing, axis=axes, edge_order=edge_order, dtype=dtype, threads=threads)
        return g if isinstance(g, list) else [g]

    comps = _map_blocks(x, varargs, axis, edge_order, compute, naxes, out_dtype)
    return comps[0] if naxes == 1 else comps


def edges(x, *varargs, axis=None, edge_order=1, dtype=None, direction=None, units="rad", angle_range="signed",
          y_up=False, orientation=False, compass=False, threads=None):
    """Return gradmap.edges of a Dask array, as dask arrays of its shape and chunks.

    Equal, bit for bit, to ``gradmap.edges(x.compute(), ...)`` (which equals
    ``np.hypot(*np.gradient(...))`` and ``np.arctan2`` within the bounds documented there), for any
    chunking. Arguments and named tuples as `gradmap.edges`.
    """
    x = da.asarray(x)
    out_dtype = _out_dtype(x, dtype)
    naxes = len(_selected_axes(x.ndim, axis))
    if direction is None:
        direction = naxes in (2, 3)
    n_out = 1 if not direction else (3 if naxes == 3 else 2)
    options = dict(edge_order=edge_order, dtype=dtype, direction=direction, units=units, angle_range=angle_range,
                   y_up=y_up, orientation=orientation, compass=compass, threads=threads)

    def compute(block, axes, spacing):
        return list(gradmap.edges(block, *spacing, axis=axes, **options))

    maps = _map_blocks(x, varargs, axis, edge_order, compute, n_out, out_dtype)
    if not direction:
        return EdgesND(*maps)
    return Edges3D(*maps) if n_out == 3 else Edges2D(*maps)
