// SPDX-License-Identifier: MIT
// Every bad input gets one IoError whose message names the file and says what is wrong with it.
// The broken files are made from the committed samples by cutting, overwriting or forging headers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gradmap/error.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using gradmap::ReadOptions;
using gradmap_test::run_python;
using gradmap_test::shell_quote;
using gradmap_test::source_path;
using gradmap_test::TempDir;

std::string sample(const std::string& name) { return source_path("sample_images/" + name); }

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// The first `n` bytes of `from`, written to `to`.
std::string truncated_copy(const std::string& from, const std::string& to, std::size_t n) {
  auto b = slurp(from);
  b.resize(std::min(n, b.size()));
  spit(to, b);
  return to;
}

/// A copy of `from` with `count` bytes from `offset` on replaced by a deterministic junk pattern.
std::string corrupted_copy(const std::string& from, const std::string& to, std::size_t offset,
                           std::size_t count) {
  auto b = slurp(from);
  for (std::size_t i = offset; i < offset + count && i < b.size(); ++i)
    b[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  spit(to, b);
  return to;
}

std::string junk_file(const std::string& to, std::size_t n) {
  std::vector<char> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 197 + 31) & 0xFF);
  spit(to, b);
  return to;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// read_image(path) throws IoError naming `path` and containing every word of `reasons` (any case).
void expect_io_error(const std::string& path, const std::vector<std::string>& reasons,
                     const ReadOptions& options = {}) {
  SCOPED_TRACE(path);
  try {
    gradmap::read_image(path, options);
    ADD_FAILURE() << "read without error";
  } catch (const gradmap::IoError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "message does not name the file: " << msg;
    for (const auto& r : reasons)
      EXPECT_NE(lower(msg).find(r), std::string::npos) << "no '" << r << "' in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an IoError: " << e.what();
  }
}

TEST(IoErrors, MissingFileIsNamed) {
  TempDir tmp;
  expect_io_error(tmp / "missing.png", {"no such file"});
  expect_io_error(tmp / "missing.nii.gz", {"no such file"});
  expect_io_error(tmp / "missing_dir/", {"no such file"});
}

TEST(IoErrors, UnreadableFileIsNamed) {
  if (geteuid() == 0)
    GTEST_SKIP()
        << "running as root, which reads files whatever their permissions; the check is access(R_OK)";
  TempDir tmp;
  fs::copy_file(sample("ascent_gray.png"), tmp / "locked.png");
  fs::permissions(tmp / "locked.png", fs::perms::none);
  expect_io_error(tmp / "locked.png", {"not readable"});
}

TEST(IoErrors, EmptyFilesAreNamedEmpty) {
  TempDir tmp;
  for (std::string name : {"e.png", "e.jpg", "e.nii", "e.nii.gz", "e.dcm", "e.npy", "e.tif"}) {
    spit(tmp / name, {});
    expect_io_error(tmp / name, {"empty"});
  }
}

TEST(IoErrors, UnsupportedExtensionListsWhatIsSupported) {
  TempDir tmp;
  junk_file(tmp / "report.docx", 100);
  expect_io_error(tmp / "report.docx", {"unsupported", ".docx", ".npy"});
  junk_file(tmp / "noext", 100);
  expect_io_error(tmp / "noext", {"unsupported", "no extension"});
}

#ifdef GRADMAP_HAVE_OPENCV

TEST(IoErrors, TruncatedPngAndJpegAreRefused) {
  TempDir tmp;
  const auto png_size = fs::file_size(sample("ascent_gray.png"));
  expect_io_error(truncated_copy(sample("ascent_gray.png"), tmp / "half.png", png_size / 2), {"truncated"});
  expect_io_error(truncated_copy(sample("ascent_gray.png"), tmp / "head.png", 20), {"truncated"});
  const auto jpg_size = fs::file_size(sample("raccoon_color.jpg"));
  // libjpeg would pad the missing half with gray and only warn.
  expect_io_error(truncated_copy(sample("raccoon_color.jpg"), tmp / "half.jpg", jpg_size / 2), {"truncated"});
  expect_io_error(truncated_copy(sample("raccoon_color.jpg"), tmp / "head.jpg", 100), {"truncated"});
  const auto tif_size = fs::file_size(sample("linear_ramp_2d.tif"));
  expect_io_error(truncated_copy(sample("linear_ramp_2d.tif"), tmp / "half.tif", tif_size / 2), {"tiff"});
}

TEST(IoErrors, CorruptPngAndJpegAreRefused) {
  TempDir tmp;
  // Image data overwritten: zlib / CRC checks fail.
  expect_io_error(corrupted_copy(sample("ascent_gray.png"), tmp / "data.png", 2000, 4000), {"corrupt"});
  // Header overwritten after the signature.
  expect_io_error(corrupted_copy(sample("ascent_gray.png"), tmp / "ihdr.png", 8, 25), {"corrupt"});
  // Marker structure destroyed right after the start-of-image marker.
  expect_io_error(corrupted_copy(sample("raccoon_color.jpg"), tmp / "markers.jpg", 2, 600), {"corrupt"});
  // Not an image at all, whatever the extension says.
  expect_io_error(junk_file(tmp / "junk.png", 5000), {"not a png", "extension"});
  spit(tmp / "text.jpg", {'h', 'e', 'l', 'l', 'o', '\n'});
  expect_io_error(tmp / "text.jpg", {"not a png, jpeg"});
}

/// A PNG whose IHDR claims `w` × `h` 16-bit RGBA pixels and which has no image data at all.
std::string forged_png(const std::string& path, std::uint32_t w, std::uint32_t h) {
  auto r = run_python(
      "import struct, sys, zlib\n"
      "def chunk(t, data):\n"
      "    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & "
      "0xffffffff)\n"
      "w, h = int(sys.argv[2]), int(sys.argv[3])\n"
      "open(sys.argv[1], 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, "
      "h, 16, 6, 0, 0, 0))"
      " + chunk(b'IEND', b''))\n",
      shell_quote(path) + " " + std::to_string(w) + " " + std::to_string(h));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return path;
}

TEST(IoErrors, HeaderDimensionsBeyondMaxMemoryAreRefusedBeforeDecoding) {
  TempDir tmp;
  ReadOptions small;
  small.max_memory = std::size_t(1) << 30;
  expect_io_error(forged_png(tmp / "huge.png", 200000, 200000), {"memory", "200000 × 200000"}, small);
  // The default limit (half of RAM) refuses 2^31 × 2^31 pixels on any machine.
  expect_io_error(forged_png(tmp / "absurd.png", 0x7FFFFFFF, 0x7FFFFFFF), {"memory"});
  // A JPEG frame header claiming 65000 × 65000 pixels.
  std::vector<char> jpg = {char(0xFF), char(0xD8), char(0xFF), char(0xC0), 0,          17,
                           8,          char(0xFD), char(0xE8), char(0xFD), char(0xE8), 3,
                           1,          0x22,       0,          2,          0x11,       1,
                           3,          0x11,       1,          char(0xFF), char(0xD9)};
  spit(tmp / "huge.jpg", jpg);
  expect_io_error(tmp / "huge.jpg", {"memory", "65000 × 65000"}, small);
  // A real image with a limit smaller than its pixels.
  ReadOptions tiny;
  tiny.max_memory = 1000;
  expect_io_error(sample("ascent_gray.png"), {"memory", "max-memory"}, tiny);
}

#endif  // GRADMAP_HAVE_OPENCV

#ifdef GRADMAP_HAVE_ITK

/// The head phantom as an uncompressed .nii (so that cutting it cuts the voxel data).
std::string plain_nifti(const TempDir& tmp) {
  auto r = run_python("import nibabel as nib, sys\nnib.save(nib.load(sys.argv[1]), sys.argv[2])",
                      shell_quote(sample("head_phantom.nii.gz")) + " " + shell_quote(tmp / "head.nii"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return tmp / "head.nii";
}

TEST(IoErrors, TruncatedAndCorruptNiftiAreRefused) {
  TempDir tmp;
  const std::string nii = plain_nifti(tmp);
  expect_io_error(truncated_copy(nii, tmp / "half.nii", fs::file_size(nii) / 2), {"truncated"});
  expect_io_error(truncated_copy(nii, tmp / "header.nii", 200), {"nifti"});
  const auto gz_size = fs::file_size(sample("head_phantom.nii.gz"));
  expect_io_error(truncated_copy(sample("head_phantom.nii.gz"), tmp / "half.nii.gz", gz_size / 2), {"nifti"});
  expect_io_error(junk_file(tmp / "junk.nii", 5000), {"not a valid nifti"});
  expect_io_error(junk_file(tmp / "junk.nii.gz", 5000), {"nifti"});
  expect_io_error(junk_file(tmp / "junk.nrrd", 5000), {"nrrd"});
  expect_io_error(junk_file(tmp / "junk.mha", 5000), {"metaimage"});
}

TEST(IoErrors, TruncatedAndCorruptDicomAreRefused) {
  TempDir tmp;
  const std::string dcm = sample("head_phantom_dicom/IM0001.dcm");
  expect_io_error(truncated_copy(dcm, tmp / "half.dcm", fs::file_size(dcm) / 2), {"dicom"});
  expect_io_error(truncated_copy(dcm, tmp / "head.dcm", 300), {"dicom"});
  expect_io_error(junk_file(tmp / "junk.dcm", 5000), {"not a valid dicom"});
}

TEST(IoErrors, NiftiHeaderBeyondMaxMemoryIsRefusedBeforeReading) {
  TempDir tmp;
  // A header claiming 4000^3 float64 voxels, followed by no data.
  auto r = run_python(
      "import nibabel as nib, numpy as np, sys\n"
      "h = nib.Nifti1Header(); h.set_data_dtype(np.float64); h.set_data_shape((4000, 4000, 4000))\n"
      "h['vox_offset'] = 352\n"
      "open(sys.argv[1], 'wb').write(h.binaryblock + b'\\0' * 4)\n",
      shell_quote(tmp / "huge.nii"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ReadOptions small;
  small.max_memory = std::size_t(1) << 30;
  expect_io_error(tmp / "huge.nii", {"memory", "4000 × 4000 × 4000"}, small);
}

TEST(IoErrors, DirectoryWithoutDicomSeriesIsNamed) {
  TempDir tmp;
  fs::create_directory(tmp / "photos");
  fs::copy_file(sample("ascent_gray.png"), tmp / "photos/a.png");
  expect_io_error(tmp / "photos", {"without any dicom series"});
  fs::create_directory(tmp / "empty");
  expect_io_error(tmp / "empty", {"without any dicom series"});
}

TEST(IoErrors, InconsistentSliceSpacingNamesTheGap) {
  TempDir tmp;
  fs::create_directory(tmp / "gap");
  for (const auto& e : fs::directory_iterator(sample("head_phantom_dicom")))
    if (e.path().filename() != "IM0006.dcm")
      fs::copy_file(e.path(), tmp.path() / "gap" / e.path().filename());
  // IM0006 was the 7th slice from the bottom: the gap is between IM0007 and IM0005, twice 2.5 mm.
  expect_io_error(tmp / "gap", {"inconsistent slice spacing", "im0007.dcm", "im0005.dcm", "is 5 mm"});
}

#endif  // GRADMAP_HAVE_ITK

}  // namespace
