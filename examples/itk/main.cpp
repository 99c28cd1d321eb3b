// SPDX-License-Identifier: MIT
// gradmap on itk::Image: gradient components in mm⁻¹ with the image's spacing and geometry, the
// gradient as a CovariantVector image like itk::GradientImageFilter's, and the magnitude.
// Usage: example_itk VOLUME.nii[.gz]
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkNiftiImageIO.h>

#include <cmath>
#include <cstdio>

#include "gradmap/itk.hpp"

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
    const bool same_magnitude = std::abs(m->GetPixel(c) - hyp) <= 1e-5 * (1 + hyp);
    std::printf("%s\n", same_geometry && same_magnitude ? "ok" : "MISMATCH");
    return same_geometry && same_magnitude ? 0 : 1;
  } catch (const gradmap::Error& e) {
    std::fprintf(stderr, "gradmap: %s\n", e.what());
    return 1;
  }
}
