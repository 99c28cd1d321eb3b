// SPDX-License-Identifier: MIT
// Helpers shared by the fuzz targets: the readers under test take paths (that is how gradmap is
// used), so each input is written to a scratch file first. The scratch directory lives in /dev/shm
// when it exists, to keep the disk out of the loop, and holds one file per process.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gradmap/error.hpp"

namespace gradmap_fuzz {

inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    const fs::path d = base / ("gradmap-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d.string();
  }();
  return dir;
}

/// Writes the fuzz input to <scratch>/input.<ext> and returns the path.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& ext) {
  const std::string path = scratch_dir() + "/input." + ext;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();  // the scratch file system is broken: no finding can be trusted
  return path;
}

/// Readers may throw gradmap::Error (the documented way to refuse input) and nothing else: any
/// other exception escaping is a finding, so it is turned into an abort that libFuzzer records.
template <class Fn>
void expect_clean(Fn&& fn) {
  try {
    fn();
  } catch (const gradmap::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "non-gradmap exception escaped: %s\n", e.what());
    std::abort();
  }
}

inline bool starts_with(const std::uint8_t* data, std::size_t size, const char* magic, std::size_t n) {
  if (size < n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (data[i] != static_cast<std::uint8_t>(magic[i])) return false;
  return true;
}

}  // namespace gradmap_fuzz
