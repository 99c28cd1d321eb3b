// SPDX-License-Identifier: MIT
// cv::Mat adapters: a Mat becomes an ArrayView over its own memory (rows with the Mat's step,
// channels as a trailing axis), and the library runs on that view. The channel axis is never
// differentiated, so the user's axes are rewritten to spatial axes before the library sees them.
#include "gradmap/opencv.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <opencv2/core.hpp>
#include <string>
#include <type_traits>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gradmap {
namespace {

/// Asks Linux for 2 MiB pages on a freshly created Mat's aligned interior, before its first touch.
/// OpenCV allocates large Mats with fresh anonymous mappings, which fault in 4 KiB at a time: on
/// the benchmark machine that costs 20x the computation for a 4096² map (648 ms against 33 ms for
/// gradmap's own buffers, which are advised the same way in core/array.cpp). Harmless on reused
/// memory and where transparent huge pages are off.
void advise_huge_pages(const cv::Mat& m) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{1} << 21;
  if (!m.isContinuous()) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(m.data);
  const std::uintptr_t end = begin + m.total() * m.elemSize();
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t last = end & ~(kHuge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)m;
#endif
}

/// m.create(...), with huge pages advised when it allocated.
void create_mat(cv::Mat& m, int dims, const int* sizes, int type) {
  const uchar* before = m.data;
  m.create(dims, sizes, type);
  if (m.data != before) advise_huge_pages(m);
}

Shape mat_shape(const cv::Mat& m) {
  Shape extents, strides;
  detail::mat_layout(m, extents, strides);
  return extents;
}

/// options with `axes` made explicit and non-negative over the Mat's spatial axes, so that the
/// trailing channel axis (if any) is never selected, and numpy's negative indices count from the
/// last spatial axis rather than from the channels.
GradientOptions spatial_options(const cv::Mat& m, const GradientOptions& options, const char* who) {
  GradientOptions o = options;
  const int dims = m.dims;
  std::vector<int> axes;
  if (!options.axes) {
    for (int a = 0; a < dims; ++a) axes.push_back(a);
  } else {
    for (int a : *options.axes) {
      if (a < -dims || a >= dims)
        throw InvalidArgument(std::string(who) + ": axis " + std::to_string(a) +
                              " is out of bounds for a Mat with " + std::to_string(dims) +
                              " spatial axes (channels are not an axis)");
      axes.push_back(a < 0 ? a + dims : a);
    }
  }
  o.axes = axes;
  return o;
}

void check_not_empty(const cv::Mat& m, const char* who) {
  if (m.empty()) throw InvalidArgument(std::string(who) + ": the Mat is empty");
}

template <class Fn>
decltype(auto) visit_float(DType t, const char* who, Fn&& fn) {
  switch (t) {
    case DType::float16:
      return fn(float16_t{});
    case DType::float32:
      return fn(float{});
    case DType::float64:
      return fn(double{});
    default:
      break;
  }
  throw InvalidArgument(std::string(who) + ": output type must be float16, float32 or float64, got " +
                        dtype_name(t));
}

}  // namespace

DType mat_dtype(const cv::Mat& m) {
  switch (m.depth()) {
    case CV_8U:
      return DType::uint8;
    case CV_8S:
      return DType::int8;
    case CV_16U:
      return DType::uint16;
    case CV_16S:
      return DType::int16;
    case CV_32S:
      return DType::int32;
    case CV_16F:
      return DType::float16;
    case CV_32F:
      return DType::float32;
    case CV_64F:
      return DType::float64;
    default:
      break;
  }
  throw InvalidArgument("mat_dtype: OpenCV depth " + std::to_string(m.depth()) +
                        " has no gradmap element type");
}

int mat_depth(DType t) {
  switch (t) {
    case DType::uint8:
      return CV_8U;
    case DType::int8:
      return CV_8S;
    case DType::uint16:
      return CV_16U;
    case DType::int16:
      return CV_16S;
    case DType::int32:
      return CV_32S;
    case DType::float16:
      return CV_16F;
    case DType::float32:
      return CV_32F;
    case DType::float64:
      return CV_64F;
    default:
      break;
  }
  throw InvalidArgument(std::string("mat_depth: cv::Mat cannot hold ") + dtype_name(t) +
                        " (use astype() to float64 first)");
}

namespace detail {
void check_mat_viewable(const cv::Mat& m, DType t, const char* who) {
  check_not_empty(m, who);
  const DType actual = mat_dtype(m);
  if (actual != t)
    throw InvalidArgument(std::string(who) + ": the element type is " + dtype_name(t) +
                          " but the Mat holds " + dtype_name(actual) + " (" + cv::typeToString(m.type()) +
                          ")");
  // OpenCV's own Mats always satisfy both; a Mat wrapping user memory may not, and a misaligned
  // element pointer is undefined behaviour for the kernels.
  const std::size_t esz = m.elemSize1();
  for (int d = 0; d < m.dims; ++d)
    if (m.step[d] % esz != 0)
      throw InvalidArgument(std::string(who) + ": step " + std::to_string(m.step[d]) + " bytes of axis " +
                            std::to_string(d) + " is not a multiple of the element size " +
                            std::to_string(esz) + "; clone() the Mat first");
  if (reinterpret_cast<std::uintptr_t>(m.data) % esz != 0)
    throw InvalidArgument(std::string(who) + ": the Mat's data is not aligned to its " + std::to_string(esz) +
                          "-byte elements; clone() the Mat first");
}
}  // namespace detail

Array to_array(const cv::Mat& m) {
  check_not_empty(m, "to_array");
  return visit_dtype(mat_dtype(m), [&](auto tag) {
    using T = decltype(tag);
    return to_array<T>(view_of<T>(m));
  });
}

cv::Mat to_mat(const Array& a, bool last_axis_is_channels) {
  const int min_rank = last_axis_is_channels ? 3 : 2;
  if (a.rank() < min_rank)
    throw InvalidArgument("to_mat: a cv::Mat needs " + std::to_string(min_rank) + " or more axes" +
                          (last_axis_is_channels ? " (with the channel axis)" : "") + ", got shape " +
                          shape_string(a.shape()));
  const int dims = last_axis_is_channels ? a.rank() - 1 : a.rank();
  const index_t channels = last_axis_is_channels ? a.extent(a.rank() - 1) : 1;
  if (channels < 1 || channels > CV_CN_MAX)
    throw InvalidArgument("to_mat: " + std::to_string(channels) + " channels; a cv::Mat holds 1 to " +
                          std::to_string(CV_CN_MAX));
  std::vector<int> sizes;
  for (int d = 0; d < dims; ++d) {
    if (a.extent(d) > std::numeric_limits<int>::max())
      throw InvalidArgument("to_mat: axis " + std::to_string(d) + " of " + shape_string(a.shape()) +
                            " is too long for a cv::Mat");
    sizes.push_back(static_cast<int>(a.extent(d)));
  }
  cv::Mat m(dims, sizes.data(), CV_MAKETYPE(mat_depth(a.dtype()), static_cast<int>(channels)));
  // A fresh Mat is continuous and C-ordered with interleaved channels: the Array's exact layout.
  if (a.nbytes() > 0) std::memcpy(m.data, a.data(), a.nbytes());
  return m;
}

void gradient_into(const cv::Mat& src, const std::vector<cv::Mat>& dst, const GradientOptions& options) {
  check_not_empty(src, "gradient_into");
  const GradientOptions o = spatial_options(src, options, "gradient_into");
  const Shape shape = mat_shape(src);
  if (dst.empty()) throw ShapeError("gradient_into: no output Mats given");
  for (std::size_t k = 0; k < dst.size(); ++k) {
    const cv::Mat& d = dst[k];
    if (d.empty() || d.dims != src.dims || d.channels() != src.channels() || mat_shape(d) != shape)
      throw ShapeError("gradient_into: output " + std::to_string(k) + " has shape " +
                       (d.empty() ? std::string("()") : shape_string(mat_shape(d))) + ", expected " +
                       shape_string(shape) + " (the input's size and channel count)");
    if (d.depth() != dst[0].depth())
      throw InvalidArgument("gradient_into: outputs of different depths (" + cv::typeToString(dst[0].type()) +
                            " and " + cv::typeToString(d.type()) + "); give them one float depth");
  }
  const DType out_type = mat_dtype(dst[0]);
  visit_dtype(mat_dtype(src), [&](auto in_tag) {
    using In = decltype(in_tag);
    visit_float(out_type, "gradient_into", [&](auto out_tag) {
      using Out = decltype(out_tag);
      std::vector<ArrayView<Out>> views;
      for (const auto& d : dst) views.push_back(mutable_view_of<Out>(d));
      gradmap::gradient_into<In, Out>(view_of<In>(src), views, o);
    });
  });
}

std::vector<cv::Mat> gradient(const cv::Mat& src, const GradientOptions& options) {
  check_not_empty(src, "gradient");
  const GradientOptions o = spatial_options(src, options, "gradient");
  // Validate before allocating; resolve_axes also tells how many components there are.
  const ResolvedAxes resolved = resolve_axes(mat_shape(src), o);
  const DType out_type = gradient_dtype(mat_dtype(src), o);
  std::vector<cv::Mat> out;
  for (std::size_t k = 0; k < resolved.axes.size(); ++k)
    create_mat(out.emplace_back(), src.dims, src.size.p, CV_MAKETYPE(mat_depth(out_type), src.channels()));
  if (!out.empty()) gradient_into(src, out, o);
  return out;
}

void edges_into(const cv::Mat& src, MatEdgeMaps& dst, const EdgeOptions& options) {
  check_not_empty(src, "edges_into");
  if (options.components)
    throw InvalidArgument(
        "edges_into: EdgeOptions::components is set; edges_into writes maps only (use "
        "gradient_into for the components)");
  EdgeOptions o = options;
  o.gradient = spatial_options(src, options.gradient, "edges_into");
  // Validate before creating any output.
  const int n = static_cast<int>(resolve_axes(mat_shape(src), o.gradient).axes.size());
  const DType out_type = gradient_dtype(mat_dtype(src), o.gradient);
  const int type = CV_MAKETYPE(mat_depth(out_type), src.channels());
  auto make = [&](cv::Mat& m) { create_mat(m, src.dims, src.size.p, type); };
  if (o.magnitude) make(dst.magnitude);
  if (o.direction) make(dst.direction);
  if (o.direction && n == 3) make(dst.elevation);
  if (o.normals) {
    dst.normals.resize(static_cast<std::size_t>(n));
    for (auto& m : dst.normals) make(m);
  }
  visit_dtype(mat_dtype(src), [&](auto in_tag) {
    using In = decltype(in_tag);
    visit_float(out_type, "edges_into", [&](auto out_tag) {
      using Out = decltype(out_tag);
      EdgeViews<Out> v;
      auto view = [](bool wanted, const cv::Mat& m) {
        return wanted ? mutable_view_of<Out>(m) : ArrayView<Out>();
      };
      v.magnitude = view(o.magnitude, dst.magnitude);
      v.direction = view(o.direction, dst.direction);
      v.elevation = view(o.direction && n == 3, dst.elevation);
      if (o.normals)
        for (const auto& m : dst.normals) v.normals.push_back(mutable_view_of<Out>(m));
      gradmap::edges_into<In, Out>(view_of<In>(src), v, o);
    });
  });
}

MatEdgeMaps edges(const cv::Mat& src, const EdgeOptions& options) {
  MatEdgeMaps r;
  EdgeOptions o = options;
  if (o.components) {
    r.components = gradient(src, o.gradient);
    o.components = false;
  }
  edges_into(src, r, o);
  return r;
}

namespace detail {
std::optional<DType> ddepth_dtype(int ddepth, std::optional<DType> current, const char* who) {
  if (ddepth == -1) return current;
  DType t;
  if (ddepth == CV_16F)
    t = DType::float16;
  else if (ddepth == CV_32F)
    t = DType::float32;
  else if (ddepth == CV_64F)
    t = DType::float64;
  else
    throw InvalidArgument(std::string(who) + ": ddepth " + std::to_string(ddepth) +
                          " is not CV_16F, CV_32F, CV_64F or -1");
  if (current && *current != t)
    throw InvalidArgument(std::string(who) + ": ddepth " + cv::typeToString(ddepth) + " but options dtype " +
                          dtype_name(*current) + "; give one of them");
  return t;
}
}  // namespace detail

cv::Mat gradient_magnitude(const cv::Mat& src, const GradientOptions& options) {
  EdgeOptions o;
  o.gradient = options;
  o.direction = false;
  return edges(src, o).magnitude;
}

}  // namespace gradmap
