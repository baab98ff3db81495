//===- InitAll.cpp - register the attn dialects and passes -----------------===//
#include "passes/InitAll.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"

void mlir::attn::registerAttnDialects(DialectRegistry &registry) {
  registry.insert<AttnDialect, arith::ArithDialect, math::MathDialect,
                  func::FuncDialect, scf::SCFDialect, memref::MemRefDialect>();
}

void mlir::attn::registerAllAttnPasses() {
  registerAttnPasses();
  registerAttnPipeline();
}
