//===- AttnDialect.td - the attn dialect definition ------------*- tablegen -*-===//
#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Attention patterns as mask algebra, and the attention op";
  let description = [{
    The `attn` dialect describes sparse attention patterns. A pattern is a
    boolean function `mask(b, h, q, k)` built from primitive pattern ops
    (`attn.sliding`, `attn.power2`, ...) combined by the set algebra
    (`attn.union`, `attn.intersect`, `attn.complement`, `attn.difference`)
    and by `attn.predicate`, an arbitrary index expression. Every pattern op
    implements `MaskOpInterface`, which emits its element predicate and its
    tile classification as `arith` code.
  }];
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 0;
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

class Attn_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Attn_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Attn_MaskType : Attn_Type<"Mask", "mask"> {
  let summary = "an attention mask: a set of (batch, head, query, key) pairs";
}

#endif // ATTN_DIALECT_TD
