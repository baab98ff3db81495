//===- CudaEmitter.h - scheduled attn IR to CUDA C++ source -----*- C++ -*-===//
//
// Prints a pattern's generated element predicate and tile classifier (flat
// arith/math/scf/memref functions made by attn-classify-tiles) as one CUDA
// translation unit that instantiates runtime/device/attn_kernels.cuh.
//
// The unit also compiles as host C++ (without __CUDACC__ it defines only the
// pattern struct, with ATTN_DEVICE empty), so the predicate can be checked
// on the CPU against the reference mask.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CODEGEN_CUDAEMITTER_H
#define ATTN_CODEGEN_CUDAEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include <string>
#include <vector>

namespace mlir::attn {

/// Head dims the CUDA forward kernels take: 32, 64, 96 and 128.
bool isCudaHeadDim(int64_t headDim);
/// "32, 64, 96, 128", for messages.
const char *cudaHeadDimList();

/// One forward-kernel instantiation: dtype "bf16" | "f16", a head dim
/// isCudaHeadDim accepts.
struct CudaVariant {
  std::string dtype = "bf16";
  int64_t headDim = 128;
};

/// The forward kernel's CTA for a query tile and head dim: `warps` warps,
/// each owning `rowBlocks` blocks of 16 query rows (see
/// runtime/device/attn_kernels.cuh):
///   query tile 64:  4 warps x 1 block;
///   query tile 128: 8 warps x 1 block.
/// (The kernels also take 2 blocks per warp, where each K/V fragment feeds
/// two mma; with the predicate inlined that spills registers under NVRTC
/// for some patterns, so it is not used by default.)
/// {0, 0} when there is no kernel of that shape.
struct CudaKernelShape {
  int64_t warps = 0, rowBlocks = 0;
};
CudaKernelShape cudaKernelShape(int64_t tileQ, int64_t headDim);

struct CudaEmitOptions {
  /// Queries per tile of the forward kernel: 64 or 128; 0 takes the
  /// pattern's `attn.tile` (which must then be 64x64 or 128x64).
  int64_t tileQ = 0;
  /// The forward kernels to instantiate (none: only the block-map kernels).
  std::vector<CudaVariant> variants = {
      {"bf16", 64}, {"bf16", 128}, {"f16", 64}, {"f16", 128}};
  /// Per-op `// file:line:col` comments where the location changes.
  bool opLocations = true;
};

/// The default variants: bf16 and f16, head dims 64 and 128.
std::vector<CudaVariant> defaultCudaVariants();

/// The complete CUDA source of pattern `pattern` of a module after
/// attn-classify-tiles. An op the printer does not know is reported as an
/// error on that op.
FailureOr<std::string> emitCudaSource(ModuleOp scheduled, StringRef pattern,
                                      const CudaEmitOptions &options);

/// `file:line:col` of the first file location inside `loc`, else "".
std::string formatFileLocation(Location loc);

} // namespace mlir::attn

#endif // ATTN_CODEGEN_CUDAEMITTER_H
