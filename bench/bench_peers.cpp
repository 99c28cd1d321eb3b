// SPDX-License-Identifier: MIT
// bench_peers: gradmap against the memory-bandwidth limit and against what users run today
// (numpy, OpenCV, ITK), on identical seeded data, in one run; prints and writes a markdown table.
//
// For every case of issue 6 and at 1 thread and at all cores it times, median of N runs after a
// warm-up: gradmap; a "limit" kernel that moves the same bytes (reads the input once, writes each
// output once; best of a plain loop and a streaming-store loop); OpenCV; ITK; and (one thread, via
// /usr/bin/python3) numpy. Effective bandwidth = (input bytes + output bytes) / time. Peak RSS of
// each gradmap case is measured in a forked child. With --check it also verifies that gradmap's
// outputs equal the peers' where they should (interior components, magnitudes within 1e-5,
// directions), that numpy saw the same data (sums of |output|), and that gradmap's bits do not
// depend on the thread count; the exit status says whether all checks passed.
#include <emmintrin.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <tbb/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench_cases.hpp"
#include "peers.hpp"

namespace bench {
namespace {

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  bool quick = false;
  index_t side_2d = 0, side_3d = 0;
  int reps = 7;
  double budget_s = 2.0;  // per measurement: stop repeating once this is spent (after 3 runs)
  std::string markdown;
  bool check = false;
  bool numpy = true;
  bool rss = true;
  std::string python = "/usr/bin/python3";
  std::string numpy_script;
  std::vector<std::string> only;  // case ids; empty = all
};

[[noreturn]] void usage(const char* argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--quick] [--side2d N] [--side3d N] [--reps N] [--budget SECONDS]\n"
               "          [--markdown PATH] [--check] [--no-numpy] [--no-rss] [--python PATH]\n"
               "          [--numpy-script PATH] [--cases A,B,...]\n"
               "  --quick     small sizes (smoke test); --side2d/--side3d override the sides\n"
               "  --reps      runs per measurement after one warm-up (median reported; default 7)\n"
               "  --budget    seconds per measurement after which repetition stops (min 3 runs)\n"
               "  --check     verify gradmap against the peers; non-zero exit if a check fails\n",
               argv0);
  std::exit(code);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0], 2);
      return argv[++i];
    };
    if (a == "--quick")
      o.quick = true;
    else if (a == "--side2d")
      o.side_2d = std::stol(next());
    else if (a == "--side3d")
      o.side_3d = std::stol(next());
    else if (a == "--reps")
      o.reps = std::max(1, std::stoi(next()));
    else if (a == "--budget")
      o.budget_s = std::stod(next());
    else if (a == "--markdown")
      o.markdown = next();
    else if (a == "--check")
      o.check = true;
    else if (a == "--no-numpy")
      o.numpy = false;
    else if (a == "--no-rss")
      o.rss = false;
    else if (a == "--python")
      o.python = next();
    else if (a == "--numpy-script")
      o.numpy_script = next();
    else if (a == "--cases") {
      std::stringstream ss(next());
      for (std::string id; std::getline(ss, id, ',');) o.only.push_back(id);
    } else if (a == "-h" || a == "--help")
      usage(argv[0], 0);
    else {
      std::fprintf(stderr, "bench_peers: unknown argument '%s'\n", a.c_str());
      usage(argv[0], 2);
    }
  }
  if (o.numpy_script.empty()) {
    // Next to the sources (the build passes their location), else next to the binary.
#ifdef BENCH_SOURCE_DIR
    o.numpy_script = std::string(BENCH_SOURCE_DIR) + "/peers_numpy.py";
#else
    o.numpy_script = "peers_numpy.py";
#endif
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Timing

using Clock = std::chrono::steady_clock;

struct Timing {
  double median_s = 0;
  int reps = 0;
  bool ok = false;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// One warm-up, then up to `reps` timed runs (at least 3, fewer than `reps` once `budget` is spent),
/// all inside a oneTBB arena of `threads` so gradmap, the limit kernel and TBB-backed peers see the
/// same concurrency.
template <class Fn>
Timing time_runs(Fn&& fn, int threads, const Options& o) {
  Timing t;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    fn();
    std::vector<double> s;
    double spent = 0;
    while (static_cast<int>(s.size()) < o.reps && (s.size() < 3 || spent < o.budget_s)) {
      const auto t0 = Clock::now();
      fn();
      s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      spent += s.back();
    }
    t.median_s = median(s);
    t.reps = static_cast<int>(s.size());
    t.ok = true;
  });
  return t;
}

// ---------------------------------------------------------------------------------------------
// The bandwidth-limit kernel: reads the input once and writes every output once, converting the
// input type to the output type (as gradmap must), and computes nothing else.

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<void, AlignedFree>;

/// An output buffer for the limit kernel. `huge`: 2 MiB aligned and advised for transparent huge
/// pages, as gradmap's Array allocates (one page fault per 2 MiB instead of per 4 KiB, and fewer TLB
/// misses); otherwise plain 4 KiB pages, what numpy's and ITK's allocations get.
Buffer aligned_buffer(std::size_t bytes, bool huge) {
  huge = huge && bytes >= (std::size_t{4} << 20);  // small buffers: as gradmap's Array, no huge pages
  const std::size_t align = huge ? std::size_t{2} << 20 : 64;
  const std::size_t rounded = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (huge) madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return Buffer(p);
}

template <int N, class In, class Out>
void limit_plain(const In* in, Out* const* out, index_t b, index_t e) {
  Out* o[N];
  for (int k = 0; k < N; ++k) o[k] = out[k];
  for (index_t i = b; i < e; ++i) {
    const Out v = static_cast<Out>(in[i]);
    for (int k = 0; k < N; ++k) o[k][i] = v;
  }
}

/// Non-temporal stores skip the read-for-ownership of each output line, which is the largest
/// cost a plain store loop pays on outputs that do not fit in cache. Needs [b, e) on 64-byte
/// boundaries of 64-byte aligned outputs (the tail goes through limit_plain).
template <int N, class In, class Out>
void limit_stream(const In* in, Out* const* out, index_t b, index_t e) {
  constexpr int L = 64 / sizeof(Out);  // one cache line of outputs
  for (index_t i = b; i + L <= e; i += L) {
    alignas(64) Out t[L];
    for (int j = 0; j < L; ++j) t[j] = static_cast<Out>(in[i + j]);
    for (int k = 0; k < N; ++k) {
      if constexpr (std::is_same_v<Out, float>) {
        for (int q = 0; q < L; q += 4) _mm_stream_ps(out[k] + i + q, _mm_load_ps(t + q));
      } else {
        for (int q = 0; q < L; q += 2) _mm_stream_pd(out[k] + i + q, _mm_load_pd(t + q));
      }
    }
  }
  _mm_sfence();
}

template <class In, class Out>
void limit_run(const In* in, Out* const* out, int n_out, index_t n, bool stream) {
  constexpr index_t block = index_t{1} << 16;  // elements per task: a multiple of any cache line
  const index_t blocks = (n + block - 1) / block;
  tbb::parallel_for(
      tbb::blocked_range<index_t>(0, blocks, 1),
      [&](const tbb::blocked_range<index_t>& r) {
        for (index_t k = r.begin(); k < r.end(); ++k) {
          const index_t b = k * block, e = std::min(n, b + block);
          const index_t e_stream =
              stream ? b + (e - b) / (64 / index_t(sizeof(Out))) * (64 / index_t(sizeof(Out))) : b;
          switch (n_out) {
            case 1:
              if (stream) limit_stream<1>(in, out, b, e_stream);
              limit_plain<1>(in, out, e_stream, e);
              break;
            case 2:
              if (stream) limit_stream<2>(in, out, b, e_stream);
              limit_plain<2>(in, out, e_stream, e);
              break;
            default:
              if (stream) limit_stream<3>(in, out, b, e_stream);
              limit_plain<3>(in, out, e_stream, e);
              break;
          }
        }
      },
      tbb::static_partitioner());
}

/// The limit for a case: `fresh` allocates the outputs inside the timed call (what an allocating
/// API pays: page faults on first touch), otherwise they are allocated once; `huge` as in
/// aligned_buffer().
class Limit {
 public:
  Limit(const CaseSpec& spec, const Array& input, bool stream, bool fresh, bool huge = true)
      : spec_(spec), input_(input), stream_(stream), fresh_(fresh), huge_(huge) {
    if (!fresh_) allocate();
  }
  void run() {
    if (fresh_) allocate();
    gradmap::visit_dtype(spec_.in_type, [&](auto in_tag) {
      using In = decltype(in_tag);
      if constexpr (std::is_arithmetic_v<In>) {
        const In* in = static_cast<const In*>(input_.data());
        if (spec_.out_type == DType::float64) {
          std::vector<double*> o;
          for (auto& b : out_) o.push_back(static_cast<double*>(b.get()));
          limit_run<In, double>(in, o.data(), spec_.outputs(), spec_.size(), stream_);
        } else {
          std::vector<float*> o;
          for (auto& b : out_) o.push_back(static_cast<float*>(b.get()));
          limit_run<In, float>(in, o.data(), spec_.outputs(), spec_.size(), stream_);
        }
      }
    });
    if (fresh_) out_.clear();
  }

 private:
  void allocate() {
    out_.clear();
    for (int k = 0; k < spec_.outputs(); ++k)
      out_.push_back(aligned_buffer(spec_.output_bytes() / static_cast<std::size_t>(spec_.outputs()), huge_));
  }
  CaseSpec spec_;
  Array input_;
  bool stream_, fresh_, huge_;
  std::vector<Buffer> out_;
};

// ---------------------------------------------------------------------------------------------
// Peak memory of one gradmap case, in a forked child so each case starts from the same baseline.

struct Rss {
  double peak_mib = 0;  ///< child's peak RSS minus its RSS before allocating the input
  bool ok = false;
};

long vm_rss_kib() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

Rss measure_rss(const CaseSpec& spec) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    close(fds[0]);
    const long base = vm_rss_kib();
    // What a user's program holds: the input, gradmap's allocating call, its outputs.
    Array input = make_input(spec);
    GradmapRunner r(spec, input, /*allocating=*/true);
    r.run();
    const ssize_t w = write(fds[1], &base, sizeof base);
    _exit(w == sizeof base ? 0 : 1);
  }
  close(fds[1]);
  long base = 0;
  const ssize_t got = read(fds[0], &base, sizeof base);
  close(fds[0]);
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      got != sizeof base)
    return {};
  return {static_cast<double>(ru.ru_maxrss - base) / 1024.0, true};
}

// ---------------------------------------------------------------------------------------------
// numpy: inputs written as .npy, one python run for all cases, one JSON line back.

void write_npy(const std::string& path, const void* data, std::size_t bytes, const std::string& descr,
               const Shape& shape) {
  std::string dims;
  for (std::size_t d = 0; d < shape.size(); ++d)
    dims += std::to_string(shape[d]) + (shape.size() == 1 || d + 1 < shape.size() ? "," : "");
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  const char le[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  f.write(le, 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string npy_descr(DType t) {
  switch (t) {
    case DType::uint8:
      return "|u1";
    case DType::int16:
      return "<i2";
    case DType::float32:
      return "<f4";
    case DType::float64:
      return "<f8";
    default:
      throw gradmap::InvalidArgument("bench: no npy descr");
  }
}

std::string run_command(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  status = pclose(p);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Results and checks

struct Row {
  std::string impl;
  std::string note;
  bool available = true;
  bool single_thread_only = false;  // numpy: the same run is compared at both thread counts
  Timing t[2];                      // [0] = 1 thread, [1] = all cores
};

struct CaseResult {
  CaseSpec spec;
  std::vector<Row> rows;  // rows[0] = gradmap, rows[1] = limit
  std::string limit_kind[2];
  Rss rss;
  std::vector<double> gradmap_l1;
  std::vector<std::string> check_notes;
};

struct Checker {
  bool failed = false;
  std::vector<std::string> log;
  void fail(const std::string& what) {
    failed = true;
    log.push_back("FAIL " + what);
    std::cerr << "check FAILED: " << what << "\n";
  }
  void pass(const std::string& what) { log.push_back("ok   " + what); }
};

bool interior(const CaseSpec& s, index_t i) {
  for (int d = s.rank() - 1; d >= 0; --d) {
    const index_t n = s.shape[static_cast<std::size_t>(d)];
    const index_t c = i % n;
    if (c == 0 || c == n - 1) return false;
    i /= n;
  }
  return true;
}

/// Compares gradmap's outputs to a peer's. Components: equal within the output type's rounding
/// (both compute (f[i+1] - f[i-1]) / 2); magnitude within 1e-5 relative; direction within 1e-5 rad,
/// or 0.01 rad for OpenCV's approximate atan2, modulo 2π where the peer's range is [0, 2π).
void compare(const CaseSpec& s, const std::vector<Array>& gm, const PeerImpl& p, Checker& ck) {
  constexpr double kTwoPi = 6.283185307179586;
  double worst[3] = {0, 0, 0};
  index_t bad = 0;
  const double eps = p.single_precision && s.out_type == DType::float32 ? 0x1.0p-23 : 0x1.0p-52;
  for (int k = 0; k < s.outputs(); ++k) {
    const bool is_dir = s.kind == Kind::magnitude_direction && k == 1;
    const bool is_mag = s.kind != Kind::components && k == 0;
    for (index_t i = 0; i < s.size(); ++i) {
      if (p.interior_only && !interior(s, i)) continue;
      const double a = value_at(gm[static_cast<std::size_t>(k)], i), b = p.value(k, i);
      double err, tol;
      if (is_dir) {
        err = std::fabs(std::remainder(a - b, kTwoPi));
        tol = p.direction_approximate ? 0.01 : 1e-5;
      } else if (is_mag) {
        err = std::fabs(a - b);
        tol = 1e-5 * std::max(std::fabs(a), std::fabs(b)) + 1e-6;
      } else {
        err = std::fabs(a - b);
        tol = 2 * eps * std::max(std::fabs(a), std::fabs(b)) + 1e-300;
      }
      const int slot = is_dir ? 2 : is_mag ? 1 : 0;
      worst[slot] = std::max(worst[slot], err);
      if (!(err <= tol)) ++bad;
    }
  }
  std::ostringstream msg;
  msg << s.id << ": gradmap vs " << p.name << (p.interior_only ? " (interior)" : "") << ": max |diff|";
  if (s.kind == Kind::components)
    msg << " components " << worst[0];
  else
    msg << " magnitude " << worst[1];
  if (s.kind == Kind::magnitude_direction) msg << ", direction " << worst[2] << " rad";
  if (bad) {
    msg << "; " << bad << " samples out of tolerance";
    ck.fail(msg.str());
  } else {
    ck.pass(msg.str());
  }
}

std::vector<double> l1_sums(const std::vector<Array>& outs) {
  std::vector<double> r;
  for (const Array& a : outs) {
    double s = 0;
    for (index_t i = 0; i < a.size(); ++i) s += std::fabs(value_at(a, i));
    r.push_back(s);
  }
  return r;
}

bool same_bits(const std::vector<Array>& a, const std::vector<Array>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k].nbytes() != b[k].nbytes() || std::memcmp(a[k].data(), b[k].data(), a[k].nbytes()) != 0)
      return false;
  return true;
}

std::vector<Array> clone_all(const std::vector<Array>& v) {
  std::vector<Array> r;
  for (const Array& a : v) r.push_back(a.clone());
  return r;
}

// ---------------------------------------------------------------------------------------------
// Table

std::string fmt(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
std::string ms(const Timing& t) { return t.ok ? fmt(t.median_s * 1e3, t.median_s < 0.01 ? 2 : 1) : "—"; }
std::string gbs(const Timing& t, std::size_t bytes) {
  return t.ok ? fmt(static_cast<double>(bytes) / t.median_s / 1e9, 2) : "—";
}
std::string ratio(const Timing& num, const Timing& den) {
  return num.ok && den.ok ? fmt(num.median_s / den.median_s, 2) : "—";
}

const Row* find_row(const CaseResult& c, const std::string& name) {
  for (const Row& r : c.rows)
    if (r.impl == name) return &r;
  return nullptr;
}

/// Best (fastest) available row whose name starts with `prefix`, at thread slot j.
const Row* best_row(const CaseResult& c, const std::string& prefix, int j) {
  const Row* best = nullptr;
  for (const Row& r : c.rows)
    if (r.available && r.t[j].ok && r.impl.rfind(prefix, 0) == 0 &&
        (!best || r.t[j].median_s < best->t[j].median_s))
      best = &r;
  return best;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

std::string make_table(const std::vector<CaseResult>& results, int hw, const std::string& numpy_version,
                       const Options& o, const Checker& ck) {
  std::ostringstream md;
  md << "## gradmap against the bandwidth limit, numpy, OpenCV and ITK\n\n";
  md << "Machine: " << cpu_model() << ", " << hw << " cores. oneTBB " << TBB_VERSION_MAJOR << "."
     << TBB_VERSION_MINOR << ", OpenCV " << opencv_version() << ", ITK " << itk_version() << ", numpy "
     << (numpy_version.empty() ? "not run" : numpy_version) << ". Median of up to " << o.reps
     << " runs after a warm-up (at least 3; fewer once " << fmt(o.budget_s, 1)
     << " s are spent). GB/s = (input + output bytes) / median time."
     << (o.quick ? " **Quick mode (small sizes).**" : "") << "\n\n";

  md << "### Summary\n\n";
  md << "Ratios above 1 mean gradmap is faster; gradmap÷limit is how far gradmap is from a kernel that only "
        "moves "
        "the bytes (1.00 = at the limit). Each cell: 1 thread / all "
     << hw << " cores. numpy is single-threaded: its one time is compared with both.\n\n";
  md << "| case | in + out MB | limit GB/s | gradmap GB/s | gradmap ÷ limit | allocating call ÷ limit with "
        "fresh outputs | "
        "numpy ÷ gradmap | OpenCV ÷ gradmap | ITK ÷ gradmap | gradmap peak RSS ÷ (in + out) |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const CaseResult& c : results) {
    const std::size_t bytes = c.spec.input_bytes() + c.spec.output_bytes();
    const Row& g = c.rows[0];
    const Row& lim = c.rows[1];
    auto pair = [&](auto f) { return f(0) + " / " + f(1); };
    // gradmap's allocating call (edges(), or gradient() for components) against the limit kernel
    // that allocates its outputs the same way: the gap left once page faults are charged to both.
    const Row* alloc = c.spec.kind == Kind::components ? find_row(c, "gradmap gradient()") : &g;
    const Row* fresh = find_row(c, "limit, fresh huge-page outputs");
    auto peer = [&](const std::string& prefix) {
      return pair([&](int j) {
        const Row* r = best_row(c, prefix, j);
        if (r && r->single_thread_only) return ratio(r->t[0], g.t[j]);
        return r ? ratio(r->t[j], g.t[j]) : std::string("n/a");
      });
    };
    md << "| " << c.spec.id << " | " << fmt(static_cast<double>(bytes) / 1e6, bytes < 100000000 ? 1 : 0)
       << " | " << pair([&](int j) { return gbs(lim.t[j], bytes); }) << " | "
       << pair([&](int j) { return gbs(g.t[j], bytes); }) << " | "
       << pair([&](int j) { return ratio(g.t[j], lim.t[j]); }) << " | "
       << pair([&](int j) { return alloc && fresh ? ratio(alloc->t[j], fresh->t[j]) : std::string("—"); })
       << " | " << peer("numpy") << " | " << peer("OpenCV") << " | " << peer("ITK") << " | "
       << (c.rss.ok ? fmt(c.rss.peak_mib * 1048576.0 / static_cast<double>(bytes), 2) + " (" +
                          fmt(c.rss.peak_mib, 0) + " MiB)"
                    : std::string("—"))
       << " |\n";
  }
  md << "\nAllocating call: edges() (which always allocates its maps) or gradient(), against the limit "
        "kernel "
        "writing into freshly allocated huge-page buffers; first-touch page zeroing by the kernel is then "
        "charged "
        "to both. OpenCV column: its fastest variant for the case. Peak RSS: the forked child's peak "
        "resident set minus "
        "its resident set before the input was allocated, running gradmap's allocating call (gradient() or "
        "edges()) once at all cores.\n\n";

  md << "### Details\n\n";
  md << "Ratio column: on limit rows gradmap ÷ limit, on peer rows peer ÷ gradmap (at the same thread "
        "count).\n\n";
  for (const CaseResult& c : results) {
    const std::size_t bytes = c.spec.input_bytes() + c.spec.output_bytes();
    md << "**" << c.spec.id << "** — " << c.spec.title << " ("
       << fmt(static_cast<double>(c.spec.input_bytes()) / 1e6, 1) << " MB in, "
       << fmt(static_cast<double>(c.spec.output_bytes()) / 1e6, 1) << " MB out)\n\n";
    md << "| implementation | 1 thread ms | GB/s | ratio | " << hw << " cores ms | GB/s | ratio | notes |\n";
    md << "|---|---:|---:|---:|---:|---:|---:|---|\n";
    const Row& g = c.rows[0];
    for (std::size_t r = 0; r < c.rows.size(); ++r) {
      const Row& row = c.rows[r];
      md << "| " << row.impl << " | ";
      if (!row.available) {
        md << "n/a | | | n/a | | | " << row.note << " |\n";
        continue;
      }
      const bool is_limit = row.impl.rfind("limit", 0) == 0;
      for (int j = 0; j < 2; ++j) {
        const Timing& t = row.single_thread_only ? row.t[0] : row.t[j];
        std::string rt = "";
        if (is_limit)
          rt = ratio(g.t[j], t);
        else if (r > 0)
          rt = ratio(t, g.t[j]);
        md << (row.single_thread_only && j == 1 ? "(1 thread) " : "") << ms(t) << " | " << gbs(t, bytes)
           << " | " << rt << " | ";
      }
      std::string note = row.note;
      if (r == 1) note = "best of plain / streaming stores: " + c.limit_kind[0] + " / " + c.limit_kind[1];
      md << note << " |\n";
    }
    md << "\n";
  }
  if (o.check) {
    md << "### Checks\n\n";
    for (const std::string& l : ck.log) md << "- " << l << "\n";
    md << "\n";
  }
  return md.str();
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Options o = parse(argc, argv);
  const int hw = tbb::info::default_concurrency();
  std::vector<CaseSpec> cases = make_cases(o.quick, o.side_2d, o.side_3d);
  if (!o.only.empty())
    cases.erase(std::remove_if(cases.begin(), cases.end(),
                               [&](const CaseSpec& c) {
                                 return std::find(o.only.begin(), o.only.end(), c.id) == o.only.end();
                               }),
                cases.end());

  std::vector<CaseResult> results(cases.size());
  // Peak memory first, while this process is still small: each child starts from the same baseline.
  for (std::size_t c = 0; c < cases.size(); ++c) {
    results[c].spec = cases[c];
    if (o.rss) {
      results[c].rss = measure_rss(cases[c]);
      std::cerr << "rss " << cases[c].id << ": "
                << (results[c].rss.ok ? fmt(results[c].rss.peak_mib, 1) + " MiB" : "failed") << "\n";
    }
  }

  Checker ck;
  char tmpl[] = "/tmp/gradmap-bench-XXXXXX";
  const std::string tmpdir = o.numpy ? (mkdtemp(tmpl) ? tmpl : "") : "";
  nlohmann::json manifest;
  manifest["reps"] = o.reps;
  manifest["budget_s"] = o.budget_s;
  manifest["cases"] = nlohmann::json::array();
  std::map<std::string, std::string> written;  // data key → .npy path

  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    const CaseSpec& s = cases[ci];
    CaseResult& res = results[ci];
    std::cerr << "case " << s.id << ": " << s.title << "\n";
    const Array input = make_input(s);

    if (!tmpdir.empty()) {
      nlohmann::json entry;
      if (!written.count(s.data_key())) {
        const std::string path = tmpdir + "/" + s.data_key() + ".npy";
        write_npy(path, input.data(), input.nbytes(), npy_descr(s.in_type), s.shape);
        written[s.data_key()] = path;
      }
      entry["id"] = s.id;
      entry["input"] = written[s.data_key()];
      entry["kind"] = s.kind == Kind::components            ? "components"
                      : s.kind == Kind::magnitude_direction ? "magnitude_direction"
                                                            : "magnitude";
      entry["edge_order"] = s.edge_order;
      entry["out_dtype"] = gradmap::dtype_name(s.out_type);
      entry["coords"] = nlohmann::json::array();
      if (s.nonuniform)
        for (int d = 0; d < s.rank(); ++d) {
          const std::vector<double> x = make_coords(s.shape[static_cast<std::size_t>(d)], d);
          const std::string path = tmpdir + "/" + s.id + "_coords" + std::to_string(d) + ".npy";
          write_npy(path, x.data(), x.size() * sizeof(double), "<f8", {static_cast<index_t>(x.size())});
          entry["coords"].push_back(path);
        }
      manifest["cases"].push_back(entry);
    }

    const int threads[2] = {1, hw};
    // gradmap
    std::vector<Array> gm_outputs, gm_outputs_1t;
    {
      Row row;
      row.impl = "gradmap";
      row.note = s.kind == Kind::components ? "gradient_into(), preallocated outputs"
                                            : "edges(), fused, allocates its maps";
      GradmapRunner r(s, input);
      for (int j = 0; j < 2; ++j) {
        row.t[j] = time_runs([&] { r.run(); }, threads[j], o);
        if (j == 0 && o.check) gm_outputs_1t = clone_all(r.outputs());
      }
      gm_outputs = clone_all(r.outputs());
      res.rows.push_back(row);
    }
    // limit: best of plain and streaming stores, preallocated outputs
    {
      Row row;
      row.impl = "limit";
      Limit plain(s, input, false, false), stream(s, input, true, false);
      for (int j = 0; j < 2; ++j) {
        const Timing tp = time_runs([&] { plain.run(); }, threads[j], o);
        const Timing ts = time_runs([&] { stream.run(); }, threads[j], o);
        row.t[j] = ts.median_s < tp.median_s ? ts : tp;
        res.limit_kind[j] = ts.median_s < tp.median_s ? "streaming" : "plain";
      }
      res.rows.push_back(row);
      // The same with fresh outputs per call: what any allocating API (edges(), gradient(),
      // numpy, ITK) pays on top for page faults, with huge pages (gradmap's Array) and without.
      for (const bool huge : {true, false}) {
        Row fresh;
        fresh.impl = huge ? "limit, fresh huge-page outputs" : "limit, fresh 4 KiB-page outputs";
        fresh.note = "the limit kernel allocating its outputs in every call (first-touch page faults)";
        for (int j = 0; j < 2; ++j) {
          Limit l(s, input, res.limit_kind[j] == "streaming", true, huge);
          fresh.t[j] = time_runs([&] { l.run(); }, threads[j], o);
        }
        res.rows.push_back(fresh);
      }
    }
    if (s.kind == Kind::components) {
      Row row;
      row.impl = "gradmap gradient()";
      row.note = "allocating call: fresh outputs every run";
      GradmapRunner r(s, input, /*allocating=*/true);
      for (int j = 0; j < 2; ++j) row.t[j] = time_runs([&] { r.run(); }, threads[j], o);
      res.rows.push_back(row);
    }
    // peers
    std::vector<PeerImpl> peers = opencv_peers(s, input);
    for (PeerImpl& p : itk_peers(s, input)) peers.push_back(std::move(p));
    for (PeerImpl& p : peers) {
      Row row;
      row.impl = p.name;
      row.note = p.note;
      row.available = p.available;
      if (p.available) {
        for (int j = 0; j < 2; ++j) {
          p.set_threads(threads[j]);
          row.t[j] = time_runs(p.run, threads[j], o);
        }
        if (o.check) compare(s, gm_outputs, p, ck);
      }
      res.rows.push_back(row);
      p = PeerImpl{};  // release the peer's buffers before the next one
    }
    if (o.check) {
      if (same_bits(gm_outputs, gm_outputs_1t))
        ck.pass(s.id + ": gradmap bits equal at 1 and " + std::to_string(hw) + " threads");
      else
        ck.fail(s.id + ": gradmap results differ between 1 and " + std::to_string(hw) + " threads");
    }
    res.gradmap_l1 = l1_sums(gm_outputs);
  }

  // numpy, after the C++ measurements so it runs alone.
  std::string numpy_version;
  if (!tmpdir.empty()) {
    const std::string mpath = tmpdir + "/manifest.json";
    std::ofstream(mpath) << manifest.dump();
    std::cerr << "numpy: running " << o.python << " " << o.numpy_script << "\n";
    int status = 0;
    const std::string out = run_command(o.python + " '" + o.numpy_script + "' '" + mpath + "'", status);
    nlohmann::json j;
    try {
      const std::size_t brace = out.rfind("\n{");
      j = nlohmann::json::parse(brace == std::string::npos ? out : out.substr(brace + 1));
    } catch (const std::exception&) {
      j = nullptr;
    }
    if (status != 0 || !j.is_object()) {
      const std::string msg =
          "numpy: the script failed (status " + std::to_string(status) + "); numpy rows missing";
      if (o.check)
        ck.fail(msg);
      else
        std::cerr << msg << "\n";
    } else {
      numpy_version = j.value("numpy", "");
      for (CaseResult& c : results) {
        if (!j["cases"].contains(c.spec.id)) continue;
        const auto& r = j["cases"][c.spec.id];
        Row row;
        row.impl = "numpy";
        row.single_thread_only = true;
        row.note = "np.gradient";
        if (c.spec.kind == Kind::magnitude_direction) row.note += " + np.hypot + np.arctan2";
        if (c.spec.kind == Kind::magnitude) row.note += " + np.hypot(np.hypot(gx, gy), gz)";
        if (gradmap::is_integer(c.spec.in_type)) row.note += " in float64, then .astype(float32)";
        row.t[0].median_s = r["median_s"].get<double>();
        row.t[0].reps = r["reps"].get<int>();
        row.t[0].ok = true;
        row.t[1] = row.t[0];
        // Same data, same results: sum(|output|) agree (order of summation aside).
        const auto l1 = r["l1"].get<std::vector<double>>();
        double worst = 0;
        for (std::size_t k = 0; k < l1.size() && k < c.gradmap_l1.size(); ++k)
          worst = std::max(worst, std::fabs(l1[k] - c.gradmap_l1[k]) / std::max(1e-300, std::fabs(l1[k])));
        const std::string msg =
            c.spec.id + ": gradmap vs numpy, relative difference of sum(|output|): " + fmt(worst * 1e9, 3) +
            "e-9";
        if (o.check) {
          if (worst <= 1e-5 && l1.size() == c.gradmap_l1.size())
            ck.pass(msg);
          else
            ck.fail(msg);
        }
        c.rows.push_back(row);
      }
    }
    std::system(("rm -rf '" + tmpdir + "'").c_str());
  }

  const std::string md = make_table(results, hw, numpy_version, o, ck);
  std::cout << md << std::flush;
  if (!o.markdown.empty()) {
    std::ofstream f(o.markdown);
    f << md;
    if (!f) {
      std::cerr << "bench_peers: cannot write " << o.markdown << "\n";
      return 2;
    }
  }
  if (o.check) std::cerr << (ck.failed ? "checks FAILED\n" : "all checks passed\n");
  return ck.failed ? 1 : 0;
}
