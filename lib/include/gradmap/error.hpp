// SPDX-License-Identifier: MIT
// gradmap's one exception hierarchy. The library never prints and never exits: it throws one of
// these, with a message that says what was wrong (with the values) and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

#include "gradmap/export.hpp"

namespace gradmap {

/// Root of every exception gradmap throws.
class GRADMAP_CORE_EXPORT Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parameter is invalid: edge_order, axes, spacing values, dtype, option values.
class GRADMAP_CORE_EXPORT InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// Array shapes do not fit: an axis too short for edge_order, mismatched output or coordinate sizes.
class GRADMAP_CORE_EXPORT ShapeError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are malformed. The message names the file.
class GRADMAP_CORE_EXPORT IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace gradmap
