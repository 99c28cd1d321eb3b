// SPDX-License-Identifier: MIT
// PNG encoding of 8/16-bit gray and RGB images: per-row filter choice, then deflate.
//
// Why not OpenCV's (libpng + zlib) encoder: a batch of edge maps spent most of its time there
// (issue #5 measured 60 % of a 1-megapixel batch in cv::imencode). libpng tries all five filters
// on every row, and LZ77 string matching, even at the fastest levels of zlib or libdeflate, finds
// little in noisy edge maps (measured: libdeflate level 1 was slower than OpenCV's default there).
// What compresses them is the byte histogram and the flat regions.
//
// What this writer does instead, per row: the filter among None, Sub and Up with the smallest sum
// of absolute (signed-byte) residuals, libpng's own heuristic restricted to the three filters that
// cost one subtraction; then one zlib stream, cut into IDAT chunks. By default the stream is
// Huffman-coded bytes and runs (deflate_huffman.cpp: the histogram and the flat regions are what
// compress an edge map); levels 0-9 hand it to libdeflate (0 stores, 9 searches hardest).
// The files are ordinary PNGs: any decoder reads them, and the round-trip tests check the pixels
// through OpenCV's decoder.
#include "codec/png_encode.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "codec/deflate_huffman.hpp"

namespace gradmap::detail {
namespace {

void put_be32(std::vector<unsigned char>& out, std::uint32_t v) {
  const unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                              static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  out.insert(out.end(), b, b + 4);
}

void put_chunk(std::vector<unsigned char>& out, const char type[4], const unsigned char* data,
               std::size_t n) {
  put_be32(out, static_cast<std::uint32_t>(n));
  const std::size_t at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data, data + n);
  // The CRC covers the type and the data.
  put_be32(out, libdeflate_crc32(0, out.data() + at, n + 4));
}

/// |v| of a byte read as signed: libpng's cost of a residual.
inline unsigned cost(unsigned char v) {
  const unsigned char negated = static_cast<unsigned char>(-v);
  return v < negated ? v : negated;  // min in bytes: one SIMD instruction
}

/// Filters one row of raw (big-endian) bytes into out[0] (filter type) and out[1..stride].
void filter_row(const unsigned char* cur, const unsigned char* prev, std::size_t stride, std::size_t bpp,
                unsigned char* out) {
  unsigned none = 0, sub = 0, up = 0;
  const std::size_t head = std::min(bpp, stride);
  for (std::size_t i = 0; i < head; ++i) {
    none += cost(cur[i]);
    sub += cost(cur[i]);
    up += cost(static_cast<unsigned char>(cur[i] - prev[i]));
  }
  for (std::size_t i = head; i < stride; ++i) {  // branch-free, so that it vectorizes
    none += cost(cur[i]);
    sub += cost(static_cast<unsigned char>(cur[i] - cur[i - bpp]));
    up += cost(static_cast<unsigned char>(cur[i] - prev[i]));
  }
  unsigned char* d = out + 1;
  if (none <= sub && none <= up) {
    out[0] = 0;
    std::memcpy(d, cur, stride);
  } else if (sub <= up) {
    out[0] = 1;
    for (std::size_t i = 0; i < bpp && i < stride; ++i) d[i] = cur[i];
    for (std::size_t i = bpp; i < stride; ++i) d[i] = static_cast<unsigned char>(cur[i] - cur[i - bpp]);
  } else {
    out[0] = 2;
    for (std::size_t i = 0; i < stride; ++i) d[i] = static_cast<unsigned char>(cur[i] - prev[i]);
  }
}

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

}  // namespace

std::vector<unsigned char> encode_png(const void* pixels, std::size_t rows, std::size_t cols, int channels,
                                      int bytes_per_sample, int level,
                                      const std::vector<std::pair<std::string, std::string>>& text) {
  if (rows == 0 || cols == 0 || rows > 0x7FFFFFFF || cols > 0x7FFFFFFF)
    throw std::invalid_argument("PNG holds 1 to 2^31 - 1 rows and columns");
  if ((channels != 1 && channels != 3) || (bytes_per_sample != 1 && bytes_per_sample != 2))
    throw std::invalid_argument("PNG encoder: 1 or 3 channels of 1 or 2 bytes");
  const std::size_t bpp = static_cast<std::size_t>(channels * bytes_per_sample);
  const std::size_t stride = cols * bpp;

  // Filtered rows, each led by its filter type byte: the data the zlib stream holds.
  Bytes filtered(rows * (stride + 1));
  // 16-bit rows are byte-swapped into row/above in turn; 8-bit rows are read where they are.
  std::vector<unsigned char> zeros(stride, 0), row, above;
  if (bytes_per_sample == 2) row.resize(stride), above.resize(stride);
  const auto* src = static_cast<const unsigned char*>(pixels);
  const unsigned char* prev = zeros.data();
  for (std::size_t r = 0; r < rows; ++r) {
    const unsigned char* cur = src + r * stride;
    if (bytes_per_sample == 2) {  // PNG stores 16-bit samples big-endian
      for (std::size_t i = 0; i < stride; i += 2) {
        row[i] = cur[i + 1];
        row[i + 1] = cur[i];
      }
      cur = row.data();
    }
    filter_row(cur, prev, stride, bpp, filtered.data() + r * (stride + 1));
    if (bytes_per_sample == 2) {
      row.swap(above);
      prev = above.data();
    } else {
      prev = cur;
    }
  }

  Bytes stream;
  if (level < 0) {
    stream = zlib_rle_huffman(filtered.data(), filtered.size());
  } else {
    std::unique_ptr<libdeflate_compressor, CompressorDeleter> z(
        libdeflate_alloc_compressor(std::min(level, 12)));
    if (!z) throw std::bad_alloc();
    stream.resize(libdeflate_zlib_compress_bound(z.get(), filtered.size()));
    stream.resize(
        libdeflate_zlib_compress(z.get(), filtered.data(), filtered.size(), stream.data(), stream.size()));
    if (stream.empty()) throw std::runtime_error("PNG encoder: compressed data larger than its bound");
  }
  filtered = {};
  const std::size_t n = stream.size();

  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  png.reserve(n + 64 + 12 * (n >> 30));
  std::vector<unsigned char> ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(cols));
  put_be32(ihdr, static_cast<std::uint32_t>(rows));
  ihdr.insert(ihdr.end(), {static_cast<unsigned char>(8 * bytes_per_sample),
                           static_cast<unsigned char>(channels == 3 ? 2 : 0), 0, 0,
                           0});  // deflate, adaptive filtering, no interlace
  put_chunk(png, "IHDR", ihdr.data(), ihdr.size());
  // tEXt before IDAT, so that a reader that stops at the first IDAT (PIL's open) still sees it:
  // keyword, a NUL separator, then the text (Latin-1, no terminator).
  for (const auto& [key, value] : text) {
    if (key.empty() || key.size() > 79 || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos)
      throw std::invalid_argument("PNG tEXt: keys are 1-79 characters and neither key nor text holds NUL");
    std::vector<unsigned char> chunk(key.begin(), key.end());
    chunk.push_back(0);
    chunk.insert(chunk.end(), value.begin(), value.end());
    put_chunk(png, "tEXt", chunk.data(), chunk.size());
  }
  const std::size_t max_chunk = std::size_t{1} << 30;  // chunk lengths stop at 2^31 - 1
  for (std::size_t at = 0; at < n; at += max_chunk)
    put_chunk(png, "IDAT", stream.data() + at, std::min(max_chunk, n - at));
  put_chunk(png, "IEND", nullptr, 0);
  return png;
}

}  // namespace gradmap::detail
