// SPDX-License-Identifier: MIT
// gradmap's float32 atan2, written once on GCC vector lanes and compiled into each ISA variant
// (polar_simd.cpp: SSE2, polar_avx2.cpp, polar_avx512.cpp). Every step is an IEEE double operation
// (+ - * /, compares, bit masks; the kernels are built with -ffp-contract=off, so no FMA), so all
// variants and the vector tails give the same bits for a sample.
//
// Why not SLEEF: its 1-ulp float atan2 was half of case C (issue 15), and its 3.5-ulp one measured
// 2.63 ulp (atan2(0x1.b9dd58p+0, 0x1.b33334p+0)), beyond the 2-ulp contract. Carried out in double,
// one division and a degree-5 polynomial suffice: the result before the final rounding is within
// 2^-33 (relative) of the exact angle, so the float32 result is within 0.51 ulp (correctly rounded
// except within 2^-9 ulp of a tie). tests/test_polar_atan2.cpp measures it. polar_avx512.cpp has
// the same operations in intrinsics for finite lanes (1.5x faster than SLEEF's 1-ulp atan2f there;
// this generic form is only as fast as SLEEF with AVX-512) and falls back to this one for vectors
// holding an infinity or NaN.
//
// Included by one .cpp per ISA: everything here has internal linkage, so the variants compiled with
// different -m flags never stand in for one another at link time.
#pragma once

// The SSE2 variant passes W = 8 lanes (32-byte vectors) between these functions, and GCC notes
// that such a call's ABI changed in GCC 4.6; everything here has internal linkage and is inlined,
// so no call crosses a compiler or ISA boundary.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cstring>

#include "gradmap/array.hpp"

namespace gradmap::detail {
namespace {

/// W double lanes (W float inputs and outputs).
template <int W>
struct Lanes {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef double D __attribute__((vector_size(8 * W)));
  typedef long long I __attribute__((vector_size(8 * W)));
};

/// atan2(y, x) lane by lane, with C's results for zeros (atan2(±0, -0) = ±pi), infinities and NaN.
/// Reduction: t = min(|x|,|y|) / max(|x|,|y|) in [0, 1], and above tan(pi/8) the same division
/// carries t' = (min - max) / (min + max) (exact numerator and denominator: the exponents of min and
/// max differ by at most 2) with pi/4 added back; then atan(t) = t + t^3 P(t^2) on |t| <= tan(pi/8),
/// P the minimax fit of degree 5 (mpmath chebyfit, relative error 8.5e-11 of atan); then the octant
/// and the quadrant.
template <int W>
inline typename Lanes<W>::D atan2_lanes(typename Lanes<W>::D y, typename Lanes<W>::D x) {
  using D = typename Lanes<W>::D;
  using I = typename Lanes<W>::I;
  constexpr double kPi = 3.141592653589793238462643383279502884;
  constexpr double kTanPi8 = 0.41421356237309504880;
  constexpr double kInf = __builtin_inf();
  const I abs_mask = I{} + 0x7fffffffffffffffLL;
  const D ax = (D)((I)x & abs_mask), ay = (D)((I)y & abs_mask);
  const I y_major = ay > ax;
  const D mn = y_major ? ax : ay, mx = y_major ? ay : ax;
  const I both_inf = mn == kInf;  // atan(inf / inf) is pi/4
  const I zero = mx == 0.0;       // atan2(±0, ±0): the octant and quadrant steps give C's value
  const I upper = (mn > mx * kTanPi8) | both_inf;
  const I no_div = both_inf | zero;
  const D num = no_div ? D{} : (upper ? mn - mx : mn);
  const D den = no_div ? D{} + 1.0 : (upper ? mn + mx : mx);
  const D t = num / den, s = t * t;
  D q = D{} + 0.050481385120797443928;
  q = q * s + -0.086246761452494936521;
  q = q * s + 0.11071365021884793981;
  q = q * s + -0.14284151193628613917;
  q = q * s + 0.19999977258688385552;
  q = q * s + -0.33333333279254800128;
  D a = t + (t * s) * q;
  a = upper ? a + kPi / 4 : a;
  a = y_major ? kPi / 2 - a : a;
  a = (I)x < 0 ? kPi - a : a;          // the sign bit of x, -0 included
  a = (D)((I)a | ((I)y & ~abs_mask));  // a >= 0 here: the sign of y
  const I nan = (x != x) | (y != y);
  return nan ? x + y : a;
}

/// out[j] = atan2(y[j], x[j]) for float32, W lanes at a time; the tail through a zero-padded
/// vector (same lanes, same results).
template <int W>
void atan2_f32_lanes(const float* y, const float* x, float* out, index_t n) {
  using F = typename Lanes<W>::F;
  using D = typename Lanes<W>::D;
  auto one = [](const float* py, const float* px, float* po) {
    F fy, fx;
    std::memcpy(&fy, py, sizeof fy);
    std::memcpy(&fx, px, sizeof fx);
    const F r = __builtin_convertvector(
        atan2_lanes<W>(__builtin_convertvector(fy, D), __builtin_convertvector(fx, D)), F);
    std::memcpy(po, &r, sizeof r);
  };
  index_t j = 0;
  for (; j + W <= n; j += W) one(y + j, x + j, out + j);
  const auto rest = static_cast<int>(n - j);  // < W
  if (rest > 0) {
    float ty[W] = {}, tx[W] = {}, to[W];
    std::memcpy(ty, y + j, sizeof(float) * static_cast<std::size_t>(rest));
    std::memcpy(tx, x + j, sizeof(float) * static_cast<std::size_t>(rest));
    one(ty, tx, to);
    std::memcpy(out + j, to, sizeof(float) * static_cast<std::size_t>(rest));
  }
}

}  // namespace
}  // namespace gradmap::detail
