//===- Frontend.cpp - .attn import entry points and translations ----------===//
#include "frontend/Frontend.h"

#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"

#include "dialect/AttnDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::attn;

static constexpr llvm::StringLiteral kPreludeName = "prelude.attn";

static std::unique_ptr<ast::Module>
parseBuffer(llvm::SourceMgr &sm, unsigned bufferId, MLIRContext *ctx,
            bool isPrelude = false) {
  Parser parser(sm.getMemoryBuffer(bufferId)->getBuffer(),
                [&](llvm::SMLoc l, const llvm::Twine &msg) {
                  emitError(getLoc(ctx, sm, l), msg);
                });
  parser.reserveInternalNames = !isPrelude;
  return parser.parseModule();
}

/// The prelude's buffer in `sm`, added once (importAttn may be called again
/// with the same source manager).
static unsigned getPreludeBuffer(llvm::SourceMgr &sm) {
  llvm::StringRef text = getEmbeddedPrelude();
  for (unsigned i = 1, e = sm.getNumBuffers(); i <= e; ++i) {
    const llvm::MemoryBuffer *b = sm.getMemoryBuffer(i);
    if (b->getBufferIdentifier() == kPreludeName &&
        b->getBufferStart() == text.data())
      return i;
  }
  return sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(text, kPreludeName,
                                       /*RequiresNullTerminator=*/false),
      llvm::SMLoc());
}

OwningOpRef<ModuleOp> mlir::attn::importAttn(llvm::SourceMgr &sm,
                                             MLIRContext *ctx,
                                             const ImportOptions &opts) {
  ctx->loadDialect<AttnDialect, arith::ArithDialect, math::MathDialect>();
  unsigned mainId = sm.getMainFileID();
  std::unique_ptr<ast::Module> user = parseBuffer(sm, mainId, ctx);
  if (!user)
    return nullptr;
  std::unique_ptr<ast::Module> prelude;
  if (opts.includePrelude) {
    prelude = parseBuffer(sm, getPreludeBuffer(sm), ctx, /*isPrelude=*/true);
    if (!prelude)
      return nullptr;
    for (auto &p : prelude->patterns)
      p->fromPrelude = true;
  }
  // file("...") tables are relative to the .attn file.
  llvm::StringRef ident = sm.getMemoryBuffer(mainId)->getBufferIdentifier();
  llvm::StringRef baseDir = llvm::sys::path::parent_path(ident);
  if (ident == "<stdin>" || baseDir.empty())
    baseDir = ".";
  OwningOpRef<ModuleOp> module =
      mlirGen(ctx, sm, *user, prelude.get(), baseDir);
  if (!module)
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

LogicalResult mlir::attn::dumpAttnAST(llvm::SourceMgr &sm, MLIRContext *ctx,
                                      llvm::raw_ostream &os) {
  std::unique_ptr<ast::Module> module =
      parseBuffer(sm, sm.getMainFileID(), ctx);
  if (!module)
    return failure();
  module->dump(os);
  return success();
}

void mlir::attn::registerImportAttnTranslation() {
  static bool registered = [] {
    TranslateRawSourceMgrToMLIRFunction import =
        [](llvm::SourceMgr &sm, MLIRContext *ctx) -> OwningOpRef<Operation *> {
      OwningOpRef<ModuleOp> module = importAttn(sm, ctx);
      return OwningOpRef<Operation *>(module.release());
    };
    TranslateToMLIRRegistration importReg(
        "import-attn", "import an .attn pattern file into the attn dialect",
        import, [](DialectRegistry &registry) {
          registry
              .insert<AttnDialect, arith::ArithDialect, math::MathDialect>();
        });
    TranslateRegistration astReg(
        "attn-to-ast", "print the syntax tree of an .attn pattern file",
        [](const std::shared_ptr<llvm::SourceMgr> &sm, llvm::raw_ostream &os,
           MLIRContext *ctx) { return dumpAttnAST(*sm, ctx, os); });
    return true;
  }();
  (void)registered;
}
