// SPDX-License-Identifier: MIT
// `gradmap gradient`: numpy.gradient of every input, one file per selected axis.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipeline.hpp"

namespace gradmap::cli {
namespace {

struct GradientCommand {
  std::vector<std::string> inputs;
  std::string outdir;
  GradientSettings settings;
  bool quiet = false;
};

}  // namespace

Runner setup_gradient(CLI::App& app) {
  auto c = std::make_shared<GradientCommand>();
  CLI::App* sub = app.add_subcommand("gradient", "Gradient components, exactly numpy.gradient's");
  sub->add_option("inputs", c->inputs, "Input images, volumes or .npy arrays")->required();
  sub->add_option("-o,--output", c->outdir, "Output directory (created if missing)")->required();
  add_gradient_options(sub, c->settings);
  sub->add_flag("-q,--quiet", c->quiet, "Do not list the files written");
  sub->footer(
      "Outputs: <stem>_gx (d/d last axis, columns), <stem>_gy (rows), <stem>_gz (slices), <stem>_d<k> for "
      "earlier axes.\n"
      "Examples:\n"
      "  gradmap gradient f.npy -o out                      # = np.gradient(f)\n"
      "  gradmap gradient f.npy -o out --axis=-1 --spacing=0.5 --edge-order 2\n"
      "                                                     # = np.gradient(f, 0.5, axis=-1, edge_order=2)\n"
      "  gradmap gradient ct.nii.gz -o out                  # header spacing (mm), NIfTI out\n"
      "  gradmap gradient f.npy -o out --coords x=xs.npy    # non-uniform coordinates along x");
  return [c] {
    std::error_code ec;
    std::filesystem::create_directories(c->outdir, ec);
    if (!std::filesystem::is_directory(c->outdir)) {
      report_error(c->outdir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
      return static_cast<int>(kOutputError);
    }
    const auto command = make_gradient_command(c->settings);
    FileControl control;
    control.outdir = c->outdir;
    int rc = kOk;
    for (const auto& in : c->inputs) {
      const FileOutcome r = command->run(in, control);
      if (!c->quiet)
        for (const auto& p : r.outputs) std::cout << p << "\n";
      if (r.code != kOk) report_error(r.reason);
      if (r.code != kOk && rc == kOk) rc = r.code;
    }
    return rc;
  };
}

}  // namespace gradmap::cli
