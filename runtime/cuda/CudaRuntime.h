//===- CudaRuntime.h - running a CUDA bundle on the GPU ---------*- C++ -*-===//
//
// Loads a Bundle (cubin, or PTX compiled by the driver) and runs attention
// with it, following the launch sequence in runtime/device/attn_params.h:
// the block map is built on the device once per shape (count kernel, counts
// to the host, exclusive scan and the longest-rows-first work order, fill
// kernel) and cached; then attn_fwd runs on the caller's stream, or
// attn_fwd_split + attn_combine when few work items would leave the GPU idle.
//
// Tensors may live on the device (Device::CUDA: used in place, so strides and
// alignment must suit the kernels) or on the host (copied to packed device
// buffers and back, synchronously).
//
// The checks and the scheduling decisions are pure functions so they can be
// tested without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_CUDA_CUDARUNTIME_H
#define ATTN_RUNTIME_CUDA_CUDARUNTIME_H

#include "attn/types.h"
#include "runtime/cuda/Bundle.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attn::cuda {

/// The problem size of a run, as validated.
struct RunShape {
  int64_t batch = 0, heads = 0, kvHeads = 0, nq = 0, nk = 0, headDim = 0;
  const KernelVariant *variant = nullptr;
  std::string dtype; // "bf16" | "f16"
};

/// Checks q [B, H, Nq, D], k and v [B, Hkv, Nk, D], out [B, H, Nq, D]
/// against the bundle: one dtype, bf16 or fp16; a head dim the bundle has a
/// kernel for; H a multiple of Hkv; the head count the pattern fixes; sizes
/// the launch grid can hold. Tensors on the device (Device::CUDA) must also
/// have dim stride 1, the other strides non-negative multiples of 8 elements
/// and 16-byte aligned pointers; host tensors are packed, so any strides do.
/// Throws attn::Error with the problem.
RunShape validateRun(const Bundle &bundle, const Tensor &q, const Tensor &k,
                     const Tensor &v, const Tensor &out);

/// Checks the parameter count against the bundle.
void validateParams(const Bundle &bundle, const std::vector<int64_t> &params);

/// offsets[i] = counts[0] + ... + counts[i-1], with offsets[n] the total.
/// Throws attn::Error when the total does not fit in 31 bits.
std::vector<int32_t> exclusiveScan(const std::vector<int32_t> &counts);

/// The forward kernel's work items (h * numQTiles + qt for every head and
/// query tile), longest key-tile lists first; equal lengths keep index order.
/// rowCounts has mapBatches * mapHeads * numQTiles entries (mapHeads is 1 or
/// heads, mapBatches 1 or the batch size). One order per map batch entry,
/// each sorted by that entry's counts: mapBatches * heads * numQTiles
/// entries in all.
std::vector<int32_t> workOrder(const std::vector<int32_t> &rowCounts,
                               int64_t heads, int64_t numQTiles,
                               int64_t mapHeads, int64_t mapBatches = 1);

/// Checks the bundle's tile against each variant's CTA shape: tileK 64 and
/// tileQ = 16 x warps x row blocks per warp (anything else would leave rows
/// of every tile uncomputed or read past it). Throws attn::Error.
void validateBundleShape(const Bundle &bundle);

/// Checks a variant's manifest shape against {warps, row blocks} read from
/// its compiled kernel (the attn_fwd_*_shape constant). Throws attn::Error
/// naming both when they differ.
void checkCompiledShape(const Bundle &bundle, const KernelVariant &variant,
                        int compiledWarps, int compiledRowBlocks);

/// How many parts to cut each key-tile list into: 1 when the work items
/// (numWork * batch) already fill the GPU (at least smCount of them) or rows
/// are short; else enough parts to give about two CTAs per SM, each part
/// at least two key tiles, at most 64.
int chooseSplits(int64_t workItems, int64_t maxRowTiles, int smCount);

/// The list range [first, second) the split `split` of [begin, end) takes,
/// exactly as attn_fwd_split cuts it.
std::pair<int64_t, int64_t> splitRange(int64_t begin, int64_t end,
                                       int64_t numSplits, int64_t split);

/// A bundle loaded into the primary context of the device, with its block
/// maps. Thread-safe; runs on different streams may overlap.
class LoadedBundle {
public:
  /// Loads the module and its functions; throws attn::Error (a tile that
  /// does not match the kernels' shapes, checked first; CUDA not available;
  /// wrong architecture; a missing kernel; a kernel compiled with another
  /// shape than the manifest says; too much shared memory).
  explicit LoadedBundle(Bundle bundle);
  ~LoadedBundle();
  LoadedBundle(const LoadedBundle &) = delete;
  LoadedBundle &operator=(const LoadedBundle &) = delete;

  /// Runs attention. params are the run-time parameter values in the
  /// bundle's order; scale defaults to 1/sqrt(D); stream is a CUstream
  /// (nullptr: the legacy default stream). With only device tensors the call
  /// returns once the kernels are queued (except the first run of a shape,
  /// which waits for the block map); with host tensors it waits for the
  /// result.
  void run(const Tensor &q, const Tensor &k, const Tensor &v,
           const Tensor &out, const std::vector<int64_t> &params,
           std::optional<float> scale = std::nullopt,
           void *stream = nullptr) const;

  /// The split count the last run used (1: no split), for tests and tools.
  int lastSplits() const;

  const Bundle &bundle() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_CUDARUNTIME_H
