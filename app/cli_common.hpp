// SPDX-License-Identifier: MIT
// Options and steps shared by `gradmap gradient`, `gradmap edges` and `gradmap batch`: how the
// command line turns into GradientOptions for one image, how outputs are named, and how library
// errors become exit codes.
#pragma once

#include <string>
#include <vector>

#include "commands.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/io.hpp"
#include "gradmap/render.hpp"
#include <functional>

namespace CLI {
class App;
}

namespace gradmap::cli {

/// Flags common to every computing subcommand; names equal the library's field names.
struct ComputeOptions {
  std::vector<std::string> axis;  ///< --axis: numpy indices (negative allowed) or x, y, z
  std::string spacing;            ///< --spacing: "0.5" | "1,0.5" | "x=0.5,y=0.5,z=2"
  std::vector<std::string> coords;  ///< --coords AXIS=FILE
  int edge_order = 1;
  std::string dtype = "auto";     ///< auto | float32 | float64
  std::string color = "gray";     ///< gray | channels
  bool pixel_units = false;
  bool slices = false;
  bool physical_frame = false;    ///< --physical-frame: components along the world axes
  std::string world = "lps";      ///< --world lps|ras: the world frame --physical-frame rotates into
  int png_compression = -1;       ///< --png-compression 0-9; -1: gradmap's fast coder
  std::string format;             ///< output format (extension), empty: the input's family
  std::string max_memory;         ///< e.g. 4G; empty: half of RAM
};

void add_compute_options(CLI::App* sub, ComputeOptions& o);

ReadOptions make_read_options(const ComputeOptions& o);

/// GradientOptions for `img`: axes from --axis (default: the spatial axes, or the last two with
/// --slices); spacing from the file's geometry unless --pixel-units, overridden by --spacing and
/// --coords. Throws InvalidArgument with a message meant for the command line.
GradientOptions make_gradient_options(const Image& img, const ComputeOptions& o);

/// The gradient components for `img`: gradient(), then with --physical-frame rotated by the
/// direction cosines onto the world axes (all spatial axes must be selected, in order).
std::vector<Array> compute_components(const Image& img, const GradientOptions& opts, const ComputeOptions& o);

/// "gx" for the last axis of a rank-`rank` array, "gy", "gz" for the ones before, "d<k>" else.
std::string component_name(int axis, int rank);

/// File name without directory and extension (".nii.gz" counts as one extension).
std::string stem_of(const std::string& path);

/// The output extension: --format, else the input's family (npy → npy, raster → png, volume → the
/// same volume format, DICOM → nii.gz).
std::string output_extension(const std::string& input, const std::string& format);

/// Throws IoError if `out` names the same file as `input` (inputs are never overwritten).
void refuse_overwriting_input(const std::string& out, const std::string& input);

/// Flags for 8/16-bit display outputs (PNG, JPEG).
struct DisplayFlags {
  std::string normalize = "minmax";
  int bit_depth = 8;
};
void add_display_options(CLI::App* sub, DisplayFlags& d);
DisplayOptions make_display_options(const DisplayFlags& d);

/// Entry i along axis 0 (a copy).
Array series_slice(const Array& a, index_t i);

/// True when `img`'s outputs will be PNG/JPEG display maps (--format, else the input's family).
bool writes_display_maps(const std::string& format_flag, const Image& img);

/// True for formats that hold display maps (8/16-bit) rather than float values.
bool is_display_format(const std::string& ext);

/// Names of the series entries of `img` for output suffixes: "r", "g", "b" for color channels,
/// "t0", "t1", ... otherwise.
std::vector<std::string> series_names(const Image& img);

/// Writes `values` (the shape of like.pixels) as <outdir>/<stem>_<suffix>.<ext>. Float formats get
/// the values with like's geometry; display formats are split into one file per series entry (a PNG
/// holds one 2-D picture) and get `to_display(part, series_index)` (index -1: no series). Returns the paths written.
std::vector<std::string> write_result(const Array& values, const Image& like, const std::string& input,
                                      const std::string& outdir, const std::string& stem,
                                      const std::string& suffix, const std::string& ext,
                                      const std::function<Array(const Array&, index_t)>& to_display,
                                      int png_compression = -1);

/// Runs `step` and maps gradmap's exceptions to exit codes, printing "gradmap: <message>".
/// `io_code` is the code for IoError in this step (input or output).
template <class Fn>
int guarded(int io_code, Fn&& step);

/// Reports an error on stderr the same way everywhere.
void report_error(const std::string& message);

/// Prints the warnings a reader collected about `path` (Image::warnings) as one line on stderr:
/// "gradmap: warning: '<path>': <first> (and N more)".
void report_warnings(const std::string& path, const std::vector<std::string>& warnings);

}  // namespace gradmap::cli

#include <iostream>

namespace gradmap::cli {
template <class Fn>
int guarded(int io_code, Fn&& step) {
  try {
    step();
    return kOk;
  } catch (const IoError& e) {
    report_error(e.what());
    return io_code;
  } catch (const InvalidArgument& e) {
    report_error(e.what());
    return kInvalid;
  } catch (const ShapeError& e) {
    report_error(e.what());
    return kInvalid;
  } catch (const std::bad_alloc&) {
    report_error("out of memory");
    return kInvalid;
  } catch (const std::exception& e) {
    report_error(std::string("internal error: ") + e.what());
    return kInternal;
  }
}
}  // namespace gradmap::cli
