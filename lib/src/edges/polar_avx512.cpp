// SPDX-License-Identifier: MIT
// Compiled with -mavx512f (only this file): called only after polar_simd.cpp has checked the CPU.
// AVX-512 is where atan2 is most of an edge map's work: float32 directions run gradmap's atan2 in
// intrinsics (sixteen samples as two halves of eight double lanes), float64 SLEEF's eight lanes.
// GCC 12's casts between 512- and 256-bit vectors start from _mm512_undefined_*(), which its own
// -Wmaybe-uninitialized then reports from the header at -O1 (the sanitizer builds).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <sleef.h>

#include <algorithm>

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

/// atan2_lanes (atan2_lanes.hpp) for eight double lanes of finite inputs, operation for operation
/// (so the same bits); `special` flags the lanes holding an infinity or NaN, which the caller
/// recomputes with the generic form.
inline __m512d atan2_finite8(__m512d y, __m512d x, __mmask8* special) {
  const __m512d abs_mask = _mm512_castsi512_pd(_mm512_set1_epi64(0x7fffffffffffffffLL));
  const __m512d ax = _mm512_castsi512_pd(
                    _mm512_and_si512(_mm512_castpd_si512(x), _mm512_castpd_si512(abs_mask))),
                ay = _mm512_castsi512_pd(
                    _mm512_and_si512(_mm512_castpd_si512(y), _mm512_castpd_si512(abs_mask)));
  const __mmask8 y_major = _mm512_cmp_pd_mask(ay, ax, _CMP_GT_OQ);
  const __m512d mn = _mm512_min_pd(ax, ay), mx = _mm512_max_pd(ax, ay);
  *special =
      _mm512_cmp_pd_mask(_mm512_add_pd(ax, ay), _mm512_set1_pd(__builtin_inf()), _CMP_NLT_UQ);  // inf or NaN
  const __mmask8 upper =
      _mm512_cmp_pd_mask(mn, _mm512_mul_pd(mx, _mm512_set1_pd(0.41421356237309504880)), _CMP_GT_OQ);
  const __mmask8 zero = _mm512_cmp_pd_mask(mx, _mm512_setzero_pd(), _CMP_EQ_OQ);
  const __m512d num = _mm512_mask_sub_pd(mn, upper, mn, mx);
  __m512d den = _mm512_mask_add_pd(mx, upper, mn, mx);
  den = _mm512_mask_mov_pd(den, zero, _mm512_set1_pd(1.0));
  const __m512d t = _mm512_div_pd(num, den), s = _mm512_mul_pd(t, t);
  __m512d q = _mm512_set1_pd(0.050481385120797443928);
  q = _mm512_add_pd(_mm512_mul_pd(q, s), _mm512_set1_pd(-0.086246761452494936521));
  q = _mm512_add_pd(_mm512_mul_pd(q, s), _mm512_set1_pd(0.11071365021884793981));
  q = _mm512_add_pd(_mm512_mul_pd(q, s), _mm512_set1_pd(-0.14284151193628613917));
  q = _mm512_add_pd(_mm512_mul_pd(q, s), _mm512_set1_pd(0.19999977258688385552));
  q = _mm512_add_pd(_mm512_mul_pd(q, s), _mm512_set1_pd(-0.33333333279254800128));
  __m512d a = _mm512_add_pd(t, _mm512_mul_pd(_mm512_mul_pd(t, s), q));
  a = _mm512_mask_add_pd(a, upper, a, _mm512_set1_pd(3.141592653589793238462643383279502884 / 4));
  a = _mm512_mask_sub_pd(a, y_major, _mm512_set1_pd(3.141592653589793238462643383279502884 / 2), a);
  const __mmask8 xneg = _mm512_cmp_epi64_mask(_mm512_castpd_si512(x), _mm512_setzero_si512(), _MM_CMPINT_LT);
  a = _mm512_mask_sub_pd(a, xneg, _mm512_set1_pd(3.141592653589793238462643383279502884), a);
  // sign of y: a | (y & ~abs)
  return _mm512_castsi512_pd(_mm512_ternarylogic_epi64(_mm512_castpd_si512(a), _mm512_castpd_si512(y),
                                                       _mm512_castpd_si512(abs_mask), 0xF4));
}

}  // namespace

void atan2_f32_avx512(const float* y, const float* x, float* out, index_t n) {
  index_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 fy = _mm512_loadu_ps(y + j), fx = _mm512_loadu_ps(x + j);
    auto upper = [](__m512 v) {
      return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    };
    __mmask8 s0, s1;
    const __m512d lo = atan2_finite8(_mm512_cvtps_pd(_mm512_castps512_ps256(fy)),
                                     _mm512_cvtps_pd(_mm512_castps512_ps256(fx)), &s0);
    const __m512d hi = atan2_finite8(upper(fy), upper(fx), &s1);
    _mm256_storeu_ps(out + j, _mm512_cvtpd_ps(lo));
    _mm256_storeu_ps(out + j + 8, _mm512_cvtpd_ps(hi));
    if (s0 | s1) atan2_f32_lanes<8>(y + j, x + j, out + j, 16);  // infinities, NaN: C's results
  }
  atan2_f32_lanes<8>(y + j, x + j, out + j, n - j);
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
    __mmask8 s0, s1;
    const __m512d lo = atan2_finite8(ylo, xlo, &s0);
    const __m512d hi = atan2_finite8(yhi, xhi, &s1);
    _mm256_storeu_ps(dir + j, _mm512_cvtpd_ps(lo));
    _mm256_storeu_ps(dir + j + 8, _mm512_cvtpd_ps(hi));
    if (s0 | s1) atan2_f32_lanes<8>(y + j, x + j, dir + j, 16);  // infinities, NaN: C's results
  }
  for (index_t k = j; k < n; ++k) mag[k] = hypot_f32_ref(y[k], x[k]);
  atan2_f32_lanes<8>(y + j, x + j, dir + j, n - j);
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
