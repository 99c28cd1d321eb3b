#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install-and-consume test (issue #7): installs a built gradmap tree into a fresh temporary prefix,
# then configures, builds and runs every example in examples/ against that prefix from a fresh
# CMake configuration, builds examples/core through pkg-config alone (with this build's library
# type, and with the other one from a libraries-only build that must not need GoogleTest or
# benchmark), checks a gradmap::itk consumer with ITKCommon alone and one without C, the
# package's version and component rules, and that docs/cpp.md shows examples/core/main.cpp.
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

# pkg-config alone, as documented: `pkg-config --cflags --libs gradmap-core` and nothing else on
# the command line (no --static, no -ltbb) must link, whatever the build's library type.
pc_link() {
  local pcdir=$1 out=$2
  local flags
  flags=$(PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} pkg-config --cflags --libs gradmap-core)
  echo "$flags"
  # shellcheck disable=SC2086
  ${CXX:-c++} -std=c++17 -O1 "$src/examples/core/main.cpp" -o "$out" $flags \
    -Wl,-rpath,"$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir gradmap-core)"
  "$out"
}
step "pkg-config gradmap-core ($(sed -n 's/^set(_gradmap_static \(.*\))$/\1/p' "$config" | sed 's/ON/static/;s/OFF/shared/') build)"
pcdir=$(dirname "$(find "$prefix" -name gradmap-core.pc | head -n1)")
PKG_CONFIG_PATH=$pcdir pkg-config --modversion gradmap-core
pc_link "$pcdir" "$work/example_core_pc"

# The libraries-only recipe of docs/cpp.md, with the other library type: it must configure
# without GoogleTest or Google Benchmark and build nothing but the libraries. (Core only, to keep
# the test short; the recipe itself is the same with OpenCV and ITK.)
step "libraries-only build, other library type"
other_shared=ON
[[ $(sed -n 's/^set(_gradmap_static \(.*\))$/\1/p' "$config") == OFF ]] && other_shared=OFF
"$cmake" -S "$src" -B "$work/libs" "${gen_args[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=$other_shared \
  -DGRADMAP_BUILD_TESTS=OFF -DGRADMAP_BUILD_APP=OFF -DGRADMAP_BUILD_BENCH=OFF \
  -DGRADMAP_WITH_OPENCV=OFF -DGRADMAP_WITH_ITK=OFF \
  >"$work/libs.configure.log" || { cat "$work/libs.configure.log"; exit 1; }
# find_package(GTest) / (benchmark) would leave these in the cache.
if grep -qE '^(GTest_DIR|GTEST_INCLUDE_DIR|benchmark_DIR|nlohmann_json_DIR)[:=]' "$work/libs/CMakeCache.txt" ||
  "$cmake" --build "$work/libs" --target help | grep -qE 'gradmap_tests|bench_gradmap|gradmap_cli'; then
  echo "the libraries-only configuration still has tests, benchmarks or the CLI"; exit 1
fi
"$cmake" --build "$work/libs" -j 2 >"$work/libs.build.log" || { cat "$work/libs.build.log"; exit 1; }
"$cmake" --install "$work/libs" --prefix "$work/libs-prefix" >/dev/null
ls "$work/libs-prefix"/lib*/libgradmap-core.*
pc_link "$(dirname "$(find "$work/libs-prefix" -name gradmap-core.pc | head -n1)")" "$work/example_core_pc_other"

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

if [[ $built == *opencv* ]]; then
  # OpenCV's imgcodecs reaches a consumer linked (gradmap::imgcodecs, kept by the linker although
  # only a weak reference names it), not as the CLI's on-demand module: a TIFF reads without
  # lib/gradmap/gradmap_imgcodecs.so, which is moved away for the run.
  step "gradmap::gradmap reads a TIFF through the linked imgcodecs"
  mkdir -p "$work/tiff"
  cat >"$work/tiff/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(gradmap_tiff LANGUAGES C CXX)
find_package(gradmap 0.1 CONFIG REQUIRED)
add_executable(read_tiff main.cpp)
target_compile_features(read_tiff PRIVATE cxx_std_17)
target_link_libraries(read_tiff PRIVATE gradmap::gradmap)
CMAKE
  cat >"$work/tiff/main.cpp" <<'CPP'
#include <cstdio>
#include "gradmap/io.hpp"
int main(int, char** argv) {
  const gradmap::Image image = gradmap::read_image(argv[1]);
  std::printf("%s: %lld x %lld\n", argv[1], (long long)image.pixels.shape()[0], (long long)image.pixels.shape()[1]);
  return image.pixels.size() > 0 ? 0 : 1;
}
CPP
  "$cmake" -S "$work/tiff" -B "$work/tiff/build" "${gen_args[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" >"$work/tiff.configure.log" || { cat "$work/tiff.configure.log"; exit 1; }
  "$cmake" --build "$work/tiff/build" -j 1 >"$work/tiff.build.log" || { cat "$work/tiff.build.log"; exit 1; }
  module=$(find "$prefix" -name gradmap_imgcodecs.so | head -n1)
  [[ -n $module ]] || { echo "the CLI's module gradmap_imgcodecs.so is not installed"; exit 1; }
  mv "$module" "$module.away"
  status=0
  "$work/tiff/build/read_tiff" "$src/sample_images/linear_ramp_2d.tif" || status=$?
  mv "$module.away" "$module"
  [[ $status == 0 ]] || exit 1
fi

if [[ $built == *itk* ]]; then
  # The header-only ITK adapters with ITKCommon alone: no ITK IO module in the consumer's link.
  step "gradmap::itk with ITKCommon alone"
  mkdir -p "$work/itk_common"
  cat >"$work/itk_common/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(gradmap_itk_common LANGUAGES C CXX)
find_package(ITK REQUIRED COMPONENTS ITKCommon)
find_package(gradmap 0.1 CONFIG REQUIRED COMPONENTS itk)
add_executable(itk_common main.cpp)
target_compile_features(itk_common PRIVATE cxx_std_17)
target_link_libraries(itk_common PRIVATE gradmap::itk)
CMAKE
  cat >"$work/itk_common/main.cpp" <<'CPP'
#include <cstdio>
#include "gradmap/itk.hpp"
int main() {
  using Image = itk::Image<float, 3>;
  auto image = Image::New();
  Image::SizeType size = {{6, 5, 4}};
  image->SetRegions(Image::RegionType(size));
  image->Allocate();
  float* p = image->GetBufferPointer();
  for (int i = 0; i < 120; ++i) p[i] = float(i % 6);  // f = x: d/dx = 1 per unit spacing
  gradmap::ItkEdgeMaps<float, 3> maps;
  gradmap::edges_into(*image, maps);
  const Image::IndexType c = {{2, 2, 2}};
  std::printf("|g| at the centre %g\n", maps.magnitude->GetPixel(c));
  return maps.magnitude->GetPixel(c) == 1.0f ? 0 : 1;
}
CPP
  "$cmake" -S "$work/itk_common" -B "$work/itk_common/build" "${gen_args[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
    >"$work/itk_common.configure.log" || { cat "$work/itk_common.configure.log"; exit 1; }
  "$cmake" --build "$work/itk_common/build" -j 1 >"$work/itk_common.build.log" ||
    { cat "$work/itk_common.build.log"; exit 1; }
  if grep -E 'ITKIO|ITKNIFTI|gdcm' "$work/itk_common/build/CMakeFiles/itk_common.dir/link.txt" 2>/dev/null ||
    grep -rE 'ITKIO|ITKNIFTI|gdcm' "$work/itk_common/build/build.ninja" 2>/dev/null | grep -q LINK_LIBRARIES; then
    echo "a gradmap::itk consumer links ITK IO modules"; exit 1
  fi
  "$work/itk_common/build/itk_common"

  # A consumer that forgot C gets gradmap's message, not a try_compile error from FindHDF5.
  step "gradmap::itk without C enabled"
  mkdir -p "$work/no_c"
  cat >"$work/no_c/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(gradmap_no_c LANGUAGES CXX)
find_package(gradmap 0.1 CONFIG REQUIRED COMPONENTS itk)
CMAKE
  if "$cmake" -S "$work/no_c" -B "$work/no_c/build" "${gen_args[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
    >"$work/no_c.log" 2>&1; then
    echo "configuring gradmap::itk without C succeeded"; exit 1
  fi
  grep -q "gradmap::itk needs the C language enabled" "$work/no_c.log" || { cat "$work/no_c.log"; exit 1; }
  ! grep -q "try_compile" "$work/no_c.log" || { cat "$work/no_c.log"; exit 1; }
  echo "gradmap's message: $(grep -m1 -o 'gradmap::itk needs the C language enabled[^:]*' "$work/no_c.log")"
fi

step "docs/cpp.md shows examples/core/main.cpp"
# The first ```cpp block after the marker line must be the example, byte for byte.
awk '/<!-- example: examples\/core\/main.cpp -->/ {m=1; next} m && /^```cpp$/ {p=1; next} p && /^```$/ {exit} p' \
  "$src/docs/cpp.md" >"$work/doc_example.cpp"
diff -u "$src/examples/core/main.cpp" "$work/doc_example.cpp"

step "all install-and-consume checks passed"
