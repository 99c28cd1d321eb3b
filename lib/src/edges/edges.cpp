// SPDX-License-Identifier: MIT
// edges(): gradient magnitude, direction (2-D), azimuth/elevation and unit normals (3-D).
//
// Fused path (components not requested): the array is cut into tiles of whole axis-0 rows; each
// oneTBB task computes the components of its tile into a small cache-resident buffer with the same
// stencils as gradient(), then the polar maps from it. Peak memory is the input plus the outputs
// plus one tile per thread. With components requested they are computed in full first and the
// maps derived from them; both paths call the same per-sample code, hence give the same bits,
// whatever the tile size or thread count.
#include "gradmap/edges.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "edges/polar_kernels.hpp"
#include "edges/polar_simd.hpp"
#include "gradient/gradient_plan.hpp"
#include "gradmap/operators.hpp"

namespace gradmap {
namespace {

using detail::cvt;

constexpr double kPi = 3.141592653589793238462643383279502884;

/// Applies AngleOptions to the direction of (gx, gy) in image convention (y grows downward).
/// The default options return exactly np.arctan2(gy, gx); the others transform that angle in
/// double and round once.
template <class C>
C convert_angle(C gy, C gx, const AngleOptions& o) {
  const C neg_gy = cvt<C>(-cvt<double>(gy));
  // Compass: clockwise from up (-y on screen), so east (+x) is a quarter turn.
  const C a = o.compass ? detail::atan2_c(gx, neg_gy) : detail::atan2_c(o.y_up ? neg_gy : gy, gx);
  const bool wraps = o.compass || o.orientation || o.range == AngleRange::unsigned_range;
  if (!wraps && o.units == AngleUnits::radians) return a;
  double v = cvt<double>(a);
  const double period = (o.orientation && !o.compass) ? kPi : 2 * kPi;
  if (wraps && v < 0) v += period;
  if (o.units == AngleUnits::degrees) v *= 180.0 / kPi;
  C r = cvt<C>(v);
  // A tiny negative angle plus the period can round up to the period itself; it is the same
  // direction as 0 and the documented range is half-open.
  if (wraps) {
    const double top = o.units == AngleUnits::degrees ? period * 180.0 / kPi : period;
    if (cvt<double>(r) >= cvt<double>(cvt<C>(top))) r = cvt<C>(0.0);
  }
  return r;
}

/// Output pointers of the maps for one block of samples (null when not requested).
template <class Out>
struct MapPtrs {
  Out* mag = nullptr;
  Out* dir = nullptr;
  Out* elev = nullptr;
  std::vector<Out*> normals;
};

/// The per-sample maps for `count` samples, one sample at a time: the float16 path, where every
/// operation is rounded to half as numpy does. comps[k] holds component k (selected-axis order);
/// `order` lists component indices by axis number, so order[nd-1] is gx.
template <class S, class Out>
void polar_scalar(const std::vector<const S*>& comps, const std::vector<int>& order, index_t count,
                  const EdgeOptions& o, const MapPtrs<Out>& m) {
  using C = detail::compute_t<S>;
  const int n = static_cast<int>(comps.size());
  const int nd = static_cast<int>(order.size());
  C g[16];
  for (index_t j = 0; j < count; ++j) {
    for (int k = 0; k < n; ++k) g[k] = cvt<C>(comps[static_cast<std::size_t>(k)][j]);
    const C mag = detail::hypot_n(g, n);
    if (m.mag) m.mag[j] = cvt<Out>(mag);
    if (nd >= 2) {
      const C gx = g[order[static_cast<std::size_t>(nd - 1)]],
              gy = g[order[static_cast<std::size_t>(nd - 2)]];
      if (m.dir) m.dir[j] = cvt<Out>(convert_angle(gy, gx, o.angle));
      if (m.elev) {
        const C gz = g[order[0]];
        C pair[2] = {gx, gy};
        C e = detail::atan2_c(gz, detail::hypot_n(pair, 2));
        if (o.angle.units == AngleUnits::degrees) e = cvt<C>(cvt<double>(e) * (180.0 / kPi));
        m.elev[j] = cvt<Out>(e);
      }
    }
    for (std::size_t k = 0; k < m.normals.size(); ++k) {
      const double mg = cvt<double>(mag);
      m.normals[k][j] = cvt<Out>(mg == 0.0 ? C{} : cvt<C>(cvt<double>(g[k]) / mg));
    }
  }
}

/// Samples per chunk of the vector path: its temporaries stay in L1.
constexpr index_t kChunk = 512;

/// Magnitude of n components over `len` samples. float: the sum of squares in double (cannot
/// overflow, 53 bits) and one rounding — glibc's own hypotf, so np.hypot's bits for two
/// components. double rounded to a float output: the same double formula (a sum of squares that
/// overflows or underflows in double belongs to a magnitude beyond float's range anyway), in a loop
/// that vectorizes. double output: libm's hypot (np.hypot) for two, long double for more.
/// hypot(inf, nan) is inf, as in C.
template <class S, class Out>
void magnitude_vec(const S* const* g, int n, S* out, index_t len) {
  constexpr S inf = std::numeric_limits<S>::infinity();
  if constexpr (std::is_same_v<S, float>) {
    if (n == 2) {
      detail::hypot2_f32(g[0], g[1], out, len);
      return;
    }
    if (n == 3) {
      detail::hypot3_f32(g[0], g[1], g[2], out, len);
      return;
    }
  }
  if constexpr (std::is_same_v<S, float> || !std::is_same_v<Out, double>) {
    if (n == 2) {
      const S *a = g[0], *b = g[1];
      for (index_t j = 0; j < len; ++j) {
        const double x = a[j], y = b[j];
        const S r = static_cast<S>(std::sqrt(x * x + y * y));
        out[j] = (std::fabs(a[j]) == inf || std::fabs(b[j]) == inf) ? inf : r;
      }
      return;
    }
    for (index_t j = 0; j < len; ++j) {
      double s = 0;
      bool any_inf = false;
      for (int k = 0; k < n; ++k) {
        const double v = g[k][j];
        s += v * v;
        any_inf = any_inf || std::fabs(g[k][j]) == inf;
      }
      out[j] = any_inf ? inf : static_cast<S>(std::sqrt(s));
    }
  } else {
    if (n == 2) {
      for (index_t j = 0; j < len; ++j) out[j] = std::hypot(g[0][j], g[1][j]);
    } else {
      S tmp[16];
      for (index_t j = 0; j < len; ++j) {
        for (int k = 0; k < n; ++k) tmp[k] = g[k][j];
        out[j] = detail::hypot_n(tmp, n);
      }
    }
  }
}

/// atan2 over `len` samples: SLEEF's vector atan2 for float; for double rounded to a float output,
/// SLEEF's 3.5-ulp double atan2 (its error, 2^-51 relative, vanishes in the rounding to float);
/// SLEEF's 1-ulp double atan2 when float64 is the output (libm's is scalar and several times
/// slower; numpy's own, SVML on AVX-512 machines, is no closer to exact).
template <class S, class Out>
void atan2_vec(const S* y, const S* x, S* out, index_t len) {
  if constexpr (std::is_same_v<S, float>) {
    detail::atan2_f32(y, x, out, len);
  } else if constexpr (std::is_same_v<Out, float> || std::is_same_v<Out, float16_t>) {
    detail::atan2_f64_for_float(y, x, out, len);
  } else {
    detail::atan2_f64(y, x, out, len);
  }
}

/// AngleOptions applied to angles computed by atan2_vec (see convert_angle for the conventions).
template <class S, class Out>
void finish_angle(const S* ang, const AngleOptions& o, Out* out, index_t len) {
  const bool wraps = o.compass || o.orientation || o.range == AngleRange::unsigned_range;
  if (!wraps && o.units == AngleUnits::radians) {
    for (index_t j = 0; j < len; ++j) out[j] = cvt<Out>(ang[j]);
    return;
  }
  const double period = (o.orientation && !o.compass) ? kPi : 2 * kPi;
  const double scale = o.units == AngleUnits::degrees ? 180.0 / kPi : 1.0;
  const S top = static_cast<S>(period * scale);
  for (index_t j = 0; j < len; ++j) {
    double v = ang[j];
    if (wraps && v < 0) v += period;
    S r = static_cast<S>(v * scale);
    if (wraps && r >= top) r = 0;  // a tiny negative angle plus the period rounds to the period: it is 0
    out[j] = cvt<Out>(r);
  }
}

/// The vector path for float and double components: chunks of kChunk samples.
template <class S, class Out>
void polar_vec(const std::vector<const S*>& comps, const std::vector<int>& order, index_t count,
               const EdgeOptions& o, const MapPtrs<Out>& m, bool exact_squares) {
  const int n = static_cast<int>(comps.size());
  const int nd = static_cast<int>(order.size());
  S mag[kChunk], ang[kChunk], tmp[kChunk];
  const AngleOptions& a = o.angle;
  const bool plain = !a.compass && !a.y_up && !a.orientation && a.range == AngleRange::signed_range &&
                     a.units == AngleUnits::radians;
  // The default 2-D float32 maps (magnitude and atan2 direction): one pass over the pair.
  const bool pair = std::is_same_v<S, float> && std::is_same_v<Out, float> && n == 2 && nd == 2 && m.mag &&
                    m.dir && !m.elev && m.normals.empty() && plain;
  for (index_t c0 = 0; c0 < count; c0 += kChunk) {
    const index_t len = std::min(kChunk, count - c0);
    const S* g[16];
    for (int k = 0; k < n; ++k) g[k] = comps[static_cast<std::size_t>(k)] + c0;
    if constexpr (std::is_same_v<S, float> && std::is_same_v<Out, float>) {
      if (pair) {
        if (exact_squares)
          detail::polar2_f32_exact_squares(g[order[0]], g[order[1]], m.mag + c0, m.dir + c0, len);
        else
          detail::polar2_f32(g[order[0]], g[order[1]], m.mag + c0, m.dir + c0, len);
        continue;
      }
    }
    // Maps of the components' own type are written in place rather than copied from L1.
    S* mag_at = mag;
    if constexpr (std::is_same_v<S, Out>)
      if (m.mag && m.normals.empty()) mag_at = m.mag + c0;
    if (m.mag || !m.normals.empty()) magnitude_vec<S, Out>(g, n, mag_at, len);  // not for a direction alone
    if (m.mag && mag_at == mag)
      for (index_t j = 0; j < len; ++j) m.mag[c0 + j] = cvt<Out>(mag[j]);
    if (nd >= 2 && (m.dir || m.elev)) {
      const S* gx = g[order[static_cast<std::size_t>(nd - 1)]];
      const S* gy = g[order[static_cast<std::size_t>(nd - 2)]];
      if (m.dir) {
        if (std::is_same_v<S, Out> && plain) {
          // The default angle is atan2 itself: written in place (the cast is the identity here).
          atan2_vec<S, Out>(gy, gx, reinterpret_cast<S*>(m.dir + c0), len);
        } else {
          if (a.compass || a.y_up) {
            for (index_t j = 0; j < len; ++j) tmp[j] = -gy[j];
            if (a.compass)
              atan2_vec<S, Out>(gx, tmp, ang, len);  // clockwise from up (-y on screen)
            else
              atan2_vec<S, Out>(tmp, gx, ang, len);
          } else {
            atan2_vec<S, Out>(gy, gx, ang, len);
          }
          finish_angle(ang, a, m.dir + c0, len);
        }
      }
      if (m.elev) {
        const S* horizontal[2] = {gx, gy};
        magnitude_vec<S, Out>(horizontal, 2, tmp, len);
        atan2_vec<S, Out>(g[order[0]], tmp, ang, len);
        const double scale = o.angle.units == AngleUnits::degrees ? 180.0 / kPi : 1.0;
        for (index_t j = 0; j < len; ++j)
          m.elev[c0 + j] = cvt<Out>(scale == 1.0 ? ang[j] : static_cast<S>(ang[j] * scale));
      }
    }
    for (std::size_t k = 0; k < m.normals.size(); ++k)
      for (index_t j = 0; j < len; ++j)
        m.normals[k][c0 + j] = cvt<Out>(mag[j] == 0 ? S{} : static_cast<S>(g[k][j] / mag[j]));
  }
}

/// `exact_squares`: the components are float32 values whose squares and sum of squares are exact
/// float32 numbers (squares_exact_in_float32), which lets the pair pass take its float32 hypot.
/// The bits are the same either way; only the speed differs.
template <class S, class Out>
void polar_block(const std::vector<const S*>& comps, const std::vector<int>& order, index_t count,
                 const EdgeOptions& o, const MapPtrs<Out>& m, bool exact_squares = false) {
  if constexpr (std::is_same_v<S, float16_t>)
    polar_scalar(comps, order, count, o, m);
  else
    polar_vec(comps, order, count, o, m, exact_squares);
}

/// Storage type of numpy's gradient result for input In.
template <class In>
using result_t = std::conditional_t<std::is_same_v<In, float16_t>, float16_t,
                                    std::conditional_t<std::is_same_v<In, float>, float, double>>;

/// Where the maps go: the caller's views (edges_into) or the arrays edges() allocated. Samples are
/// numbered in C order of the input's shape; a run is a stretch of them that is one line of
/// memory in every output (the trailing dimensions over which all outputs are contiguous), so the
/// polar kernels write straight into the outputs. An output whose innermost stride is not 1 gets
/// its run through a small buffer.
template <class Out>
class MapSink {
 public:
  /// Slots: 0 magnitude, 1 direction, 2 elevation, 3.. normals; empty views are maps not wanted.
  MapSink(std::vector<ArrayView<Out>> slots, const Shape& shape) : slots_(std::move(slots)) {
    const int rank = static_cast<int>(shape.size());
    int d = rank - 1;
    run_ = rank == 0 ? 1 : shape[static_cast<std::size_t>(d)];
    // Merge dimension d-1 into the run while every output steps over the run exactly.
    for (; d > 0; --d) {
      bool merge = true;
      for (const auto& v : slots_)
        if (wanted(v) && v.stride(d - 1) != v.stride(rank - 1) * run_) merge = false;
      if (!merge) break;
      run_ *= shape[static_cast<std::size_t>(d - 1)];
    }
    outer_.assign(shape.begin(), shape.begin() + std::max(d, 0));
    for (const auto& v : slots_) unit_ = unit_ && (!wanted(v) || v.rank() == 0 || v.stride(rank - 1) == 1);
  }
  static bool wanted(const ArrayView<Out>& v) { return v.data() != nullptr || v.rank() != 0; }

  /// Runs polar(comps, len, ptrs) over samples [flat, flat + count) whose components start at
  /// comps[k] (contiguous, sample `flat` first).
  template <class S, class Polar>
  void write(index_t flat, index_t count, const std::vector<const S*>& comps, const Polar& polar) const {
    std::vector<const S*> c(comps.size());
    MapPtrs<Out> p;
    const std::size_t nn = slots_.size() - 3;
    p.normals.resize(nn);
    std::vector<Out> scratch;
    if (!unit_) scratch.resize(slots_.size() * static_cast<std::size_t>(kChunk));
    const int rank = slots_.empty() ? 0 : rank_of_outputs();
    std::vector<index_t> offsets(slots_.size());
    std::vector<const S*> cj(comps.size());
    for (index_t s = flat; s < flat + count;) {
      const index_t r = s / run_, q = s % run_;
      const index_t len = std::min(run_ - q, flat + count - s);
      for (std::size_t k = 0; k < c.size(); ++k) c[k] = comps[k] + (s - flat);
      std::fill(offsets.begin(), offsets.end(), 0);
      index_t rest = r;
      for (int d = static_cast<int>(outer_.size()) - 1; d >= 0; --d) {
        const index_t i = rest % outer_[static_cast<std::size_t>(d)];
        rest /= outer_[static_cast<std::size_t>(d)];
        for (std::size_t k = 0; k < slots_.size(); ++k)
          if (wanted(slots_[k])) offsets[k] += i * slots_[k].stride(d);
      }
      if (unit_) {
        auto at = [&](std::size_t k) {
          return wanted(slots_[k]) ? slots_[k].data() + offsets[k] + q * inner(k, rank) : nullptr;
        };
        p.mag = at(0), p.dir = at(1), p.elev = at(2);
        for (std::size_t k = 0; k < nn; ++k) p.normals[k] = at(3 + k);
        polar(c, len, p);
      } else {
        for (index_t j0 = 0; j0 < len; j0 += kChunk) {
          const index_t m = std::min(kChunk, len - j0);
          auto at = [&](std::size_t k) {
            return wanted(slots_[k]) ? scratch.data() + k * static_cast<std::size_t>(kChunk) : nullptr;
          };
          p.mag = at(0), p.dir = at(1), p.elev = at(2);
          for (std::size_t k = 0; k < nn; ++k) p.normals[k] = at(3 + k);
          for (std::size_t k = 0; k < c.size(); ++k) cj[k] = c[k] + j0;
          polar(cj, m, p);
          for (std::size_t k = 0; k < slots_.size(); ++k) {
            if (!wanted(slots_[k])) continue;
            const index_t st = inner(k, rank);
            Out* dst = slots_[k].data() + offsets[k] + (q + j0) * st;
            for (index_t j = 0; j < m; ++j) dst[j * st] = scratch[k * static_cast<std::size_t>(kChunk) + j];
          }
        }
      }
      s += len;
    }
  }

 private:
  int rank_of_outputs() const {
    for (const auto& v : slots_)
      if (wanted(v)) return v.rank();
    return 0;
  }
  index_t inner(std::size_t k, int rank) const { return rank == 0 ? 1 : slots_[k].stride(rank - 1); }

  std::vector<ArrayView<Out>> slots_;
  index_t run_ = 1;
  Shape outer_;  ///< extents of the dimensions outside the run
  bool unit_ = true;
};

/// The per-sample maps over whole component arrays, in parallel blocks.
template <class S, class Out>
void maps_from_components(const std::vector<const S*>& comps, index_t flat0, index_t count,
                          const std::vector<int>& order, const EdgeOptions& o, const MapSink<Out>& sink) {
  // comps[k][j] is component k of sample flat0 + j.
  tbb::parallel_for(tbb::blocked_range<index_t>(0, count, 1 << 14),
                    [&](const tbb::blocked_range<index_t>& r) {
                      std::vector<const S*> c;
                      for (const S* a : comps) c.push_back(a + r.begin());
                      sink.write(flat0 + r.begin(), r.end() - r.begin(), c,
                                 [&](const std::vector<const S*>& cc, index_t len, const MapPtrs<Out>& p) {
                                   polar_block<S, Out>(cc, order, len, o, p);
                                 });
                    });
}

template <class S, class Out>
void maps_from_components(const std::vector<Array>& comps, const std::vector<int>& order,
                          const EdgeOptions& o, const MapSink<Out>& sink) {
  std::vector<const S*> c;
  for (const auto& a : comps) c.push_back(static_cast<const S*>(a.data()));
  maps_from_components<S, Out>(c, 0, comps.front().size(), order, o, sink);
}

/// Component indices sorted by axis number: order.back() is gx, then gy, gz.
std::vector<int> axis_order(const std::vector<int>& axes) {
  std::vector<int> order(axes.size());
  for (std::size_t k = 0; k < axes.size(); ++k) order[k] = static_cast<int>(k);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return axes[static_cast<std::size_t>(a)] < axes[static_cast<std::size_t>(b)];
  });
  return order;
}

/// The padded operators' maps without full-size components: blocks of axis-0 rows, each computed
/// by filtered_gradient_into as those rows of the whole array (the halo rows and the padding at the
/// array's ends, wrap's included, read from the whole input), then the maps of the block. Peak
/// memory: the outputs plus one block of components.
template <class In, class S, class Out>
void filtered_maps(ConstArrayView<In> f, const std::vector<int>& axes, const EdgeOptions& o,
                   const MapSink<Out>& sink, index_t r0, index_t r1) {
  GradientOptions g = o.gradient;
  g.dtype = dtype_of_v<S>;
  const Shape& shape = f.extents();
  const std::size_t n = axes.size();
  const index_t n0 = shape.empty() ? 0 : shape[0];
  if (n0 == 0 || r1 <= r0) return;
  const index_t row_len = shape.size() >= 2 ? shape_size(shape) / n0 : 1;
  const index_t halo = detail::filtered_halo0(shape, g);
  // About 16 MiB of components per block (or o.tile_rows; smaller blocks measured slower, the
  // parallel passes inside a block getting too short), and at least 8 halos of rows: each block
  // reads its halo rows again.
  const index_t rows = std::min(
      r1 - r0,
      std::max<index_t>(
          {8 * halo, 1,
           o.tile_rows > 0
               ? o.tile_rows
               : (index_t{1} << 24) / std::max<index_t>(1, row_len * static_cast<index_t>(n * sizeof(S)))}));
  std::vector<Array> comps;
  for (std::size_t k = 0; k < n; ++k) {
    Shape block = shape;
    block[0] = rows;
    comps.push_back(Array::uninitialized(dtype_of_v<S>, block));
  }
  const std::vector<int> order = axis_order(axes);
  for (index_t t0 = r0; t0 < r1; t0 += rows) {
    const index_t t1 = std::min(r1, t0 + rows);
    Shape sub = shape;
    sub[0] = t1 - t0;
    std::vector<ArrayView<S>> views;
    for (auto& c : comps) views.emplace_back(static_cast<S*>(c.data()), sub);
    detail::filtered_gradient_into<In, S>(f, views, g, t0, t1);
    std::vector<const S*> block;
    for (const auto& v : views) block.push_back(v.data());
    maps_from_components<S, Out>(block, (t0 - r0) * row_len, (t1 - t0) * row_len, order, o, sink);
  }
}

void check_map_axes(bool direction, bool elevation, bool normals, int n, const char* who) {
  if (direction && n != 2 && n != 3)
    throw InvalidArgument(std::string(who) + ": a direction needs 2 or 3 selected axes, got " +
                          std::to_string(n) + " (select axes, or ask for the magnitude only)");
  if (elevation && n != 3)
    throw InvalidArgument(std::string(who) + ": an elevation needs 3 selected axes, got " +
                          std::to_string(n));
  if (normals && n < 2) throw InvalidArgument(std::string(who) + ": normals need at least 2 selected axes");
}

/// Allocates the maps `o` asks for and returns views of them in MapSink's slot order.
template <class Out>
std::vector<ArrayView<Out>> allocate_maps(EdgeMaps& maps, const EdgeOptions& o, int n, DType out_type,
                                          const Shape& shape) {
  check_map_axes(o.direction, false, o.normals, n, "edges");
  if (o.magnitude) maps.magnitude = Array::uninitialized(out_type, shape);
  if (o.direction) maps.direction = Array::uninitialized(out_type, shape);
  if (o.direction && n == 3) maps.elevation = Array::uninitialized(out_type, shape);
  if (o.normals)
    for (int k = 0; k < n; ++k) maps.normals.push_back(Array::uninitialized(out_type, shape));
  auto view = [](Array& a) { return a.empty() ? ArrayView<Out>() : a.view<Out>(); };
  std::vector<ArrayView<Out>> slots{view(maps.magnitude), view(maps.direction), view(maps.elevation)};
  for (auto& a : maps.normals) slots.push_back(view(a));
  return slots;
}

/// Integer input of at most 16 bits, float32 maps, and on every selected axis a uniform step
/// dx = ±2^e (|e| <= 58; the default 1 among them): every component numpy computes in float64 — the
/// central (x2 - x0) / (2. * dx), the first-order edge (x1 - x0) / dx, the second-order edge
/// a*x0 + b*x1 + c*x2 with a, b, c in {±0.5, ±1.5, ±2} / dx — is an integer below 2^19 times a power
/// of two, hence exactly a float32. The components can then be held as float32 without changing a
/// bit: the magnitude is the same double sum of squares rounded once, and the direction takes the
/// float32 atan2 (within its bound of the exact angle of the same values) instead of a float64
/// atan2 rounded to float32 — half the bytes per tile and twice the lanes per vector.
/// tests/test_integer_path.cpp checks the premise against numpy over every value of the domain.
template <class In, class Out>
bool components_exact_in_float32(const std::vector<detail::AxisPlan>& plans) {
  if constexpr (std::is_integral_v<In> && sizeof(In) <= 2 && std::is_same_v<Out, float>) {
    for (const auto& p : plans)
      if (!p.uniform || !detail::is_exact_reciprocal(p.dx) || !detail::is_exact_reciprocal(2. * p.dx))
        return false;
    return true;
  }
  return false;
}

/// Within components_exact_in_float32, 8-bit input and steps 2^e with |e| <= 50: every component is
/// k * 2^(-e-1) with |k| < 2^11 (a central difference is at most 255, a second-order edge
/// 0.5 * 4 * 255 in magnitude, in halves), so its square has at most 22 significant bits and the sum
/// of two at most 23, all within float32's normal range: exact in float32. The float32 square root
/// of that exact sum is then the correctly rounded root, which is also what the float64 root
/// rounded to float32 gives (the double rounding is innocuous: 53 >= 2 * 24 + 2). So the magnitude
/// can be computed in float32 lanes with numpy's bits (proved by IntegerPath tests over every pair
/// of the domain's values).
template <class In, class Out>
bool squares_exact_in_float32(const std::vector<detail::AxisPlan>& plans) {
  if constexpr (std::is_integral_v<In> && sizeof(In) == 1 && std::is_same_v<Out, float>) {
    if (!components_exact_in_float32<In, Out>(plans)) return false;
    for (const auto& p : plans) {
      int e = 0;
      std::frexp(p.dx, &e);  // |dx| = 2^(e-1)
      if (std::abs(e - 1) > 50) return false;
    }
    return true;
  }
  return false;
}

/// The fused pass: tiles of whole axis-0 rows sized to stay in L2 with all their components.
template <class In, class S, class Out>
void fused_maps(ConstArrayView<In> f, const std::vector<detail::AxisPlan>& plans,
                const std::vector<int>& order, const EdgeOptions& o, const MapSink<Out>& sink, index_t r0,
                index_t r1) {
  const int n = static_cast<int>(plans.size());
  const In* in = f.data();
  const Shape& shape = f.extents();
  const Shape& strides = f.strides();
  const index_t n0 = shape[0];
  const index_t per_row = f.size() / n0;
  index_t tile = o.tile_rows;
  if (tile <= 0) {
    const index_t budget = 512 * 1024;
    tile = std::max<index_t>(1, budget / std::max<index_t>(1, per_row * n * static_cast<index_t>(sizeof(S))));
  }
  const index_t tiles = (r1 - r0 + tile - 1) / tile;
  const bool exact_squares = std::is_same_v<S, float> && squares_exact_in_float32<In, Out>(plans);
  tbb::parallel_for(tbb::blocked_range<index_t>(0, tiles, 1), [&](const tbb::blocked_range<index_t>& r) {
    // One tile of components per thread, kept between calls (it only grows): a loop of edges_into
    // calls on frames of one size allocates nothing after the first. A thread holds at most one
    // tile per component type (about 512 KiB, or one axis-0 row when a row is larger).
    static thread_local std::vector<S> buf;
    for (index_t t = r.begin(); t < r.end(); ++t) {
      const index_t t0 = r0 + t * tile, t1 = std::min(r1, t0 + tile);
      const index_t count = (t1 - t0) * per_row;
      buf.resize(static_cast<std::size_t>(count * n));
      Shape tile_shape = shape;
      tile_shape[0] = t1 - t0;
      const Shape tile_strides = c_strides(tile_shape);
      std::vector<const S*> c;
      for (int k = 0; k < n; ++k) {
        S* dst = buf.data() + k * count;
        detail::diff_axis_range<In, S>(in, shape, strides, dst, tile_strides,
                                       plans[static_cast<std::size_t>(k)], t0, t1);
        c.push_back(dst);
      }
      sink.write((t0 - r0) * per_row, count, c,
                 [&](const std::vector<const S*>& cc, index_t len, const MapPtrs<Out>& p) {
                   polar_block<S, Out>(cc, order, len, o, p, exact_squares);
                 });
    }
  });
}

template <class In>
std::vector<detail::AxisPlan> edge_plans(ConstArrayView<In> f, const EdgeOptions& o, const char* who) {
  detail::check_view_data(f, who, "the input");
  auto plans = detail::plan_gradient(dtype_of_v<In>, f.extents(), o.gradient);
  if (plans.empty()) throw InvalidArgument(std::string(who) + ": no axes selected");
  if (plans.size() > 16) throw InvalidArgument(std::string(who) + ": at most 16 axes");
  return plans;
}

std::vector<int> plan_axes(const std::vector<detail::AxisPlan>& plans) {
  std::vector<int> axes;
  for (const auto& p : plans) axes.push_back(p.axis);
  return axes;
}

/// edges() with the components held as S: numpy's result type, or float32 where that is exact.
/// The fused and the unfused (components requested) paths hold the same S, so they agree bit for bit.
template <class In, class S, class Out>
EdgeMaps edges_held(ConstArrayView<In> f, const EdgeOptions& o, DType out_type,
                    const std::vector<detail::AxisPlan>& plans) {
  const int n = static_cast<int>(plans.size());
  const std::vector<int> order = axis_order(plan_axes(plans));
  EdgeMaps maps;
  const Shape& shape = f.extents();
  const MapSink<Out> sink(allocate_maps<Out>(maps, o, n, out_type, shape), shape);
  if (f.size() == 0) return maps;

  if (o.components) {
    // Unfused: the components first (also returned), then the maps from them.
    std::vector<Array> comps_s;
    for (int k = 0; k < n; ++k) comps_s.push_back(Array::uninitialized(dtype_of_v<S>, shape));
    std::vector<ArrayView<S>> views;
    for (auto& a : comps_s) views.push_back(a.view<S>());
    gradient_into<In, S>(f, views, o.gradient);
    maps_from_components<S, Out>(comps_s, order, o, sink);
    for (auto& a : comps_s) maps.components.push_back(out_type == a.dtype() ? a : astype(a, out_type));
    return maps;
  }
  fused_maps<In, S, Out>(f, plans, order, o, sink, 0, shape[0]);
  return maps;
}

template <class In, class Out>
EdgeMaps edges_typed(ConstArrayView<In> f, const EdgeOptions& o, DType out_type) {
  const auto plans = edge_plans(f, o, "edges");
  if (components_exact_in_float32<In, Out>(plans)) return edges_held<In, float, Out>(f, o, out_type, plans);
  return edges_held<In, result_t<In>, Out>(f, o, out_type, plans);
}

template <class S, class Out>
EdgeMaps from_components_typed(const std::vector<Array>& comps, const std::vector<int>& axes,
                               const EdgeOptions& o, DType out_type) {
  EdgeMaps maps;
  const Shape& shape = comps.front().shape();
  const MapSink<Out> sink(allocate_maps<Out>(maps, o, static_cast<int>(comps.size()), out_type, shape),
                          shape);
  if (comps.front().size() == 0) return maps;
  maps_from_components<S, Out>(comps, axis_order(axes), o, sink);
  return maps;
}

}  // namespace

EdgeMaps edges_from_components(const std::vector<Array>& components, const std::vector<int>& axes,
                               const EdgeOptions& options) {
  if (components.empty() || components.size() != axes.size() || components.size() > 16)
    throw InvalidArgument("edges_from_components: " + std::to_string(components.size()) + " components for " +
                          std::to_string(axes.size()) + " axes");
  const DType s = components.front().dtype();
  for (const auto& c : components)
    if (c.dtype() != s || c.shape() != components.front().shape() || !is_floating(s))
      throw InvalidArgument("edges_from_components: components must share one float dtype and shape");
  const DType out_type = options.gradient.dtype.value_or(s);
  return visit_dtype(s, [&](auto s_tag) {
    using S = decltype(s_tag);
    return visit_dtype(out_type, [&](auto out_tag) -> EdgeMaps {
      using Out = decltype(out_tag);
      if constexpr (std::is_same_v<S, float16_t> || std::is_same_v<S, float> || std::is_same_v<S, double>) {
        if constexpr (std::is_same_v<Out, float16_t> || std::is_same_v<Out, float> ||
                      std::is_same_v<Out, double>)
          return from_components_typed<S, Out>(components, axes, options, out_type);
      }
      throw InvalidArgument("edges_from_components: float dtypes only");
    });
  });
}

std::vector<Array> to_physical_frame(const std::vector<Array>& components,
                                     const std::vector<double>& direction) {
  const std::size_t n = components.size();
  if (n == 0 || direction.size() != n * n)
    throw InvalidArgument("to_physical_frame: " + std::to_string(n) + " components need a " +
                          std::to_string(n) + "x" + std::to_string(n) + " direction matrix, got " +
                          std::to_string(direction.size()) + " values");
  // M = D^-T by Gauss-Jordan on [D^T | I]; n is at most 3 or 4.
  std::vector<double> a(n * n), m(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) a[i * n + j] = direction[j * n + i];
  for (std::size_t i = 0; i < n; ++i) m[i * n + i] = 1.0;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r * n + c]) > std::fabs(a[piv * n + c])) piv = r;
    if (std::fabs(a[piv * n + c]) < 1e-12)
      throw InvalidArgument("to_physical_frame: the direction matrix is singular");
    for (std::size_t j = 0; j < n; ++j)
      std::swap(a[c * n + j], a[piv * n + j]), std::swap(m[c * n + j], m[piv * n + j]);
    const double d = a[c * n + c];
    for (std::size_t j = 0; j < n; ++j) a[c * n + j] /= d, m[c * n + j] /= d;
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double fct = a[r * n + c];
      for (std::size_t j = 0; j < n; ++j)
        a[r * n + j] -= fct * a[c * n + j], m[r * n + j] -= fct * m[c * n + j];
    }
  }
  std::vector<Array> world;
  std::vector<Array> in64;
  for (const auto& c : components) {
    if (c.shape() != components.front().shape() || !is_floating(c.dtype()))
      throw InvalidArgument("to_physical_frame: components must be float arrays of one shape");
    in64.push_back(astype(c, DType::float64));
  }
  const index_t count = in64.front().size();
  for (std::size_t i = 0; i < n; ++i) {
    Array w = Array::uninitialized(DType::float64, in64.front().shape());
    double* out = static_cast<double*>(w.data());
    for (index_t s = 0; s < count; ++s) {
      double acc = 0.0;
      for (std::size_t j = 0; j < n; ++j) acc += m[i * n + j] * static_cast<const double*>(in64[j].data())[s];
      out[s] = acc;
    }
    world.push_back(components[i].dtype() == DType::float64 ? w : astype(w, components[i].dtype()));
  }
  return world;
}

template <class T>
EdgeMaps edges(ConstArrayView<T> f, const EdgeOptions& options) {
  using In = std::remove_const_t<T>;
  const DType out_type = gradient_dtype(dtype_of_v<In>, options.gradient);
  if (detail::is_filtered(options.gradient) && !options.components) {
    // The padded operators' blockwise pass; components in the maps' dtype, as the path below.
    const std::vector<int> axes = detail::filtered_axes(f.extents(), options.gradient);
    return detail::with_threads(options.gradient.threads, "edges", [&] {
      return visit_dtype(out_type, [&](auto out_tag) -> EdgeMaps {
        using Out = decltype(out_tag);
        if constexpr (std::is_same_v<Out, float16_t> || std::is_same_v<Out, float> ||
                      std::is_same_v<Out, double>) {
          EdgeMaps maps;
          const MapSink<Out> sink(
              allocate_maps<Out>(maps, options, static_cast<int>(axes.size()), out_type, f.extents()),
              f.extents());
          if (f.size() > 0) filtered_maps<In, Out, Out>(f, axes, options, sink, 0, f.extent(0));
          return maps;
        } else {
          throw InvalidArgument("edges: output dtype must be a float type");
        }
      });
    });
  }
  if (detail::is_filtered(options.gradient)) {
    // Components asked for: computed in full, then the maps from them.
    std::vector<Array> components = gradient(f, options.gradient);
    EdgeOptions o = options;
    o.components = false;
    EdgeMaps maps =
        edges_from_components(components, detail::filtered_axes(f.extents(), options.gradient), o);
    if (options.components) maps.components = std::move(components);
    return maps;
  }
  return detail::with_threads(options.gradient.threads, "edges", [&] {
    return visit_dtype(out_type, [&](auto out_tag) -> EdgeMaps {
      using Out = decltype(out_tag);
      if constexpr (std::is_same_v<Out, float16_t> || std::is_same_v<Out, float> ||
                    std::is_same_v<Out, double>)
        return edges_typed<In, Out>(f, options, out_type);
      else
        throw InvalidArgument("edges: output dtype must be a float type");
    });
  });
}

namespace {

/// edges_into and edges_rows_into: rows [r0, r1) of axis 0 (all of them for edges_into, r1 < 0),
/// into maps of that many rows.
template <class T, class Out>
void maps_into(ConstArrayView<T> f, const EdgeViews<Out>& out, const EdgeOptions& options, index_t r0,
               index_t r1, const char* who) {
  using In = std::remove_const_t<T>;
  using S = result_t<In>;
  const std::string me = who;
  if (options.components)
    throw InvalidArgument(me + ": EdgeOptions::components is set; " + me +
                          " writes maps only (use gradient_into for the components)");
  if (options.gradient.dtype && *options.gradient.dtype != dtype_of_v<Out>)
    throw InvalidArgument(me + ": options.gradient.dtype is " + dtype_name(*options.gradient.dtype) +
                          " but the output views hold " + dtype_name(dtype_of_v<Out>));
  Shape want = f.extents();
  if (r1 >= 0) {
    if (f.rank() < 1) throw InvalidArgument(me + ": the array must have at least one dimension");
    if (r0 < 0 || r0 > r1 || r1 > f.extent(0))
      throw InvalidArgument(me + ": rows [" + std::to_string(r0) + ", " + std::to_string(r1) +
                            ") are not within the " + std::to_string(f.extent(0)) + " rows of axis 0");
    want[0] = r1 - r0;
  }
  // numpy.gradient's fused pass (plans), or a padded operator's blocks of rows (filtered_maps).
  const bool filtered = detail::is_filtered(options.gradient);
  std::vector<detail::AxisPlan> plans;
  std::vector<int> axes;
  if (filtered) {
    detail::check_view_data(f, who, "the input");
    axes = detail::filtered_axes(f.extents(), options.gradient);
    if (axes.empty()) throw InvalidArgument(me + ": no axes selected");
  } else {
    plans = edge_plans(f, options, who);
    axes = plan_axes(plans);
  }
  const int n = static_cast<int>(axes.size());
  std::vector<ArrayView<Out>> slots{out.magnitude, out.direction, out.elevation};
  std::vector<std::string> names{"the magnitude view", "the direction view", "the elevation view"};
  for (std::size_t k = 0; k < out.normals.size(); ++k) {
    slots.push_back(out.normals[k]);
    names.push_back("normals view " + std::to_string(k));
  }
  using Sink = MapSink<Out>;
  check_map_axes(Sink::wanted(out.direction), Sink::wanted(out.elevation), !out.normals.empty(), n, who);
  if (!out.normals.empty() && static_cast<int>(out.normals.size()) != n)
    throw InvalidArgument(me + ": " + std::to_string(out.normals.size()) + " normals views for " +
                          std::to_string(n) + " selected axes (give none or one per axis)");
  bool any = false;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    if (!Sink::wanted(slots[k])) continue;
    any = true;
    if (slots[k].extents() != want)
      throw ShapeError(me + ": " + names[k] + " has shape " + shape_string(slots[k].extents()) + ", " +
                       (r1 >= 0 ? "the rows " : "the input ") + shape_string(want));
    detail::check_view_data(slots[k], who, names[k]);
    detail::check_disjoint(slots[k], names[k], f, "the input", who);
    for (std::size_t j = 0; j < k; ++j)
      if (Sink::wanted(slots[j])) detail::check_disjoint(slots[j], names[j], slots[k], names[k], who);
  }
  if (!any || f.size() == 0 || shape_size(want) == 0) return;
  const Sink sink(std::move(slots), want);
  const index_t begin = r1 >= 0 ? r0 : 0, end = r1 >= 0 ? r1 : f.extent(0);
  if (filtered) {
    // Components in the maps' dtype, as edges() holds them for these operators (before, edges_into
    // held them in numpy's type and differed from edges() for integer inputs: test_rows.cpp).
    detail::with_threads(options.gradient.threads, who,
                         [&] { filtered_maps<In, Out, Out>(f, axes, options, sink, begin, end); });
    return;
  }
  detail::with_threads(options.gradient.threads, who, [&] {
    if (components_exact_in_float32<In, Out>(plans))
      fused_maps<In, float, Out>(f, plans, axis_order(plan_axes(plans)), options, sink, begin, end);
    else
      fused_maps<In, S, Out>(f, plans, axis_order(plan_axes(plans)), options, sink, begin, end);
  });
}

}  // namespace

template <class T, class Out>
void edges_into(ConstArrayView<T> f, const EdgeViews<Out>& out, const EdgeOptions& options) {
  maps_into<T, Out>(f, out, options, 0, -1, "edges_into");
}

template <class T, class Out>
void edges_rows_into(ConstArrayView<T> f, index_t row_begin, index_t row_end, const EdgeViews<Out>& out,
                     const EdgeOptions& options) {
  maps_into<T, Out>(f, out, options, row_begin, row_end, "edges_rows_into");
}

EdgeMaps edges(const Array& f, const EdgeOptions& options) {
  return visit_dtype(f.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return edges<T>(f.view<T>(), options);
  });
}

#define GRADMAP_INSTANTIATE(T)                                                                            \
  template EdgeMaps edges<T>(ConstArrayView<T>, const EdgeOptions&);                                      \
  template void edges_into<T, float16_t>(ConstArrayView<T>, const EdgeViews<float16_t>&,                  \
                                         const EdgeOptions&);                                             \
  template void edges_into<T, float>(ConstArrayView<T>, const EdgeViews<float>&, const EdgeOptions&);     \
  template void edges_into<T, double>(ConstArrayView<T>, const EdgeViews<double>&, const EdgeOptions&);   \
  template void edges_rows_into<T, float16_t>(ConstArrayView<T>, index_t, index_t,                        \
                                              const EdgeViews<float16_t>&, const EdgeOptions&);           \
  template void edges_rows_into<T, float>(ConstArrayView<T>, index_t, index_t, const EdgeViews<float>&,   \
                                          const EdgeOptions&);                                            \
  template void edges_rows_into<T, double>(ConstArrayView<T>, index_t, index_t, const EdgeViews<double>&, \
                                           const EdgeOptions&);
GRADMAP_FOR_EACH_DTYPE(GRADMAP_INSTANTIATE)
#undef GRADMAP_INSTANTIATE

Array gradient_magnitude(const Array& f, const GradientOptions& options) {
  EdgeOptions o;
  o.gradient = options;
  o.direction = false;
  return edges(f, o).magnitude;
}

}  // namespace gradmap
