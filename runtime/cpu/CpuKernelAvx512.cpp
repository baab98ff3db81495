//===- CpuKernelAvx512.cpp - the CPU kernel built for AVX-512F, 16 lanes ===//
//
// The same source as the wide16 build, which the tests run on machines
// without AVX-512; only the instruction set differs.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuKernelDetail.h"
#include <cmath>

#define ATTN_KERNEL_NS avx512
#define ATTN_VEC_WIDTH 16
#include "runtime/cpu/CpuKernel.inc"
