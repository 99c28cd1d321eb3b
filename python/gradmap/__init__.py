# SPDX-License-Identifier: MIT
"""gradmap: numpy's gradient, bit for bit and faster, with edge maps and geometry-aware image IO.

``gradmap.gradient`` is ``numpy.gradient`` (numpy 1.24's signature, return form, dtype rules and
exception types) computed by gradmap's C++ kernels, threaded and without the GIL.
``gradmap.edges`` fuses the gradient with ``np.hypot`` and ``np.arctan2``. ``gradmap.read`` and
``gradmap.write`` read and write every format the ``gradmap`` command does, with spacing, origin and
direction. ``gradmap.dask`` (imported on its own: ``import gradmap.dask``) runs both on Dask arrays.

Departures from numpy, each an exception rather than a different result:

- a zero or non-finite spacing (0, NaN, Inf, repeated coordinates) raises ValueError, where numpy
  returns Inf/NaN;
- complex, bool, datetime64, timedelta64, object and long double arrays, and masked arrays, raise
  TypeError (numpy supports the first and the last three; gradmap computes real numbers only);
- subclasses of ndarray (np.matrix, ...) are computed as plain arrays and give plain arrays.
"""
from __future__ import annotations

import collections
import operator

import numpy as np
from numpy.core.numeric import normalize_axis_tuple

from . import _gradmap
from ._gradmap import Error, Image, InvalidArgument, IoError, ShapeError, get_num_threads, set_num_threads

__all__ = [
    "gradient", "edges", "read", "write", "Image", "set_num_threads", "get_num_threads",
    "Error", "InvalidArgument", "ShapeError", "IoError", "Edges2D", "Edges3D", "EdgesND",
]
__version__ = "0.1.0"

# numpy dtypes the kernels take as input, and those results (and coordinate arrays) can have.
_INPUT_DTYPES = frozenset("int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64".split())
_FLOAT_DTYPES = frozenset(("float16", "float32", "float64"))

Edges2D = collections.namedtuple("Edges2D", ["magnitude", "direction"])
Edges2D.__doc__ = "gradmap.edges of two axes: magnitude and direction (atan2(gy, gx) by default)."
Edges3D = collections.namedtuple("Edges3D", ["magnitude", "azimuth", "elevation"])
Edges3D.__doc__ = "gradmap.edges of three axes: magnitude, azimuth atan2(gy, gx), elevation atan2(gz, hypot(gx, gy))."
EdgesND = collections.namedtuple("EdgesND", ["magnitude"])
EdgesND.__doc__ = "gradmap.edges of 1 or more than 3 axes, or with direction=False: the magnitude only."


def _kernel_view(a):
    """`a` as an ndarray the kernels can read in place: native byte order (converted once, as the
    issue asks), element-multiple strides and aligned data (otherwise one copy, as numpy's own
    ufuncs make)."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if not a.flags.aligned or any(s % a.itemsize for s in a.strides):
        a = np.array(a, order="C")
    return a


def _input_array(f, func):
    a = np.asanyarray(f)
    if isinstance(a, np.ma.MaskedArray):
        raise TypeError(f"gradmap.{func}: masked arrays are not supported (gradmap ignores no mask "
                        f"silently); pass f.filled(...) or f.data")
    a = np.asarray(a)
    if a.dtype.name not in _INPUT_DTYPES:
        raise TypeError(f"gradmap.{func}: unsupported dtype {a.dtype}: gradmap computes "
                        f"{', '.join(sorted(_INPUT_DTYPES))}; use numpy.gradient for others")
    return _kernel_view(a)


def _scalar_spacing(d):
    """(step, None, dtype) for a scalar spacing, typed as numpy types it in its arithmetic: a Python
    or numpy integer computes like a float64 scalar; a numpy float scalar keeps its dtype."""
    if isinstance(d, (bool, int, float, np.bool_)):
        return (float(d), None, "float64")
    dt = np.asarray(d).dtype
    if dt.name in _FLOAT_DTYPES:
        return (float(d), None, dt.name)
    if np.issubdtype(dt, np.integer):
        return (float(d), None, "float64")
    raise TypeError(f"gradmap: a spacing must be a real number, got {d!r} of dtype {dt}")


def _coordinate_spacing(d):
    """(1.0, float64 values, dtype) for a 1-D coordinate array; integers become float64 first, as
    numpy converts them before np.diff."""
    dt = d.dtype
    if np.issubdtype(dt, np.integer):
        return (1.0, np.ascontiguousarray(d, dtype=np.float64), "float64")
    if dt.name in _FLOAT_DTYPES:
        return (1.0, np.ascontiguousarray(d, dtype=np.float64), dt.name)
    raise TypeError(f"gradmap: coordinate arrays must be integer or float16/32/64, got dtype {dt}")


def _resolve(shape, varargs, axis):
    """numpy.gradient's (axis, *varargs) rules, with numpy's exception types and messages: the
    selected axes and one (step, coords, dtype) per selected axis."""
    ndim = len(shape)
    axes = tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)
    n = len(varargs)
    if n == 0:
        return axes, [(1.0, None, "float64")] * len(axes)
    if n == 1 and np.ndim(varargs[0]) == 0:
        return axes, [_scalar_spacing(varargs[0])] * len(axes)
    if n != len(axes):
        raise TypeError("invalid number of arguments")
    spacing = []
    for ax, d in zip(axes, varargs):
        da = np.asanyarray(d)
        if da.ndim == 0:
            spacing.append(_scalar_spacing(d))
        elif da.ndim != 1:
            raise ValueError("distances must be either scalars or 1d")
        elif len(da) != shape[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding dimension")
        else:
            spacing.append(_coordinate_spacing(da))
    return axes, spacing


def _threads(threads):
    return 0 if threads is None else operator.index(threads)


def _check_edge_order(edge_order):
    # numpy's check (a TypeError for non-integers comes from operator.index, as from numpy's `>`).
    edge_order = operator.index(edge_order)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    return edge_order


def _out_arrays(out, f, naxes, dtype):
    outs = [out] if isinstance(out, np.ndarray) else list(out)
    if len(outs) != naxes:
        raise ValueError(f"gradmap.gradient: out= has {len(outs)} arrays for {naxes} selected axes")
    dt = outs[0].dtype if outs else None
    for o in outs:
        if not isinstance(o, np.ndarray):
            raise TypeError(f"gradmap.gradient: out= must hold numpy arrays, got {type(o).__name__}")
        if o.shape != f.shape:
            raise ValueError(f"gradmap.gradient: out= array of shape {o.shape} for input of shape {f.shape}")
        if o.dtype != dt or o.dtype.name not in _FLOAT_DTYPES or not o.dtype.isnative:
            raise TypeError(f"gradmap.gradient: out= arrays must share one native float16/32/64 dtype, got {o.dtype}")
        if not o.flags.writeable:
            raise ValueError("gradmap.gradient: out= array is read-only")
        if not o.flags.aligned or any(s % o.itemsize for s in o.strides):
            raise ValueError("gradmap.gradient: out= array must be aligned with element-multiple strides")
    if dtype is not None and np.dtype(dtype) != dt:
        raise TypeError(f"gradmap.gradient: dtype={np.dtype(dtype)} but out= arrays are {dt}")
    return outs


def _dtype_name(dtype):
    return None if dtype is None else np.dtype(dtype).name


def gradient(f, *varargs, axis=None, edge_order=1, dtype=None, out=None, threads=None, operator="central",
             boundary=None, truncate=4.0):
    """Return the gradient of an N-dimensional array, exactly as numpy computes it.

    Equivalent to ``numpy.gradient(f, *varargs, axis=axis, edge_order=edge_order)`` (numpy 1.24),
    bit for bit: second-order central differences in the interior, first- or second-order one-sided
    differences at the ends, uniform steps or coordinate arrays per axis.

    Parameters
    ----------
    f : array_like
        An N-dimensional array of int8..uint64, float16, float32 or float64, read in place through
        the buffer protocol (any strides; non-native byte order is converted once).
    *varargs : scalars or 1-D arrays, optional
        Spacing, as numpy takes it: none (1 on every axis), one scalar for all selected axes, or one
        scalar or coordinate array (of the axis' length, any integer or float dtype) per selected
        axis. Zero or non-finite spacing raises ValueError (numpy returns Inf/NaN).
    axis : None or int or tuple of ints, optional
        Axes to differentiate along; None: all. Negative values count from the end.
    edge_order : {1, 2}, optional
        Accuracy order of the one-sided differences at the ends.
    dtype : {None, float32, float64, float16}, optional
        Output dtype. None: numpy's (float64 for integer input, the input's float type otherwise);
        another float type rounds numpy's result (``.astype(dtype)``).
    out : ndarray or sequence of ndarray, optional
        Preallocated outputs, one per selected axis, of f's shape and one float dtype (any strides).
        The result is numpy's rounded to their dtype. Returned instead of new arrays.
    threads : int, optional
        Threads for this call; None: ``set_num_threads``' value (default: every core). Results do
        not depend on it.
    operator : str, optional
        Beyond numpy: ``'central'`` (numpy's, the default), ``'central4'``, ``'sobel'``,
        ``'prewitt'``, ``'scharr'``, ``'gaussian:SIGMA'`` or ``'gaussian:S0,S1,...'`` (sigma in
        spacing units). Every operator returns the derivative per spacing unit; e.g. ``'sobel'``
        along axis k of an n-D array equals ``scipy.ndimage.sobel(f, axis=k, mode=boundary) /
        (2 * 4**(n-1)) / h_k``. The other operators need uniform spacing.
    boundary : str, optional
        ``'numpy'`` (one-sided differences; central only, and its default), ``'reflect'`` (the
        other operators' default), ``'mirror'``, ``'nearest'``, ``'wrap'`` or ``'constant:V'``, as
        scipy.ndimage pads.
    truncate : float, optional
        gaussian: the kernel's radius in sigmas (scipy's ``truncate``).

    Returns
    -------
    gradient : ndarray or list of ndarray
        One array per selected axis; a single array when one axis is selected.

    Raises
    ------
    numpy.AxisError, TypeError, ValueError
        Where numpy raises them (bad axis, number of spacings, shapes, edge_order); gradmap's
        ValueError subclasses InvalidArgument and ShapeError for what only gradmap refuses.
        TypeError for dtypes gradmap does not compute (complex, bool, datetime, masked arrays).

    Examples
    --------
    >>> import numpy as np, gradmap
    >>> f = np.array([1, 2, 4, 7, 11, 16], dtype=float)
    >>> gradmap.gradient(f)
    array([1. , 1.5, 2.5, 3.5, 4.5, 5. ])
    >>> np.array_equal(gradmap.gradient(f, 2.0, edge_order=2), np.gradient(f, 2.0, edge_order=2))
    True
    """
    a = _input_array(f, "gradient")
    axes, spacing = _resolve(a.shape, varargs, axis)
    edge_order = _check_edge_order(edge_order)
    if not axes:
        return []
    outs = None if out is None else _out_arrays(out, a, len(axes), dtype)
    result = _gradmap.gradient(a, list(axes), spacing, edge_order, _dtype_name(dtype), outs, _threads(threads),
                               operator, boundary, float(truncate))
    return result[0] if len(axes) == 1 else result


def edges(f, *varargs, axis=None, edge_order=1, dtype=None, direction=None, units="rad",
          angle_range="signed", y_up=False, orientation=False, compass=False, threads=None,
          operator="central", boundary=None, truncate=4.0):
    """Return the gradient magnitude and direction of an array in one fused pass.

    Equivalent to ``g = numpy.gradient(f, *varargs, axis=axis, edge_order=edge_order)`` followed by
    ``np.hypot(*g)`` and, for two axes, ``np.arctan2(g[0], g[1])`` (gy, gx: rows, columns); for
    three axes the azimuth ``np.arctan2(gy, gx)`` and elevation ``np.arctan2(gz, np.hypot(gx, gy))``.
    The magnitude is within 1 ulp of the correctly rounded hypot, the angles within 2 ulp for
    float32; no component-sized array is allocated.

    Parameters
    ----------
    f, *varargs, axis, edge_order, dtype, threads, operator, boundary, truncate
        As for `gradient`.
    direction : bool, optional
        Compute the direction (2 axes) or azimuth and elevation (3 axes). None: when 2 or 3 axes
        are selected.
    units : {'rad', 'deg'}, optional
        Angle units.
    angle_range : {'signed', 'unsigned'}, optional
        (-pi, pi] like atan2, or [0, 2 pi).
    y_up : bool, optional
        Math convention, y growing upward: atan2(-gy, gx).
    orientation : bool, optional
        Undirected edges: the angle modulo pi, in [0, pi).
    compass : bool, optional
        Clockwise from north (up): atan2(gx, -gy) in [0, 2 pi).

    Returns
    -------
    Edges2D(magnitude, direction), Edges3D(magnitude, azimuth, elevation) or EdgesND(magnitude)
        Named tuples of ndarrays of f's shape.

    Examples
    --------
    >>> import numpy as np, gradmap
    >>> f = np.add.outer(np.arange(4.0), 2 * np.arange(5.0))
    >>> e = gradmap.edges(f)
    >>> np.allclose(e.magnitude, np.hypot(*np.gradient(f)))
    True
    """
    a = _input_array(f, "edges")
    axes, spacing = _resolve(a.shape, varargs, axis)
    edge_order = _check_edge_order(edge_order)
    if direction is None:
        direction = len(axes) in (2, 3)
    mag, d, elev = _gradmap.edges(a, list(axes), spacing, edge_order, _dtype_name(dtype), bool(direction), units,
                                  angle_range, bool(y_up), bool(orientation), bool(compass), _threads(threads),
                                  operator, boundary, float(truncate))
    if not direction:
        return EdgesND(mag)
    return Edges3D(mag, d, elev) if elev is not None else Edges2D(mag, d)


def read(path, color="gray"):
    """Read an image or volume with its geometry.

    Parameters
    ----------
    path : str or os.PathLike
        Any file the ``gradmap`` command reads: .npy, PNG, JPEG, TIFF, BMP, WebP, PNM, NIfTI, NRRD,
        MetaImage, DICOM (a file or a series directory).
    color : {'gray', 'channels'}, optional
        Color rasters as luminance, or as a leading axis of R, G, B channels.

    Returns
    -------
    Image
        ``.array`` (numpy, numpy axis order, no copy), ``.spacing``, ``.origin``, ``.direction``
        (numpy axis order), ``.frame`` ('LPS' or None), ``.unit``, ``.format``, ``.series_axes``.

    Raises
    ------
    gradmap.IoError (an OSError)
        Missing, unreadable, corrupt or unsupported files; the message names the file.
    """
    import os
    return _gradmap.read(os.fspath(path), color)


def write(path, array, like=None, png_compression=-1):
    """Write an array as an image or volume, in the format its extension names.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; written atomically (a temporary file renamed into place).
    array : array_like
        Pixels in numpy axis order. Float formats (.npy, TIFF, NIfTI, NRRD, MetaImage) keep float
        values; PNG/JPEG take uint8 (and PNG/TIFF uint16), as the ``gradmap`` command writes them.
    like : Image, optional
        An image whose geometry (spacing, origin, direction, NIfTI codes) the output carries, e.g.
        the one the array was computed from. None: unit spacing, zero origin, identity direction.
    png_compression : int, optional
        PNG only: -1 gradmap's fast coder, 0-9 deflate levels.
    """
    import os
    a = np.asarray(array)
    if a.dtype.name not in _INPUT_DTYPES:
        raise TypeError(f"gradmap.write: unsupported dtype {a.dtype}")
    _gradmap.write(os.fspath(path), _kernel_view(a), like, png_compression)
