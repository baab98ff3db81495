#!/usr/bin/env bash
# Builds bench/cpu/compile_blockmap_bench against the static libraries of an
# existing attnc build tree (default /work/main/build-me), into bench/out/.
# It links what the attnc binary links (see build.ninja), so it needs the same
# toolchain: clang++-22 (CMAKE_CXX_COMPILER of the build tree), LLVM/MLIR 22.
#   bench/cpu/build_tools.sh [BUILD_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-${ATTNC_BUILD:-$ROOT/build-me}}
CXX=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
OUT=$ROOT/bench/out
mkdir -p "$OUT"
LLVM_LIB=$(dirname "$(ls /usr/lib/llvm-*/lib/libMLIR.so.* | head -1)")
# attn_jit links NVRTC when the build tree found it (CUDA_nvrtc_LIBRARY).
NVRTC=$(sed -n 's/^CUDA_nvrtc_LIBRARY:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
EXTRA=()
if [ -n "$NVRTC" ] && [ -e "$NVRTC" ]; then
  EXTRA=(-Wl,-rpath,"$(dirname "$NVRTC")" "$NVRTC")
fi
"$CXX" -std=c++20 -O2 -I"$ROOT/runtime/include" \
  "$HERE/compile_blockmap_bench.cpp" -o "$OUT/compile_blockmap_bench.tmp" \
  -Wl,-rpath,"$LLVM_LIB" \
  "$BUILD/runtime/jit/libattn_jit.a" "$BUILD/frontend/libAttnFrontend.a" \
  "$BUILD/passes/libAttnPasses.a" "$BUILD/runtime/reference/libattn_reference.a" \
  "$BUILD/runtime/libattn_rt.a" "$BUILD/dialect/libAttnDialect.a" \
  "$BUILD/codegen/libAttnCodegen.a" "$BUILD/passes/libAttnPasses.a" \
  "$BUILD/dialect/libAttnDialect.a" \
  "$(ls /usr/lib/x86_64-linux-gnu/libfmt.so.* | head -1)" \
  "$LLVM_LIB"/libMLIR.so.* "$LLVM_LIB"/libLLVM.so.1 "${EXTRA[@]}" -lpthread -ldl
mv "$OUT/compile_blockmap_bench.tmp" "$OUT/compile_blockmap_bench"
echo "built $OUT/compile_blockmap_bench against $BUILD" >&2
