//===- CudaDriver.cpp - loading libcuda and probing the device ------------===//
#include "runtime/cuda/CudaDriver.h"
#include "attn/types.h"
#include <fmt/core.h>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <type_traits>

namespace attn::cuda {

namespace {

/// Names for the errors met before the driver can name them itself (a stub
/// or a broken driver may fail cuGetErrorName too).
const char *builtinErrorName(CUresult r) {
  switch (r) {
  case 0: return "CUDA_SUCCESS";
  case 1: return "CUDA_ERROR_INVALID_VALUE";
  case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
  case 3: return "CUDA_ERROR_NOT_INITIALIZED";
  case 34: return "CUDA_ERROR_STUB_LIBRARY";
  case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100: return "CUDA_ERROR_NO_DEVICE";
  case 101: return "CUDA_ERROR_INVALID_DEVICE";
  case 209: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 218: return "CUDA_ERROR_INVALID_PTX";
  case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case 500: return "CUDA_ERROR_NOT_FOUND";
  case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case 701: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case 803: return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
  case 804: return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
  default: return nullptr;
  }
}

std::string describeWith(const DriverApi *api, CUresult r) {
  const char *name = nullptr, *text = nullptr;
  if (api && api->cuGetErrorName && api->cuGetErrorName(r, &name) != 0)
    name = nullptr;
  if (api && api->cuGetErrorString && api->cuGetErrorString(r, &text) != 0)
    text = nullptr;
  if (!name)
    name = builtinErrorName(r);
  std::string out = name ? name : fmt::format("CUDA error {}", r);
  if (text && *text)
    out += fmt::format(" ({})", text);
  return out;
}

struct Global {
  DriverStatus status;
  DriverApi api{};
  DeviceInfo info;
  std::once_flag contextOnce;
  CUcontext context = nullptr;
  std::string contextError;
};

Global &global() {
  // Probed once, on first use, from any thread (a function-local static is
  // initialized exactly once). Never destroyed: the driver outlives exit.
  static Global *g = [] {
    auto *g = new Global;
    g->status = probeDriver(driverLibraryPath(), &g->api, &g->info);
    return g;
  }();
  return *g;
}

} // namespace

std::string driverLibraryPath() {
  const char *env = std::getenv("ATTNC_LIBCUDA");
  return env && *env ? env : "libcuda.so.1";
}

std::string archForComputeCapability(int major, int minor) {
  if (major == 9 && minor == 0)
    return "sm_90a";
  return fmt::format("sm_{}{}", major, minor);
}

DriverStatus probeDriver(const std::string &libraryPath, DriverApi *apiOut,
                         DeviceInfo *infoOut) {
  DriverStatus st;
  // RTLD_LOCAL: the driver's symbols must not leak into the process (a
  // program may load another libcuda through the CUDA runtime).
  void *lib = ::dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    if (libraryPath.find('/') == std::string::npos) {
      // A bare name is searched like the system's driver.
      st.reason = libraryPath + " not found (no NVIDIA driver)";
    } else {
      const char *why = ::dlerror();
      st.reason = fmt::format("cannot load the CUDA driver: {}",
                              why ? why : libraryPath);
    }
    return st;
  }
  DriverApi api{};
  std::string missing;
  auto sym = [&](auto &fn, const char *name, bool required = true) {
    void *p = ::dlsym(lib, name);
    if (!p && required && missing.empty())
      missing = name;
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  sym(api.cuInit, "cuInit");
  sym(api.cuDriverGetVersion, "cuDriverGetVersion");
  sym(api.cuGetErrorName, "cuGetErrorName");
  sym(api.cuGetErrorString, "cuGetErrorString");
  sym(api.cuDeviceGetCount, "cuDeviceGetCount");
  sym(api.cuDeviceGet, "cuDeviceGet");
  sym(api.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  sym(api.cuDeviceGetName, "cuDeviceGetName");
  sym(api.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  sym(api.cuCtxGetCurrent, "cuCtxGetCurrent");
  sym(api.cuCtxSetCurrent, "cuCtxSetCurrent");
  sym(api.cuCtxSynchronize, "cuCtxSynchronize");
  sym(api.cuModuleLoadData, "cuModuleLoadData");
  sym(api.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  sym(api.cuModuleUnload, "cuModuleUnload");
  sym(api.cuModuleGetFunction, "cuModuleGetFunction");
  sym(api.cuModuleGetGlobal, "cuModuleGetGlobal_v2");
  sym(api.cuFuncSetAttribute, "cuFuncSetAttribute");
  sym(api.cuLaunchKernel, "cuLaunchKernel");
  sym(api.cuMemAlloc, "cuMemAlloc_v2");
  sym(api.cuMemFree, "cuMemFree_v2");
  sym(api.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  sym(api.cuMemcpyDtoH, "cuMemcpyDtoH_v2");
  sym(api.cuMemcpyDtoD, "cuMemcpyDtoD_v2");
  sym(api.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  sym(api.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  sym(api.cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
  sym(api.cuMemsetD8, "cuMemsetD8_v2");
  sym(api.cuMemsetD8Async, "cuMemsetD8Async");
  sym(api.cuStreamSynchronize, "cuStreamSynchronize");
  sym(api.cuPointerGetAttribute, "cuPointerGetAttribute");
  sym(api.cuEventCreate, "cuEventCreate");
  sym(api.cuEventDestroy, "cuEventDestroy_v2");
  sym(api.cuEventRecord, "cuEventRecord");
  sym(api.cuEventSynchronize, "cuEventSynchronize");
  sym(api.cuEventElapsedTime, "cuEventElapsedTime_v2", /*required=*/false);
  if (!api.cuEventElapsedTime)
    sym(api.cuEventElapsedTime, "cuEventElapsedTime");
  if (!missing.empty()) {
    st.reason = fmt::format("the CUDA driver '{}' has no {} (the driver is "
                            "too old or not a CUDA driver)",
                            libraryPath, missing);
    return st;
  }

  CUresult r = api.cuInit(0);
  if (r == CUDA_ERROR_STUB_LIBRARY) {
    st.reason = "the CUDA driver is a stub library (CUDA_ERROR_STUB_LIBRARY)";
    return st;
  }
  if (r == CUDA_ERROR_NO_DEVICE) {
    st.reason = "no CUDA device";
    return st;
  }
  if (r != CUDA_SUCCESS) {
    st.reason = fmt::format("cuInit failed: {}", describeWith(&api, r));
    return st;
  }
  if (api.cuDriverGetVersion(&st.driverVersion) != CUDA_SUCCESS)
    st.driverVersion = 0;
  r = api.cuDeviceGetCount(&st.deviceCount);
  if (r != CUDA_SUCCESS) {
    st.reason =
        fmt::format("cuDeviceGetCount failed: {}", describeWith(&api, r));
    return st;
  }
  if (st.deviceCount < 1) {
    st.reason = "no CUDA device";
    return st;
  }
  DeviceInfo info;
  info.driverVersion = st.driverVersion;
  auto attr = [&](int &out, int which, const char *what) {
    CUresult e = api.cuDeviceGetAttribute(&out, which, info.device);
    if (e != CUDA_SUCCESS && st.reason.empty())
      st.reason = fmt::format("cuDeviceGetAttribute({}) failed: {}", what,
                              describeWith(&api, e));
  };
  r = api.cuDeviceGet(&info.device, 0);
  if (r != CUDA_SUCCESS) {
    st.reason = fmt::format("cuDeviceGet(0) failed: {}", describeWith(&api, r));
    return st;
  }
  char name[256] = {};
  if (api.cuDeviceGetName(name, sizeof(name) - 1, info.device) == CUDA_SUCCESS)
    info.name = name;
  attr(info.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
       "compute capability major");
  attr(info.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
       "compute capability minor");
  attr(info.smCount, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
       "multiprocessor count");
  attr(info.maxSharedOptin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
       "max shared memory per block (opt-in)");
  if (!st.reason.empty())
    return st;
  if (info.major < 8) {
    st.reason = fmt::format("the GPU '{}' has compute capability {}.{}; the "
                            "attnc kernels need 8.0 (sm_80) or newer",
                            info.name, info.major, info.minor);
    return st;
  }
  info.arch = archForComputeCapability(info.major, info.minor);
  st.ok = true;
  if (apiOut)
    *apiOut = api;
  if (infoOut)
    *infoOut = info;
  return st;
}

bool available() { return global().status.ok; }

std::string unavailableReason() { return global().status.reason; }

const DriverApi &api() {
  Global &g = global();
  if (!g.status.ok)
    throw Error("CUDA is not available: " + g.status.reason);
  return g.api;
}

const DeviceInfo &deviceInfo() {
  api();
  return global().info;
}

CUcontext primaryContext() {
  const DriverApi &a = api();
  Global &g = global();
  std::call_once(g.contextOnce, [&] {
    CUcontext ctx = nullptr;
    CUresult r = a.cuDevicePrimaryCtxRetain(&ctx, g.info.device);
    if (r != CUDA_SUCCESS)
      g.contextError = fmt::format("cuDevicePrimaryCtxRetain failed: {}",
                                   describeWith(&a, r));
    else
      g.context = ctx;
  });
  if (!g.context)
    throw Error(g.contextError);
  return g.context;
}

std::string describeError(CUresult result) {
  Global &g = global();
  return describeWith(g.status.ok ? &g.api : nullptr, result);
}

void check(CUresult result, const std::string &call) {
  if (result != CUDA_SUCCESS)
    throw Error(fmt::format("{} failed: {}", call, describeError(result)));
}

ContextScope::ContextScope() {
  const DriverApi &a = api();
  CUcontext ctx = primaryContext();
  check(a.cuCtxGetCurrent(&previous), "cuCtxGetCurrent");
  if (previous != ctx) {
    check(a.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
    restore = true;
  }
}

ContextScope::~ContextScope() {
  if (restore)
    (void)api().cuCtxSetCurrent(previous);
}

DeviceBuffer::DeviceBuffer(size_t n) : bytes(n) {
  ContextScope scope;
  // cuMemAlloc rejects 0 bytes; keep one element so the pointer is valid.
  check(api().cuMemAlloc(&ptr, n ? n : 16),
        fmt::format("cuMemAlloc({} bytes)", n));
}

void DeviceBuffer::release() {
  if (!ptr)
    return;
  try {
    ContextScope scope;
    (void)api().cuMemFree(ptr);
  } catch (const Error &) {
  }
  ptr = 0;
  bytes = 0;
}

DeviceBuffer::~DeviceBuffer() { release(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer &&other) noexcept
    : ptr(other.ptr), bytes(other.bytes) {
  other.ptr = 0;
  other.bytes = 0;
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    release();
    ptr = other.ptr;
    bytes = other.bytes;
    other.ptr = 0;
    other.bytes = 0;
  }
  return *this;
}

} // namespace attn::cuda
