// SPDX-License-Identifier: MIT
// Display maps: turning float gradient/edge values into 8- or 16-bit pictures for people. The
// scaling is always an explicit, named choice (libvips' uchar-vs-float policy); values are clipped
// to the output range, never wrapped.
#pragma once

#include <string>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/export.hpp"
#include "gradmap/io.hpp"

namespace gradmap {

/// How values are mapped to the display range.
struct GRADMAP_CORE_EXPORT Normalization {
  enum class Kind {
    minmax,      ///< [min, max] of the finite values → full range (the default)
    percentile,  ///< [0 or -P, P-th percentile of |values|] → full range, values above clipped
    fixed,       ///< [0 or -max, max] → full range, clipped
    none,        ///< values used as they are, clipped to the output range
  };
  Kind kind = Kind::minmax;
  double percentile = 99.5;  ///< for Kind::percentile, in (0, 100]
  double max = 1.0;          ///< for Kind::fixed, > 0

  /// Parses "minmax", "percentile:P", "fixed:MAX", "none"; throws InvalidArgument otherwise.
  static Normalization parse(const std::string& text);
  std::string to_string() const;
};

struct DisplayOptions {
  Normalization normalization;
  int bit_depth = 8;  ///< 8 → uint8, 16 → uint16
};

/// A gray display map of `values` (any float or integer dtype, any rank). Non-negative data
/// (magnitudes) maps 0 → black; with `signed_data` (gradient components) the range is symmetric
/// around 0 and 0 maps to mid-gray. NaN → 0. Returns uint8 or uint16 of the same shape.
GRADMAP_CORE_EXPORT Array display_map(const Array& values, const DisplayOptions& options,
                                      bool signed_data = false);

/// Direction as color: hue = angle (a full turn of `period` around the color wheel, red at 0),
/// saturation 1, value = magnitude normalized by `options`, so flat regions are black. `direction`
/// and `magnitude` have the same 2-D shape; returns (rows, cols, 3) RGB uint8/uint16 with
/// Image::rgb semantics.
GRADMAP_CORE_EXPORT Array direction_hsv(const Array& direction, const Array& magnitude,
                                        const DisplayOptions& options, double period);

/// Direction as gray: the angle range [lo, hi] mapped linearly onto the full output range.
GRADMAP_CORE_EXPORT Array direction_gray(const Array& direction, double lo, double hi, int bit_depth);

/// What an overview picture shows and how it is titled.
struct OverviewInfo {
  std::string title;       ///< e.g. the input file name
  std::string spacing;     ///< e.g. "0.7 x 0.7 x 5 mm"
  std::string units;       ///< magnitude units, e.g. "intensity/mm"
  double angle_period = 0; ///< period of the direction values (2π or π, or 360/180 in degrees)
  /// The convention the direction was computed with, so that the color wheel points where the
  /// gradient points on screen (image convention, y up, compass) and is labelled in its units.
  /// With angle_period 0 the period follows from it (π for orientation, else a full turn).
  AngleOptions angle;
};

/// Writes one PNG with the input, the magnitude and the direction side by side, a color-wheel
/// legend for the direction and a scale bar for the magnitude, titled per `info`. 2-D: the images
/// themselves; 3-D: the middle slice along each axis (three rows: axial (y, x), coronal (z, x) and
/// sagittal (z, y), the last two with z up). Panels keep the physical aspect given by the input's
/// spacing. The input is min-max scaled (color shown as luminance, other series axes by their first
/// element); magnitude and direction value share one scale, [0, largest finite magnitude]. Needs the
/// OpenCV backend; throws IoError otherwise, or when `path` does not end in .png or cannot be
/// written (naming it). Written atomically.
GRADMAP_OPENCV_EXPORT void write_overview(const std::string& path, const Image& input, const EdgeMaps& maps,
                                          const OverviewInfo& info);

}  // namespace gradmap
