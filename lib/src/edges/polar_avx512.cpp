// SPDX-License-Identifier: MIT
// Compiled with -mavx512f (only this file): called only after polar_simd.cpp has checked the CPU.
// AVX-512 is where atan2 is most of an edge map's work: float32 directions run gradmap's atan2 in
// intrinsics (sixteen float lanes), float64 SLEEF's eight lanes.
// GCC 12's casts between 512- and 256-bit vectors start from _mm512_undefined_*(), which its own
// -Wmaybe-uninitialized then reports from the header at -O1 (the sanitizer builds).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <sleef.h>

#include <algorithm>
#include <cstdint>

#include "edges/atan2_lanes.hpp"
#include "edges/polar_simd.hpp"

namespace gradmap::detail {
namespace {

/// Whole vectors, then the tail through a zero-padded vector (same lanes, same results).
template <int W, class T, class Load, class Store, class Fn>
void blocks(const T* y, const T* x, T* out, index_t n, Load load, Store store, Fn fn) {
  index_t j = 0;
  for (; j + W <= n; j += W) store(out + j, fn(load(y + j), load(x + j)));
  if (j < n) {
    alignas(64) T ty[W] = {}, tx[W] = {}, to[W];
    std::copy(y + j, y + n, ty);
    std::copy(x + j, x + n, tx);
    store(to, fn(load(ty), load(tx)));
    std::copy(to, to + (n - j), out + j);
  }
}

}  // namespace

namespace {

/// atan2_lanes (atan2_lanes.hpp) for sixteen float lanes of finite inputs, operation for operation
/// (so the same bits); `special` flags the lanes holding an infinity or NaN (or two finite values
/// whose sum overflows), which the caller recomputes with the generic form.
inline __m512 atan2_finite16(__m512 y, __m512 x, __mmask16* special) {
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), sign_bit = _mm512_set1_epi32(INT32_MIN);
  const __m512 ax = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), abs_mask)),
               ay = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(y), abs_mask));
  *special = _mm512_cmp_ps_mask(_mm512_add_ps(ax, ay), _mm512_set1_ps(__builtin_inff()), _CMP_NLT_UQ);
  const __mmask16 y_major = _mm512_cmp_ps_mask(ay, ax, _CMP_GT_OQ);
  const __m512 mn = _mm512_min_ps(ax, ay), mx = _mm512_max_ps(ax, ay);
  const __mmask16 zero = _mm512_cmp_ps_mask(mx, _mm512_setzero_ps(), _CMP_EQ_OQ);
  const __m512 t = _mm512_div_ps(mn, _mm512_mask_mov_ps(mx, zero, _mm512_set1_ps(1.0f)));
  const __m512 s = _mm512_mul_ps(t, t);
  __m512 q = _mm512_set1_ps(kAtanP[8]);
  for (int k = 7; k >= 0; --k) q = _mm512_add_ps(_mm512_mul_ps(q, s), _mm512_set1_ps(kAtanP[k]));
  const __m512 c = _mm512_mul_ps(_mm512_mul_ps(t, s), q);
  const __mmask16 x_neg =
      _mm512_cmp_epi32_mask(_mm512_castps_si512(x), _mm512_setzero_si512(), _MM_CMPINT_LT);
  const __mmask16 flip = static_cast<__mmask16>(y_major ^ x_neg);
  const __m512 hi = _mm512_mask_mov_ps(_mm512_maskz_mov_ps(x_neg, _mm512_set1_ps(kPiHi)), y_major,
                                       _mm512_set1_ps(kHalfPiHi));
  const __m512 lo = _mm512_mask_mov_ps(_mm512_maskz_mov_ps(x_neg, _mm512_set1_ps(kPiLo)), y_major,
                                       _mm512_set1_ps(kHalfPiLo));
  auto negate_if_flip = [&](__m512 v) {
    const __m512i b = _mm512_castps_si512(v);
    return _mm512_castsi512_ps(_mm512_mask_xor_epi32(b, flip, b, sign_bit));
  };
  const __m512 a = _mm512_add_ps(hi, _mm512_add_ps(negate_if_flip(t), _mm512_add_ps(negate_if_flip(c), lo)));
  // a >= 0 here: a | (y & sign)
  return _mm512_castsi512_ps(
      _mm512_ternarylogic_epi32(_mm512_castps_si512(a), _mm512_castps_si512(y), sign_bit, 0xF8));
}

}  // namespace

void atan2_f32_avx512(const float* y, const float* x, float* out, index_t n) {
  index_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __mmask16 special;
    _mm512_storeu_ps(out + j, atan2_finite16(_mm512_loadu_ps(y + j), _mm512_loadu_ps(x + j), &special));
    if (special) atan2_f32_lanes<16>(y + j, x + j, out + j, 16);  // infinities, NaN: C's results
  }
  atan2_f32_lanes<16>(y + j, x + j, out + j, n - j);
}

// hypot2_f32 and atan2_f32 of the same float32 pair in one pass: the samples are loaded and
// widened to double once for both (the same operations per lane as each of them, so the same bits).
void polar2_f32_avx512(const float* y, const float* x, float* mag, float* dir, index_t n) {
  const __m512 inf = _mm512_set1_ps(__builtin_inff());
  const __m512i abs_bits = _mm512_set1_epi32(0x7fffffff);
  index_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 fy = _mm512_loadu_ps(y + j), fx = _mm512_loadu_ps(x + j);
    auto upper = [](__m512 v) {
      return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    };
    const __m512d ylo = _mm512_cvtps_pd(_mm512_castps512_ps256(fy)), yhi = upper(fy);
    const __m512d xlo = _mm512_cvtps_pd(_mm512_castps512_ps256(fx)), xhi = upper(fx);
    // Magnitude: hypot16<2>'s operations with y first (0 + y*y = y*y exactly; the sum of two
    // squares is the same in either order).
    const __m512d slo = _mm512_add_pd(_mm512_mul_pd(ylo, ylo), _mm512_mul_pd(xlo, xlo));
    const __m512d shi = _mm512_add_pd(_mm512_mul_pd(yhi, yhi), _mm512_mul_pd(xhi, xhi));
    const __m256 rl = _mm512_cvtpd_ps(_mm512_sqrt_pd(slo)), rh = _mm512_cvtpd_ps(_mm512_sqrt_pd(shi));
    const __m512 r = _mm512_castpd_ps(
        _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(rl)), _mm256_castps_pd(rh), 1));
    const __mmask16 is_inf =
        _mm512_cmp_ps_mask(_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(fy), abs_bits)), inf,
                           _CMP_EQ_OQ) |
        _mm512_cmp_ps_mask(_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(fx), abs_bits)), inf,
                           _CMP_EQ_OQ);
    _mm512_storeu_ps(mag + j, _mm512_mask_blend_ps(is_inf, r, inf));
    __mmask16 special;
    _mm512_storeu_ps(dir + j, atan2_finite16(fy, fx, &special));
    if (special) atan2_f32_lanes<16>(y + j, x + j, dir + j, 16);  // infinities, NaN: C's results
  }
  for (index_t k = j; k < n; ++k) mag[k] = hypot_f32_ref(y[k], x[k]);
  atan2_f32_lanes<16>(y + j, x + j, dir + j, n - j);
}

// polar2_f32_avx512 where the squares and their sum are exact in float32: the magnitude is one
// float32 multiply-add-root per lane instead of a widening to double and back.
void polar2_f32_exact_squares_avx512(const float* y, const float* x, float* mag, float* dir, index_t n) {
  index_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 fy = _mm512_loadu_ps(y + j), fx = _mm512_loadu_ps(x + j);
    _mm512_storeu_ps(mag + j, _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(fy, fy), _mm512_mul_ps(fx, fx))));
    __mmask16 special;
    _mm512_storeu_ps(dir + j, atan2_finite16(fy, fx, &special));
    if (special) atan2_f32_lanes<16>(y + j, x + j, dir + j, 16);  // not met by finite integer data
  }
  for (index_t k = j; k < n; ++k) mag[k] = hypot_f32_ref(y[k], x[k]);
  atan2_f32_lanes<16>(y + j, x + j, dir + j, n - j);
}

void atan2_f64_avx512(const double* y, const double* x, double* out, index_t n) {
  blocks<8>(
      y, x, out, n, [](const double* p) { return _mm512_loadu_pd(p); },
      [](double* p, __m512d v) { _mm512_storeu_pd(p, v); },
      [](__m512d a, __m512d b) { return Sleef_atan2d8_u10avx512f(a, b); });
}

void atan2_f64_for_float_avx512(const double* y, const double* x, double* out, index_t n) {
  blocks<8>(
      y, x, out, n, [](const double* p) { return _mm512_loadu_pd(p); },
      [](double* p, __m512d v) { _mm512_storeu_pd(p, v); },
      [](__m512d a, __m512d b) { return Sleef_atan2d8_u35avx512f(a, b); });
}

namespace {

/// Sixteen float lanes of hypot_f32_ref: squares summed in double (two halves of eight), square
/// root, rounded to float; lanes holding an infinity give +inf even next to a NaN.
template <int N>
inline __m512 hypot16(const __m512* v) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  const __m512 inf = _mm512_set1_ps(__builtin_inff());
  __mmask16 is_inf = 0;
  for (int k = 0; k < N; ++k) {
    const __m512d l = _mm512_cvtps_pd(_mm512_castps512_ps256(v[k]));
    const __m512d h = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[k]), 1)));
    lo = _mm512_add_pd(lo, _mm512_mul_pd(l, l));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(h, h));
    const __m512 a =
        _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v[k]), _mm512_set1_epi32(0x7fffffff)));
    is_inf = static_cast<__mmask16>(is_inf | _mm512_cmp_ps_mask(a, inf, _CMP_EQ_OQ));
  }
  const __m256 rl = _mm512_cvtpd_ps(_mm512_sqrt_pd(lo)), rh = _mm512_cvtpd_ps(_mm512_sqrt_pd(hi));
  const __m512 r = _mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(rl)), _mm256_castps_pd(rh), 1));
  return _mm512_mask_blend_ps(is_inf, r, inf);
}

}  // namespace

// As in the AVX2 variant, the first sum is 0 + x*x = x*x exactly, so every lane performs the
// scalar reference's operations in its order: all variants give the same bits.
void hypot2_f32_avx512(const float* a, const float* b, float* out, index_t n) {
  index_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 v[2] = {_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j)};
    _mm512_storeu_ps(out + j, hypot16<2>(v));
  }
  for (; j < n; ++j) out[j] = hypot_f32_ref(a[j], b[j]);
}

void hypot3_f32_avx512(const float* a, const float* b, const float* c, float* out, index_t n) {
  index_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 v[3] = {_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), _mm512_loadu_ps(c + j)};
    _mm512_storeu_ps(out + j, hypot16<3>(v));
  }
  for (; j < n; ++j) out[j] = hypot_f32_ref(a[j], b[j], c[j]);
}

}  // namespace gradmap::detail
