// SPDX-License-Identifier: MIT
// gradient(): numpy.gradient's argument handling and the schedule of the stencils in
// diff_kernels.hpp. The work is split along axis 0 across oneTBB threads; since every output
// sample is computed by the same expression whichever thread runs it, results do not depend on the
// number of threads.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <string>

#include "gradient/gradient_plan.hpp"

namespace gradmap {
namespace detail {
namespace {

Prec result_prec(DType in) {
  if (in == DType::float16) return Prec::half;
  if (in == DType::float32) return Prec::single;
  return Prec::dbl;
}

std::string fmt_double(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::vector<int> normalize_axes(const GradientOptions& options, int rank) {
  std::vector<int> axes;
  if (!options.axes) {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
    return axes;
  }
  std::set<int> seen;
  for (int a : *options.axes) {
    if (a < -rank || a >= rank)
      throw InvalidArgument("axis " + std::to_string(a) + " is out of bounds for array of dimension " +
                            std::to_string(rank));
    int n = a < 0 ? a + rank : a;
    if (!seen.insert(n).second) throw InvalidArgument("repeated axis " + std::to_string(a) + " in axes");
    axes.push_back(n);
  }
  return axes;
}

/// The precision numpy computes a spacing of dtype `t` in: integer coordinates are converted to
/// float64 before np.diff.
Prec spacing_prec(DType t) {
  if (t == DType::float16) return Prec::half;
  if (t == DType::float32) return Prec::single;
  return Prec::dbl;
}

void check_step(double step, int axis, const char* what) {
  if (step == 0.0 || !std::isfinite(step))
    throw InvalidArgument(std::string(what) + " along axis " + std::to_string(axis) + " is " +
                          fmt_double(step) +
                          "; spacing must be finite and non-zero (numpy would silently return inf/nan here)");
}

/// A float16 or float32 spacing must hold values of its dtype: rounding them here would compute
/// with other coordinates than the caller's.
void check_spacing_values(const AxisSpacing& s, int axis) {
  const Prec k = spacing_prec(s.dtype);
  if (k == Prec::dbl) return;
  auto check = [&](double v, const std::string& what) {
    if (round_to(k, v) != v && !std::isnan(v))
      throw InvalidArgument(what + " along axis " + std::to_string(axis) + " is " + fmt_double(v) +
                            ", not a " + dtype_name(s.dtype) + " value; round it to " + dtype_name(s.dtype) +
                            " or give the spacing as float64");
  };
  if (s.coords.empty()) check(s.step, "spacing");
  for (std::size_t i = 0; i < s.coords.size(); ++i)
    check(s.coords[i], "coordinate x[" + std::to_string(i) + "]");
}

}  // namespace

std::vector<AxisPlan> plan_gradient(DType in, const Shape& shape, const GradientOptions& options) {
  if (in == DType::float16 || in == DType::float32 || in == DType::float64 || is_integer(in)) {
  } else {
    throw InvalidArgument(std::string("gradient: unsupported dtype ") + dtype_name(in));
  }
  const ResolvedAxes r = resolve_axes(shape, options);
  const Prec f = result_prec(in);
  const bool scalar_ops = shape.size() == 1;
  std::vector<AxisPlan> plans;
  for (std::size_t k = 0; k < r.axes.size(); ++k) {
    AxisPlan p;
    p.axis = r.axes[k];
    p.n = shape[static_cast<std::size_t>(p.axis)];
    const AxisSpacing& s = r.spacing[k];
    p.uniform = s.coords.empty();
    p.first = EdgeRule{f, scalar_ops, options.edge_order};
    const Prec kp = spacing_prec(s.dtype);
    // An operation of two K values is carried out in K: the double result rounded to K is the
    // correctly rounded K result, since double has more than 2p+2 significand bits for K = half or
    // single (the argument of numeric.hpp's round_to).
    auto rk = [kp](double v) { return round_to(kp, v); };
    if (p.uniform) {
      // ax_dx is a scalar of dtype K. `2. * ax_dx` and `-1.5 / ax_dx` mix it with a Python float,
      // which makes them float64 scalars; `/ dx_0` at a first-order edge divides by ax_dx itself.
      const double dx = s.step;
      p.dx = dx;
      if (options.edge_order == 1) {
        p.first.d = dx;
        p.first.kd = kp;
        p.last = p.first;
      } else {
        p.last = p.first;
        p.first.a = -1.5 / dx, p.first.b = 2. / dx, p.first.c = -0.5 / dx;
        p.last.a = 0.5 / dx, p.last.b = -2. / dx, p.last.c = 1.5 / dx;
      }
    } else {
      // np.diff of the coordinates in their dtype K, then numpy's weights (same expressions, same
      // order, same types: K arrays and K scalars stay K; a Python float `2.` makes float64).
      p.weights = kp;
      std::vector<double> h(s.coords.size() - 1);
      for (std::size_t i = 0; i + 1 < s.coords.size(); ++i) h[i] = rk(s.coords[i + 1] - s.coords[i]);
      const std::size_t m = h.size();
      for (std::size_t i = 0; i + 1 < m; ++i) {
        const double dx1 = h[i], dx2 = h[i + 1];
        p.wa.push_back(rk(-(dx2) / rk(dx1 * rk(dx1 + dx2))));
        p.wb.push_back(rk(rk(dx2 - dx1) / rk(dx1 * dx2)));
        p.wc.push_back(rk(dx1 / rk(dx2 * rk(dx1 + dx2))));
      }
      p.last = p.first;
      if (options.edge_order == 1) {
        p.first.d = h[0], p.first.kd = kp;
        p.last.d = h[m - 1], p.last.kd = kp;
      } else {
        double dx1 = h[0], dx2 = h[1];
        // a = -(2. * dx1 + dx2)/(dx1 * (dx1 + dx2)): float64 numerator over a K denominator.
        p.first.a = -((2. * dx1 + dx2) / rk(dx1 * rk(dx1 + dx2)));
        p.first.b = rk(rk(dx1 + dx2) / rk(dx1 * dx2)), p.first.kb = kp;
        p.first.c = rk(-dx1 / rk(dx2 * rk(dx1 + dx2))), p.first.kc = kp;
        dx1 = h[m - 2], dx2 = h[m - 1];
        p.last.a = rk((dx2) / rk(dx1 * rk(dx1 + dx2))), p.last.ka = kp;
        p.last.b = rk(-rk(dx2 + dx1) / rk(dx1 * dx2)), p.last.kb = kp;
        // c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2)): float64 numerator again.
        p.last.c = (2. * dx2 + dx1) / rk(dx2 * rk(dx1 + dx2));
      }
    }
    plans.push_back(std::move(p));
  }
  return plans;
}

namespace {

/// Strides and extents of the dimensions a stencil sweeps across (all but the differenced one),
/// merged where both input and output are contiguous over them, so a C-order array becomes one
/// long row.
struct Rows {
  std::vector<index_t> ext, sin, sout;  // outer dims first; the last entry is the row itself
};

Rows collapse(const index_t* ext, const index_t* sin, const index_t* sout, int rank) {
  Rows r;
  for (int d = 0; d < rank; ++d) {
    if (ext[d] == 1) continue;
    if (!r.ext.empty() && r.sin.back() == sin[d] * ext[d] && r.sout.back() == sout[d] * ext[d]) {
      r.ext.back() *= ext[d];
      r.sin.back() = sin[d];
      r.sout.back() = sout[d];
    } else {
      r.ext.push_back(ext[d]);
      r.sin.push_back(sin[d]);
      r.sout.push_back(sout[d]);
    }
  }
  if (r.ext.empty()) {  // every dimension has extent 1: a single one-sample row
    r.ext.push_back(1);
    r.sin.push_back(1);
    r.sout.push_back(1);
  }
  return r;
}

/// Calls fn(in_offset, out_offset, row_length, in_step, out_step) for every row of `rows`.
template <class Fn>
void for_each_row(const Rows& rows, Fn&& fn) {
  const int outer = static_cast<int>(rows.ext.size()) - 1;
  std::vector<index_t> idx(static_cast<std::size_t>(outer), 0);
  index_t in_off = 0, out_off = 0;
  while (true) {
    fn(in_off, out_off, rows.ext.back(), rows.sin.back(), rows.sout.back());
    int d = outer - 1;
    for (; d >= 0; --d) {
      auto ud = static_cast<std::size_t>(d);
      in_off += rows.sin[ud];
      out_off += rows.sout[ud];
      if (++idx[ud] < rows.ext[ud]) break;
      in_off -= rows.sin[ud] * rows.ext[ud];
      out_off -= rows.sout[ud] * rows.ext[ud];
      idx[ud] = 0;
    }
    if (d < 0) return;
  }
}

template <class In, class Out>
void central_uniform_dispatch(Prec f, double two_dx, const In* p0, const In* p2, index_t in_step, Out* out,
                              index_t out_step, index_t count) {
  switch (promote(f, scalar_prec(two_dx))) {
    case Prec::half:
      if constexpr (std::is_same_v<compute_t<In>, Half>)
        return central_uniform<In, Out, Half>(p0, p2, in_step, out, out_step, count, two_dx);
      break;
    case Prec::single:
      if constexpr (!std::is_same_v<compute_t<In>, double>)
        return central_uniform<In, Out, float>(p0, p2, in_step, out, out_step, count, two_dx);
      break;
    case Prec::dbl:
      return central_uniform<In, Out, double>(p0, p2, in_step, out, out_step, count, two_dx);
  }
}

/// numpy's non-uniform interior in W = promote(weight dtype, F).
template <class In, class Out>
void central_coords_dispatch(const AxisPlan& p, const In* p0, const In* p1, const In* p2, index_t in_step,
                             Out* out, index_t out_step, index_t count, std::size_t w, index_t w_step) {
  const double *a = &p.wa[w], *b = &p.wb[w], *c = &p.wc[w];
  switch (promote(p.weights, p.first.f)) {
    case Prec::half:
      if constexpr (std::is_same_v<compute_t<In>, Half>)
        return central_coords<In, Out, Half>(p0, p1, p2, in_step, out, out_step, count, a, b, c, w_step);
      break;
    case Prec::single:
      if constexpr (!std::is_same_v<compute_t<In>, double>)
        return central_coords<In, Out, float>(p0, p1, p2, in_step, out, out_step, count, a, b, c, w_step);
      break;
    case Prec::dbl:
      return central_coords<In, Out, double>(p0, p1, p2, in_step, out, out_step, count, a, b, c, w_step);
  }
}

/// One-sided differences at sample 0 and n-1 of the axis (stride `s`); `x` points at that sample.
/// Order 1 reads samples (0, 1) / (n-2, n-1), order 2 reads (0, 1, 2) / (n-3, n-2, n-1).
template <class In, class Out>
void first_edge(const AxisPlan& p, const In* x, index_t s, index_t step, Out* out, index_t ostep,
                index_t len) {
  one_sided(p.first, x, x + s, p.first.order == 2 ? x + 2 * s : x, step, out, ostep, len);
}
template <class In, class Out>
void last_edge(const AxisPlan& p, const In* x, index_t s, index_t step, Out* out, index_t ostep,
               index_t len) {
  if (p.last.order == 1)
    one_sided(p.last, x - s, x, x, step, out, ostep, len);
  else
    one_sided(p.last, x - 2 * s, x - s, x, step, out, ostep, len);
}

/// Axis 0 of (ext, sin, sout) is the differenced one and rank >= 2: stencils over whole rows of
/// the remaining dimensions, three neighbouring rows at a time.
template <class In, class Out>
void diff_rows(const In* in, const index_t* ext, const index_t* sin, Out* out, const index_t* sout, int rank,
               const AxisPlan& p, index_t r0, index_t r1) {
  const Rows rows = collapse(ext + 1, sin + 1, sout + 1, rank - 1);
  const index_t n = p.n, s = sin[0];
  const Prec f = p.first.f;
  for (index_t i = r0; i < r1; ++i) {
    const In* cur = in + i * s;
    Out* o = out + (i - r0) * sout[0];
    for_each_row(rows, [&](index_t io, index_t oo, index_t len, index_t step, index_t ostep) {
      const In* row = cur + io;
      if (i == 0)
        first_edge(p, row, s, step, o + oo, ostep, len);
      else if (i == n - 1)
        last_edge(p, row, s, step, o + oo, ostep, len);
      else if (p.uniform)
        central_uniform_dispatch(f, 2. * p.dx, row - s, row + s, step, o + oo, ostep, len);
      else {
        central_coords_dispatch(p, row - s, row, row + s, step, o + oo, ostep, len,
                                static_cast<std::size_t>(i - 1), 0);
      }
    });
  }
}

/// A 1-D line along the differenced axis: samples [r0, r1).
template <class In, class Out>
void diff_line(const In* in, index_t s, Out* out, index_t so, const AxisPlan& p, index_t r0, index_t r1) {
  const index_t n = p.n;
  if (r0 == 0) first_edge(p, in, s, s, out, so, 1);
  const index_t lo = std::max<index_t>(r0, 1), hi = std::min<index_t>(r1, n - 1);
  if (hi > lo) {
    const In* c = in + lo * s;
    Out* o = out + (lo - r0) * so;
    if (p.uniform)
      central_uniform_dispatch(p.first.f, 2. * p.dx, c - s, c + s, s, o, so, hi - lo);
    else {
      central_coords_dispatch(p, c - s, c, c + s, s, o, so, hi - lo, static_cast<std::size_t>(lo - 1), 1);
    }
  }
  if (r1 == n && n > 1) {
    last_edge(p, in + (n - 1) * s, s, s, out + (n - 1 - r0) * so, so, 1);
  }
}

/// Recursive walk: peel leading dimensions until the differenced axis is the first one.
template <class In, class Out>
void diff_walk(const In* in, const index_t* ext, const index_t* sin, Out* out, const index_t* sout, int rank,
               int axis, const AxisPlan& p, index_t r0, index_t r1) {
  if (axis == 0) {
    if (rank == 1)
      diff_line(in, sin[0], out, sout[0], p, r0, r1);
    else
      diff_rows(in, ext, sin, out, sout, rank, p, r0, r1);
    return;
  }
  for (index_t i = r0; i < r1; ++i)
    diff_walk(in + i * sin[0], ext + 1, sin + 1, out + (i - r0) * sout[0], sout + 1, rank - 1, axis - 1, p, 0,
              ext[1]);
}

}  // namespace

template <class In, class Out>
void diff_axis_range(const In* in, const Shape& shape, const Shape& in_strides, Out* out,
                     const Shape& out_strides, const AxisPlan& plan, index_t r0, index_t r1) {
  diff_walk(in, shape.data(), in_strides.data(), out, out_strides.data(), static_cast<int>(shape.size()),
            plan.axis, plan, r0, r1);
}

}  // namespace detail

namespace {

/// Every component of a tile of axis-0 rows is computed before the next tile, so the tile's input
/// (plus a halo row or two) is read from memory once and from cache for the other components:
/// one pass over the input for all outputs. Tiles hold about kTileBytes of input, so they stay in
/// L2; oneTBB spreads the tiles over the threads.
constexpr index_t kTileBytes = 256 * 1024;

/// Rows [r0, r1) of axis 0 (out[k] holds those rows only).
template <class In, class Out>
void run_components(const In* in, const Shape& shape, const Shape& in_strides,
                    const std::vector<ArrayView<Out>>& out, const std::vector<detail::AxisPlan>& plans,
                    index_t r0, index_t r1) {
  const index_t n0 = shape[0];
  const index_t per_row = std::max<index_t>(1, shape_size(shape) / std::max<index_t>(n0, 1));
  const index_t tile = std::max<index_t>(1, kTileBytes / (per_row * static_cast<index_t>(sizeof(In))));
  auto run_tile = [&](index_t t0, index_t t1) {
    for (std::size_t k = 0; k < plans.size(); ++k)
      detail::diff_axis_range(in, shape, in_strides, out[k].data() + (t0 - r0) * out[k].stride(0),
                              out[k].strides(), plans[k], t0, t1);
  };
  if (r1 - r0 <= tile) {
    run_tile(r0, r1);
    return;
  }
  const index_t tiles = (r1 - r0 + tile - 1) / tile;
  tbb::parallel_for(tbb::blocked_range<index_t>(0, tiles, 1), [&](const tbb::blocked_range<index_t>& r) {
    for (index_t t = r.begin(); t < r.end(); ++t) run_tile(r0 + t * tile, std::min(r1, r0 + (t + 1) * tile));
  });
}

}  // namespace

ResolvedAxes resolve_axes(const Shape& shape, const GradientOptions& options) {
  const int rank = static_cast<int>(shape.size());
  if (rank < 1) throw InvalidArgument("gradient: the array must have at least one dimension");
  if (options.edge_order > 2) throw InvalidArgument("'edge_order' greater than 2 not supported");
  if (options.edge_order < 1)
    throw InvalidArgument("edge_order must be 1 or 2, got " + std::to_string(options.edge_order));
  ResolvedAxes r;
  r.axes = detail::normalize_axes(options, rank);
  const std::size_t len_axes = r.axes.size(), n = options.spacing.size();
  if (n == 0) {
    r.spacing.assign(len_axes, AxisSpacing::uniform(1.0));
  } else if (n == 1 && options.spacing[0].coords.empty()) {
    r.spacing.assign(len_axes, options.spacing[0]);
  } else if (n == len_axes) {
    r.spacing = options.spacing;
  } else {
    throw InvalidArgument("invalid number of arguments: " + std::to_string(n) + " spacings for " +
                          std::to_string(len_axes) +
                          " selected axes (give none, one for all, or one per axis)");
  }
  for (std::size_t k = 0; k < len_axes; ++k) {
    AxisSpacing& s = r.spacing[k];
    const int axis = r.axes[k];
    const index_t len = shape[static_cast<std::size_t>(axis)];
    detail::check_spacing_values(s, axis);
    if (!s.coords.empty()) {
      if (static_cast<index_t>(s.coords.size()) != len)
        throw ShapeError("when 1d, distances must match the length of the corresponding dimension (axis " +
                         std::to_string(axis) + " has " + std::to_string(len) + " samples, got " +
                         std::to_string(s.coords.size()) + " coordinates)");
      if (len < 2)
        throw ShapeError(
            "Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) "
            "elements are required (axis " +
            std::to_string(axis) + " has " + std::to_string(len) + ")");
      // np.diff in the coordinates' dtype K (integers: float64), and numpy's uniformity check
      // `(diffx == diffx[0]).all()` on those K differences.
      const detail::Prec kp = detail::spacing_prec(s.dtype);
      auto diff = [&](std::size_t i) { return detail::round_to(kp, s.coords[i + 1] - s.coords[i]); };
      bool all_equal = true;
      const double h0 = diff(0);
      for (std::size_t i = 0; i + 1 < s.coords.size(); ++i) {
        const double h = diff(i);
        detail::check_step(
            h, axis,
            ("coordinate difference x[" + std::to_string(i + 1) + "] - x[" + std::to_string(i) + "]")
                .c_str());
        all_equal = all_equal && h == h0;
      }
      // numpy reduces evenly spaced coordinates to the scalar case (a K scalar: diffx[0]), which
      // changes the arithmetic.
      if (all_equal) s = AxisSpacing::uniform(h0, s.dtype);
    } else {
      detail::check_step(s.step, axis, "spacing");
    }
    if (len < options.edge_order + 1)
      throw ShapeError(
          "Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) "
          "elements are required (axis " +
          std::to_string(axis) + " has " + std::to_string(len) + ", edge_order is " +
          std::to_string(options.edge_order) + ")");
  }
  return r;
}

AxisSpacing AxisSpacing::coordinates(const Array& x) {
  if (x.rank() != 1)
    throw ShapeError("distances must be either scalars or 1d: coordinates of shape " +
                     shape_string(x.shape()));
  // float16 and float32 values are exact in double; integers are converted as numpy's
  // astype(np.float64) does before np.diff (rounding to nearest beyond 2^53).
  const Array d = astype(x, DType::float64);
  const auto* p = static_cast<const double*>(d.data());
  return AxisSpacing{1.0, std::vector<double>(p, p + d.size()), x.dtype()};
}

DType gradient_dtype(DType in, const GradientOptions& options) {
  if (options.dtype) {
    if (!is_floating(*options.dtype))
      throw InvalidArgument(std::string("gradient: output dtype must be float16, float32 or float64, got ") +
                            dtype_name(*options.dtype));
    return *options.dtype;
  }
  return is_integer(in) ? DType::float64 : in;
}

namespace {

/// gradient_into and gradient_rows_into: rows [r0, r1) of axis 0 (all of them for gradient_into,
/// r1 < 0), into outputs of that many rows.
template <class T, class Out>
void components_into(ConstArrayView<T> f, const std::vector<ArrayView<Out>>& out,
                     const GradientOptions& options, index_t r0, index_t r1, const char* who) {
  using In = std::remove_const_t<T>;
  detail::check_view_data(f, who, "the input");
  Shape want = f.extents();
  if (r1 >= 0) {
    if (f.rank() < 1)
      throw InvalidArgument(std::string(who) + ": the array must have at least one dimension");
    if (r0 < 0 || r0 > r1 || r1 > f.extent(0))
      throw InvalidArgument(std::string(who) + ": rows [" + std::to_string(r0) + ", " + std::to_string(r1) +
                            ") are not within the " + std::to_string(f.extent(0)) + " rows of axis 0");
    want[0] = r1 - r0;
  }
  // numpy.gradient (plans), or one of the padded operators of operators.cpp.
  const bool filtered = detail::is_filtered(options);
  std::vector<detail::AxisPlan> plans;
  std::size_t selected = 0;
  if (filtered)
    selected = detail::filtered_axes(f.extents(), options).size();
  else
    plans = detail::plan_gradient(dtype_of_v<In>, f.extents(), options), selected = plans.size();
  if (out.size() != selected)
    throw ShapeError(std::string(who) + ": " + std::to_string(out.size()) + " output views for " +
                     std::to_string(selected) + " selected axes");
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::string name = "output " + std::to_string(k);
    if (out[k].extents() != want)
      throw ShapeError(std::string(who) + ": " + name + " has shape " + shape_string(out[k].extents()) +
                       ", " + (r1 >= 0 ? "the rows " : "the input ") + shape_string(want));
    detail::check_view_data(out[k], who, name);
    detail::check_disjoint(out[k], name, f, "the input", who);
    for (std::size_t j = 0; j < k; ++j)
      detail::check_disjoint(out[j], "output " + std::to_string(j), out[k], name, who);
  }
  if (f.size() == 0 || shape_size(want) == 0) return;
  const index_t begin = r1 >= 0 ? r0 : 0, end = r1 >= 0 ? r1 : f.extent(0);
  detail::with_threads(options.threads, who, [&] {
    if (filtered)
      detail::filtered_gradient_into<In, Out>(ConstArrayView<In>(f), out, options, begin, end);
    else
      run_components(f.data(), f.extents(), f.strides(), out, plans, begin, end);
  });
}

}  // namespace

template <class T, class Out>
void gradient_into(ConstArrayView<T> f, const std::vector<ArrayView<Out>>& out,
                   const GradientOptions& options) {
  components_into<T, Out>(f, out, options, 0, -1, "gradient_into");
}

template <class T, class Out>
void gradient_rows_into(ConstArrayView<T> f, index_t row_begin, index_t row_end,
                        const std::vector<ArrayView<Out>>& out, const GradientOptions& options) {
  components_into<T, Out>(f, out, options, row_begin, row_end, "gradient_rows_into");
}

template <class T>
std::vector<Array> gradient(ConstArrayView<T> f, const GradientOptions& options) {
  detail::check_view_data(f, "gradient", "the input");
  const DType out_type = gradient_dtype(dtype_of_v<T>, options);
  // Validate before allocating.
  const auto axes = detail::is_filtered(options) ? detail::filtered_axes(f.extents(), options)
                                                 : resolve_axes(f.extents(), options).axes;
  std::vector<Array> result;
  for (std::size_t k = 0; k < axes.size(); ++k) result.push_back(Array::uninitialized(out_type, f.extents()));
  visit_dtype(out_type, [&](auto tag) {
    using Out = decltype(tag);
    if constexpr (std::is_same_v<Out, float> || std::is_same_v<Out, double> ||
                  std::is_same_v<Out, float16_t>) {
      std::vector<ArrayView<Out>> views;
      for (auto& a : result) views.push_back(a.view<Out>());
      gradient_into<T, Out>(f, views, options);
    }
  });
  return result;
}

std::vector<Array> gradient(const Array& f, const GradientOptions& options) {
  return visit_dtype(f.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return gradient<T>(f.view<T>(), options);
  });
}

#define GRADMAP_INSTANTIATE(T)                                                                              \
  template std::vector<Array> gradient<T>(ConstArrayView<T>, const GradientOptions&);                       \
  template void gradient_into<T, float16_t>(ConstArrayView<T>, const std::vector<ArrayView<float16_t>>&,    \
                                            const GradientOptions&);                                        \
  template void gradient_into<T, float>(ConstArrayView<T>, const std::vector<ArrayView<float>>&,            \
                                        const GradientOptions&);                                            \
  template void gradient_into<T, double>(ConstArrayView<T>, const std::vector<ArrayView<double>>&,          \
                                         const GradientOptions&);                                           \
  template void gradient_rows_into<T, float16_t>(ConstArrayView<T>, index_t, index_t,                       \
                                                 const std::vector<ArrayView<float16_t>>&,                  \
                                                 const GradientOptions&);                                   \
  template void gradient_rows_into<T, float>(ConstArrayView<T>, index_t, index_t,                           \
                                             const std::vector<ArrayView<float>>&, const GradientOptions&); \
  template void gradient_rows_into<T, double>(                                                              \
      ConstArrayView<T>, index_t, index_t, const std::vector<ArrayView<double>>&, const GradientOptions&);  \
  template void detail::diff_axis_range<T, float16_t>(const T*, const Shape&, const Shape&, float16_t*,     \
                                                      const Shape&, const detail::AxisPlan&, index_t,       \
                                                      index_t);                                             \
  template void detail::diff_axis_range<T, float>(const T*, const Shape&, const Shape&, float*,             \
                                                  const Shape&, const detail::AxisPlan&, index_t, index_t); \
  template void detail::diff_axis_range<T, double>(const T*, const Shape&, const Shape&, double*,           \
                                                   const Shape&, const detail::AxisPlan&, index_t, index_t);
GRADMAP_FOR_EACH_DTYPE(GRADMAP_INSTANTIATE)
#undef GRADMAP_INSTANTIATE

}  // namespace gradmap
