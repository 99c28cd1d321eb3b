// SPDX-License-Identifier: MIT
// read_image / write_image: checks that apply to every format (missing, empty, directory), then
// dispatch by extension to .npy or to the first backend that claims the file.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "gradmap/io.hpp"
#include "gradmap/render.hpp"
#include "io_backend.hpp"

namespace gradmap {
namespace {

using detail::Backend;
using detail::io_error;

std::vector<const Backend*> backends() {
  std::vector<const Backend*> b;
#ifdef GRADMAP_HAVE_OPENCV
  b.push_back(&detail::opencv_backend());
#endif
#ifdef GRADMAP_HAVE_ITK
  b.push_back(&detail::itk_backend());
#endif
  return b;
}

std::string supported_list() {
  std::string s = ".npy";
#ifdef GRADMAP_HAVE_OPENCV
  s += " .png .jpg .jpeg .tif .tiff .bmp .webp .pgm .ppm .pnm";
#endif
#ifdef GRADMAP_HAVE_ITK
  s += " .nii .nii.gz .nrrd .nhdr .mha .mhd .dcm, a DICOM directory";
#endif
  return s;
}

const Backend* reader_for(const std::string& path) {
  for (const Backend* b : backends())
    if (b->can_read(path)) return b;
  return nullptr;
}

const Backend* writer_for(const std::string& path) {
  for (const Backend* b : backends())
    if (b->can_write(path)) return b;
  return nullptr;
}

std::string extension_for_message(const std::string& path) {
  std::string ext = file_extension(path);
  return ext.empty() ? "no extension" : "extension '." + ext + "'";
}

/// Errors every format shares, reported the same way whichever backend would have read the file.
/// Returns true when `path` is a directory.
bool check_readable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw io_error(path, "no such file or directory");
    throw io_error(path, std::string("cannot access: ") + std::strerror(errno));
  }
  if (::access(path.c_str(), R_OK) != 0)
    throw io_error(path, std::string("not readable: ") + std::strerror(errno) + " (check its permissions)");
  if (S_ISDIR(st.st_mode)) return true;
  if (!S_ISREG(st.st_mode)) throw io_error(path, "not a regular file");
  if (st.st_size == 0) throw io_error(path, "the file is empty (0 bytes)");
  return false;
}

}  // namespace

std::string file_extension(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "";
  return detail::lower_extension(path);
}

bool is_supported_input(const std::string& path) {
  if (file_extension(path) == "npy") return true;
  return reader_for(path) != nullptr;
}

bool is_float_format(const std::string& path) {
  if (detail::lower_extension(path) == "npy") return true;
  for (const Backend* b : backends())
    if (b->can_write(path)) return b->is_float_format(path);
  return false;
}

Image read_image(const std::string& path, const ReadOptions& options) {
  bool is_dir = check_readable(path);
  if (!is_dir && file_extension(path) == "npy") {
    Image img;
    img.pixels = read_npy(path);
    img.geometry = default_geometry(img.pixels.rank(), "px");
    img.format = "npy";
    return img;
  }
  const Backend* b = reader_for(path);
  if (!b) {
    if (is_dir)
      throw io_error(path, "is a directory; only a directory holding one DICOM series can be read"
#ifndef GRADMAP_HAVE_ITK
                           " (and gradmap was built without ITK)"
#endif
      );
    throw io_error(path, "unsupported " + extension_for_message(path) + "; gradmap reads " + supported_list());
  }
  try {
    return b->read(path, options);
  } catch (const std::bad_alloc&) {
    throw io_error(path, "out of memory while reading");
  }
}

void write_image(const std::string& path, const Image& image) {
  if (image.pixels.empty()) throw io_error(path, "nothing to write: the image has no pixel array");
  std::string ext = detail::lower_extension(path);
  if (ext == "npy") {
    write_npy(path, image.pixels);  // atomic itself
    return;
  }
  const Backend* b = writer_for(path);
  if (!b) throw io_error(path, "cannot write " + extension_for_message(path) + "; gradmap writes " + supported_list());
  std::size_t n = image.geometry.spacing.size();
  if (n != 0 && (image.geometry.origin.size() != n || image.geometry.direction.size() != n * n))
    throw io_error(path, "inconsistent geometry: " + std::to_string(n) + " spacings, " +
                             std::to_string(image.geometry.origin.size()) + " origin values, " +
                             std::to_string(image.geometry.direction.size()) + " direction values");
  write_atomically(path, [&](const std::string& tmp) { b->write(path, tmp, image); });
}

#ifndef GRADMAP_HAVE_OPENCV
// Without the OpenCV backend there is no PNG encoder or text rendering for the overview.
void write_overview(const std::string& path, const Image&, const EdgeMaps&, const OverviewInfo&) {
  throw io_error(path, "overview pictures need gradmap built with OpenCV (GRADMAP_WITH_OPENCV=ON)");
}
#endif

}  // namespace gradmap
