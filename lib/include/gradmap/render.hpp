// SPDX-License-Identifier: MIT
// Display maps: turning float gradient/edge values into 8- or 16-bit pictures for people. The
// scaling is always an explicit, named choice (libvips' uchar-vs-float policy); values are clipped
// to the output range, never wrapped. The overview picture, drawn with OpenCV, is in overview.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

/// How values are mapped to the display range.
struct GRADMAP_CORE_EXPORT Normalization {
  enum class Kind {
    minmax,      ///< [min, max] of the finite values → full range
    percentile,  ///< [0 or -P, P-th percentile of |values|] → full range, above clipped (default)
    fixed,       ///< [0 or -max, max] → full range, clipped
    none,        ///< values used as they are, clipped to the output range
  };
  /// Default percentile:99. A magnitude histogram of a photo is heavy-tailed: min-max puts the
  /// strongest 0.01 % of edges at white and leaves typical edges near black (mean level 12 of 255
  /// on skimage's camera.png); the 99th percentile makes the edges (the brightest 10 % of
  /// pixels) 2-3× brighter and clips 1 % of the pixels, whose level then says "at least hi"
  /// (DisplayScale). bench/display_defaults.py measures it on photos.
  Kind kind = Kind::percentile;
  double percentile = 99;  ///< for Kind::percentile, in (0, 100]
  double max = 1.0;        ///< for Kind::fixed, > 0

  /// Parses "minmax", "percentile:P", "fixed:MAX", "none"; throws InvalidArgument otherwise.
  static Normalization parse(const std::string& text);
  std::string to_string() const;
};

struct DisplayOptions {
  Normalization normalization;
  int bit_depth = 8;  ///< 8 → uint8, 16 → uint16
};

/// How a direction map is drawn (the CLI's --dir-style).
enum class DirectionStyle {
  hsv,   ///< direction_hsv: hue = angle, brightness = magnitude (flat areas black)
  gray,  ///< direction_gray: the angle range onto the full gray range
};

/// The mapping a display map used, so that a reader can turn levels back into values:
///   value = lo + level / level_max() · (hi − lo)
/// exact up to the rounding to a level (half a step, (hi − lo) / level_max() / 2). Level 0 also
/// holds every value below `lo` and NaN, level_max() every value above `hi` (clipped, never
/// wrapped). With lo == hi (constant data) every level stands for lo. For direction_hsv, lo/hi
/// scale the brightness (HSV value = the largest of R, G, B) by magnitude and `hue_period` > 0 says
/// that hue = direction / hue_period turns, red at 0.
struct DisplayScale {
  double lo = 0;             ///< value at level 0
  double hi = 0;             ///< value at level_max()
  bool signed_data = false;  ///< symmetric around 0, 0 at mid-gray (lo = −hi), except Kind::none
  int bit_depth = 8;
  Normalization normalization;  ///< the rule that chose lo and hi
  double hue_period = 0;        ///< direction_hsv only

  double level_max() const { return bit_depth == 16 ? 65535.0 : 255.0; }
  double value(double level) const { return lo + level / level_max() * (hi - lo); }
};

/// A gray display map of `values` (any float or integer dtype, any rank). Non-negative data
/// (magnitudes) maps 0 → black; with `signed_data` (gradient components) the range is symmetric
/// around 0 and 0 maps to mid-gray. NaN → 0. Returns uint8 or uint16 of the same shape. When
/// `scale` is given it receives the mapping used (see DisplayScale).
GRADMAP_CORE_EXPORT Array display_map(const Array& values, const DisplayOptions& options,
                                      bool signed_data = false, DisplayScale* scale = nullptr);

/// The levels `scale` gives `values`: display_map with a mapping chosen elsewhere (e.g. from a
/// whole volume, applied to one slice). display_map(v, o, s, &sc) equals apply_display_scale(v, sc).
GRADMAP_CORE_EXPORT Array apply_display_scale(const Array& values, const DisplayScale& scale);

/// The interval direction values lie in for `angle` (edges.hpp): [−π, π] signed, [0, 2π)
/// unsigned or compass, [0, π) orientation; in degrees with AngleUnits::degrees. Its width is the
/// hue period of direction_hsv and its ends the range of direction_gray.
GRADMAP_CORE_EXPORT std::pair<double, double> angle_interval(const AngleOptions& angle);

/// PNG tEXt / JPEG comment entries (WriteOptions::text) that let a reader recover values from a
/// display map: `gradmap:quantity` (e.g. "magnitude", "direction", "gx"), `gradmap:units`,
/// `gradmap:value_at_0`, `gradmap:value_at_max`, `gradmap:max_level`, `gradmap:normalize`,
/// `gradmap:mapping` (the formula in words), and for direction_hsv `gradmap:hue_period`. Numbers
/// are written as the shortest text that reads back to the same double.
GRADMAP_CORE_EXPORT std::vector<std::pair<std::string, std::string>> display_text(const DisplayScale& scale,
                                                                                  const std::string& quantity,
                                                                                  const std::string& units);

/// Direction as color: hue = angle (a full turn of `period` around the color wheel, red at 0),
/// saturation 1, value = magnitude normalized by `options`, so flat regions are black. `direction`
/// and `magnitude` have the same 2-D shape; returns (rows, cols, 3) RGB uint8/uint16 with
/// Image::rgb semantics. `scale` receives the magnitude's mapping and hue_period = `period`.
GRADMAP_CORE_EXPORT Array direction_hsv(const Array& direction, const Array& magnitude,
                                        const DisplayOptions& options, double period,
                                        DisplayScale* scale = nullptr);
/// direction_hsv with the brightness mapping given (scale.hue_period is ignored: `period` rules).
GRADMAP_CORE_EXPORT Array direction_hsv(const Array& direction, const Array& magnitude,
                                        const DisplayScale& brightness, double period);

/// Direction as gray: the angle range [lo, hi] mapped linearly onto the full output range.
/// `scale` receives {lo, hi} (normalization fixed, unsigned).
GRADMAP_CORE_EXPORT Array direction_gray(const Array& direction, double lo, double hi, int bit_depth,
                                         DisplayScale* scale = nullptr);

}  // namespace gradmap
