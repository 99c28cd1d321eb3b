// SPDX-License-Identifier: MIT
// Finds OpenCV's imgcodecs table (io/imgcodecs.hpp): linked into the process, or loaded from the
// gradmap_imgcodecs.so module (core/module.hpp).
#include "io/imgcodecs.hpp"

#include <cstring>
#include <string>

#include "core/module.hpp"
#include "io/backend.hpp"

// Weak: null when the process was linked without gradmap::imgcodecs (the CLI).
extern "C" __attribute__((weak)) const gradmap::detail::ImgcodecsApi* gradmap_imgcodecs_api_v1();

namespace gradmap::detail {
namespace {

struct Loaded {
  const ImgcodecsApi* api = nullptr;
  std::string failure;  // why not, when api is null
};

Loaded load() {
  if (gradmap_imgcodecs_api_v1 != nullptr) return {gradmap_imgcodecs_api_v1(), {}};
  Loaded l;
  using Entry = const ImgcodecsApi* (*)();
  auto entry =
      reinterpret_cast<Entry>(module_function("gradmap_imgcodecs.so", "gradmap_imgcodecs_api_v1", l.failure));
  if (entry == nullptr) return l;
  const ImgcodecsApi* api = entry();
  if (api == nullptr || api->size != sizeof(ImgcodecsApi) ||
      std::strcmp(api->version, GRADMAP_VERSION_STRING) != 0)
    return {nullptr, "gradmap_imgcodecs.so is not from gradmap " GRADMAP_VERSION_STRING};
  return {api, {}};
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
