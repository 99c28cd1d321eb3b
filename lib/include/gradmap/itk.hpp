// SPDX-License-Identifier: MIT
// itk::Image adapters (target gradmap::itk): gradmap's gradient and edge maps on ITK images, with
// the image's spacing, and results that keep its geometry. Header-only templates, so every pixel
// type and dimension works; only this header (and the volume IO backend) includes ITK.
//
// Axis contract. ITK indexes (x, y, z[, t]) with x fastest; gradmap speaks numpy order, slowest
// first. An itk::Image<T, D> is therefore the C-contiguous numpy array of shape
// (size[D-1], ..., size[1], size[0]) — (z, y, x) for a volume — over the image's own buffer (no
// copy), and its spacing is reversed likewise: numpy axis a has spacing GetSpacing()[D-1-a].
// GradientOptions::axes are numpy axes (0 = z for a volume, -1 = x). Gradient components come back
// in the order of the selected numpy axes (default: d/dz, d/dy, d/dx for a volume) — except
// gradient_vector_image(), which follows ITK (component k = d/d index axis k, x first).
//
// Units: derivatives are per unit of spacing (mm for medical images) unless the caller passes its
// own GradientOptions::spacing (e.g. AxisSpacing::uniform(1.0) for per-voxel derivatives). They are
// taken along the index axes; the direction cosines rotate nothing unless asked
// (gradient_vector_image(use_image_direction = true), as itk::GradientImageFilter does).
//
// Values. Equivalent to `numpy.gradient(arr, *spacing, axis=axes, edge_order=edge_order)` on
// `itk.array_view_from_image(image)`, bit-identical for float/double pixels; integer pixels are
// promoted to double as numpy does. Interior values equal itk::GradientImageFilter's (central
// differences); at the borders gradmap uses numpy's one-sided differences where ITK replicates the
// edge voxel.
//
// Only the buffered region is used (BufferedRegion: the whole image unless a pipeline streamed a
// part of it); results have the same largest-possible and buffered regions, spacing, origin and
// direction as the input.
//
// Thread safety. No global state: concurrent calls on different images are safe, and concurrent
// reads of one image are. Each call runs on the calling thread's oneTBB arena (not ITK's
// MultiThreader); GradientOptions::threads limits the threads one call uses.
#pragma once

#include <itkCovariantVector.h>
#include <itkImage.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/error.hpp"
#include "gradmap/gradient.hpp"

namespace gradmap {

namespace detail {
/// gradmap's element type for an ITK scalar pixel type: the type itself, or for plain `char` the
/// fixed-width type of its signedness (char may alias any object, so the cast is well defined).
template <class P>
struct itk_element {
  using type = P;
};
template <>
struct itk_element<char> {
  using type = std::conditional_t<std::is_signed_v<char>, std::int8_t, std::uint8_t>;
};
template <class P>
using itk_element_t = typename itk_element<P>::type;

template <class P, class = void>
struct is_itk_scalar : std::false_type {};
template <class P>
struct is_itk_scalar<P, std::void_t<decltype(dtype_of<itk_element_t<P>>::value)>> : std::true_type {};

/// numpy's result type for the pixel type: float stays float, everything else becomes double.
template <class P>
using itk_gradient_t = std::conditional_t<std::is_same_v<P, float>, float, double>;
/// The caller's output pixel type, or numpy's when it is void.
template <class Out, class P>
using itk_out_t = std::conditional_t<std::is_void_v<Out>, itk_gradient_t<P>, Out>;

template <class P>
constexpr void check_pixel() {
  static_assert(
      is_itk_scalar<P>::value,
      "gradmap's itk::Image adapters take scalar pixels of a fixed-width integer, float or double "
      "type; for RGB or vector images, extract the components (itk::VectorIndexSelectionCastImageFilter)");
}
template <class Out>
constexpr void check_output() {
  static_assert(std::is_same_v<Out, float> || std::is_same_v<Out, double>,
                "gradmap's itk::Image results are float or double images");
}

template <unsigned int D>
Shape itk_numpy_shape(const itk::ImageBase<D>& image) {
  const auto size = image.GetBufferedRegion().GetSize();
  Shape s(D);
  for (unsigned int k = 0; k < D; ++k) s[D - 1 - k] = static_cast<index_t>(size[k]);
  return s;
}

/// Selected numpy axes, normalized (for mapping spacing to them); range errors are left to
/// resolve_axes(), which words them like numpy.
inline std::vector<int> selected_axes(const GradientOptions& options, int rank) {
  std::vector<int> axes;
  if (!options.axes) {
    for (int a = 0; a < rank; ++a) axes.push_back(a);
  } else {
    for (int a : *options.axes) axes.push_back(a < 0 && a >= -rank ? a + rank : a);
  }
  return axes;
}

/// A new image with `like`'s geometry and regions, allocated (not initialized).
template <class P, unsigned int D>
typename itk::Image<P, D>::Pointer itk_like(const itk::ImageBase<D>& like) {
  auto out = itk::Image<P, D>::New();
  out->CopyInformation(&like);  // spacing, origin, direction, largest possible region
  out->SetBufferedRegion(like.GetBufferedRegion());
  out->SetRequestedRegion(like.GetBufferedRegion());
  out->Allocate();
  return out;
}

/// Makes `image` an output for `like`: a new image when null; else like's geometry, and a new
/// buffer only when its buffered region differs from like's or it has none (Allocate() on a
/// matching region would allocate again).
template <class P, unsigned int D>
void itk_reuse_or_allocate(typename itk::Image<P, D>::Pointer& image, const itk::ImageBase<D>& like) {
  if (!image) {
    image = itk_like<P, D>(like);
    return;
  }
  image->CopyInformation(&like);
  if (image->GetBufferedRegion() != like.GetBufferedRegion() || !image->GetBufferPointer()) {
    image->SetBufferedRegion(like.GetBufferedRegion());
    image->SetRequestedRegion(like.GetBufferedRegion());
    image->Allocate();
  }
}

/// ITK's name of numpy axis `a` of a D-dimensional image: x, y, z, t for index axes 0 to 3.
template <unsigned int D>
std::string itk_axis_name(int a) {
  const int k = static_cast<int>(D) - 1 - a;
  return k < 4 ? std::string(1, "xyzt"[k]) : "index axis " + std::to_string(k);
}

/// The checks of resolve_axes() that depend on the image, worded with ITK's axis names (x, y, z)
/// rather than numpy's axis numbers: axes in range and enough voxels along every selected axis.
/// (ITK itself refuses a zero image spacing.)
template <unsigned int D>
void check_itk_axes(const itk::ImageBase<D>& image, const GradientOptions& options, const char* who) {
  const int rank = static_cast<int>(D);
  const std::string order = rank == 2   ? "0 = y, 1 = x"
                            : rank == 3 ? "0 = z, 1 = y, 2 = x"
                                        : "0 is the slowest";
  if (options.axes)
    for (int a : *options.axes)
      if (a < -rank || a >= rank)
        throw InvalidArgument(std::string(who) + ": axis " + std::to_string(a) + " is out of bounds for a " +
                              std::to_string(rank) + "-D image (numpy order: " + order + "; -1 = x)");
  const auto size = image.GetBufferedRegion().GetSize();
  for (int a : selected_axes(options, rank)) {
    const unsigned int k = D - 1 - static_cast<unsigned int>(a);
    const std::string name = itk_axis_name<D>(a);
    if (options.edge_order >= 1 && options.edge_order <= 2 &&
        size[k] < static_cast<itk::SizeValueType>(options.edge_order + 1))
      throw ShapeError(std::string(who) + ": the image has " + std::to_string(size[k]) + " voxel(s) along " +
                       name + "; a gradient with edge_order " + std::to_string(options.edge_order) +
                       " needs at least " + std::to_string(options.edge_order + 1) +
                       " (drop the axis from GradientOptions::axes, numpy order: " + order + ")");
  }
}
}  // namespace detail

/// The image's buffer as a numpy-order view, sharing its memory (no copy): shape
/// (size[D-1], ..., size[0]), C-contiguous. Valid while the image and its buffer live. Throws
/// InvalidArgument when the image has no buffer (not yet Allocate()d or Update()d).
template <class TPixel, unsigned int D>
ConstArrayView<detail::itk_element_t<TPixel>> view_of(const itk::Image<TPixel, D>& image) {
  detail::check_pixel<TPixel>();
  using E = detail::itk_element_t<TPixel>;
  if (!image.GetBufferPointer())
    throw InvalidArgument("view_of: the itk::Image has no pixel buffer (Allocate() or Update() it first)");
  return ConstArrayView<E>(reinterpret_cast<const E*>(image.GetBufferPointer()),
                           detail::itk_numpy_shape(image));
}

/// A writable numpy-order view of the image's buffer (see view_of).
template <class TPixel, unsigned int D>
ArrayView<detail::itk_element_t<TPixel>> mutable_view_of(itk::Image<TPixel, D>& image) {
  detail::check_pixel<TPixel>();
  using E = detail::itk_element_t<TPixel>;
  if (!image.GetBufferPointer())
    throw InvalidArgument("mutable_view_of: the itk::Image has no pixel buffer (Allocate() it first)");
  return ArrayView<E>(reinterpret_cast<E*>(image.GetBufferPointer()), detail::itk_numpy_shape(image));
}

/// The image's spacing in numpy axis order, one uniform AxisSpacing per axis: {sz, sy, sx} for a
/// volume (in the image's units, mm for medical images).
template <unsigned int D>
std::vector<AxisSpacing> spacing_of(const itk::ImageBase<D>& image) {
  std::vector<AxisSpacing> s;
  const auto sp = image.GetSpacing();
  for (unsigned int a = 0; a < D; ++a) s.push_back(AxisSpacing::uniform(sp[D - 1 - a]));
  return s;
}

/// `options` with the image's spacing filled in for the selected axes when options.spacing is
/// empty (an explicit spacing wins: pass AxisSpacing::uniform(1.0) for per-voxel derivatives).
template <unsigned int D>
GradientOptions with_image_spacing(const itk::ImageBase<D>& image, GradientOptions options) {
  if (!options.spacing.empty()) return options;
  const auto all = spacing_of(image);
  std::vector<AxisSpacing> selected;
  for (int a : detail::selected_axes(options, static_cast<int>(D))) {
    if (a < 0 || a >= static_cast<int>(D)) return options;  // resolve_axes() reports it, in numpy's words
    selected.push_back(all[static_cast<std::size_t>(a)]);
  }
  options.spacing = std::move(selected);
  return options;
}

/// Gradient components of an image, one image per selected numpy axis in the order of
/// options.axes (default: d/dz, d/dy, d/dx for a volume), each with the input's geometry. Pixel
/// type TOut (float or double; default numpy's: float for float pixels, double otherwise); values
/// are numpy's rounded to TOut. Spacing: the image's (see with_image_spacing). The input is not
/// copied and results are written straight into the new images' buffers.
/// Throws InvalidArgument (no buffer, bad axes/spacing/edge_order, zero or non-finite spacing,
/// options.dtype set and not TOut) or ShapeError (an axis shorter than edge_order + 1).
template <class TOut = void, class TPixel, unsigned int D>
std::vector<typename itk::Image<detail::itk_out_t<TOut, TPixel>, D>::Pointer> gradient(
    const itk::Image<TPixel, D>& image, const GradientOptions& options = {}) {
  using Out = detail::itk_out_t<TOut, TPixel>;
  using E = detail::itk_element_t<TPixel>;
  detail::check_output<Out>();
  if (options.dtype && *options.dtype != dtype_of_v<Out>)
    throw InvalidArgument(std::string("gradient: options.dtype is ") + dtype_name(*options.dtype) +
                          " but the output images hold " + dtype_name(dtype_of_v<Out>));
  const auto input = view_of(image);
  detail::check_itk_axes(image, options, "gradient");
  const GradientOptions o = with_image_spacing(image, options);
  const ResolvedAxes resolved = resolve_axes(input.extents(), o);  // validate before allocating
  std::vector<typename itk::Image<Out, D>::Pointer> out;
  std::vector<ArrayView<Out>> views;
  for (std::size_t k = 0; k < resolved.axes.size(); ++k) {
    out.push_back(detail::itk_like<Out, D>(image));
    views.push_back(mutable_view_of(*out.back()));
  }
  if (!views.empty()) gradient_into<E, Out>(input, views, o);
  return out;
}

/// The gradient as one CovariantVector image, laid out like itk::GradientImageFilter's output:
/// component k is the derivative along ITK index axis k (x first), per unit of spacing. With
/// `use_image_direction` (ITK's default) the vector is then rotated into the physical frame by the
/// image's direction matrix, g_phys[i] = Σ_j direction[i][j] g[j], as the ITK filter does.
/// Interior values equal ITK's; borders follow numpy (edge_order 1 or 2). Derivatives are written
/// straight into the vector image's buffer. Throws as gradient().
template <class TOut = void, class TPixel, unsigned int D>
typename itk::Image<itk::CovariantVector<detail::itk_out_t<TOut, TPixel>, D>, D>::Pointer
gradient_vector_image(const itk::Image<TPixel, D>& image, bool use_image_direction = true,
                      int edge_order = 1) {
  using Out = detail::itk_out_t<TOut, TPixel>;
  using E = detail::itk_element_t<TPixel>;
  using Vec = itk::CovariantVector<Out, D>;
  detail::check_output<Out>();
  // The buffer is viewed as D interleaved planes of Out; ITK relies on the same layout.
  static_assert(sizeof(Vec) == D * sizeof(Out), "CovariantVector is not a packed array");
  const auto input = view_of(image);
  GradientOptions o;
  o.edge_order = edge_order;
  detail::check_itk_axes(image, o, "gradient_vector_image");
  o = with_image_spacing(image, o);
  resolve_axes(input.extents(), o);  // validate before allocating
  auto out = detail::itk_like<Vec, D>(image);
  Out* base = reinterpret_cast<Out*>(out->GetBufferPointer());
  Shape strides = c_strides(input.extents());
  for (auto& s : strides) s *= static_cast<index_t>(D);
  // numpy axis a is ITK component D-1-a.
  std::vector<ArrayView<Out>> views;
  for (unsigned int a = 0; a < D; ++a) views.emplace_back(base + (D - 1 - a), input.extents(), strides);
  gradient_into<E, Out>(input, views, o);
  if (use_image_direction) {
    const auto dir = image.GetDirection();
    const index_t n = input.size();
    for (index_t p = 0; p < n; ++p) {
      Out* g = base + p * static_cast<index_t>(D);
      Out r[D];
      for (unsigned int i = 0; i < D; ++i) {
        double acc = 0;
        for (unsigned int j = 0; j < D; ++j) acc += dir[i][j] * static_cast<double>(g[j]);
        r[i] = static_cast<Out>(acc);
      }
      for (unsigned int i = 0; i < D; ++i) g[i] = r[i];
    }
  }
  return out;
}

/// Results of edges() on an image; each has the input's geometry; members not requested are null.
template <class TOut, unsigned int D>
struct ItkEdgeMaps {
  using ImagePointer = typename itk::Image<TOut, D>::Pointer;
  ImagePointer magnitude;  ///< per unit of spacing
  ImagePointer
      direction;  ///< 2-D direction or 3-D azimuth (AngleOptions), in numpy's (y, x) image convention
  ImagePointer elevation;                ///< 3 selected axes only
  std::vector<ImagePointer> components;  ///< with EdgeOptions::components, in the order of the axes
  std::vector<ImagePointer> normals;     ///< with EdgeOptions::normals
};

/// edges() into `dst`: each map `options` asks for (magnitude; direction, and elevation for 3
/// selected axes; normals, one per axis) is a new image when null, and otherwise reused: given the
/// input's geometry and Allocate()d again only when its buffered region differs from the input's,
/// so a loop over images of one size allocates its maps once. The maps are written straight into
/// the images' buffers by the fused pass (no copy). Maps not asked for are left untouched;
/// EdgeOptions::components must be false. Spacing, axes and conventions as edges(). Throws as
/// edges(), or InvalidArgument when options.gradient.dtype is set and is not TOut.
template <class TOut, class TPixel, unsigned int D>
void edges_into(const itk::Image<TPixel, D>& image, ItkEdgeMaps<TOut, D>& dst,
                const EdgeOptions& options = {}) {
  using E = detail::itk_element_t<TPixel>;
  detail::check_output<TOut>();
  if (options.gradient.dtype && *options.gradient.dtype != dtype_of_v<TOut>)
    throw InvalidArgument(std::string("edges_into: options.gradient.dtype is ") +
                          dtype_name(*options.gradient.dtype) + " but the output images hold " +
                          dtype_name(dtype_of_v<TOut>));
  if (options.components)
    throw InvalidArgument(
        "edges_into: EdgeOptions::components is set; edges_into writes maps only (use "
        "gradient() for the components)");
  const auto input = view_of(image);
  detail::check_itk_axes(image, options.gradient, "edges_into");
  EdgeOptions o = options;
  o.gradient = with_image_spacing(image, options.gradient);
  const int n = static_cast<int>(resolve_axes(input.extents(), o.gradient).axes.size());
  const bool elevation = o.direction && n == 3;
  EdgeViews<TOut> v;
  auto make = [&](bool wanted, typename itk::Image<TOut, D>::Pointer& out) {
    if (!wanted) return ArrayView<TOut>();
    detail::itk_reuse_or_allocate<TOut, D>(out, image);
    return mutable_view_of(*out);
  };
  v.magnitude = make(o.magnitude, dst.magnitude);
  v.direction = make(o.direction, dst.direction);
  v.elevation = make(elevation, dst.elevation);
  if (o.normals) {
    dst.normals.resize(static_cast<std::size_t>(n));
    for (auto& m : dst.normals) v.normals.push_back(make(true, m));
  }
  gradmap::edges_into<E, TOut>(input, v, o);  // in place: no input copy
}

/// Edge maps of an image: gradmap::edges() (formulas, conventions and accuracy in edges.hpp) with
/// the image's spacing (unless options.gradient.spacing is set) and numpy axis order: for a volume
/// the azimuth is atan2(d/dy, d/dx) and the elevation atan2(d/dz, hypot(d/dx, d/dy)), y and z
/// along the image's index axes 1 and 2. Reads the image's buffer in place and writes the maps
/// straight into the new images (edges_into); with EdgeOptions::components the components come
/// from gradient(). Throws as edges(), or InvalidArgument when options.gradient.dtype is set and
/// not TOut.
template <class TOut = void, class TPixel, unsigned int D>
ItkEdgeMaps<detail::itk_out_t<TOut, TPixel>, D> edges(const itk::Image<TPixel, D>& image,
                                                      const EdgeOptions& options = {}) {
  using Out = detail::itk_out_t<TOut, TPixel>;
  ItkEdgeMaps<Out, D> r;
  EdgeOptions o = options;
  if (o.components) {
    r.components = gradient<Out>(image, o.gradient);
    o.components = false;
  }
  edges_into(image, r, o);
  return r;
}

/// Gradient magnitude of an image (hypot of the selected components, per unit of spacing), with the
/// input's geometry. See edges().
template <class TOut = void, class TPixel, unsigned int D>
typename itk::Image<detail::itk_out_t<TOut, TPixel>, D>::Pointer gradient_magnitude(
    const itk::Image<TPixel, D>& image, const GradientOptions& options = {}) {
  EdgeOptions o;
  o.gradient = options;
  o.direction = false;
  return edges<TOut>(image, o).magnitude;
}

}  // namespace gradmap
