// SPDX-License-Identifier: MIT
#include "discover.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "gradmap/error.hpp"
#include "gradmap/formats.hpp"
#include "gradmap/io.hpp"

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;

/// A DICOM file by the format table: ".dcm", or the "DICM" mark after the 128-byte preamble
/// (series are often stored as extension-less files named by instance number).
bool is_dicom_file(const fs::path& p) {
  const FileFormat* f = format_of(p.string());
  return f && f->name == "dicom";
}

/// True when `dir` directly holds DICOM files. Looking at a few files is enough: a series folder
/// holds nothing else, and a folder of mixed files is not one volume anyway.
bool is_dicom_series_dir(const fs::path& dir) {
  std::error_code ec;
  int looked = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end && looked < 8; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || !it->is_regular_file(ec)) continue;
    ++looked;
    if (is_dicom_file(it->path())) return true;
  }
  return false;
}

struct Walker {
  const DiscoverOptions& o;
  Discovery& d;
  std::map<std::pair<dev_t, ino_t>, std::string> visited;  // folder → the rel it was searched as
  struct stat skip_st {};
  bool have_skip = false;
  /// Symlinked folders found so far, searched only after every real folder: a folder reachable
  /// both directly and through a link is then always searched (and mirrored) under its real path,
  /// whatever order the directory listing returns.
  std::vector<std::pair<fs::path, std::string>> linked;

  bool excluded(const std::string& rel) const {
    for (const auto& p : o.exclude)
      if (glob_match(p, rel)) return true;
    return false;
  }
  bool included(const std::string& rel) const {
    if (o.include.empty()) return true;
    for (const auto& p : o.include)
      if (glob_match(p, rel)) return true;
    return false;
  }
  void add(const fs::path& path, const std::string& rel) {
    if (included(rel) && !excluded(rel))
      d.inputs.push_back({path.string(), rel});
    else
      ++d.ignored;
  }

  void walk(const fs::path& dir, const std::string& rel_dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      d.problems.push_back({dir.string(), std::string("cannot access: ") + std::strerror(errno)});
      return;
    }
    const auto [first, fresh] = visited.emplace(std::make_pair(st.st_dev, st.st_ino), rel_dir);
    if (!fresh) {
      d.problems.push_back({dir.string(),
                            "symlink loop, or a second link to a folder already searched as '" +
                                (first->second.empty() ? std::string(".") : first->second) +
                                "': not entered again",
                            false});
      return;
    }
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      d.problems.push_back({dir.string(), "cannot list the directory: " + ec.message()});
      return;
    }
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) {
        d.problems.push_back({dir.string(), "listing stopped: " + ec.message()});
        break;
      }
      entries.push_back(*it);
    }
    // Listing order is the file system's (hash order on many): sorted, discovery is reproducible.
    std::sort(entries.begin(), entries.end(),
              [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path() < b.path(); });
    for (const auto& e : entries) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.') continue;  // hidden files, gradmap's temporaries
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      struct stat es {};
      const bool is_dir = ::stat(e.path().c_str(), &es) == 0 && S_ISDIR(es.st_mode);
      if (!is_dir) {
        // Dangling links and special files stay inputs: the reader reports why they fail.
        if (is_supported_input(e.path().string()))
          add(e.path(), rel);
        else
          ++d.ignored;
        continue;
      }
      if (have_skip && es.st_dev == skip_st.st_dev && es.st_ino == skip_st.st_ino) continue;
      if (excluded(rel)) {
        ++d.ignored;
        continue;
      }
      if (is_supported_input(e.path().string()) && is_dicom_series_dir(e.path())) {
        add(e.path(), rel);
        continue;
      }
      if (!o.recursive) continue;
      std::error_code lec;
      if (e.is_symlink(lec))
        linked.emplace_back(e.path(), rel);
      else
        walk(e.path(), rel);
    }
  }

  void walk_tree(const fs::path& root) {
    walk(root, "");
    while (!linked.empty()) {
      // Links found inside linked folders come in the next round.
      auto round = std::move(linked);
      linked.clear();
      for (const auto& [path, rel] : round) walk(path, rel);
    }
  }
};

}  // namespace

bool glob_match(const std::string& pattern, const std::string& rel) {
  return ::fnmatch(pattern.c_str(), rel.c_str(), 0) == 0;
}

Discovery discover(const std::string& indir, const DiscoverOptions& options) {
  Discovery d;
  Walker w{options, d, {}, {}, false, {}};
  if (!options.skip_dir.empty() && ::stat(options.skip_dir.c_str(), &w.skip_st) == 0) w.have_skip = true;
  w.walk_tree(fs::path(indir));
  std::sort(d.inputs.begin(), d.inputs.end(),
            [](const BatchInput& a, const BatchInput& b) { return a.rel < b.rel; });
  return d;
}

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto number = [&](const std::string& s) -> long long {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return -1;
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return -1;
    }
  };
  const long long i = slash == std::string::npos ? -1 : number(text.substr(0, slash));
  const long long n = slash == std::string::npos ? -1 : number(text.substr(slash + 1));
  if (i < 0 || n <= 0 || i >= n)
    throw InvalidArgument("--shard: expected I/N with 0 <= I < N (e.g. 0/4 ... 3/4), got '" + text + "'");
  return {static_cast<std::size_t>(i), static_cast<std::size_t>(n)};
}

std::vector<BatchInput> shard_of(const std::vector<BatchInput>& all, std::size_t index, std::size_t count) {
  std::vector<BatchInput> mine;
  for (std::size_t k = index; k < all.size(); k += count) mine.push_back(all[k]);
  return mine;
}

}  // namespace gradmap::cli
