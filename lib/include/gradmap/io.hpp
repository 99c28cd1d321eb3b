// SPDX-License-Identifier: MIT
// Reading and writing images and volumes with their geometry (the Image type is in image.hpp, the
// .npy functions in npy.hpp; both are included here). Formats are chosen by file name:
//   .npy                                   — always available (gradmap::core)
//   .png .jpg .jpeg .tif .tiff .bmp .webp .pgm .ppm .pnm    — OpenCV backend (GRADMAP_WITH_OPENCV)
//   .nii .nii.gz .nrrd .nhdr .mha .mhd .dcm, DICOM directory, DICM-preamble file — ITK
//                                          backend (GRADMAP_WITH_ITK)
// Float TIFFs are written by the OpenCV backend.
//
// Axis contract: arrays are always in numpy (C) order — a volume is (z, y, x), an image (y, x) —
// and so are spacing, origin and direction. The backends convert from ITK's (x, y, z) index order
// and OpenCV's (rows, cols) exactly once, here; nothing else in gradmap knows about them.
//
// What the readers make of each kind of file:
//   Rasters   Full bit depth (8/16-bit integer, 32/64-bit float TIFF); 1/2/4-bit PNGs are expanded
//             to 0..255 by libpng. Color follows ReadOptions::color; gray files stay 2-D in either
//             mode (no channel axis); 8-bit gray + alpha reads as gray, 16-bit gray + alpha PNGs are
//             refused (OpenCV 4.6 byte-swaps their samples). Geometry: spacing 1, "px".
//             Orientation: the EXIF orientation of JPEG (APP1), PNG (eXIf) and TIFF (tag 274) files
//             is applied as viewers apply it, and reported in Image::orientation (WebP's is not
//             read: pixels as stored).
//             Multi-page TIFF: every page, as a stack along a leading series axis (Image::pages);
//             pages that differ in size, sample type or orientation are refused, naming them.
//             Refused with the reason, because OpenCV 4.6 would decode them wrongly or not at all:
//             planar (PlanarConfiguration 2) color TIFFs of more than 8 bits per sample (wrong values,
//             no error), float64 color TIFFs, JPEGs of other than 8-bit precision, lossless and
//             hierarchical JPEGs.
//             Third-party messages: OpenCV's logging is silenced while decoding (shared by
//             concurrent readers); PNGs are decoded from their pixel chunks only (IHDR, PLTE, tRNS,
//             IDAT, IEND), so libpng's warnings about color profiles and text chunks, which gradmap
//             does not apply, cannot reach stderr. JPEGs are decoded with libjpeg directly (as
//             OpenCV's imread would: same pixels, CMYK converted by OpenCV's formula), whose warnings
//             ("Corrupt JPEG data: ...") are collected, not printed. Anything worth knowing that does
//             not stop the read is in Image::warnings.
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
//   Spacing   NRRD without spacings/space directions and MetaImage without ElementSpacing/
//             ElementSize get 1 with Geometry::spacing_source default_one.
//             Header spacing is returned as found, even zero, negative or non-finite: read_image
//             cannot know whether the caller overrides it (--spacing, --pixel-units), so validating
//             it is the caller's job (gradient() rejects zero and non-finite spacing).
//   Spacing   NRRD without spacings/space directions and MetaImage without ElementSpacing/
//             ElementSize get 1 with Geometry::spacing_source default_one.
//             Header spacing is returned as found, even zero, negative or non-finite: read_image
//             cannot know whether the caller overrides it (--spacing, --pixel-units), so validating
//             it is the caller's job (gradient() rejects zero and non-finite spacing).
//   Writing   Writer settings are WriteOptions, not part of the Image. Its `text` (e.g. a display
//             map's scaling, render.hpp display_text) is stored as PNG tEXt chunks or one JPEG COM
//             segment of key=value lines; for any other format it is an error, never dropped.
// Bad input of any kind — missing, unreadable, empty, truncated, corrupt, unsupported, or larger
// than ReadOptions::max_memory according to its header — throws IoError before any pixel is
// decoded where the header allows it. The message starts with the quoted path.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"
#include "gradmap/image.hpp"  // Geometry, Image: what read_image returns
#include "gradmap/npy.hpp"    // read_npy, write_npy: the .npy format without a backend

namespace gradmap {

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

/// How a file is written: settings of the writer, not properties of the image.
struct WriteOptions {
  /// PNG only (other formats ignore it): -1 (default) gradmap's fast coder, Huffman-coded bytes and
  /// runs (about the size of deflate level 1 on edge maps, several times faster); 0 stores; 1-9
  /// deflate levels (libdeflate; higher: smaller files, slower). Pixels are identical at every setting.
  int png_compression = -1;
  /// Key/value text stored with the pixels, in order: PNG tEXt chunks (PIL's `Image.text`), JPEG one
  /// COM segment of `key=value` lines (PIL's `info["comment"]`). Display maps use it to record their
  /// scaling (render.hpp: display_text). Keys are 1-79 printable ASCII characters without '=' and
  /// without leading, trailing or double spaces; values are Latin-1 without NUL or line breaks.
  /// Other formats cannot hold it: write_image throws IoError when `text` is not empty for them.
  std::vector<std::pair<std::string, std::string>> text;
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
/// spacing. A detached header (.nhdr, .mhd) gets its data in `<stem>.raw` beside it. NIfTI gets
/// qform and sform both set (code 1) from spacing, origin and direction. `options` holds the
/// writer's settings (PNG compression, PNG/JPEG text); a key or value WriteOptions::text refuses
/// throws InvalidArgument.
GRADMAP_EXPORT void write_image(const std::string& path, const Image& image,
                                const WriteOptions& options = {});

/// True when the extension is one gradmap can read with the backends built; any directory counts
/// (as a possible DICOM series) when the ITK backend is built.
GRADMAP_EXPORT bool is_supported_input(const std::string& path);
/// True when `path`'s extension names a format whose files hold float values (npy, tiff, nifti,
/// nrrd, metaimage).
GRADMAP_EXPORT bool is_float_format(const std::string& path);
/// Lower-case extension including compound ones: "nii.gz", "png", "" for a directory.
GRADMAP_EXPORT std::string file_extension(const std::string& path);

/// Writes through a temporary file in the target's directory and renames it into place. `fill`
/// receives the temporary path; if it throws, the temporary is removed and nothing is left behind.
/// Throws IoError if `path` is an existing directory or its directory does not exist.
GRADMAP_CORE_EXPORT void write_atomically(const std::string& path,
                                          const std::function<void(const std::string& tmp_path)>& fill);

}  // namespace gradmap
