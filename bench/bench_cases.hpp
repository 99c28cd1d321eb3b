// SPDX-License-Identifier: MIT
// The benchmark cases of issue 6, their seeded input data and the gradmap call each one times.
// Shared by bench_gradmap (Google Benchmark) and bench_peers (gradmap against the bandwidth limit,
// numpy, OpenCV and ITK), so both measure exactly the same work on exactly the same bytes.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"

namespace bench {

using gradmap::Array;
using gradmap::DType;
using gradmap::index_t;
using gradmap::Shape;

/// What a case produces: per-axis components (gradient), magnitude + 2-D direction, or magnitude.
enum class Kind { components, magnitude_direction, magnitude };

struct CaseSpec {
  std::string id;     ///< "A", "B", ..., "A-nonuniform": the issue's names
  std::string title;  ///< one line for the table
  DType in_type = DType::float32;
  Shape shape;
  Kind kind = Kind::components;
  int edge_order = 1;
  bool nonuniform = false;  ///< coordinate arrays on every axis instead of unit steps
  DType out_type = DType::float32;
  bool out_type_explicit = false;  ///< GradientOptions::dtype set (integer input → float32)

  int rank() const { return static_cast<int>(shape.size()); }
  index_t size() const { return gradmap::shape_size(shape); }
  int outputs() const {
    switch (kind) {
      case Kind::components:
        return rank();
      case Kind::magnitude_direction:
        return 2;
      case Kind::magnitude:
        return 1;
    }
    return 0;
  }
  std::size_t input_bytes() const { return static_cast<std::size_t>(size()) * gradmap::dtype_size(in_type); }
  std::size_t output_bytes() const {
    return static_cast<std::size_t>(size()) * gradmap::dtype_size(out_type) *
           static_cast<std::size_t>(outputs());
  }
  /// Key of the input data: cases with the same key get bit-identical inputs.
  std::string data_key() const {
    std::string k = gradmap::dtype_name(in_type);
    for (index_t e : shape) k += "_" + std::to_string(e);
    return k;
  }
};

/// The cases. `quick` shrinks every size (same ranks, types and options) for the smoke test;
/// `scale_2d` / `scale_3d` override the sides (0 = the sizes).
inline std::vector<CaseSpec> make_cases(bool quick, index_t side_2d = 0, index_t side_3d = 0) {
  const index_t s2 = side_2d > 0 ? side_2d : (quick ? 96 : 4096);
  const index_t s3 = side_3d > 0 ? side_3d : (quick ? 24 : 256);
  // E keeps the CT aspect (512 × 512 × 300 → z × y × x = 300 × 512 × 512).
  const Shape e_shape =
      quick ? Shape{15, 26, 26} : (side_3d > 0 ? Shape{s3 * 300 / 512, s3, s3} : Shape{300, 512, 512});
  const std::string s2n = std::to_string(s2) + "²";
  std::vector<CaseSpec> c;
  auto add = [&](std::string id, std::string title, DType in, Shape shape, Kind kind) -> CaseSpec& {
    CaseSpec s;
    s.id = std::move(id);
    s.title = std::move(title);
    s.in_type = in;
    s.shape = std::move(shape);
    s.kind = kind;
    s.out_type = gradmap::is_integer(in) ? DType::float32 : in;
    s.out_type_explicit = gradmap::is_integer(in);
    c.push_back(s);
    return c.back();
  };
  add("A", "2-D float32 " + s2n + " → 2 components", DType::float32, {s2, s2}, Kind::components);
  add("B", "3-D float32 " + std::to_string(s3) + "³ → 3 components", DType::float32, {s3, s3, s3},
      Kind::components);
  add("C", "2-D float32 " + s2n + " → magnitude + direction", DType::float32, {s2, s2},
      Kind::magnitude_direction);
  add("D", "2-D uint8 " + s2n + " → float32 magnitude + direction", DType::uint8, {s2, s2},
      Kind::magnitude_direction);
  add("E",
      "3-D int16 " + std::to_string(e_shape[2]) + "×" + std::to_string(e_shape[1]) + "×" +
          std::to_string(e_shape[0]) + " → float32 magnitude",
      DType::int16, e_shape, Kind::magnitude);
  add("A-nonuniform", "A with coordinate arrays on both axes", DType::float32, {s2, s2}, Kind::components)
      .nonuniform = true;
  add("A-edge2", "A with edge_order 2", DType::float32, {s2, s2}, Kind::components).edge_order = 2;
  add("A-f64", "A in float64", DType::float64, {s2, s2}, Kind::components);
  return c;
}

/// A 64-bit mixer (splitmix64's finalizer): the noise of sample i, independent of thread or order.
inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Seeded input: a smooth ramp plus noise, so gradients are non-zero and point every way (the
/// direction kernels see all octants) while the values stay in each type's range. The same
/// (type, shape) always gives the same bits; float64 data is the float32 data widened.
inline Array make_input(const CaseSpec& spec, std::uint64_t seed = 6) {
  Array a(spec.in_type, spec.shape);
  const index_t n = spec.size();
  const index_t last = spec.shape.back();
  gradmap::visit_dtype(spec.in_type, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::uint8_t> ||
                  std::is_same_v<T, std::int16_t>) {
      T* p = static_cast<T*>(a.data());
      for (index_t i = 0; i < n; ++i) {
        const std::uint64_t r = mix(seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i));
        const double u = static_cast<double>(r >> 11) * 0x1.0p-53;  // [0, 1)
        const index_t col = i % last, row = i / last;
        if constexpr (std::is_same_v<T, std::uint8_t>) {
          p[i] = static_cast<T>((col + 3 * row + static_cast<index_t>(u * 64)) & 0xff);
        } else if constexpr (std::is_same_v<T, std::int16_t>) {
          // CT-like Hounsfield range.
          p[i] = static_cast<T>(-1000 + (col + 2 * row) % 3000 + static_cast<index_t>(u * 200));
        } else {
          const float v =
              static_cast<float>(0.01 * static_cast<double>(col) - 0.02 * static_cast<double>(row % 1024)) +
              static_cast<float>(u);
          p[i] = static_cast<T>(v);
        }
      }
    } else {
      throw gradmap::InvalidArgument("bench: no generator for " +
                                     std::string(gradmap::dtype_name(spec.in_type)));
    }
  });
  return a;
}

/// Strictly increasing, non-uniform sample coordinates for one axis of length n.
inline std::vector<double> make_coords(index_t n, int axis) {
  std::vector<double> x(static_cast<std::size_t>(n));
  for (index_t k = 0; k < n; ++k)
    x[static_cast<std::size_t>(k)] =
        static_cast<double>(k) + 0.25 * static_cast<double>((k * 7919 + axis * 31) % 13) / 13.0;
  return x;
}

inline gradmap::GradientOptions gradient_options(const CaseSpec& spec) {
  gradmap::GradientOptions o;
  o.edge_order = spec.edge_order;
  if (spec.nonuniform)
    for (int d = 0; d < spec.rank(); ++d)
      o.spacing.push_back(
          gradmap::AxisSpacing::coordinates(make_coords(spec.shape[static_cast<std::size_t>(d)], d)));
  if (spec.out_type_explicit) o.dtype = spec.out_type;
  return o;
}

/// Runs gradmap on one case the way a user would: gradient_into() into preallocated outputs for
/// components (what the bandwidth limit does too), edges() — the fused path, which allocates its
/// maps — for magnitude/direction. `allocating` times gradient() instead of gradient_into().
class GradmapRunner {
 public:
  GradmapRunner(const CaseSpec& spec, const Array& input, bool allocating = false)
      : spec_(spec), input_(input), allocating_(allocating), options_(gradient_options(spec)) {
    if (spec.kind == Kind::components && !allocating)
      for (int k = 0; k < spec.rank(); ++k) outputs_.emplace_back(spec.out_type, spec.shape);
    edge_options_.gradient = options_;
    edge_options_.direction = spec.kind == Kind::magnitude_direction;
  }

  void run() {
    if (spec_.kind != Kind::components) {
      // Drop the previous maps first, as a user loop would, so each run allocates afresh.
      outputs_.clear();
      gradmap::EdgeMaps m = gradmap::edges(input_, edge_options_);
      outputs_.push_back(std::move(m.magnitude));
      if (!m.direction.empty()) outputs_.push_back(std::move(m.direction));
      return;
    }
    if (allocating_) {
      outputs_.clear();
      outputs_ = gradmap::gradient(input_, options_);
      return;
    }
    gradmap::visit_dtype(spec_.in_type, [&](auto in_tag) {
      using T = decltype(in_tag);
      gradmap::visit_dtype(spec_.out_type, [&](auto out_tag) {
        using O = decltype(out_tag);
        if constexpr (std::is_same_v<O, float> || std::is_same_v<O, double>) {
          std::vector<gradmap::ArrayView<O>> views;
          for (auto& a : outputs_) views.push_back(a.template view<O>());
          gradmap::gradient_into<T, O>(input_.template view<T>(), views, options_);
        }
      });
    });
  }

  /// Outputs of the last run: components in axis order, or magnitude then direction.
  const std::vector<Array>& outputs() const { return outputs_; }

 private:
  CaseSpec spec_;
  Array input_;
  bool allocating_;
  gradmap::GradientOptions options_;
  gradmap::EdgeOptions edge_options_;
  std::vector<Array> outputs_;
};

/// Output k of an Array as double at flat index i (for checks on small data only).
inline double value_at(const Array& a, index_t i) {
  return a.dtype() == DType::float64 ? static_cast<const double*>(a.data())[i]
                                     : static_cast<double>(static_cast<const float*>(a.data())[i]);
}

}  // namespace bench
