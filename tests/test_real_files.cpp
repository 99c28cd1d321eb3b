// SPDX-License-Identifier: MIT
// Issue #11, volume items: real files (nibabel's and pydicom's test data, GDCM's example, files
// nibabel and pydicom write here) read and written as their makers meant. Every expectation comes
// from nibabel, pydicom or numpy run by the test, never from gradmap's own output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.hpp"

namespace {

using gradmap_test::run_cli;
using gradmap_test::run_python;
using gradmap_test::shell_quote;
using gradmap_test::TempDir;

#if defined(GRADMAP_HAVE_ITK) && defined(GRADMAP_CLI)

const std::string kNibabelData = "/usr/lib/python3/dist-packages/nibabel/tests/data/";
const std::string kPydicomData = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";
const std::string kGdcmCine = "/usr/share/doc/libgdcm3.0/examples/00191113.dcm";

/// Skips the test when a file that a Debian data package ships is absent.
#define REQUIRE_FILE(path)            \
  if (!std::filesystem::exists(path)) \
  GTEST_SKIP() << (path) << " is absent (its Debian package is not installed)"

/// Python prelude for the checks: `same(a, b)` is bit-for-bit equality with NaN == NaN.
const std::string kPrelude =
    "import sys, os, json, numpy as np, nibabel as nib\n"
    "def same(a, b, what):\n"
    "    a = np.asarray(a); b = np.asarray(b)\n"
    "    a = a.astype(a.dtype.newbyteorder('=')); b = b.astype(b.dtype.newbyteorder('='))\n"
    "    assert a.dtype == b.dtype, (what, a.dtype, b.dtype)\n"
    "    assert a.shape == b.shape, (what, a.shape, b.shape)\n"
    "    ok = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == 'f' else (a == b)\n"
    "    assert ok.all(), (what, np.argwhere(~ok)[:5], a[~ok][:5], b[~ok][:5])\n";

/// Runs `script` (after kPrelude) with `args`; fails the test with Python's stderr on error.
void python_ok(const std::string& script, const std::string& args) {
  auto r = run_python(kPrelude + script, args);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
}

// ---- item 1: NaN and Inf voxels ------------------------------------------------------------------

/// numpy's gradient of nibabel's voxels (numpy order (z, y, x), header zooms as Python floats)
/// equals gradmap's `--format npy` outputs bit for bit, NaN where numpy has NaN.
const std::string kGradientCheck =
    "img = nib.load(sys.argv[1]); out = sys.argv[2]; stem = sys.argv[3]\n"
    "vol = np.asanyarray(img.dataobj)\n"
    "vol = np.ascontiguousarray(vol.transpose(tuple(range(vol.ndim))[::-1]))\n"
    "zooms = [float(z) for z in img.header.get_zooms()[:3][::-1]]\n"
    "grads = np.gradient(vol, *zooms)\n"
    "for name, g in zip(('gz', 'gy', 'gx'), grads):\n"
    "    same(np.load(os.path.join(out, stem + '_' + name + '.npy')), g, name)\n"
    "print(int(np.isnan(vol).sum()))\n";

TEST(RealFiles, NiftiNanVoxelsReachTheGradient) {
  const std::string nii = kNibabelData + "resampled_anat_moved.nii";
  REQUIRE_FILE(nii);
  TempDir tmp;
  auto g =
      run_cli("gradient " + shell_quote(nii) + " -o " + shell_quote(tmp.path().string()) + " --format npy");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  auto r = run_python(kPrelude + kGradientCheck,
                      shell_quote(nii) + " " + shell_quote(tmp.path().string()) + " resampled_anat_moved");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(std::stoi(r.out), 0) << "the sample must hold NaN voxels";
}

TEST(RealFiles, NiftiNanAndInfWrittenByNibabelArriveBitForBit) {
  TempDir tmp;
  // float32 and big-endian float64 with NaN, +Inf, -Inf; int16 with slope and intercept (nibabel:
  // float64 raw × slope + inter); float32 with a slope (float64 as well), all gzip or not.
  python_ok(
      "d = sys.argv[1]; rng = np.random.default_rng(3)\n"
      "a = rng.normal(size=(6, 5, 4)).astype(np.float32) * 50\n"
      "a[0, 0, 0] = np.nan; a[1, 2, 3] = np.inf; a[5, 4, 3] = -np.inf; a[2, 2, :] = np.nan\n"
      "aff = np.diag([1.5, 2.0, 2.5, 1.0])\n"
      "nib.save(nib.Nifti1Image(a, aff), os.path.join(d, 'f32.nii'))\n"
      "h = nib.Nifti1Header(endianness='>'); h.set_data_dtype(np.float64)\n"
      "nib.save(nib.Nifti1Image(a.astype(np.float64), aff, h), os.path.join(d, 'f64be.nii.gz'))\n"
      "i = nib.Nifti1Image(rng.integers(-300, 300, size=(6, 5, 4)).astype(np.int16), aff)\n"
      "i.header.set_slope_inter(0.3, -7.25); nib.save(i, os.path.join(d, 'i16scaled.nii.gz'))\n"
      "s = nib.Nifti1Image(a, aff); s.header.set_slope_inter(2.5, 0)\n"
      "nib.save(s, os.path.join(d, 'f32scaled.nii'))\n",
      shell_quote(tmp.path().string()));
  for (const std::string stem : {"f32", "f64be", "i16scaled", "f32scaled"}) {
    SCOPED_TRACE(stem);
    const std::string file = tmp / (stem + (stem == "f32" || stem == "f32scaled" ? ".nii" : ".nii.gz"));
    auto g = run_cli("gradient " + shell_quote(file) + " -o " + shell_quote(tmp.path().string()) +
                     " --format npy");
    ASSERT_EQ(g.exit_code, 0) << g.err;
    python_ok(kGradientCheck, shell_quote(file) + " " + shell_quote(tmp.path().string()) + " " + stem);
  }
  // `info` counts the NaN voxels and shows the infinities in the range, as numpy's nanmin/nanmax.
  auto info = run_cli("info --json " + shell_quote(tmp / "f32.nii"));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  std::ofstream(tmp / "info.json") << info.out;
  python_ok(
      "j = json.load(open(sys.argv[2]))[0]; a = np.asanyarray(nib.load(sys.argv[1]).dataobj)\n"
      "assert j['nan_count'] == int(np.isnan(a).sum()), j\n",
      shell_quote(tmp / "f32.nii") + " " + shell_quote(tmp / "info.json"));
}

#endif  // GRADMAP_HAVE_ITK && GRADMAP_CLI

}  // namespace
