// SPDX-License-Identifier: MIT
// `gradmap edges`: gradient magnitude and direction maps, gradmap's main job.
#include <CLI/CLI.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "gradmap/edges.hpp"

namespace gradmap::cli {
namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

struct EdgesCommand {
  std::vector<std::string> inputs;
  std::string outdir;
  ComputeOptions compute;
  DisplayFlags display;
  std::string angle_units = "rad";
  std::string angle_range = "signed";
  bool y_up = false, orientation = false, compass = false;
  bool components = false, normals = false;
  std::string dir_style = "hsv";
  std::string overview;
  bool quiet = false;
};

AngleOptions angle_options(const EdgesCommand& c) {
  AngleOptions a;
  a.units = c.angle_units == "deg" ? AngleUnits::degrees : AngleUnits::radians;
  a.range = c.angle_range == "unsigned" ? AngleRange::unsigned_range : AngleRange::signed_range;
  a.y_up = c.y_up;
  a.orientation = c.orientation;
  a.compass = c.compass;
  return a;
}

/// The interval the direction values lie in, for display scaling and the color wheel.
std::pair<double, double> angle_interval(const AngleOptions& a) {
  const double unit = a.units == AngleUnits::degrees ? 180.0 / kPi : 1.0;
  if (a.orientation && !a.compass) return {0.0, kPi * unit};
  if (a.compass || a.range == AngleRange::unsigned_range) return {0.0, 2 * kPi * unit};
  return {-kPi * unit, kPi * unit};
}

std::string spacing_text(const GradientOptions& g, const Image& img) {
  std::ostringstream s;
  for (std::size_t k = 0; k < g.spacing.size(); ++k) {
    if (k) s << " x ";
    if (g.spacing[k].coords.empty()) s << g.spacing[k].step;
    else s << "coords";
  }
  s << " " << img.geometry.unit;
  return s.str();
}

int run_one(const EdgesCommand& c, const std::string& input) {
  Image img;
  if (int rc = guarded(kInputError, [&] { img = read_image(input, make_read_options(c.compute)); })) return rc;
  EdgeOptions opts;
  EdgeMaps maps;
  std::string ext;
  DisplayOptions display;
  if (int rc = guarded(kInvalid, [&] {
        opts.gradient = make_gradient_options(img, c.compute);
        opts.angle = angle_options(c);
        opts.components = c.components;
        opts.normals = c.normals;
        const std::size_t n = opts.gradient.axes->size();
        opts.direction = !c.normals && (n == 2 || n == 3);
        ext = output_extension(input, c.compute.format);
        display = make_display_options(c.display);
        maps = edges(img.pixels, opts);
      }))
    return rc;
  return guarded(kOutputError, [&] {
    const std::string stem = stem_of(input);
    const int rank = img.pixels.rank();
    const auto& axes = *opts.gradient.axes;
    const auto [lo, hi] = angle_interval(opts.angle);
    std::vector<std::string> written;
    auto put = [&](const Array& a, const std::string& suffix, const std::function<Array(const Array&, index_t)>& show) {
      if (a.empty()) return;
      auto p = write_result(a, img, input, c.outdir, stem, suffix, ext, show);
      written.insert(written.end(), p.begin(), p.end());
    };
    auto gray = [&](const Array& a, index_t) { return display_map(a, display); };
    put(maps.magnitude, "mag", gray);
    const bool three_d = !maps.elevation.empty();
    put(maps.direction, three_d ? "azimuth" : "dir", [&](const Array& a, index_t i) {
      if (c.dir_style == "gray" || three_d) return direction_gray(a, lo, hi, display.bit_depth);
      const Array mag = i < 0 ? maps.magnitude : series_slice(maps.magnitude, i);
      return direction_hsv(a, mag, display, hi - lo);
    });
    const double half_turn = opts.angle.units == AngleUnits::degrees ? 90.0 : kPi / 2;
    put(maps.elevation, "elevation",
        [&](const Array& a, index_t) { return direction_gray(a, -half_turn, half_turn, display.bit_depth); });
    for (std::size_t k = 0; k < maps.components.size(); ++k)
      put(maps.components[k], component_name(axes[k], rank),
          [&](const Array& a, index_t) { return display_map(a, display, true); });
    for (std::size_t k = 0; k < maps.normals.size(); ++k)
      put(maps.normals[k], "n" + component_name(axes[k], rank).substr(1),
          [&](const Array& a, index_t) { return display_map(a, display, true); });
    if (!c.overview.empty()) {
      OverviewInfo info;
      info.title = std::filesystem::path(input).filename().string();
      info.spacing = spacing_text(opts.gradient, img);
      info.units = "intensity/" + img.geometry.unit;
      info.angle_period = hi - lo;
      info.angle = opts.angle;
      const std::string path =
          c.inputs.size() == 1 ? c.overview
                               : (std::filesystem::path(c.outdir) / (stem + "_overview.png")).string();
      refuse_overwriting_input(path, input);
      write_overview(path, img, maps, info);
      written.push_back(path);
    }
    if (!c.quiet)
      for (const auto& p : written) std::cout << p << "\n";
  });
}

}  // namespace

Runner setup_edges(CLI::App& app) {
  auto c = std::make_shared<EdgesCommand>();
  CLI::App* sub = app.add_subcommand("edges", "Gradient magnitude and direction maps (edge maps)");
  sub->add_option("inputs", c->inputs, "Input images, volumes or .npy arrays")->required();
  sub->add_option("-o,--output", c->outdir, "Output directory (created if missing)")->required();
  add_compute_options(sub, c->compute);
  add_display_options(sub, c->display);
  sub->add_option("--angle-units", c->angle_units, "Direction units: rad or deg")
      ->check(CLI::IsMember({"rad", "deg"}))
      ->capture_default_str();
  sub->add_option("--angle-range", c->angle_range, "signed: [-pi, pi] like atan2; unsigned: [0, 2pi)")
      ->check(CLI::IsMember({"signed", "unsigned"}))
      ->capture_default_str();
  sub->add_flag("--y-up", c->y_up, "Math convention: y grows upward, angle = atan2(-gy, gx) (MATLAB imgradient)");
  sub->add_flag("--orientation", c->orientation, "Undirected edges: the angle modulo pi, in [0, pi)");
  sub->add_flag("--compass", c->compass, "Clockwise from north (up on screen), in [0, 2pi)");
  sub->add_flag("--components", c->components, "Also write the gradient components gx, gy (gz)");
  sub->add_flag("--normals", c->normals, "3-D: write the unit gradient vector (nx, ny, nz) instead of angles");
  sub->add_option("--dir-style", c->dir_style,
                  "PNG direction maps: hsv (hue = angle, value = magnitude) or gray (angle range → full range)")
      ->check(CLI::IsMember({"hsv", "gray"}))
      ->capture_default_str();
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
