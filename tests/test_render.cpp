// SPDX-License-Identifier: MIT
// Display maps and the overview picture: the named normalizations, clipping that never wraps,
// round-half-up levels, HSV direction colors, and the overview PNG for an image and a volume.
// Expected levels are worked out by hand from the documented formula
//   level = floor((v - lo) / (hi - lo) * top + 1/2), clipped to [0, top],
// or, for percentiles, from numpy's own np.percentile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gradmap/edges.hpp"
#include "gradmap/io.hpp"
#include "gradmap/overview.hpp"
#include "gradmap/render.hpp"
#include "test_util.hpp"

#ifdef GRADMAP_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#endif

namespace {

using namespace gradmap;
using gradmap_test::run_python;
using gradmap_test::TempDir;

constexpr double kPi = 3.141592653589793238462643383279502884;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

template <class T>
Array make(const std::vector<T>& v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<index_t>(v.size())};
  Array a(dtype_of_v<T>, shape);
  std::copy(v.begin(), v.end(), static_cast<T*>(a.data()));
  return a;
}

template <class T>
std::vector<T> values(const Array& a) {
  EXPECT_EQ(a.dtype(), dtype_of_v<T>);
  const T* p = static_cast<const T*>(a.data());
  return std::vector<T>(p, p + a.size());
}

std::vector<int> levels(const Array& a) {
  std::vector<int> out;
  if (a.dtype() == DType::uint8)
    for (auto v : values<std::uint8_t>(a)) out.push_back(v);
  else
    for (auto v : values<std::uint16_t>(a)) out.push_back(v);
  return out;
}

DisplayOptions opts(const std::string& norm, int bits = 8) {
  DisplayOptions o;
  o.normalization = Normalization::parse(norm);
  o.bit_depth = bits;
  return o;
}

/// Hue in degrees [0, 360) of an RGB triple, by the textbook RGB → HSV formula.
double hue_of(double r, double g, double b) {
  const double mx = std::max({r, g, b}), mn = std::min({r, g, b});
  const double d = mx - mn;
  if (d <= 0) return kNaN;
  double h;
  if (mx == r)
    h = 60 * std::fmod((g - b) / d, 6.0);
  else if (mx == g)
    h = 60 * ((b - r) / d + 2);
  else
    h = 60 * ((r - g) / d + 4);
  return h < 0 ? h + 360 : h;
}

/// RGB of pixel i of a (…, 3) direction_hsv result.
std::vector<int> rgb_at(const Array& a, index_t i) {
  const std::vector<int> l = levels(a);
  return {l[3 * i], l[3 * i + 1], l[3 * i + 2]};
}

void expect_invalid_normalization(const std::string& text) {
  try {
    Normalization::parse(text);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'" + text + "'"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Normalization text

TEST(Normalization, ParsesEveryForm) {
  EXPECT_EQ(Normalization::parse("minmax").kind, Normalization::Kind::minmax);
  EXPECT_EQ(Normalization::parse("none").kind, Normalization::Kind::none);
  const Normalization p = Normalization::parse("percentile:99.5");
  EXPECT_EQ(p.kind, Normalization::Kind::percentile);
  EXPECT_EQ(p.percentile, 99.5);
  EXPECT_EQ(Normalization::parse("percentile:100").percentile, 100.0);
  EXPECT_EQ(Normalization::parse("percentile:0.01").percentile, 0.01);
  const Normalization f = Normalization::parse("fixed:255");
  EXPECT_EQ(f.kind, Normalization::Kind::fixed);
  EXPECT_EQ(f.max, 255.0);
  EXPECT_EQ(Normalization::parse("fixed:1e-3").max, 1e-3);
  // The default a photo's edges are visible with (README: measured on photos): percentile:99.
  EXPECT_EQ(Normalization{}.to_string(), "percentile:99") << "percentile:99 is the default";
}

TEST(Normalization, ToStringParsesBackToTheSameValue) {
  EXPECT_EQ(Normalization::parse("minmax").to_string(), "minmax");
  EXPECT_EQ(Normalization::parse("none").to_string(), "none");
  EXPECT_EQ(Normalization::parse("percentile:99.5").to_string(), "percentile:99.5");
  EXPECT_EQ(Normalization::parse("fixed:255").to_string(), "fixed:255");
  Normalization n;
  n.kind = Normalization::Kind::fixed;
  n.max = 0.1 + 0.2;  // not a short decimal: the text must still read back bit for bit
  EXPECT_EQ(Normalization::parse(n.to_string()).max, n.max) << n.to_string();
}

TEST(Normalization, RejectsMalformedTextNamingIt) {
  for (const char* bad : {"",
                          "max",
                          "MinMax",
                          "minmax:1",
                          "percentile",
                          "percentile:",
                          "percentile:0",
                          "percentile:-5",
                          "percentile:100.5",
                          "percentile:abc",
                          "percentile:99.5x",
                          "percentile:nan",
                          "fixed",
                          "fixed:",
                          "fixed:0",
                          "fixed:-1",
                          "fixed:inf",
                          "fixed:nan",
                          "fixed: 3",
                          "none:1"})
    expect_invalid_normalization(bad);
}

// ---------------------------------------------------------------------------------------------
// display_map

TEST(DisplayMap, MinmaxMapsMinToZeroAndMaxToFullScale) {
  // (1 - -3) / 8 * 255 = 127.5 → 128 (half up); at 16 bit 32767.5 → 32768.
  const Array a = make<float>({-3.f, 1.f, 5.f});
  EXPECT_EQ(levels(display_map(a, opts("minmax"))), (std::vector<int>{0, 128, 255}));
  EXPECT_EQ(levels(display_map(a, opts("minmax", 16))), (std::vector<int>{0, 32768, 65535}));
  // Integer input, an offset range: 10 → 0, 30 → 255.
  EXPECT_EQ(levels(display_map(make<std::uint8_t>({10, 20, 30}), opts("minmax"))),
            (std::vector<int>{0, 128, 255}));
  EXPECT_EQ(levels(display_map(make<std::int16_t>({-1000, 0, 3000}), opts("minmax"))),
            (std::vector<int>{0, 64, 255}));  // 1000/4000*255 = 63.75
}

TEST(DisplayMap, DefaultBitDepthIs8AndMinmaxMapsTheEnds) {
  DisplayOptions o;
  o.normalization = Normalization::parse("minmax");
  const Array out = display_map(make<double>({2, 4, 6}), o);
  EXPECT_EQ(out.dtype(), DType::uint8);
  EXPECT_EQ(levels(out), (std::vector<int>{0, 128, 255}));
}

TEST(DisplayMap, RoundsHalfUp) {
  // fixed:255 at 8 bit is the identity scale, so the levels show the rounding itself.
  EXPECT_EQ(levels(display_map(make<double>({0.49, 0.5, 1.5, 2.5, 2.49, 254.5}), opts("fixed:255"))),
            (std::vector<int>{0, 1, 2, 3, 2, 255}));
}

TEST(DisplayMap, KeepsShapeAndUsesTheBitDepthsType) {
  Array a(DType::float64, {2, 3, 4});
  const Array out8 = display_map(a, opts("minmax", 8));
  EXPECT_EQ(out8.dtype(), DType::uint8);
  EXPECT_EQ(out8.shape(), (Shape{2, 3, 4}));
  const Array out16 = display_map(a, opts("minmax", 16));
  EXPECT_EQ(out16.dtype(), DType::uint16);
  EXPECT_EQ(out16.shape(), (Shape{2, 3, 4}));
}

TEST(DisplayMap, RejectsOtherBitDepthsWithTheValue) {
  try {
    display_map(make<double>({1, 2}), opts("minmax", 12));
    ADD_FAILURE() << "bit depth 12 accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("12"), std::string::npos) << e.what();
  }
}

TEST(DisplayMap, FixedClipsAndNeverWraps) {
  // fixed:100 maps [0, 100] → [0, 255]; 50 → 127.5 → 128.
  EXPECT_EQ(levels(display_map(make<double>({-50, 0, 50, 100, 150, 1e30, kInf, -kInf}), opts("fixed:100"))),
            (std::vector<int>{0, 0, 128, 255, 255, 255, 255, 0}));
  // A uint16 value of 300 under fixed:255 is above the range: full scale, not 300 - 256 = 44.
  EXPECT_EQ(levels(display_map(make<std::uint16_t>({300, 255, 0}), opts("fixed:255"))),
            (std::vector<int>{255, 255, 0}));
  EXPECT_EQ(levels(display_map(make<double>({-1, 300, 255}), opts("fixed:255", 16))),
            (std::vector<int>{0, 65535, 65535}));
}

TEST(DisplayMap, NoneUsesValuesAsLevelsClipped) {
  EXPECT_EQ(levels(display_map(make<double>({-5, 0, 7.4, 7.5, 300, 70000}), opts("none"))),
            (std::vector<int>{0, 0, 7, 8, 255, 255}));
  EXPECT_EQ(levels(display_map(make<double>({-5, 0, 7.4, 300, 70000}), opts("none", 16))),
            (std::vector<int>{0, 0, 7, 300, 65535}));
  // Signed: 0 is mid-gray, so the levels are value + 128 (value + 32768 at 16 bit).
  EXPECT_EQ(levels(display_map(make<double>({-200, -128, 0, 127, 200}), opts("none"), true)),
            (std::vector<int>{0, 0, 128, 255, 255}));
  EXPECT_EQ(levels(display_map(make<double>({-1, 0, 1}), opts("none", 16), true)),
            (std::vector<int>{32767, 32768, 32769}));
}

TEST(DisplayMap, SignedDataIsSymmetricAroundMidGray) {
  // Range [-m, m] with m = max |v| = 4: 0 → 127.5 → 128; -1 → 127.5 - 31.875 = 95.625 → 96.
  EXPECT_EQ(levels(display_map(make<double>({-1, 0, 4}), opts("minmax"), true)),
            (std::vector<int>{96, 128, 255}));
  EXPECT_EQ(levels(display_map(make<double>({-2, 0, 1, 2}), opts("minmax"), true)),
            (std::vector<int>{0, 128, 191, 255}));  // 1 → 191.25
  EXPECT_EQ(levels(display_map(make<double>({-2, 0, 2}), opts("minmax", 16), true)),
            (std::vector<int>{0, 32768, 65535}));
  // fixed:10, signed: [-10, 10]; out-of-range values clip at both ends.
  EXPECT_EQ(levels(display_map(make<float>({-30.f, -10.f, 0.f, 5.f, 30.f}), opts("fixed:10"), true)),
            (std::vector<int>{0, 0, 128, 191, 255}));
  // All zero (a flat image's gradient): mid-gray, not black and not NaN garbage.
  EXPECT_EQ(levels(display_map(make<double>({0, 0, 0}), opts("minmax"), true)),
            (std::vector<int>{128, 128, 128}));
}

TEST(DisplayMap, NanIsZero) {
  EXPECT_EQ(levels(display_map(make<double>({kNaN, 1, 2}), opts("minmax"))), (std::vector<int>{0, 0, 255}));
  EXPECT_EQ(levels(display_map(make<double>({kNaN, -2, 2}), opts("minmax"), true)),
            (std::vector<int>{0, 0, 255}));
  EXPECT_EQ(levels(display_map(make<float>({std::nanf(""), 5.f}), opts("fixed:10", 16))),
            (std::vector<int>{0, 32768}));
  EXPECT_EQ(levels(display_map(make<double>({kNaN, kNaN}), opts("percentile:99"))), (std::vector<int>{0, 0}));
}

TEST(DisplayMap, MinmaxIgnoresInfinitiesForTheRangeAndClipsThem) {
  // The range is [0, 10] from the finite values; +inf is full scale, -inf black.
  EXPECT_EQ(levels(display_map(make<double>({0, 5, 10, kInf, -kInf}), opts("minmax"))),
            (std::vector<int>{0, 128, 255, 255, 0}));
}

TEST(DisplayMap, ConstantInputIsBlackAndAboveAZeroClipIsFullScale) {
  EXPECT_EQ(levels(display_map(make<double>({3, 3, 3}), opts("minmax"))), (std::vector<int>{0, 0, 0}));
  // A sparse magnitude map: 99.5 % zeros puts the 99.5th percentile at 0; the few edges are clipped
  // to full scale rather than divided by zero.
  std::vector<double> sparse(1000, 0.0);
  sparse[10] = 5;
  const std::vector<int> l = levels(display_map(make(sparse), opts("percentile:99.5")));
  EXPECT_EQ(l[10], 255);
  EXPECT_EQ(std::count(l.begin(), l.end(), 0), 999);
}

TEST(DisplayMap, HugeFloat64RangeDoesNotOverflow) {
  // max - min overflows to inf; 0.5e308 is still 3/4 of the way (191.25), not 0.
  EXPECT_EQ(levels(display_map(make<double>({-1e308, 0.5e308, 1e308}), opts("minmax"))),
            (std::vector<int>{0, 191, 255}));
}

/// numpy's percentile of |finite values| of `a`, via the oracle interpreter.
double numpy_abs_percentile(const Array& a, double p) {
  TempDir tmp;
  const std::string npy = tmp / "a.npy";
  write_npy(npy, a);
  const auto r = run_python(
      "import sys, numpy as np\n"
      "a = np.load(sys.argv[1])\n"
      "f = np.abs(a[np.isfinite(a)])\n"
      "print(repr(float(np.percentile(f, float(sys.argv[2])))))\n",
      npy + " " + std::to_string(p));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::strtod(r.out.c_str(), nullptr);
}

/// Expected level for value v with the clip level thr (unsigned: [0, thr]; signed: [-thr, thr]),
/// or -1 when v lands within 1e-6 of a rounding boundary (where one ulp of thr could tip it).
int expected_level(double v, double thr, double top, bool signed_data) {
  if (std::isnan(v)) return 0;
  const double x = signed_data ? (v + thr) / (2 * thr) * top : v / thr * top;
  const double c = std::min(std::max(x, 0.0), top);
  if (c > 0 && c < top && std::fabs(c - std::floor(c) - 0.5) < 1e-6) return -1;
  return static_cast<int>(std::floor(c + 0.5));
}

TEST(DisplayMap, PercentileClipsAtNumpysPercentileOfAbsoluteValues) {
  // Exponential-ish magnitudes with a few huge outliers, plus NaN and inf that must not count.
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> dist(0.5);
  std::vector<double> v(5003);
  for (auto& x : v) x = dist(rng);
  v[7] = 1e6;
  v[99] = 5e5;
  v[1234] = kNaN;
  v[2345] = kInf;
  const Array a = make(v);
  for (double p : {99.5, 90.0, 50.0, 100.0}) {
    const double thr = numpy_abs_percentile(a, p);
    ASSERT_GT(thr, 0) << p;
    for (int bits : {8, 16}) {
      const double top = bits == 8 ? 255 : 65535;
      const std::vector<int> l = levels(display_map(a, opts("percentile:" + std::to_string(p), bits)));
      int checked = 0;
      for (std::size_t i = 0; i < v.size(); ++i) {
        const int e = expected_level(v[i], thr, top, false);
        if (e < 0) continue;
        ++checked;
        ASSERT_EQ(l[i], e) << "p=" << p << " bits=" << bits << " i=" << i << " v=" << v[i] << " thr=" << thr;
      }
      EXPECT_GT(checked, 4990);
    }
  }
  // The point of a percentile: with minmax the outlier makes everything else black.
  const std::vector<int> mm = levels(display_map(a, opts("minmax")));
  EXPECT_GT(std::count(mm.begin(), mm.end(), 0), 4900);
}

// The clip level is found from the bit patterns of the |values| (two histogram passes, no sort);
// it must be numpy's percentile exactly, whatever the ties, signs, non-finite values, and values
// that differ only in the low 16 bits of their pattern or straddle a bucket's edge.
TEST(DisplayMap, PercentileIsExactlyNumpysForTiesBucketEdgesAndNonFiniteValues) {
  std::mt19937_64 rng(11);
  auto from_bits = [](std::uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
  };
  std::vector<Array> cases;
  cases.push_back(make<float>({3.5f}));
  cases.push_back(make<float>({-2.0f, 1.0f}));
  cases.push_back(make<float>({static_cast<float>(kNaN), 0.0f, -0.0f, static_cast<float>(kInf), -7.0f}));
  std::vector<float> edge, ties, wide;
  for (int i = 0; i < 3001; ++i) {  // patterns 0x3f80fffd .. 0x3f810002: one bucket edge, both signs
    const float f = from_bits(0x3f80fffdu + static_cast<std::uint32_t>(rng() % 6));
    edge.push_back(rng() % 2 ? f : -f);
  }
  for (int i = 0; i < 4000; ++i) ties.push_back(static_cast<float>(rng() % 7) * 0.25f);
  std::normal_distribution<float> normal(0.f, 50.f);
  for (int i = 0; i < 70001; ++i) wide.push_back(i % 997 == 0 ? static_cast<float>(kNaN) : normal(rng));
  wide[5] = 1e30f;
  wide[6] = -static_cast<float>(kInf);
  wide[7] = 1e-40f;  // subnormal
  for (const auto* v : {&edge, &ties, &wide}) cases.push_back(make(*v));
  std::vector<std::int16_t> shorts;
  for (int i = 0; i < 5000; ++i) shorts.push_back(static_cast<std::int16_t>(rng()));
  shorts[0] = -32768;
  cases.push_back(make(shorts));

  const std::vector<double> ps = {0.01, 1, 37.5, 50, 99, 99.9, 100};
  TempDir tmp;
  std::string args;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const std::string npy = tmp / ("c" + std::to_string(c) + ".npy");
    write_npy(npy, astype(cases[c], DType::float64));
    args += npy + " ";
  }
  const auto r = run_python(
      "import sys, numpy as np\n"
      "for path in sys.argv[1:]:\n"
      "    a = np.load(path)\n"
      "    f = np.abs(a[np.isfinite(a)])\n"
      "    print(' '.join(repr(float(np.percentile(f, p))) for p in (0.01, 1, 37.5, 50, 99, 99.9, 100)))\n",
      args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  for (std::size_t c = 0; c < cases.size(); ++c)
    for (double p : ps) {
      double want = 0;
      ASSERT_TRUE(lines >> want) << r.out;
      DisplayScale scale;
      display_map(cases[c], opts("percentile:" + std::to_string(p)), false, &scale);
      EXPECT_EQ(scale.hi, want) << "case " << c << " (" << dtype_name(cases[c].dtype()) << ") percentile "
                                << p;
    }
}

TEST(DisplayMap, SignedPercentileClipsSymmetrically) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(0.0, 3.0);
  std::vector<float> v(2001);
  for (auto& x : v) x = static_cast<float>(dist(rng));
  v[5] = -1e4f;  // an outlier on the negative side sets |values| too
  const Array a = make(v);
  const double thr = numpy_abs_percentile(astype(a, DType::float64), 98);
  const std::vector<int> l = levels(display_map(a, opts("percentile:98"), true));
  EXPECT_EQ(l[5], 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const int e = expected_level(v[i], thr, 255, true);
    if (e >= 0) {
      ASSERT_EQ(l[i], e) << i << " v=" << v[i] << " thr=" << thr;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Direction maps

TEST(DirectionHsv, AngleZeroIsRedAndQuarterTurnIsHue90) {
  const Array dir = make<double>({0, kPi / 2, kPi, -kPi / 2});
  const Array mag = make<double>({1, 1, 1, 1});
  const Array rgb = direction_hsv(dir, mag, opts("fixed:1"), 2 * kPi);
  EXPECT_EQ(rgb.shape(), (Shape{4, 3}));
  EXPECT_EQ(rgb_at(rgb, 0), (std::vector<int>{255, 0, 0}));
  const auto q = rgb_at(rgb, 1);
  EXPECT_NEAR(hue_of(q[0], q[1], q[2]), 90, 1.0);
  EXPECT_EQ(std::max({q[0], q[1], q[2]}), 255);
  const auto h = rgb_at(rgb, 2);
  EXPECT_NEAR(hue_of(h[0], h[1], h[2]), 180, 1.0);  // cyan
  const auto n = rgb_at(rgb, 3);
  EXPECT_NEAR(hue_of(n[0], n[1], n[2]), 270, 1.0) << "negative angles continue around the wheel";
}

TEST(DirectionHsv, PeriodSetsTheTurn) {
  // Degrees, full turn 360: 90° → hue 90. Orientation, period π: π/2 is half the turn → hue 180.
  const auto deg = rgb_at(direction_hsv(make<float>({90.f}), make<float>({1.f}), opts("fixed:1"), 360), 0);
  EXPECT_NEAR(hue_of(deg[0], deg[1], deg[2]), 90, 1.0);
  const auto ori = rgb_at(direction_hsv(make<double>({kPi / 2}), make<double>({1}), opts("fixed:1"), kPi), 0);
  EXPECT_NEAR(hue_of(ori[0], ori[1], ori[2]), 180, 1.0);
}

TEST(DirectionHsv, ZeroMagnitudeIsBlack) {
  const Array rgb = direction_hsv(make<double>({0, 1, 2}), make<double>({0, 0, 0}), opts("minmax"), 2 * kPi);
  EXPECT_EQ(levels(rgb), std::vector<int>(9, 0));
  // NaN direction or magnitude: black too.
  const Array nan = direction_hsv(make<double>({kNaN, 1}), make<double>({1, kNaN}), opts("fixed:1"), 2 * kPi);
  EXPECT_EQ(levels(nan), std::vector<int>(6, 0));
}

TEST(DirectionHsv, ValueChannelEqualsTheGrayMagnitudeMap) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> angle(-3.14159f, 3.14159f), size(0.f, 10.f);
  std::vector<float> d(999), m(999);
  for (std::size_t i = 0; i < d.size(); ++i) {
    d[i] = angle(rng);
    m[i] = size(rng);
  }
  for (int bits : {8, 16}) {
    const DisplayOptions o = opts("percentile:95", bits);
    const std::vector<int> rgb = levels(direction_hsv(make(d), make(m), o, 2 * kPi));
    const std::vector<int> gray = levels(display_map(make(m), o));
    for (std::size_t i = 0; i < d.size(); ++i)
      ASSERT_EQ(std::max({rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]}), gray[i]) << i;
  }
}

// Every pixel of a long float32 map (the vectorized 8-bit path, its tails, and the 16-bit one)
// against HSV computed one pixel at a time from its definition: hue = angle / period turns with
// red at 0 (floor for negative angles), S = 1, V = the magnitude's level; NaN or infinite angles
// black. Angles include sector edges, huge and tiny values, -0 and non-finite ones.
TEST(DirectionHsv, EveryPixelIsTheHsvOfItsAngleAndLevel) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> angle(-7.f, 7.f), size(-0.5f, 2.5f);
  const double period = 2 * kPi;
  std::vector<float> d(20011), m(20011);
  for (std::size_t i = 0; i < d.size(); ++i) {
    d[i] = angle(rng);
    m[i] = size(rng);
  }
  const float specials[] = {0.f,
                            -0.f,
                            static_cast<float>(kPi / 3),
                            static_cast<float>(-kPi / 3),
                            static_cast<float>(kPi),
                            static_cast<float>(-kPi),
                            -1e-30f,
                            1e-30f,
                            3e9f,
                            -3e9f,
                            1e38f,
                            static_cast<float>(kNaN),
                            static_cast<float>(kInf),
                            -static_cast<float>(kInf)};
  for (std::size_t j = 0; j < std::size(specials); ++j) d[17 * j] = specials[j];
  for (int k = 0; k <= 12; ++k) d[1000 + k] = static_cast<float>(k * kPi / 6);  // sector edges
  m[3] = static_cast<float>(kNaN);
  m[4] = static_cast<float>(kInf);
  const double max = 2.0;
  for (int bits : {8, 16}) {
    const double top = bits == 8 ? 255 : 65535;
    const std::vector<int> got = levels(direction_hsv(make(d), make(m), opts("fixed:2", bits), period));
    for (std::size_t i = 0; i < d.size(); ++i) {
      const double mag = m[i];
      double value = std::isnan(mag) ? 0.0 : std::min(std::max(mag / max * top, 0.0), top);
      const double x = d[i] / period;
      double h = x - std::floor(x);
      if (!std::isfinite(h)) value = 0;
      if (!(h < 1)) h = 0;
      const int sector = std::min(5, static_cast<int>(h * 6));
      const double f = h * 6 - sector, rise = value * f, fall = value * (1 - f);
      const double table[6][3] = {{value, rise, 0}, {fall, value, 0}, {0, value, rise},
                                  {0, fall, value}, {rise, 0, value}, {value, 0, fall}};
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(got[3 * i + c], static_cast<int>(std::floor(table[sector][c] + 0.5)))
            << "pixel " << i << " channel " << c << " angle " << d[i] << " magnitude " << m[i] << " bits "
            << bits;
    }
  }
}

TEST(DirectionHsv, RejectsMismatchedShapesAndBadPeriods) {
  EXPECT_THROW(direction_hsv(make<double>({0, 1}), make<double>({1}), opts("minmax"), 2 * kPi), ShapeError);
  EXPECT_THROW(direction_hsv(make<double>({0}), make<double>({1}), opts("minmax"), 0), InvalidArgument);
  EXPECT_THROW(direction_hsv(make<double>({0}), make<double>({1}), opts("minmax"), kNaN), InvalidArgument);
  EXPECT_THROW(direction_hsv(make<double>({0}), make<double>({1}), opts("minmax", 10), 2 * kPi),
               InvalidArgument);
}

TEST(DirectionGray, MapsTheAngleRangeLinearlyOntoTheLevels) {
  // [-π, π] → [0, 255]: 0 → 127.5 → 128, π/2 → 191.25 → 191.
  EXPECT_EQ(levels(direction_gray(make<double>({-kPi, 0, kPi / 2, kPi, kNaN}), -kPi, kPi, 8)),
            (std::vector<int>{0, 128, 191, 255, 0}));
  EXPECT_EQ(levels(direction_gray(make<float>({0.f, 180.f, 400.f, -1.f}), 0, 360, 16)),
            (std::vector<int>{0, 32768, 65535, 0}));
  EXPECT_THROW(direction_gray(make<double>({0}), 1, 1, 8), InvalidArgument);
  EXPECT_THROW(direction_gray(make<double>({0}), 0, 1, 4), InvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Edge maps of a bright square, rendered

Array bright_square(index_t n, index_t lo, index_t hi) {
  Array f(DType::float32, {n, n});
  auto v = f.view<float>();
  for (index_t y = lo; y < hi; ++y)
    for (index_t x = lo; x < hi; ++x) v({y, x}) = 1.f;
  return f;
}

/// True when (y, x) is on the square's border: its 3×3 neighbourhood has pixels inside and outside.
bool on_border(index_t y, index_t x, index_t lo, index_t hi) {
  bool in = false, out = false;
  for (index_t dy = -1; dy <= 1; ++dy)
    for (index_t dx = -1; dx <= 1; ++dx) {
      const bool inside = y + dy >= lo && y + dy < hi && x + dx >= lo && x + dx < hi;
      (inside ? in : out) = true;
    }
  return in && out;
}

void expect_peak_on_border(const Array& levels8, index_t n, index_t lo, index_t hi) {
  const std::vector<int> l = levels(levels8);
  const int peak = *std::max_element(l.begin(), l.end());
  EXPECT_EQ(peak, 255);
  int peaks = 0;
  for (index_t y = 0; y < n; ++y)
    for (index_t x = 0; x < n; ++x) {
      const int v = l[static_cast<std::size_t>(y * n + x)];
      if (v == peak) {
        ++peaks;
        EXPECT_TRUE(on_border(y, x, lo, hi)) << "maximum at (" << y << ", " << x << ") is off the border";
      }
      if (!on_border(y, x, lo, hi)) {
        EXPECT_EQ(v, 0) << "(" << y << ", " << x << ") is flat but not black";
      }
    }
  EXPECT_GT(peaks, 0);
}

TEST(DisplayMap, MagnitudeOfABrightSquarePeaksOnItsBorder) {
  const index_t n = 64, lo = 20, hi = 44;
  const EdgeMaps maps = edges(bright_square(n, lo, hi));
  expect_peak_on_border(display_map(maps.magnitude, opts("minmax")), n, lo, hi);
  // The HSV direction map is black away from the border as well.
  const Array rgb = direction_hsv(maps.direction, maps.magnitude, opts("minmax"), 2 * kPi);
  const std::vector<int> l = levels(rgb);
  for (index_t y = 0; y < n; ++y)
    for (index_t x = 0; x < n; ++x)
      if (!on_border(y, x, lo, hi)) {
        for (int c = 0; c < 3; ++c)
          ASSERT_EQ(l[static_cast<std::size_t>(3 * (y * n + x) + c)], 0) << y << "," << x;
      }
  // The right edge's gradient points left (-x): angle π, cyan.
  const auto right = rgb_at(rgb, (n / 2) * n + hi);
  EXPECT_NEAR(hue_of(right[0], right[1], right[2]), 180, 1.0);
}

#ifdef GRADMAP_HAVE_OPENCV
TEST(DisplayMap, RenderedPngOfABrightSquarePeaksOnItsBorder) {
  const index_t n = 64, lo = 20, hi = 44;
  const EdgeMaps maps = edges(bright_square(n, lo, hi));
  TempDir tmp;
  Image out;
  out.pixels = display_map(maps.magnitude, opts("minmax"));
  out.geometry = default_geometry(2);
  const std::string png = tmp / "square_mag.png";
  write_image(png, out);
  const cv::Mat back = cv::imread(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(back.empty());
  ASSERT_EQ(back.type(), CV_8UC1);
  Array levels8(DType::uint8, {n, n});
  std::copy(back.data, back.data + n * n, static_cast<std::uint8_t*>(levels8.data()));
  expect_peak_on_border(levels8, n, lo, hi);
}
#endif

// ---------------------------------------------------------------------------------------------
// Overview picture

#ifdef GRADMAP_HAVE_OPENCV

std::vector<std::string> dir_entries(const std::filesystem::path& d) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(d)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct PictureStats {
  int colorful = 0;  // strongly saturated pixels: direction colors
  int white = 0;     // bright gray pixels: the input's bright object, magnitude edges
};

/// Pixel statistics over the panel area: everything left of the legend column (< 250 px wide).
PictureStats panel_stats(const cv::Mat& bgr) {
  PictureStats s;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols - 250; ++x) {
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      const int mx = std::max({p[0], p[1], p[2]}), mn = std::min({p[0], p[1], p[2]});
      if (mx - mn > 120) ++s.colorful;
      if (mn > 200 && mx - mn < 10) ++s.white;
    }
  return s;
}

TEST(Overview, WritesOnePngFor2dImageWithNonBlankPanels) {
  const index_t n = 96;
  Image img;
  img.pixels = bright_square(n, 30, 66);
  img.geometry = default_geometry(2);
  img.format = "npy";
  const EdgeMaps maps = edges(img.pixels);
  TempDir tmp;
  OverviewInfo info;
  info.title = "square.npy";
  info.spacing = "1 x 1 px";
  info.units = "intensity/px";
  info.angle_period = 2 * kPi;
  write_overview(tmp / "overview.png", img, maps, info);
  EXPECT_EQ(dir_entries(tmp.path()), (std::vector<std::string>{"overview.png"}))
      << "temporary files left behind";
  const cv::Mat pic = cv::imread(tmp / "overview.png", cv::IMREAD_COLOR);
  ASSERT_FALSE(pic.empty());
  // Three panels side by side of 256-384 px each, plus the legend.
  EXPECT_GE(pic.cols, 3 * 256);
  EXPECT_GE(pic.rows, 256);
  EXPECT_LE(pic.rows, 700);
  const PictureStats s = panel_stats(pic);
  EXPECT_GT(s.white, 30 * 30 * 4) << "input panel should show the bright square";
  EXPECT_GT(s.colorful, 200) << "direction panel should show colored edges";
}

TEST(Overview, WritesThreeMidSliceRowsForAVolume) {
  // (z, y, x) with different spacing on every axis and a bright box off-center.
  const index_t nz = 20, ny = 40, nx = 30;
  Image vol;
  vol.pixels = Array(DType::float32, {nz, ny, nx});
  auto v = vol.pixels.view<float>();
  for (index_t z = 4; z < 16; ++z)
    for (index_t y = 8; y < 30; ++y)
      for (index_t x = 6; x < 24; ++x) v({z, y, x}) = 100.f;
  vol.geometry = default_geometry(3, "mm");
  vol.geometry.spacing = {3.0, 1.0, 0.5};
  vol.format = "nifti";
  EdgeOptions eo;
  for (double step : vol.geometry.spacing) eo.gradient.spacing.push_back(AxisSpacing::uniform(step));
  const EdgeMaps maps = edges(vol.pixels, eo);
  ASSERT_FALSE(maps.elevation.empty());
  TempDir tmp;
  OverviewInfo info;
  info.title = "box.nii.gz";
  info.spacing = "3 x 1 x 0.5 mm";
  info.units = "intensity/mm";
  write_overview(tmp / "vol.png", vol, maps, info);  // angle_period 0: from info.angle (2π)
  EXPECT_EQ(dir_entries(tmp.path()), (std::vector<std::string>{"vol.png"}));
  const cv::Mat pic = cv::imread(tmp / "vol.png", cv::IMREAD_COLOR);
  ASSERT_FALSE(pic.empty());
  // Physical extents: z 60 mm, y 40 mm, x 15 mm. The tallest slices (coronal, sagittal: 60 mm)
  // are 256 px; axial (40 mm) is 2/3 of that: three rows need well over 600 px.
  EXPECT_GT(pic.rows, 256 + 256 + 170);
  const PictureStats s = panel_stats(pic);
  EXPECT_GT(s.white, 1000);
  EXPECT_GT(s.colorful, 200);
}

TEST(Overview, ColorInputIsShownAsGray) {
  Image img;
  img.pixels = Array(DType::uint8, {3, 32, 32});  // channels (R, G, B) as a series axis
  img.series_axes = 1;
  auto p = img.pixels.view<std::uint8_t>();
  for (index_t y = 8; y < 24; ++y)
    for (index_t x = 8; x < 24; ++x) p({0, y, x}) = 255;  // a red square
  img.geometry = default_geometry(2);
  Array red(DType::float32, {32, 32});
  auto r = red.view<float>();
  for (index_t y = 8; y < 24; ++y)
    for (index_t x = 8; x < 24; ++x) r({y, x}) = 255.f;
  const EdgeMaps maps = edges(red);
  TempDir tmp;
  write_overview(tmp / "color.png", img, maps, OverviewInfo{});
  const cv::Mat pic = cv::imread(tmp / "color.png", cv::IMREAD_COLOR);
  ASSERT_FALSE(pic.empty());
  EXPECT_GT(panel_stats(pic).white, 100);  // the square, as luminance stretched by minmax
}

TEST(Overview, SkipsTheDirectionPanelWhenThereIsNoDirection) {
  Image img;
  img.pixels = bright_square(64, 20, 44);
  img.geometry = default_geometry(2);
  EdgeOptions eo;
  eo.direction = false;
  const EdgeMaps maps = edges(img.pixels, eo);
  ASSERT_TRUE(maps.direction.empty());
  TempDir tmp;
  write_overview(tmp / "nodir.png", img, maps, OverviewInfo{});
  const cv::Mat pic = cv::imread(tmp / "nodir.png", cv::IMREAD_COLOR);
  ASSERT_FALSE(pic.empty());
  EXPECT_EQ(panel_stats(pic).colorful, 0);
}

TEST(Overview, FailsNamingThePathAndLeavesNothingBehind) {
  Image img;
  img.pixels = bright_square(16, 4, 12);
  img.geometry = default_geometry(2);
  const EdgeMaps maps = edges(img.pixels);
  TempDir tmp;
  for (const std::string& path : {tmp / "overview.jpg", tmp / "missing-dir/overview.png"}) {
    try {
      write_overview(path, img, maps, OverviewInfo{});
      ADD_FAILURE() << path << " was written";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(dir_entries(tmp.path()).empty());
}

#endif  // GRADMAP_HAVE_OPENCV

}  // namespace
