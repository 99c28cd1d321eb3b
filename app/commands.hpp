// SPDX-License-Identifier: MIT
// The CLI is a thin layer over the library: one file per subcommand, each with a
// `setup_<verb>(CLI::App&)` that declares its options and returns how to run it.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace gradmap::cli {

/// Documented exit codes (README "Exit codes").
enum ExitCode : int {
  kOk = 0,
  kInternal = 1,       ///< unexpected failure (a bug): please report
  kUsage = 2,          ///< bad command line
  kInputError = 3,     ///< an input could not be read (missing, unreadable, corrupt, unsupported)
  kInvalid = 4,        ///< the input cannot be processed as asked (shape too small, bad spacing, ...)
  kOutputError = 5,    ///< an output could not be written
  kPartialFailure = 6, ///< batch: some files failed, the others were processed
};

/// A parsed subcommand's action, returning an ExitCode.
using Runner = std::function<int()>;

Runner setup_gradient(CLI::App& app);
Runner setup_edges(CLI::App& app);
Runner setup_info(CLI::App& app);
Runner setup_batch(CLI::App& app);

}  // namespace gradmap::cli
