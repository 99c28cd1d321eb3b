// SPDX-License-Identifier: MIT
// Fixed-width integers read from a byte buffer in a stated byte order, whatever the machine's: the
// header probes (io/probes/raster_probe.cpp) and the PNG reader (codec/png_decode.cpp); and the
// byte buffer the codecs fill.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace gradmap::detail {

inline std::uint32_t be16(const unsigned char* p) { return std::uint32_t(p[0]) << 8 | p[1]; }
inline std::uint32_t be32(const unsigned char* p) { return be16(p) << 16 | be16(p + 2); }
inline std::uint32_t le16(const unsigned char* p) { return std::uint32_t(p[1]) << 8 | p[0]; }
inline std::uint32_t le32(const unsigned char* p) { return le16(p + 2) << 16 | le16(p); }
inline std::uint64_t le64(const unsigned char* p) { return std::uint64_t(le32(p + 4)) << 32 | le32(p); }
inline std::uint64_t be64(const unsigned char* p) { return std::uint64_t(be32(p)) << 32 | be32(p + 4); }

/// An allocator whose resize() leaves new bytes uninitialized: the codecs' buffers (decoded
/// samples, filtered rows, the deflate stream) are overwritten entirely right after they grow, and
/// std::vector's zero-fill of megabytes per image was 4-5 % of a batch of photos.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialization: no zeroing for bytes
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// Bytes a codec writes before anyone reads them.
using Bytes = std::vector<unsigned char, DefaultInitAllocator<unsigned char>>;

}  // namespace gradmap::detail
