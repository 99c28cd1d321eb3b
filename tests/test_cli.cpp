// SPDX-License-Identifier: MIT
// The command line end to end on real files: results equal numpy's, errors give their documented
// exit codes with the file named, and nothing partial is ever written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_files.hpp"
#include "test_util.hpp"

using namespace gradmap_test;
namespace fs = std::filesystem;

namespace {

/// Files in `dir`, hidden temporaries included.
std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Runs python `check` with the temp dir as argv[1]; the script exits non-zero on a mismatch.
void expect_python(const TempDir& dir, const std::string& check) {
  const auto r =
      run_python("import numpy as np, sys\nd = sys.argv[1]\n" + check, shell_quote(dir.path().string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace

TEST(Cli, GradientEqualsNumpyBitForBit) {
  TempDir d;
  make_npy(d / "f.npy", "rng.standard_normal((20, 30)).astype(np.float32)");
  auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out") +
                   " --axis=-1 --spacing=-0.5 --edge-order 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(d / "out"), std::vector<std::string>{"f_gx.npy"});
  expect_python(d, R"(
f = np.load(d + '/f.npy'); g = np.load(d + '/out/f_gx.npy')
e = np.gradient(f, -0.5, axis=-1, edge_order=2)
sys.exit(0 if g.dtype == e.dtype and g.tobytes() == e.tobytes() else 1)
)");
}

TEST(Cli, NamedSpacingAndCoordinatesMatchNumpy) {
  TempDir d;
  make_npy(d / "v.npy", "rng.integers(0, 4000, (5, 6, 7)).astype(np.int16)");
  make_npy(d / "zs.npy", "np.array([0.0, 1.0, 2.5, 4.5, 7.0])");
  std::ofstream(d / "xs.txt") << "# x positions\n0\n0.5\n1.5\n2\n3\n3.25\n4\n";
  auto r = run_cli("gradient " + shell_quote(d / "v.npy") + " -o " + shell_quote(d / "out") +
                   " --spacing y=0.7 --coords z=" + shell_quote(d / "zs.npy") +
                   " --coords x=" + shell_quote(d / "xs.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(d / "out"), (std::vector<std::string>{"v_gx.npy", "v_gy.npy", "v_gz.npy"}));
  expect_python(d, R"(
v = np.load(d + '/v.npy'); zs = np.load(d + '/zs.npy'); xs = np.loadtxt(d + '/xs.txt')
gz, gy, gx = np.gradient(v, zs, 0.7, xs)
ok = all(np.load(d + f'/out/v_{n}.npy').tobytes() == e.tobytes() for n, e in [('gz', gz), ('gy', gy), ('gx', gx)])
sys.exit(0 if ok else 1)
)");
}

// issue #11 item 3: a float32 (or float16) coordinate file is differenced in its own dtype, as
// numpy does: positions around 4096 with steps of a few hundredths lose digits in float32, so
// float64 differences would be off by up to 1e-2 relative (the test checks they would differ).
TEST(Cli, CoordinatesKeepTheirNpyDtype) {
  TempDir d;
  make_npy(d / "f.npy", "rng.standard_normal((6, 40)).astype(np.float32)");
  make_npy(d / "xs32.npy", "(4096 + np.cumsum(rng.uniform(0.01, 0.07, 40))).astype(np.float32)");
  make_npy(d / "ys16.npy", "np.array([0, 0.5, 1.5, 1.75, 3, 3.125], np.float16)");
  auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out") +
                   " --coords x=" + shell_quote(d / "xs32.npy") +
                   " --coords y=" + shell_quote(d / "ys16.npy") + " --edge-order 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_python(d, R"(
f = np.load(d + '/f.npy'); xs = np.load(d + '/xs32.npy'); ys = np.load(d + '/ys16.npy')
gy, gx = np.gradient(f, ys, xs, edge_order=2)
gy64, gx64 = np.gradient(f, ys.astype(np.float64), xs.astype(np.float64), edge_order=2)
assert gx.tobytes() != gx64.tobytes() and gy.tobytes() != gy64.tobytes(), 'the case cannot tell the dtypes apart'
ok = all(np.load(d + f'/out/f_{n}.npy').tobytes() == e.tobytes() for n, e in [('gy', gy), ('gx', gx)])
sys.exit(0 if ok else 1)
)");
}

TEST(Cli, EdgesFloatOutputsEqualTheLibraryPipeline) {
  TempDir d;
  make_npy(d / "img.npy", "(rng.random((64, 48)) * 255).astype(np.uint8)");
  auto r =
      run_cli("edges " + shell_quote(d / "img.npy") + " -o " + shell_quote(d / "out") + " --dtype float32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(d / "out"), (std::vector<std::string>{"img_dir.npy", "img_mag.npy"}));
  expect_python(d, R"(
f = np.load(d + '/img.npy'); gy, gx = np.gradient(f)
mag = np.load(d + '/out/img_mag.npy'); ang = np.load(d + '/out/img_dir.npy')
ok = mag.dtype == np.float32 and np.array_equal(mag, np.hypot(gy, gx).astype(np.float32))
ok = ok and np.max(np.abs(ang - np.arctan2(gy, gx).astype(np.float32))) <= 4.8e-7
sys.exit(0 if ok else 1)
)");
}

TEST(Cli, MissingInputExitsWith3AndNamesTheFile) {
  TempDir d;
  auto r = run_cli("gradient " + shell_quote(d / "nope.npy") + " -o " + shell_quote(d / "out"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nope.npy"), std::string::npos) << r.err;
  EXPECT_TRUE(listing(d / "out").empty());
}

TEST(Cli, InvalidRequestsExitWith4OrBadValues2AndWriteNothing) {
  TempDir d;
  make_npy(d / "f.npy", "np.arange(12.0).reshape(3, 4)");
  make_npy(d / "c2.npy", "np.zeros((2, 4))");
  make_npy(d / "c5.npy", "np.arange(5.0)");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--edge-order 2 --axis 0 --spacing 1 --coords 0=" + shell_quote(d / "c5.npy"), "5 coordinates"},
      {"--spacing 1,2,3", "--spacing has 3 values but 2 axes"},
      {"--spacing 0", "finite and non-zero"},
      {"--axis 2", "does not exist"},
  };
  for (const auto& [flags, message] : cases) {
    auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out") + " " + flags);
    EXPECT_EQ(r.exit_code, 4) << flags << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << flags << "\n" << r.err;
    EXPECT_TRUE(listing(d / "out").empty()) << flags;
  }
  // Values wrong whatever the image are bad command lines (exit 2), found before any file is read.
  for (const auto& [flags, message] : std::vector<std::pair<std::string, std::string>>{
           {"--coords x=" + shell_quote(d / "c2.npy"), "must be a 1-D array"},
           {"--axis x,x", "given twice"}}) {
    auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out") + " " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << flags << "\n" << r.err;
    EXPECT_TRUE(listing(d / "out").empty()) << flags;
  }
  make_npy(d / "short.npy", "np.arange(2.0)");
  auto r = run_cli("gradient " + shell_quote(d / "short.npy") + " -o " + shell_quote(d / "out") +
                   " --edge-order 2");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("at least (edge_order + 1) elements are required"), std::string::npos) << r.err;
}

TEST(Cli, UnwritableOutputExitsWith5) {
  TempDir d;
  make_npy(d / "f.npy", "np.arange(12.0).reshape(3, 4)");
  std::ofstream(d / "file") << "not a directory";
  auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "file"));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("file"), std::string::npos);
}

TEST(Cli, NeverOverwritesItsInput) {
  TempDir d;
  make_npy(d / "f_gx.npy", "np.arange(12.0).reshape(3, 4)");
  fs::copy_file(d / "f_gx.npy", d / "f.npy");
  // The output of f.npy along x would be f_gx.npy in the same folder: not the input, so allowed;
  // f_gx.npy's own output f_gx_gx.npy is fine too; but writing into the input itself is refused.
  auto r = run_cli("gradient " + shell_quote(d / "f_gx.npy") + " -o " + shell_quote(d.path().string()) +
                   " --axis x");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto before = listing(d.path().string());
  EXPECT_EQ(before, (std::vector<std::string>{"f.npy", "f_gx.npy", "f_gx_gx.npy"}));
}

TEST(Cli, VersionAndHelp) {
  auto v = run_cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("gradmap 0."), std::string::npos) << v.out;
  auto h = run_cli("edges --help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* flag : {"--spacing", "--axis", "--edge-order", "--normalize", "--angle-units", "--y-up",
                           "--compass", "--orientation", "--overview", "--dir-style", "Examples"})
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag;
  auto bad = run_cli("gradient --no-such-flag x.npy -o out");
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(Cli, NegativeNumbersParseAsValues) {
  TempDir d;
  make_npy(d / "f.npy", "rng.standard_normal((4, 5))");
  auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out") +
                   " --axis=-2 --spacing=-2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_python(d, R"(
f = np.load(d + '/f.npy'); g = np.load(d + '/out/f_gy.npy')
sys.exit(0 if g.tobytes() == np.gradient(f, -2.0, axis=-2).tobytes() else 1)
)");
}

#ifdef GRADMAP_HAVE_ITK
TEST(Cli, VolumeGradientUsesHeaderSpacingAndKeepsGeometry) {
  TempDir d;
  const std::string vol = source_path("sample_images/head_phantom.nii.gz");
  auto r = run_cli("gradient " + shell_quote(vol) + " -o " + shell_quote(d / "out") + " --axis z");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto check = run_python(R"(
import sys, numpy as np, nibabel as nib
src = nib.load(sys.argv[1]); out = nib.load(sys.argv[2] + '/out/head_phantom_gz.nii.gz')
data = np.asarray(src.dataobj)            # nibabel: (x, y, z)
zooms = src.header.get_zooms()
expect = np.gradient(data, zooms[2], axis=2)
got = np.asarray(out.dataobj)
ok = np.allclose(got, expect.astype(got.dtype), rtol=0, atol=1e-6 * np.abs(expect).max())
ok = ok and np.allclose(out.affine, src.affine) and np.allclose(out.header.get_zooms()[:3], zooms[:3])
print(got.dtype, got.shape, zooms)
sys.exit(0 if ok else 1)
)",
                                shell_quote(vol) + " " + shell_quote(d.path().string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}
#endif

#ifdef GRADMAP_HAVE_ITK
TEST(Cli, SlicesDifferentiateOnlyWithinEachSlice) {
  TempDir d;
  const std::string vol = source_path("sample_images/head_phantom.nii.gz");
  auto r =
      run_cli("gradient " + shell_quote(vol) + " -o " + shell_quote(d / "out") + " --slices --format npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(d / "out"), (std::vector<std::string>{"head_phantom_gx.npy", "head_phantom_gy.npy"}));
  const auto check = run_python(R"(
import sys, numpy as np, nibabel as nib
src = nib.load(sys.argv[1]); d = sys.argv[2]
v = np.asarray(src.dataobj).transpose(2, 1, 0)      # nibabel (x, y, z) -> numpy (z, y, x)
zx, zy, zz = src.header.get_zooms()[:3]
gy, gx = np.gradient(v, np.float32(zy), np.float32(zx), axis=(1, 2))
ok = np.array_equal(np.load(d + '/out/head_phantom_gy.npy'), gy) and np.array_equal(np.load(d + '/out/head_phantom_gx.npy'), gx)
sys.exit(0 if ok else 1)
)",
                                shell_quote(vol) + " " + shell_quote(d.path().string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(Cli, PhysicalFrameRotatesButKeepsTheMagnitude) {
  TempDir d;
  const std::string vol = source_path("sample_images/head_phantom.nii.gz");
  auto a = run_cli("gradient " + shell_quote(vol) + " -o " + shell_quote(d / "index") + " --format npy");
  auto b = run_cli("gradient " + shell_quote(vol) + " -o " + shell_quote(d / "world") +
                   " --format npy --physical-frame");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto check = run_python(R"(
import sys, numpy as np, nibabel as nib
src = nib.load(sys.argv[1]); d = sys.argv[2]
gi = np.stack([np.load(f'{d}/index/head_phantom_{c}.npy') for c in ('gz', 'gy', 'gx')]).astype(np.float64)
gw = np.stack([np.load(f'{d}/world/head_phantom_{c}.npy') for c in ('gz', 'gy', 'gx')]).astype(np.float64)
# numpy-order direction: nibabel's affine columns divided by the zooms, in (x, y, z) world/index order,
# reversed on both axes; then ITK's LPS frame flips x and y of nibabel's RAS.
A = src.affine[:3, :3] / np.array(src.header.get_zooms()[:3])
D = (np.diag([-1, -1, 1]) @ A)[::-1, ::-1]
expect = np.einsum('ij,j...->i...', D, gi)
ok = np.allclose(gw, expect, atol=1e-3 * np.abs(gi).max())
ok = ok and np.allclose(np.linalg.norm(gw, axis=0), np.linalg.norm(gi, axis=0), atol=1e-3 * np.abs(gi).max())
ok = ok and not np.allclose(gw, gi)
sys.exit(0 if ok else 1)
)",
                                shell_quote(vol) + " " + shell_quote(d.path().string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto bad =
      run_cli("gradient " + shell_quote(vol) + " -o " + shell_quote(d / "x") + " --physical-frame --axis x");
  EXPECT_EQ(bad.exit_code, 4);
}
#endif

#ifdef GRADMAP_HAVE_OPENCV
TEST(Cli, PngCompressionTradesSizeNotPixels) {
  TempDir d;
  const std::string img = source_path("sample_images/ascent_gray.png");
  for (const char* level : {"0", "9"}) {
    auto r = run_cli("edges " + shell_quote(img) + " -o " + shell_quote(d / level) +
                     " -q --png-compression " + level);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_GT(fs::file_size(d / "0/ascent_gray_mag.png"), fs::file_size(d / "9/ascent_gray_mag.png"));
  const auto same = run_python(R"(
import sys, cv2, numpy as np
a = cv2.imread(sys.argv[1] + '/0/ascent_gray_mag.png', cv2.IMREAD_UNCHANGED)
b = cv2.imread(sys.argv[1] + '/9/ascent_gray_mag.png', cv2.IMREAD_UNCHANGED)
sys.exit(0 if a is not None and np.array_equal(a, b) else 1)
)",
                               shell_quote(d.path().string()));
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(run_cli("edges " + shell_quote(img) + " -o " + shell_quote(d / "x") + " --png-compression 10")
                .exit_code,
            2);
}
#endif

// OpenCV's imgcodecs (about 140 shared libraries, 0.12 s to load) and ITK with GDCM (0.04 s) are
// loaded by the CLI only for a file that needs them (lib/src/core/module.hpp): a PNG or a .npy run
// never maps them; a TIFF run loads gradmap_imgcodecs.so, a NIfTI run gradmap_itk.so, from
// ../lib/gradmap beside the executable; without its module such a file fails with the input exit
// code and a message naming the module and where it was looked for, and no other file is affected.
TEST(Cli, CodecModulesAreLoadedOnlyForFilesThatNeedThem) {
  const auto ldd = run_command(std::string("ldd ") + shell_quote(GRADMAP_CLI));
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  for (const char* lib : {"libopencv_imgcodecs", "libITKCommon", "libgdcm"})
    EXPECT_EQ(ldd.out.find(lib), std::string::npos) << lib << " in\n" << ldd.out;
  if (ldd.out.find("libgradmap") != std::string::npos)
    GTEST_SKIP() << "shared build: the copied CLI needs its libraries";

  TempDir d;
  fs::create_directories(d / "bin");
  fs::copy_file(GRADMAP_CLI, d / "bin/gradmap");
  const std::string cli = shell_quote(d / "bin/gradmap");
  make_npy(d / "f.npy", "rng.random((6, 7)).astype(np.float32)");
  int runs = 0;
  // The run's result and every library the dynamic loader opened (LD_DEBUG's log).
  auto run_logged = [&](const std::string& args) {
    const std::string log = "ld" + std::to_string(runs++);
    const auto r =
        run_command("LD_DEBUG=files LD_DEBUG_OUTPUT=" + shell_quote(d / log) + " " + cli + " " + args);
    std::string opened;
    for (const auto& e : fs::directory_iterator(d.path()))
      if (e.path().filename().string().rfind(log + ".", 0) == 0) opened += slurp(e.path());
    return std::make_pair(r, opened);
  };
  const std::string png = shell_quote(source_path("sample_images/ascent_gray.png"));
  const std::string tiff = shell_quote(source_path("sample_images/linear_ramp_2d.tif"));
  const std::string nifti = shell_quote(source_path("sample_images/head_phantom.nii.gz"));

  for (const std::string& input : {png, shell_quote(d / "f.npy")}) {
    const auto [r, opened] = run_logged("edges " + input + " -o " + shell_quote(d / "out"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(opened.find("libopencv_core"), std::string::npos) << "LD_DEBUG logged nothing?";
    for (const char* lib : {"libopencv_imgcodecs", "libITKCommon", "libgdcm"})
      EXPECT_EQ(opened.find(lib), std::string::npos) << lib << " opened for " << input;
  }

  struct Case {
    std::string input, module, stem;
    const char* library;  // opened with the module
  };
  for (const Case& c : {Case{tiff, "gradmap_imgcodecs.so", "linear_ramp_2d", "libopencv_imgcodecs"},
                        Case{nifti, "gradmap_itk.so", "head_phantom", "libITKCommon"}}) {
    const auto missing = run_command(cli + " info " + c.input);
    EXPECT_EQ(missing.exit_code, 3) << missing.err;
    EXPECT_NE(missing.err.find(c.stem), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find(d / ("bin/../lib/gradmap/" + c.module)), std::string::npos) << missing.err;

    fs::create_directories(d / "lib/gradmap");
    fs::copy_file(fs::path(GRADMAP_CLI).parent_path() / "../lib/gradmap" / c.module,
                  d / ("lib/gradmap/" + c.module));
    const auto [r, opened] =
        run_logged("gradient " + c.input + " -o " + shell_quote(d / "mod_out") + " --format npy");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(opened.find(c.library), std::string::npos) << c.module;
    const auto ref = run_cli("gradient " + c.input + " -o " + shell_quote(d / "ref") + " --format npy");
    ASSERT_EQ(ref.exit_code, 0) << ref.err;
    const auto got = tree(d.path() / "mod_out"), want = tree(d.path() / "ref");
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(got, want) << c.module;
  }
}

// .npy outputs of whole products are written as they are computed, block of axis-0 rows by block
// (file_job.cpp, streamed_dtype): `gradmap edges` and `gradmap gradient` on a 4096 x 1024 float32
// array (16 MiB) peak at less than the input + 12 MiB above the same run on a tiny array (both on two
// CPUs), where
// holding the two 16 MiB outputs would need 32 MiB more; the outputs are numpy's.
TEST(Cli, NpyOutputsAreWrittenAsTheyAreComputedWithoutHoldingThem) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory and quarantine are what the peak would measure";
#endif
  TempDir d;
  make_npy(d / "big.npy", "rng.standard_normal((4096, 1024)).astype(np.float32)");
  make_npy(d / "small.npy", "rng.standard_normal((8, 8)).astype(np.float32)");
  const std::string script = R"(
cli = sys.argv[2]
# GNU time reports the CLI's own peak: a child's maxrss also counts the memory of the process it was
# forked from until its exec, and from Python (tens of MiB) that would hide the figure measured.
# Two CPUs, as on the project's machine: the worker threads' stacks and scratch tiles count in the
# peak, and a CI host with dozens of cores would add some per core.
cpus = set(sorted(os.sched_getaffinity(0))[:2])
def peak(args):
    p = subprocess.run(['/usr/bin/time', '-f', '%M', cli] + args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    assert p.returncode == 0, (args, p.stderr)
    return int(p.stderr.split()[-1]) * 1024
MiB = 1 << 20
for command, names in (('edges', ('mag', 'dir')), ('gradient', ('gy', 'gx'))):
    base = peak([command, d + '/small.npy', '-o', d + '/small_' + command, '--format', 'npy'])
    big = peak([command, d + '/big.npy', '-o', d + '/big_' + command, '--format', 'npy'])
    print(command, 'peak above the tiny run:', (big - base) / MiB, 'MiB')
    assert big - base < 16 * MiB + 12 * MiB, (command, (big - base) / MiB)
f = np.load(d + '/big.npy')
gy, gx = np.gradient(f)
for name, want in (('gy', gy), ('gx', gx), ('mag', np.hypot(gy, gx))):
    folder = d + ('/big_edges/' if name == 'mag' else '/big_gradient/')
    got = np.load(folder + 'big_' + name + '.npy')
    assert got.dtype == want.dtype and np.array_equal(got, want), name
direction = np.load(d + '/big_edges/big_dir.npy')
ulp = np.spacing(np.abs(np.arctan2(gy, gx)).astype(np.float32))
assert (np.abs(direction.astype(np.float64) - np.arctan2(gy.astype(np.float64), gx.astype(np.float64))) <= 2 * ulp).all()
)";
  const auto r = run_python("import numpy as np, os, subprocess, sys\nd = sys.argv[1]\n" + script,
                            shell_quote(d.path().string()) + " " + shell_quote(GRADMAP_CLI));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Ctrl-C (or SIGTERM) during a single-file command stops it at once with 130 (143), and the hidden
// temporary of a streamed .npy output, which exists for the whole computation, is removed: nothing
// partial stays in the output folder.
TEST(Cli, InterruptedRunLeavesNoTemporaries) {
  TempDir d;
  make_npy(d / "big.npy", "rng.standard_normal((4000, 4000))");
  const std::string script = R"(
import signal, time
for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
    out = os.path.join(d, 'out_%d' % code)
    os.mkdir(out)
    p = subprocess.Popen([sys.argv[2], 'edges', d + '/big.npy', '-o', out, '--format', 'npy', '-q'],
                         stderr=subprocess.PIPE)
    t0 = time.time()
    while not any(n.startswith('.') for n in os.listdir(out)):  # a temporary exists: mid-write
        assert p.poll() is None and time.time() - t0 < 60, 'no temporary seen'
        time.sleep(0.001)
    p.send_signal(sig)
    err = p.communicate()[1].decode()
    assert p.returncode == code, (p.returncode, err)
    assert 'interrupted' in err, err
    left = os.listdir(out)
    assert not any(n.startswith('.') for n in left), left
)";
  const auto r = run_python("import numpy as np, os, subprocess, sys\nd = sys.argv[1]\n" + script,
                            shell_quote(d.path().string()) + " " + shell_quote(GRADMAP_CLI));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}
