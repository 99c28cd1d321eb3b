// SPDX-License-Identifier: MIT
// Byte-level raster header probes (raster_probe.cpp), apart from the OpenCV backend: a hostile
// header is parsed here, by code that trusts nothing in it, before OpenCV sees the file. Also the
// PNG chunk filter that hands libpng only the chunks that decide pixels.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gradmap/export.hpp"

namespace gradmap::detail {

/// What a raster header says, enough to bound the decoder's memory.
struct RasterHeader {
  explicit RasterHeader(std::string family, double w = 0, double h = 0)
      : format(std::move(family)), width(w), height(h) {}
  std::string format;  // gradmap's family name: "png", "jpeg", ...
  double width = 0, height = 0;
  double channels = 1;                // after OpenCV's IMREAD_UNCHANGED expansion (palette → BGR(A))
  double bytes_per_sample = 1;        // of the decoded Mat
  bool gray_with_alpha = false;       // OpenCV expands these to BGRA; gradmap reads them as gray
  double pages = 1;                   // a multi-page TIFF's page count (all pages alike)
  int orientation = 1;                // EXIF / TIFF orientation 1..8 to apply (1: as stored)
  std::vector<std::string> warnings;  // for Image::warnings
  // Set when the file is too short for the size its header claims. Reported after the memory
  // check, whose message is the more useful one for a large image that is merely too large.
  std::string too_short;
};

/// Recognizes a raster file by its first bytes (PNG, JPEG, TIFF, BMP, WebP, PNM), not its
/// extension, and reads what its header says; throws IoError for anything else, and for
/// headers that are corrupt or that OpenCV would misread. A JPEG must also end with its EOI marker.
GRADMAP_CORE_EXPORT RasterHeader probe_raster(const std::string& path);

/// The EXIF orientation a viewer applies: 1..8, or 1 (as stored) for none; an invalid value is
/// ignored by viewers and OpenCV alike, and gradmap says so in a warning.
GRADMAP_CORE_EXPORT int applied_orientation(int exif, const std::string& where,
                                            std::vector<std::string>& warnings);

/// The PNG's bytes with only the chunks that decide pixel values: IHDR, PLTE, tRNS, IDAT, IEND
/// (and any unknown critical chunk, which libpng must see to refuse). OpenCV applies none of the
/// color-management chunks (iCCP, sRGB, gAMA, cHRM) nor text or time, but libpng checks them while
/// decoding and prints its findings to stderr ("libpng warning: iCCP: known incorrect sRGB
/// profile") from inside imread, where no caller can catch them; a redirect of fd 2 would be
/// process-wide and race with other threads. Without those chunks libpng has nothing to warn
/// about, and the pixels are the same. The eXIf chunk's orientation is returned in `exif`.
GRADMAP_CORE_EXPORT std::vector<unsigned char> png_pixel_chunks(const std::string& path, int& exif);

}  // namespace gradmap::detail
