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
#include "gradmap/io.hpp"

namespace gradmap::detail {

/// One format backend. `read` may assume `can_read(path)`; `write` receives the final path (whose
/// extension selects the format) and the temporary path it must fill, and may assume
/// `can_write(path)`.
struct Backend {
  const char* name;
  bool (*can_read)(const std::string& path);
  Image (*read)(const std::string& path, const ReadOptions& options);
  bool (*can_write)(const std::string& path);
  bool (*is_float_format)(const std::string& path);
  void (*write)(const std::string& path, const std::string& tmp_path, const Image& image);
};

/// Defined in io_opencv.cpp and io_itk.cpp; io.cpp calls only those that are built. Exported because
/// io.cpp lives in another library (libgradmap) than the backends in a shared build.
GRADMAP_OPENCV_EXPORT const Backend& opencv_backend();
GRADMAP_ITK_EXPORT const Backend& itk_backend();

/// Lower-case extension with the compound ".nii.gz" kept whole; "" when there is none.
inline std::string lower_extension(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends_with = [&](const std::string& s) {
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".nii.gz")) return "nii.gz";
  auto dot = name.find_last_of('.');
  if (dot == std::string::npos || dot == 0) return "";
  return name.substr(dot + 1);
}

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
inline void check_memory(const std::string& path, const std::vector<double>& dims, double bytes_per_sample_total,
                         std::size_t max_memory, const std::string& what) {
  double n = 1;
  for (double d : dims) n *= d;
  double need = n * bytes_per_sample_total;
  std::size_t limit = effective_max_memory(max_memory);
  if (need > static_cast<double>(limit)) {
    throw io_error(path, what + " would need " + human_bytes(need) + " of memory to decode, more than the limit of " +
                             human_bytes(static_cast<double>(limit)) +
                             " (raise --max-memory if the machine has enough RAM)");
  }
}

}  // namespace gradmap::detail
