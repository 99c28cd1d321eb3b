// SPDX-License-Identifier: MIT
// The per-axis plan of a gradient (validated spacing turned into stencil weights) and the driver
// entry point that the fused edge-map pass shares with gradient().
#pragma once

#include <tbb/task_arena.h>

#include <string>
#include <vector>

#include "gradient/diff_kernels.hpp"
#include "gradmap/gradient.hpp"

namespace gradmap::detail {

/// Everything the stencils need for one selected axis, computed once per call.
struct AxisPlan {
  int axis = 0;
  index_t n = 0;
  bool uniform = true;
  double dx = 1.0;                 ///< uniform step
  std::vector<double> wa, wb, wc;  ///< non-uniform interior weights, for samples 1..n-2
  Prec weights = Prec::dbl;        ///< their numpy dtype: the coordinate array's
  EdgeRule first, last;            ///< one-sided rules at samples 0 and n-1
};

/// Validates (numpy's checks plus gradmap's zero/non-finite spacing departure) and plans every
/// selected axis. `in` is the input element type (it decides numpy's result type F).
std::vector<AxisPlan> plan_gradient(DType in, const Shape& shape, const GradientOptions& options);

/// Computes one component for the samples whose axis-0 index lies in [r0, r1). `out` points at the
/// output element of axis-0 index r0 and has strides `out_strides`. Runs on the calling thread.
template <class In, class Out>
void diff_axis_range(const In* in, const Shape& shape, const Shape& in_strides, Out* out,
                     const Shape& out_strides, const AxisPlan& plan, index_t r0, index_t r1);

/// Runs fn() under GradientOptions::threads: directly when it is 0 or the calling arena already
/// has that many threads, else in a oneTBB arena of `threads` threads. Throws InvalidArgument for
/// a negative count.
template <class Fn>
decltype(auto) with_threads(int threads, const char* who, Fn&& fn) {
  if (threads < 0)
    throw InvalidArgument(std::string(who) + ": threads is " + std::to_string(threads) +
                          "; give 0 (the calling arena's threads) or a positive count");
  if (threads == 0 || tbb::this_task_arena::max_concurrency() == threads) return fn();
  tbb::task_arena arena(threads);
  return arena.execute(fn);
}

/// True when `options` ask for another operator or boundary than numpy.gradient's.
bool is_filtered(const GradientOptions& options);

/// The selected axes of those requests, validated (padded axes may be shorter than numpy allows).
std::vector<int> filtered_axes(const Shape& shape, const GradientOptions& options);

/// How many samples along axis 0 an output of those requests reads on each side (the largest
/// radius of their axis-0 passes).
index_t filtered_halo0(const Shape& shape, const GradientOptions& options);

/// gradient_into for those requests (operators.cpp): separable float64 filters with padding.
/// With row_begin/row_end, only the whole array's axis-0 rows [row_begin, row_end) are computed,
/// into outputs of that many rows; they equal those rows of the whole call bit for bit, the
/// padding at the array's ends (wrap's included) coming from the whole input.
template <class In, class Out>
void filtered_gradient_into(ConstArrayView<In> f, const std::vector<ArrayView<Out>>& out,
                            const GradientOptions& options, index_t row_begin = 0, index_t row_end = -1);

}  // namespace gradmap::detail
