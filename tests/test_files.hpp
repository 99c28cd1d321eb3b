// SPDX-License-Identifier: MIT
// Helpers for tests that look at whole output folders or need a small file system of their own.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace gradmap_test {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Relative path → bytes of every file under `dir`: the visible ones, or with `hidden` only the
/// hidden ones (gradmap's temporaries start with a dot). Empty when `dir` does not exist.
inline std::map<std::string, std::string> tree(const std::filesystem::path& dir, bool hidden = false) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const bool is_hidden = e.path().filename().string()[0] == '.';
    if (is_hidden != hidden) continue;
    files[fs::relative(e.path(), dir).string()] = slurp(e.path());
  }
  return files;
}

/// A tmpfs of `size` (e.g. "64k") mounted on `dir` for the test's lifetime: a disk that fills up, or
/// a read-only one (chmod does not stop root). Mounting needs privileges; tests check mounted()
/// and skip with error() when the machine does not allow it.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size, bool read_only = false) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string opts = "size=" + size + ",mode=0777";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", read_only ? MS_RDONLY : 0, opts.c_str()) == 0)
      mounted_ = true;
    else
      error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace gradmap_test
