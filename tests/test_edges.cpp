// SPDX-License-Identifier: MIT
// Edge maps: agreement with numpy's np.hypot / np.arctan2 pipeline, accuracy bounds, angle
// conventions on ramps, and the fused path's independence of tiles and threads.
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <random>

#include "gradmap/edges.hpp"
#include "gradmap/io.hpp"
#include "test_arrays.hpp"
#include "test_util.hpp"

using namespace gradmap;
using namespace gradmap_test;

namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

/// A 2-D image whose values grow along (dy, dx) in image coordinates.
Array ramp(double dy, double dx) {
  Array a(DType::float64, {7, 9});
  auto v = a.view<double>();
  for (index_t j = 0; j < 7; ++j)
    for (index_t i = 0; i < 9; ++i) v({j, i}) = dy * static_cast<double>(j) + dx * static_cast<double>(i);
  return a;
}

double center(const Array& a) { return static_cast<const double*>(a.data())[a.size() / 2]; }

// Compares gradmap's maps with numpy's pipeline and with a long-double reference; prints the
// measured ulp figures and exits non-zero past the documented bounds.
const char* kNumpyCheck = R"PY(
import sys, numpy as np
d = sys.argv[1]
f = np.load(d + '/f.npy')
gy, gx = np.gradient(f)
mag, ang = np.load(d + '/mag.npy'), np.load(d + '/dir.npy')
assert mag.dtype == ang.dtype
def ulps(a, b):
    a = a.astype(np.float64); b = b.astype(np.float64)
    sp = np.spacing(np.abs(b).astype(mag.dtype)).astype(np.float64)
    return np.max(np.abs(a - b) / sp)
ld = np.longdouble
ref_mag = np.sqrt(gx.astype(ld)**2 + gy.astype(ld)**2).astype(mag.dtype)
ref_dir = np.arctan2(gy.astype(ld), gx.astype(ld)).astype(mag.dtype)
u_mag_np = ulps(mag, np.hypot(gy, gx)); u_mag = ulps(mag, ref_mag)
u_dir_np = ulps(ang, np.arctan2(gy, gx)); u_dir = ulps(ang, ref_dir)
print(f"{mag.dtype}: magnitude {u_mag_np:.2f} ulp from np.hypot, {u_mag:.2f} from exact; "
      f"direction {u_dir_np:.2f} ulp from np.arctan2, {u_dir:.2f} from exact")
bound_dir = 2.0 if mag.dtype == np.float32 else 1.0
ok = u_mag <= 1.0 and u_dir <= bound_dir
if f.dtype == np.float32:
    ok = ok and u_mag_np == 0.0   # glibc's hypotf, which np.hypot calls, is what gradmap computes
sys.exit(0 if ok else 1)
)PY";

void check_against_numpy(const Array& f, std::optional<DType> out = std::nullopt) {
  TempDir dir;
  write_npy(dir / "f.npy", f);
  EdgeOptions o;
  o.gradient.dtype = out;
  const EdgeMaps m = edges(f, o);
  write_npy(dir / "mag.npy", m.magnitude);
  write_npy(dir / "dir.npy", m.direction);
  const auto r = run_python(kNumpyCheck, dir.path().string());
  std::cout << "    " << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace

TEST(Edges, Float32MapsMatchNumpyWithinStatedUlps) {
  check_against_numpy(random_array<float>(DType::float32, {257, 311}, 100.0, 1));
}

TEST(Edges, Float64MapsMatchNumpyWithinStatedUlps) {
  check_against_numpy(random_array<double>(DType::float64, {201, 173}, 1e3, 2));
}

TEST(Edges, Uint8MapsMatchNumpyWithinStatedUlps) {
  check_against_numpy(random_array<std::uint8_t>(DType::uint8, {123, 456}, 80.0, 3));
}

TEST(Edges, IntegerInputToFloat32MapsWithinStatedUlps) {
  // Components are float64 (numpy's promotion); the maps are rounded to float32 at the end.
  check_against_numpy(random_array<std::int16_t>(DType::int16, {150, 170}, 3000.0, 4), DType::float32);
}

TEST(Edges, MagnitudeDoesNotOverflowForLargeFloat64) {
  Array f(DType::float64, {3});
  auto* p = static_cast<double*>(f.data());
  p[0] = 0, p[1] = 1e300, p[2] = 2e300;
  Array g(DType::float64, {3, 3});
  auto v = g.view<double>();
  for (index_t j = 0; j < 3; ++j)
    for (index_t i = 0; i < 3; ++i) v({j, i}) = 1e300 * static_cast<double>(i + j);
  const auto m = edges(g).magnitude;
  EXPECT_DOUBLE_EQ(center(m), std::hypot(1e300, 1e300));
  EXPECT_TRUE(std::isfinite(center(m)));
}

TEST(Edges, DirectionConventionsOnRamps) {
  auto dir = [](double dy, double dx, AngleOptions a) {
    EdgeOptions o;
    o.angle = a;
    return center(edges(ramp(dy, dx), o).direction);
  };
  AngleOptions image;                             // default: atan2(gy, gx), y down
  EXPECT_DOUBLE_EQ(dir(0, 1, image), 0.0);        // increasing to the right
  EXPECT_DOUBLE_EQ(dir(1, 0, image), kPi / 2);    // increasing downward
  EXPECT_DOUBLE_EQ(dir(0, -1, image), kPi);       // increasing to the left
  EXPECT_DOUBLE_EQ(dir(-1, 0, image), -kPi / 2);  // increasing upward
  AngleOptions up;
  up.y_up = true;
  EXPECT_DOUBLE_EQ(dir(-1, 0, up), kPi / 2);  // upward is +90 degrees in math convention
  EXPECT_DOUBLE_EQ(dir(1, 0, up), -kPi / 2);
  AngleOptions deg;
  deg.units = AngleUnits::degrees;
  EXPECT_NEAR(dir(1, 1, deg), 45.0, 1e-12);
  AngleOptions unsig;
  unsig.range = AngleRange::unsigned_range;
  EXPECT_DOUBLE_EQ(dir(-1, 0, unsig), 1.5 * kPi);
  AngleOptions orient;
  orient.orientation = true;
  EXPECT_DOUBLE_EQ(dir(0, -1, orient), 0.0);  // left and right are the same orientation
  EXPECT_DOUBLE_EQ(dir(-1, 0, orient), kPi / 2);
  AngleOptions compass;
  compass.compass = true;
  compass.units = AngleUnits::degrees;
  EXPECT_NEAR(dir(-1, 0, compass), 0.0, 1e-12);    // north (up)
  EXPECT_NEAR(dir(0, 1, compass), 90.0, 1e-12);    // east
  EXPECT_NEAR(dir(1, 0, compass), 180.0, 1e-12);   // south
  EXPECT_NEAR(dir(0, -1, compass), 270.0, 1e-12);  // west
}

TEST(Edges, ZeroGradientFollowsCAtan2) {
  Array flat(DType::float32, {4, 4});
  const auto m = edges(flat);
  for (index_t i = 0; i < m.direction.size(); ++i) {
    EXPECT_EQ(static_cast<const float*>(m.direction.data())[i], std::atan2(0.0f, 0.0f));
    EXPECT_EQ(static_cast<const float*>(m.magnitude.data())[i], 0.0f);
  }
  // Signed zeros: samples of +0 and -0 give components of both signs (-0 - +0 = -0), and the
  // direction must be C's atan2 of them bit for bit (atan2(+0, -0) = pi, atan2(-0, -0) = -pi, ...).
  Array f(DType::float64, {4, 4});
  auto v = f.view<double>();
  for (index_t j = 0; j < 4; ++j)
    for (index_t i = 0; i < 4; ++i) v({j, i}) = ((i * 3 + j) % 2) ? -0.0 : 0.0;
  const auto g = gradient(f);
  const auto d = edges(f).direction;
  int negative_zeros = 0;
  for (index_t n = 0; n < f.size(); ++n) {
    const double gy = static_cast<const double*>(g[0].data())[n],
                 gx = static_cast<const double*>(g[1].data())[n];
    negative_zeros += std::signbit(gy) + std::signbit(gx);
    const double want = std::atan2(gy, gx), got = static_cast<const double*>(d.data())[n];
    EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0)
        << "sample " << n << ": atan2(" << gy << ", " << gx << ")";
  }
  EXPECT_GT(negative_zeros, 0);
}

TEST(Edges, ThreeDimensionalAzimuthElevationAndNormals) {
  Array f(DType::float64, {5, 6, 7});
  auto v = f.view<double>();
  for (index_t k = 0; k < 5; ++k)
    for (index_t j = 0; j < 6; ++j)
      for (index_t i = 0; i < 7; ++i) v({k, j, i}) = 2.0 * static_cast<double>(k) + static_cast<double>(i);
  EdgeOptions o;
  const auto m = edges(f, o);
  ASSERT_FALSE(m.elevation.empty());
  EXPECT_NEAR(center(m.magnitude), std::sqrt(5.0), 1e-15);
  EXPECT_NEAR(center(m.direction), 0.0, 1e-15);                   // azimuth: along +x
  EXPECT_NEAR(center(m.elevation), std::atan2(2.0, 1.0), 1e-15);  // rising along z
  o.normals = true;
  o.direction = false;
  const auto n = edges(f, o);
  ASSERT_EQ(n.normals.size(), 3u);
  EXPECT_NEAR(center(n.normals[0]), 2 / std::sqrt(5.0), 1e-15);  // z
  EXPECT_NEAR(center(n.normals[1]), 0.0, 1e-15);                 // y
  EXPECT_NEAR(center(n.normals[2]), 1 / std::sqrt(5.0), 1e-15);  // x
}

TEST(Edges, FusedEqualsUnfusedAtAnyTileSizeAndThreadCount) {
  const std::vector<Array> inputs = {random_array<float>(DType::float32, {301, 403}, 10.0, 7),
                                     random_array<std::uint8_t>(DType::uint8, {29, 31, 37}, 60.0, 8),
                                     random_array<std::int16_t>(DType::int16, {2, 1000}, 500.0, 9)};
  // More threads than this machine has cores, so that tiles really interleave.
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 8);
  for (const Array& f : inputs) {
    EdgeOptions unfused;
    unfused.components = true;
    unfused.gradient.dtype = DType::float32;
    const EdgeMaps ref = edges(f, unfused);
    for (int threads : {1, 2, 8}) {
      tbb::task_arena arena(threads);
      for (index_t tile : {0, 1, 3, 17, 1000}) {
        EdgeOptions fused;
        fused.tile_rows = tile;
        fused.gradient.dtype = DType::float32;
        EdgeMaps m;
        arena.execute([&] { m = edges(f, fused); });
        EXPECT_TRUE(same_bits(m.magnitude, ref.magnitude))
            << shape_string(f.shape()) << " t" << threads << " tile " << tile;
        EXPECT_TRUE(same_bits(m.direction, ref.direction))
            << shape_string(f.shape()) << " t" << threads << " tile " << tile;
        EXPECT_TRUE(same_bits(m.elevation, ref.elevation))
            << shape_string(f.shape()) << " t" << threads << " tile " << tile;
      }
    }
  }
}

TEST(Edges, ComponentsAreReturnedOnRequestAndEqualGradient) {
  const Array f = random_array<float>(DType::float32, {40, 50}, 3.0, 11);
  EdgeOptions o;
  o.components = true;
  const auto m = edges(f, o);
  const auto g = gradient(f);
  ASSERT_EQ(m.components.size(), 2u);
  EXPECT_TRUE(same_bits(m.components[0], g[0]));
  EXPECT_TRUE(same_bits(m.components[1], g[1]));
}

TEST(Edges, DirectionNeedsTwoOrThreeAxes) {
  Array f(DType::float32, {4, 4, 4, 4});
  EXPECT_THROW(edges(f), InvalidArgument);
  EdgeOptions o;
  o.direction = false;
  EXPECT_EQ(edges(f, o).magnitude.shape(), f.shape());
}

TEST(Edges, PhysicalFrameRotatesComponentsByTheDirectionCosines) {
  // Index x points along world +y and index y along world -x (numpy order: rows are world (y, x),
  // columns index axes (y, x)). A ramp along index x rises along world +y.
  Array f(DType::float64, {4, 5});
  auto v = f.view<double>();
  for (index_t j = 0; j < 4; ++j)
    for (index_t i = 0; i < 5; ++i) v({j, i}) = 3.0 * static_cast<double>(i);
  const auto g = gradient(f);
  const auto w = to_physical_frame(g, {0, 1, -1, 0});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_DOUBLE_EQ(center(w[0]), 3.0);  // world y
  EXPECT_DOUBLE_EQ(center(w[1]), 0.0);  // world x
  // The maps of the rotated components: magnitude unchanged, direction now along world y.
  const auto m = edges_from_components(w, {0, 1});
  EXPECT_DOUBLE_EQ(center(m.magnitude), 3.0);
  EXPECT_DOUBLE_EQ(center(m.direction), kPi / 2);
  EXPECT_THROW(to_physical_frame(g, {1, 0, 2, 0}), InvalidArgument);  // singular
  EXPECT_THROW(to_physical_frame(g, {1, 0, 0}), InvalidArgument);     // not 2x2
}

TEST(Edges, FromComponentsEqualsEdgesBitForBit) {
  const Array f = random_array<float>(DType::float32, {64, 80}, 5.0, 12);
  const auto g = gradient(f);
  const auto a = edges(f), b = edges_from_components(g, {0, 1});
  EXPECT_TRUE(same_bits(a.magnitude, b.magnitude));
  EXPECT_TRUE(same_bits(a.direction, b.direction));
}
