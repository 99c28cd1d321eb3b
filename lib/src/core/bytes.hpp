// SPDX-License-Identifier: MIT
// Fixed-width integers read from a byte buffer in a stated byte order, whatever the machine's: the
// header probes (io/probes/raster_probe.cpp) and the PNG reader (codec/png_decode.cpp).
#pragma once

#include <cstdint>

namespace gradmap::detail {

inline std::uint32_t be16(const unsigned char* p) { return std::uint32_t(p[0]) << 8 | p[1]; }
inline std::uint32_t be32(const unsigned char* p) { return be16(p) << 16 | be16(p + 2); }
inline std::uint32_t le16(const unsigned char* p) { return std::uint32_t(p[1]) << 8 | p[0]; }
inline std::uint32_t le32(const unsigned char* p) { return le16(p + 2) << 16 | le16(p); }
inline std::uint64_t le64(const unsigned char* p) { return std::uint64_t(le32(p + 4)) << 32 | le32(p); }
inline std::uint64_t be64(const unsigned char* p) { return std::uint64_t(be32(p)) << 32 | be32(p + 4); }

}  // namespace gradmap::detail
