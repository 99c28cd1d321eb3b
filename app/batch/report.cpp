// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "gradmap/io.hpp"

namespace gradmap::cli {

using json = nlohmann::json;

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

namespace {

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

}  // namespace

json run_identity(std::time_t started) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::tm utc{};
  ::gmtime_r(&started, &utc);
  char when[32] = {};
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {{"host", host}, {"pid", static_cast<long long>(::getpid())}, {"started", when}};
}

void write_report(const BatchSettings& c, const std::vector<Job>& jobs, const Discovery& found,
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
      o << q(j.in.rel) << "," << status_name(j.status) << "," << q(j.outcome.reason) << ","
        << shape_text(j.outcome.shape) << "," << spacing_text(j.outcome.spacing) << "," << j.outcome.unit
        << "," << q(join(j.outcome.outputs, ";")) << "," << j.seconds << "," << j.outcome.read_seconds << ","
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
                       {"status", status_name(j.status)},
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
                {"mode", c.mode == BatchMode::gradient ? "gradient" : "edges"},
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

}  // namespace gradmap::cli
