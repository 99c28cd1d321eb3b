// SPDX-License-Identifier: MIT
// gradmap's PNG writer (lib/src/codec/png_encode.cpp) against an independent decoder: every file is read
// back by OpenCV's libpng in Python (which also verifies every chunk's CRC) and must give the
// written samples exactly, for gray and RGB, 8 and 16 bits, every compression level, and shapes
// down to one pixel. The filter bytes of the zlib stream are inspected as well, so that each of
// the writer's three filters (None, Sub, Up) is known to have been exercised.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gradmap/io.hpp"
#include "test_util.hpp"

#ifdef GRADMAP_HAVE_OPENCV

namespace {

using gradmap::Array;
using gradmap::DType;
using gradmap::Image;
using gradmap_test::TempDir;

/// Pixels whose rows favour different filters: noise (None), horizontal ramps (Sub), and rows
/// repeating the one above (Up), mixed within one image.
template <class T>
Array content(gradmap::Shape shape, std::mt19937& rng) {
  Array a(gradmap::dtype_of_v<T>, shape);
  T* p = static_cast<T*>(a.data());
  const std::size_t rows = static_cast<std::size_t>(shape[0]);
  const std::size_t row = static_cast<std::size_t>(a.size()) / rows;
  std::uniform_int_distribution<unsigned> any(0, sizeof(T) == 1 ? 0xFF : 0xFFFF);
  for (std::size_t r = 0; r < rows; ++r) {
    const unsigned kind = r % 3;
    for (std::size_t i = 0; i < row; ++i) {
      T v;
      if (kind == 0 || r == 0)
        v = static_cast<T>(any(rng));
      else if (kind == 1)
        v = static_cast<T>(i * 3 + r);
      else
        v = p[(r - 1) * row + i];
      p[r * row + i] = v;
    }
  }
  return a;
}

}  // namespace

TEST(PngEncode, EveryDepthLayoutLevelAndShapeDecodesExactlyWithLibpng) {
  TempDir tmp;
  std::mt19937 rng(7);
  const std::vector<gradmap::Shape> shapes = {{1, 1}, {1, 17}, {19, 1}, {7, 13}, {64, 65}, {3, 300}};
  std::vector<std::string> names;
  int n = 0;
  for (const auto& shape : shapes) {
    for (int depth : {1, 2}) {
      for (bool rgb : {false, true}) {
        for (int level : {-1, 0, 1, 6, 9, 12}) {
          gradmap::Shape s = shape;
          if (rgb) s.push_back(3);
          Image img;
          img.pixels = depth == 1 ? content<std::uint8_t>(s, rng) : content<std::uint16_t>(s, rng);
          img.rgb = rgb;
          img.geometry = gradmap::default_geometry(2);
          gradmap::WriteOptions wo;
          wo.png_compression = level;
          const std::string name = "p" + std::to_string(n++);
          gradmap::write_image(tmp / (name + ".png"), img, wo);
          gradmap::write_npy(tmp / (name + ".npy"), img.pixels);
          names.push_back(name);
        }
      }
    }
  }
  // One interpreter for all files: decode with libpng, compare with the written samples, and count
  // the filter types found in the inflated IDAT data.
  const auto r = gradmap_test::run_python(
      "import sys, os, zlib, struct, numpy as np, cv2\n"
      "d = sys.argv[1]; names = sys.argv[2].split(',')\n"
      "filters = set(); bad = []\n"
      "for n in names:\n"
      "    want = np.load(os.path.join(d, n + '.npy'))\n"
      "    got = cv2.imread(os.path.join(d, n + '.png'), cv2.IMREAD_UNCHANGED)\n"
      "    if got is None: bad.append(n + ': libpng cannot decode'); continue\n"
      "    if got.ndim == 3: got = got[..., ::-1]\n"
      "    if want.ndim == 2 and got.ndim == 2 and got.shape != want.shape: got = got.reshape(want.shape)\n"
      "    if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):\n"
      "        bad.append('%s: %s %s vs %s %s' % (n, got.dtype, got.shape, want.dtype, want.shape)); "
      "continue\n"
      "    b = open(os.path.join(d, n + '.png'), 'rb').read(); i = 8; idat = b''\n"
      "    while i < len(b):\n"
      "        ln, = struct.unpack('>I', b[i:i+4]); t = b[i+4:i+8]\n"
      "        if t == b'IDAT': idat += b[i+8:i+8+ln]\n"
      "        i += 12 + ln\n"
      "    raw = zlib.decompress(idat); stride = len(raw) // want.shape[0]\n"
      "    filters.update(raw[k * stride] for k in range(want.shape[0]))\n"
      "print('filters', sorted(filters)); print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n",
      gradmap_test::shell_quote(tmp.path().string()) + " " + [&] {
        std::string all;
        for (const auto& s : names) all += (all.empty() ? "" : ",") + s;
        return all;
      }());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("filters [0, 1, 2]"), std::string::npos) << r.out;
}

TEST(PngEncode, HigherLevelsGiveSmallerFilesOfTheSamePixels) {
  TempDir tmp;
  std::mt19937 rng(11);
  Image img;
  img.pixels = content<std::uint8_t>({256, 256}, rng);
  img.geometry = gradmap::default_geometry(2);
  std::vector<std::uintmax_t> sizes;
  for (int level : {0, 1, 9}) {
    gradmap::WriteOptions wo;
    wo.png_compression = level;
    const std::string path = tmp / ("l" + std::to_string(level) + ".png");
    gradmap::write_image(path, img, wo);
    sizes.push_back(std::filesystem::file_size(path));
    const Image back = gradmap::read_image(path);
    ASSERT_EQ(back.pixels.shape(), img.pixels.shape());
    EXPECT_EQ(std::memcmp(back.pixels.data(), img.pixels.data(), img.pixels.nbytes()), 0) << path;
  }
  // Level 0 stores: at least the raw rows. Levels 1 and 9 compress the ramps and repeats.
  EXPECT_GE(sizes[0], 256u * 257u);
  EXPECT_LT(sizes[1], sizes[0]);
  EXPECT_LE(sizes[2], sizes[1]);
}

// The default coder (Huffman only, deflate_huffman.cpp) on the histograms that stress it: bytes so
// skewed (value k with probability 2^-(k+1)) that plain Huffman codes would exceed deflate's 15-bit
// limit, one value only, and uniform noise (which must fall back to stored blocks, not grow).
TEST(PngEncode, DefaultCoderHandlesSkewedConstantAndIncompressibleImages) {
  TempDir tmp;
  std::mt19937 rng(3);
  std::geometric_distribution<int> geometric(0.5);
  std::uniform_int_distribution<int> byte(0, 255);
  const gradmap::Shape shape{1024, 1024};
  std::vector<std::string> names;
  for (const char* kind : {"skewed", "constant", "noise"}) {
    Image img;
    img.pixels = Array(DType::uint8, shape);
    auto* p = static_cast<std::uint8_t*>(img.pixels.data());
    for (std::size_t i = 0; i < img.pixels.nbytes(); ++i)
      p[i] = static_cast<std::uint8_t>(kind[0] == 's'   ? std::min(geometric(rng), 255)
                                       : kind[0] == 'c' ? 200
                                                        : byte(rng));
    img.geometry = gradmap::default_geometry(2);
    gradmap::write_image(tmp / (std::string(kind) + ".png"), img);
    gradmap::write_npy(tmp / (std::string(kind) + ".npy"), img.pixels);
  }
  const auto r = gradmap_test::run_python(
      "import sys, os, numpy as np, cv2\n"
      "d = sys.argv[1]\n"
      "for n in ('skewed', 'constant', 'noise'):\n"
      "    got = cv2.imread(os.path.join(d, n + '.png'), cv2.IMREAD_UNCHANGED)\n"
      "    assert got is not None and np.array_equal(got, np.load(os.path.join(d, n + '.npy'))), n\n"
      "    print(n, os.path.getsize(os.path.join(d, n + '.png')))\n",
      gradmap_test::shell_quote(tmp.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Sizes against the entropy: skewed bytes carry 2 bits each (within 15 %: runs of zeros are coded
  // as runs, not as the ideal code), a constant image almost nothing (runs of 258 bytes), noise 8
  // bits (stored: the raw rows plus a few bytes per 64 KiB block and the PNG chunks).
  const auto size = [&](const char* n) {
    return std::filesystem::file_size(tmp / (std::string(n) + ".png"));
  };
  EXPECT_LT(size("skewed"), 1024u * 1025u / 4 * 115 / 100) << r.out;
  EXPECT_LT(size("constant"), 8192u) << r.out;
  EXPECT_LT(size("noise"), 1024u * 1025u + 1024u * 1025u / 65535 * 5 + 256) << r.out;
}

#endif  // GRADMAP_HAVE_OPENCV
