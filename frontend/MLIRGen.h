//===- MLIRGen.h - lowering of the .attn AST to the attn dialect -*- C++
//-*-===//
#ifndef ATTN_FRONTEND_MLIRGEN_H
#define ATTN_FRONTEND_MLIRGEN_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::attn {

/// Converts a source position to the FileLineColLoc of its buffer.
Location getLoc(MLIRContext *ctx, llvm::SourceMgr &sm, llvm::SMLoc loc);

/// Builds one public attn.pattern per pattern of `user` (file order) plus the
/// private prelude patterns they reach. `baseDir` resolves `file("...")`
/// tables. Returns null after emitting exactly one diagnostic.
OwningOpRef<ModuleOp> mlirGen(MLIRContext *ctx, llvm::SourceMgr &sm,
                              const ast::Module &user,
                              const ast::Module *prelude,
                              llvm::StringRef baseDir);

} // namespace mlir::attn

#endif // ATTN_FRONTEND_MLIRGEN_H
