// SPDX-License-Identifier: MIT
// Finding and loading gradmap's on-demand modules (core/module.hpp).
#include "core/module.hpp"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdint>

namespace gradmap::detail {
namespace {

/// The directory of the executable or shared library that contains this function; `executable`
/// says which.
std::string own_directory(bool& executable) {
  struct Search {
    std::uintptr_t address;
    std::string path;
    bool found;
  } s{reinterpret_cast<std::uintptr_t>(&module_function), {}, false};
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
  executable = !s.found || path.empty();
  if (executable) {  // the main program is listed without a name
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    path = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

void* module_function(const std::string& file, const char* symbol, std::string& failure) {
  bool executable = false;
  const std::string dir = own_directory(executable);
  std::string tried;
  for (const char* rel : {"/../lib/gradmap/", "/../" GRADMAP_INSTALL_LIBDIR "/gradmap/", "/gradmap/"}) {
    if (executable && rel[1] != '.') continue;  // gradmap/ is beside a shared library, not a program
    const std::string path = dir + rel + file;
    if (access(path.c_str(), F_OK) != 0) {
      if (tried.find(path) == std::string::npos) tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    // RTLD_LOCAL: the module's libraries stay out of the global symbol scope.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      failure = path + " did not load: " + dlerror();
      return nullptr;
    }
    void* f = dlsym(handle, symbol);
    if (f == nullptr) failure = path + " has no " + symbol + " (not a module of this gradmap)";
    return f;
  }
  failure = file + " was not found (looked for " + tried + ")";
  return nullptr;
}

}  // namespace gradmap::detail
