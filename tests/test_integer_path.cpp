// SPDX-License-Identifier: MIT
// The integer fast path (issue 15): for 8- and 16-bit integer input with a power-of-two uniform
// step, the components are computed as integer differences scaled in the output type, and edge
// maps hold them as float32. Both rest on one premise — numpy's float64 component is then exactly a
// float32 and equals the scaled integer difference — checked here against numpy over the whole
// domain: every uint8/int8 pair, every int16/uint16 difference, the extreme triples of the
// second-order edges, each accepted spacing form, and spacings outside them (the general path).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "edges/polar_simd.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/npy.hpp"
#include "test_arrays.hpp"
#include "test_util.hpp"

using namespace gradmap;
using namespace gradmap_test;

namespace {

/// Rows (lo, mid, hi) per column: every (lo, hi) pair for 8-bit types, every difference hi - lo
/// for 16-bit ones, then every triple of {min, min+1, 0 or mid, max-1, max}, so that the
/// second-order edges (which read three rows) see their extremes. 32-bit types: stratified (below).
template <class T>
Array exhaustive_rows() {
  using L = std::numeric_limits<T>;
  const long long lo_v = L::min(), hi_v = L::max();
  std::vector<long long> lo, hi;
  if constexpr (sizeof(T) == 1) {
    for (long long a = lo_v; a <= hi_v; ++a)
      for (long long b = lo_v; b <= hi_v; ++b) lo.push_back(a), hi.push_back(b);
  } else if constexpr (sizeof(T) == 4) {
    // 2^33 differences are too many: every one up to 2^17 in magnitude, then 129 around each power
    // of two up to the largest (where a float32 output starts and keeps rounding).
    std::vector<long long> ds;
    for (long long d = -(1 << 17); d <= (1 << 17); ++d) ds.push_back(d);
    for (int k = 18; k <= 32; ++k)
      for (long long j = -64; j <= 64; ++j)
        for (long long sign : {-1, 1}) ds.push_back(sign * std::min((1LL << k) + j, hi_v - lo_v));
    for (long long d : ds) {
      const long long a = d >= 0 ? lo_v : hi_v;
      lo.push_back(a), hi.push_back(a + d);
    }
  } else {
    for (long long d = lo_v - hi_v; d <= hi_v - lo_v; ++d) {
      const long long a = d >= 0 ? lo_v : hi_v;
      lo.push_back(a), hi.push_back(a + d);
    }
  }
  std::vector<long long> mid(lo.size());
  const long long range = hi_v - lo_v + 1;
  for (std::size_t j = 0; j < lo.size(); ++j)
    mid[j] = lo_v + ((lo[j] * 7 + hi[j] * 13) % range + range) % range;
  const long long ext[] = {lo_v, lo_v + 1, (lo_v + hi_v) / 2, hi_v - 1, hi_v};
  for (long long a : ext)
    for (long long b : ext)
      for (long long c : ext) lo.push_back(a), mid.push_back(b), hi.push_back(c);
  const auto n = static_cast<index_t>(lo.size());
  Array f(dtype_of_v<T>, {3, n});
  T* p = static_cast<T*>(f.data());
  for (index_t j = 0; j < n; ++j) {
    const auto u = static_cast<std::size_t>(j);
    p[j] = static_cast<T>(lo[u]), p[n + j] = static_cast<T>(mid[u]), p[2 * n + j] = static_cast<T>(hi[u]);
  }
  return f;
}

Array transposed(const Array& f) {
  const index_t r = f.shape()[0], c = f.shape()[1], w = static_cast<index_t>(dtype_size(f.dtype()));
  Array t(f.dtype(), {c, r});
  const auto* s = static_cast<const unsigned char*>(f.data());
  auto* d = static_cast<unsigned char*>(t.data());
  for (index_t i = 0; i < r; ++i)
    for (index_t j = 0; j < c; ++j)
      std::memcpy(d + (j * r + i) * w, s + (i * c + j) * w, static_cast<std::size_t>(w));
  return t;
}

// Compares every run's float64 and float32 results with np.gradient; for the spacing forms the
// fast path accepts, also checks the premise (numpy's float64 result is exactly a float32).
const char* kCompare = R"PY(
import sys, numpy as np
d = sys.argv[1]
f = {'rows': np.load(d + '/f.npy'), 'lines': np.load(d + '/fT.npy')}
bad, runs = 0, 0
for line in open(d + '/runs.txt'):
    k, layout, order, dx, accepted = line.split()
    want = np.gradient(f[layout], float(dx), axis=0 if layout == 'rows' else 1, edge_order=int(order))
    g64, g32 = np.load(f'{d}/r{k}_64.npy'), np.load(f'{d}/r{k}_32.npy')
    runs += 1
    if not np.array_equal(g64.view(np.int64), want.view(np.int64)):
        bad += 1; print('float64 result differs from numpy:', line.strip())
    if not np.array_equal(g32.view(np.int32), want.astype(np.float32).view(np.int32)):
        bad += 1; print('float32 result is not numpy rounded to float32:', line.strip())
    if accepted == '1' and not np.array_equal(want.astype(np.float32).astype(np.float64), want):
        bad += 1; print('numpy result not exact in float32 for an accepted spacing:', line.strip())
print(f'{f["rows"].dtype}: {runs} runs over {f["rows"].shape[1]} columns, {bad} failures')
sys.exit(1 if bad else 0)
)PY";

struct Spacing {
  double dx;
  bool accepted;  // a form the fast path takes (±2^e, |e| <= 58)
};

template <class T>
void check_against_numpy() {
  const Array f = exhaustive_rows<T>();
  const Array ft = transposed(f);
  TempDir dir;
  write_npy(dir / "f.npy", f);
  write_npy(dir / "fT.npy", ft);
  std::ofstream runs(dir / "runs.txt");
  // The float32-exactness premise is claimed for 8- and 16-bit input only (the edge maps' fast path).
  const bool premise = sizeof(T) <= 2;
  const Spacing spacings[] = {
      {1.0, true},  {0.25, true}, {-2.0, true}, {std::ldexp(1.0, -58), true}, {std::ldexp(1.0, 58), true},
      {3.0, false}, {0.1, false}};
  int k = 0;
  for (int order : {1, 2})
    for (const Spacing& s : spacings)
      for (const char* layout : {"rows", "lines"}) {
        const bool rows = std::string(layout) == "rows";
        if (!rows && order == 2) continue;  // the central stencil is the same; edges are covered by rows
        GradientOptions o;
        o.axes = std::vector<int>{rows ? 0 : 1};
        o.spacing = {AxisSpacing::uniform(s.dx)};
        o.edge_order = order;
        o.dtype = DType::float64;
        write_npy(dir / ("r" + std::to_string(k) + "_64.npy"), gradient(rows ? f : ft, o)[0]);
        o.dtype = DType::float32;
        write_npy(dir / ("r" + std::to_string(k) + "_32.npy"), gradient(rows ? f : ft, o)[0]);
        std::ostringstream line;
        line.precision(17);
        line << k << ' ' << layout << ' ' << order << ' ' << s.dx << ' ' << (s.accepted && premise ? 1 : 0)
             << '\n';
        runs << line.str();
        ++k;
      }
  runs.close();
  const auto r = run_python(kCompare, shell_quote(dir.path().string()));
  std::cout << "    " << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

/// The maps of the float32 fast path against the maps of numpy's float64 components (computed by
/// gradient() and handed to edges_from_components, which keeps them in float64).
void check_maps_against_float64_components(const Array& f, double dx) {
  EdgeOptions o;
  o.gradient.spacing = {AxisSpacing::uniform(dx)};
  o.gradient.dtype = DType::float32;
  const EdgeMaps fast = edges(f, o);
  GradientOptions g64 = o.gradient;
  g64.dtype = DType::float64;
  const EdgeMaps ref = edges_from_components(gradient(f, g64), {0, 1}, o);
  EXPECT_TRUE(same_bits(fast.magnitude, ref.magnitude)) << "dx " << dx;
  const auto* a = static_cast<const float*>(fast.direction.data());
  const auto* b = static_cast<const float*>(ref.direction.data());
  float worst = 0;
  for (index_t i = 0; i < f.size(); ++i) {
    const float ulp = std::nextafter(std::fabs(b[i]), 1.0f / 0.0f) - std::fabs(b[i]);
    worst = std::max(worst, std::fabs(a[i] - b[i]) / ulp);
  }
  // Two atan2 of the same values, each within 1 ulp (float32 SLEEF; float64 rounded to float32).
  EXPECT_LE(worst, 1.0f) << "dx " << dx;
}

}  // namespace

TEST(IntegerPath, EveryUint8PairEqualsNumpyAtEveryAcceptedSpacing) { check_against_numpy<std::uint8_t>(); }
TEST(IntegerPath, EveryInt8PairEqualsNumpyAtEveryAcceptedSpacing) { check_against_numpy<std::int8_t>(); }
TEST(IntegerPath, EveryInt16DifferenceEqualsNumpyAtEveryAcceptedSpacing) {
  check_against_numpy<std::int16_t>();
}
TEST(IntegerPath, EveryUint16DifferenceEqualsNumpyAtEveryAcceptedSpacing) {
  check_against_numpy<std::uint16_t>();
}

// The integer-difference loop also serves 32-bit input (its argument does not need the premise:
// one rounding of the exact difference, an exact power-of-two scaling); checked on a stratified set.
TEST(IntegerPath, Int32AndUint32DifferencesEqualNumpyOnAStratifiedSet) {
  check_against_numpy<std::int32_t>();
  check_against_numpy<std::uint32_t>();
}

TEST(IntegerPath, Float32MapsKeepTheMagnitudeOfFloat64Components) {
  const Array u8 = exhaustive_rows<std::uint8_t>();  // 3 rows: every pair in gy, neighbours in gx
  const Array i16 = random_array<std::int16_t>(DType::int16, {211, 307}, 20000.0, 15);
  for (double dx : {1.0, 0.5, 4.0, 3.0}) {
    check_maps_against_float64_components(u8, dx);
    check_maps_against_float64_components(i16, dx);
  }
}

// The pair pass for 8-bit input (squares_exact_in_float32 in edges.cpp) takes the magnitude as the
// float32 root of the float32 sum of squares. Every component there is k / 2 * 2^s with |k| <= 2040
// (255 in a central difference, 0.5 * 4 * 255 in a second-order edge, in halves) and a step 2^-s-1
// with |s + 1| <= 50: every pair of such k, at the two extreme scales and at 1, gives glibc's
// hypotf (numpy's np.hypot for float32) bit for bit, and the direction of polar2_f32.
TEST(IntegerPath, Float32HypotOfEvery8BitComponentPairIsNumpys) {
  constexpr int kMax = 2040;
  std::vector<float> y, x, mag, dir, want_dir, want_mag;
  for (const double scale : {1.0, std::ldexp(1.0, -51), std::ldexp(1.0, 49)}) {
    std::size_t wrong = 0;
    for (int ky = -kMax; ky <= kMax; ++ky) {
      y.assign(2 * kMax + 1, static_cast<float>(ky / 2.0 * scale));
      x.resize(y.size());
      for (int kx = -kMax; kx <= kMax; ++kx)
        x[static_cast<std::size_t>(kx + kMax)] = static_cast<float>(kx / 2.0 * scale);
      mag.resize(y.size()), dir.resize(y.size()), want_dir.resize(y.size());
      const auto n = static_cast<index_t>(y.size());
      detail::polar2_f32_exact_squares(y.data(), x.data(), mag.data(), dir.data(), n);
      detail::atan2_f32(y.data(), x.data(), want_dir.data(), n);
      for (std::size_t i = 0; i < y.size(); ++i) {
        const float want = std::hypot(y[i], x[i]);
        if (std::memcmp(&mag[i], &want, sizeof want) != 0 ||
            std::memcmp(&dir[i], &want_dir[i], sizeof want) != 0) {
          if (++wrong <= 5)
            ADD_FAILURE() << std::hexfloat << "(" << y[i] << ", " << x[i] << "): magnitude " << mag[i]
                          << ", hypotf " << want << "; direction " << dir[i] << ", atan2_f32 " << want_dir[i];
        }
      }
    }
    EXPECT_EQ(wrong, 0u) << "scale " << scale;
  }
}
