// SPDX-License-Identifier: MIT
// ITK as a peer: the filters an ITK user runs for each case. The only translation unit of the
// benchmark that includes ITK (its templates dominate the build time).
//
// ITK indexes (x, y, z), numpy (z, y, x): gradient vector component c is numpy axis rank-1-c.
// GradientImageFilter's interior is (f[i+1] - f[i-1]) / 2 like numpy's; at the borders it uses
// zero-flux Neumann extension, not numpy's one-sided differences. Each timed run re-executes the
// pipeline (Modified + Update) and ITK allocates its outputs as it goes, as in a user's program.
#include <itkCovariantVector.h>
#include <itkGradientImageFilter.h>
#include <itkGradientMagnitudeImageFilter.h>
#include <itkImage.h>
#include <itkMultiThreaderBase.h>
#include <itkUnaryGeneratorImageFilter.h>
#include <itkVersion.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "peers.hpp"

namespace bench {
namespace {

void set_itk_threads(int n) {
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(n);
  itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(std::max(n, 1));
}

template <class Filter>
void configure_threads(Filter* f, int n) {
  f->SetNumberOfWorkUnits(n);
  f->GetMultiThreader()->SetMaximumNumberOfThreads(n);
  f->GetMultiThreader()->SetNumberOfWorkUnits(n);
}

template <class T, unsigned D>
typename itk::Image<T, D>::Pointer make_image(const CaseSpec& spec, const Array& input) {
  using Image = itk::Image<T, D>;
  typename Image::SizeType size;
  for (unsigned d = 0; d < D; ++d) size[d] = static_cast<itk::SizeValueType>(spec.shape[D - 1 - d]);
  typename Image::RegionType region;
  region.SetSize(size);
  auto img = Image::New();
  img->SetRegions(region);
  img->Allocate();
  std::memcpy(img->GetBufferPointer(), input.data(), input.nbytes());
  return img;
}

/// Components (A, B, A-f64): GradientImageFilter into a CovariantVector image.
template <class T, class R, unsigned D>
PeerImpl itk_components(const CaseSpec& spec, const Array& input) {
  using Image = itk::Image<T, D>;
  using Filter = itk::GradientImageFilter<Image, R, R>;
  struct St {
    typename Image::Pointer img;
    typename Filter::Pointer filter;
    int threads = 1;
  };
  auto st = std::make_shared<St>();
  st->img = make_image<T, D>(spec, input);
  PeerImpl p;
  p.name = "ITK GradientImageFilter";
  p.note =
      "borders: zero-flux Neumann, not numpy's one-sided differences; output is one interleaved vector image";
  p.set_threads = [st](int n) {
    set_itk_threads(n);
    st->filter = Filter::New();  // a filter made after the change picks the thread count up
    st->filter->SetInput(st->img);
    configure_threads(st->filter.GetPointer(), n);
  };
  p.run = [st] {
    st->filter->Modified();
    st->filter->Update();
  };
  p.value = [st](int k, index_t i) {
    const auto* v = st->filter->GetOutput()->GetBufferPointer();
    return static_cast<double>(v[i][D - 1 - static_cast<unsigned>(k)]);
  };
  p.single_precision = std::is_same_v<R, float>;
  return p;
}

/// Magnitude + direction of an image: GradientMagnitudeImageFilter, and GradientImageFilter
/// followed by atan2 of its vector (ITK has no direction filter).
template <class T>
PeerImpl itk_polar_2d(const CaseSpec& spec, const Array& input) {
  using Image = itk::Image<T, 2>;
  using FImage = itk::Image<float, 2>;
  using Grad = itk::GradientImageFilter<Image, float, float>;
  using Vec = typename Grad::OutputPixelType;
  using Mag = itk::GradientMagnitudeImageFilter<Image, FImage>;
  using Dir = itk::UnaryGeneratorImageFilter<typename Grad::OutputImageType, FImage>;
  struct St {
    typename Image::Pointer img;
    typename Grad::Pointer grad;
    typename Mag::Pointer mag;
    typename Dir::Pointer dir;
  };
  auto st = std::make_shared<St>();
  st->img = make_image<T, 2>(spec, input);
  PeerImpl p;
  p.name = "ITK GradientMagnitude + Gradient→atan2";
  p.note = "borders: zero-flux Neumann; no direction filter in ITK: atan2 of GradientImageFilter's vector";
  p.set_threads = [st](int n) {
    set_itk_threads(n);
    st->grad = Grad::New();
    st->grad->SetInput(st->img);
    st->mag = Mag::New();
    st->mag->SetInput(st->img);
    st->dir = Dir::New();
    st->dir->SetInput(st->grad->GetOutput());
    st->dir->SetFunctor([](const Vec& g) { return static_cast<float>(std::atan2(g[1], g[0])); });
    configure_threads(st->grad.GetPointer(), n);
    configure_threads(st->mag.GetPointer(), n);
    configure_threads(st->dir.GetPointer(), n);
  };
  p.run = [st] {
    st->mag->Modified();
    st->mag->Update();
    st->grad->Modified();
    st->dir->Update();
  };
  p.value = [st](int k, index_t i) {
    return static_cast<double>((k == 0 ? st->mag->GetOutput() : st->dir->GetOutput())->GetBufferPointer()[i]);
  };
  return p;
}

/// Magnitude of a volume: GradientMagnitudeImageFilter.
template <class T>
PeerImpl itk_magnitude_3d(const CaseSpec& spec, const Array& input) {
  using Image = itk::Image<T, 3>;
  using FImage = itk::Image<float, 3>;
  using Mag = itk::GradientMagnitudeImageFilter<Image, FImage>;
  struct St {
    typename Image::Pointer img;
    typename Mag::Pointer mag;
  };
  auto st = std::make_shared<St>();
  st->img = make_image<T, 3>(spec, input);
  PeerImpl p;
  p.name = "ITK GradientMagnitudeImageFilter";
  p.note = "borders: zero-flux Neumann, not numpy's one-sided differences";
  p.set_threads = [st](int n) {
    set_itk_threads(n);
    st->mag = Mag::New();
    st->mag->SetInput(st->img);
    configure_threads(st->mag.GetPointer(), n);
  };
  p.run = [st] {
    st->mag->Modified();
    st->mag->Update();
  };
  p.value = [st](int, index_t i) { return static_cast<double>(st->mag->GetOutput()->GetBufferPointer()[i]); };
  return p;
}

}  // namespace

std::string itk_version() { return itk::Version::GetITKVersion(); }

std::vector<PeerImpl> itk_peers(const CaseSpec& spec, const Array& input) {
  if (spec.nonuniform || spec.edge_order != 1) {
    PeerImpl p;
    p.name = "ITK";
    p.available = false;
    p.note = spec.nonuniform
                 ? "ITK images have one uniform spacing per axis: no non-uniform coordinates"
                 : "ITK has no one-sided boundary differences (edge_order 2); see A for its interior";
    return {p};
  }
  switch (spec.kind) {
    case Kind::components:
      if (spec.rank() == 3) return {itk_components<float, float, 3>(spec, input)};
      if (spec.in_type == DType::float64) return {itk_components<double, double, 2>(spec, input)};
      return {itk_components<float, float, 2>(spec, input)};
    case Kind::magnitude_direction:
      if (spec.in_type == DType::uint8) return {itk_polar_2d<unsigned char>(spec, input)};
      return {itk_polar_2d<float>(spec, input)};
    case Kind::magnitude:
      return {itk_magnitude_3d<short>(spec, input)};
  }
  return {};
}

}  // namespace bench
