// SPDX-License-Identifier: MIT
// The command line's --spacing, --axis, --coords, --edge-order, --dtype and --max-memory parsing
// (app/options.cpp, compiled in) on arbitrary strings, then the library's own validation and a
// gradient of a tiny image with the result: any outcome but success or gradmap::Error is a finding.
//
// Input layout: 4 control bytes (image rank, extents, series axes, file spacing, flags), then
// newline-separated fields: spacing, axis list (comma-separated), max-memory, then any number of
// AXIS=CONTENT coords entries whose CONTENT (';' for newlines) is written to a scratch file first,
// so the parser never opens a path chosen by the fuzzer (it could block on /dev/stdin).
#include <cmath>
#include <limits>
#include <sstream>

#include "fuzz_util.hpp"
#include "gradmap/gradient.hpp"
#include "options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const int rank = 1 + data[0] % 4;
  gradmap::Shape shape;
  for (int d = 0; d < rank; ++d) shape.push_back(1 + (data[1] >> (2 * d)) % 4);
  gradmap::Image img;
  img.pixels = gradmap::Array(gradmap::DType::float32, shape);
  img.series_axes = rank > 1 ? data[2] % 2 : 0;
  img.geometry = gradmap::default_geometry(rank - img.series_axes, "mm");
  static const double file_steps[] = {1.0,
                                      0.5,
                                      2.5,
                                      0.0,
                                      -1.0,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      1e-300};
  for (std::size_t k = 0; k < img.geometry.spacing.size(); ++k)
    img.geometry.spacing[k] = file_steps[(data[2] >> (k + 1)) % 8];

  gradmap::cli::ComputeOptions o;
  o.pixel_units = data[3] & 1;
  o.slices = data[3] & 2;
  o.edge_order = 1 + ((data[3] >> 2) & 1);
  o.dtype = (data[3] & 8) ? gradmap::cli::OutputDType::float32 : gradmap::cli::OutputDType::automatic;

  std::vector<std::string> fields;
  std::string text(reinterpret_cast<const char*>(data + 4), size - 4);
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) fields.push_back(line);
  if (fields.size() > 0) o.spacing_text = fields[0];
  if (fields.size() > 1) {
    std::stringstream axes(fields[1]);
    for (std::string a; std::getline(axes, a, ',');) o.axis.push_back(a);
  }
  if (fields.size() > 2) o.max_memory_text = fields[2];
  for (std::size_t i = 3; i < fields.size() && i < 7; ++i) {
    const std::string& c = fields[i];
    const auto eq = c.find('=');
    if (eq == std::string::npos) {
      o.coords_text.push_back(c);  // malformed on purpose: no '='
      continue;
    }
    std::string content = c.substr(eq + 1);
    for (char& ch : content)
      if (ch == ';') ch = '\n';
    const bool npy = content.rfind("\x93NUMPY", 0) == 0;
    const std::string file =
        gradmap_fuzz::write_input(reinterpret_cast<const std::uint8_t*>(content.data()), content.size(),
                                  "coords" + std::to_string(i) + (npy ? ".npy" : ".txt"));
    o.coords_text.push_back(c.substr(0, eq) + "=" + file);
  }

  gradmap_fuzz::expect_clean([&] {
    o.finish();
    (void)gradmap::cli::make_read_options(o);
    const gradmap::GradientOptions g = gradmap::cli::make_gradient_options(img, o);
    const gradmap::ResolvedAxes r = gradmap::resolve_axes(img.pixels.shape(), g);
    if (g.axes && r.axes.size() != g.axes->size()) std::abort();
    const auto out = gradmap::gradient(img.pixels, g);
    if (out.size() != r.axes.size()) std::abort();
    for (const auto& a : out)
      if (a.shape() != img.pixels.shape()) std::abort();
  });
  return 0;
}
