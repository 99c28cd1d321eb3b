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
  return [c] { return run_inputs(*make_gradient_command(c->settings), c->inputs, c->outdir, c->quiet); };
}

}  // namespace gradmap::cli
