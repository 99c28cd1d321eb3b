#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds gradmap (library, CLI, tests) with sanitizers in a build directory of its own and runs the
# test suite under them.
#   scripts/sanitize.sh [address,undefined|thread] [extra ctest arguments...]
# address,undefined (default) → build-asan, the whole suite.
# thread                      → build-tsan, the threaded tests only (kernels, fused edges, batch);
#                               the rest runs single-threaded and would only repeat the ASan run.
# -O1 keeps the instrumented build and the run affordable on 2 cores; -g gives readable reports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-address,undefined}
shift || true
case $kind in
  address,undefined | undefined,address | address) build=${BUILD_DIR:-$root/build-asan} ;;
  thread) build=${BUILD_DIR:-$root/build-tsan} ;;
  *) echo "sanitize.sh: unknown sanitizer set '$kind' (use address,undefined or thread)" >&2; exit 2 ;;
esac
jobs=${JOBS:-2}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
backends=()
# The threads live in the kernels and the batch runner, not in the decoders: the TSan build leaves
# ITK and OpenCV out (the ITK translation unit alone takes minutes to instrument) and feeds .npy.
[[ $kind == thread ]] && backends=(-DGRADMAP_WITH_ITK=OFF -DGRADMAP_WITH_OPENCV=OFF)
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DGRADMAP_SANITIZE="$kind" -DGRADMAP_BUILD_BENCH=OFF -DGRADMAP_INSTALL=OFF \
    "${backends[@]}"
fi
# Only what the tests run: the test binary and the CLI it drives.
cmake --build "$build" -j "$jobs" --target gradmap_tests gradmap_cli

# Leaks are reported (the CLI and tests must free what they allocate); abort_on_error gives a
# non-zero status even where a test harness catches the report's exit code.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Debian's libtbb is not instrumented; if it ever needs suppressions they go in scripts/tsan.supp,
# each with the reason (none are needed today).
tsan=halt_on_error=1:second_deadlock_stack=1
[[ -f $root/scripts/tsan.supp ]] && tsan+=:suppressions=$root/scripts/tsan.supp
export TSAN_OPTIONS=${TSAN_OPTIONS:-$tsan}

filter=()
if [[ $kind == thread ]]; then
  # Tests that run gradmap's own threads: the parallel kernels, the fused edge pass and the batch
  # runner (its tests, once present, are matched by name).
  filter=(-R 'Thread|Fused|Parallel|Batch|Edges\.|NumpyGradient\.')
fi
ctest --test-dir "$build" --output-on-failure -j "$jobs" "${filter[@]}" "$@"
