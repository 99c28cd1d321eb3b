// SPDX-License-Identifier: MIT
// The one interface between io.cpp (dispatch by file name) and the format backends. Each backend
// lives in its own library (gradmap_opencv, gradmap_itk) that links only gradmap_core, so the small
// helpers they share are inline here rather than in io.cpp.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "gradmap/error.hpp"
#include "gradmap/export.hpp"
#include "gradmap/formats.hpp"
#include "gradmap/io.hpp"

namespace gradmap::detail {

/// One format backend. Which backend a file goes to is the format table's decision
/// (gradmap/formats.hpp): `read` receives paths of its formats, `write` the final path of a writable
/// format of its own (whose extension selects the format) and the temporary path it must fill;
/// io.cpp has already checked WriteOptions::text (its keys and values, and that the format holds it).
struct Backend {
  const char* name;
  Image (*read)(const std::string& path, const ReadOptions& options);
  void (*write)(const std::string& path, const std::string& tmp_path, const Image& image,
                const WriteOptions& options);
};

/// Defined in backend_opencv.cpp and backend_itk.cpp. io.cpp calls the OpenCV one directly and
/// reaches the ITK one through its extern "C" entry gradmap_itk_backend_v1, linked or loaded as a
/// module (core/module.hpp). Exported because the backends live in other libraries than io.cpp
/// (libgradmap) in a shared build.
GRADMAP_OPENCV_EXPORT const Backend& opencv_backend();
GRADMAP_ITK_EXPORT const Backend& itk_backend();

using gradmap::lower_extension;

inline IoError io_error(const std::string& path, const std::string& reason) {
  return IoError("'" + path + "': " + reason);
}

/// A count held in a double (sizes from untrusted headers can exceed any integer type) as
/// decimal text; casting such a double to an integer would be undefined behaviour.
inline std::string count_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

/// "1.5 GiB" — for memory-limit messages.
inline std::string human_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

/// The limit ReadOptions::max_memory stands for: its value, or half of physical RAM when 0.
inline std::size_t effective_max_memory(std::size_t max_memory) {
  if (max_memory != 0) return max_memory;
  long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return std::size_t(4) << 30;  // unknown: assume a small machine
  return static_cast<std::size_t>(pages) / 2 * static_cast<std::size_t>(page_size);
}

/// Throws before decoding when an image of `dims` samples (any order) of `sample_bytes` each would
/// need more than the limit. `bytes_per_sample_total` counts every buffer alive at the peak (the
/// decoder's and gradmap's copy), so the check is about memory, not file size. Doubles avoid
/// overflow on hostile headers (e.g. 2^32 × 2^32).
inline void check_memory(const std::string& path, const std::vector<double>& dims,
                         double bytes_per_sample_total, std::size_t max_memory, const std::string& what) {
  double n = 1;
  for (double d : dims) n *= d;
  double need = n * bytes_per_sample_total;
  std::size_t limit = effective_max_memory(max_memory);
  if (need > static_cast<double>(limit)) {
    throw io_error(path, what + " would need " + human_bytes(need) +
                             " of memory to decode, more than the limit of " +
                             human_bytes(static_cast<double>(limit)) +
                             " (raise --max-memory if the machine has enough RAM)");
  }
}

}  // namespace gradmap::detail
