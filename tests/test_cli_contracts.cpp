// SPDX-License-Identifier: MIT
// The command line's contracts, each stated once in the code (issue #12): one exit code per class of
// error in every command (README "Exit codes"), output names from one table that batch also uses
// to recognize existing outputs, inputs never replaced by outputs, conflicting options refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "test_util.hpp"

using namespace gradmap_test;
namespace fs = std::filesystem;

#ifdef GRADMAP_CLI
namespace {

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.insert(it->path().filename().string());
  return names;
}

struct Case {
  std::string command;  // subcommand + its arguments, with IN, OUT and DIR substituted
  int code;
  std::string message;  // a part of stderr that must be there
};

std::string substitute(std::string s, const std::string& key, const std::string& value) {
  for (auto p = s.find(key); p != std::string::npos; p = s.find(key, p + value.size()))
    s.replace(p, key.size(), value);
  return s;
}

/// Runs every case in a fresh copy of a folder holding `in.png` (a real photo) and checks the exit
/// code, the message, and that a failing run wrote nothing.
void expect_cases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    TempDir d;
    fs::create_directories(d / "in");
    fs::copy_file(source_path("sample_images/ascent_gray.png"), d / "in/in.png");
    std::ofstream(d / "file") << "a regular file where a folder is expected";
    std::string cmd = substitute(c.command, "IN", shell_quote(d / "in/in.png"));
    cmd = substitute(cmd, "DIR", shell_quote(d / "in"));
    cmd = substitute(cmd, "OUT", shell_quote(d / "out"));
    cmd = substitute(cmd, "FILE", shell_quote(d / "file"));
    const auto r = run_cli(cmd);
    EXPECT_EQ(r.exit_code, c.code) << c.command << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.command << "\n" << r.err;
    if (c.code != 0 && c.code != 6) {
      EXPECT_FALSE(fs::exists(d / "out")) << c.command << ": a failed run left its output folder";
      EXPECT_EQ(names_in(d / "in"), std::set<std::string>{"in.png"}) << c.command;
    }
  }
}

}  // namespace

// The help footer is made from the one table of exit codes (app/exit_codes.cpp); README's table
// must list the same codes, no more and no fewer.
TEST(ExitCodes, HelpFooterAndReadmeListTheSameCodes) {
  const auto h = run_cli("--help");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  const std::size_t at = h.out.find("Exit codes:");
  ASSERT_NE(at, std::string::npos) << h.out;
  std::set<int> footer;
  const std::string line = h.out.substr(at, h.out.find('.', at) - at);
  for (std::size_t i = std::string("Exit codes:").size(); i < line.size();) {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
    std::size_t used = 0;
    footer.insert(std::stoi(line.substr(i), &used));
    i = line.find(',', i + used);  // past the meaning
    if (i == std::string::npos) break;
  }
  std::ifstream in(std::string(GRADMAP_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t section = readme.find("### Exit codes");
  ASSERT_NE(section, std::string::npos);
  std::set<int> documented;
  std::istringstream rows(
      readme.substr(section, readme.find("\n\n", readme.find("| code", section)) - section));
  for (std::string row; std::getline(rows, row);) {
    if (row.rfind("| ", 0) != 0 || row.rfind("| code", 0) == 0) continue;
    std::istringstream cell(row.substr(2, row.find(" |", 2) - 2));  // "0", "130 / 143"
    for (std::string word; cell >> word;)
      if (word != "/") documented.insert(std::stoi(word));
  }
  EXPECT_EQ(footer, documented) << line;
  EXPECT_EQ(footer.size(), 9u) << line;
}

TEST(ExitCodes, BadOptionValuesExit2InEveryCommand) {
  std::vector<Case> cases;
  for (const std::string verb : {"gradient", "edges"}) {
    for (const auto& [flags, message] :
         std::vector<std::pair<std::string, std::string>>{{"--normalize foo", "--normalize"},
                                                          {"--format gif", "--format"},
                                                          {"--spacing abc", "--spacing"},
                                                          {"--spacing x=1,2", "--spacing"},
                                                          {"--edge-order 3", "--edge-order"},
                                                          {"--dtype float16", "--dtype"},
                                                          {"--max-memory lots", "--max-memory"},
                                                          {"--axis q", "--axis"},
                                                          {"--axis x,x", "--axis"},
                                                          {"--coords x", "--coords"},
                                                          {"--color rainbow", "--color"},
                                                          {"--no-such-flag", "no-such-flag"}}) {
      cases.push_back({verb + " IN -o OUT " + flags, 2, message});
      cases.push_back({"batch DIR -o OUT --mode " + verb + " " + flags, 2, message});
    }
  }
  for (const auto& [flags, message] :
       std::vector<std::pair<std::string, std::string>>{{"--overview x.jpg", "--overview"},
                                                        {"--angle-units grad", "--angle-units"},
                                                        {"--dir-style rainbow", "--dir-style"}})
    cases.push_back({"edges IN -o OUT " + flags, 2, message});
  cases.push_back({"batch DIR -o OUT --shard 5/2", 2, "--shard"});
  cases.push_back({"batch DIR -o OUT --report r.txt", 2, "--report"});
  cases.push_back({"batch DIR -o OUT --mode gradient --compass", 2, "--compass"});
  cases.push_back({"batch DIR -o DIR", 2, "must not be the input folder"});
  cases.push_back({"info IN --max-memory lots", 2, "--max-memory"});
  expect_cases(cases);
}

TEST(ExitCodes, ConflictingAngleConventionsAreRefused) {
  // --compass fixes the reference direction and the range; --orientation fixes the range: a second
  // convention used to be ignored silently.
  std::vector<Case> cases;
  for (const std::string flags :
       {"--compass --y-up", "--compass --orientation", "--compass --angle-range signed",
        "--compass --angle-range unsigned", "--orientation --angle-range unsigned"}) {
    cases.push_back({"edges IN -o OUT " + flags, 2, "excludes"});
    cases.push_back({"batch DIR -o OUT " + flags, 2, "excludes"});
  }
  expect_cases(cases);
}

TEST(ExitCodes, UnreadableInputsExit3InEveryCommand) {
  expect_cases({
      {"gradient DIR/missing.png -o OUT", 3, "missing.png"},
      {"edges DIR/missing.png -o OUT", 3, "missing.png"},
      {"info DIR/missing.png", 3, "missing.png"},
      {"batch DIR/missing -o OUT", 3, "missing"},
      {"gradient IN -o OUT --coords x=DIR/nope.npy", 3, "nope.npy"},
      {"edges IN -o OUT --coords x=DIR/nope.txt", 3, "nope.txt"},
      {"batch DIR -o OUT --coords x=DIR/nope.npy", 3, "nope.npy"},
      {"gradient FILE -o OUT", 3, "file"},
  });
}

TEST(ExitCodes, RequestsTheImageCannotMeetExit4NamingTheFile) {
  expect_cases({
      {"gradient IN -o OUT --axis 5", 4, "in.png"},
      {"edges IN -o OUT --axis=-3", 4, "in.png"},
      {"gradient IN -o OUT --spacing 1,2,3", 4, "in.png"},
      {"edges IN -o OUT --slices", 4, "in.png"},
      {"batch DIR -o OUT --axis 5", 6, "in.png"},  // in batch a file's failure makes the batch 6
  });
}

TEST(ExitCodes, ShapeErrorsNameTheFileAmongSeveralInputs) {
  TempDir d;
  make_npy(d / "long.npy", "np.arange(12.0)");
  make_npy(d / "short.npy", "np.arange(2.0)");
  const auto r = run_cli("gradient " + shell_quote(d / "long.npy") + " " + shell_quote(d / "short.npy") +
                         " -o " + shell_quote(d / "out") + " --edge-order 2");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("short.npy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edge_order + 1"), std::string::npos) << r.err;
}

TEST(ExitCodes, UnwritableOutputsExit5InEveryCommand) {
  expect_cases({
      {"gradient IN -o FILE", 5, "file"},
      {"edges IN -o FILE", 5, "file"},
      {"batch DIR -o FILE", 5, "file"},
  });
}

TEST(Outputs, EdgesAndGradientRefuseToReplaceAnInput) {
  TempDir d;
  fs::create_directories(d / "s");
  fs::copy_file(source_path("sample_images/ascent_gray.png"), d / "s/camera.png");
  fs::copy_file(source_path("sample_images/ascent_gray.png"), d / "s/camera_mag.png");
  const std::string before = std::to_string(fs::file_size(d / "s/camera_mag.png"));
  auto r = run_cli("edges " + shell_quote(d / "s/camera.png") + " " + shell_quote(d / "s/camera_mag.png") +
                   " -o " + shell_quote(d / "s"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("camera_mag.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("camera.png"), std::string::npos) << r.err;
  EXPECT_EQ(names_in(d / "s"), (std::set<std::string>{"camera.png", "camera_mag.png"}));
  EXPECT_EQ(std::to_string(fs::file_size(d / "s/camera_mag.png")), before);

  // gradient's outputs (camera_gx.png) replace an input named so, too.
  fs::copy_file(d / "s/camera.png", d / "s/camera_gx.png");
  r = run_cli("gradient " + shell_quote(d / "s/camera.png") + " " + shell_quote(d / "s/camera_gx.png") +
              " -o " + shell_quote(d / "s"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("camera_gx.png"), std::string::npos) << r.err;

  // The overview picture may not be the input either.
  r = run_cli("edges " + shell_quote(d / "s/camera.png") + " -o " + shell_quote(d / "out") + " --overview " +
              shell_quote(d / "s/camera.png"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(Outputs, InputsWithOneStemAreRefusedBeforeAnythingIsWritten) {
  TempDir d;
  fs::create_directories(d / "a");
  fs::create_directories(d / "b");
  fs::copy_file(source_path("sample_images/ascent_gray.png"), d / "a/img.png");
  fs::copy_file(source_path("sample_images/ascent_gray.png"), d / "b/img.png");
  const auto r = run_cli("edges " + shell_quote(d / "a/img.png") + " " + shell_quote(d / "b/img.png") +
                         " -o " + shell_quote(d / "out"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("a/img.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("b/img.png"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));

  // camera.png and camera.tif: both give camera_mag.png.
  fs::copy_file(source_path("sample_images/linear_ramp_2d.tif"), d / "a/img.tif");
  const auto r2 = run_cli("gradient " + shell_quote(d / "a/img.png") + " " + shell_quote(d / "a/img.tif") +
                          " -o " + shell_quote(d / "out"));
  EXPECT_EQ(r2.exit_code, 2) << r2.err;
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(Outputs, FailingBeforeWritingLeavesNoOutputFolder) {
  TempDir d;
  const auto r = run_cli("edges " + shell_quote(d / "missing.png") + " -o " + shell_quote(d / "out"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(Outputs, BatchRecognizesEveryNameItWrites) {
  // Normals and components of a 4-D array are the names most likely to drift (issue #12: written
  // "n0" while batch looked for "nd0"): every file the first run wrote must count as existing.
  TempDir d;
  fs::create_directories(d / "in");
  make_npy(d / "in/v.npy", "rng.random((3, 4, 5, 6))");
  make_npy(d / "in/w.npy", "rng.random((4, 5, 6))");
  const std::string base =
      "batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") + " --normals --components -j 1";
  auto r = run_cli(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto written = names_in(d / "out");
  EXPECT_TRUE(written.count("v_nd0.npy")) << r.out;
  EXPECT_TRUE(written.count("v_d0.npy")) << r.out;
  EXPECT_TRUE(written.count("w_nz.npy")) << r.out;
  r = run_cli(base);
  EXPECT_EQ(r.exit_code, 5) << r.err;
  for (const auto& name : written)
    EXPECT_NE(r.err.find(name), std::string::npos) << name << " not recognized\n" << r.err;
  r = run_cli(base + " --skip-existing");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 ok, 0 failed, 2 skipped"), std::string::npos) << r.out;
  EXPECT_EQ(names_in(d / "out"), written);
}

TEST(Formats, EveryReadableExtensionInTheTableReads) {
  // The table's lesser-known spellings (.jpe, .pbm, .tif, .mhd, .nhdr) are read like the others.
  TempDir d;
  const auto r = run_python(R"(
import sys, numpy as np, cv2, nibabel as nib
d = sys.argv[1]
img = (np.arange(48, dtype=np.uint8).reshape(6, 8) * 5)
for name in ['a.jpe', 'a.jpeg', 'b.jpg', 'c.tif', 'c2.tiff', 'd.bmp', 'e.pgm', 'f.pnm', 'g.png', 'h.webp']:
    assert cv2.imwrite(d + '/' + name, img), name
assert cv2.imwrite(d + '/i.pbm', (img > 100).astype(np.uint8) * 255)
nib.save(nib.Nifti1Image(img.astype(np.float32)[None], np.eye(4)), d + '/j.nii')
nib.save(nib.Nifti1Image(img.astype(np.float32)[None], np.eye(4)), d + '/k.nii.gz')
)",
                            shell_quote(d.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& name : names_in(d.path().string())) {
    const auto info = run_cli("info " + shell_quote(d / name));
    EXPECT_EQ(info.exit_code, 0) << name << ": " << info.err;
  }
  std::ofstream(d / "x.gif") << "GIF89a";
  const auto bad = run_cli("info " + shell_quote(d / "x.gif"));
  EXPECT_EQ(bad.exit_code, 3);
  // The refusal lists what is read, from the same table.
  for (const char* ext : {".jpe", ".pbm", ".nii.gz", ".mhd", ".nhdr", ".npy"})
    EXPECT_NE(bad.err.find(ext), std::string::npos) << ext << "\n" << bad.err;
}

TEST(Formats, EveryWritableFormatIsAcceptedByFormatFlag) {
  TempDir d;
  make_npy(d / "f.npy", "rng.random((6, 7)).astype(np.float32)");
  for (const char* fmt : {"npy", "tif", "tiff", "nii", "nii.gz", "nrrd", "mha", "png", "jpg", "jpeg"}) {
    const std::string out = d / (std::string("out_") + fmt);
    const auto r =
        run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(out) + " --format " + fmt);
    EXPECT_EQ(r.exit_code, 0) << fmt << ": " << r.err;
    EXPECT_EQ(names_in(out).size(), 2u) << fmt;
  }
  for (const char* fmt : {"bmp", "webp", "dcm", "gif"}) {
    const auto r =
        run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "x") + " --format " + fmt);
    EXPECT_EQ(r.exit_code, 2) << fmt << ": " << r.err;
  }
}
#endif

#if defined(GRADMAP_CLI) && defined(GRADMAP_HAVE_OPENCV)
TEST(DisplayOutputs, PngMapsWrittenByTheCliInvertToTheFloatValues) {
  // The CLI attaches the scaling it used to every display map (issue #12): a reader recovers the
  // magnitude the float TIFF holds, to half a level, and the direction from the HSV map's hue scale.
  TempDir d;
  const std::string in = source_path("sample_images/ascent_gray.png");
  for (const std::string& args : {std::string(" -o ") + shell_quote(d / "png"),
                                  std::string(" -o ") + shell_quote(d / "tif") + " --format tiff"}) {
    const auto r = run_cli("edges " + shell_quote(in) + args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto check = run_python(R"(
import sys, numpy as np, cv2
from PIL import Image
d = sys.argv[1]
im = Image.open(d + '/png/ascent_gray_mag.png'); t = im.text
assert t['gradmap:quantity'] == 'magnitude', t
lo, hi, top = (float(t[k]) for k in ('gradmap:value_at_0', 'gradmap:value_at_max', 'gradmap:max_level'))
levels = np.asarray(im, np.float64)
mag = cv2.imread(d + '/tif/ascent_gray_mag.tiff', cv2.IMREAD_UNCHANGED).astype(np.float64)
inside = (levels > 0) & (levels < top)
step = (hi - lo) / top
err = np.abs(lo + levels[inside] / top * (hi - lo) - mag[inside]).max()
assert err <= 0.5 * step * (1 + 1e-6), (err, step)
assert (mag[levels == top] >= hi - 0.5 * step).all()
dt = Image.open(d + '/png/ascent_gray_dir.png').text
assert dt['gradmap:quantity'] == 'direction' and dt['gradmap:units'] == 'rad', dt
)",
                                shell_quote(d.path().string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(DisplayOutputs, TheOverviewFollowsNormalizeAndDirStyle) {
  TempDir d;
  const std::string in = source_path("sample_images/ascent_gray.png");
  std::set<std::string> contents;
  for (const std::string flags :
       {"", "--normalize minmax", "--dir-style gray", "--normalize fixed:40 --dir-style gray"}) {
    const std::string out = d / ("o" + std::to_string(contents.size()));
    const auto r = run_cli("edges " + shell_quote(in) + " -o " + shell_quote(out) + " --overview " +
                           shell_quote(out + "/ov.png") + " " + flags);
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    std::ifstream f(out + "/ov.png", std::ios::binary);
    contents.insert(std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()));
  }
  EXPECT_EQ(contents.size(), 4u) << "two overviews made with different display options are identical";
}
#endif
