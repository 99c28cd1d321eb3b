// SPDX-License-Identifier: MIT
// Display maps: float values → 8/16-bit levels by one affine map chosen once per call from the
// Normalization, then clipped (never wrapped) and rounded half up. Everything is computed in double,
// so the levels do not depend on the input's float type beyond its own rounding.
#include "gradmap/render.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "core/isa_clones.hpp"
#include "core/numeric.hpp"

namespace gradmap {
namespace {

// Elements per parallel task: large enough that TBB's overhead is noise next to the loop body.
constexpr index_t kGrain = index_t{1} << 16;

/// Any element as a double (numpy's float16 widened exactly).
template <class T>
inline double load(const T& v) {
  return detail::cvt<double>(v);
}

// to_chars gives the shortest text that reads back to the same double, and neither it nor
// from_chars depends on the C locale (a German locale must not turn "99.5" into an error).
std::string shortest(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

bool parse_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  const auto res = std::from_chars(first, last, v);
  return res.ec == std::errc() && res.ptr == last;
}

int check_bit_depth(int bit_depth, const char* who) {
  if (bit_depth != 8 && bit_depth != 16)
    throw InvalidArgument(std::string(who) + ": bit depth must be 8 or 16, got " + std::to_string(bit_depth));
  return bit_depth;
}

DType level_dtype(int bit_depth) { return bit_depth == 8 ? DType::uint8 : DType::uint16; }

/// The affine map from data values to output levels, chosen once per call:
///   x = base + (v*k - lo*k) / span * scale, clipped to [0, top], rounded half up; NaN → 0.
/// Dividing by the span (rather than multiplying by a precomputed top/span) makes the ends and
/// the middle of the range exact: hi → exactly top, and a value halfway (0 in [-m, m], 0 in
/// [-π, π]) → exactly top/2, so mid-gray does not depend on an ulp. k is 1, or 0.5 when hi - lo
/// overflows (±1e308 data): halving both terms is exact for normal doubles and keeps the
/// difference finite. When the range has no width (constant data, or a percentile of 0 in a
/// sparse map) the map is a step: below lo → 0, at lo → base, above → top; so a value above the
/// clip level still shows as full scale.
struct LevelMap {
  double lo = 0;
  double hi = 0;  // the value at level top (for DisplayScale; the loops use span)
  double k = 1;
  double span = 1;
  double scale = 1;
  double base = 0;
  double top = 255;
  bool step = false;

  double level(double v) const {
    if (std::isnan(v)) return 0;
    double x;
    if (step)
      x = v > lo ? top : (v < lo ? 0.0 : base);
    else
      x = base + (v * k - lo * k) / span * scale;
    return std::min(std::max(x, 0.0), top);
  }
};

/// Maps [lo, hi] onto [0, top].
LevelMap range_map(double lo, double hi, double top) {
  LevelMap m;
  m.lo = lo;
  m.hi = hi > lo ? hi : lo;
  m.top = top;
  m.scale = top;
  if (!(hi > lo)) {
    m.step = true;
    return m;
  }
  if (!std::isfinite(hi - lo)) m.k = 0.5;
  m.span = hi * m.k - lo * m.k;
  return m;
}

/// Maps [-m, m] onto [0, top] with 0 exactly at top/2 (so at level top/2 + 1/2 after rounding half
/// up: 128 of 255, 32768 of 65535).
LevelMap symmetric_map(double m_abs, double top) {
  LevelMap m;
  m.top = top;
  m.base = top / 2;
  m.scale = top / 2;
  m.span = m_abs;
  m.hi = m_abs > 0 ? m_abs : 0;
  if (!(m_abs > 0)) m.step = true;
  return m;
}

struct MinMax {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  bool any() const { return lo <= hi; }
};

template <class T>
MinMax finite_min_max(const T* p, index_t n) {
  return tbb::parallel_reduce(
      tbb::blocked_range<index_t>(0, n, kGrain), MinMax{},
      [&](const tbb::blocked_range<index_t>& r, MinMax acc) {
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          // Branch-free, in T (min and max are exact in any precision), so that it vectorizes:
          // v - v is 0 for finite v and NaN for ±Inf and NaN, which then select ±Inf instead.
          T lo = std::numeric_limits<T>::infinity(), hi = -lo;
          for (index_t i = r.begin(); i < r.end(); ++i) {
            const T v = p[i];
            const bool finite = v - v == 0;
            lo = std::min(lo, finite ? v : std::numeric_limits<T>::infinity());
            hi = std::max(hi, finite ? v : -std::numeric_limits<T>::infinity());
          }
          acc.lo = std::min(acc.lo, static_cast<double>(lo));
          acc.hi = std::max(acc.hi, static_cast<double>(hi));
        } else {
          for (index_t i = r.begin(); i < r.end(); ++i) {
            const double v = load(p[i]);
            if (!std::isfinite(v)) continue;
            acc.lo = std::min(acc.lo, v);
            acc.hi = std::max(acc.hi, v);
          }
        }
        return acc;
      },
      [](MinMax a, const MinMax& b) {
        a.lo = std::min(a.lo, b.lo);
        a.hi = std::max(a.hi, b.hi);
        return a;
      });
}

/// Where numpy.percentile(..., method="linear") of `count` values falls: virtual index
/// (count-1)·P/100 between the order statistics `below` and `above` (the same one at or past the
/// last value), `gamma` of the way.
struct PercentileRank {
  std::size_t below, above;
  double gamma;
};
PercentileRank percentile_rank(std::size_t count, double percent) {
  const double virtual_index = static_cast<double>(count - 1) * (percent / 100.0);
  if (virtual_index >= static_cast<double>(count - 1)) return {count - 1, count - 1, 0.0};
  const auto below = static_cast<std::size_t>(std::floor(virtual_index));
  return {below, below + 1, virtual_index - static_cast<double>(below)};
}

/// numpy 1.22+'s _lerp: from the upper neighbour for fractions ≥ 1/2, so the result is monotone.
double numpy_lerp(double lower, double upper, double gamma) {
  const double diff = upper - lower;
  return gamma >= 0.5 ? upper - diff * (1 - gamma) : lower + diff * gamma;
}

/// numpy.percentile(|v|, P) over the finite values (percentile_rank, numpy_lerp), for values that
/// float32 cannot hold exactly (int32, int64, uint32, uint64, float64; the others take
/// abs_percentile_bits). nth_element instead of a sort: O(n) for a 4096² map. NaN when there are
/// no finite values.
template <class T>
double abs_percentile(const T* p, index_t n, double percent) {
  std::vector<double> a;
  a.reserve(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    const double v = load(p[i]);
    if (std::isfinite(v)) a.push_back(std::fabs(v));
  }
  if (a.empty()) return std::numeric_limits<double>::quiet_NaN();
  const PercentileRank r = percentile_rank(a.size(), percent);
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(r.below), a.end());
  const double lower = a[r.below];
  if (r.above == r.below) return lower;  // the maximum
  // After nth_element everything past `below` is ≥ a[below]; its minimum is the next order statistic.
  const double upper = *std::min_element(a.begin() + static_cast<std::ptrdiff_t>(r.above), a.end());
  return numpy_lerp(lower, upper, r.gamma);
}

/// abs_percentile for values that are exact in float32: the same result, found by the bit patterns
/// of the |v| as float (non-negative floats order like their patterns as integers). A histogram of
/// the top 16 bits finds the bucket of each order statistic needed, a second pass the low 16 bits
/// within it: two reads of the data, no copy of it (nth_element on a copy cost 5 ms per
/// one-megapixel map, and a batch's magnitude and HSV direction maps each ask for it).
template <class T>
double abs_percentile_bits(const T* p, index_t n, double percent) {
  auto bits_of = [](double v) {
    const float f = static_cast<float>(std::fabs(v));
    std::uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
  };
  std::vector<std::uint32_t> high(std::size_t{1} << 16, 0);
  std::size_t count = 0;
  for (index_t i = 0; i < n; ++i) {
    const double v = load(p[i]);
    if (!std::isfinite(v)) continue;
    ++high[bits_of(v) >> 16];
    ++count;
  }
  if (count == 0) return std::numeric_limits<double>::quiet_NaN();
  const PercentileRank rank_of = percentile_rank(count, percent);
  const std::size_t below = rank_of.below, above = rank_of.above;
  // The buckets of ranks `below` and `above`, and how many values lie in the buckets before each.
  std::size_t bucket[2] = {0, 0}, before[2] = {0, 0};
  {
    const std::size_t rank[2] = {below, above};
    std::size_t seen = 0, b = 0;
    for (int r = 0; r < 2; ++r) {
      while (seen + high[b] <= rank[r]) seen += high[b++];
      bucket[r] = b, before[r] = seen;
    }
  }
  std::vector<std::uint32_t> low[2];
  low[0].assign(std::size_t{1} << 16, 0);
  if (bucket[1] != bucket[0]) low[1].assign(std::size_t{1} << 16, 0);
  for (index_t i = 0; i < n; ++i) {
    const double v = load(p[i]);
    if (!std::isfinite(v)) continue;
    const std::uint32_t b = bits_of(v);
    if ((b >> 16) == bucket[0])
      ++low[0][b & 0xffff];
    else if ((b >> 16) == bucket[1])
      ++low[1][b & 0xffff];
  }
  auto value = [&](std::size_t rank, int r) {
    const std::vector<std::uint32_t>& h = bucket[r] == bucket[0] ? low[0] : low[1];
    std::size_t seen = before[r], l = 0;
    while (seen + h[l] <= rank) seen += h[l++];
    const auto b = static_cast<std::uint32_t>(bucket[r] << 16 | l);
    float f;
    std::memcpy(&f, &b, sizeof f);
    return static_cast<double>(f);
  };
  const double lower = value(below, 0);
  if (above == below) return lower;  // the maximum (numpy's index n - 1)
  const double upper = value(above, 1);
  return numpy_lerp(lower, upper, rank_of.gamma);
}

template <class T>
constexpr bool fits_float() {
  return std::is_same_v<T, float> || std::is_same_v<T, float16_t> || std::is_same_v<T, std::int8_t> ||
         std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int16_t> ||
         std::is_same_v<T, std::uint16_t>;
}

/// The level map `norm` asks for on `values`.
LevelMap choose_map(const Array& values, const Normalization& norm, double top, bool signed_data) {
  return visit_dtype(values.dtype(), [&](auto tag) -> LevelMap {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(values.data());
    const index_t n = values.size();
    switch (norm.kind) {
      case Normalization::Kind::minmax: {
        const MinMax mm = finite_min_max(p, n);
        if (!mm.any()) return signed_data ? symmetric_map(0, top) : range_map(0, 0, top);
        if (signed_data) return symmetric_map(std::max(std::fabs(mm.lo), std::fabs(mm.hi)), top);
        return range_map(mm.lo, mm.hi, top);
      }
      case Normalization::Kind::percentile: {
        double clip = fits_float<T>() ? abs_percentile_bits(p, n, norm.percentile)
                                      : abs_percentile(p, n, norm.percentile);
        if (std::isnan(clip)) clip = 0;
        return signed_data ? symmetric_map(clip, top) : range_map(0, clip, top);
      }
      case Normalization::Kind::fixed:
        return signed_data ? symmetric_map(norm.max, top) : range_map(0, norm.max, top);
      case Normalization::Kind::none: {
        // Values are levels already (span and scale 1, exact), and signed data is offset by half
        // the range so that 0 is mid-gray (-128..127 → 0..255).
        LevelMap m;
        m.top = top;
        m.base = signed_data ? (top + 1) / 2 : 0;
        return m;
      }
    }
    throw InvalidArgument("display_map: unknown normalization kind");
  });
}

template <class Out>
inline Out quantize(double x) {
  // x is already clipped to [0, top], so x + 0.5 is non-negative and truncation is floor: round
  // half up that cannot leave the range. (std::floor is a libm call on baseline x86-64, which has
  // no SSE4.1 round instruction; it cost more than the rest of the loop.)
  // (int32, not uint32: x <= 65535.5, and the signed conversion is one vector instruction.)
  return static_cast<Out>(static_cast<std::int32_t>(x + 0.5));
}

void check_normalization(const Normalization& n, const char* who) {
  if (n.kind == Normalization::Kind::percentile && !(n.percentile > 0 && n.percentile <= 100))
    throw InvalidArgument(std::string(who) + ": percentile must be in (0, 100], got " +
                          shortest(n.percentile));
  if (n.kind == Normalization::Kind::fixed && !(n.max > 0 && std::isfinite(n.max)))
    throw InvalidArgument(std::string(who) + ": fixed maximum must be finite and > 0, got " +
                          shortest(n.max));
}

double level_top(int bits) { return bits == 8 ? 255.0 : 65535.0; }

/// The DisplayScale a LevelMap from choose_map stands for (see LevelMap::level).
DisplayScale scale_of(const LevelMap& m, const Normalization& norm, bool signed_data, int bits) {
  DisplayScale s;
  s.bit_depth = bits;
  s.signed_data = signed_data;
  s.normalization = norm;
  if (norm.kind == Normalization::Kind::none) {
    // level = base + v: the values are levels, shifted by base for signed data.
    s.lo = 0.0 - m.base;  // not -m.base: -0 would print as "-0"
    s.hi = m.top - m.base;
  } else if (signed_data) {
    s.lo = 0.0 - m.hi;
    s.hi = m.hi;
  } else {
    s.lo = m.lo;
    s.hi = m.hi;
  }
  return s;
}

/// The LevelMap scale_of came from, rebuilt exactly (same operations, so the same levels).
LevelMap map_of(const DisplayScale& s, const char* who) {
  const int bits = check_bit_depth(s.bit_depth, who);
  const double top = level_top(bits);
  if (!(std::isfinite(s.lo) && std::isfinite(s.hi) && s.lo <= s.hi))
    throw InvalidArgument(std::string(who) + ": the scale [" + shortest(s.lo) + ", " + shortest(s.hi) +
                          "] must be finite with lo <= hi");
  if (s.normalization.kind == Normalization::Kind::none) {
    LevelMap m;
    m.top = top;
    m.base = -s.lo;
    return m;
  }
  if (s.signed_data) return symmetric_map(s.hi, top);
  return range_map(s.lo, s.hi, top);
}

/// LevelMap::level without its branches, so that the loop vectorizes; same operations, same
/// results. std::max(0.0, x) is (0 < x ? x : 0), so a NaN level becomes 0 in the clamp itself (a
/// separate NaN test is control flow the vectorizer gives up on).
template <class In, class Out>
inline void map_levels(const In* in, Out* o, std::size_t n, const LevelMap& m) {
  const double lo_k = m.lo * m.k, k = m.k, span = m.span, scale = m.scale, base = m.base, top = m.top;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = load(in[i]);
    const double x = base + (v * k - lo_k) / span * scale;
    o[i] = quantize<Out>(std::min(std::max(0.0, x), top));
  }
}

/// map_levels for float → 8 bits, also compiled for AVX2 and AVX-512 (core/isa_clones.hpp): the
/// double division dominates and wider vectors divide more at once; the levels are the same.
GRADMAP_ISA_CLONES void map_float_to_u8(const float* in, std::uint8_t* o, std::size_t n, const LevelMap& m) {
  map_levels(in, o, n, m);
}

/// Levels of every element of `values` under `m`, as uint8/uint16 of the same shape.
Array apply_map(const Array& values, const LevelMap& m, int bit_depth) {
  Array out = Array::uninitialized(level_dtype(bit_depth), values.shape());  // every level is written
  const index_t n = values.size();
  visit_dtype(values.dtype(), [&](auto in_tag) {
    using In = decltype(in_tag);
    const In* in = static_cast<const In*>(values.data());
    auto run = [&](auto out_tag) {
      using Out = decltype(out_tag);
      Out* o = static_cast<Out*>(out.data());
      tbb::parallel_for(tbb::blocked_range<index_t>(0, n, kGrain), [&](const tbb::blocked_range<index_t>& r) {
        if (m.step) {
          for (index_t i = r.begin(); i < r.end(); ++i) o[i] = quantize<Out>(m.level(load(in[i])));
          return;
        }
        if constexpr (std::is_same_v<In, float> && std::is_same_v<Out, std::uint8_t>) {
          map_float_to_u8(in + r.begin(), o + r.begin(), r.size(), m);  // edge maps' common case
        } else {
          map_levels(in + r.begin(), o + r.begin(), r.size(), m);
        }
      });
    };
    if (bit_depth == 8)
      run(std::uint8_t{});
    else
      run(std::uint16_t{});
  });
  return out;
}

}  // namespace

Normalization Normalization::parse(const std::string& text) {
  const std::string forms =
      "expected minmax, percentile:P (0 < P <= 100, e.g. percentile:99.5), fixed:MAX (MAX > 0, e.g. "
      "fixed:255) or none";
  Normalization n;
  if (text == "minmax") {
    n.kind = Kind::minmax;
    return n;
  }
  if (text == "none") {
    n.kind = Kind::none;
    return n;
  }
  const std::size_t colon = text.find(':');
  const std::string name = text.substr(0, colon);
  if (colon != std::string::npos && (name == "percentile" || name == "fixed")) {
    const std::string arg = text.substr(colon + 1);
    double v = 0;
    if (!parse_number(arg, v))
      throw InvalidArgument("normalization '" + text + "': '" + arg + "' is not a number; " + forms);
    if (name == "percentile") {
      if (!(v > 0 && v <= 100))
        throw InvalidArgument("normalization '" + text + "': the percentile must be in (0, 100], got " + arg);
      n.kind = Kind::percentile;
      n.percentile = v;
    } else {
      if (!(v > 0 && std::isfinite(v)))
        throw InvalidArgument("normalization '" + text + "': the maximum must be finite and > 0, got " + arg);
      n.kind = Kind::fixed;
      n.max = v;
    }
    return n;
  }
  throw InvalidArgument("unknown normalization '" + text + "'; " + forms);
}

std::string Normalization::to_string() const {
  switch (kind) {
    case Kind::minmax:
      return "minmax";
    case Kind::percentile:
      return "percentile:" + shortest(percentile);
    case Kind::fixed:
      return "fixed:" + shortest(max);
    case Kind::none:
      return "none";
  }
  return "minmax";
}

Array display_map(const Array& values, const DisplayOptions& options, bool signed_data, DisplayScale* scale) {
  const int bits = check_bit_depth(options.bit_depth, "display_map");
  check_normalization(options.normalization, "display_map");
  if (values.empty() && values.size() != 0) throw InvalidArgument("display_map: empty array");
  const double top = level_top(bits);
  // An empty array has no values to choose from: the map of no finite values (what choose_map
  // gives all-NaN data), so that the scale reported is still a valid one.
  const LevelMap m = values.size() == 0 ? (signed_data ? symmetric_map(0, top) : range_map(0, 0, top))
                                        : choose_map(values, options.normalization, top, signed_data);
  if (scale) *scale = scale_of(m, options.normalization, signed_data, bits);
  if (values.size() == 0) return Array(level_dtype(bits), values.shape());
  return apply_map(values, m, bits);
}

Array apply_display_scale(const Array& values, const DisplayScale& scale) {
  const LevelMap m = map_of(scale, "apply_display_scale");
  if (values.empty() && values.size() != 0) throw InvalidArgument("apply_display_scale: empty array");
  if (values.size() == 0) return Array(level_dtype(scale.bit_depth), values.shape());
  return apply_map(values, m, scale.bit_depth);
}

std::pair<double, double> angle_interval(const AngleOptions& a) {
  constexpr double kPi = 3.141592653589793238462643383279502884;
  const double unit = a.units == AngleUnits::degrees ? 180.0 / kPi : 1.0;
  if (a.orientation && !a.compass) return {0.0, kPi * unit};
  if (a.compass || a.range == AngleRange::unsigned_range) return {0.0, 2 * kPi * unit};
  return {-kPi * unit, kPi * unit};
}

std::vector<std::pair<std::string, std::string>> display_text(const DisplayScale& scale,
                                                              const std::string& quantity,
                                                              const std::string& units) {
  std::vector<std::pair<std::string, std::string>> t;
  t.emplace_back("gradmap:quantity", quantity);
  if (!units.empty()) t.emplace_back("gradmap:units", units);
  t.emplace_back("gradmap:value_at_0", shortest(scale.lo));
  t.emplace_back("gradmap:value_at_max", shortest(scale.hi));
  t.emplace_back("gradmap:max_level", shortest(scale.level_max()));
  t.emplace_back("gradmap:normalize", scale.normalization.to_string());
  if (scale.hue_period > 0) {
    t.emplace_back("gradmap:hue_period", shortest(scale.hue_period));
    t.emplace_back(
        "gradmap:mapping",
        "hue = " + quantity +
            " / hue_period turns, red at 0; brightness V = max(R, G, B) gives the "
            "magnitude = value_at_0 + V / max_level * (value_at_max - value_at_0); V = max_level also holds "
            "magnitudes above value_at_max");
  } else {
    t.emplace_back(
        "gradmap:mapping",
        "value = value_at_0 + level / max_level * (value_at_max - value_at_0), to half a level; level 0 "
        "also holds values below value_at_0 and NaN, level max_level values above value_at_max");
  }
  return t;
}

namespace {

/// HSV pixels with S = 1: the brightest channel is V, the darkest 0, the third ramps between them
/// across each 60° sector. V is the level the magnitude gets in display_map, so the V channel
/// equals the gray magnitude map and flat regions are black. Written without branches (selects
/// only, as map_levels) so that the loop vectorizes; `step` maps take LevelMap::level.
template <bool step, class D, class M, class Out>
inline void hsv_pixels(const D* dir, const M* mag, Out* r, Out* g, Out* b, std::size_t n, const LevelMap& m,
                       double period) {
  const double lo_k = m.lo * m.k, k = m.k, span = m.span, scale = m.scale, base = m.base, top = m.top;
  for (std::size_t i = 0; i < n; ++i) {
    double value;
    if constexpr (step) {
      value = m.level(load(mag[i]));
    } else {
      const double x = base + (load(mag[i]) * k - lo_k) / span * scale;
      value = std::min(std::max(0.0, x), top);  // a NaN level is 0 (see map_levels)
    }
    // The hue: x - floor(x) in [0, 1) (negative angles continue around the wheel). x - trunc(x)
    // is exact; NaN for an infinite or NaN angle, which has no direction to show: black.
    const double x = load(dir[i]) / period;
    const double t = x - std::trunc(x);
    double h = t < 0 ? t + 1 : t;
    value = h == h ? value : 0.0;
    h = h < 1 ? h : 0.0;  // -tiny / period + 1 rounds up to 1.0; NaN
    const double h6 = h * 6;
    const double sector = std::min(5.0, std::trunc(h6));  // 0 .. 5, in double lanes as the rest
    const double f = h6 - sector;
    const double rise = value * f, fall = value * (1 - f);
    double red = 0.0, green = 0.0, blue = 0.0;  // one select per sector (chained ternaries do not vectorize)
    red = sector == 1.0 ? fall : red;
    red = sector == 4.0 ? rise : red;
    red = (sector == 0.0) | (sector == 5.0) ? value : red;
    green = sector == 0.0 ? rise : green;
    green = sector == 3.0 ? fall : green;
    green = (sector == 1.0) | (sector == 2.0) ? value : green;
    blue = sector == 2.0 ? rise : blue;
    blue = sector == 5.0 ? fall : blue;
    blue = (sector == 3.0) | (sector == 4.0) ? value : blue;
    r[i] = quantize<Out>(red);
    g[i] = quantize<Out>(green);
    b[i] = quantize<Out>(blue);
  }
}

/// hsv_pixels for float32 maps → 8 bits (every edges run with the default HSV direction), also
/// compiled for AVX2 and AVX-512 (core/isa_clones.hpp): the same levels, more at once.
GRADMAP_ISA_CLONES void hsv_float_to_u8(const float* dir, const float* mag, std::uint8_t* o, std::size_t n,
                                        const LevelMap& m, double period) {
  // In chunks through three int32 planes, then interleaved into bytes: vectorized with byte
  // stores (32 pixels a step, in double lanes) the loop spilled most of its registers.
  constexpr std::size_t kChunk = 256;
  std::int32_t planes[3][kChunk];
  for (std::size_t c0 = 0; c0 < n; c0 += kChunk) {
    const std::size_t k = std::min(kChunk, n - c0);
    hsv_pixels<false>(dir + c0, mag + c0, planes[0], planes[1], planes[2], k, m, period);
    std::uint8_t* rgb = o + 3 * c0;
    for (std::size_t i = 0; i < k; ++i) {
      rgb[3 * i] = static_cast<std::uint8_t>(planes[0][i]);  // levels 0..255
      rgb[3 * i + 1] = static_cast<std::uint8_t>(planes[1][i]);
      rgb[3 * i + 2] = static_cast<std::uint8_t>(planes[2][i]);
    }
  }
}

/// direction_hsv's checks, then its pixels with the brightness map given.
Array hsv_levels(const Array& direction, const Array& magnitude, const LevelMap& value_map, int bits,
                 double period) {
  if (!(period > 0 && std::isfinite(period)))
    throw InvalidArgument("direction_hsv: the angle period must be finite and > 0 (2π, π, 360 or 180), got " +
                          shortest(period));
  if (direction.shape() != magnitude.shape())
    throw ShapeError("direction_hsv: direction " + shape_string(direction.shape()) + " and magnitude " +
                     shape_string(magnitude.shape()) + " must have the same shape");
  if (direction.empty() && direction.size() != 0)
    throw InvalidArgument("direction_hsv: empty direction array");
  Shape out_shape = direction.shape();
  out_shape.push_back(3);
  Array out = Array::uninitialized(level_dtype(bits), out_shape);  // every pixel is written
  const index_t n = direction.size();
  if (n == 0) return out;

  visit_dtype(direction.dtype(), [&](auto dir_tag) {
    using D = decltype(dir_tag);
    visit_dtype(magnitude.dtype(), [&](auto mag_tag) {
      using M = decltype(mag_tag);
      const D* dir = static_cast<const D*>(direction.data());
      const M* mag = static_cast<const M*>(magnitude.data());
      auto run = [&](auto out_tag) {
        using Out = decltype(out_tag);
        Out* o = static_cast<Out*>(out.data());
        tbb::parallel_for(tbb::blocked_range<index_t>(0, n, kGrain),
                          [&](const tbb::blocked_range<index_t>& r) {
                            const auto count = static_cast<std::size_t>(r.size());
                            if (value_map.step) {
                              for (index_t i = r.begin(); i < r.end(); ++i) {
                                hsv_pixels<true>(dir + i, mag + i, o + 3 * i, o + 3 * i + 1, o + 3 * i + 2, 1,
                                                 value_map, period);
                              }
                            } else if constexpr (std::is_same_v<D, float> && std::is_same_v<M, float> &&
                                                 std::is_same_v<Out, std::uint8_t>) {
                              hsv_float_to_u8(dir + r.begin(), mag + r.begin(), o + 3 * r.begin(), count,
                                              value_map, period);
                            } else {
                              for (index_t i = r.begin(); i < r.end(); ++i)
                                hsv_pixels<false>(dir + i, mag + i, o + 3 * i, o + 3 * i + 1, o + 3 * i + 2,
                                                  1, value_map, period);
                            }
                          });
      };
      if (bits == 8)
        run(std::uint8_t{});
      else
        run(std::uint16_t{});
    });
  });
  return out;
}

}  // namespace

Array direction_hsv(const Array& direction, const Array& magnitude, const DisplayOptions& options,
                    double period, DisplayScale* scale) {
  const int bits = check_bit_depth(options.bit_depth, "direction_hsv");
  check_normalization(options.normalization, "direction_hsv");
  const double top = level_top(bits);
  // Mismatched shapes are hsv_levels' error to report; no magnitude to scale by them (or none at all).
  const bool usable = direction.shape() == magnitude.shape() && magnitude.size() != 0;
  const LevelMap value_map =
      usable ? choose_map(magnitude, options.normalization, top, false) : range_map(0, 0, top);
  Array out = hsv_levels(direction, magnitude, value_map, bits, period);
  if (scale) {
    *scale = scale_of(value_map, options.normalization, false, bits);
    scale->hue_period = period;
  }
  return out;
}

Array direction_hsv(const Array& direction, const Array& magnitude, const DisplayScale& brightness,
                    double period) {
  const LevelMap value_map = map_of(brightness, "direction_hsv");
  return hsv_levels(direction, magnitude, value_map, brightness.bit_depth, period);
}

Array direction_gray(const Array& direction, double lo, double hi, int bit_depth, DisplayScale* scale) {
  const int bits = check_bit_depth(bit_depth, "direction_gray");
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi))
    throw InvalidArgument("direction_gray: the angle range [lo, hi] must be finite with lo < hi, got [" +
                          shortest(lo) + ", " + shortest(hi) + "]");
  if (direction.empty() && direction.size() != 0)
    throw InvalidArgument("direction_gray: empty direction array");
  const double top = level_top(bits);
  if (scale) {
    *scale = DisplayScale{};
    scale->lo = lo;
    scale->hi = hi;
    scale->bit_depth = bits;
    scale->normalization.kind = Normalization::Kind::fixed;
    scale->normalization.max = hi;
  }
  if (direction.size() == 0) return Array(level_dtype(bits), direction.shape());
  return apply_map(direction, range_map(lo, hi, top), bits);
}

}  // namespace gradmap
