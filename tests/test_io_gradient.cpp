// SPDX-License-Identifier: MIT
// The IO edge and the core together: gradients of a real anisotropic volume, read with its header
// geometry, equal numpy.gradient of the same voxels (read by nibabel) with the header spacing, after
// the documented axis mapping (numpy axis 0 = z, the last one = x).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gradmap/gradient.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

using gradmap_test::run_python;
using gradmap_test::shell_quote;
using gradmap_test::source_path;
using gradmap_test::TempDir;

#ifdef GRADMAP_HAVE_ITK

TEST(IoGradient, AnisotropicVolumeGradientEqualsNumpyWithHeaderSpacing) {
  TempDir tmp;
  const std::string nii = source_path("sample_images/head_phantom.nii.gz");
  // nibabel indexes (x, y, z); numpy order is (z, y, x), so the voxels are transposed and the zooms
  // reversed. Python floats (float64) hold the float32 pixdims exactly.
  auto r = run_python(
      "import sys, os, numpy as np, nibabel as nib\n"
      "img = nib.load(sys.argv[1])\n"
      "vol = np.ascontiguousarray(np.asanyarray(img.dataobj).transpose(2, 1, 0))\n"
      "zooms = [float(z) for z in img.header.get_zooms()[::-1]]\n"
      "gz, gy, gx = np.gradient(vol, *zooms)\n"
      "for name, g in (('gz', gz), ('gy', gy), ('gx', gx)): np.save(os.path.join(sys.argv[2], name + "
      "'.npy'), g)\n"
      "print(zooms)\n",
      shell_quote(nii) + " " + shell_quote(tmp.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  gradmap::Image img = gradmap::read_image(nii);
  ASSERT_EQ(img.geometry.spacing.size(), 3u);
  EXPECT_NE(img.geometry.spacing[0], img.geometry.spacing[2]) << "the sample must be anisotropic";
  gradmap::GradientOptions o;
  for (double s : img.geometry.spacing) o.spacing.push_back(gradmap::AxisSpacing::uniform(s));
  std::vector<gradmap::Array> g = gradmap::gradient(img.pixels, o);
  ASSERT_EQ(g.size(), 3u);
  const char* names[] = {"gz", "gy", "gx"};
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(names[k]);
    gradmap::Array want = gradmap::read_npy(tmp / (std::string(names[k]) + ".npy"));
    ASSERT_EQ(g[k].dtype(), want.dtype());
    ASSERT_EQ(g[k].shape(), want.shape());
    EXPECT_EQ(std::memcmp(g[k].data(), want.data(), want.nbytes()), 0) << "differs from numpy.gradient";
  }
}

#endif  // GRADMAP_HAVE_ITK

}  // namespace
