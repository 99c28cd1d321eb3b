// SPDX-License-Identifier: MIT
// gradmap's command line: one subcommand per file (cmd_<verb>.cpp), errors mapped to exit codes in
// one place (exit_codes.cpp).
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <utility>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace gradmap::cli;
  // Over a file-size limit (ulimit -f) write(2) should fail with EFBIG, which the writers report
  // and clean up after, instead of SIGXFSZ killing the process with a temporary left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  // Image after image (a batch, the pages of a stack) buffers of the same few sizes come and go.
  // glibc hands freed blocks above its mmap threshold (adaptive, from 128 KiB) back to the kernel,
  // and the next image faults fresh zeroed pages in again: measured on a batch of one-megapixel
  // photos, page faults were a fifth of the time, and dropping one 12 MB temporary per image
  // (which had raised the adaptive threshold) made the batch 2x slower. The command line keeps
  // freed memory for reuse instead; gradmap's own large arrays have their cache (core/array.cpp).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"gradmap: numpy-exact gradient and edge maps of images and medical volumes"};
  app.set_version_flag("--version", std::string("gradmap ") + GRADMAP_VERSION);
  app.require_subcommand(1);
  app.footer(exit_codes_line());

  std::vector<std::pair<CLI::App*, Runner>> commands;
  for (Runner (*setup)(CLI::App&) : {setup_gradient, setup_edges, setup_info, setup_batch}) {
    const std::size_t before = app.get_subcommands({}).size();
    Runner r = setup(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(r));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? to_int(ExitCode::ok) : to_int(ExitCode::usage);
  }
  for (auto& [sub, run] : commands) {
    if (!sub->parsed()) continue;
    try {
      return to_int(run());
    } catch (...) {
      // Only the checks of option values run outside a file's own error handling.
      const Failure f = current_failure(Stage::options);
      report_error(f.message);
      return to_int(f.code);
    }
  }
  return to_int(ExitCode::usage);
}
