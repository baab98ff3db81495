//===- attn.h - the attnc C++ API -------------------------------*- C++ -*-===//
//
// Compile an attention pattern (.attn file or string) into a Program and run
// it on your own buffers:
//
//   attn::CompileOptions opts;
//   opts.pattern = "power";
//   attn::Program prog = attn::Program::compileFile("power.attn", opts);
//   prog.run(q, k, v, out);            // attn::Tensor views, [B, H, N, D]
//
// Errors throw attn::Error, whose what() is the full diagnostic (with
// file:line:col and a caret for .attn errors). No MLIR or LLVM type here.
//
// Devices: CompileOptions::target picks where run() computes. CUDA compiles
// the kernels for the present GPU (NVRTC, cached) and loads them through the
// driver (libcuda.so.1, loaded at run time); Auto does so when a usable GPU
// is there and falls back to the CPU otherwise (Program::device() says which,
// fallbackReason() why). On CUDA, tensors may be device pointers
// (Tensor::device = Device::CUDA, memory of the device's primary context, as
// the CUDA runtime and PyTorch use) or host memory (copied in and out); the
// kernels run on RunOptions::stream.
//
// Error, DType, Device, Tensor and RunOptions are in attn/types.h, shared
// with attn/runtime.h (ahead-of-time bundles without the compiler).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_ATTN_H
#define ATTN_ATTN_H

#include "attn/types.h"
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn {

enum class Target { CPU, CUDA, Auto };

/// The largest tile side CompileOptions::tileQ / tileK accept (the CPU
/// kernel keeps a tileQ x tileK score block per thread).
inline constexpr int64_t kMaxTileSize = 1024;

struct CompileOptions {
  /// Pattern to compile; empty: the first pattern of the file.
  std::string pattern;
  /// Values of compile-time parameters (name -> value text, e.g. "128").
  std::map<std::string, std::string> values;
  /// Tile sizes; 0 picks them automatically. At most kMaxTileSize.
  int64_t tileQ = 0, tileK = 0;
  /// When set, run() accepts only this dtype / head dimension.
  std::optional<DType> dtype;
  int64_t headDim = 0;
  /// CPU; CUDA (throws attn::Error when no usable GPU, with the reason); or
  /// Auto: CUDA when a usable GPU is present and dtype is not F32, else CPU.
  /// A CUDA program also keeps the CPU code (blockMap(), allowedPairs(), and
  /// f32 host tensors under Auto). The CUDA kernels take bf16/fp16 with
  /// head dims 64 and 128 (or the dtype/headDim set above).
  Target target = Target::Auto;
  /// Use the JIT cache: this process's, then the on-disk one
  /// ($ATTNC_CACHE_DIR, else ~/.cache/attnc). False always compiles.
  bool useCache = true;
};

/// Where the block map of a shape came from, and how dense it is.
struct BlockMapInfo {
  int64_t tileQ = 0, tileK = 0, numQTiles = 0, numKTiles = 0, heads = 0;
  /// Batch entries the map has a slice for: 1 when the mask ignores the
  /// batch index (one map serves every entry), else the batch size asked for.
  int64_t batches = 1;
  /// Tiles summed over the map's slices (batch entries x heads).
  int64_t fullTiles = 0, partialTiles = 0;
  /// Visited tiles / all tiles.
  double density = 0;
  /// Seconds it took to build (the map is built once per shape).
  double buildSeconds = 0;
};

class Program {
public:
  static Program compileFile(const std::string &path,
                             const CompileOptions &options = {});
  static Program compileString(const std::string &source,
                               const CompileOptions &options = {},
                               const std::string &bufferName = "<string>");

  /// out = softmax(scale * q k^T, masked) v. q [B, H, Nq, D], k and v
  /// [B, Hkv, Nk, D] with H a multiple of Hkv, out [B, H, Nq, Dv], one
  /// dtype. Nq != Nk aligns the last query with the last key.
  void run(const Tensor &q, const Tensor &k, const Tensor &v, Tensor &out,
           const RunOptions &options = {}) const;

  /// The block map the kernel uses for these lengths and `batch` batch
  /// entries (built and cached).
  BlockMapInfo blockMap(int64_t heads, int64_t nq, int64_t nk,
                        const RunOptions &options = {},
                        int64_t batch = 1) const;

  /// Query-key pairs the mask allows, summed over heads and over the batch
  /// entries 0 .. batch-1 (the default: batch entry 0 alone).
  int64_t allowedPairs(int64_t heads, int64_t nq, int64_t nk,
                       const RunOptions &options = {}, int64_t batch = 1) const;

  const std::string &patternName() const;
  /// Run-time parameter names, in order.
  const std::vector<std::string> &runtimeParams() const;
  /// The head count the pattern fixes, or 0 when any is accepted.
  int64_t heads() const;
  /// True when the code came from the JIT cache (this process's or disk).
  bool fromCache() const;
  /// True when the mask reads the batch index `b` (then the block map has a
  /// slice per batch entry; otherwise one map serves every entry).
  bool batchDependent() const;
  /// Where run() computes bf16/fp16 inputs: CUDA when the kernels were
  /// compiled and loaded for a GPU, else CPU.
  Device device() const;
  /// Under Target::Auto, why the program runs on the CPU ("" otherwise), e.g.
  /// "CUDA is not available: libcuda.so.1 not found (no NVIDIA driver)".
  const std::string &fallbackReason() const;

  /// The implementation is private to the library.
  struct Impl;
  explicit Program(std::shared_ptr<Impl> impl) : impl(std::move(impl)) {}

private:
  std::shared_ptr<Impl> impl;
};

/// The JIT cache directory in use.
std::string cacheDirectory();

} // namespace attn

#endif // ATTN_ATTN_H
