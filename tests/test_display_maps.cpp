// SPDX-License-Identifier: MIT
// Display maps that say what they are (issue #12): the scaling a map was made with travels in the
// file (PNG tEXt, JPEG comment) and a reader recovers the values from it; writer settings live in
// WriteOptions; the overview picture honours the display options. The oracle is Python: PIL reads
// the text chunks, numpy inverts the levels and compares with the float values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "gradmap/edges.hpp"
#include "gradmap/error.hpp"
#include "gradmap/io.hpp"
#include "gradmap/overview.hpp"
#include "gradmap/render.hpp"
#include "test_util.hpp"

namespace {

using namespace gradmap;
using gradmap_test::run_python;
using gradmap_test::shell_quote;
using gradmap_test::TempDir;

/// A heavy-tailed float32 field (Cauchy, like the magnitudes of a photo) with NaNs, made by numpy.
Array heavy_tailed(const TempDir& tmp, bool with_sign) {
  const std::string path = tmp / "values.npy";
  const auto r = run_python(
      "import sys, numpy as np\n"
      "rng = np.random.default_rng(12)\n"
      "v = rng.standard_cauchy((61, 83)).astype(np.float32)\n"
      "v = v if sys.argv[2] == 'signed' else np.abs(v)\n"
      "v[3, 5] = np.nan; v[40, 1] = np.nan\n"
      "np.save(sys.argv[1], v)\n",
      shell_quote(path) + (with_sign ? " signed" : " unsigned"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return read_npy(path);
}

/// The Python check shared by the PNG tests: for each `name`, reads name.png with PIL and its text,
/// inverts the levels (for RGB: the brightness V = max(R, G, B)) with value_at_0, value_at_max and
/// max_level, and compares with `values_file`: unclipped values within half a level (plus a
/// rounding allowance), values above value_at_max at max_level, below value_at_0 and NaN at 0.
const char* kInvertScript = R"(
import sys, os, numpy as np
from PIL import Image
d, values_file, names = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
v = np.load(values_file).astype(np.float64)
bad = []
for n in names:
    im = Image.open(os.path.join(d, n + '.png'))
    t = im.text
    need = ['gradmap:quantity', 'gradmap:value_at_0', 'gradmap:value_at_max', 'gradmap:max_level',
            'gradmap:normalize', 'gradmap:mapping']
    missing = [k for k in need if k not in t]
    if missing: bad.append('%s: missing %s in %s' % (n, missing, t)); continue
    p = np.array(im).astype(np.float64)
    if p.ndim == 3: p = p.max(axis=2)
    lo, hi, top = float(t['gradmap:value_at_0']), float(t['gradmap:value_at_max']), float(t['gradmap:max_level'])
    if p.max() > top: bad.append('%s: level %g above max_level %g' % (n, p.max(), top))
    got = lo + p / top * (hi - lo)
    step = (hi - lo) / top
    ok = np.isfinite(v) & (v >= lo) & (v <= hi)
    err = np.abs(got[ok] - v[ok]).max(initial=0)
    if err > step / 2 * (1 + 1e-6) + 1e-12: bad.append('%s: max error %g > half a step %g' % (n, err, step / 2))
    if not (p[np.isfinite(v) & (v > hi)] == top).all(): bad.append(n + ': values above value_at_max not at max_level')
    if not (p[np.isfinite(v) & (v < lo)] == 0).all(): bad.append(n + ': values below value_at_0 not at 0')
    if not (p[np.isnan(v)] == 0).all(): bad.append(n + ': NaN not at level 0')
    print(n, t['gradmap:normalize'], 'lo', lo, 'hi', hi, 'clipped', int((np.isfinite(v) & ((v > hi) | (v < lo))).sum()),
          'max error', err, 'step', step)
print('\n'.join(bad)); sys.exit(1 if bad else 0)
)";

std::string joined(const std::vector<std::string>& names) {
  std::string all;
  for (const auto& s : names) all += (all.empty() ? "" : ",") + s;
  return all;
}

Image gray_image(const Array& levels) {
  Image img;
  img.pixels = levels;
  img.geometry = default_geometry(2);
  img.rgb = levels.rank() == 3;
  return img;
}

#ifdef GRADMAP_HAVE_OPENCV

TEST(DisplayMaps, PngTextRecordsTheScalingSoTheValuesCanBeRecovered) {
  struct Case {
    const char* normalize;
    int bits;
    bool signed_data;
  };
  const Case cases[] = {
      {"minmax", 8, false},         {"percentile:99", 8, false}, {"percentile:99.5", 16, false},
      {"fixed:3", 8, false},        {"none", 8, false},          {"minmax", 16, true},
      {"percentile:99.9", 8, true}, {"fixed:2", 16, true},       {"none", 8, true}};
  for (bool signed_data : {false, true}) {
    TempDir sub;
    const Array values = heavy_tailed(sub, signed_data);
    std::vector<std::string> names;
    for (const Case& c : cases) {
      if (c.signed_data != signed_data) continue;
      DisplayOptions o;
      o.normalization = Normalization::parse(c.normalize);
      o.bit_depth = c.bits;
      DisplayScale scale;
      const Array levels = display_map(values, o, signed_data, &scale);
      EXPECT_EQ(scale.bit_depth, c.bits);
      EXPECT_EQ(scale.normalization.to_string(), c.normalize);
      WriteOptions w;
      w.text = display_text(scale, signed_data ? "gx" : "magnitude", "intensity/px");
      const std::string name = "m" + std::to_string(names.size());
      write_image(sub / (name + ".png"), gray_image(levels), w);
      names.push_back(name);
    }
    const auto r = run_python(kInvertScript, shell_quote(sub.path().string()) + " " +
                                                 shell_quote(sub / "values.npy") + " " + joined(names));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
}

TEST(DisplayMaps, DirectionPicturesRecordTheirScaling) {
  TempDir tmp;
  // A field whose direction covers the circle and whose magnitude is heavy-tailed.
  const auto r0 = run_python(
      "import sys, numpy as np\n"
      "rng = np.random.default_rng(5)\n"
      "gy = rng.standard_cauchy((50, 70)).astype(np.float32); gx = rng.standard_cauchy((50, "
      "70)).astype(np.float32)\n"
      "np.save(sys.argv[1] + '/mag.npy', np.hypot(gy, gx)); np.save(sys.argv[1] + '/dir.npy', np.arctan2(gy, "
      "gx))\n",
      shell_quote(tmp.path().string()));
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  const Array mag = read_npy(tmp / "mag.npy");
  const Array dir = read_npy(tmp / "dir.npy");
  const auto [lo, hi] = angle_interval(AngleOptions{});
  DisplayOptions o;
  o.normalization = Normalization::parse("percentile:99");
  DisplayScale hsv_scale, gray_scale;
  const Array hsv = direction_hsv(dir, mag, o, hi - lo, &hsv_scale);
  const Array gray = direction_gray(dir, lo, hi, 16, &gray_scale);
  EXPECT_EQ(hsv_scale.hue_period, hi - lo);
  WriteOptions w;
  w.text = display_text(hsv_scale, "direction", "rad");
  write_image(tmp / "hsv.png", gray_image(hsv), w);
  w.text = display_text(gray_scale, "direction", "rad");
  write_image(tmp / "gray.png", gray_image(gray), w);
  // The HSV brightness inverts to the magnitude; the gray levels invert to the angle.
  auto r = run_python(kInvertScript,
                      shell_quote(tmp.path().string()) + " " + shell_quote(tmp / "mag.npy") + " hsv");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_python(kInvertScript,
                 shell_quote(tmp.path().string()) + " " + shell_quote(tmp / "dir.npy") + " gray");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The hue: its period is in the file and the hue of each pixel gives the angle back, to the
  // rounding of the channels (1/255 of V over a sector of 1/6 turn; V > 0.2 keeps it small).
  r = run_python(
      "import sys, colorsys, numpy as np\n"
      "from PIL import Image\n"
      "im = Image.open(sys.argv[1] + '/hsv.png'); per = float(im.text['gradmap:hue_period'])\n"
      "p = np.array(im).astype(np.float64) / 255; d = np.load(sys.argv[1] + '/dir.npy').astype(np.float64)\n"
      "m = p.max(axis=2) > 0.2\n"
      "h = np.array([colorsys.rgb_to_hsv(*px)[0] for px in p[m]])\n"
      "want = np.mod(d[m] / per, 1.0)\n"
      "e = np.abs(np.angle(np.exp(2j * np.pi * (h - want)))) / (2 * np.pi)\n"
      "print('pixels', m.sum(), 'max hue error (turns)', e.max())\n"
      "sys.exit(0 if m.sum() > 100 and e.max() < 1.0 / (6 * 255 * 0.2) else 1)\n",
      shell_quote(tmp.path().string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(DisplayMaps, JpegMapsCarryTheScalingInAComment) {
  TempDir tmp;
  const Array values = heavy_tailed(tmp, false);
  DisplayOptions o;
  o.normalization = Normalization::parse("percentile:99");
  DisplayScale scale;
  const Array levels = display_map(values, o, false, &scale);
  WriteOptions w;
  w.text = display_text(scale, "magnitude", "intensity/px");
  write_image(tmp / "m.jpg", gray_image(levels), w);
  std::string want;
  for (const auto& [k, v] : w.text) want += k + "=" + v + "\n";
  std::ofstream(tmp / "want.txt", std::ios::binary) << want;
  // PIL reads the COM segment; OpenCV (libjpeg) still decodes the file, to the levels within JPEG's loss.
  const auto r = run_python(
      "import sys, numpy as np, cv2\n"
      "from PIL import Image\n"
      "d = sys.argv[1]; im = Image.open(d + '/m.jpg')\n"
      "got = im.info.get('comment', b''); want = open(d + '/want.txt', 'rb').read()\n"
      "px = cv2.imread(d + '/m.jpg', cv2.IMREAD_UNCHANGED)\n"
      "print(got)\n"
      "sys.exit(0 if got == want and px is not None and px.shape == (61, 83) else 1)\n",
      shell_quote(tmp.path().string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(DisplayMaps, TextIsRefusedWhereTheFormatCannotHoldIt) {
  TempDir tmp;
  Image img = gray_image(Array(DType::uint8, {4, 5}));
  WriteOptions w;
  w.text = {{"gradmap:quantity", "magnitude"}};
  for (const char* name : {"m.tif", "m.npy"}) {
    const std::string path = tmp / name;
    try {
      write_image(path, img, w);
      ADD_FAILURE() << path << " was written without its text";
    } catch (const IoError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("'" + path + "'", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("cannot store text"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  // Keys a reader would split differently, and values with line breaks, are refused, not mangled.
  for (const auto& bad : std::vector<std::pair<std::string, std::string>>{
           {"", "x"}, {"a=b", "x"}, {" lead", "x"}, {std::string(80, 'k'), "x"}, {"k", "two\nlines"}}) {
    w.text = {bad};
    EXPECT_THROW(write_image(tmp / "bad.png", img, w), InvalidArgument) << bad.first;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "bad.png"));
}

TEST(Overview, HonoursTheNormalizationAndDirectionStyleItIsGiven) {
  TempDir tmp;
  // A photo-like input: smooth shading, texture and a few sharp spikes (a heavy-tailed magnitude,
  // where min-max and a percentile give visibly different pictures).
  const auto r0 = run_python(
      "import sys, numpy as np\n"
      "rng = np.random.default_rng(9)\n"
      "y, x = np.mgrid[0:120, 0:120]\n"
      "f = 100 * np.sin(x / 17.0) * np.cos(y / 23.0) + rng.normal(0, 4, (120, 120))\n"
      "f[rng.integers(0, 120, 12), rng.integers(0, 120, 12)] += 3000\n"
      "np.save(sys.argv[1], f.astype(np.float32))\n",
      shell_quote(tmp / "in.npy"));
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  Image img;
  img.pixels = read_npy(tmp / "in.npy");
  img.geometry = default_geometry(2);
  const EdgeMaps maps = edges(img.pixels, EdgeOptions{});
  const auto [lo, hi] = angle_interval(AngleOptions{});

  struct Case {
    const char* normalize;
    DirectionStyle style;
    const char* channel;
  };
  const Case cases[] = {{"minmax", DirectionStyle::hsv, ""},
                        {"percentile:99", DirectionStyle::hsv, ""},
                        {"percentile:99", DirectionStyle::gray, ""},
                        {"percentile:99", DirectionStyle::gray, "channel r"}};
  std::vector<std::string> names;
  for (const Case& c : cases) {
    OverviewInfo info;
    info.title = "in.npy";
    info.display.normalization = Normalization::parse(c.normalize);
    info.direction_style = c.style;
    info.channel = c.channel;
    const std::string name = "ov" + std::to_string(names.size());
    write_overview(tmp / (name + ".png"), img, maps, info);
    // What the panels must show: the display maps the CLI writes for the same options.
    DisplayOptions d;
    d.normalization = info.display.normalization;
    write_npy(tmp / (name + "_mag.npy"), display_map(maps.magnitude, d));
    write_npy(tmp / (name + "_dir.npy"), c.style == DirectionStyle::hsv
                                             ? direction_hsv(maps.direction, maps.magnitude, d, hi - lo)
                                             : direction_gray(maps.direction, lo, hi, 8));
    names.push_back(name);
  }
  // Each expected map, enlarged as the overview enlarges it (nearest, to the 360-pixel panel), must
  // appear pixel for pixel in the picture; and no two pictures are the same.
  const auto r = run_python(
      "import sys, os, numpy as np, cv2\n"
      "d = sys.argv[1]; names = sys.argv[2].split(','); bad = []\n"
      "pics = {}\n"
      "for n in names:\n"
      "    ov = cv2.imread(os.path.join(d, n + '.png'), cv2.IMREAD_COLOR)[..., ::-1].copy(); pics[n] = ov\n"
      "    for part in ('mag', 'dir'):\n"
      "        e = np.load(os.path.join(d, n + '_' + part + '.npy'))\n"
      "        if e.ndim == 2: e = np.repeat(e[..., None], 3, axis=2)\n"
      "        e = cv2.resize(e, (360, 360), interpolation=cv2.INTER_NEAREST)\n"
      "        res = cv2.matchTemplate(ov.astype(np.float32), e.astype(np.float32), cv2.TM_SQDIFF)\n"
      "        y, x = np.unravel_index(np.argmin(res), res.shape)\n"
      "        same = np.array_equal(ov[y:y+360, x:x+360], e)\n"
      "        print(n, part, 'at', (y, x), 'exact' if same else 'DIFFERENT')\n"
      "        if not same: bad.append(n + ' ' + part)\n"
      "for i in range(len(names)):\n"
      "    for j in range(i + 1, len(names)):\n"
      "        a, b = pics[names[i]], pics[names[j]]\n"
      "        if a.shape == b.shape and np.array_equal(a, b): bad.append(names[i] + ' == ' + names[j])\n"
      "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n",
      shell_quote(tmp.path().string()) + " " + joined(names));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

#endif  // GRADMAP_HAVE_OPENCV

TEST(DisplayMaps, ApplyDisplayScaleGivesTheLevelsDisplayMapChose) {
  TempDir tmp;
  for (bool signed_data : {false, true}) {
    const Array values = heavy_tailed(tmp, signed_data);
    for (const char* n : {"minmax", "percentile:99", "fixed:2", "none"}) {
      for (int bits : {8, 16}) {
        DisplayOptions o;
        o.normalization = Normalization::parse(n);
        o.bit_depth = bits;
        DisplayScale s;
        const Array a = display_map(values, o, signed_data, &s);
        const Array b = apply_display_scale(values, s);
        ASSERT_EQ(a.nbytes(), b.nbytes());
        EXPECT_EQ(std::memcmp(a.data(), b.data(), a.nbytes()), 0) << n << " " << bits << " " << signed_data;
      }
    }
  }
  // The text says what the levels are in plain numbers: "none" on unsigned data starts at 0, not "-0".
  DisplayOptions none;
  none.normalization = Normalization::parse("none");
  DisplayScale s;
  display_map(Array(DType::float32, {2, 2}), none, false, &s);
  const auto text = display_text(s, "magnitude", "intensity/px");
  ASSERT_GE(text.size(), 4u);
  EXPECT_EQ(text[2], (std::pair<std::string, std::string>{"gradmap:value_at_0", "0"}));
  EXPECT_EQ(text[3], (std::pair<std::string, std::string>{"gradmap:value_at_max", "255"}));

  DisplayScale bad;
  bad.lo = 2;
  bad.hi = 1;
  EXPECT_THROW(apply_display_scale(Array(DType::float32, {2, 2}), bad), InvalidArgument);
}

}  // namespace
