//===- CpuKernelGeneric.cpp - the CPU kernel built for the baseline x86-64 (or any other) ISA ===//
#include "runtime/cpu/CpuKernelDetail.h"
#include <cmath>

#define ATTN_KERNEL_NS generic
#define ATTN_VEC_WIDTH 8
#include "runtime/cpu/CpuKernel.inc"
