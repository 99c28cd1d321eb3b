// SPDX-License-Identifier: MIT
// gradmap on cv::Mat: the gradient of a region of interest without copying it, written into
// caller-provided Mats, and edge maps of a color image per channel. Usage: example_opencv IMAGE
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "gradmap/opencv.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: example_opencv IMAGE\n");
    return 2;
  }
  const cv::Mat image = cv::imread(argv[1], cv::IMREAD_UNCHANGED);
  if (image.empty()) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  try {
    // A ROI is viewed in place: the view's data pointer is the ROI's own.
    const cv::Mat roi = image(cv::Rect(image.cols / 4, image.rows / 4, image.cols / 2, image.rows / 2));
    std::vector<cv::Mat> g = gradmap::gradient(roi);  // {gy, gx}: CV_64F for 8-bit input, per channel
    std::printf("%dx%d ROI of %s: gy %s, gx %s\n", roi.cols, roi.rows, argv[1],
                cv::typeToString(g[0].type()).c_str(), cv::typeToString(g[1].type()).c_str());

    // Into caller-provided float Mats (here: ROIs of one side-by-side canvas), no allocation.
    cv::Mat canvas(roi.rows, 2 * roi.cols, CV_MAKETYPE(CV_32F, roi.channels()), cv::Scalar::all(0));
    std::vector<cv::Mat> dst{canvas(cv::Rect(0, 0, roi.cols, roi.rows)),
                             canvas(cv::Rect(roi.cols, 0, roi.cols, roi.rows))};
    gradmap::gradient_into(roi, dst);

    // Magnitude and direction (radians, atan2(gy, gx), y down) of the whole image.
    const gradmap::MatEdgeMaps maps = gradmap::edges(image);
    double lo = 0, hi = 0;
    cv::minMaxLoc(maps.magnitude.reshape(1), &lo, &hi);
    std::printf("magnitude %s in [%g, %g] per pixel\n", cv::typeToString(maps.magnitude.type()).c_str(), lo,
                hi);

    // The float32 copy in the canvas equals the float64 result rounded.
    cv::Mat rounded;
    g[1].convertTo(rounded, CV_32F);
    const bool same = cv::norm(rounded, dst[1], cv::NORM_INF) == 0.0;
    std::printf("%s\n", same ? "ok" : "MISMATCH");
    return same ? 0 : 1;
  } catch (const gradmap::Error& e) {
    std::fprintf(stderr, "gradmap: %s\n", e.what());
    return 1;
  }
}
