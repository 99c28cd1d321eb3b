// SPDX-License-Identifier: MIT
// Every file gradmap writes goes through here: the bytes land in a hidden temporary next to the
// target and are renamed over it only once complete, so an error, a crash or an interrupt never
// leaves a half-written file under the target's name. rename(2) replaces a symlink at the target
// instead of following it, so an existing link never redirects the write to another file.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "gradmap/io.hpp"

namespace gradmap {
namespace {

namespace fs = std::filesystem;

/// The temporary keeps the target's extension (compound ones too): OpenCV and ITK pick the format
/// from it.
std::string temp_name_for(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  std::string name = target.filename().string();
  std::string stem = name, ext;
  const std::size_t dot = name.find('.', 1);  // first dot after a possible leading one: ".nii.gz" stays whole
  if (dot != std::string::npos) {
    stem = name.substr(0, dot);
    ext = name.substr(dot);
  }
  std::random_device rd;
  return "." + stem + ".gradmap-tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rd() % 100000) + ext;
}

}  // namespace

void write_atomically(const std::string& path, const std::function<void(const std::string&)>& fill) {
  const fs::path target(path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw IoError(path + ": cannot write: directory '" + dir.string() + "' does not exist");
  if (fs::is_directory(target, ec)) throw IoError(path + ": cannot write: it is a directory");
  const fs::path tmp = dir / temp_name_for(target);
  try {
    fill(tmp.string());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  if (!fs::exists(tmp, ec)) throw IoError(path + ": cannot write: the writer produced no file");
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    fs::remove(tmp, ec);
    throw IoError(path + ": cannot write: " + std::strerror(err));
  }
}

}  // namespace gradmap
