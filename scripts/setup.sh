#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package gradmap needs to build, test, benchmark and run its demo.
# Idempotent: packages already present are not reinstalled and apt's index is refreshed only when
# something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopencv-dev libinsighttoolkit5-dev libcli11-dev nlohmann-json3-dev libsleef-dev libtbb-dev libdeflate-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-nibabel python3-scipy python3-opencv python3-pydicom python3-tifffile
  python3-pil  # tests read PNG text chunks, JPEG comments and EXIF orientation with PIL
  time  # GNU time: the peak memory of a CLI run, not of the process that started it (tests/test_cli.cpp)
  libjpeg62-turbo-dev  # gradmap decodes JPEG with libjpeg itself, to turn its warnings into gradmap's
  libpng-dev  # and PNG with libpng itself, for the same reason
  python3-dev pybind11-dev python3-pytest  # the Python module (python/) and its pytest suite
  python3-dask python3-distributed python3-zarr  # gradmap.dask, its LocalCluster and Zarr tests
  python3-skimage  # its sample photographs: bench/batch_bench.sh's real-photo folder
  clang libclang-rt-14-dev clang-format
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
