// SPDX-License-Identifier: MIT
// gradmap on itk::Image: gradient components in mm⁻¹ with the image's spacing and geometry, the
// gradient as a CovariantVector image like itk::GradientImageFilter's, and edge maps in a loop
// over volumes that allocates its maps once. Usage: example_itk VOLUME.nii[.gz]
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkNiftiImageIO.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gradmap/itk.hpp"

static long minor_page_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: example_itk VOLUME.nii.gz\n");
    return 2;
  }
  using Image = itk::Image<float, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetImageIO(itk::NiftiImageIO::New());
  reader->SetFileName(argv[1]);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    std::fprintf(stderr, "cannot read %s: %s\n", argv[1], e.GetDescription());
    return 2;
  }
  const Image& image = *reader->GetOutput();
  try {
    // numpy order: {d/dz, d/dy, d/dx}, per mm, each with the input's spacing, origin and direction.
    const auto g = gradmap::gradient(image);
    // ITK order (x, y, z), rotated into the physical frame as itk::GradientImageFilter does.
    const auto v = gradmap::gradient_vector_image(image);
    const auto m = gradmap::gradient_magnitude(image);

    // Magnitude, azimuth and elevation as a loop over a series of volumes would compute them:
    // edges_into allocates the map images for the first volume and reuses their buffers after.
    gradmap::ItkEdgeMaps<float, 3> maps;
    const float* first_magnitude = nullptr;
    long later_faults = 0;
    bool reused = true;
    for (int volume = 0; volume < 3; ++volume) {
      const long before = minor_page_faults();
      gradmap::edges_into(image, maps);
      if (volume == 0)
        first_magnitude = maps.magnitude->GetBufferPointer();
      else {
        reused = reused && maps.magnitude->GetBufferPointer() == first_magnitude;
        later_faults = std::max(later_faults, minor_page_faults() - before);
      }
    }
    const long map_pages =
        static_cast<long>(maps.magnitude->GetBufferedRegion().GetNumberOfPixels() * sizeof(float) / 4096);
    const bool no_allocation = reused && later_faults < map_pages / 8;
    std::printf("edges_into loop: maps %s, %ld page faults per later volume (one map: %ld pages)\n",
                reused ? "allocated once" : "RE-ALLOCATED", later_faults, map_pages);

    const auto size = image.GetLargestPossibleRegion().GetSize();
    const Image::IndexType c = {
        {static_cast<long>(size[0] / 2), static_cast<long>(size[1] / 2), static_cast<long>(size[2] / 2)}};
    const float gz = g[0]->GetPixel(c), gy = g[1]->GetPixel(c), gx = g[2]->GetPixel(c);
    std::printf("spacing (x, y, z) = (%g, %g, %g) mm\n", image.GetSpacing()[0], image.GetSpacing()[1],
                image.GetSpacing()[2]);
    std::printf("at the centre: d/dx %g, d/dy %g, d/dz %g per mm; |g| %g; physical %g %g %g\n", gx, gy, gz,
                m->GetPixel(c), v->GetPixel(c)[0], v->GetPixel(c)[1], v->GetPixel(c)[2]);

    const bool same_geometry = g[0]->GetSpacing() == image.GetSpacing() &&
                               g[0]->GetDirection() == image.GetDirection() &&
                               g[0]->GetOrigin() == image.GetOrigin();
    const double hyp = std::sqrt(double(gx) * gx + double(gy) * gy + double(gz) * gz);
    const bool same_magnitude =
        std::abs(m->GetPixel(c) - hyp) <= 1e-5 * (1 + hyp) && maps.magnitude->GetPixel(c) == m->GetPixel(c);
    const bool ok = same_geometry && same_magnitude && no_allocation;
    std::printf("%s\n", ok ? "ok" : "MISMATCH");
    return ok ? 0 : 1;
  } catch (const gradmap::Error& e) {
    std::fprintf(stderr, "gradmap: %s\n", e.what());
    return 1;
  }
}
