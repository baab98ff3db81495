//===- Frontend.h - public entry points of the .attn frontend --*- C++ -*-===//
#ifndef ATTN_FRONTEND_FRONTEND_H
#define ATTN_FRONTEND_FRONTEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::attn {

struct ImportOptions {
  bool includePrelude = true;
};

/// Parses the main buffer of `sm` (+ the embedded prelude), returns a module
/// of attn.pattern ops, or null after emitting diagnostics. Loads the attn,
/// arith and math dialects into `ctx`. The prelude is added to `sm` as a
/// buffer named "prelude.attn" so that its locations print with source lines.
OwningOpRef<ModuleOp> importAttn(llvm::SourceMgr &sm, MLIRContext *ctx,
                                 const ImportOptions &opts = {});

/// Parses and prints the AST of the main buffer (no MLIRGen); failure after
/// diagnostics.
LogicalResult dumpAttnAST(llvm::SourceMgr &sm, MLIRContext *ctx,
                          llvm::raw_ostream &os);

/// The standard prelude compiled into the library (frontend/prelude.attn).
llvm::StringRef getEmbeddedPrelude();

/// Registers the translations "import-attn" and "attn-to-ast".
void registerImportAttnTranslation();

} // namespace mlir::attn

#endif // ATTN_FRONTEND_FRONTEND_H
