// SPDX-License-Identifier: MIT
#include "cli_common.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstring>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) parts.push_back(trim(item));
  return parts;
}

double parse_number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw InvalidArgument(what + ": '" + text + "' is not a number");
  return v;
}

/// An axis named on the command line: x, y, z (last, second to last, third to last) or a numpy
/// index, negative allowed. Returns the normalized index.
int parse_axis(const std::string& text, int rank, const std::string& what) {
  const std::string t = lower(trim(text));
  int a = 0;  // set on every path that does not throw
  if (t == "x") a = -1;
  else if (t == "y") a = -2;
  else if (t == "z") a = -3;
  else {
    std::size_t used = 0;
    try {
      a = std::stoi(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != t.size())
      throw InvalidArgument(what + ": '" + text + "' is not an axis (use x, y, z or a numpy index such as 0 or -1)");
  }
  if (a < -rank || a >= rank)
    throw InvalidArgument(what + ": axis '" + text + "' does not exist in a " + std::to_string(rank) + "-D array");
  return a < 0 ? a + rank : a;
}

std::vector<double> read_coordinates(const std::string& path) {
  if (file_extension(path) == "npy") {
    const Array a = read_npy(path);
    if (a.rank() != 1)
      throw InvalidArgument(path + ": coordinates must be a 1-D array, this one has shape " + shape_string(a.shape()));
    const Array d = astype(a, DType::float64);
    const double* p = static_cast<const double*>(d.data());
    return std::vector<double>(p, p + d.size());
  }
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot read coordinates file");
  std::vector<double> x;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    x.push_back(parse_number(line, path + ":" + std::to_string(lineno)));
  }
  return x;
}

std::size_t parse_bytes(const std::string& text) {
  if (text.empty()) return 0;
  std::string t = lower(trim(text));
  double mult = 1;
  if (!t.empty() && std::string("kmgt").find(t.back()) != std::string::npos) {
    mult = std::pow(1024.0, 1 + static_cast<double>(std::string("kmgt").find(t.back())));
    t.pop_back();
  }
  const double v = parse_number(t, "--max-memory");
  if (!(v > 0)) throw InvalidArgument("--max-memory must be positive, got '" + text + "'");
  const double bytes = v * mult;
  // 2^63 bytes is beyond any machine; past it the conversion to size_t would be undefined.
  if (!(bytes < 9.2e18)) throw InvalidArgument("--max-memory '" + text + "' is beyond any machine's memory");
  return static_cast<std::size_t>(bytes);
}

}  // namespace

void report_error(const std::string& message) { std::cerr << "gradmap: error: " << message << "\n"; }

void report_warnings(const std::string& path, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return;
  std::cerr << "gradmap: warning: '" << path << "': " << warnings.front();
  if (warnings.size() > 1) std::cerr << " (and " << warnings.size() - 1 << " more)";
  std::cerr << "\n";
}

void add_compute_options(CLI::App* sub, ComputeOptions& o) {
  sub->add_option("--axis", o.axis,
                  "Axes to differentiate: numpy indices (negatives allowed: --axis=-1) or x, y, z; "
                  "comma-separated or repeated. Default: the spatial axes")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option("--spacing", o.spacing,
                  "Sample spacing: one value for all selected axes (--spacing 0.5), one per selected axis in "
                  "selection order (--spacing 2,0.7,0.7), or named (--spacing x=0.7,y=0.7,z=2; x = last axis). "
                  "Default: the file's spacing (1 for rasters and .npy)");
  sub->add_option("--coords", o.coords,
                  "AXIS=FILE: sample coordinates along AXIS (.npy or text, one number per line) for "
                  "non-uniform spacing; repeatable, mixes with --spacing")
      ->allow_extra_args(false);
  sub->add_option("--edge-order", o.edge_order, "Accuracy order of the one-sided differences at the borders")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  sub->add_option("--dtype", o.dtype,
                  "Output type: auto (numpy's: float64 for integer input, else the input's float type; "
                  "float32 when the outputs are PNG/JPEG display maps), float32 or float64")
      ->check(CLI::IsMember({"auto", "float32", "float64"}))
      ->capture_default_str();
  sub->add_option("--color", o.color,
                  "Color rasters: gray (luminance 0.299 R + 0.587 G + 0.114 B) or channels (one result per "
                  "channel, suffixed _r, _g, _b); alpha is ignored")
      ->check(CLI::IsMember({"gray", "channels"}))
      ->capture_default_str();
  sub->add_flag("--pixel-units", o.pixel_units, "Ignore the file's spacing: 1 per sample on every axis");
  sub->add_flag("--slices", o.slices, "2-D gradients of every slice of a 3-D stack (only the last two axes)");
  sub->add_flag("--physical-frame", o.physical_frame,
                "Volumes: rotate the gradient by the direction cosines so that components are along the world "
                "axes (ITK's UseImageDirection); default: along the index axes");
  sub->add_option("--world", o.world,
                  "World frame of --physical-frame: lps (ITK, DICOM: +x left, +y posterior) or ras (nibabel, FSL, "
                  "3D Slicer: +x right, +y anterior; x and y components negated)")
      ->check(CLI::IsMember({"lps", "ras"}))
      ->capture_default_str();
  sub->add_option("--format", o.format,
                  "Output format: npy, tiff (float32), nii, nii.gz, nrrd, mha (float), png, jpg (display maps). "
                  "Default: the input's family (raster → png, volume → same format, npy → npy)");
  sub->add_option("--png-compression", o.png_compression,
                  "Compression of PNG outputs, 0-9: 0 stores, 1-9 are deflate levels (libdeflate; smaller, slower). "
                  "Default: gradmap's fast coder (Huffman-coded bytes and runs: about the size of level 1, "
                  "several times faster on edge maps)")
      ->check(CLI::Range(0, 9));
  sub->add_option("--max-memory", o.max_memory,
                  "Refuse inputs whose pixels need more memory than this (e.g. 4G, 512M). Default: half of RAM");
}

ReadOptions make_read_options(const ComputeOptions& o) {
  ReadOptions r;
  r.color = o.color == "channels" ? ColorMode::channels : ColorMode::gray;
  r.max_memory = parse_bytes(o.max_memory);
  return r;
}

GradientOptions make_gradient_options(const Image& img, const ComputeOptions& o) {
  GradientOptions g;
  const int rank = img.pixels.rank();
  const int first_spatial = img.series_axes;
  std::vector<int> axes;
  if (!o.axis.empty()) {
    std::set<int> seen;
    for (const auto& a : o.axis) {
      int n = parse_axis(a, rank, "--axis");
      if (!seen.insert(n).second) throw InvalidArgument("--axis: axis '" + a + "' is given twice");
      axes.push_back(n);
    }
  } else {
    const int from = o.slices ? std::max(first_spatial, rank - 2) : first_spatial;
    for (int d = from; d < rank; ++d) axes.push_back(d);
  }
  if (o.slices && rank - first_spatial != 3)
    throw InvalidArgument("--slices needs a 3-D stack; this image has " + std::to_string(rank - first_spatial) +
                          " spatial axes");
  if (o.world != "lps" && !o.physical_frame)
    throw InvalidArgument("--world " + o.world + " chooses the frame of --physical-frame; add --physical-frame");
  g.axes = axes;
  g.edge_order = o.edge_order;
  if (o.dtype != "auto") g.dtype = dtype_from_name(o.dtype);
  // Display maps hold 8 or 16 bits: float64 would only cost time (libm-grade float64 atan2 and
  // hypot are several times slower than float32's) without changing a pixel.
  else if (writes_display_maps(o.format, img)) g.dtype = DType::float32;

  // Spacing per selected axis: the file's (physical units) unless --pixel-units.
  const auto& sp = img.geometry.spacing;
  std::vector<AxisSpacing> spacing;
  std::vector<bool> from_file;
  for (int a : axes) {
    const int s = a - first_spatial;
    const bool spatial = s >= 0 && static_cast<std::size_t>(s) < sp.size();
    spacing.push_back(AxisSpacing::uniform(spatial && !o.pixel_units ? sp[static_cast<std::size_t>(s)] : 1.0));
    from_file.push_back(spatial && !o.pixel_units);
  }
  auto index_of = [&](int axis, const std::string& what) {
    auto it = std::find(axes.begin(), axes.end(), axis);
    if (it == axes.end())
      throw InvalidArgument(what + ": axis " + std::to_string(axis) + " is not among the selected axes");
    return static_cast<std::size_t>(it - axes.begin());
  };
  if (!trim(o.spacing).empty()) {
    const auto parts = split(o.spacing, ',');
    if (o.spacing.find('=') != std::string::npos) {
      for (const auto& p : parts) {
        const auto eq = p.find('=');
        if (eq == std::string::npos) throw InvalidArgument("--spacing: mix of named and plain values in '" + o.spacing + "'");
        const std::size_t k = index_of(parse_axis(p.substr(0, eq), rank, "--spacing"), "--spacing");
        spacing[k] = AxisSpacing::uniform(parse_number(trim(p.substr(eq + 1)), "--spacing"));
        from_file[k] = false;
      }
    } else if (parts.size() == 1) {
      const double v = parse_number(parts[0], "--spacing");
      for (std::size_t k = 0; k < spacing.size(); ++k) spacing[k] = AxisSpacing::uniform(v), from_file[k] = false;
    } else if (parts.size() == axes.size()) {
      for (std::size_t k = 0; k < parts.size(); ++k)
        spacing[k] = AxisSpacing::uniform(parse_number(parts[k], "--spacing")), from_file[k] = false;
    } else {
      throw InvalidArgument("--spacing has " + std::to_string(parts.size()) + " values but " +
                            std::to_string(axes.size()) +
                            " axes are selected; give one value, one per selected axis, or name them (x=..,y=..)");
    }
  }
  for (const auto& c : o.coords) {
    const auto eq = c.find('=');
    if (eq == std::string::npos) throw InvalidArgument("--coords: expected AXIS=FILE, got '" + c + "'");
    const std::size_t k = index_of(parse_axis(c.substr(0, eq), rank, "--coords"), "--coords");
    const std::string file = c.substr(eq + 1);
    std::vector<double> x = read_coordinates(file);
    const index_t len = img.pixels.extent(axes[k]);
    if (static_cast<index_t>(x.size()) != len)
      throw InvalidArgument("--coords " + file + ": " + std::to_string(x.size()) + " coordinates, but axis " +
                            std::to_string(axes[k]) + " has " + std::to_string(len) + " samples");
    spacing[k] = AxisSpacing::coordinates(std::move(x));
    from_file[k] = false;
  }
  for (std::size_t k = 0; k < spacing.size(); ++k) {
    const double s = spacing[k].step;
    if (from_file[k] && !(std::isfinite(s) && s > 0))
      throw InvalidArgument("the file's spacing along " + component_name(axes[k], rank).substr(1) + " is " +
                            std::to_string(s) + "; give --spacing or --pixel-units");
  }
  g.spacing = std::move(spacing);
  return g;
}

std::vector<Array> compute_components(const Image& img, const GradientOptions& opts, const ComputeOptions& o) {
  std::vector<Array> comps = gradient(img.pixels, opts);
  if (!o.physical_frame) return comps;
  const int rank = img.pixels.rank(), n = static_cast<int>(img.geometry.spacing.size());
  std::vector<int> spatial;
  for (int d = rank - n; d < rank; ++d) spatial.push_back(d);
  if (*opts.axes != spatial)
    throw InvalidArgument("--physical-frame needs every spatial axis selected, in order (" + std::to_string(n) +
                          " axes); do not combine it with --axis or --slices");
  if (o.world == "lps") return to_physical_frame(comps, img.geometry.direction);
  if (img.geometry.frame != WorldFrame::lps)
    throw InvalidArgument("--world ras: this image has no world frame to convert (" + img.format + ")");
  // Direction rows are world axes in numpy order (..., y, x): LPS → RAS negates the last two.
  std::vector<double> ras = img.geometry.direction;
  for (int i = std::max(0, n - 2); i < n; ++i)
    for (int j = 0; j < n; ++j) ras[static_cast<std::size_t>(i * n + j)] = -ras[static_cast<std::size_t>(i * n + j)];
  return to_physical_frame(comps, ras);
}

std::string component_name(int axis, int rank) {
  const int from_end = rank - 1 - axis;
  if (from_end == 0) return "gx";
  if (from_end == 1) return "gy";
  if (from_end == 2) return "gz";
  return "d" + std::to_string(axis);
}

std::string stem_of(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.empty()) name = fs::path(path).parent_path().filename().string();  // "dir/"
  const std::string ext = file_extension(path);
  if (!ext.empty() && name.size() > ext.size() + 1 && lower(name).substr(name.size() - ext.size()) == ext)
    name = name.substr(0, name.size() - ext.size() - 1);
  return name;
}

std::string output_extension(const std::string& input, const std::string& format) {
  if (!format.empty()) {
    std::string f = lower(trim(format));
    if (!f.empty() && f[0] == '.') f = f.substr(1);
    static const std::set<std::string> known = {"npy", "tif", "tiff", "nii", "nii.gz", "nrrd", "nhdr", "mha",
                                                "mhd", "png", "jpg", "jpeg"};
    if (!known.count(f)) throw InvalidArgument("--format: unknown output format '" + format + "'");
    return f;
  }
  const std::string ext = file_extension(input);
  if (ext == "npy") return "npy";
  if (ext == "nii" || ext == "nii.gz" || ext == "nrrd" || ext == "mha") return ext;
  if (ext == "nhdr") return "nrrd";
  if (ext == "mhd") return "mha";
  if (ext == "dcm" || ext.empty()) return "nii.gz";
  return "png";
}

void refuse_overwriting_input(const std::string& out, const std::string& input) {
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(out, input, ec))
    throw IoError(out + ": refusing to overwrite the input file");
}

void add_display_options(CLI::App* sub, DisplayFlags& d) {
  sub->add_option("--normalize", d.normalize,
                  "Scaling of PNG/JPEG display maps: minmax, percentile:P (clip at the P-th percentile, e.g. "
                  "percentile:99.5), fixed:MAX, or none (values clipped to the output range)")
      ->capture_default_str();
  sub->add_option("--bit-depth", d.bit_depth, "Bits per sample of PNG display maps")
      ->check(CLI::IsMember({8, 16}))
      ->capture_default_str();
}

DisplayOptions make_display_options(const DisplayFlags& d) {
  DisplayOptions o;
  o.normalization = Normalization::parse(d.normalize);
  o.bit_depth = d.bit_depth;
  return o;
}

Array series_slice(const Array& a, index_t i) {
  Shape one(a.shape().begin() + 1, a.shape().end());
  const std::size_t bytes = static_cast<std::size_t>(shape_size(one)) * dtype_size(a.dtype());
  Array part(a.dtype(), one);
  std::memcpy(part.data(), static_cast<const unsigned char*>(a.data()) + static_cast<std::size_t>(i) * bytes, bytes);
  return part;
}

bool writes_display_maps(const std::string& format_flag, const Image& img) {
  if (!trim(format_flag).empty()) {
    std::string f = lower(trim(format_flag));
    if (!f.empty() && f[0] == '.') f = f.substr(1);
    return is_display_format(f);
  }
  static const std::set<std::string> rasters = {"png", "jpeg", "jpg", "tiff", "tif", "bmp", "webp", "pnm",
                                                "pgm", "ppm", "pbm"};
  return rasters.count(img.format) > 0;  // rasters default to PNG maps (output_extension)
}

bool is_display_format(const std::string& ext) { return ext == "png" || ext == "jpg" || ext == "jpeg"; }

std::vector<std::string> series_names(const Image& img) {
  std::vector<std::string> names;
  if (img.series_axes == 0) return names;
  const index_t n = img.pixels.extent(0);
  // The reader says what the axis holds; else three entries of a non-NIfTI file are taken as R, G, B.
  const SeriesKind kind = img.metadata.series_kind;
  const bool rgb = kind == SeriesKind::channels || (kind == SeriesKind::unspecified && img.format != "nifti" && n == 3);
  for (index_t i = 0; i < n; ++i) names.push_back(rgb ? std::string(1, "rgb"[i]) : "t" + std::to_string(i));
  return names;
}

std::vector<std::string> write_result(const Array& values, const Image& like, const std::string& input,
                                      const std::string& outdir, const std::string& stem,
                                      const std::string& suffix, const std::string& ext,
                                      const std::function<Array(const Array&, index_t)>& to_display,
                                      int png_compression) {
  std::vector<std::string> written;
  auto write_one = [&](const Array& a, int series_axes, index_t series_index, const std::string& name) {
    const std::string path = (fs::path(outdir) / (name + "." + ext)).string();
    refuse_overwriting_input(path, input);
    Image out;
    out.geometry = like.geometry;
    out.metadata = like.metadata;
    out.series_axes = series_axes;
    out.format = ext;
    out.pixels = is_display_format(ext) ? to_display(a, series_index) : a;
    out.rgb = is_display_format(ext) && out.pixels.rank() == a.rank() + 1;
    out.png_compression = png_compression;
    write_image(path, out);
    written.push_back(path);
  };
  if (!is_display_format(ext) || like.series_axes == 0) {
    write_one(values, like.series_axes, -1, stem + "_" + suffix);
    return written;
  }
  // One picture per series entry (channel or time point).
  const auto names = series_names(like);
  for (index_t i = 0; i < values.extent(0); ++i) {
    write_one(series_slice(values, i), 0, i, stem + "_" + names[static_cast<std::size_t>(i)] + "_" + suffix);
  }
  return written;
}

}  // namespace gradmap::cli
