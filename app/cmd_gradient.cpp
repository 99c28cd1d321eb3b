// SPDX-License-Identifier: MIT
// `gradmap gradient`: numpy.gradient of every input, one file per selected axis.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"

namespace gradmap::cli {
namespace {

struct GradientCommand {
  std::vector<std::string> inputs;
  std::string outdir;
  ComputeOptions compute;
  DisplayFlags display;
  bool quiet = false;
};

int run_one(const GradientCommand& c, const std::string& input) {
  Image img;
  if (int rc = guarded(kInputError, [&] { img = read_image(input, make_read_options(c.compute)); })) return rc;
  GradientOptions opts;
  std::vector<Array> comps;
  std::string ext;
  DisplayOptions display;
  if (int rc = guarded(kInvalid, [&] {
        opts = make_gradient_options(img, c.compute);
        ext = output_extension(input, c.compute.format);
        display = make_display_options(c.display);
        comps = gradient(img.pixels, opts);
      }))
    return rc;
  return guarded(kOutputError, [&] {
    const std::string stem = stem_of(input);
    for (std::size_t k = 0; k < comps.size(); ++k) {
      const std::string name = component_name((*opts.axes)[k], img.pixels.rank());
      auto paths = write_result(comps[k], img, input, c.outdir, stem, name, ext,
                                [&](const Array& a, index_t) { return display_map(a, display, /*signed_data=*/true); });
      if (!c.quiet)
        for (const auto& p : paths) std::cout << p << "\n";
    }
  });
}

}  // namespace

Runner setup_gradient(CLI::App& app) {
  auto c = std::make_shared<GradientCommand>();
  CLI::App* sub = app.add_subcommand("gradient", "Gradient components, exactly numpy.gradient's");
  sub->add_option("inputs", c->inputs, "Input images, volumes or .npy arrays")->required();
  sub->add_option("-o,--output", c->outdir, "Output directory (created if missing)")->required();
  add_compute_options(sub, c->compute);
  add_display_options(sub, c->display);
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
    int rc = kOk;
    for (const auto& in : c->inputs) {
      int r = run_one(*c, in);
      if (r != kOk && rc == kOk) rc = r;
    }
    return rc;
  };
}

}  // namespace gradmap::cli
