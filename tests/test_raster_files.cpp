// SPDX-License-Identifier: MIT
// Raster files as other tools write them (issue #11): multi-page and planar TIFFs from tifffile,
// EXIF-oriented JPEG/PNG/TIFF from PIL and tifffile, PNGs whose color profile libpng warns about,
// a 12-bit JPEG from a DICOM file. Each test writes its files with those libraries and compares
// gradmap's pixels with what the same libraries read (tifffile, PIL's exif_transpose, OpenCV).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gradmap/io.hpp"
#include "test_util.hpp"

using namespace gradmap_test;

// Raster reading needs the OpenCV backend; the files are driven through the CLI.
#if defined(GRADMAP_HAVE_OPENCV) && defined(GRADMAP_CLI)

namespace {

/// Runs python `script` with the temp dir as argv[1] (`d`), numpy, and `tifffile`/`PIL` imported
/// where it uses them; fails the test with the script's output when it exits non-zero.
void python_in(const TempDir& dir, const std::string& script) {
  const auto r =
      run_python("import numpy as np, sys\nd = sys.argv[1]\n" + script, shell_quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

/// Writes what gradmap read from `file` to `file`.npy, for the python side to compare.
gradmap::Image read_and_dump(const std::string& file, gradmap::ColorMode color = gradmap::ColorMode::gray) {
  gradmap::ReadOptions o;
  o.color = color;
  gradmap::Image img = gradmap::read_image(file, o);
  gradmap::write_npy(file + ".npy", img.pixels);
  return img;
}

}  // namespace

TEST(RasterFiles, MultiPageTiffReadsEveryPageAsAStack) {
  TempDir d;
  python_in(d, R"(
import tifffile
rng = np.random.default_rng(3)
with tifffile.TiffWriter(d + '/stack.tif') as w:
    for k in range(4):
        w.write(rng.standard_normal((5, 7)).astype(np.float32))
)");
  const gradmap::Image img = read_and_dump(d / "stack.tif");
  EXPECT_EQ(img.pages, 4);
  EXPECT_EQ(img.series_axes, 1);
  EXPECT_EQ(img.geometry.spacing.size(), 2u);  // 2-D geometry: the pages are not a spatial axis
  python_in(d, R"(
import tifffile
want = np.stack([p.asarray() for p in tifffile.TiffFile(d + '/stack.tif').pages]); got = np.load(d + '/stack.tif.npy')
assert want.shape == (4, 5, 7), want.shape
sys.exit(0 if got.dtype == want.dtype and got.tobytes() == want.tobytes() else 1)
)");
  // End to end: 2-D gradients per page, as numpy computes them page by page; `info` counts pages.
  auto r =
      run_cli("gradient " + shell_quote(d / "stack.tif") + " -o " + shell_quote(d / "out") + " --format npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  python_in(d, R"(
import tifffile
f = np.stack([p.asarray() for p in tifffile.TiffFile(d + '/stack.tif').pages])
gy, gx = np.gradient(f, axis=(1, 2))
ok = all(np.load(d + '/out/stack_%s.npy' % n).tobytes() == e.tobytes() for n, e in [('gy', gy), ('gx', gx)])
sys.exit(0 if ok else 1)
)");
  r = run_cli("info " + shell_quote(d / "stack.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pages:      4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(p, y, x)"), std::string::npos) << r.out;
  r = run_cli("info --json " + shell_quote(d / "stack.tif"));
  EXPECT_NE(r.out.find("\"pages\": 4"), std::string::npos) << r.out;
}

TEST(RasterFiles, TiffPagesThatDifferAreRefusedNamingThem) {
  TempDir d;
  python_in(d, R"(
import tifffile
with tifffile.TiffWriter(d + '/mixed.tif') as w:
    w.write(np.zeros((5, 7), np.float32)); w.write(np.zeros((5, 7), np.float32)); w.write(np.zeros((4, 4), np.uint8))
)");
  const auto r = run_cli("info " + shell_quote(d / "mixed.tif"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(
      r.err.find("page 1 is 7 × 5 pixels of 1 × float32, page 3 is 4 × 4 pixels of 1 × uint8 (3 pages)"),
      std::string::npos)
      << r.err;
}

TEST(RasterFiles, PlanarAndFloat64ColorTiffsAreRefusedWithTheTrueReason) {
  // OpenCV 4.6 reads a planar float32 RGB TIFF as wrong values without any error (this test checks
  // that it still does, so the refusal can be dropped when OpenCV is fixed), and fails on float64
  // color TIFFs after printing its exception to stderr.
  TempDir d;
  python_in(d, R"(
import tifffile, cv2
rng = np.random.default_rng(4)
a = rng.standard_normal((3, 5, 7))
tifffile.imwrite(d + '/planar64.tif', a, planarconfig='separate', photometric='rgb')
tifffile.imwrite(d + '/planar32.tif', a.astype(np.float32), planarconfig='separate', photometric='rgb')
tifffile.imwrite(d + '/contig64.tif', np.moveaxis(a, 0, -1), planarconfig='contig', photometric='rgb')
tifffile.imwrite(d + '/planar8.tif', (a * 40 + 128).astype(np.uint8), planarconfig='separate', photometric='rgb')
m = cv2.imread(d + '/planar32.tif', cv2.IMREAD_UNCHANGED)
assert not np.array_equal(np.moveaxis(m[..., ::-1], -1, 0), a.astype(np.float32)), 'OpenCV reads planar float32 right now'
)");
  for (const char* f : {"planar64.tif", "planar32.tif"}) {
    const auto r = run_cli("info " + shell_quote(d / f));
    EXPECT_EQ(r.exit_code, 3) << f;
    EXPECT_NE(r.err.find("planar TIFF (one plane per sample, PlanarConfiguration 2)"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("imread_"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("truncated or corrupt"), std::string::npos) << r.err;
  }
  const auto r = run_cli("info " + shell_quote(d / "contig64.tif"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot decode float64 color TIFFs"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("imread_"), std::string::npos) << r.err;
  // 8-bit planar TIFFs decode right, and are read.
  read_and_dump(d / "planar8.tif", gradmap::ColorMode::channels);
  python_in(d, R"(
import tifffile
sys.exit(0 if np.array_equal(np.load(d + '/planar8.tif.npy'), tifffile.imread(d + '/planar8.tif')) else 1)
)");
}

TEST(RasterFiles, ExifOrientationIsAppliedAsPilShowsIt) {
  // PNG (eXIf chunk, lossless) for all eight values and a gray JPEG with orientation 6 (APP1):
  // the expected pixels are PIL's ImageOps.exif_transpose. A TIFF with tag 274 = 6: tifffile's
  // stored pixels turned 90° clockwise (PIL's TIFF reader is no oracle here: its exif_transpose
  // of this file is neither the stored nor the turned picture).
  TempDir d;
  python_in(d, R"(
from PIL import Image
import tifffile
rng = np.random.default_rng(5)
a = (rng.random((6, 9)) * 255).astype(np.uint8)
for o in range(1, 9):
    ex = Image.Exif(); ex[274] = o
    Image.fromarray(a).save(d + '/o%d.png' % o, exif=ex.tobytes())
ex = Image.Exif(); ex[274] = 6
Image.fromarray(a).save(d + '/o6.jpg', exif=ex.tobytes(), quality=90)
tifffile.imwrite(d + '/o6.tif', a, extratags=[(274, 'H', 1, 6, True)])
)");
  std::string files = "[";
  for (int o = 1; o <= 8; ++o) {
    const std::string f = d / ("o" + std::to_string(o) + ".png");
    EXPECT_EQ(read_and_dump(f).orientation, o);
    files += "'o" + std::to_string(o) + ".png', ";
  }
  for (const char* f : {"o6.jpg", "o6.tif"}) {
    const gradmap::Image img = read_and_dump(d / f);
    EXPECT_EQ(img.orientation, 6) << f;
    EXPECT_EQ(img.pixels.shape(), (gradmap::Shape{9, 6})) << f;  // upright: 9 rows, 6 columns
  }
  python_in(d, "files = " + files + "'o6.jpg']\n" + R"(
from PIL import Image, ImageOps
bad = [f for f in files
       if not np.array_equal(np.load(d + '/' + f + '.npy'), np.array(ImageOps.exif_transpose(Image.open(d + '/' + f))))]
import tifffile
if not np.array_equal(np.load(d + '/o6.tif.npy'), np.rot90(tifffile.imread(d + '/o6.tif'), -1)): bad.append('o6.tif')
print(bad); sys.exit(1 if bad else 0)
)");
  // End to end: the gradient is the upright picture's, and `info` says what was applied.
  auto r =
      run_cli("gradient " + shell_quote(d / "o6.jpg") + " -o " + shell_quote(d / "out") + " --format npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  python_in(d, R"(
from PIL import Image, ImageOps
f = np.array(ImageOps.exif_transpose(Image.open(d + '/o6.jpg')))
gy, gx = np.gradient(f)
ok = all(np.load(d + '/out/o6_%s.npy' % n).tobytes() == e.tobytes() for n, e in [('gy', gy), ('gx', gx)])
sys.exit(0 if ok else 1)
)");
  r = run_cli("info " + shell_quote(d / "o6.jpg"));
  EXPECT_NE(r.out.find("orientation: 6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(9, 6)"), std::string::npos) << r.out;
}

TEST(RasterFiles, LibpngWarningsNeverReachStderr) {
  // A PNG whose iCCP chunk libpng rejects ("libpng warning: iCCP: too short", the same code path
  // as "iCCP: known incorrect sRGB profile"): OpenCV prints the warning (checked, so the test can
  // fail), gradmap reads the same pixels and prints nothing.
  TempDir d;
  python_in(d, R"(
from PIL import Image
import subprocess
a = (np.arange(5 * 6 * 3).reshape(5, 6, 3) * 3 % 256).astype(np.uint8)
Image.fromarray(a).save(d + '/iccp.png', icc_profile=b'\0' * 200)
Image.fromarray(a[..., 0]).save(d + '/iccp_gray.png', icc_profile=b'\0' * 200)
r = subprocess.run([sys.executable, '-c', 'import cv2, sys; cv2.imread(sys.argv[1], -1)', d + '/iccp.png'],
                   capture_output=True, text=True)
assert 'libpng warning: iCCP' in r.stderr, r.stderr
)");
  read_and_dump(d / "iccp.png", gradmap::ColorMode::channels);
  read_and_dump(d / "iccp_gray.png");
  python_in(d, R"(
import cv2
c = cv2.imread(d + '/iccp.png', cv2.IMREAD_UNCHANGED)
ok = np.array_equal(np.load(d + '/iccp.png.npy'), np.moveaxis(c[..., ::-1], -1, 0))
ok = ok and np.array_equal(np.load(d + '/iccp_gray.png.npy'), cv2.imread(d + '/iccp_gray.png', cv2.IMREAD_UNCHANGED))
sys.exit(0 if ok else 1)
)");
  for (const char* cmd : {"info", "edges"}) {
    const auto r = run_cli(std::string(cmd) + " " + shell_quote(d / "iccp.png") +
                           (std::string(cmd) == "edges" ? " -o " + shell_quote(d / "out") : ""));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "") << cmd;
  }
}

TEST(RasterFiles, TwelveBitJpegIsRefusedWithTheTrueReason) {
  // The JPEG stream of pydicom's JPEG-lossy.dcm (12-bit, JPEG extended), as a .jpg file.
  TempDir d;
  const auto r0 = run_python(R"(
import sys, os, pydicom
from pydicom.encaps import generate_pixel_data_frame
p = os.path.join(os.path.dirname(pydicom.__file__), 'data', 'test_files', 'JPEG-lossy.dcm')
if not os.path.exists(p): sys.exit(77)
ds = pydicom.dcmread(p)
open(sys.argv[1], 'wb').write(next(generate_pixel_data_frame(ds.PixelData)))
)",
                             shell_quote(d / "j12.jpg"));
  if (r0.exit_code == 77) GTEST_SKIP() << "pydicom's test file JPEG-lossy.dcm is not installed";
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  const auto r = run_cli("info " + shell_quote(d / "j12.jpg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("12-bit JPEG (sample precision 12 in the frame header)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("truncated or corrupt"), std::string::npos) << r.err;
}

TEST(RasterFiles, LibjpegWarningsBecomeOneGradmapWarningNamingTheFile) {
  // JPEGs from OpenCV, damaged as files in the wild are: garbage before a marker ("Corrupt JPEG
  // data: 5 extraneous bytes before marker 0xda") and a scan cut short but still ending with EOI
  // ("premature end of data segment"). OpenCV prints libjpeg's warning (checked, so the test can
  // fail); gradmap reads the same pixels and prints one warning of its own naming the file.
  TempDir d;
  python_in(d, R"(
import cv2, subprocess
y, x = np.mgrid[0:48, 0:64]
a = np.stack([x * 4, y * 5, (x + y) * 2], -1).astype(np.uint8)
ok, enc = cv2.imencode('.jpg', a, [cv2.IMWRITE_JPEG_QUALITY, 90]); b = enc.tobytes()
sos = b.index(b'\xff\xda')
open(d + '/extra.jpg', 'wb').write(b[:sos] + b'\x01\x02\x03\x04\x05' + b[sos:])
open(d + '/short.jpg', 'wb').write(b[:sos + (len(b) - sos) // 2] + b'\xff\xd9')
for f, msg in [('extra.jpg', '5 extraneous bytes before marker 0xda'), ('short.jpg', 'premature end of data segment')]:
    r = subprocess.run([sys.executable, '-c', 'import cv2, sys; cv2.imread(sys.argv[1], -1)', d + '/' + f],
                       capture_output=True, text=True)
    assert msg in r.stderr, (f, r.stderr)
)");
  for (const char* f : {"extra.jpg", "short.jpg"}) {
    read_and_dump(d / f, gradmap::ColorMode::channels);
    const std::string file = d / f;
    for (const char* cmd : {"info", "gradient"}) {
      const auto r = run_cli(std::string(cmd) + " " + shell_quote(file) +
                             (std::string(cmd) == "gradient" ? " -o " + shell_quote(d / "out") : ""));
      EXPECT_EQ(r.exit_code, 0) << r.err;
      // One line, gradmap's, naming the file and saying what libjpeg said; nothing raw.
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_EQ(r.err.rfind("gradmap: warning: '" + file + "': libjpeg: Corrupt JPEG data: ", 0), 0u)
          << r.err;
    }
  }
  python_in(d, R"(
import cv2
for f in ['extra.jpg', 'short.jpg']:
    c = cv2.imread(d + '/' + f, cv2.IMREAD_UNCHANGED)
    assert np.array_equal(np.load(d + '/' + f + '.npy'), np.moveaxis(c[..., ::-1], -1, 0)), f
)");
}

TEST(RasterFiles, JpegKindsDecodeAsOpenCvAndPilDecodeThem) {
  // gradmap decodes JPEG with libjpeg itself: gray, 4:2:0 color, progressive and CMYK files (PIL
  // writes them) must give OpenCV's pixels (and PIL's, except CMYK, which PIL leaves as CMYK).
  TempDir d;
  python_in(d, R"(
from PIL import Image
y, x = np.mgrid[0:37, 0:53]
a = np.stack([x * 4, y * 6, (x + y) * 3, 255 - x], -1).astype(np.uint8)
Image.fromarray(a[..., 0]).save(d + '/gray.jpg', quality=85)
Image.fromarray(a[..., :3]).save(d + '/color.jpg', quality=85)
Image.fromarray(a[..., :3]).save(d + '/progressive.jpg', quality=85, progressive=True)
Image.fromarray(a, 'CMYK').save(d + '/cmyk.jpg', quality=85)
)");
  for (const char* f : {"gray.jpg", "color.jpg", "progressive.jpg", "cmyk.jpg"})
    read_and_dump(d / f, gradmap::ColorMode::channels);
  python_in(d, R"(
import cv2
from PIL import Image
for f in ['gray.jpg', 'color.jpg', 'progressive.jpg', 'cmyk.jpg']:
    got = np.load(d + '/' + f + '.npy')
    c = cv2.imread(d + '/' + f, cv2.IMREAD_UNCHANGED)
    want = c if c.ndim == 2 else np.moveaxis(c[..., ::-1], -1, 0)
    assert got.dtype == np.uint8 and np.array_equal(got, want), f
    if f != 'cmyk.jpg':
        p = np.array(Image.open(d + '/' + f))
        assert np.array_equal(got, p if p.ndim == 2 else np.moveaxis(p, -1, 0)), f
)");
}

TEST(RasterFiles, ProgressiveJpegCoefficientsCountAgainstMaxMemory) {
  // A progressive JPEG keeps all its coefficients (2 bytes a sample) while decoding; libjpeg is
  // given what --max-memory leaves beside the image, and refuses cleanly beyond it.
  TempDir d;
  python_in(d, R"(
import cv2
y, x = np.mgrid[0:1920, 0:2560]
a = np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)
cv2.imwrite(d + '/prog.jpg', a, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
)");
  // The image alone: 2560 × 1920 × 7 bytes (BGR samples and float32 luminance) = 32.8 MiB.
  auto r = run_cli("info --max-memory 40M " + shell_quote(d / "prog.jpg"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("multi-scan (e.g. progressive) JPEG keeps every coefficient"), std::string::npos)
      << r.err;
  r = run_cli("info --max-memory 64M " + shell_quote(d / "prog.jpg"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

/// Python that defines png(w, h, depth, ctype, raw rows, extra chunks, zlib stream) and
/// chunk(type, body): PNG files written byte by byte, damaged where a test wants.
const char* const kPngWriter = R"(
import zlib, struct, subprocess
def chunk(t, b): return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))
def png(w, h, depth, ctype, raw, extra=b'', z=None, interlace=0):
    ihdr = struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, interlace)
    z = zlib.compress(raw) if z is None else z
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + extra + chunk(b'IDAT', z) + chunk(b'IEND', b'')
def opencv_stderr(path):
    r = subprocess.run([sys.executable, '-c', 'import cv2, sys; cv2.imread(sys.argv[1], -1)', path],
                       capture_output=True, text=True)
    return r.stderr
rows = [bytes([0]) + bytes(range(y * 8, y * 8 + 8)) for y in range(4)]
)";

TEST(RasterFiles, LibpngErrorsBecomeOneGradmapErrorNamingTheFile) {
  // PNGs damaged inside their pixel data: a row with filter type 9, a zlib stream whose Adler-32
  // is wrong, and an OpenCV PNG with one IDAT byte flipped. OpenCV prints libpng's error line
  // (checked, so the test can fail); gradmap refuses with one line of its own naming the file and
  // saying what libpng said.
  TempDir d;
  python_in(d, std::string(kPngWriter) + R"(
bad = list(rows); bad[2] = bytes([9]) + bad[2][1:]
open(d + '/filter.png', 'wb').write(png(8, 4, 8, 0, b''.join(bad)))
z = bytearray(zlib.compress(b''.join(rows))); z[-1] ^= 0xff
open(d + '/adler.png', 'wb').write(png(8, 4, 8, 0, b''.join(rows), z=bytes(z)))
import cv2
b = bytearray(cv2.imencode('.png', (np.arange(48 * 64 * 3).reshape(48, 64, 3) % 251).astype(np.uint8))[1].tobytes())
b[b.index(b'IDAT') + 40] ^= 0x55
open(d + '/flipped.png', 'wb').write(bytes(b))
for f, msg in [('filter.png', 'bad adaptive filter value'), ('adler.png', 'IDAT: incorrect data check'),
               ('flipped.png', 'libpng error: ')]:
    e = opencv_stderr(d + '/' + f)
    assert 'libpng error: ' + msg in e or msg in e, (f, e)
)");
  for (const auto& [f, msg] : {std::pair<const char*, const char*>{"filter.png", "bad adaptive filter value"},
                               {"adler.png", "IDAT: incorrect data check"},
                               {"flipped.png", ""}}) {
    const std::string file = d / f;
    const auto r = run_cli("info " + shell_quote(file));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("gradmap: error: '" + file + "': truncated or corrupt PNG: libpng: " + msg, 0), 0u)
        << r.err;
  }
}

TEST(RasterFiles, LibpngWarningsBecomeOneGradmapWarningNamingTheFile) {
  // A gray PNG whose tRNS chunk has 4 bytes instead of 2 (tRNS is the one ancillary chunk libpng
  // is still given, since it decides alpha): libpng ignores it with a warning, which OpenCV prints
  // raw (checked, so the test can fail); gradmap reads OpenCV's pixels and prints one warning of
  // its own naming the file.
  TempDir d;
  python_in(d, std::string(kPngWriter) + R"(
open(d + '/trns.png', 'wb').write(png(8, 4, 8, 0, b''.join(rows), extra=chunk(b'tRNS', b'\0\0\0\0')))
assert 'libpng warning: tRNS: invalid' in opencv_stderr(d + '/trns.png')
)");
  const std::string file = d / "trns.png";
  const gradmap::Image img = read_and_dump(file);
  EXPECT_EQ(img.warnings, std::vector<std::string>{"libpng: tRNS: invalid"});
  for (const char* cmd : {"info", "gradient"}) {
    const auto r = run_cli(std::string(cmd) + " " + shell_quote(file) +
                           (std::string(cmd) == "gradient" ? " -o " + shell_quote(d / "out") : ""));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "gradmap: warning: '" + file + "': libpng: tRNS: invalid\n");
  }
  python_in(d, R"(
import cv2
assert np.array_equal(np.load(d + '/trns.png.npy'), cv2.imread(d + '/trns.png', cv2.IMREAD_UNCHANGED))
)");
}

TEST(RasterFiles, PngKindsDecodeAsOpenCvDecodesThem) {
  // gradmap decodes PNG with libpng itself: every color type and bit depth (1, 2, 4-bit gray
  // expanded; 16-bit kept), palettes with and without tRNS, gray and RGB color keys, interlaced
  // files. gradmap's pixels must be OpenCV's: gray as is, gray + alpha its gray, color as R, G, B
  // planes (alpha dropped). 16-bit gray + alpha is refused (OpenCV byte-swaps it) elsewhere.
  TempDir d;
  python_in(d, std::string(kPngWriter) + R"(
import cv2
w, h = 13, 7
rng = np.random.default_rng(11)
def rows_of(a, depth):
    a = a.reshape(h, -1)
    if depth < 8:
        per = 8 // depth
        a = np.pad(a, ((0, 0), (0, (-a.shape[1]) % per)))
        a = (a.reshape(h, -1, per) << (depth * np.arange(per - 1, -1, -1))).sum(-1).astype(np.uint8)
    elif depth == 16:
        a = a.astype('>u2').view(np.uint8).reshape(h, -1)
    return b''.join(b'\0' + r.tobytes() for r in a.astype(np.uint8))
files = {}
for depth in [1, 2, 4, 8, 16]:
    files['gray%d.png' % depth] = (0, depth, rng.integers(0, 2 ** depth, (h, w)), b'')
for depth in [8, 16]:
    files['rgb%d.png' % depth] = (2, depth, rng.integers(0, 2 ** depth, (h, w, 3)), b'')
    files['rgba%d.png' % depth] = (6, depth, rng.integers(0, 2 ** depth, (h, w, 4)), b'')
files['graya8.png'] = (4, 8, rng.integers(0, 256, (h, w, 2)), b'')
pal = rng.integers(0, 256, (16, 3)).astype(np.uint8).tobytes()
files['palette4.png'] = (3, 4, rng.integers(0, 16, (h, w)), chunk(b'PLTE', pal))
files['palette8.png'] = (3, 8, rng.integers(0, 16, (h, w)), chunk(b'PLTE', pal))
files['palette8_trns.png'] = (3, 8, rng.integers(0, 16, (h, w)), chunk(b'PLTE', pal) + chunk(b'tRNS', bytes(range(0, 160, 20))))
g = rng.integers(0, 4, (h, w))
files['gray8_key.png'] = (0, 8, g, chunk(b'tRNS', b'\0\2'))
c = rng.integers(0, 3, (h, w, 3))
files['rgb8_key.png'] = (2, 8, c, chunk(b'tRNS', b'\0\1\0\2\0\1'))
for f, (ctype, depth, a, extra) in files.items():
    open(d + '/' + f, 'wb').write(png(w, h, depth, ctype, rows_of(a, depth), extra=extra))
a = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
raw = b''.join(b'\0' + r.tobytes() for x0, y0, dx, dy in adam7 if a[y0::dy, x0::dx].size for r in a[y0::dy, x0::dx])
open(d + '/interlaced.png', 'wb').write(png(w, h, 8, 2, raw, interlace=1))
names = sorted(files) + ['interlaced.png']
open(d + '/names.txt', 'w').write('\n'.join(names))
for f in names:
    assert cv2.imread(d + '/' + f, cv2.IMREAD_UNCHANGED) is not None, f
)");
  std::ifstream names(d / "names.txt");
  std::string f;
  int n = 0;
  while (std::getline(names, f)) {
    const gradmap::Image img = read_and_dump(d / f, gradmap::ColorMode::channels);
    EXPECT_TRUE(img.warnings.empty()) << f;
    ++n;
  }
  EXPECT_EQ(n, 16);
  python_in(d, R"(
import cv2
for f in open(d + '/names.txt').read().split():
    got = np.load(d + '/' + f + '.npy')
    c = cv2.imread(d + '/' + f, cv2.IMREAD_UNCHANGED)
    want = c if c.ndim == 2 else c[..., 0] if f.startswith('graya') else np.moveaxis(c[..., 2::-1], -1, 0)
    assert got.dtype == c.dtype and np.array_equal(got, want), (f, got.dtype, c.dtype, got, want)
)");
}

TEST(RasterFiles, TiffOutputsOfStacksAreRefusedBeforeAnythingIsWritten) {
  // A TIFF output holds one 2-D image: pages of a multi-page TIFF (tifffile) and the channels of a
  // color PNG (--color channels) are refused with exit 2, naming the input and the formats that
  // work, and nothing is written; a single gray page still gives float32 TIFFs tifffile reads as
  // numpy's gradient.
  TempDir d;
  python_in(d, R"(
import tifffile
from PIL import Image
rng = np.random.default_rng(4)
tifffile.imwrite(d + '/stack.tif', rng.standard_normal((3, 6, 7)).astype(np.float32), photometric='minisblack')
tifffile.imwrite(d + '/page.tif', rng.standard_normal((6, 7)).astype(np.float32))
Image.fromarray(rng.integers(0, 255, (6, 7, 3), dtype=np.uint8)).save(d + '/rgb.png')
)");
  for (const std::string args : {"stack.tif", "rgb.png --color channels"}) {
    const auto r = run_cli("gradient " + shell_quote(d / "") + args + " -o " + shell_quote(d / "out") +
                           " --format tiff");
    EXPECT_EQ(r.exit_code, 2) << args << r.err;
    EXPECT_NE(r.err.find("--format tiff writes one 2-D image per file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--format npy or nii"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(d / "out")) << args;
  }
  const auto r =
      run_cli("gradient " + shell_quote(d / "page.tif") + " -o " + shell_quote(d / "out") + " --format tiff");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  python_in(d, R"(
import tifffile
gy, gx = np.gradient(tifffile.imread(d + '/page.tif'))
ok = all(np.array_equal(tifffile.imread(d + '/out/page_%s.tiff' % n), g) for n, g in (('gy', gy), ('gx', gx)))
sys.exit(0 if ok else 1)
)");
}

TEST(RasterFiles, BatchWritesOnePicturePerPageAndSkipsThemWhenDone) {
  // Display maps of a page stack are one file per page (p0, p1, ...); --skip-existing must know
  // those names, so a TIFF's outputs are planned from the file, not predicted from its extension.
  TempDir d;
  python_in(d, R"(
import tifffile, os
os.mkdir(d + '/in')
with tifffile.TiffWriter(d + '/in/s.tif') as w:
    for k in range(3):
        w.write((np.arange(30).reshape(5, 6) * (k + 1)).astype(np.uint16))
)");
  auto r = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"s_p0_mag.png", "s_p1_mag.png", "s_p2_mag.png", "s_p0_dir.png", "s_p2_dir.png"})
    EXPECT_TRUE(std::filesystem::exists(d / ("out/" + std::string(f)))) << f;
  r = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") + " --skip-existing");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("0 ok, 0 failed, 1 skipped of 1"), std::string::npos) << r.out << r.err;
}
#endif
