// SPDX-License-Identifier: MIT
// JPEG decoding with libjpeg(-turbo) itself (see jpeg_decode.cpp), so that its warnings reach
// Image::warnings instead of the terminal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gradmap/export.hpp"

namespace gradmap::detail {

/// A decoded JPEG: rows × cols pixels of `channels` bytes each, row after row.
struct JpegPixels {
  int rows = 0, cols = 0;
  int channels = 0;  ///< 1: gray; 3: B, G, R (the order of OpenCV's Mats)
  std::vector<unsigned char> samples;
  std::vector<std::string> warnings;  ///< libjpeg's own warnings ("Corrupt JPEG data: ..."), each once
};

/// Decodes the JPEG at `path` exactly as OpenCV 4.6's imread(IMREAD_UNCHANGED) does with the same
/// libjpeg: one component gives gray, three give B, G, R (libjpeg's YCbCr → RGB), four (CMYK, or
/// YCCK converted to CMYK by libjpeg) give B, G, R by OpenCV's CMYK formula; the pixels as stored
/// (no EXIF orientation, no ICC conversion). libjpeg's warnings are returned, never printed; its
/// errors throw IoError naming the file. `width` and `height` are what the caller's header probe
/// read (height 0: unknown): a file that libjpeg reads otherwise is refused. `memory_budget`
/// bounds libjpeg's own buffers (a multi-scan JPEG keeps all its coefficients: 2 bytes a sample),
/// and more than 1000 scans are refused (a few hundred bytes of scans can otherwise cost minutes).
GRADMAP_CORE_EXPORT JpegPixels decode_jpeg(const std::string& path, double width, double height,
                                           std::size_t memory_budget);

}  // namespace gradmap::detail
