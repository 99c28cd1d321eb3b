// SPDX-License-Identifier: MIT
// JPEG decoding with libjpeg(-turbo) directly. OpenCV's decoder leaves libjpeg's default message
// handler in place, which prints warnings such as "Corrupt JPEG data: 5 extraneous bytes before
// marker 0xd9" on stderr from inside imread, where no caller can catch them. Here an error manager
// of gradmap's own collects them for Image::warnings, and the decode is otherwise OpenCV's
// (modules/imgcodecs/src/grfmt_jpeg.cpp and utils.cpp in 4.6), so pixels are unchanged: libjpeg's
// defaults (JDCT_ISLOW, fancy upsampling), RGB output swapped to B, G, R, and OpenCV's CMYK formula.
#include "codec/jpeg_decode.hpp"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "codec/decoder_warnings.hpp"
#include "io/backend.hpp"

namespace gradmap::detail {
namespace {

// Real progressive files have about ten scans; libjpeg-turbo's own fuzzers stop at 500.
constexpr int kMaxScans = 1000;

/// Everything one decode's callbacks reach. libjpeg reports errors through error_exit, which
/// must not return; it longjmps back to run_decoder (a C++ exception thrown through libjpeg's C
/// frames would skip their cleanup and is not guaranteed to unwind them at all), and
/// decode_jpeg throws the IoError from there.
struct DecodeState {
  jpeg_error_mgr err{};  // first: libjpeg hands the callbacks a pointer to it
  jpeg_progress_mgr progress{};
  jpeg_decompress_struct cinfo{};
  std::jmp_buf jump{};
  std::string failure;  // why the decode stopped, when it did
  bool over_budget = false;
  DecoderWarnings warnings{"libjpeg"};
  JpegPixels* out = nullptr;
  double width = 0, height = 0;
};

DecodeState& state_of(j_common_ptr c) { return *reinterpret_cast<DecodeState*>(c->err); }

void on_error(j_common_ptr c) {
  DecodeState& s = state_of(c);
  char text[JMSG_LENGTH_MAX] = {};
  c->err->format_message(c, text);
  s.failure = text;
  s.over_budget = c->err->msg_code == JERR_NO_BACKING_STORE;
  std::longjmp(s.jump, 1);
}

/// Levels below 0 are warnings (corrupt data libjpeg decoded around); 0 and up are trace messages
/// for debugging libjpeg, which its default handler does not show either.
void on_message(j_common_ptr c, int level) {
  if (level >= 0) return;
  DecodeState& s = state_of(c);
  ++c->err->num_warnings;
  char text[JMSG_LENGTH_MAX] = {};
  c->err->format_message(c, text);
  s.warnings.add(text);
}

void on_output(j_common_ptr) {}  // nothing is ever printed

void on_progress(j_common_ptr c) {
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->input_scan_number <= kMaxScans) return;
  DecodeState& s = state_of(c);
  s.failure = "more than " + std::to_string(kMaxScans) + " scans (real progressive JPEGs have about ten)";
  std::longjmp(s.jump, 1);
}

/// OpenCV's icvCvt_CMYK2BGR_8u_C4C3R, for one row.
void cmyk_to_bgr(const unsigned char* cmyk, unsigned char* bgr, int n) {
  for (int i = 0; i < n; ++i, cmyk += 4, bgr += 3) {
    const int k = cmyk[3];
    bgr[2] = static_cast<unsigned char>(k - ((255 - cmyk[0]) * k >> 8));
    bgr[1] = static_cast<unsigned char>(k - ((255 - cmyk[1]) * k >> 8));
    bgr[0] = static_cast<unsigned char>(k - ((255 - cmyk[2]) * k >> 8));
  }
}

/// The libjpeg calls; false when libjpeg stopped (s.failure says why). Only trivially
/// destructible locals live here, since a longjmp leaves this frame without running destructors.
bool run_decoder(DecodeState& s, std::FILE* file, std::size_t memory_budget) {
  if (setjmp(s.jump) != 0) return false;
  jpeg_decompress_struct& ci = s.cinfo;
  jpeg_create_decompress(&ci);
  ci.progress = &s.progress;
  jpeg_stdio_src(&ci, file);
  if (jpeg_read_header(&ci, TRUE) != JPEG_HEADER_OK) {
    s.failure = "the file holds JPEG tables but no image";
    return false;
  }
  if (ci.image_width != s.width || (s.height > 0 && ci.image_height != s.height)) {
    s.failure = "libjpeg reads " + std::to_string(ci.image_width) + " × " + std::to_string(ci.image_height) +
                " pixels where the frame header says " + count_text(s.width) + " × " + count_text(s.height);
    return false;
  }
  ci.mem->max_memory_to_use = static_cast<long>(memory_budget);
  const bool cmyk = ci.num_components == 4;
  const int channels = ci.num_components == 1 ? 1 : 3;
  ci.out_color_space = channels == 1 ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_EXT_BGR;
  jpeg_start_decompress(&ci);
  JpegPixels& out = *s.out;
  out.rows = static_cast<int>(ci.output_height);
  out.cols = static_cast<int>(ci.output_width);
  out.channels = channels;
  const std::size_t row_bytes = static_cast<std::size_t>(out.cols) * static_cast<std::size_t>(channels);
  out.samples.resize(row_bytes * static_cast<std::size_t>(out.rows));
  JSAMPARRAY cmyk_row =
      cmyk ? (*ci.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&ci), JPOOL_IMAGE, ci.output_width * 4, 1)
           : nullptr;
  while (ci.output_scanline < ci.output_height) {
    unsigned char* dst = out.samples.data() + row_bytes * ci.output_scanline;
    if (cmyk) {
      jpeg_read_scanlines(&ci, cmyk_row, 1);
      cmyk_to_bgr(cmyk_row[0], dst, out.cols);
    } else {
      JSAMPROW row = dst;
      jpeg_read_scanlines(&ci, &row, 1);
    }
  }
  jpeg_finish_decompress(&ci);
  return true;
}

/// Closes the file and frees libjpeg's memory however the decode ends.
struct DecodeResources {
  DecodeState* state = nullptr;
  std::FILE* file = nullptr;
  ~DecodeResources() {
    if (state) jpeg_destroy_decompress(&state->cinfo);
    if (file) std::fclose(file);
  }
};

}  // namespace

JpegPixels decode_jpeg(const std::string& path, double width, double height, std::size_t memory_budget) {
  JpegPixels out;
  DecodeState s;
  s.out = &out;
  s.width = width;
  s.height = height;
  DecodeResources resources;
  resources.file = std::fopen(path.c_str(), "rb");
  if (!resources.file) throw io_error(path, std::string("cannot open for reading: ") + std::strerror(errno));
  jpeg_std_error(&s.err);
  s.err.error_exit = on_error;
  s.err.emit_message = on_message;
  s.err.output_message = on_output;
  s.progress.progress_monitor = on_progress;
  s.cinfo.err = &s.err;  // jpeg_create_decompress keeps it
  resources.state = &s;  // destroying a decompressor that was never created is a no-op
  if (!run_decoder(s, resources.file, memory_budget)) {
    if (s.over_budget)
      throw io_error(path, "a " + count_text(width) + " × " + count_text(height) +
                               " multi-scan (e.g. progressive) JPEG keeps every coefficient while decoding, "
                               "which needs more memory than the limit leaves beside the image itself "
                               "(raise --max-memory if the machine has enough RAM)");
    throw io_error(path, "cannot decode JPEG data: " + s.failure);
  }
  out.warnings = s.warnings.take();
  return out;
}

}  // namespace gradmap::detail
