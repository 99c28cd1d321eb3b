// SPDX-License-Identifier: MIT
// Array helpers shared by the tests: random inputs and bit-exact comparison.
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <type_traits>
#include <utility>

#include "gradmap/array.hpp"

namespace gradmap_test {

/// Normally distributed values of standard deviation `scale` (absolute values for integer types),
/// reproducible from `seed`.
template <class T>
gradmap::Array random_array(gradmap::DType t, gradmap::Shape shape, double scale, unsigned seed) {
  gradmap::Array a(t, std::move(shape));
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, scale);
  T* p = static_cast<T*>(a.data());
  for (gradmap::index_t i = 0; i < a.size(); ++i) {
    double v = dist(rng);
    if constexpr (std::is_integral_v<T>) v = std::fabs(v);
    p[i] = static_cast<T>(v);
  }
  return a;
}

/// Same dtype, shape and bytes (empty arrays are compared without memcmp, which must not see null
/// pointers).
inline bool same_bits(const gradmap::Array& a, const gradmap::Array& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

}  // namespace gradmap_test
