// SPDX-License-Identifier: MIT
// Compiled with -mavx2 -mfma (only this file): called only after polar_simd.cpp has checked the CPU.
#include <immintrin.h>
#include <sleef.h>

#include <algorithm>

#include "edges/atan2_lanes.hpp"
#include "edges/polar_simd.hpp"

namespace gradmap::detail {

void atan2_f32_avx2(const float* y, const float* x, float* out, index_t n) {
  atan2_f32_lanes<8>(y, x, out, n);
}

void atan2_f64_avx2(const double* y, const double* x, double* out, index_t n) {
  index_t j = 0;
  for (; j + 4 <= n; j += 4)
    _mm256_storeu_pd(out + j, Sleef_atan2d4_u10avx2(_mm256_loadu_pd(y + j), _mm256_loadu_pd(x + j)));
  if (j < n) {
    alignas(32) double ty[4] = {}, tx[4] = {}, to[4];
    std::copy(y + j, y + n, ty);
    std::copy(x + j, x + n, tx);
    _mm256_store_pd(to, Sleef_atan2d4_u10avx2(_mm256_load_pd(ty), _mm256_load_pd(tx)));
    std::copy(to, to + (n - j), out + j);
  }
}

void atan2_f64_for_float_avx2(const double* y, const double* x, double* out, index_t n) {
  index_t j = 0;
  for (; j + 4 <= n; j += 4)
    _mm256_storeu_pd(out + j, Sleef_atan2d4_u35avx2(_mm256_loadu_pd(y + j), _mm256_loadu_pd(x + j)));
  if (j < n) {
    alignas(32) double ty[4] = {}, tx[4] = {}, to[4];
    std::copy(y + j, y + n, ty);
    std::copy(x + j, x + n, tx);
    _mm256_store_pd(to, Sleef_atan2d4_u35avx2(_mm256_load_pd(ty), _mm256_load_pd(tx)));
    std::copy(to, to + (n - j), out + j);
  }
}

namespace {

/// Eight float lanes: squares summed in double (two halves), square root, rounded to float;
/// lanes holding an infinity give +inf even next to a NaN.
template <int N>
inline __m256 hypot8(const __m256* v) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 inf = _mm256_set1_ps(__builtin_inff());
  __m256 is_inf = _mm256_setzero_ps();
  for (int k = 0; k < N; ++k) {
    const __m256d l = _mm256_cvtps_pd(_mm256_castps256_ps128(v[k]));
    const __m256d h = _mm256_cvtps_pd(_mm256_extractf128_ps(v[k], 1));
    lo = _mm256_add_pd(lo, _mm256_mul_pd(l, l));
    hi = _mm256_add_pd(hi, _mm256_mul_pd(h, h));
    is_inf = _mm256_or_ps(is_inf, _mm256_cmp_ps(_mm256_and_ps(v[k], abs_mask), inf, _CMP_EQ_OQ));
  }
  const __m256 r = _mm256_set_m128(_mm256_cvtpd_ps(_mm256_sqrt_pd(hi)), _mm256_cvtpd_ps(_mm256_sqrt_pd(lo)));
  return _mm256_blendv_ps(r, inf, is_inf);
}

}  // namespace

// Note: the first sum is 0 + x*x, which is exactly x*x, so the lane arithmetic equals the scalar
// reference's x*x + y*y (+ z*z) operation for operation.
void hypot2_f32_avx2(const float* a, const float* b, float* out, index_t n) {
  index_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v[2] = {_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j)};
    _mm256_storeu_ps(out + j, hypot8<2>(v));
  }
  for (; j < n; ++j) out[j] = hypot_f32_ref(a[j], b[j]);
}

void hypot3_f32_avx2(const float* a, const float* b, const float* c, float* out, index_t n) {
  index_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v[3] = {_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), _mm256_loadu_ps(c + j)};
    _mm256_storeu_ps(out + j, hypot8<3>(v));
  }
  for (; j < n; ++j) out[j] = hypot_f32_ref(a[j], b[j], c[j]);
}

}  // namespace gradmap::detail
