// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "exit_codes.hpp"
#include "gradmap/operators.hpp"
#include "outputs.hpp"

namespace gradmap::cli {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
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

/// A number typed on the command line (UsageError) or found in a file (InvalidArgument).
template <class Err = UsageError>
double parse_number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw Err(what + ": '" + text + "' is not a number");
  return v;
}

/// The signed index an axis name stands for: x, y, z are -1, -2, -3; numbers are themselves.
/// Throws UsageError for anything else: that is wrong whatever the image.
int axis_number(const std::string& text, const std::string& what) {
  const std::string t = lower(trim(text));
  if (t == "x") return -1;
  if (t == "y") return -2;
  if (t == "z") return -3;
  std::size_t used = 0;
  int a = 0;
  try {
    a = std::stoi(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != t.size())
    throw UsageError(what + ": '" + text + "' is not an axis (use x, y, z or a numpy index such as 0 or -1)");
  return a;
}

/// An axis against an image of `rank` axes; an axis beyond it is this image's problem (exit 4).
int resolve_axis(const std::string& text, int rank, const std::string& what) {
  const int a = axis_number(text, what);
  if (a < -rank || a >= rank)
    throw InvalidArgument(what + ": axis '" + text + "' does not exist in a " + std::to_string(rank) +
                          "-D array");
  return a < 0 ? a + rank : a;
}

std::size_t parse_bytes(const std::string& text) {
  if (trim(text).empty()) return 0;
  std::string t = lower(trim(text));
  double mult = 1;
  if (!t.empty() && std::string("kmgt").find(t.back()) != std::string::npos) {
    mult = std::pow(1024.0, 1 + static_cast<double>(std::string("kmgt").find(t.back())));
    t.pop_back();
  }
  const double v = parse_number(t, "--max-memory");
  if (!(v > 0)) throw UsageError("--max-memory must be positive, got '" + text + "'");
  const double bytes = v * mult;
  // 2^63 bytes is beyond any machine; past it the conversion to size_t would be undefined.
  if (!(bytes < 9.2e18)) throw UsageError("--max-memory '" + text + "' is beyond any machine's memory");
  return static_cast<std::size_t>(bytes);
}

SpacingFlag parse_spacing(const std::string& text) {
  SpacingFlag s;
  if (trim(text).empty()) return s;
  const auto parts = split(text, ',');
  if (text.find('=') != std::string::npos) {
    s.kind = SpacingFlag::Kind::named;
    for (const auto& p : parts) {
      const auto eq = p.find('=');
      if (eq == std::string::npos)
        throw UsageError("--spacing: mix of named and plain values in '" + text + "'");
      const std::string axis = trim(p.substr(0, eq));
      axis_number(axis, "--spacing");
      if (std::find(s.axes.begin(), s.axes.end(), axis) != s.axes.end())
        throw UsageError("--spacing: axis '" + axis + "' is given twice");
      s.axes.push_back(axis);
      s.values.push_back(parse_number(trim(p.substr(eq + 1)), "--spacing"));
    }
    return s;
  }
  s.kind = parts.size() == 1 ? SpacingFlag::Kind::all : SpacingFlag::Kind::per_axis;
  for (const auto& p : parts) s.values.push_back(parse_number(p, "--spacing"));
  return s;
}

/// Enum flags: each value's name once, for CLI11's checked transform and for the help text.
template <class E>
CLI::CheckedTransformer choice(const std::map<std::string, E>& names) {
  return CLI::CheckedTransformer(names, CLI::ignore_case);
}

}  // namespace

AxisSpacing read_coordinates(const std::string& path) {
  if (lower_extension(path) == "npy") {
    const Array a = read_npy(path);  // IoError naming the file when it cannot be read
    if (a.rank() != 1)
      throw UsageError("--coords " + path + ": coordinates must be a 1-D array, this one has shape " +
                       shape_string(a.shape()));
    try {
      return AxisSpacing::coordinates(a);
    } catch (const Error& e) {
      throw UsageError("--coords " + path + ": " + e.what());
    }
  }
  std::ifstream in(path);
  if (!in) throw IoError("'" + path + "': cannot read the coordinates file (--coords)");
  std::vector<double> x;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    x.push_back(parse_number(line, "--coords " + path + ":" + std::to_string(lineno)));
  }
  return AxisSpacing::coordinates(std::move(x));
}

void ComputeOptions::finish() {
  std::set<int> seen;
  for (const auto& a : axis)
    if (!seen.insert(axis_number(a, "--axis")).second)
      throw UsageError("--axis: axis '" + a + "' is given twice");
  spacing = parse_spacing(spacing_text);
  coords.clear();
  for (const auto& c : coords_text) {
    const auto eq = c.find('=');
    if (eq == std::string::npos) throw UsageError("--coords: expected AXIS=FILE, got '" + c + "'");
    CoordsFlag f;
    f.axis = trim(c.substr(0, eq));
    f.file = c.substr(eq + 1);
    axis_number(f.axis, "--coords");
    f.values = read_coordinates(f.file);
    coords.push_back(std::move(f));
  }
  format = nullptr;
  if (!trim(format_text).empty()) {
    format = format_named(trim(format_text));
    if (!format || !format->writable)
      throw UsageError(
          "--format: gradmap cannot write '" + format_text + "'; it writes " +
          extension_list({FormatBackend::core, FormatBackend::opencv, FormatBackend::itk}, true));
  }
  max_memory = parse_bytes(max_memory_text);
  derivative = GradientOptions{};
  try {
    parse_operator(trim(operator_text), derivative);
  } catch (const InvalidArgument& e) {
    throw UsageError(std::string("--operator: ") + e.what());
  }
  try {
    if (!trim(boundary_text).empty()) parse_boundary(trim(boundary_text), derivative);
  } catch (const InvalidArgument& e) {
    throw UsageError(std::string("--boundary: ") + e.what());
  }
  derivative.truncate = truncate;
  derivative.raw_kernel = raw_kernel;
  // What needs no file (numpy boundary with sobel, raw kernel with gaussian, ...) fails before any
  // file is read.
  try {
    GradientOptions probe = derivative;
    probe.edge_order = edge_order;
    check_operator(probe);
  } catch (const InvalidArgument& e) {
    throw UsageError(std::string("--operator/--boundary: ") + e.what());
  }
}

void DisplayFlags::finish() {
  try {
    options.normalization = Normalization::parse(normalize_text);
  } catch (const InvalidArgument& e) {
    throw UsageError(std::string("--normalize: ") + e.what());
  }
  options.bit_depth = bit_depth;
}

void add_compute_options(CLI::App* sub, ComputeOptions& o) {
  sub->add_option("--axis", o.axis,
                  "Axes to differentiate: numpy indices (negatives allowed: --axis=-1) or x, y, z; "
                  "comma-separated or repeated. Default: the spatial axes")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option(
      "--spacing", o.spacing_text,
      "Sample spacing: one value for all selected axes (--spacing 0.5), one per selected axis in "
      "selection order (--spacing 2,0.7,0.7), or named (--spacing x=0.7,y=0.7,z=2; x = last axis). "
      "Default: the file's spacing (1 for rasters and .npy)");
  sub->add_option("--coords", o.coords_text,
                  "AXIS=FILE: sample coordinates along AXIS (.npy or text, one number per line) for "
                  "non-uniform spacing; repeatable, mixes with --spacing")
      ->allow_extra_args(false);
  sub->add_option("--edge-order", o.edge_order, "Accuracy order of the one-sided differences at the borders")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  sub->add_option("--dtype", o.dtype,
                  "Output type: auto (numpy's: float64 for integer input, else the input's float type; "
                  "float32 when the outputs are PNG/JPEG display maps), float32 or float64")
      ->transform(choice<OutputDType>({{"auto", OutputDType::automatic},
                                       {"float32", OutputDType::float32},
                                       {"float64", OutputDType::float64}}))
      ->default_str("auto");
  sub->add_option("--color", o.color,
                  "Color rasters: gray (luminance 0.299 R + 0.587 G + 0.114 B) or channels (one result per "
                  "channel, suffixed _r, _g, _b); alpha is ignored")
      ->transform(choice<ColorMode>({{"gray", ColorMode::gray}, {"channels", ColorMode::channels}}))
      ->default_str("gray");
  sub->add_flag("--pixel-units", o.pixel_units, "Ignore the file's spacing: 1 per sample on every axis");
  sub->add_flag("--slices", o.slices, "2-D gradients of every slice of a 3-D stack (only the last two axes)");
  auto* physical = sub->add_flag(
      "--physical-frame", o.physical_frame,
      "Volumes: rotate the gradient by the direction cosines so that components are along the world "
      "axes (ITK's UseImageDirection); default: along the index axes");
  sub->add_option(
         "--world", o.world,
         "World frame of --physical-frame: lps (ITK, DICOM: +x left, +y posterior) or ras (nibabel, FSL, "
         "3D Slicer: +x right, +y anterior; x and y components negated)")
      ->transform(choice<World>({{"lps", World::lps}, {"ras", World::ras}}))
      ->default_str("lps")
      ->needs(physical);
  sub->add_option(
      "--format", o.format_text,
      "Output format: npy, tiff (float32), nii, nii.gz, nrrd, mha (float), png, jpg (display maps). "
      "Default: the input's family (raster → png, volume → same format, DICOM → nii.gz, npy → npy)");
  sub->add_option(
         "--png-compression", o.png_compression,
         "Compression of PNG outputs, 0-9: 0 stores, 1-9 are deflate levels (libdeflate; smaller, slower). "
         "Default: gradmap's fast coder (Huffman-coded bytes and runs: about the size of level 1, "
         "several times faster on edge maps)")
      ->check(CLI::Range(0, 9));
  std::string ops, modes;
  for (const auto& op : operators()) ops += std::string("\n    ") + op.name + ": " + op.summary;
  for (const auto& b : boundaries()) modes += std::string("\n    ") + b.name + ": " + b.summary;
  sub->add_option("--operator", o.operator_text,
                  "Derivative operator, in value units per spacing unit:" + ops)
      ->capture_default_str();
  sub->add_option("--boundary", o.boundary_text,
                  "Samples beyond the ends (default: numpy for central, reflect for the others):" + modes);
  sub->add_option("--truncate", o.truncate, "gaussian: kernel radius in sigmas (scipy's truncate)")
      ->capture_default_str();
  sub->add_flag("--raw-kernel", o.raw_kernel,
                "sobel, prewitt, scharr: scipy.ndimage's unnormalized values (no division by the kernel "
                "weights or the spacing)");
  sub->add_option(
      "--max-memory", o.max_memory_text,
      "Refuse inputs whose pixels need more memory than this (e.g. 4G, 512M). Default: half of RAM");
}

void add_display_options(CLI::App* sub, DisplayFlags& d) {
  sub->add_option("--normalize", d.normalize_text,
                  "Scaling of PNG/JPEG display maps: minmax, percentile:P (clip at the P-th percentile, e.g. "
                  "percentile:99.5), fixed:MAX, or none (values clipped to the output range)")
      ->capture_default_str();
  sub->add_option("--bit-depth", d.bit_depth, "Bits per sample of PNG display maps")
      ->check(CLI::IsMember({8, 16}))
      ->capture_default_str();
}

const std::vector<std::string>& edge_only_flags() {
  static const std::vector<std::string> names = {"--angle-units", "--angle-range", "--y-up",
                                                 "--orientation", "--compass",     "--components",
                                                 "--normals",     "--dir-style"};
  return names;
}

void add_edge_options(CLI::App* sub, EdgesSettings& s) {
  auto* units =
      sub->add_option("--angle-units", s.angle.units, "Direction units: rad or deg")
          ->transform(choice<AngleUnits>({{"rad", AngleUnits::radians}, {"deg", AngleUnits::degrees}}))
          ->default_str("rad");
  (void)units;
  auto* range =
      sub->add_option("--angle-range", s.angle.range, "signed: [-pi, pi] like atan2; unsigned: [0, 2pi)")
          ->transform(choice<AngleRange>(
              {{"signed", AngleRange::signed_range}, {"unsigned", AngleRange::unsigned_range}}))
          ->default_str("signed");
  auto* y_up = sub->add_flag("--y-up", s.angle.y_up,
                             "Math convention: y grows upward, angle = atan2(-gy, gx) (MATLAB imgradient)");
  auto* orientation = sub->add_flag("--orientation", s.angle.orientation,
                                    "Undirected edges: the angle modulo pi, in [0, pi)");
  auto* compass = sub->add_flag("--compass", s.angle.compass,
                                "Clockwise from north (up on screen), in [0, 2pi); not with --y-up, "
                                "--orientation or --angle-range");
  // The compass convention fixes both the reference direction and the range; orientation fixes
  // the range: a second convention would be silently ignored, so it is refused.
  compass->excludes(y_up)->excludes(orientation)->excludes(range);
  orientation->excludes(range);
  sub->add_flag("--components", s.components, "Also write the gradient components gx, gy (gz)");
  sub->add_flag("--normals", s.normals, "3-D: write the unit gradient vector (nx, ny, nz) instead of angles");
  sub->add_option(
         "--dir-style", s.dir_style,
         "PNG direction maps: hsv (hue = angle, value = magnitude) or gray (angle range → full range)")
      ->transform(choice<DirStyle>({{"hsv", DirStyle::hsv}, {"gray", DirStyle::gray}}))
      ->default_str("hsv");
}

ReadOptions make_read_options(const ComputeOptions& o) {
  ReadOptions r;
  r.color = o.color;
  r.max_memory = o.max_memory;
  return r;
}

bool writes_display_maps(const ComputeOptions& o, const Image& img) {
  const FileFormat* out = o.format ? o.format : output_format_for(img.format);
  return out && out->display;
}

GradientOptions make_gradient_options(const Image& img, const ComputeOptions& o) {
  GradientOptions g;
  const int rank = img.pixels.rank();
  const int first_spatial = img.series_axes;
  std::vector<int> axes;
  if (!o.axis.empty()) {
    std::set<int> seen;
    for (const auto& a : o.axis) {
      const int n = resolve_axis(a, rank, "--axis");
      if (!seen.insert(n).second) throw UsageError("--axis: axis '" + a + "' is given twice");
      axes.push_back(n);
    }
  } else {
    const int from = o.slices ? std::max(first_spatial, rank - 2) : first_spatial;
    for (int d = from; d < rank; ++d) axes.push_back(d);
  }
  if (o.slices && rank - first_spatial != 3)
    throw InvalidArgument("--slices needs a 3-D stack; this image has " +
                          std::to_string(rank - first_spatial) + " spatial axes");
  g = o.derivative;  // operator, boundary, sigma, truncate, raw kernel
  g.axes = axes;
  g.edge_order = o.edge_order;
  // Series axes (channels, frames, pages) and, with --slices, the slice axis are not space: the
  // smoothing operators must not blur across them.
  std::vector<int> space;
  for (int d = o.slices ? std::max(first_spatial, rank - 2) : first_spatial; d < rank; ++d)
    space.push_back(d);
  g.spatial_axes = space;
  if (o.dtype == OutputDType::float32)
    g.dtype = DType::float32;
  else if (o.dtype == OutputDType::float64)
    g.dtype = DType::float64;
  // Display maps hold 8 or 16 bits: float64 would only cost time (libm-grade float64 atan2 and
  // hypot are several times slower than float32's) without changing a pixel.
  else if (writes_display_maps(o, img))
    g.dtype = DType::float32;

  // Spacing per selected axis: the file's (physical units) unless --pixel-units.
  const auto& sp = img.geometry.spacing;
  std::vector<AxisSpacing> spacing;
  std::vector<bool> from_file;
  for (int a : axes) {
    const int s = a - first_spatial;
    const bool spatial = s >= 0 && static_cast<std::size_t>(s) < sp.size();
    spacing.push_back(
        AxisSpacing::uniform(spatial && !o.pixel_units ? sp[static_cast<std::size_t>(s)] : 1.0));
    from_file.push_back(spatial && !o.pixel_units);
  }
  auto index_of = [&](int axis, const std::string& what) {
    auto it = std::find(axes.begin(), axes.end(), axis);
    if (it == axes.end())
      throw InvalidArgument(what + ": axis " + std::to_string(axis) + " is not among the selected axes");
    return static_cast<std::size_t>(it - axes.begin());
  };
  const SpacingFlag& f = o.spacing;
  switch (f.kind) {
    case SpacingFlag::Kind::none:
      break;
    case SpacingFlag::Kind::named:
      for (std::size_t i = 0; i < f.axes.size(); ++i) {
        const std::size_t k = index_of(resolve_axis(f.axes[i], rank, "--spacing"), "--spacing");
        spacing[k] = AxisSpacing::uniform(f.values[i]);
        from_file[k] = false;
      }
      break;
    case SpacingFlag::Kind::all:
      for (std::size_t k = 0; k < spacing.size(); ++k)
        spacing[k] = AxisSpacing::uniform(f.values[0]), from_file[k] = false;
      break;
    case SpacingFlag::Kind::per_axis:
      if (f.values.size() != axes.size())
        throw InvalidArgument(
            "--spacing has " + std::to_string(f.values.size()) + " values but " +
            std::to_string(axes.size()) +
            " axes are selected; give one value, one per selected axis, or name them (x=..,y=..)");
      for (std::size_t k = 0; k < f.values.size(); ++k)
        spacing[k] = AxisSpacing::uniform(f.values[k]), from_file[k] = false;
      break;
  }
  for (const auto& c : o.coords) {
    const std::size_t k = index_of(resolve_axis(c.axis, rank, "--coords"), "--coords");
    const index_t len = img.pixels.extent(axes[k]);
    if (static_cast<index_t>(c.values.coords.size()) != len)
      throw InvalidArgument("--coords " + c.file + ": " + std::to_string(c.values.coords.size()) +
                            " coordinates, but axis " + std::to_string(axes[k]) + " has " +
                            std::to_string(len) + " samples");
    spacing[k] = c.values;
    from_file[k] = false;
  }
  for (std::size_t k = 0; k < spacing.size(); ++k) {
    const double s = spacing[k].step;
    if (from_file[k] && !(std::isfinite(s) && s > 0))
      throw InvalidArgument("the file's spacing along " + product_name({Product::component, axes[k]}, rank) +
                            " is " + std::to_string(s) + "; give --spacing or --pixel-units");
  }
  g.spacing = std::move(spacing);
  return g;
}

void apply_user_spacing(Image& img, const ComputeOptions& o) {
  if (o.spacing.kind == SpacingFlag::Kind::none) return;
  ComputeOptions spacing_only;
  spacing_only.spacing = o.spacing;
  const GradientOptions g = make_gradient_options(img, spacing_only);
  const int rank = img.pixels.rank();
  Geometry& geo = img.geometry;
  geo.spacing_source.resize(geo.spacing.size(), SpacingSource::header);
  for (std::size_t k = 0; k < g.axes->size(); ++k) {
    const int axis = (*g.axes)[k];
    bool set = o.spacing.kind != SpacingFlag::Kind::named;
    for (const auto& name : o.spacing.axes) set = set || resolve_axis(name, rank, "--spacing") == axis;
    if (!set) continue;
    const auto s = static_cast<std::size_t>(axis - img.series_axes);
    geo.spacing[s] = g.spacing[k].step;
    geo.spacing_source[s] = SpacingSource::user;
  }
}

std::vector<Array> compute_components(const Image& img, const GradientOptions& opts,
                                      const ComputeOptions& o) {
  std::vector<Array> comps = gradient(img.pixels, opts);
  if (!o.physical_frame) return comps;
  const int rank = img.pixels.rank(), n = static_cast<int>(img.geometry.spacing.size());
  std::vector<int> spatial;
  for (int d = rank - n; d < rank; ++d) spatial.push_back(d);
  if (*opts.axes != spatial)
    throw InvalidArgument("--physical-frame needs every spatial axis selected, in order (" +
                          std::to_string(n) + " axes); do not combine it with --axis or --slices");
  if (o.world == World::lps) return to_physical_frame(comps, img.geometry.direction);
  if (img.geometry.frame != WorldFrame::lps)
    throw InvalidArgument("--world ras: this image has no world frame to convert (" + img.format + ")");
  // Direction rows are world axes in numpy order (..., y, x): LPS → RAS negates the last two.
  std::vector<double> ras = img.geometry.direction;
  for (int i = std::max(0, n - 2); i < n; ++i)
    for (int j = 0; j < n; ++j)
      ras[static_cast<std::size_t>(i * n + j)] = -ras[static_cast<std::size_t>(i * n + j)];
  return to_physical_frame(comps, ras);
}

}  // namespace gradmap::cli
