//===- CpuKernelWide16.cpp - the 16-lane kernel built for AVX2 -----------===//
//
// The AVX-512 build's code (16-lane vectors, 12 x 32 micro-kernels)
// compiled for AVX2, so that the tests check it on machines without
// AVX-512 (ATTNC_CPU_KERNEL=wide16). Never picked automatically: it spills.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuKernelDetail.h"
#include <cmath>

#define ATTN_KERNEL_NS wide16
#define ATTN_VEC_WIDTH 16
#include "runtime/cpu/CpuKernel.inc"
