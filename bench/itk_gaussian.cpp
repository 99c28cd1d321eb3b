// SPDX-License-Identifier: MIT
// ITK's GradientRecursiveGaussianImageFilter timed on data given by the caller: the ITK column of
// bench/operators_bench.py, which has no ITK in Python on Debian 12 and so runs this program on
// the very array it hands to gradmap, scipy and OpenCV (a raw float32 file, C order).
//
// The filter is Deriche's recursive approximation of the Gaussian derivative: O(1) work per sample
// whatever sigma, where gradmap's and scipy's sampled kernels cost O(sigma). Its values are not
// scipy's (an IIR approximation, zero-flux borders), so only the time is compared.
//
// Usage: bench_itk_gaussian RAW_FILE SHAPE SIGMA THREADS [REPS]
//   SHAPE: numpy order, e.g. 4096,4096 or 256,256,256.  Prints one line: the best time in ms.
#include <itkCovariantVector.h>
#include <itkGradientRecursiveGaussianImageFilter.h>
#include <itkImage.h>
#include <itkMultiThreaderBase.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

template <unsigned D>
double best_ms(const std::vector<float>& data, const std::vector<long>& shape, double sigma, int threads,
               int reps) {
  using Image = itk::Image<float, D>;
  using Filter =
      itk::GradientRecursiveGaussianImageFilter<Image, itk::Image<itk::CovariantVector<float, D>, D>>;
  typename Image::SizeType size;
  for (unsigned d = 0; d < D; ++d) size[d] = static_cast<itk::SizeValueType>(shape[D - 1 - d]);
  typename Image::RegionType region;
  region.SetSize(size);
  auto img = Image::New();
  img->SetRegions(region);
  img->Allocate();
  std::copy(data.begin(), data.end(), img->GetBufferPointer());

  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
  itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(threads);
  auto filter = Filter::New();
  filter->SetInput(img);
  filter->SetSigma(sigma);
  filter->SetNumberOfWorkUnits(threads);
  filter->GetMultiThreader()->SetMaximumNumberOfThreads(threads);
  filter->GetMultiThreader()->SetNumberOfWorkUnits(threads);
  filter->Update();  // warm-up, as the other columns get
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    filter->Modified();
    filter->Update();  // ITK allocates its output as it goes, as in a user's program
    best = std::min(best,
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s RAW_FILE SHAPE SIGMA THREADS [REPS]\n", argv[0]);
    return 2;
  }
  std::vector<long> shape;
  std::stringstream ss(argv[2]);
  for (std::string item; std::getline(ss, item, ',');) shape.push_back(std::stol(item));
  long n = 1;
  for (long s : shape) n *= s;
  std::vector<float> data(static_cast<size_t>(n));
  std::ifstream in(argv[1], std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(n * sizeof(float)))) {
    std::fprintf(stderr, "%s: %s holds fewer than %ld float32 values\n", argv[0], argv[1], n);
    return 3;
  }
  const double sigma = std::atof(argv[3]);
  const int threads = std::atoi(argv[4]);
  const int reps = argc > 5 ? std::atoi(argv[5]) : 3;
  double ms = 0;
  if (shape.size() == 2) {
    ms = best_ms<2>(data, shape, sigma, threads, reps);
  } else if (shape.size() == 3) {
    ms = best_ms<3>(data, shape, sigma, threads, reps);
  } else {
    std::fprintf(stderr, "%s: rank %zu: only 2-D and 3-D\n", argv[0], shape.size());
    return 2;
  }
  std::printf("%.3f\n", ms);
  return 0;
}
