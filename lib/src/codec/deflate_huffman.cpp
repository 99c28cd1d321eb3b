// SPDX-License-Identifier: MIT
// Huffman coding with runs only: the fast deflate behind gradmap's default PNG compression.
//
// Why: edge and direction maps are noise-like at the byte level, so LZ77 string matching (zlib,
// libdeflate) spends most of its time finding nothing; what compresses them is the skewed byte
// histogram, and, where the picture is flat, runs of one value. That is zlib's Z_RLE strategy,
// which OpenCV uses by default, but zlib codes one symbol at a time through its general block
// machinery; this coder does the same job several times faster, with files of about the same size
// (bench/batch_bench.sh measures it; tests/test_png_encode.cpp checks every file with libpng).
//
// How: data is cut into 128 KiB blocks. Each becomes tokens (bytes, and runs of 3-258 copies of
// the byte before: matches at distance 1), whose histogram gives length-limited Huffman code
// lengths (plain Huffman, then the length-limiting adjustment of the JPEG standard, Annex K.3).
// The block is written as an RFC 1951 dynamic block with two one-bit distance codes (zlib's own
// habit: some inflaters reject a single or empty distance code), or as stored blocks when that
// is not larger. Codes go out through a 64-bit bit buffer; the zlib wrapper's Adler-32 comes from
// libdeflate.
#include "codec/deflate_huffman.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <queue>
#include <utility>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace gradmap::detail {
namespace {

constexpr int kMaxBits = 15;   // literal/length codes
constexpr int kMaxClBits = 7;  // code-length codes
constexpr std::size_t kBlock = std::size_t{128} << 10;

/// Packs bits least significant first, as deflate does, into a byte vector the caller has grown
/// (reserve) for what it is about to write. x86-64 is little-endian: the low bytes of the buffer
/// are the next bytes of the stream.
class BitWriter {
 public:
  explicit BitWriter(Bytes& out) : out_(out), pos_(out.size()) {}
  void reserve(std::size_t bytes) { out_.resize(pos_ + bytes + 8); }
  /// Appends the low `n` bits of `v` (n ≤ 32).
  void put(std::uint32_t v, int n) {
    buf_ |= std::uint64_t(v) << bits_;
    bits_ += n;
    if (bits_ >= 32) {
      std::memcpy(out_.data() + pos_, &buf_, 4);
      pos_ += 4;
      buf_ >>= 32;
      bits_ -= 32;
    }
  }
  /// put(table[t] & 0xFFFFFF, table[t] >> 24) for each token, with the state in registers (through
  /// the member functions, every store to the output could alias it).
  void put_tokens(const std::uint16_t* tokens, std::size_t n, const std::uint32_t* table) {
    std::uint64_t buf = buf_;
    int bits = bits_;
    unsigned char* out = out_.data() + pos_;
    // Two tokens (at most 2 x 24 bits) on top of at most 7 pending bits fit the 64-bit buffer;
    // then the whole buffer is stored and the output advances by its complete bytes, without a
    // branch (whether a token filled a word was a coin toss on noisy maps). reserve() leaves the
    // 8 bytes of slack the unconditional store needs.
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
      const std::uint32_t e0 = table[tokens[i]], e1 = table[tokens[i + 1]];
      buf |= std::uint64_t(e0 & 0xFFFFFF) << bits;
      bits += static_cast<int>(e0 >> 24);
      buf |= std::uint64_t(e1 & 0xFFFFFF) << bits;
      bits += static_cast<int>(e1 >> 24);
      std::memcpy(out, &buf, 8);
      out += bits >> 3;
      buf >>= bits & ~7;
      bits &= 7;
    }
    for (; i < n; ++i) {
      const std::uint32_t e = table[tokens[i]];
      buf |= std::uint64_t(e & 0xFFFFFF) << bits;
      bits += static_cast<int>(e >> 24);
      if (bits >= 32) {
        std::memcpy(out, &buf, 4);
        out += 4;
        buf >>= 32;
        bits -= 32;
      }
    }
    buf_ = buf;
    bits_ = bits;
    pos_ = static_cast<std::size_t>(out - out_.data());
  }
  /// Pads with zero bits to a byte boundary.
  void align() {
    std::memcpy(out_.data() + pos_, &buf_, 8);
    pos_ += static_cast<std::size_t>(bits_ + 7) / 8;
    buf_ = 0;
    bits_ = 0;
  }
  void bytes(const unsigned char* p, std::size_t n) {
    if (n == 0) return;
    std::memcpy(out_.data() + pos_, p, n);
    pos_ += n;
  }
  /// Aligns and trims the vector to what was written.
  void finish() {
    align();
    out_.resize(pos_);
  }

 private:
  Bytes& out_;
  std::size_t pos_;
  std::uint64_t buf_ = 0;
  int bits_ = 0;
};

/// Huffman code lengths (≤ limit) for the symbols of nonzero frequency; at least two of them.
template <std::size_t N>
std::array<std::uint8_t, N> code_lengths(const std::array<std::uint32_t, N>& freq, int limit) {
  std::vector<int> used;
  for (std::size_t s = 0; s < N; ++s)
    if (freq[s]) used.push_back(static_cast<int>(s));
  const std::size_t m = used.size();
  std::array<std::uint8_t, N> len{};
  // Tree by repeated merging of the two lightest nodes; a node's parent is always created after it,
  // so depths follow from one backward pass.
  using Node = std::pair<std::uint64_t, std::size_t>;
  std::priority_queue<Node, std::vector<Node>, std::greater<Node>> heap;
  std::vector<std::size_t> parent(2 * m - 1, 0);
  for (std::size_t i = 0; i < m; ++i) heap.push({freq[static_cast<std::size_t>(used[i])], i});
  std::size_t next = m;
  while (heap.size() > 1) {
    const Node a = heap.top();
    heap.pop();
    const Node b = heap.top();
    heap.pop();
    parent[a.second] = parent[b.second] = next;
    heap.push({a.first + b.first, next++});
  }
  std::vector<int> depth(2 * m - 1, 0);
  for (std::size_t i = 2 * m - 1; i-- > 0;)
    if (i != 2 * m - 2) depth[i] = depth[parent[i]] + 1;
  // Lengths as counts per length, limited (JPEG Annex K.3: move pairs of the deepest leaves up,
  // keeping the code complete), then handed out shortest first to the most frequent symbols.
  std::vector<int> count(std::max<std::size_t>(2 * m + 1, static_cast<std::size_t>(limit) + 1), 0);
  int deepest = 0;
  for (std::size_t i = 0; i < m; ++i) {
    ++count[static_cast<std::size_t>(depth[i])];
    deepest = std::max(deepest, depth[i]);
  }
  for (int i = deepest; i > limit; --i) {
    while (count[static_cast<std::size_t>(i)] > 0) {
      int j = i - 2;
      while (count[static_cast<std::size_t>(j)] == 0) --j;
      count[static_cast<std::size_t>(i)] -= 2;
      count[static_cast<std::size_t>(i - 1)] += 1;
      count[static_cast<std::size_t>(j + 1)] += 2;
      count[static_cast<std::size_t>(j)] -= 1;
    }
  }
  std::stable_sort(used.begin(), used.end(), [&](int a, int b) {
    return freq[static_cast<std::size_t>(a)] > freq[static_cast<std::size_t>(b)];
  });
  std::size_t k = 0;
  for (int bits = 1; bits <= limit; ++bits)
    for (int c = 0; c < count[static_cast<std::size_t>(bits)]; ++c)
      len[static_cast<std::size_t>(used[k++])] = static_cast<std::uint8_t>(bits);
  return len;
}

/// Canonical codes (RFC 1951 §3.2.2), bit-reversed: deflate sends Huffman codes from their most
/// significant bit, into a stream packed from the least significant one.
template <std::size_t N>
std::array<std::uint16_t, N> canonical_codes(const std::array<std::uint8_t, N>& len) {
  std::array<int, kMaxBits + 2> count{}, next{};
  for (auto l : len) ++count[l];
  count[0] = 0;
  int code = 0;
  for (int bits = 1; bits <= kMaxBits; ++bits) {
    code = (code + count[static_cast<std::size_t>(bits - 1)]) << 1;
    next[static_cast<std::size_t>(bits)] = code;
  }
  std::array<std::uint16_t, N> codes{};
  for (std::size_t s = 0; s < N; ++s) {
    if (!len[s]) continue;
    int c = next[len[s]]++, r = 0;
    for (int b = 0; b < len[s]; ++b, c >>= 1) r = (r << 1) | (c & 1);
    codes[s] = static_cast<std::uint16_t>(r);
  }
  return codes;
}

struct ClSymbol {
  std::uint8_t symbol, extra_bits, extra;
};

/// The code lengths, run-length coded with deflate's code-length alphabet (16: repeat the previous
/// 3-6 times, 17: 3-10 zeros, 18: 11-138 zeros).
std::vector<ClSymbol> run_length(const std::vector<std::uint8_t>& lengths) {
  std::vector<ClSymbol> out;
  for (std::size_t i = 0; i < lengths.size();) {
    const std::uint8_t v = lengths[i];
    std::size_t run = 1;
    while (i + run < lengths.size() && lengths[i + run] == v) ++run;
    i += run;
    if (v == 0) {
      for (; run >= 11; run -= std::min<std::size_t>(run, 138))
        out.push_back({18, 7, static_cast<std::uint8_t>(std::min<std::size_t>(run, 138) - 11)});
      if (run >= 3) out.push_back({17, 3, static_cast<std::uint8_t>(run - 3)}), run = 0;
    } else {
      out.push_back({v, 0, 0});
      --run;
      for (; run >= 3; run -= std::min<std::size_t>(run, 6))
        out.push_back({16, 2, static_cast<std::uint8_t>(std::min<std::size_t>(run, 6) - 3)});
    }
    for (; run > 0; --run) out.push_back({v, 0, 0});
  }
  return out;
}

void stored_blocks(BitWriter& w, const unsigned char* p, std::size_t n, bool last) {
  do {
    const std::size_t k = std::min<std::size_t>(n, 65535);
    n -= k;
    w.reserve(k + 16);
    w.put(last && n == 0 ? 1 : 0, 3);  // BFINAL, BTYPE 00
    w.align();
    const unsigned char hdr[4] = {static_cast<unsigned char>(k), static_cast<unsigned char>(k >> 8),
                                  static_cast<unsigned char>(~k), static_cast<unsigned char>(~k >> 8)};
    w.bytes(hdr, 4);
    w.bytes(p, k);
    p += k;
  } while (n > 0);
}

/// Deflate's length symbol (257-285) and extra bits for a match of length 3-258 (RFC 1951 §3.2.5).
struct LengthCode {
  std::uint16_t symbol;
  std::uint8_t extra_bits, extra;
};
const std::array<LengthCode, 259>& length_codes() {
  static const std::array<LengthCode, 259> table = [] {
    static constexpr int kBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr int kExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    std::array<LengthCode, 259> t{};
    for (int len = 3; len <= 258; ++len) {
      int c = 28;
      while (kBase[c] > len) --c;
      t[static_cast<std::size_t>(len)] = {static_cast<std::uint16_t>(257 + c),
                                          static_cast<std::uint8_t>(kExtra[c]),
                                          static_cast<std::uint8_t>(len - kBase[c])};
    }
    return t;
  }();
  return table;
}

void block(BitWriter& w, const unsigned char* p, std::size_t n, bool last) {
  // Tokens: a literal byte (< 256), or 256 + L for a run of L = 3..258 copies of the byte before
  // (a match at distance 1, as zlib's Z_RLE makes them): flat regions cost a few bits per run
  // instead of at least one bit per byte.
  const auto& lengths = length_codes();
  std::vector<std::uint16_t> tokens(n);
  std::size_t count = 0;
  std::array<std::uint32_t, 286> freq{};
  std::uint64_t runs = 0, run_extra_bits = 0;
  for (std::size_t i = 0; i < n;) {
#ifdef __SSE2__
    // Sixteen bytes at a time while no run starts: a run of 3 or more starts at j exactly when
    // p[j], p[j+1] and p[j+2] all equal the byte before p[j], i.e. at three consecutive equal
    // neighbours; up to the first such j (among the first 14) every byte is a literal. The same
    // tokens as the byte loop below, without its data-dependent branch per byte.
    if (i > 0 && i + 16 <= n) {
      const __m128i cur = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i - 1));
      const auto eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(cur, before)));
      const unsigned starts = eq & eq >> 1 & eq >> 2 & 0x3fffu;
      const unsigned literals = starts ? static_cast<unsigned>(__builtin_ctz(starts)) : 14u;
      const __m128i zero = _mm_setzero_si128();
      _mm_storeu_si128(reinterpret_cast<__m128i*>(tokens.data() + count), _mm_unpacklo_epi8(cur, zero));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(tokens.data() + count + 8), _mm_unpackhi_epi8(cur, zero));
      for (unsigned k = 0; k < literals; ++k) ++freq[p[i + k]];
      count += literals;
      i += literals;
      if (literals == 14) continue;
    }
#endif
    if (i > 0 && p[i] == p[i - 1]) {
      const std::size_t limit = std::min<std::size_t>(258, n - i);
      std::size_t r = 1;
      while (r < limit && p[i + r] == p[i - 1]) ++r;
      if (r >= 3) {
        tokens[count++] = static_cast<std::uint16_t>(256 + r);
        ++freq[lengths[r].symbol];
        ++runs;
        run_extra_bits += lengths[r].extra_bits;
        i += r;
        continue;
      }
    }
    tokens[count++] = p[i];
    ++freq[p[i]];
    ++i;
  }
  tokens.resize(count);
  freq[256] = 1;  // end of block

  const auto len = code_lengths(freq, kMaxBits);
  std::size_t hlit = 286;
  while (hlit > 257 && len[hlit - 1] == 0) --hlit;
  std::vector<std::uint8_t> all(len.begin(), len.begin() + static_cast<std::ptrdiff_t>(hlit));
  all.push_back(1);  // two distance codes of one bit each; code 0 is distance 1
  all.push_back(1);
  const std::vector<ClSymbol> cl = run_length(all);
  std::array<std::uint32_t, 19> cl_freq{};
  for (const auto& c : cl) ++cl_freq[c.symbol];
  // The code-length code must be complete for zlib: give a lone symbol a partner.
  if (std::count_if(cl_freq.begin(), cl_freq.end(), [](std::uint32_t f) { return f > 0; }) < 2)
    ++cl_freq[cl_freq[0] ? 1 : 0];
  const auto cl_len = code_lengths(cl_freq, kMaxClBits);
  static constexpr std::array<int, 19> kOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                 11, 4,  12, 3, 13, 2, 14, 1, 15};
  int hclen = 19;
  while (hclen > 4 && cl_len[static_cast<std::size_t>(kOrder[static_cast<std::size_t>(hclen - 1)])] == 0)
    --hclen;

  std::uint64_t bits = 3 + 5 + 5 + 4 + 3 * std::uint64_t(hclen) + runs + run_extra_bits;
  for (const auto& c : cl) bits += cl_len[c.symbol] + c.extra_bits;
  for (std::size_t s = 0; s < freq.size(); ++s) bits += std::uint64_t(freq[s]) * len[s];
  const std::uint64_t stored_bits = 8 * (n + 5 * ((n + 65534) / 65535)) + 7;
  if (bits >= stored_bits) {
    stored_blocks(w, p, n, last);
    return;
  }

  w.reserve(static_cast<std::size_t>(bits / 8) + 16);
  w.put(last ? 1 : 0, 1);
  w.put(2, 2);  // dynamic Huffman
  w.put(static_cast<std::uint32_t>(hlit - 257), 5);
  w.put(2 - 1, 5);  // HDIST: 2 distance codes
  w.put(static_cast<std::uint32_t>(hclen - 4), 4);
  for (int k = 0; k < hclen; ++k)
    w.put(cl_len[static_cast<std::size_t>(kOrder[static_cast<std::size_t>(k)])], 3);
  const auto cl_code = canonical_codes(cl_len);
  for (const auto& c : cl) {
    w.put(cl_code[c.symbol], cl_len[c.symbol]);
    if (c.extra_bits) w.put(c.extra, c.extra_bits);
  }
  const auto code = canonical_codes(len);
  // Per token, everything in one put: bits | count << 24 for literals; for runs, the length
  // code, its extra bits and the one-bit distance code 0, concatenated (at most 15 + 5 + 1 bits).
  std::array<std::uint32_t, 256 + 259> table{};
  for (std::size_t s = 0; s < 256; ++s) table[s] = code[s] | std::uint32_t(len[s]) << 24;
  for (std::size_t r = 3; r <= 258; ++r) {
    const LengthCode& lc = lengths[r];
    const std::uint32_t l = len[lc.symbol];
    const std::uint32_t v = code[lc.symbol] | std::uint32_t(lc.extra) << l;  // distance code 0: a 0 bit
    table[256 + r] = v | (l + lc.extra_bits + 1) << 24;
  }
  w.put_tokens(tokens.data(), tokens.size(), table.data());
  w.put(code[256], len[256]);
}

}  // namespace

Bytes zlib_rle_huffman(const unsigned char* data, std::size_t n) {
  // deflate with a 32 KiB window, "fastest" hint; (0x78 << 8 | 0x01) % 31 == 0 as RFC 1950 asks.
  Bytes out = {0x78, 0x01};
  out.reserve(n + n / 64 + 64);
  BitWriter w(out);
  if (n == 0) {
    stored_blocks(w, data, 0, true);
  } else {
    for (std::size_t at = 0; at < n; at += kBlock)
      block(w, data + at, std::min(kBlock, n - at), at + kBlock >= n);
  }
  w.finish();
  const std::uint32_t adler = libdeflate_adler32(1, data, n);
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>(adler >> s));
  return out;
}

}  // namespace gradmap::detail
