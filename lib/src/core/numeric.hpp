// SPDX-License-Identifier: MIT
// numpy's type rules for the gradient, in one place: which type each operation is carried out in.
#pragma once

#include <cmath>
#include <type_traits>

#include "core/half.hpp"

/// Applies M to every element type gradmap supports, for explicit template instantiations.
// clang-format 14 reflows this macro differently on every run.
// clang-format off
#define GRADMAP_FOR_EACH_DTYPE(M) \
  M(std::int8_t) M(std::int16_t) M(std::int32_t) M(std::int64_t) M(std::uint8_t) M(std::uint16_t) \
  M(std::uint32_t) M(std::uint64_t) M(float16_t) M(float) M(double)
// clang-format on

namespace gradmap::detail {

/// The type numpy computes in for input element type In: integers are promoted to float64 before
/// differencing; float16 uses Half arithmetic; float32 and float64 stay.
template <class In>
using compute_t = std::conditional_t<std::is_same_v<In, float16_t>, Half,
                                     std::conditional_t<std::is_same_v<In, float>, float, double>>;

/// Conversion between storage types (integers, float16_t, float, double) and compute types (Half,
/// float, double), rounding to nearest even wherever precision is lost, as numpy's casts do.
template <class To, class From>
inline To cvt(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<From, float16_t>) {
    if constexpr (std::is_same_v<To, Half>)
      return Half(x);
    else
      return cvt<To>(half_to_float(x.bits));
  } else if constexpr (std::is_same_v<From, Half>) {
    return cvt<To>(x.v);
  } else if constexpr (std::is_same_v<To, float16_t>) {
    return float16_t{double_to_half(static_cast<double>(x))};
  } else if constexpr (std::is_same_v<To, Half>) {
    return Half(static_cast<double>(x));
  } else {
    return static_cast<To>(x);
  }
}

/// The three float precisions an operation can be carried out in, as a run-time value.
enum class Prec { half = 0, single = 1, dbl = 2 };

template <class C>
constexpr Prec prec_of() {
  if constexpr (std::is_same_v<C, Half>)
    return Prec::half;
  else if constexpr (std::is_same_v<C, float>)
    return Prec::single;
  else
    return Prec::dbl;
}

inline Prec promote(Prec a, Prec b) { return a > b ? a : b; }

/// numpy 1.24's value-based casting (np.min_scalar_type for a float64 scalar): an array op scalar
/// takes the array's precision unless the scalar does not fit it. Non-finite scalars count as half.
inline Prec scalar_prec(double v) {
  if (!std::isfinite(v) || (v > -65000.0 && v < 65000.0)) return Prec::half;
  if (v > -3.4e38 && v < 3.4e38) return Prec::single;
  return Prec::dbl;
}

/// Rounds an exact-enough double to precision p. Emulating a float or half operation by the double
/// operation followed by this rounding is exact, because double has more than 2p+2 significand
/// bits for both (double rounding is innocuous for + - * /).
inline double round_to(Prec p, double v) {
  switch (p) {
    case Prec::half:
      return half_to_float(double_to_half(v));
    case Prec::single:
      return static_cast<double>(static_cast<float>(v));
    case Prec::dbl:
      return v;
  }
  return v;
}

}  // namespace gradmap::detail
