// SPDX-License-Identifier: MIT
// `gradmap gradient`: numpy.gradient of every input, one file per selected axis.
#include <CLI/CLI.hpp>
#include <algorithm>

#include "commands.hpp"

namespace gradmap::cli {
namespace {

std::size_t result_element_bytes(const Image& img, OutputDType dtype) {
  if (dtype == OutputDType::float32) return 4;
  if (dtype == OutputDType::float64) return 8;
  const DType t = img.pixels.dtype();
  return t == DType::float32 ? 4 : t == DType::float16 ? 2 : 8;
}

class GradientComputation final : public Computation {
 public:
  explicit GradientComputation(GradientSettings s) : s_(std::move(s)) {}
  const ComputeOptions& compute_options() const override { return s_.compute; }

  std::vector<ProductId> products(const Image& img, bool) const override {
    const GradientOptions opts = make_gradient_options(img, s_.compute);
    std::vector<ProductId> p;
    for (int a : *opts.axes) p.push_back({Product::component, a});
    return p;
  }

  Results compute(const Image& img, const std::string&, bool) const override {
    const GradientOptions opts = make_gradient_options(img, s_.compute);
    std::vector<Array> comps = compute_components(img, opts, s_.compute);
    Results r;
    for (std::size_t k = 0; k < comps.size(); ++k)
      r.arrays.emplace_back(ProductId{Product::component, (*opts.axes)[k]}, std::move(comps[k]));
    return r;
  }

  std::optional<DType> rows_dtype(const Image& img, const std::vector<ProductId>&) const override {
    if (s_.compute.physical_frame) return std::nullopt;  // components mixed across axes: whole arrays
    return gradient_dtype(img.pixels.dtype(), make_gradient_options(img, s_.compute));
  }

  void compute_rows(const Image& img, const std::vector<ProductId>& products, index_t r0, index_t r1,
                    std::vector<Array>& blocks) const override {
    const GradientOptions opts = make_gradient_options(img, s_.compute);
    const std::vector<int>& axes = *opts.axes;
    visit_rows_types(img.pixels.dtype(), blocks.front().dtype(), [&](auto in_tag, auto out_tag) {
      using T = decltype(in_tag);
      using Out = decltype(out_tag);
      // One view per selected axis, in the order of `axes`, each on its product's block.
      std::vector<ArrayView<Out>> views(axes.size());
      for (std::size_t k = 0; k < products.size(); ++k) {
        const auto at = std::find(axes.begin(), axes.end(), products[k].axis);
        views[static_cast<std::size_t>(at - axes.begin())] = blocks[k].view<Out>();
      }
      gradient_rows_into<T, Out>(img.pixels.view<T>(), r0, r1, views, opts);
    });
  }

  Array display(const PlannedFile& file, const Array& values, const Results&, const Image& img,
                std::vector<std::pair<std::string, std::string>>& text) const override {
    DisplayScale scale;
    Array levels = display_map(values, s_.display.options, /*signed_data=*/true, &scale);
    text =
        display_text(scale, product_name(file.product, img.pixels.rank()), "intensity/" + img.geometry.unit);
    return levels;
  }

  std::size_t working_set(const Image& img) const override {
    const auto n = static_cast<std::size_t>(img.pixels.size());
    const auto axes = static_cast<std::size_t>(std::max(1, img.spatial_rank()));
    return img.pixels.nbytes() + n * result_element_bytes(img, s_.compute.dtype) * axes +
           n * static_cast<std::size_t>(s_.display.bit_depth / 8) * 3;
  }

 private:
  GradientSettings s_;
};

struct GradientCommand {
  std::vector<std::string> inputs;
  std::string outdir;
  GradientSettings settings;
  bool quiet = false;
};

}  // namespace

std::unique_ptr<Computation> make_gradient_computation(const GradientSettings& s) {
  return std::make_unique<GradientComputation>(s);
}

Runner setup_gradient(CLI::App& app) {
  auto c = std::make_shared<GradientCommand>();
  CLI::App* sub = app.add_subcommand("gradient", "Gradient components, exactly numpy.gradient's");
  sub->add_option("inputs", c->inputs, "Input images, volumes or .npy arrays")->required();
  sub->add_option("-o,--output", c->outdir, "Output directory (created if missing)")->required();
  add_compute_options(sub, c->settings.compute);
  add_display_options(sub, c->settings.display);
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
    c->settings.finish();
    return run_inputs(*make_gradient_computation(c->settings), c->inputs, c->outdir, c->quiet);
  };
}

}  // namespace gradmap::cli
