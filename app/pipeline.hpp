// SPDX-License-Identifier: MIT
// The per-file work of `gradmap gradient`, `gradmap edges` and `gradmap batch`: read → compute →
// write one input, returning what happened instead of printing it. The single-file commands and
// batch run exactly this code with exactly these flags, so a batch output is byte-identical to the
// single-file command's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "gradmap/edges.hpp"

namespace CLI {
class App;
}

namespace gradmap::cli {

/// What one input produced.
struct FileOutcome {
  int code = kOk;                    ///< ExitCode of the first failing step
  std::string reason;                ///< the error message when code != kOk
  std::vector<std::string> outputs;  ///< paths written (skipped: the existing outputs)
  bool skipped = false;              ///< FileControl::skip_existing and every output existed
  bool cancelled = false;            ///< FileControl::cancel was raised before the file finished
  /// A write failed because the output file system is full, a quota is exhausted or a file size
  /// limit was reached (ENOSPC, EDQUOT, EFBIG): every further write is likely to fail the same way.
  bool out_of_space = false;
  Shape shape;                       ///< pixel array shape (numpy order), once read
  std::vector<double> spacing;       ///< the file's spacing (numpy order), once read
  std::string unit;                  ///< unit of spacing ("mm", "px")
  std::string format;                ///< format family read
  double read_seconds = 0;           ///< decode
  double compute_seconds = 0;        ///< gradient / edge maps
  double write_seconds = 0;          ///< display scaling + encode + atomic write
};

/// How one input is run.
struct FileControl {
  std::string outdir;  ///< where the outputs go (must exist)
  /// edges --overview: the picture's path; empty: none.
  std::string overview;
  /// Skip the input, after reading it, when every output it would write already exists.
  bool skip_existing = false;
  /// Checked before each step and each output file: when raised, the file stops where it is
  /// (every output already written is complete) and FileOutcome::cancelled is set.
  const std::atomic<bool>* cancel = nullptr;
  /// Called right after the input is read (batch: memory accounting). May be empty.
  std::function<void(const Image&)> on_read;
};

/// One output product: values and how they are written.
struct Product {
  std::string suffix;
  Array values;
  std::function<Array(const Array&, index_t)> to_display;
  /// For outputs that are not a value array (the edges overview): writes `path` itself.
  std::function<void(const std::string& path)> write_special;
  std::string special_path;
};

/// A computing subcommand's per-file work. run() is the whole pipeline; the subclasses say which
/// outputs an image gets and how they are computed.
class FileCommand {
 public:
  virtual ~FileCommand() = default;

  /// read → (skip check) → compute → write, errors mapped to exit codes (3 read, 4 compute,
  /// 5 write). When a write fails, the outputs already written for this input are removed, so an
  /// input has all of its outputs or none from this run. Never throws, never prints.
  FileOutcome run(const std::string& input, const FileControl& control) const;

  /// The paths run() writes for `img` read from `input`, in writing order. Throws InvalidArgument
  /// when the options do not fit the image.
  std::vector<std::string> plan(const Image& img, const std::string& input, const FileControl& control) const;

  /// Read options from the shared flags.
  virtual const ComputeOptions& compute_options() const = 0;

  /// Bytes one file needs while it is processed, from its pixel array: input + full-size float
  /// results + display maps. An estimate for batch's memory budget.
  virtual std::size_t working_set(const Image& img) const = 0;

 protected:
  /// Output suffixes for `img` in writing order ("mag", "dir", "gx", ...), special ones last.
  virtual std::vector<std::string> suffixes(const Image& img, const FileControl& control) const = 0;
  /// Computes the products (same order as suffixes()).
  virtual std::vector<Product> compute(const Image& img, const std::string& input,
                                       const FileControl& control) const = 0;
};

/// `gradmap gradient` settings (everything but inputs and output directory).
struct GradientSettings {
  ComputeOptions compute;
  DisplayFlags display;
};

/// `gradmap edges` settings (everything but inputs, output directory and --overview's path).
struct EdgesSettings {
  ComputeOptions compute;
  DisplayFlags display;
  std::string angle_units = "rad";
  std::string angle_range = "signed";
  bool y_up = false, orientation = false, compass = false;
  bool components = false, normals = false;
  std::string dir_style = "hsv";
};

/// Declares the gradient-only flags (compute + display options).
void add_gradient_options(CLI::App* sub, GradientSettings& s);
/// Declares the edges-only flags (compute + display + angle and output choices), not --overview.
void add_edges_options(CLI::App* sub, EdgesSettings& s);

std::unique_ptr<FileCommand> make_gradient_command(const GradientSettings& s);
std::unique_ptr<FileCommand> make_edges_command(const EdgesSettings& s);

/// The single-file commands' loop: creates `outdir`, runs every input, lists each input's outputs
/// once it is complete (unless `quiet`), reports failures and returns the first failure's code.
/// `overview_for(input)` gives the edges --overview path for an input (null: none).
int run_inputs(const FileCommand& command, const std::vector<std::string>& inputs, const std::string& outdir,
               bool quiet, const std::function<std::string(const std::string&)>& overview_for = nullptr);

/// Output paths write_result() produces for one product (one per series entry for display formats).
std::vector<std::string> output_paths(const Image& like, const std::string& outdir, const std::string& stem,
                                      const std::string& suffix, const std::string& ext);

/// True when an error message carries the system's text for ENOSPC, EDQUOT or EFBIG: the output
/// file system is full, a quota is exhausted, or a file size limit (ulimit -f) was reached.
bool is_out_of_space_error(const std::string& reason);

/// A stand-in Image with the layout a gray raster always reads as (2-D, no series, unit spacing),
/// so outputs can be planned without decoding; nullopt-like empty pixels when the layout depends on
/// the file's contents (volumes, .npy, color rasters read as channels).
Image predicted_layout(const std::string& input, const ComputeOptions& o);

}  // namespace gradmap::cli
