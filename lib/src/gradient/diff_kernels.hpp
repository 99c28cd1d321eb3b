// SPDX-License-Identifier: MIT
// The finite-difference stencils of numpy.gradient, written once per formula (the algorithm); the
// driver in gradient.cpp decides which elements they run on and on which thread (the schedule).
//
// Every stencil reads three (or two) input sequences p0, p1, p2 that advance by `in_step` and
// writes `count` outputs advancing by `out_step`. Along the differenced axis of a line the
// sequences are the same line shifted by one sample; across rows they are three neighbouring rows,
// so an axis-0 difference is a row-minus-row loop over contiguous memory, never a column walk.
// Unit steps get their own loop so that the compiler vectorizes it.
//
// No allocation, validation or IO here. The operation order is numpy's, and the build disables FP
// contraction, so results are bit-identical to numpy's.
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/numeric.hpp"
#include "gradmap/array.hpp"

namespace gradmap::detail {

/// Integer input of at most 32 bits: numpy converts both samples to float64 and subtracts; the
/// difference of two such integers is below 2^33 in magnitude, so it is exact in float64 and equals
/// the integer difference taken in 64 bits (32 bits for 8- and 16-bit input). Only float and double
/// outputs take this route (float16 rounds through Half).
template <class In, class Out>
constexpr bool kIntegerDifference = std::is_integral_v<In> && sizeof(In) <= 4 &&
                                    (std::is_same_v<Out, float> || std::is_same_v<Out, double>);

/// Whether dividing by `s` is multiplying by the exact reciprocal for every integer difference
/// (|d| < 2^33): s = ±2^e with |e| <= 60, so d / s = d * 2^-e is exact in double and, rounded once to
/// float, stays in float's normal range (|d| * 2^-60 >= 2^-60 and < 2^93). The reciprocal is then
/// exact, and Out(d) * (1/s) — one rounding of d to Out, an exact scaling — equals Out(double(d) / s),
/// numpy's float64 quotient rounded to Out. tests/test_integer_path.cpp checks it against numpy for
/// every uint8/int8 pair and every int16/uint16 difference.
inline bool is_exact_reciprocal(double s) {
  int e = 0;
  const double m = std::frexp(s, &e);
  return (m == 0.5 || m == -0.5) && e >= -59 && e <= 61;
}

/// Whether x / s equals x * (1 / s) for every x of the floating type T: s = ±2^e with an exactly
/// representable reciprocal ±2^-e. Both products then round the same real number once, and
/// infinities, NaN and signed zeros come out alike.
template <class T>
bool divides_by_reciprocal(T s) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    int e = 0;
    const T m = std::frexp(s, &e);
    const T r = T(1) / s;
    return (m == T(0.5) || m == T(-0.5)) && std::isfinite(r) && r * s == T(1);
  } else {
    return false;
  }
}

/// numpy: out[1:-1] = (f[2:] - f[:-2]) / (2. * dx). The difference is taken in the input's compute
/// type C, the division in Cdiv (C unless value-based casting widened it), the result stored as
/// numpy's result type F and then as Out.
template <class In, class Out, class Cdiv>
void central_uniform(const In* p0, const In* p2, index_t in_step, Out* out, index_t out_step, index_t count,
                     double two_dx) {
  using C = compute_t<In>;
  if constexpr (kIntegerDifference<In, Out>) {
    // Integer differences, converted and scaled in Out: a loop that vectorizes (measured: case D's
    // components 2.4x faster than converting each sample to double and dividing).
    using Wide = std::conditional_t<(sizeof(In) < 4), int, long long>;
    if (in_step == 1 && out_step == 1 && is_exact_reciprocal(two_dx)) {
      const Out r = static_cast<Out>(1.0 / two_dx);
      for (index_t j = 0; j < count; ++j)
        out[j] = static_cast<Out>(static_cast<Wide>(p2[j]) - static_cast<Wide>(p0[j])) * r;
      return;
    }
  }
  const Cdiv s = cvt<Cdiv>(two_dx);
  if constexpr (std::is_same_v<C, Cdiv> && std::is_floating_point_v<Cdiv>) {
    // The default spacing (2. * dx = 2) divides by a power of two: the same bits as a multiply by
    // its reciprocal, which vectorizes at full width where the division held the loop to the
    // divider's throughput (case C's components: divps was most of their time).
    if (in_step == 1 && out_step == 1 && divides_by_reciprocal(s)) {
      const Cdiv r = Cdiv(1) / s;
      for (index_t j = 0; j < count; ++j) out[j] = cvt<Out>((cvt<C>(p2[j]) - cvt<C>(p0[j])) * r);
      return;
    }
  }
  auto one = [&](In lo, In hi) { return cvt<Out>(cvt<C>(cvt<Cdiv>(cvt<C>(hi) - cvt<C>(lo)) / s)); };
  if (in_step == 1 && out_step == 1) {
    for (index_t j = 0; j < count; ++j) out[j] = one(p0[j], p2[j]);
  } else {
    for (index_t j = 0; j < count; ++j) out[j * out_step] = one(p0[j * in_step], p2[j * in_step]);
  }
}

/// numpy's non-uniform interior: out[1:-1] = a * f[:-2] + b * f[1:-1] + c * f[2:]. The weight
/// arrays have the coordinate array's dtype K (their values are held here as doubles), so every
/// product and sum is carried out in W = promote(K, F) (float16 data with float64 coordinates:
/// float64; float32 data with float16 coordinates: float32), then stored as F and Out. Weights are
/// per output element (`w_step` 1, along a line) or constant (`w_step` 0, across rows).
template <class In, class Out, class W>
void central_coords(const In* p0, const In* p1, const In* p2, index_t in_step, Out* out, index_t out_step,
                    index_t count, const double* a, const double* b, const double* c, index_t w_step) {
  using F = compute_t<In>;
  auto one = [](double wa, double wb, double wc, In x0, In x1, In x2) {
    W r = cvt<W>(wa) * cvt<W>(x0) + cvt<W>(wb) * cvt<W>(x1) + cvt<W>(wc) * cvt<W>(x2);
    return cvt<Out>(cvt<F>(r));
  };
  if (in_step == 1 && out_step == 1 && w_step == 1) {
    for (index_t j = 0; j < count; ++j) out[j] = one(a[j], b[j], c[j], p0[j], p1[j], p2[j]);
  } else if (in_step == 1 && out_step == 1 && w_step == 0) {
    const double wa = *a, wb = *b, wc = *c;
    for (index_t j = 0; j < count; ++j) out[j] = one(wa, wb, wc, p0[j], p1[j], p2[j]);
  } else {
    for (index_t j = 0; j < count; ++j)
      out[j * out_step] =
          one(a[j * w_step], b[j * w_step], c[j * w_step], p0[j * in_step], p1[j * in_step], p2[j * in_step]);
  }
}

/// How numpy evaluates the one-sided differences at an axis end. They are outside the hot loops
/// (two rows or two samples per line), so they are emulated in double with explicit rounding to
/// the precision numpy would use for each operation — which depends on the scalar's value
/// (value-based casting) and on whether the operands are 0-d (1-D input: scalar arithmetic is
/// float64).
struct EdgeRule {
  Prec f;           ///< numpy's result type F
  bool scalar_ops;  ///< input is 1-D: the edge operands are numpy scalars
  int order;        ///< 1: (x1 - x0) / d; 2: a*x0 + b*x1 + c*x2
  double d = 1.0;
  double a = 0.0, b = 0.0, c = 0.0;
  /// The numpy dtype of each scalar: float64 where numpy computed it from a Python float (a scalar
  /// step, `2. * dx1 + dx2`), the coordinate dtype K where it is an element of np.diff(coords) or
  /// computed from such elements alone.
  Prec kd = Prec::dbl, ka = Prec::dbl, kb = Prec::dbl, kc = Prec::dbl;

  /// The precision of `array op scalar` (value-based: the scalar counts with the smallest type that
  /// holds its value, never more than its own type) or, for 1-D input, of `scalar op scalar`.
  Prec prec(double scalar, Prec k) const {
    return scalar_ops ? promote(f, k) : promote(f, std::min(scalar_prec(scalar), k));
  }

  /// The edge value from the three samples (x2 unused for order 1), in F's values as doubles.
  double eval(double x0, double x1, double x2) const {
    if (order == 1) {
      double diff = round_to(f, x1 - x0);
      Prec p = prec(d, kd);
      return round_to(f, round_to(p, diff / round_to(p, d)));
    }
    Prec pa = prec(a, ka), pb = prec(b, kb), pc = prec(c, kc);
    double t0 = round_to(pa, round_to(pa, a) * x0);
    double t1 = round_to(pb, round_to(pb, b) * x1);
    Prec pab = promote(pa, pb);
    double s = round_to(pab, t0 + t1);
    double t2 = round_to(pc, round_to(pc, c) * x2);
    return round_to(f, round_to(promote(pab, pc), s + t2));
  }
};

/// Applies an EdgeRule element-wise over three input sequences.
template <class In, class Out>
void one_sided(const EdgeRule& rule, const In* p0, const In* p1, const In* p2, index_t in_step, Out* out,
               index_t out_step, index_t count) {
  for (index_t j = 0; j < count; ++j) {
    double x0 = cvt<double>(p0[j * in_step]);
    double x1 = cvt<double>(p1[j * in_step]);
    double x2 = rule.order == 2 ? cvt<double>(p2[j * in_step]) : 0.0;
    out[j * out_step] = cvt<Out>(rule.eval(x0, x1, x2));
  }
}

}  // namespace gradmap::detail
