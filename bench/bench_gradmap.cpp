// SPDX-License-Identifier: MIT
// Google Benchmark of gradmap's kernels on the cases of issue 6, at 1 thread and at all cores.
// Bytes processed = input + outputs per call, so the "bytes_per_second" column is the effective
// bandwidth to hold against the limit bench_peers reports. Set GRADMAP_BENCH_QUICK=1 for the
// smoke-test sizes. Filter with e.g. --benchmark_filter='Edges/C'.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "bench_cases.hpp"
#include "gradmap/operators.hpp"

#ifdef BENCH_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "gradmap/opencv.hpp"
#endif

namespace {

using namespace bench;

/// Inputs are generated once per data key and shared by the cases that use the same data.
const Array& input_for(const CaseSpec& spec) {
  static std::map<std::string, Array> cache;
  auto it = cache.find(spec.data_key());
  if (it == cache.end()) it = cache.emplace(spec.data_key(), make_input(spec)).first;
  return it->second;
}

/// Times GradmapRunner::run() on one case in an arena of `threads` threads.
void run_case(benchmark::State& state, const CaseSpec& spec, bool allocating) {
  const int threads = static_cast<int>(state.range(0));
  tbb::task_arena arena(threads);
  GradmapRunner runner(spec, input_for(spec), allocating);
  arena.execute([&] { runner.run(); });  // warm-up: faults in outputs and scratch
  for (auto _ : state) {
    arena.execute([&] { runner.run(); });
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(spec.input_bytes() + spec.output_bytes()));
  state.counters["threads"] = threads;
}

/// memcpy of the input into one output-sized buffer: a bandwidth reference in the same report.
void run_copy(benchmark::State& state, const CaseSpec& spec) {
  const Array& in = input_for(spec);
  std::unique_ptr<unsigned char[]> out(new unsigned char[in.nbytes()]);
  std::memset(out.get(), 0, in.nbytes());
  for (auto _ : state) {
    std::memcpy(out.get(), in.data(), in.nbytes());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(in.nbytes()));
}

#ifdef BENCH_HAVE_OPENCV
/// Issue #13's Mat-level row: magnitude and direction of one 4096² float32 frame with outputs
/// reused across iterations, as a video loop would run it. `edges_into(Mat)` against the core
/// `edges_into` on views of the same Mats (the adapter's overhead), the allocating `edges(Mat)`
/// against the allocating core `edges(view)` (the same page faults on fresh maps), and OpenCV's Sobel(ksize
/// 1) + cartToPolar into reused Mats (OpenCV threads set to the same count).
enum class MatCall { mat_into, core_into, mat_alloc, core_alloc, opencv };

const cv::Mat& mat_frame() {
  static const cv::Mat m = [] {
    cv::Mat f(4096, 4096, CV_32FC1);
    cv::RNG(13).fill(f, cv::RNG::UNIFORM, 0.0, 255.0);
    return f;
  }();
  return m;
}

void run_mat(benchmark::State& state, MatCall call) {
  const int threads = static_cast<int>(state.range(0));
  const cv::Mat& src = mat_frame();
  tbb::task_arena arena(threads);
  gradmap::MatEdgeMaps maps;
  gradmap::edges_into(src, maps);  // outputs created once (also faults their pages in)
  gradmap::EdgeViews<float> views{gradmap::mutable_view_of<float>(maps.magnitude),
                                  gradmap::mutable_view_of<float>(maps.direction),
                                  {},
                                  {}};
  const auto in = gradmap::view_of<float>(src);
  cv::Mat gx, gy, mag, ang;
  const int cv_threads = cv::getNumThreads();
  cv::setNumThreads(threads);
  auto once = [&] {
    switch (call) {
      case MatCall::mat_into:
        arena.execute([&] { gradmap::edges_into(src, maps); });
        break;
      case MatCall::core_into:
        arena.execute([&] { gradmap::edges_into(in, views); });
        break;
      case MatCall::mat_alloc:
        arena.execute([&] { benchmark::DoNotOptimize(gradmap::edges(src)); });
        break;
      case MatCall::core_alloc:
        arena.execute([&] { benchmark::DoNotOptimize(gradmap::edges(in)); });
        break;
      case MatCall::opencv:
        cv::Sobel(src, gx, CV_32F, 1, 0, 1);
        cv::Sobel(src, gy, CV_32F, 0, 1, 1);
        cv::cartToPolar(gx, gy, mag, ang);
        break;
    }
  };
  once();  // warm-up
  for (auto _ : state) {
    once();
    benchmark::ClobberMemory();
  }
  cv::setNumThreads(cv_threads);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 3 *
                          static_cast<std::int64_t>(src.total() * src.elemSize()));
  state.counters["threads"] = threads;
}

void register_mat() {
  const std::pair<const char*, MatCall> calls[] = {
      {"MatEdges/edges_into_Mat", MatCall::mat_into},
      {"MatEdges/edges_into_core_view", MatCall::core_into},
      {"MatEdges/edges_Mat_allocating", MatCall::mat_alloc},
      {"MatEdges/edges_core_view_allocating", MatCall::core_alloc},
      {"MatEdges/opencv_Sobel1_cartToPolar", MatCall::opencv}};
  for (const auto& [name, call] : calls)
    benchmark::RegisterBenchmark(name, [call = call](benchmark::State& st) { run_mat(st, call); })
        ->Arg(1)
        ->Arg(2)
        ->ArgName("threads")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}
#endif

/// Issue #14's operators with a padded boundary (reflect) on cases A (2-D float32 4096²) and B
/// (3-D float32 256³): gradient_into with preallocated float32 components, as operators_bench.py
/// times them from Python against scipy, OpenCV and ITK.
void run_operator(benchmark::State& state, const CaseSpec& spec, const std::string& op) {
  const int threads = static_cast<int>(state.range(0));
  const Array& in = input_for(spec);
  const auto f = in.view<float>();
  std::vector<Array> outs;
  std::vector<gradmap::ArrayView<float>> views;
  for (int k = 0; k < spec.rank(); ++k) outs.emplace_back(gradmap::DType::float32, spec.shape);
  for (auto& o : outs) views.push_back(o.view<float>());
  gradmap::GradientOptions options;
  gradmap::parse_operator(op, options);
  options.boundary = gradmap::Boundary::reflect;
  tbb::task_arena arena(threads);
  arena.execute([&] { gradmap::gradient_into(f, views, options); });  // warm-up
  for (auto _ : state) {
    arena.execute([&] { gradmap::gradient_into(f, views, options); });
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(spec.input_bytes() + spec.output_bytes()));
  state.counters["threads"] = threads;
}

void register_operators(bool quick) {
  for (const CaseSpec& spec : make_cases(quick)) {
    if (spec.id != "A" && spec.id != "B") continue;
    for (const char* op :
         {"central", "central4", "sobel", "prewitt", "scharr", "gaussian:1", "gaussian:4", "gaussian:16"}) {
      const std::string name = std::string("Operators/") + spec.id + "/" + op;
      benchmark::RegisterBenchmark(
          name.c_str(), [spec, o = std::string(op)](benchmark::State& st) { run_operator(st, spec, o); })
          ->Arg(1)
          ->Arg(2)
          ->ArgName("threads")
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

int register_all() {
#ifdef BENCH_HAVE_OPENCV
  register_mat();
#endif
  const char* q = std::getenv("GRADMAP_BENCH_QUICK");
  const bool quick = q && *q && std::strcmp(q, "0") != 0;
  const int hw = tbb::info::default_concurrency();
  register_operators(quick);
  for (const CaseSpec& spec : make_cases(quick)) {
    const std::string kind = spec.kind == Kind::components ? "Gradient" : "Edges";
    auto* b = benchmark::RegisterBenchmark((kind + "/" + spec.id).c_str(),
                                           [spec](benchmark::State& st) { run_case(st, spec, false); });
    b->Arg(1)->Arg(hw)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);
    if (spec.kind == Kind::components) {
      auto* a = benchmark::RegisterBenchmark(("GradientAllocating/" + spec.id).c_str(),
                                             [spec](benchmark::State& st) { run_case(st, spec, true); });
      a->Arg(1)->Arg(hw)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    if (spec.kind != Kind::components) {
      // The same case's components alone (gradient_into, preallocated, the maps' dtype): the
      // difference to Edges/<case> is what the polar part (hypot, atan2, tiling) costs.
      CaseSpec comps = spec;
      comps.kind = Kind::components;
      auto* c = benchmark::RegisterBenchmark(("ComponentsOnly/" + spec.id).c_str(),
                                             [comps](benchmark::State& st) { run_case(st, comps, false); });
      c->Arg(1)->Arg(hw)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    if (spec.id == "A" || spec.id == "E") {
      benchmark::RegisterBenchmark(("CopyInput/" + spec.id).c_str(),
                                   [spec](benchmark::State& st) { run_copy(st, spec); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return 0;
}

[[maybe_unused]] const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
