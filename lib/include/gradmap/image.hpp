// SPDX-License-Identifier: MIT
// An image or volume: a pixel array in numpy order plus the physical placement of its spatial axes.
// Nothing here reads or writes files (io.hpp) or knows how they are stored (WriteOptions).
#pragma once

#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

/// Where a spacing value came from; `gradmap info` says it per axis.
enum class SpacingSource {
  /// The file states it: a header field (NIfTI pixdim, DICOM PixelSpacing or, without it,
  /// ImagerPixelSpacing, ...), or for a DICOM series the distance between slice positions.
  header,
  /// The file states none, so 1: rasters, .npy, DICOM without any pixel spacing attribute.
  default_one,
  /// The caller's choice (the CLI's --spacing, --coords or --pixel-units); readers never set it.
  user,
};

/// The world frame that `origin` and `direction` are expressed in.
enum class WorldFrame {
  /// No world: rasters and .npy (index space, origin 0, identity direction).
  none,
  /// ITK's and DICOM's patient frame: +x towards the patient's Left, +y Posterior, +z Superior.
  /// nibabel, FSL and 3D Slicer use RAS, which negates the first two world axes (x and y).
  lps,
};

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
  /// Where each spacing value came from, per spatial axis; empty when unknown (e.g. geometry built
  /// by hand), which writers and `info` treat as `header`.
  std::vector<SpacingSource> spacing_source;
  /// The frame of `origin` and `direction`.
  WorldFrame frame = WorldFrame::none;
};

/// What the leading series axes of an Image hold (for `info`, output names and writers).
enum class SeriesKind {
  /// Not stated: components of a vector volume, or whatever the caller built.
  unspecified,
  /// Color channels R, G, B (ColorMode::channels).
  channels,
  /// Points in time: frames of a cine DICOM, volumes of a 4-D NIfTI.
  time,
};

/// What a volume file says beyond the geometry of its spatial axes, kept on the Image read from it
/// so that outputs written from that Image say it too. Readers fill what their format has; writers
/// honour what theirs can hold and ignore the rest. Not a writer setting: a description of the data.
struct VolumeMetadata {
  /// NIfTI qform_code and sform_code of the source (0 unknown, 1 scanner, 2 aligned, 3 Talairach,
  /// 4 MNI, 5 template); -1 when the source is not NIfTI (the NIfTI writer then writes 1, scanner).
  int qform_code = -1;
  int sform_code = -1;
  /// NIfTI xyzt_units of the source (space | time unit codes); -1: not NIfTI (the writer's default).
  int xyzt_units = -1;
  /// What the series axes hold.
  SeriesKind series_kind = SeriesKind::unspecified;
  /// Sample spacing along each series axis as the file states it (NIfTI pixdim[4], e.g. the TR;
  /// DICOM FrameTime), in `series_unit`; empty: none stated (writers use 1).
  std::vector<double> series_spacing;
  /// Unit of series_spacing as the file states it: "s", "ms", "us", "" (not stated).
  std::string series_unit;
  /// For a 2-D image that is one plane of a 3-D world (a single DICOM slice): the (z, y, x)
  /// geometry of that plane as a one-slice volume, whose last two axes are the image's. Volume
  /// writers write such an image as a volume of one slice, so its position (z origin) is kept.
  /// Empty spacing otherwise.
  Geometry plane;
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
  /// Format metadata of the source, honoured by the volume writers (see VolumeMetadata).
  VolumeMetadata metadata;
  /// What the reader noticed that does not stop the read but that the user should know, one
  /// sentence each, without the path: an EXIF orientation out of range, what GDCM or ITK printed
  /// about the file (the file was read anyway). The library never prints; callers show these next
  /// to the file's name.
  std::vector<std::string> warnings;

  int spatial_rank() const { return pixels.rank() - series_axes - (rgb ? 1 : 0); }
};

}  // namespace gradmap
