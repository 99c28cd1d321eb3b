// SPDX-License-Identifier: MIT
// numpy's .npy format, gradmap's own (gradmap::core, no backend needed). Writes are atomic
// (write_atomically in io.hpp); errors are IoError naming the path.
#pragma once

#include <string>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

/// The .npy reader and writer (versions 1.0, 2.0, 3.0; either byte order; C or Fortran order).
GRADMAP_CORE_EXPORT Array read_npy(const std::string& path);
GRADMAP_CORE_EXPORT void write_npy(const std::string& path, const Array& a);

}  // namespace gradmap
