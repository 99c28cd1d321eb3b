// SPDX-License-Identifier: MIT
// The interface between the peer driver (bench_peers.cpp) and the translation units that wrap one
// peer library each (peers_opencv.cpp, peers_itk.cpp), so OpenCV's and ITK's headers are compiled
// once, in their own file, and the driver sees only gradmap types.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench_cases.hpp"

namespace bench {

/// One way a peer library computes a case.
struct PeerImpl {
  std::string name;  ///< e.g. "OpenCV Sobel + cartToPolar"
  /// Why the peer differs from numpy/gradmap here (borders, accuracy, composition). Empty if none.
  std::string note;
  /// False when the library cannot do what the case asks; `note` says why and nothing is timed.
  bool available = true;
  /// Sets the library's thread count before timing (1, or the machine's core count).
  std::function<void(int threads)> set_threads;
  /// The timed call: computes every output of the case once.
  std::function<void()> run;
  /// After run(): output k (numpy's order: components by axis, or magnitude then direction) at
  /// flat C-order index i, as double. Used by the correctness check on small sizes.
  std::function<double(int k, index_t i)> value;
  /// Direction output is in [0, 2π) rather than numpy's (-π, π] (compare modulo 2π).
  bool direction_unsigned = false;
  /// The peer's own boundary rule differs from numpy's: compare the interior only.
  bool interior_only = true;
  /// The direction is an approximation (OpenCV's ~0.3°): compare within 0.01 rad instead of ulps.
  bool direction_approximate = false;
  /// The peer stores each output in its own type; the check allows that type's rounding.
  bool single_precision = true;
};

/// The peer implementations for a case; `input` stays alive while they are used.
std::vector<PeerImpl> opencv_peers(const CaseSpec& spec, const Array& input);
std::vector<PeerImpl> itk_peers(const CaseSpec& spec, const Array& input);
/// Library versions for the table header.
std::string opencv_version();
std::string itk_version();

}  // namespace bench
