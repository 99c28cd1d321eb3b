// SPDX-License-Identifier: MIT
#include "edges/polar_simd.hpp"

#include <emmintrin.h>
#include <sleef.h>

#include <algorithm>

#include "edges/atan2_lanes.hpp"

namespace gradmap::detail {
namespace {

bool use_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

bool use_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

}  // namespace

const char* simd_variant() { return use_avx512() ? "avx512f" : use_avx2() ? "avx2" : "sse2"; }

void atan2_f32_sse2(const float* y, const float* x, float* out, index_t n) {
  atan2_f32_lanes<4>(y, x, out, n);
}

void atan2_f32(const float* y, const float* x, float* out, index_t n) {
  if (use_avx512()) return atan2_f32_avx512(y, x, out, n);
  if (use_avx2()) return atan2_f32_avx2(y, x, out, n);
  atan2_f32_sse2(y, x, out, n);
}

void atan2_f64(const double* y, const double* x, double* out, index_t n) {
  if (use_avx512()) return atan2_f64_avx512(y, x, out, n);
  if (use_avx2()) return atan2_f64_avx2(y, x, out, n);
  index_t j = 0;
  for (; j + 2 <= n; j += 2)
    _mm_storeu_pd(out + j, Sleef_atan2d2_u10sse2(_mm_loadu_pd(y + j), _mm_loadu_pd(x + j)));
  if (j < n) out[j] = _mm_cvtsd_f64(Sleef_atan2d2_u10sse2(_mm_set1_pd(y[j]), _mm_set1_pd(x[j])));
}

void atan2_f64_for_float(const double* y, const double* x, double* out, index_t n) {
  if (use_avx512()) return atan2_f64_for_float_avx512(y, x, out, n);
  if (use_avx2()) return atan2_f64_for_float_avx2(y, x, out, n);
  index_t j = 0;
  for (; j + 2 <= n; j += 2)
    _mm_storeu_pd(out + j, Sleef_atan2d2_u35sse2(_mm_loadu_pd(y + j), _mm_loadu_pd(x + j)));
  if (j < n) out[j] = _mm_cvtsd_f64(Sleef_atan2d2_u35sse2(_mm_set1_pd(y[j]), _mm_set1_pd(x[j])));
}

void hypot2_f32(const float* a, const float* b, float* out, index_t n) {
  if (use_avx512()) return hypot2_f32_avx512(a, b, out, n);
  if (use_avx2()) return hypot2_f32_avx2(a, b, out, n);
  for (index_t j = 0; j < n; ++j) out[j] = hypot_f32_ref(a[j], b[j]);
}

void polar2_f32(const float* y, const float* x, float* mag, float* dir, index_t n) {
  if (use_avx512()) return polar2_f32_avx512(y, x, mag, dir, n);
  hypot2_f32(y, x, mag, n);
  atan2_f32(y, x, dir, n);
}

void polar2_f32_exact_squares(const float* y, const float* x, float* mag, float* dir, index_t n) {
  if (use_avx512()) return polar2_f32_exact_squares_avx512(y, x, mag, dir, n);
  polar2_f32(y, x, mag, dir, n);
}

void hypot3_f32(const float* a, const float* b, const float* c, float* out, index_t n) {
  if (use_avx512()) return hypot3_f32_avx512(a, b, c, out, n);
  if (use_avx2()) return hypot3_f32_avx2(a, b, c, out, n);
  for (index_t j = 0; j < n; ++j) out[j] = hypot_f32_ref(a[j], b[j], c[j]);
}

}  // namespace gradmap::detail
