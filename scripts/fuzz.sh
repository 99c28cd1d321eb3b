#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang + ASan/UBSan (build-fuzz) and runs each for SECONDS
# (default 60) from its seed corpus in fuzz/corpus/<target>. New inputs go to a scratch corpus
# (build-fuzz/corpus/<target>), never into the committed seeds; crashes are saved as
# build-fuzz/crashes/<target>/crash-* and fail the script.
#   scripts/fuzz.sh [SECONDS] [target...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_npy fuzz_raster fuzz_volume fuzz_cli_options fuzz_gradient)
build=${BUILD_DIR:-$root/build-fuzz}
jobs=${JOBS:-2}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f $build/CMakeCache.txt ]]; then
  # fuzzer-no-link: coverage instrumentation of the library itself, so libFuzzer can steer into the
  # parsers; -O1 -g as libFuzzer's documentation recommends.
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
    -DGRADMAP_SANITIZE=address,undefined,fuzzer-no-link -DGRADMAP_FUZZ=ON \
    -DGRADMAP_BUILD_TESTS=OFF -DGRADMAP_BUILD_APP=OFF -DGRADMAP_BUILD_BENCH=OFF -DGRADMAP_INSTALL=OFF
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

# Leak checking is off: ITK and OpenCV keep process-lifetime caches that LeakSanitizer reports on
# every run; ASan's memory errors and UBSan's checks stay fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=$build/fuzz-summary.txt
: >"$summary"
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  crashes=$build/crashes/$t
  mkdir -p "$corpus" "$crashes"
  log=$build/$t.log
  echo "fuzz: $t for ${seconds}s"
  # -rss_limit_mb / -malloc_limit_mb: an input that makes gradmap allocate more than the fuzzers'
  # max_memory budget allows (64 MiB) plus the decoders' working memory is a finding, not noise.
  # A fixed seed (GRADMAP_FUZZ_SEED, default 1) makes a CI run replayable: the same binary and
  # corpus mutate in the same order. Set it to 0 for libFuzzer's random seed when hunting.
  if ! "$build/fuzz/$t" -seed="${GRADMAP_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=512 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "$root/fuzz/corpus/$t" \
      >"$log" 2>&1; then
    echo "fuzz: $t FAILED — see $log and $crashes" >&2
    tail -40 "$log" >&2
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  printf '%-18s %6ss  executions %-10s coverage (edges) %-6s features %s\n' "$t" "$seconds" "$execs" "$cov" "$ft" |
    tee -a "$summary"
done
exit $status
