// SPDX-License-Identifier: MIT
// cv::Mat adapters (target gradmap::opencv): gradmap's gradient and edge maps on the Mats an OpenCV
// program already has, without copying the input where the memory allows.
//
// Axis contract. A cv::Mat with `dims` spatial dimensions (2 for an ordinary image: rows, cols)
// and C channels is seen as a numpy array of shape (rows, cols) when C == 1 and (rows, cols, C)
// when C > 1: the channels are a trailing axis with element stride 1, rows have the Mat's step
// (in elements), so continuous Mats and ROIs alike are views, never copies. Channels are never
// differentiated: in GradientOptions::axes, axis 0 is the rows (y, growing downward), axis 1 the
// columns (x), negative indices count from the last *spatial* axis, and the default is every
// spatial axis. Each result has the input's size and channel count, one channel per input
// channel, like cv::Sobel on a color image. Spacing is in pixels unless the caller sets it.
//
// Element types. Any depth: CV_8U → uint8, CV_8S → int8, CV_16U → uint16, CV_16S → int16,
// CV_32S → int32, CV_16F → float16, CV_32F → float32, CV_64F → float64. Results follow numpy:
// CV_64F for integer input, the input's float depth otherwise (GradientOptions::dtype overrides:
// float32 → CV_32F, float64 → CV_64F).
//
// Thread safety. No global state: concurrent calls on different Mats are safe, and concurrent
// reads of one Mat are. Each call runs on the calling thread's oneTBB arena; GradientOptions::threads
// limits the threads one call uses.
//
// OpenCV is included by this header and by the gradmap_opencv library's sources (lib/src/adapters/,
// lib/src/io/backend_opencv.cpp, lib/src/render/overview.cpp) only.
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/error.hpp"
#include "gradmap/export.hpp"
#include "gradmap/gradient.hpp"

namespace gradmap {

/// gradmap's element type for a Mat's depth (see the table above). Throws InvalidArgument for
/// depths gradmap has no type for (CV_16BF and newer).
GRADMAP_OPENCV_EXPORT DType mat_dtype(const cv::Mat& m);

/// The OpenCV depth (CV_8U ... CV_64F) holding `t`. Throws InvalidArgument for uint32, int64 and
/// uint64, which cv::Mat cannot hold.
GRADMAP_OPENCV_EXPORT int mat_depth(DType t);

namespace detail {
/// Checks that `m` can be viewed as elements of `t`; throws InvalidArgument naming what is wrong.
GRADMAP_OPENCV_EXPORT void check_mat_viewable(const cv::Mat& m, DType t, const char* who);

/// numpy shape and element strides of a viewable Mat (see the axis contract above).
inline void mat_layout(const cv::Mat& m, Shape& extents, Shape& strides) {
  const auto esz = static_cast<index_t>(m.elemSize1());
  extents.clear();
  strides.clear();
  for (int d = 0; d < m.dims; ++d) {
    extents.push_back(m.size[d]);
    strides.push_back(static_cast<index_t>(m.step[static_cast<std::size_t>(d)]) / esz);
  }
  if (m.channels() > 1) {
    extents.push_back(m.channels());
    strides.push_back(1);
  }
}
}  // namespace detail

/// A view of `m`'s pixels, sharing its memory (no copy): shape (rows, cols) for one channel,
/// (rows, cols, channels) otherwise; strides from the Mat's step, so ROIs work. T must be the
/// type of m's depth (e.g. std::uint8_t for CV_8U, float16_t for CV_16F). Valid while the Mat's
/// data lives. Throws InvalidArgument for an empty Mat, a type mismatch, or a step or data
/// pointer that is not a multiple of the element size (e.g. a Mat over unaligned user memory).
template <class T>
ConstArrayView<T> view_of(const cv::Mat& m) {
  detail::check_mat_viewable(m, dtype_of_v<T>, "view_of");
  Shape extents, strides;
  detail::mat_layout(m, extents, strides);
  return ConstArrayView<T>(reinterpret_cast<const T*>(m.data), std::move(extents), std::move(strides));
}

/// A writable view of `m`'s pixels (same layout and checks as view_of). A cv::Mat is a handle, so
/// writing through the view writes into every Mat sharing the data.
template <class T>
ArrayView<T> mutable_view_of(const cv::Mat& m) {
  detail::check_mat_viewable(m, dtype_of_v<T>, "mutable_view_of");
  Shape extents, strides;
  detail::mat_layout(m, extents, strides);
  return ArrayView<T>(reinterpret_cast<T*>(m.data), std::move(extents), std::move(strides));
}

/// One channel of `m` as a view without the channel axis: shape (rows, cols), column stride =
/// channels (an interleaved BGR Mat's green plane is `channel_view_of<std::uint8_t>(bgr, 1)`). No copy.
/// Throws InvalidArgument as view_of, or when `channel` is not in [0, channels).
template <class T>
ConstArrayView<T> channel_view_of(const cv::Mat& m, int channel) {
  detail::check_mat_viewable(m, dtype_of_v<T>, "channel_view_of");
  if (channel < 0 || channel >= m.channels())
    throw InvalidArgument("channel_view_of: channel " + std::to_string(channel) + " of a Mat with " +
                          std::to_string(m.channels()) + " channel(s)");
  Shape extents, strides;
  detail::mat_layout(m, extents, strides);
  // The spatial strides already step over whole pixels (the last one equals the channel count);
  // dropping the channel axis and offsetting the pointer leaves one channel.
  if (m.channels() > 1) {
    extents.pop_back();
    strides.pop_back();
  }
  return ConstArrayView<T>(reinterpret_cast<const T*>(m.data) + channel, std::move(extents),
                           std::move(strides));
}

/// Copies `m` into a new C-contiguous Array (shape as view_of).
GRADMAP_OPENCV_EXPORT Array to_array(const cv::Mat& m);

/// Copies `a` into a new cv::Mat: the Array's axes become the Mat's dimensions (rank ≥ 2), or,
/// with `last_axis_is_channels`, all but the last, which becomes channels (at most CV_CN_MAX).
/// Throws InvalidArgument for rank < 2 (rank < 3 with channels) or dtypes cv::Mat cannot hold.
GRADMAP_OPENCV_EXPORT cv::Mat to_mat(const Array& a, bool last_axis_is_channels = false);

/// Gradient components of a Mat, one per selected spatial axis in the order of options.axes
/// (default: d/drow then d/dcol, i.e. gy then gx), each of src's size and channel count, depth
/// CV_32F/CV_64F (CV_16F for CV_16F input) per the table above. Per channel, equivalent to
/// `numpy.gradient(f, *spacing, axis=axes, edge_order=edge_order)` on the channel as a 2-D array,
/// bit-identical for float32/float64. The input is not copied (ROIs included). Units: input value
/// per unit of spacing (pixels by default).
/// Throws InvalidArgument (empty Mat, bad axes/spacing/edge_order) or ShapeError (a spatial axis
/// shorter than edge_order + 1).
GRADMAP_OPENCV_EXPORT std::vector<cv::Mat> gradient(const cv::Mat& src, const GradientOptions& options = {});

/// Writes the components into caller-provided Mats, allocating nothing: one Mat per selected axis,
/// each of src's size and channel count and all of one float depth (CV_16F, CV_32F or CV_64F),
/// continuous or ROIs (their step is honoured). The values are numpy's result rounded to that
/// depth. Throws as gradient(), or ShapeError when a Mat has the wrong size or channels, or
/// InvalidArgument when the depths are not float or differ, or when a Mat overlaps src or another
/// output (judged on byte ranges, see gradient_into in gradient.hpp: ROIs side by side in one Mat
/// interleave their rows and are refused; ROIs one above the other are fine).
GRADMAP_OPENCV_EXPORT void gradient_into(const cv::Mat& src, const std::vector<cv::Mat>& dst,
                                         const GradientOptions& options = {});

namespace detail {
/// options.dtype for an OpenCV `ddepth` argument (-1: keep `current`; CV_16F, CV_32F, CV_64F).
/// Throws InvalidArgument for other depths, or when `current` is set to another type.
GRADMAP_OPENCV_EXPORT std::optional<DType> ddepth_dtype(int ddepth, std::optional<DType> current,
                                                        const char* who);
template <class Depth>
using if_depth = std::enable_if_t<std::is_same_v<Depth, int>, int>;
}  // namespace detail

/// gradient() with the output depth as OpenCV's `ddepth` argument, e.g. `gradient(gray8, CV_32F)`
/// for float32 components of an 8-bit image; -1 keeps numpy's rule (see the table above).
/// (A template only so that `gradient(m, {})` still means default options.)
template <class Depth, detail::if_depth<Depth> = 0>
std::vector<cv::Mat> gradient(const cv::Mat& src, Depth ddepth, GradientOptions options = {}) {
  options.dtype = detail::ddepth_dtype(ddepth, options.dtype, "gradient");
  return gradient(src, options);
}

/// Results of edges() on a Mat; each has src's size and channel count; members not requested are
/// empty Mats.
struct MatEdgeMaps {
  cv::Mat magnitude;                ///< input value per unit of spacing
  cv::Mat direction;                ///< 2-D direction (units and range per AngleOptions), or 3-D azimuth
  cv::Mat elevation;                ///< 3-D Mats only
  std::vector<cv::Mat> components;  ///< with EdgeOptions::components, in the order of the axes
  std::vector<cv::Mat> normals;     ///< with EdgeOptions::normals
};

/// Edge maps of a Mat, per channel: gradmap::edges() (see edges.hpp for the formulas and accuracy)
/// with the axis contract above; with default options the direction is `np.arctan2(gy, gx)` in
/// radians, y growing downward, in (-π, π] (see AngleRange). The input is read in place and the maps are
/// written straight into the new Mats (edges_into); nothing is copied. With EdgeOptions::components the
/// components come from gradient() and the maps from the fused pass (the derivatives are computed
/// twice, which costs less than copying them). Throws as edges().
GRADMAP_OPENCV_EXPORT MatEdgeMaps edges(const cv::Mat& src, const EdgeOptions& options = {});

/// edges() with the output depth as OpenCV's `ddepth` argument (CV_16F, CV_32F, CV_64F; -1:
/// numpy's rule), e.g. `edges(gray8, CV_32F)`.
template <class Depth, detail::if_depth<Depth> = 0>
MatEdgeMaps edges(const cv::Mat& src, Depth ddepth, EdgeOptions options = {}) {
  options.gradient.dtype = detail::ddepth_dtype(ddepth, options.gradient.dtype, "edges");
  return edges(src, options);
}

/// edges() into `dst`, as OpenCV functions write their outputs: each map that `options` asks for
/// (magnitude; direction, and for 3 spatial axes elevation; normals, one per axis) is
/// `create()`d with src's size and channel count and the output depth (options.gradient.dtype,
/// else numpy's rule) — which allocates only when the Mat is empty or of another size or type,
/// so a loop over frames allocates its maps once — and then written in place by the fused pass.
/// ROIs of the right size and type are written through their step. Maps not asked for are left
/// untouched; EdgeOptions::components must be false (use gradient_into). Throws as edges(), or
/// InvalidArgument when an output Mat overlaps src or another output.
GRADMAP_OPENCV_EXPORT void edges_into(const cv::Mat& src, MatEdgeMaps& dst, const EdgeOptions& options = {});

/// edges_into() with the output depth as OpenCV's `ddepth` argument, e.g.
/// `edges_into(gray8, maps, CV_32F)`.
template <class Depth, detail::if_depth<Depth> = 0>
void edges_into(const cv::Mat& src, MatEdgeMaps& dst, Depth ddepth, EdgeOptions options = {}) {
  options.gradient.dtype = detail::ddepth_dtype(ddepth, options.gradient.dtype, "edges_into");
  edges_into(src, dst, options);
}

/// Gradient magnitude of a Mat, per channel: hypot of the selected components (see edges()).
GRADMAP_OPENCV_EXPORT cv::Mat gradient_magnitude(const cv::Mat& src, const GradientOptions& options = {});

}  // namespace gradmap
