// SPDX-License-Identifier: MIT
#include "exit_codes.hpp"

#include <iostream>
#include <new>

namespace gradmap::cli {

const std::vector<ExitCodeInfo>& exit_codes() {
  static const std::vector<ExitCodeInfo> table = {
      {ExitCode::ok, "ok"},
      {ExitCode::internal, "internal error"},
      {ExitCode::usage, "bad command line"},
      {ExitCode::input, "input unreadable"},
      {ExitCode::invalid, "input cannot be processed as asked"},
      {ExitCode::output, "output not writable"},
      {ExitCode::partial_failure, "batch finished with failures"},
      {ExitCode::interrupted_int, "interrupted (SIGINT)"},
      {ExitCode::interrupted_term, "interrupted (SIGTERM)"},
  };
  return table;
}

std::string exit_codes_line() {
  std::string line = "Exit codes:";
  for (const ExitCodeInfo& e : exit_codes())
    line += (line.back() == ':' ? " " : ", ") + std::to_string(to_int(e.code)) + " " + e.meaning;
  return line + ".";
}

ExitCode exit_code_of(const std::exception& e, Stage stage) {
  // Order matters: UsageError is an InvalidArgument.
  if (dynamic_cast<const UsageError*>(&e)) return ExitCode::usage;
  if (dynamic_cast<const IoError*>(&e)) {
    if (stage == Stage::write) return ExitCode::output;
    return ExitCode::input;  // options stage: a file an option names (--coords) cannot be read
  }
  if (dynamic_cast<const InvalidArgument*>(&e) || dynamic_cast<const ShapeError*>(&e))
    return stage == Stage::options ? ExitCode::usage : ExitCode::invalid;
  // Running out of memory on one input is that input's problem (too large for this machine as
  // asked), not a bug: --max-memory or a smaller --dtype may make it fit.
  if (dynamic_cast<const std::bad_alloc*>(&e)) return ExitCode::invalid;
  return ExitCode::internal;
}

Failure current_failure(Stage stage) {
  try {
    throw;
  } catch (const std::bad_alloc& e) {
    return {exit_code_of(e, stage), "out of memory"};
  } catch (const Error& e) {
    return {exit_code_of(e, stage), e.what()};
  } catch (const std::exception& e) {
    return {ExitCode::internal, std::string("internal error: ") + e.what()};
  } catch (...) {
    return {ExitCode::internal, "internal error: unknown exception"};
  }
}

void report_error(const std::string& message) {
  std::cerr << "gradmap: error: " << message << "\n" << std::flush;
}
void report_warning(const std::string& message) {
  std::cerr << "gradmap: warning: " << message << "\n" << std::flush;
}

std::string warning_line(const std::string& path, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return "";
  std::string w = "'" + path + "': " + warnings.front();
  if (warnings.size() > 1) w += " (and " + std::to_string(warnings.size() - 1) + " more)";
  return w;
}

}  // namespace gradmap::cli
