#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Batch throughput (issue 5): a folder of one-megapixel PNGs through `gradmap batch` and through the
# equivalent Python script (bench/batch_python.py: cv2.imread, np.gradient, np.hypot, np.arctan2,
# normalize, cv2.imwrite), in the same run. Prints images/s for both and their ratio, where
# gradmap's time goes (decode / compute / encode), and checks that gradmap's float64 magnitudes are
# numpy's bit for bit. Both sides write the same two 8-bit PNGs per image (magnitude min-max scaled,
# direction -pi..pi → 0..255, gradmap's --dir-style gray) at OpenCV's default PNG settings.
#
#   bench/batch_bench.sh                    # 64 images of 1000x1000, best of 3 runs each
#   bench/batch_bench.sh --images 128 --reps 5
#
# GRADMAP (the CLI, default build/app/gradmap or build-batch/app/gradmap), PYTHON (default
# /usr/bin/python3, needs numpy + opencv), BENCH_DIR (scratch, default /tmp/gradmap-batch-bench),
# BENCH_OUT (markdown table, default bench/results/batch.md). Run on an otherwise idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
images=64 size=1000 reps=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --images) images=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: $0 [--images N] [--size PIXELS] [--reps R]" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-/usr/bin/python3}
gm=${GRADMAP:-}
if [[ -z $gm ]]; then
  for c in "$root/build/app/gradmap" "$root/build-batch/app/gradmap"; do [[ -x $c ]] && gm=$c && break; done
fi
[[ -x ${gm:-} ]] || { echo "batch_bench: build gradmap first (or set GRADMAP=/path/to/gradmap)" >&2; exit 1; }
work=${BENCH_DIR:-/tmp/gradmap-batch-bench}
out=${BENCH_OUT:-$root/bench/results/batch.md}
cores=$(nproc)

# Photograph-like content (smooth shading, edges, texture, a little noise) compresses and decodes
# like real images; pure noise would make PNG decoding dominate both sides.
in=$work/in-$images-$size
if [[ ! -f $in/.complete ]]; then
  rm -rf "$in" && mkdir -p "$in"
  "$py" - "$in" "$images" "$size" <<'PY'
import sys, numpy as np, cv2
d, n, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(2024)
y, x = np.mgrid[0:s, 0:s].astype(np.float32) / s
for i in range(n):
    f = 90 + 60 * np.sin(2 * np.pi * (x * rng.uniform(1, 4) + y * rng.uniform(1, 4)))
    for _ in range(12):
        cx, cy, r = rng.uniform(0, 1, 2).tolist() + [rng.uniform(0.03, 0.2)]
        f += rng.uniform(-80, 80) * (((x - cx) ** 2 + (y - cy) ** 2) < r * r)
    f += rng.normal(0, 4, f.shape)
    cv2.imwrite(f"{d}/img{i:04d}.png", np.clip(f, 0, 255).astype(np.uint8))
PY
  touch "$in/.complete"
fi

now() { date +%s.%N; }
# Best (shortest) wall time of $reps runs of "$@", each into a fresh output directory; process
# start-up included on both sides (what a user waits for).
best() {
  local b=
  for ((r = 0; r < reps; r++)); do
    rm -rf "$work/out"
    local t0 t1; t0=$(now); "$@" >"$work/last.log" 2>&1; t1=$(now)
    b=$(awk -v a="$t1" -v z="$t0" -v b="$b" 'BEGIN { t = a - z; if (b == "" || t < b) b = t; print b }')
  done
  echo "$b"
}

echo "batch_bench: $images PNGs of ${size}x$size in $in; $cores cores; best of $reps" >&2
t_gm=$(best "$gm" batch "$in" -o "$work/out" --dir-style gray -q --timing)
timing=$(grep '^time by step' "$work/last.log" || true)
t_py1=$(best "$py" "$root/bench/batch_python.py" "$in" "$work/out")
t_pyn=$(best "$py" "$root/bench/batch_python.py" "$in" "$work/out" --jobs "$cores")

# Same values: gradmap's float64 magnitudes (.npy) against numpy's, image by image.
rm -rf "$work/npy"
"$gm" batch "$in" -o "$work/npy" --format npy -q >/dev/null
check=$("$py" "$root/bench/batch_python.py" --check "$in" "$work/npy" | tail -1)

rate() { awk -v n="$images" -v t="$1" 'BEGIN { printf "%.1f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
{
  echo "| $images PNGs ${size}x$size, $cores cores | wall (s) | images/s | gradmap speed-up |"
  echo "|---|---:|---:|---:|"
  printf '| gradmap batch (-j %s, one oneTBB arena) | %.2f | %s | 1 |\n' "$cores" "$t_gm" "$(rate "$t_gm")"
  printf '| Python script, 1 process | %.2f | %s | %s× |\n' "$t_py1" "$(rate "$t_py1")" "$(ratio "$t_gm" "$t_py1")"
  printf '| Python script, %s processes | %.2f | %s | %s× |\n' "$cores" "$t_pyn" "$(rate "$t_pyn")" "$(ratio "$t_gm" "$t_pyn")"
  echo
  echo "gradmap ${timing#time by step, summed over files: }" | sed 's/^gradmap /gradmap time by step (summed over files): /'
  echo
  echo "$check"
} | tee "$out"
echo "batch_bench: table written to $out" >&2
