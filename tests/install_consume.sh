#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install-and-consume test (issue #7): installs a built gradmap tree into a fresh temporary prefix,
# then configures, builds and runs every example in examples/ against that prefix from a fresh
# CMake configuration, builds examples/core through pkg-config too, checks the package's version
# and component rules, and checks that docs/cpp.md shows examples/core/main.cpp verbatim.
#
#   tests/install_consume.sh BUILD_DIR WORK_DIR [CMAKE] [GENERATOR]
#
# Which examples run follows the build: the OpenCV and ITK ones only when those components were
# built (read from the installed config).
set -euo pipefail

build=$(cd "$1" && pwd)
work=$2
cmake=${3:-cmake}
generator=${4:-}
src=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix
gen_args=()
[[ -n $generator ]] && gen_args=(-G "$generator")

step() { printf '\n== %s\n' "$*"; }

step "install $build -> $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log"
config=$(find "$prefix" -name gradmapConfig.cmake | head -n1)
[[ -n $config ]] || { echo "no gradmapConfig.cmake under $prefix"; exit 1; }
built=$(sed -n 's/^set(gradmap_BUILT_COMPONENTS \(.*\))$/\1/p' "$config")
echo "built components: $built"

# Each example from a fresh build directory, finding gradmap only through CMAKE_PREFIX_PATH.
run_example() {
  local name=$1
  shift
  step "example $name"
  "$cmake" -S "$src/examples/$name" -B "$work/$name" "${gen_args[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" >"$work/$name.configure.log" || { cat "$work/$name.configure.log"; exit 1; }
  "$cmake" --build "$work/$name" -j 1 >"$work/$name.build.log" || { cat "$work/$name.build.log"; exit 1; }
  "$work/$name/example_$name" "$@"
}

run_example core
[[ $built == *opencv* ]] && run_example opencv "$src/sample_images/raccoon_color.jpg"
[[ $built == *itk* ]] && run_example itk "$src/sample_images/head_phantom.nii.gz"

step "pkg-config gradmap-core"
pcdir=$(dirname "$(find "$prefix" -name gradmap-core.pc | head -n1)")
export PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pkg-config --modversion gradmap-core
# --static: a static libgradmap-core needs its private oneTBB and SLEEF on the link line.
flags=$(pkg-config --cflags --libs --static gradmap-core)
echo "$flags"
# shellcheck disable=SC2086
${CXX:-c++} -std=c++17 -O1 "$src/examples/core/main.cpp" -o "$work/example_core_pc" $flags -ltbb \
  -Wl,-rpath,"$(pkg-config --variable=libdir gradmap-core)"
"$work/example_core_pc"

step "version and component rules"
mkdir -p "$work/rules"
cat >"$work/rules/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(gradmap_rules LANGUAGES C CXX)  # C: ITK's configuration (loaded for the umbrella) try-compiles C
# SameMinorVersion: 0.1 is accepted, 0.2 and 1.0 are not.
find_package(gradmap 0.2 CONFIG QUIET)
if(gradmap_FOUND)
  message(FATAL_ERROR "gradmap 0.2 accepted a ${gradmap_VERSION} installation")
endif()
find_package(gradmap 1.0 CONFIG QUIET)
if(gradmap_FOUND)
  message(FATAL_ERROR "gradmap 1.0 accepted a ${gradmap_VERSION} installation")
endif()
find_package(gradmap 0.1 CONFIG REQUIRED COMPONENTS core)
if(NOT TARGET gradmap::core OR TARGET gradmap::opencv OR TARGET gradmap::itk OR TARGET gradmap::gradmap)
  message(FATAL_ERROR "COMPONENTS core must define gradmap::core alone")
endif()
find_package(gradmap 0.1 CONFIG QUIET COMPONENTS no_such_component)
if(gradmap_FOUND)
  message(FATAL_ERROR "an unknown component was accepted")
endif()
find_package(gradmap 0.1 CONFIG REQUIRED)
if(NOT TARGET gradmap::gradmap)
  message(FATAL_ERROR "find_package(gradmap) without components must define gradmap::gradmap")
endif()
message(STATUS "gradmap ${gradmap_VERSION}: version and component rules hold")
CMAKE
"$cmake" -S "$work/rules" -B "$work/rules/build" "${gen_args[@]}" -DCMAKE_PREFIX_PATH="$prefix" | grep "rules hold"

step "docs/cpp.md shows examples/core/main.cpp"
# The first ```cpp block after the marker line must be the example, byte for byte.
awk '/<!-- example: examples\/core\/main.cpp -->/ {m=1; next} m && /^```cpp$/ {p=1; next} p && /^```$/ {exit} p' \
  "$src/docs/cpp.md" >"$work/doc_example.cpp"
diff -u "$src/examples/core/main.cpp" "$work/doc_example.cpp"

step "all install-and-consume checks passed"
