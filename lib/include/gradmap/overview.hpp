// SPDX-License-Identifier: MIT
// The overview picture: input, magnitude and direction side by side with their legends. Declared
// by gradmap::opencv, which defines it (it draws text and resizes with OpenCV); installed only
// when that component is built.
#pragma once

#include <string>

#include "gradmap/edges.hpp"
#include "gradmap/export.hpp"
#include "gradmap/image.hpp"
#include "gradmap/render.hpp"

namespace gradmap {

/// What an overview picture shows and how it is titled.
struct OverviewInfo {
  std::string title;    ///< e.g. the input file name
  std::string spacing;  ///< e.g. "0.7 x 0.7 x 5 mm"
  std::string units;    ///< magnitude units, e.g. "intensity/mm"
  /// The derivative operator when it is not numpy's, e.g. "gaussian:1.5, boundary reflect".
  std::string derivative;
  double angle_period = 0;  ///< period of the direction values (2π or π, or 360/180 in degrees)
  /// The convention the direction was computed with, so that the color wheel points where the
  /// gradient points on screen (image convention, y up, compass) and is labelled in its units.
  /// With angle_period 0 the period follows from it (π for orientation, else a full turn).
  AngleOptions angle;
  /// How the magnitude panel and the direction panel's brightness are scaled, as in the display
  /// maps written beside it (bit_depth is not used: the picture is 8-bit). The legend names it.
  DisplayOptions display;
  /// How the direction panel is drawn (direction_hsv or direction_gray over angle_interval(angle)).
  DirectionStyle direction_style = DirectionStyle::hsv;
  /// Which series entry the map panels show, e.g. "channel r" under ColorMode::channels or "t0"
  /// for a 4-D volume; shown in the title and the panel captions. Empty: no series axis.
  std::string channel;
};

/// Writes one PNG with the input, the magnitude and the direction side by side, a color-wheel
/// legend for the direction and a scale bar for the magnitude, titled per `info`. 2-D: the images
/// themselves; 3-D: the middle slice along each axis (three rows: axial (y, x), coronal (z, x) and
/// sagittal (z, y), the last two with z up). Panels keep the physical aspect given by the input's
/// spacing. The input is min-max scaled (color shown as luminance, other series axes by their first
/// element); the maps show their first series entry (`info.channel` names it). The magnitude panel
/// is display_map(magnitude, info.display) and the direction panel direction_hsv (its brightness
/// on the same scale) or direction_gray per info.direction_style; for a volume the scale is chosen
/// once from the whole volume and applied to each slice (apply_display_scale). Needs the
/// OpenCV component (gradmap::opencv). Throws IoError when `path` does not end in .png or cannot be
/// written (naming it). Written atomically.
GRADMAP_OPENCV_EXPORT void write_overview(const std::string& path, const Image& input, const EdgeMaps& maps,
                                          const OverviewInfo& info);

}  // namespace gradmap
