#!/usr/bin/env bash
# Builds the GPU-side programs of attnc with g++ alone (no CMake, MLIR or
# libcuda at link time: the driver is dlopen'ed at run time):
#
#   OUT/attnc-gpu-runner   bench/gpu/runner.cpp: a bundle on .npy inputs
#   OUT/libattn_gpu.so     bench/gpu/attn_gpu_capi.cpp: the C API check.py uses
#
#   bench/gpu/build_runner.sh [OUT] [--portable]   (OUT: bench/gpu/artifacts)
#
# --portable links libstdc++ and libgcc statically, for the prebuilt copies
# prepare.py puts in ART/prebuilt/ (they then need only glibc and, at run
# time, the driver), in case the GPU machine has no host compiler.
#
# fmt is used header-only: OUT/fmt/fmt/*.h (copied there by prepare.py), else
# $FMT_INCLUDE, else /usr/include. Where the CUDA toolkit is, the driver
# constants attn_rt declares by hand are checked against cuda.h first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/bench/gpu/artifacts
PORTABLE=0
for arg in "$@"; do
  case "$arg" in
    --portable) PORTABLE=1 ;;
    -*) echo "build_runner.sh: unknown option $arg" >&2; exit 2 ;;
    *) OUT=$arg ;;
  esac
done
mkdir -p "$OUT/obj"
LINK=()
[ "$PORTABLE" = 1 ] && LINK=(-static-libstdc++ -static-libgcc)
if [ -f "$OUT/fmt/fmt/core.h" ]; then
  FMT=$OUT/fmt
elif [ -n "${FMT_INCLUDE:-}" ]; then
  FMT=$FMT_INCLUDE
else
  FMT=/usr/include
fi
[ -f "$FMT/fmt/core.h" ] || { echo "build_runner.sh: no fmt headers in $FMT (set FMT_INCLUDE)" >&2; exit 2; }
CXX=${CXX:-g++}
FLAGS=(-std=c++20 -O2 -fPIC -Wall -Wextra -Wno-unused-parameter -DFMT_HEADER_ONLY
       -I"$ROOT" -I"$ROOT/runtime/include")
# -isystem /usr/include would break the C++ headers' #include_next.
[ "$FMT" = /usr/include ] || FLAGS+=(-isystem "$FMT")

for d in "${CUDA_HOME:-}" /usr/local/cuda; do
  if [ -n "$d" ] && [ -f "$d/include/cuda.h" ]; then
    "$CXX" "${FLAGS[@]}" -isystem "$d/include" -fsyntax-only \
      "$ROOT/bench/gpu/driver_abi_check.cpp"
    echo "build_runner.sh: driver constants agree with $d/include/cuda.h"
    break
  fi
done

# Each source once, in parallel (fmt header-only is slow to compile).
SRCS=(runtime/cuda/Bundle.cpp runtime/cuda/CudaDriver.cpp
      runtime/cuda/CudaRuntime.cpp support/AtomicFile.cpp support/Npy.cpp
      support/FileRead.cpp support/TextEscape.cpp bench/gpu/runner.cpp)
[ -f "$ROOT/bench/gpu/attn_gpu_capi.cpp" ] && SRCS+=(bench/gpu/attn_gpu_capi.cpp)
pids=()
for s in "${SRCS[@]}"; do
  "$CXX" "${FLAGS[@]}" -c "$ROOT/$s" -o "$OUT/obj/$(basename "$s" .cpp).o" &
  pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ "$fail" = 0 ] || { echo "build_runner.sh: compilation failed" >&2; exit 1; }
RT=("$OUT"/obj/Bundle.o "$OUT"/obj/CudaDriver.o "$OUT"/obj/CudaRuntime.o "$OUT"/obj/AtomicFile.o
    "$OUT"/obj/FileRead.o "$OUT"/obj/TextEscape.o)
"$CXX" "${LINK[@]}" "$OUT/obj/runner.o" "${RT[@]}" "$OUT/obj/Npy.o" -o "$OUT/attnc-gpu-runner" -ldl -lpthread
echo "build_runner.sh: built $OUT/attnc-gpu-runner"
if [ -f "$OUT/obj/attn_gpu_capi.o" ]; then
  "$CXX" -shared "${LINK[@]}" "$OUT/obj/attn_gpu_capi.o" "${RT[@]}" -o "$OUT/libattn_gpu.so" -ldl -lpthread
  echo "build_runner.sh: built $OUT/libattn_gpu.so"
fi
