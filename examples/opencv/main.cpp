// SPDX-License-Identifier: MIT
// gradmap on cv::Mat: the gradient of a region of interest without copying it, written into
// caller-provided Mats, and edge maps of a color image per channel in a frame loop that allocates
// its maps once. Usage: example_opencv IMAGE
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "gradmap/opencv.hpp"

static long minor_page_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

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

    // Into caller-provided float Mats (here: the top and bottom halves of one canvas), no
    // allocation. (Side-by-side ROIs of one Mat are refused: their byte ranges interleave, and the
    // overlap check works on byte ranges.)
    cv::Mat canvas(2 * roi.rows, roi.cols, CV_MAKETYPE(CV_32F, roi.channels()), cv::Scalar::all(0));
    std::vector<cv::Mat> dst{canvas(cv::Rect(0, 0, roi.cols, roi.rows)),
                             canvas(cv::Rect(0, roi.rows, roi.cols, roi.rows))};
    gradmap::gradient_into(roi, dst);

    // Magnitude and direction (radians, atan2(gy, gx), y down) of the whole image, float32 from
    // 8-bit input (ddepth, as in cv::Sobel), as a video loop would call it: edges_into create()s
    // the maps on the first frame and writes into the same Mats on every later one.
    gradmap::MatEdgeMaps maps;
    const uchar* first_magnitude = nullptr;
    long later_faults = 0;
    bool reused = true;
    for (int frame = 0; frame < 3; ++frame) {
      const long before = minor_page_faults();
      gradmap::edges_into(image, maps, CV_32F);
      if (frame == 0)
        first_magnitude = maps.magnitude.data;
      else {
        reused = reused && maps.magnitude.data == first_magnitude;
        later_faults = std::max(later_faults, minor_page_faults() - before);
      }
    }
    const long map_pages = static_cast<long>(maps.magnitude.total() * maps.magnitude.elemSize() / 4096);
    // Nothing map-sized is allocated after the first frame: the Mats are the same and almost no
    // fresh memory is touched (one map is map_pages pages).
    const bool no_allocation = reused && later_faults < map_pages / 8;
    std::printf("edges_into loop: maps %s, %ld page faults per later frame (one map: %ld pages)\n",
                reused ? "created once" : "RE-CREATED", later_faults, map_pages);
    double lo = 0, hi = 0;
    cv::minMaxLoc(maps.magnitude.reshape(1), &lo, &hi);
    std::printf("magnitude %s in [%g, %g] per pixel\n", cv::typeToString(maps.magnitude.type()).c_str(), lo,
                hi);

    // The float32 copy in the canvas equals the float64 result rounded.
    cv::Mat rounded;
    g[1].convertTo(rounded, CV_32F);
    const bool same = cv::norm(rounded, dst[1], cv::NORM_INF) == 0.0;
    std::printf("%s\n", same && no_allocation ? "ok" : "MISMATCH");
    return same && no_allocation ? 0 : 1;
  } catch (const gradmap::Error& e) {
    std::fprintf(stderr, "gradmap: %s\n", e.what());
    return 1;
  }
}
