// SPDX-License-Identifier: MIT
// The overview picture: input, magnitude and direction side by side with their legends, drawn with
// OpenCV (the only reason this file is in gradmap_opencv). All value → color mapping is done by
// render.cpp's display_map and direction_hsv, also for the legends, so the legend cannot disagree
// with the panels.
#include "gradmap/overview.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "core/numeric.hpp"
#include "gradmap/io.hpp"  // write_atomically
#include "gradmap/render.hpp"
#include "io/imgcodecs.hpp"

namespace gradmap {
namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

// Layout, in pixels of the output picture.
constexpr int kMargin = 14;
constexpr int kGap = 12;        // between panels
constexpr int kCaption = 22;    // caption band above each panel
constexpr int kRowLabel = 24;   // 3-D: band naming the slice above each row of panels
constexpr int kMinPitch = 100;  // panels narrower than their caption still get this much room
constexpr int kPanel2d = 360;   // longest side of a 2-D panel
constexpr int kPanel3d = 256;   // longest side of the largest 3-D slice panel
constexpr int kLegendWidth = 220;
constexpr int kBarHeight = 200;
constexpr int kBarWidth = 20;
constexpr int kWheelRadius = 62;
const cv::Scalar kBackground(32, 32, 32);
const cv::Scalar kText(235, 235, 235);
const cv::Scalar kDimText(170, 170, 170);
const cv::Scalar kFrame(96, 96, 96);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

/// Any element as a double (numpy's float16 widened exactly).
template <class T>
inline double load(const T& v) {
  return detail::cvt<double>(v);
}

std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// Hershey fonts only have ASCII glyphs; anything else (UTF-8 file names) shows as '?'.
std::string ascii(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
  return out;
}

void put_text(cv::Mat& img, const std::string& text, cv::Point org, double scale, const cv::Scalar& color,
              int max_width = 0) {
  std::string t = ascii(text);
  int baseline = 0;
  // Long file names are cut with "..." rather than running off the picture.
  if (max_width > 0) {
    while (t.size() > 4 && cv::getTextSize(t, kFont, scale, 1, &baseline).width > max_width)
      t = t.substr(0, t.size() - 4) + "...";
  }
  cv::putText(img, t, org, kFont, scale, color, 1, cv::LINE_AA);
}

int text_width(const std::string& text, double scale) {
  int baseline = 0;
  return cv::getTextSize(ascii(text), kFont, scale, 1, &baseline).width;
}

/// The first block along `leading` leading axes (index 0 of each): the first channel or time point.
/// Arrays are C-contiguous, so that block is the first prod(trailing extents) elements.
Array first_block(const Array& a, int leading) {
  if (leading <= 0) return a;
  Shape trailing(a.shape().begin() + leading, a.shape().end());
  Array out(a.dtype(), trailing);
  std::memcpy(out.data(), a.data(), out.nbytes());
  return out;
}

/// The input as one gray array over its spatial axes. Color (an RGB last axis, or one series axis
/// of 3 or 4 channels on a 2-D image) becomes BT.601 luminance, as read_image's ColorMode::gray does;
/// other series axes (time points) show their first element.
Array gray_input(const Image& input) {
  const Array& p = input.pixels;
  const int spatial = input.spatial_rank();
  // Pixel i's channels are at i*step + {0, 1, 2}*channel_stride.
  auto luminance = [&](index_t step, index_t channel_stride, const Shape& shape) {
    Array out(DType::float32, shape);
    float* o = static_cast<float*>(out.data());
    const index_t count = shape_size(shape);
    visit_dtype(p.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* in = static_cast<const T*>(p.data());
      for (index_t i = 0; i < count; ++i) {
        const T* px = in + i * step;
        o[i] = static_cast<float>(0.299 * load(px[0]) + 0.587 * load(px[channel_stride]) +
                                  0.114 * load(px[2 * channel_stride]));
      }
    });
    return out;
  };
  if (input.rgb && p.rank() >= 3 && p.extent(p.rank() - 1) >= 3) {
    Shape shape(p.shape().begin(), p.shape().end() - 1);
    return first_block(luminance(p.extent(p.rank() - 1), 1, shape), input.series_axes);
  }
  if (input.series_axes == 1 && spatial == 2 && (p.extent(0) == 3 || p.extent(0) == 4)) {
    Shape shape(p.shape().begin() + 1, p.shape().end());
    return luminance(1, shape_size(shape), shape);
  }
  return first_block(p, p.rank() - spatial);
}

/// A 2-D slice of a 3-D array at `index` along `axis`, as a new C-contiguous array.
Array slice_3d(const Array& a, int axis, index_t index) {
  Shape shape;
  for (int d = 0; d < 3; ++d)
    if (d != axis) shape.push_back(a.extent(d));
  Array out(a.dtype(), shape);
  const Shape strides = c_strides(a.shape());
  const std::size_t esize = dtype_size(a.dtype());
  const auto* src = static_cast<const unsigned char*>(a.data());
  auto* dst = static_cast<unsigned char*>(out.data());
  const int d0 = axis == 0 ? 1 : 0;
  const int d1 = axis == 2 ? 1 : 2;
  index_t k = 0;
  for (index_t i = 0; i < a.extent(d0); ++i)
    for (index_t j = 0; j < a.extent(d1); ++j, ++k) {
      const index_t off = index * strides[static_cast<std::size_t>(axis)] +
                          i * strides[static_cast<std::size_t>(d0)] +
                          j * strides[static_cast<std::size_t>(d1)];
      std::memcpy(dst + static_cast<std::size_t>(k) * esize, src + static_cast<std::size_t>(off) * esize,
                  esize);
    }
  return out;
}

/// A uint8 2-D gray or (rows, cols, 3) RGB display array as a BGR cv::Mat (deep copy).
cv::Mat to_bgr(const Array& levels) {
  const int rows = static_cast<int>(levels.extent(0));
  const int cols = static_cast<int>(levels.extent(1));
  cv::Mat out;
  if (levels.rank() == 3) {
    cv::Mat rgb(rows, cols, CV_8UC3, const_cast<void*>(levels.data()));
    cv::cvtColor(rgb, out, cv::COLOR_RGB2BGR);
  } else {
    cv::Mat gray(rows, cols, CV_8UC1, const_cast<void*>(levels.data()));
    cv::cvtColor(gray, out, cv::COLOR_GRAY2BGR);
  }
  return out;
}

/// Largest finite value (0 when there is none): the input's range, the top of the magnitude bar.
double finite_max(const Array& a) {
  double hi = -std::numeric_limits<double>::infinity();
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(a.data());
    for (index_t i = 0; i < a.size(); ++i) {
      const double v = load(p[i]);
      if (std::isfinite(v) && v > hi) hi = v;
    }
  });
  return std::isfinite(hi) ? hi : 0;
}

double finite_min(const Array& a) {
  double lo = std::numeric_limits<double>::infinity();
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(a.data());
    for (index_t i = 0; i < a.size(); ++i) {
      const double v = load(p[i]);
      if (std::isfinite(v) && v < lo) lo = v;
    }
  });
  return std::isfinite(lo) ? lo : 0;
}

/// The direction value edges() reports for a gradient pointing along screen angle `phi` (radians,
/// measured from +x towards +y with y growing downward, as on screen), before range wrapping —
/// the hue wheel wraps by itself. Mirrors convert_angle in edges.cpp.
double angle_for_screen(double phi, const AngleOptions& o) {
  const double gx = std::cos(phi), gy = std::sin(phi);
  double a = o.compass ? std::atan2(gx, -gy) : std::atan2(o.y_up ? -gy : gy, gx);
  if (o.units == AngleUnits::degrees) a *= 180.0 / kPi;
  return a;
}

/// The inverse of angle_for_screen for the label positions: the screen angle whose gradient gets
/// direction `a` (in radians).
double screen_for_angle(double a, const AngleOptions& o) {
  if (o.compass) return a - kPi / 2;
  return o.y_up ? -a : a;
}

std::string angle_label(int quarter, const AngleOptions& o, bool orientation) {
  // Labels at 0, 1/4, 1/2, 3/4 of the period, written in the range the values are reported in.
  const bool wraps = o.compass || o.orientation || o.range == AngleRange::unsigned_range;
  if (orientation) {
    static const char* rad[] = {"0", "pi/4", "pi/2", "3pi/4"};
    static const char* deg[] = {"0", "45", "90", "135"};
    return o.units == AngleUnits::degrees ? deg[quarter] : rad[quarter];
  }
  static const char* rad_signed[] = {"0", "pi/2", "pi", "-pi/2"};
  static const char* rad_unsigned[] = {"0", "pi/2", "pi", "3pi/2"};
  static const char* deg_signed[] = {"0", "90", "180", "-90"};
  static const char* deg_unsigned[] = {"0", "90", "180", "270"};
  if (o.units == AngleUnits::degrees) return wraps ? deg_unsigned[quarter] : deg_signed[quarter];
  return wraps ? rad_unsigned[quarter] : rad_signed[quarter];
}

/// The direction legend: every pixel is colored the way the direction panel colors the direction a
/// gradient pointing from the center to that pixel would get. HSV: by direction_hsv with value =
/// distance from the center, so it reads like the panel (dark where the magnitude is small); gray:
/// by direction_gray over [lo, hi], the angle wrapped into that interval as edges() reports it.
cv::Mat color_wheel(int radius, const AngleOptions& angle, double period, DirectionStyle style) {
  const int size = 2 * radius + 1;
  Array dir(DType::float64, {size, size});
  Array mag(DType::float64, {size, size});
  auto* d = static_cast<double*>(dir.data());
  auto* m = static_cast<double*>(mag.data());
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double dx = x - radius, dy = y - radius;
      const double r = std::hypot(dx, dy) / radius;
      d[y * size + x] = angle_for_screen(std::atan2(dy, dx), angle);
      m[y * size + x] = r <= 1 ? r : 0;
    }
  if (style == DirectionStyle::gray) {
    const auto [lo, hi] = angle_interval(angle);
    for (index_t i = 0; i < dir.size(); ++i) {
      double w = std::fmod(d[i] - lo, hi - lo);
      if (w < 0) w += hi - lo;
      d[i] = lo + w;
    }
    return to_bgr(direction_gray(dir, lo, hi, 8));
  }
  DisplayOptions opts;
  opts.normalization.kind = Normalization::Kind::fixed;
  opts.normalization.max = 1;
  return to_bgr(direction_hsv(dir, mag, opts, period));
}

/// One view of the data: a 2-D image, or one mid-slice of a volume.
struct View {
  std::string label;  // e.g. "axial: z = 40 of 0..79"; empty for 2-D
  Array input;        // uint8 levels
  Array magnitude;    // raw values (may be empty)
  Array direction;    // raw values (may be empty)
  double row_spacing = 1, col_spacing = 1;
  bool flip = false;  // draw row 0 at the bottom (z up)
  cv::Size size;      // panel size on the picture
};

cv::Mat render_panel(const cv::Mat& src, cv::Size size, bool flip) {
  cv::Mat out;
  const bool shrinking = size.width < src.cols || size.height < src.rows;
  // Area averaging when shrinking keeps thin edges visible; nearest when enlarging shows the
  // pixels as they are instead of inventing smooth ones.
  cv::resize(src, out, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_NEAREST);
  if (flip) cv::flip(out, out, 0);
  return out;
}

void paste(cv::Mat& canvas, const cv::Mat& panel, cv::Point at) {
  panel.copyTo(canvas(cv::Rect(at, panel.size())));
  cv::rectangle(canvas, cv::Rect(at.x - 1, at.y - 1, panel.cols + 2, panel.rows + 2), kFrame, 1);
}

double spacing_or_one(const std::vector<double>& s, std::size_t i, std::size_t n) {
  if (s.size() != n || !(s[i] > 0) || !std::isfinite(s[i])) return 1.0;
  return s[i];
}

}  // namespace

void write_overview(const std::string& path, const Image& input, const EdgeMaps& maps,
                    const OverviewInfo& info) {
  {
    std::string ext = path.size() >= 4 ? path.substr(path.size() - 4) : "";
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext != ".png") throw IoError(path + ": an overview is a PNG picture; name it *.png");
  }
  const int spatial = input.spatial_rank();
  if (spatial != 2 && spatial != 3)
    throw InvalidArgument("write_overview: the input must be a 2-D image or a 3-D volume, got " +
                          std::to_string(spatial) + " spatial axes in shape " +
                          shape_string(input.pixels.shape()));
  const Array gray = gray_input(input);

  // The maps carry the input's series axes in front (one map per channel or time point); the
  // overview shows the first, like the input panel.
  auto spatial_part = [&](const Array& a, const char* what) {
    if (a.empty()) return a;
    if (a.rank() < spatial)
      throw ShapeError(std::string("write_overview: ") + what + " map " + shape_string(a.shape()) +
                       " has fewer than " + std::to_string(spatial) + " axes");
    Array s = first_block(a, a.rank() - spatial);
    if (s.shape() != gray.shape())
      throw ShapeError(std::string("write_overview: ") + what + " map " + shape_string(s.shape()) +
                       " does not match the input's spatial shape " + shape_string(gray.shape()));
    return s;
  };
  const Array magnitude = spatial_part(maps.magnitude, "magnitude");
  const Array direction = spatial_part(maps.direction, "direction");
  if (gray.size() == 0)
    throw ShapeError("write_overview: the input " + shape_string(gray.shape()) + " is empty");

  // One scale for the whole picture: input levels from the whole image or volume (min-max), the
  // magnitude's as info.display chooses it from the whole map (the same display_map the written
  // maps get), then applied to every slice, the direction's brightness and the bar, so they agree.
  DisplayOptions minmax;
  minmax.normalization.kind = Normalization::Kind::minmax;
  const Array input_levels = display_map(gray, minmax);
  const double mag_max = magnitude.empty() ? 0 : finite_max(magnitude);
  const double mag_min = magnitude.empty() ? 0 : finite_min(magnitude);
  DisplayOptions mag_opts;
  mag_opts.normalization = info.display.normalization;
  mag_opts.bit_depth = 8;
  DisplayScale mag_scale;
  mag_scale.normalization = mag_opts.normalization;
  if (!magnitude.empty()) display_map(magnitude, mag_opts, false, &mag_scale);
  const std::string norm_text = mag_opts.normalization.to_string();
  const std::string channel = info.channel.empty() ? std::string() : " (" + info.channel + ")";
  double period = info.angle_period;
  if (!(period > 0)) {
    period = (info.angle.orientation && !info.angle.compass) ? kPi : 2 * kPi;
    if (info.angle.units == AngleUnits::degrees) period *= 180.0 / kPi;
  }
  const double full_turn = info.angle.units == AngleUnits::degrees ? 360.0 : 2 * kPi;
  const bool orientation = period < 0.75 * full_turn;

  const std::vector<double>& sp = input.geometry.spacing;
  std::vector<View> views;
  if (spatial == 2) {
    View v;
    v.input = input_levels;
    v.magnitude = magnitude;
    v.direction = direction;
    v.row_spacing = spacing_or_one(sp, 0, 2);
    v.col_spacing = spacing_or_one(sp, 1, 2);
    views.push_back(std::move(v));
  } else {
    // (z, y, x): axial shows (y, x); coronal (z, x) and sagittal (z, y) are drawn with z upward,
    // the way radiology viewers show them.
    static const char* names[] = {"axial", "coronal", "sagittal"};
    static const char* axis_names[] = {"z", "y", "x"};
    for (int axis = 0; axis < 3; ++axis) {
      View v;
      const index_t mid = gray.extent(axis) / 2;
      v.label = std::string(names[axis]) + ": " + axis_names[axis] + " = " + std::to_string(mid) + " of 0.." +
                std::to_string(gray.extent(axis) - 1) + (axis == 0 ? "" : ", z up");
      v.input = slice_3d(input_levels, axis, mid);
      if (!magnitude.empty()) v.magnitude = slice_3d(magnitude, axis, mid);
      if (!direction.empty()) v.direction = slice_3d(direction, axis, mid);
      const int r = axis == 0 ? 1 : 0, c = axis == 2 ? 1 : 2;
      v.row_spacing = spacing_or_one(sp, static_cast<std::size_t>(r), 3);
      v.col_spacing = spacing_or_one(sp, static_cast<std::size_t>(c), 3);
      v.flip = axis != 0;
      views.push_back(std::move(v));
    }
  }

  // Panel sizes: one pixels-per-unit scale for all views, so physical sizes compare across rows
  // and anisotropic voxels are drawn with their true aspect.
  const int target = spatial == 2 ? kPanel2d : kPanel3d;
  double scale = 1e300;
  for (const View& v : views) {
    const double h = static_cast<double>(v.input.extent(0)) * v.row_spacing;
    const double w = static_cast<double>(v.input.extent(1)) * v.col_spacing;
    scale = std::min(scale, target / std::max(h, w));
  }
  for (View& v : views) {
    const double h = static_cast<double>(v.input.extent(0)) * v.row_spacing;
    const double w = static_cast<double>(v.input.extent(1)) * v.col_spacing;
    v.size = cv::Size(std::max(1, static_cast<int>(std::lround(w * scale))),
                      std::max(1, static_cast<int>(std::lround(h * scale))));
  }

  // The input panel is min-max scaled; its caption says what black and white are.
  const bool color = (input.rgb && input.pixels.rank() >= 3) ||
                     (input.series_axes == 1 && spatial == 2 &&
                      (input.pixels.extent(0) == 3 || input.pixels.extent(0) == 4));
  const std::string input_caption = std::string(color ? "input (luminance) " : "input ") +
                                    format_value(finite_min(gray)) + ".." + format_value(finite_max(gray));
  const bool show_mag = !magnitude.empty();
  const bool show_dir = !direction.empty();
  const int columns = 1 + (show_mag ? 1 : 0) + (show_dir ? 1 : 0);
  const int row_label = spatial == 3 ? kRowLabel : 0;
  auto pitch = [](const View& v) { return std::max(v.size.width, kMinPitch) + kGap; };
  int panels_width = 0, panels_height = 0;
  for (const View& v : views) {
    panels_width = std::max(panels_width, (columns - 1) * pitch(v) + std::max(v.size.width, kMinPitch));
    panels_height += row_label + kCaption + v.size.height + kGap;
  }
  const int title_height = 58;
  const int legend_height = kCaption + kBarHeight + 88 + kCaption + 2 * kWheelRadius + 100;
  const int width = kMargin + panels_width + kMargin + kLegendWidth + kMargin;
  const int height = title_height + std::max(panels_height, legend_height) + kMargin;
  cv::Mat canvas(height, width, CV_8UC3, kBackground);

  // Title: file name, then geometry and units.
  std::string title = info.title.empty() ? std::string("gradmap overview") : info.title;
  if (!info.channel.empty()) title += "  -  " + info.channel;
  if (!info.derivative.empty()) title += "  -  " + info.derivative;
  put_text(canvas, title, {kMargin, 24}, 0.65, kText, width - 2 * kMargin);
  std::string sub = "shape " + shape_string(gray.shape());
  if (!info.spacing.empty()) sub += "   spacing " + info.spacing;
  if (!info.units.empty()) sub += "   magnitude in " + info.units;
  put_text(canvas, sub, {kMargin, 46}, 0.45, kDimText, width - 2 * kMargin);

  int y = title_height;
  for (const View& v : views) {
    std::vector<std::pair<std::string, cv::Mat>> panels;
    panels.emplace_back(input_caption, to_bgr(v.input));
    if (show_mag)
      panels.emplace_back("magnitude" + channel, to_bgr(apply_display_scale(v.magnitude, mag_scale)));
    if (show_dir) {
      const std::string what = (spatial == 3 ? "azimuth" : "direction") + channel;
      if (info.direction_style == DirectionStyle::gray) {
        const auto [lo, hi] = angle_interval(info.angle);
        panels.emplace_back(what, to_bgr(direction_gray(v.direction, lo, hi, 8)));
      } else if (v.magnitude.empty()) {
        throw InvalidArgument(
            "write_overview: the HSV direction panel needs the magnitude for its brightness; pass "
            "the magnitude map or use DirectionStyle::gray");
      } else {
        panels.emplace_back(what, to_bgr(direction_hsv(v.direction, v.magnitude, mag_scale, period)));
      }
    }
    if (row_label > 0) put_text(canvas, v.label, {kMargin, y + row_label - 6}, 0.5, kText, panels_width);
    y += row_label;
    int x = kMargin;
    for (const auto& [caption, mat] : panels) {
      put_text(canvas, caption, {x, y + kCaption - 7}, 0.45, kDimText, pitch(v) - 4);
      paste(canvas, render_panel(mat, v.size, v.flip), {x, y + kCaption});
      x += pitch(v);
    }
    y += kCaption + v.size.height + kGap;
  }

  // Legend column: magnitude scale bar (the same display_map as the panels, on a ramp) and the
  // direction wheel.
  const int lx = kMargin + panels_width + kMargin;
  int ly = title_height;
  if (show_mag) {
    put_text(canvas, "magnitude", {lx, ly + kCaption - 7}, 0.45, kText);
    // The bar runs over the scale's [lo, hi] through the same mapping as the panels; its ends are
    // labelled with the values at black and white, and "+" marks a top that clips larger values.
    Array ramp(DType::float64, {kBarHeight, 1});
    auto* r = static_cast<double*>(ramp.data());
    for (int i = 0; i < kBarHeight; ++i)
      r[i] = mag_scale.lo + (mag_scale.hi - mag_scale.lo) * (kBarHeight - 1 - i) / (kBarHeight - 1);
    const cv::Mat bar =
        render_panel(to_bgr(apply_display_scale(ramp, mag_scale)), {kBarWidth, kBarHeight}, false);
    const int by = ly + kCaption + 6;
    paste(canvas, bar, {lx, by});
    const bool clips = mag_max > mag_scale.hi;
    put_text(canvas, format_value(mag_scale.hi) + (clips ? "+" : ""), {lx + kBarWidth + 8, by + 10}, 0.45,
             kText);
    put_text(canvas, format_value(mag_scale.lo), {lx + kBarWidth + 8, by + kBarHeight}, 0.45, kText);
    put_text(canvas, "scaled " + norm_text, {lx, by + kBarHeight + 22}, 0.4, kDimText, kLegendWidth);
    put_text(canvas, "min " + format_value(mag_min) + "  max " + format_value(mag_max),
             {lx, by + kBarHeight + 40}, 0.4, kDimText, kLegendWidth);
    if (!info.units.empty())
      put_text(canvas, info.units, {lx, by + kBarHeight + 58}, 0.4, kDimText, kLegendWidth);
    ly = by + kBarHeight + 76;
  }
  if (show_dir) {
    std::string caption = spatial == 3 ? "azimuth" : (orientation ? "orientation" : "direction");
    put_text(canvas, caption, {lx, ly + kCaption - 7}, 0.45, kText);
    const cv::Mat wheel = color_wheel(kWheelRadius, info.angle, period, info.direction_style);
    const int label_room = 50;  // for the angle labels left and right of the wheel
    const cv::Point origin(lx + label_room, ly + kCaption + 24);
    // Only the disc: the corners of its square would read as a black (flat) frame.
    cv::Mat disc = cv::Mat::zeros(wheel.size(), CV_8UC1);
    cv::circle(disc, {kWheelRadius, kWheelRadius}, kWheelRadius, cv::Scalar(255), cv::FILLED, cv::LINE_8);
    wheel.copyTo(canvas(cv::Rect(origin, wheel.size())), disc);
    const cv::Point center(origin.x + kWheelRadius, origin.y + kWheelRadius);
    const double period_rad = orientation ? kPi : 2 * kPi;
    for (int q = 0; q < 4; ++q) {
      const double phi = screen_for_angle(q * period_rad / 4, info.angle);
      const std::string label = angle_label(q, info.angle, orientation);
      const double rr = kWheelRadius + 10 + 6 * std::fabs(std::sin(phi));  // clear of the rim above and below
      const int tw = text_width(label, 0.4);
      const cv::Point at(static_cast<int>(std::lround(center.x + rr * std::cos(phi) - tw / 2.0 +
                                                      (std::cos(phi) * tw / 2.0))),
                         static_cast<int>(std::lround(center.y + rr * std::sin(phi) + 5)));
      put_text(canvas, label, at, 0.4, kText);
    }
    const char* convention =
        info.angle.compass ? "clockwise from up" : (info.angle.y_up ? "y up (math)" : "y down (image)");
    put_text(canvas, convention, {lx, origin.y + 2 * kWheelRadius + 44}, 0.4, kDimText, kLegendWidth);
    if (info.direction_style == DirectionStyle::gray) {
      put_text(canvas, "gray = angle, not strength", {lx, origin.y + 2 * kWheelRadius + 62}, 0.4, kDimText,
               kLegendWidth);
    } else {
      put_text(canvas, "dark = weak edge (" + norm_text + ")", {lx, origin.y + 2 * kWheelRadius + 62}, 0.4,
               kDimText, kLegendWidth);
    }
  }

  write_atomically(path, [&](const std::string& tmp) {
    bool ok = false;
    try {
      ok = detail::imgcodecs(path).imwrite(tmp, canvas, {});
    } catch (const cv::Exception& e) {
      throw IoError(path + ": cannot write the overview: " + e.what());
    }
    if (!ok) throw IoError(path + ": cannot write the overview (OpenCV's PNG encoder failed)");
  });
}

}  // namespace gradmap
