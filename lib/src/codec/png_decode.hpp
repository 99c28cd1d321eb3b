// SPDX-License-Identifier: MIT
// PNG decoding with libpng itself (see png_decode.cpp), so that its warnings reach Image::warnings
// and its errors an IoError instead of the terminal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "gradmap/export.hpp"

namespace gradmap::detail {

/// A decoded PNG: rows × cols pixels of `channels` samples of `bytes_per_sample` bytes each (native
/// byte order), row after row.
struct PngPixels {
  int rows = 0, cols = 0;
  int channels = 0;          ///< 1: gray; 3: B, G, R; 4: B, G, R, A (the order of OpenCV's Mats)
  int bytes_per_sample = 0;  ///< 1 or 2 (16-bit PNGs stay 16-bit)
  Bytes samples;
  std::vector<std::string> warnings;  ///< libpng's own warnings ("libpng: ..."), each once
};

/// Decodes the PNG `bytes` (of the file `path`, named in errors) exactly as OpenCV 4.6's
/// imdecode(IMREAD_UNCHANGED) does with the same libpng: gray gives 1 channel (1, 2 and 4-bit
/// samples scaled to 8 bits, v · 255 / (2^bits - 1); a tRNS colour key dropped); RGB and palette give
/// B, G, R, or B, G, R, A when a tRNS chunk is present; gray + alpha gives B, G, R, A with
/// B = G = R; RGBA gives B, G, R, A; 16-bit samples stay 16-bit. No gamma or ICC conversion.
/// libpng's warnings are returned, never printed; its errors throw IoError naming the file.
/// `width` and `height` are what the caller's header probe read: a file that libpng reads
/// otherwise is refused.
GRADMAP_CORE_EXPORT PngPixels decode_png(const std::string& path, const std::vector<unsigned char>& bytes,
                                         double width, double height);

/// decode_png's plain path alone: 8/16-bit gray, RGB or RGBA, not interlaced, only IHDR, IDAT and
/// IEND, every CRC and the zlib stream right. Fills `out` and returns true, or returns false and
/// leaves `out` alone for anything else (decode_png then hands the bytes to libpng). For tests.
GRADMAP_CORE_EXPORT bool decode_plain_png(const std::vector<unsigned char>& bytes, double width,
                                          double height, PngPixels& out);

/// decode_png through libpng only. For tests.
GRADMAP_CORE_EXPORT PngPixels decode_png_with_libpng(const std::string& path,
                                                     const std::vector<unsigned char>& bytes, double width,
                                                     double height);

}  // namespace gradmap::detail
