// SPDX-License-Identifier: MIT
// Issue #11, volume items: real files (nibabel's and pydicom's test data, GDCM's example, files
// nibabel and pydicom write here) read and written as their makers meant. Every expectation comes
// from nibabel, pydicom or numpy run by the test, never from gradmap's own output.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "gradmap/io.hpp"
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
    "    assert ok.all(), (what, np.argwhere(~ok)[:5], a[~ok][:5], b[~ok][:5])\n"
    "def same_nifti_header(o, i):  # what a written NIfTI keeps of its input\n"
    "    assert o.shape == i.shape, (o.shape, i.shape)\n"
    "    assert np.allclose(o.affine, i.affine, atol=1e-4), (o.affine, i.affine)\n"
    "    zo, zi = o.header.get_zooms(), i.header.get_zooms()\n"
    "    assert len(zo) == len(zi) and np.allclose(zo, zi, rtol=1e-6), (zo, zi)\n"
    "    for k in ('xyzt_units', 'qform_code', 'sform_code'):\n"
    "        assert o.header[k] == i.header[k], (k, o.header[k], i.header[k])\n";

/// Runs gradmap with `args`; fails the test (ASSERT_NO_FATAL_FAILURE) unless it exits 0.
void cli_ok(const std::string& args) {
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.err;
}

/// Runs `gradmap info --json <args>` and saves its output as `json_path` for the Python side;
/// fails the test (ASSERT_NO_FATAL_FAILURE) unless it exits 0.
void info_json_to(const std::string& args, const std::string& json_path) {
  const auto r = run_cli("info --json " + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(json_path) << r.out;
}

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

TEST(RealFiles, NrrdAndMetaImageFloatNanAndInfArriveBitForBit) {
  TempDir tmp;
  // Headers written by hand as the formats define them; the voxels are numpy's bytes.
  python_ok(
      "d = sys.argv[1]\n"
      "a = np.arange(60, dtype=np.float32).reshape(3, 4, 5) * 1.5\n"
      "a[0, 0, 0] = np.nan; a[1, 2, 3] = np.inf; a[2, 3, 4] = -np.inf\n"
      "open(os.path.join(d, 'v.nrrd'), 'wb').write(b'NRRD0004\\ntype: float\\ndimension: 3\\nsizes: 5 4 "
      "3\\n'\n"
      "    b'spacings: 0.5 0.75 2\\nencoding: raw\\nendian: little\\n\\n' + a.astype('<f4').tobytes())\n"
      "open(os.path.join(d, 'v.mha'), 'wb').write(b'ObjectType = Image\\nNDims = 3\\nBinaryData = True\\n'\n"
      "    b'BinaryDataByteOrderMSB = False\\nElementSpacing = 0.5 0.75 2\\nDimSize = 5 4 3\\n'\n"
      "    b'ElementType = MET_FLOAT\\nElementDataFile = LOCAL\\n' + a.astype('<f4').tobytes())\n"
      "np.save(os.path.join(d, 'ref.npy'), a)\n",
      shell_quote(tmp.path().string()));
  for (const std::string name : {"v.nrrd", "v.mha"}) {
    SCOPED_TRACE(name);
    const std::string out = tmp / (name.substr(2) + "_out");
    auto g = run_cli("gradient " + shell_quote(tmp / name) + " -o " + shell_quote(out) + " --format npy");
    ASSERT_EQ(g.exit_code, 0) << g.err;
    python_ok(
        "a = np.load(os.path.join(sys.argv[1], 'ref.npy'))\n"
        "for n, g in zip(('gz', 'gy', 'gx'), np.gradient(a, 2.0, 0.75, 0.5)):\n"
        "    same(np.load(os.path.join(sys.argv[2], 'v_' + n + '.npy')), g, n)\n",
        shell_quote(tmp.path().string()) + " " + shell_quote(out));
  }
}

/// pydicom prelude: `ct(name, **changes)` writes a copy of pydicom's CT_small.dcm with attributes
/// changed (None deletes).
const std::string kPydicom =
    "import pydicom\n"
    "from pydicom.pixel_data_handlers.util import apply_modality_lut\n"
    "TF = '" +
    std::string("/usr/lib/python3/dist-packages/pydicom/data/test_files/") +
    "'\n"
    "def ct(path, **changes):\n"
    "    ds = pydicom.dcmread(TF + 'CT_small.dcm')\n"
    "    for k, v in changes.items():\n"
    "        if v is None:\n"
    "            if k in ds: delattr(ds, k)\n"
    "        else: setattr(ds, k, v)\n"
    "    ds.save_as(path)\n";

TEST(RealFiles, DicomFloatPixelDataNanAndInfArriveBitForBit) {
  TempDir tmp;
  // Float Pixel Data (7FE0,0008), which GDCM 3.0 cannot decode: gradmap reads it itself.
  python_ok(
      kPydicom +
          "from pydicom.dataset import FileDataset, FileMetaDataset\n"
          "from pydicom.uid import ExplicitVRLittleEndian, generate_uid\n"
          "m = FileMetaDataset(); m.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.30'\n"
          "m.MediaStorageSOPInstanceUID = generate_uid(); m.TransferSyntaxUID = ExplicitVRLittleEndian\n"
          "ds = FileDataset(sys.argv[1], {}, file_meta=m, preamble=b'\\0' * 128)\n"
          "ds.SOPClassUID = m.MediaStorageSOPClassUID; ds.SOPInstanceUID = m.MediaStorageSOPInstanceUID\n"
          "ds.Modality = 'OT'; ds.Rows = 4; ds.Columns = 5; ds.SamplesPerPixel = 1\n"
          "ds.PhotometricInterpretation = 'MONOCHROME2'; ds.BitsAllocated = 32; ds.NumberOfFrames = 1\n"
          "ds.PixelSpacing = [0.5, 0.25]; ds.ImagePositionPatient = [10, -20, 30.5]\n"
          "ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]\n"
          "a = np.arange(20, dtype=np.float32).reshape(4, 5) * 1.5\n"
          "a[1, 1] = np.nan; a[2, 2] = np.inf; a[3, 0] = -np.inf\n"
          "ds.FloatPixelData = a.tobytes(); ds.is_little_endian = True; ds.is_implicit_VR = False\n"
          "ds.save_as(sys.argv[1], write_like_original=False)\n"
          "assert np.isnan(pydicom.dcmread(sys.argv[1]).pixel_array[1, 1])\n",
      shell_quote(tmp / "float.dcm"));
  auto g = run_cli("gradient " + shell_quote(tmp / "float.dcm") + " -o " + shell_quote(tmp.path().string()) +
                   " --format npy");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  python_ok(kPydicom +
                "ds = pydicom.dcmread(sys.argv[1]); a = ds.pixel_array\n"
                "gy, gx = np.gradient(a, *[float(v) for v in ds.PixelSpacing])\n"
                "same(np.load(sys.argv[2] + '/float_gy.npy'), gy, 'gy')\n"
                "same(np.load(sys.argv[2] + '/float_gx.npy'), gx, 'gx')\n",
            shell_quote(tmp / "float.dcm") + " " + shell_quote(tmp.path().string()));
}

// ---- item 4: geometry and metadata kept on write -------------------------------------------------

TEST(RealFiles, NiftiOutputsKeepAffineZoomsUnitsAndCodes) {
  // 4-D with TR 2000 (units mm + s, codes 1/1); float with codes 2/2; scaled 4-D int16 (2/2); qform
  // code 0 with sform code 2 and no units.
  for (const std::string name :
       {"example4d.nii.gz", "resampled_anat_moved.nii", "functional.nii", "standard.nii.gz"}) {
    SCOPED_TRACE(name);
    const std::string in = kNibabelData + name;
    REQUIRE_FILE(in);
    TempDir tmp;
    auto g = run_cli("gradient " + shell_quote(in) + " -o " + shell_quote(tmp.path().string()));
    ASSERT_EQ(g.exit_code, 0) << g.err;
    const std::string ext = name.substr(name.find('.'));
    const std::string stem = name.substr(0, name.find('.'));
    python_ok("same_nifti_header(nib.load(sys.argv[2]), nib.load(sys.argv[1]))\n",
              shell_quote(in) + " " + shell_quote(tmp / (stem + "_gx" + ext)));
  }
}

TEST(RealFiles, NiftiOfOneSliceOverTimeKeepsItsShapeAndHeader) {
  // (x, y, 1, t) as nibabel writes it (TR 2.5 s, codes 2/2, anisotropic zooms): 2-D gradients per
  // frame (--slices, or --axis x,y), written back with the input's shape and header, values numpy's.
  TempDir tmp;
  python_ok(
      "a = np.random.default_rng(1).standard_normal((6, 5, 1, 4)).astype(np.float32)\n"
      "aff = np.diag([-0.5, 0.7, 2.0, 1.0]); aff[:3, 3] = [1, 2, 3]\n"
      "img = nib.Nifti1Image(a, aff); img.header.set_xyzt_units('mm', 'sec'); img.header['pixdim'][4] = 2.5\n"
      "img.set_qform(aff, 2); img.set_sform(aff, 2)\n"
      "nib.save(img, sys.argv[1])\n",
      shell_quote(tmp / "xy1t.nii.gz"));
  for (const std::string how : {"--slices", "--axis x,y"}) {
    SCOPED_TRACE(how);
    ASSERT_NO_FATAL_FAILURE(cli_ok("gradient " + shell_quote(tmp / "xy1t.nii.gz") + " -o " +
                                   shell_quote(tmp / "out") + " " + how));
    python_ok(
        "i = nib.load(sys.argv[1])\n"
        "v = np.asanyarray(i.dataobj)[:, :, 0, :].transpose(2, 1, 0)\n"
        "zy, zx = [float(z) for z in i.header.get_zooms()[1::-1]]\n"
        "gy, gx = np.gradient(v, zy, zx, axis=(1, 2))\n"
        "for n, g in (('gy', gy), ('gx', gx)):\n"
        "    o = nib.load(sys.argv[2] + '/xy1t_' + n + '.nii.gz')\n"
        "    same_nifti_header(o, i)\n"
        "    same(np.asanyarray(o.dataobj)[:, :, 0, :].transpose(2, 1, 0), g, n)\n",
        shell_quote(tmp / "xy1t.nii.gz") + " " + shell_quote(tmp / "out"));
  }
}

TEST(RealFiles, DicomSliceKeepsItsPositionInNiftiOutputs) {
  const std::string dcm = kPydicomData + "CT_small.dcm";
  REQUIRE_FILE(dcm);
  TempDir tmp;
  auto g = run_cli("gradient " + shell_quote(dcm) + " -o " + shell_quote(tmp.path().string()));
  ASSERT_EQ(g.exit_code, 0) << g.err;
  // pydicom's geometry, LPS → nibabel's RAS (x and y negated): columns of the affine are the
  // direction cosines times the pixel spacing, its translation is ImagePositionPatient.
  python_ok(kPydicom +
                "ds = pydicom.dcmread(sys.argv[1]); o = nib.load(sys.argv[2])\n"
                "ipp = np.array(ds.ImagePositionPatient, float); iop = np.array(ds.ImageOrientationPatient, "
                "float)\n"
                "ps = [float(v) for v in ds.PixelSpacing]\n"
                "flip = np.array([-1, -1, 1.0])\n"
                "assert o.shape == (ds.Columns, ds.Rows, 1), o.shape\n"
                "assert np.allclose(o.affine[:3, 3], ipp * flip, atol=1e-3), (o.affine, ipp)\n"
                "assert np.allclose(o.affine[:3, 0], iop[:3] * ps[1] * flip, atol=1e-5), o.affine\n"
                "assert np.allclose(o.affine[:3, 1], iop[3:] * ps[0] * flip, atol=1e-5), o.affine\n"
                "hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)\n"
                "gx = np.gradient(hu, ps[0], ps[1])[1]\n"
                "same(np.asanyarray(o.dataobj)[:, :, 0].T, gx, 'gx')\n",
            shell_quote(dcm) + " " + shell_quote(tmp / "CT_small_gx.nii.gz"));
}

// ---- item 6: pixel spacing, its source, DICOM without an extension -------------------------------

// GDCM (Debian builds it with assertions on) aborts the process on an RT Dose without Number of
// Frames (0028,0008), which a single-frame dose need not have: pydicom's three *_1frame.dcm doses
// killed gradmap with SIGABRT. gradmap now refuses them before GDCM's image reader sees them: a
// clear error naming the file (exit 3), nothing written, a batch goes on; the multi-frame dose
// still reads.
TEST(RealFiles, RtDoseWithoutNumberOfFramesIsAClearErrorNotACrash) {
  for (const std::string name : {"rtdose_1frame.dcm", "rtdose_rle_1frame.dcm", "rtdose_expb_1frame.dcm"}) {
    SCOPED_TRACE(name);
    const std::string dcm = kPydicomData + name;
    REQUIRE_FILE(dcm);
    TempDir tmp;
    auto r = run_cli("edges " + shell_quote(dcm) + " -o " + shell_quote(tmp / "out"));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Number of Frames (0028,0008)"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "out"));
    try {
      gradmap::read_image(dcm);
      ADD_FAILURE() << "read_image accepted " << name;
    } catch (const gradmap::IoError& e) {
      EXPECT_NE(std::string(e.what()).find("Number of Frames"), std::string::npos) << e.what();
    }
  }
  const std::string multi = kPydicomData + "rtdose.dcm";
  REQUIRE_FILE(multi);
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  std::filesystem::copy_file(multi, tmp / "in/rtdose.dcm");
  std::filesystem::copy_file(kPydicomData + "rtdose_1frame.dcm", tmp / "in/rtdose_1frame.dcm");
  auto b = run_cli("batch " + shell_quote(tmp / "in") + " -o " + shell_quote(tmp / "out") + " --format npy");
  EXPECT_EQ(b.exit_code, 6) << b.out << b.err;  // partial failure: the good dose is processed
  EXPECT_TRUE(std::filesystem::exists(tmp / "out/rtdose_mag.npy")) << b.out << b.err;
  EXPECT_NE(b.err.find("rtdose_1frame.dcm"), std::string::npos) << b.err;
}

// A valid DICOM object that holds no image (pydicom's palettes, nibabel's CSA header test file) is
// named as such, not as corrupt.
TEST(RealFiles, DicomWithoutPixelDataSaysSo) {
  for (const std::string& dcm :
       {kPydicomData + "../palettes/pet.dcm",
        std::string("/usr/lib/python3/dist-packages/nibabel/nicom/tests/data/csa_slice_norm.dcm")}) {
    SCOPED_TRACE(dcm);
    REQUIRE_FILE(dcm);
    auto r = run_cli("info " + shell_quote(dcm));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("without Pixel Data (7FE0,0010)"), std::string::npos) << r.err;
  }
}

TEST(RealFiles, DicomPixelSpacingOfSecondaryCaptureAndNmIsRead) {
  for (const std::string name : {"SC_rgb_small_odd.dcm", "JPEG2000.dcm"}) {
    SCOPED_TRACE(name);
    const std::string dcm = kPydicomData + name;
    REQUIRE_FILE(dcm);
    TempDir tmp;
    auto r = run_cli("info --json " + shell_quote(dcm));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(tmp / "info.json") << r.out;
    python_ok(
        kPydicom +
            "ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True); j = "
            "json.load(open(sys.argv[2]))[0]\n"
            "assert j['spacing'] == [float(v) for v in ds.PixelSpacing], (j['spacing'], ds.PixelSpacing)\n"
            "assert j['spacing_source'] == ['header', 'header'], j['spacing_source']\n",
        shell_quote(dcm) + " " + shell_quote(tmp / "info.json"));
  }
}

TEST(RealFiles, ImagerPixelSpacingStandsInAndAbsentSpacingSaysDefault) {
  TempDir tmp;
  python_ok(kPydicom +
                "ct(sys.argv[1] + '/imager.dcm', PixelSpacing=None, ImagerPixelSpacing=[0.7, 0.4])\n"
                "ct(sys.argv[1] + '/none.dcm', PixelSpacing=None)\n",
            shell_quote(tmp.path().string()));
  auto r = run_cli("info --json " + shell_quote(tmp / "imager.dcm") + " " + shell_quote(tmp / "none.dcm"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(tmp / "info.json") << r.out;
  python_ok(kPydicom +
                "j = json.load(open(sys.argv[1] + '/info.json'))\n"
                "ds = pydicom.dcmread(sys.argv[1] + '/imager.dcm')\n"
                "assert j[0]['spacing'] == [float(v) for v in ds.ImagerPixelSpacing], j[0]\n"
                "assert j[0]['spacing_source'] == ['header', 'header'], j[0]\n"
                "assert 'PixelSpacing' not in pydicom.dcmread(sys.argv[1] + '/none.dcm')\n"
                "assert j[1]['spacing'] == [1.0, 1.0] and j[1]['spacing_source'] == ['default 1', 'default "
                "1'], j[1]\n",
            shell_quote(tmp.path().string()));
  auto text = run_cli("info " + shell_quote(tmp / "none.dcm"));
  EXPECT_NE(text.out.find("y default 1, x default 1"), std::string::npos) << text.out;
}

TEST(RealFiles, NrrdAndMetaImageSpacingSourcesFollowTheirHeaders) {
  // NRRD without "spacings:" and MetaImage without ElementSpacing: ITK's 1 is a default, not the
  // header's; with the fields, "header". A user's --spacing shows as "--spacing" (text and JSON).
  TempDir tmp;
  python_ok(
      "d = sys.argv[1]; a = np.arange(120, dtype=np.int16).reshape(6, 5, 4).tobytes()\n"
      "nrrd = b'NRRD0004\\ntype: short\\ndimension: 3\\nsizes: 4 5 6\\n%sendian: little\\nencoding: "
      "raw\\n\\n'\n"
      "open(d + '/none.nrrd', 'wb').write(nrrd % b'' + a)\n"
      "open(d + '/spacings.nrrd', 'wb').write(nrrd % b'spacings: 0.5 0.7 2\\n' + a)\n"
      "mha = b'ObjectType = Image\\nNDims = 3\\nDimSize = 4 5 6\\n%sElementType = MET_SHORT\\n'\n"
      "mha += b'ElementDataFile = LOCAL\\n'\n"
      "open(d + '/none.mha', 'wb').write(mha % b'' + a)\n"
      "open(d + '/spacing.mha', 'wb').write(mha % b'ElementSpacing = 0.5 0.7 2\\n' + a)\n",
      shell_quote(tmp.path().string()));
  const std::string files = shell_quote(tmp / "none.nrrd") + " " + shell_quote(tmp / "spacings.nrrd") + " " +
                            shell_quote(tmp / "none.mha") + " " + shell_quote(tmp / "spacing.mha");
  ASSERT_NO_FATAL_FAILURE(info_json_to(files, tmp / "info.json"));
  ASSERT_NO_FATAL_FAILURE(info_json_to("--spacing x=0.25 " + files, tmp / "user.json"));
  python_ok(
      "j = json.load(open(sys.argv[1] + '/info.json')); u = json.load(open(sys.argv[1] + '/user.json'))\n"
      "for k, stated in enumerate([False, True, False, True]):\n"
      "    assert j[k]['spacing'] == ([2.0, 0.7, 0.5] if stated else [1.0] * 3), j[k]\n"
      "    assert j[k]['spacing_source'] == ['header' if stated else 'default 1'] * 3, j[k]\n"
      "    assert u[k]['spacing'] == j[k]['spacing'][:2] + [0.25], u[k]\n"
      "    assert u[k]['spacing_source'] == j[k]['spacing_source'][:2] + ['--spacing'], u[k]\n",
      shell_quote(tmp.path().string()));
  const auto r = run_cli("info --spacing 3 " + shell_quote(tmp / "none.nrrd"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("spacing from: z --spacing, y --spacing, x --spacing"), std::string::npos) << r.out;
}

TEST(RealFiles, ExtensionlessDicomIsRecognizedByItsPreamble) {
  const std::string dcm = kPydicomData + "dicomdirtests/77654033/CT2/17136";
  REQUIRE_FILE(dcm);
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(
      cli_ok("gradient " + shell_quote(dcm) + " -o " + shell_quote(tmp.path().string()) + " --format npy"));
  python_ok(kPydicom +
                "ds = pydicom.dcmread(sys.argv[1]); ps = [float(v) for v in ds.PixelSpacing]\n"
                "hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)\n"
                "gy, gx = np.gradient(hu, *ps)\n"
                "same(np.load(sys.argv[2] + '/17136_gy.npy'), gy, 'gy')\n"
                "same(np.load(sys.argv[2] + '/17136_gx.npy'), gx, 'gx')\n",
            shell_quote(dcm) + " " + shell_quote(tmp.path().string()));
}

// ---- item 5: frames and colour of DICOM ----------------------------------------------------------

TEST(RealFiles, CineDicomIsATimeSeriesOf2dFrames) {
  TempDir tmp;
  // GDCM's XA cine example: frames without positions, FrameTime 83 ms (JPEG lossless, which this
  // pydicom cannot decode: its values are checked on a cine pydicom writes below).
  if (std::filesystem::exists(kGdcmCine)) {
    auto r = run_cli("info --json " + shell_quote(kGdcmCine));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(tmp / "info.json") << r.out;
    python_ok(
        kPydicom +
            "ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True); j = "
            "json.load(open(sys.argv[2]))[0]\n"
            "assert j['shape'] == [int(ds.NumberOfFrames), ds.Rows, ds.Columns], j['shape']\n"
            "assert j['series_axes'] == 1 and j['axes'] == ['t', 'y', 'x'] and len(j['spacing']) == 2, j\n"
            "assert j['series_spacing'] == [float(ds.FrameTime)] and j['series_unit'] == 'ms', j\n",
        shell_quote(kGdcmCine) + " " + shell_quote(tmp / "info.json"));
  }
  python_ok(
      kPydicom +
          "ds = pydicom.dcmread(TF + 'CT_small.dcm')\n"
          "for k in ('ImagePositionPatient', 'ImageOrientationPatient', 'PixelSpacing', 'SliceLocation'):\n"
          "    if k in ds: delattr(ds, k)\n"
          "ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.12.1'\n"
          "ds.Modality = 'XA'; ds.RescaleSlope = 1; ds.RescaleIntercept = 0\n"
          "rng = np.random.default_rng(5); a = rng.integers(0, 4000, size=(3, 8, 9)).astype(np.uint16)\n"
          "ds.Rows, ds.Columns = 8, 9; ds.NumberOfFrames = 3; ds.FrameTime = 33.3\n"
          "ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15; ds.PixelRepresentation = 0\n"
          "ds.PixelData = a.tobytes(); ds.save_as(sys.argv[1])\n"
          "assert (pydicom.dcmread(sys.argv[1]).pixel_array == a).all()\n",
      shell_quote(tmp / "cine.dcm"));
  const std::string out = tmp / "out";
  auto g = run_cli("gradient " + shell_quote(tmp / "cine.dcm") + " -o " + shell_quote(out) + " --format npy");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_FALSE(std::filesystem::exists(out + "/cine_gz.npy")) << "frames are time, not a z axis";
  python_ok(kPydicom +
                "a = pydicom.dcmread(sys.argv[1]).pixel_array\n"
                "gy, gx = np.gradient(a, axis=(1, 2))\n"
                "same(np.load(sys.argv[2] + '/cine_gy.npy'), gy, 'gy')\n"
                "same(np.load(sys.argv[2] + '/cine_gx.npy'), gx, 'gx')\n",
            shell_quote(tmp / "cine.dcm") + " " + shell_quote(out));
  // As NIfTI: frames on the time axis (x, y, 1, t) with the FrameTime and its unit.
  auto nii = run_cli("gradient " + shell_quote(tmp / "cine.dcm") + " -o " + shell_quote(out));
  ASSERT_EQ(nii.exit_code, 0) << nii.err;
  python_ok(kPydicom +
                "ds = pydicom.dcmread(sys.argv[1]); o = nib.load(sys.argv[2] + '/cine_gx.nii.gz')\n"
                "assert o.shape == (ds.Columns, ds.Rows, 1, int(ds.NumberOfFrames)), o.shape\n"
                "assert np.isclose(o.header.get_zooms()[3], float(ds.FrameTime)), o.header.get_zooms()\n"
                "assert o.header.get_xyzt_units() == ('mm', 'msec'), o.header.get_xyzt_units()\n"
                "gx = np.gradient(ds.pixel_array, axis=2)\n"
                "same(np.asanyarray(o.dataobj)[:, :, 0, :].transpose(2, 1, 0), gx, 'gx')\n",
            shell_quote(tmp / "cine.dcm") + " " + shell_quote(out));
}

TEST(RealFiles, ColorDicomFollowsTheColorOption) {
  const std::string dcm = kPydicomData + "SC_rgb_rle_2frame.dcm";
  REQUIRE_FILE(dcm);
  TempDir tmp;
  auto gray = run_cli("gradient " + shell_quote(dcm) + " -o " + shell_quote(tmp / "gray") + " --format npy");
  ASSERT_EQ(gray.exit_code, 0) << gray.err;
  auto channels = run_cli("gradient " + shell_quote(dcm) + " -o " + shell_quote(tmp / "rgb") +
                          " --format npy --color channels");
  ASSERT_EQ(channels.exit_code, 0) << channels.err;
  // gray: BT.601 luminance in float32, as numpy computes it on float32 planes; channels: a leading
  // R, G, B axis before the frames.
  python_ok(kPydicom +
                "a = pydicom.dcmread(sys.argv[1]).pixel_array\n"
                "assert a.shape == (2, 100, 100, 3), a.shape\n"
                "f = a.astype(np.float32); lum = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]\n"
                "assert lum.dtype == np.float32\n"
                "gy, gx = np.gradient(lum, 1.0, 1.0, axis=(1, 2))\n"
                "same(np.load(sys.argv[2] + '/gray/SC_rgb_rle_2frame_gy.npy'), gy, 'gray gy')\n"
                "same(np.load(sys.argv[2] + '/gray/SC_rgb_rle_2frame_gx.npy'), gx, 'gray gx')\n"
                "c = np.ascontiguousarray(a.transpose(3, 0, 1, 2))\n"
                "gy, gx = np.gradient(c, 1.0, 1.0, axis=(2, 3))\n"
                "same(np.load(sys.argv[2] + '/rgb/SC_rgb_rle_2frame_gy.npy'), gy, 'rgb gy')\n"
                "same(np.load(sys.argv[2] + '/rgb/SC_rgb_rle_2frame_gx.npy'), gx, 'rgb gx')\n",
            shell_quote(dcm) + " " + shell_quote(tmp.path().string()));
}

TEST(RealFiles, ColorCineDicomWritesOnePicturePerChannelAndFrame) {
  // --color channels reads (c, t, y, x): a PNG holds one 2-D picture, so there is one per channel
  // and frame, named <stem>_<channel>_<frame>_<product>.png. Each must hold the pixels of the picture
  // gradmap writes for that channel of that frame given alone as a gray PNG (pydicom + PIL write it).
  const std::string dcm = kPydicomData + "SC_rgb_rle_2frame.dcm";
  REQUIRE_FILE(dcm);
  TempDir tmp;
  auto r = run_cli("gradient " + shell_quote(dcm) + " -o " + shell_quote(tmp / "out") +
                   " --format png --color channels");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  python_ok(
      kPydicom +
          "from PIL import Image\n"
          "a = pydicom.dcmread(sys.argv[1]).pixel_array\n"
          "os.makedirs(sys.argv[2] + '/planes')\n"
          "for c, name in enumerate('rgb'):\n"
          "    for t in range(a.shape[0]):\n"
          "        Image.fromarray(a[t, :, :, c]).save(sys.argv[2] + '/planes/%s_t%d.png' % (name, t))\n"
          "want = sorted('SC_rgb_rle_2frame_%s_t%d_%s.png' % (c, t, g) for c in 'rgb' for t in range(2)\n"
          "              for g in ('gy', 'gx'))\n"
          "assert sorted(os.listdir(sys.argv[2] + '/out')) == want, os.listdir(sys.argv[2] + '/out')\n",
      shell_quote(dcm) + " " + shell_quote(tmp.path().string()));
  r = run_cli("gradient " + shell_quote(tmp / "planes") + "/*.png -o " + shell_quote(tmp / "planes_out") +
              " --format png");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  python_ok(
      "import cv2\n"
      "for c in 'rgb':\n"
      "    for t in range(2):\n"
      "        for g in ('gy', 'gx'):\n"
      "            a = cv2.imread(sys.argv[1] + '/out/SC_rgb_rle_2frame_%s_t%d_%s.png' % (c, t, g), -1)\n"
      "            b = cv2.imread(sys.argv[1] + '/planes_out/%s_t%d_%s.png' % (c, t, g), -1)\n"
      "            same(a, b, (c, t, g))\n",
      shell_quote(tmp.path().string()));
  // batch recognizes every name it wrote: a rerun with --skip-existing skips the file.
  std::filesystem::create_directory(tmp / "in");
  std::filesystem::copy_file(dcm, tmp / "in/c.dcm");
  const std::string batch = "batch " + shell_quote(tmp / "in") + " -o " + shell_quote(tmp / "bout") +
                            " --color channels --format png";
  ASSERT_NO_FATAL_FAILURE(cli_ok(batch));
  r = run_cli(batch + " --skip-existing");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("0 ok, 0 failed, 1 skipped of 1"), std::string::npos) << r.out << r.err;
}

// ---- item 7: world frames ------------------------------------------------------------------------

TEST(RealFiles, PhysicalFrameRasMatchesNibabelAffine) {
  const std::string nii = gradmap_test::source_path("sample_images/head_phantom.nii.gz");
  TempDir tmp;
  auto g = run_cli("gradient " + shell_quote(nii) + " -o " + shell_quote(tmp.path().string()) +
                   " --format npy --physical-frame --world ras");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  ASSERT_NO_FATAL_FAILURE(info_json_to(shell_quote(nii), tmp / "info.json"));
  // nibabel: index gradient in mm along i, j, k, rotated by the affine's direction cosines into
  // RAS; gradmap's gx, gy, gz are the world R, A, S components in numpy (k, j, i) order.
  python_ok(
      "img = nib.load(sys.argv[1]); d = sys.argv[2]\n"
      "vol = np.asanyarray(img.dataobj).astype(np.float64); z = [float(v) for v in img.header.get_zooms()]\n"
      "gi, gj, gk = np.gradient(vol, *z)\n"
      "R = img.affine[:3, :3] / np.array(z)\n"
      "assert not np.allclose(R, np.diag(np.diag(R))), 'the sample must have a non-trivial direction'\n"
      "world = np.einsum('ab,b...->a...', R, np.stack([gi, gj, gk]))\n"
      "scale = np.abs(world).max()\n"
      "for n, w in zip(('gx', 'gy', 'gz'), world):\n"
      "    got = np.load(os.path.join(d, 'head_phantom_' + n + '.npy'))\n"
      "    want = w.transpose(2, 1, 0)\n"
      "    assert np.abs(got - want).max() < 1e-5 * scale, (n, np.abs(got - want).max(), scale)\n"
      "j = json.load(open(os.path.join(d, 'info.json')))[0]\n"
      "assert j['world_frame'] == 'LPS', j\n"
      "t = img.affine[:3, 3]\n"
      "assert np.allclose(j['origin'], [t[2], -t[1], -t[0]], atol=1e-3), (j['origin'], t)\n",
      shell_quote(nii) + " " + shell_quote(tmp.path().string()));
  auto text = run_cli("info " + shell_quote(nii));
  EXPECT_NE(text.out.find("world frame: LPS"), std::string::npos) << text.out;
  auto alone =
      run_cli("gradient " + shell_quote(nii) + " -o " + shell_quote(tmp.path().string()) + " --world ras");
  // An option that needs another is a bad command line whatever the file (exit 2, README).
  EXPECT_EQ(alone.exit_code, 2) << alone.err;
  EXPECT_NE(alone.err.find("--physical-frame"), std::string::npos) << alone.err;
}

// ---- item 9: third-party noise -------------------------------------------------------------------

TEST(RealFiles, GdcmNoiseBecomesOneWarningNamingTheFile) {
  // A 12-bit lossy JPEG NM file: GDCM's 8-bit JPEG codec prints "Unsupported JPEG data precision
  // 12" (three times) before its 12-bit codec decodes the file.
  const std::string dcm = kPydicomData + "JPEG-lossy.dcm";
  REQUIRE_FILE(dcm);
  TempDir tmp;
  auto r =
      run_cli("gradient " + shell_quote(dcm) + " -o " + shell_quote(tmp.path().string()) + " --format npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("gradmap: warning: '" + dcm + "': ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  auto info = run_cli("info --json " + shell_quote(dcm));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.err, "");
  std::ofstream(tmp / "info.json") << info.out;
  python_ok(
      kPydicom +
          "ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True); j = json.load(open(sys.argv[2]))[0]\n"
          "assert j['shape'] == [ds.Rows, ds.Columns], j\n"
          "assert any('precision 12' in w for w in j['warnings']), j['warnings']\n",
      shell_quote(dcm) + " " + shell_quote(tmp / "info.json"));
}

#endif  // GRADMAP_HAVE_ITK && GRADMAP_CLI

}  // namespace
