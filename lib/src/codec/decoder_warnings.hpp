// SPDX-License-Identifier: MIT
// The warnings a third-party decoder (libjpeg, libpng) reports through gradmap's callbacks.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace gradmap::detail {

/// Collects a decoder's warnings for Image::warnings: each distinct text once, at most 50 (a
/// badly corrupt file can warn once per row), then a count of the others. `add` is called from
/// inside the decoder's C frames, which no exception may cross: it never throws (a warning lost
/// to a failed allocation is the lesser harm).
class DecoderWarnings {
 public:
  explicit DecoderWarnings(const char* library) : library_(library) {}

  void add(const char* text) noexcept {
    try {
      const std::string w = std::string(library_) + ": " + text;
      for (const std::string& seen : kept_)
        if (seen == w) return;
      if (kept_.size() < kMaxWarnings) {
        kept_.push_back(w);
      } else {
        ++more_;
      }
    } catch (...) {
    }
  }

  /// The warnings, and a last line counting those beyond the first 50.
  std::vector<std::string> take() {
    std::vector<std::string> out = std::move(kept_);
    if (more_ > 0) out.push_back(std::string(library_) + ": " + std::to_string(more_) + " further warnings");
    return out;
  }

 private:
  static constexpr std::size_t kMaxWarnings = 50;
  const char* library_;
  std::vector<std::string> kept_;
  std::size_t more_ = 0;
};

}  // namespace gradmap::detail
