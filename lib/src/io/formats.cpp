// SPDX-License-Identifier: MIT
// The format table (gradmap/formats.hpp). Everything that needs to know an extension asks here.
#include "gradmap/formats.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace gradmap {

const std::vector<FileFormat>& formats() {
  using F = FormatFamily;
  using B = FormatBackend;
  // Expansion factors: JPEG and WebP photos decode to about 10× their file size, PNG and gzipped
  // NIfTI to about 4×; the rest are stored uncompressed.
  // clang-format off
  static const std::vector<FileFormat> table = {
    //  name        title        extensions                      family     backend    write  float  display  default out  expansion
    {"npy",       ".npy",      {"npy"},                         F::array,  B::core,   true,  true,  false,   "npy",    1},
    {"png",       "PNG",       {"png"},                         F::raster, B::opencv, true,  false, true,    "png",    4},
    {"jpeg",      "JPEG",      {"jpg", "jpeg", "jpe"},          F::raster, B::opencv, true,  false, true,    "png",    10},
    {"tiff",      "TIFF",      {"tiff", "tif"},                 F::raster, B::opencv, true,  true,  false,   "png",    1},
    {"bmp",       "BMP",       {"bmp"},                         F::raster, B::opencv, false, false, false,   "png",    1},
    {"webp",      "WebP",      {"webp"},                        F::raster, B::opencv, false, false, false,   "png",    10},
    {"pnm",       "PNM",       {"pnm", "pgm", "ppm", "pbm"},    F::raster, B::opencv, false, false, false,   "png",    1},
    {"nifti",     "NIfTI-1",   {"nii.gz", "nii"},               F::volume, B::itk,    true,  true,  false,   "",       4},
    {"nrrd",      "NRRD",      {"nrrd", "nhdr"},                F::volume, B::itk,    true,  true,  false,   "nrrd",   1},
    {"metaimage", "MetaImage", {"mha", "mhd"},                  F::volume, B::itk,    true,  true,  false,   "mha",    1},
    {"dicom",     "DICOM",     {"dcm", "dicom"},                F::volume, B::itk,    false, false, false,   "nii.gz", 1},
  };
  // clang-format on
  return table;
}

std::string lower_extension(const std::string& path) {
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

const FileFormat* format_named(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!t.empty() && t[0] == '.') t.erase(0, 1);
  for (const auto& f : formats()) {
    if (f.name == t) return &f;
    for (auto e : f.extensions)
      if (e == t) return &f;
  }
  return nullptr;
}

namespace {

/// DICOM Part 10 files carry "DICM" after a 128-byte preamble.
bool has_dicom_mark(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[132] = {};
  const bool ok = std::fread(buf, 1, sizeof buf, f) == sizeof buf && std::memcmp(buf + 128, "DICM", 4) == 0;
  std::fclose(f);
  return ok;
}

}  // namespace

const FileFormat* format_of(const std::string& path) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return format_named("dicom");
  const std::string ext = lower_extension(path);
  if (!ext.empty())
    for (const auto& f : formats())
      for (auto e : f.extensions)
        if (e == ext) return &f;
  if (exists && S_ISREG(st.st_mode) && has_dicom_mark(path)) return format_named("dicom");
  return nullptr;
}

std::string extension_list(const std::vector<FormatBackend>& built, bool writable_only) {
  std::string s;
  for (const auto& f : formats()) {
    if (std::find(built.begin(), built.end(), f.backend) == built.end()) continue;
    if (writable_only && !f.writable) continue;
    for (auto e : f.extensions) {
      if (!s.empty()) s += " ";
      s += ".";
      s += e;
    }
    if (f.name == "dicom" && !writable_only) s += ", a DICOM directory";
  }
  return s;
}

}  // namespace gradmap
