// SPDX-License-Identifier: MIT
// `gradmap batch` end to end on real folders: bad files of every kind are reported and the rest
// finish, a batch killed midway leaves only complete outputs and --skip-existing finishes exactly
// the rest, shards partition the inputs, and the report lists every input.
// The folders these tests build mix PNG, JPEG, NIfTI and DICOM: they need both IO backends.
#if defined(GRADMAP_HAVE_OPENCV) && defined(GRADMAP_HAVE_ITK)

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "test_files.hpp"
#include "test_util.hpp"

using namespace gradmap_test;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::size_t count_hidden(const fs::path& dir) { return tree(dir, /*hidden=*/true).size(); }

/// Number of visible files directly in `dir` (cheap enough to poll).
std::size_t count_visible(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    n += it->path().filename().string()[0] != '.';
  return n;
}

json read_json(const std::string& path) { return json::parse(slurp(path)); }

std::map<std::string, std::string> statuses(const json& report) {
  std::map<std::string, std::string> s;
  for (const auto& f : report["files"]) s[f["input"].get<std::string>()] = f["status"].get<std::string>();
  return s;
}

/// Starts the CLI in the background (stdout/stderr to files) and returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(GRADMAP_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(GRADMAP_CLI, argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits until `dir` holds at least `n` visible files (or the process ended), then sends `sig`.
/// Returns the process' exit status as run_command reports it, and whether the signal was sent
/// while it still ran.
std::pair<int, bool> kill_after_outputs(pid_t pid, const fs::path& dir, std::size_t n, int sig) {
  int status = 0;
  bool sent = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), false};
    if (count_visible(dir) >= n) {
      ::kill(pid, sig);
      sent = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), sent};
}

}  // namespace

TEST(Batch, BadFilesAreReportedAndEveryGoodFileIsDone) {
  TempDir d;
  const std::string in = d / "in";
  python_in(R"(
import cv2, nibabel as nib, gzip
os.makedirs(d + '/in/sub/deeper', exist_ok=True)
cv2.imwrite(d + '/in/a.png', (rng.random((40, 50)) * 255).astype(np.uint8))
cv2.imwrite(d + '/in/c.jpg', (rng.random((30, 20, 3)) * 255).astype(np.uint8))
np.save(d + '/in/n.npy', rng.standard_normal((12, 9)).astype(np.float32))
cv2.imwrite(d + '/in/sub/deeper/b.png', (rng.random((16, 16)) * 255).astype(np.uint16) * 200)
img = nib.Nifti1Image(rng.standard_normal((10, 9, 8)).astype(np.float32), np.diag([0.5, 0.75, 2.0, 1.0]))
nib.save(img, d + '/in/sub/v.nii.gz')
# Corrupt PNG: a real PNG cut in the middle of its image data.
png = open(d + '/in/a.png', 'rb').read()
open(d + '/in/corrupt.png', 'wb').write(png[: len(png) // 2])
# Truncated NIfTI: a valid header, then the gzip stream stops early.
raw = gzip.compress(img.to_bytes())
open(d + '/in/sub/trunc.nii.gz', 'wb').write(raw[: len(raw) // 2])
open(d + '/in/fake.png', 'w').write('this is not an image\n')
open(d + '/in/notes.txt', 'w').write('not an input: ignored\n')
)",
            d.path().string());
  // Unreadable as root too: a FIFO named like an image (reading it would block; the reader refuses
  // anything but a regular file). The unreadable-by-permissions case runs as nobody below.
  ASSERT_EQ(::mkfifo((d / "in/pipe.png").c_str(), 0644), 0);
  fs::create_directories(d / "in/ct");
  fs::copy(source_path("sample_images/head_phantom_dicom"), d / "in/ct/series", fs::copy_options::recursive);

  const auto r = run_cli("batch " + shell_quote(in) + " -o " + shell_quote(d / "out") +
                         " --recursive --dtype float32 --report " + shell_quote(d / "report.json"));
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;  // kPartialFailure
  const json report = read_json(d / "report.json");
  const std::map<std::string, std::string> expected = {
      {"a.png", "ok"},           {"c.jpg", "ok"},
      {"n.npy", "ok"},           {"sub/deeper/b.png", "ok"},
      {"sub/v.nii.gz", "ok"},    {"ct/series", "ok"},
      {"corrupt.png", "failed"}, {"fake.png", "failed"},
      {"pipe.png", "failed"},    {"sub/trunc.nii.gz", "failed"}};
  EXPECT_EQ(statuses(report), expected);
  EXPECT_EQ(report["summary"]["ok"], 6);
  EXPECT_EQ(report["summary"]["failed"], 4);
  EXPECT_EQ(report["summary"]["ignored"], 1);  // notes.txt
  for (const auto& f : report["files"]) {
    if (f["status"] == "failed") {
      // Each failure names its file and says why, on stderr as well as in the report.
      EXPECT_NE(f["reason"].get<std::string>().find(f["input"].get<std::string>()), std::string::npos)
          << f.dump();
      EXPECT_NE(r.err.find(f["reason"].get<std::string>()), std::string::npos) << r.err;
    } else {
      EXPECT_FALSE(f["outputs"].empty()) << f.dump();
      for (const auto& o : f["outputs"]) EXPECT_TRUE(fs::is_regular_file(o.get<std::string>())) << o;
    }
  }
  const auto& v = *std::find_if(report["files"].begin(), report["files"].end(),
                                [](const json& f) { return f["input"] == "sub/v.nii.gz"; });
  EXPECT_EQ(v["shape"], json({8, 9, 10}));          // numpy (z, y, x) order
  EXPECT_EQ(v["spacing"], json({2.0, 0.75, 0.5}));  // binary-exact in the float32 header

  // Subfolders mirrored; outputs equal the single-file command's, byte for byte (same pipeline).
  const auto out = tree(d / "out");
  for (const char* name :
       {"a_mag.png", "a_dir.png", "c_mag.png", "n_mag.npy", "n_dir.npy", "sub/deeper/b_mag.png",
        "sub/v_mag.nii.gz", "sub/v_azimuth.nii.gz", "sub/v_elevation.nii.gz", "ct/series_mag.nii.gz"})
    EXPECT_TRUE(out.count(name)) << name;
  EXPECT_EQ(count_hidden(d / "out"), 0u);
  const auto single =
      run_cli("edges " + shell_quote(d / "in/a.png") + " " + shell_quote(d / "in/n.npy") + " " +
              shell_quote(d / "in/sub/v.nii.gz") + " -o " + shell_quote(d / "single") + " --dtype float32");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  for (const auto& [name, bytes] : tree(d / "single"))
    EXPECT_EQ(out.at(name.find("v_") == 0 ? "sub/" + name : name), bytes) << name;

  // The npy magnitude is numpy's.
  const auto check = run_python(R"(
import numpy as np, sys
f = np.load(sys.argv[1] + '/in/n.npy'); gy, gx = np.gradient(f)
sys.exit(0 if np.array_equal(np.load(sys.argv[1] + '/out/n_mag.npy'), np.hypot(gy, gx)) else 1)
)",
                                shell_quote(d.path().string()));
  EXPECT_EQ(check.exit_code, 0) << check.err;

  // Without --recursive only the top level is searched; a DICOM folder there is one volume.
  const auto flat = run_cli("batch " + shell_quote(in) + " -o " + shell_quote(d / "flat") + " --dry-run");
  EXPECT_EQ(flat.exit_code, 0) << flat.err;
  EXPECT_NE(flat.out.find("process  a.png"), std::string::npos) << flat.out;
  EXPECT_EQ(flat.out.find("sub/"), std::string::npos) << flat.out;
  EXPECT_NE(flat.out.find("plan: 6 input(s)"), std::string::npos) << flat.out;
  EXPECT_FALSE(fs::exists(d / "flat"));  // a dry run writes nothing
}

TEST(Batch, UnreadableFilesAndFoldersAreReportedNotFatal) {
  // Permission bits do not stop root, so this runs the batch as `nobody` through setpriv.
  if (::geteuid() != 0 || !fs::exists("/usr/bin/setpriv")) GTEST_SKIP() << "needs root and setpriv";
  TempDir d;
  fs::permissions(d.path(), fs::perms::all);
  make_pngs(d / "in", 2, 8, 8);
  make_pngs(d / "in/locked_dir", 1, 8, 8);
  fs::create_directories(d / "in/loop");
  fs::create_directory_symlink("..", d / "in/loop/up");  // a symlink loop back to in/
  for (const auto& e : fs::recursive_directory_iterator(d.path())) fs::permissions(e.path(), fs::perms::all);
  fs::permissions(d / "in/img001.png", fs::perms::none);
  fs::permissions(d / "in/locked_dir", fs::perms::none);
  // The binary must be reachable by nobody: its build tree is world-readable in this project.
  const auto r =
      run_command("/usr/bin/setpriv --reuid=nobody --regid=nogroup --clear-groups " +
                  std::string(GRADMAP_CLI) + " batch " + shell_quote(d / "in") + " -o " +
                  shell_quote(d / "out") + " --recursive -q --report " + shell_quote(d / "report.csv"));
  if (r.exit_code == 126 || r.exit_code == 127) GTEST_SKIP() << "nobody cannot run the binary: " << r.err;
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("img001.png': not readable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("locked_dir: cannot list the directory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("symlink loop"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(d / "out/img000_mag.png"));
  const std::string csv = slurp(d / "report.csv");
  EXPECT_NE(csv.find("\"img000.png\",ok,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"img001.png\",failed,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("locked_dir\",failed,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("up\",warning,"), std::string::npos) << csv;
  // --quiet: the summary and the errors only, no per-file lines.
  EXPECT_EQ(r.out.find("[1/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 ok, 2 failed"), std::string::npos) << r.out;
}

TEST(Batch, KilledMidwayLeavesOnlyCompleteOutputsAndSkipExistingDoesTheRest) {
  TempDir d;
  make_pngs(d / "in", 48, 300, 300);
  const auto ref = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "ref") + " -q");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto reference = tree(d / "ref");
  ASSERT_EQ(reference.size(), 96u);

  for (const int sig : {SIGKILL, SIGTERM}) {
    SCOPED_TRACE(sig == SIGKILL ? "SIGKILL" : "SIGTERM");
    const std::string out = d / (sig == SIGKILL ? "killed" : "terminated");
    const pid_t pid = spawn_cli({"batch", d / "in", "-o", out, "-j", "1"}, d / "log.txt");
    const auto [code, sent] = kill_after_outputs(pid, out, 7, sig);
    ASSERT_TRUE(sent) << "the batch finished before it could be interrupted: " << slurp(d / "log.txt");
    if (sig == SIGTERM) {
      EXPECT_EQ(code, 143) << slurp(d / "log.txt");  // documented: 128 + SIGTERM
      EXPECT_NE(slurp(d / "log.txt").find("rerun with --skip-existing"), std::string::npos);
      EXPECT_EQ(count_hidden(out), 0u);  // in-flight temporaries removed
    }
    // Whatever is under a final name is complete: byte-identical to the uninterrupted run.
    const auto partial = tree(out);
    EXPECT_LT(partial.size(), reference.size());
    std::size_t complete_inputs = 0;
    for (const auto& [name, bytes] : partial) {
      EXPECT_EQ(bytes, reference.at(name)) << name;
      if (name.find("_dir.png") != std::string::npos &&
          partial.count(name.substr(0, name.size() - 8) + "_mag.png"))
        ++complete_inputs;
    }
    // Resume: exactly the unfinished inputs are processed; the result equals the full run.
    const auto rest = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(out) +
                              " --skip-existing -q --report " + shell_quote(d / "resume.json"));
    ASSERT_EQ(rest.exit_code, 0) << rest.err;
    const json report = read_json(d / "resume.json");
    EXPECT_EQ(report["summary"]["skipped"], complete_inputs);
    EXPECT_EQ(report["summary"]["ok"], 48 - complete_inputs);
    EXPECT_EQ(tree(out), reference);
  }
}

TEST(Batch, ShardsCoverEveryInputExactlyOnce) {
  TempDir d;
  make_pngs(d / "in", 7, 8, 8);
  make_pngs(d / "in/x", 4, 8, 8);
  make_pngs(d / "in/x/y", 3, 8, 8);
  const std::string common =
      shell_quote(d / "in") + " -o " + shell_quote(d / "out") + " -r -q --skip-existing";
  std::multiset<std::string> seen;
  std::size_t reported = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string rep = d / ("shard" + std::to_string(i) + ".json");
    const auto r =
        run_cli("batch " + common + " --shard " + std::to_string(i) + "/3 --report " + shell_quote(rep));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = read_json(rep);
    EXPECT_EQ(report["shard"], std::to_string(i) + "/3");
    for (const auto& f : report["files"]) {
      EXPECT_EQ(f["status"], "ok") << f.dump();  // disjoint shards: nothing was already done
      seen.insert(f["input"].get<std::string>());
      ++reported;
    }
  }
  EXPECT_EQ(reported, 14u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 14u);  // each exactly once
  EXPECT_EQ(tree(d / "out").size(), 28u);
  EXPECT_EQ(tree(d / "out"), [&] {
    const auto all = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "all") + " -r -q");
    EXPECT_EQ(all.exit_code, 0) << all.err;
    return tree(d / "all");
  }());
  const auto bad = run_cli("batch " + common + " --shard 3/3");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("0 <= I < N"), std::string::npos) << bad.err;
}

TEST(Batch, ExistingOutputsAreListedUpFrontUnlessSkipOrOverwrite) {
  TempDir d;
  make_pngs(d / "in", 3, 8, 8);
  const std::string common = "batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") + " -q";
  ASSERT_EQ(run_cli(common).exit_code, 0);
  fs::remove(d / "out/img002_dir.png");
  const auto again = run_cli(common);
  EXPECT_EQ(again.exit_code, 5) << again.err;
  EXPECT_NE(again.err.find("img000.png: outputs exist"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--skip-existing"), std::string::npos) << again.err;
  // Partly present outputs do not count as done: img002 is redone, the others skipped.
  const auto resume = run_cli(common + " --skip-existing --report " + shell_quote(d / "r.json"));
  EXPECT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(statuses(read_json(d / "r.json")),
            (std::map<std::string, std::string>{
                {"img000.png", "skipped"}, {"img001.png", "skipped"}, {"img002.png", "ok"}}));
  EXPECT_TRUE(fs::exists(d / "out/img002_dir.png"));
  EXPECT_EQ(run_cli(common + " --overwrite").exit_code, 0);
  EXPECT_EQ(run_cli(common + " --overwrite --skip-existing").exit_code, 2);
}

TEST(Batch, GlobsSelectByRelativePathAndGradientModeMatchesTheGradientCommand) {
  TempDir d;
  python_in(R"(
os.makedirs(d + '/in/keep', exist_ok=True); os.makedirs(d + '/in/scratch', exist_ok=True)
for p in ['a.npy', 'keep/b.npy', 'scratch/c.npy', 'keep/d_old.npy']:
    np.save(d + '/in/' + p, rng.standard_normal((6, 5, 4)))
)",
            d.path().string());
  const auto r = run_cli(
      "batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") +
      " -r -j 1 --mode gradient --include '*.npy' --exclude 'scratch' --exclude '*_old*' --axis=-1,0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[1/2] ok      a.npy"), std::string::npos) << r.out;  // one line per file, sorted
  EXPECT_NE(r.out.find("[2/2] ok      keep/b.npy"), std::string::npos) << r.out;
  const auto single = run_cli("gradient " + shell_quote(d / "in/keep/b.npy") + " -o " +
                              shell_quote(d / "single") + " --axis=-1,0");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(tree(d / "out/keep"), tree(d / "single"));
  EXPECT_EQ(tree(d / "out").size(), 4u);  // gx and gz of a and b
  const auto wrong =
      run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "o2") + " --mode gradient --y-up");
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("--y-up applies to --mode edges only"), std::string::npos) << wrong.err;
}

#endif  // GRADMAP_HAVE_OPENCV && GRADMAP_HAVE_ITK
