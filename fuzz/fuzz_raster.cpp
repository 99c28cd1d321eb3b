// SPDX-License-Identifier: MIT
// The raster loader (gradmap's own header probe, then OpenCV's decoders) on arbitrary bytes.
// The extension follows the magic bytes when there are any, so mutations of a PNG stay PNGs;
// otherwise the last byte picks one, so that every probe sees garbage too.
#include <cstdlib>

#include "fuzz_util.hpp"
#include "gradmap/io.hpp"

namespace {

std::string extension_for(const std::uint8_t* d, std::size_t n) {
  using gradmap_fuzz::starts_with;
  if (starts_with(d, n, "\x89PNG", 4)) return "png";
  if (starts_with(d, n, "\xFF\xD8", 2)) return "jpg";
  if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) return "tif";
  if (starts_with(d, n, "BM", 2)) return "bmp";
  static const char* const any[] = {"png", "jpg", "tif", "bmp", "webp", "pgm"};
  return any[n ? d[n - 1] % 6 : 0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gradmap_fuzz::write_input(data, size, extension_for(data, size));
  // The budget a batch run would give one file on a small machine; larger claims must be refused
  // from the header alone, which is what keeps the fuzzer's memory bounded.
  gradmap::ReadOptions options;
  options.max_memory = std::size_t{64} << 20;
  options.color = size % 2 ? gradmap::ColorMode::channels : gradmap::ColorMode::gray;
  gradmap_fuzz::expect_clean([&] {
    const gradmap::Image img = gradmap::read_image(path, options);
    if (img.pixels.nbytes() > options.max_memory) std::abort();
    if (img.spatial_rank() != 2) std::abort();
  });
  return 0;
}
