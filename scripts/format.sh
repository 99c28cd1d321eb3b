#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Formats gradmap's C++ (lib/, app/, tests/, fuzz/, bench/, examples/) with the repository's
# .clang-format, in place. `scripts/format.sh --check` changes nothing and exits 1 when a file
# differs, listing it: CI runs the check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clang_format=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [[ -z $clang_format ]]; then
  echo "format.sh: clang-format not found (scripts/setup.sh installs it)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files -co --exclude-standard -- 'lib/*.cpp' 'lib/*.hpp' 'app/*.cpp' 'app/*.hpp' \
  'tests/*.cpp' 'tests/*.hpp' 'fuzz/*.cpp' 'fuzz/*.hpp' 'bench/*.cpp' 'bench/*.hpp' 'examples/*.cpp' 'examples/*.hpp' 'python/*.cpp' 'python/*.hpp')
if [[ ${1:-} == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    [[ -f $f ]] || continue
    if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if ((${#bad[@]})); then
    echo "format.sh: ${#bad[@]} file(s) differ from .clang-format (run scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted as .clang-format says"
  exit 0
fi
"$clang_format" -i "${files[@]}"
