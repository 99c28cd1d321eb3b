// SPDX-License-Identifier: MIT
// The subcommands. Each `cmd_<verb>.cpp` declares its flags in `setup_<verb>(CLI::App&)` and returns
// how to run it; the computing commands also make their per-file Computation, which batch reuses.
#pragma once

#include <functional>
#include <memory>

#include "exit_codes.hpp"
#include "file_job.hpp"
#include "options.hpp"

namespace CLI {
class App;
}

namespace gradmap::cli {

/// A parsed subcommand's action.
using Runner = std::function<ExitCode()>;

Runner setup_gradient(CLI::App& app);
Runner setup_edges(CLI::App& app);
Runner setup_info(CLI::App& app);
Runner setup_batch(CLI::App& app);

/// The per-file work of `gradmap gradient` and `gradmap edges` (settings already finish()ed).
std::unique_ptr<Computation> make_gradient_computation(const GradientSettings& s);
std::unique_ptr<Computation> make_edges_computation(const EdgesSettings& s);

}  // namespace gradmap::cli
