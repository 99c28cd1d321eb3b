// SPDX-License-Identifier: MIT
// A fast zlib stream: Huffman-coded bytes and runs (see deflate_huffman.cpp).
#pragma once

#include <cstddef>
#include <vector>

#include "core/bytes.hpp"

namespace gradmap::detail {

/// The zlib stream (RFC 1950) of data[0..n): each block Huffman-coded bytes and runs of one byte
/// value (an RFC 1951 dynamic block, matches at distance 1 only) or stored, whichever is smaller.
/// Any inflater decodes it.
Bytes zlib_rle_huffman(const unsigned char* data, std::size_t n);

}  // namespace gradmap::detail
