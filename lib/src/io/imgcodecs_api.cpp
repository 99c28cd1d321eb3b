// SPDX-License-Identifier: MIT
// The only file that calls OpenCV's imgcodecs (io/imgcodecs.hpp says why), compiled twice: into the
// gradmap::imgcodecs library that consumers link, and into the gradmap_imgcodecs.so module the CLI
// loads when a file needs it.
#include <opencv2/imgcodecs.hpp>

#include "io/imgcodecs.hpp"

namespace {

cv::Mat imread(const std::string& path, int flags) { return cv::imread(path, flags); }
bool imreadmulti(const std::string& path, std::vector<cv::Mat>& pages, int flags) {
  return cv::imreadmulti(path, pages, flags);
}
bool imencode(const std::string& ext, const cv::Mat& image, std::vector<unsigned char>& bytes,
              const std::vector<int>& params) {
  return cv::imencode(ext, image, bytes, params);
}
bool imwrite(const std::string& path, const cv::Mat& image, const std::vector<int>& params) {
  return cv::imwrite(path, image, params);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const gradmap::detail::ImgcodecsApi*
gradmap_imgcodecs_api_v1();

const gradmap::detail::ImgcodecsApi* gradmap_imgcodecs_api_v1() {
  static const gradmap::detail::ImgcodecsApi api{
      sizeof(gradmap::detail::ImgcodecsApi), GRADMAP_VERSION_STRING, imread, imreadmulti, imencode, imwrite};
  return &api;
}
