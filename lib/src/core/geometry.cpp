// SPDX-License-Identifier: MIT
// default_geometry lives in gradmap_core, not with read_image in libgradmap: the OpenCV and ITK
// backends call it, and they are linked *by* libgradmap, so in a shared build the definition must
// sit below them.
#include <string>

#include "gradmap/error.hpp"
#include "gradmap/image.hpp"

namespace gradmap {

Geometry default_geometry(int n, const std::string& unit) {
  if (n < 0) throw InvalidArgument("default_geometry: negative axis count " + std::to_string(n));
  Geometry g;
  auto un = static_cast<std::size_t>(n);
  g.spacing.assign(un, 1.0);
  g.origin.assign(un, 0.0);
  g.direction.assign(un * un, 0.0);
  for (std::size_t i = 0; i < un; ++i) g.direction[i * un + i] = 1.0;
  g.unit = unit;
  g.spacing_source.assign(un, SpacingSource::default_one);
  return g;
}

}  // namespace gradmap
