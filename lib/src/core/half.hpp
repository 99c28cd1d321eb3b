// SPDX-License-Identifier: MIT
// IEEE binary16 conversions and numpy's float16 arithmetic.
//
// numpy computes every float16 operation by widening to float32, operating, and rounding back to
// half. Because float32 has more than 2*11+2 significand bits, that double rounding equals a
// correctly rounded half operation, so `Half` below (a float holding a half value, re-rounded after
// each operation) reproduces numpy bit for bit.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "gradmap/array.hpp"

namespace gradmap::detail {

template <class To, class From>
inline To bit_cast(const From& from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

inline float half_to_float(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t f;
  if (exp == 0) {
    if (mant == 0) {
      f = sign;
    } else {  // subnormal half: normalize into a float
      std::uint32_t e = 113;
      while (!(mant & 0x400u)) {
        mant <<= 1;
        --e;
      }
      f = sign | (e << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | (mant << 13);
  } else {
    f = sign | ((exp + 112) << 23) | (mant << 13);
  }
  return bit_cast<float>(f);
}

/// Round-to-nearest-even conversion from double (exact for every float input as well, since
/// float → double is exact). NaNs keep their top payload bits and stay NaN, as in numpy.
inline std::uint16_t double_to_half(double d) {
  std::uint64_t bits = bit_cast<std::uint64_t>(d);
  auto sign = static_cast<std::uint16_t>((bits >> 48) & 0x8000u);
  std::uint64_t abs = bits & 0x7fffffffffffffffull;
  if (abs >= 0x7ff0000000000000ull) {
    if (abs == 0x7ff0000000000000ull) return static_cast<std::uint16_t>(sign | 0x7c00u);
    auto h = static_cast<std::uint16_t>(0x7c00u + ((abs & 0x000fffffffffffffull) >> 42));
    if (h == 0x7c00u) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  if (abs >= 0x40effe0000000000ull) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65520
  if (abs < 0x3f10000000000000ull) {                                                    // < 2^-14
    if (abs < 0x3e60000000000000ull) return sign;                                       // < 2^-25
    auto e = static_cast<int>(abs >> 52);
    std::uint64_t m = (abs & 0x000fffffffffffffull) | 0x0010000000000000ull;
    int shift = 1051 - e;
    std::uint64_t r = m >> shift;
    std::uint64_t rem = m & ((1ull << shift) - 1);
    std::uint64_t halfway = 1ull << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return static_cast<std::uint16_t>(sign | r);
  }
  std::uint64_t e = (abs >> 52) - 1008;
  std::uint64_t m = abs & 0x000fffffffffffffull;
  std::uint64_t h = (e << 10) | (m >> 42);
  std::uint64_t rem = m & ((1ull << 42) - 1);
  if (rem > (1ull << 41) || (rem == (1ull << 41) && (h & 1u))) ++h;  // a carry into the exponent is right
  return static_cast<std::uint16_t>(sign | h);
}

/// numpy float16 arithmetic: a float that always holds a half value.
struct Half {
  float v = 0.0f;
  Half() = default;
  explicit Half(float x) : v(half_to_float(double_to_half(x))) {}
  explicit Half(double x) : v(half_to_float(double_to_half(x))) {}
  explicit Half(float16_t h) : v(half_to_float(h.bits)) {}
  explicit operator float() const { return v; }
  explicit operator double() const { return v; }
  explicit operator float16_t() const { return float16_t{double_to_half(v)}; }
};
inline Half operator+(Half a, Half b) { return Half(a.v + b.v); }
inline Half operator-(Half a, Half b) { return Half(a.v - b.v); }
inline Half operator*(Half a, Half b) { return Half(a.v * b.v); }
inline Half operator/(Half a, Half b) { return Half(a.v / b.v); }

}  // namespace gradmap::detail
