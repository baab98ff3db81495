//===- CudaDriver.h - the CUDA driver API, dlopen'ed ------------*- C++ -*-===//
//
// attn_rt talks to the GPU through the CUDA driver API, loaded at run time
// from libcuda.so.1 (or $ATTNC_LIBCUDA), so attnc builds and runs on machines
// without a driver: available() is then false and unavailableReason() says
// why in one line. Nothing here includes a CUDA header or links libcuda; the
// few driver types and constants used are declared below with the values of
// cuda.h (bench/gpu/runner.cpp checks them against cuda.h when it is there).
//
// Every call that fails becomes an attn::Error naming the call and the
// driver's error name, e.g. "cuLaunchKernel(attn_fwd_bf16_d128) failed:
// CUDA_ERROR_INVALID_VALUE (invalid argument)".
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_CUDA_CUDADRIVER_H
#define ATTN_RUNTIME_CUDA_CUDADRIVER_H

#include <cstddef>
#include <string>

namespace attn::cuda {

// Driver API types, as in cuda.h (64-bit).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;

// The constants attn_rt uses (values from cuda.h).
enum : int {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_STUB_LIBRARY = 34,
  CUDA_ERROR_NO_DEVICE = 100,
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2,
  CU_MEMORYTYPE_HOST = 1,
  CU_MEMORYTYPE_DEVICE = 2,
  CU_MEMORYTYPE_UNIFIED = 4,
  CU_JIT_INFO_LOG_BUFFER = 3,
  CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_EVENT_DEFAULT = 0,
};

/// The driver entry points attn_rt calls (the _v2 symbols where the driver
/// exports them). Optional ones may be null.
struct DriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDriverGetVersion)(int *version);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuGetErrorString)(CUresult error, const char **text);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice dev);
  CUresult (*cuDeviceGetName)(char *name, int len, CUdevice dev);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice dev);
  CUresult (*cuCtxGetCurrent)(CUcontext *ctx);
  CUresult (*cuCtxSetCurrent)(CUcontext ctx);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image,
                                 unsigned numOptions, int *options,
                                 void **optionValues);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *fn, CUmodule module,
                                  const char *name);
  CUresult (*cuModuleGetGlobal)(CUdeviceptr *ptr, size_t *bytes,
                                CUmodule module, const char *name);
  CUresult (*cuFuncSetAttribute)(CUfunction fn, int attribute, int value);
  CUresult (*cuLaunchKernel)(CUfunction fn, unsigned gridX, unsigned gridY,
                             unsigned gridZ, unsigned blockX, unsigned blockY,
                             unsigned blockZ, unsigned sharedBytes,
                             CUstream stream, void **params, void **extra);
  CUresult (*cuMemAlloc)(CUdeviceptr *ptr, size_t bytes);
  CUresult (*cuMemFree)(CUdeviceptr ptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void *src, size_t bytes);
  CUresult (*cuMemcpyDtoH)(void *dst, CUdeviceptr src, size_t bytes);
  CUresult (*cuMemcpyDtoD)(CUdeviceptr dst, CUdeviceptr src, size_t bytes);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src,
                                size_t bytes, CUstream stream);
  CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src,
                                size_t bytes, CUstream stream);
  CUresult (*cuMemsetD8)(CUdeviceptr dst, unsigned char value, size_t count);
  CUresult (*cuMemsetD8Async)(CUdeviceptr dst, unsigned char value,
                              size_t count, CUstream stream);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuPointerGetAttribute)(void *data, int attribute,
                                    CUdeviceptr ptr);
  CUresult (*cuEventCreate)(CUevent *event, unsigned flags);
  CUresult (*cuEventDestroy)(CUevent event);
  CUresult (*cuEventRecord)(CUevent event, CUstream stream);
  CUresult (*cuEventSynchronize)(CUevent event);
  CUresult (*cuEventElapsedTime)(float *ms, CUevent start, CUevent end);
};

/// What probing a driver library found.
struct DriverStatus {
  bool ok = false;
  /// One line when !ok: "libcuda.so.1 not found (no NVIDIA driver)", "the
  /// CUDA driver is a stub library (CUDA_ERROR_STUB_LIBRARY)", "no CUDA
  /// device", ...
  std::string reason;
  int driverVersion = 0; // e.g. 12040
  int deviceCount = 0;
};

/// The first usable device (ordinal 0; CUDA_VISIBLE_DEVICES selects it).
struct DeviceInfo {
  CUdevice device = 0;
  std::string name;
  int major = 0, minor = 0;
  int smCount = 0;
  int maxSharedOptin = 0; // bytes of dynamic shared memory a CTA may opt into
  std::string arch;       // archForComputeCapability(major, minor)
  int driverVersion = 0;
};

/// The library path used: $ATTNC_LIBCUDA when set, else "libcuda.so.1".
std::string driverLibraryPath();

/// Loads `libraryPath`, resolves the entry points, runs cuInit and looks for
/// a device of compute capability 8.0 or newer. Not cached (for tests and
/// diagnostics); never throws or crashes. `api`/`info`, when given, receive
/// the entry points and the device on success. The library stays loaded.
DriverStatus probeDriver(const std::string &libraryPath,
                         DriverApi *api = nullptr, DeviceInfo *info = nullptr);

/// Whether a usable CUDA device exists (probed once per process, thread-safe).
bool available();
/// Why not, in one line; empty when available().
std::string unavailableReason();

/// The entry points; throws attn::Error("CUDA is not available: <reason>").
const DriverApi &api();
/// The device in use; throws like api().
const DeviceInfo &deviceInfo();
/// The primary context of the device (retained once); throws like api().
CUcontext primaryContext();

/// "sm_90a" for 9.0 (the Hopper features need the 'a' target), else
/// "sm_<major><minor>": 8.0 -> "sm_80", 8.6 -> "sm_86", 12.0 -> "sm_120".
std::string archForComputeCapability(int major, int minor);

/// "CUDA_ERROR_INVALID_VALUE (invalid argument)", or "CUDA error <n>" when
/// the driver cannot name it.
std::string describeError(CUresult result);
/// Throws attn::Error("<call> failed: <describeError>") unless CUDA_SUCCESS.
void check(CUresult result, const std::string &call);

/// Makes the device's primary context current on this thread and restores
/// the previous one on destruction.
class ContextScope {
public:
  ContextScope();
  ~ContextScope();
  ContextScope(const ContextScope &) = delete;
  ContextScope &operator=(const ContextScope &) = delete;

private:
  CUcontext previous = nullptr;
  bool restore = false;
};

/// Device memory freed on destruction (with the primary context current).
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer &&other) noexcept;
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;

  CUdeviceptr get() const { return ptr; }
  size_t size() const { return bytes; }
  void *data() const { return reinterpret_cast<void *>(ptr); }

private:
  void release();
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
};

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_CUDADRIVER_H
