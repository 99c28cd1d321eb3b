// SPDX-License-Identifier: MIT
#include "outputs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "exit_codes.hpp"

namespace gradmap::cli {
namespace {

namespace fs = std::filesystem;

/// What the entries of a series axis are, by the letter their names start with.
enum class SeriesLetter { rgb, t, p };

std::string series_name(index_t i, SeriesLetter kind) {
  if (kind == SeriesLetter::rgb) return std::string(1, "rgb"[i]);
  return (kind == SeriesLetter::p ? "p" : "t") + std::to_string(i);
}

SeriesLetter series_letter(const Image& img) {
  if (img.pages > 1) return SeriesLetter::p;  // pages of a multi-page TIFF
  // The reader says what the axis holds; else three entries of a non-NIfTI file are R, G, B.
  const SeriesKind kind = img.metadata.series_kind;
  if (kind == SeriesKind::channels) return SeriesLetter::rgb;
  if (kind == SeriesKind::unspecified && img.series_axes > 0 && img.pixels.extent(0) == 3 &&
      img.format != "nifti")
    return SeriesLetter::rgb;
  return SeriesLetter::t;
}

/// True when `text` is product_name(p, rank) for some product and rank: the inverse of
/// product_name(), computed from it once.
bool is_product_name(const std::string& text) {
  static const std::set<std::string> names = [] {
    std::set<std::string> all;
    for (Product kind : {Product::magnitude, Product::direction, Product::azimuth, Product::elevation})
      all.insert(product_name({kind}, 3));
    // Axis names depend on the rank only through the distance from the last axis; 32 axes is
    // numpy's own limit.
    for (Product kind : {Product::component, Product::normal})
      for (int rank = 1; rank <= 32; ++rank)
        for (int axis = 0; axis < rank; ++axis) all.insert(product_name({kind, axis}, rank));
    return all;
  }();
  return names.count(text) > 0;
}

/// True when `text` is a series entry's name (series_name(k, kind) for some k and kind).
bool is_series_name(const std::string& text) {
  for (index_t k = 0; k < 3; ++k)
    if (text == series_name(k, SeriesLetter::rgb)) return true;
  if (text.size() < 2 || text.size() > 12) return false;
  if (!std::all_of(text.begin() + 1, text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  const index_t k = std::stoll(text.substr(1));
  return text == series_name(k, SeriesLetter::t) || text == series_name(k, SeriesLetter::p);
}

/// A path as one spelling: absolute, with symlinks and ".." resolved as far as it exists.
std::string canonical_key(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path, ec).lexically_normal();
  return p.string();
}

std::string parent_or_dot(const std::string& path) {
  const fs::path p = fs::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

}  // namespace

std::string product_name(ProductId p, int rank) {
  switch (p.kind) {
    case Product::magnitude:
      return "mag";
    case Product::direction:
      return "dir";
    case Product::azimuth:
      return "azimuth";
    case Product::elevation:
      return "elevation";
    case Product::overview:
      return "overview";
    case Product::component:
    case Product::normal: {
      const int from_end = rank - 1 - p.axis;
      const std::string letter = from_end >= 0 && from_end < 3 ? std::string(1, "xyz"[from_end]) : "";
      if (p.kind == Product::component) return letter.empty() ? "d" + std::to_string(p.axis) : "g" + letter;
      return letter.empty() ? "nd" + std::to_string(p.axis) : "n" + letter;
    }
  }
  return "";
}

std::string axis_label(int axis, int rank) {
  const int from_end = rank - 1 - axis;
  if (from_end >= 0 && from_end < 3) return std::string(1, "xyz"[from_end]);
  return "axis " + std::to_string(axis);
}

std::vector<std::string> series_names(const Image& img) {
  std::vector<std::string> names;
  if (img.series_axes == 0) return names;
  // The first axis as series_letter() says; the axes after it are frames (a colour cine DICOM
  // read with --color channels is (c, t, y, x)). Entries in C order, their names joined by "_".
  names.push_back("");
  for (int axis = 0; axis < img.series_axes; ++axis) {
    const SeriesLetter kind = axis == 0 ? series_letter(img) : SeriesLetter::t;
    std::vector<std::string> longer;
    for (const std::string& head : names)
      for (index_t i = 0; i < img.pixels.extent(axis); ++i)
        longer.push_back(head + (axis == 0 ? "" : "_") + series_name(i, kind));
    names = std::move(longer);
  }
  return names;
}

std::string stem_of(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.empty()) name = fs::path(path).parent_path().filename().string();  // "dir/"
  const std::string ext = file_extension(path);
  if (!ext.empty() && name.size() > ext.size() + 1) name = name.substr(0, name.size() - ext.size() - 1);
  return name;
}

const FileFormat* output_format_for(const std::string& input_format) {
  const FileFormat* in = format_named(input_format);
  if (!in) return nullptr;
  return in->default_output.empty() ? in : format_named(in->default_output);
}

std::string output_extension(const std::string& input, const FileFormat* format_flag) {
  if (format_flag) return std::string(format_flag->extensions.front());
  const FileFormat* in = format_of(input);
  if (!in) return "png";  // never read: read_image refuses it first
  if (in->default_output.empty()) return file_extension(input);
  return std::string(format_named(in->default_output)->extensions.front());
}

std::vector<PlannedFile> plan_outputs(const std::vector<ProductId>& products, const Image& img,
                                      const std::string& input, const std::string& outdir,
                                      const std::string& ext, const std::string& overview_path) {
  const std::string stem = stem_of(input);
  const FileFormat* out = format_named(ext);
  // A float raster (TIFF) holds one 2-D image, and gradmap does not invent a page layout for the
  // axes around it: refused before anything is computed or written.
  if (out && out->family == FormatFamily::raster && !out->display &&
      (img.series_axes > 0 || img.spatial_rank() != 2))
    throw UsageError("'" + input + "': --format " + std::string(out->name) +
                     " writes one 2-D image per file, and this input's gradients are " +
                     shape_string(img.pixels.shape()) +
                     " (channels, pages, frames or a volume); write --format npy or nii, which keep every "
                     "axis, or a display format (png), which writes one picture per channel, page or frame");
  const bool split_series = out && out->display && img.series_axes > 0;
  const int rank = img.pixels.rank();
  auto path = [&](const std::string& name) { return (fs::path(outdir) / (name + "." + ext)).string(); };
  std::vector<PlannedFile> files;
  for (const ProductId& p : products) {
    if (p.kind == Product::overview) {
      files.push_back({p, -1, overview_path});
      continue;
    }
    const std::string name = product_name(p, rank);
    if (!split_series) {
      files.push_back({p, -1, path(stem + "_" + name)});
      continue;
    }
    // A PNG holds one 2-D picture: one file per channel or time point.
    const auto series = series_names(img);
    for (std::size_t i = 0; i < series.size(); ++i)
      files.push_back({p, static_cast<int>(i), path(stem + "_" + series[i] + "_" + name)});
  }
  return files;
}

bool is_output_name(const std::string& name, const std::string& stem, const std::string& ext) {
  if (name == stem + "_" + product_name({Product::overview}, 0) + ".png") return true;
  const std::string head = stem + "_", tail = "." + ext;
  if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  const std::string middle = name.substr(head.size(), name.size() - head.size() - tail.size());
  if (is_product_name(middle)) return true;
  // <series>[_<series>...]_<product>: product names have no "_", series entry names neither.
  const auto sep = middle.rfind('_');
  if (sep == std::string::npos || !is_product_name(middle.substr(sep + 1))) return false;
  for (std::size_t from = 0; from <= sep;) {
    const std::size_t to = middle.find('_', from);
    if (!is_series_name(middle.substr(from, to - from))) return false;
    from = to + 1;
  }
  return true;
}

void check_collisions(const std::vector<InputPlan>& inputs) {
  // Same stem and extension in one output folder: the second input's outputs would replace the first's.
  std::map<std::string, const InputPlan*> by_key;
  std::map<std::string, std::vector<const InputPlan*>> by_folder;
  std::map<std::string, const InputPlan*> by_path;
  for (const auto& in : inputs) {
    const std::string ext = output_extension(in.input, in.format_flag);
    const std::string key = canonical_key(in.outdir) + "/" + stem_of(in.input) + "." + ext;
    auto [it, fresh] = by_key.emplace(key, &in);
    if (!fresh && canonical_key(it->second->input) != canonical_key(in.input))
      throw UsageError("inputs '" + it->second->input + "' and '" + in.input +
                       "' would write the same outputs (" + stem_of(in.input) + "_*." + ext + " in '" +
                       in.outdir + "'); rename one, or run them with different -o folders");
    by_folder[canonical_key(parent_or_dot(in.input))].push_back(&in);
    by_path.emplace(canonical_key(in.input), &in);
  }
  // An input that is an output of another (or of itself), or the overview picture.
  auto refuse = [](const InputPlan& writer, const InputPlan& victim) {
    throw UsageError("the outputs of '" + writer.input + "' would replace the input '" + victim.input +
                     "'; write them elsewhere (-o another folder" +
                     (writer.overview.empty() ? std::string(")") : std::string(", or another --overview)")));
  };
  for (const auto& writer : inputs) {
    if (!writer.overview.empty()) {
      auto it = by_path.find(canonical_key(writer.overview));
      if (it != by_path.end()) refuse(writer, *it->second);
    }
    auto it = by_folder.find(canonical_key(writer.outdir));
    if (it == by_folder.end()) continue;
    const std::string stem = stem_of(writer.input), ext = output_extension(writer.input, writer.format_flag);
    for (const InputPlan* victim : it->second)
      if (is_output_name(fs::path(victim->input).filename().string(), stem, ext)) refuse(writer, *victim);
  }
}

}  // namespace gradmap::cli
