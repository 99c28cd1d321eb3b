// SPDX-License-Identifier: MIT
// gradmap's own threads, on .npy inputs so that they run in every build (the ThreadSanitizer build
// has neither ITK nor OpenCV): `gradmap batch` with several files in flight at once, each file's
// kernels splitting their tiles over the same oneTBB workers, and the library's kernels entered
// from several application threads at once. Each result must equal a one-thread run byte for byte;
// under scripts/sanitize.sh thread any data race fails the test (the CLI exits 66 on a report).
#include <gtest/gtest.h>
#include <sched.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"
#include "test_arrays.hpp"
#include "test_files.hpp"
#include "test_util.hpp"

using namespace gradmap;
using namespace gradmap_test;
namespace fs = std::filesystem;

namespace {

/// Runs a command with this thread (and so the child) pinned to one CPU: oneTBB then sizes every
/// arena to one thread, which makes the run single-threaded throughout.
CommandResult run_on_one_cpu(const std::string& cmdline) {
  cpu_set_t old_set, one;
  EXPECT_EQ(::sched_getaffinity(0, sizeof old_set, &old_set), 0);
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &old_set)) ++cpu;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  EXPECT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
  CommandResult r = run_command(cmdline);
  EXPECT_EQ(::sched_setaffinity(0, sizeof old_set, &old_set), 0);
  return r;
}

/// Six .npy inputs of four dtypes, 2-D and 3-D, in two folders; each spans several kernel tiles
/// (about 512 KiB of float components per tile), and their sizes differ so that files finish at
/// different times and idle workers steal tiles of the files still in flight.
void make_inputs(const std::string& dir) {
  const auto r = run_python(R"(
import numpy as np, os, sys
d = sys.argv[1]
rng = np.random.default_rng(11)
os.makedirs(d + '/sub', exist_ok=True)
np.save(d + '/a.npy', rng.standard_normal((700, 600)).astype(np.float32))
np.save(d + '/b.npy', rng.standard_normal((300, 500)))
np.save(d + '/e.npy', rng.standard_normal((64, 64)).astype(np.float32))
np.save(d + '/sub/c.npy', (rng.random((20, 96, 80)) * 255).astype(np.uint8))
np.save(d + '/sub/d.npy', (rng.standard_normal((400, 300)) * 900).astype(np.int16))
np.save(d + '/sub/f.npy', rng.standard_normal((12, 40, 50)).astype(np.float32))
)",
                            shell_quote(dir));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace

#ifdef GRADMAP_CLI

TEST(Thread, BatchOfNpyFilesInParallelEqualsOneThreadByteForByte) {
  TempDir d;
  make_inputs(d / "in");
  // The reference really is single-threaded: pinned, the default concurrency is 1.
  const auto plan = run_on_one_cpu(std::string(GRADMAP_CLI) + " batch " + shell_quote(d / "in") + " -o " +
                                   shell_quote(d / "plan") + " -r --dry-run");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  ASSERT_NE(plan.out.find("1 at a time"), std::string::npos) << plan.out;

  for (const std::string mode : {"edges", "gradient"}) {
    SCOPED_TRACE(mode);
    const std::string common = " -r -q --mode " + mode;
    const auto ref = run_on_one_cpu(std::string(GRADMAP_CLI) + " batch " + shell_quote(d / "in") + " -o " +
                                    shell_quote(d / ("ref_" + mode)) + common + " -j 1");
    ASSERT_EQ(ref.exit_code, 0) << ref.out << ref.err;
    // More files in flight than this machine has cores: the arena gets -j threads, so file tasks
    // and kernel tiles interleave even on 2 cores.
    for (const int jobs : {2, 4}) {
      SCOPED_TRACE("-j " + std::to_string(jobs));
      const std::string out = d / (mode + std::to_string(jobs)),
                        report = d / (mode + std::to_string(jobs) + ".json");
      const auto par = run_cli("batch " + shell_quote(d / "in") + " -o " + shell_quote(out) + common +
                               " -j " + std::to_string(jobs) + " --report " + shell_quote(report));
      ASSERT_EQ(par.exit_code, 0) << par.out << par.err;
      EXPECT_EQ(par.err.find("ThreadSanitizer"), std::string::npos) << par.err;
      const auto summary = nlohmann::json::parse(slurp(report))["summary"];
      EXPECT_EQ(summary["ok"], 6) << summary.dump();
      EXPECT_EQ(summary["jobs"], jobs) << summary.dump();
      const auto got = tree(out), want = tree(d / ("ref_" + mode));
      EXPECT_TRUE(tree(out, /*hidden=*/true).empty()) << "temporaries left behind";
      // edges: mag + dir of four 2-D inputs, mag + azimuth + elevation of two volumes; gradient:
      // one component per axis. 14 files either way.
      EXPECT_EQ(want.size(), 14u);
      EXPECT_EQ(got, want);
    }
  }

  // And the parallel result is numpy's.
  const auto check = run_python(R"(
import numpy as np, sys
d = sys.argv[1]
a = np.load(d + '/in/a.npy'); gy, gx = np.gradient(a)
ok = np.array_equal(np.load(d + '/edges4/a_mag.npy'), np.hypot(gy, gx))
ok &= all(np.array_equal(np.load(f'{d}/gradient4/sub/c_g{n}.npy'), g)
          for n, g in zip('zyx', np.gradient(np.load(d + '/in/sub/c.npy'))))
sys.exit(0 if ok else 1)
)",
                                shell_quote(d.path().string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

#endif  // GRADMAP_CLI

TEST(Thread, LibraryKernelsCalledFromSeveralThreadsAtOnceEqualOneThread) {
  const std::vector<Array> inputs = {random_array<float>(DType::float32, {301, 403}, 10.0, 1),
                                     random_array<double>(DType::float64, {257, 190}, 3.0, 2),
                                     random_array<std::uint8_t>(DType::uint8, {17, 61, 45}, 60.0, 3),
                                     random_array<std::int16_t>(DType::int16, {150, 333}, 500.0, 4)};
  auto run = [](const Array& f, EdgeMaps& maps, std::vector<Array>& grad) {
    EdgeOptions o;
    o.tile_rows = 5;  // many small tiles: more hand-overs between threads
    maps = edges(f, o);
    grad = gradient(f);
  };
  std::vector<EdgeMaps> ref(inputs.size()), got(inputs.size());
  std::vector<std::vector<Array>> ref_grad(inputs.size()), got_grad(inputs.size());
  tbb::task_arena one(1);
  for (std::size_t i = 0; i < inputs.size(); ++i) one.execute([&] { run(inputs[i], ref[i], ref_grad[i]); });

  // One application thread per input, all in the shared default arena, with more workers than cores.
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    threads.emplace_back([&, i] { run(inputs[i], got[i], got_grad[i]); });
  for (auto& t : threads) t.join();

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    EXPECT_TRUE(same_bits(got[i].magnitude, ref[i].magnitude));
    EXPECT_TRUE(same_bits(got[i].direction, ref[i].direction));
    EXPECT_TRUE(same_bits(got[i].elevation, ref[i].elevation));
    ASSERT_EQ(got_grad[i].size(), ref_grad[i].size());
    for (std::size_t k = 0; k < ref_grad[i].size(); ++k)
      EXPECT_TRUE(same_bits(got_grad[i][k], ref_grad[i][k])) << k;
  }
}
