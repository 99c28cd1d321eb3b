// SPDX-License-Identifier: MIT
// The command line's exit codes and the one map from errors to them (README "Exit codes"). Every
// command — gradient, edges, info, batch — reports failures through exit_code_of(), so a class of
// error has the same code everywhere.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "gradmap/error.hpp"

namespace gradmap::cli {

enum class ExitCode : int {
  ok = 0,
  internal = 1,            ///< unexpected failure (a bug): please report
  usage = 2,               ///< bad command line: unknown flag, bad or conflicting option values
  input = 3,               ///< an input could not be read (missing, unreadable, corrupt, unsupported)
  invalid = 4,             ///< the input cannot be processed as asked (axis too short, spacing, ...)
  output = 5,              ///< an output could not be written (batch: stopped early on a full disk)
  partial_failure = 6,     ///< batch: some files failed, the others were processed
  interrupted_int = 130,   ///< SIGINT (128 + 2, the shell's convention)
  interrupted_term = 143,  ///< SIGTERM (128 + 15)
};

inline int to_int(ExitCode c) { return static_cast<int>(c); }

/// Every exit code with its few-word meaning, in order: the help footer is made from it, and a test
/// checks it against README "Exit codes" (whose table gives the full meaning of each).
struct ExitCodeInfo {
  ExitCode code;
  const char* meaning;
};
const std::vector<ExitCodeInfo>& exit_codes();

/// "Exit codes: 0 ok, 1 internal error, ...": exit_codes() as one line.
std::string exit_codes_line();

/// A bad command-line value (a malformed --spacing, an unknown --format, two flags that cannot both
/// hold): exit 2, whichever command and whenever it is found.
class UsageError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// Where an error happened: an IoError is an unreadable input while reading and an unwritable
/// output while writing.
enum class Stage { options, read, compute, write };

/// The exit code for the exception `e` thrown during `stage`.
ExitCode exit_code_of(const std::exception& e, Stage stage);

/// The exit code and message for the exception in flight (call from a catch block): the message is
/// e.what(), "out of memory", or "internal error: ..." for exceptions gradmap does not throw.
struct Failure {
  ExitCode code = ExitCode::ok;
  std::string message;
};
Failure current_failure(Stage stage);

/// "gradmap: error: <message>" on stderr: the one way every command reports an error.
void report_error(const std::string& message);
void report_warning(const std::string& message);

/// The one line that reports what a reader noticed about `path` (Image::warnings):
/// "'<path>': <first> (and N more)"; GDCM can print dozens of messages about one file.
std::string warning_line(const std::string& path, const std::vector<std::string>& warnings);

}  // namespace gradmap::cli
