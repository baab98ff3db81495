//===- InitAll.h - register the attn dialects and passes --------*- C++ -*-===//
#ifndef ATTN_PASSES_INITALL_H
#define ATTN_PASSES_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::attn {
/// The dialects attn IR uses: attn, arith, math, func, scf, memref.
void registerAttnDialects(DialectRegistry &registry);
/// Every attn pass and the attn-pipeline.
void registerAllAttnPasses();
} // namespace mlir::attn

#endif // ATTN_PASSES_INITALL_H
