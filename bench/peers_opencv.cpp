// SPDX-License-Identifier: MIT
// OpenCV as a peer: the calls an OpenCV user writes for each case. The only translation unit of
// the benchmark that includes OpenCV.
//
// cv::Sobel with ksize 1 and scale 0.5 is the central difference (f[i+1] - f[i-1]) / 2, i.e.
// numpy's interior; at the borders OpenCV reflects (BORDER_REFLECT_101 gives 0 there) where numpy
// takes one-sided differences. OpenCV has no 3-D derivative, so volumes are handled by viewing the
// same buffer as 2-D matrices: x = columns of (z·y) × x, z = rows of z × (y·x), y = rows of each
// y × x slice — three calls per volume, no copies.
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "peers.hpp"

namespace bench {
namespace {

int cv_type(DType t) {
  switch (t) {
    case DType::uint8:
      return CV_8U;
    case DType::int16:
      return CV_16S;
    case DType::float32:
      return CV_32F;
    case DType::float64:
      return CV_64F;
    default:
      throw gradmap::InvalidArgument("opencv peer: unsupported dtype");
  }
}

/// Buffers of one OpenCV run, kept between runs so only the computation is timed (Sobel reuses a
/// destination of the right size and type, as an OpenCV user's loop would).
struct State {
  cv::Mat src;                 // wraps gradmap's input, no copy
  std::vector<cv::Mat> comps;  // numpy axis order (gz,) gy, gx
  cv::Mat mag, dir, tmp;
};

double at(const cv::Mat& m, index_t i) {
  return m.depth() == CV_64F ? m.ptr<double>()[i] : static_cast<double>(m.ptr<float>()[i]);
}

void sobel(const cv::Mat& src, cv::Mat& dst, int ddepth, int dx, int dy) {
  cv::Sobel(src, dst, ddepth, dx, dy, /*ksize=*/1, /*scale=*/0.5, /*delta=*/0, cv::BORDER_DEFAULT);
}

/// Central differences of a volume along z, y and x into comps[0..2] (each nz·ny × nx).
void sobel_3d(const cv::Mat& flat, const Shape& s, int ddepth, std::vector<cv::Mat>& comps) {
  const int nz = static_cast<int>(s[0]), ny = static_cast<int>(s[1]), nx = static_cast<int>(s[2]);
  sobel(flat, comps[2], ddepth, 1, 0);
  const cv::Mat zview(nz, ny * nx, flat.type(), flat.data);
  cv::Mat gz(nz, ny * nx, ddepth, comps[0].data);
  sobel(zview, gz, ddepth, 0, 1);
  for (int z = 0; z < nz; ++z) {
    cv::Mat dst = comps[1].rowRange(z * ny, (z + 1) * ny);
    sobel(flat.rowRange(z * ny, (z + 1) * ny), dst, ddepth, 0, 1);
  }
}

}  // namespace

std::string opencv_version() {
  // The parallel backend decides how OpenCV's "all cores" column threads.
  const std::string info = cv::getBuildInformation();
  const auto at = info.find("Parallel framework:");
  if (at == std::string::npos) return CV_VERSION;
  std::string fw = info.substr(at + 19, info.find('\n', at) - at - 19);
  fw.erase(0, fw.find_first_not_of(' '));
  return std::string(CV_VERSION) + " (parallel framework: " + fw + ")";
}

std::vector<PeerImpl> opencv_peers(const CaseSpec& spec, const Array& input) {
  std::vector<PeerImpl> out;
  auto threads = [](int n) { cv::setNumThreads(n); };
  const int rows = static_cast<int>(spec.size() / spec.shape.back());
  const int cols = static_cast<int>(spec.shape.back());
  const int ddepth = cv_type(spec.out_type);
  const bool volume = spec.rank() == 3;

  if (spec.nonuniform || spec.edge_order != 1) {
    PeerImpl p;
    p.name = "OpenCV";
    p.available = false;
    p.note = spec.nonuniform
                 ? "OpenCV has no derivative on non-uniform sample coordinates"
                 : "OpenCV has no one-sided boundary differences (edge_order 2); see A for its interior";
    out.push_back(p);
    return out;
  }

  auto make_state = [&]() {
    auto st = std::make_shared<State>();
    st->src = cv::Mat(rows, cols, cv_type(spec.in_type), const_cast<void*>(input.data()));
    for (int k = 0; k < spec.rank(); ++k) st->comps.emplace_back(rows, cols, ddepth);
    return st;
  };
  const std::string border_note =
      "borders: OpenCV reflects (0 at the edge) where numpy takes one-sided differences; interior equal";
  const std::string volume_note = "no 3-D derivative in OpenCV: three Sobel calls on 2-D views of the volume";

  if (spec.kind == Kind::components) {
    auto st = make_state();
    PeerImpl p;
    p.name = "OpenCV Sobel ksize 1 ×0.5";
    p.note = border_note + (volume ? "; " + volume_note : "");
    p.set_threads = threads;
    p.run = [st, spec, ddepth, volume] {
      if (volume) {
        sobel_3d(st->src, spec.shape, ddepth, st->comps);
      } else {
        sobel(st->src, st->comps[1], ddepth, 1, 0);
        sobel(st->src, st->comps[0], ddepth, 0, 1);
      }
    };
    p.value = [st](int k, index_t i) { return at(st->comps[static_cast<std::size_t>(k)], i); };
    p.single_precision = spec.out_type == DType::float32;
    out.push_back(p);
    return out;
  }

  if (spec.kind == Kind::magnitude_direction) {
    for (int variant = 0; variant < 2; ++variant) {
      auto st = make_state();
      PeerImpl p;
      p.name = variant == 0 ? "OpenCV Sobel + magnitude + phase" : "OpenCV Sobel + cartToPolar";
      p.note = border_note + "; angle in [0, 2π) with ~0.3° error (OpenCV's documented accuracy)";
      p.set_threads = threads;
      p.run = [st, ddepth, variant] {
        sobel(st->src, st->comps[1], ddepth, 1, 0);
        sobel(st->src, st->comps[0], ddepth, 0, 1);
        if (variant == 0) {
          cv::magnitude(st->comps[1], st->comps[0], st->mag);
          cv::phase(st->comps[1], st->comps[0], st->dir);
        } else {
          cv::cartToPolar(st->comps[1], st->comps[0], st->mag, st->dir);
        }
      };
      p.value = [st](int k, index_t i) { return at(k == 0 ? st->mag : st->dir, i); };
      p.direction_unsigned = true;
      p.direction_approximate = true;
      out.push_back(p);
    }
    return out;
  }

  // Magnitude of a volume: the three components, then hypot(hypot(gx, gy), gz).
  auto st = make_state();
  PeerImpl p;
  p.name = "OpenCV 3×Sobel + 2×magnitude";
  p.note = border_note + "; " + volume_note;
  p.set_threads = threads;
  p.run = [st, spec, ddepth] {
    sobel_3d(st->src, spec.shape, ddepth, st->comps);
    cv::magnitude(st->comps[2], st->comps[1], st->tmp);
    cv::magnitude(st->tmp, st->comps[0], st->mag);
  };
  p.value = [st](int, index_t i) { return at(st->mag, i); };
  out.push_back(p);
  return out;
}

}  // namespace bench
