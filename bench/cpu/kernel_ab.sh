#!/usr/bin/env bash
# Paired timing of the CPU kernel at git revisions (see kernel_ab.cpp):
#   bench/cpu/kernel_ab.sh REV1 REV2 ... -- H N D f32|bf16 THREADS RUNS
# e.g. bench/cpu/kernel_ab.sh 2d27024 HEAD -- 1 4096 128 f32 1 9
# Builds runtime/cpu of each revision into bench/out/kernel_ab/REV.so with
# clang++-22 -O3 (the AVX2 build with -mavx2 -mfma -mf16c, as CMake does).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/bench/out/kernel_ab
CXX=${CXX:-clang++-22}
mkdir -p "$OUT"
libs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  rev=$1; shift
  sha=$(git -C "$ROOT" rev-parse --short "$rev")
  src=$(mktemp -d)
  mkdir -p "$src/runtime/cpu"
  for f in $(git -C "$ROOT" ls-tree --name-only "$sha" runtime/cpu/); do
    git -C "$ROOT" show "$sha:$f" >"$src/$f"
  done
  # Half.h moved from runtime/ to support/: take it from where the revision has it.
  mkdir -p "$src/support"
  for h in support/Half.h runtime/Half.h; do
    if git -C "$ROOT" cat-file -e "$sha:$h" 2>/dev/null; then
      git -C "$ROOT" show "$sha:$h" >"$src/$h"
    fi
  done
  objs=()
  for f in "$src"/runtime/cpu/CpuKernel*.cpp "$src"/runtime/cpu/CpuAttention.cpp; do
    flags=()
    case $(basename "$f") in
      CpuKernelAvx2.cpp | CpuKernelWide16.cpp) flags=(-mavx2 -mfma -mf16c) ;;
      CpuKernelAvx512.cpp) flags=(-mavx512f -mavx2 -mfma -mf16c) ;;
    esac
    "$CXX" -std=c++20 -O3 -fPIC -I"$src" "${flags[@]}" -c "$f" \
      -o "$src/$(basename "$f" .cpp).o"
    objs+=("$src/$(basename "$f" .cpp).o")
  done
  "$CXX" -shared "${objs[@]}" -lfmt -o "$OUT/$sha.so"
  rm -rf "$src"
  libs+=("$OUT/$sha.so")
done
[ "${1:-}" = "--" ] && shift
"$CXX" -std=c++20 -O2 -I"$ROOT" -I"$ROOT/runtime/include" \
  "$HERE/kernel_ab.cpp" -ldl -o "$OUT/kernel_ab"
cd "$OUT" && ./kernel_ab "${libs[@]/#$OUT\//./}" -- "$@"
