//===- attn-translate.cpp - .attn import and AST dump for lit tests -------===//
#include "frontend/Frontend.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  // Only the frontend's translations: this tool exists to test the importer.
  mlir::attn::registerImportAttnTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "attn .attn translation tool"));
}
