//===- CpuKernelAvx2.cpp - the CPU kernel built for AVX2 + FMA + F16C ===//
#include "runtime/cpu/CpuKernelDetail.h"
#include <cmath>

#define ATTN_KERNEL_NS avx2
#define ATTN_VEC_WIDTH 8
#include "runtime/cpu/CpuKernel.inc"
