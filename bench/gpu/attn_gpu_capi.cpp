//===- attn_gpu_capi.cpp - a C API over the CUDA runtime, for Python -------===//
//
// bench/gpu/check.py loads this (as libattn_gpu.so, built by
// build_runner.sh on the GPU machine) with ctypes and runs attnc's kernels on
// PyTorch's device tensors, on PyTorch's current stream. Both use the
// device's primary context, so pointers are shared.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/CudaRuntime.h"

#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {
void setError(char *err, int len, const std::string &msg) {
  if (err && len > 0) {
    std::strncpy(err, msg.c_str(), static_cast<size_t>(len) - 1);
    err[len - 1] = 0;
  }
}

attn::Tensor view(const void *data, attn::DType dtype,
                  const long long *shape, const long long *strides) {
  attn::Tensor t;
  t.data = const_cast<void *>(data);
  t.dtype = dtype;
  t.device = attn::Device::CUDA;
  for (int i = 0; i < 4; ++i) {
    t.shape[i] = shape[i];
    t.strides[i] = strides[i];
  }
  return t;
}
} // namespace

extern "C" {

/// 1 when a usable CUDA device is there; else 0 with the reason in err.
int attn_gpu_probe(char *err, int errLen) {
  if (attn::cuda::available())
    return 1;
  setError(err, errLen, attn::cuda::unavailableReason());
  return 0;
}

/// Loads a bundle directory; nullptr (and err) on failure.
void *attn_gpu_load(const char *bundleDir, char *err, int errLen) {
  try {
    return new attn::cuda::LoadedBundle(attn::cuda::Bundle::read(bundleDir));
  } catch (const std::exception &e) {
    setError(err, errLen, e.what());
    return nullptr;
  }
}

/// out = attention(q, k, v) on device pointers. dtype: 1 fp16, 2 bf16.
/// Shapes [B, H, N, D] and strides in elements; k and v share kShape.
/// scale <= 0 uses 1/sqrt(D). Returns 0, or 1 with err set.
int attn_gpu_run(void *handle, int dtype, const void *q, const void *k,
                 const void *v, void *out, const long long *qShape,
                 const long long *qStrides, const long long *kShape,
                 const long long *kStrides, const long long *vStrides,
                 const long long *oStrides, const long long *params,
                 int numParams, float scale, void *stream, char *err,
                 int errLen) {
  try {
    if (!handle)
      throw attn::Error("attn_gpu_run: no bundle loaded");
    if (dtype != 1 && dtype != 2)
      throw attn::Error("attn_gpu_run: dtype must be 1 (fp16) or 2 (bf16)");
    attn::DType t = dtype == 1 ? attn::DType::F16 : attn::DType::BF16;
    attn::Tensor tq = view(q, t, qShape, qStrides);
    attn::Tensor tk = view(k, t, kShape, kStrides);
    attn::Tensor tv = view(v, t, kShape, vStrides);
    attn::Tensor to = view(out, t, qShape, oStrides);
    std::vector<int64_t> p(params, params + numParams);
    std::optional<float> s;
    if (scale > 0)
      s = scale;
    static_cast<attn::cuda::LoadedBundle *>(handle)->run(tq, tk, tv, to, p, s,
                                                         stream);
    return 0;
  } catch (const std::exception &e) {
    setError(err, errLen, e.what());
    return 1;
  }
}

void attn_gpu_free(void *handle) {
  delete static_cast<attn::cuda::LoadedBundle *>(handle);
}

} // extern "C"
