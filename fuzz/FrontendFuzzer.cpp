//===- FrontendFuzzer.cpp - libFuzzer target: .attn text to scheduled IR --===//
//
// Each input is a .attn file. It is imported (lexer, parser, Sema, MLIRGen,
// the IR verifier) and, when that succeeds, run through the attnc pipeline
// up to the attn-scheduled stage for every public pattern. Diagnostics are
// expected and swallowed; a crash, a sanitizer report, a hang (-timeout) or
// running out of memory (-rss_limit_mb) is a finding.
//
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Pipeline.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include <cstdint>
#include <cstdlib>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: interned names and attributes would otherwise
  // accumulate over millions of inputs. One thread keeps runs reproducible.
  static DialectRegistry registry = [] {
    DialectRegistry r;
    attn::registerAttnDialects(r);
    return r;
  }();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler swallow(&context,
                                  [](Diagnostic &) { return success(); });

  llvm::SourceMgr sourceMgr;
  // A name without a directory: file("...") tables resolve against ".",
  // where the committed corpus has none, so they fail with a diagnostic.
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.attn"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = attn::importAttn(sourceMgr, &context);
  if (!module)
    return 0;

  attn::PipelineOptions options; // No pattern named: every public pattern.
  options.stop = attn::Stage::AttnScheduled;
  PassManager pm(&context);
  attn::buildAttnPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 0;
  // A pipeline that succeeds must leave valid IR behind.
  if (failed(verify(*module)))
    std::abort();
  return 0;
}
