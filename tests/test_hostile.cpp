// SPDX-License-Identifier: MIT
// Hostile headers: every reader must refuse a file whose header claims more than the file (or
// ReadOptions::max_memory) can justify — huge, negative or zero dimensions, dimension products that
// overflow, data shorter than claimed, detached data files that do not exist or are not regular —
// with an IoError naming the file, before decoding or allocating pixel memory. The files are forged
// here byte by byte, so each test states exactly which header field lies.
//
// "Before allocating" is checked through the message: a reader that allocated first would fail
// with gradmap's "out of memory while reading" (or succeed on a machine with enough swap), not with
// the header-based refusal each test expects.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gradmap/error.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

using gradmap::ReadOptions;
using gradmap_test::TempDir;
using Bytes = std::vector<unsigned char>;

void put(Bytes& b, std::size_t at, const void* v, std::size_t n) {
  if (b.size() < at + n) b.resize(at + n);
  std::memcpy(b.data() + at, v, n);
}
template <class T>
void put_le(Bytes& b, std::size_t at, T v) {
  put(b, at, &v, sizeof v);  // x86-64: native order is little-endian
}
void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  const unsigned char x[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                              static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  put(b, at, x, 4);
}
std::string write(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return path;
}
std::string write(const std::string& path, const std::string& s) {
  return write(path, Bytes(s.begin(), s.end()));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// read_image(path) must throw IoError whose message names the file, contains every `words`
/// (case-insensitive) and is not the out-of-memory fallback of a reader that allocated first.
void expect_refused(const std::string& path, const std::vector<std::string>& words,
                    const ReadOptions& o = {}) {
  try {
    gradmap::read_image(path, o);
    ADD_FAILURE() << path << ": read without error";
  } catch (const gradmap::IoError& e) {
    const std::string m = lower(e.what());
    EXPECT_NE(m.find(lower(path)), std::string::npos) << e.what();
    for (const auto& w : words)
      EXPECT_NE(m.find(lower(w)), std::string::npos) << "'" << w << "' not in: " << e.what();
    EXPECT_EQ(m.find("out of memory"), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": not an IoError: " << e.what();
  }
}

ReadOptions limit(std::size_t bytes) {
  ReadOptions o;
  o.max_memory = bytes;
  return o;
}

#ifdef GRADMAP_HAVE_OPENCV

/// A little-endian TIFF with one IFD: width, height, 8-bit gray, one strip of `strip_bytes` bytes.
Bytes tiff(std::uint32_t w, std::uint32_t h, std::uint32_t strip_bytes, std::uint16_t bits = 8) {
  Bytes b = {'I', 'I', 42, 0};
  put_le<std::uint32_t>(b, 4, 8);
  const std::uint16_t n = 8;
  put_le(b, 8, n);
  std::size_t at = 10;
  auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t value) {
    put_le(b, at, tag);
    put_le(b, at + 2, type);
    put_le<std::uint32_t>(b, at + 4, 1);
    put_le(b, at + 8, value);
    at += 12;
  };
  const std::uint32_t data_at = 10 + n * 12 + 4;
  entry(256, 4, w);                 // ImageWidth (LONG)
  entry(257, 4, h);                 // ImageLength
  entry(258, 3, bits);              // BitsPerSample
  entry(259, 3, 1);                 // Compression: none
  entry(262, 3, 1);                 // Photometric: min-is-black
  entry(273, 4, data_at);           // StripOffsets
  entry(278, 4, h);                 // RowsPerStrip
  entry(279, 4, strip_bytes);       // StripByteCounts
  put_le<std::uint32_t>(b, at, 0);  // no next IFD
  b.resize(data_at + std::min<std::uint32_t>(strip_bytes, 64), 0x55);
  return b;
}

TEST(Hostile, TiffClaimingHugeDimensionsIsRefusedBeforeDecoding) {
  TempDir tmp;
  // 4 G × 4 G pixels: refused by the default limit (half of RAM) on any machine.
  expect_refused(write(tmp / "huge.tif", tiff(0xFFFFFFFFu, 0xFFFFFFFFu, 16)), {"memory"});
  expect_refused(write(tmp / "big.tif", tiff(100000, 100000, 16)), {"memory", "100000 × 100000"},
                 limit(1 << 30));
}

TEST(Hostile, TiffWithDataShorterThanItsStripsIsRefused) {
  TempDir tmp;
  // 64 × 64 pixels claimed, 64 bytes present.
  expect_refused(write(tmp / "short.tif", tiff(64, 64, 64 * 64)), {});
}

/// A BMP (BITMAPINFOHEADER, 24-bit, uncompressed) with the given header fields and `data` bytes.
Bytes bmp(std::int32_t w, std::int32_t h, std::size_t data) {
  Bytes b = {'B', 'M'};
  put_le<std::uint32_t>(b, 2, static_cast<std::uint32_t>(54 + data));
  put_le<std::uint32_t>(b, 10, 54);
  put_le<std::uint32_t>(b, 14, 40);
  put_le(b, 18, w);
  put_le(b, 22, h);
  put_le<std::uint16_t>(b, 26, 1);
  put_le<std::uint16_t>(b, 28, 24);
  put_le<std::uint32_t>(b, 30, 0);
  b.resize(54 + data, 0x33);
  return b;
}

TEST(Hostile, BmpWithHugeOrNegativeDimensionsIsRefused) {
  TempDir tmp;
  expect_refused(write(tmp / "huge.bmp", bmp(0x7FFFFFFF, 0x7FFFFFFF, 12)), {"memory"});
  expect_refused(write(tmp / "big.bmp", bmp(60000, 60000, 12)), {"memory", "60000 × 60000"}, limit(1 << 30));
  // Negative height is BMP's top-down flag; negative width is invalid; INT_MIN has no magnitude.
  expect_refused(write(tmp / "negwidth.bmp", bmp(-16, 16, 16 * 16 * 3)), {});
  expect_refused(write(tmp / "intmin.bmp", bmp(16, INT32_MIN, 12)), {});
}

TEST(Hostile, BmpWithDataShorterThanItsHeaderIsRefused) {
  TempDir tmp;
  expect_refused(write(tmp / "short.bmp", bmp(64, 64, 100)), {});
}

TEST(Hostile, PnmClaimingHugeOrOverflowingDimensionsIsRefused) {
  TempDir tmp;
  expect_refused(
      write(tmp / "huge.pgm", std::string("P5\n2000000000 2000000000\n255\n") + std::string(16, 'x')),
      {"memory"});
  // Digits beyond any integer type.
  expect_refused(write(tmp / "overflow.pgm", std::string("P5\n99999999999999999999999 3\n255\nxyz")), {});
  expect_refused(write(tmp / "short.pgm", std::string("P5\n64 64\n255\n") + std::string(100, 'x')), {});
}

/// A PNG with an IHDR chunk (CRC correct, so libpng would believe it) and no image data.
Bytes png_ihdr(std::uint32_t w, std::uint32_t h) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes chunk = {'I', 'H', 'D', 'R'};
  put_be32(chunk, 4, w);
  put_be32(chunk, 8, h);
  chunk.insert(chunk.end(), {8, 0, 0, 0, 0});  // 8-bit gray
  // CRC-32 of type + data (zlib polynomial), computed here rather than trusting a constant.
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : chunk) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  crc ^= 0xFFFFFFFFu;
  put_be32(b, 8, 13);
  b.insert(b.end(), chunk.begin(), chunk.end());
  put_be32(b, b.size(), crc);
  const unsigned char iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  b.insert(b.end(), iend, iend + 12);
  return b;
}

TEST(Hostile, PngIhdrClaiming100000SquaredIsRefusedBeforeDecoding) {
  TempDir tmp;
  expect_refused(write(tmp / "huge.png", png_ihdr(100000, 100000)), {"memory", "100000 × 100000"},
                 limit(1 << 30));
  // PNG's own maximum (2^31 − 1) on each side: 4.6e18 pixels, refused on any machine.
  expect_refused(write(tmp / "max.png", png_ihdr(0x7FFFFFFF, 0x7FFFFFFF)), {"memory"});
  // Above PNG's maximum: the product of the two would overflow 64-bit arithmetic done naively.
  expect_refused(write(tmp / "over.png", png_ihdr(0xFFFFFFFFu, 0xFFFFFFFFu)), {});
}

TEST(Hostile, PngWithinLimitsButWithoutDataIsRefused) {
  TempDir tmp;
  expect_refused(write(tmp / "nodata.png", png_ihdr(64, 64)), {});
}

/// A baseline JPEG frame header (SOF0) for w × h with one 8-bit component, then the end of image:
/// a complete-looking file with no scan data at all.
Bytes jpeg_sof_only(std::uint16_t w, std::uint16_t h) {
  Bytes b = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8};
  b.insert(b.end(),
           {static_cast<unsigned char>(h >> 8), static_cast<unsigned char>(h),
            static_cast<unsigned char>(w >> 8), static_cast<unsigned char>(w), 1, 1, 0x11, 0, 0xFF, 0xD9});
  return b;
}

// Within --max-memory, a header still may not claim more pixels than the file's bytes can encode:
// those images would make the decoder allocate a frame it can never fill.
TEST(Hostile, SmallFilesClaimingLargeImagesAreRefusedAsTruncatedWithinMemory) {
  TempDir tmp;
  const ReadOptions roomy = limit(std::size_t{1} << 30);
  // 64 MB of filtered rows cannot inflate from 45 bytes (deflate is at most 1032:1).
  expect_refused(write(tmp / "ihdr.png", png_ihdr(8000, 8000)), {"truncated or corrupt png", "1032:1"},
                 roomy);
  // One bit per 8×8 block at the very least: 250 000 blocks need 31 250 bytes.
  expect_refused(write(tmp / "sof.jpg", jpeg_sof_only(4000, 4000)), {"truncated or corrupt jpeg", "31250"},
                 roomy);
  expect_refused(write(tmp / "rows.bmp", bmp(4000, 4000, 12)), {"truncated bmp", "48000000"}, roomy);
  expect_refused(write(tmp / "raw.pgm", std::string("P5\n64 64\n255\n") + std::string(4095, 'x')),
                 {"truncated pnm", "4096"}, roomy);
  expect_refused(write(tmp / "ascii.pbm", std::string("P1\n8 8\n") + std::string(63, '1')),
                 {"truncated pnm", "64"}, roomy);
}

// The check above must not refuse what compresses well for real: all-zero images written by
// OpenCV at its strongest settings (a 1-bit PNG, the lowest-quality JPEG) still load.
TEST(Hostile, HighlyCompressibleImagesAreNotMistakenForTruncated) {
  TempDir tmp;
  const auto r = gradmap_test::run_python(
      "import sys, numpy as np, cv2\n"
      "d = sys.argv[1]\n"
      "z = np.zeros((3000, 4000), np.uint8)\n"
      "cv2.imwrite(d + '/zeros.png', z, [cv2.IMWRITE_PNG_COMPRESSION, 9])\n"
      "cv2.imwrite(d + '/bilevel.png', z, [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 9])\n"
      "cv2.imwrite(d + '/flat.jpg', z + 128, [cv2.IMWRITE_JPEG_QUALITY, 1])\n"
      "cv2.imwrite(d + '/zeros.pgm', z)\n",
      gradmap_test::shell_quote(tmp.path()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"zeros.png", "bilevel.png", "flat.jpg", "zeros.pgm"}) {
    const gradmap::Image img = gradmap::read_image(tmp / name, limit(std::size_t{1} << 30));
    EXPECT_EQ(img.pixels.shape(), (gradmap::Shape{3000, 4000})) << name;
  }
}

// OpenCV's PNM tokenizer ends a number at any non-digit and swallows that byte, so "3#" is 3 and
// the '#' starts no comment: the probe must agree (a fuzzer found an input on which it did not, and
// OpenCV allocated a gigabyte the probe had not accounted for).
TEST(Hostile, PnmHeaderIsTokenizedTheWayOpenCvDoesIt) {
  TempDir tmp;
  const gradmap::Image img =
      gradmap::read_image(write(tmp / "hash.pgm", std::string("P2\n3#\n2\n255\n1 2 3 4 5 6\n")));
  ASSERT_EQ(img.pixels.shape(), (gradmap::Shape{2, 3}));
  const auto* v = static_cast<const std::uint8_t*>(img.pixels.data());
  for (int k = 0; k < 6; ++k) EXPECT_EQ(v[k], k + 1);
  expect_refused(gradmap_test::source_path("tests/data/fuzz-regressions/pnm-comment-after-digits-oom.pbm"),
                 {"truncated pnm", "323333 × 3163"}, limit(std::size_t{8} << 30));
}

#endif  // GRADMAP_HAVE_OPENCV

#ifdef GRADMAP_HAVE_ITK

/// A NIfTI-1 single-file header (.nii) with dim[0..] = dims, datatype int16, data of `data` bytes.
Bytes nifti(const std::vector<std::int16_t>& dims, std::size_t data, std::int16_t datatype = 4,
            std::int16_t bitpix = 16) {
  Bytes b(352, 0);
  put_le<std::int32_t>(b, 0, 348);
  put_le<std::int16_t>(b, 40, static_cast<std::int16_t>(dims.size()));
  for (std::size_t k = 0; k < dims.size() && k < 7; ++k) put_le<std::int16_t>(b, 42 + 2 * k, dims[k]);
  put_le(b, 70, datatype);
  put_le(b, 72, bitpix);
  for (int k = 0; k < 8; ++k) put_le<float>(b, 76 + 4 * static_cast<std::size_t>(k), 1.0f);  // pixdim
  put_le<float>(b, 108, 352.0f);                                                             // vox_offset
  put(b, 344, "n+1\0", 4);
  b.resize(352 + data, 0x11);
  return b;
}

TEST(Hostile, NiftiClaimingHugeDimensionsIsRefusedBeforeReading) {
  TempDir tmp;
  // 32767^3 int16 voxels (70 TB), no data: the largest a NIfTI-1 header can claim in 3-D.
  expect_refused(write(tmp / "huge.nii", nifti({32767, 32767, 32767}, 8)), {});
  // 7 axes of 32767: 2^105 voxels, beyond size_t; must not wrap around to a small number.
  expect_refused(write(tmp / "overflow.nii", nifti({32767, 32767, 32767, 32767, 32767, 32767, 32767}, 8)),
                 {});
  // Within the default limit but beyond a small max_memory: refused by the header alone.
  expect_refused(write(tmp / "big.nii", nifti({512, 512, 512}, 8)), {"memory"}, limit(1 << 20));
}

TEST(Hostile, NiftiWithNegativeOrZeroDimensionsIsRefused) {
  TempDir tmp;
  expect_refused(write(tmp / "neg.nii", nifti({-5, 4, 4}, 2 * 16)), {});
  expect_refused(write(tmp / "minus1.nii", nifti({4, 4, -1}, 2 * 16)), {});
  expect_refused(write(tmp / "zero.nii", nifti({4, 0, 4}, 0)), {});
}

TEST(Hostile, NiftiWithDataShorterThanClaimedIsRefused) {
  TempDir tmp;
  expect_refused(write(tmp / "short.nii", nifti({16, 16, 16}, 100)), {"truncated"});
}

TEST(Hostile, NiftiWithNonsenseBitpixIsRefused) {
  TempDir tmp;
  // bitpix contradicting the datatype, negative: the needed size must not come out negative.
  expect_refused(write(tmp / "bitpix.nii", nifti({64, 64, 64}, 16, 4, -16)), {});
}

std::string nrrd(const std::string& fields) {
  return "NRRD0004\ntype: short\nendian: little\n" + fields + "\n";
}

TEST(Hostile, NrrdClaimingHugeOrOverflowingSizesIsRefused) {
  TempDir tmp;
  expect_refused(
      write(tmp / "huge.nrrd", nrrd("dimension: 3\nsizes: 100000 100000 100000\nencoding: raw\n") + "xxxx"),
      {});
  // 2^64 / 2 samples of 2 bytes: the byte count wraps to 0 in size_t arithmetic.
  expect_refused(
      write(tmp / "wrap.nrrd", nrrd("dimension: 2\nsizes: 4294967296 2147483648\nencoding: raw\n") + "xxxx"),
      {});
  expect_refused(
      write(tmp / "neg.nrrd", nrrd("dimension: 3\nsizes: 4 -4 4\nencoding: raw\n") + std::string(128, 'x')),
      {});
  expect_refused(write(tmp / "big.nrrd", nrrd("dimension: 3\nsizes: 512 512 512\nencoding: raw\n") + "xxxx"),
                 {}, limit(1 << 20));
}

TEST(Hostile, NrrdWithDataShorterThanClaimedIsRefused) {
  TempDir tmp;
  expect_refused(write(tmp / "short.nrrd",
                       nrrd("dimension: 3\nsizes: 16 16 16\nencoding: raw\n") + std::string(100, 'x')),
                 {});
  // gzip-encoded data that ends early.
  expect_refused(write(tmp / "shortgz.nrrd", nrrd("dimension: 3\nsizes: 16 16 16\nencoding: gzip\n") +
                                                 std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10)),
                 {});
}

TEST(Hostile, NrrdDetachedDataThatIsMissingOrNotAFileIsRefused) {
  TempDir tmp;
  expect_refused(
      write(tmp / "missing.nhdr", nrrd("dimension: 2\nsizes: 4 4\nencoding: raw\ndata file: nowhere.raw\n")),
      {});
  // A device that never ends (/dev/zero) or a directory must not hang or be read as data.
  expect_refused(write(tmp / "zero.nhdr",
                       nrrd("dimension: 3\nsizes: 4096 4096 4096\nencoding: raw\ndata file: /dev/zero\n")),
                 {}, limit(1 << 20));
  expect_refused(write(tmp / "dir.nhdr", nrrd("dimension: 2\nsizes: 4 4\nencoding: raw\ndata file: /\n")),
                 {});
}

TEST(Hostile, MetaImageClaimingHugeOrShortDataIsRefused) {
  TempDir tmp;
  const std::string head = "ObjectType = Image\nNDims = 3\nElementType = MET_SHORT\n";
  expect_refused(
      write(tmp / "huge.mha", head + "DimSize = 100000 100000 100000\nElementDataFile = LOCAL\nxxxx"), {});
  expect_refused(write(tmp / "short.mha",
                       head + "DimSize = 16 16 16\nElementDataFile = LOCAL\n" + std::string(100, 'x')),
                 {});
  expect_refused(
      write(tmp / "neg.mha", head + "DimSize = 16 -16 16\nElementDataFile = LOCAL\n" + std::string(100, 'x')),
      {});
  expect_refused(write(tmp / "big.mha", head + "DimSize = 512 512 512\nElementDataFile = LOCAL\nxxxx"), {},
                 limit(1 << 20));
}

#endif  // GRADMAP_HAVE_ITK

TEST(Hostile, NpyWithHugeOverflowingOrShortShapesIsRefused) {
  TempDir tmp;
  auto npy = [&](const std::string& name, const std::string& shape, std::size_t data) {
    std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
    dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    put_le<std::uint16_t>(b, 8, static_cast<std::uint16_t>(dict.size()));
    b.insert(b.end(), dict.begin(), dict.end());
    b.resize(b.size() + data, 0);
    return write(tmp / name, b);
  };
  expect_refused(npy("huge.npy", "(100000, 100000, 100000)", 8), {"truncated"});
  expect_refused(npy("wrap.npy", "(4294967296, 4294967296)", 8), {"overflows"});
  expect_refused(npy("short.npy", "(16, 16)", 100), {"truncated"});
  expect_refused(npy("neg.npy", "(4, -4)", 128), {"shape"});
}

}  // namespace

#ifdef GRADMAP_CLI
// Found by fuzz_cli_options: "--max-memory 1e300" converted a double beyond size_t's range to
// size_t (undefined behaviour; in practice a silently different limit). It must be refused.
TEST(Hostile, MaxMemoryBeyondAnyMachineIsRefused) {
  TempDir tmp;
  Bytes npy = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  put_le<std::uint16_t>(npy, 8, static_cast<std::uint16_t>(dict.size()));
  npy.insert(npy.end(), dict.begin(), dict.end());
  npy.resize(npy.size() + 32, 0);
  const std::string in = write(tmp / "f.npy", npy);
  for (const char* value : {"1e300", "inf", "1e30T"}) {
    const auto r = gradmap_test::run_cli("gradient " + gradmap_test::shell_quote(in) + " -o " +
                                         gradmap_test::shell_quote(tmp / "out") + " --max-memory " + value);
    EXPECT_EQ(r.exit_code, 2) << value << ": " << r.err;  // a bad command-line value
    EXPECT_NE(r.err.find("--max-memory"), std::string::npos) << r.err;
  }
}
#endif
