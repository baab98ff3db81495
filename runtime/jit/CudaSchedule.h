//===- CudaSchedule.h - choosing the CUDA kernel's query tile ---*- C++ -*-===//
//
// The CUDA forward kernel takes 64 or 128 queries per tile (the CTA shapes
// are in codegen/CudaEmitter.h, cudaKernelShape).
//
// 128-row tiles halve the K/V traffic per query, but a pattern with finer
// structure (64-token blocks, say) then visits more tiles and masks more of
// them. chooseCudaTileQ() decides per pattern by building both block maps
// with the pattern's own classifier (interpreted) at a probe length and
// comparing the visited area.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_JIT_CUDASCHEDULE_H
#define ATTN_RUNTIME_JIT_CUDASCHEDULE_H

#include "mlir/IR/BuiltinOps.h"
#include <cstdint>
#include <string>

namespace attn::jit {

struct CudaTileChoice {
  int64_t tileQ = 64;
  /// Why, in one line (for --emit=cuda comments and `attnc compile -v`).
  std::string reason;
};

/// 128 when the visited area (tiles x tile size) of 128x64 tiles is at most
/// 10% above that of 64x64 tiles at `probeLength` tokens, else 64. Patterns
/// with run-time parameters (unknown here) or whose classifier fails to
/// evaluate get 64.
CudaTileChoice chooseCudaTileQ(mlir::ModuleOp scheduled,
                               const std::string &pattern,
                               int64_t probeLength = 2048);

} // namespace attn::jit

#endif // ATTN_RUNTIME_JIT_CUDASCHEDULE_H
