#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds gradmap (Release, warnings on) into ${BUILD_DIR:-build}. Extra arguments go
# to the CMake configure step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif (($#)); then
  cmake "$build" "$@"
fi
cmake --build "$build" -j "${JOBS:-$(nproc)}"
