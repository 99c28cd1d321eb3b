// SPDX-License-Identifier: MIT
// The one BT.601 luminance formula of gradmap's readers (the OpenCV backend's color rasters, the ITK
// backend's RGB DICOM), so both give numpy's value for the same pixel.
#pragma once

namespace gradmap::detail {

/// BT.601 luminance of one R, G, B pixel in T (float or double), evaluated left to right as
/// (0.299 R + 0.587 G) + 0.114 B with every product and sum rounded to T: what numpy computes for
/// `0.299*r + 0.587*g + 0.114*b` on arrays of type T (the Python float weights become T). The
/// backends are built for baseline x86-64, without FMA instructions that could fuse a product
/// into a sum.
template <class T>
inline T bt601_luminance(T r, T g, T b) {
  const T red = T(0.299) * r;
  const T green = T(0.587) * g;
  const T blue = T(0.114) * b;
  const T red_green = red + green;
  return red_green + blue;
}

}  // namespace gradmap::detail
