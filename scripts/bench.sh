#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's benchmark command (issue 6): installs what is missing, builds (Release), runs
# bench_peers — gradmap against the bandwidth limit, numpy, OpenCV and ITK on the same data, at 1
# thread and at all cores — and writes its table to bench/results/peers.md as well as printing it.
# Takes a few minutes on a 2-core machine; run it on an otherwise idle machine.
#
#   scripts/bench.sh            # full sizes (4096² images, 256³ and 512×512×300 volumes)
#   scripts/bench.sh --quick    # small sizes, seconds (also BENCH_QUICK=1)
#   scripts/bench.sh --reps 11 --cases A,C   # any other bench_peers flag is passed through
#   scripts/bench.sh --operators  # also the operators (sobel, gaussian, ...) against scipy, OpenCV
#                                 # and ITK's recursive Gaussian: bench/results/operators.md
#   scripts/bench.sh --process    # also whole CLI processes on a 4096² .npy against cat + dd and
#                                 # numpy (bench/process_bench.py): bench/results/process.md
#
# BUILD_DIR chooses the build directory (default build/), BENCH_OUT the markdown file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
out=${BENCH_OUT:-$root/bench/results/peers.md}

args=()
operators=0 process=0
for a in "$@"; do
  case $a in
    --operators) operators=1 ;;
    --process) process=1 ;;
    *) args+=("$a") ;;
  esac
done
if [[ ${BENCH_QUICK:-0} != 0 ]]; then args=(--quick "${args[@]}"); fi

"$root/scripts/setup.sh"
BUILD_DIR=$build "$root/scripts/build.sh" -DGRADMAP_BUILD_BENCH=ON >/dev/null
# build.sh builds everything; name the benchmark explicitly so a stale tree cannot skip it.
cmake --build "$build" --target bench_peers bench_itk_gaussian -j "${JOBS:-$(nproc)}" >/dev/null

mkdir -p "$(dirname "$out")"
start=$SECONDS
# The timings go to stdout as markdown; progress goes to stderr.
"$build/bench/bench_peers" --markdown "$out" "${args[@]}"
echo
echo "bench: $((SECONDS - start)) s; table written to $out"
if ((operators)); then
  ops_out=$(dirname "$out")/operators.md
  quick=()
  [[ " ${args[*]} " == *" --quick "* ]] && quick=(--quick)
  PYTHONPATH=$build/python /usr/bin/python3 "$root/bench/operators_bench.py" "${quick[@]}" \
    --itk "$build/bench/bench_itk_gaussian" | tee "$ops_out"
  echo "operators: table written to $ops_out"
fi
if ((process)); then
  process_out=$(dirname "$out")/process.md
  /usr/bin/python3 "$root/bench/process_bench.py" --gradmap "$build/app/gradmap" | tee "$process_out"
  echo "process: table written to $process_out"
fi
