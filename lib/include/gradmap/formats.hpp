// SPDX-License-Identifier: MIT
// The one table of file formats gradmap knows: which names and extensions each has, which backend
// reads it, whether gradmap can write it, and whether its files hold float values with geometry or
// 8/16-bit display maps. Readers, writers, `gradmap info`, batch discovery and the command line's
// --format all derive from formats(); no other list of extensions exists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gradmap/export.hpp"

namespace gradmap {

/// Which library decodes and encodes a format.
enum class FormatBackend {
  core,    ///< gradmap itself (.npy)
  opencv,  ///< rasters (GRADMAP_WITH_OPENCV)
  itk,     ///< medical volumes (GRADMAP_WITH_ITK)
};

/// What a format's files are.
enum class FormatFamily {
  array,   ///< a bare numpy array: unit spacing, no geometry
  raster,  ///< a 2-D picture, possibly color or multi-page
  volume,  ///< a medical image with spacing, origin and direction in millimetres
};

struct FileFormat {
  /// Short lower-case name, as `gradmap info` prints it and Image::format holds ("nifti").
  std::string_view name;
  /// Name for messages ("NIfTI-1").
  std::string_view title;
  /// Lower-case extensions without the dot; the first is the one gradmap writes.
  std::vector<std::string_view> extensions;
  FormatFamily family;
  FormatBackend backend;
  /// gradmap can write files of this format.
  bool writable;
  /// Written files hold the float values and the geometry (TIFF: float32, spacing 1).
  bool float_values;
  /// Written files hold 8/16-bit display maps (scaled as DisplayOptions says).
  bool display;
  /// What the outputs of an input of this format default to when --format is not given: an
  /// extension, or empty for "the input's own extension" (a .nii input gives .nii outputs).
  std::string_view default_output;
  /// Typical decoded bytes per byte of file, for batch's memory estimate before decoding.
  double expansion;
};

/// Every format, in the order messages list them.
GRADMAP_CORE_EXPORT const std::vector<FileFormat>& formats();

/// The format of `path`: a directory is a DICOM series, otherwise its extension (".nii.gz" is one)
/// decides, and a file without a known extension is DICOM when it has the "DICM" mark at byte 128
/// (DICOM files are often named by instance number only). nullptr when none matches.
GRADMAP_CORE_EXPORT const FileFormat* format_of(const std::string& path);

/// The format an extension or name names ("tiff", ".tif", "nii.gz", "nifti"); nullptr if none.
GRADMAP_CORE_EXPORT const FileFormat* format_named(std::string_view name_or_extension);

/// Lower-case extension of `path` with compound ".nii.gz" kept whole; "" when there is none.
GRADMAP_CORE_EXPORT std::string lower_extension(const std::string& path);

/// "e.g. .npy .png .jpg …": the readable extensions of the formats whose backends are in `built`.
GRADMAP_CORE_EXPORT std::string extension_list(const std::vector<FormatBackend>& built, bool writable_only);

}  // namespace gradmap
