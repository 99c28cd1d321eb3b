// SPDX-License-Identifier: MIT
// Vector atan2 for the edge-map directions, chosen once at run time (AVX-512F, else AVX2+FMA, else
// SSE2) so one binary runs on any x86-64: float32 is gradmap's own (atan2_lanes.hpp; every variant
// gives the same bits), float64 is SLEEF's. Lanes are independent, so a sample's result does not
// depend on where it falls in a vector, a tile or a thread's share. SLEEF's AVX2 and SSE2 float64
// variants may differ from each other by an ulp; a given machine always uses the same one.
#pragma once

#include "gradmap/array.hpp"

namespace gradmap::detail {

/// out[j] = atan2(y[j], x[j]) for float32, |error| <= 1.58 ulp (C's results for zeros, infinities, NaN).
void atan2_f32(const float* y, const float* x, float* out, index_t n);
/// out[j] = atan2(y[j], x[j]), |error| <= 1 ulp (float64).
void atan2_f64(const double* y, const double* x, double* out, index_t n);
/// out[j] = atan2(y[j], x[j]), |error| <= 3.5 ulp of float64: for results rounded to float32.
void atan2_f64_for_float(const double* y, const double* x, double* out, index_t n);

/// out[j] = hypot(a[j], b[j]) (and of three components) for float32: the sum of squares in double,
/// one square root, one rounding to float — glibc's hypotf, so np.hypot's bits. Every variant gives
/// the same bits (IEEE operations only). hypot(inf, nan) is inf.
void hypot2_f32(const float* a, const float* b, float* out, index_t n);
void hypot3_f32(const float* a, const float* b, const float* c, float* out, index_t n);

/// hypot2_f32(y, x, mag, n) and atan2_f32(y, x, dir, n) together (the same bits): one pass over the
/// pair with AVX-512, the two functions elsewhere.
void polar2_f32(const float* y, const float* x, float* mag, float* dir, index_t n);

/// polar2_f32 for pairs whose squares and sum of squares are exact float32 numbers (8-bit integer
/// differences times a power of two): the magnitude is then the float32 square root of the float32
/// sum, the same bits as hypot2_f32's (see squares_exact_in_float32 in edges.cpp). Float32 lanes
/// with AVX-512; polar2_f32 elsewhere.
void polar2_f32_exact_squares(const float* y, const float* x, float* mag, float* dir, index_t n);

/// The variant in use: "avx512f", "avx2" or "sse2".
const char* simd_variant();

// The AVX-512 and AVX2 variants, compiled in their own translation units (-mavx512f; -mavx2 -mfma),
// and the SSE2 one; declared for the dispatch and for the tests that compare them.
void atan2_f32_sse2(const float* y, const float* x, float* out, index_t n);
void atan2_f32_avx512(const float* y, const float* x, float* out, index_t n);
void atan2_f64_avx512(const double* y, const double* x, double* out, index_t n);
void atan2_f64_for_float_avx512(const double* y, const double* x, double* out, index_t n);
void hypot2_f32_avx512(const float* a, const float* b, float* out, index_t n);
void hypot3_f32_avx512(const float* a, const float* b, const float* c, float* out, index_t n);
void polar2_f32_avx512(const float* y, const float* x, float* mag, float* dir, index_t n);
void polar2_f32_exact_squares_avx512(const float* y, const float* x, float* mag, float* dir, index_t n);
void atan2_f32_avx2(const float* y, const float* x, float* out, index_t n);
void atan2_f64_avx2(const double* y, const double* x, double* out, index_t n);
void atan2_f64_for_float_avx2(const double* y, const double* x, double* out, index_t n);
void hypot2_f32_avx2(const float* a, const float* b, float* out, index_t n);
void hypot3_f32_avx2(const float* a, const float* b, const float* c, float* out, index_t n);

/// The scalar definition every variant matches; also used for vector tails.
inline float hypot_f32_ref(float a, float b, float c = 0.0f) {
  constexpr float inf = __builtin_inff();
  if (__builtin_fabsf(a) == inf || __builtin_fabsf(b) == inf || __builtin_fabsf(c) == inf) return inf;
  const double x = a, y = b, z = c;
  return static_cast<float>(__builtin_sqrt(x * x + y * y + z * z));
}

}  // namespace gradmap::detail
