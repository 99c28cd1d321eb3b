// SPDX-License-Identifier: MIT
// gradmap's on-demand modules: code whose libraries are too costly to load at every start of the
// CLI (OpenCV's imgcodecs, ITK and GDCM: 0.12 s and 0.04 s of a 0.13 s start-up, most of it the
// dynamic loader binding their symbols) is also built as a module that the CLI dlopen()s the first
// time a file needs it. Library consumers link the same code instead (io/imgcodecs.hpp).
#pragma once

#include <string>

#include "gradmap/export.hpp"

namespace gradmap::detail {

/// Loads gradmap's module `file` (say "gradmap_itk.so") and returns its function `symbol`, or null
/// with `failure` saying why (not found: every path looked in; did not load: dlerror()). Looked for
/// beside the executable or library that holds gradmap's core: ../lib/gradmap (build tree),
/// ../<libdir>/gradmap (installed executable), gradmap/ (installed shared library). Never unloaded.
GRADMAP_CORE_EXPORT void* module_function(const std::string& file, const char* symbol, std::string& failure);

}  // namespace gradmap::detail
