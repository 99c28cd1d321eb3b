// SPDX-License-Identifier: MIT
// Derivative operators beyond numpy.gradient, and the boundary modes of the padded ones.
//
// One contract for all of them: the result is the derivative in units of f per unit of spacing (per
// mm on a volume), so a ramp f = a·x sampled at step h gives a — exactly, away from the boundary, for
// every finite-difference operator. Along selected axis k with step h_k, where "the other spatial
// axes" are GradientOptions::spatial_axes without k (s of them):
//
//   central   [-1, 0, 1] / (2 h_k)          = correlate1d(f, [-1, 0, 1], axis=k, mode) / (2 h_k)
//   central4  [1, -8, 0, 8, -1] / (12 h_k)  fourth-order central differences
//   sobel     [-1, 0, 1] along k, [1, 2, 1] along the other spatial axes, / (2·4^s·h_k)
//             = scipy.ndimage.sobel(f, axis=k, mode) / (2·4^s) / h_k
//   prewitt   the same with [1, 1, 1], / (2·3^s·h_k) = scipy.ndimage.prewitt(...) / (2·3^s) / h_k
//   scharr    the same with [3, 10, 3], / (2·16^s·h_k)
//   gaussian  a Gaussian of sigma_j (spacing units) along every spatial axis j, differentiated
//             along k: = scipy.ndimage.gaussian_filter(f, sigma=[sigma_j / h_j], order=[j == k],
//             mode, truncate) / h_k
//
// `central` with Boundary::numpy is numpy.gradient (bit-identical, gradient.cpp). Every other
// combination is a separable filter (operators.cpp): float64 1-D passes in scipy's order and
// summation order (the derivative first, then the smoothing in increasing axis order), computed in
// tiles along axis 0 and rounded once to the output type. The gaussian is
// scipy's sampled kernel, radius int(truncate·sigma + 0.5) samples, so its cost grows linearly with
// sigma (no recursive approximation). Below one sample of sigma the sampled kernel is a poor
// Gaussian and its derivative of a ramp drifts from the slope: operator_warnings() says so.
#pragma once

#include <string>
#include <vector>

#include "gradmap/export.hpp"
#include "gradmap/gradient.hpp"

namespace gradmap {

/// The one table of operator names (CLI `--operator`, help texts, Python).
struct OperatorInfo {
  Operator op;
  const char* name;
  const char* summary;
};
GRADMAP_CORE_EXPORT const std::vector<OperatorInfo>& operators();

/// The one table of boundary names (CLI `--boundary`).
struct BoundaryInfo {
  Boundary mode;
  const char* name;
  const char* summary;
};
GRADMAP_CORE_EXPORT const std::vector<BoundaryInfo>& boundaries();

GRADMAP_CORE_EXPORT const char* operator_name(Operator op);
GRADMAP_CORE_EXPORT const char* boundary_name(Boundary mode);

/// Sets options.op (and options.sigma) from "sobel", "gaussian:1.5" or "gaussian:2,0.7,0.7".
/// Throws InvalidArgument naming the accepted forms.
GRADMAP_CORE_EXPORT void parse_operator(const std::string& text, GradientOptions& options);
/// Sets options.boundary (and options.cval) from "reflect" or "constant:0.5".
GRADMAP_CORE_EXPORT void parse_boundary(const std::string& text, GradientOptions& options);

/// The boundary gradient() uses under `options` (its default depends on the operator).
GRADMAP_CORE_EXPORT Boundary effective_boundary(const GradientOptions& options);

/// The checks of the operator fields that need no array (a padded boundary for everything but
/// central, edge_order 1 with padding, raw_kernel only for sobel/prewitt/scharr, sigma only for
/// gaussian, a positive truncate), so that a tool can refuse its flags before reading a file.
/// Throws InvalidArgument.
GRADMAP_CORE_EXPORT void check_operator(const GradientOptions& options);

/// What a tool should tell its user about a valid request, e.g. a gaussian sigma below one sample.
/// Throws what gradient() would throw for an invalid one.
GRADMAP_CORE_EXPORT std::vector<std::string> operator_warnings(const Shape& shape,
                                                               const GradientOptions& options);

}  // namespace gradmap
