#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's demo command: installs what is missing, builds, and turns every file in
# sample_images/ into edge maps under out/ (float maps, PNG display maps and overview pictures).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
gradmap=${BUILD_DIR:-$root/build}/app/gradmap
out=$root/out
mkdir -p "$out"

echo "== gradmap info"
"$gradmap" info "$root"/sample_images/*.{png,jpg,tif,nii.gz,nrrd} "$root"/sample_images/head_phantom_dicom

echo "== gradmap edges (PNG display maps + overviews)"
for f in "$root"/sample_images/*.{png,jpg,tif}; do
  [[ -e $f ]] || continue
  "$gradmap" edges "$f" -o "$out" --overview "$out/$(basename "${f%.*}")_overview.png"
done
echo "== gradmap edges (volumes, maps in mm units, same format)"
for f in "$root"/sample_images/*.nii.gz "$root"/sample_images/*.nrrd "$root"/sample_images/head_phantom_dicom; do
  [[ -e $f ]] || continue
  name=$(basename "$f"); name=${name%.nii.gz}; name=${name/./_}
  "$gradmap" edges "$f" -o "$out" --overview "$out/${name}_overview.png"
done
echo "== gradmap gradient (float32 TIFF components)"
for f in "$root"/sample_images/*.png; do
  "$gradmap" gradient "$f" -o "$out" --format tiff
  break
done
echo
echo "Results are in $out"
