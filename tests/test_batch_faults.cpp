// SPDX-License-Identifier: MIT
// `gradmap batch` under the faults of issue #8, end to end through the CLI on real files: a full
// disk and a file size limit in the middle of a batch, the output folder deleted and inputs deleted
// or truncated while the batch runs, SIGINT / SIGTERM / SIGKILL and the --skip-existing rerun, two
// batches writing into one folder, and symlinks (loops, links to folders and files) in the input
// tree. The single-file versions of the disk faults are in test_faults.cpp.
//
// Races are made deterministic rather than slept around: the test waits (polling, with a timeout)
// for the batch's first output, freezes the batch with SIGSTOP, changes the folders, and lets it
// go on with SIGCONT. With -j 1 the batch reads its inputs one at a time in sorted order, so the
// inputs after the one in flight have been listed but not opened yet.
//
// The disk-full cases mount a small tmpfs (tests run as root in CI) and are skipped, with the
// reason, where the machine refuses the mount.
#if defined(GRADMAP_HAVE_OPENCV) && defined(GRADMAP_CLI)

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_files.hpp"
#include "test_util.hpp"

using namespace gradmap_test;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::set<std::string> names(const std::map<std::string, std::string>& t) {
  std::set<std::string> n;
  for (const auto& [name, bytes] : t) n.insert(name);
  return n;
}

/// Every entry directly in `dir`, hidden ones included.
std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> n;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    n.insert(it->path().filename().string());
  return n;
}

/// Number of visible files directly in `dir` (cheap enough to poll).
std::size_t count_visible(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& name : listing(dir)) n += name[0] != '.';
  return n;
}

/// `n` random float64 .npy arrays of h×w named f00.npy ... in `dir`.
void make_npys(const std::string& dir, int n, int h, int w) {
  python_in("os.makedirs(d, exist_ok=True)\nfor i in range(" + std::to_string(n) +
                "):\n    np.save(f'{d}/f{i:02d}.npy', rng.random((" + std::to_string(h) + ", " +
                std::to_string(w) + ")))\n",
            dir);
}

/// Equal trees, or the names that differ (printing the files' bytes would drown the message).
::testing::AssertionResult same_files(const std::map<std::string, std::string>& got,
                                      const std::map<std::string, std::string>& want) {
  std::string diff;
  for (const auto& [name, bytes] : got)
    if (!want.count(name))
      diff += " unexpected:" + name;
    else if (want.at(name) != bytes)
      diff += " different:" + name;
  for (const auto& [name, bytes] : want)
    if (!got.count(name)) diff += " missing:" + name;
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "files differ:" << diff;
}

/// The file equals the reference's file of that name.
::testing::AssertionResult same_as(const std::string& bytes, const std::map<std::string, std::string>& want,
                                   const std::string& name) {
  if (!want.count(name)) return ::testing::AssertionFailure() << name << " is not in the reference";
  if (want.at(name) != bytes)
    return ::testing::AssertionFailure() << name << " differs from the uninterrupted run's (" << bytes.size()
                                         << " bytes, expected " << want.at(name).size() << ")";
  return ::testing::AssertionSuccess();
}

json read_json(const std::string& path) { return json::parse(slurp(path)); }

std::map<std::string, std::string> statuses(const json& report) {
  std::map<std::string, std::string> s;
  for (const auto& f : report["files"]) s[f["input"].get<std::string>()] = f["status"].get<std::string>();
  return s;
}

const json& entry(const json& report, const std::string& input) {
  for (const auto& f : report["files"])
    if (f["input"] == input) return f;
  static const json none;
  ADD_FAILURE() << input << " is not in the report";
  return none;
}

/// Starts the CLI in the background (stdout and stderr to `log`), optionally under a file size
/// limit (RLIMIT_FSIZE, bytes), and returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log, rlim_t file_size_limit = 0) {
  // Everything allocated before fork(): the child only makes system calls until exec.
  std::vector<char*> argv{const_cast<char*>(GRADMAP_CLI)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const rlimit lim{file_size_limit, file_size_limit};
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (file_size_limit > 0) ::setrlimit(RLIMIT_FSIZE, &lim);
    ::execv(GRADMAP_CLI, argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Kills and reaps a spawned batch still running (or frozen) when a test leaves early.
struct Reap {
  pid_t pid;
  ~Reap() {
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
};

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/// Waits for the process and returns its exit code as a shell reports it.
int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return exit_code_of(status);
}

/// Polls until `dir` holds at least `n` visible files; false if the process ended first or after
/// a 30 s timeout. On true, the process is still running (it may be about to end).
bool wait_for_outputs(pid_t pid, const fs::path& dir, std::size_t n, int* ended_status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, ended_status, WNOHANG) == pid) return false;
    if (count_visible(dir) >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

/// Freezes a running batch after its first output: true when it was caught before it ended.
bool freeze_after_first_output(pid_t pid, const fs::path& dir, const std::string& log) {
  int status = 0;
  if (!wait_for_outputs(pid, dir, 1, &status)) {
    ADD_FAILURE() << "the batch ended (exit " << exit_code_of(status)
                  << ") before its first output could be seen: " << slurp(log);
    return false;
  }
  ::kill(pid, SIGSTOP);
  // The stop is asynchronous: wait until the kernel reports it (or the process ended meanwhile).
  if (::waitpid(pid, &status, WUNTRACED) == pid && !WIFSTOPPED(status)) {
    ADD_FAILURE() << "the batch ended (exit " << exit_code_of(status) << ") before it could be frozen";
    return false;
  }
  return true;
}

/// Fills the file system of `dir` with `dir/filler` until exactly `free_kib` KiB remain.
void leave_free(const std::string& dir, std::size_t free_kib) {
  struct statvfs v {};
  ASSERT_EQ(::statvfs(dir.c_str(), &v), 0);
  const std::size_t available = static_cast<std::size_t>(v.f_bavail) * v.f_frsize;
  ASSERT_GT(available, free_kib * 1024);
  std::ofstream(dir + "/filler", std::ios::binary) << std::string(available - free_kib * 1024, 'x');
  ASSERT_EQ(::statvfs(dir.c_str(), &v), 0);
  ASSERT_EQ(static_cast<std::size_t>(v.f_bavail) * v.f_frsize, free_kib * 1024);
}

/// The reference: the same batch, uninterrupted, into its own folder.
std::map<std::string, std::string> reference_run(const std::string& in, const std::string& out,
                                                 const std::string& extra = "") {
  const auto r = run_cli("batch " + shell_quote(in) + " -o " + shell_quote(out) + " -q " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return tree(out);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Disk full and file size limit

TEST(BatchFaults, DiskFullStopsTheBatchEarlyAndLeavesNoPartialOutput) {
  TempDir d;
  make_npys(d / "in", 12, 100, 100);  // each output: 80 128 bytes, 20 pages of tmpfs
  const auto reference = reference_run(d / "in", d / "ref");
  ASSERT_EQ(reference.size(), 24u);
  const std::string full = d / "full";
  TmpfsMount mount(full, "4m");
  if (!mount.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.error() << ")";
  // 110 pages: two inputs (80), then one of f02's maps (20) fits and the other does not.
  ASSERT_NO_FATAL_FAILURE(leave_free(full, 440));
  const std::string batch = "batch " + shell_quote(d / "in") + " -o " + shell_quote(full) + " -j 1";

  const auto r = run_cli(batch + " --report " + shell_quote(d / "full.json"));
  // Stopped early: exit 5 (an output could not be written), not 6 after failing every file.
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  // f02's two outputs are written block by block together (write_npy_rows), so either may be the
  // one that finds the disk full; the message names that one, once.
  EXPECT_TRUE(r.err.find("f02_dir.npy': write failed: No space left on device") != std::string::npos ||
              r.err.find("f02_mag.npy': write failed: No space left on device") != std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(".npy': '"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no new files are started"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("2 ok, 1 failed, 0 skipped, 9 not processed (stopped: disk full)"), std::string::npos)
      << r.out;
  const json report = read_json(d / "full.json");
  for (int i = 0; i < 12; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%02d.npy", i);
    const json& f = entry(report, name);
    EXPECT_EQ(f["status"], i < 2 ? "ok" : i == 2 ? "failed" : "not_processed") << f.dump();
    if (i > 2) {
      EXPECT_EQ(f["reason"].get<std::string>().rfind("skipped: stopped after disk full (", 0), 0u)
          << f.dump();
      EXPECT_TRUE(f["outputs"].empty()) << f.dump();
    }
  }
  EXPECT_EQ(entry(report, "f02.npy")["outputs"], json::array());
  EXPECT_EQ(report["summary"]["failed"], 1);
  EXPECT_EQ(report["summary"]["not_processed"], 9);
  EXPECT_NE(report["summary"]["stopped"].get<std::string>().find("No space left on device"),
            std::string::npos);
  // No temporary, and no partial output: neither of f02's maps is left.
  const std::set<std::string> done = {"f00_dir.npy", "f00_mag.npy", "f01_dir.npy", "f01_mag.npy", "filler"};
  EXPECT_EQ(listing(full), done);
  for (const auto& name : done)
    if (name != "filler") {
      EXPECT_TRUE(same_as(slurp(full + "/" + name), reference, name));
    }

  // --keep-going tries every file: each fails with the same clear error, still leaving nothing.
  const auto all = run_cli(batch + " --skip-existing --keep-going --report " + shell_quote(d / "keep.json"));
  EXPECT_EQ(all.exit_code, 6) << all.out << all.err;
  const json kept = read_json(d / "keep.json");
  EXPECT_EQ(kept["summary"]["skipped"], 2);
  EXPECT_EQ(kept["summary"]["failed"], 10);
  EXPECT_EQ(kept["summary"]["not_processed"], 0);
  for (const auto& f : kept["files"])
    if (f["status"] == "failed") {
      EXPECT_NE(f["reason"].get<std::string>().find("No space left on device"), std::string::npos)
          << f.dump();
    }
  EXPECT_EQ(listing(full), done);

  // Space freed: a rerun with --skip-existing does exactly the rest.
  fs::remove(full + "/filler");
  const auto rest = run_cli(batch + " --skip-existing -q --report " + shell_quote(d / "rest.json"));
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(read_json(d / "rest.json")["summary"]["skipped"], 2);
  EXPECT_EQ(read_json(d / "rest.json")["summary"]["ok"], 10);
  auto final_tree = tree(full);
  final_tree.erase("filler");
  EXPECT_TRUE(same_files(final_tree, reference));
  EXPECT_TRUE(tree(full, /*hidden=*/true).empty());
}

TEST(BatchFaults, FileSizeLimitStopsTheBatchEarly) {
  TempDir d;
  make_npys(d / "in", 6, 100, 100);  // outputs of 80 128 bytes
  python_in("np.save(d + '/in/a_small.npy', rng.random((10, 10)))\n", d.path().string());  // 928 bytes
  const auto reference = reference_run(d / "in", d / "ref");
  fs::create_directory(d / "out");
  // 40 000 bytes: the small input's outputs fit, the others' do not (EFBIG, SIGXFSZ ignored).
  const pid_t pid = spawn_cli({"batch", d / "in", "-o", d / "out", "-j", "1", "--report", d / "r.json"},
                              d / "log.txt", 40000);
  Reap reap{pid};
  EXPECT_EQ(wait_exit(pid), 5) << slurp(d / "log.txt");
  const std::string log = slurp(d / "log.txt");
  // The two maps are written in parallel: either may be the one that reaches the limit first.
  EXPECT_TRUE(log.find("f00_mag.npy': write failed: File too large") != std::string::npos ||
              log.find("f00_dir.npy': write failed: File too large") != std::string::npos)
      << log;
  const json report = read_json(d / "r.json");
  EXPECT_EQ(statuses(report), (std::map<std::string, std::string>{{"a_small.npy", "ok"},
                                                                  {"f00.npy", "failed"},
                                                                  {"f01.npy", "not_processed"},
                                                                  {"f02.npy", "not_processed"},
                                                                  {"f03.npy", "not_processed"},
                                                                  {"f04.npy", "not_processed"},
                                                                  {"f05.npy", "not_processed"}}));
  EXPECT_EQ(listing(d / "out"), (std::set<std::string>{"a_small_dir.npy", "a_small_mag.npy"}));
  EXPECT_TRUE(same_as(slurp(d / "out/a_small_mag.npy"), reference, "a_small_mag.npy"));
}

// A single-file command whose first write fails (here the file size limit) leaves no output and
// no folder: the folders it made for its outputs go again when they stay empty; a folder that
// existed before stays.
TEST(BatchFaults, FailedFirstWriteLeavesNoEmptyOutputFolders) {
  TempDir d;
  make_npys(d / "in", 1, 100, 100);  // outputs of 80 128 bytes
  fs::create_directory(d / "kept");
  for (const std::string& out : {d / "made/sub", d / "kept/sub"}) {
    SCOPED_TRACE(out);
    const pid_t pid =
        spawn_cli({"edges", d / "in/f00.npy", "-o", out, "--format", "npy"}, d / "log.txt", 40000);
    Reap reap{pid};
    EXPECT_EQ(wait_exit(pid), 5) << slurp(d / "log.txt");
    EXPECT_NE(slurp(d / "log.txt").find("File too large"), std::string::npos) << slurp(d / "log.txt");
    EXPECT_FALSE(fs::exists(out));
  }
  EXPECT_FALSE(fs::exists(d / "made"));
  EXPECT_TRUE(fs::is_directory(d / "kept"));
  // A run that writes keeps its folders.
  const auto ok = run_cli("edges " + shell_quote(d / "in/f00.npy") + " -o " + shell_quote(d / "made/sub") +
                          " --format npy");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(listing(d / "made/sub"), (std::set<std::string>{"f00_dir.npy", "f00_mag.npy"}));
}

// The batch recognizes a full disk from the writer's reason: a writer that drops errno (the PNG
// writer did: "cannot write the encoded image to '<dir>/.x_mag.gradmap-tmp-…'") makes it fail every
// remaining file instead of stopping.
TEST(BatchFaults, DiskFullWithPngOutputsIsNamedAndStopsTheBatch) {
  TempDir d;
  make_pngs(d / "in", 10, 120, 120, 11);
  const std::string full = d / "full";
  TmpfsMount mount(full, "4m");
  if (!mount.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.error() << ")";
  ASSERT_NO_FATAL_FAILURE(leave_free(full, 60));  // about one input's magnitude and direction
  const auto r = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(full) + " -j 1 -q");
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("gradmap-tmp"), std::string::npos) << r.err;
  for (const auto& name : listing(full)) EXPECT_NE(name[0], '.') << name;
}

#ifdef GRADMAP_HAVE_ITK
// ITK's NIfTI writer only prints "** ERROR: NWAD: wrote only N of M bytes" on a short write and
// returns normally: unless gradmap measures what was written, a truncated (even empty) .nii is
// renamed into place and reported ok.
TEST(BatchFaults, NiftiOutputsOnAFullDiskAreNeverTruncated) {
  TempDir d;
  python_in(R"(
import nibabel as nib
os.makedirs(d + '/in')
for i in range(3):
    nib.save(nib.Nifti1Image(rng.random((40, 40, 40)).astype(np.float32), np.eye(4)), f'{d}/in/v{i}.nii')
)",
            d.path().string());
  const auto reference = reference_run(d / "in", d / "ref");
  const std::string full = d / "full";
  TmpfsMount mount(full, "4m");
  if (!mount.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.error() << ")";
  ASSERT_NO_FATAL_FAILURE(leave_free(full, 300));  // one 250 KiB magnitude, not its angles
  const auto r = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(full) + " -j 1 -q");
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  for (const auto& [name, bytes] : tree(full))
    if (name != "filler") {
      EXPECT_TRUE(same_as(bytes, reference, name)) << "a truncated output under its final name";
    }
}
#endif

TEST(BatchFaults, ReadOnlyOutputSubfolderFailsItsFilesAndTheRestContinues) {
  TempDir d;
  make_npys(d / "in", 2, 20, 20);
  make_npys(d / "in/ro", 2, 20, 20);
  make_npys(d / "in/rw", 2, 20, 20);
  // The mirrored subfolder out/ro is a read-only mount (chmod does not stop root).
  fs::create_directories(d / "out/ro");
  if (::mount("tmpfs", (d / "out/ro").c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a read-only tmpfs here (" << std::strerror(errno) << ")";
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{d / "out/ro"};
  const auto r = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") +
                         " -r -j 1 -q --report " + shell_quote(d / "r.json"));
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;  // not an early stop: other folders are writable
  const json report = read_json(d / "r.json");
  EXPECT_EQ(statuses(report), (std::map<std::string, std::string>{{"f00.npy", "ok"},
                                                                  {"f01.npy", "ok"},
                                                                  {"ro/f00.npy", "failed"},
                                                                  {"ro/f01.npy", "failed"},
                                                                  {"rw/f00.npy", "ok"},
                                                                  {"rw/f01.npy", "ok"}}));
  for (const char* name : {"ro/f00.npy", "ro/f01.npy"}) {
    const std::string reason = entry(report, name)["reason"].get<std::string>();
    EXPECT_NE(reason.find(d / "out/ro/"), std::string::npos) << reason;
    EXPECT_NE(reason.find("Read-only file system"), std::string::npos) << reason;
    EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
  }
  EXPECT_EQ(report["summary"]["stopped"], nullptr);
  EXPECT_EQ(tree(d / "out").size(), 8u);
  EXPECT_TRUE(listing(d / "out/ro").empty());
}

// ---------------------------------------------------------------------------------------------
// Folders and files changing under a running batch

TEST(BatchFaults, OutputFolderDeletedMidBatchIsRecreatedAndOnlyTheFileInFlightFails) {
  TempDir d;
  make_npys(d / "in", 24, 256, 256);  // 512 KiB per output: a few ms per input
  const auto reference = reference_run(d / "in", d / "ref");
  const std::string out = d / "out";
  const pid_t pid =
      spawn_cli({"batch", d / "in", "-o", out, "-j", "1", "--report", d / "r.json"}, d / "log.txt");
  Reap reap{pid};
  ASSERT_TRUE(freeze_after_first_output(pid, out, d / "log.txt"));
  // Deleted while the batch holds no handle to it: renamed away first (one atomic step for the
  // batch's path lookups), then removed.
  fs::rename(out, d / "gone");
  fs::remove_all(d / "gone");
  ::kill(pid, SIGCONT);
  const int code = wait_exit(pid);
  const std::string log = slurp(d / "log.txt");
  const json report = read_json(d / "r.json");
  // At most the file in flight when the folder vanished fails, with a clear error naming the
  // folder; every later file is written into the folder the batch recreates.
  const int failed = report["summary"]["failed"].get<int>();
  EXPECT_LE(failed, 1) << log;
  EXPECT_EQ(code, failed ? 6 : 0) << log;
  std::size_t first_present = 24;
  for (std::size_t i = 0; i < 24; ++i) {
    const json& f = report["files"][i];
    if (f["status"] == "failed") {
      const std::string reason = f["reason"].get<std::string>();
      EXPECT_NE(reason.find(out), std::string::npos) << reason;
      EXPECT_TRUE(reason.find("' does not exist") != std::string::npos ||
                  reason.find("' no longer exists") != std::string::npos)
          << reason;
      EXPECT_NE(log.find(reason), std::string::npos) << log;
      continue;
    }
    EXPECT_EQ(f["status"], "ok") << f.dump();
    bool present = true;
    for (const auto& o : f["outputs"]) present = present && fs::exists(o.get<std::string>());
    if (present && first_present == 24) first_present = i;
    // Once the folder is back, every input has all of its outputs.
    if (first_present < i) {
      EXPECT_TRUE(present) << f.dump();
    }
  }
  EXPECT_LE(first_present, 4u) << "the folder was not recreated early: " << log;
  for (const auto& [name, bytes] : tree(out)) EXPECT_TRUE(same_as(bytes, reference, name));
  EXPECT_TRUE(tree(out, /*hidden=*/true).empty());
  // A rerun with --skip-existing brings back what was deleted.
  const auto rest =
      run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(out) + " -q --skip-existing");
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_TRUE(same_files(tree(out), reference));
}

TEST(BatchFaults, InputsDeletedOrTruncatedAfterListingFailAloneWithTheirPath) {
  TempDir d;
  make_pngs(d / "in", 30, 200, 200, 11);
  const auto reference = reference_run(d / "in", d / "ref");
  const std::string in = d / "in", out = d / "out";
  const pid_t pid = spawn_cli({"batch", in, "-o", out, "-j", "1", "--report", d / "r.json"}, d / "log.txt");
  Reap reap{pid};
  ASSERT_TRUE(freeze_after_first_output(pid, out, d / "log.txt"));
  // The batch has listed every input and opened at most the second one.
  ASSERT_LE(count_visible(out), 4u);
  fs::remove(in + "/img029.png");
  fs::resize_file(in + "/img028.png", fs::file_size(in + "/img028.png") / 2);
  fs::resize_file(in + "/img027.png", 0);
  ::kill(pid, SIGCONT);
  const int code = wait_exit(pid);
  const std::string log = slurp(d / "log.txt");
  EXPECT_EQ(code, 6) << log;  // documented: some inputs failed, the others were processed
  const json report = read_json(d / "r.json");
  EXPECT_EQ(report["summary"]["ok"], 27);
  EXPECT_EQ(report["summary"]["failed"], 3);
  for (const char* name : {"img027.png", "img028.png", "img029.png"}) {
    const json& f = entry(report, name);
    EXPECT_EQ(f["status"], "failed") << f.dump();
    const std::string reason = f["reason"].get<std::string>();
    EXPECT_NE(reason.find(in + "/" + name), std::string::npos) << reason;
    EXPECT_NE(log.find(reason), std::string::npos) << log;
    EXPECT_TRUE(f["outputs"].empty()) << f.dump();
  }
  EXPECT_NE(entry(report, "img029.png")["reason"].get<std::string>().find("no such file"), std::string::npos);
  auto expected = reference;
  for (const char* stem : {"img027", "img028", "img029"})
    for (const char* product : {"_mag.png", "_dir.png"}) expected.erase(std::string(stem) + product);
  EXPECT_TRUE(same_files(tree(out), expected));
  EXPECT_TRUE(tree(out, /*hidden=*/true).empty());
}

// ---------------------------------------------------------------------------------------------
// Signals and the --skip-existing rerun

namespace {

/// Inode of every visible file under `dir`, to tell a kept file from a rewritten one.
std::map<std::string, ino_t> inodes(const fs::path& dir) {
  std::map<std::string, ino_t> m;
  for (const auto& [name, bytes] : tree(dir)) {
    struct stat st {};
    ::stat((dir / name).c_str(), &st);
    m[name] = st.st_ino;
  }
  return m;
}

/// After an interrupted run into `out`: every visible file is complete, and a rerun with
/// --skip-existing writes exactly the outputs of the unfinished inputs, keeps the others' files,
/// and ends byte-identical to the uninterrupted run.
void expect_resume_completes(const std::string& in, const std::string& out, const std::string& report_path,
                             const std::map<std::string, std::string>& reference) {
  const auto partial = tree(out);
  EXPECT_LT(partial.size(), reference.size());
  std::set<std::string> unfinished;  // stems with a missing output
  for (const auto& [name, bytes] : reference) {
    const std::string stem = name.substr(0, name.rfind('_'));
    if (!partial.count(name)) unfinished.insert(stem);
  }
  for (const auto& [name, bytes] : partial)
    EXPECT_TRUE(same_as(bytes, reference, name)) << "an incomplete file";
  const auto kept_inodes = inodes(out);
  const auto rest = run_cli("batch " + shell_quote(in) + " -o " + shell_quote(out) +
                            " --skip-existing -q --report " + shell_quote(report_path));
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  const json report = read_json(report_path);
  std::set<std::string> rewritten, redone;
  for (const auto& f : report["files"]) {
    const std::string stem = fs::path(f["input"].get<std::string>()).stem().string();
    if (f["status"] == "ok") {
      redone.insert(stem);
      for (const auto& o : f["outputs"]) rewritten.insert(fs::path(o.get<std::string>()).filename().string());
    } else {
      EXPECT_EQ(f["status"], "skipped") << f.dump();
    }
  }
  EXPECT_EQ(redone, unfinished);
  std::set<std::string> expected_written;
  for (const auto& [name, bytes] : reference)
    if (unfinished.count(name.substr(0, name.rfind('_')))) expected_written.insert(name);
  EXPECT_EQ(rewritten, expected_written);
  const auto after = inodes(out);
  for (const auto& [name, ino] : kept_inodes)
    if (!unfinished.count(name.substr(0, name.rfind('_')))) {
      EXPECT_EQ(after.at(name), ino) << name << " was rewritten";
    }
  EXPECT_TRUE(same_files(tree(out), reference));
}

}  // namespace

TEST(BatchFaults, SigintAndSigtermLeaveOnlyCompleteFilesAndTheRerunDoesExactlyTheRest) {
  TempDir d;
  make_pngs(d / "in", 40, 300, 300, 11);
  const auto reference = reference_run(d / "in", d / "ref");
  ASSERT_EQ(reference.size(), 80u);
  for (const int sig : {SIGINT, SIGTERM}) {
    const std::string label = sig == SIGINT ? "SIGINT" : "SIGTERM";
    SCOPED_TRACE(label);
    const std::string out = d / label, log = d / (label + ".log"), rep = d / (label + ".json");
    // Two files in flight: both stop after their current step.
    const pid_t pid = spawn_cli({"batch", d / "in", "-o", out, "-j", "2", "--report", rep}, log);
    Reap reap{pid};
    int status = 0;
    ASSERT_TRUE(wait_for_outputs(pid, out, 7, &status))
        << "ended before it could be interrupted: " << slurp(log);
    ::kill(pid, sig);
    EXPECT_EQ(wait_exit(pid), sig == SIGINT ? 130 : 143) << slurp(log);  // 128 + signal number
    EXPECT_NE(slurp(log).find("interrupted (" + label + ")"), std::string::npos) << slurp(log);
    // Ctrl-C is a terminal's key: a SIGTERM from a scheduler is told how to stop at once instead.
    EXPECT_EQ(slurp(log).find("Ctrl-C") != std::string::npos, sig == SIGINT) << slurp(log);
    EXPECT_NE(slurp(log).find("rerun with --skip-existing"), std::string::npos) << slurp(log);
    EXPECT_TRUE(tree(out, /*hidden=*/true).empty()) << "temporaries left behind";
    const json report = read_json(rep);
    EXPECT_GT(report["summary"]["interrupted"].get<int>(), 0);
    for (const auto& f : report["files"])
      if (f["status"] == "interrupted") {
        EXPECT_EQ(f["reason"], "not finished: the batch was interrupted") << f.dump();
      }
    expect_resume_completes(d / "in", out, d / (label + "-resume.json"), reference);
  }
}

TEST(BatchFaults, SigkillLeavesOnlyItsOwnHiddenTemporariesAndTheRerunCompletes) {
  TempDir d;
  make_pngs(d / "in", 40, 300, 300, 11);
  const auto reference = reference_run(d / "in", d / "ref");
  const std::string out = d / "out";
  const pid_t pid = spawn_cli({"batch", d / "in", "-o", out, "-j", "2"}, d / "log.txt");
  Reap reap{pid};
  int status = 0;
  ASSERT_TRUE(wait_for_outputs(pid, out, 7, &status))
      << "ended before it could be killed: " << slurp(d / "log.txt");
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
  // No handler runs on SIGKILL: a file being written stays as a hidden temporary named for the
  // killed process, never under a final name.
  for (const auto& [name, bytes] : tree(out, /*hidden=*/true))
    EXPECT_NE(name.find(".gradmap-tmp-" + std::to_string(pid) + "-"), std::string::npos) << name;
  expect_resume_completes(d / "in", out, d / "resume.json", reference);
}

// ---------------------------------------------------------------------------------------------
// Two batches on one folder

namespace {

/// The report's `run` names this host, the process `pid` and a UTC start time.
void expect_run_identity(const json& report, pid_t pid) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(report["run"]["host"], std::string(host)) << report["run"].dump();
  EXPECT_EQ(report["run"]["pid"], pid) << report["run"].dump();
  EXPECT_TRUE(std::regex_match(report["run"]["started"].get<std::string>(),
                               std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")))
      << report["run"].dump();
}

}  // namespace

TEST(BatchFaults, TwoBatchesOverwritingOneFolderLeaveValidOutputsAndSayWhoWroteWhat) {
  TempDir d;
  make_pngs(d / "in", 30, 200, 200, 11);
  const auto reference = reference_run(d / "in", d / "ref");
  const std::string out = d / "out";
  const pid_t a = spawn_cli(
      {"batch", d / "in", "-o", out, "-j", "1", "--overwrite", "--report", d / "a.json"}, d / "a.log");
  Reap reap_a{a};
  // The second starts while the first is writing: the same outputs are replaced under it.
  int status = 0;
  ASSERT_TRUE(wait_for_outputs(a, out, 1, &status)) << slurp(d / "a.log");
  const pid_t b = spawn_cli(
      {"batch", d / "in", "-o", out, "-j", "1", "--overwrite", "--report", d / "b.json"}, d / "b.log");
  Reap reap_b{b};
  EXPECT_EQ(wait_exit(a), 0) << slurp(d / "a.log");
  EXPECT_EQ(wait_exit(b), 0) << slurp(d / "b.log");
  EXPECT_TRUE(same_files(tree(out), reference));  // atomic renames: every file whole, whoever renamed it last
  EXPECT_TRUE(tree(out, /*hidden=*/true).empty());
  for (const auto& [pid, rep] : {std::pair<pid_t, std::string>{a, d / "a.json"}, {b, d / "b.json"}}) {
    const json report = read_json(rep);
    expect_run_identity(report, pid);
    EXPECT_EQ(report["summary"]["ok"], 30);
    std::set<std::string> written;
    for (const auto& f : report["files"])
      for (const auto& o : f["outputs"]) written.insert(fs::path(o.get<std::string>()).filename().string());
    EXPECT_EQ(written, names(reference));
  }
}

TEST(BatchFaults, TwoShardsInOneFolderAtOnceSplitTheWorkAndSayWhoWroteWhat) {
  TempDir d;
  make_pngs(d / "in", 30, 200, 200, 11);
  const auto reference = reference_run(d / "in", d / "ref");
  const std::string out = d / "out";
  std::vector<pid_t> pids;
  for (int i = 0; i < 2; ++i)
    pids.push_back(spawn_cli({"batch", d / "in", "-o", out, "-j", "1", "--shard", std::to_string(i) + "/2",
                              "--report", d / ("s" + std::to_string(i) + ".json")},
                             d / ("s" + std::to_string(i) + ".log")));
  Reap reap0{pids[0]}, reap1{pids[1]};
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(wait_exit(pids[i]), 0) << slurp(d / ("s" + std::to_string(i) + ".log"));
  EXPECT_TRUE(same_files(tree(out), reference));
  EXPECT_TRUE(tree(out, /*hidden=*/true).empty());
  std::set<std::string> all_written;
  std::size_t count = 0;
  for (int i = 0; i < 2; ++i) {
    const json report = read_json(d / ("s" + std::to_string(i) + ".json"));
    expect_run_identity(report, pids[i]);
    EXPECT_EQ(report["shard"], std::to_string(i) + "/2");
    EXPECT_EQ(report["summary"]["ok"], 15);
    for (const auto& f : report["files"])
      for (const auto& o : f["outputs"]) {
        all_written.insert(fs::path(o.get<std::string>()).filename().string());
        ++count;
      }
  }
  EXPECT_EQ(count, reference.size());  // disjoint: each output written by exactly one shard
  EXPECT_EQ(all_written, names(reference));
}

// ---------------------------------------------------------------------------------------------
// Symlinks in the input tree

TEST(BatchFaults, SymlinksAreFollowedOnceAndLoopsAreWarnings) {
  TempDir d;
  make_pngs(d / "in", 1, 16, 16, 11);                              // in/img000.png
  make_pngs(d / "in/real", 1, 16, 17, 11);                         // in/real/img000.png
  make_pngs(d / "outside/data", 1, 18, 16, 11);                    // outside the input folder
  fs::create_directory_symlink("real", d / "in/alias");            // a second path to in/real
  fs::create_directory_symlink("..", d / "in/real/up");            // a loop back to in/
  fs::create_directory_symlink(d / "outside/data", d / "in/ext");  // a folder elsewhere
  fs::create_symlink("real/img000.png", d / "in/linked.png");      // a file through a link
  fs::create_symlink("missing.png", d / "in/dangling.png");        // a link to nothing
  const auto r = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "out") +
                         " --recursive -q --report " + shell_quote(d / "r.json"));
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;  // the dangling link only
  const json report = read_json(d / "r.json");
  EXPECT_EQ(statuses(report), (std::map<std::string, std::string>{{"dangling.png", "failed"},
                                                                  {"ext/img000.png", "ok"},
                                                                  {"img000.png", "ok"},
                                                                  {"linked.png", "ok"},
                                                                  {"real/img000.png", "ok"}}));
  EXPECT_NE(entry(report, "dangling.png")["reason"].get<std::string>().find("dangling.png': no such file"),
            std::string::npos)
      << entry(report, "dangling.png").dump();
  EXPECT_EQ(report["summary"]["failed"], 1);  // the loop and the second path are warnings
  std::map<std::string, std::string> problems;
  for (const auto& p : report["problems"]) {
    EXPECT_EQ(p["status"], "warning") << p.dump();
    // Lexically: fs::relative would resolve the links themselves.
    problems[fs::path(p["path"].get<std::string>()).lexically_relative(d / "in").string()] =
        p["reason"].get<std::string>();
  }
  ASSERT_EQ(problems.size(), 2u) << report["problems"].dump();
  // The real folder is searched under its own name, whatever order the listing returns.
  EXPECT_NE(problems["alias"].find("already searched as 'real'"), std::string::npos) << problems["alias"];
  EXPECT_NE(problems["real/up"].find("symlink loop"), std::string::npos) << problems["real/up"];
  EXPECT_NE(r.err.find("symlink loop"), std::string::npos) << r.err;
  EXPECT_EQ(names(tree(d / "out")),
            (std::set<std::string>{"ext/img000_dir.png", "ext/img000_mag.png", "img000_dir.png",
                                   "img000_mag.png", "linked_dir.png", "linked_mag.png",
                                   "real/img000_dir.png", "real/img000_mag.png"}));
  EXPECT_TRUE(slurp(d / "out/linked_mag.png") ==
              slurp(d / "out/real/img000_mag.png"));  // the target's pixels
  // Without --recursive no folder is entered, linked or not; linked files still count.
  const auto flat =
      run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(d / "flat") + " --dry-run");
  EXPECT_EQ(flat.exit_code, 0) << flat.err;
  EXPECT_NE(flat.out.find("plan: 3 input(s)"), std::string::npos) << flat.out;
  EXPECT_EQ(flat.out.find("real/"), std::string::npos) << flat.out;
}

#endif  // GRADMAP_HAVE_OPENCV && GRADMAP_CLI
