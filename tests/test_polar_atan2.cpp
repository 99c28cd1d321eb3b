// SPDX-License-Identifier: MIT
// The float32 direction (gradmap's own atan2, lib/src/edges/atan2_lanes.hpp) against the exact
// angle. Its only input-dependent rounding is t = min(|x|,|y|) / max(|x|,|y|); every later step is a
// function of the float t and the octant. So running every float t in [0, 1] through the four
// octant compositions, against the exact angle of every real ratio that rounds to t, proves the
// bound for every input pair. A stratified sweep of inputs of all exponents and quadrants checks
// that premise against glibc's float64 atan2 (within 1 float64 ulp, i.e. 2^-29 float32 ulp); C's
// results bit for bit on zeros, infinities, NaN and subnormals. Reached through the public
// edges_from_components (direction only), which runs the SIMD variant this machine uses.
#include <gtest/gtest.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "edges/polar_simd.hpp"
#include "gradmap/edges.hpp"

using namespace gradmap;

namespace {

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

/// gradmap's float32 direction of (y, x), sample by sample.
std::vector<float> direction(const std::vector<float>& y, const std::vector<float>& x) {
  const auto n = static_cast<index_t>(y.size());
  Array gy(DType::float32, {n}), gx(DType::float32, {n});
  std::memcpy(gy.data(), y.data(), y.size() * sizeof(float));
  std::memcpy(gx.data(), x.data(), x.size() * sizeof(float));
  EdgeOptions o;
  o.magnitude = false;
  const EdgeMaps m = edges_from_components({gy, gx}, {0, 1}, o);
  const auto* p = static_cast<const float*>(m.direction.data());
  return std::vector<float>(p, p + n);
}

/// |got - exact| in units of the float32 spacing in the binade of the exact value (so the smaller
/// spacing just below a power of two; the subnormal spacing below 2^-126).
double ulps(float got, double exact) {
  // The binade from the double's exponent bits (0 has the smallest), and a multiply by the inverse
  // spacing (a power of two): ilogb, ldexp and a division cost more, and this runs billions of times.
  std::uint64_t bits;
  std::memcpy(&bits, &exact, sizeof bits);
  const int binade = std::max(static_cast<int>((bits >> 52) & 0x7ff) - 1023, -126);
  const std::uint64_t inverse_bits = static_cast<std::uint64_t>(23 - binade + 1023) << 52;
  double inverse;
  std::memcpy(&inverse, &inverse_bits, sizeof inverse);
  return std::fabs(static_cast<double>(got) - exact) * inverse;
}

struct Worst {
  double ulps = 0;
  float y = 0, x = 0;
  std::size_t samples = 0;
};

/// Runs the samples in chunks and keeps the largest error.
class Sweep {
 public:
  void add(float y, float x) {
    y_.push_back(y), x_.push_back(x);
    if (y_.size() == (1u << 22)) flush();
  }
  Worst finish() {
    flush();
    return worst_;
  }

 private:
  void flush() {
    if (y_.empty()) return;
    const std::vector<float> got = direction(y_, x_);
    const Worst w = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, got.size(), 1 << 16), Worst{},
        [&](const tbb::blocked_range<std::size_t>& r, Worst acc) {
          for (std::size_t i = r.begin(); i < r.end(); ++i) {
            const double e = ulps(got[i], std::atan2(static_cast<double>(y_[i]), static_cast<double>(x_[i])));
            if (e > acc.ulps) acc = Worst{e, y_[i], x_[i], 0};
          }
          return acc;
        },
        [](const Worst& a, const Worst& b) { return a.ulps >= b.ulps ? a : b; });
    if (w.ulps > worst_.ulps) worst_ = Worst{w.ulps, w.y, w.x, worst_.samples};
    worst_.samples += y_.size();
    y_.clear(), x_.clear();
  }
  std::vector<float> y_, x_;
  Worst worst_;
};

void report(const char* what, const Worst& w) {
  std::cout << "    " << what << ": " << w.samples << " samples, worst " << w.ulps << " ulp at atan2("
            << std::hexfloat << w.y << ", " << w.x << ")" << std::defaultfloat << "\n";
}

/// Every pair of the special values (signed zeros, infinities, NaN, the smallest subnormals, the
/// largest floats, ±1), appended to y and x; `v` receives the values.
void special_pairs(std::vector<float>& y, std::vector<float>& x, std::vector<float>& v) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  v = {0.0f, -0.0f, inf, -inf, nan, 1.0f, -1.0f, from_bits(1), -from_bits(1), 3e38f, -3e38f, 1e-38f};
  for (float a : v)
    for (float b : v) y.push_back(a), x.push_back(b);
}

}  // namespace

// gradmap's contract for float32 directions, in ulps of the exact angle.
constexpr double kContractUlps = 2.0;

// Every float t in [0, 1] (2^30 + 1 values) as (y, x) = (t, 1), (1, t), (1, -t) and (t, -1): the
// compositions atan t, pi/2 - atan t, pi/2 + atan t and pi - atan t that every other octant repeats
// with y's sign. Each result is compared with the exact angle at both ends of the interval of real
// ratios that round to t (the angle is monotonic in the ratio, so the ends bound the error). The
// interval ends' arctangents are atan(t) -/+ h / (1 + t^2): the neglected term is below h^2 / 3,
// under 2^-20 ulp of the result for the half-gaps h of floats in [0, 1].
TEST(PolarAtan2, Float32Within2UlpForEveryRatioInEveryOctant) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr std::uint32_t stride = 7;  // instrumented builds: every 7th t, every exponent still met
#else
  constexpr std::uint32_t stride = 1;
#endif
  constexpr std::uint32_t one_bits = 0x3f800000u;
  constexpr double pi = 3.141592653589793238462643383279502884;
  struct Octant {
    const char* name;
    double base, sign;  // the angle is base + sign * atan(ratio)
    bool t_is_x;
    float other;
  };
  const Octant octants[4] = {{"atan2(t, 1) = atan t", 0, 1, false, 1.0f},
                             {"atan2(1, t) = pi/2 - atan t", pi / 2, -1, true, 1.0f},
                             {"atan2(1, -t) = pi/2 + atan t", pi / 2, 1, true, -1.0f},
                             {"atan2(t, -1) = pi - atan t", pi, -1, false, -1.0f}};
  constexpr std::uint32_t chunk = 1u << 20;
  using Worst4 = std::array<Worst, 4>;
  const Worst4 worst = tbb::parallel_reduce(
      tbb::blocked_range<std::uint32_t>(0, one_bits / (chunk * stride) + 1, 1), Worst4{},
      [&](const tbb::blocked_range<std::uint32_t>& r, Worst4 acc) {
        std::vector<float> t, y, x;
        std::vector<double> low, high;  // the exact atan at the ends of t's interval
        for (std::uint32_t c = r.begin(); c < r.end(); ++c) {
          t.clear(), low.clear(), high.clear();
          for (std::uint64_t b = std::uint64_t{c} * chunk * stride;
               b <= one_bits && b < std::uint64_t{c + 1} * chunk * stride; b += stride) {
            const float v = from_bits(static_cast<std::uint32_t>(b));
            const double tv = v;
            const double below = b > 0 ? (tv - from_bits(static_cast<std::uint32_t>(b - 1))) / 2 : 0;
            const double above = b < one_bits ? (from_bits(static_cast<std::uint32_t>(b + 1)) - tv) / 2 : 0;
            const double at = std::atan(tv), slope = 1 / (1 + tv * tv);
            t.push_back(v), low.push_back(at - below * slope), high.push_back(at + above * slope);
          }
          for (std::size_t k = 0; k < 4; ++k) {
            const Octant& o = octants[k];
            y.assign(t.size(), o.t_is_x ? 1.0f : 0.0f), x.assign(t.size(), o.t_is_x ? 0.0f : o.other);
            for (std::size_t i = 0; i < t.size(); ++i)
              (o.t_is_x ? x[i] : y[i]) = o.t_is_x ? o.other * t[i] : t[i];
            const std::vector<float> got = direction(y, x);
            Worst& w = acc[k];
            for (std::size_t i = 0; i < t.size(); ++i) {
              const double e =
                  std::max(ulps(got[i], o.base + o.sign * low[i]), ulps(got[i], o.base + o.sign * high[i]));
              if (e > w.ulps) w.ulps = e, w.y = y[i], w.x = x[i];
            }
            w.samples += t.size();
          }
        }
        return acc;
      },
      [](Worst4 a, const Worst4& b) {
        for (std::size_t k = 0; k < 4; ++k) {
          const std::size_t n = a[k].samples + b[k].samples;
          if (b[k].ulps > a[k].ulps) a[k] = b[k];
          a[k].samples = n;
        }
        return a;
      });
  for (std::size_t k = 0; k < 4; ++k) {
    report(octants[k].name, worst[k]);
    EXPECT_LE(worst[k].ulps, kContractUlps) << octants[k].name;
  }
}

// Stratified over inputs rather than ratios: every 127th bit pattern of positive y from the smallest
// subnormal to infinity against x = 1, 1.5 and the largest float below 2; every 509th against
// x = -1 and with y negated (the other quadrants), against glibc's float64 atan2. Here the ratio is
// rounded from operands of every exponent, subnormals included.
TEST(PolarAtan2, Float32Within2UlpAcrossAllExponentsAndQuadrants) {
  Sweep s;
  for (float x : {1.0f, 1.5f, from_bits(0x3fffffffu)})
    for (std::uint32_t b = 1; b < 0x7f800000u; b += 127) s.add(from_bits(b), x);
  for (std::uint32_t b = 1; b < 0x7f800000u; b += 509) {
    const float y = from_bits(b);
    s.add(y, -1.0f), s.add(-y, 1.0f), s.add(-y, -1.0f), s.add(1.0f, y), s.add(-1.0f, -y);
  }
  const Worst w = s.finish();
  report("all exponents, four quadrants", w);
  EXPECT_LE(w.ulps, kContractUlps);
}

TEST(PolarAtan2, SpecialValuesGiveCsResultsBitForBit) {
  std::vector<float> y, x, v;
  special_pairs(y, x, v);
  // Pad past a vector so the specials go through whole vectors as well as the tail.
  for (int k = 0; k < 40; ++k) y.push_back(v[k % 12]), x.push_back(v[(k * 5) % 12]);
  const std::vector<float> got = direction(y, x);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const float want = static_cast<float>(std::atan2(static_cast<double>(y[i]), static_cast<double>(x[i])));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got[i])) << "atan2(" << y[i] << ", " << x[i] << ")";
    } else {
      EXPECT_EQ(std::memcmp(&got[i], &want, sizeof want), 0)
          << "atan2(" << y[i] << ", " << x[i] << ") = " << got[i] << ", C gives " << want;
    }
  }
}

// The three ISA variants (SSE2, AVX2, AVX-512, as far as this CPU runs them) give the same bits on
// specials, random bit patterns, and every ratio of [2^-4, 2^4) against x = 1 and -1.5 — in whole
// vectors and in tails (the AVX-512 variant also sends vectors holding specials to the generic form).
TEST(PolarAtan2, EveryIsaVariantGivesTheSameBits) {
  std::vector<float> y, x, v;
  special_pairs(y, x, v);
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::uint32_t> bits(0, 0xffffffffu);
  for (int k = 0; k < 100003; ++k) y.push_back(from_bits(bits(rng))), x.push_back(from_bits(bits(rng)));
  for (std::uint32_t b = (127u - 4) << 23; b < (127u + 4) << 23; b += 3)
    y.push_back(from_bits(b)), x.push_back(b % 2 ? 1.0f : -1.5f);
  const auto n = static_cast<index_t>(y.size());
  std::vector<float> sse2(y.size()), other(y.size());
  detail::atan2_f32_sse2(y.data(), x.data(), sse2.data(), n);
  int compared = 0;
  auto compare = [&](const char* name, void (*fn)(const float*, const float*, float*, index_t)) {
    fn(y.data(), x.data(), other.data(), n);
    ++compared;
    for (std::size_t i = 0, shown = 0; i < y.size() && shown < 5; ++i)
      if (std::memcmp(&sse2[i], &other[i], sizeof(float)) != 0 &&
          !(std::isnan(sse2[i]) && std::isnan(other[i]))) {
        ++shown;
        ADD_FAILURE() << name << " atan2(" << std::hexfloat << y[i] << ", " << x[i] << ") = " << other[i]
                      << ", SSE2 gives " << sse2[i];
      }
  };
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    compare("AVX2", detail::atan2_f32_avx2);
  if (__builtin_cpu_supports("avx512f")) compare("AVX-512", detail::atan2_f32_avx512);
  if (compared == 0) GTEST_SKIP() << "this CPU runs only the SSE2 variant";
}

// The default 2-D float32 maps take one pass over the pair (polar2_f32) where a magnitude alone or a
// direction alone take hypot2_f32 and atan2_f32: both routes give the same bits for every sample,
// specials (zeros of both signs, infinities, NaN, subnormals, the largest floats) and random values
// alike, in whole vectors and in tails.
TEST(PolarAtan2, MagnitudeAndDirectionTogetherGiveTheBitsOfEachAlone) {
  std::vector<float> y, x, v;
  special_pairs(y, x, v);
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> bits(0, 0xffffffffu);
  std::normal_distribution<float> normal(0.0f, 30.0f);
  for (int k = 0; k < 20011; ++k) {
    if (k % 3 == 0)
      y.push_back(from_bits(bits(rng))), x.push_back(from_bits(bits(rng)));
    else
      y.push_back(normal(rng)), x.push_back(normal(rng));
  }
  const auto n = static_cast<index_t>(y.size());
  Array gy(DType::float32, {n}), gx(DType::float32, {n});
  std::memcpy(gy.data(), y.data(), y.size() * sizeof(float));
  std::memcpy(gx.data(), x.data(), x.size() * sizeof(float));
  EdgeOptions both, mag_only, dir_only;
  mag_only.direction = false;
  dir_only.magnitude = false;
  const EdgeMaps together = edges_from_components({gy, gx}, {0, 1}, both);
  const EdgeMaps m = edges_from_components({gy, gx}, {0, 1}, mag_only);
  const EdgeMaps d = edges_from_components({gy, gx}, {0, 1}, dir_only);
  ASSERT_EQ(together.magnitude.nbytes(), m.magnitude.nbytes());
  EXPECT_EQ(std::memcmp(together.magnitude.data(), m.magnitude.data(), m.magnitude.nbytes()), 0);
  EXPECT_EQ(std::memcmp(together.direction.data(), d.direction.data(), d.direction.nbytes()), 0);
  const auto* tm = static_cast<const float*>(together.magnitude.data());
  const auto* td = static_cast<const float*>(together.direction.data());
  const auto* mm = static_cast<const float*>(m.magnitude.data());
  const auto* dd = static_cast<const float*>(d.direction.data());
  for (index_t i = 0, shown = 0; i < n && shown < 5; ++i)
    if (std::memcmp(tm + i, mm + i, 4) != 0 || std::memcmp(td + i, dd + i, 4) != 0) {
      ++shown;
      ADD_FAILURE() << "(" << y[static_cast<std::size_t>(i)] << ", " << x[static_cast<std::size_t>(i)]
                    << "): together " << tm[i] << ", " << td[i] << "; alone " << mm[i] << ", " << dd[i];
    }
}
