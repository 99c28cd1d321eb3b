// SPDX-License-Identifier: MIT
#include "pipeline.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <new>
#include <sstream>

#include "gradmap/render.hpp"

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kPi = 3.141592653589793238462643383279502884;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Runs `step`, mapping gradmap's exceptions to exit codes and keeping the message (guarded()'s
/// mapping, without printing: batch prints through its own console).
template <class Fn>
int capture(int io_code, std::string& reason, Fn&& step) {
  try {
    step();
    return kOk;
  } catch (const IoError& e) {
    reason = e.what();
    return io_code;
  } catch (const InvalidArgument& e) {
    reason = e.what();
    return kInvalid;
  } catch (const ShapeError& e) {
    reason = e.what();
    return kInvalid;
  } catch (const std::bad_alloc&) {
    reason = "out of memory";
    return kInvalid;
  } catch (const std::exception& e) {
    reason = std::string("internal error: ") + e.what();
    return kInternal;
  }
}

bool all_exist(const std::vector<std::string>& paths) {
  std::error_code ec;
  for (const auto& p : paths)
    if (!fs::is_regular_file(p, ec)) return false;
  return !paths.empty();
}

/// Bytes per element of the float results for `img` under the --dtype flag.
std::size_t result_element_bytes(const Image& img, const ComputeOptions& o) {
  if (o.dtype == "float32") return 4;
  if (o.dtype == "float64") return 8;
  const DType t = img.pixels.dtype();
  return t == DType::float32 ? 4 : t == DType::float16 ? 2 : 8;
}

std::size_t estimate(const Image& img, const ComputeOptions& o, const DisplayFlags& d,
                     std::size_t float_maps) {
  const auto n = static_cast<std::size_t>(img.pixels.size());
  // Display maps (RGB at most) counted whatever the format: an upper bound is what a budget needs.
  const std::size_t display = n * static_cast<std::size_t>(d.bit_depth / 8) * 3;
  return img.pixels.nbytes() + n * result_element_bytes(img, o) * float_maps + display;
}

// ---------------------------------------------------------------------------------------------
// gradient

class GradientFile final : public FileCommand {
 public:
  explicit GradientFile(GradientSettings s) : s_(std::move(s)) {}
  const ComputeOptions& compute_options() const override { return s_.compute; }

  std::size_t working_set(const Image& img) const override {
    return estimate(img, s_.compute, s_.display, static_cast<std::size_t>(std::max(1, img.spatial_rank())));
  }

 protected:
  std::vector<std::string> suffixes(const Image& img, const FileControl&) const override {
    const GradientOptions opts = make_gradient_options(img, s_.compute);
    std::vector<std::string> names;
    for (int a : *opts.axes) names.push_back(component_name(a, img.pixels.rank()));
    return names;
  }

  std::vector<Product> compute(const Image& img, const std::string&, const FileControl&) const override {
    const GradientOptions opts = make_gradient_options(img, s_.compute);
    const DisplayOptions display = make_display_options(s_.display);
    std::vector<Array> comps = compute_components(img, opts, s_.compute);
    std::vector<Product> products;
    for (std::size_t k = 0; k < comps.size(); ++k) {
      Product p;
      p.suffix = component_name((*opts.axes)[k], img.pixels.rank());
      p.values = std::move(comps[k]);
      p.to_display = [display](const Array& a, index_t) {
        return display_map(a, display, /*signed_data=*/true);
      };
      products.push_back(std::move(p));
    }
    return products;
  }

 private:
  GradientSettings s_;
};

// ---------------------------------------------------------------------------------------------
// edges

AngleOptions angle_options(const EdgesSettings& c) {
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
    if (g.spacing[k].coords.empty())
      s << g.spacing[k].step;
    else
      s << "coords";
  }
  s << " " << img.geometry.unit;
  return s.str();
}

class EdgesFile final : public FileCommand {
 public:
  explicit EdgesFile(EdgesSettings s) : s_(std::move(s)) {}
  const ComputeOptions& compute_options() const override { return s_.compute; }

  std::size_t working_set(const Image& img) const override {
    const std::size_t n = static_cast<std::size_t>(std::max(1, img.spatial_rank()));
    return estimate(img, s_.compute, s_.display, 3 + (s_.components ? n : 0) + (s_.normals ? n : 0));
  }

 protected:
  EdgeOptions options(const Image& img) const {
    EdgeOptions opts;
    opts.gradient = make_gradient_options(img, s_.compute);
    opts.angle = angle_options(s_);
    opts.components = s_.components;
    opts.normals = s_.normals;
    const std::size_t n = opts.gradient.axes->size();
    opts.direction = !s_.normals && (n == 2 || n == 3);
    return opts;
  }

  std::vector<std::string> suffixes(const Image& img, const FileControl& control) const override {
    const EdgeOptions opts = options(img);
    const auto& axes = *opts.gradient.axes;
    const int rank = img.pixels.rank();
    std::vector<std::string> names{"mag"};
    if (opts.direction && axes.size() == 2) names.push_back("dir");
    if (opts.direction && axes.size() == 3) names.insert(names.end(), {"azimuth", "elevation"});
    if (opts.components)
      for (int a : axes) names.push_back(component_name(a, rank));
    if (opts.normals)
      for (int a : axes) names.push_back("n" + component_name(a, rank).substr(1));
    if (!control.overview.empty()) names.push_back("overview");
    return names;
  }

  std::vector<Product> compute(const Image& img, const std::string& input,
                               const FileControl& control) const override {
    const EdgeOptions opts = options(img);
    const DisplayOptions display = make_display_options(s_.display);
    // Shared: the direction's HSV display needs the magnitude, the overview needs every map.
    auto maps = std::make_shared<EdgeMaps>();
    if (s_.compute.physical_frame) {
      // World-frame components first, then the maps from them (the fused path knows only index axes).
      std::vector<Array> world = compute_components(img, opts.gradient, s_.compute);
      *maps = edges_from_components(world, *opts.gradient.axes, opts);
      if (opts.components) maps->components = std::move(world);
    } else {
      *maps = edges(img.pixels, opts);
    }
    const int rank = img.pixels.rank();
    const auto& axes = *opts.gradient.axes;
    const auto [lo, hi] = angle_interval(opts.angle);
    std::vector<Product> products;
    auto put = [&](const Array& a, const std::string& suffix,
                   std::function<Array(const Array&, index_t)> show) {
      if (a.empty()) return;
      Product p;
      p.suffix = suffix;
      p.values = a;
      p.to_display = std::move(show);
      products.push_back(std::move(p));
    };
    put(maps->magnitude, "mag", [display](const Array& a, index_t) { return display_map(a, display); });
    const bool three_d = !maps->elevation.empty();
    const std::string style = s_.dir_style;
    put(maps->direction, three_d ? "azimuth" : "dir", [=](const Array& a, index_t i) {
      if (style == "gray" || three_d) return direction_gray(a, lo, hi, display.bit_depth);
      const Array mag = i < 0 ? maps->magnitude : series_slice(maps->magnitude, i);
      return direction_hsv(a, mag, display, hi - lo);
    });
    const double half_turn = opts.angle.units == AngleUnits::degrees ? 90.0 : kPi / 2;
    put(maps->elevation, "elevation",
        [=](const Array& a, index_t) { return direction_gray(a, -half_turn, half_turn, display.bit_depth); });
    for (std::size_t k = 0; k < maps->components.size(); ++k)
      put(maps->components[k], component_name(axes[k], rank),
          [display](const Array& a, index_t) { return display_map(a, display, true); });
    for (std::size_t k = 0; k < maps->normals.size(); ++k)
      put(maps->normals[k], "n" + component_name(axes[k], rank).substr(1),
          [display](const Array& a, index_t) { return display_map(a, display, true); });
    if (!control.overview.empty()) {
      OverviewInfo info;
      info.title = fs::path(input).filename().string();
      info.spacing = spacing_text(opts.gradient, img);
      info.units = "intensity/" + img.geometry.unit;
      info.angle_period = hi - lo;
      info.angle = opts.angle;
      Product p;
      p.suffix = "overview";
      p.special_path = control.overview;
      // The image is copied into the closure: products outlive the caller's reference in batch.
      p.write_special = [img, maps, info, input](const std::string& path) {
        refuse_overwriting_input(path, input);
        write_overview(path, img, *maps, info);
      };
      products.push_back(std::move(p));
    }
    return products;
  }

 private:
  EdgesSettings s_;
};

bool is_raster_extension(const std::string& ext) {
  static const char* const rasters[] = {"png", "jpg",  "jpeg", "tif", "tiff",
                                        "bmp", "webp", "pgm",  "ppm", "pnm"};
  for (const char* r : rasters)
    if (ext == r) return true;
  return false;
}

}  // namespace

std::vector<std::string> output_paths(const Image& like, const std::string& outdir, const std::string& stem,
                                      const std::string& suffix, const std::string& ext) {
  // Mirrors write_result(): float formats keep a series in one file, display formats split it.
  auto path = [&](const std::string& name) { return (fs::path(outdir) / (name + "." + ext)).string(); };
  if (!is_display_format(ext) || like.series_axes == 0) return {path(stem + "_" + suffix)};
  std::vector<std::string> paths;
  for (const auto& n : series_names(like)) paths.push_back(path(stem + "_" + n + "_" + suffix));
  return paths;
}

bool is_out_of_space_error(const std::string& reason) {
  // The writers report errno as strerror text (the message is all that crosses the library's API).
  for (int e : {ENOSPC, EDQUOT, EFBIG})
    if (reason.find(std::strerror(e)) != std::string::npos) return true;
  return false;
}

Image predicted_layout(const std::string& input, const ComputeOptions& o) {
  Image img;
  // A gray raster always reads as one 2-D image; --coords would need the real extents.
  if (o.color != "gray" || !o.coords.empty() || !is_raster_extension(file_extension(input))) return img;
  img.pixels = Array(DType::uint8, Shape{2, 2});
  img.geometry = default_geometry(2);
  img.format = file_extension(input);
  return img;
}

std::vector<std::string> FileCommand::plan(const Image& img, const std::string& input,
                                           const FileControl& control) const {
  const std::string ext = output_extension(input, compute_options().format);
  const std::string stem = stem_of(input);
  std::vector<std::string> paths;
  for (const auto& s : suffixes(img, control)) {
    if (s == "overview") {
      paths.push_back(control.overview);
      continue;
    }
    for (auto& p : output_paths(img, control.outdir, stem, s, ext)) paths.push_back(std::move(p));
  }
  return paths;
}

FileOutcome FileCommand::run(const std::string& input, const FileControl& control) const {
  FileOutcome out;
  auto stop = [&] {
    if (control.cancel && control.cancel->load()) out.cancelled = true;
    return out.cancelled;
  };
  if (stop()) return out;

  Image img;
  auto t0 = Clock::now();
  out.code = capture(kInputError, out.reason,
                     [&] { img = read_image(input, make_read_options(compute_options())); });
  out.read_seconds = seconds_since(t0);
  if (out.code != kOk) return out;
  if (!img.warnings.empty()) report_warnings(input, img.warnings);
  out.shape = img.pixels.shape();
  out.spacing = img.geometry.spacing;
  out.unit = img.geometry.unit;
  out.format = img.format;
  if (control.on_read) control.on_read(img);
  if (stop()) return out;

  std::vector<std::string> planned;
  std::vector<Product> products;
  t0 = Clock::now();
  out.code = capture(kInvalid, out.reason, [&] {
    planned = plan(img, input, control);
    if (control.skip_existing && all_exist(planned)) {
      out.skipped = true;
      return;
    }
    products = compute(img, input, control);
  });
  out.compute_seconds = seconds_since(t0);
  if (out.code != kOk) return out;
  if (out.skipped) {
    out.outputs = planned;
    return out;
  }
  img.pixels = Array();  // the input is no longer needed (the overview keeps its own copy)

  t0 = Clock::now();
  const std::string ext = output_extension(input, compute_options().format);
  const std::string stem = stem_of(input);
  // Which files this run put in place: a write failure removes them, but not a file another
  // process (a second batch with --overwrite) has renamed over one of them since.
  std::vector<std::pair<dev_t, ino_t>> identities;
  auto remember = [&] {
    while (identities.size() < out.outputs.size()) {
      struct stat st {};
      const bool ok = ::stat(out.outputs[identities.size()].c_str(), &st) == 0;
      identities.emplace_back(ok ? st.st_dev : 0, ok ? st.st_ino : 0);
    }
  };
  for (const auto& p : products) {
    if (stop()) break;
    out.code = capture(kOutputError, out.reason, [&] {
      if (p.write_special) {
        p.write_special(p.special_path);
        out.outputs.push_back(p.special_path);
        return;
      }
      Image like;
      like.series_axes = img.series_axes;
      like.geometry = img.geometry;
      like.format = img.format;
      like.metadata = img.metadata;  // NIfTI codes, series spacing, a slice's 3-D position
      // series_names() reads the series length from the pixel array's first extent.
      like.pixels = p.values;
      auto written = write_result(p.values, like, input, control.outdir, stem, p.suffix, ext, p.to_display,
                                  compute_options().png_compression);
      out.outputs.insert(out.outputs.end(), written.begin(), written.end());
    });
    remember();
    if (out.code != kOk) break;
  }
  out.write_seconds = seconds_since(t0);
  if (out.code == kOutputError) {
    // Outputs are complete files, but an input with some of them only would look done to a
    // reader of the folder (--skip-existing redoes it anyway). Removing them also gives back the
    // space a full disk needs.
    for (std::size_t k = 0; k < out.outputs.size(); ++k) {
      struct stat st {};
      if (::stat(out.outputs[k].c_str(), &st) == 0 && st.st_dev == identities[k].first &&
          st.st_ino == identities[k].second)
        ::unlink(out.outputs[k].c_str());
    }
    out.outputs.clear();
    out.out_of_space = is_out_of_space_error(out.reason);
    // A folder removed while the file was written shows only as a vanished temporary or a failed
    // open or rename; say what happened.
    std::error_code ec;
    if (!fs::is_directory(control.outdir, ec) && out.reason.find("does not exist") == std::string::npos)
      out.reason += " (the output folder '" + control.outdir + "' no longer exists)";
  }
  if (out.code == kOk && !out.cancelled && out.outputs != planned) {
    // plan() must name exactly what is written, or --skip-existing would skip unfinished inputs.
    out.code = kInternal;
    out.reason = "internal error: " + input + ": the outputs written differ from the outputs planned";
  }
  return out;
}

void add_gradient_options(CLI::App* sub, GradientSettings& s) {
  add_compute_options(sub, s.compute);
  add_display_options(sub, s.display);
}

void add_edges_options(CLI::App* sub, EdgesSettings& c) {
  add_compute_options(sub, c.compute);
  add_display_options(sub, c.display);
  sub->add_option("--angle-units", c.angle_units, "Direction units: rad or deg")
      ->check(CLI::IsMember({"rad", "deg"}))
      ->capture_default_str();
  sub->add_option("--angle-range", c.angle_range, "signed: [-pi, pi] like atan2; unsigned: [0, 2pi)")
      ->check(CLI::IsMember({"signed", "unsigned"}))
      ->capture_default_str();
  sub->add_flag("--y-up", c.y_up,
                "Math convention: y grows upward, angle = atan2(-gy, gx) (MATLAB imgradient)");
  sub->add_flag("--orientation", c.orientation, "Undirected edges: the angle modulo pi, in [0, pi)");
  sub->add_flag("--compass", c.compass, "Clockwise from north (up on screen), in [0, 2pi)");
  sub->add_flag("--components", c.components, "Also write the gradient components gx, gy (gz)");
  sub->add_flag("--normals", c.normals, "3-D: write the unit gradient vector (nx, ny, nz) instead of angles");
  sub->add_option(
         "--dir-style", c.dir_style,
         "PNG direction maps: hsv (hue = angle, value = magnitude) or gray (angle range → full range)")
      ->check(CLI::IsMember({"hsv", "gray"}))
      ->capture_default_str();
}

std::unique_ptr<FileCommand> make_gradient_command(const GradientSettings& s) {
  return std::make_unique<GradientFile>(s);
}

std::unique_ptr<FileCommand> make_edges_command(const EdgesSettings& s) {
  return std::make_unique<EdgesFile>(s);
}

int run_inputs(const FileCommand& command, const std::vector<std::string>& inputs, const std::string& outdir,
               bool quiet, const std::function<std::string(const std::string&)>& overview_for) {
  std::error_code ec;
  std::filesystem::create_directories(outdir, ec);
  if (!std::filesystem::is_directory(outdir)) {
    report_error(outdir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
    return kOutputError;
  }
  int rc = kOk;
  for (const auto& in : inputs) {
    FileControl control;
    control.outdir = outdir;
    if (overview_for) control.overview = overview_for(in);
    const FileOutcome r = command.run(in, control);
    if (!quiet && r.code == kOk)
      for (const auto& p : r.outputs) std::cout << p << "\n";
    if (r.code != kOk) report_error(r.reason);
    if (r.code != kOk && rc == kOk) rc = r.code;
  }
  return rc;
}

}  // namespace gradmap::cli
