//===- RuntimeApi.cpp - attn/runtime.h: bundles without the compiler ------===//
#include "attn/runtime.h"
#include "runtime/cuda/Bundle.h"
#include "runtime/cuda/CudaRuntime.h"
#include <fmt/core.h>
#include <algorithm>

namespace attn {

// Here rather than in the JIT library so that attnc::runtime alone links.
Tensor Tensor::contiguous(void *data, DType dtype,
                          std::array<int64_t, 4> shape) {
  Tensor t;
  t.data = data;
  t.dtype = dtype;
  t.shape = shape;
  t.strides = {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3],
               1};
  return t;
}

struct Bundle::Impl {
  explicit Impl(cuda::Bundle bundle) : loaded(std::move(bundle)) {
    for (const cuda::KernelVariant &v : loaded.bundle().variants)
      variants.push_back(
          {v.dtype == "f16" ? DType::F16 : DType::BF16, v.headDim});
  }
  cuda::LoadedBundle loaded;
  std::vector<BundleVariant> variants;
};

Bundle Bundle::load(const std::string &dir) {
  // Read first: a damaged bundle says so even on a machine without a GPU.
  cuda::Bundle bundle = cuda::Bundle::read(dir);
  return Bundle(std::make_shared<const Impl>(std::move(bundle)));
}

void Bundle::run(const Tensor &q, const Tensor &k, const Tensor &v, Tensor &out,
                 const RunOptions &options) const {
  const cuda::Bundle &b = impl->loaded.bundle();
  // By name, as attn::Program::run takes them; the kernels take them in the
  // manifest's order.
  std::vector<int64_t> params;
  for (const std::string &name : b.params) {
    auto it = options.params.find(name);
    if (it == options.params.end())
      throw Error(fmt::format("pattern '{}' needs a value for its run-time "
                              "parameter '{}'",
                              b.pattern, name));
    params.push_back(it->second);
  }
  for (const auto &[name, value] : options.params)
    if (std::find(b.params.begin(), b.params.end(), name) == b.params.end())
      throw Error(fmt::format("pattern '{}' has no run-time parameter '{}'",
                              b.pattern, name));
  impl->loaded.run(q, k, v, out, params, options.scale, options.stream);
}

const std::string &Bundle::patternName() const {
  return impl->loaded.bundle().pattern;
}
const std::vector<std::string> &Bundle::runtimeParams() const {
  return impl->loaded.bundle().params;
}
int64_t Bundle::heads() const { return impl->loaded.bundle().heads; }
const std::string &Bundle::arch() const { return impl->loaded.bundle().arch; }
const std::vector<BundleVariant> &Bundle::variants() const {
  return impl->variants;
}

} // namespace attn
