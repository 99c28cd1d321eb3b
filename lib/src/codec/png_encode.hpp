// SPDX-License-Identifier: MIT
// PNG encoding for gradmap's display maps (see png_encode.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "gradmap/export.hpp"

namespace gradmap::detail {

/// Encodes rows × cols pixels of `channels` (1: gray, 3: RGB) samples of `bytes_per_sample` (1 or
/// 2, native byte order), stored contiguously row after row, as a complete PNG file.
/// `level`: -1 (default) Huffman-coded bytes and runs, fast; 0 stored; 1-9 (up to 12) libdeflate's
/// levels, with LZ77 string matching: smaller files for smooth images, much slower on noisy ones.
/// `text`: one tEXt chunk per key/value pair, in order, before the image data (keys 1-79 Latin-1
/// characters, values without NUL: the caller checks, see io.cpp).
GRADMAP_CORE_EXPORT std::vector<unsigned char> encode_png(
    const void* pixels, std::size_t rows, std::size_t cols, int channels, int bytes_per_sample, int level,
    const std::vector<std::pair<std::string, std::string>>& text = {});

}  // namespace gradmap::detail
