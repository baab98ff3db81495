//===- attn-translate.cpp - .attn import and AST dumps for lit tests ------===//
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"

/// `--import-attn-pipeline`: the import, then the pipeline to the attn stage
/// (every parameter at its default), so that lit tests check the errors of
/// the later stages with `-verify-diagnostics` in the .attn file itself.
static void registerImportAttnPipeline() {
  mlir::TranslateToMLIRRegistration reg(
      "import-attn-pipeline",
      "import an .attn file and run the attn pipeline to the attn stage",
      [](llvm::SourceMgr &sm,
         mlir::MLIRContext *ctx) -> mlir::OwningOpRef<mlir::Operation *> {
        mlir::OwningOpRef<mlir::ModuleOp> module =
            mlir::attn::importAttn(sm, ctx);
        if (!module)
          return nullptr;
        mlir::PassManager pm(ctx);
        mlir::attn::PipelineOptions options;
        options.stop = mlir::attn::Stage::Attn;
        mlir::attn::buildAttnPipeline(pm, options);
        if (mlir::failed(pm.run(*module)))
          return nullptr;
        return mlir::OwningOpRef<mlir::Operation *>(module.release());
      },
      [](mlir::DialectRegistry &registry) {
        mlir::attn::registerAttnDialects(registry);
      });
}

int main(int argc, char **argv) {
  // The frontend's translations: this tool exists to test the importer.
  mlir::attn::registerImportAttnTranslation();
  registerImportAttnPipeline();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "attn .attn translation tool"));
}
