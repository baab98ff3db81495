//===- CudaRuntime.cpp - loading bundles, block maps and launches ---------===//
#include "runtime/cuda/CudaRuntime.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/device/attn_params.h"
#include <fmt/core.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <tuple>

namespace attn::cuda {

namespace {

const char *dtypeName(DType t) {
  return t == DType::F32 ? "f32" : t == DType::F16 ? "f16" : "bf16";
}

std::string variantList(const Bundle &b) {
  std::string out;
  for (const KernelVariant &v : b.variants)
    out += fmt::format("{}{} d{}", out.empty() ? "" : ", ", v.dtype,
                       v.headDim);
  return out;
}

std::string shapeText(const Tensor &t) {
  return fmt::format("[{}, {}, {}, {}]", t.shape[0], t.shape[1], t.shape[2],
                     t.shape[3]);
}

/// Grid y and z hold at most 65535 blocks.
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxI32 = 0x7fffffff;
const std::string kCountKernel = "attn_blockmap_count";
const std::string kFillKernel = "attn_blockmap_fill";

} // namespace

RunShape validateRun(const Bundle &bundle, const Tensor &q, const Tensor &k,
                     const Tensor &v, const Tensor &out) {
  const std::pair<const Tensor *, const char *> all[] = {
      {&q, "q"}, {&k, "k"}, {&v, "v"}, {&out, "out"}};
  for (auto [t, name] : all)
    if (t->dtype == DType::F32)
      throw Error(fmt::format("the CUDA path takes bf16 or fp16 tensors; {} "
                              "is f32 (use the CPU for f32)",
                              name));
  for (auto [t, name] : all)
    if (t->dtype != q.dtype)
      throw Error(fmt::format("q, k, v and out must have one dtype; q is {}, "
                              "{} is {}",
                              dtypeName(q.dtype), name, dtypeName(t->dtype)));
  for (auto [t, name] : all)
    for (int i = 0; i < 4; ++i) {
      if (t->shape[i] < 0)
        throw Error(fmt::format("{} has a negative size: {}", name,
                                shapeText(*t)));
      if (t->strides[i] < 0)
        throw Error(fmt::format("{} has a negative stride ({} in dimension "
                                "{}); the CUDA path needs non-negative strides",
                                name, t->strides[i], i));
    }
  RunShape s;
  s.batch = q.shape[0];
  s.heads = q.shape[1];
  s.nq = q.shape[2];
  s.headDim = q.shape[3];
  s.kvHeads = k.shape[1];
  s.nk = k.shape[2];
  if (k.shape[0] != s.batch || v.shape[0] != s.batch ||
      out.shape[0] != s.batch)
    throw Error(fmt::format("q, k, v and out must have one batch size; got q "
                            "{}, k {}, v {}, out {}",
                            shapeText(q), shapeText(k), shapeText(v),
                            shapeText(out)));
  if (v.shape[1] != s.kvHeads || v.shape[2] != s.nk)
    throw Error(fmt::format("k {} and v {} must have the same heads and "
                            "length",
                            shapeText(k), shapeText(v)));
  if (k.shape[3] != s.headDim || v.shape[3] != s.headDim)
    throw Error(fmt::format("the CUDA kernels need q, k and v to share the "
                            "head dim; got q {}, k {}, v {}",
                            shapeText(q), shapeText(k), shapeText(v)));
  if (out.shape[1] != s.heads || out.shape[2] != s.nq ||
      out.shape[3] != s.headDim)
    throw Error(fmt::format("out must be [{}, {}, {}, {}], got {}", s.batch,
                            s.heads, s.nq, s.headDim, shapeText(out)));
  if (s.kvHeads < 1 && s.heads > 0)
    throw Error("k and v have no heads");
  if (s.kvHeads > 0 && s.heads % s.kvHeads != 0)
    throw Error(fmt::format("q has {} heads, which is not a multiple of k/v's "
                            "{} (GQA needs a multiple)",
                            s.heads, s.kvHeads));
  if (bundle.heads && s.heads != bundle.heads)
    throw Error(fmt::format("pattern '{}' has {} heads, the query has {}",
                            bundle.pattern, bundle.heads, s.heads));
  s.dtype = q.dtype == DType::BF16 ? "bf16" : "f16";
  s.variant = bundle.find(s.dtype, s.headDim);
  if (!s.variant)
    throw Error(fmt::format("pattern '{}' has no CUDA kernel for {} with head "
                            "dim {}; its kernels are: {}",
                            bundle.pattern, s.dtype, s.headDim,
                            variantList(bundle)));
  if (s.batch > kMaxGridYZ)
    throw Error(fmt::format("the CUDA path runs at most {} batches at once, "
                            "got {}",
                            kMaxGridYZ, s.batch));
  if (s.heads > kMaxGridYZ)
    throw Error(fmt::format("the CUDA path runs at most {} heads, got {}",
                            kMaxGridYZ, s.heads));
  int64_t tileQ = std::max<int64_t>(1, bundle.tileQ);
  int64_t tileK = std::max<int64_t>(1, bundle.tileK);
  if (s.heads * ((s.nq + tileQ - 1) / tileQ) > kMaxI32 ||
      (s.nk + tileK - 1) / tileK > kMaxI32)
    throw Error(fmt::format("sequence lengths Nq {} and Nk {} are too long "
                            "for the CUDA path",
                            s.nq, s.nk));
  for (auto [t, name] : all) {
    int64_t numel = t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3];
    if (numel > 0 && !t->data)
      throw Error(fmt::format("{} has no data (null pointer)", name));
    if (t->device != Device::CUDA || numel == 0)
      continue;
    // The kernels copy 16-byte chunks of 8 elements along the head dim.
    if (t->strides[3] != 1)
      throw Error(fmt::format("{} in CUDA memory must have head-dim stride 1, "
                              "got {} (pass a contiguous tensor or a host "
                              "tensor)",
                              name, t->strides[3]));
    for (int i = 0; i < 3; ++i)
      if (t->strides[i] % 8 != 0)
        throw Error(fmt::format("{} in CUDA memory must have batch, head and "
                                "sequence strides that are multiples of 8 "
                                "elements (16 bytes); its strides are [{}, {}, "
                                "{}, {}]",
                                name, t->strides[0], t->strides[1],
                                t->strides[2], t->strides[3]));
    if (reinterpret_cast<uintptr_t>(t->data) % 16 != 0)
      throw Error(fmt::format("{} in CUDA memory must be 16-byte aligned, its "
                              "address is {}",
                              name, t->data));
  }
  return s;
}

void validateParams(const Bundle &bundle, const std::vector<int64_t> &params) {
  if (params.size() != bundle.params.size())
    throw Error(fmt::format("pattern '{}' takes {} run-time parameter{}, got "
                            "{}",
                            bundle.pattern, bundle.params.size(),
                            bundle.params.size() == 1 ? "" : "s",
                            params.size()));
  if (params.size() > ATTN_MAX_PARAMS)
    throw Error(fmt::format("the CUDA path takes at most {} run-time "
                            "parameters, pattern '{}' has {}",
                            ATTN_MAX_PARAMS, bundle.pattern, params.size()));
}

std::vector<int32_t> exclusiveScan(const std::vector<int32_t> &counts) {
  std::vector<int32_t> offsets(counts.size() + 1);
  int64_t total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    offsets[i] = static_cast<int32_t>(total);
    total += counts[i];
    if (total > kMaxI32)
      throw Error(fmt::format("the block map has more than {} tiles; use "
                              "larger tiles or shorter sequences",
                              kMaxI32));
  }
  offsets[counts.size()] = static_cast<int32_t>(total);
  return offsets;
}

std::vector<int32_t> workOrder(const std::vector<int32_t> &rowCounts,
                               int64_t heads, int64_t numQTiles,
                               int64_t mapHeads, int64_t mapBatches) {
  int64_t numWork = heads * numQTiles;
  std::vector<int32_t> order(mapBatches * numWork);
  for (int64_t mb = 0; mb < mapBatches; ++mb) {
    auto begin = order.begin() + mb * numWork, end = begin + numWork;
    std::iota(begin, end, 0);
    auto count = [&](int32_t item) {
      int64_t h = item / numQTiles, qt = item % numQTiles;
      return rowCounts[(mb * mapHeads + (mapHeads == 1 ? 0 : h)) * numQTiles +
                       qt];
    };
    // Ties keep index order (std::sort with the index as tie-break:
    // libstdc++'s stable_sort warns under clang).
    std::sort(begin, end, [&](int32_t a, int32_t b) {
      int32_t ca = count(a), cb = count(b);
      return ca != cb ? ca > cb : a < b;
    });
  }
  return order;
}

void validateBundleShape(const Bundle &bundle) {
  for (const KernelVariant &v : bundle.variants)
    if (v.warps < 1 || v.warps > 32 || v.rowBlocks < 1 ||
        bundle.tileQ != 16 * v.warps * v.rowBlocks || bundle.tileK != 64)
      throw Error(fmt::format("bundle of '{}': tile {}x{} does not match the "
                              "{} d{} kernel's {} warps x {} row blocks of 16 "
                              "(it needs a {}x64 tile); recompile the bundle",
                              bundle.pattern, bundle.tileQ, bundle.tileK,
                              v.dtype, v.headDim, v.warps, v.rowBlocks,
                              16 * v.warps * v.rowBlocks));
}

void checkCompiledShape(const Bundle &bundle, const KernelVariant &v,
                        int compiledWarps, int compiledRowBlocks) {
  if (compiledWarps != v.warps || compiledRowBlocks != v.rowBlocks)
    throw Error(fmt::format("bundle of '{}': the manifest says the {} d{} "
                            "kernel has {} warps x {} row blocks per warp, "
                            "but it was compiled with {} x {}; the manifest "
                            "does not belong to this binary (recompile the "
                            "bundle)",
                            bundle.pattern, v.dtype, v.headDim, v.warps,
                            v.rowBlocks, compiledWarps, compiledRowBlocks));
}

int chooseSplits(int64_t workItems, int64_t maxRowTiles, int smCount) {
  constexpr int64_t kMinTilesPerSplit = 2, kMaxSplits = 64;
  if (smCount < 1 || workItems < 1 || workItems >= smCount)
    return 1;
  int64_t want = (2 * int64_t(smCount) + workItems - 1) / workItems;
  int64_t byLength = maxRowTiles / kMinTilesPerSplit;
  int64_t splits = std::min({want, byLength, kMaxSplits, kMaxGridYZ});
  return splits < 2 ? 1 : static_cast<int>(splits);
}

std::pair<int64_t, int64_t> splitRange(int64_t begin, int64_t end,
                                       int64_t numSplits, int64_t split) {
  int64_t n = end - begin, per = (n + numSplits - 1) / numSplits;
  int64_t s0 = begin + split * per;
  return {std::min(s0, end), std::min(s0 + per, end)};
}

//===----------------------------------------------------------------------===//
// LoadedBundle
//===----------------------------------------------------------------------===//

namespace {

struct VariantFns {
  CUfunction fwd = nullptr, split = nullptr, combine = nullptr;
};

/// A block map on the device.
struct DeviceMap {
  int32_t numQTiles = 0, numKTiles = 0, mapHeads = 1, mapBatches = 1;
  int64_t maxRowTiles = 0, totalTiles = 0;
  DeviceBuffer rowOffsets, tiles, order;
};

// heads, mapHeads, mapBatches, nq, nk, run-time parameters
using MapKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t,
                          std::vector<int64_t>>;

/// A host tensor copied to a packed device buffer, or a device tensor as is.
struct Staged {
  const void *ptr = nullptr;
  int64_t strides[3] = {};
  DeviceBuffer buffer;
  std::vector<uint16_t> host;
};

void launch(CUfunction fn, const std::string &name, unsigned gx, unsigned gy,
            unsigned gz, unsigned threads, unsigned smem, CUstream stream,
            void *params) {
  void *args[] = {params};
  check(api().cuLaunchKernel(fn, gx, gy, gz, threads, 1, 1, smem, stream,
                             args, nullptr),
        fmt::format("cuLaunchKernel({}, grid ({}, {}, {}), {} threads, {} "
                    "bytes of shared memory)",
                    name, gx, gy, gz, threads, smem));
}

/// Copies a strided host tensor of 16-bit elements into packed order.
void packHost(const Tensor &t, std::vector<uint16_t> &out) {
  out.resize(t.shape[0] * t.shape[1] * t.shape[2] * t.shape[3]);
  const uint16_t *src = static_cast<const uint16_t *>(t.data);
  size_t i = 0;
  for (int64_t b = 0; b < t.shape[0]; ++b)
    for (int64_t h = 0; h < t.shape[1]; ++h)
      for (int64_t s = 0; s < t.shape[2]; ++s) {
        const uint16_t *row =
            src + b * t.strides[0] + h * t.strides[1] + s * t.strides[2];
        if (t.strides[3] == 1) {
          std::memcpy(out.data() + i, row, t.shape[3] * 2);
          i += t.shape[3];
        } else {
          for (int64_t d = 0; d < t.shape[3]; ++d)
            out[i++] = row[d * t.strides[3]];
        }
      }
}

void unpackHost(const std::vector<uint16_t> &in, const Tensor &t) {
  uint16_t *dst = static_cast<uint16_t *>(t.data);
  size_t i = 0;
  for (int64_t b = 0; b < t.shape[0]; ++b)
    for (int64_t h = 0; h < t.shape[1]; ++h)
      for (int64_t s = 0; s < t.shape[2]; ++s) {
        uint16_t *row =
            dst + b * t.strides[0] + h * t.strides[1] + s * t.strides[2];
        for (int64_t d = 0; d < t.shape[3]; ++d)
          row[d * t.strides[3]] = in[i++];
      }
}

/// Device tensors must really be device (or managed) memory of this context.
void checkDevicePointer(const Tensor &t, const char *name) {
  unsigned int type = 0;
  CUresult r = api().cuPointerGetAttribute(
      &type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
      reinterpret_cast<CUdeviceptr>(t.data));
  if (r != CUDA_SUCCESS || (type != CU_MEMORYTYPE_DEVICE &&
                            type != CU_MEMORYTYPE_UNIFIED))
    throw Error(fmt::format("{} is marked Device::CUDA but {} is not CUDA "
                            "device memory (use Device::CPU for host memory)",
                            name, t.data));
}

} // namespace

struct LoadedBundle::Impl {
  Bundle bundle;
  CUmodule module = nullptr;
  CUfunction countFn = nullptr, fillFn = nullptr;
  std::vector<VariantFns> fns;
  int smCount = 1;

  mutable std::mutex mapMutex;
  mutable std::map<MapKey, std::shared_ptr<DeviceMap>> maps;
  mutable std::mutex scratchMutex;
  mutable std::map<CUstream, std::shared_ptr<DeviceBuffer>> scratch;
  mutable std::atomic<int> lastSplits{1};

  std::shared_ptr<DeviceMap> blockMap(const RunShape &s,
                                      const std::vector<int64_t> &params,
                                      CUstream stream) const;
  std::shared_ptr<DeviceBuffer> scratchFor(CUstream stream,
                                          size_t bytes) const;
};

LoadedBundle::LoadedBundle(Bundle b) : impl(std::make_unique<Impl>()) {
  impl->bundle = std::move(b);
  const Bundle &bundle = impl->bundle;
  // The manifest's own consistency first: it needs no GPU.
  validateBundleShape(bundle);
  validateParams(bundle, std::vector<int64_t>(bundle.params.size()));
  const DriverApi &a = api(); // throws when CUDA is unavailable
  const DeviceInfo &dev = deviceInfo();
  impl->smCount = std::max(1, dev.smCount);
  ContextScope scope;
  CUresult r;
  if (bundle.format == "ptx") {
    // The driver compiles PTX for the present GPU; keep its error log.
    std::string log(8192, '\0');
    int options[] = {CU_JIT_ERROR_LOG_BUFFER,
                     CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log.data(),
                      reinterpret_cast<void *>(uintptr_t(log.size() - 1))};
    std::string text = bundle.binary; // NUL-terminated by std::string
    r = a.cuModuleLoadDataEx(&impl->module, text.c_str(), 2, options, values);
    if (r != CUDA_SUCCESS) {
      log.resize(std::strlen(log.c_str()));
      throw Error(fmt::format("cuModuleLoadDataEx (PTX of '{}', {}) failed: "
                              "{}{}{}",
                              bundle.pattern, bundle.arch, describeError(r),
                              log.empty() ? "" : "\n", log));
    }
  } else {
    r = a.cuModuleLoadData(&impl->module, bundle.binary.data());
    if (r != CUDA_SUCCESS)
      throw Error(fmt::format(
          "cuModuleLoadData (cubin of '{}' for {}) failed: {}{}",
          bundle.pattern, bundle.arch, describeError(r),
          bundle.arch != dev.arch
              ? fmt::format("; the GPU '{}' is {}: compile for {} or ship PTX",
                            dev.name, dev.arch, dev.arch)
              : ""));
  }
  auto get = [&](const std::string &name) {
    CUfunction fn = nullptr;
    check(a.cuModuleGetFunction(&fn, impl->module, name.c_str()),
          fmt::format("cuModuleGetFunction({})", name));
    return fn;
  };
  impl->countFn = get(kCountKernel);
  impl->fillFn = get(kFillKernel);
  for (const KernelVariant &v : bundle.variants) {
    VariantFns f{get(v.fwdName()), get(v.splitName()), get(v.combineName())};
    // The shape the kernel was compiled with, from the module itself.
    CUdeviceptr shapePtr = 0;
    size_t shapeBytes = 0;
    CUresult found = a.cuModuleGetGlobal(&shapePtr, &shapeBytes, impl->module,
                                         v.shapeName().c_str());
    if (found != CUDA_SUCCESS || shapeBytes != 2 * sizeof(int))
      throw Error(fmt::format("bundle of '{}': the {} d{} kernel does not "
                              "record its shape ({} {}); recompile the "
                              "bundle with this attnc",
                              bundle.pattern, v.dtype, v.headDim, v.shapeName(),
                              found != CUDA_SUCCESS
                                  ? "is missing"
                                  : fmt::format("has {} bytes", shapeBytes)));
    int compiled[2] = {0, 0};
    check(a.cuMemcpyDtoH(compiled, shapePtr, sizeof(compiled)),
          fmt::format("cuMemcpyDtoH({})", v.shapeName()));
    checkCompiledShape(bundle, v, compiled[0], compiled[1]);
    if (v.smemBytes > dev.maxSharedOptin)
      throw Error(fmt::format("the {} d{} kernel of '{}' needs {} bytes of "
                              "shared memory; the GPU '{}' allows {}",
                              v.dtype, v.headDim, bundle.pattern, v.smemBytes,
                              dev.name, dev.maxSharedOptin));
    if (v.smemBytes > 48 * 1024)
      for (auto [fn, name] : {std::pair{f.fwd, v.fwdName()},
                              std::pair{f.split, v.splitName()}})
        check(a.cuFuncSetAttribute(fn,
                                   CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                   static_cast<int>(v.smemBytes)),
              fmt::format("cuFuncSetAttribute({}, max dynamic shared memory "
                          "{})",
                          name, v.smemBytes));
    impl->fns.push_back(f);
  }
}

LoadedBundle::~LoadedBundle() {
  if (!impl || !impl->module)
    return;
  try {
    ContextScope scope;
    impl->maps.clear();
    impl->scratch.clear();
    (void)api().cuModuleUnload(impl->module);
  } catch (const Error &) {
  }
}

const Bundle &LoadedBundle::bundle() const { return impl->bundle; }
int LoadedBundle::lastSplits() const { return impl->lastSplits.load(); }

std::shared_ptr<DeviceMap>
LoadedBundle::Impl::blockMap(const RunShape &s,
                             const std::vector<int64_t> &params,
                             CUstream stream) const {
  int64_t mapHeads = bundle.headDependent ? s.heads : 1;
  int64_t mapBatches = bundle.batchDependent ? s.batch : 1;
  MapKey key{s.heads, mapHeads, mapBatches, s.nq, s.nk, params};
  std::lock_guard<std::mutex> lock(mapMutex);
  if (auto it = maps.find(key); it != maps.end())
    return it->second;
  const DriverApi &a = api();
  auto m = std::make_shared<DeviceMap>();
  m->numQTiles = static_cast<int32_t>((s.nq + bundle.tileQ - 1) / bundle.tileQ);
  m->numKTiles = static_cast<int32_t>((s.nk + bundle.tileK - 1) / bundle.tileK);
  m->mapHeads = static_cast<int32_t>(mapHeads);
  m->mapBatches = static_cast<int32_t>(mapBatches);
  int64_t rows = mapBatches * mapHeads * m->numQTiles;
  if (rows > kMaxI32)
    throw Error(fmt::format("the block map has more than {} rows ({} batch "
                            "entries x {} heads x {} query tiles)",
                            kMaxI32, mapBatches, mapHeads, m->numQTiles));

  AttnBlockMapParams p{};
  p.nq = s.nq;
  p.nk = s.nk;
  p.tileQ = static_cast<attn_i32>(bundle.tileQ);
  p.tileK = static_cast<attn_i32>(bundle.tileK);
  p.numQTiles = m->numQTiles;
  p.numKTiles = m->numKTiles;
  p.mapHeads = m->mapHeads;
  p.mapBatches = m->mapBatches;
  p.numParams = static_cast<attn_i32>(params.size());
  std::copy(params.begin(), params.end(), p.params);

  DeviceBuffer counts(rows * sizeof(int32_t));
  p.rowCounts = static_cast<attn_i32 *>(counts.data());
  launch(countFn, kCountKernel, m->numQTiles, m->mapHeads, m->mapBatches, 128,
         0, stream, &p);
  std::vector<int32_t> hostCounts(rows);
  check(a.cuMemcpyDtoHAsync(hostCounts.data(), counts.get(),
                            rows * sizeof(int32_t), stream),
        "cuMemcpyDtoHAsync(block map counts)");
  check(a.cuStreamSynchronize(stream), "cuStreamSynchronize(block map count)");

  std::vector<int32_t> offsets = exclusiveScan(hostCounts);
  std::vector<int32_t> order =
      workOrder(hostCounts, s.heads, m->numQTiles, mapHeads, mapBatches);
  m->totalTiles = offsets.back();
  for (int32_t c : hostCounts)
    m->maxRowTiles = std::max<int64_t>(m->maxRowTiles, c);
  m->rowOffsets = DeviceBuffer(offsets.size() * sizeof(int32_t));
  m->order = DeviceBuffer(order.size() * sizeof(int32_t));
  m->tiles = DeviceBuffer(m->totalTiles * sizeof(int32_t));
  check(a.cuMemcpyHtoDAsync(m->rowOffsets.get(), offsets.data(),
                            offsets.size() * sizeof(int32_t), stream),
        "cuMemcpyHtoDAsync(block map offsets)");
  check(a.cuMemcpyHtoDAsync(m->order.get(), order.data(),
                            order.size() * sizeof(int32_t), stream),
        "cuMemcpyHtoDAsync(work order)");
  if (m->totalTiles > 0) {
    p.rowOffsets = static_cast<const attn_i32 *>(m->rowOffsets.data());
    p.tiles = static_cast<attn_i32 *>(m->tiles.data());
    launch(fillFn, kFillKernel, m->numQTiles, m->mapHeads, m->mapBatches, 128,
           0, stream, &p);
  }
  // Other streams may use the map next: it must be complete.
  check(a.cuStreamSynchronize(stream), "cuStreamSynchronize(block map fill)");
  maps.emplace(key, m);
  return m;
}

std::shared_ptr<DeviceBuffer>
LoadedBundle::Impl::scratchFor(CUstream stream, size_t bytes) const {
  // One buffer per stream: work on one stream is ordered, so runs on the
  // same stream may share it. A buffer that grows is freed once the last
  // run holding it has queued its kernels and the device has finished them.
  std::lock_guard<std::mutex> lock(scratchMutex);
  std::shared_ptr<DeviceBuffer> &buf = scratch[stream];
  if (!buf || buf->size() < bytes)
    buf = std::shared_ptr<DeviceBuffer>(
        new DeviceBuffer(bytes), [](DeviceBuffer *b) {
          // The context, not the stream: the stream may be gone by now.
          try {
            ContextScope scope;
            (void)api().cuCtxSynchronize();
          } catch (const Error &) {
          }
          delete b;
        });
  return buf;
}

void LoadedBundle::run(const Tensor &q, const Tensor &k, const Tensor &v,
                       const Tensor &out, const std::vector<int64_t> &params,
                       std::optional<float> scale, void *streamPtr) const {
  const Bundle &bundle = impl->bundle;
  RunShape s = validateRun(bundle, q, k, v, out);
  validateParams(bundle, params);
  if (scale && (!(*scale > 0) || !std::isfinite(*scale)))
    throw Error(fmt::format("scale must be a positive finite number, got {}",
                            *scale));
  if (s.batch == 0 || s.heads == 0 || s.nq == 0 || s.headDim == 0)
    return;
  const DriverApi &a = api();
  ContextScope scope;
  CUstream stream = static_cast<CUstream>(streamPtr);
  const VariantFns &fns = impl->fns[s.variant - bundle.variants.data()];

  // Inputs: device tensors in place, host tensors packed and uploaded.
  bool anyHost = false;
  auto stage = [&](const Tensor &t, const char *name, Staged &st) {
    if (t.device == Device::CUDA) {
      checkDevicePointer(t, name);
      st.ptr = t.data;
      std::copy(t.strides.begin(), t.strides.begin() + 3, st.strides);
      return;
    }
    anyHost = true;
    packHost(t, st.host);
    st.buffer = DeviceBuffer(st.host.size() * 2);
    check(a.cuMemcpyHtoDAsync(st.buffer.get(), st.host.data(),
                              st.host.size() * 2, stream),
          fmt::format("cuMemcpyHtoDAsync({})", name));
    st.ptr = st.buffer.data();
    st.strides[0] = t.shape[1] * t.shape[2] * t.shape[3];
    st.strides[1] = t.shape[2] * t.shape[3];
    st.strides[2] = t.shape[3];
  };
  Staged sq, sk, sv, so;
  stage(q, "q", sq);
  stage(k, "k", sk);
  stage(v, "v", sv);
  if (out.device == Device::CUDA) {
    checkDevicePointer(out, "out");
    so.ptr = out.data;
    std::copy(out.strides.begin(), out.strides.begin() + 3, so.strides);
  } else {
    anyHost = true;
    so.host.resize(s.batch * s.heads * s.nq * s.headDim);
    so.buffer = DeviceBuffer(so.host.size() * 2);
    so.ptr = so.buffer.data();
    so.strides[0] = s.heads * s.nq * s.headDim;
    so.strides[1] = s.nq * s.headDim;
    so.strides[2] = s.headDim;
  }

  std::shared_ptr<DeviceMap> map = impl->blockMap(s, params, stream);

  AttnFwdParams p{};
  p.q = sq.ptr;
  p.k = sk.ptr;
  p.v = sv.ptr;
  p.o = const_cast<void *>(so.ptr);
  for (int i = 0; i < 3; ++i) {
    p.qStride[i] = sq.strides[i];
    p.kStride[i] = sk.strides[i];
    p.vStride[i] = sv.strides[i];
    p.oStride[i] = so.strides[i];
  }
  p.nq = s.nq;
  p.nk = s.nk;
  p.batch = static_cast<attn_i32>(s.batch);
  p.heads = static_cast<attn_i32>(s.heads);
  p.kvHeads = static_cast<attn_i32>(s.kvHeads);
  p.headDim = static_cast<attn_i32>(s.headDim);
  float sc = scale.value_or(1.0f / std::sqrt(float(s.headDim)));
  p.scaleLog2 = sc * 1.4426950408889634f;
  p.numQTiles = map->numQTiles;
  p.numKTiles = map->numKTiles;
  p.mapHeads = map->mapHeads;
  p.mapBatches = map->mapBatches;
  p.rowOffsets = static_cast<const attn_i32 *>(map->rowOffsets.data());
  p.tiles = static_cast<const attn_i32 *>(map->tiles.data());
  p.workOrder = static_cast<const attn_i32 *>(map->order.data());
  p.numWork = static_cast<attn_i32>(s.heads * map->numQTiles);
  p.numParams = static_cast<attn_i32>(params.size());
  std::copy(params.begin(), params.end(), p.params);

  unsigned threads = static_cast<unsigned>(32 * s.variant->warps);
  unsigned smem = static_cast<unsigned>(s.variant->smemBytes);
  int splits =
      chooseSplits(int64_t(p.numWork) * s.batch, map->maxRowTiles,
                   impl->smCount);
  impl->lastSplits = splits;
  if (splits == 1) {
    p.numSplits = 1;
    launch(fns.fwd, s.variant->fwdName(), p.numWork, p.batch, 1, threads, smem,
           stream, &p);
  } else {
    int64_t rows = s.batch * s.heads * s.nq;
    size_t oBytes = size_t(splits) * rows * s.headDim * sizeof(float);
    size_t lseBytes = size_t(splits) * rows * sizeof(float);
    std::shared_ptr<DeviceBuffer> buf =
        impl->scratchFor(stream, oBytes + lseBytes);
    CUdeviceptr base = buf->get();
    p.numSplits = splits;
    p.partialO = reinterpret_cast<float *>(base);
    p.partialLse = reinterpret_cast<float *>(base + oBytes);
    launch(fns.split, s.variant->splitName(), p.numWork, p.batch, splits,
           threads, smem, stream, &p);
    int64_t ctas = (rows + 3) / 4; // one warp per row, four per CTA
    if (ctas > kMaxI32)
      throw Error("too many query rows for the split path");
    launch(fns.combine, s.variant->combineName(),
           static_cast<unsigned>(ctas), 1, 1, 128, 0, stream, &p);
  }

  if (out.device != Device::CUDA) {
    check(a.cuMemcpyDtoHAsync(so.host.data(), so.buffer.get(),
                              so.host.size() * 2, stream),
          "cuMemcpyDtoHAsync(out)");
  }
  if (anyHost) {
    // Host buffers and the staging device buffers must outlive the copies.
    check(a.cuStreamSynchronize(stream), "cuStreamSynchronize");
    if (out.device != Device::CUDA)
      unpackHost(so.host, out);
  }
}

} // namespace attn::cuda
