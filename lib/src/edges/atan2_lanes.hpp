// SPDX-License-Identifier: MIT
// gradmap's float32 atan2, written once on GCC vector lanes of float and compiled into each ISA
// variant (polar_simd.cpp: SSE2, polar_avx2.cpp, polar_avx512.cpp). Every step is an IEEE float32
// operation (+ - * /, compares, bit masks; the kernels are built with -ffp-contract=off, so no FMA),
// so all variants and the vector tails give the same bits for a sample.
//
// Why float32 lanes: atan2 was 40 % of a float32 edge map (issue 15, case C: 9.5 of 23.7 ms) when
// it ran in double lanes; sixteen float lanes per AVX-512 vector do the same work in half the
// vector operations. Why not SLEEF's float atan2: its 1-ulp one is slower still, and its 3.5-ulp one
// measured 2.63 ulp (atan2(0x1.b9dd58p+0, 0x1.b33334p+0)), beyond gradmap's 2-ulp contract.
//
// Accuracy, and why it can be proved exhaustively: the only rounding that depends on both inputs is
// the first, t = min(|x|,|y|) / max(|x|,|y|). Everything after it is a function of the float t in
// [0, 1] and of the octant, so running every float t through the four octant compositions, against
// the exact angle of every real ratio that rounds to t, covers every input pair
// (tests/test_polar_atan2.cpp does, over 2^30 values of t). Worst: 1.58 ulp for atan t, at t = 0x1.0850f4p-1,
// where atan t is just below 1/2 and t just above, so t's own rounding is already 0.86 ulp of the
// result; 1.42 ulp for pi/2 - atan t; 0.85 for pi/2 + atan t and pi - atan t. No range reduction to [0,
// tan(pi/8)]: its (t - 1) / (t + 1) rounds three times in float32, where a longer polynomial on [0, 1] costs
// two more operations.
//
// Included by one .cpp per ISA: everything here has internal linkage, so the variants compiled with
// different -m flags never stand in for one another at link time.
#pragma once

#include <cstring>

#include "gradmap/array.hpp"

namespace gradmap::detail {
namespace {

/// atan(t) = t + t^3 P(t^2) on [0, 1]: P's coefficients, constant term first, rounded to float. A
/// Lawson-weighted least-squares fit of atan's relative error (2.9e-9 before rounding to float),
/// holding atan(1) = pi/4 so that atan2(v, v) gives fl(pi/4) and fl(3pi/4) exactly, as C does;
/// atan2_fit.py beside this file makes them.
constexpr float kAtanP[] = {
    -0x1.55553cp-2f, 0x1.999192p-3f,  -0x1.241d4ep-3f, 0x1.c06b5p-4f,    -0x1.57a8aep-4f,
    0x1.d8db16p-5f,  -0x1.fad282p-6f, 0x1.613098p-7f,  -0x1.cde326p-10f,
};
/// pi/2 and pi as float hi + lo pairs: the octant step adds the lo part to the small terms first.
constexpr float kHalfPiHi = 0x1.921fb6p+0f, kHalfPiLo = -0x1.777a5cp-25f;
constexpr float kPiHi = 0x1.921fb6p+1f, kPiLo = -0x1.777a5cp-24f;

/// W float lanes.
template <int W>
struct Lanes {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef int I __attribute__((vector_size(4 * W)));
};

/// atan2(y, x) lane by lane, with C's results for zeros (atan2(±0, -0) = ±pi), infinities and NaN.
/// t = min/max in [0, 1] (1 for two infinities, 0 for two zeros); a = t + c with c = t^3 P(t^2);
/// then the octant: the angle is C ± a with C in {0, pi/2, pi}, evaluated as
/// C_hi + (±t + (±c + C_lo)); the sign of y last.
template <int W>
inline typename Lanes<W>::F atan2_lanes(typename Lanes<W>::F y, typename Lanes<W>::F x) {
  using F = typename Lanes<W>::F;
  using I = typename Lanes<W>::I;
  constexpr float kInf = __builtin_inff();
  const I abs_mask = I{} + 0x7fffffff;
  const I sign_bit = ~abs_mask;
  const F ax = (F)((I)x & abs_mask), ay = (F)((I)y & abs_mask);
  const I y_major = ay > ax;
  const F mn = y_major ? ax : ay, mx = y_major ? ay : ax;
  const I both_inf = mn == kInf;
  const I zero = mx == 0.0f;
  const F one = F{} + 1.0f;
  const F t = (both_inf ? one : mn) / ((both_inf | zero) ? one : mx);
  const F s = t * t;
  F q = F{} + kAtanP[8];
  for (int k = 7; k >= 0; --k) q = q * s + kAtanP[k];
  const F c = (t * s) * q;
  const I x_neg = (I)x < 0;  // the sign bit of x, -0 included
  const I flip = (y_major ^ x_neg) & sign_bit;
  const F hi = y_major ? F{} + kHalfPiHi : (x_neg ? F{} + kPiHi : F{});
  const F lo = y_major ? F{} + kHalfPiLo : (x_neg ? F{} + kPiLo : F{});
  F a = hi + ((F)((I)t ^ flip) + ((F)((I)c ^ flip) + lo));
  a = (F)((I)a | ((I)y & sign_bit));  // a >= 0 here: the sign of y
  const I nan = (x != x) | (y != y);
  return nan ? x + y : a;
}

/// out[j] = atan2(y[j], x[j]) for float32, W lanes at a time; the tail through a zero-padded
/// vector (same lanes, same results).
template <int W>
void atan2_f32_lanes(const float* y, const float* x, float* out, index_t n) {
  using F = typename Lanes<W>::F;
  auto one = [](const float* py, const float* px, float* po) {
    F fy, fx;
    std::memcpy(&fy, py, sizeof fy);
    std::memcpy(&fx, px, sizeof fx);
    const F r = atan2_lanes<W>(fy, fx);
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
