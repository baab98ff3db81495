//===- FlexExport.h - a pattern's mask as a FlexAttention module -*- C++
//-*-===//
#ifndef ATTN_CODEGEN_FLEXEXPORT_H
#define ATTN_CODEGEN_FLEXEXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir::attn {

struct FlexExportOptions {
  /// The .attn file as the user named it (default: the pattern's location).
  std::string sourceName;
  /// The compile-time `--set NAME=VALUE` settings, recorded in the header.
  std::vector<std::string> settings;
  /// When given, the generated code quotes the .attn lines it comes from.
  llvm::SourceMgr *sourceMgr = nullptr;
};

/// Prints pattern `patternName`'s element predicate (`@P__mask`, in a module
/// after attn-classify-tiles) as a Python module for PyTorch FlexAttention:
/// `make_mask_mod(nq, nk, **params)` returns `mask_mod(b, h, q_idx, kv_idx)`,
/// exact in 64-bit arithmetic for torch tensors and for plain Python ints,
/// and `block_mask(...)` calls `create_block_mask`. Anything that cannot be
/// exported is reported as a diagnostic on the offending op.
FailureOr<std::string> exportFlexModule(ModuleOp module, StringRef patternName,
                                        const FlexExportOptions &options = {});

} // namespace mlir::attn

#endif // ATTN_CODEGEN_FLEXEXPORT_H
