//===- CpuLowering.cpp - scheduled attn IR to the LLVM dialect -------------===//
#include "codegen/CpuLowering.h"
#include "passes/Passes.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::registerCpuLoweringDialects(DialectRegistry &registry) {
  registry.insert<LLVM::LLVMDialect, cf::ControlFlowDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::attn::lowerPatternToLLVM(ModuleOp scheduled, StringRef name) {
  MLIRContext *ctx = scheduled.getContext();
  auto pattern = scheduled.lookupSymbol<PatternOp>(name);
  if (!pattern)
    return scheduled.emitError() << "no pattern named '" << name << "'";

  // The entry points are added on a copy holding only this pattern.
  OwningOpRef<ModuleOp> work(cast<ModuleOp>(scheduled->clone()));
  for (PatternOp p : llvm::to_vector(work->getOps<PatternOp>()))
    if (p.getSymName() != name)
      p.erase();
  {
    PassManager pm(ctx);
    pm.addPass(createAttnEmitCpuEntryPointsPass());
    if (failed(pm.run(*work)))
      return failure();
  }

  // Keep functions and constant tables; the pattern op itself is not code.
  OwningOpRef<ModuleOp> out = ModuleOp::create(scheduled.getLoc());
  OpBuilder b = OpBuilder::atBlockEnd(out->getBody());
  for (Operation &op : work->getBody()->getOperations())
    if (isa<func::FuncOp, memref::GlobalOp>(op))
      b.clone(op);
  // Only the entry points are visible; the rest is inlined by LLVM.
  for (auto fn : out->getOps<func::FuncOp>()) {
    StringRef fnName = fn.getSymName();
    if (fnName != cpuBlockMapName(name) && fnName != cpuTileMaskName(name))
      fn.setPrivate();
  }

  PassManager pm(ctx);
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  if (failed(pm.run(*out)))
    return failure();
  // Helpers are internal so LLVM inlines them and drops the bodies.
  for (auto fn : out->getOps<LLVM::LLVMFuncOp>())
    if (fn.getName() != cpuBlockMapName(name) &&
        fn.getName() != cpuTileMaskName(name) && !fn.isExternal())
      fn.setLinkage(LLVM::Linkage::Internal);
  return out;
}

FailureOr<std::string> mlir::attn::translateToLLVMIRText(ModuleOp llvmModule) {
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(llvmModule, llvmCtx);
  if (!m)
    return llvmModule.emitError("cannot translate to LLVM IR");
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, nullptr);
  return text;
}
