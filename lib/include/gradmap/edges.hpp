// SPDX-License-Identifier: MIT
// Edge maps: gradient magnitude (hypot of all components) and direction (atan2) — what
// `np.hypot(gx, gy)` and `np.arctan2(gy, gx)` give after `np.gradient`, computed in one fused pass
// over tiles of the input when the components themselves are not requested.
#pragma once

#include <type_traits>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"
#include "gradmap/gradient.hpp"

namespace gradmap {

enum class AngleUnits { radians, degrees };
/// signed: (-π, π] like atan2 (which gives -π only for gy = -0.0 with gx < 0, e.g. from a negative
/// spacing or -0.0 samples); unsigned: [0, 2π).
enum class AngleRange { signed_range, unsigned_range };

/// How a 2-D direction is reported. Defaults equal `np.arctan2(gy, gx)` on an image array, where gy
/// is the derivative along rows (axis -2, y grows downward) and gx along columns (axis -1).
struct AngleOptions {
  AngleUnits units = AngleUnits::radians;
  AngleRange range = AngleRange::signed_range;
  /// Math convention (y grows upward, as MATLAB's imgradient): atan2(-gy, gx).
  bool y_up = false;
  /// Undirected edges: the angle modulo π, in [0, π).
  bool orientation = false;
  /// Clockwise from north (up on screen): atan2(gx, -gy), in [0, 2π) (or [0, 360) degrees).
  bool compass = false;

  /// The range and units of OpenCV's `cv::cartToPolar(gx, gy, mag, angle, angleInDegrees)` and
  /// `cv::phase`: [0, 2π) radians, or [0, 360) degrees, counter-clockwise from +x in array
  /// coordinates (y down, as with cv::Sobel's derivatives). Values are atan2's within 2 ulp, not
  /// OpenCV's polynomial approximation (docs/cpp.md gives the difference measured on OpenCV 4.6).
  static AngleOptions cart_to_polar(bool angle_in_degrees = false) {
    AngleOptions a;
    a.units = angle_in_degrees ? AngleUnits::degrees : AngleUnits::radians;
    a.range = AngleRange::unsigned_range;
    return a;
  }
};

struct EdgeOptions {
  GradientOptions gradient;
  AngleOptions angle;
  bool magnitude = true;
  /// 2-D: direction atan2(gy, gx). 3-D: azimuth atan2(gy, gx) and elevation atan2(gz, hypot(gx, gy)).
  bool direction = true;
  /// Also return the components (as gradient() would). Without it nothing component-sized is
  /// allocated: the maps are computed tile by tile.
  bool components = false;
  /// 3-D only: the unit gradient vector (gz, gy, gx) / magnitude, 0 where the magnitude is 0.
  bool normals = false;
  /// Rows (along axis 0) per tile of the fused pass (per block for the padded operators); 0 chooses
  /// one that fits the cache.
  /// Results do not depend on it.
  index_t tile_rows = 0;
};

/// Outputs of edges(); members not requested are empty arrays.
struct EdgeMaps {
  Array magnitude;
  Array direction;                ///< 2-D direction, or 3-D azimuth
  Array elevation;                ///< 3-D only
  std::vector<Array> components;  ///< in the order of the selected axes
  std::vector<Array> normals;     ///< in the order of the selected axes
};

/// Magnitude = hypot of all selected components, in units of f per unit of spacing, within 1 ulp
/// of the correctly rounded value (no overflow for large float64 values). Equivalent to
/// `np.hypot(*np.gradient(f, ...))` for two axes, `np.sqrt(sum(g**2))` computed without overflow
/// for more. Direction: see AngleOptions; equal to `np.arctan2(gy, gx)` with default options,
/// within 2 ulp for float32. Output dtype: options.gradient.dtype, else float64 for integer input,
/// else the input's float type.
GRADMAP_CORE_EXPORT EdgeMaps edges(const Array& f, const EdgeOptions& options = {});

/// The maps of edges() from components computed elsewhere (e.g. rotated by to_physical_frame):
/// `components[k]` is the derivative along numpy axis `axes[k]`, all of one float dtype and shape.
/// options.gradient is ignored but for its dtype (the output type; default: the components').
GRADMAP_CORE_EXPORT EdgeMaps edges_from_components(const std::vector<Array>& components,
                                                   const std::vector<int>& axes,
                                                   const EdgeOptions& options = {});

/// Gradient components along the index axes → along the world axes, as ITK's GradientImageFilter
/// does with UseImageDirection: g_world = D^-T g_index (D^-T = D for the orthonormal direction
/// cosines of medical images). `components` are the derivatives along the n spatial axes in numpy
/// order (z, y, x) — the last n axes of the array, all selected — and `direction` is Geometry's
/// n×n matrix (numpy order). Returns the world components in the same (reversed world axis)
/// order, computed in float64 and stored in the components' dtype. Throws InvalidArgument for a
/// singular or mis-sized direction.
GRADMAP_CORE_EXPORT std::vector<Array> to_physical_frame(const std::vector<Array>& components,
                                                         const std::vector<double>& direction);

/// Same as edges() on a strided view of any supported element type, without copying the input
/// (cv::Mat ROIs, itk::Image buffers, numpy arrays passed through pybind11). Throws
/// InvalidArgument for a null data pointer with non-zero extents.
template <class T>
GRADMAP_CORE_EXPORT EdgeMaps edges(ConstArrayView<T> f, const EdgeOptions& options = {});

/// The same on a mutable view (read only).
template <class T, std::enable_if_t<!std::is_const_v<T>, int> = 0>
EdgeMaps edges(ArrayView<T> f, const EdgeOptions& options = {}) {
  return edges<T>(ConstArrayView<T>(f), options);
}

/// Caller-owned outputs of edges_into(): one view per map wanted, each of the input's extents
/// (any strides). A default-constructed view (null data, no extents) is a map not computed; a
/// null data pointer with non-zero extents is refused.
template <class Out>
struct EdgeViews {
  ArrayView<Out> magnitude;
  ArrayView<Out> direction;             ///< 2-D direction, or 3-D azimuth (2 or 3 selected axes)
  ArrayView<Out> elevation;             ///< 3 selected axes only
  std::vector<ArrayView<Out>> normals;  ///< none, or one per selected axis in their order
};

/// edges() into caller-owned views, in the same fused tile pass: the maps are written straight
/// into the views (no output is allocated; the pass uses one cache-sized tile of components per
/// thread). Any subset of the maps; which ones is said by the views, so EdgeOptions::magnitude,
/// direction and normals are not read, and EdgeOptions::components must be false (use
/// gradient_into for components). The maps are computed in numpy's type for the input and rounded
/// once to Out: bit for bit what edges() returns with options.gradient.dtype = Out. Throws as edges(), or
/// InvalidArgument when a view has the wrong extents, a null data pointer, overlaps the input or another view
/// (byte ranges of the strided extents, as gradient_into), or options.gradient.dtype is set and is not Out.
template <class T, class Out>
GRADMAP_CORE_EXPORT void edges_into(ConstArrayView<T> f, const EdgeViews<Out>& out,
                                    const EdgeOptions& options = {});

/// The same with a mutable input view.
template <class T, class Out, std::enable_if_t<!std::is_const_v<T>, int> = 0>
void edges_into(ArrayView<T> f, const EdgeViews<Out>& out, const EdgeOptions& options = {}) {
  edges_into<T, Out>(ConstArrayView<T>(f), out, options);
}

/// Rows [row_begin, row_end) of axis 0 of edges_into's maps: each view has f's extents with
/// row_end - row_begin rows along axis 0 and receives exactly those rows of the whole maps, bit
/// for bit (gradient_rows_into says how), so maps too large to hold can be computed and written
/// block by block. Throws as edges_into, and InvalidArgument for a range outside [0, f.extent(0)].
template <class T, class Out>
GRADMAP_CORE_EXPORT void edges_rows_into(ConstArrayView<T> f, index_t row_begin, index_t row_end,
                                         const EdgeViews<Out>& out, const EdgeOptions& options = {});

/// Shorthand for edges() with only the magnitude.
GRADMAP_CORE_EXPORT Array gradient_magnitude(const Array& f, const GradientOptions& options = {});

}  // namespace gradmap
