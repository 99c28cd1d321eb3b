# SPDX-License-Identifier: MIT
"""gradmap.gradient and gradmap.edges on Dask arrays, bit-identical to numpy on the whole array.

Each block is computed by gradmap's kernels with a halo of neighbouring samples: numpy's central
differences need one neighbour on each side, and the one-sided differences at the array's true ends
need ``edge_order`` samples inward, so the halo is ``edge_order`` deep along the selected axes (and
chunks are made at least that long). A difference along axis k reads samples along axis k only, so
the halo is taken from the two face neighbours per selected axis, not from all 3**ndim - 1
neighbours as ``map_overlap`` does: fewer, smaller tasks, which is where Dask spends its time on
small chunks. The one-sided rule is applied only at the array's true ends: a block's halo side is
cut off after computing. Coordinate arrays are sliced per block; numpy's "uniform coordinates
become a scalar step" rule is decided once on the whole coordinate array, and a block whose slice
of a non-uniform coordinate array happens to be uniform is given one padding sample so that it
takes the same non-uniform formula. The result equals ``np.gradient(x.compute(), ...)`` bit for
bit for any chunking.
"""
from __future__ import annotations

import itertools
from operator import getitem

import dask.array as da
import numpy as np
from dask.array.overlap import ensure_minimum_chunksize
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph, MaterializedLayer
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


def _halo_graph(x, axes, depth, block_fn, n_out, out_dtype, token_parts):
    """The task graph of a halo computation with face halos only.

    numpy's differences along axis k read samples along axis k only, so a block needs the `depth`
    samples of its two face neighbours along each selected axis, never its edge or corner
    neighbours: 2·len(axes) small slab tasks per block instead of the 3**ndim - 1 pieces (and the
    concatenation) of ``map_overlap``, which is what the scheduler spends its time on at 64³ chunks.
    The block function returns a tuple of `n_out` arrays; each output is a dask array of getitem
    tasks on it (no ``np.stack`` copy). Returns the n_out dask arrays, of x's shape and chunks."""
    name = "gradmap-" + tokenize(x, axes, depth, *token_parts)
    slab_name = "gradmap-halo-" + name[len("gradmap-"):]
    dsk = {}
    for idx in itertools.product(*(range(n) for n in x.numblocks)):
        slabs = []
        for ax in axes:
            for side in (-1, 1):
                j = idx[ax] + side
                if not 0 <= j < x.numblocks[ax]:
                    slabs.append(None)
                    continue
                cut = [slice(None)] * x.ndim
                cut[ax] = slice(-depth, None) if side < 0 else slice(0, depth)
                key = (slab_name, ax, side) + idx
                dsk[key] = (getitem, (x.name,) + idx[:ax] + (j,) + idx[ax + 1:], tuple(cut))
                slabs.append(key)
        # One function object for every task (the scheduler pickles it once); the block's location
        # is a list, which Dask passes through as a literal.
        dsk[(name,) + idx] = (block_fn, (x.name,) + idx, slabs, list(idx))
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[x])
    outs = []
    meta = np.empty((0,) * x.ndim, dtype=out_dtype)
    for k in range(n_out):
        out_name = f"{name}-{k}"
        layer = {(out_name,) + idx: (getitem, (name,) + idx, k)
                 for idx in itertools.product(*(range(n) for n in x.numblocks))}
        layers = dict(graph.layers)
        layers[out_name] = MaterializedLayer(layer)
        deps = dict(graph.dependencies)
        deps[out_name] = {name}
        outs.append(da.Array(HighLevelGraph(layers, deps), out_name, x.chunks, meta=meta))
    return outs


def _with_faces(block, slabs, axes, depth):
    """`block` grown by its face slabs (None: no neighbour there). The edge and corner regions of
    the grown array are left uninitialized: they only feed outputs that are cut off."""
    pad = []
    for k in range(block.ndim):
        pad.append([0, 0])
    for i, ax in enumerate(axes):
        lo, hi = slabs[2 * i], slabs[2 * i + 1]
        pad[ax] = [depth if lo is not None else 0, depth if hi is not None else 0]
    if not any(lo or hi for lo, hi in pad):
        return block, pad
    grown = np.empty(tuple(n + lo + hi for n, (lo, hi) in zip(block.shape, pad)), dtype=block.dtype)
    core = tuple(slice(lo, lo + n) for n, (lo, _) in zip(block.shape, pad))
    grown[core] = block
    for i, ax in enumerate(axes):
        for side, slab in ((0, slabs[2 * i]), (1, slabs[2 * i + 1])):
            if slab is None:
                continue
            where = list(core)
            lo, hi = pad[ax]
            where[ax] = slice(0, lo) if side == 0 else slice(lo + block.shape[ax], lo + block.shape[ax] + hi)
            grown[tuple(where)] = slab
    return grown, pad


def _map_blocks(x, varargs, axis, edge_order, compute, n_out, out_dtype, token):
    """Runs `compute(block, axes, spacing) -> list of n_out arrays` over blocks with halos; returns n_out
    dask arrays of x's shape and chunks. `token` names the computation (its options) in the graph."""
    axes = _selected_axes(x.ndim, axis)
    spacing = _axis_spacing(varargs, axes, x.shape, axis)
    edge_order = _check_edge_order(edge_order)
    for ax in axes:
        if x.shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
    depth = edge_order
    chunks = tuple(ensure_minimum_chunksize(depth, c) if ax in axes and len(c) > 1 else c
                   for ax, c in enumerate(x.chunks))
    if chunks != x.chunks:
        x = x.rechunk(chunks)
    starts = [np.concatenate([[0], np.cumsum(c)]) for c in x.chunks]

    def block_fn(block, slabs, loc):
        block, pad = _with_faces(block, slabs, axes, depth)
        trim = [list(p) for p in pad]
        block_spacing = []
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
        return tuple(o[index] for o in outs)

    return _halo_graph(x, axes, depth, block_fn, n_out, out_dtype, (spacing, token))


def _padded(operator, boundary):
    """True for the operators and boundaries of scipy-style padded filters (not numpy's gradient)."""
    return operator != "central" or boundary not in (None, "numpy")


def _operator_radius(x, varargs, operator, truncate):
    """Per axis, the samples an output reads on each side under `operator` (at least that many):
    1 for central/sobel/prewitt/scharr (smoothing spans every spatial axis), 2 for central4, and
    for gaussian scipy's int(truncate * sigma + 0.5) with sigma in samples, over-estimated by one
    sample and taken at the smallest step in play (non-selected axes have step 1)."""
    name, _, arg = operator.partition(":")
    if name != "gaussian":
        return [2 if name == "central4" else 1] * x.ndim
    sigmas = [abs(float(v)) for v in arg.split(",")]
    if len(sigmas) != x.ndim:
        sigmas = [max(sigmas)] * x.ndim
    h = min([abs(float(v)) for v in varargs if np.ndim(v) == 0 and float(v) != 0] + [1.0])
    return [int(float(truncate) * sg / h + 0.5) + 1 for sg in sigmas]


def _map_padded(x, varargs, axis, edge_order, compute, n_out, out_dtype, operator, boundary, truncate):
    """The operators beyond numpy's (and central with a padded boundary) on blocks: separable
    filters whose smoothing spans every axis need edge and corner neighbours too, so this is
    ``map_overlap`` with the operator's radius. At the array's true ends the block's own padding is
    the array's (``boundary='none'``); for ``wrap`` dask's ``'periodic'`` halo brings the opposite
    end. Each output is then computed from the same samples, in the same order, as on the whole
    array: bit-identical to ``gradmap.gradient(x.compute(), ...)``."""
    axes = _selected_axes(x.ndim, axis)
    _resolve(x.shape, varargs, axis)
    if any(np.ndim(v) == 1 for v in varargs):
        eff = boundary if boundary is not None else ("numpy" if operator == "central" else "reflect")
        raise gradmap.InvalidArgument(
            f"the {operator.partition(':')[0]} operator with boundary {eff} needs uniform steps; coordinate "
            "arrays (non-uniform spacing) are accepted by central with boundary numpy only")
    # gradmap's own checks of the operator, boundary, edge_order and truncate, before any task runs.
    probe = np.zeros((3,) * x.ndim, dtype=x.dtype)
    gradmap.gradient(probe, *varargs, axis=axis, edge_order=edge_order, operator=operator, boundary=boundary,
                     truncate=truncate)
    periodic = (boundary or "").partition(":")[0] == "wrap"
    radius = _operator_radius(x, varargs, operator, truncate)
    chunks = list(x.chunks)
    depth = {}
    for ax, c in enumerate(chunks):
        if len(c) == 1:
            depth[ax] = 0  # gradmap pads the whole axis itself
        elif radius[ax] >= x.shape[ax]:
            chunks[ax], depth[ax] = (x.shape[ax],), 0
        else:
            chunks[ax], depth[ax] = ensure_minimum_chunksize(radius[ax], c), radius[ax]
    if tuple(chunks) != x.chunks:
        x = x.rechunk(tuple(chunks))
    ndim = x.ndim

    def block_fn(block, block_info=None):
        info = block_info[0]
        loc, nch = info["chunk-location"], info["num-chunks"]
        index = []
        for ax in range(ndim):
            d = depth[ax]
            lo = d if (loc[ax] > 0 or periodic) else 0
            hi = d if (loc[ax] < nch[ax] - 1 or periodic) else 0
            index.append(slice(lo, block.shape[ax] - hi))
        outs = compute(block, tuple(axes), list(varargs))
        return np.stack([o[tuple(index)] for o in outs])

    meta = np.empty((0,) * (ndim + 1), dtype=out_dtype)
    stacked = da.map_overlap(block_fn, x, depth=depth, boundary="periodic" if periodic else "none", trim=False,
                             allow_rechunk=False, chunks=((n_out,),) + x.chunks, new_axis=[0], dtype=out_dtype,
                             meta=meta)
    return [stacked[k] for k in range(n_out)]


def _out_dtype(x, dtype):
    name = np.dtype(x.dtype).name
    if name not in gradmap._INPUT_DTYPES:
        _input_array(np.empty(0, dtype=x.dtype), "dask")  # raises numpy-style TypeError
    return np.dtype(_gradmap.gradient_dtype(name, gradmap._dtype_name(dtype)))


def gradient(x, *varargs, axis=None, edge_order=1, dtype=None, threads=None, operator="central", boundary=None,
             truncate=4.0):
    """Return the gradient of a Dask array, as dask arrays of its shape and chunks.

    Equivalent to ``numpy.gradient(x.compute(), *varargs, axis=axis, edge_order=edge_order)``, bit
    for bit, for any chunking (uneven chunks included). Arguments and return form as
    `gradmap.gradient`; coordinate arrays are numpy arrays of the axis' length. `threads`: gradmap
    threads per block (None: every core; 1 when the scheduler already runs a task per core).
    `operator`, `boundary`, `truncate` as for `gradmap.gradient`: beyond numpy's central differences
    the result equals ``gradmap.gradient(x.compute(), ...)`` bit for bit (halos of the operator's
    radius, including edge and corner neighbours; ``wrap`` takes the opposite end's samples).

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

    ops = dict(operator=operator, boundary=boundary, truncate=truncate) if _padded(operator, boundary) else {}

    def compute(block, axes, spacing):
        g = gradmap.gradient(block, *spacing, axis=axes, edge_order=edge_order, dtype=dtype, threads=threads, **ops)
        return g if isinstance(g, list) else [g]

    if ops:
        comps = _map_padded(x, varargs, axis, edge_order, compute, naxes, out_dtype, **ops)
    else:
        comps = _map_blocks(x, varargs, axis, edge_order, compute, naxes, out_dtype, ("gradient", dtype, threads))
    return comps[0] if naxes == 1 else comps


def edges(x, *varargs, axis=None, edge_order=1, dtype=None, direction=None, units="rad", angle_range="signed",
          y_up=False, orientation=False, compass=False, threads=None, operator="central", boundary=None, truncate=4.0):
    """Return gradmap.edges of a Dask array, as dask arrays of its shape and chunks.

    Equal, bit for bit, to ``gradmap.edges(x.compute(), ...)`` (which equals
    ``np.hypot(*np.gradient(...))`` and ``np.arctan2`` within the bounds documented there), for any
    chunking. Arguments and named tuples as `gradmap.edges`, `operator`, `boundary` and `truncate`
    included (as for `gradient`).
    """
    x = da.asarray(x)
    out_dtype = _out_dtype(x, dtype)
    naxes = len(_selected_axes(x.ndim, axis))
    if direction is None:
        direction = naxes in (2, 3)
    n_out = 1 if not direction else (3 if naxes == 3 else 2)
    options = dict(edge_order=edge_order, dtype=dtype, direction=direction, units=units, angle_range=angle_range,
                   y_up=y_up, orientation=orientation, compass=compass, threads=threads)

    ops = dict(operator=operator, boundary=boundary, truncate=truncate) if _padded(operator, boundary) else {}

    def compute(block, axes, spacing):
        return list(gradmap.edges(block, *spacing, axis=axes, **options, **ops))

    if ops:
        maps = _map_padded(x, varargs, axis, edge_order, compute, n_out, out_dtype, **ops)
    else:
        maps = _map_blocks(x, varargs, axis, edge_order, compute, n_out, out_dtype, ("edges", options))
    if not direction:
        return EdgesND(*maps)
    return Edges3D(*maps) if n_out == 3 else Edges2D(*maps)
