// SPDX-License-Identifier: MIT
// The gradient core on random shapes (rank ≤ 4), strides (negative and zero included), dtypes,
// spacings (uniform, coordinates of float64/float32/float16/int16 dtype, invalid ones), axes and
// edge orders, against a slow reference written here from numpy.gradient's formulas
// (numpy/lib/function_base.py, 1.24) in double. numpy computes coordinate weights in the
// coordinates' dtype, so the bound below uses the coarsest of data, output and coordinate dtypes;
// the bit-exact comparison of those roundings is tests/test_numpy_gradient.cpp's job.
//
// The fuzzer predicts the outcome first: arguments numpy rejects, and the steps gradmap documents
// as refused (zero or non-finite), must throw gradmap::Error; everything else must succeed and
// agree with the reference within a bound derived from the formula (below). Cases whose numpy
// result is itself Inf/NaN-laden (non-finite input, coordinates with x[i-1] == x[i+1]) only have to
// finish cleanly.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "gradmap/gradient.hpp"

namespace {

using gradmap::DType;
using gradmap::index_t;
using gradmap::Shape;

[[noreturn]] void finding(const char* what, double a = 0, double b = 0) {
  std::fprintf(stderr, "fuzz_gradient: %s (%.17g vs %.17g)\n", what, a, b);
  std::abort();
}

double half_to_double(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
  double v;
  if (exp == 0)
    v = std::ldexp(mant, -24);
  else if (exp == 31)
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(1024 + mant, exp - 25);
  return sign ? -v : v;
}

/// Unit roundoff and smallest subnormal of the type a value is computed or stored in.
struct Precision {
  double eps, tiny, max;
};
Precision precision_of(DType t) {
  switch (t) {
    case DType::float16:
      return {std::ldexp(1.0, -11), std::ldexp(1.0, -24), 65504.0};
    case DType::float32:
      return {std::ldexp(1.0, -24), std::ldexp(1.0, -149), 3.4e38};
    default:
      return {std::ldexp(1.0, -53), std::ldexp(1.0, -1074), 1.7e308};
  }
}

/// The input, as numpy would see it: values widened to double, read through the strides.
struct Input {
  DType dtype;
  Shape extents, strides;
  std::vector<unsigned char> buffer;
  index_t base = 0;            // element offset of index (0, ..., 0) in buffer
  std::vector<double> values;  // same layout as buffer, widened
  bool finite = true;

  double at(const Shape& idx) const {
    index_t off = base;
    for (std::size_t d = 0; d < idx.size(); ++d) off += idx[d] * strides[d];
    return values[static_cast<std::size_t>(off)];
  }
};

template <class T>
void fill(Input& in, FuzzedDataProvider& fdp, std::size_t n) {
  in.buffer.assign(n * sizeof(T), 0);
  in.values.assign(n, 0.0);
  T* p = reinterpret_cast<T*>(in.buffer.data());
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, gradmap::float16_t>) {
      // Finite halves up to 2^11 in magnitude, subnormals included; 1 in 64 is Inf or NaN.
      std::uint16_t bits = fdp.ConsumeIntegral<std::uint16_t>();
      if ((bits & 63) != 0)
        bits = static_cast<std::uint16_t>((bits & 0x83FF) | ((((bits >> 10) & 31) % 26) << 10));
      p[i].bits = bits;
      in.values[i] = half_to_double(bits);
    } else if constexpr (std::is_floating_point_v<T>) {
      // Small integers scaled by a power of two: exact in T, varied in magnitude.
      const auto m = fdp.ConsumeIntegral<std::int16_t>();
      const int e = fdp.ConsumeIntegralInRange(-12, 12);
      T v = std::ldexp(static_cast<T>(m), e);
      if (m == 0x7ABC) v = std::numeric_limits<T>::infinity();
      if (m == 0x7ABD) v = std::numeric_limits<T>::quiet_NaN();
      p[i] = v;
      in.values[i] = static_cast<double>(v);
    } else {
      p[i] = fdp.ConsumeIntegral<T>();
      in.values[i] = static_cast<double>(p[i]);  // numpy's astype(float64)
    }
    if (!std::isfinite(in.values[i])) in.finite = false;
  }
}

/// One axis' spacing as the reference sees it: coordinates, always (a uniform step h is the
/// coordinates 0, h, 2h, ...: numpy's formulas agree on them up to rounding).
struct RefAxis {
  int axis;
  bool uniform;
  double step;
  std::vector<double> x;
};

/// numpy.gradient along one axis at one multi-index.
struct Reference {
  double value;
  double scale;  // sum(|coefficient × value|): bounds the rounding error of any evaluation order
  // The largest intermediate numpy forms: where it subtracts the samples before it divides by the
  // step (uniform interiors, first-order edges), f[i+1] - f[i-1] can overflow the computing type
  // (float16 above all) even where the scaled result would not.
  double peak;
};

Reference reference_at(const Input& in, const RefAxis& ax, Shape idx, int edge_order) {
  const index_t n = in.extents[static_cast<std::size_t>(ax.axis)];
  const index_t i = idx[static_cast<std::size_t>(ax.axis)];
  auto f = [&](index_t j) {
    idx[static_cast<std::size_t>(ax.axis)] = j;
    return in.at(idx);
  };
  auto x = [&](index_t j) {
    return ax.uniform ? static_cast<double>(j) * ax.step : ax.x[static_cast<std::size_t>(j)];
  };
  double c[3];
  index_t j0;
  if (ax.uniform) {
    // numpy's uniform-step formulas, with their own coefficients (not the coordinate formula on
    // j·h, whose differences are not exactly h and would add an error numpy does not have).
    const double h = ax.step;
    if (i > 0 && i < n - 1)
      c[0] = -0.5 / h, c[1] = 0, c[2] = 0.5 / h, j0 = i - 1;
    else if (edge_order == 1)
      j0 = i == 0 ? 0 : n - 2, c[0] = -1 / h, c[1] = 1 / h, c[2] = 0;
    else if (i == 0)
      c[0] = -1.5 / h, c[1] = 2 / h, c[2] = -0.5 / h, j0 = 0;
    else
      c[0] = 0.5 / h, c[1] = -2 / h, c[2] = 1.5 / h, j0 = n - 3;
  } else if (i > 0 && i < n - 1) {
    const double dx1 = x(i) - x(i - 1), dx2 = x(i + 1) - x(i);
    c[0] = -dx2 / (dx1 * (dx1 + dx2));
    c[1] = (dx2 - dx1) / (dx1 * dx2);
    c[2] = dx1 / (dx2 * (dx1 + dx2));
    j0 = i - 1;
  } else if (edge_order == 1) {
    j0 = i == 0 ? 0 : n - 2;
    const double dx = x(j0 + 1) - x(j0);
    c[0] = -1 / dx, c[1] = 1 / dx, c[2] = 0;
  } else if (i == 0) {
    const double dx1 = x(1) - x(0), dx2 = x(2) - x(1);
    c[0] = -(2 * dx1 + dx2) / (dx1 * (dx1 + dx2));
    c[1] = (dx1 + dx2) / (dx1 * dx2);
    c[2] = -dx1 / (dx2 * (dx1 + dx2));
    j0 = 0;
  } else {
    const double dx1 = x(n - 2) - x(n - 3), dx2 = x(n - 1) - x(n - 2);
    c[0] = dx2 / (dx1 * (dx1 + dx2));
    c[1] = -(dx2 + dx1) / (dx1 * dx2);
    c[2] = (2 * dx2 + dx1) / (dx2 * (dx1 + dx2));
    j0 = n - 3;
  }
  // numpy 1.24 subtracts first for uniform interiors and for every first-order edge (coordinates
  // too: (f[1] - f[0]) / dx[0]); its coefficient forms multiply in float64 or in T term by term.
  const bool difference_first = (i > 0 && i < n - 1) ? ax.uniform : edge_order == 1;
  double sum = 0, mag = 0, raw = 0;
  for (int k = 0; k < 3; ++k) {
    if (c[k] == 0) continue;
    const double v = f(j0 + k);
    sum += c[k] * v;
    mag += std::fabs(c[k] * v);
    raw += std::fabs(v);
  }
  return {sum, mag, difference_first ? std::max(mag, raw) : mag};
}

double read_out(const gradmap::Array& a, index_t flat) {
  switch (a.dtype()) {
    case DType::float16:
      return half_to_double(static_cast<const gradmap::float16_t*>(a.data())[flat].bits);
    case DType::float32:
      return static_cast<const float*>(a.data())[flat];
    case DType::float64:
      return static_cast<const double*>(a.data())[flat];
    default:
      finding("gradient returned a non-float dtype");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  static const DType dtypes[] = {DType::int8,    DType::int16,   DType::int32,  DType::int64,
                                 DType::uint8,   DType::uint16,  DType::uint32, DType::uint64,
                                 DType::float16, DType::float32, DType::float64};
  Input in;
  in.dtype = dtypes[fdp.ConsumeIntegralInRange<int>(0, 10)];
  const int rank = fdp.ConsumeIntegralInRange(1, 4);
  std::size_t count = 1;
  for (int d = 0; d < rank; ++d) {
    in.extents.push_back(fdp.ConsumeIntegralInRange<index_t>(1, 7));
    count *= static_cast<std::size_t>(in.extents.back());
  }
  // Strides from the innermost axis out: a multiple (−3..3, 0 = broadcast) of the span so far, so
  // that distinct indices never alias unless a stride is 0.
  in.strides.assign(static_cast<std::size_t>(rank), 0);
  index_t span = 1, lo = 0, hi = 0;
  for (int d = rank - 1; d >= 0; --d) {
    const int mult = fdp.ConsumeIntegralInRange(-3, 3);
    const index_t s = mult * span;
    in.strides[static_cast<std::size_t>(d)] = s;
    const index_t reach = s * (in.extents[static_cast<std::size_t>(d)] - 1);
    lo += std::min<index_t>(0, reach);
    hi += std::max<index_t>(0, reach);
    if (mult != 0) span = (hi - lo) + 1;
  }
  in.base = -lo;
  const auto elements = static_cast<std::size_t>(hi - lo + 1);

  gradmap::GradientOptions opt;
  bool must_fail = false, outcome_free = false;
  opt.edge_order = fdp.ConsumeIntegralInRange(0, 15) == 0 ? fdp.ConsumeIntegralInRange(-1, 3)
                                                          : fdp.ConsumeIntegralInRange(1, 2);
  if (opt.edge_order != 1 && opt.edge_order != 2) must_fail = true;

  // Axes: all (nullopt) or a non-empty subset in any order, written negative or positive.
  std::vector<int> selected;
  if (fdp.ConsumeBool()) {
    std::vector<int> pool;
    for (int d = 0; d < rank; ++d) pool.push_back(d);
    const int k = fdp.ConsumeIntegralInRange(1, rank);
    std::vector<int> written;
    for (int j = 0; j < k; ++j) {
      const auto at = fdp.ConsumeIntegralInRange<std::size_t>(0, pool.size() - 1);
      const int a = pool[at];
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(at));
      selected.push_back(a);
      written.push_back(fdp.ConsumeBool() ? a - rank : a);
    }
    opt.axes = written;
  } else {
    for (int d = 0; d < rank; ++d) selected.push_back(d);
  }
  for (int a : selected)
    if (in.extents[static_cast<std::size_t>(a)] < opt.edge_order + 1) must_fail = true;

  // Spacing: none, one scalar for every axis, or one entry per selected axis.
  static const double steps[] = {1.0,
                                 0.5,
                                 2.0,
                                 -1.0,
                                 0.1,
                                 3.75,
                                 1e-3,
                                 1e3,
                                 0.0,
                                 -0.0,
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::infinity()};
  auto bad_step = [](double h) { return !(std::isfinite(h) && h != 0); };
  static const DType coord_dtypes[] = {DType::float64, DType::float32, DType::float16, DType::int16};
  double coords_eps = 0;  // unit roundoff of the coarsest coordinate dtype: numpy's weights round in it
  std::vector<RefAxis> ref;
  const int spacing_form = fdp.ConsumeIntegralInRange(0, 2);
  if (spacing_form == 0) {
    for (int a : selected) ref.push_back({a, true, 1.0, {}});
  } else if (spacing_form == 1) {
    const double h = steps[fdp.ConsumeIntegralInRange(0, 11)];
    opt.spacing.push_back(gradmap::AxisSpacing::uniform(h));
    must_fail |= bad_step(h);
    for (int a : selected) ref.push_back({a, true, h, {}});
  } else {
    for (int a : selected) {
      if (fdp.ConsumeBool()) {
        const double h = steps[fdp.ConsumeIntegralInRange(0, 11)];
        opt.spacing.push_back(gradmap::AxisSpacing::uniform(h));
        must_fail |= bad_step(h);
        ref.push_back({a, true, h, {}});
      } else {
        // Coordinates of any dtype numpy computes in (integers: float64). Quarter steps (whole ones for
        // int16) up to 32 from a start within int8 stay within 320, a multiple of 1/4 below 2^11, so every
        // value and every difference is exact in float16 too; the dtype only changes how the weights round.
        const DType kdt = coord_dtypes[fdp.ConsumeIntegralInRange<int>(0, 3)];
        std::vector<double> x{static_cast<double>(fdp.ConsumeIntegral<std::int8_t>())};
        for (index_t j = 1; j < in.extents[static_cast<std::size_t>(a)]; ++j) {
          const int v = fdp.ConsumeIntegral<std::int8_t>();
          const double dx = kdt == DType::int16 ? static_cast<double>(v / 4) : v / 4.0;
          if (dx == 0) must_fail = true;  // repeated coordinate
          x.push_back(x.back() + dx);
        }
        for (std::size_t j = 2; j < x.size(); ++j)
          if (x[j] == x[j - 2]) outcome_free = true;  // numpy divides by dx1 + dx2 = 0
        gradmap::AxisSpacing s = gradmap::AxisSpacing::coordinates(x);
        s.dtype = kdt;
        opt.spacing.push_back(s);
        coords_eps = std::max(coords_eps, precision_of(kdt == DType::int16 ? DType::float64 : kdt).eps);
        ref.push_back({a, false, 1.0, x});
      }
    }
  }
  const int dtype_form = fdp.ConsumeIntegralInRange(0, 2);
  if (dtype_form == 1) opt.dtype = DType::float32;
  if (dtype_form == 2) opt.dtype = DType::float64;
  const bool use_into = fdp.ConsumeIntegralInRange(0, 3) == 0;

  gradmap::visit_dtype(in.dtype, [&](auto tag) { fill<decltype(tag)>(in, fdp, elements); });
  if (!in.finite) outcome_free = true;

  std::vector<gradmap::Array> out;
  try {
    gradmap::visit_dtype(in.dtype, [&](auto tag) {
      using T = decltype(tag);
      const gradmap::ConstArrayView<T> view(reinterpret_cast<const T*>(in.buffer.data()) + in.base,
                                            in.extents, in.strides);
      if (!use_into) {
        out = gradmap::gradient(view, opt);
        return;
      }
      // gradient_into with every output walked backwards along its last axis: the kernels must honor
      // any output strides too.
      const DType od = gradmap::gradient_dtype(in.dtype, opt);
      gradmap::visit_dtype(od, [&](auto otag) {
        using O = decltype(otag);
        if constexpr (std::is_same_v<O, gradmap::float16_t> || std::is_same_v<O, float> ||
                      std::is_same_v<O, double>) {
          std::vector<gradmap::Array> back;
          std::vector<gradmap::ArrayView<O>> views;
          Shape rs = gradmap::c_strides(in.extents);
          rs.back() = -rs.back();
          for (std::size_t k = 0; k < selected.size(); ++k) {
            back.emplace_back(od, in.extents);
            O* last = static_cast<O*>(back.back().data()) + (in.extents.back() - 1);
            views.emplace_back(last, in.extents, rs);
          }
          gradmap::gradient_into<T, O>(view, views, opt);
          // Flip back to C order for the comparison below.
          for (std::size_t k = 0; k < back.size(); ++k) {
            gradmap::Array c(od, in.extents);
            const O* src = static_cast<const O*>(back[k].data());
            O* dst = static_cast<O*>(c.data());
            const index_t row = in.extents.back(), rows = static_cast<index_t>(count) / row;
            for (index_t r = 0; r < rows; ++r)
              for (index_t j = 0; j < row; ++j) dst[r * row + j] = src[r * row + (row - 1 - j)];
            out.push_back(c);
          }
        } else {
          finding("gradient_dtype returned a non-float type");
        }
      });
    });
  } catch (const gradmap::Error&) {
    if (must_fail || outcome_free) return 0;
    finding("gradient threw on arguments numpy accepts");
  }
  if (must_fail) finding("gradient accepted arguments it must refuse");
  if (out.size() != selected.size())
    finding("wrong number of components", double(out.size()), double(selected.size()));
  if (outcome_free) return 0;

  const DType out_type = out.empty() ? DType::float64 : out[0].dtype();
  const DType expect_type =
      opt.dtype ? *opt.dtype
                : (in.dtype == DType::float16 || in.dtype == DType::float32 ? in.dtype : DType::float64);
  if (out_type != expect_type) finding("unexpected output dtype", double(out_type), double(expect_type));
  const bool float_in =
      in.dtype == DType::float16 || in.dtype == DType::float32 || in.dtype == DType::float64;
  const Precision pc = precision_of(float_in ? in.dtype : DType::float64), po = precision_of(out_type);
  const double eps = std::max({pc.eps, po.eps, coords_eps}), tiny = std::max(pc.tiny, po.tiny),
               top = std::min(pc.max, po.max);

  for (std::size_t k = 0; k < out.size(); ++k) {
    if (out[k].shape() != in.extents) finding("component shape differs from the input's");
    Shape idx(static_cast<std::size_t>(rank), 0);
    for (std::size_t flat = 0; flat < count; ++flat) {
      const Reference r = reference_at(in, ref[k], idx, opt.edge_order);
      const double got = read_out(out[k], static_cast<index_t>(flat));
      // Within 16 roundings of the largest term (a few per operation, generous for the different
      // evaluation orders numpy uses for uniform and coordinate steps), unless an intermediate
      // comes close to overflowing the computing type, where numpy's own result may be Inf.
      if (r.peak < top / 4 && !(std::fabs(got - r.value) <= 16 * eps * r.scale + 16 * tiny)) {
        std::fprintf(stderr,
                     "fuzz_gradient: dtype %d -> %d, axis %d (%s step %.17g), edge_order %d, scale %.17g, "
                     "peak %.17g\n",
                     int(in.dtype), int(out_type), ref[k].axis, ref[k].uniform ? "uniform" : "coordinates",
                     ref[k].step, opt.edge_order, r.scale, r.peak);
        finding("value differs from numpy's formula", got, r.value);
      }
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[static_cast<std::size_t>(d)] < in.extents[static_cast<std::size_t>(d)]) break;
        idx[static_cast<std::size_t>(d)] = 0;
      }
    }
  }
  return 0;
}
