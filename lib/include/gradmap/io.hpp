// SPDX-License-Identifier: MIT
// Reading and writing images and volumes with their geometry. Formats are chosen by file name:
//   .npy                                   — always available (gradmap::core)
//   .png .jpg .jpeg .tif .tiff .bmp .webp .pgm .ppm .pnm    — OpenCV backend (GRADMAP_WITH_OPENCV)
//   .nii .nii.gz .nrrd .nhdr .mha .mhd .dcm, DICOM directory, DICM-preamble file — ITK
// Float TIFFs are written by the OpenCV backend.
//
// Axis contract: arrays are always in numpy (C) order — a volume is (z, y, x), an image (y, x) —
// and so are spacing, origin and direction. The backends convert from ITK's (x, y, z) index order
// and OpenCV's (rows, cols) exactly once, here; nothing else in gradmap knows about them.
//
// What the readers make of each kind of file:
//   Rasters   Full bit depth (8/16-bit integer, 32-bit float TIFF); 1/2/4-bit PNGs are expanded to
//             0..255 by libpng. Color follows ReadOptions::color; gray files stay 2-D in either mode
//             (no channel axis); 8-bit gray + alpha reads as gray, 16-bit gray + alpha PNGs are
//             refused (OpenCV 4.6 byte-swaps their samples). EXIF orientation is not applied (the
//             pixels as stored); a multi-page TIFF gives its first page. Geometry: spacing 1, "px".
//   Volumes   The file's pixel type and values, NaN and ±Inf included. NIfTI: scalar voxels are
//             read by gradmap after ITK parsed the header (niftilib zeroes non-finite floats), as
//             nibabel's `np.asanyarray(img.dataobj)` gives them: unscaled in the stored type, or
//             with scl_slope/inter (slope finite and non-zero, not (1, 0)) float64 raw × slope +
//             inter. DICOM rescale is applied as ITK does. Geometry from the header, in ITK's LPS
//             world frame (Geometry::frame; nibabel's RAS negates x and y) and millimetres. A 4-D
//             image (x, y, z, t) becomes (t, z, y, x) with series_axes = 1, 3-D geometry and the
//             TR in metadata.series_spacing; multi-component pixels (RGB or vector NRRD, ...)
//             become a leading series axis of components; both at once are refused. NIfTI
//             qform/sform codes and xyzt_units are kept in Image::metadata.
//   DICOM     Files are recognised by extension (.dcm, .dicom) or by the DICM preamble. One frame
//             reads as a 2-D (y, x) image whose 3-D placement is metadata.plane; frames placed by
//             per-frame positions (enhanced objects) as a (z, y, x) volume; other frames (cine)
//             as (frames, y, x) with series_axes = 1 and the FrameTime in metadata. RGB pixels
//             follow ReadOptions::color as color rasters. In-plane spacing: PixelSpacing, else
//             ImagerPixelSpacing, else 1 (Geometry::spacing_source says which). Float and Double
//             Float Pixel Data, which GDCM cannot decode, are read by gradmap (native encodings). A directory
//             must hold exactly one series (GDCM's series details); its slices are sorted along their normal
//             and must be evenly spaced: every gap within 1 % of the median gap, else IoError naming the two
//             files around the odd gap. Slices decoded to different types make a float64 volume.
//   Writing   Volume writers honour Image::metadata: series spacing (NIfTI pixdim[4..]), NIfTI
//             qform/sform codes and xyzt_units; a 2-D image with metadata.plane, or a time series
//             of 2-D frames, is written as a volume of one slice (NIfTI (x, y, 1[, t])).
//   Messages  What GDCM's codecs print on stderr and ITK's OutputWindow text while a file is read
//             end up in Image::warnings (the library never prints).
//   Spacing   Header spacing is returned as found, even zero, negative or non-finite: read_image
//             cannot know whether the caller overrides it (--spacing, --pixel-units), so validating
//             it is the caller's job (gradient() rejects zero and non-finite spacing).
// Bad input of any kind — missing, unreadable, empty, truncated, corrupt, unsupported, or larger
// than ReadOptions::max_memory according to its header — throws IoError before any pixel is
// decoded where the header allows it. The message starts with the quoted path.
#pragma once

#include <cstddef>
#include <functional>
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
  /// For writing PNG only: -1 (default) gradmap's fast coder, Huffman-coded bytes and runs (about
  /// the size of deflate level 1 on edge maps, several times faster); 0 stores; 1-9 deflate levels
  /// (libdeflate; higher: smaller files, slower). Pixels are identical at every setting.
  int png_compression = -1;
  /// Format family the file was read from ("png", "jpeg", "tiff", "nifti", "nrrd", "metaimage",
  /// "dicom", "npy", ...).
  std::string format;
  /// Format metadata of the source, honoured by the volume writers (see VolumeMetadata).
  VolumeMetadata metadata;
  /// Warnings that third-party readers (GDCM, ITK) printed about this file, one per line, in the
  /// order they came; the file was read anyway. The library never prints: the CLI shows them as one
  /// warning naming the file.
  std::vector<std::string> warnings;

  int spatial_rank() const { return pixels.rank() - series_axes - (rgb ? 1 : 0); }
};

/// How color rasters are read.
enum class ColorMode {
  /// Luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, OpenCV's cvtColor weights), computed
  /// in float32 so 16-bit sources keep their precision; gray sources keep their own type.
  gray,
  /// One series axis of channels in R, G, B order (alpha dropped).
  channels,
};

struct ReadOptions {
  ColorMode color = ColorMode::gray;
  /// Refuse files whose decoded pixels would need more bytes than this. 0: half of physical RAM.
  std::size_t max_memory = 0;
};

/// Reads an image or volume. Throws IoError naming `path` and the reason (missing, unreadable,
/// truncated, corrupt, unsupported extension, too large for max_memory).
GRADMAP_EXPORT Image read_image(const std::string& path, const ReadOptions& options = {});

/// Writes `image` in the format its extension names, atomically: to a temporary file in the same
/// directory, renamed into place only when complete. Float formats keep values and geometry;
/// PNG/JPEG and integer TIFF accept only uint8 (and uint16 for PNG/TIFF) pixels, since scaling to
/// display values is an explicit choice (see render.hpp). Throws IoError naming the path.
/// TIFF stores float32 (float64 is narrowed); NIfTI, NRRD and MetaImage keep any dtype but float16
/// (written as float32). Series axes of a volume are written as extra slowest ITK axes with unit
/// spacing (or metadata.series_spacing). A detached header (.nhdr, .mhd) gets its data in
/// `<stem>.raw` beside it. NIfTI gets qform and sform both set from spacing, origin and direction,
/// with the codes in metadata (default 1, scanner) and metadata.xyzt_units.
GRADMAP_EXPORT void write_image(const std::string& path, const Image& image);

/// True when the extension is one gradmap can read with the backends built; any directory counts
/// (as a possible DICOM series) when the ITK backend is built.
GRADMAP_EXPORT bool is_supported_input(const std::string& path);
/// True when `path`'s extension names a format whose files hold float values (npy, tiff, nifti,
/// nrrd, metaimage).
GRADMAP_EXPORT bool is_float_format(const std::string& path);
/// Lower-case extension including compound ones: "nii.gz", "png", "" for a directory.
GRADMAP_EXPORT std::string file_extension(const std::string& path);

/// The .npy reader and writer (versions 1.0, 2.0, 3.0; either byte order; C or Fortran order).
GRADMAP_CORE_EXPORT Array read_npy(const std::string& path);
GRADMAP_CORE_EXPORT void write_npy(const std::string& path, const Array& a);

/// Writes through a temporary file in the target's directory and renames it into place. `fill`
/// receives the temporary path; if it throws, the temporary is removed and nothing is left behind.
/// Throws IoError if `path` is an existing directory or its directory does not exist.
GRADMAP_CORE_EXPORT void write_atomically(const std::string& path,
                                          const std::function<void(const std::string& tmp_path)>& fill);

}  // namespace gradmap
