// SPDX-License-Identifier: MIT
// Finds OpenCV's imgcodecs table (io/imgcodecs.hpp): linked into the process, or loaded from the
// gradmap_imgcodecs.so module beside the binary that holds this code.
#include "io/imgcodecs.hpp"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

#include "io/backend.hpp"

// Weak: null when the process was linked without gradmap::imgcodecs (the CLI).
extern "C" __attribute__((weak)) const gradmap::detail::ImgcodecsApi* gradmap_imgcodecs_api_v1();

namespace gradmap::detail {
namespace {

/// The directory of the executable or shared library that contains this function.
std::string own_directory() {
  struct Search {
    std::uintptr_t address;
    std::string path;
    bool found;
  } s{reinterpret_cast<std::uintptr_t>(&own_directory), {}, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          const std::uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
          if (ph.p_type == PT_LOAD && search->address >= begin && search->address < begin + ph.p_memsz) {
            search->path = info->dlpi_name;
            search->found = true;
            return 1;
          }
        }
        return 0;
      },
      &s);
  std::string path = s.path;
  if (!s.found || path.empty()) {  // the main program is listed without a name
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    path = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

struct Loaded {
  const ImgcodecsApi* api = nullptr;
  std::string failure;  // why not, when api is null
};

Loaded load() {
  if (gradmap_imgcodecs_api_v1 != nullptr) return {gradmap_imgcodecs_api_v1(), {}};
  const std::string dir = own_directory();
  std::string tried;
  for (const char* rel : {"/../lib/gradmap/", "/../" GRADMAP_INSTALL_LIBDIR "/gradmap/", "/gradmap/"}) {
    const std::string file = dir + rel + "gradmap_imgcodecs.so";
    if (access(file.c_str(), F_OK) != 0) {
      if (tried.find(file) == std::string::npos) tried += (tried.empty() ? "" : ", ") + file;
      continue;
    }
    // RTLD_LOCAL: OpenCV's codec libraries stay out of the global symbol scope; never closed.
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return {nullptr, file + " did not load: " + dlerror()};
    using Entry = const ImgcodecsApi* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "gradmap_imgcodecs_api_v1"));
    const ImgcodecsApi* api = entry != nullptr ? entry() : nullptr;
    if (api == nullptr || api->size != sizeof(ImgcodecsApi) ||
        std::strcmp(api->version, GRADMAP_VERSION_STRING) != 0)
      return {nullptr, file + " is not from gradmap " GRADMAP_VERSION_STRING};
    return {api, {}};
  }
  return {nullptr, "gradmap_imgcodecs.so was not found (looked for " + tried + ")"};
}

}  // namespace

const ImgcodecsApi& imgcodecs(const std::string& path) {
  static const Loaded loaded = load();
  if (loaded.api == nullptr)
    throw io_error(
        path, "this file needs OpenCV's image codecs, which gradmap loads on demand, but " + loaded.failure);
  return *loaded.api;
}

}  // namespace gradmap::detail
