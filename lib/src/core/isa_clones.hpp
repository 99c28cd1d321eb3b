// SPDX-License-Identifier: MIT
// GRADMAP_ISA_CLONES: compile a function for AVX-512, AVX2 and the x86-64 baseline and pick one at
// load time (GCC's target_clones). The kernels are built without FP contraction, so every clone
// performs the same IEEE operations in the same order and gives the same bits; the wider ones just
// do more at once. Not under ThreadSanitizer: GCC instruments the clones' ifunc resolver, which
// the dynamic loader runs before the TSan runtime exists, so every TSan binary crashed at load.
// Nor under Clang (the fuzz build), which refuses target_clones on function templates.
#pragma once

#if defined(__SANITIZE_THREAD__) || defined(__clang__)
#define GRADMAP_ISA_CLONES
#else
#define GRADMAP_ISA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
