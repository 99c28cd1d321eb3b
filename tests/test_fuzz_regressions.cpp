// SPDX-License-Identifier: MIT
// Every input the fuzzers (fuzz/, scripts/fuzz.sh) found crashing or hanging a reader is committed
// under tests/data/fuzz-regressions/ and must now be refused with a clean gradmap::Error. Each file
// is read in a child process with a time limit, so that a regression shows up as this test failing
// (crash, sanitizer report or hang) instead of taking the whole test binary down or stalling CI.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gradmap/error.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;

enum Outcome { kRefused = 0, kAccepted = 10, kOtherException = 11, kTimedOut = 12 };

/// Reads `path` in a forked child; the child's exit status says how read_image ended.
std::string read_in_child(const std::string& path, unsigned seconds) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGALRM, [](int) { ::_exit(kTimedOut); });
    ::alarm(seconds);
    try {
      gradmap::ReadOptions o;
      o.max_memory = std::size_t{256} << 20;
      gradmap::read_image(path, o);
      ::_exit(kAccepted);
    } catch (const gradmap::Error&) {
      ::_exit(kRefused);
    } catch (...) {
      ::_exit(kOtherException);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  switch (WEXITSTATUS(status)) {
    case kRefused:
      return "refused";
    case kAccepted:
      return "accepted";
    case kOtherException:
      return "threw something other than gradmap::Error";
    case kTimedOut:
      return "hung (more than " + std::to_string(seconds) + " s)";
    default:
      return "exited with status " + std::to_string(WEXITSTATUS(status)) + " (a sanitizer report?)";
  }
}

}  // namespace

TEST(FuzzRegressions, EveryCommittedCrashInputIsRefusedCleanly) {
  const fs::path dir = gradmap_test::source_path("tests/data/fuzz-regressions");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  ASSERT_FALSE(files.empty()) << "no regression inputs in " << dir;
  for (const auto& f : files) EXPECT_EQ(read_in_child(f.string(), 20), "refused") << f;
}
