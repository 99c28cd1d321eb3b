// SPDX-License-Identifier: MIT
// gradmap from C++: numpy.gradient on an owning Array and on someone else's buffer, edge maps into
// caller-owned buffers on at most two threads. Exits 0 when every result matches the analytic gradient.
#include <cmath>
#include <cstdio>
#include <vector>

#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"

int main() {
  // f(y, x) = 3x + 2y² on a 6 × 8 grid; 0.5 mm between rows, 0.25 mm between columns.
  const gradmap::index_t rows = 6, cols = 8;
  const double dy = 0.5, dx = 0.25;
  gradmap::Array f(gradmap::DType::float64, {rows, cols});
  auto fv = f.view<double>();
  for (gradmap::index_t r = 0; r < rows; ++r)
    for (gradmap::index_t c = 0; c < cols; ++c) fv({r, c}) = 3.0 * (c * dx) + 2.0 * (r * dy) * (r * dy);

  // Equivalent to numpy.gradient(f, 0.5, 0.25, edge_order=2): exact on this quadratic.
  gradmap::GradientOptions options;
  options.spacing = {gradmap::AxisSpacing::uniform(dy), gradmap::AxisSpacing::uniform(dx)};
  options.edge_order = 2;
  const std::vector<gradmap::Array> g = gradmap::gradient(f, options);  // {d/dy, d/dx}, float64
  const auto gy = g[0].view<double>();
  const auto gx = g[1].view<double>();

  int bad = 0;
  for (gradmap::index_t r = 0; r < rows; ++r)
    for (gradmap::index_t c = 0; c < cols; ++c) {
      if (std::abs(gx({r, c}) - 3.0) > 1e-12) ++bad;
      if (std::abs(gy({r, c}) - 4.0 * r * dy) > 1e-12) ++bad;
    }

  // Any strided buffer is an ArrayView: pointer, extents, strides in elements (a numpy array's
  // byte strides divided by its itemsize). Here: every other column of f, as float64, no copy.
  const gradmap::ConstArrayView<double> every_other(fv.data(), {rows, cols / 2}, {cols, 2});
  gradmap::GradientOptions strided;
  strided.spacing = {gradmap::AxisSpacing::uniform(dy), gradmap::AxisSpacing::uniform(2 * dx)};
  const auto h = gradmap::gradient(every_other, strided);
  if (std::abs(h[1].view<double>()({2, 1}) - 3.0) > 1e-12) ++bad;

  // Magnitude and direction in one fused pass, on at most two threads, into the caller's buffers
  // (edges() would allocate them).
  gradmap::EdgeOptions edge_options;
  edge_options.gradient = options;
  edge_options.gradient.threads = 2;
  std::vector<double> magnitude(rows * cols), direction(rows * cols);
  gradmap::EdgeViews<double> maps;
  maps.magnitude = gradmap::ArrayView<double>(magnitude.data(), {rows, cols});
  maps.direction = gradmap::ArrayView<double>(direction.data(), {rows, cols});
  gradmap::edges_into(fv, maps, edge_options);
  const double m = maps.magnitude({3, 4});
  const double a = maps.direction({3, 4});  // radians, atan2(gy, gx), in (-π, π]
  if (std::abs(m - std::hypot(4.0 * 3 * dy, 3.0)) > 1e-12 ||
      std::abs(a - std::atan2(4.0 * 3 * dy, 3.0)) > 1e-12)
    ++bad;

  std::printf("gx(3,4) = %g  gy(3,4) = %g  |g| = %g  angle = %g rad\n", gx({3, 4}), gy({3, 4}), m, a);
  std::printf("%s\n", bad == 0 ? "ok" : "MISMATCH");
  return bad == 0 ? 0 : 1;
}
