//===- AttnInterfaces.td - MaskOpInterface ---------------------*- tablegen -*-===//
#ifndef ATTN_INTERFACES_TD
#define ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def MaskOpInterface : OpInterface<"MaskOpInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    Implemented by every op producing an `!attn.mask`. It emits, as `arith`
    (and `scf`/`math`/`memref`) ops, (a) the element predicate `i1` for one
    (b, h, q, k) and (b) the tile class `i8` (0 = EMPTY, 1 = PARTIAL,
    2 = FULL) for the tile `[q0, q1) x [k0, k1)`. Operand masks are looked up
    through `CodegenState`, already emitted.
  }];
  let methods = [
    InterfaceMethod<"Emits the element predicate (i1).", "::mlir::Value",
      "buildElement", (ins "::mlir::OpBuilder &":$b,
                           "::mlir::attn::CodegenState &":$state)>,
    InterfaceMethod<"Emits the tile classification (i8).", "::mlir::Value",
      "buildTileClass", (ins "::mlir::OpBuilder &":$b,
                             "::mlir::attn::CodegenState &":$state)>,
  ];
}

#endif // ATTN_INTERFACES_TD
