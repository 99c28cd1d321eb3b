// SPDX-License-Identifier: MIT
// `gradmap edges`: gradient magnitude and direction maps, gradmap's main job.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "gradmap/operators.hpp"
#include "gradmap/overview.hpp"

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;

constexpr double kPi = 3.141592653589793238462643383279502884;

std::string boundary_text_of(const GradientOptions& g) {
  const Boundary b = effective_boundary(g);
  return b == Boundary::constant ? "constant:" + std::to_string(g.cval) : std::string(boundary_name(b));
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

class EdgesComputation final : public Computation {
 public:
  explicit EdgesComputation(EdgesSettings s) : s_(std::move(s)) {}
  const ComputeOptions& compute_options() const override { return s_.compute; }

  std::vector<ProductId> products(const Image& img, bool overview) const override {
    const EdgeOptions opts = options(img);
    const auto& axes = *opts.gradient.axes;
    std::vector<ProductId> p{{Product::magnitude}};
    if (opts.direction && axes.size() == 2) p.push_back({Product::direction});
    if (opts.direction && axes.size() == 3) p.insert(p.end(), {{Product::azimuth}, {Product::elevation}});
    if (opts.components)
      for (int a : axes) p.push_back({Product::component, a});
    if (opts.normals)
      for (int a : axes) p.push_back({Product::normal, a});
    if (overview) p.push_back({Product::overview});
    return p;
  }

  Results compute(const Image& img, const std::string& input, bool overview) const override {
    const EdgeOptions opts = options(img);
    // Shared with the overview's closure: the overview needs every map.
    auto maps = std::make_shared<EdgeMaps>();
    if (s_.compute.physical_frame) {
      // World-frame components first, then the maps from them (the fused path knows only index axes).
      std::vector<Array> world = compute_components(img, opts.gradient, s_.compute);
      *maps = edges_from_components(world, *opts.gradient.axes, opts);
      if (opts.components) maps->components = std::move(world);
    } else {
      *maps = edges(img.pixels, opts);
    }
    const auto& axes = *opts.gradient.axes;
    const bool three_d = !maps->elevation.empty();
    Results r;
    auto put = [&](ProductId id, const Array& a) {
      if (!a.empty()) r.arrays.emplace_back(id, a);
    };
    put({Product::magnitude}, maps->magnitude);
    put({three_d ? Product::azimuth : Product::direction}, maps->direction);
    put({Product::elevation}, maps->elevation);
    for (std::size_t k = 0; k < maps->components.size(); ++k)
      put({Product::component, axes[k]}, maps->components[k]);
    for (std::size_t k = 0; k < maps->normals.size(); ++k) put({Product::normal, axes[k]}, maps->normals[k]);
    if (overview) {
      OverviewInfo info;
      info.title = fs::path(input).filename().string();
      info.spacing = spacing_text(opts.gradient, img);
      info.units = "intensity/" + img.geometry.unit;
      if (opts.gradient.op != Operator::central || opts.gradient.boundary)
        info.derivative = s_.compute.operator_text + ", boundary " + boundary_text_of(opts.gradient);
      info.angle = opts.angle;
      info.display = s_.display.options;
      // HSV shows flat regions black, which a gray azimuth of noise cannot; --dir-style gray asks for gray.
      info.direction_style = s_.dir_style == DirStyle::gray ? DirectionStyle::gray : DirectionStyle::hsv;
      // The overview shows the first entry of a series (a color channel, a time point): say which.
      const auto series = series_names(img);
      if (!series.empty())
        info.channel = (series.front().size() == 1 ? "channel " : "frame ") + series.front();
      // The image is copied into the closure: results outlive the caller's reference in batch.
      r.write_overview = [img, maps, info](const std::string& path) {
#ifdef GRADMAP_HAVE_OPENCV
        write_overview(path, img, *maps, info);
#else
        (void)img, (void)info;
        throw IoError("'" + path +
                      "': overview pictures need gradmap built with OpenCV (GRADMAP_WITH_OPENCV=ON)");
#endif
      };
    }
    return r;
  }

  std::optional<DType> rows_dtype(const Image& img, const std::vector<ProductId>& products) const override {
    // The world frame and the components are whole-array steps (compute()).
    if (s_.compute.physical_frame || s_.components) return std::nullopt;
    for (const ProductId& p : products)
      if (p.kind == Product::component || p.kind == Product::overview) return std::nullopt;
    return gradient_dtype(img.pixels.dtype(), options(img).gradient);
  }

  void compute_rows(const Image& img, const std::vector<ProductId>& products, index_t r0, index_t r1,
                    std::vector<Array>& blocks) const override {
    const EdgeOptions opts = options(img);
    const std::vector<int>& axes = *opts.gradient.axes;
    visit_rows_types(img.pixels.dtype(), blocks.front().dtype(), [&](auto in_tag, auto out_tag) {
      using T = decltype(in_tag);
      using Out = decltype(out_tag);
      EdgeViews<Out> views;
      if (opts.normals) views.normals.resize(axes.size());
      for (std::size_t k = 0; k < products.size(); ++k) {
        const ArrayView<Out> v = blocks[k].view<Out>();
        switch (products[k].kind) {
          case Product::magnitude:
            views.magnitude = v;
            break;
          case Product::direction:
          case Product::azimuth:
            views.direction = v;
            break;
          case Product::elevation:
            views.elevation = v;
            break;
          case Product::normal:
            views.normals[static_cast<std::size_t>(std::find(axes.begin(), axes.end(), products[k].axis) -
                                                   axes.begin())] = v;
            break;
          default:
            throw std::logic_error("edges: no rows for this product");
        }
      }
      edges_rows_into<T, Out>(img.pixels.view<T>(), r0, r1, views, opts);
    });
  }

  Array display(const PlannedFile& file, const Array& values, const Results& all, const Image& img,
                std::vector<std::pair<std::string, std::string>>& text) const override {
    const DisplayOptions& d = s_.display.options;
    const auto [lo, hi] = angle_interval(s_.angle);
    const std::string angle_units = s_.angle.units == AngleUnits::degrees ? "deg" : "rad";
    const std::string value_units = "intensity/" + img.geometry.unit;
    const std::string name = product_name(file.product, img.pixels.rank());
    DisplayScale scale;
    Array levels;
    switch (file.product.kind) {
      case Product::magnitude:
        levels = display_map(values, d, false, &scale);
        all.magnitude_scales.emplace_back(file.series_index, scale);
        text = display_text(scale, "magnitude", value_units);
        return levels;
      case Product::direction:
        if (s_.dir_style == DirStyle::hsv) {
          const Array& whole = all.at({Product::magnitude});
          const Array mag =
              file.series_index < 0 ? whole : series_slice(whole, file.series_index, img.series_axes);
          const auto drawn = std::find_if(all.magnitude_scales.begin(), all.magnitude_scales.end(),
                                          [&](const auto& e) { return e.first == file.series_index; });
          if (drawn != all.magnitude_scales.end()) {  // the same levels as the magnitude map's own
            levels = direction_hsv(values, mag, drawn->second, hi - lo);
            scale = drawn->second;
            scale.hue_period = hi - lo;
          } else {
            levels = direction_hsv(values, mag, d, hi - lo, &scale);
          }
        } else {
          levels = direction_gray(values, lo, hi, d.bit_depth, &scale);
        }
        text = display_text(scale, "direction", angle_units);
        return levels;
      case Product::azimuth:
        levels = direction_gray(values, lo, hi, d.bit_depth, &scale);
        text = display_text(scale, "azimuth", angle_units);
        return levels;
      case Product::elevation: {
        const double half_turn = s_.angle.units == AngleUnits::degrees ? 90.0 : kPi / 2;
        levels = direction_gray(values, -half_turn, half_turn, d.bit_depth, &scale);
        text = display_text(scale, "elevation", angle_units);
        return levels;
      }
      case Product::component:
      case Product::normal:
        levels = display_map(values, d, /*signed_data=*/true, &scale);
        text = display_text(scale, name, file.product.kind == Product::normal ? "1" : value_units);
        return levels;
      case Product::overview:
        break;
    }
    throw std::logic_error("the overview has no display map");
  }

  std::size_t working_set(const Image& img) const override {
    const auto n = static_cast<std::size_t>(img.pixels.size());
    const auto axes = static_cast<std::size_t>(std::max(1, img.spatial_rank()));
    const std::size_t maps = 3 + (s_.components ? axes : 0) + (s_.normals ? axes : 0);
    const std::size_t elem = s_.compute.dtype == OutputDType::float64 ? 8 : 4;
    return img.pixels.nbytes() + n * elem * maps + n * static_cast<std::size_t>(s_.display.bit_depth / 8) * 3;
  }

 private:
  EdgeOptions options(const Image& img) const {
    EdgeOptions opts;
    opts.gradient = make_gradient_options(img, s_.compute);
    opts.angle = s_.angle;
    opts.components = s_.components;
    opts.normals = s_.normals;
    const std::size_t n = opts.gradient.axes->size();
    opts.direction = !s_.normals && (n == 2 || n == 3);
    return opts;
  }

  EdgesSettings s_;
};

struct EdgesCommand {
  std::vector<std::string> inputs;
  std::string outdir;
  EdgesSettings settings;
  std::string overview;
  bool quiet = false;
};

}  // namespace

std::unique_ptr<Computation> make_edges_computation(const EdgesSettings& s) {
  return std::make_unique<EdgesComputation>(s);
}

Runner setup_edges(CLI::App& app) {
  auto c = std::make_shared<EdgesCommand>();
  CLI::App* sub = app.add_subcommand("edges", "Gradient magnitude and direction maps (edge maps)");
  sub->add_option("inputs", c->inputs, "Input images, volumes or .npy arrays")->required();
  sub->add_option("-o,--output", c->outdir, "Output directory (created if missing)")->required();
  add_compute_options(sub, c->settings.compute);
  add_display_options(sub, c->settings.display);
  add_edge_options(sub, c->settings);
  sub->add_option("--overview", c->overview,
                  "Also write one PNG with input, magnitude and direction side by side, with legends "
                  "(several inputs: <outdir>/<stem>_overview.png)");
  sub->add_flag("-q,--quiet", c->quiet, "Do not list the files written");
  sub->footer(
      "Outputs: <stem>_mag, and <stem>_dir (2-D) or <stem>_azimuth + <stem>_elevation (3-D).\n"
      "Conventions: arrays are (rows, cols) / (z, y, x); y grows downward (image convention) unless --y-up;\n"
      "direction = atan2(gy, gx) in radians: right = 0, down = +pi/2.\n"
      "Examples:\n"
      "  gradmap edges photo.png -o out                      # PNG maps\n"
      "  gradmap edges photo.png -o out --format tiff        # float32 values: np.hypot / np.arctan2\n"
      "  gradmap edges ct.nii.gz -o out --overview ct.png    # NIfTI maps in mm units + a picture");
  return [c] {
    c->settings.finish();
    if (!c->overview.empty() && lower_extension(c->overview) != "png")
      throw UsageError("--overview: the overview is a PNG picture; give a path ending in .png, got '" +
                       c->overview + "'");
    return run_inputs(*make_edges_computation(c->settings), c->inputs, c->outdir, c->quiet, c->overview);
  };
}

}  // namespace gradmap::cli
