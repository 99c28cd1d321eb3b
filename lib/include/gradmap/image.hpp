// SPDX-License-Identifier: MIT
// An image or volume: a pixel array in numpy order plus the physical placement of its spatial axes.
// Nothing here reads or writes files (io.hpp) or knows how they are stored (WriteOptions).
#pragma once

#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

/// Physical placement of the spatial axes (the last `spacing.size()` axes of the pixel array), all
/// in numpy axis order.
struct Geometry {
  /// Distance between samples per spatial axis, in `unit` (e.g. {5.0, 0.7, 0.7} mm for CT).
  std::vector<double> spacing;
  /// World position of the first sample, per spatial axis.
  std::vector<double> origin;
  /// Direction cosines, row-major n×n: direction[i*n + j] is the world-axis-i component of index
  /// axis j (ITK's matrix with rows and columns reversed). Identity when the format has none.
  std::vector<double> direction;
  /// "mm" for medical volumes, "px" for rasters (spacing 1 unless a file says otherwise).
  std::string unit = "px";
};

/// Geometry with unit spacing, zero origin and identity direction for `n` spatial axes.
GRADMAP_CORE_EXPORT Geometry default_geometry(int n, const std::string& unit = "px");

/// An image or volume as read from a file: pixels plus geometry.
struct Image {
  /// Pixel array in numpy order. Leading `series_axes` axes are not spatial (channels of a color
  /// image read with ColorMode::channels, the time axis of a 4-D NIfTI); the rest are.
  Array pixels;
  Geometry geometry;
  int series_axes = 0;
  /// For writing only: the last axis holds RGB (3) samples of a color display map.
  bool rgb = false;
  /// Format family the file was read from ("png", "jpeg", "tiff", "nifti", "nrrd", "metaimage",
  /// "dicom", "npy", ...).
  std::string format;

  /// Pages of a multi-page file (TIFF). When more than 1, they are the leading series axis of
  /// `pixels` (series_axes = 1): one 2-D image per page, like `--slices`.
  int pages = 1;
  /// The EXIF orientation (1..8, TIFF/EXIF tag 274) that was applied when reading, as image viewers
  /// apply it: 6 means the stored pixels were turned 90° clockwise. 1: pixels as stored (no tag).
  int orientation = 1;
  /// What the reader noticed that does not stop the read but that the user should know, one
  /// sentence each, without the path (e.g. "EXIF orientation 9 is not one of 1..8; pixels read as
  /// stored"). The library never prints; callers show these next to the file's name.
  std::vector<std::string> warnings;

  int spatial_rank() const { return pixels.rank() - series_axes - (rgb ? 1 : 0); }
};

}  // namespace gradmap
