//===- CpuLowering.h - scheduled attn IR to the LLVM dialect ----*- C++ -*-===//
#ifndef ATTN_CODEGEN_CPULOWERING_H
#define ATTN_CODEGEN_CPULOWERING_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include <string>

namespace mlir::attn {

/// From a module after attn-classify-tiles, builds a new module holding only
/// pattern `name`'s generated functions, its CPU entry points and constant
/// tables, lowered to the LLVM dialect. Errors are emitted as diagnostics.
FailureOr<OwningOpRef<ModuleOp>> lowerPatternToLLVM(ModuleOp scheduled,
                                                    StringRef name);

/// The LLVM IR text of an LLVM-dialect module (the `llvm` stage).
FailureOr<std::string> translateToLLVMIRText(ModuleOp llvmModule);

/// Registers the translations the lowering needs in `registry`.
void registerCpuLoweringDialects(DialectRegistry &registry);

} // namespace mlir::attn

#endif // ATTN_CODEGEN_CPULOWERING_H
