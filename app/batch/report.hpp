// SPDX-License-Identifier: MIT
// `gradmap batch --report`: one JSON or CSV file saying what happened to every input, and who (host,
// process) wrote the outputs it lists.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "job.hpp"

namespace gradmap::cli {

/// Who ran the batch: several processes may share one OUTDIR (shards, or a second batch started
/// by mistake); each report says which host and process wrote the outputs it lists, and when.
nlohmann::json run_identity(std::time_t started);

/// Writes the report atomically; its format follows --report's extension (.json or .csv).
void write_report(const BatchSettings& c, const std::vector<Job>& jobs, const Discovery& found,
                  const std::string& shard, const nlohmann::json& summary, const nlohmann::json& run);

std::string join(const std::vector<std::string>& v, const std::string& sep);

}  // namespace gradmap::cli
