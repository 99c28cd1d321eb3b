// SPDX-License-Identifier: MIT
// Faults of the machine and hostile file names, end to end through the CLI: a full disk, a file
// size limit, a read-only output folder; names with spaces, unicode, leading dashes and newlines;
// a symlink planted at an output path; names that look like parent directories. In every case the
// contract is the same: a clear error naming the file, no partial or temporary file left behind,
// inputs untouched, nothing written outside the output folder.
//
// The disk-full and read-only cases mount a small tmpfs (tests run as root in CI). Where the
// machine refuses the mount (an unprivileged container), they are skipped with the reason.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gradmap/io.hpp"
#include "test_files.hpp"
#include "test_util.hpp"

using namespace gradmap_test;
namespace fs = std::filesystem;

namespace {

/// Every entry in `dir`, hidden temporaries included, sorted.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// FNV-1a of the file's bytes: enough to see any change to an input.
std::uint64_t checksum(const std::string& path) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes_of(path)) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

TEST(Faults, DiskFullIsAClearErrorNamingTheOutputAndLeavesNothing) {
  TempDir d;
  make_npy(d / "f.npy", "rng.random((160, 160))", 8);  // 200 KB of float64: each output is as large
  TmpfsMount full(d / "full", "64k", false);
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a 64 KiB tmpfs here (" << full.error() << ")";
  const auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "full"));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  // The message names the file the user asked for, not gradmap's hidden temporary: either map,
  // since the two are written block by block in parallel (write_npy_rows).
  EXPECT_TRUE(r.err.find("f_gy.npy") != std::string::npos || r.err.find("f_gx.npy") != std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("gradmap-tmp"), std::string::npos) << r.err;
  EXPECT_EQ(listing(d / "full"), std::vector<std::string>{}) << "partial or temporary files left behind";
}

TEST(Faults, FileSizeLimitLeavesNoPartialOrTemporaryFile) {
  TempDir d;
  make_npy(d / "f.npy", "rng.random((160, 160))", 8);
  fs::create_directory(d / "out");
  // 16 blocks of 1 KiB (POSIX sh's ulimit -f unit is 512 or 1024 bytes): far below one output.
  const auto r =
      run_command("sh -c " + shell_quote("ulimit -f 16; exec " + std::string(GRADMAP_CLI) + " gradient " +
                                         shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out")));
  EXPECT_NE(r.exit_code, 0) << r.err;
  // gradmap turns SIGXFSZ into an ordinary write error: a clear message, exit 5, temporaries removed.
  EXPECT_EQ(r.exit_code, 5) << "killed by a signal instead of reporting the error; stderr: " << r.err;
  EXPECT_EQ(listing(d / "out"), std::vector<std::string>{}) << "partial or temporary files left behind";
}

TEST(Faults, ReadOnlyOutputFolderIsAClearError) {
  TempDir d;
  make_npy(d / "f.npy", "rng.random((8, 9))", 8);
  // chmod does not stop root, so the folder is a read-only mount.
  TmpfsMount ro(d / "ro", "64k", true);
  if (!ro.mounted()) GTEST_SKIP() << "cannot mount a read-only tmpfs here (" << ro.error() << ")";
  const auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "ro"));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(d / "ro"), std::string::npos) << r.err;
  EXPECT_EQ(listing(d / "ro"), std::vector<std::string>{});
}

TEST(HostileNames, SpacesUnicodeLeadingDashesAndNewlinesWork) {
  TempDir d;
  make_npy(d / "plain.npy", "rng.random((6, 7))", 8);
  ASSERT_EQ(run_cli("gradient " + shell_quote(d / "plain.npy") + " -o " + shell_quote(d / "ref")).exit_code,
            0);
  const std::vector<std::string> names = {"with space", "ünïcødé €", "-dash", "new\nline",
                                          "tab\tand 'quote'"};
  for (const auto& stem : names) {
    fs::copy_file(d / "plain.npy", d / (stem + ".npy"));
    // A leading dash would be taken for an option: after "--" it is a file name.
    const auto r =
        run_cli("gradient -o " + shell_quote(d / "out") + " -- " + shell_quote(d / (stem + ".npy")));
    ASSERT_EQ(r.exit_code, 0) << stem << ": " << r.err;
    for (const char* c : {"_gx.npy", "_gy.npy"})
      EXPECT_EQ(bytes_of(d / ("out/" + stem + c)), bytes_of(d / (std::string("ref/plain") + c))) << stem << c;
  }
  // The same name relative to the working directory, written ./-dash.npy, and without "--".
  const auto r = run_command("cd " + shell_quote(d.path().string()) + " && " + std::string(GRADMAP_CLI) +
                             " gradient ./-dash.npy -o dash_out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(bytes_of(d / "dash_out/-dash_gx.npy"), bytes_of(d / "ref/plain_gx.npy"));
}

TEST(HostileNames, SymlinkAtAnOutputPathIsReplacedNotFollowed) {
  TempDir d;
  make_npy(d / "f.npy", "rng.random((6, 7))", 8);
  fs::create_directory(d / "out");
  std::ofstream(d / "victim.txt") << "must survive";
  fs::create_symlink(d / "victim.txt", d / "out/f_gx.npy");
  // A dangling link too: following it would create a file elsewhere.
  fs::create_symlink(d / "elsewhere.npy", d / "out/f_gy.npy");
  const auto r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(bytes_of(d / "victim.txt"), "must survive");
  EXPECT_FALSE(fs::exists(d / "elsewhere.npy"));
  for (const char* name : {"out/f_gx.npy", "out/f_gy.npy"}) {
    EXPECT_FALSE(fs::is_symlink(d / name)) << name;
    EXPECT_EQ(gradmap::read_npy(d / name).shape(), (gradmap::Shape{6, 7})) << name;
  }
}

TEST(HostileNames, InputsAreNeverModified) {
  TempDir d;
  make_npy(d / "f.npy", "rng.random((20, 30))", 8);
  std::vector<std::string> inputs = {d / "f.npy"};
#ifdef GRADMAP_HAVE_OPENCV
  fs::copy_file(source_path("sample_images/ascent_gray.png"), d / "ascent.png");
  inputs.push_back(d / "ascent.png");
#endif
#ifdef GRADMAP_HAVE_ITK
  fs::copy_file(source_path("sample_images/linear_ramp.nii.gz"), d / "ramp.nii.gz");
  inputs.push_back(d / "ramp.nii.gz");
#endif
  std::vector<std::uint64_t> sums;
  std::vector<fs::file_time_type> times;
  for (const auto& in : inputs) {
    sums.push_back(checksum(in));
    times.push_back(fs::last_write_time(in));
  }
  // Outputs in the inputs' own folder, every command, twice (the second run overwrites outputs).
  for (int run = 0; run < 2; ++run)
    for (const auto& in : inputs) {
      EXPECT_EQ(run_cli("gradient " + shell_quote(in) + " -o " + shell_quote(d.path().string())).exit_code, 0)
          << in;
      EXPECT_EQ(run_cli("edges " + shell_quote(in) + " -o " + shell_quote(d.path().string())).exit_code, 0)
          << in;
    }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(checksum(inputs[i]), sums[i]) << inputs[i];
    EXPECT_EQ(fs::last_write_time(inputs[i]), times[i]) << inputs[i];
  }
}

TEST(HostileNames, NamesThatLookLikeParentDirectoriesStayInsideOutdir) {
  TempDir d;
  fs::create_directories(d / "in");
  make_npy(d / "in/plain.npy", "rng.random((5, 6))", 8);
  // Stems "..", "." and "..." would, if joined naively with a separator, climb out of the folder.
  for (const std::string name : {"...npy", "..npy", ". .npy", "..\\..npy"})
    fs::copy_file(d / "in/plain.npy", d / ("in/" + name));
  fs::create_directories(d / "box/out");
  for (const auto& e : listing(d / "in")) {
    const auto r =
        run_cli("gradient -o " + shell_quote(d / "box/out") + " -- " + shell_quote(d / ("in/" + e)));
    EXPECT_EQ(r.exit_code, 0) << e << ": " << r.err;
  }
  // Nothing appeared next to the output folder or above it.
  EXPECT_EQ(listing(d / "box"), std::vector<std::string>{"out"});
  EXPECT_EQ(listing(d.path()), (std::vector<std::string>{"box", "in"}));
  EXPECT_EQ(listing(d / "box/out").size(), 2 * listing(d / "in").size());
}
