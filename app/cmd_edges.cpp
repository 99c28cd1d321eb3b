// SPDX-License-Identifier: MIT
// `gradmap edges`: gradient magnitude and direction maps, gradmap's main job.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipeline.hpp"

namespace gradmap::cli {
namespace {

struct EdgesCommand {
  std::vector<std::string> inputs;
  std::string outdir;
  EdgesSettings settings;
  std::string overview;
  bool quiet = false;
};

}  // namespace

Runner setup_edges(CLI::App& app) {
  auto c = std::make_shared<EdgesCommand>();
  CLI::App* sub = app.add_subcommand("edges", "Gradient magnitude and direction maps (edge maps)");
  sub->add_option("inputs", c->inputs, "Input images, volumes or .npy arrays")->required();
  sub->add_option("-o,--output", c->outdir, "Output directory (created if missing)")->required();
  add_edges_options(sub, c->settings);
  sub->add_option("--overview", c->overview,
                  "Also write one PNG with input, magnitude and direction side by side, with legends "
                  "(several inputs: <outdir>/<stem>_overview.png)");
  sub->add_flag("-q,--quiet", c->quiet, "Do not list the files written");
  sub->footer(
      "Outputs: <stem>_mag, and <stem>_dir (2-D) or <stem>_azimuth + <stem>_elevation (3-D).\n"
      "Conventions: arrays are (rows, cols) / (z, y, x); y grows downward (image convention) unless --y-up;\n"
      "direction = atan2(gy, gx) in radians: right = 0, down = +pi/2.\n"
      "Examples:\n"
      "  gradmap edges photo.png -o out                      # PNG maps, min-max scaled\n"
      "  gradmap edges photo.png -o out --format tiff        # float32 values: np.hypot / np.arctan2\n"
      "  gradmap edges ct.nii.gz -o out --overview ct.png    # NIfTI maps in mm units + a picture");
  return [c] {
    std::function<std::string(const std::string&)> overview;
    if (!c->overview.empty())
      overview = [c](const std::string& in) {
        return c->inputs.size() == 1 ? c->overview
                                     : (std::filesystem::path(c->outdir) / (stem_of(in) + "_overview.png")).string();
      };
    return run_inputs(*make_edges_command(c->settings), c->inputs, c->outdir, c->quiet, overview);
  };
}

}  // namespace gradmap::cli
