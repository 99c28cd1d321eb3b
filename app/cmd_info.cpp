// SPDX-License-Identifier: MIT
// `gradmap info`: what gradmap sees in a file — format, shape in numpy and x/y/z order, pixel type,
// geometry and value range — as text or JSON.
#include <CLI/CLI.hpp>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gradmap/formats.hpp"
#include "gradmap/io.hpp"

namespace gradmap::cli {
namespace {

struct InfoOptions {
  std::vector<std::string> inputs;
  bool json = false;
  std::string max_memory;
  std::string spacing;  ///< --spacing, as the gradient commands take it
};

struct ValueRange {
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  index_t nan_count = 0;
};

/// Min and max over the non-NaN pixels (numpy's nanmin/nanmax), and how many were NaN.
ValueRange value_range(const Array& pixels) {
  Array a = pixels.dtype() == DType::float16 ? astype(pixels, DType::float32) : pixels;
  ValueRange r;
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, float16_t>) {
      const T* p = static_cast<const T*>(a.data());
      bool any = false;
      T lo{}, hi{};
      for (index_t i = 0, n = a.size(); i < n; ++i) {
        T v = p[i];
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(v)) {
            ++r.nan_count;
            continue;
          }
        }
        if (!any || v < lo) lo = v;
        if (!any || v > hi) hi = v;
        any = true;
      }
      if (any) {
        r.min = static_cast<double>(lo);
        r.max = static_cast<double>(hi);
      }
    }
  });
  return r;
}

bool is_raster_format(const std::string& format) {
  const FileFormat* f = format_named(format);
  return f && f->family == FormatFamily::raster;
}

/// Axis labels in numpy order: series axes "c" (color channels) or "t" (volumes of a series,
/// frames), then the spatial ones ending in "y", "x".
std::vector<std::string> axis_labels(const Image& img) {
  std::vector<std::string> labels;
  for (int k = 0; k < img.series_axes; ++k) {
    const bool channels =
        img.metadata.series_kind == SeriesKind::channels
            ? k == 0
            : img.metadata.series_kind == SeriesKind::unspecified && is_raster_format(img.format);
    labels.push_back(img.pages > 1 ? "p" : channels ? "c" : "t");
  }
  const int spatial = img.pixels.rank() - img.series_axes;
  const char* names[] = {"x", "y", "z"};
  for (int k = spatial - 1; k >= 0; --k) labels.push_back(k < 3 ? names[k] : "d" + std::to_string(k));
  return labels;
}

const char* source_name(SpacingSource s) {
  switch (s) {
    case SpacingSource::header:
      return "header";
    case SpacingSource::default_one:
      return "default 1";
    case SpacingSource::user:
      return "--spacing";
  }
  return "header";
}

/// Where each spatial spacing value came from; `header` when the reader did not say.
std::vector<std::string> spacing_sources(const Image& img) {
  std::vector<std::string> v;
  for (std::size_t k = 0; k < img.geometry.spacing.size(); ++k)
    v.push_back(k < img.geometry.spacing_source.size() ? source_name(img.geometry.spacing_source[k])
                                                       : "header");
  return v;
}

const char* frame_name(WorldFrame f) { return f == WorldFrame::lps ? "LPS" : "none"; }

/// What the series axes hold, in words.
std::string series_text(const Image& img) {
  switch (img.metadata.series_kind) {
    case SeriesKind::channels:
      return img.series_axes > 1 ? "color channels R, G, B, then frames (a time series of 2-D images)"
                                 : "color channels R, G, B";
    case SeriesKind::time: {
      std::string t = img.geometry.spacing.size() == 2 ? "frames: a time series of 2-D images"
                                                       : "time: a series of volumes";
      if (!img.metadata.series_spacing.empty()) {
        std::ostringstream s;
        s << std::setprecision(10) << img.metadata.series_spacing[0];
        t += ", " + s.str() +
             (img.metadata.series_unit.empty() ? " (unit not stated)" : " " + img.metadata.series_unit) +
             " apart";
      }
      return t;
    }
    case SeriesKind::unspecified:
      break;
  }
  return is_raster_format(img.format) ? "color channels R, G, B" : "volumes or components";
}

std::string num(double v) {
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

nlohmann::json to_json(const std::string& path, const Image& img, const ValueRange& r) {
  nlohmann::json j;
  j["file"] = path;
  j["format"] = img.format;
  j["shape"] = img.pixels.shape();
  Shape xyz(img.pixels.shape().rbegin(), img.pixels.shape().rend());
  j["shape_xyz"] = xyz;
  j["axes"] = axis_labels(img);
  j["dtype"] = dtype_name(img.pixels.dtype());
  j["series_axes"] = img.series_axes;
  j["pages"] = img.pages;
  j["orientation"] = img.orientation;
  j["warnings"] = img.warnings;
  j["unit"] = img.geometry.unit;
  j["spacing"] = img.geometry.spacing;
  j["origin"] = img.geometry.origin;
  const std::size_t n = img.geometry.spacing.size();
  nlohmann::json dir = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i)
    dir.push_back(
        std::vector<double>(img.geometry.direction.begin() + static_cast<std::ptrdiff_t>(i * n),
                            img.geometry.direction.begin() + static_cast<std::ptrdiff_t>((i + 1) * n)));
  j["direction"] = dir;
  j["spacing_source"] = spacing_sources(img);
  j["world_frame"] = frame_name(img.geometry.frame);
  if (img.series_axes) j["series"] = series_text(img);
  if (!img.metadata.series_spacing.empty()) {
    j["series_spacing"] = img.metadata.series_spacing;
    j["series_unit"] = img.metadata.series_unit;
  }
  if (img.metadata.plane.origin.size() == 3) j["plane_origin"] = img.metadata.plane.origin;
  if (img.metadata.qform_code >= 0) {
    j["qform_code"] = img.metadata.qform_code;
    j["sform_code"] = img.metadata.sform_code;
    j["xyzt_units"] = img.metadata.xyzt_units;
  }
  // JSON has no NaN: an all-NaN image has no range.
  j["min"] = std::isnan(r.min) ? nlohmann::json(nullptr) : nlohmann::json(r.min);
  j["max"] = std::isnan(r.max) ? nlohmann::json(nullptr) : nlohmann::json(r.max);
  j["nan_count"] = r.nan_count;
  return j;
}

void print_text(const std::string& path, const Image& img, const ValueRange& r) {
  const auto labels = axis_labels(img);
  const Shape& shape = img.pixels.shape();
  std::ostringstream numpy_order, names, xyz;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    numpy_order << (k ? ", " : "") << shape[k];
    names << (k ? ", " : "") << labels[k];
  }
  for (std::size_t k = shape.size(); k-- > 0;) xyz << shape[k] << (k ? " × " : "");
  std::ostringstream xyz_names;
  for (std::size_t k = labels.size(); k-- > 0;) xyz_names << labels[k] << (k ? " × " : "");
  const std::size_t n = img.geometry.spacing.size();
  const std::size_t first_spatial = labels.size() - n;
  auto per_axis = [&](const std::vector<double>& v) {
    std::ostringstream s;
    for (std::size_t k = 0; k < n; ++k) s << (k ? ", " : "") << labels[first_spatial + k] << " " << num(v[k]);
    return s.str();
  };
  std::cout << path << "\n";
  std::cout << "  format:     " << img.format << "\n";
  std::cout << "  shape:      (" << numpy_order.str() << ")  numpy order (" << names.str() << ")\n";
  std::cout << "              " << xyz.str() << "  (" << xyz_names.str() << ")\n";
  std::cout << "  pixel type: " << dtype_name(img.pixels.dtype()) << "\n";
  if (img.series_axes)
    std::cout << "  series:     " << img.series_axes
              << (img.series_axes > 1 ? " leading non-spatial axes" : " leading non-spatial axis") << " ("
              << (img.pages > 1 ? std::string("pages: 2-D gradients per page") : series_text(img)) << ")\n";
  if (img.pages > 1) std::cout << "  pages:      " << img.pages << "\n";
  if (img.orientation != 1)
    std::cout << "  orientation: " << img.orientation
              << " (EXIF), applied: the pixels as viewers show them\n";
  std::cout << "  spacing:    " << per_axis(img.geometry.spacing) << "  (" << img.geometry.unit << ")\n";
  {
    const auto src = spacing_sources(img);
    std::cout << "  spacing from: ";
    for (std::size_t k = 0; k < n; ++k)
      std::cout << (k ? ", " : "") << labels[first_spatial + k] << " " << src[k];
    std::cout << "\n";
  }
  if (img.geometry.frame == WorldFrame::lps)
    std::cout
        << "  world frame: LPS (ITK, DICOM: +x left, +y posterior, +z superior; nibabel, FSL and Slicer use "
           "RAS: x and y negated)\n";
  std::cout << "  origin:     " << per_axis(img.geometry.origin) << "\n";
  if (img.metadata.plane.origin.size() == 3)
    std::cout << "  plane:      a 2-D slice at z " << num(img.metadata.plane.origin[0]) << ", y "
              << num(img.metadata.plane.origin[1]) << ", x " << num(img.metadata.plane.origin[2])
              << " (its 3-D position, kept in volume outputs)\n";
  std::cout << "  direction:  ";
  for (std::size_t i = 0; i < n; ++i) {
    std::cout << (i ? "              " : "") << "[";
    for (std::size_t j = 0; j < n; ++j)
      std::cout << (j ? ", " : "") << std::setw(10) << num(img.geometry.direction[i * n + j]);
    std::cout << "]\n";
  }
  if (n == 0) std::cout << "\n";
  std::cout << "  range:      ";
  if (std::isnan(r.min))
    std::cout << "none (every value is NaN)";
  else
    std::cout << num(r.min) << " .. " << num(r.max);
  if (r.nan_count) std::cout << " (" << r.nan_count << " NaN values)";
  std::cout << "\n";
}

ExitCode run_info(const InfoOptions& o) {
  ComputeOptions compute;
  // Channels, so that a color file shows its own pixel type rather than the float32 luminance.
  compute.color = ColorMode::channels;
  compute.max_memory_text = o.max_memory;
  compute.spacing_text = o.spacing;
  compute.finish();  // UsageError (exit 2) for a bad --max-memory or --spacing
  const ReadOptions read = make_read_options(compute);

  ExitCode rc = ExitCode::ok;
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& path : o.inputs) {
    // Inside a catch block: report the exception in flight as failing `stage` of this file.
    auto fail = [&](Stage stage) {
      const Failure f = current_failure(stage);
      report_error(f.message);
      if (rc == ExitCode::ok) rc = f.code;
      if (o.json) all.push_back({{"file", path}, {"error", f.message}});
    };
    Image img;
    try {
      img = read_image(path, read);
    } catch (...) {
      fail(Stage::read);
      continue;
    }
    try {
      apply_user_spacing(img, compute);
    } catch (...) {
      fail(Stage::compute);
      continue;
    }
    ValueRange range = value_range(img.pixels);
    if (!img.warnings.empty() && !o.json) report_warning(warning_line(path, img.warnings));
    if (o.json) {
      all.push_back(to_json(path, img, range));
    } else {
      print_text(path, img, range);
    }
  }
  if (o.json) std::cout << all.dump(2) << "\n";
  return rc;
}

}  // namespace

Runner setup_info(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* sub = app.add_subcommand("info", "Format, shape, pixel type, geometry and value range of files");
  sub->add_option("inputs", o->inputs, "Images, volumes, DICOM directories or .npy arrays")->required();
  sub->add_flag(
      "--json", o->json,
      "Print a JSON array with one object per file (keys: file, format, shape, shape_xyz, axes, dtype, "
      "series_axes, pages, orientation, unit, spacing, origin, direction, spacing_source, world_frame, "
      "warnings, "
      "min, max, nan_count; series, series_spacing, series_unit, plane_origin, qform_code, sform_code, "
      "xyzt_units where the file has them; or file and error)");
  sub->add_option(
      "--max-memory", o->max_memory,
      "Refuse inputs whose pixels need more memory than this (e.g. 4G, 512M). Default: half of RAM");
  sub->add_option("--spacing", o->spacing,
                  "Show the spacing the gradient commands would use with this --spacing (same syntax); "
                  "its source reads --spacing");
  sub->footer(
      "Shapes, spacing, origin and direction are in numpy axis order (z, y, x); direction row i, column j is "
      "the "
      "world-axis-i component of index axis j. Color rasters are shown with their channels (c).\n"
      "Examples:\n"
      "  gradmap info sample_images/head_phantom.nii.gz\n"
      "  gradmap info --json sample_images/*.png");
  return [o] { return run_info(*o); };
}

}  // namespace gradmap::cli
