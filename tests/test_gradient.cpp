// SPDX-License-Identifier: MIT
// Analytic behaviour of gradient(): exactness on polynomials, promotion, spacing forms, and every
// argument error with its message. The numpy differential sweep is in test_numpy_gradient.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "gradmap/gradient.hpp"

using namespace gradmap;

namespace {

Array ramp1d(const std::vector<double>& v) {
  Array a(DType::float64, {static_cast<index_t>(v.size())});
  std::copy(v.begin(), v.end(), static_cast<double*>(a.data()));
  return a;
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace

TEST(Gradient, EdgeOrder2IsExactOnQuadraticsWithNonUniformCoordinates) {
  const std::vector<double> x = {0.0, 0.5, 1.5, 1.75, 3.0, 4.0, 6.5};
  std::vector<double> f;
  for (double xi : x) f.push_back(3 * xi * xi - 2 * xi + 1);
  GradientOptions o;
  o.spacing = {AxisSpacing::coordinates(x)};
  o.edge_order = 2;
  const auto g = gradient(ramp1d(f), o);
  ASSERT_EQ(g.size(), 1u);
  const double* d = static_cast<const double*>(g[0].data());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(d[i], 6 * x[i] - 2, 1e-12) << "at x = " << x[i];
}

TEST(Gradient, EdgeOrder1IsExactOnLinesOnlyAtTheEdges) {
  // A quadratic: central differences are exact inside, first-order edges are not.
  const auto g = gradient(ramp1d({0, 1, 4, 9, 16}))[0];
  const double* d = static_cast<const double*>(g.data());
  EXPECT_DOUBLE_EQ(d[0], 1.0);  // (1 - 0) / 1, the true derivative is 0
  EXPECT_DOUBLE_EQ(d[2], 4.0);  // (9 - 1) / 2, exact
  EXPECT_DOUBLE_EQ(d[4], 7.0);  // (16 - 9) / 1, the true derivative is 8
}

TEST(Gradient, IntegerInputIsPromotedBeforeDifferencing) {
  Array a(DType::uint8, {3});
  auto* p = static_cast<std::uint8_t*>(a.data());
  p[0] = 0, p[1] = 255, p[2] = 0;
  const auto g = gradient(a)[0];
  ASSERT_EQ(g.dtype(), DType::float64);
  const double* d = static_cast<const double*>(g.data());
  EXPECT_EQ(d[0], 255.0);
  EXPECT_EQ(d[1], 0.0);
  EXPECT_EQ(d[2], -255.0);  // uint8 arithmetic would have wrapped to 1
}

TEST(Gradient, AnisotropicSpacingGivesPhysicalUnits) {
  // f = 2 z + 3 y + 5 x in physical coordinates (mm), sampled with spacing (2.5, 0.7, 0.5).
  const double dz = 2.5, dy = 0.7, dx = 0.5;
  Array f(DType::float64, {4, 5, 6});
  auto v = f.view<double>();
  for (index_t k = 0; k < 4; ++k)
    for (index_t j = 0; j < 5; ++j)
      for (index_t i = 0; i < 6; ++i) v({k, j, i}) = 2 * k * dz + 3 * j * dy + 5 * i * dx;
  GradientOptions o;
  o.spacing = {AxisSpacing::uniform(dz), AxisSpacing::uniform(dy), AxisSpacing::uniform(dx)};
  const auto g = gradient(f, o);
  ASSERT_EQ(g.size(), 3u);
  const double expect[3] = {2, 3, 5};
  for (int c = 0; c < 3; ++c)
    for (index_t n = 0; n < f.size(); ++n)
      ASSERT_NEAR(static_cast<const double*>(g[static_cast<std::size_t>(c)].data())[n], expect[c], 1e-12)
          << "component " << c << " sample " << n;
}

TEST(Gradient, AxesSelectAndOrderTheComponents) {
  Array f(DType::float32, {3, 4});
  auto v = f.view<float>();
  for (index_t j = 0; j < 3; ++j)
    for (index_t i = 0; i < 4; ++i) v({j, i}) = static_cast<float>(10 * j + i);
  GradientOptions o;
  o.axes = std::vector<int>{-1, 0};
  o.spacing = {AxisSpacing::uniform(0.5), AxisSpacing::uniform(2.0)};  // in the order of `axes`
  const auto g = gradient(f, o);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].dtype(), DType::float32);
  EXPECT_FLOAT_EQ(static_cast<const float*>(g[0].data())[5], 2.0f);  // d/dx = 1 / 0.5
  EXPECT_FLOAT_EQ(static_cast<const float*>(g[1].data())[5], 5.0f);  // d/dy = 10 / 2
}

TEST(Gradient, ExplicitDtypeRoundsNumpysResult) {
  Array a(DType::uint8, {4});
  auto* p = static_cast<std::uint8_t*>(a.data());
  p[0] = 0, p[1] = 1, p[2] = 3, p[3] = 10;
  GradientOptions o;
  o.dtype = DType::float32;
  o.spacing = {AxisSpacing::uniform(3.0)};
  const auto g = gradient(a, o)[0];
  ASSERT_EQ(g.dtype(), DType::float32);
  EXPECT_EQ(static_cast<const float*>(g.data())[1], static_cast<float>(3.0 / 6.0));
  EXPECT_EQ(static_cast<const float*>(g.data())[2], static_cast<float>(9.0 / 6.0));
}

TEST(Gradient, StridedInputViewNeedsNoCopy) {
  // Every other column of a 4 x 8 buffer, differenced along both axes.
  std::vector<double> buf(32);
  for (int i = 0; i < 32; ++i) buf[static_cast<std::size_t>(i)] = i * i;
  ConstArrayView<double> v(buf.data(), {4, 4}, {8, 2});
  const auto g = gradient<double>(v);
  const Array dense = to_array(v);
  const auto ref = gradient(dense);
  for (std::size_t c = 0; c < 2; ++c)
    for (index_t n = 0; n < 16; ++n)
      EXPECT_EQ(static_cast<const double*>(g[c].data())[n], static_cast<const double*>(ref[c].data())[n]);
}

TEST(Gradient, ShapeTooSmallUsesNumpysWording) {
  const auto msg = error_of([] {
    GradientOptions o;
    o.edge_order = 2;
    gradient(ramp1d({1, 2}), o);
  });
  EXPECT_NE(msg.find("Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) "
                     "elements are required"),
            std::string::npos)
      << msg;
  EXPECT_THROW(gradient(ramp1d({1})), ShapeError);
}

TEST(Gradient, EdgeOrderOtherThan1Or2IsRejected) {
  for (int eo : {0, 3, -1}) {
    GradientOptions o;
    o.edge_order = eo;
    EXPECT_THROW(gradient(ramp1d({1, 2, 3, 4}), o), InvalidArgument) << eo;
  }
  GradientOptions o;
  o.edge_order = 3;
  EXPECT_NE(error_of([&] {
              gradient(ramp1d({1, 2, 3, 4}), o);
            }).find("'edge_order' greater than 2 not supported"),
            std::string::npos);
}

TEST(Gradient, ZeroOrNonFiniteSpacingIsAnErrorUnlikeNumpy) {
  for (double bad : {0.0, -0.0, std::nan(""), static_cast<double>(INFINITY)}) {
    GradientOptions o;
    o.spacing = {AxisSpacing::uniform(bad)};
    const auto msg = error_of([&] { gradient(ramp1d({1, 2, 3}), o); });
    EXPECT_NE(msg.find("finite and non-zero"), std::string::npos) << msg;
  }
  GradientOptions o;
  o.spacing = {AxisSpacing::coordinates({0.0, 1.0, 1.0, 2.0})};  // repeated coordinate
  const auto msg = error_of([&] { gradient(ramp1d({1, 2, 3, 4}), o); });
  EXPECT_NE(msg.find("x[2] - x[1]"), std::string::npos) << msg;
}

TEST(Gradient, AxisErrorsNameTheAxis) {
  Array f(DType::float64, {3, 3});
  GradientOptions o;
  o.axes = std::vector<int>{2};
  EXPECT_NE(error_of([&] { gradient(f, o); }).find("axis 2 is out of bounds for array of dimension 2"),
            std::string::npos);
  o.axes = std::vector<int>{1, -1};
  EXPECT_NE(error_of([&] { gradient(f, o); }).find("repeated axis"), std::string::npos);
}

TEST(Gradient, SpacingCountAndCoordinateLengthAreChecked) {
  Array f(DType::float64, {3, 4});
  GradientOptions o;
  o.spacing = {AxisSpacing::uniform(1), AxisSpacing::uniform(2), AxisSpacing::uniform(3)};
  EXPECT_NE(error_of([&] { gradient(f, o); }).find("invalid number of arguments"), std::string::npos);
  o.spacing = {AxisSpacing::coordinates({0, 1, 2})};  // one array for two axes: numpy's TypeError
  EXPECT_THROW(gradient(f, o), InvalidArgument);
  o.spacing = {AxisSpacing::uniform(1), AxisSpacing::coordinates({0, 1, 2})};
  EXPECT_NE(error_of([&] { gradient(f, o); }).find("distances must match the length"), std::string::npos);
}

TEST(Gradient, EvenlySpacedCoordinatesTakeTheUniformPath) {
  // numpy collapses evenly spaced coordinates to a scalar step; the uniform formula then applies.
  Array f(DType::float32, {5});
  auto* p = static_cast<float*>(f.data());
  for (int i = 0; i < 5; ++i) p[i] = 0.1f * static_cast<float>(i * i);
  GradientOptions a, b;
  a.spacing = {AxisSpacing::coordinates({0, 0.25, 0.5, 0.75, 1.0})};
  b.spacing = {AxisSpacing::uniform(0.25)};
  const auto ga = gradient(f, a)[0], gb = gradient(f, b)[0];
  EXPECT_EQ(0, std::memcmp(ga.data(), gb.data(), ga.nbytes()));
}

TEST(Gradient, CoordinateArraysKeepTheirDtype) {
  Array x(DType::float32, {4});
  auto* p = static_cast<float*>(x.data());
  for (int i = 0; i < 4; ++i) p[i] = 4096.0f + 0.03f * static_cast<float>(i * i);
  const AxisSpacing s = AxisSpacing::coordinates(x);
  EXPECT_EQ(s.dtype, DType::float32);
  ASSERT_EQ(s.coords.size(), 4u);
  EXPECT_EQ(s.coords[3], static_cast<double>(p[3]));  // the float32 value, exactly
  EXPECT_EQ(AxisSpacing::coordinates(Array(DType::int16, {3})).dtype, DType::int16);
  EXPECT_THROW(AxisSpacing::coordinates(Array(DType::float32, {2, 3})), ShapeError);
}

TEST(Gradient, Float32SpacingMustHoldFloat32Values) {
  // 0.1 is not a float32 value: rounding it silently would differentiate along other positions.
  GradientOptions o;
  o.spacing = {AxisSpacing::uniform(0.1, DType::float32)};
  const auto msg = error_of([&] { gradient(ramp1d({1, 2, 3}), o); });
  EXPECT_NE(msg.find("not a float32 value"), std::string::npos) << msg;
  o.spacing = {AxisSpacing{1.0, {0.0, 0.5, 0.1}, DType::float16}};
  EXPECT_NE(error_of([&] { gradient(ramp1d({1, 2, 3}), o); }).find("x[2]"), std::string::npos);
  o.spacing = {AxisSpacing::uniform(static_cast<double>(0.1f), DType::float32)};
  EXPECT_NO_THROW(gradient(ramp1d({1, 2, 3}), o));
}
