//===- driver_abi_check.cpp - CudaDriver.h's constants against cuda.h -----===//
//
// CudaDriver.h declares the few driver types and constants attn_rt needs by
// hand (attn_rt builds without the toolkit). build_runner.sh compiles this
// with -fsyntax-only where cuda.h exists, so a wrong value fails the build.
// CudaDriver.h comes first: cuda.h's macros (cuMemcpyHtoD -> _v2, ...) would
// rename DriverApi's members.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaDriver.h"
#include <cuda.h>

namespace ac = attn::cuda;
#define SAME(name) static_assert(int(ac::name) == int(::name), #name)
SAME(CUDA_SUCCESS);
SAME(CUDA_ERROR_STUB_LIBRARY);
SAME(CUDA_ERROR_NO_DEVICE);
SAME(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
SAME(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
SAME(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
SAME(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
SAME(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
SAME(CU_POINTER_ATTRIBUTE_MEMORY_TYPE);
SAME(CU_MEMORYTYPE_HOST);
SAME(CU_MEMORYTYPE_DEVICE);
SAME(CU_MEMORYTYPE_UNIFIED);
SAME(CU_JIT_INFO_LOG_BUFFER);
SAME(CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES);
SAME(CU_JIT_ERROR_LOG_BUFFER);
SAME(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
SAME(CU_EVENT_DEFAULT);
static_assert(sizeof(ac::CUdeviceptr) == sizeof(::CUdeviceptr));
static_assert(sizeof(ac::CUdevice) == sizeof(::CUdevice));
static_assert(sizeof(ac::CUresult) == sizeof(::CUresult));
