//===- CudaCompile.h - a scheduled pattern to a CUDA bundle -----*- C++ -*-===//
//
// Emits the pattern's CUDA source (codegen/CudaEmitter) and compiles it with
// NVRTC into an attn::cuda::Bundle: the cubin or PTX plus everything the
// manifest records (tile, head dependence, run-time params, variants with
// their warps).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_JIT_CUDACOMPILE_H
#define ATTN_RUNTIME_JIT_CUDACOMPILE_H

#include "runtime/cuda/Bundle.h"
#include "mlir/IR/BuiltinOps.h"
#include <string>
#include <utility>
#include <vector>

namespace attn::jit {

struct CudaCompileOptions {
  /// A real architecture (see checkCudaArch in Nvrtc.h).
  std::string arch = "sm_90a";
  /// "cubin" | "ptx".
  std::string format = "cubin";
  /// (dtype, head dim) pairs; empty means bf16 and f16 x 64 and 128.
  std::vector<std::pair<std::string, int64_t>> variants;
  /// Capture the ptxas resource report (cubin only) in CudaCompileInfo::log.
  bool verbose = false;
  /// Queries per tile: 64 or 128; 0 chooses per pattern (CudaSchedule.h).
  int64_t tileQ = 0;
};

/// What else a compilation produced, for tools and cache keys.
struct CudaCompileInfo {
  std::string source;       // the generated translation unit
  std::string log;          // NVRTC's log (ptxas report when verbose)
  std::string nvrtcVersion; // "major.minor"
  std::string tileReason;   // why this query tile (when chosen)
};

/// Compiles pattern `pattern` of a module after attn-classify-tiles. Throws
/// attn::Error with the diagnostics (file:line:col) or NVRTC's log.
cuda::Bundle compileCudaBundle(mlir::ModuleOp scheduled,
                               const std::string &pattern,
                               const CudaCompileOptions &options,
                               CudaCompileInfo *info = nullptr);

/// Dynamic shared memory of the forward kernel: Q tile plus two stages of
/// K and V tiles (64 keys), 2 bytes per element.
inline int64_t cudaForwardSmemBytes(int64_t tileQ, int64_t headDim) {
  return (tileQ * headDim + 4 * 64 * headDim) * 2;
}

} // namespace attn::jit

#endif // ATTN_RUNTIME_JIT_CUDACOMPILE_H
