// SPDX-License-Identifier: MIT
// The raster backend (one of the gradmap_opencv sources, the only files that include OpenCV): decoding
// with OpenCV (JPEG and PNG with libjpeg and libpng themselves, codec/*_decode.cpp), orientation, gray/color
// pixels, and writing. Files are recognized by their first bytes, not their extension, and their header is
// parsed by io/probes/raster_probe.cpp (no OpenCV) before OpenCV decodes anything, so a hostile header (say
// 100000 × 100000 pixels) is refused before any memory is allocated.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>  // the IMREAD_/IMWRITE_ constants; the calls go through io/imgcodecs.hpp
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "codec/jpeg_decode.hpp"
#include "codec/png_decode.hpp"
#include "codec/png_encode.hpp"
#include "core/half.hpp"
#include "core/luminance.hpp"
#include "gradmap/opencv.hpp"
#include "io/backend.hpp"
#include "io/imgcodecs.hpp"
#include "io/probes/raster_probe.hpp"

namespace gradmap::detail {
namespace {

/// The element type of a decoded Mat: the adapters' mapping (gradmap/opencv.hpp), as an IoError
/// naming the file when a decoder returns a depth gradmap has no type for.
DType dtype_of_depth(const std::string& path, const cv::Mat& m) {
  try {
    return mat_dtype(m);
  } catch (const InvalidArgument&) {
    throw io_error(path, "unsupported pixel depth " + std::to_string(m.depth()));
  }
}

/// Silences OpenCV's own logging (cv::utils::logging, e.g. imread_'s "can't open/read file")
/// while any gradmap reader decodes. The level is process-wide, so concurrent readers (batch
/// threads) share one silencing: the first to enter saves the level, the last to leave restores
/// it; a save/restore per reader would race and could leave OpenCV silent for good.
class QuietOpenCv {
 public:
  QuietOpenCv() {
    std::lock_guard<std::mutex> lock(mutex());
    if (users()++ == 0) saved() = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  }
  ~QuietOpenCv() {
    std::lock_guard<std::mutex> lock(mutex());
    if (--users() == 0) cv::utils::logging::setLogLevel(saved());
  }
  QuietOpenCv(const QuietOpenCv&) = delete;
  QuietOpenCv& operator=(const QuietOpenCv&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static int& users() {
    static int n = 0;
    return n;
  }
  static cv::utils::logging::LogLevel& saved() {
    static cv::utils::logging::LogLevel level = cv::utils::logging::LOG_LEVEL_INFO;
    return level;
  }
};

/// Turns the pixels as stored into the picture viewers show for EXIF orientation `o` (1..8), the
/// same flips and transposes as OpenCV's own ExifTransform and PIL's ImageOps.exif_transpose.
cv::Mat oriented(const cv::Mat& m, int o) {
  if (o <= 1 || o > 8) return m;
  cv::Mat t = m;
  if (o >= 5) cv::transpose(m, t);
  cv::Mat r;
  switch (o) {
    case 2:
    case 6:
      cv::flip(t, r, 1);
      break;  // flip left-right (6: after transposing: 90° clockwise)
    case 3:
    case 7:
      cv::flip(t, r, -1);
      break;  // both (3: 180°)
    case 4:
    case 8:
      cv::flip(t, r, 0);
      break;  // flip top-bottom (8: after transposing: 90° counter-clockwise)
    default:
      r = t;  // 5: transpose
  }
  return r;
}

/// BT.601 luminance (core/luminance.hpp) of a BGR(A) Mat in float32 (float64 for float64 sources,
/// so they keep their precision). Each sample is converted as it is read (exactly, as convertTo
/// would): a converted copy of a colour photo was 12 MB of fresh pages per megapixel.
template <class Out>
Array luminance(const cv::Mat& m) {
  Array out = Array::uninitialized(dtype_of_v<Out>, Shape{m.rows, m.cols});
  Out* o = static_cast<Out*>(out.data());
  const int c = m.channels();
  visit_dtype(mat_dtype(m), [&](auto tag) {
    using In = decltype(tag);
    auto value = [](In v) {
      if constexpr (std::is_same_v<In, float16_t>)
        return static_cast<Out>(half_to_float(v.bits));
      else
        return static_cast<Out>(v);
    };
    for (int y = 0; y < m.rows; ++y) {
      const In* p = m.ptr<In>(y);
      for (int x = 0; x < m.cols; ++x, p += c) *o++ = bt601_luminance(value(p[2]), value(p[1]), value(p[0]));
    }
  });
  return out;
}

/// One decoded page as gradmap's pixels: gray stays 2-D in its type; color becomes float
/// luminance (ColorMode::gray) or an R, G, B series axis (ColorMode::channels); alpha is dropped.
Array page_pixels(const std::string& path, const cv::Mat& m, bool gray_with_alpha, ColorMode color) {
  DType t = dtype_of_depth(path, m);
  const int c = m.channels();
  if (c == 1 || c == 2 || gray_with_alpha) {  // 2: gray + alpha, when a decoder keeps it so
    cv::Mat gray;
    if (c != 1) {
      cv::extractChannel(m, gray, 0);
    } else {
      gray = m;
    }
    Array a = Array::uninitialized(t, Shape{m.rows, m.cols});  // every sample written below
    cv::Mat dst(m.rows, m.cols, CV_MAKETYPE(m.depth(), 1), a.data());
    gray.copyTo(dst);
    return a;
  }
  if (color == ColorMode::gray) return t == DType::float64 ? luminance<double>(m) : luminance<float>(m);
  // Channels: R, G, B planes (OpenCV stores B, G, R[, A]).
  Array a(t, Shape{3, m.rows, m.cols});
  auto plane_bytes = static_cast<std::size_t>(m.rows) * static_cast<std::size_t>(m.cols) * m.elemSize1();
  for (int k = 0; k < 3; ++k) {
    cv::Mat dst(m.rows, m.cols, CV_MAKETYPE(m.depth(), 1),
                static_cast<unsigned char*>(a.data()) + static_cast<std::size_t>(k) * plane_bytes);
    cv::extractChannel(m, dst, 2 - k);
  }
  return a;
}

Image read(const std::string& path, const ReadOptions& options) {
  RasterHeader h = probe_raster(path);
  // OpenCV 4.6 returns the samples of these byte-swapped (only some of them, in some sizes), in
  // every read mode; wrong values are worse than none.
  if (h.gray_with_alpha && h.bytes_per_sample == 2)
    throw io_error(path,
                   "16-bit gray + alpha PNGs are not supported (OpenCV decodes their samples byte-swapped); "
                   "save the image without its alpha channel");
  if (h.pages > 1 && h.channels > 2 && options.color == ColorMode::channels)
    throw io_error(path,
                   "a multi-page color TIFF (" + count_text(h.pages) +
                       " pages) cannot be read with one series axis for pages and another for channels; "
                       "read it as luminance (--color gray) or split its pages");
  // At the peak the decoder's Mats and gradmap's array (native, or 4-byte luminance) coexist.
  double decoded = h.channels * h.bytes_per_sample;
  check_memory(path, {h.width, h.height, h.pages}, decoded + std::max(decoded, 4.0), options.max_memory,
               "a " + count_text(h.width) + " × " + count_text(h.height) + " " + h.format + " image" +
                   (h.pages > 1 ? " of " + count_text(h.pages) + " pages" : ""));
  if (!h.too_short.empty()) throw io_error(path, h.too_short);

  std::vector<cv::Mat> pages;
  JpegPixels jpeg;  // owns the samples of pages[0] for a JPEG
  PngPixels png;    // and for a PNG
  try {
    QuietOpenCv quiet;
    // IMREAD_UNCHANGED: full bit depth, alpha kept (dropped below), and no EXIF rotation (for
    // PNG; nor does decode_jpeg rotate), which oriented() applies below from gradmap's own reading of the
    // tag, so the result and Image::orientation cannot disagree, and PNG's eXIf counts too.
    if (h.format == "png") {
      int exif = 0;
      const std::vector<unsigned char> bytes = png_pixel_chunks(path, exif);
      h.orientation = applied_orientation(exif, "PNG eXIf", h.warnings);
      // libpng directly (codec/png_decode.cpp), not imdecode: its warnings become Image::warnings
      // and its errors IoErrors instead of lines on stderr.
      png = decode_png(path, bytes, h.width, h.height);
      h.warnings.insert(h.warnings.end(), png.warnings.begin(), png.warnings.end());
      pages.emplace_back(png.rows, png.cols,
                         CV_MAKETYPE(png.bytes_per_sample == 2 ? CV_16U : CV_8U, png.channels),
                         png.samples.data());
    } else if (h.format == "jpeg") {
      // libjpeg directly (codec/jpeg_decode.cpp), not imread: its warnings become Image::warnings
      // instead of lines on stderr. It may use what the limit leaves beside the image itself.
      const double image = h.width * h.height * (decoded + std::max(decoded, 4.0));
      const double limit = static_cast<double>(effective_max_memory(options.max_memory));
      jpeg = decode_jpeg(path, h.width, h.height, static_cast<std::size_t>(std::max(limit - image, 0.0)));
      h.warnings.insert(h.warnings.end(), jpeg.warnings.begin(), jpeg.warnings.end());
      pages.emplace_back(jpeg.rows, jpeg.cols, CV_8UC(jpeg.channels), jpeg.samples.data());
    } else if (h.pages > 1) {
      if (!imgcodecs(path).imreadmulti(path, pages, cv::IMREAD_UNCHANGED)) pages.clear();
    } else {
      pages.push_back(imgcodecs(path).imread(path, cv::IMREAD_UNCHANGED));
    }
  } catch (const cv::Exception& e) {
    throw io_error(path, "cannot decode " + h.format + " data: " + e.err);
  }
  if (pages.empty() || pages[0].empty())
    throw io_error(path, "cannot decode " + h.format + " data: the file is truncated or corrupt");
  if (static_cast<double>(pages.size()) != h.pages)
    throw io_error(path, "OpenCV decoded " + std::to_string(pages.size()) + " of the " + count_text(h.pages) +
                             " pages of this TIFF; the others are truncated or corrupt");
  // Rows and columns as a viewer shows them: the header's, swapped by a transposing orientation.
  const bool transposed = h.orientation >= 5;
  const double rows = transposed ? h.width : h.height, cols = transposed ? h.height : h.width;
  for (std::size_t k = 0; k < pages.size(); ++k) {
    cv::Mat& m = pages[k];
    const std::string which = pages.size() > 1 ? "page " + std::to_string(k + 1) + ": " : "";
    if (m.empty()) throw io_error(path, which + "cannot decode " + h.format + " data: truncated or corrupt");
    if (m.dims != 2) throw io_error(path, "unexpected " + std::to_string(m.dims) + "-d raster");
    // Measured: OpenCV 4.6's TIFF decoder applies tag 274 itself, in every read mode (all eight
    // values, as PIL's exif_transpose does); the other decoders leave the pixels as stored.
    if (h.format != "tiff") m = oriented(m, h.orientation);
    // The header said what the decoder would produce; a difference means one of them misread the
    // file, and neither can be trusted (a JPEG's height may be left to a DNL marker: 0).
    if ((h.height > 0 && (m.rows != rows || m.cols != cols)) || m.type() != pages[0].type())
      throw io_error(path, which + "OpenCV decoded " + std::to_string(m.cols) + " × " +
                               std::to_string(m.rows) + " pixels of type " + std::to_string(m.type()) +
                               " where the header says " + count_text(cols) + " × " + count_text(rows) +
                               "; the file is corrupt");
  }

  Image img;
  img.format = h.format;
  img.geometry = default_geometry(2, "px");
  img.orientation = h.orientation;
  img.warnings = h.warnings;
  img.pages = static_cast<int>(pages.size());
  if (pages.size() == 1) {
    img.pixels = page_pixels(path, pages[0], h.gray_with_alpha, options.color);
    img.series_axes = img.pixels.rank() - 2;
    return img;
  }
  // A stack: pages along a leading series axis, so gradients are 2-D per page (--slices).
  for (std::size_t k = 0; k < pages.size(); ++k) {
    const Array page = page_pixels(path, pages[k], h.gray_with_alpha, options.color);
    if (k == 0) {
      Shape shape{static_cast<index_t>(pages.size())};
      shape.insert(shape.end(), page.shape().begin(), page.shape().end());
      img.pixels = Array::uninitialized(page.dtype(), shape);
    }
    std::memcpy(static_cast<unsigned char*>(img.pixels.data()) + k * page.nbytes(), page.data(),
                page.nbytes());
  }
  img.series_axes = 1;
  return img;
}

/// Writes the encoded file to its temporary with POSIX calls, so that a failure keeps its reason
/// (a full disk must say so: a batch stops on it). Errors name the output, not the temporary.
void write_bytes(const std::string& path, const std::string& tmp_path,
                 const std::vector<unsigned char>& bytes) {
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw io_error(path, std::string("cannot write: ") + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t k = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      const int err = k < 0 ? errno : EIO;
      ::close(fd);
      throw io_error(path, std::string("cannot write: ") + std::strerror(err));
    }
    done += static_cast<std::size_t>(k);
  }
  if (::close(fd) != 0) throw io_error(path, std::string("cannot write: ") + std::strerror(errno));
}

/// One JPEG COM segment holding `key=value` lines, inserted right after SOI (OpenCV 4.6's imwrite has
/// no parameter for comments). A segment holds at most 65533 bytes of text: more is refused, not cut.
void insert_jpeg_comment(const std::string& path, std::vector<unsigned char>& jpeg,
                         const std::vector<std::pair<std::string, std::string>>& text) {
  if (text.empty()) return;
  std::string body;
  for (const auto& [key, value] : text) body += key + "=" + value + "\n";
  if (body.size() > 65533)
    throw io_error(path,
                   "the text (" + std::to_string(body.size()) + " bytes) exceeds a JPEG comment's 65533");
  if (jpeg.size() < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
    throw io_error(path, "internal: the JPEG encoder wrote no SOI marker");
  const std::size_t len = body.size() + 2;
  std::vector<unsigned char> segment = {0xFF, 0xFE, static_cast<unsigned char>(len >> 8),
                                        static_cast<unsigned char>(len & 0xFF)};
  segment.insert(segment.end(), body.begin(), body.end());
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
}

void write(const std::string& path, const std::string& tmp_path, const Image& image,
           const WriteOptions& options) {
  std::string ext = lower_extension(path);
  bool tiff = ext == "tif" || ext == "tiff", jpeg = ext == "jpg" || ext == "jpeg";
  const Array& a = image.pixels;
  int want_rank = image.rgb ? 3 : 2;
  if (image.series_axes != 0 || a.rank() != want_rank || (image.rgb && a.extent(2) != 3))
    throw io_error(path, "a raster file holds one 2-D " +
                             std::string(image.rgb ? "RGB (height, width, 3)" : "gray") +
                             " image, not an array of shape " + shape_string(a.shape()) +
                             (image.series_axes ? "; write each channel or volume to its own file" : ""));
  Array src = a;
  DType t = a.dtype();
  bool ok = t == DType::uint8 || (t == DType::uint16 && !jpeg) || (tiff && is_floating(t));
  if (!ok)
    throw io_error(
        path, std::string(dtype_name(t)) + " pixels cannot be stored in " +
                  (jpeg   ? "JPEG"
                   : tiff ? "TIFF"
                          : "PNG") +
                  ", which holds " +
                  (jpeg   ? "uint8"
                   : tiff ? "uint8, uint16 or float32"
                          : "uint8 or uint16") +
                  "; scale them to a display range explicitly or write a float format (.tif, .nii, .npy)");
  if (tiff && is_floating(t) && t != DType::float32) src = astype(a, DType::float32);
  std::vector<unsigned char> bytes;
  if (!jpeg && !tiff) {
    // gradmap's own PNG writer (png_encode.cpp: several times faster than OpenCV's, and RGB as is).
    if (a.size() == 0)
      throw io_error(path, "an empty " + shape_string(a.shape()) + " array cannot be stored in PNG");
    try {
      bytes = encode_png(src.data(), static_cast<std::size_t>(src.extent(0)),
                         static_cast<std::size_t>(src.extent(1)), image.rgb ? 3 : 1,
                         t == DType::uint8 ? 1 : 2, options.png_compression, options.text);
    } catch (const std::invalid_argument& e) {  // PNG's limit of 2^31 - 1 rows and columns
      throw io_error(path, std::string("cannot encode: ") + e.what());
    }
    write_bytes(path, tmp_path, bytes);
    return;
  }
  int depth = src.dtype() == DType::uint8 ? CV_8U : src.dtype() == DType::uint16 ? CV_16U : CV_32F;
  int channels = image.rgb ? 3 : 1;
  // cv::Mat wants a non-const pointer; the data is only read.
  cv::Mat m(static_cast<int>(src.extent(0)), static_cast<int>(src.extent(1)), CV_MAKETYPE(depth, channels),
            const_cast<void*>(src.data()));
  cv::Mat bgr;
  if (image.rgb) {
    cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
  } else {
    bgr = m;
  }
  std::vector<int> params;
  if (jpeg) params = {cv::IMWRITE_JPEG_QUALITY, 95};
  try {
    QuietOpenCv quiet;
    // Encoding to memory keeps the format tied to the final extension, whatever the temporary's name.
    if (!imgcodecs(path).imencode(tiff ? ".tiff" : ".jpg", bgr, bytes, params))
      throw io_error(path, "the encoder refused the image");
  } catch (const cv::Exception& e) {
    throw io_error(path, std::string("cannot encode: ") + e.err);
  }
  if (jpeg) insert_jpeg_comment(path, bytes, options.text);
  write_bytes(path, tmp_path, bytes);
}

}  // namespace

const Backend& opencv_backend() {
  static const Backend b{"opencv", read, write};
  return b;
}

}  // namespace gradmap::detail
