// SPDX-License-Identifier: MIT
// The padded derivative operators of gradmap/operators.hpp: central, central4, sobel, prewitt,
// scharr and gaussian with scipy.ndimage's boundary modes, as separable float64 1-D passes.
//
// Two schedules. Stencil3dJob: sobel, prewitt and scharr of a 3-D array with every component
// smoothed along both other axes and a padding that remaps indices (reflect, mirror, nearest,
// wrap), in one sweep that computes the smoothing the components share once. FilterJob: every
// other request, constant padding included (scipy pads each intermediate pass with the value,
// which no index remapping gives).
//
// FilterJob: tiles of rows along axis 0, in parallel, every component of a tile before
// the next tile; the passes of a component in scipy's order (the derivative first, then the
// smoothing in increasing axis order). A tile converts the input rows it needs (its rows plus the
// halo of the axis-0 pass) to float64, runs the passes that precede the axis-0 pass on them, then
// the axis-0 pass and the passes after it on its own rows, divides by the component's denominator
// and rounds once to the output type. Passes along the last axis run line by line, fused with the
// loading or the storing of a row where they come first or last; an axis-0 pass that comes first
// reads the input rows directly. Nothing full-size is allocated besides the outputs, and every
// sample is computed by the same operations whatever the tiling, the thread or the ISA clone.
#include "gradmap/operators.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "core/half.hpp"
#include "core/isa_clones.hpp"
#include "gradient/gradient_plan.hpp"

namespace gradmap {

const std::vector<OperatorInfo>& operators() {
  static const std::vector<OperatorInfo> table = {
      {Operator::central, "central", "numpy.gradient: (f[i+1] - f[i-1]) / 2h (default)"},
      {Operator::central4, "central4",
       "fourth-order central differences (f[i-2] - 8f[i-1] + 8f[i+1] - f[i+2]) / 12h"},
      {Operator::sobel, "sobel", "[-1,0,1]/2h, smoothed by [1,2,1]/4 along the other spatial axes"},
      {Operator::prewitt, "prewitt", "[-1,0,1]/2h, smoothed by [1,1,1]/3 along the other spatial axes"},
      {Operator::scharr, "scharr", "[-1,0,1]/2h, smoothed by [3,10,3]/16 along the other spatial axes"},
      {Operator::gaussian, "gaussian",
       "derivative of a Gaussian: gaussian:SIGMA or gaussian:S1,S2,... (one per spatial axis), in spacing "
       "units"},
  };
  return table;
}

const std::vector<BoundaryInfo>& boundaries() {
  static const std::vector<BoundaryInfo> table = {
      {Boundary::numpy, "numpy", "one-sided differences per edge order (central only; its default)"},
      {Boundary::reflect, "reflect", "d c b a | a b c d | d c b a (default of the other operators)"},
      {Boundary::mirror, "mirror", "d c b | a b c d | c b a"},
      {Boundary::nearest, "nearest", "a a a | a b c d | d d d"},
      {Boundary::wrap, "wrap", "b c d | a b c d | a b c (periodic)"},
      {Boundary::constant, "constant", "constant:V pads with V (default 0)"},
  };
  return table;
}

const char* operator_name(Operator op) {
  for (const auto& o : operators())
    if (o.op == op) return o.name;
  return "?";
}

const char* boundary_name(Boundary mode) {
  for (const auto& b : boundaries())
    if (b.mode == mode) return b.name;
  return "?";
}

namespace {

std::string names_of_operators() {
  std::string s;
  for (const auto& o : operators()) s += (s.empty() ? "" : ", ") + std::string(o.name);
  return s + " (gaussian:SIGMA)";
}

std::string names_of_boundaries() {
  std::string s;
  for (const auto& b : boundaries()) s += (s.empty() ? "" : ", ") + std::string(b.name);
  return s + " (constant:V)";
}

double parse_real(const std::string& text, const std::string& what) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end == begin || *end != '\0')
    throw InvalidArgument(what + ": '" + text + "' is not a number");
  return v;
}

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

}  // namespace

void parse_operator(const std::string& text, GradientOptions& options) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  for (const auto& o : operators()) {
    if (name != o.name) continue;
    options.op = o.op;
    options.sigma.clear();
    if (o.op != Operator::gaussian) {
      if (colon != std::string::npos)
        throw InvalidArgument("operator '" + text + "': only gaussian takes a parameter");
      return;
    }
    if (colon == std::string::npos || colon + 1 == text.size())
      throw InvalidArgument(
          "operator gaussian needs its sigma in spacing units: gaussian:1.5 or gaussian:2,0.7,0.7");
    std::stringstream parts(text.substr(colon + 1));
    std::string part;
    while (std::getline(parts, part, ','))
      options.sigma.push_back(parse_real(part, "operator " + text + ": sigma"));
    return;
  }
  throw InvalidArgument("unknown operator '" + text + "'; expected one of " + names_of_operators());
}

void parse_boundary(const std::string& text, GradientOptions& options) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  for (const auto& b : boundaries()) {
    if (name != b.name) continue;
    if (colon != std::string::npos && b.mode != Boundary::constant)
      throw InvalidArgument("boundary '" + text + "': only constant takes a value");
    options.boundary = b.mode;
    options.cval = 0.0;
    if (colon != std::string::npos) options.cval = parse_real(text.substr(colon + 1), "boundary " + text);
    return;
  }
  throw InvalidArgument("unknown boundary '" + text + "'; expected one of " + names_of_boundaries());
}

Boundary effective_boundary(const GradientOptions& options) {
  if (options.boundary) return *options.boundary;
  return options.op == Operator::central ? Boundary::numpy : Boundary::reflect;
}

namespace detail {

bool is_filtered(const GradientOptions& options) {
  return options.op != Operator::central || effective_boundary(options) != Boundary::numpy;
}

namespace {

/// One 1-D correlation: out[i] = sum_m w[m + r] * f[i + m], m = -r..r.
struct Pass {
  int axis = 0;
  std::vector<double> w;
};

/// The passes of one component and what their sum is divided by.
struct ComponentPlan {
  int axis = 0;
  std::vector<Pass> passes;
  double denominator = 1.0;
};

struct FilterPlan {
  std::vector<ComponentPlan> components;
  Boundary mode = Boundary::reflect;
  double cval = 0.0;
  std::vector<std::string> warnings;
};

/// scipy.ndimage's _gaussian_kernel1d(sigma, order, radius), as correlation weights (scipy's
/// gaussian_filter1d reverses the kernel before correlate1d; the derivative is odd, so that flips
/// its sign).
std::vector<double> gaussian_weights(double sigma, int order, index_t radius) {
  std::vector<double> phi(static_cast<std::size_t>(2 * radius + 1));
  const double sigma2 = sigma * sigma;
  double sum = 0.0;
  for (index_t m = -radius; m <= radius; ++m) {
    const double x = static_cast<double>(m);
    phi[static_cast<std::size_t>(m + radius)] = std::exp(-0.5 / sigma2 * (x * x));
  }
  for (double v : phi) sum += v;
  for (double& v : phi) v /= sum;
  if (order == 0) return phi;
  for (index_t m = -radius; m <= radius; ++m)  // kernel(x) = -x/σ² φ(x), reversed: +m/σ² φ(m)
    phi[static_cast<std::size_t>(m + radius)] *= static_cast<double>(m) / sigma2;
  return phi;
}

std::vector<int> normalized_axes(const std::vector<int>& given, int rank, const char* what) {
  std::vector<int> axes;
  std::set<int> seen;
  for (int a : given) {
    if (a < -rank || a >= rank)
      throw InvalidArgument(std::string(what) + ": axis " + std::to_string(a) +
                            " is out of bounds for array of dimension " + std::to_string(rank));
    const int n = a < 0 ? a + rank : a;
    if (!seen.insert(n).second)
      throw InvalidArgument(std::string(what) + ": repeated axis " + std::to_string(a));
    axes.push_back(n);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

}  // namespace
}  // namespace detail

void check_operator(const GradientOptions& o) {
  const Boundary mode = effective_boundary(o);
  const char* op = operator_name(o.op);
  if (o.op != Operator::central && mode == Boundary::numpy)
    throw InvalidArgument(
        std::string("boundary numpy (one-sided differences) exists for the central operator "
                    "only; give ") +
        op + " a padded boundary: reflect, mirror, nearest, wrap or constant:V");
  if (o.edge_order != 1 && mode != Boundary::numpy)
    throw InvalidArgument(std::string("edge_order ") + std::to_string(o.edge_order) +
                          " applies to boundary numpy only; boundary " + boundary_name(mode) +
                          " pads instead of taking one-sided differences");
  if (o.cval != 0.0 && mode != Boundary::constant)
    throw InvalidArgument(std::string("a padding value is used by boundary constant only, not ") +
                          boundary_name(mode));
  if (o.raw_kernel && o.op != Operator::sobel && o.op != Operator::prewitt && o.op != Operator::scharr)
    throw InvalidArgument(std::string("raw_kernel applies to sobel, prewitt and scharr, not ") + op);
  if (o.op != Operator::gaussian && !o.sigma.empty())
    throw InvalidArgument(std::string("sigma is a parameter of the gaussian operator, not of ") + op);
  if (!(std::isfinite(o.truncate) && o.truncate > 0))
    throw InvalidArgument("truncate must be finite and positive, got " + fmt(o.truncate));
  if (o.op == Operator::gaussian && o.sigma.empty())
    throw InvalidArgument("the gaussian operator needs a sigma (in spacing units), e.g. gaussian:1.5");
}

namespace detail {
namespace {

FilterPlan plan_filtered(const Shape& shape, const GradientOptions& o) {
  check_operator(o);
  const int rank = static_cast<int>(shape.size());
  FilterPlan plan;
  plan.mode = effective_boundary(o);
  plan.cval = o.cval;
  const char* op = operator_name(o.op);

  for (const auto& s : o.spacing)
    if (!s.coords.empty())
      throw InvalidArgument(std::string("the ") + op + " operator with boundary " + boundary_name(plan.mode) +
                            " needs uniform steps; coordinate arrays (non-uniform spacing) are accepted by "
                            "central with boundary numpy only");
  // numpy's axes and steps rules, but not its minimum length: padding gives every axis enough samples
  // (scipy pads an axis shorter than the kernel too).
  Shape padded_shape = shape;
  for (auto& e : padded_shape) e = std::max<index_t>(e, 2);
  const ResolvedAxes r = resolve_axes(padded_shape, o);

  std::vector<int> spatial;
  if (o.spatial_axes)
    spatial = normalized_axes(*o.spatial_axes, rank, "spatial_axes");
  else
    for (int d = 0; d < rank; ++d) spatial.push_back(d);
  auto step_of = [&](int axis) {  // a spatial axis that is not selected: samples
    for (std::size_t k = 0; k < r.axes.size(); ++k)
      if (r.axes[k] == axis) return r.spacing[k].step;
    return 1.0;
  };

  std::vector<double> sigma;  // per spatial axis, in samples
  if (o.op == Operator::gaussian) {
    if (o.sigma.size() != 1 && o.sigma.size() != spatial.size())
      throw InvalidArgument("gaussian: " + std::to_string(o.sigma.size()) + " sigma values for " +
                            std::to_string(spatial.size()) +
                            " spatial axes; give one, or one per spatial axis");
    for (std::size_t j = 0; j < spatial.size(); ++j) {
      const double s = o.sigma.size() == 1 ? o.sigma[0] : o.sigma[j];
      if (!(std::isfinite(s) && s >= 0))
        throw InvalidArgument("gaussian: sigma must be finite and not negative, got " + fmt(s));
      sigma.push_back(s / std::fabs(step_of(spatial[j])));
    }
  }

  std::vector<double> smooth;
  if (o.op == Operator::sobel) smooth = {1, 2, 1};
  if (o.op == Operator::prewitt) smooth = {1, 1, 1};
  if (o.op == Operator::scharr) smooth = {3, 10, 3};

  for (std::size_t k = 0; k < r.axes.size(); ++k) {
    const int axis = r.axes[k];
    const double h = r.spacing[k].step;
    ComponentPlan c;
    c.axis = axis;
    if (o.op == Operator::gaussian) {
      // scipy's gaussian_filter: every axis in increasing order, each with its own order; an axis
      // whose sigma is 0 is skipped, which for the differentiated axis would drop the derivative.
      bool differentiated = false;
      for (std::size_t j = 0; j < spatial.size(); ++j) {
        const int order = spatial[j] == axis ? 1 : 0;
        if (!(sigma[j] > 1e-15)) {
          if (order == 1)
            throw InvalidArgument("gaussian: the sigma along differentiated axis " + std::to_string(axis) +
                                  " is 0; a derivative needs a positive sigma");
          continue;
        }
        const auto radius = static_cast<index_t>(o.truncate * sigma[j] + 0.5);
        c.passes.push_back({spatial[j], gaussian_weights(sigma[j], order, radius)});
        differentiated |= order == 1;
        if (sigma[j] < 1.0)
          plan.warnings.push_back(
              "gaussian: sigma along axis " + std::to_string(spatial[j]) + " is " + fmt(sigma[j]) +
              " samples; below one sample the sampled kernel is a poor Gaussian (a ramp's "
              "slope is off by up to several percent)");
      }
      if (!differentiated)
        throw InvalidArgument("gaussian: axis " + std::to_string(axis) +
                              " is not among the spatial axes, so it cannot be differentiated");
      c.denominator = h;
    } else {
      if (o.op == Operator::central4)
        c.passes.push_back({axis, {1, -8, 0, 8, -1}});
      else
        c.passes.push_back({axis, {-1, 0, 1}});
      double norm = o.op == Operator::central4 ? 12.0 : 2.0;
      if (!smooth.empty())
        for (int j : spatial) {
          if (j == axis) continue;
          c.passes.push_back({j, smooth});
          norm *= smooth[0] + smooth[1] + smooth[2];
        }
      c.denominator = o.raw_kernel ? 1.0 : norm * h;
    }
    plan.components.push_back(std::move(c));
  }
  // Warnings are per spatial axis, not per component.
  std::sort(plan.warnings.begin(), plan.warnings.end());
  plan.warnings.erase(std::unique(plan.warnings.begin(), plan.warnings.end()), plan.warnings.end());
  return plan;
}

/// Index of the sample that padding mode `m` puts at position j of an axis of n samples (j may lie
/// anywhere: scipy repeats the pattern when the kernel is longer than the axis). Not for constant.
index_t extend(index_t j, index_t n, Boundary m) {
  if (j >= 0 && j < n) return j;
  switch (m) {
    case Boundary::nearest:
      return j < 0 ? 0 : n - 1;
    case Boundary::wrap: {
      const index_t q = j % n;
      return q < 0 ? q + n : q;
    }
    case Boundary::mirror: {
      if (n == 1) return 0;
      const index_t p = 2 * n - 2;
      index_t q = j % p;
      if (q < 0) q += p;
      return q < n ? q : p - q;
    }
    default: {  // reflect
      const index_t p = 2 * n;
      index_t q = j % p;
      if (q < 0) q += p;
      return q < n ? q : p - 1 - q;
    }
  }
}

/// scipy's correlate1d classifies odd kernels as symmetric (+1), antisymmetric (-1) or neither (0),
/// with DBL_EPSILON slack, and sums each class in its own order; gradmap sums the same way.
int symmetry(const std::vector<double>& w) {
  const std::size_t r = w.size() / 2;
  bool sym = true, anti = true;
  for (std::size_t m = 1; m <= r; ++m) {
    sym = sym && std::fabs(w[r + m] - w[r - m]) <= std::numeric_limits<double>::epsilon();
    anti = anti && std::fabs(w[r + m] + w[r - m]) <= std::numeric_limits<double>::epsilon();
  }
  return sym ? 1 : anti ? -1 : 0;
}

template <class T>
double as_double(T v) {
  if constexpr (std::is_same_v<T, float16_t>)
    return static_cast<double>(half_to_float(v.bits));
  else
    return static_cast<double>(v);
}

template <class Out>
Out from_double(double v) {
  if constexpr (std::is_same_v<Out, float16_t>)
    return float16_t{double_to_half(v)};
  else
    return static_cast<Out>(v);
}

/// combine's register block: acc[q] += (a ± b) · w[j] for every tap pair j (a = rows[j], b =
/// rows[2r - j], samples at..at+31 as four vectors of eight), Sign +1 for symmetric kernels, -1
/// for antisymmetric ones. Always inlined, so that each ISA clone of combine compiles it for its
/// own target (a lambda would not be cloned).
template <int Sign, class T, class V8>
__attribute__((always_inline)) inline void add_pairs(V8* acc, const T* const* rows, const double* w,
                                                     index_t r, index_t at) {
  typedef T VT __attribute__((vector_size(8 * sizeof(T))));
  VT x, y;
  for (index_t j = 0; j < r; ++j) {
    const T* a = rows[j] + at;
    const T* b = rows[2 * r - j] + at;
    const double wj = w[j];
    for (int q = 0; q < 4; ++q) {
      __builtin_memcpy(&x, a + 8 * q, sizeof x);
      __builtin_memcpy(&y, b + 8 * q, sizeof y);
      if constexpr (Sign > 0)
        acc[q] += (__builtin_convertvector(x, V8) + __builtin_convertvector(y, V8)) * wj;
      else
        acc[q] += (__builtin_convertvector(x, V8) - __builtin_convertvector(y, V8)) * wj;
    }
  }
}

/// out[t] = sum over taps of w · rows[tap][t], in scipy's order: rows[tap] is the input at offset
/// tap - r from the output sample. Chunks of kChunk samples keep `out` in L1 while every tap adds
/// to it; each sample still sees the same operations in the same order. Cloned per ISA
/// (core/isa_clones.hpp): every clone gives the same bits.
template <class T>
GRADMAP_ISA_CLONES void combine(double* __restrict out, const T* const* rows, const double* w, index_t r,
                                index_t len, int sym, bool cached) {
  constexpr index_t kChunk = 512;
  for (index_t c0 = 0; c0 < len; c0 += kChunk) {
    const index_t n = std::min(kChunk, len - c0);
    double* __restrict o = out + c0;
    if (sym == 0) {
      const T* __restrict last = rows[2 * r] + c0;
      const double wl = w[2 * r];
      for (index_t t = 0; t < n; ++t) o[t] = as_double(last[t]) * wl;
      for (index_t j = 0; j < 2 * r; ++j) {
        const T* __restrict a = rows[j] + c0;
        const double wj = w[j];
        for (index_t t = 0; t < n; ++t) o[t] += as_double(a[t]) * wj;
      }
      continue;
    }
    const T* __restrict mid = rows[r] + c0;
    const double wm = w[r];
    if (r == 1) {  // the 3-tap kernels: one sweep, the same two operations per sample
      const T* __restrict a = rows[0] + c0;
      const T* __restrict b = rows[2] + c0;
      const double w0 = w[0];
      if (sym > 0)
        for (index_t t = 0; t < n; ++t)
          o[t] = as_double(mid[t]) * wm + (as_double(a[t]) + as_double(b[t])) * w0;
      else
        for (index_t t = 0; t < n; ++t)
          o[t] = as_double(mid[t]) * wm + (as_double(a[t]) - as_double(b[t])) * w0;
      continue;
    }
    // Blocks of 32 samples accumulate in four vectors over every tap pair: the operations and
    // their order are those of the sweeps below (which finish the chunk), without a load and a
    // store of `o` per pair. Measured faster where the taps are `cached` — one line's shifted
    // windows, or the narrow strips of a wide kernel (256³ gaussian:16 2934 -> 2377 ms at 1
    // thread) — and slower on whole rows, where the sweeps stream each tap's row (4096²
    // gaussian:16 622 -> 762 ms).
    index_t done = 0;
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
      typedef double V8 __attribute__((vector_size(64)));
      typedef T VT __attribute__((vector_size(8 * sizeof(T))));
      const index_t blocked = cached ? n : 0;
      for (; done + 32 <= blocked; done += 32) {
        V8 acc[4];
        VT x;
        for (int q = 0; q < 4; ++q) {
          __builtin_memcpy(&x, mid + done + 8 * q, sizeof x);
          acc[q] = __builtin_convertvector(x, V8) * wm;
        }
        if (sym > 0)
          add_pairs<1>(acc, rows, w, r, c0 + done);
        else
          add_pairs<-1>(acc, rows, w, r, c0 + done);
        __builtin_memcpy(o + done, acc, sizeof acc);
      }
    }
    for (index_t t = done; t < n; ++t) o[t] = as_double(mid[t]) * wm;
    for (index_t j = 0; j < r; ++j) {  // scipy's jj = -r .. -1: the pair (i + jj, i - jj)
      const T* __restrict a = rows[j] + c0;
      const T* __restrict b = rows[2 * r - j] + c0;
      const double wj = w[j];
      if (sym > 0)
        for (index_t t = done; t < n; ++t) o[t] += (as_double(a[t]) + as_double(b[t])) * wj;
      else
        for (index_t t = done; t < n; ++t) o[t] += (as_double(a[t]) - as_double(b[t])) * wj;
    }
  }
}

/// correlate1d of one line of n contiguous samples along the last axis. Interior samples read the
/// line itself (tap m is the line shifted by m); the r samples at each end read a short padded copy
/// of the line's ends; a line no longer than 2r is padded whole.
class LineFilter {
 public:
  LineFilter(const Pass& pass, Boundary mode, double cval, index_t n)
      : w_(pass.w.data()),
        r_(static_cast<index_t>(pass.w.size() / 2)),
        sym_(symmetry(pass.w)),
        mode_(mode),
        cval_(cval),
        n_(n),
        split_(n > 2 * r_),
        taps_(static_cast<std::size_t>(2 * r_ + 1)),
        padded_(static_cast<std::size_t>(split_ ? 3 * r_ : n + 2 * r_)) {}

  void operator()(const double* in, double* out) {
    const index_t r = r_, n = n_;
    if (!split_) {
      for (index_t j = -r; j < n + r; ++j) padded_[static_cast<std::size_t>(j + r)] = value(in, j);
      point_taps(padded_.data());
      combine(out, taps_.data(), w_, r, n, sym_, true);
      return;
    }
    point_taps(in);
    combine(out + r, taps_.data(), w_, r, n - 2 * r, sym_, true);
    if (r == 0) return;
    point_taps(padded_.data());
    for (index_t j = -r; j < 2 * r; ++j) padded_[static_cast<std::size_t>(j + r)] = value(in, j);
    combine(out, taps_.data(), w_, r, r, sym_, true);  // outputs 0 .. r-1 read inputs -r .. 2r-1
    for (index_t j = n - 2 * r; j < n + r; ++j)
      padded_[static_cast<std::size_t>(j - (n - 2 * r))] = value(in, j);
    combine(out + n - r, taps_.data(), w_, r, r, sym_, true);  // outputs n-r .. n-1 read n-2r .. n+r-1
  }

 private:
  double value(const double* in, index_t j) const {
    return mode_ == Boundary::constant && (j < 0 || j >= n_) ? cval_ : in[extend(j, n_, mode_)];
  }
  void point_taps(const double* p) {
    for (std::size_t m = 0; m < taps_.size(); ++m) taps_[m] = p + m;
  }

  const double* w_;
  index_t r_;
  int sym_;
  Boundary mode_;
  double cval_;
  index_t n_;
  bool split_;
  std::vector<const double*> taps_;
  std::vector<double> padded_;
};

/// dst = correlate1d(src, w, axis) for C-contiguous float64 arrays of `shape`, on the calling
/// thread (the tiles of filtered_gradient_into are the parallel work).
void correlate_axis(const double* src, double* dst, const Shape& shape, const Pass& pass, Boundary mode,
                    double cval) {
  const auto a = static_cast<std::size_t>(pass.axis);
  index_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= shape[d];
  for (std::size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
  const index_t n = shape[a];
  const auto r = static_cast<index_t>(pass.w.size() / 2);
  const double* w = pass.w.data();
  const int sym = symmetry(pass.w);
  std::vector<const double*> taps(static_cast<std::size_t>(2 * r + 1));
  if (inner > 1) {
    // Whole rows: output row i combines input rows i-r .. i+r (padding picks which), so the inner
    // loop runs over contiguous memory.
    const std::vector<double> constant_row(static_cast<std::size_t>(inner), cval);
    for (index_t row = 0; row < outer * n; ++row) {
      const index_t o = row / n, i = row % n;
      for (index_t m = -r; m <= r; ++m) {
        const index_t j = i + m;
        taps[static_cast<std::size_t>(m + r)] = mode == Boundary::constant && (j < 0 || j >= n)
                                                    ? constant_row.data()
                                                    : src + (o * n + extend(j, n, mode)) * inner;
      }
      combine(dst + row * inner, taps.data(), w, r, inner, sym, false);
    }
    return;
  }
  LineFilter line_filter(pass, mode, cval, n);
  for (index_t line = 0; line < outer; ++line) line_filter(src + line * n, dst + line * n);
}

/// 1/d when d is a power of two whose reciprocal is normal, else 0. Then x · (1/d) is the same
/// correctly rounded quotient as x / d (the exact values are equal), and a multiply costs a
/// fraction of a divide.
double exact_reciprocal(double d) {
  int e = 0;
  const bool power_of_two = std::frexp(d, &e) == 0.5 || std::frexp(d, &e) == -0.5;
  const double inv = 1.0 / d;
  return power_of_two && std::isfinite(inv) && std::isnormal(inv) ? inv : 0.0;
}

/// dst[i] = src[i] / d rounded to Out, for one contiguous row. Cloned per ISA: the same IEEE
/// operations at any width.
template <class Out>
GRADMAP_ISA_CLONES void store_quotients(Out* __restrict dst, const double* __restrict src, index_t len,
                                        double d) {
  const double inv = exact_reciprocal(d);
  if (inv != 0.0) {
    for (index_t i = 0; i < len; ++i) dst[i] = from_double<Out>(src[i] * inv);
  } else {
    for (index_t i = 0; i < len; ++i) dst[i] = from_double<Out>(src[i] / d);
  }
}

/// Stencil3dJob's in-plane passes: s = S(a, m, b) and d = D(a, m, b) for the taps at offsets -1, 0
/// and +1 of n samples, S symmetric and D antisymmetric, each summed as combine sums a 3-tap
/// kernel (the middle tap, then the pair) and sharing the loads. Cloned per ISA.
GRADMAP_ISA_CLONES void smooth_and_derive(double* __restrict s, double* __restrict d, const double* a,
                                          const double* m, const double* b, const double* ws,
                                          const double* wd, index_t n) {
  const double s0 = ws[0], s1 = ws[1], d0 = wd[0], d1 = wd[1];
  for (index_t t = 0; t < n; ++t) {
    s[t] = m[t] * s1 + (a[t] + b[t]) * s0;
    d[t] = m[t] * d1 + (a[t] - b[t]) * d0;
  }
}

/// Stencil3dJob's axis-0 pass fused with store_quotients: dst[t · stride] = (m·w[1] + (a ± b)·w[0])
/// / den rounded to Out, Sign +1 for a symmetric kernel, -1 for an antisymmetric one. Cloned per
/// ISA (GCC versions the loop for stride 1).
template <int Sign, class Out>
GRADMAP_ISA_CLONES void pass_and_store(Out* __restrict dst, index_t stride, const double* a, const double* m,
                                       const double* b, const double* w, double den, index_t n) {
  const double w0 = w[0], w1 = w[1], inv = exact_reciprocal(den);
  if (inv != 0.0) {
    for (index_t t = 0; t < n; ++t)
      dst[t * stride] = from_double<Out>((m[t] * w1 + (Sign > 0 ? a[t] + b[t] : a[t] - b[t]) * w0) * inv);
  } else {
    for (index_t t = 0; t < n; ++t)
      dst[t * stride] = from_double<Out>((m[t] * w1 + (Sign > 0 ? a[t] + b[t] : a[t] - b[t]) * w0) / den);
  }
}

/// dst[i] = src[i] as double, for one contiguous row.
template <class In>
GRADMAP_ISA_CLONES void load_row(double* __restrict dst, const In* __restrict src, index_t len) {
  for (index_t i = 0; i < len; ++i) dst[i] = as_double(src[i]);
}

/// Calls fn(flat index, element offset) for every element of extents/strides, in C order.
template <class Fn>
void for_each_offset(const Shape& extents, const Shape& strides, Fn&& fn) {
  const std::size_t rank = extents.size();
  const index_t count = shape_size(extents);
  if (count == 0) return;
  if (rank == 0) return fn(index_t{0}, index_t{0});
  std::vector<index_t> idx(rank, 0);
  const index_t last = extents[rank - 1], step = strides[rank - 1];
  index_t offset = 0;
  for (index_t flat = 0; flat < count; flat += last) {
    for (index_t i = 0; i < last; ++i) fn(flat + i, offset + i * step);
    for (std::size_t d = rank - 1; d-- > 0;) {
      offset += strides[d];
      if (++idx[d] < extents[d]) break;
      offset -= strides[d] * extents[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

std::vector<int> filtered_axes(const Shape& shape, const GradientOptions& options) {
  std::vector<int> axes;
  for (const auto& c : plan_filtered(shape, options).components) axes.push_back(c.axis);
  return axes;
}

index_t filtered_halo0(const Shape& shape, const GradientOptions& options) {
  index_t r = 0;
  for (const auto& c : plan_filtered(shape, options).components)
    for (const Pass& p : c.passes)
      if (p.axis == 0) r = std::max<index_t>(r, static_cast<index_t>(p.w.size() / 2));
  return r;
}

/// Per-thread slab buffers, kept between tiles and calls: fresh pages for every tile would cost
/// more than the filtering (page faults and zeroing).
/// Each starts on a 64-byte cache line, so that rows of whole lines keep vectors of eight doubles
/// within one line (one that straddles two costs two accesses).
struct Scratch {
  std::unique_ptr<double[]> buf[3];
  std::size_t size[3] = {0, 0, 0};
  double* get(int i, std::size_t n) {
    if (size[i] < n) buf[i].reset(new double[n + 7]), size[i] = n;  // uninitialized: every use writes first
    const auto address = reinterpret_cast<std::uintptr_t>(buf[i].get());
    return buf[i].get() + (64 - address % 64) % 64 / sizeof(double);
  }
};

/// Tiles along axis 0. Passes along the other axes never mix samples of different axis-0 indices,
/// so a tile of output rows [t0, t1) needs only the input rows [t0 - R, t1 + R), R being the radius
/// of the component's pass along axis 0: those rows are converted, filtered along the other axes,
/// and then combined along axis 0 — all in a slab that stays in cache, with no full-size temporary.
/// Each output sample is computed by the same operations whatever the tiling and the thread.
template <class In, class Out>
class FilterJob {
 public:
  /// Rows [row_begin, row_end) of axis 0 (checked by filtered_gradient_into) of the plan's
  /// components into `out`.
  FilterJob(FilterPlan plan, ConstArrayView<In> f, const std::vector<ArrayView<Out>>& out, index_t row_begin,
            index_t row_end)
      : plan_(std::move(plan)), out_(out) {
    const Shape& shape = f.extents();
    // A 1-D array is one row of one sample each: view it as (n, 1) so that axis 0 is the only axis.
    rows_shape_ = shape.size() == 1 ? Shape{shape[0], 1} : shape;
    in_strides_ = shape.size() == 1 ? Shape{f.strides()[0], 1} : f.strides();
    n0_ = rows_shape_[0];
    begin_ = row_begin;
    end_ = row_end;
    row_shape_ = Shape(rows_shape_.begin() + 1, rows_shape_.end());
    row_in_strides_ = Shape(in_strides_.begin() + 1, in_strides_.end());
    row_len_ = shape_size(row_shape_);
    line_len_ = rows_shape_.back();
    base_ = f.data();
    in_contiguous_ = row_in_strides_ == c_strides(row_shape_);
    const int last_axis = static_cast<int>(shape.size()) - 1;
    schedules_.resize(plan_.components.size());
    for (std::size_t k = 0; k < plan_.components.size(); ++k) {
      const ComponentPlan& c = plan_.components[k];
      Schedule& s = schedules_[k];
      // scipy's order of passes is kept: those before the axis-0 pass run on the slab (halo rows
      // included), those after it on the tile's rows (with constant padding the order matters).
      for (const Pass& p : c.passes) {
        if (p.axis == 0)
          s.along0 = &p;
        else
          (s.along0 ? s.after : s.before).push_back(p);
      }
      s.R = s.along0 ? static_cast<index_t>(s.along0->w.size() / 2) : 0;
      s.sym = s.along0 ? symmetry(s.along0->w) : 0;
      s.d = c.denominator;
      s.out_strides = shape.size() == 1 ? Shape{out[k].strides()[0], 1} : out[k].strides();
      s.out_contiguous = Shape(s.out_strides.begin() + 1, s.out_strides.end()) == c_strides(row_shape_);
      // A pass along the last axis works line by line, so it can run right after a row is loaded
      // (first pass) or right before it is stored (last pass) on a line that stays in L1, sparing
      // a sweep over the slab; the operations per sample are the same.
      s.fuse_first =
          in_contiguous_ && last_axis > 0 && !s.before.empty() && s.before.front().axis == last_axis;
      s.fuse_last = s.out_contiguous && last_axis > 0 && s.along0 && !s.after.empty() &&
                    s.after.back().axis == last_axis;
      // When the axis-0 pass comes first it can convert the input rows as it reads them: the same
      // values as a converted slab, without writing and reading one (constant padding needs rows
      // of the padding value, which the input type may not hold, so it keeps the slab).
      s.direct = s.along0 && s.before.empty() && in_contiguous_ && plan_.mode != Boundary::constant;
      // Strips of columns, all the tile's rows in each: row i+1 reads 2R of the rows row i read,
      // which stay in cache within a strip (whole rows would not, for a wide kernel). Measured at
      // 1 thread: 256³ gaussian:4 1074 -> 768 ms, gaussian:16 5368 -> 4273 ms; on 4096-sample rows
      // beyond 64 taps the narrow strips cost more in calls than they save (4096² gaussian:16
      // 1007 -> 1165 ms), so those keep whole rows. Widths are multiples of 32 samples.
      const index_t R = s.R;
      const bool strips = R > 2 && (2 * R + 1 <= 64 || row_len_ >= (index_t{1} << 14));
      s.strip = strips ? std::max<index_t>(64, ((index_t{1} << 12) / (2 * R + 1)) & ~index_t{31}) : row_len_;
      // Whole rows with nothing between the axis-0 pass and the (possibly fused) store: each row
      // is stored as soon as it is combined, from a buffer that stays in cache.
      s.row_by_row = s.along0 && !strips && s.after.size() == (s.fuse_last ? 1u : 0u);
      // A wide direct pass on converted input (not float64) converts each strip's rows once into
      // a small buffer instead of every tap converting its sample again: 2R+1 conversions a
      // sample become about two (4096² float32 gaussian:4, 2R+1 = 33: the float rows' pass cost
      // twice the float64 one). The same values, so the same bits.
      s.staged = s.direct && strips && !std::is_same_v<In, double>;
      R_max_ = std::max(R_max_, R);
    }
    // Tiles of axis-0 rows, every component computed on a tile before the next tile, so that the
    // input rows a component reads are still in cache for the next one. About 256 KiB of rows per
    // slab buffer (measured on 4096² sobel: 26 ms at 1 thread, 31 ms with 1 MiB, 36 with 2 MiB:
    // the three buffers then stay in L2), and at least 2R rows so the halo stays a minority.
    tile_ = std::min(end_ - begin_,
                     std::max<index_t>({1, 2 * R_max_, (index_t{1} << 15) / std::max<index_t>(row_len_, 1)}));
  }

  void run() {
    if (begin_ == end_) return;
    tbb::parallel_for(tbb::blocked_range<index_t>(0, (end_ - begin_ + tile_ - 1) / tile_),
                      [&](const tbb::blocked_range<index_t>& tiles) {
                        Worker w(*this);
                        for (index_t t = tiles.begin(); t < tiles.end(); ++t) {
                          const index_t t0 = begin_ + t * tile_, t1 = std::min(end_, t0 + tile_);
                          for (std::size_t k = 0; k < schedules_.size(); ++k) w.component(k, t0, t1);
                        }
                      });
  }

 private:
  /// What each component does to a tile, decided once.
  struct Schedule {
    const Pass* along0 = nullptr;
    std::vector<Pass> before, after;
    index_t R = 0, strip = 0;
    int sym = 0;
    double d = 1.0;
    Shape out_strides;
    bool out_contiguous = false, fuse_first = false, fuse_last = false;
    bool direct = false;      // the axis-0 pass reads the input rows themselves (no slab)
    bool staged = false;      // ... converted strip by strip into a small buffer
    bool row_by_row = false;  // each row stored as soon as the axis-0 pass gives it
  };

  /// One thread's buffers and the tile body.
  class Worker {
   public:
    explicit Worker(const FilterJob& job)
        : j_(job),
          constant_row_(static_cast<std::size_t>(job.row_len_), job.plan_.cval),
          line_(static_cast<std::size_t>(job.line_len_)),
          taps_(static_cast<std::size_t>(2 * job.R_max_ + 1)),
          input_taps_(static_cast<std::size_t>(2 * job.R_max_ + 1)),
          firsts_(job.schedules_.size()),
          lasts_(job.schedules_.size()) {
      // One per thread for the process: edges() calls this once per block of rows, and fresh
      // slab buffers per call would fault their pages in every time. A tile body never runs
      // another.
      static tbb::enumerable_thread_specific<Scratch> scratch_of_thread;
      Scratch& buffers = scratch_of_thread.local();
      const auto slab_size = static_cast<std::size_t>((job.tile_ + 2 * job.R_max_) * job.row_len_);
      slab_ = buffers.get(0, slab_size);
      scratch_ = buffers.get(1, slab_size);
      result_ = buffers.get(2, static_cast<std::size_t>(job.tile_ * job.row_len_));
      for (std::size_t k = 0; k < job.schedules_.size(); ++k) {
        const Schedule& s = job.schedules_[k];
        if (s.fuse_first) firsts_[k].emplace(s.before.front(), job.plan_.mode, job.plan_.cval, job.line_len_);
        if (s.fuse_last) lasts_[k].emplace(s.after.back(), job.plan_.mode, job.plan_.cval, job.line_len_);
      }
    }

    /// Rows [t0, t1) of component k.
    void component(std::size_t k, index_t t0, index_t t1) {
      const Schedule& s = j_.schedules_[k];
      const index_t lo = t0 - s.R, rows = s.direct ? 0 : t1 - t0 + 2 * s.R;
      load_slab(k, lo, rows);
      double* cur = slab_;
      Shape slab_shape = j_.rows_shape_;
      slab_shape[0] = rows;
      for (std::size_t b = firsts_[k] ? 1 : 0; b < s.before.size(); ++b) {
        double* next = cur == slab_ ? scratch_ : slab_;
        correlate_axis(cur, next, slab_shape, s.before[b], j_.plan_.mode, j_.plan_.cval);
        cur = next;
      }
      const double* filtered = cur;
      if (s.along0) {
        along0(k, t0, t1, lo, filtered);
        if (s.row_by_row) return;
        // The passes after it: the tile's rows only, in result and the slab's free buffer.
        double* now = result_;
        double* spare = cur == slab_ ? scratch_ : slab_;
        Shape tile_shape = j_.rows_shape_;
        tile_shape[0] = t1 - t0;
        for (std::size_t b = 0; b + (lasts_[k] ? 1 : 0) < s.after.size(); ++b) {
          correlate_axis(now, spare, tile_shape, s.after[b], j_.plan_.mode, j_.plan_.cval);
          std::swap(now, spare);
        }
        filtered = now;
      }
      for (index_t i = t0; i < t1; ++i) store_row(k, i, filtered + (i - t0) * j_.row_len_);
    }

   private:
    /// Rows lo .. lo + rows - 1 of the input into the slab, padded along axis 0, with the first
    /// pass if it is fused (constant rows are filled in after the other passes: scipy pads the
    /// intermediate result, not the input).
    void load_slab(std::size_t k, index_t lo, index_t rows) {
      const index_t row_len = j_.row_len_, line_len = j_.line_len_;
      for (index_t j = 0; j < rows; ++j) {
        const index_t src = lo + j;
        if (j_.plan_.mode == Boundary::constant && (src < 0 || src >= j_.n0_)) continue;
        double* dst = slab_ + j * row_len;
        const In* row = j_.base_ + extend(src, j_.n0_, j_.plan_.mode) * j_.in_strides_[0];
        if (firsts_[k]) {
          for (index_t l = 0; l < row_len; l += line_len) {
            load_row(line_.data(), row + l, line_len);
            (*firsts_[k])(line_.data(), dst + l);
          }
        } else if (j_.in_contiguous_) {
          load_row(dst, row, row_len);
        } else {
          for_each_offset(j_.row_shape_, j_.row_in_strides_,
                          [&](index_t i, index_t off) { dst[i] = as_double(row[off]); });
        }
      }
    }

    /// The axis-0 pass of component k for rows [t0, t1) into result (or straight to the output,
    /// row by row), reading the filtered slab whose first row is lo, or the input itself.
    void along0(std::size_t k, index_t t0, index_t t1, index_t lo, const double* filtered) {
      const Schedule& s = j_.schedules_[k];
      const index_t R = s.R, n0 = j_.n0_, row_len = j_.row_len_;
      const Boundary mode = j_.plan_.mode;
      for (index_t c0 = 0; c0 < row_len; c0 += s.strip) {
        const index_t width = std::min(s.strip, row_len - c0);
        if (s.staged) {
          const index_t first = t0 - R, rows = t1 - t0 + 2 * R;
          if (stage_.size() < static_cast<std::size_t>(rows * width))
            stage_.resize(static_cast<std::size_t>(rows * width));
          for (index_t j = 0; j < rows; ++j)
            load_row(stage_.data() + j * width,
                     j_.base_ + extend(first + j, n0, mode) * j_.in_strides_[0] + c0, width);
          for (index_t i = t0; i < t1; ++i) {
            for (index_t m = -R; m <= R; ++m)
              taps_[static_cast<std::size_t>(m + R)] = stage_.data() + (i + m - first) * width;
            combine(result_ + (i - t0) * row_len + c0, taps_.data(), s.along0->w.data(), R, width, s.sym,
                    true);
          }
          continue;
        }
        for (index_t i = t0; i < t1; ++i) {
          double* dst = s.row_by_row ? result_ : result_ + (i - t0) * row_len + c0;
          if (s.direct) {
            for (index_t m = -R; m <= R; ++m)
              input_taps_[static_cast<std::size_t>(m + R)] =
                  j_.base_ + extend(i + m, n0, mode) * j_.in_strides_[0] + c0;
            combine(dst, input_taps_.data(), s.along0->w.data(), R, width, s.sym, width < j_.row_len_);
          } else {
            for (index_t m = -R; m <= R; ++m) {
              const index_t j = i + m;
              const bool pad = mode == Boundary::constant && (j < 0 || j >= n0);
              taps_[static_cast<std::size_t>(m + R)] =
                  (pad ? constant_row_.data() : filtered + (j - lo) * row_len) + c0;
            }
            combine(dst, taps_.data(), s.along0->w.data(), R, width, s.sym, width < j_.row_len_);
          }
          if (s.row_by_row) store_row(k, i, result_);
        }
      }
    }

    /// Output row i (of the whole array) of component k from its filtered row: the last pass if
    /// fused, the division by the denominator, the conversion to Out.
    void store_row(std::size_t k, index_t i, const double* src) {
      const Schedule& s = j_.schedules_[k];
      const index_t row_len = j_.row_len_, line_len = j_.line_len_;
      Out* row = j_.out_[k].data() + (i - j_.begin_) * s.out_strides[0];
      if (lasts_[k]) {
        for (index_t l = 0; l < row_len; l += line_len) {
          (*lasts_[k])(src + l, line_.data());
          store_quotients(row + l, line_.data(), line_len, s.d);
        }
      } else if (s.out_contiguous) {
        store_quotients(row, src, row_len, s.d);
      } else {
        const Shape row_out_strides(s.out_strides.begin() + 1, s.out_strides.end());
        for_each_offset(j_.row_shape_, row_out_strides,
                        [&](index_t e, index_t off) { row[off] = from_double<Out>(src[e] / s.d); });
      }
    }

    const FilterJob& j_;
    double* slab_ = nullptr;
    double* scratch_ = nullptr;
    double* result_ = nullptr;
    const std::vector<double> constant_row_;
    std::vector<double> line_;
    std::vector<const double*> taps_;
    std::vector<const In*> input_taps_;
    std::vector<double> stage_;  // a strip's converted input rows (Schedule::staged)
    std::vector<std::optional<LineFilter>> firsts_, lasts_;
  };

  const FilterPlan plan_;
  const std::vector<ArrayView<Out>>& out_;
  Shape rows_shape_, in_strides_, row_shape_, row_in_strides_;
  index_t n0_ = 0, begin_ = 0, end_ = 0, row_len_ = 0, line_len_ = 0, R_max_ = 0, tile_ = 1;
  const In* base_ = nullptr;
  bool in_contiguous_ = false;
  std::vector<Schedule> schedules_;
};

/// sobel, prewitt and scharr of a 3-D array with a padding that remaps indices (reflect, mirror,
/// nearest, wrap), in one sweep that shares the smoothing between the components. With D the
/// derivative and S the smoothing pass along an axis (0 = z, 1 = y, 2 = x):
///   g0 = D0 (S1 S2 f),   g1 = S0 (D1 S2 f),   g2 = S0 (S1 D2 f),
/// so each input plane gives S2 f and D2 f along its rows, then the three in-plane products along
/// its columns, and each output plane combines three consecutive planes' products: 8 three-tap
/// passes instead of 9, none over a full-size temporary. (FilterJob's 9 passes over slabs took
/// 2.5× the time of central with the same padding on 256³ float32, 72 ms against 29 at 1 thread;
/// this takes about 1.4×, 35.5 ms against 26.) scipy applies
/// the derivative first; these products are the same sums in another order, so they differ from
/// scipy's by rounding only (within the 1e-12 of the contract), and each sample is computed by the
/// same operations whatever the strips, the threads or the ISA clone. Constant padding is not an
/// index remapping (scipy pads each intermediate pass with the value), so FilterJob keeps it.
template <class In, class Out>
class Stencil3dJob {
 public:
  static bool covers(const Shape& shape, const FilterPlan& plan, Operator op) {
    if (shape.size() != 3 || shape_size(shape) == 0 || plan.mode == Boundary::constant) return false;
    if (op != Operator::sobel && op != Operator::prewitt && op != Operator::scharr) return false;
    // Every component smoothed along both other axes (not so when spatial_axes leaves one out).
    for (const ComponentPlan& c : plan.components)
      if (c.passes.size() != 3) return false;
    return true;
  }

  Stencil3dJob(const FilterPlan& plan, ConstArrayView<In> f, const std::vector<ArrayView<Out>>& out,
               index_t row_begin, index_t row_end)
      : out_(out),
        mode_(plan.mode),
        derivative_(plan.components.front().passes[0].w),
        smooth_(plan.components.front().passes[1].w),
        base_(f.data()),
        strides_(f.strides()),
        nz_(f.extent(0)),
        ny_(f.extent(1)),
        nx_(f.extent(2)),
        begin_(row_begin),
        end_(row_end) {
    for (const ComponentPlan& c : plan.components) {
      axes_.push_back(c.axis);
      denominators_.push_back(c.denominator);
    }
    // Strips of rows whose three planes of three products take about 144 KiB, so that they stay
    // in L2 from the plane that makes them to the three output planes that read them. Measured on
    // 256³ sobel at 1 thread: strips of 8 rows 35.4 ms, 4 rows 36.7, 16 rows 37.4, 64 rows 38.5.
    rows_ = std::clamp<index_t>((index_t{1} << 11) / nx_, 1, ny_);
  }

  void run() {
    const index_t strips = (ny_ + rows_ - 1) / rows_;
    const index_t chunks = (end_ - begin_ + kPlanes - 1) / kPlanes;
    tbb::parallel_for(tbb::blocked_range<index_t>(0, strips * chunks),
                      [&](const tbb::blocked_range<index_t>& r) {
                        Worker w(*this);
                        for (index_t t = r.begin(); t < r.end(); ++t) {
                          const index_t y0 = (t % strips) * rows_, z0 = begin_ + (t / strips) * kPlanes;
                          w.block(y0, std::min(ny_, y0 + rows_), z0, std::min(end_, z0 + kPlanes));
                        }
                      });
  }

 private:
  // Output planes per task, for parallel work when there are few strips: each task makes the
  // products of two planes more than it stores (6% more here).
  static constexpr index_t kPlanes = 32;

  /// One thread's buffers and the body of a task.
  class Worker {
   public:
    explicit Worker(const Stencil3dJob& job) : j_(job) {
      static tbb::enumerable_thread_specific<Scratch> scratch_of_thread;  // as FilterJob's, kept
      Scratch& buffers = scratch_of_thread.local();
      const index_t nx = job.nx_;
      auto lines = [](index_t n) { return (n + 7) & ~index_t{7}; };  // n doubles in whole cache lines
      double* b = buffers.get(0, static_cast<std::size_t>(8 + lines(nx + 1) + 2 * lines(3 * nx)));
      row_ = b + 8;  // on a line, its padding at row_[-1] and row_[nx]
      smoothed_ = row_ + lines(nx + 1);
      derived_ = smoothed_ + lines(3 * nx);
      ring_ = buffers.get(1, static_cast<std::size_t>(9 * job.rows_ * nx));
    }

    /// Output planes [z0, z1) of rows [y0, y1): the products of planes z0-1 .. z1, each output
    /// plane stored once the products of the plane after it are made.
    void block(index_t y0, index_t y1, index_t z0, index_t z1) {
      for (index_t p = z0 - 1; p <= z1; ++p) {
        products(p, y0, y1);
        if (p > z0) store(p - 1, y0, y1);
      }
    }

   private:
    /// The ring's slot for the product along axis q of (unpadded) plane p: rows y0 .. y1-1.
    double* product(int q, index_t p) const {
      const index_t strip = j_.rows_ * j_.nx_;
      return ring_ + (3 * q + (p % 3 + 3) % 3) * strip;
    }

    /// The three products of plane p (padded along axis 0) for rows [y0, y1) into the ring: S1 S2 f,
    /// D1 S2 f and S1 D2 f.
    void products(index_t p, index_t y0, index_t y1) {
      const index_t nx = j_.nx_, ny = j_.ny_;
      const Boundary mode = j_.mode_;
      const double *ws = j_.smooth_.data(), *wd = j_.derivative_.data();
      const In* input = j_.base_ + extend(p, j_.nz_, mode) * j_.strides_[0];
      const In* next = j_.base_ + extend(p + 1, j_.nz_, mode) * j_.strides_[0];
      // Rows y0-1 .. y1 (padded along axes 1 and 2) pass through three-row rings of S2 f and D2 f
      // that stay in L1: each new row completes the products of the row before it.
      for (index_t r = 0; r < y1 - y0 + 2; ++r) {
        const index_t offset = extend(y0 - 1 + r, ny, mode) * j_.strides_[1];
        const In* in = input + offset;
        prefetch_row(next + offset);
        if (j_.strides_[2] == 1)
          load_row(row_, in, nx);
        else
          for (index_t x = 0; x < nx; ++x) row_[x] = as_double(in[x * j_.strides_[2]]);
        row_[-1] = row_[extend(-1, nx, mode)];
        row_[nx] = row_[extend(nx, nx, mode)];
        smooth_and_derive(smoothed_ + r % 3 * nx, derived_ + r % 3 * nx, row_ - 1, row_, row_ + 1, ws, wd,
                          nx);
        if (r < 2) continue;
        const index_t at = (r - 2) * nx;  // row y0 + r - 2 of the products
        const double* s[3] = {smoothed_ + (r - 2) % 3 * nx, smoothed_ + (r - 1) % 3 * nx,
                              smoothed_ + r % 3 * nx};
        const double* d[3] = {derived_ + (r - 2) % 3 * nx, derived_ + (r - 1) % 3 * nx,
                              derived_ + r % 3 * nx};
        smooth_and_derive(product(0, p) + at, product(1, p) + at, s[0], s[1], s[2], ws, wd, nx);
        combine(product(2, p) + at, d, ws, 1, nx, 1, true);
      }
    }

    /// Output plane z, rows [y0, y1), from the products of planes z-1, z and z+1: the axis-0 pass
    /// (the derivative for the component along axis 0, else the smoothing), divided and rounded.
    void store(index_t z, index_t y0, index_t y1) {
      const index_t nx = j_.nx_;
      for (std::size_t k = 0; k < j_.axes_.size(); ++k) {
        const int q = j_.axes_[k];
        const ArrayView<Out>& o = j_.out_[k];
        const double *a = product(q, z - 1), *m = product(q, z), *b = product(q, z + 1);
        for (index_t y = y0; y < y1; ++y) {
          Out* dst = o.data() + (z - j_.begin_) * o.stride(0) + y * o.stride(1);
          const index_t at = (y - y0) * nx;
          if (q == 0)
            pass_and_store<-1>(dst, o.stride(2), a + at, m + at, b + at, j_.derivative_.data(),
                               j_.denominators_[k], nx);
          else
            pass_and_store<1>(dst, o.stride(2), a + at, m + at, b + at, j_.smooth_.data(),
                              j_.denominators_[k], nx);
        }
      }
    }

    /// Asks for an input row of the next plane while the row at the same place in this one is
    /// used. A strip is a few KiB of each plane, too short for the hardware prefetcher to follow:
    /// without this, 256³ sobel took about 10% longer at 1 thread.
    void prefetch_row(const In* row) const {
      if (j_.strides_[2] != 1) return;
      const char* bytes = reinterpret_cast<const char*>(row);
      for (index_t b = 0; b < j_.nx_ * static_cast<index_t>(sizeof(In)); b += 64)
        __builtin_prefetch(bytes + b, 0, 1);
    }

    const Stencil3dJob& j_;
    double* row_ = nullptr;       // one input row, converted, with its padding sample at each end
    double* smoothed_ = nullptr;  // S2 f of three consecutive rows, row r at r % 3
    double* derived_ = nullptr;   // D2 f of those rows
    double* ring_ = nullptr;      // three planes' products, per component axis
  };

  const std::vector<ArrayView<Out>>& out_;
  Boundary mode_;
  std::vector<double> derivative_, smooth_;
  const In* base_;
  Shape strides_;
  index_t nz_, ny_, nx_, begin_, end_, rows_ = 1;
  std::vector<int> axes_;
  std::vector<double> denominators_;
};

template <class In, class Out>
void filtered_gradient_into(ConstArrayView<In> f, const std::vector<ArrayView<Out>>& out,
                            const GradientOptions& options, index_t row_begin, index_t row_end) {
  FilterPlan plan = plan_filtered(f.extents(), options);
  if (out.size() != plan.components.size())
    throw ShapeError("gradient_into: " + std::to_string(out.size()) + " output views for " +
                     std::to_string(plan.components.size()) + " selected axes");
  const Shape& shape = f.extents();
  if (shape.empty() || shape_size(shape) == 0) return;
  const index_t n0 = shape[0];
  if (row_end < 0) row_end = n0;
  if (row_begin < 0 || row_begin > row_end || row_end > n0)
    throw InvalidArgument("filtered_gradient_into: rows [" + std::to_string(row_begin) + ", " +
                          std::to_string(row_end) + ") outside axis 0 of " + std::to_string(n0));
  if (Stencil3dJob<In, Out>::covers(shape, plan, options.op))
    Stencil3dJob<In, Out>(plan, f, out, row_begin, row_end).run();
  else
    FilterJob<In, Out>(std::move(plan), f, out, row_begin, row_end).run();
}

#define GRADMAP_INSTANTIATE(T)                                                                              \
  template void filtered_gradient_into<T, float16_t>(ConstArrayView<T>,                                     \
                                                     const std::vector<ArrayView<float16_t>>&,              \
                                                     const GradientOptions&, index_t, index_t);             \
  template void filtered_gradient_into<T, float>(ConstArrayView<T>, const std::vector<ArrayView<float>>&,   \
                                                 const GradientOptions&, index_t, index_t);                 \
  template void filtered_gradient_into<T, double>(ConstArrayView<T>, const std::vector<ArrayView<double>>&, \
                                                  const GradientOptions&, index_t, index_t);
GRADMAP_FOR_EACH_DTYPE(GRADMAP_INSTANTIATE)
#undef GRADMAP_INSTANTIATE

}  // namespace detail

std::vector<std::string> operator_warnings(const Shape& shape, const GradientOptions& options) {
  if (!detail::is_filtered(options)) {
    resolve_axes(shape, options);
    return {};
  }
  return detail::plan_filtered(shape, options).warnings;
}

}  // namespace gradmap
