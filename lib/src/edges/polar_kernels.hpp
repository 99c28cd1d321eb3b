// SPDX-License-Identifier: MIT
// Per-sample magnitude and direction math, shared by the fused (tiled) and unfused edge-map paths
// so both give the same bits. Values arrive as numpy's gradient result type F (Half, float,
// double) and each result is rounded to F, as the numpy pipeline `np.hypot`, `np.arctan2` would.
#pragma once

#include <cmath>
#include <limits>

#include "core/numeric.hpp"

namespace gradmap::detail {

/// hypot of 1..n components. float and half: the sum of squares in double cannot overflow and has
/// 53 bits, so the rounded square root is within 1 ulp (this is glibc's own hypotf). double: two
/// components use libm's hypot (numpy's np.hypot); more use long double, whose exponent range and
/// 64-bit significand keep the result within 1 ulp without scaling.
template <class C>
inline C hypot_n(const C* g, int n) {
  bool any_inf = false;
  for (int k = 0; k < n; ++k) any_inf = any_inf || std::isinf(static_cast<double>(g[k]));
  if (any_inf) return cvt<C>(std::numeric_limits<double>::infinity());  // hypot(inf, nan) is inf
  if constexpr (std::is_same_v<C, double>) {
    if (n == 1) return std::fabs(g[0]);
    if (n == 2) return std::hypot(g[0], g[1]);
    long double s = 0;
    for (int k = 0; k < n; ++k) s += static_cast<long double>(g[k]) * static_cast<long double>(g[k]);
    return static_cast<double>(std::sqrt(s));
  } else {
    double s = 0;
    for (int k = 0; k < n; ++k) {
      const double v = cvt<double>(g[k]);
      s += v * v;
    }
    return cvt<C>(std::sqrt(s));
  }
}

/// atan2 rounded to C. For float and half it is evaluated in double and rounded once, which is
/// within 1 ulp of the correctly rounded value; for double it is libm's atan2 (numpy's).
template <class C>
inline C atan2_c(C y, C x) {
  if constexpr (std::is_same_v<C, double>)
    return std::atan2(y, x);
  else
    return cvt<C>(std::atan2(cvt<double>(y), cvt<double>(x)));
}

}  // namespace gradmap::detail
