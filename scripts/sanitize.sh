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

# ThreadSanitizer sees only the synchronization of instrumented code. Debian's libtbb is not
# instrumented, so the scheduler's hand-overs (spawn, steal, join, its task-object pool) are
# invisible and every parallel_for shows "races" on the data it passes, in oneTBB's headers and in
# gradmap's kernels alike: suppressions cannot tell those from real ones (measured: hundreds of
# reports in diff_kernels.hpp, gradient.cpp and edges.cpp). So the TSan build links a oneTBB built
# with -fsanitize=thread from Debian's source package of the installed libtbb-dev (same version,
# same patches; apt-get source with a private deb-src list made from the machine's apt sources, so
# nothing on the system changes). About 30 s at -j1; kept in $build/onetbb for later runs.
# Sets tbb_prefix (not in a $(...) subshell, where set -e would not stop a failed step).
instrumented_tbb() {
  local dir=$build/onetbb want
  want=$(dpkg-query -W -f='${source:Package}=${source:Version}' libtbb-dev)
  tbb_prefix=$dir/prefix
  if [[ -f $tbb_prefix/.gradmap-done && $(<"$tbb_prefix/.gradmap-done") == "$want" ]]; then return 0; fi
  rm -rf "$dir"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/sources" "$dir/src"
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    if [[ -f $f ]]; then sed -n 's/^deb \(.*\)/deb-src \1/p' "$f" >>"$dir/apt/sources/src.list"; fi
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    if [[ -f $f ]]; then sed 's/^Types:.*/Types: deb-src/' "$f" >"$dir/apt/sources/$(basename "$f")"; fi
  done
  local apt=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/apt/sources"
    -o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  # A source that has no deb-src (a third-party repository) fails alone; apt-get source decides.
  apt-get "${apt[@]}" -qq update || true
  (cd "$dir/src" && { apt-get "${apt[@]}" -qq source "$want" || apt-get "${apt[@]}" -qq source "${want%%=*}"; })
  local src
  src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [[ -n $src ]] || { echo "sanitize.sh: could not get the oneTBB source ($want)" >&2; return 1; }
  # Release, so that the library is libtbb.so (not libtbb_debug.so) and TBB_USE_DEBUG stays off.
  cmake -S "$src" -B "$dir/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" \
    -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF \
    -DTBBMALLOC_BUILD=OFF -DTBBMALLOC_PROXY_BUILD=OFF -DCMAKE_INSTALL_PREFIX="$tbb_prefix"
  cmake --build "$dir/build" -j "$jobs"
  cmake --install "$dir/build"
  echo "$want" >"$tbb_prefix/.gradmap-done"
}

extra=()
# The threads live in the kernels and the batch runner, not in the decoders: the TSan build leaves
# ITK and OpenCV out (the ITK translation unit alone takes minutes to instrument) and feeds .npy.
if [[ $kind == thread ]]; then
  instrumented_tbb
  extra=(-DGRADMAP_WITH_ITK=OFF -DGRADMAP_WITH_OPENCV=OFF -DTBB_DIR="$tbb_prefix/lib/cmake/TBB")
fi
# The Python module stays out: an instrumented extension cannot be loaded into Debian's
# uninstrumented interpreter without preloading the sanitizer runtime into python itself, and the
# module's C++ is the library the C++ tests already run under the sanitizers.
# (Again when a TSan build directory from before still uses the system's oneTBB.)
if [[ ! -f $build/CMakeCache.txt ]] || ! grep -q '^GRADMAP_BUILD_PYTHON:[A-Z]*=OFF' "$build/CMakeCache.txt" ||
  { [[ $kind == thread ]] && ! grep '^TBB_DIR:' "$build/CMakeCache.txt" | grep -qF "=$tbb_prefix/lib/cmake/TBB"; }; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DGRADMAP_SANITIZE="$kind" -DGRADMAP_BUILD_BENCH=OFF -DGRADMAP_INSTALL=OFF \
    -DGRADMAP_BUILD_PYTHON=OFF "${extra[@]}"
fi
# Only what the tests run: the test binary and the CLI it drives.
cmake --build "$build" -j "$jobs" --target gradmap_tests gradmap_cli

# Leaks are reported (the CLI and tests must free what they allocate); abort_on_error gives a
# non-zero status even where a test harness catches the report's exit code.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Suppressions, if ever needed, go in scripts/tsan.supp, each with the reason.
tsan=halt_on_error=1:second_deadlock_stack=1
[[ -f $root/scripts/tsan.supp ]] && tsan+=:suppressions=$root/scripts/tsan.supp
export TSAN_OPTIONS=${TSAN_OPTIONS:-$tsan}

filter=()
if [[ $kind == thread ]]; then
  # Tests that run gradmap's own threads: the parallel kernels, the fused edge pass, and the batch
  # runner with several .npy files in flight at once (tests/test_threads.cpp; the Batch tests need
  # ITK and OpenCV and are compiled out of this build), the padded operators' per-thread slabs, and
  # the library API's threads option and per-thread tile buffers.
  filter=(-R 'Thread|Fused|Parallel|Batch|Edges\.|NumpyGradient\.|Operators\.|LibraryApi\.')
fi
ctest --test-dir "$build" --output-on-failure -j "$jobs" "${filter[@]}" "$@"
