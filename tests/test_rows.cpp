// SPDX-License-Identifier: MIT
// gradient_rows_into and edges_rows_into: any split of axis 0 into row ranges, each computed on its
// own, gives exactly the whole call's rows (the whole call is checked against numpy and scipy in
// test_gradient.cpp, test_numpy_gradient.cpp and test_operators.cpp). Covers the places where a
// range's result depends on rows outside it: numpy's one-sided edges (edge_order 1 and 2),
// non-uniform coordinates along axis 0, axis 0 not selected, the padded operators with a halo
// wider than one row and wrap's far end, and the float32-held integer path of the maps.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/operators.hpp"
#include "test_arrays.hpp"

using namespace gradmap;
using namespace gradmap_test;

namespace {

struct Case {
  std::string name;
  GradientOptions options;
};

std::vector<Case> cases(const Shape& shape) {
  std::vector<Case> c;
  c.push_back({"central", {}});
  GradientOptions o2;
  o2.edge_order = 2;
  c.push_back({"edge_order 2", o2});
  GradientOptions coords;
  std::vector<double> x;
  for (index_t i = 0; i < shape[0]; ++i)
    x.push_back(0.5 * static_cast<double>(i * i) + static_cast<double>(i));
  Array xa(DType::float64, {shape[0]});
  std::memcpy(xa.data(), x.data(), x.size() * sizeof(double));
  coords.spacing.push_back(AxisSpacing::coordinates(xa));
  for (std::size_t k = 1; k < shape.size(); ++k)
    coords.spacing.push_back(AxisSpacing::uniform(0.25 * double(k)));
  c.push_back({"coordinates along axis 0", coords});
  if (shape.size() >= 2) {
    GradientOptions last;
    last.axes = std::vector<int>{static_cast<int>(shape.size()) - 1, static_cast<int>(shape.size()) - 2};
    c.push_back({"axis 0 selected last", last});
  }
  if (shape.size() >= 3) {
    GradientOptions not0;
    not0.axes = std::vector<int>{1, 2};
    c.push_back({"axis 0 not selected", not0});
  }
  for (const char* op : {"sobel", "central4", "gaussian:1.5"}) {
    for (const char* boundary : {"reflect", "wrap"}) {
      GradientOptions f;
      parse_operator(op, f);
      parse_boundary(boundary, f);
      c.push_back({std::string(op) + " " + boundary, f});
    }
  }
  return c;
}

/// Cut points of [0, n): the ends, single rows at both ends, an empty range and random cuts.
std::vector<index_t> cuts(index_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<index_t> c{0, 1, 1, std::min<index_t>(n, 3)};
  std::uniform_int_distribution<index_t> d(1, n - 1);
  for (int k = 0; k < 3; ++k) c.push_back(d(rng));
  c.push_back(n - 1);
  c.push_back(n);
  std::sort(c.begin(), c.end());
  return c;
}

/// Rows [r0, r1) of `a` as their own array.
Array rows_of(const Array& a, index_t r0, index_t r1) {
  Shape s = a.shape();
  s[0] = r1 - r0;
  Array out(a.dtype(), s);
  const std::size_t row = a.nbytes() / static_cast<std::size_t>(a.shape()[0]);
  if (out.nbytes() > 0)
    std::memcpy(out.data(), static_cast<const char*>(a.data()) + static_cast<std::size_t>(r0) * row,
                out.nbytes());
  return out;
}

template <class T, class Out>
void check_gradient(const Array& f, const Case& c, unsigned seed) {
  const std::vector<Array> whole = gradient(f, [&] {
    GradientOptions o = c.options;
    o.dtype = dtype_of_v<Out>;
    return o;
  }());
  const auto cut = cuts(f.shape()[0], seed);
  for (std::size_t i = 0; i + 1 < cut.size(); ++i) {
    const index_t r0 = cut[i], r1 = cut[i + 1];
    Shape s = f.shape();
    s[0] = r1 - r0;
    std::vector<Array> block;
    std::vector<ArrayView<Out>> views;
    for (std::size_t k = 0; k < whole.size(); ++k) {
      block.emplace_back(dtype_of_v<Out>, s);
      views.push_back(block.back().template view<Out>());
    }
    GradientOptions o = c.options;
    o.dtype = dtype_of_v<Out>;
    gradient_rows_into<T, Out>(f.view<T>(), r0, r1, views, o);
    for (std::size_t k = 0; k < whole.size(); ++k)
      EXPECT_TRUE(same_bits(block[k], rows_of(whole[k], r0, r1)))
          << c.name << ", " << dtype_name(f.dtype()) << " " << shape_string(f.shape()) << ", component " << k
          << ", rows [" << r0 << ", " << r1 << ")";
  }
}

template <class T, class Out>
void check_edges(const Array& f, const Case& c, unsigned seed, index_t tile_rows) {
  EdgeOptions o;
  o.gradient = c.options;
  o.gradient.dtype = dtype_of_v<Out>;
  o.tile_rows = tile_rows;
  const int selected = c.options.axes ? static_cast<int>(c.options.axes->size()) : static_cast<int>(f.rank());
  o.direction = selected == 2 || selected == 3;
  o.normals = selected >= 2;
  const EdgeMaps whole = edges(f, o);
  const auto cut = cuts(f.shape()[0], seed);
  for (std::size_t i = 0; i + 1 < cut.size(); ++i) {
    const index_t r0 = cut[i], r1 = cut[i + 1];
    Shape s = f.shape();
    s[0] = r1 - r0;
    EdgeMaps block;
    EdgeViews<Out> views;
    auto like = [&](const Array& w, Array& b, ArrayView<Out>& v) {
      if (w.empty()) return;
      b = Array(dtype_of_v<Out>, s);
      v = b.template view<Out>();
    };
    like(whole.magnitude, block.magnitude, views.magnitude);
    like(whole.direction, block.direction, views.direction);
    like(whole.elevation, block.elevation, views.elevation);
    block.normals.resize(whole.normals.size());
    views.normals.resize(whole.normals.size());
    for (std::size_t k = 0; k < whole.normals.size(); ++k)
      like(whole.normals[k], block.normals[k], views.normals[k]);
    edges_rows_into<T, Out>(f.view<T>(), r0, r1, views, o);
    const std::string where = c.name + ", " + dtype_name(f.dtype()) + " " + shape_string(f.shape()) + " → " +
                              dtype_name(dtype_of_v<Out>) + ", rows [" + std::to_string(r0) + ", " +
                              std::to_string(r1) + ")";
    EXPECT_TRUE(same_bits(block.magnitude, rows_of(whole.magnitude, r0, r1))) << where << ": magnitude";
    if (!whole.direction.empty()) {
      EXPECT_TRUE(same_bits(block.direction, rows_of(whole.direction, r0, r1))) << where << ": direction";
    }
    if (!whole.elevation.empty()) {
      EXPECT_TRUE(same_bits(block.elevation, rows_of(whole.elevation, r0, r1))) << where << ": elevation";
    }
    for (std::size_t k = 0; k < whole.normals.size(); ++k)
      EXPECT_TRUE(same_bits(block.normals[k], rows_of(whole.normals[k], r0, r1)))
          << where << ": normal " << k;
  }
}

template <class T>
void check_all(DType t, const Shape& shape, double scale, unsigned seed) {
  const Array f = random_array<T>(t, shape, scale, seed);
  for (const Case& c : cases(shape)) {
    check_gradient<T, double>(f, c, seed);
    check_gradient<T, float>(f, c, seed + 1);
    check_edges<T, float>(f, c, seed + 2, 0);
    check_edges<T, double>(f, c, seed + 3, 3);  // tiles of 3 rows: tile edges inside the ranges
  }
}

}  // namespace

TEST(Rows, EveryRowRangeEqualsThoseRowsOfTheWholeCall) {
  check_all<std::uint8_t>(DType::uint8, {37, 29}, 80.0, 1);
  check_all<std::int16_t>(DType::int16, {23, 19}, 3000.0, 2);
  check_all<float>(DType::float32, {41, 33}, 10.0, 3);
  check_all<double>(DType::float64, {17, 11, 13}, 10.0, 4);
  check_all<float>(DType::float32, {29}, 10.0, 5);
}

TEST(Rows, RangesOutsideAxis0AndWrongBlockShapesAreRefused) {
  const Array f = random_array<float>(DType::float32, {10, 6}, 1.0, 9);
  Array a(DType::float32, {4, 6}), b(DType::float32, {4, 6});
  const std::vector<ArrayView<float>> views{a.view<float>(), b.view<float>()};
  const auto in = f.view<float>();
  auto rows = [&](index_t r0, index_t r1) { gradient_rows_into<float, float>(in, r0, r1, views); };
  EXPECT_THROW(rows(8, 12), InvalidArgument);
  EXPECT_THROW(rows(5, 3), InvalidArgument);
  EXPECT_THROW(rows(-1, 3), InvalidArgument);
  EXPECT_THROW(rows(0, 5), ShapeError);  // 5 rows, views of 4
  EXPECT_NO_THROW(rows(6, 10));
  EdgeViews<float> maps;
  maps.magnitude = a.view<float>();
  auto map_rows = [&](index_t r0, index_t r1) { edges_rows_into<float, float>(in, r0, r1, maps); };
  EXPECT_THROW(map_rows(7, 11), InvalidArgument);
  EXPECT_THROW(map_rows(0, 3), ShapeError);
  EXPECT_NO_THROW(map_rows(0, 4));
}
