// SPDX-License-Identifier: MIT
// numpy's .npy format, gradmap's own (gradmap::core, no backend needed). Writes are atomic
// (write_atomically in io.hpp); errors are IoError naming the path.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

/// The .npy reader and writer (versions 1.0, 2.0, 3.0; either byte order; C or Fortran order).
GRADMAP_CORE_EXPORT Array read_npy(const std::string& path);
GRADMAP_CORE_EXPORT void write_npy(const std::string& path, const Array& a);

/// Several .npy files of one dtype and shape written together as they are computed, block of
/// axis-0 rows by block: `fill(r0, r1, blocks)` fills one array per file holding rows [r0, r1)
/// (the blocks are reused; `block_rows` rows each, the last one shorter), which are appended to
/// the files at once. Peak memory is one block per file instead of the whole arrays (the CLI
/// streams gradient_rows_into / edges_rows_into this way). Each file goes through its own hidden
/// temporary, and the temporaries are renamed into place only when every file is complete: an
/// exception from `fill` or a failed write leaves none of them.
GRADMAP_CORE_EXPORT void write_npy_rows(
    const std::vector<std::string>& paths, DType dtype, const Shape& shape, index_t block_rows,
    const std::function<void(index_t r0, index_t r1, std::vector<Array>& blocks)>& fill);

}  // namespace gradmap
