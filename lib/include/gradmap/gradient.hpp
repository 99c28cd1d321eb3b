// SPDX-License-Identifier: MIT
// Per-axis gradient components with numpy.gradient's semantics (numpy 1.24).
//
// Equivalent to `numpy.gradient(f, *spacing, axis=axes, edge_order=edge_order)`: second-order
// central differences in the interior, first- or second-order one-sided differences at both ends of
// every selected axis, uniform steps or 1-D coordinate arrays per axis. float16, float32 and float64
// results are bit-identical to numpy's (same operation order, same intermediate types, coordinate
// arrays and steps computed in their own dtype as numpy does); integer input is promoted to float64
// before differencing, as numpy does.
//
// One deliberate departure: a zero or non-finite step (scalar 0, NaN, Inf, or repeated coordinates)
// throws InvalidArgument, where numpy silently returns Inf/NaN.
#pragma once

#include <initializer_list>
#include <optional>
#include <type_traits>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

/// The spacing of one axis: a uniform step (in physical units per sample, e.g. mm, or pixels), or
/// a 1-D array of sample coordinates along the axis (numpy's non-uniform form).
///
/// Like a numpy argument, the spacing has a dtype, and numpy computes in it: `np.diff(coords)`, the
/// uniform-spacing check and the non-uniform weights are evaluated in the coordinate array's dtype
/// and then combined with the data under numpy's promotion rules (float32 coordinates give float32
/// weights; with float64 data the products are float64). Integer coordinate arrays are converted to
/// float64 first, as numpy does. A scalar step is a Python float (float64) unless given another
/// float dtype (an `np.float32(0.5)` spacing).
struct AxisSpacing {
  double step = 1.0;
  /// Sample coordinates, as exact values of `dtype`; when non-empty, `step` is ignored. Must have
  /// the axis' length.
  std::vector<double> coords;
  /// numpy dtype of `coords` (or of `step` when `coords` is empty): float16, float32 or float64, or
  /// an integer type (computed as float64). Values that `dtype` cannot hold exactly are refused.
  DType dtype = DType::float64;

  static AxisSpacing uniform(double step, DType dtype = DType::float64) {
    return AxisSpacing{step, {}, dtype};
  }
  /// float64 coordinates (numpy's `np.gradient(f, [0.0, 0.5, ...])`).
  static AxisSpacing coordinates(std::vector<double> x) {
    return AxisSpacing{1.0, std::move(x), DType::float64};
  }
  /// Coordinates from a 1-D array of any dtype, which is kept (a float32 `.npy` stays float32).
  /// Throws ShapeError when `x` is not 1-D (numpy's "distances must be either scalars or 1d").
  GRADMAP_CORE_EXPORT static AxisSpacing coordinates(const Array& x);
};

/// The derivative operator (see gradmap/operators.hpp for the formulas, names and scipy equivalents).
/// `central` is numpy.gradient; the others are separable filters computed in float64.
enum class Operator { central, central4, sobel, prewitt, scharr, gaussian };

/// How samples beyond the ends of an axis are made up. `numpy`: no padding, one-sided differences per
/// edge_order (central only). The others pad as scipy.ndimage does (for an input `a b c d`):
/// reflect `d c b a | a b c d | d c b a`, mirror `d c b | a b c d | c b a`, nearest `a a a | a b c d |
/// d d d`, wrap `b c d | a b c d | a b c` (periodic), constant `v v v | a b c d | v v v`.
enum class Boundary { numpy, reflect, mirror, nearest, wrap, constant };

/// Options of gradient(); the fields mirror numpy.gradient's arguments.
struct GradientOptions {
  /// numpy's `*varargs`: empty → 1.0 on every axis; one uniform step → that step on every selected
  /// axis; otherwise one entry per selected axis, in the order of `axes`. A single coordinate array
  /// is accepted only when one axis is selected (numpy's rule).
  std::vector<AxisSpacing> spacing;
  /// numpy's `axis`: nullopt → all axes in order 0..rank-1. Negative indices count from the end;
  /// duplicates and out-of-range indices throw InvalidArgument.
  std::optional<std::vector<int>> axes;
  /// 1 (default) or 2: accuracy order of the one-sided differences at the array's ends.
  int edge_order = 1;
  /// Output element type. nullopt → numpy's: float64 for integer input, the input's float type
  /// otherwise. An explicit float32/float64 rounds numpy's result (`.astype(dtype)`).
  std::optional<DType> dtype;
  /// Most threads the call uses: 0 (default) runs on the calling thread's oneTBB arena (all cores
  /// unless the caller limits it); n > 0 runs the call in a oneTBB arena of n threads created
  /// inside the library, so a consumer need not link oneTBB to limit it. Results do not depend on it.
  int threads = 0;

  // Beyond numpy (gradmap/operators.hpp). With the defaults, gradient() is numpy.gradient.
  Operator op = Operator::central;
  /// nullopt → numpy for `central`, reflect (scipy's and scikit-image's default) for the others.
  std::optional<Boundary> boundary;
  /// The padding value of Boundary::constant.
  double cval = 0.0;
  /// Axes that are space. The smoothing operators (sobel, prewitt, scharr, gaussian) smooth along
  /// every spatial axis that is not the one differentiated; series axes (colour channels, frames,
  /// pages) are left alone. nullopt → every axis, as scipy.ndimage does.
  std::optional<std::vector<int>> spatial_axes;
  /// gaussian: the standard deviation in spacing units (mm on a volume), one value for every
  /// spatial axis or one per spatial axis in axis order. A spatial axis that is not selected has no
  /// spacing here, so its sigma is in samples.
  std::vector<double> sigma;
  /// gaussian: the kernel reaches truncate·sigma samples each side (scipy's `truncate`).
  double truncate = 4.0;
  /// sobel, prewitt, scharr: scipy's unnormalized values (no division by the kernel weights nor the
  /// spacing), e.g. `scipy.ndimage.sobel(f, axis=k)`.
  bool raw_kernel = false;
};

/// The element type gradient() returns for input type `in` under `options`.
GRADMAP_CORE_EXPORT DType gradient_dtype(DType in, const GradientOptions& options = {});

/// Resolved, validated form of numpy's (axis, varargs) pair: the normalized axes in selection order
/// and one AxisSpacing per selected axis. Coordinate arrays whose differences (in their dtype) are
/// all equal become a uniform step of that dtype (numpy does the same, and it changes the bits). Throws
/// InvalidArgument / ShapeError with numpy's wording where numpy raises.
struct ResolvedAxes {
  std::vector<int> axes;
  std::vector<AxisSpacing> spacing;
};
GRADMAP_CORE_EXPORT ResolvedAxes resolve_axes(const Shape& shape, const GradientOptions& options);

/// Gradient components, one array per selected axis (in the order of options.axes), each of f's
/// shape. Equivalent to `numpy.gradient(f, *spacing, axis=axes, edge_order=edge_order)`.
/// Throws InvalidArgument (bad axes, edge_order, spacing) or ShapeError (axis shorter than
/// edge_order + 1). Runs on the calling thread's oneTBB arena; results do not depend on the
/// number of threads.
GRADMAP_CORE_EXPORT std::vector<Array> gradient(const Array& f, const GradientOptions& options = {});

/// Same as gradient() on a strided view of any supported element type (no copy of the input).
/// Throws InvalidArgument for a null data pointer with non-zero extents.
template <class T>
GRADMAP_CORE_EXPORT std::vector<Array> gradient(ConstArrayView<T> f, const GradientOptions& options = {});

/// The same on a mutable view (read only).
template <class T, std::enable_if_t<!std::is_const_v<T>, int> = 0>
std::vector<Array> gradient(ArrayView<T> f, const GradientOptions& options = {}) {
  return gradient<T>(ConstArrayView<T>(f), options);
}

/// Writes the components into caller-provided views (one per selected axis, each of f's extents,
/// any strides), allocating no output. Out is float16_t, float or double; the values are numpy's
/// result rounded to Out. Throws InvalidArgument, naming both, when an output overlaps the input
/// or another output, and for a null data pointer with non-zero extents. Overlap is judged on the
/// byte range each view's strided extent spans (its bounding box), which is enough to refuse every
/// aliasing that would corrupt the result. The one interleaving accepted is that of planes of one
/// buffer with one layout, less than the innermost stride apart (the components of an interleaved
/// vector image: detail::interleaved_apart); other views that share no element but whose ranges
/// intersect (every other column each) are refused and must be separate buffers.
template <class T, class Out>
GRADMAP_CORE_EXPORT void gradient_into(ConstArrayView<T> f, const std::vector<ArrayView<Out>>& out,
                                       const GradientOptions& options = {});

/// The same with a mutable input view.
template <class T, class Out, std::enable_if_t<!std::is_const_v<T>, int> = 0>
void gradient_into(ArrayView<T> f, const std::vector<ArrayView<Out>>& out,
                   const GradientOptions& options = {}) {
  gradient_into<T, Out>(ConstArrayView<T>(f), out, options);
}

/// Rows [row_begin, row_end) of axis 0 of gradient_into's result: `out` holds one view per selected
/// axis of f's extents with row_end - row_begin rows along axis 0, and receives exactly those rows
/// of the whole result, bit for bit (the one-sided differences, coordinates and padding at the
/// array's true ends included; the rows around the range are read from f). A result too large to
/// hold can so be computed and written block by block, with one block in memory (the CLI streams
/// .npy outputs this way). Throws InvalidArgument for a range outside [0, f.extent(0)].
template <class T, class Out>
GRADMAP_CORE_EXPORT void gradient_rows_into(ConstArrayView<T> f, index_t row_begin, index_t row_end,
                                            const std::vector<ArrayView<Out>>& out,
                                            const GradientOptions& options = {});

/// The same with the outputs as a braced list, Out deduced from them: `gradient_into(f, {gy, gx})`.
template <class T, class Out>
void gradient_into(ArrayView<T> f, std::initializer_list<ArrayView<Out>> out,
                   const GradientOptions& options = {}) {
  using In = std::remove_const_t<T>;
  gradient_into<In, Out>(ConstArrayView<In>(f), std::vector<ArrayView<Out>>(out), options);
}

}  // namespace gradmap
