//===- AttnTestContext.h - an MLIR context for attn unit tests --*- C++ -*-===//
//
// The attn dialects loaded, diagnostics collected as text, and .attn source
// compiled through the shared pipeline to the attn-scheduled stage. Test
// fixtures inherit it next to ::testing::Test.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_UNIT_ATTNTESTCONTEXT_H
#define ATTN_TEST_UNIT_ATTNTESTCONTEXT_H

#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Pipeline.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace attn::test {

struct AttnTestContext {
  /// `extra` registers more dialects (the CPU lowering's, say).
  explicit AttnTestContext(
      const std::function<void(mlir::DialectRegistry &)> &extra = {}) {
    mlir::DialectRegistry registry;
    mlir::attn::registerAttnDialects(registry);
    if (extra)
      extra(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        &ctx, [this](mlir::Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return mlir::success();
        });
  }

  /// Pattern `p` of `source` at the attn-scheduled stage, or null (with
  /// the reason in `diagnostics`).
  mlir::OwningOpRef<mlir::ModuleOp>
  compilePattern(const std::string &source, const std::string &bufferName,
                 const std::vector<std::string> &values, int64_t tileQ,
                 int64_t tileK) {
    llvm::SourceMgr sm;
    sm.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, bufferName),
        llvm::SMLoc());
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::attn::importAttn(sm, &ctx);
    if (!module)
      return nullptr;
    mlir::PassManager pm(&ctx);
    mlir::attn::PipelineOptions options;
    options.pattern = "p";
    options.values = values;
    options.tileQ = tileQ;
    options.tileK = tileK;
    options.stop = mlir::attn::Stage::AttnScheduled;
    mlir::attn::buildAttnPipeline(pm, options);
    if (mlir::failed(pm.run(*module)))
      return nullptr;
    return module;
  }

  mlir::MLIRContext ctx;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;
  std::string diagnostics;
};

} // namespace attn::test

#endif // ATTN_TEST_UNIT_ATTNTESTCONTEXT_H
