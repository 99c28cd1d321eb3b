// SPDX-License-Identifier: MIT
// read_image / write_image: checks that apply to every format (missing, empty, directory), then
// dispatch to the backend the format table (gradmap/formats.hpp) names for the file.
#include "gradmap/io.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/module.hpp"
#include "gradmap/formats.hpp"
#include "io/backend.hpp"

#ifdef GRADMAP_HAVE_ITK
// Weak: null when the process was linked without gradmap::itk (the CLI).
extern "C" __attribute__((weak)) const gradmap::detail::Backend* gradmap_itk_backend_v1(const char* version);
#endif

namespace gradmap {
namespace {

using detail::Backend;
using detail::io_error;

/// The backends built into this library, by the format table's backend names.
std::vector<FormatBackend> built_backends() {
  std::vector<FormatBackend> b{FormatBackend::core};
#ifdef GRADMAP_HAVE_OPENCV
  b.push_back(FormatBackend::opencv);
#endif
#ifdef GRADMAP_HAVE_ITK
  b.push_back(FormatBackend::itk);
#endif
  return b;
}

bool built(FormatBackend which) {
  const auto b = built_backends();
  return std::find(b.begin(), b.end(), which) != b.end();
}

#ifdef GRADMAP_HAVE_ITK
/// The ITK backend: linked (gradmap::itk's consumers, through this weak reference), or loaded on
/// the first volume from the gradmap_itk.so module (the CLI, which ITK and GDCM would otherwise
/// cost 0.04 s at every start: core/module.hpp). An IoError naming `path` when it cannot be loaded.
const Backend& itk(const std::string& path) {
  struct Loaded {
    const Backend* backend = nullptr;
    std::string failure;
  };
  static const Loaded loaded = [] {
    Loaded l;
    using Entry = const Backend* (*)(const char*);
    Entry entry = gradmap_itk_backend_v1;
    if (entry == nullptr)
      entry = reinterpret_cast<Entry>(
          detail::module_function("gradmap_itk.so", "gradmap_itk_backend_v1", l.failure));
    if (entry != nullptr) {
      l.backend = entry(GRADMAP_VERSION_STRING);
      if (l.backend == nullptr) l.failure = "gradmap_itk.so is not from gradmap " GRADMAP_VERSION_STRING;
    }
    return l;
  }();
  if (loaded.backend == nullptr)
    throw io_error(path, "this file needs ITK, which gradmap loads on demand, but " + loaded.failure);
  return *loaded.backend;
}
#endif

/// The backend of a format that built() says this library has.
const Backend& backend(FormatBackend which, const std::string& path) {
  switch (which) {
#ifdef GRADMAP_HAVE_OPENCV
    case FormatBackend::opencv:
      return detail::opencv_backend();
#endif
#ifdef GRADMAP_HAVE_ITK
    case FormatBackend::itk:
      return itk(path);
#endif
    default:
      throw std::logic_error("gradmap: no backend for '" + path + "'");
  }
}

std::string not_built(const FileFormat& f) {
  return std::string(f.title) + " needs gradmap built with " +
         (f.backend == FormatBackend::itk ? "ITK (GRADMAP_WITH_ITK=ON)" : "OpenCV (GRADMAP_WITH_OPENCV=ON)");
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

/// WriteOptions::text must survive the trip: PNG tEXt keys are 1-79 Latin-1 characters, values have
/// no NUL; JPEG's COM segment holds `key=value` lines, so '=' in a key and line breaks anywhere
/// would make a reader split them differently. Refused rather than mangled. Then only PNG and JPEG
/// can hold the text at all: anything else would drop it without a word.
void check_text(const std::string& path, const FileFormat* f, const WriteOptions& options) {
  if (options.text.empty()) return;
  for (const auto& [key, value] : options.text) {
    bool ok = !key.empty() && key.size() <= 79 && key.front() != ' ' && key.back() != ' ' &&
              key.find("  ") == std::string::npos && key.find('=') == std::string::npos;
    for (unsigned char c : key) ok = ok && c >= 32 && c < 127;
    if (!ok)
      throw InvalidArgument(
          "'" + path + "': text key '" + key +
          "' is not usable: keys are 1-79 printable ASCII characters without '=' and without "
          "leading, trailing or double spaces");
    if (value.find_first_of(std::string("\0\r\n", 3)) != std::string::npos)
      throw InvalidArgument("'" + path + "': the text value of '" + key +
                            "' holds a NUL or a line break; store one line per key");
  }
  const std::string name = f ? std::string(f->name) : std::string();
  if (name != "png" && name != "jpeg")
    throw io_error(path,
                   "cannot store text (" + options.text.front().first +
                       ", ...): " + (f ? std::string(f->title) : std::string("this format")) +
                       " files have no place for it; write PNG or JPEG, or leave WriteOptions::text empty");
}

}  // namespace

std::string file_extension(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "";
  return lower_extension(path);
}

bool is_supported_input(const std::string& path) {
  const FileFormat* f = format_of(path);
  return f && built(f->backend);
}

bool is_float_format(const std::string& path) {
  const FileFormat* f = format_named(lower_extension(path));
  return f && f->writable && f->float_values;
}

Image read_image(const std::string& path, const ReadOptions& options) {
  const bool is_dir = check_readable(path);
  const FileFormat* f = format_of(path);
  if (!f)
    throw io_error(path, "unsupported " + extension_for_message(path) + "; gradmap reads " +
                             extension_list(built_backends(), false));
  if (f->backend == FormatBackend::core) {
    if (is_dir) throw io_error(path, "is a directory, not a .npy file");
    Image img;
    img.pixels = read_npy(path);
    img.geometry = default_geometry(img.pixels.rank(), "px");
    img.format = "npy";
    return img;
  }
  if (!built(f->backend)) {
    if (is_dir)
      throw io_error(path, "is a directory; only a directory holding one DICOM series can be read (" +
                               not_built(*f) + ")");
    throw io_error(path, not_built(*f));
  }
  const Backend& b = backend(f->backend, path);
  try {
    return b.read(path, options);
  } catch (const std::bad_alloc&) {
    throw io_error(path, "out of memory while reading");
  }
}

void write_image(const std::string& path, const Image& image, const WriteOptions& options) {
  if (image.pixels.empty()) throw io_error(path, "nothing to write: the image has no pixel array");
  const FileFormat* f = format_named(lower_extension(path));
  if (f && f->writable) check_text(path, f, options);
  if (f && f->writable && f->backend == FormatBackend::core) {
    write_npy(path, image.pixels);  // atomic itself
    return;
  }
  if (!f || !f->writable)
    throw io_error(path, "cannot write " + extension_for_message(path) + "; gradmap writes " +
                             extension_list(built_backends(), true));
  if (!built(f->backend)) throw io_error(path, "cannot write: " + not_built(*f));
  const Backend& b = backend(f->backend, path);
  std::size_t n = image.geometry.spacing.size();
  if (n != 0 && (image.geometry.origin.size() != n || image.geometry.direction.size() != n * n))
    throw io_error(path, "inconsistent geometry: " + std::to_string(n) + " spacings, " +
                             std::to_string(image.geometry.origin.size()) + " origin values, " +
                             std::to_string(image.geometry.direction.size()) + " direction values");
  write_atomically(path, [&](const std::string& tmp) { b.write(path, tmp, image, options); });
}

}  // namespace gradmap
