// SPDX-License-Identifier: MIT
// OpenCV's imgcodecs behind one table, so that a process which never meets a TIFF, BMP, WebP …
// never loads it. libopencv_imgcodecs brings about 140 shared libraries (GDAL, poppler, HDF5,
// video codecs), most built with BIND_NOW: loading them took 0.12 s of every CLI run, more than
// the CLI needs to read a 4096² float32 .npy and write its gradient (issue #15). gradmap's own
// readers and writers (.npy, PNG, JPEG decoding) never need it.
//
// The table is defined once (imgcodecs_api.cpp) and reaches a process in one of two ways:
// - linked: gradmap::opencv brings the gradmap::imgcodecs library, which the linker is told to
//   keep, and the loader finds the table through a weak reference. Every library consumer, the
//   tests and the Python module get this.
// - loaded: a target with the property GRADMAP_LAZY_IMGCODECS (the CLI) is linked without it, and
//   the first call dlopen()s the same code built as a module, gradmap_imgcodecs.so, from
//   ../lib/gradmap (build tree), ../<libdir>/gradmap (installed executable) or gradmap/ (installed
//   shared library) beside the binary that holds this code.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace gradmap::detail {

/// OpenCV 4.6's functions of the same names. `size` and `version` let the loader refuse a module
/// from another build of gradmap.
struct ImgcodecsApi {
  unsigned size;
  const char* version;
  cv::Mat (*imread)(const std::string& path, int flags);
  bool (*imreadmulti)(const std::string& path, std::vector<cv::Mat>& pages, int flags);
  bool (*imencode)(const std::string& ext, const cv::Mat& image, std::vector<unsigned char>& bytes,
                   const std::vector<int>& params);
  bool (*imwrite)(const std::string& path, const cv::Mat& image, const std::vector<int>& params);
};

/// The table, linked or loaded on first use; an IoError naming `path` (the file that needed OpenCV's
/// codecs) and every place looked in when the module cannot be loaded.
const ImgcodecsApi& imgcodecs(const std::string& path);

// The entry point of gradmap_imgcodecs (library and module) is
//   extern "C" const ImgcodecsApi* gradmap_imgcodecs_api_v1();
// versioned by name, so that a changed table gets a new one.

}  // namespace gradmap::detail
