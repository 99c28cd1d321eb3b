// SPDX-License-Identifier: MIT
// `gradmap batch`: a whole folder through the same per-file pipeline as `gradmap edges` /
// `gradmap gradient`, several files at a time, surviving bad files and interruptions, and split
// across machines with --shard.
#include <signal.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "batch_discover.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "pipeline.hpp"

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr int kInterruptedInt = 130;   // 128 + SIGINT, the shell's convention
constexpr int kInterruptedTerm = 143;  // 128 + SIGTERM

struct BatchCommand {
  std::string indir, outdir;
  std::string mode = "edges";
  EdgesSettings settings;  // a superset: gradient mode uses its compute and display flags
  bool overview = false;
  bool recursive = false;
  std::vector<std::string> include, exclude;
  int jobs = 0;
  bool skip_existing = false, overwrite = false, dry_run = false, quiet = false, timing = false;
  bool keep_going = false;  // go on after a full disk instead of stopping early
  std::string report;
  std::string shard;
  CLI::App* sub = nullptr;
};

/// One input's plan and outcome.
struct Job {
  BatchInput in;
  std::string outdir;                  // OUTDIR mirrored with the input's subfolder
  std::string overview;                // --overview: <outdir>/<stem>_overview.png
  std::vector<std::string> predicted;  // planned outputs when knowable without decoding
  std::vector<std::string> existing;   // outputs present before the run
  std::string status = "pending";      // ok | failed | skipped | interrupted | not_processed
  FileOutcome outcome;
  double seconds = 0;
};

std::string fmt_seconds(double s) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(s < 10 ? 2 : 1) << s << " s";
  return o.str();
}

std::string fmt_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Terminal output: one mutex, whole lines; on a terminal a progress bar redrawn on one line.

class Console {
 public:
  Console(bool quiet, std::size_t total) : quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1), total_(total) {}

  bool tty() const { return tty_; }

  /// A file finished: a line per file on a non-terminal (unless --quiet); errors always.
  void file_done(const Job& j) {
    std::lock_guard<std::mutex> lock(m_);
    ++done_;
    if (j.status == "failed") ++failed_;
    if (j.status == "ok") ++processed_;
    clear_bar();
    if (!quiet_ && !tty_) {
      std::cout << "[" << done_ << "/" << total_ << "] " << std::left << std::setw(7) << j.status << " "
                << j.in.rel;
      if (j.status == "ok") std::cout << " (" << fmt_seconds(j.seconds) << ")";
      std::cout << "\n" << std::flush;
    }
    if (j.status == "failed") std::cerr << "gradmap: error: " << j.outcome.reason << "\n" << std::flush;
    draw_bar();
  }

  void error(const std::string& text) { print(std::cerr, "gradmap: error: " + text); }
  void warning(const std::string& text) { print(std::cerr, "gradmap: warning: " + text); }
  void notice(const std::string& text) { print(std::cerr, "gradmap: " + text); }
  void out(const std::string& text) { print(std::cout, text); }

  void redraw() {
    std::lock_guard<std::mutex> lock(m_);
    clear_bar();
    draw_bar();
  }
  void end_bar() {
    std::lock_guard<std::mutex> lock(m_);
    clear_bar();
    bar_enabled_ = false;
  }
  void start_bar() {
    std::lock_guard<std::mutex> lock(m_);
    start_ = Clock::now();
    bar_enabled_ = tty_ && !quiet_;
    draw_bar();
  }

 private:
  void print(std::ostream& s, const std::string& line) {
    std::lock_guard<std::mutex> lock(m_);
    clear_bar();
    s << line << "\n" << std::flush;
    draw_bar();
  }
  void clear_bar() {
    if (bar_drawn_) std::cerr << "\r\033[K" << std::flush;
    bar_drawn_ = false;
  }
  void draw_bar() {
    if (!bar_enabled_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
    constexpr int kWidth = 28;
    const int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    std::ostringstream b;
    b << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
      << std::string(static_cast<std::size_t>(kWidth - filled), '.') << "] " << done_ << "/" << total_ << "  "
      << std::fixed << std::setprecision(1) << rate << " img/s  ETA " << fmt_duration(eta) << "  failed "
      << failed_;
    std::cerr << b.str() << std::flush;
    bar_drawn_ = true;
  }

  std::mutex m_;
  const bool quiet_, tty_;
  const std::size_t total_;
  std::size_t done_ = 0, failed_ = 0, processed_ = 0;
  bool bar_enabled_ = false, bar_drawn_ = false;
  Clock::time_point start_ = Clock::now();
};

// ---------------------------------------------------------------------------------------------
// Memory budget: a counting semaphore on estimated bytes across the files in flight.

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}

  /// Waits until `bytes` fit, or nothing else is in flight (a single file larger than the budget
  /// still runs, alone: the reader's own --max-memory check decides whether it may).
  void acquire(std::size_t bytes) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return used_ == 0 || used_ + bytes <= limit_; });
    used_ += bytes;
  }
  /// Replaces a reservation by the real figure once the file is read. Never waits: a file that
  /// already holds its pixels must be able to finish, or two growing files could wait on each
  /// other forever. New files wait while the budget is overdrawn.
  void resize(std::size_t& held, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(m_);
    used_ = used_ - held + bytes;
    held = bytes;
    cv_.notify_all();
  }
  void release(std::size_t held) {
    std::lock_guard<std::mutex> lock(m_);
    used_ -= held;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  const std::size_t limit_;
  std::size_t used_ = 0;
};

std::size_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page)
                               : (std::size_t{4} << 30);
}

/// Bytes a file needs before it is read, from its size on disk: compressed formats expand, and the
/// float results are several times the pixels. Corrected by MemoryBudget::resize after reading.
std::size_t estimate_before_reading(const BatchInput& in) {
  std::error_code ec;
  std::size_t bytes = 0;
  if (fs::is_directory(in.path, ec)) {
    for (fs::directory_iterator it(in.path, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec)) bytes += static_cast<std::size_t>(it->file_size(ec));
  } else {
    const auto size = fs::file_size(in.path, ec);
    bytes = ec ? 0 : static_cast<std::size_t>(size);
  }
  const std::string ext = file_extension(in.path);
  const std::size_t expand = (ext == "jpg" || ext == "jpeg" || ext == "webp") ? 10
                             : (ext == "png" || ext == "nii.gz")              ? 4
                                                                              : 1;
  return bytes * expand * 12;
}

// ---------------------------------------------------------------------------------------------
// Signals: SIGINT/SIGTERM are blocked in every thread and taken by one watcher thread, so the
// handling runs in normal code (locks, allocation) instead of an async-signal handler.

class SignalWatcher {
 public:
  using Handler = std::function<void(int)>;
  SignalWatcher(Handler first, Handler again) : first_(std::move(first)), again_(std::move(again)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    // Before any other thread exists (oneTBB's workers, the ticker): they inherit the mask.
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        timespec wait{0, 100'000'000};
        const int s = sigtimedwait(&set_, nullptr, &wait);
        if (s <= 0) continue;
        if (signo_.load() == 0) {
          signo_ = s;
          first_(s);
        } else {
          again_(s);
        }
      }
    });
  }
  ~SignalWatcher() {
    stop_ = true;
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  int signal() const { return signo_.load(); }

 private:
  Handler first_, again_;
  sigset_t set_{}, old_{};
  std::atomic<bool> stop_{false};
  std::atomic<int> signo_{0};
  std::thread thread_;
};

/// Removes this process's write_atomically temporaries (".<stem>.gradmap-tmp-<pid>-...") from
/// `dirs`. Other processes' temporaries are left alone: shards may share an output directory.
void remove_own_temporaries(const std::set<std::string>& dirs) {
  const std::string mark = ".gradmap-tmp-" + std::to_string(::getpid()) + "-";
  for (const auto& d : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.' && name.find(mark) != std::string::npos) fs::remove(it->path(), ec);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Planning

/// True when `name` is a name gradmap writes for input stem `stem` with extension `ext`:
/// <stem>_[<series>_]<product>.<ext> or <stem>_overview.png.
bool is_output_name(const std::string& name, const std::string& stem, const std::string& ext) {
  if (name == stem + "_overview.png") return true;
  const std::string head = stem + "_", tail = "." + ext;
  if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  static const std::regex product(
      "(([rgb]|t[0-9]+)_)?(mag|dir|azimuth|elevation|g[xyz]|d[0-9]+|n[xyz]|nd[0-9]+)");
  return std::regex_match(name.substr(head.size(), name.size() - head.size() - tail.size()), product);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string shape_text(const Shape& s) {
  std::vector<std::string> parts;
  for (auto e : s) parts.push_back(std::to_string(e));
  return join(parts, "x");
}

std::string spacing_text(const std::vector<double>& s) {
  std::vector<std::string> parts;
  for (double v : s) {
    std::ostringstream o;
    o << v;
    parts.push_back(o.str());
  }
  return join(parts, "x");
}

// ---------------------------------------------------------------------------------------------
// Report

/// Who ran the batch: several processes may share one OUTDIR (shards, or a second batch started
/// by mistake); each report says which host and process wrote the outputs it lists, and when.
json run_identity(std::time_t started) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::tm utc{};
  ::gmtime_r(&started, &utc);
  char when[32] = {};
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {{"host", host}, {"pid", static_cast<long long>(::getpid())}, {"started", when}};
}

void write_report(const BatchCommand& c, const std::vector<Job>& jobs, const Discovery& found,
                  const std::string& shard, const json& summary, const json& run) {
  const bool csv = file_extension(c.report) == "csv";
  std::string text;
  if (csv) {
    auto q = [](const std::string& s) {
      std::string r = "\"";
      for (char ch : s) r += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      return r + "\"";
    };
    std::ostringstream o;
    o << "input,status,reason,shape,spacing,unit,outputs,seconds,read_seconds,compute_seconds,write_"
         "seconds\n";
    for (const auto& j : jobs)
      o << q(j.in.rel) << "," << j.status << "," << q(j.outcome.reason) << "," << shape_text(j.outcome.shape)
        << "," << spacing_text(j.outcome.spacing) << "," << j.outcome.unit << ","
        << q(join(j.outcome.outputs, ";")) << "," << j.seconds << "," << j.outcome.read_seconds << ","
        << j.outcome.compute_seconds << "," << j.outcome.write_seconds << "\n";
    for (const auto& p : found.problems)
      o << q(p.path) << "," << (p.missed_inputs ? "failed" : "warning") << "," << q(p.reason)
        << ",,,,,0,0,0,0\n";
    text = o.str();
  } else {
    json files = json::array();
    for (const auto& j : jobs) {
      files.push_back({{"input", j.in.rel},
                       {"path", j.in.path},
                       {"status", j.status},
                       {"reason", j.outcome.reason},
                       {"format", j.outcome.format},
                       {"shape", j.outcome.shape},
                       {"spacing", j.outcome.spacing},
                       {"unit", j.outcome.unit},
                       {"outputs", j.outcome.outputs},
                       {"seconds", j.seconds},
                       {"read_seconds", j.outcome.read_seconds},
                       {"compute_seconds", j.outcome.compute_seconds},
                       {"write_seconds", j.outcome.write_seconds}});
    }
    json problems = json::array();
    for (const auto& p : found.problems)
      problems.push_back(
          {{"path", p.path}, {"reason", p.reason}, {"status", p.missed_inputs ? "failed" : "warning"}});
    json doc = {{"gradmap", GRADMAP_VERSION},
                {"mode", c.mode},
                {"input_dir", c.indir},
                {"output_dir", c.outdir},
                {"shard", shard},
                {"run", run},
                {"summary", summary},
                {"files", files},
                {"problems", problems}};
    text = doc.dump(2) + "\n";
  }
  write_atomically(c.report, [&](const std::string& tmp) {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw IoError(c.report + ": cannot write the report");
  });
}

// ---------------------------------------------------------------------------------------------

int run_batch(BatchCommand& c) {
  const std::time_t started = std::time(nullptr);
  Console console(c.quiet, 0);
  std::error_code ec;
  if (!fs::is_directory(c.indir, ec)) {
    console.error(c.indir + ": not a directory (batch takes a folder; use `gradmap " + c.mode +
                  "` for files)");
    return kInputError;
  }
  if (fs::exists(c.outdir, ec) && fs::equivalent(c.indir, c.outdir, ec)) {
    // Outputs are images too: the next run would take them for inputs.
    console.error(c.outdir + ": the output folder must not be the input folder");
    return kUsage;
  }
  if (c.mode == "gradient") {
    for (const char* edge_only : {"--angle-units", "--angle-range", "--y-up", "--orientation", "--compass",
                                  "--components", "--normals", "--dir-style", "--overview"})
      if (c.sub->count(edge_only) > 0) {
        console.error(std::string(edge_only) + " applies to --mode edges only");
        return kUsage;
      }
  }
  std::size_t shard_index = 0, shard_count = 1;
  std::size_t budget_bytes = 0;
  try {
    if (!c.shard.empty()) std::tie(shard_index, shard_count) = parse_shard(c.shard);
    budget_bytes = make_read_options(c.settings.compute).max_memory;
    if (!c.report.empty() && file_extension(c.report) != "json" && file_extension(c.report) != "csv")
      throw InvalidArgument("--report: the file name must end in .json or .csv, got '" + c.report + "'");
    output_extension("x.png", c.settings.compute.format);  // validates --format up front
    make_display_options(c.settings.display);              // validates --normalize up front
  } catch (const Error& e) {
    console.error(e.what());
    return kUsage;
  }
  if (budget_bytes == 0) budget_bytes = physical_memory() / 2;
  const int jobs_wanted = c.jobs > 0 ? c.jobs : tbb::info::default_concurrency();

  // Discovery, over the whole folder: shards must agree on the order.
  DiscoverOptions dopt;
  dopt.recursive = c.recursive;
  dopt.include = c.include;
  dopt.exclude = c.exclude;
  dopt.skip_dir = c.outdir;
  const Discovery found = discover(c.indir, dopt);
  for (const auto& p : found.problems) console.warning(p.path + ": " + p.reason);
  if (found.inputs.empty()) {
    console.error(
        c.indir + ": no supported inputs found" +
        (c.recursive ? std::string() : std::string(" (subfolders are searched only with --recursive)")));
    return kInputError;
  }

  const std::unique_ptr<FileCommand> command =
      c.mode == "gradient" ? make_gradient_command(GradientSettings{c.settings.compute, c.settings.display})
                           : make_edges_command(c.settings);

  // Two inputs of one folder whose outputs share names (a.png and a.jpg both give a_mag.png).
  {
    std::map<std::string, std::vector<std::string>> by_output;
    for (const auto& in : found.inputs) {
      const fs::path parent = fs::path(in.rel).parent_path();
      by_output[(parent / stem_of(in.path)).string() + "." +
                output_extension(in.path, c.settings.compute.format)]
          .push_back(in.rel);
    }
    bool clash = false;
    for (const auto& [key, rels] : by_output)
      if (rels.size() > 1) {
        console.error("inputs " + join(rels, ", ") +
                      " would write the same outputs; rename one or --exclude it");
        clash = true;
      }
    if (clash) return kUsage;
  }

  std::vector<Job> jobs;
  for (auto& in : shard_of(found.inputs, shard_index, shard_count)) {
    Job j;
    j.in = in;
    j.outdir = (fs::path(c.outdir) / fs::path(in.rel).parent_path()).lexically_normal().string();
    if (c.overview) j.overview = (fs::path(j.outdir) / (stem_of(in.path) + "_overview.png")).string();
    jobs.push_back(std::move(j));
  }
  const std::string shard_text = std::to_string(shard_index) + "/" + std::to_string(shard_count);

  // Existing outputs: exact names when the layout is known without decoding, else by name pattern.
  std::map<std::string, std::vector<std::string>> listings;
  auto listing = [&](const std::string& dir) -> const std::vector<std::string>& {
    auto it = listings.find(dir);
    if (it != listings.end()) return it->second;
    std::vector<std::string> names;
    std::error_code lec;
    for (fs::directory_iterator d(dir, lec), end; !lec && d != end; d.increment(lec))
      names.push_back(d->path().filename().string());
    return listings.emplace(dir, std::move(names)).first->second;
  };
  std::size_t with_existing = 0;
  for (auto& j : jobs) {
    FileControl control;
    control.outdir = j.outdir;
    control.overview = j.overview;
    const Image layout = predicted_layout(j.in.path, c.settings.compute);
    if (!layout.pixels.empty()) {
      try {
        j.predicted = command->plan(layout, j.in.path, control);
      } catch (const Error&) {
        j.predicted.clear();  // the options do not fit this file: the run will say so
      }
    }
    const std::string stem = stem_of(j.in.path), ext = output_extension(j.in.path, c.settings.compute.format);
    for (const auto& name : listing(j.outdir)) {
      const std::string p = (fs::path(j.outdir) / name).string();
      const bool ours = j.predicted.empty()
                            ? is_output_name(name, stem, ext)
                            : std::find(j.predicted.begin(), j.predicted.end(), p) != j.predicted.end();
      if (ours) j.existing.push_back(p);
    }
    if (!j.existing.empty()) ++with_existing;
  }
  if (with_existing > 0 && !c.skip_existing && !c.overwrite && !c.dry_run) {
    std::size_t shown = 0;
    for (const auto& j : jobs)
      if (!j.existing.empty() && shown++ < 20)
        console.error(j.in.rel + ": outputs exist: " + join(j.existing, ", "));
    console.error(std::to_string(with_existing) + " input(s) already have outputs in " + c.outdir +
                  "; pass --skip-existing to resume or --overwrite to replace them");
    return kOutputError;
  }

  // A planned skip needs every predicted output; otherwise the worker decides after reading.
  auto skip_up_front = [&](const Job& j) {
    return c.skip_existing && !j.predicted.empty() && j.existing.size() == j.predicted.size();
  };

  if (c.dry_run) {
    std::size_t run = 0, skip = 0;
    for (const auto& j : jobs) {
      std::string action, outputs;
      if (skip_up_front(j)) {
        action = "skip", ++skip;
        outputs = "(outputs exist)";
      } else {
        ++run;
        // Without a predicted layout, completeness is known only once the file is read.
        action = j.existing.empty() ? "process" : c.skip_existing ? "check" : "replace";
        outputs = j.predicted.empty()
                      ? (fs::path(j.outdir) / (stem_of(j.in.path) + "_*." +
                                               output_extension(j.in.path, c.settings.compute.format)))
                            .string()
                      : join(j.predicted, ", ");
      }
      console.out(action + "  " + j.in.rel + "  -> " + outputs);
    }
    console.out("plan: " + std::to_string(jobs.size()) + " input(s) in shard " + shard_text + " of " +
                std::to_string(found.inputs.size()) + " found; " + std::to_string(run) + " to process, " +
                std::to_string(skip) + " to skip; " + std::to_string(found.ignored) +
                " other file(s) ignored; " +
                std::to_string(std::min<int>(jobs_wanted, static_cast<int>(std::max<std::size_t>(run, 1)))) +
                " at a time; memory budget " + std::to_string(budget_bytes >> 20) + " MiB");
    return kOk;
  }

  fs::create_directories(c.outdir, ec);
  if (!fs::is_directory(c.outdir)) {
    console.error(c.outdir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
    return kOutputError;
  }

  std::set<std::string> out_dirs;
  for (const auto& j : jobs) out_dirs.insert(j.outdir);

  Console progress(c.quiet, jobs.size());
  std::atomic<bool> cancel{false};
  SignalWatcher signals(
      [&](int s) {
        cancel = true;
        progress.notice(std::string("interrupted (") + (s == SIGINT ? "SIGINT" : "SIGTERM") +
                        "): finishing the step in progress of each file, then stopping; press Ctrl-C again "
                        "to stop at once");
      },
      [&](int s) {
        // Second signal: no waiting. Complete outputs stay; this process's temporaries go.
        remove_own_temporaries(out_dirs);
        progress.end_bar();
        std::cerr << "gradmap: stopped at once; rerun with --skip-existing to finish" << std::endl;
        std::_Exit(s == SIGINT ? kInterruptedInt : kInterruptedTerm);
      });

  // The ticker keeps rate and ETA moving on a terminal while long files are in flight.
  std::atomic<bool> ticking{progress.tty() && !c.quiet};
  std::thread ticker;
  progress.start_bar();
  if (ticking)
    ticker = std::thread([&] {
      while (ticking) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        if (ticking) progress.redraw();
      }
    });

  MemoryBudget budget(budget_bytes);
  // A full disk (or a file size limit) fails every later file the same way: unless --keep-going,
  // the first such failure stops the scheduling of new files; files in flight finish.
  std::atomic<bool> out_of_space{false};
  std::string out_of_space_reason;
  std::mutex out_of_space_mutex;
  std::atomic<std::size_t> next{0};
  const auto t_start = Clock::now();
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= jobs.size() || cancel || out_of_space) return;
      Job& j = jobs[i];
      const auto t0 = Clock::now();
      if (skip_up_front(j)) {
        j.status = "skipped";
        j.outcome.skipped = true;
        j.outcome.outputs = j.predicted;
        progress.file_done(j);
        continue;
      }
      std::size_t held = estimate_before_reading(j.in);
      budget.acquire(held);
      FileControl control;
      control.outdir = j.outdir;
      control.overview = j.overview;
      control.skip_existing = c.skip_existing;
      control.cancel = &cancel;
      control.on_read = [&](const Image& img) { budget.resize(held, command->working_set(img)); };
      std::error_code dir_ec;
      fs::create_directories(j.outdir, dir_ec);
      // isolate(): while this file's kernels wait for their parallel_for, the thread must not pick
      // up another file's worker task — that file would then sit on this one's stack, holding
      // memory and delaying it. Within the isolated region the kernels still use every idle thread.
      j.outcome = tbb::this_task_arena::isolate([&] { return command->run(j.in.path, control); });
      budget.release(held);
      j.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      j.status = j.outcome.code != kOk ? "failed"
                 : j.outcome.cancelled ? "interrupted"
                 : j.outcome.skipped   ? "skipped"
                                       : "ok";
      if (j.status != "interrupted") progress.file_done(j);
      if (j.outcome.out_of_space && !c.keep_going) {
        std::lock_guard<std::mutex> lock(out_of_space_mutex);
        if (!out_of_space.exchange(true)) {
          out_of_space_reason = j.outcome.reason;
          progress.error("the output disk is full (or a file size limit was reached): no new files are "
                         "started; free space, then rerun with --skip-existing (--keep-going tries every "
                         "file regardless)");
        }
      }
    }
  };
  // Files and kernels share one arena: -j N file tasks and the kernels' parallel_for chunks are
  // scheduled on the same worker threads, so cores are never oversubscribed. More than the
  // default concurrency only when asked (-j larger than the cores, for slow storage).
  tbb::task_arena arena(std::max(jobs_wanted, tbb::info::default_concurrency()));
  const int workers = std::max(1, std::min<int>(jobs_wanted, static_cast<int>(jobs.size())));
  arena.execute([&] {
    tbb::task_group group;
    for (int w = 0; w < workers; ++w) group.run(worker);
    group.wait();
  });
  const double wall = std::chrono::duration<double>(Clock::now() - t_start).count();
  ticking = false;
  if (ticker.joinable()) ticker.join();
  progress.end_bar();

  const int signo = signals.signal();
  if (signo != 0) remove_own_temporaries(out_dirs);  // nothing should remain; never leave one
  const bool stopped = signo == 0 && out_of_space;
  std::size_t ok = 0, failed = 0, skipped = 0, interrupted = 0, not_processed = 0;
  for (const auto& p : found.problems) failed += p.missed_inputs;
  double t_read = 0, t_compute = 0, t_write = 0;
  for (auto& j : jobs) {
    if (j.status == "pending") j.status = stopped ? "not_processed" : "interrupted";
    ok += j.status == "ok";
    failed += j.status == "failed";
    skipped += j.status == "skipped";
    interrupted += j.status == "interrupted";
    not_processed += j.status == "not_processed";
    if (j.status == "interrupted") j.outcome.reason = "not finished: the batch was interrupted";
    if (j.status == "not_processed")
      j.outcome.reason = "skipped: stopped after disk full (" + out_of_space_reason + ")";
    if (j.status == "ok") {
      t_read += j.outcome.read_seconds;
      t_compute += j.outcome.compute_seconds;
      t_write += j.outcome.write_seconds;
    }
  }
  const double rate = wall > 0 ? static_cast<double>(ok) / wall : 0;
  const double busy = t_read + t_compute + t_write;
  json summary = {
      {"inputs", jobs.size()},
      {"ok", ok},
      {"failed", failed},
      {"skipped", skipped},
      {"interrupted", interrupted},
      {"not_processed", not_processed},
      {"stopped", stopped ? json("disk full: " + out_of_space_reason) : json(nullptr)},
      {"ignored", found.ignored},
      {"wall_seconds", wall},
      {"images_per_second", rate},
      {"jobs", workers},
      {"seconds_by_step", {{"decode", t_read}, {"compute", t_compute}, {"encode_write", t_write}}}};
  if (!c.report.empty()) {
    try {
      const fs::path report_dir = fs::path(c.report).parent_path();
      if (!report_dir.empty()) fs::create_directories(report_dir, ec);
      write_report(c, jobs, found, shard_text, summary, run_identity(started));
    } catch (const Error& e) {
      progress.error(e.what());
      if (signo == 0) return kOutputError;
    }
  }

  std::ostringstream s;
  s << "gradmap batch: " << ok << " ok, " << failed << " failed, " << skipped << " skipped";
  if (interrupted) s << ", " << interrupted << " not finished";
  if (not_processed) s << ", " << not_processed << " not processed (stopped: disk full)";
  s << " of " << jobs.size() << (shard_count > 1 ? " (shard " + shard_text + ")" : "") << " in "
    << fmt_seconds(wall) << " (" << std::fixed << std::setprecision(1) << rate << " images/s, " << workers
    << " at a time)";
  progress.out(s.str());
  if (c.timing && ok > 0) {
    auto part = [&](const char* name, double t) {
      std::ostringstream o;
      o << name << " " << std::fixed << std::setprecision(2) << t << " s (" << std::setprecision(0)
        << (busy > 0 ? 100 * t / busy : 0) << "%, " << std::setprecision(1)
        << 1000 * t / static_cast<double>(ok) << " ms/image)";
      return o.str();
    };
    progress.out("time by step, summed over files: " + part("decode", t_read) + ", " +
                 part("compute", t_compute) + ", " + part("encode+write", t_write));
  }
  if (signo != 0) {
    progress.notice(
        "batch interrupted: every output present is complete; rerun with --skip-existing to finish");
    return signo == SIGINT ? kInterruptedInt : kInterruptedTerm;
  }
  if (stopped) return kOutputError;
  return failed > 0 ? kPartialFailure : kOk;
}

}  // namespace

Runner setup_batch(CLI::App& app) {
  auto c = std::make_shared<BatchCommand>();
  CLI::App* sub =
      app.add_subcommand("batch", "Edge maps or gradients of every image in a folder, in parallel");
  c->sub = sub;
  sub->add_option("indir", c->indir, "Input folder")->required();
  sub->add_option("-o,--output", c->outdir, "Output folder (created if missing; subfolders mirrored)")
      ->required();
  sub->add_option("--mode", c->mode,
                  "What to compute: edges (as `gradmap edges`) or gradient (as `gradmap gradient`)")
      ->check(CLI::IsMember({"edges", "gradient"}))
      ->capture_default_str();
  add_edges_options(sub, c->settings);
  sub->add_flag("--overview", c->overview, "edges: also write <stem>_overview.png per input");
  sub->add_flag("-r,--recursive", c->recursive,
                "Descend into subfolders and mirror them under the output folder");
  sub->add_option(
         "--include", c->include,
         "Only inputs whose path relative to the input folder matches this glob ('*' also matches '/'); "
         "repeatable, quote it: --include '*.png'")
      ->allow_extra_args(false);
  sub->add_option("--exclude", c->exclude,
                  "Skip inputs (and folders) whose relative path matches this glob; repeatable")
      ->allow_extra_args(false);
  sub->add_option("-j,--jobs", c->jobs, "Files processed at a time (default: the number of cores)")
      ->check(CLI::Range(1, 1024));
  auto* skip = sub->add_flag("--skip-existing", c->skip_existing,
                             "Resume: skip inputs whose outputs all exist (others are redone completely)");
  auto* over = sub->add_flag("--overwrite", c->overwrite, "Replace existing outputs");
  skip->excludes(over);
  sub->add_flag("--keep-going", c->keep_going,
                "Go on after a full disk or a file size limit (default: stop starting new files, exit 5)");
  sub->add_flag("--dry-run", c->dry_run, "Print the plan (inputs, actions, outputs) and stop");
  sub->add_flag("-q,--quiet", c->quiet, "Print only errors and the summary");
  sub->add_flag("--timing", c->timing, "Also print the time spent decoding, computing and encoding");
  sub->add_option("--report", c->report, "Write a per-input report: FILE.json or FILE.csv");
  sub->add_option("--shard", c->shard,
                  "I/N: process only inputs whose index in the sorted list is I modulo N (for job arrays)");
  sub->footer(
      "Inputs: files gradmap reads (see `gradmap edges --help`) and folders holding one DICOM series each.\n"
      "Outputs: as the single-file commands, in the mirrored subfolder; written atomically.\n"
      "--max-memory also bounds the estimated memory of all files in flight together (default: half of "
      "RAM).\n"
      "Exit codes: 0 all ok, 6 some inputs failed (listed, and in --report), 5 outputs exist without\n"
      "--skip-existing/--overwrite, or the batch stopped early on a full disk, 2 bad options, 130 / 143\n"
      "interrupted by SIGINT / SIGTERM (outputs present are complete; rerun with --skip-existing).\n"
      "Examples:\n"
      "  gradmap batch scans/ -o maps/ --recursive --format nii.gz --report maps/report.json\n"
      "  gradmap batch photos/ -o edges/ --include '*.jpg' -j 2 --skip-existing\n"
      "  gradmap batch big/ -o out/ --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT --skip-existing");
  return [c] { return run_batch(*c); };
}

}  // namespace gradmap::cli
