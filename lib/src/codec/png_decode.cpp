// SPDX-License-Identifier: MIT
// PNG decoding with libpng directly. OpenCV's decoder creates its png_struct with libpng's default
// error and warning handlers, which print "libpng error: IDAT: CRC error" or "libpng warning: ..."
// on stderr from inside imdecode, where no caller can catch them. Here gradmap's own handlers
// collect warnings for Image::warnings and turn errors into an IoError naming the file; the
// transformations are otherwise OpenCV's (PngDecoder::readHeader/readData in
// modules/imgcodecs/src/grfmt_png.cpp, 4.6), so pixels are unchanged.
//
// The plain path: most PNGs a user has (photos, scans, gradmap's own maps) are 8 or 16-bit gray,
// RGB or RGBA, not interlaced, with nothing but IHDR, IDAT and IEND among the chunks libpng sees.
// Those are inflated in one call by libdeflate (half of zlib's time on one-megapixel photos:
// 4.6 against 8.4 ms) and unfiltered here, to the same samples libpng gives. Anything else, and
// anything wrong (a CRC, the zlib stream, a filter byte, the amount of data), goes to libpng
// untouched, which then decodes it or says what is wrong exactly as before.
#include "codec/png_decode.hpp"

#include <libdeflate.h>
#include <png.h>

#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codec/decoder_warnings.hpp"
#include "core/bytes.hpp"
#include "io/backend.hpp"

namespace gradmap::detail {
namespace {

/// Everything one decode's callbacks reach. libpng reports errors through on_error, which must
/// not return; it longjmps back to run_decoder (a C++ exception thrown through libpng's C frames
/// would skip their cleanup), and decode_png throws the IoError from there.
struct DecodeState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const std::vector<unsigned char>* bytes = nullptr;
  std::size_t pos = 0;
  std::string failure;  // why the decode stopped, when it did ("libpng: ..." when libpng said so)
  DecoderWarnings warnings{"libpng"};
  std::vector<png_bytep> rows;  // png_read_image's row pointers, into out->samples
  PngPixels* out = nullptr;
  double width = 0, height = 0;
};

DecodeState& state_of(png_structp p) { return *static_cast<DecodeState*>(png_get_error_ptr(p)); }

void on_error(png_structp p, png_const_charp text) {
  try {
    state_of(p).failure = std::string("libpng: ") + text;
  } catch (...) {  // no exception may cross libpng's C frames; the reason is then unknown
  }
  png_longjmp(p, 1);
}

void on_warning(png_structp p, png_const_charp text) { state_of(p).warnings.add(text); }

/// Reads from the chunk-filtered bytes in memory (raster_probe's png_pixel_chunks).
void on_read(png_structp p, png_bytep dst, png_size_t n) {
  auto& s = *static_cast<DecodeState*>(png_get_io_ptr(p));
  if (n > s.bytes->size() - s.pos) png_error(p, "the file ends inside a chunk");
  std::memcpy(dst, s.bytes->data() + s.pos, n);
  s.pos += n;
}

/// The libpng calls; false when libpng stopped (s.failure says why). Only trivially destructible
/// locals live here, since a longjmp leaves this frame without running destructors.
bool run_decoder(DecodeState& s) {
  if (setjmp(png_jmpbuf(s.png)) != 0) return false;
  png_structp png = s.png;
  png_infop info = s.info;
  png_set_read_fn(png, &s, on_read);
  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  if (width != s.width || height != s.height) {
    s.failure = "libpng reads " + std::to_string(width) + " × " + std::to_string(height) +
                " pixels where the IHDR chunk says " + count_text(s.width) + " × " + count_text(s.height);
    return false;
  }
  // OpenCV's choice of Mat type (readHeader): a tRNS chunk adds alpha to RGB and palette images
  // only; gray + alpha is widened to B, G, R, A.
  png_bytep trans = nullptr;
  int num_trans = 0;
  png_color_16p trans_values = nullptr;
  int channels = 1;
  if (color_type == PNG_COLOR_TYPE_RGB || color_type == PNG_COLOR_TYPE_PALETTE) {
    png_get_tRNS(png, info, &trans, &num_trans, &trans_values);
    channels = num_trans > 0 ? 4 : 3;
  } else if (color_type == PNG_COLOR_TYPE_GRAY_ALPHA || color_type == PNG_COLOR_TYPE_RGB_ALPHA) {
    channels = 4;
  }
  const int bytes_per_sample = bit_depth == 16 ? 2 : 1;
  // OpenCV's transformations (readData), in its order.
  if (bit_depth == 16) png_set_swap(png);  // native order on the little-endian machines gradmap runs on
  if (channels < 4) {
    png_set_strip_alpha(png);
  } else {
    png_set_tRNS_to_alpha(png);
  }
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) != 0 && channels > 1) {
    png_set_bgr(png);
  } else if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && channels > 1) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  PngPixels& out = *s.out;
  out.rows = static_cast<int>(height);
  out.cols = static_cast<int>(width);
  out.channels = channels;
  out.bytes_per_sample = bytes_per_sample;
  const std::size_t row_bytes = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels) *
                                static_cast<std::size_t>(bytes_per_sample);
  if (png_get_rowbytes(png, info) != row_bytes) {
    s.failure = "libpng's rows are " + std::to_string(png_get_rowbytes(png, info)) + " bytes, not the " +
                std::to_string(row_bytes) + " of " + std::to_string(channels) + " channels";
    return false;
  }
  // A bad_alloc from these two leaves by the normal route: this frame is C++, not libpng's.
  out.samples.resize(row_bytes * static_cast<std::size_t>(height));
  s.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) s.rows[y] = out.samples.data() + row_bytes * y;
  png_read_image(png, s.rows.data());
  png_read_end(png, nullptr);
  return true;
}

/// Frees libpng's structures however the decode ends.
struct DecodeResources {
  DecodeState* state = nullptr;
  ~DecodeResources() {
    if (state) png_destroy_read_struct(&state->png, state->info ? &state->info : nullptr, nullptr);
  }
};

/// PNG's Paeth predictor (ISO/IEC 15948 §9.4).
inline unsigned char paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<unsigned char>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/// Undoes one row's filter in place; `prev` is the previous row, already unfiltered (zeros above
/// the first). False for a filter type PNG does not define.
bool unfilter(unsigned type, unsigned char* row, const unsigned char* prev, std::size_t n, std::size_t bpp) {
  switch (type) {
    case 0:
      return true;
    case 1:
      for (std::size_t i = bpp; i < n; ++i) row[i] = static_cast<unsigned char>(row[i] + row[i - bpp]);
      return true;
    case 2:
      for (std::size_t i = 0; i < n; ++i) row[i] = static_cast<unsigned char>(row[i] + prev[i]);
      return true;
    case 3:
      for (std::size_t i = 0; i < bpp && i < n; ++i)
        row[i] = static_cast<unsigned char>(row[i] + (prev[i] >> 1));
      for (std::size_t i = bpp; i < n; ++i)
        row[i] = static_cast<unsigned char>(row[i] + ((row[i - bpp] + prev[i]) >> 1));
      return true;
    case 4:
      for (std::size_t i = 0; i < bpp && i < n; ++i) row[i] = static_cast<unsigned char>(row[i] + prev[i]);
      for (std::size_t i = bpp; i < n; ++i)
        row[i] = static_cast<unsigned char>(row[i] + paeth(row[i - bpp], prev[i], prev[i - bpp]));
      return true;
    default:
      return false;
  }
}

}  // namespace

bool decode_plain_png(const std::vector<unsigned char>& bytes, double width, double height, PngPixels& out) {
  static constexpr unsigned char kSignature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  const std::size_t size = bytes.size();
  const unsigned char* b = bytes.data();
  if (size < 8 + 25 + 12 || std::memcmp(b, kSignature, 8) != 0) return false;
  // Every chunk whole, its CRC right, and in the order IHDR, IDAT..., IEND, the end of the data.
  auto chunk_ok = [&](std::size_t at, std::size_t len) {
    return len <= 0x7fffffffu && len <= size - at - 12 &&
           libdeflate_crc32(0, b + at + 4, len + 4) == be32(b + at + 8 + len);
  };
  if (be32(b + 8) != 13 || std::memcmp(b + 12, "IHDR", 4) != 0 || !chunk_ok(8, 13)) return false;
  const unsigned char* ihdr = b + 16;
  const std::uint32_t w = be32(ihdr), h = be32(ihdr + 4);
  const unsigned depth = ihdr[8], color = ihdr[9];
  // libpng's default limits are 1,000,000 pixels a side; it refuses larger images itself.
  if (w == 0 || h == 0 || w > 1000000 || h > 1000000 || w != width || h != height) return false;
  if ((depth != 8 && depth != 16) || (color != 0 && color != 2 && color != 6)) return false;
  if (ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0) return false;  // compression, filter, interlace
  std::vector<std::pair<std::size_t, std::size_t>> idat;              // offset, length
  std::size_t total = 0, at = 33;
  for (;;) {
    if (size - at < 12) return false;
    const std::size_t len = be32(b + at);
    if (!chunk_ok(at, len)) return false;
    if (std::memcmp(b + at + 4, "IDAT", 4) == 0) {
      idat.emplace_back(at + 8, len);
      total += len;
    } else if (std::memcmp(b + at + 4, "IEND", 4) == 0) {
      if (len != 0 || at + 12 != size || idat.empty()) return false;
      break;
    } else {
      return false;  // PLTE, tRNS, an unknown critical chunk: libpng's business
    }
    at += 12 + len;
  }
  const unsigned char* stream = b + idat.front().first;
  std::vector<unsigned char> joined;
  if (idat.size() > 1) {
    joined.reserve(total);
    for (const auto& [offset, len] : idat) joined.insert(joined.end(), b + offset, b + offset + len);
    stream = joined.data();
  }
  const int channels = color == 0 ? 1 : color == 2 ? 3 : 4;
  const std::size_t sample_bytes = depth / 8, bpp = static_cast<std::size_t>(channels) * sample_bytes;
  const std::size_t stride = std::size_t{w} * bpp, rows = h;
  // zlib's header: deflate, and a window no distance can exceed. zlib (hence libpng) refuses a
  // distance beyond the declared window, libdeflate does not look; libpng declares a smaller window
  // only for data that fits in it, and then no distance can reach beyond the data produced so far.
  if (total < 2 || (stream[0] & 0x0f) != 8 || (stream[0] >> 4) > 7) return false;
  if ((stream[0] >> 4) < 7 && rows * (stride + 1) > (std::size_t{1} << ((stream[0] >> 4) + 8))) return false;
  const std::size_t raw_size = rows * (stride + 1);
  const std::unique_ptr<unsigned char[]> raw(new unsigned char[raw_size]);  // libdeflate fills it all
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  static thread_local std::unique_ptr<libdeflate_decompressor, Free> inflater(
      libdeflate_alloc_decompressor());
  if (!inflater) return false;
  std::size_t used = 0, produced = 0;
  if (libdeflate_zlib_decompress_ex(inflater.get(), stream, total, raw.get(), raw_size, &used, &produced) !=
          LIBDEFLATE_SUCCESS ||
      used != total || produced != raw_size)
    return false;

  PngPixels px;
  px.rows = static_cast<int>(h);
  px.cols = static_cast<int>(w);
  px.channels = channels;
  px.bytes_per_sample = static_cast<int>(sample_bytes);
  px.samples.resize(rows * stride);
  const std::vector<unsigned char> zeros(stride, 0);
  for (std::size_t y = 0; y < rows; ++y) {
    unsigned char* row = raw.get() + y * (stride + 1) + 1;
    const unsigned char* prev = y ? row - (stride + 1) : zeros.data();
    if (!unfilter(row[-1], row, prev, stride, bpp)) return false;
    // OpenCV's order: B, G, R(, A), and 16-bit samples in the machine's (little-endian) order.
    unsigned char* dst = px.samples.data() + y * stride;
    if (sample_bytes == 1) {
      if (channels == 1) {
        std::memcpy(dst, row, stride);
      } else {
        for (std::size_t i = 0; i < stride; i += bpp) {
          dst[i] = row[i + 2], dst[i + 1] = row[i + 1], dst[i + 2] = row[i];
          if (channels == 4) dst[i + 3] = row[i + 3];
        }
      }
    } else {
      for (std::size_t i = 0; i < stride; i += bpp)
        for (int c = 0; c < channels; ++c) {
          const std::size_t from = i + 2 * static_cast<std::size_t>(c < 3 && channels > 1 ? 2 - c : c);
          dst[i + 2 * static_cast<std::size_t>(c)] = row[from + 1];
          dst[i + 2 * static_cast<std::size_t>(c) + 1] = row[from];
        }
    }
  }
  out = std::move(px);
  return true;
}

PngPixels decode_png_with_libpng(const std::string& path, const std::vector<unsigned char>& bytes,
                                 double width, double height) {
  PngPixels out;
  DecodeState s;
  s.out = &out;
  s.bytes = &bytes;
  s.width = width;
  s.height = height;
  DecodeResources resources;
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
  if (!s.png) throw io_error(path, "cannot decode PNG data: libpng cannot allocate its decoder");
  resources.state = &s;
  s.info = png_create_info_struct(s.png);
  if (!s.info) throw io_error(path, "cannot decode PNG data: libpng cannot allocate its decoder");
  if (!run_decoder(s)) throw io_error(path, "truncated or corrupt PNG: " + s.failure);
  out.warnings = s.warnings.take();
  return out;
}

PngPixels decode_png(const std::string& path, const std::vector<unsigned char>& bytes, double width,
                     double height) {
  PngPixels out;
  if (decode_plain_png(bytes, width, height, out)) return out;
  return decode_png_with_libpng(path, bytes, width, height);
}

}  // namespace gradmap::detail
