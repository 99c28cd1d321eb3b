// SPDX-License-Identifier: MIT
// cv::Mat and itk::Image adapters: views share the caller's memory (ROIs included), axis order and
// spacing are converted once, results equal the library's on the equivalent Array bit for bit, keep
// the input's geometry, and equal what the CLI writes for the same file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/error.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

#ifdef GRADMAP_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gradmap/opencv.hpp"
#endif
#ifdef GRADMAP_HAVE_ITK
#include <itkImageFileReader.h>
#include <itkNiftiImageIO.h>

#include "gradmap/itk.hpp"
#endif

namespace {

using namespace gradmap;
using gradmap_test::run_cli;
using gradmap_test::shell_quote;
using gradmap_test::source_path;
using gradmap_test::TempDir;

/// Bitwise equality of two arrays of one float dtype (NaN patterns included), with the first
/// differing index in the failure message.
void expect_same_bits(const Array& expected, const Array& actual, const std::string& what) {
  ASSERT_EQ(expected.dtype(), actual.dtype()) << what;
  ASSERT_EQ(expected.shape(), actual.shape()) << what;
  const std::size_t esz = dtype_size(expected.dtype());
  const auto* e = static_cast<const unsigned char*>(expected.data());
  const auto* a = static_cast<const unsigned char*>(actual.data());
  for (index_t i = 0; i < expected.size(); ++i)
    if (std::memcmp(e + i * esz, a + i * esz, esz) != 0) {
      ADD_FAILURE() << what << ": first difference at flat index " << i;
      return;
    }
}

#ifdef GRADMAP_HAVE_OPENCV

/// A Mat of random values of the given type (integers within their range, floats in [-100, 100]).
cv::Mat random_mat(int rows, int cols, int type, unsigned seed) {
  cv::Mat m(rows, cols, type);
  cv::RNG rng(seed);
  const int depth = CV_MAT_DEPTH(type);
  if (depth == CV_32F || depth == CV_64F)
    rng.fill(m, cv::RNG::UNIFORM, -100.0, 100.0);
  else if (depth == CV_8U)
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  else
    rng.fill(m, cv::RNG::UNIFORM, -3000, 3000);
  return m;
}

/// The Mat as an Array built element by element with Mat::ptr (independent of the adapter's
/// view): shape (rows, cols) or (rows, cols, channels).
Array array_copy(const cv::Mat& m) {
  Shape shape{m.rows, m.cols};
  if (m.channels() > 1) shape.push_back(m.channels());
  Array a(mat_dtype(m), shape);
  const std::size_t row_bytes = static_cast<std::size_t>(m.cols) * m.elemSize();
  for (int r = 0; r < m.rows; ++r)
    std::memcpy(static_cast<unsigned char*>(a.data()) + r * row_bytes, m.ptr(r), row_bytes);
  return a;
}

GradientOptions spatial(GradientOptions o) {
  if (!o.axes) o.axes = std::vector<int>{0, 1};
  return o;
}

TEST(OpenCvAdapter, ContinuousMatGradientEqualsArrayGradient) {
  GradientOptions anisotropic;
  anisotropic.spacing = {AxisSpacing::uniform(0.5), AxisSpacing::uniform(3.0)};
  anisotropic.edge_order = 2;
  for (int type : {CV_8UC1, CV_8SC1, CV_16UC1, CV_16SC1, CV_32SC1, CV_32FC1, CV_64FC1}) {
    const cv::Mat m = random_mat(7, 9, type, 17u + static_cast<unsigned>(type));
    for (const GradientOptions& o : {GradientOptions{}, anisotropic}) {
      const std::vector<cv::Mat> got = gradmap::gradient(m, o);
      const std::vector<Array> want = gradmap::gradient(array_copy(m), o);
      ASSERT_EQ(got.size(), 2u);
      for (std::size_t k = 0; k < 2; ++k) {
        EXPECT_EQ(got[k].depth(), type == CV_32FC1 ? CV_32F : CV_64F) << cv::typeToString(type);
        EXPECT_EQ(got[k].size(), m.size());
        expect_same_bits(want[k], array_copy(got[k]),
                         cv::typeToString(type) + " component " + std::to_string(k));
      }
    }
  }
}

TEST(OpenCvAdapter, RoiIsViewedWithoutCopyAndGivesTheRoisGradient) {
  const cv::Mat big = random_mat(40, 50, CV_32FC1, 5);
  const cv::Mat roi = big(cv::Rect(7, 3, 20, 11));  // x, y, width, height
  ASSERT_FALSE(roi.isContinuous());
  const ConstArrayView<float> v = view_of<float>(roi);
  EXPECT_EQ(v.data(), roi.ptr<float>(0));  // the Mat's own memory: no copy
  EXPECT_EQ(v.extents(), (Shape{11, 20}));
  EXPECT_EQ(v.strides(), (Shape{50, 1}));  // the parent's row step, in elements

  const std::vector<cv::Mat> got = gradmap::gradient(roi);
  const std::vector<Array> want = gradmap::gradient(array_copy(roi.clone()));
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) expect_same_bits(want[k], array_copy(got[k]), "ROI component");
}

TEST(OpenCvAdapter, MultiChannelMatGivesOneChannelPerInputChannel) {
  const cv::Mat bgr = random_mat(12, 10, CV_8UC3, 9);
  const ConstArrayView<std::uint8_t> v = view_of<std::uint8_t>(bgr);
  EXPECT_EQ(v.extents(), (Shape{12, 10, 3}));
  EXPECT_EQ(v.strides(), (Shape{30, 3, 1}));

  const std::vector<cv::Mat> got = gradmap::gradient(bgr);
  ASSERT_EQ(got.size(), 2u);  // gy, gx; the channel axis is never differentiated
  const Array whole = array_copy(bgr);
  const std::vector<Array> want = gradmap::gradient(whole, spatial({}));
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(got[k].type(), CV_64FC3);
    expect_same_bits(want[k], array_copy(got[k]), "3-channel component " + std::to_string(k));
  }

  // One channel as a view: same memory, pixel stride = channel count; its gradient is that
  // channel of the 3-channel result.
  const ConstArrayView<std::uint8_t> green = channel_view_of<std::uint8_t>(bgr, 1);
  EXPECT_EQ(green.data(), bgr.ptr<std::uint8_t>(0) + 1);
  EXPECT_EQ(green.strides(), (Shape{30, 3}));
  std::vector<cv::Mat> planes;
  cv::split(got[1], planes);
  expect_same_bits(gradmap::gradient(green)[1], array_copy(planes[1]), "green channel view");

  // Negative axes count from the last spatial axis, not from the channels.
  GradientOptions last;
  last.axes = std::vector<int>{-1};
  const std::vector<cv::Mat> gx = gradmap::gradient(bgr, last);
  ASSERT_EQ(gx.size(), 1u);
  expect_same_bits(want[1], array_copy(gx[0]), "axis -1 of a 3-channel Mat");
}

TEST(OpenCvAdapter, GradientIntoWritesIntoCallerRoisOnly) {
  const cv::Mat src = random_mat(9, 8, CV_16UC1, 3);
  cv::Mat canvas_y(20, 20, CV_32FC1, cv::Scalar(-7.0f)), canvas_x(20, 20, CV_32FC1, cv::Scalar(-7.0f));
  std::vector<cv::Mat> dst{canvas_y(cv::Rect(2, 5, 8, 9)), canvas_x(cv::Rect(11, 1, 8, 9))};
  const float* before = dst[0].ptr<float>(0);
  gradmap::gradient_into(src, dst);
  EXPECT_EQ(dst[0].ptr<float>(0), before);  // written in place, not reallocated

  GradientOptions as_float32;
  as_float32.dtype = DType::float32;
  const std::vector<Array> want = gradmap::gradient(array_copy(src), as_float32);
  expect_same_bits(want[0], array_copy(dst[0]), "gy written into a ROI");
  expect_same_bits(want[1], array_copy(dst[1]), "gx written into a ROI");
  // Outside the ROIs nothing changed.
  cv::Mat outside = canvas_y.clone();
  outside(cv::Rect(2, 5, 8, 9)).setTo(-7.0f);
  EXPECT_EQ(cv::countNonZero(outside != -7.0f), 0);
}

TEST(OpenCvAdapter, EdgesEqualLibraryEdgesPerChannel) {
  for (int type : {CV_32FC1, CV_16SC3}) {
    const cv::Mat m = random_mat(15, 13, type, 21);
    EdgeOptions o;
    o.components = true;
    const MatEdgeMaps got = gradmap::edges(m, o);
    o.gradient = spatial(o.gradient);
    const EdgeMaps want = gradmap::edges(array_copy(m), o);
    EXPECT_EQ(got.magnitude.channels(), m.channels());
    expect_same_bits(want.magnitude, array_copy(got.magnitude), "magnitude " + cv::typeToString(type));
    expect_same_bits(want.direction, array_copy(got.direction), "direction " + cv::typeToString(type));
    ASSERT_EQ(got.components.size(), 2u);
    expect_same_bits(want.components[1], array_copy(got.components[1]), "gx " + cv::typeToString(type));
    EXPECT_TRUE(got.elevation.empty());
  }
  const cv::Mat gray = random_mat(6, 6, CV_8UC1, 2);
  expect_same_bits(gradmap::gradient_magnitude(array_copy(gray)),
                   array_copy(gradmap::gradient_magnitude(gray)), "gradient_magnitude");
}

TEST(OpenCvAdapter, RejectsWrongTypesAxesAndOutputs) {
  const cv::Mat m = random_mat(5, 5, CV_8UC3, 1);
  try {
    (void)view_of<float>(m);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("the element type is float32 but the Mat holds uint8"),
              std::string::npos)
        << e.what();
  }
  GradientOptions channel_axis;
  channel_axis.axes = std::vector<int>{2};
  try {
    (void)gradmap::gradient(m, channel_axis);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("axis 2 is out of bounds for a Mat with 2 spatial axes"),
              std::string::npos)
        << e.what();
  }
  std::vector<cv::Mat> wrong{cv::Mat(5, 5, CV_64FC1), cv::Mat(5, 5, CV_64FC1)};  // 1 channel, not 3
  try {
    gradmap::gradient_into(m, wrong);
    FAIL() << "no exception";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("has shape (5, 5), expected (5, 5, 3)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)gradmap::gradient(cv::Mat()), InvalidArgument);
  // A Mat over misaligned user memory cannot be viewed as floats.
  std::vector<unsigned char> raw(4 * 4 * sizeof(float) + 1);
  const cv::Mat misaligned(4, 4, CV_32FC1, raw.data() + 1);
  EXPECT_THROW((void)view_of<float>(misaligned), InvalidArgument);
}

#ifdef GRADMAP_CLI
TEST(OpenCvAdapter, ResultsEqualTheClisOnAPng) {
  TempDir out;
  const std::string png = source_path("sample_images/ascent_gray.png");
  const auto r = run_cli("gradient " + shell_quote(png) + " -o " + shell_quote(out.path().string()) +
                         " --format npy -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const cv::Mat m = cv::imread(png, cv::IMREAD_UNCHANGED);
  ASSERT_EQ(m.type(), CV_8UC1);
  const std::vector<cv::Mat> g = gradmap::gradient(m);
  expect_same_bits(read_npy(out / "ascent_gray_gy.npy"), array_copy(g[0]), "gy vs CLI");
  expect_same_bits(read_npy(out / "ascent_gray_gx.npy"), array_copy(g[1]), "gx vs CLI");
}
#endif

#endif  // GRADMAP_HAVE_OPENCV

#ifdef GRADMAP_HAVE_ITK

using Volume = itk::Image<float, 3>;

/// A 6 (x) × 5 (y) × 4 (z) volume with spacing (0.5, 2, 3) mm, a rotated direction and an origin,
/// filled by `f(i, j, k)` of the ITK index (x, y, z).
template <class F>
Volume::Pointer make_volume(F f) {
  auto img = Volume::New();
  Volume::SizeType size{{6, 5, 4}};
  img->SetRegions(Volume::RegionType(size));
  const double spacing[3] = {0.5, 2.0, 3.0};
  img->SetSpacing(spacing);
  const double origin[3] = {-10.0, 4.0, 7.5};
  img->SetOrigin(origin);
  // Rotation by 30° about z, then 20° about x: orthonormal, far from identity.
  const double pi = std::acos(-1.0);
  const double cz = std::cos(pi / 6), sz = std::sin(pi / 6), cx = std::cos(pi / 9), sx = std::sin(pi / 9);
  Volume::DirectionType d;
  const double rz[3][3] = {{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}};
  const double rx[3][3] = {{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += rz[i][k] * rx[k][j];
      d[i][j] = s;
    }
  img->SetDirection(d);
  img->Allocate();
  for (unsigned z = 0; z < 4; ++z)
    for (unsigned y = 0; y < 5; ++y)
      for (unsigned x = 0; x < 6; ++x) img->SetPixel({{x, y, z}}, f(x, y, z));
  return img;
}

template <class Image>
void expect_same_geometry(const Volume& in, const Image& out) {
  EXPECT_EQ(out.GetSpacing(), in.GetSpacing());
  EXPECT_EQ(out.GetOrigin(), in.GetOrigin());
  EXPECT_EQ(out.GetDirection(), in.GetDirection());
  EXPECT_EQ(out.GetLargestPossibleRegion(), in.GetLargestPossibleRegion());
  EXPECT_EQ(out.GetBufferedRegion(), in.GetBufferedRegion());
}

TEST(ItkAdapter, ViewIsNumpyOrderOverTheImagesBuffer) {
  const auto img =
      make_volume([](unsigned x, unsigned y, unsigned z) { return float(100 * z + 10 * y + x); });
  const ConstArrayView<float> v = view_of(*img);
  EXPECT_EQ(v.data(), img->GetBufferPointer());
  EXPECT_EQ(v.extents(), (Shape{4, 5, 6}));  // (z, y, x)
  EXPECT_EQ(v({3, 2, 1}), 321.0f);           // z = 3, y = 2, x = 1
  const auto s = spacing_of(*img);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].step, 3.0);  // z
  EXPECT_EQ(s[1].step, 2.0);  // y
  EXPECT_EQ(s[2].step, 0.5);  // x
}

TEST(ItkAdapter, AnisotropicSpacingIsHonouredPerAxisAndGeometryCopied) {
  // f = 3 i + 5 j + 7 k (index units): per mm, d/dx = 3/0.5, d/dy = 5/2, d/dz = 7/3, exact.
  const auto img =
      make_volume([](unsigned x, unsigned y, unsigned z) { return float(3 * x + 5 * y + 7 * z); });
  const auto g = gradmap::gradient(*img);
  ASSERT_EQ(g.size(), 3u);  // numpy order: d/dz, d/dy, d/dx
  const float expected[3] = {7.0f / 3.0f, 2.5f, 6.0f};
  for (std::size_t k = 0; k < 3; ++k) {
    expect_same_geometry(*img, *g[k]);
    const ConstArrayView<float> v = view_of(*g[k]);
    for (index_t i = 0; i < v.size(); ++i) ASSERT_FLOAT_EQ(v.data()[i], expected[k]) << "component " << k;
  }
}

TEST(ItkAdapter, GradientEqualsLibraryGradientOnTheEquivalentArray) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-50.0f, 50.0f);
  const auto img = make_volume([&](unsigned, unsigned, unsigned) { return u(rng); });
  const Array arr = to_array<float>(view_of(*img));
  GradientOptions o;
  o.spacing = {AxisSpacing::uniform(3.0), AxisSpacing::uniform(2.0), AxisSpacing::uniform(0.5)};
  o.edge_order = 2;
  const std::vector<Array> want = gradmap::gradient(arr, o);
  GradientOptions from_image;
  from_image.edge_order = 2;
  const auto got = gradmap::gradient(*img, from_image);
  for (std::size_t k = 0; k < 3; ++k)
    expect_same_bits(want[k], to_array<float>(view_of(*got[k])), "component " + std::to_string(k));

  // A subset of axes takes the spacing of those axes; an explicit spacing overrides the image's.
  GradientOptions x_only;
  x_only.axes = std::vector<int>{-1};
  const auto gx = gradmap::gradient<double>(*img, x_only);
  GradientOptions x_ref = x_only;
  x_ref.spacing = {AxisSpacing::uniform(0.5)};
  x_ref.dtype = DType::float64;
  expect_same_bits(gradmap::gradient(arr, x_ref)[0], to_array<double>(view_of(*gx[0])), "x only, double");
  GradientOptions voxels;
  voxels.spacing = {AxisSpacing::uniform(1.0)};
  expect_same_bits(gradmap::gradient(arr)[0], to_array<float>(view_of(*gradmap::gradient(*img, voxels)[0])),
                   "voxel units");
}

TEST(ItkAdapter, VectorImageFollowsItkComponentOrderAndDirection) {
  const auto img =
      make_volume([](unsigned x, unsigned y, unsigned z) { return float(3 * x + 5 * y + 7 * z); });
  const double index_grad[3] = {6.0, 2.5, 7.0 / 3.0};  // ITK order: x, y, z
  const auto local = gradmap::gradient_vector_image(*img, false);
  expect_same_geometry(*img, *local);
  const auto phys = gradmap::gradient_vector_image(*img, true);
  const auto dir = img->GetDirection();
  for (unsigned z = 0; z < 4; ++z)
    for (unsigned y = 0; y < 5; ++y)
      for (unsigned x = 0; x < 6; ++x) {
        const auto l = local->GetPixel({{x, y, z}});
        const auto p = phys->GetPixel({{x, y, z}});
        for (unsigned i = 0; i < 3; ++i) {
          ASSERT_FLOAT_EQ(l[i], float(index_grad[i]));
          double rotated = 0;
          for (unsigned j = 0; j < 3; ++j) rotated += dir[i][j] * index_grad[j];
          ASSERT_NEAR(p[i], rotated, 1e-5);
        }
      }
}

TEST(ItkAdapter, EdgesUseImageSpacingAndKeepGeometry) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0.0f, 10.0f);
  const auto img = make_volume([&](unsigned, unsigned, unsigned) { return u(rng); });
  EdgeOptions o;
  const auto got = gradmap::edges(*img, o);
  o.gradient.spacing = {AxisSpacing::uniform(3.0), AxisSpacing::uniform(2.0), AxisSpacing::uniform(0.5)};
  const EdgeMaps want = gradmap::edges(to_array<float>(view_of(*img)), o);
  ASSERT_TRUE(got.magnitude && got.direction && got.elevation);
  expect_same_geometry(*img, *got.magnitude);
  expect_same_geometry(*img, *got.elevation);
  expect_same_bits(want.magnitude, to_array<float>(view_of(*got.magnitude)), "magnitude");
  expect_same_bits(want.direction, to_array<float>(view_of(*got.direction)), "azimuth");
  expect_same_bits(want.elevation, to_array<float>(view_of(*got.elevation)), "elevation");
  expect_same_bits(want.magnitude, to_array<float>(view_of(*gradmap::gradient_magnitude(*img))),
                   "gradient_magnitude");
}

TEST(ItkAdapter, RejectsImagesWithoutBufferAndMismatchedDtype) {
  auto empty = Volume::New();
  EXPECT_THROW((void)view_of(*empty), InvalidArgument);
  const auto img = make_volume([](unsigned, unsigned, unsigned) { return 1.0f; });
  GradientOptions o;
  o.dtype = DType::float64;
  try {
    (void)gradmap::gradient(*img, o);  // output images are float (numpy's type for float pixels)
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("options.dtype is float64 but the output images hold float32"),
              std::string::npos)
        << e.what();
  }
}

#ifdef GRADMAP_CLI
TEST(ItkAdapter, ResultsEqualTheClisOnANiftiVolume) {
  // int16, spacing (2.5, 0.8, 0.7) mm in (z, y, x), rotated direction.
  const std::string nii = source_path("sample_images/head_phantom.nii.gz");
  TempDir out;
  const auto r = run_cli("gradient " + shell_quote(nii) + " -o " + shell_quote(out.path().string()) +
                         " --format npy -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  using CtImage = itk::Image<short, 3>;
  auto reader = itk::ImageFileReader<CtImage>::New();
  reader->SetImageIO(itk::NiftiImageIO::New());  // explicit: no IO factory registration needed
  reader->SetFileName(nii);
  reader->Update();
  const auto g = gradmap::gradient(*reader->GetOutput());  // int16 → double, numpy's rule
  ASSERT_EQ(g.size(), 3u);
  expect_same_bits(read_npy(out / "head_phantom_gz.npy"), to_array<double>(view_of(*g[0])), "gz vs CLI");
  expect_same_bits(read_npy(out / "head_phantom_gy.npy"), to_array<double>(view_of(*g[1])), "gy vs CLI");
  expect_same_bits(read_npy(out / "head_phantom_gx.npy"), to_array<double>(view_of(*g[2])), "gx vs CLI");
}
#endif

#endif  // GRADMAP_HAVE_ITK

}  // namespace
