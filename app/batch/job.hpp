// SPDX-License-Identifier: MIT
// `gradmap batch`'s settings and its unit of work: one input with its plan and outcome.
#pragma once

#include <string>
#include <vector>

#include "../file_job.hpp"
#include "../options.hpp"
#include "discover.hpp"

namespace CLI {
class App;
}

namespace gradmap::cli {

enum class BatchMode { edges, gradient };

/// Everything `gradmap batch` takes.
struct BatchSettings {
  std::string indir, outdir;
  BatchMode mode = BatchMode::edges;
  EdgesSettings edges;  // a superset: gradient mode uses its compute and display flags
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

/// What happened to one input; the names are the report's "status" values.
enum class JobStatus { pending, ok, failed, skipped, interrupted, not_processed };
const char* status_name(JobStatus s);

/// One input's plan and outcome.
struct Job {
  BatchInput in;
  std::string outdir;                  // OUTDIR mirrored with the input's subfolder
  std::string overview;                // --overview: <outdir>/<stem>_overview.png
  std::vector<std::string> predicted;  // planned outputs when knowable without decoding
  std::vector<std::string> existing;   // outputs present before the run
  JobStatus status = JobStatus::pending;
  FileOutcome outcome;
  double seconds = 0;
};

}  // namespace gradmap::cli
