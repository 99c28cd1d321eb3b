// SPDX-License-Identifier: MIT
// What gradmap writes, and under which names: the one table of product names and the one plan of
// output files. `edges`, `gradient` and `batch` write exactly plan_outputs()'s files, recognize
// existing outputs with is_output_name(), and refuse collisions with check_collisions(); nothing
// else spells an output name.
#pragma once

#include <string>
#include <vector>

#include "gradmap/formats.hpp"
#include "gradmap/io.hpp"

namespace gradmap::cli {

/// What one output file holds.
enum class Product {
  magnitude,  ///< "mag"
  direction,  ///< "dir": 2-D atan2 direction
  azimuth,    ///< "azimuth": 3-D atan2(gy, gx)
  elevation,  ///< "elevation": 3-D atan2(gz, hypot(gx, gy))
  component,  ///< "gx", "gy", "gz", "d<k>": the derivative along an axis
  normal,     ///< "nx", "ny", "nz", "nd<k>": a component of the unit gradient vector
  overview,   ///< the --overview picture (its own path)
};

struct ProductId {
  Product kind;
  int axis = -1;  ///< component and normal: the numpy axis
  bool operator==(const ProductId& o) const { return kind == o.kind && axis == o.axis; }
};

/// The name of a product in a file name, for an array of `rank` axes: the one list of names.
std::string product_name(ProductId p, int rank);

/// "x", "y", "z" for the last three axes of a rank-`rank` array, "axis k" before them.
std::string axis_label(int axis, int rank);

/// Names of the series entries of `img` (leading non-spatial axes) in output names: "r", "g", "b"
/// for color channels, "p0", "p1", ... for the pages of a multi-page TIFF, "t0", "t1", ... otherwise;
/// with two series axes one name per pair, in C order, joined by "_" ("r_t0", "r_t1", "g_t0", ...);
/// empty without a series axis.
std::vector<std::string> series_names(const Image& img);

/// File name without directory and extension (".nii.gz" counts as one extension).
std::string stem_of(const std::string& path);

/// The format outputs of an input read as format `input_format` (Image::format) get when --format
/// is not given: PNG display maps for rasters, the same format for volumes, NIfTI for DICOM.
const FileFormat* output_format_for(const std::string& input_format);

/// The output extension for `input`: --format's (first) extension, else the input family's
/// default; a .nii input keeps .nii and a .nii.gz input .nii.gz.
std::string output_extension(const std::string& input, const FileFormat* format_flag);

/// One output file.
struct PlannedFile {
  ProductId product;
  int series_index = -1;  ///< display formats split a series into one file per entry
  std::string path;
};

/// The files written for `img` read from `input` when the command produces `products` (in
/// writing order; an overview goes to `overview_path`).
std::vector<PlannedFile> plan_outputs(const std::vector<ProductId>& products, const Image& img,
                                      const std::string& input, const std::string& outdir,
                                      const std::string& ext, const std::string& overview_path);

/// True when `name` (a file name without folder) is one gradmap writes for an input of stem `stem`
/// with output extension `ext`: <stem>_[<series>_]<product>.<ext>, or <stem>_overview.png. Derived
/// from product_name() and series_names(), so it recognizes every name they can produce.
bool is_output_name(const std::string& name, const std::string& stem, const std::string& ext);

/// One input of a single-file command, with where its outputs go.
struct InputPlan {
  std::string input;
  std::string outdir;
  std::string overview;  ///< --overview path; empty: none
  const FileFormat* format_flag = nullptr;
};

/// Refuses (UsageError, exit 2), before anything is written, a set of inputs that would lose data:
/// two inputs whose outputs share names (same stem and output extension in one folder), or an input
/// that is itself an output another input would write (or the overview picture). The message names
/// both paths and the fix.
void check_collisions(const std::vector<InputPlan>& inputs);

}  // namespace gradmap::cli
