// SPDX-License-Identifier: MIT
// `gradmap batch`: a whole folder through the same per-file job as `gradmap edges` / `gradmap
// gradient`, several files at a time, surviving bad files and interruptions, and split across
// machines with --shard. run_batch() reads as its phases: check options → discover → plan →
// (dry run) → run → summarize and report.
#include <tbb/info.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../commands.hpp"
#include "console.hpp"
#include "report.hpp"
#include "schedule.hpp"

namespace gradmap::cli {

const char* status_name(JobStatus s) {
  switch (s) {
    case JobStatus::pending:
      return "pending";
    case JobStatus::ok:
      return "ok";
    case JobStatus::failed:
      return "failed";
    case JobStatus::skipped:
      return "skipped";
    case JobStatus::interrupted:
      return "interrupted";
    case JobStatus::not_processed:
      return "not_processed";
  }
  return "?";
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

/// Phase 1: every option value, before anything is read or written (exit 2 for all of them).
void check_options(BatchSettings& c, std::size_t& shard_index, std::size_t& shard_count) {
  if (c.mode == BatchMode::gradient) {
    std::vector<std::string> edge_only = edge_only_flags();
    edge_only.push_back("--overview");
    for (const auto& flag : edge_only)
      if (c.sub->count(flag) > 0) throw UsageError(flag + " applies to --mode edges only");
  }
  c.edges.finish();
  if (!c.shard.empty()) {
    try {
      std::tie(shard_index, shard_count) = parse_shard(c.shard);
    } catch (const InvalidArgument& e) {
      throw UsageError(e.what());
    }
  }
  if (!c.report.empty() && lower_extension(c.report) != "json" && lower_extension(c.report) != "csv")
    throw UsageError("--report: the file name must end in .json or .csv, got '" + c.report + "'");
}

/// Phase 3: the jobs of this shard, their planned and existing outputs.
std::vector<Job> plan_jobs(const BatchSettings& c, const Computation& command, const Discovery& found,
                           std::size_t shard_index, std::size_t shard_count) {
  const ComputeOptions& compute = c.edges.compute;
  // Two inputs of one folder whose outputs share names (a.png and a.jpg both give a_mag.png).
  std::vector<InputPlan> plans;
  for (const auto& in : found.inputs)
    plans.push_back({in.path,
                     (fs::path(c.outdir) / fs::path(in.rel).parent_path()).lexically_normal().string(), "",
                     compute.format});
  check_collisions(plans);

  std::vector<Job> jobs;
  for (auto& in : shard_of(found.inputs, shard_index, shard_count)) {
    Job j;
    j.in = in;
    j.outdir = (fs::path(c.outdir) / fs::path(in.rel).parent_path()).lexically_normal().string();
    if (c.overview) j.overview = overview_path("x.png", in.path, j.outdir, 2);
    jobs.push_back(std::move(j));
  }

  // Existing outputs: exact names when the layout is known without decoding, else every name the
  // output table can produce for the input's stem.
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
  for (auto& j : jobs) {
    FileControl control;
    control.outdir = j.outdir;
    control.overview = j.overview;
    const Image layout = predicted_layout(j.in.path, compute);
    if (!layout.pixels.empty()) {
      try {
        for (const auto& f : plan_file(command, layout, j.in.path, control)) j.predicted.push_back(f.path);
      } catch (const Error&) {
        j.predicted.clear();  // the options do not fit this file: the run will say so
      }
    }
    const std::string stem = stem_of(j.in.path), ext = output_extension(j.in.path, compute.format);
    for (const auto& name : listing(j.outdir)) {
      const std::string p = (fs::path(j.outdir) / name).string();
      const bool ours = j.predicted.empty()
                            ? is_output_name(name, stem, ext)
                            : std::find(j.predicted.begin(), j.predicted.end(), p) != j.predicted.end();
      if (ours) j.existing.push_back(p);
    }
  }
  return jobs;
}

/// A planned skip needs every predicted output; otherwise the worker decides after reading.
bool skip_up_front(const BatchSettings& c, const Job& j) {
  return c.skip_existing && !j.predicted.empty() && j.existing.size() == j.predicted.size();
}

/// Phase 4 (--dry-run): what would happen, one line per input.
void print_plan(const BatchSettings& c, const std::vector<Job>& jobs, const Discovery& found,
                const std::string& shard_text, int jobs_wanted, std::size_t budget_bytes, Console& console) {
  std::size_t run = 0, skip = 0;
  for (const auto& j : jobs) {
    std::string action, outputs;
    if (skip_up_front(c, j)) {
      action = "skip", ++skip;
      outputs = "(outputs exist)";
    } else {
      ++run;
      // Without a predicted layout, completeness is known only once the file is read.
      action = j.existing.empty() ? "process" : c.skip_existing ? "check" : "replace";
      outputs = j.predicted.empty()
                    ? (fs::path(j.outdir) /
                       (stem_of(j.in.path) + "_*." + output_extension(j.in.path, c.edges.compute.format)))
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
}

struct RunResult {
  int signo = 0;              ///< the signal that interrupted the batch, 0 if none
  bool out_of_space = false;  ///< stopped early on a full disk
  std::string out_of_space_reason;
  int workers = 0;
  double wall = 0;
};

/// Phase 5: the files, `jobs_wanted` at a time, in one oneTBB arena with their kernels.
RunResult run_jobs(const BatchSettings& c, const Computation& command, std::vector<Job>& jobs,
                   int jobs_wanted, std::size_t budget_bytes) {
  RunResult result;
  std::set<std::string> out_dirs;
  for (const auto& j : jobs) out_dirs.insert(j.outdir);

  Console progress(c.quiet, jobs.size());
  std::atomic<bool> cancel{false};
  SignalWatcher signals(
      [&](int s) {
        cancel = true;
        // A second signal of either kind stops at once; only a terminal user can press Ctrl-C.
        progress.notice(std::string("interrupted (") + (s == SIGINT ? "SIGINT" : "SIGTERM") +
                        "): finishing the step in progress of each file, then stopping; " +
                        (s == SIGINT ? "press Ctrl-C again" : "send SIGINT or SIGTERM again") +
                        " to stop at once");
      },
      [&](int s) {
        // Second signal: no waiting. Complete outputs stay; this process's temporaries go.
        remove_own_temporaries(out_dirs);
        progress.end_bar();
        std::cerr << "gradmap: stopped at once; rerun with --skip-existing to finish" << std::endl;
        std::_Exit(to_int(s == SIGINT ? ExitCode::interrupted_int : ExitCode::interrupted_term));
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
  std::mutex out_of_space_mutex;
  std::atomic<std::size_t> next{0};
  const auto t_start = Clock::now();
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= jobs.size() || cancel || out_of_space) return;
      Job& j = jobs[i];
      const auto t0 = Clock::now();
      if (skip_up_front(c, j)) {
        j.status = JobStatus::skipped;
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
      control.on_read = [&](const Image& img) { budget.resize(held, command.working_set(img)); };
      // isolate(): while this file's kernels wait for their parallel_for, the thread must not pick
      // up another file's worker task — that file would then sit on this one's stack, holding
      // memory and delaying it. Within the isolated region the kernels still use every idle thread.
      j.outcome = tbb::this_task_arena::isolate([&] { return run_file(command, j.in.path, control); });
      budget.release(held);
      j.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      j.status = j.outcome.code != ExitCode::ok ? JobStatus::failed
                 : j.outcome.cancelled          ? JobStatus::interrupted
                 : j.outcome.skipped            ? JobStatus::skipped
                                                : JobStatus::ok;
      for (const auto& w : j.outcome.warnings) progress.warning(w);
      if (j.status != JobStatus::interrupted) progress.file_done(j);
      if (j.outcome.out_of_space && !c.keep_going) {
        std::lock_guard<std::mutex> lock(out_of_space_mutex);
        if (!out_of_space.exchange(true)) {
          result.out_of_space_reason = j.outcome.reason;
          progress.error(
              "the output disk is full (or a file size limit was reached): no new files are "
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
  result.workers = std::max(1, std::min<int>(jobs_wanted, static_cast<int>(jobs.size())));
  arena.execute([&] {
    tbb::task_group group;
    for (int w = 0; w < result.workers; ++w) group.run(worker);
    group.wait();
  });
  result.wall = std::chrono::duration<double>(Clock::now() - t_start).count();
  ticking = false;
  if (ticker.joinable()) ticker.join();
  progress.end_bar();
  result.signo = signals.signal();
  if (result.signo != 0) remove_own_temporaries(out_dirs);  // nothing should remain; never leave one
  result.out_of_space = result.signo == 0 && out_of_space;
  return result;
}

ExitCode run_batch(BatchSettings& c) {
  const std::time_t started = std::time(nullptr);
  Console console(c.quiet, 0);

  std::size_t shard_index = 0, shard_count = 1;
  check_options(c, shard_index, shard_count);
  std::error_code ec;
  if (!fs::is_directory(c.indir, ec))
    throw IoError("'" + c.indir + "': not a directory (batch takes a folder; use `gradmap " +
                  (c.mode == BatchMode::gradient ? "gradient" : "edges") + "` for files)");
  // Outputs are images too: the next run would take them for inputs.
  if (fs::exists(c.outdir, ec) && fs::equivalent(c.indir, c.outdir, ec))
    throw UsageError("'" + c.outdir + "': the output folder must not be the input folder");
  std::size_t budget_bytes = c.edges.compute.max_memory;
  if (budget_bytes == 0) budget_bytes = physical_memory() / 2;
  const int jobs_wanted = c.jobs > 0 ? c.jobs : tbb::info::default_concurrency();

  // Phase 2: discovery, over the whole folder: shards must agree on the order.
  DiscoverOptions dopt;
  dopt.recursive = c.recursive;
  dopt.include = c.include;
  dopt.exclude = c.exclude;
  dopt.skip_dir = c.outdir;
  const Discovery found = discover(c.indir, dopt);
  for (const auto& p : found.problems) console.warning(p.path + ": " + p.reason);
  if (found.inputs.empty())
    throw IoError(
        "'" + c.indir + "': no supported inputs found" +
        (c.recursive ? std::string() : std::string(" (subfolders are searched only with --recursive)")));

  const std::unique_ptr<Computation> command =
      c.mode == BatchMode::gradient
          ? make_gradient_computation(GradientSettings{c.edges.compute, c.edges.display})
          : make_edges_computation(c.edges);

  // Phase 3: plan.
  std::vector<Job> jobs = plan_jobs(c, *command, found, shard_index, shard_count);
  const std::string shard_text = std::to_string(shard_index) + "/" + std::to_string(shard_count);
  const std::size_t with_existing = static_cast<std::size_t>(
      std::count_if(jobs.begin(), jobs.end(), [](const Job& j) { return !j.existing.empty(); }));
  if (with_existing > 0 && !c.skip_existing && !c.overwrite && !c.dry_run) {
    std::size_t shown = 0;
    for (const auto& j : jobs)
      if (!j.existing.empty() && shown++ < 20)
        console.error(j.in.rel + ": outputs exist: " + join(j.existing, ", "));
    console.error(std::to_string(with_existing) + " input(s) already have outputs in " + c.outdir +
                  "; pass --skip-existing to resume or --overwrite to replace them");
    return ExitCode::output;
  }
  if (c.dry_run) {
    print_plan(c, jobs, found, shard_text, jobs_wanted, budget_bytes, console);
    return ExitCode::ok;
  }

  fs::create_directories(c.outdir, ec);
  if (!fs::is_directory(c.outdir)) {
    console.error("'" + c.outdir + "': cannot create the output folder" + (ec ? ": " + ec.message() : ""));
    return ExitCode::output;
  }

  // Phase 5: run.
  const RunResult run = run_jobs(c, *command, jobs, jobs_wanted, budget_bytes);

  // Phase 6: summarize and report.
  std::size_t ok = 0, failed = 0, skipped = 0, interrupted = 0, not_processed = 0;
  for (const auto& p : found.problems) failed += p.missed_inputs;
  double t_read = 0, t_compute = 0, t_write = 0;
  for (auto& j : jobs) {
    if (j.status == JobStatus::pending)
      j.status = run.out_of_space ? JobStatus::not_processed : JobStatus::interrupted;
    ok += j.status == JobStatus::ok;
    failed += j.status == JobStatus::failed;
    skipped += j.status == JobStatus::skipped;
    interrupted += j.status == JobStatus::interrupted;
    not_processed += j.status == JobStatus::not_processed;
    if (j.status == JobStatus::interrupted) j.outcome.reason = "not finished: the batch was interrupted";
    if (j.status == JobStatus::not_processed)
      j.outcome.reason = "skipped: stopped after disk full (" + run.out_of_space_reason + ")";
    if (j.status == JobStatus::ok) {
      t_read += j.outcome.read_seconds;
      t_compute += j.outcome.compute_seconds;
      t_write += j.outcome.write_seconds;
    }
  }
  const double rate = run.wall > 0 ? static_cast<double>(ok) / run.wall : 0;
  const double busy = t_read + t_compute + t_write;
  json summary = {
      {"inputs", jobs.size()},
      {"ok", ok},
      {"failed", failed},
      {"skipped", skipped},
      {"interrupted", interrupted},
      {"not_processed", not_processed},
      {"stopped", run.out_of_space ? json("disk full: " + run.out_of_space_reason) : json(nullptr)},
      {"ignored", found.ignored},
      {"wall_seconds", run.wall},
      {"images_per_second", rate},
      {"jobs", run.workers},
      {"seconds_by_step", {{"decode", t_read}, {"compute", t_compute}, {"encode_write", t_write}}}};
  if (!c.report.empty()) {
    try {
      const fs::path report_dir = fs::path(c.report).parent_path();
      if (!report_dir.empty()) fs::create_directories(report_dir, ec);
      write_report(c, jobs, found, shard_text, summary, run_identity(started));
    } catch (const Error& e) {
      console.error(e.what());
      if (run.signo == 0) return ExitCode::output;
    }
  }

  std::ostringstream s;
  s << "gradmap batch: " << ok << " ok, " << failed << " failed, " << skipped << " skipped";
  if (interrupted) s << ", " << interrupted << " not finished";
  if (not_processed) s << ", " << not_processed << " not processed (stopped: disk full)";
  s << " of " << jobs.size() << (shard_count > 1 ? " (shard " + shard_text + ")" : "") << " in "
    << fmt_seconds(run.wall) << " (" << std::fixed << std::setprecision(1) << rate << " images/s, "
    << run.workers << " at a time)";
  console.out(s.str());
  if (c.timing && ok > 0) {
    auto part = [&](const char* name, double t) {
      std::ostringstream o;
      o << name << " " << std::fixed << std::setprecision(2) << t << " s (" << std::setprecision(0)
        << (busy > 0 ? 100 * t / busy : 0) << "%, " << std::setprecision(1)
        << 1000 * t / static_cast<double>(ok) << " ms/image)";
      return o.str();
    };
    console.out("time by step, summed over files: " + part("decode", t_read) + ", " +
                part("compute", t_compute) + ", " + part("encode+write", t_write));
  }
  if (run.signo != 0) {
    console.notice(
        "batch interrupted: every output present is complete; rerun with --skip-existing to finish");
    return run.signo == SIGINT ? ExitCode::interrupted_int : ExitCode::interrupted_term;
  }
  if (run.out_of_space) return ExitCode::output;
  return failed > 0 ? ExitCode::partial_failure : ExitCode::ok;
}

}  // namespace

Runner setup_batch(CLI::App& app) {
  auto c = std::make_shared<BatchSettings>();
  CLI::App* sub =
      app.add_subcommand("batch", "Edge maps or gradients of every image in a folder, in parallel");
  c->sub = sub;
  sub->add_option("indir", c->indir, "Input folder")->required();
  sub->add_option("-o,--output", c->outdir, "Output folder (created if missing; subfolders mirrored)")
      ->required();
  sub->add_option("--mode", c->mode,
                  "What to compute: edges (as `gradmap edges`) or gradient (as `gradmap gradient`)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, BatchMode>{{"edges", BatchMode::edges}, {"gradient", BatchMode::gradient}},
          CLI::ignore_case))
      ->default_str("edges");
  add_compute_options(sub, c->edges.compute);
  add_display_options(sub, c->edges.display);
  add_edge_options(sub, c->edges);
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
