// SPDX-License-Identifier: MIT
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <utility>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace gradmap::cli;
  // Over a file-size limit (ulimit -f) write(2) should fail with EFBIG, which the writers report
  // and clean up after, instead of SIGXFSZ killing the process with a temporary left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"gradmap: numpy-exact gradient and edge maps of images and medical volumes"};
  app.set_version_flag("--version", std::string("gradmap ") + GRADMAP_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 internal error, 2 bad command line, 3 input unreadable, "
             "4 input cannot be processed as asked, 5 output not writable, 6 batch finished with failures.");

  std::vector<std::pair<CLI::App*, Runner>> commands;
  auto add = [&](Runner (*setup)(CLI::App&)) {
    std::size_t before = app.get_subcommands({}).size();
    Runner r = setup(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(r));
  };
  add(setup_gradient);
  add(setup_edges);
  add(setup_info);
  add(setup_batch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  for (auto& [sub, run] : commands)
    if (sub->parsed()) return run();
  return kUsage;
}
