// SPDX-License-Identifier: MIT
// Reading and writing every format with real files: the committed sample_images/ and files made in
// the test by OpenCV and nibabel (the tools users already have). Pixels are compared with what
// those tools decode, geometry with what the files were made with.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/error.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using gradmap::Array;
using gradmap::ColorMode;
using gradmap::DType;
using gradmap::Image;
using gradmap::ReadOptions;
using gradmap::Shape;
using gradmap_test::run_python;
using gradmap_test::shell_quote;
using gradmap_test::source_path;
using gradmap_test::TempDir;

/// Runs a Python script with numpy, cv2 and nibabel imported, `d` bound to `dir` and sys.argv[2]
/// to `file` (if given).
void python(const std::string& script, const std::string& dir, const std::string& file = "") {
  const std::string prelude =
      "import sys, os, struct, zlib, gzip\nimport numpy as np\nimport cv2\nimport nibabel as nib\n"
      "d = sys.argv[1]\n";
  auto r = run_python(prelude + script, shell_quote(dir) + (file.empty() ? "" : " " + shell_quote(file)));
  ASSERT_EQ(r.exit_code, 0) << "python failed:\n" << r.err << r.out;
}

std::string sample(const std::string& name) { return source_path("sample_images/" + name); }

/// Element-wise equality of two arrays of the same dtype and shape.
void expect_equal_arrays(const Array& got, const Array& want) {
  ASSERT_EQ(gradmap::dtype_name(got.dtype()), std::string(gradmap::dtype_name(want.dtype())));
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.nbytes(), want.nbytes());
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.nbytes()), 0) << "pixel values differ";
}

template <class T>
T at(const Array& a, std::initializer_list<gradmap::index_t> idx) {
  return a.view<T>()(idx);
}

void expect_vector_near(const std::vector<double>& got, const std::vector<double>& want, double tol,
                        const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << what << "[" << i << "]";
}

/// R = Rz(deg_z) · Rx(deg_x): columns are the LPS world directions of the ITK index axes x, y, z
/// (how scripts/make_samples.py orients the head phantom).
std::vector<std::vector<double>> rotation(double deg_z, double deg_x) {
  const double a = deg_z * M_PI / 180, b = deg_x * M_PI / 180;
  std::vector<std::vector<double>> rz = {
      {std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}};
  std::vector<std::vector<double>> rx = {
      {1, 0, 0}, {0, std::cos(b), -std::sin(b)}, {0, std::sin(b), std::cos(b)}};
  std::vector<std::vector<double>> r(3, std::vector<double>(3, 0.0));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) r[i][j] += rz[i][k] * rx[k][j];
  return r;
}

/// The same matrix as gradmap states it: numpy axis order, rows and columns reversed.
std::vector<double> numpy_direction(const std::vector<std::vector<double>>& r) {
  std::vector<double> d;
  for (int i = 2; i >= 0; --i)
    for (int j = 2; j >= 0; --j) d.push_back(r[i][j]);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Rasters (OpenCV)

#ifdef GRADMAP_HAVE_OPENCV

TEST(Io, GrayPngReadsAsUint8WithPixelUnits) {
  TempDir tmp;
  python("a = cv2.imread(sys.argv[2], cv2.IMREAD_UNCHANGED); np.save(os.path.join(d, 'want.npy'), a)",
         tmp.path().string(), sample("ascent_gray.png"));
  Image img = gradmap::read_image(sample("ascent_gray.png"));
  EXPECT_EQ(img.format, "png");
  EXPECT_EQ(img.pixels.shape(), (Shape{512, 512}));
  EXPECT_EQ(img.series_axes, 0);
  EXPECT_EQ(img.geometry.unit, "px");
  EXPECT_EQ(img.geometry.spacing, (std::vector<double>{1, 1}));
  EXPECT_EQ(img.geometry.origin, (std::vector<double>{0, 0}));
  EXPECT_EQ(img.geometry.direction, (std::vector<double>{1, 0, 0, 1}));
  expect_equal_arrays(img.pixels, gradmap::read_npy(tmp / "want.npy"));
}

TEST(Io, SixteenBitPngStaysUint16) {
  TempDir tmp;
  python("np.save(os.path.join(d, 'want.npy'), cv2.imread(sys.argv[2], cv2.IMREAD_UNCHANGED))",
         tmp.path().string(), sample("spots_16bit.png"));
  Image img = gradmap::read_image(sample("spots_16bit.png"));
  ASSERT_EQ(img.pixels.dtype(), DType::uint16);
  EXPECT_EQ(img.pixels.shape(), (Shape{256, 320}));
  Array want = gradmap::read_npy(tmp / "want.npy");
  expect_equal_arrays(img.pixels, want);
  auto v = img.pixels.view<std::uint16_t>();
  std::uint16_t mx = 0;
  for (gradmap::index_t i = 0; i < v.size(); ++i) mx = std::max(mx, v.data()[i]);
  EXPECT_GT(mx, 255) << "16-bit samples were squeezed into 8 bits";
}

TEST(Io, ColorJpegGrayModeIsBt601LuminanceInFloat32) {
  TempDir tmp;
  python(
      "bgr = cv2.imread(sys.argv[2], cv2.IMREAD_UNCHANGED).astype(np.float32)\n"
      "b, g, r = bgr[..., 0], bgr[..., 1], bgr[..., 2]\n"
      "y = np.float32(0.299) * r + np.float32(0.587) * g + np.float32(0.114) * b\n"
      "assert y.dtype == np.float32\n"
      "np.save(os.path.join(d, 'want.npy'), y)",
      tmp.path().string(), sample("raccoon_color.jpg"));
  Image img = gradmap::read_image(sample("raccoon_color.jpg"));
  EXPECT_EQ(img.format, "jpeg");
  EXPECT_EQ(img.series_axes, 0);
  EXPECT_EQ(img.pixels.shape(), (Shape{384, 512}));
  expect_equal_arrays(img.pixels, gradmap::read_npy(tmp / "want.npy"));
}

TEST(Io, ColorChannelsModeGivesRgbPlanesAsSeriesAxis) {
  TempDir tmp;
  python(
      "bgr = cv2.imread(sys.argv[2], cv2.IMREAD_UNCHANGED)\n"
      "np.save(os.path.join(d, 'want.npy'), np.ascontiguousarray(bgr[..., ::-1].transpose(2, 0, 1)))",
      tmp.path().string(), sample("raccoon_color.jpg"));
  ReadOptions o;
  o.color = ColorMode::channels;
  Image img = gradmap::read_image(sample("raccoon_color.jpg"), o);
  EXPECT_EQ(img.series_axes, 1);
  EXPECT_EQ(img.spatial_rank(), 2);
  EXPECT_EQ(img.geometry.spacing.size(), 2u);
  expect_equal_arrays(img.pixels, gradmap::read_npy(tmp / "want.npy"));
}

TEST(Io, RgbaSixteenBitPngDropsAlphaAndKeepsDepth) {
  TempDir tmp;
  python(
      "rng = np.random.default_rng(3)\n"
      "rgba = rng.integers(0, 65536, size=(7, 9, 4), dtype=np.uint16)\n"
      "cv2.imwrite(os.path.join(d, 'rgba.png'), rgba[..., [2, 1, 0, 3]])\n"
      "np.save(os.path.join(d, 'rgb.npy'), np.ascontiguousarray(rgba[..., :3].transpose(2, 0, 1)))\n"
      "f = rgba.astype(np.float32)\n"
      "y = np.float32(0.299) * f[..., 0] + np.float32(0.587) * f[..., 1] + np.float32(0.114) * f[..., 2]\n"
      "np.save(os.path.join(d, 'y.npy'), y)",
      tmp.path().string());
  ReadOptions o;
  o.color = ColorMode::channels;
  expect_equal_arrays(gradmap::read_image(tmp / "rgba.png", o).pixels, gradmap::read_npy(tmp / "rgb.npy"));
  expect_equal_arrays(gradmap::read_image(tmp / "rgba.png").pixels, gradmap::read_npy(tmp / "y.npy"));
}

TEST(Io, PalettePngReadsAsItsColors) {
  TempDir tmp;
  // OpenCV cannot write palette PNGs; build one chunk by chunk.
  python(
      "def chunk(t, data):\n"
      "    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & "
      "0xffffffff)\n"
      "palette = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30)]\n"
      "idx = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], dtype=np.uint8)\n"
      "raw = b''.join(b'\\0' + bytes(row) for row in idx)\n"
      "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 4, 2, 8, 3, 0, 0, 0))\n"
      "png += chunk(b'PLTE', bytes(c for rgb in palette for c in rgb)) + chunk(b'IDAT', zlib.compress(raw))\n"
      "png += chunk(b'IEND', b'')\n"
      "open(os.path.join(d, 'palette.png'), 'wb').write(png)\n"
      "rgb = np.array(palette, dtype=np.uint8)[idx]\n"
      "np.save(os.path.join(d, 'rgb.npy'), np.ascontiguousarray(rgb.transpose(2, 0, 1)))",
      tmp.path().string());
  ReadOptions o;
  o.color = ColorMode::channels;
  Image img = gradmap::read_image(tmp / "palette.png", o);
  expect_equal_arrays(img.pixels, gradmap::read_npy(tmp / "rgb.npy"));
}

/// A 3 × 2 gray + alpha PNG of the given bit depth: gray [[0, 1000, 65535], [7, 300, 40000]] scaled
/// to the depth, alpha constant; `gray.npy` holds the gray samples.
void write_gray_alpha_png(const std::string& dir, int depth) {
  python(
      "depth = int(sys.argv[2])\n"
      "def chunk(t, data):\n"
      "    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & "
      "0xffffffff)\n"
      "gray = np.array([[0, 1000, 65535], [7, 300, 40000]], dtype='>u2')\n"
      "if depth == 8: gray = (gray // 257).astype(np.uint8)\n"
      "la = np.stack([gray, np.full_like(gray, 123)], axis=-1)\n"
      "raw = b''.join(b'\\0' + row.tobytes() for row in la)\n"
      "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 3, 2, depth, 4, 0, 0, 0))\n"
      "png += chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')\n"
      "open(os.path.join(d, 'la.png'), 'wb').write(png)\n"
      "np.save(os.path.join(d, 'gray.npy'), gray.astype(gray.dtype.newbyteorder('=')))",
      dir, std::to_string(depth));
}

TEST(Io, EightBitGrayPngWithAlphaReadsAsGray) {
  TempDir tmp;
  write_gray_alpha_png(tmp.path().string(), 8);
  for (ColorMode mode : {ColorMode::gray, ColorMode::channels}) {
    ReadOptions o;
    o.color = mode;
    Image img = gradmap::read_image(tmp / "la.png", o);
    EXPECT_EQ(img.series_axes, 0);
    expect_equal_arrays(img.pixels, gradmap::read_npy(tmp / "gray.npy"));
  }
}

TEST(Io, SixteenBitGrayPngWithAlphaIsRefusedRatherThanMisread) {
  // OpenCV 4.6 byte-swaps these samples: 1000 comes back as 59395.
  TempDir tmp;
  write_gray_alpha_png(tmp.path().string(), 16);
  try {
    gradmap::read_image(tmp / "la.png");
    FAIL() << "read without error";
  } catch (const gradmap::IoError& e) {
    EXPECT_NE(std::string(e.what()).find(tmp / "la.png"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("without its alpha"), std::string::npos) << e.what();
  }
}

TEST(Io, FloatTiffKeepsFloat32Values) {
  // scripts/make_samples.py: linear_ramp_2d.tif holds 2 x + 5 y, float32, 48 × 64.
  Image img = gradmap::read_image(sample("linear_ramp_2d.tif"));
  EXPECT_EQ(img.format, "tiff");
  ASSERT_EQ(img.pixels.dtype(), DType::float32);
  ASSERT_EQ(img.pixels.shape(), (Shape{48, 64}));
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x)
      ASSERT_EQ(at<float>(img.pixels, {y, x}), 2.0f * x + 5.0f * y) << y << "," << x;
}

TEST(Io, TiffBmpPnmAndWebpReadLosslessly) {
  TempDir tmp;
  python(
      "rng = np.random.default_rng(5)\n"
      "g16 = rng.integers(0, 65536, size=(11, 13), dtype=np.uint16)\n"
      "g8 = rng.integers(0, 256, size=(11, 13), dtype=np.uint8)\n"
      "c8 = rng.integers(0, 256, size=(11, 13, 3), dtype=np.uint8)\n"
      "cv2.imwrite(os.path.join(d, 'g16.tif'), g16); np.save(os.path.join(d, 'g16.npy'), g16)\n"
      "cv2.imwrite(os.path.join(d, 'g16.pgm'), g16)\n"
      "cv2.imwrite(os.path.join(d, 'g8.bmp'), g8); np.save(os.path.join(d, 'g8.npy'), g8)\n"
      "cv2.imwrite(os.path.join(d, 'c8.ppm'), c8[..., ::-1])\n"
      "cv2.imwrite(os.path.join(d, 'c8.webp'), c8[..., ::-1], [cv2.IMWRITE_WEBP_QUALITY, 101])\n"
      "np.save(os.path.join(d, 'c8.npy'), np.ascontiguousarray(c8.transpose(2, 0, 1)))",
      tmp.path().string());
  ReadOptions o;
  o.color = ColorMode::channels;
  Image tif = gradmap::read_image(tmp / "g16.tif", o);
  EXPECT_EQ(tif.format, "tiff");
  expect_equal_arrays(tif.pixels, gradmap::read_npy(tmp / "g16.npy"));
  Image pgm = gradmap::read_image(tmp / "g16.pgm", o);
  EXPECT_EQ(pgm.format, "pnm");
  expect_equal_arrays(pgm.pixels, gradmap::read_npy(tmp / "g16.npy"));
  Image bmp = gradmap::read_image(tmp / "g8.bmp", o);
  EXPECT_EQ(bmp.format, "bmp");
  expect_equal_arrays(bmp.pixels, gradmap::read_npy(tmp / "g8.npy"));
  expect_equal_arrays(gradmap::read_image(tmp / "c8.ppm", o).pixels, gradmap::read_npy(tmp / "c8.npy"));
  Image webp = gradmap::read_image(tmp / "c8.webp", o);
  EXPECT_EQ(webp.format, "webp");
  expect_equal_arrays(webp.pixels, gradmap::read_npy(tmp / "c8.npy"));
}

TEST(Io, RasterWritesRoundTripThroughOpenCv) {
  TempDir tmp;
  Array u8(DType::uint8, {3, 4}), u16(DType::uint16, {3, 4}), f64(DType::float64, {3, 4}),
      rgb(DType::uint8, {3, 4, 3});
  for (int i = 0; i < 12; ++i) {
    static_cast<std::uint8_t*>(u8.data())[i] = static_cast<std::uint8_t>(20 * i);
    static_cast<std::uint16_t*>(u16.data())[i] = static_cast<std::uint16_t>(5000 * i + 1);
    static_cast<double*>(f64.data())[i] = -1.5 + 0.1 * i;
    for (int c = 0; c < 3; ++c)
      static_cast<std::uint8_t*>(rgb.data())[3 * i + c] = static_cast<std::uint8_t>(10 * i + c);
  }
  auto image = [](Array a, bool is_rgb = false) {
    Image img;
    img.pixels = a;
    img.rgb = is_rgb;
    img.geometry = gradmap::default_geometry(2);
    return img;
  };
  gradmap::write_image(tmp / "u8.png", image(u8));
  gradmap::write_image(tmp / "u16.png", image(u16));
  gradmap::write_image(tmp / "u16.tif", image(u16));
  gradmap::write_image(tmp / "f.tif", image(f64));
  gradmap::write_image(tmp / "rgb.png", image(rgb, true));
  gradmap::write_image(tmp / "u8.jpg", image(u8));
  python(
      "r = lambda n: cv2.imread(os.path.join(d, n), cv2.IMREAD_UNCHANGED)\n"
      "np.save(os.path.join(d, 'u8.npy'), r('u8.png')); np.save(os.path.join(d, 'u16.npy'), r('u16.png'))\n"
      "np.save(os.path.join(d, 'u16t.npy'), r('u16.tif')); np.save(os.path.join(d, 'f.npy'), r('f.tif'))\n"
      "np.save(os.path.join(d, 'rgb.npy'), np.ascontiguousarray(r('rgb.png')[..., ::-1]))\n"
      "assert r('u8.jpg').shape == (3, 4)",
      tmp.path().string());
  expect_equal_arrays(gradmap::read_npy(tmp / "u8.npy"), u8);
  expect_equal_arrays(gradmap::read_npy(tmp / "u16.npy"), u16);
  expect_equal_arrays(gradmap::read_npy(tmp / "u16t.npy"), u16);
  expect_equal_arrays(gradmap::read_npy(tmp / "f.npy"), gradmap::astype(f64, DType::float32));
  expect_equal_arrays(gradmap::read_npy(tmp / "rgb.npy"), rgb);
  // Nothing but the outputs (and the oracle's .npy files) is left in the directory.
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find("tmp"), std::string::npos) << e.path();
}

TEST(Io, RasterWriteRefusesValuesItCannotHold) {
  TempDir tmp;
  Image img;
  img.pixels = Array(DType::float32, {3, 4});
  img.geometry = gradmap::default_geometry(2);
  try {
    gradmap::write_image(tmp / "f.png", img);
    FAIL() << "float32 PNG accepted";
  } catch (const gradmap::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("f.png"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("float32"), std::string::npos) << e.what();
  }
  img.pixels = Array(DType::int16, {3, 4});
  EXPECT_THROW(gradmap::write_image(tmp / "s.tif", img), gradmap::IoError);
  img.pixels = Array(DType::uint16, {3, 4});
  EXPECT_THROW(gradmap::write_image(tmp / "u16.jpg", img), gradmap::IoError);
  img.pixels = Array(DType::uint8, {3, 4, 5});
  EXPECT_THROW(gradmap::write_image(tmp / "vol.png", img), gradmap::IoError);
  EXPECT_TRUE(fs::is_empty(tmp.path())) << "a refused write left a file behind";
}

#endif  // GRADMAP_HAVE_OPENCV

// ---------------------------------------------------------------------------------------------
// Volumes (ITK)

#ifdef GRADMAP_HAVE_ITK

// scripts/make_samples.py: head phantom, ITK (x, y, z) = 64 × 64 × 32 voxels of 0.7 × 0.8 × 2.5 mm,
// LPS origin (-20.5, 30.25, -12), direction Rz(15°) · Rx(10°).
const std::vector<double> kHeadSpacing = {2.5, 0.8, 0.7};
const std::vector<double> kHeadOrigin = {-12.0, 30.25, -20.5};

void expect_head_geometry(const Image& img, double tol) {
  EXPECT_EQ(img.geometry.unit, "mm");
  expect_vector_near(img.geometry.spacing, kHeadSpacing, tol, "spacing");
  expect_vector_near(img.geometry.origin, kHeadOrigin, tol, "origin");
  expect_vector_near(img.geometry.direction, numpy_direction(rotation(15, 10)), tol, "direction");
}

TEST(Io, NiftiVolumeHasHeaderGeometryInNumpyOrder) {
  TempDir tmp;
  python(
      "v = nib.load(sys.argv[2]); np.save(os.path.join(d, 'want.npy'), "
      "np.ascontiguousarray(np.asanyarray(v.dataobj).transpose(2, 1, 0)))",
      tmp.path().string(), sample("head_phantom.nii.gz"));
  Image img = gradmap::read_image(sample("head_phantom.nii.gz"));
  EXPECT_EQ(img.format, "nifti");
  EXPECT_EQ(img.pixels.shape(), (Shape{32, 64, 64}));
  EXPECT_EQ(img.pixels.dtype(), DType::int16);
  EXPECT_EQ(img.series_axes, 0);
  expect_head_geometry(img, 2e-6);  // NIfTI stores the affine in float32
  expect_equal_arrays(img.pixels, gradmap::read_npy(tmp / "want.npy"));
}

TEST(Io, NrrdAndNiftiOfTheSameVolumeAgree) {
  Image nrrd = gradmap::read_image(sample("head_phantom.nrrd"));
  Image nii = gradmap::read_image(sample("head_phantom.nii.gz"));
  EXPECT_EQ(nrrd.format, "nrrd");
  expect_head_geometry(nrrd, 1e-12);
  expect_equal_arrays(nrrd.pixels, nii.pixels);
}

TEST(Io, AxisReversalHoldsOnAVolumeWithDifferentSpacingOnEveryAxis) {
  TempDir tmp;
  // value = 100 i + 10 j + k at NIfTI index (i, j, k) = (x, y, z).
  python(
      "i, j, k = np.meshgrid(np.arange(5), np.arange(6), np.arange(7), indexing='ij')\n"
      "a = np.diag([-0.5, -1.5, 3.0, 1.0]); a[:3, 3] = [-4.0, -5.0, 6.0]\n"  // RAS of LPS (4, 5, 6)
      "img = nib.Nifti1Image((100 * i + 10 * j + k).astype(np.float32), a)\n"
      "img.set_qform(a, code=1); img.set_sform(a, code=1)\n"
      "nib.save(img, os.path.join(d, 'v.nii'))",
      tmp.path().string());
  Image img = gradmap::read_image(tmp / "v.nii");
  ASSERT_EQ(img.pixels.shape(), (Shape{7, 6, 5}));
  expect_vector_near(img.geometry.spacing, {3.0, 1.5, 0.5}, 1e-6, "spacing");
  expect_vector_near(img.geometry.origin, {6.0, 5.0, 4.0}, 1e-6, "origin");
  expect_vector_near(img.geometry.direction, {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-6, "direction");
  for (int z = 0; z < 7; ++z)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 5; ++x) ASSERT_EQ(at<float>(img.pixels, {z, y, x}), float(100 * x + 10 * y + z));
}

TEST(Io, NiftiSpacingRoundTrips) {
  TempDir tmp;
  Image img = gradmap::read_image(sample("head_phantom.nii.gz"));
  img.pixels = gradmap::astype(img.pixels, DType::float32);
  gradmap::write_image(tmp / "out.nii.gz", img);
  gradmap::write_image(tmp / "out.nii", img);
  python(
      "src = nib.load(sys.argv[2])\n"
      "for name in ['out.nii.gz', 'out.nii']:\n"
      "    out = nib.load(os.path.join(d, name))\n"
      "    h = out.header\n"
      "    assert h['qform_code'] > 0 and h['sform_code'] > 0, (h['qform_code'], h['sform_code'])\n"
      "    np.testing.assert_allclose(out.affine, src.affine, rtol=0, atol=1e-5)\n"
      "    np.testing.assert_allclose(h.get_qform(), src.affine, rtol=0, atol=1e-5)\n"
      "    np.testing.assert_allclose(h.get_sform(), src.affine, rtol=0, atol=1e-5)\n"
      "    np.testing.assert_allclose(h.get_zooms(), src.header.get_zooms(), rtol=1e-6)\n"
      "    assert out.get_data_dtype() == np.float32\n"
      "    np.testing.assert_array_equal(np.asanyarray(out.dataobj), "
      "np.asanyarray(src.dataobj).astype(np.float32))",
      tmp.path().string(), sample("head_phantom.nii.gz"));
}

TEST(Io, FourDNiftiBecomesASeriesOfVolumes) {
  TempDir tmp;
  python(
      "i, j, k, t = np.meshgrid(np.arange(4), np.arange(5), np.arange(6), np.arange(3), indexing='ij')\n"
      "a = np.diag([-1.0, -2.0, 3.0, 1.0])\n"
      "img = nib.Nifti1Image((1000 * t + 100 * i + 10 * j + k).astype(np.int32), a)\n"
      "img.header.set_zooms((1.0, 2.0, 3.0, 0.5))\n"
      "nib.save(img, os.path.join(d, 'v4.nii.gz'))",
      tmp.path().string());
  Image img = gradmap::read_image(tmp / "v4.nii.gz");
  ASSERT_EQ(img.pixels.shape(), (Shape{3, 6, 5, 4}));
  EXPECT_EQ(img.pixels.dtype(), DType::int32);
  EXPECT_EQ(img.series_axes, 1);
  EXPECT_EQ(img.spatial_rank(), 3);
  expect_vector_near(img.geometry.spacing, {3.0, 2.0, 1.0}, 1e-6, "spacing");
  for (int t = 0; t < 3; ++t)
    for (int z = 0; z < 6; ++z)
      for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 4; ++x)
          ASSERT_EQ(at<std::int32_t>(img.pixels, {t, z, y, x}), 1000 * t + 100 * x + 10 * y + z);
}

TEST(Io, MetaImageAndNrrdWritesKeepPixelsAndGeometry) {
  TempDir tmp;
  Image src = gradmap::read_image(sample("head_phantom.nrrd"));
  for (std::string name : {"a.mha", "a.mhd", "b.nrrd", "b.nhdr", "c.nii"}) {
    SCOPED_TRACE(name);
    gradmap::write_image(tmp / name, src);
    Image back = gradmap::read_image(tmp / name);
    expect_head_geometry(back, name == "c.nii" ? 2e-6 : 1e-9);
    expect_equal_arrays(back.pixels, src.pixels);
  }
  // Detached headers name a data file called after the output, not after a temporary.
  EXPECT_TRUE(fs::exists(tmp / "a.raw"));
  EXPECT_TRUE(fs::exists(tmp / "b.raw"));
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find("tmp"), std::string::npos) << "left behind: " << e.path();
}

TEST(Io, DicomSeriesIsSortedByPositionWithSpacingFromPositions) {
  // The series holds the head phantom's first 12 slices in files numbered top-down.
  Image series = gradmap::read_image(sample("head_phantom_dicom"));
  EXPECT_EQ(series.format, "dicom");
  ASSERT_EQ(series.pixels.shape(), (Shape{12, 64, 64}));
  EXPECT_EQ(series.pixels.dtype(), DType::int16);
  expect_head_geometry(series, 1e-6);  // DICOM decimal strings carry 8 significant digits
  Image nii = gradmap::read_image(sample("head_phantom.nii.gz"));
  auto want = nii.pixels.view<std::int16_t>();
  auto got = series.pixels.view<std::int16_t>();
  ASSERT_EQ(std::memcmp(got.data(), want.data(), static_cast<std::size_t>(got.size()) * 2), 0);
}

TEST(Io, SingleDicomFileReadsAsA2dImage) {
  Image slice = gradmap::read_image(sample("head_phantom_dicom/IM0012.dcm"));  // the lowest slice
  ASSERT_EQ(slice.pixels.shape(), (Shape{64, 64}));
  expect_vector_near(slice.geometry.spacing, {0.8, 0.7}, 1e-9, "spacing");
  Image nii = gradmap::read_image(sample("head_phantom.nii.gz"));
  ASSERT_EQ(std::memcmp(slice.pixels.data(), nii.pixels.data(), slice.pixels.nbytes()), 0);
}

#endif  // GRADMAP_HAVE_ITK

TEST(Io, NpyReadsWithPixelGeometry) {
  TempDir tmp;
  python("np.save(os.path.join(d, 'a.npy'), np.arange(24, dtype=np.int16).reshape(2, 3, 4))",
         tmp.path().string());
  Image img = gradmap::read_image(tmp / "a.npy");
  EXPECT_EQ(img.format, "npy");
  EXPECT_EQ(img.pixels.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(img.geometry.unit, "px");
  EXPECT_EQ(img.geometry.spacing, (std::vector<double>{1, 1, 1}));
}

TEST(Io, ExtensionsAndFormatQueries) {
  EXPECT_EQ(gradmap::file_extension("dir/CT.NII.GZ"), "nii.gz");
  EXPECT_EQ(gradmap::file_extension("a.b/c.png"), "png");
  EXPECT_EQ(gradmap::file_extension("noext"), "");
  EXPECT_EQ(gradmap::file_extension(source_path("sample_images")), "");
  EXPECT_TRUE(gradmap::is_supported_input("x.npy"));
  EXPECT_FALSE(gradmap::is_supported_input("x.docx"));
  EXPECT_TRUE(gradmap::is_float_format("x.npy"));
#ifdef GRADMAP_HAVE_OPENCV
  EXPECT_TRUE(gradmap::is_supported_input("x.JPG"));
  EXPECT_TRUE(gradmap::is_float_format("x.tiff"));
  EXPECT_FALSE(gradmap::is_float_format("x.png"));
#endif
#ifdef GRADMAP_HAVE_ITK
  EXPECT_TRUE(gradmap::is_supported_input("x.nii.gz"));
  EXPECT_TRUE(gradmap::is_supported_input(source_path("sample_images/head_phantom_dicom")));
  EXPECT_TRUE(gradmap::is_float_format("x.nrrd"));
  EXPECT_FALSE(gradmap::is_float_format("x.dcm"));
#endif
}

}  // namespace
