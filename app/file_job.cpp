// SPDX-License-Identifier: MIT
#include "file_job.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include "batch/schedule.hpp"
#include "gradmap/npy.hpp"
#include "gradmap/operators.hpp"

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Runs `step`; on an exception keeps its exit code and message. A message that does not name the
/// input (a library error about an axis, say) is prefixed with it: with several inputs, "axis too
/// short" alone would not say which file.
template <class Fn>
ExitCode attempt(Stage stage, const std::string& input, std::string& reason, Fn&& step) {
  try {
    step();
    return ExitCode::ok;
  } catch (...) {
    Failure f = current_failure(stage);
    reason = f.message.find(input) == std::string::npos ? "'" + input + "': " + f.message : f.message;
    return f.code;
  }
}

bool all_exist(const std::vector<PlannedFile>& files) {
  std::error_code ec;
  for (const auto& f : files)
    if (!fs::is_regular_file(f.path, ec)) return false;
  return !files.empty();
}

/// Throws IoError if `out` names the same file as `input` (inputs are never overwritten; the
/// collision check refuses this before any work, this guards against a file appearing since).
void refuse_overwriting_input(const std::string& out, const std::string& input) {
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(out, input, ec))
    throw IoError("'" + out + "': refusing to overwrite the input file");
}

}  // namespace

Array series_slice(const Array& a, index_t i, int series_axes) {
  Shape one(a.shape().begin() + series_axes, a.shape().end());
  const std::size_t bytes = static_cast<std::size_t>(shape_size(one)) * dtype_size(a.dtype());
  Array part(a.dtype(), one);
  std::memcpy(part.data(), static_cast<const unsigned char*>(a.data()) + static_cast<std::size_t>(i) * bytes,
              bytes);
  return part;
}

const Array& Results::at(ProductId p) const {
  for (const auto& [id, a] : arrays)
    if (id == p) return a;
  throw std::logic_error("a planned product was not computed");
}

std::vector<PlannedFile> plan_file(const Computation& c, const Image& img, const std::string& input,
                                   const FileControl& control) {
  const std::string ext = output_extension(input, c.compute_options().format);
  return plan_outputs(c.products(img, !control.overview.empty()), img, input, control.outdir, ext,
                      control.overview);
}

Image predicted_layout(const std::string& input, const ComputeOptions& o) {
  Image img;
  const FileFormat* f = format_of(input);
  // A gray raster always reads as one 2-D image; --coords would need the real extents; TIFF may
  // hold several pages.
  if (o.color != ColorMode::gray || !o.coords.empty() || !f || f->family != FormatFamily::raster ||
      f->name == "tiff")
    return img;
  img.pixels = Array(DType::uint8, Shape{2, 2});
  img.geometry = default_geometry(2);
  img.format = std::string(f->name);
  return img;
}

bool is_out_of_space_error(const std::string& reason) {
  // The writers report errno as strerror text (the message is all that crosses the library's API).
  for (int e : {ENOSPC, EDQUOT, EFBIG})
    if (reason.find(std::strerror(e)) != std::string::npos) return true;
  return false;
}

namespace {

/// The folder of an output, made only when the first output is written: a run that fails before
/// writing leaves nothing behind.
void make_output_folder(const std::string& path) {
  std::error_code ec;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir, ec))
      throw IoError("'" + dir.string() + "': cannot create the output folder" +
                    (ec ? ": " + ec.message() : ""));
  }
}

/// The dtype of the outputs when they are written as they are computed: every planned file a
/// whole product in .npy (no display map, no series split, no overview) that the computation can
/// produce by rows. Then no output is ever held whole: peak memory is the input and one block of
/// rows per output (issue #15: a 4096² float32 edge run no longer holds 134 MB of maps).
std::optional<DType> streamed_dtype(const Computation& c, const Image& img,
                                    const std::vector<PlannedFile>& planned, const std::string& ext) {
  if (ext != "npy" || planned.empty() || img.pixels.rank() < 1 || img.pixels.size() == 0) return std::nullopt;
  std::vector<ProductId> products;
  for (const PlannedFile& f : planned) {
    if (f.series_index >= 0 || f.product.kind == Product::overview) return std::nullopt;
    products.push_back(f.product);
  }
  return c.rows_dtype(img, products);
}

/// Raised between blocks of a streamed write when the run is cancelled.
struct Cancelled {};

}  // namespace

FileOutcome run_file(const Computation& c, const std::string& input, const FileControl& control) {
  FileOutcome out;
  auto stop = [&] {
    if (control.cancel && control.cancel->load()) out.cancelled = true;
    return out.cancelled;
  };
  if (stop()) return out;

  Image img;
  auto t0 = Clock::now();
  out.code = attempt(Stage::read, input, out.reason,
                     [&] { img = read_image(input, make_read_options(c.compute_options())); });
  out.read_seconds = seconds_since(t0);
  if (out.code != ExitCode::ok) return out;
  out.shape = img.pixels.shape();
  out.spacing = img.geometry.spacing;
  out.unit = img.geometry.unit;
  out.format = img.format;
  if (!img.warnings.empty()) out.warnings.push_back(warning_line(input, img.warnings));
  if (control.on_read) control.on_read(img);
  if (stop()) return out;

  std::vector<PlannedFile> planned;
  Results results;
  std::optional<DType> streamed;  // the outputs' dtype when they are written as they are computed
  std::vector<ProductId> products;
  t0 = Clock::now();
  out.code = attempt(Stage::compute, input, out.reason, [&] {
    const auto notes = operator_warnings(img.pixels.shape(), make_gradient_options(img, c.compute_options()));
    if (!notes.empty()) out.warnings.push_back(warning_line(input, notes));
    planned = plan_file(c, img, input, control);
    if (control.skip_existing && all_exist(planned)) {
      out.skipped = true;
      return;
    }
    streamed = streamed_dtype(c, img, planned, output_extension(input, c.compute_options().format));
    if (streamed) {
      // Options are checked now, as compute() would, before any folder or file is made.
      for (const PlannedFile& f : planned) products.push_back(f.product);
      Shape none = img.pixels.shape();
      none[0] = 0;
      std::vector<Array> empty(products.size(), Array(*streamed, none));
      c.compute_rows(img, products, 0, 0, empty);
    } else {
      results = c.compute(img, input, !control.overview.empty());
    }
  });
  out.compute_seconds = seconds_since(t0);
  if (out.code != ExitCode::ok) return out;
  if (out.skipped) {
    for (const auto& f : planned) out.outputs.push_back(f.path);
    return out;
  }

  t0 = Clock::now();
  const FileFormat* format = format_named(output_extension(input, c.compute_options().format));
  const bool display = format && format->display;
  // Which files this run put in place: a write failure removes them, but not a file another
  // process (a second batch with --overwrite) has renamed over one of them since.
  std::vector<std::pair<dev_t, ino_t>> identities;
  if (streamed) {
    // Blocks of axis-0 rows of about 1 MiB per output: computed (in parallel inside the block) and
    // appended to every output's temporary; all are renamed into place once complete.
    std::vector<std::string> paths;
    for (const PlannedFile& f : planned) paths.push_back(f.path);
    const index_t row_bytes =
        img.pixels.size() / img.pixels.shape()[0] * static_cast<index_t>(dtype_size(*streamed));
    const index_t block_rows = std::max<index_t>(1, (index_t{1} << 20) / std::max<index_t>(1, row_bytes));
    double computing = 0;
    std::exception_ptr compute_error;
    // The errors name the output they concern, any of them: their common folder is the context.
    out.code =
        attempt(Stage::write, control.outdir.empty() ? paths.front() : control.outdir, out.reason, [&] {
          for (const std::string& p : paths) refuse_overwriting_input(p, input);
          make_output_folder(paths.front());
          try {
            write_npy_rows(paths, *streamed, img.pixels.shape(), block_rows,
                           [&](index_t r0, index_t r1, std::vector<Array>& blocks) {
                             if (stop()) throw Cancelled{};
                             const auto c0 = Clock::now();
                             try {
                               c.compute_rows(img, products, r0, r1, blocks);
                             } catch (...) {
                               compute_error = std::current_exception();
                               throw;
                             }
                             computing += seconds_since(c0);
                           });
            out.outputs = paths;
          } catch (const Cancelled&) {
          }
        });
    if (compute_error)
      out.code = attempt(Stage::compute, input, out.reason, [&] { std::rethrow_exception(compute_error); });
    for (const std::string& p : out.outputs) {
      struct stat st {};
      const bool ok = ::stat(p.c_str(), &st) == 0;
      identities.emplace_back(ok ? st.st_dev : 0, ok ? st.st_ino : 0);
    }
    out.compute_seconds += computing;
    out.write_seconds -= computing;
  }
  for (const PlannedFile& file : planned) {
    if (streamed) break;
    if (stop()) break;
    out.code = attempt(Stage::write, file.path, out.reason, [&] {
      refuse_overwriting_input(file.path, input);
      make_output_folder(file.path);
      if (file.product.kind == Product::overview) {
        results.write_overview(file.path);
      } else {
        const Array& values = results.at(file.product);
        Image image;
        image.geometry = img.geometry;
        image.pages = img.pages;
        image.metadata = img.metadata;  // NIfTI codes, series spacing, a slice's 3-D position
        image.format = std::string(format ? format->name : "");
        WriteOptions options;
        options.png_compression = c.png_compression();
        if (display) {
          const Array part =
              file.series_index < 0 ? values : series_slice(values, file.series_index, img.series_axes);
          image.pixels = c.display(file, part, results, img, options.text);
          image.rgb = image.pixels.rank() == part.rank() + 1;
        } else {
          image.pixels = values;
          image.series_axes = img.series_axes;
        }
        write_image(file.path, image, options);
      }
      out.outputs.push_back(file.path);
    });
    struct stat st {};
    if (out.code == ExitCode::ok) {
      const bool ok = ::stat(file.path.c_str(), &st) == 0;
      identities.emplace_back(ok ? st.st_dev : 0, ok ? st.st_ino : 0);
    }
    if (out.code != ExitCode::ok) break;
  }
  out.write_seconds += seconds_since(t0);
  if (out.code == ExitCode::output) {
    // Outputs are complete files, but an input with some of them only would look done to a
    // reader of the folder (--skip-existing redoes it anyway). Removing them also gives back the
    // space a full disk needs.
    for (std::size_t k = 0; k < out.outputs.size(); ++k) {
      struct stat st {};
      if (::stat(out.outputs[k].c_str(), &st) == 0 && st.st_dev == identities[k].first &&
          st.st_ino == identities[k].second)
        ::unlink(out.outputs[k].c_str());
    }
    out.outputs.clear();
    out.out_of_space = is_out_of_space_error(out.reason);
    // A folder removed while the file was written shows only as a vanished temporary or a failed
    // open or rename; say what happened.
    std::error_code ec;
    if (!fs::is_directory(control.outdir, ec) && out.reason.find("does not exist") == std::string::npos)
      out.reason += fs::exists(control.outdir, ec)
                        ? " ('" + control.outdir + "' is a file, not a folder)"
                        : " (the output folder '" + control.outdir + "' no longer exists)";
  }
  return out;
}

std::string overview_path(const std::string& flag, const std::string& input, const std::string& outdir,
                          std::size_t count) {
  if (flag.empty()) return "";
  if (count == 1) return flag;
  return (fs::path(outdir) / (stem_of(input) + "_" + product_name({Product::overview}, 0) + ".png")).string();
}

ExitCode run_inputs(const Computation& c, const std::vector<std::string>& inputs, const std::string& outdir,
                    bool quiet, const std::string& overview) {
  std::vector<InputPlan> plans;
  for (const auto& in : inputs)
    plans.push_back(
        {in, outdir, overview_path(overview, in, outdir, inputs.size()), c.compute_options().format});
  try {
    check_collisions(plans);
  } catch (...) {
    const Failure f = current_failure(Stage::options);
    report_error(f.message);
    return f.code;
  }
  // Ctrl-C or SIGTERM stops at once: outputs already renamed into place are complete and stay,
  // this process's hidden temporaries go (a streamed .npy output's temporary exists for the whole
  // computation, and would otherwise be left behind at its full size).
  std::set<std::string> dirs{outdir.empty() ? std::string(".") : outdir};
  for (const auto& plan : plans)
    if (!plan.overview.empty())
      dirs.insert(fs::path(plan.overview).parent_path().empty()
                      ? std::string(".")
                      : fs::path(plan.overview).parent_path().string());
  auto stop_now = [&](int s) {
    remove_own_temporaries(dirs);
    std::cout << std::flush;
    std::cerr << "gradmap: interrupted (" << (s == SIGINT ? "SIGINT" : "SIGTERM")
              << "); outputs already listed are complete, partial ones were removed" << std::endl;
    std::_Exit(to_int(s == SIGINT ? ExitCode::interrupted_int : ExitCode::interrupted_term));
  };
  SignalWatcher signals(stop_now, stop_now);
  // Output folders are made by the first write (make_output_folder); when no input gets that far,
  // or every write fails, the folders this run made stay empty and go again.
  std::vector<fs::path> made;
  for (const std::string& d : dirs) {
    std::error_code ec;
    for (fs::path p = fs::absolute(d, ec).lexically_normal(); !ec && !p.empty() && !fs::exists(p, ec);
         p = p.parent_path()) {
      if (p == p.parent_path()) break;
      made.push_back(p);
    }
  }
  std::sort(made.begin(), made.end(), [](const fs::path& a, const fs::path& b) {
    return a.native().size() > b.native().size();  // deepest first, whichever input named them
  });
  ExitCode rc = ExitCode::ok;
  for (const auto& plan : plans) {
    FileControl control;
    control.outdir = outdir;
    control.overview = plan.overview;
    const FileOutcome r = run_file(c, plan.input, control);
    for (const auto& w : r.warnings) report_warning(w);
    if (!quiet && r.code == ExitCode::ok)
      for (const auto& p : r.outputs) std::cout << p << "\n";
    if (r.code != ExitCode::ok) report_error(r.reason);
    if (r.code != ExitCode::ok && rc == ExitCode::ok) rc = r.code;
  }
  for (const fs::path& p : made) {  // a folder holding anything is not removed
    std::error_code ec;
    fs::remove(p, ec);
  }
  std::cout << std::flush;
  return rc;
}

}  // namespace gradmap::cli
