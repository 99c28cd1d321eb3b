// SPDX-License-Identifier: MIT
// The volume loader (gradmap's NIfTI/NRRD/MetaImage checks, then ITK's readers) on arbitrary
// bytes. The format follows the magic: "NRRD" → .nrrd, MetaImage keys → .mha, anything else →
// .nii (whose header has no magic at its start, so any bytes may be one).
#include <cstdlib>

#include "fuzz_util.hpp"
#include "gradmap/io.hpp"

namespace {

std::string extension_for(const std::uint8_t* d, std::size_t n) {
  using gradmap_fuzz::starts_with;
  if (starts_with(d, n, "NRRD", 4)) return "nrrd";
  if (starts_with(d, n, "ObjectType", 10) || starts_with(d, n, "NDims", 5)) return "mha";
  return "nii";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gradmap_fuzz::write_input(data, size, extension_for(data, size));
  gradmap::ReadOptions options;
  options.max_memory = std::size_t{64} << 20;
  gradmap_fuzz::expect_clean([&] {
    const gradmap::Image img = gradmap::read_image(path, options);
    if (img.pixels.nbytes() > options.max_memory) std::abort();
    const std::size_t n = img.geometry.spacing.size();
    if (img.geometry.origin.size() != n || img.geometry.direction.size() != n * n) std::abort();
  });
  return 0;
}
