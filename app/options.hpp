// SPDX-License-Identifier: MIT
// The flags of the computing commands (gradient, edges, batch), declared once and checked once.
// Each flag's value is parsed by finish() before any file is read, so a bad value exits 2 in every
// command; what can only be checked against an image (an axis beyond its rank, a spacing count
// that does not match the selected axes) is checked by make_gradient_options() and exits 4.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gradmap/edges.hpp"
#include "gradmap/formats.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/io.hpp"
#include "gradmap/render.hpp"

namespace CLI {
class App;
}

namespace gradmap::cli {

/// --dtype
enum class OutputDType { automatic, float32, float64 };
/// --world: the world frame --physical-frame rotates into.
enum class World { lps, ras };
/// --dir-style: how PNG/JPEG direction maps show the angle.
enum class DirStyle { hsv, gray };

/// --spacing, parsed: nothing, one value for every axis, one per selected axis, or named axes.
struct SpacingFlag {
  enum class Kind { none, all, per_axis, named } kind = Kind::none;
  std::vector<double> values;
  std::vector<std::string> axes;  ///< Kind::named: the axis names, as given (x, y, z or an index)
};

/// --coords AXIS=FILE, with the file's coordinates read.
struct CoordsFlag {
  std::string axis;  ///< as given
  std::string file;
  AxisSpacing values;  ///< the coordinates, in the .npy's dtype (text files: float64)
};

/// Flags shared by gradient, edges and batch; names equal the library's field names.
struct ComputeOptions {
  std::vector<std::string> axis;         ///< --axis: numpy indices (negative allowed) or x, y, z
  std::string spacing_text;              ///< --spacing as typed
  std::vector<std::string> coords_text;  ///< --coords as typed
  int edge_order = 1;
  OutputDType dtype = OutputDType::automatic;
  ColorMode color = ColorMode::gray;
  bool pixel_units = false;
  bool slices = false;
  bool physical_frame = false;            ///< --physical-frame: components along the world axes
  World world = World::lps;               ///< --world lps|ras (with --physical-frame)
  int png_compression = -1;               ///< --png-compression 0-9; -1: gradmap's fast coder
  std::string format_text;                ///< --format as typed; empty: the input's family decides
  std::string max_memory_text;            ///< e.g. 4G; empty: half of RAM
  std::string operator_text = "central";  ///< --operator as typed
  std::string boundary_text;              ///< --boundary as typed; empty: the operator's default
  double truncate = 4.0;                  ///< --truncate (gaussian)
  bool raw_kernel = false;                ///< --raw-kernel

  // Parsed by finish():
  SpacingFlag spacing;
  std::vector<CoordsFlag> coords;
  const FileFormat* format = nullptr;  ///< --format; null: the input's family decides
  std::size_t max_memory = 0;
  GradientOptions derivative;  ///< op, boundary, cval, sigma, truncate, raw_kernel from the flags above

  /// Parses every value; throws UsageError (exit 2) naming the flag, or IoError (exit 3) when a
  /// --coords file cannot be read.
  void finish();
};

/// Flags for 8/16-bit display outputs (PNG, JPEG).
struct DisplayFlags {
  std::string normalize_text = Normalization{}.to_string();
  int bit_depth = 8;
  DisplayOptions options;  ///< parsed by finish()
  void finish();
};

/// Everything `gradmap gradient` takes besides inputs and output folder.
struct GradientSettings {
  ComputeOptions compute;
  DisplayFlags display;
  void finish() {
    compute.finish();
    display.finish();
  }
};

/// Everything `gradmap edges` takes besides inputs, output folder and --overview's path.
struct EdgesSettings {
  ComputeOptions compute;
  DisplayFlags display;
  AngleOptions angle;
  bool components = false, normals = false;
  DirStyle dir_style = DirStyle::hsv;
  void finish() {
    compute.finish();
    display.finish();
  }
};

void add_compute_options(CLI::App* sub, ComputeOptions& o);
void add_display_options(CLI::App* sub, DisplayFlags& d);
/// The edges-only flags (angle conventions, extra outputs, direction style); conflicting angle
/// conventions are refused by CLI11 (exit 2).
void add_edge_options(CLI::App* sub, EdgesSettings& s);
/// The names add_edge_options declares, for batch's "applies to --mode edges only" check.
const std::vector<std::string>& edge_only_flags();

ReadOptions make_read_options(const ComputeOptions& o);

/// True when `img`'s outputs will be PNG/JPEG display maps (--format, else the input's family).
bool writes_display_maps(const ComputeOptions& o, const Image& img);

/// GradientOptions for `img`: axes from --axis (default: the spatial axes, or the last two with
/// --slices); spacing from the file's geometry unless --pixel-units, overridden by --spacing and
/// --coords. Throws InvalidArgument (exit 4) when the flags do not fit this image.
GradientOptions make_gradient_options(const Image& img, const ComputeOptions& o);

/// --spacing as `info` shows it: the spacing the gradient commands would use along each spatial axis
/// (make_gradient_options without --axis), marked SpacingSource::user where --spacing sets it.
/// Throws InvalidArgument (exit 4) as make_gradient_options does.
void apply_user_spacing(Image& img, const ComputeOptions& o);

/// The gradient components for `img`: gradient(), then with --physical-frame rotated by the
/// direction cosines onto the world axes (all spatial axes must be selected, in order).
std::vector<Array> compute_components(const Image& img, const GradientOptions& opts, const ComputeOptions& o);

/// A --coords file as numpy would get it: a .npy keeps its dtype (float32 coordinates are
/// differenced in float32), a text file (one number per line, '#' comments) gives float64.
AxisSpacing read_coordinates(const std::string& path);

}  // namespace gradmap::cli
