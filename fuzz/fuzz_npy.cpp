// SPDX-License-Identifier: MIT
// The NPY reader on arbitrary bytes: magic, version, header dict, shape arithmetic, data size,
// byte order and Fortran order. A read that succeeds must give an array the file can hold.
#include <cstdlib>

#include "fuzz_util.hpp"
#include "gradmap/io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gradmap_fuzz::write_input(data, size, "npy");
  gradmap_fuzz::expect_clean([&] {
    const gradmap::Array a = gradmap::read_npy(path);
    // The reader refuses files whose data section is not exactly the header's shape, so the
    // array can never be larger than the file that described it.
    if (a.nbytes() > size) std::abort();
    // read_image takes the same path through its generic checks; it must agree.
    const gradmap::Image img = gradmap::read_image(path);
    if (img.pixels.shape() != a.shape() || img.pixels.dtype() != a.dtype()) std::abort();
  });
  return 0;
}
