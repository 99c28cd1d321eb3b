// SPDX-License-Identifier: MIT
// One input through a computing command: read → plan → compute → write, returning what happened
// instead of printing it. `gradient`, `edges` and `batch` run exactly this code, so a batch output
// is byte-identical to the single-file command's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exit_codes.hpp"
#include "options.hpp"
#include "outputs.hpp"

namespace gradmap::cli {

/// The arrays a computation produced, by product.
struct Results {
  std::vector<std::pair<ProductId, Array>> arrays;
  /// Writes the overview picture (edges --overview); empty when there is none.
  std::function<void(const std::string& path)> write_overview;
  const Array& at(ProductId p) const;
  /// The scale of each magnitude display map already drawn, by series entry (-1: the whole
  /// image), so that the HSV direction map of the same entry takes its brightness from it instead
  /// of finding the same percentile again. Products are written one after the other per file.
  mutable std::vector<std::pair<int, DisplayScale>> magnitude_scales;
};

/// What a command computes for one image: gradient's components or edges' maps.
class Computation {
 public:
  virtual ~Computation() = default;
  virtual const ComputeOptions& compute_options() const = 0;
  /// The products for `img`, in writing order (the overview, when asked, last). Throws
  /// InvalidArgument when the options do not fit the image.
  virtual std::vector<ProductId> products(const Image& img, bool overview) const = 0;
  virtual Results compute(const Image& img, const std::string& input, bool overview) const = 0;
  /// The 8/16-bit picture of `values` (one series entry of a product of `img`) for PNG/JPEG
  /// outputs; `text` receives the entries that record its scaling (render.hpp display_text), so a
  /// reader can recover the values.
  virtual Array display(const PlannedFile& file, const Array& values, const Results& all, const Image& img,
                        std::vector<std::pair<std::string, std::string>>& text) const = 0;
  /// The dtype of `products` when this computation can produce them block of axis-0 rows by block
  /// (compute_rows), for outputs written as they are computed; nullopt when it cannot for `img`.
  virtual std::optional<DType> rows_dtype(const Image&, const std::vector<ProductId>&) const {
    return std::nullopt;
  }
  /// Rows [r0, r1) of axis 0 of `products` (compute()'s arrays, the same bits) into `blocks`, one
  /// per product, of rows_dtype and the image's shape with r1 - r0 rows. [0, 0) only checks the
  /// options, throwing what compute() would.
  virtual void compute_rows(const Image&, const std::vector<ProductId>&, index_t, index_t,
                            std::vector<Array>&) const {}
  /// Bytes one file needs while processed: input + full-size results + display maps (batch's budget).
  virtual std::size_t working_set(const Image& img) const = 0;
  virtual int png_compression() const { return compute_options().png_compression; }
};

/// Calls fn(T{}, Out{}) with T the element type `in` names and Out the float type `out` names: the
/// input and the blocks of Computation::compute_rows.
template <class Fn>
void visit_rows_types(DType in, DType out, Fn&& fn) {
  visit_dtype(in, [&](auto in_tag) {
    visit_dtype(out, [&](auto out_tag) {
      using Out = decltype(out_tag);
      if constexpr (std::is_same_v<Out, float16_t> || std::is_same_v<Out, float> ||
                    std::is_same_v<Out, double>)
        fn(in_tag, out_tag);
    });
  });
}

/// What one input produced.
struct FileOutcome {
  ExitCode code = ExitCode::ok;      ///< of the first failing step
  std::string reason;                ///< the error message when code != ok; it names the file
  std::vector<std::string> outputs;  ///< paths written (skipped: the existing outputs)
  bool skipped = false;              ///< FileControl::skip_existing and every output existed
  bool cancelled = false;            ///< FileControl::cancel was raised before the file finished
  /// A write failed because the output file system is full, a quota is exhausted or a file size
  /// limit was reached (ENOSPC, EDQUOT, EFBIG): every further write is likely to fail the same way.
  bool out_of_space = false;
  std::vector<std::string> warnings;  ///< from the reader, each naming the file
  Shape shape;                        ///< pixel array shape (numpy order), once read
  std::vector<double> spacing;        ///< the file's spacing (numpy order), once read
  std::string unit;                   ///< unit of spacing ("mm", "px")
  std::string format;                 ///< format family read
  double read_seconds = 0;            ///< decode
  double compute_seconds = 0;         ///< gradient / edge maps
  double write_seconds = 0;           ///< display scaling + encode + atomic write
};

/// How one input is run.
struct FileControl {
  std::string outdir;    ///< where the outputs go (created when the first output is written)
  std::string overview;  ///< edges --overview: the picture's path; empty: none
  /// Skip the input, after reading it, when every output it would write already exists.
  bool skip_existing = false;
  /// Checked before each step and each output file: when raised, the file stops where it is
  /// (every output already written is complete) and FileOutcome::cancelled is set.
  const std::atomic<bool>* cancel = nullptr;
  /// Called right after the input is read (batch: memory accounting). May be empty.
  std::function<void(const Image&)> on_read;
};

/// Entry i of the leading `series_axes` axes of `a`, counted in C order (a copy): one channel or
/// time point of a series, or one (channel, frame) pair of two series axes.
Array series_slice(const Array& a, index_t i, int series_axes);

/// The files run_file() writes for `img` read from `input`, in writing order.
std::vector<PlannedFile> plan_file(const Computation& c, const Image& img, const std::string& input,
                                   const FileControl& control);

/// read → (skip check) → compute → write, errors mapped by exit_code_of (3 read, 4 compute, 5
/// write). When a write fails, the outputs already written for this input are removed, so an input
/// has all of its outputs or none from this run. Never throws, never prints.
FileOutcome run_file(const Computation& c, const std::string& input, const FileControl& control);

/// A stand-in Image with the layout a gray raster always reads as (2-D, no series, unit spacing),
/// so outputs can be planned without decoding; empty pixels when the layout depends on the file's
/// contents (volumes, .npy, color rasters read as channels, --coords).
Image predicted_layout(const std::string& input, const ComputeOptions& o);

/// True when an error message carries the system's text for ENOSPC, EDQUOT or EFBIG.
bool is_out_of_space_error(const std::string& reason);

/// The single-file commands' loop: refuses colliding inputs, runs every input, lists each input's
/// outputs once it is complete (unless `quiet`), reports failures and returns the first failure's
/// code. `overview` is --overview's path (several inputs: <outdir>/<stem>_overview.png each).
ExitCode run_inputs(const Computation& c, const std::vector<std::string>& inputs, const std::string& outdir,
                    bool quiet, const std::string& overview = "");

/// The overview path of `input` when --overview was given as `flag` for `count` inputs.
std::string overview_path(const std::string& flag, const std::string& input, const std::string& outdir,
                          std::size_t count);

}  // namespace gradmap::cli
