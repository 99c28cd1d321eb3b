// SPDX-License-Identifier: MIT
// Raster header probes: PNG, JPEG, TIFF, BMP, WebP and PNM headers read byte by byte, without
// OpenCV. They are apart from backend_opencv.cpp because they run first, on untrusted bytes, to
// refuse a hostile header (say 100000 × 100000 pixels) before any memory is allocated or a decoder
// that would trust the header sees the file; they need no OpenCV, so they live in gradmap_core.
#include "io/probes/raster_probe.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "io/backend.hpp"

namespace gradmap::detail {
namespace {

class HeaderBytes {
 public:
  explicit HeaderBytes(const std::string& path) : in_(path, std::ios::binary) {
    if (!in_) throw io_error(path, "cannot open for reading");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<std::uint64_t>(in_.tellg());
  }
  std::uint64_t size() const { return size_; }
  /// Up to n bytes at offset; fewer when the file ends first.
  std::vector<unsigned char> at(std::uint64_t offset, std::size_t n) {
    std::vector<unsigned char> b;
    if (offset >= size_) return b;
    b.resize(static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset)));
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size()));
    b.resize(static_cast<std::size_t>(in_.gcount()));
    return b;
  }

 private:
  std::ifstream in_;
  std::uint64_t size_ = 0;
};

/// The Orientation tag (274) of IFD0 of a TIFF-structured EXIF block (JPEG APP1 after "Exif\0\0",
/// PNG eXIf), or 0 when the block has none. Out-of-range offsets give 0: a broken EXIF block is
/// metadata, not pixels, and viewers ignore it too.
int exif_orientation(const unsigned char* t, std::size_t n) {
  if (n < 8) return 0;
  const bool le = t[0] == 'I' && t[1] == 'I';
  if (!le && !(t[0] == 'M' && t[1] == 'M')) return 0;
  auto u16 = [&](std::size_t o) { return le ? le16(t + o) : be16(t + o); };
  auto u32 = [&](std::size_t o) { return le ? le32(t + o) : be32(t + o); };
  const std::size_t ifd = u32(4);
  if (ifd + 2 > n) return 0;
  const std::size_t count = u16(ifd);
  for (std::size_t i = 0; i < count && ifd + 2 + 12 * (i + 1) <= n; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (u16(e) == 274 && u16(e + 2) == 3) return static_cast<int>(u16(e + 8));  // SHORT, in the field
  }
  return 0;
}

RasterHeader png_header(const std::string& path, HeaderBytes& f) {
  auto b = f.at(0, 33);
  if (b.size() < 33 || std::memcmp(b.data() + 12, "IHDR", 4) != 0)
    throw io_error(path, "truncated or corrupt PNG: no complete IHDR header chunk");
  RasterHeader h{"png", double(be32(&b[16])), double(be32(&b[20]))};
  int depth = b[24], color = b[25];
  if (h.width == 0 || h.height == 0) throw io_error(path, "corrupt PNG: image size 0 in the IHDR header");
  h.bytes_per_sample = depth == 16 ? 2 : 1;
  h.channels = (color == 0) ? 1 : 4;  // palette and gray+alpha may expand to BGRA
  h.gray_with_alpha = color == 4;
  // The filtered rows (a filter byte each) inflate from the IDAT data, and deflate cannot expand
  // more than 1032:1 (258 bytes from a 2-bit length/distance pair), so a small file claiming a huge
  // image is corrupt whatever its chunks say.
  const double samples_in_file = color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 1;
  // (Unrounded row bytes: a lower bound for interlaced images too, whose passes have more rows.)
  const double rows = h.height * (1 + h.width * samples_in_file * std::max(depth, 1) / 8);
  if (static_cast<double>(f.size()) * 1032 < rows)
    h.too_short = "truncated or corrupt PNG: a " + count_text(h.width) + " × " + count_text(h.height) +
                  " image cannot be compressed into " + count_text(double(f.size())) +
                  " bytes (deflate's limit is 1032:1)";
  return h;
}

std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X", v & 0xFFu);
  return buf;
}

RasterHeader jpeg_header(const std::string& path, HeaderBytes& f) {
  std::uint64_t pos = 2;
  int exif_seen = 0;  // 100 + orientation (0: none) once an Exif APP1 block was read
  while (true) {
    auto m = f.at(pos, 2);
    if (m.size() < 2)
      throw io_error(path, "truncated or corrupt JPEG: no frame header (SOF) before the end of the file");
    if (m[0] != 0xFF) throw io_error(path, "corrupt JPEG: expected a marker at byte " + std::to_string(pos));
    unsigned marker = m[1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    auto len_bytes = f.at(pos + 2, 2);
    if (len_bytes.size() < 2) throw io_error(path, "truncated JPEG: the file ends inside a header segment");
    std::uint32_t len = be16(len_bytes.data());
    bool is_sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (marker == 0xE1 && exif_seen == 0) {  // APP1: the first "Exif" block is the one viewers use
      auto a = f.at(pos + 4, len >= 2 ? len - 2 : 0);
      if (a.size() >= 6 && std::memcmp(a.data(), "Exif\0\0", 6) == 0)
        exif_seen = exif_orientation(a.data() + 6, a.size() - 6) + 100;
    }
    if (is_sof) {
      auto s = f.at(pos + 4, 6 + 3 * 255);
      if (s.size() < 6 || s.size() < 6u + 3u * s[5])
        throw io_error(path, "truncated JPEG: the file ends inside the frame header");
      // libjpeg-turbo 2.1 as gradmap and OpenCV 4.6 link it (Debian 12) decodes 8-bit baseline, extended,
      // progressive and arithmetic-coded JPEGs; say why anything else fails instead of OpenCV's
      // "truncated or corrupt" (measured: a 12-bit JPEG from a DICOM file gives an empty Mat).
      if (s[0] != 8)
        throw io_error(
            path, std::to_string(s[0]) + "-bit JPEG (sample precision " + std::to_string(s[0]) +
                      " in the frame header): libjpeg (8-bit build) decodes 8-bit JPEGs only; convert it "
                      "to 16-bit PNG or TIFF");
      if (marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF)
        throw io_error(path, "lossless JPEG (frame type 0xFF" + hex2(marker) +
                                 "): libjpeg does not decode it; convert it to PNG or TIFF");
      if (marker == 0xC5 || marker == 0xC6 || marker == 0xCD || marker == 0xCE)
        throw io_error(path, "hierarchical JPEG (frame type 0xFF" + hex2(marker) +
                                 "): libjpeg does not decode it; convert it to PNG or TIFF");
      // The frame header follows the APPn segments, so the EXIF orientation is known here.
      std::vector<std::string> warnings;
      const int orientation = applied_orientation(exif_seen >= 100 ? exif_seen - 100 : 0, "EXIF", warnings);
      RasterHeader h{"jpeg", double(be16(&s[3])), double(be16(&s[1]))};
      h.orientation = orientation;
      h.warnings = warnings;
      const int components = s[5];
      h.channels = components == 1 ? 1 : 3;
      if (h.width == 0) throw io_error(path, "corrupt JPEG: image width 0 in the frame header");
      if (components == 0) throw io_error(path, "corrupt JPEG: no components in the frame header");
      // Every 8×8 block of every component costs at least one bit (its DC code) in some scan: the
      // component with the fewest blocks bounds the size of a complete file from below.
      double hmax = 1, vmax = 1;
      for (int c = 0; c < components; ++c) {
        hmax = std::max(hmax, double(s[7 + 3 * c] >> 4));
        vmax = std::max(vmax, double(s[7 + 3 * c] & 15));
      }
      double fewest = INFINITY;
      for (int c = 0; c < components; ++c) {
        const double hi = std::max(1, s[7 + 3 * c] >> 4), vi = std::max(1, s[7 + 3 * c] & 15);
        fewest = std::min(fewest, std::ceil(std::ceil(h.width * hi / hmax) / 8) *
                                      std::ceil(std::ceil(h.height * vi / vmax) / 8));
      }
      if (static_cast<double>(f.size()) * 8 < fewest)
        h.too_short = "truncated or corrupt JPEG: a " + count_text(h.width) + " × " + count_text(h.height) +
                      " image needs at least " + count_text(std::ceil(fewest / 8)) + " bytes, the file has " +
                      count_text(double(f.size()));
      return h;
    }
    if (marker == 0xDA || marker == 0xD9)
      throw io_error(path, "corrupt JPEG: image data without a frame header (SOF)");
    pos += 2 + len;
  }
}

/// libjpeg pads a truncated scan with gray and only warns, so OpenCV would return a partly gray image
/// as if nothing happened. A complete JPEG ends with an EOI marker (FF D9), which cannot occur inside
/// entropy-coded data (0xFF bytes there are stuffed); look for it near the end of the file, allowing
/// a few KiB of trailing bytes that some cameras append.
void check_jpeg_complete(const std::string& path, HeaderBytes& f) {
  auto tail = f.at(f.size() >= 4096 ? f.size() - 4096 : 0, 4096);
  for (std::size_t i = tail.size(); i-- > 1;)
    if (tail[i - 1] == 0xFF && tail[i] == 0xD9) return;
  throw io_error(path, "truncated JPEG: the image data does not end with an end-of-image marker");
}

/// What one TIFF image directory (a page) says about its pixels.
struct TiffPage {
  double width = 0, height = 0;
  double spp = 1, bits = 8;
  double planar = 1;         ///< PlanarConfiguration: 1 interleaved, 2 one plane per sample
  double sample_format = 1;  ///< 1 unsigned, 2 signed, 3 IEEE float
  double orientation = 1;    ///< Orientation (the EXIF tag 274): 1 as stored .. 8
};

std::string tiff_page_text(const TiffPage& p) {
  const char* kind = p.sample_format == 3 ? "float" : p.sample_format == 2 ? "int" : "uint";
  return count_text(p.width) + " × " + count_text(p.height) + " pixels of " + count_text(p.spp) + " × " +
         kind + count_text(p.bits) + (p.orientation != 1 ? ", orientation " + count_text(p.orientation) : "");
}

/// Walks every image directory (page) of a TIFF. libtiff reads these tags from any integer type,
/// and the first value only; it is not worth predicting which of duplicated tags it keeps, so the
/// largest is taken: the memory bound stays an upper bound. A value it could not read as an
/// integer counts as the largest possible.
std::vector<TiffPage> tiff_pages(const std::string& path, HeaderBytes& f) {
  auto b = f.at(0, 16);
  if (b.size() < 8) throw io_error(path, "truncated TIFF: the file ends inside its 8-byte header");
  bool le = b[0] == 'I';
  auto u16 = [&](const unsigned char* p) { return le ? le16(p) : be16(p); };
  auto u32 = [&](const unsigned char* p) { return le ? le32(p) : be32(p); };
  auto u64 = [&](const unsigned char* p) { return le ? le64(p) : be64(p); };
  bool big = u16(&b[2]) == 43;
  std::uint64_t ifd = big ? (b.size() >= 16 ? u64(&b[8]) : 0) : u32(&b[4]);
  std::size_t count_size = big ? 8 : 2, entry_size = big ? 20 : 12, value_off = big ? 12 : 8;
  const std::size_t field = big ? 8 : 4;
  auto first_value = [&](const unsigned char* e) -> double {
    const std::uint32_t type = u16(e + 2);
    const std::uint64_t count = big ? u64(e + 4) : u32(e + 4);
    const unsigned char* v = e + value_off;
    std::size_t size;
    switch (type) {
      case 1:
      case 6:
        size = 1;
        break;  // BYTE, SBYTE
      case 3:
      case 8:
        size = 2;
        break;  // SHORT, SSHORT
      case 4:
      case 9:
        size = 4;
        break;  // LONG, SLONG
      case 16:
      case 17:
        size = 8;
        break;  // LONG8, SLONG8 (BigTIFF)
      default:
        return INFINITY;
    }
    if (count == 0) return INFINITY;
    std::vector<unsigned char> out;
    if (count > field / size) {  // the field holds the values' offset
      out = f.at(big ? u64(v) : u32(v), size);
      if (out.size() < size) return INFINITY;
      v = out.data();
    } else if (size > field) {
      return INFINITY;  // LONG8 in a classic TIFF's 4-byte field (a fuzzer found this overread)
    }
    const double x = size == 1 ? v[0] : size == 2 ? u16(v) : size == 4 ? u32(v) : double(u64(v));
    const bool is_signed = type == 6 || type == 8 || type == 9 || type == 17;
    const double top = std::ldexp(1.0, int(8 * size - 1));
    return is_signed && x >= top ? x - 2 * top : x;
  };
  std::vector<TiffPage> pages;
  std::vector<std::uint64_t> seen;
  // libtiff, and so OpenCV, follows the chain of directories; a loop in it is corrupt, and a
  // chain longer than any real stack is refused before it costs time.
  constexpr std::size_t kMaxPages = 65536;
  while (ifd != 0) {
    const std::string which = pages.empty()
                                  ? std::string("the first image directory")
                                  : "the image directory of page " + std::to_string(pages.size() + 1);
    if (std::find(seen.begin(), seen.end(), ifd) != seen.end())
      throw io_error(path, "corrupt TIFF: " + which + " points back to an earlier one (a loop)");
    if (pages.size() == kMaxPages)
      throw io_error(
          path, "TIFF with more than " + std::to_string(kMaxPages) + " pages; split it into smaller files");
    seen.push_back(ifd);
    auto nb = f.at(ifd, count_size);
    if (ifd < 8 || nb.size() < count_size)
      throw io_error(path, "truncated or corrupt TIFF: " + which + " is missing");
    std::uint64_t n = big ? u64(nb.data()) : u16(nb.data());
    if (n == 0 || n > 4096)
      throw io_error(path, "corrupt TIFF: " + std::to_string(n) + " entries in " + which);
    auto entries = f.at(ifd + count_size, static_cast<std::size_t>(n) * entry_size);
    if (entries.size() < n * entry_size)
      throw io_error(path, "truncated TIFF: the file ends inside " + which);
    TiffPage pg;
    pg.bits = 8;
    for (std::uint64_t i = 0; i < n; ++i) {
      const unsigned char* e = &entries[static_cast<std::size_t>(i) * entry_size];
      const std::uint32_t tag = u16(e);
      if (tag == 256) pg.width = std::max(pg.width, first_value(e));
      if (tag == 257) pg.height = std::max(pg.height, first_value(e));
      if (tag == 277) pg.spp = std::max(pg.spp, first_value(e));
      if (tag == 258) pg.bits = std::max(pg.bits, first_value(e));  // equal for every sample OpenCV decodes
      if (tag == 284) pg.planar = first_value(e);
      if (tag == 339) pg.sample_format = first_value(e);
      if (tag == 274) pg.orientation = first_value(e);
    }
    if (!(pg.width > 0 && pg.height > 0) || !std::isfinite(pg.width * pg.height))
      throw io_error(path, "corrupt TIFF: no valid image width or height in " + which);
    if (!(pg.spp <= 64 && pg.bits <= 64))
      throw io_error(path, "corrupt TIFF: " + count_text(pg.spp) + " samples per pixel of " +
                               count_text(pg.bits) + " bits in " + which);
    pages.push_back(pg);
    // The offset of the next directory follows the entries; a file that ends there has no more.
    auto next = f.at(ifd + count_size + n * entry_size, field);
    ifd = next.size() < field ? 0 : big ? u64(next.data()) : u32(next.data());
  }
  if (pages.empty()) throw io_error(path, "truncated or corrupt TIFF: the first image directory is missing");
  return pages;
}

RasterHeader tiff_header(const std::string& path, HeaderBytes& f) {
  const std::vector<TiffPage> pages = tiff_pages(path, f);
  const TiffPage& p = pages[0];
  // Every page becomes one slice of a stack, so all must agree; which one differs is named.
  for (std::size_t k = 1; k < pages.size(); ++k) {
    const TiffPage& q = pages[k];
    if (q.width != p.width || q.height != p.height || q.spp != p.spp || q.bits != p.bits ||
        q.sample_format != p.sample_format || q.orientation != p.orientation)
      throw io_error(path, "multi-page TIFF whose pages differ: page 1 is " + tiff_page_text(p) + ", page " +
                               std::to_string(k + 1) + " is " + tiff_page_text(q) + " (" +
                               std::to_string(pages.size()) +
                               " pages); gradmap reads the pages as one stack, so split the file into "
                               "single-page TIFFs (e.g. with tiffsplit)");
  }
  // Measured with OpenCV 4.6 against tifffile: planar (PlanarConfiguration 2) color TIFFs of 16-
  // or 32-bit samples decode to wrong values without any error (the first plane is read as
  // interleaved samples); 8-bit ones are right. float64 color fails inside its RGB → BGR
  // conversion, which has no float64 path.
  if (p.spp > 1 && p.planar == 2 && p.bits > 8)
    throw io_error(path, "planar TIFF (one plane per sample, PlanarConfiguration 2) of " + tiff_page_text(p) +
                             ": OpenCV 4.6 decodes these to wrong values, so gradmap refuses them; save it "
                             "interleaved (tifffile: planarconfig='contig') or one gray page per channel");
  if (p.spp > 1 && p.bits == 64)
    throw io_error(path,
                   "color TIFF of " + tiff_page_text(p) +
                       ": OpenCV 4.6 cannot decode float64 color TIFFs (its RGB to BGR step has no float64 "
                       "path); save it as float32, or as one gray page per channel");
  RasterHeader h{"tiff", p.width, p.height};
  h.pages = static_cast<double>(pages.size());
  h.orientation = p.orientation >= 1 && p.orientation <= 8 ? static_cast<int>(p.orientation) : 1;
  if (!(p.orientation >= 1 && p.orientation <= 8))
    h.warnings.push_back("TIFF orientation " + count_text(p.orientation) +
                         " is not one of 1..8; pixels read as stored");
  h.channels = std::max(1.0, p.spp);
  h.bytes_per_sample = std::ceil(std::max(p.bits, 8.0) / 8);
  return h;
}

RasterHeader bmp_header(const std::string& path, HeaderBytes& f) {
  auto b = f.at(0, 34);
  if (b.size() < 26) throw io_error(path, "truncated BMP: the file ends inside its header");
  RasterHeader h{"bmp"};
  std::uint32_t dib = le32(&b[14]);
  if (dib == 12) {
    h.width = le16(&b[18]);
    h.height = le16(&b[20]);
  } else {
    h.width = std::fabs(double(std::int32_t(le32(&b[18]))));
    h.height = std::fabs(double(std::int32_t(le32(&b[22]))));
  }
  h.channels = 4;
  if (h.width == 0 || h.height == 0) throw io_error(path, "corrupt BMP: image size 0 in the header");
  // Uncompressed rows (BI_RGB, BI_BITFIELDS; OS/2 headers have no compression field) are padded
  // to 4 bytes and must all be in the file. RLE data can legitimately describe a large image in a
  // few bytes (runs, skips, end of bitmap), so only --max-memory bounds it.
  const double bpp = dib == 12 ? (b.size() >= 26 ? le16(&b[24]) : 0) : (b.size() >= 30 ? le16(&b[28]) : 0);
  const std::uint32_t compression = dib == 12 ? 0 : (b.size() >= 34 ? le32(&b[30]) : 0);
  if (compression == 0 || compression == 3) {
    const double pitch = std::ceil(std::ceil(h.width * bpp / 8) / 4) * 4;
    const double have = static_cast<double>(f.size()) - le32(&b[10]);
    if (have < pitch * h.height)
      h.too_short = "truncated BMP: a " + count_text(h.width) + " × " + count_text(h.height) + " image of " +
                    count_text(bpp) + " bits per pixel needs " + count_text(pitch * h.height) +
                    " bytes of pixel data, the file has " + count_text(std::max(0.0, have));
  }
  return h;
}

/// Reads the header the way OpenCV's PxM decoder does (modules/imgcodecs/src/grfmt_pxm.cpp), so
/// that both agree on the size: a number ends at the first non-digit, which is consumed with it
/// (so "640#c" is 640 followed by "c"), and a comment runs from '#' to '\n' or '\r'. A fuzzer found
/// the two readings apart ("323333#3163..36\n1": OpenCV's height is 3163, not 1).
/// The data must then be long enough for every sample, so a header alone never makes the decoder
/// allocate a frame it cannot fill.
RasterHeader pnm_header(const std::string& path, HeaderBytes& f) {
  auto b = f.at(0, 4096);
  const char kind = static_cast<char>(b[1]);
  if (b.size() < 3 || !std::isspace(b[2]))
    throw io_error(path,
                   "corrupt PNM: the magic number P" + std::string(1, kind) + " is not followed by a space");
  std::size_t i = 2;
  auto next_number = [&]() -> double {
    while (i < b.size() && !std::isdigit(b[i])) {
      if (b[i] == '#') {
        while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
        ++i;
      } else if (std::isspace(b[i])) {
        ++i;
      } else {
        throw io_error(path, "corrupt PNM header: unexpected byte " + std::to_string(b[i]) + " at offset " +
                                 std::to_string(i));
      }
    }
    if (i >= b.size()) throw io_error(path, "truncated or corrupt PNM header (or one longer than 4 KiB)");
    double v = 0;
    while (i < b.size() && std::isdigit(b[i])) v = v * 10 + (b[i++] - '0');
    if (v > 2147483647.0)
      throw io_error(path, "corrupt PNM header: number " + count_text(v) + " out of range");
    ++i;  // the terminator, whatever it is
    return v;
  };
  RasterHeader h{"pnm"};
  h.width = next_number();
  h.height = next_number();
  const bool bitmap = kind == '1' || kind == '4';
  const double maxval = bitmap ? 1 : next_number();
  if (h.width == 0 || h.height == 0) throw io_error(path, "corrupt PNM: image size 0 in the header");
  if (maxval == 0 || maxval > 65535)
    throw io_error(path, "corrupt PNM: maximum value " + count_text(maxval) + " outside 1..65535");
  h.channels = (kind == '3' || kind == '6') ? 3 : 1;
  h.bytes_per_sample = maxval > 255 ? 2 : 1;

  const double samples = h.width * h.height * h.channels;
  double need;  // bytes of data, at least
  const char* how;
  if (kind == '4') {
    need = std::ceil(h.width / 8) * h.height, how = "one bit per pixel";
  } else if (kind == '5' || kind == '6') {
    need = samples * h.bytes_per_sample,
    how = h.bytes_per_sample == 2 ? "two bytes per sample" : "one byte per sample";
  } else if (kind == '1') {
    need = samples, how = "one digit per pixel";
  } else {
    need = 2 * samples - 1, how = "a digit and a separator per sample";
  }
  const double have = static_cast<double>(f.size()) - static_cast<double>(std::min<std::size_t>(i, f.size()));
  if (have < need)
    h.too_short = "truncated PNM: a " + count_text(h.width) + " × " + count_text(h.height) + " image needs " +
                  count_text(need) + " bytes of data (" + how + "), the file has " + count_text(have);
  return h;
}

RasterHeader webp_header(const std::string& path, HeaderBytes& f) {
  auto b = f.at(0, 30);
  if (b.size() < 30) throw io_error(path, "truncated WebP: the file ends inside its header");
  RasterHeader h{"webp"};
  h.channels = 4;
  if (std::memcmp(&b[12], "VP8X", 4) == 0) {
    h.width = 1 + double(b[24] | b[25] << 8 | b[26] << 16);
    h.height = 1 + double(b[27] | b[28] << 8 | b[29] << 16);
  } else if (std::memcmp(&b[12], "VP8L", 4) == 0) {
    std::uint32_t bits = le32(&b[21]);
    h.width = 1 + double(bits & 0x3FFF);
    h.height = 1 + double((bits >> 14) & 0x3FFF);
  } else if (std::memcmp(&b[12], "VP8 ", 4) == 0) {
    h.width = double(le16(&b[26]) & 0x3FFF);
    h.height = double(le16(&b[28]) & 0x3FFF);
  } else {
    throw io_error(path, "corrupt WebP: unknown image chunk");
  }
  return h;
}

}  // namespace

int applied_orientation(int exif, const std::string& where, std::vector<std::string>& warnings) {
  if (exif == 0) return 1;
  if (exif >= 1 && exif <= 8) return exif;
  warnings.push_back(where + " orientation " + std::to_string(exif) +
                     " is not one of 1..8; pixels read as stored");
  return 1;
}

RasterHeader probe_raster(const std::string& path) {
  HeaderBytes f(path);
  auto b = f.at(0, 12);
  auto starts = [&](const char* magic, std::size_t n) {
    return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
  };
  if (starts("\x89PNG\r\n\x1a\n", 8)) return png_header(path, f);
  if (starts("\xFF\xD8\xFF", 3)) {
    RasterHeader h = jpeg_header(path, f);
    check_jpeg_complete(path, f);
    return h;
  }
  if (starts("II*\0", 4) || starts("MM\0*", 4) || starts("II+\0", 4) || starts("MM\0+", 4))
    return tiff_header(path, f);
  if (starts("BM", 2)) return bmp_header(path, f);
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 && std::memcmp(&b[8], "WEBP", 4) == 0)
    return webp_header(path, f);
  if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return pnm_header(path, f);
  throw io_error(path,
                 "not a PNG, JPEG, TIFF, BMP, WebP or PNM file: its first bytes match none of them "
                 "(corrupt, or the extension is wrong)");
}

std::vector<unsigned char> png_pixel_chunks(const std::string& path, int& exif) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path, "cannot open for reading");
  std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<unsigned char> out(b.begin(),
                                 b.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(8, b.size())));
  std::size_t pos = 8;
  exif = 0;
  while (pos + 12 <= b.size()) {
    const std::size_t len = be32(&b[pos]);
    // A chunk longer than what is left: the file is truncated or corrupt. Handing the rest to
    // libpng as is let it allocate whatever the length claims (a fuzzer input: 1 GiB for an
    // ancillary chunk), so it is refused here.
    if (len > b.size() - pos - 12)
      throw io_error(path, "truncated or corrupt PNG: the chunk at byte " +
                               count_text(static_cast<double>(pos)) + " claims " +
                               count_text(static_cast<double>(len)) + " bytes, " +
                               count_text(static_cast<double>(b.size() - pos - 12)) + " remain in the file");
    const std::string type(reinterpret_cast<const char*>(&b[pos + 4]), 4);
    const bool critical = std::isupper(static_cast<unsigned char>(type[0])) != 0;
    if (type == "eXIf") exif = exif_orientation(&b[pos + 8], len);
    if (critical || type == "tRNS")
      out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(pos),
                 b.begin() + static_cast<std::ptrdiff_t>(pos + 12 + len));
    pos += 12 + len;
    if (type == "IEND") return out;
  }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(std::min(pos, b.size())), b.end());
  return out;
}

}  // namespace gradmap::detail
