// SPDX-License-Identifier: MIT
#include "schedule.hpp"

#include <unistd.h>

#include <filesystem>

#include "gradmap/formats.hpp"

namespace gradmap::cli {

namespace fs = std::filesystem;

std::size_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page)
                               : (std::size_t{4} << 30);
}

std::size_t estimate_before_reading(const BatchInput& in) {
  std::error_code ec;
  std::size_t bytes = 0;
  if (fs::is_directory(in.path, ec)) {
    for (fs::directory_iterator it(in.path, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec)) bytes += static_cast<std::size_t>(it->file_size(ec));
  } else {
    const auto size = fs::file_size(in.path, ec);
    bytes = ec ? 0 : static_cast<std::size_t>(size);
  }
  const FileFormat* f = format_of(in.path);
  const double expand = f ? f->expansion : 1;
  return static_cast<std::size_t>(static_cast<double>(bytes) * expand * 12);
}

void remove_own_temporaries(const std::set<std::string>& dirs) {
  const std::string mark = ".gradmap-tmp-" + std::to_string(::getpid()) + "-";
  for (const auto& d : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.' && name.find(mark) != std::string::npos) fs::remove(it->path(), ec);
    }
  }
}

}  // namespace gradmap::cli
