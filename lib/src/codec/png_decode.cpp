// SPDX-License-Identifier: MIT
// PNG decoding with libpng directly. OpenCV's decoder creates its png_struct with libpng's default
// error and warning handlers, which print "libpng error: IDAT: CRC error" or "libpng warning: ..."
// on stderr from inside imdecode, where no caller can catch them. Here gradmap's own handlers
// collect warnings for Image::warnings and turn errors into an IoError naming the file; the
// transformations are otherwise OpenCV's (PngDecoder::readHeader/readData in
// modules/imgcodecs/src/grfmt_png.cpp, 4.6), so pixels are unchanged.
#include "codec/png_decode.hpp"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "codec/decoder_warnings.hpp"
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

}  // namespace

PngPixels decode_png(const std::string& path, const std::vector<unsigned char>& bytes, double width,
                     double height) {
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

}  // namespace gradmap::detail
