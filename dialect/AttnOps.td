//===- AttnOps.td - attn dialect operations ---------------------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "dialect/AttnDialect.td"
include "dialect/AttnInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/BuiltinAttributes.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

// A pattern op: pure, produces a mask, classifies its tiles as code.
class Attn_MaskOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat(traits,
        [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<MaskOpInterface>])> {
  let results = (outs Attn_MaskType:$result);
}

// A primitive whose parameters are i64 operands (constants or run-time).
// The ranges of those values are checked by attn-check-ranges, not by a
// verifier (folding and inlining may make any of them a constant).
class Attn_PrimitiveOp<string mnemonic, dag params, string fmt,
                       list<Trait> traits = []>
    : Attn_MaskOp<mnemonic, traits> {
  let arguments = params;
  let assemblyFormat = fmt;
}

//===----------------------------------------------------------------------===//
// Patterns and calls
//===----------------------------------------------------------------------===//

def Attn_PatternOp : Attn_Op<"pattern", [
    Symbol, IsolatedFromAbove, SingleBlock, NoTerminator,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "a named attention pattern with typed parameters";
  let description = [{
    The body computes one `!attn.mask` and ends with `attn.yield`. Entry block
    arguments are the parameters (`i64` int, `f64` float, `i1` bool), named by
    `param_names`; `param_defaults` holds a default per parameter or a unit
    attribute when there is none; `param_runtime` marks run-time (`param`)
    parameters. `heads` fixes the head count; `layout` is `[H, W]` for a grid.

    ```mlir
    attn.pattern @local(%w: i64 = 128, param %x: i64) heads 8 layout grid(56, 56) {
      %m = attn.sliding(%w)
      attn.yield %m : !attn.mask
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<StrAttr>:$sym_visibility,
                       ArrayAttr:$param_names,
                       ArrayAttr:$param_defaults,
                       DenseBoolArrayAttr:$param_runtime,
                       OptionalAttr<I64Attr>:$heads,
                       OptionalAttr<DenseI64ArrayAttr>:$layout);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    unsigned getNumParams() { return getParamNames().size(); }
    ::llvm::StringRef getParamName(unsigned i) {
      return ::llvm::cast<::mlir::StringAttr>(getParamNames()[i]).getValue();
    }
    bool isRuntimeParam(unsigned i) { return getParamRuntime()[i]; }
    /// The default of parameter `i`, or null when it has none.
    ::mlir::TypedAttr getParamDefault(unsigned i);
    /// The value yielded by the body (the pattern's mask).
    ::mlir::Value getMask();
    bool isGrid() { return getLayout().has_value(); }
  }];
}

def Attn_CallOp : Attn_Op<"call", [
    Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "calls another pattern (removed by attn-inline-patterns)";
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$args);
  let results = (outs Attn_MaskType:$result);
  let assemblyFormat = "$callee `(` $args `)` attr-dict (`:` type($args)^)?";
}

def Attn_YieldOp : Attn_Op<"yield", [
    Pure, Terminator, ParentOneOf<["PatternOp", "PredicateOp"]>]> {
  let summary = "returns the mask of a pattern or the i1 of a predicate";
  let arguments = (ins AnyTypeOf<[Attn_MaskType, I1]>:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Static primitives
//===----------------------------------------------------------------------===//

def Attn_EmptyOp : Attn_MaskOp<"empty"> {
  let summary = "no pair";
  let assemblyFormat = "attr-dict";
  let hasFolder = 0;
}
def Attn_FullOp : Attn_MaskOp<"full"> {
  let summary = "every pair";
  let assemblyFormat = "attr-dict";
}
def Attn_CausalOp : Attn_MaskOp<"causal"> {
  let summary = "k <= p";
  let assemblyFormat = "attr-dict";
}
def Attn_SlidingOp : Attn_PrimitiveOp<"sliding", (ins I64:$window),
    "`(` $window `)` attr-dict"> {
  let summary = "p - window < k <= p (window >= 1)";
}
def Attn_BandOp : Attn_PrimitiveOp<"band", (ins I64:$left, I64:$right),
    "`(` $left `,` $right `)` attr-dict"> {
  let summary = "p - left <= k <= p + right (left, right >= 0)";
}
def Attn_SinkOp : Attn_PrimitiveOp<"sink", (ins I64:$count),
    "`(` $count `)` attr-dict"> {
  let summary = "k < count (count >= 0)";
}
def Attn_GlobalOp : Attn_MaskOp<"global"> {
  let summary = "p or k is one of the global positions";
  let arguments = (ins DenseI64ArrayAttr:$positions);
  let assemblyFormat = "$positions attr-dict";
  let hasVerifier = 1;
}
def Attn_BlockSlidingOp : Attn_PrimitiveOp<"block_sliding",
    (ins I64:$block, I64:$window), "`(` $block `,` $window `)` attr-dict"> {
  let summary = "0 <= p/block - k/block < window";
}
def Attn_Power2Op : Attn_PrimitiveOp<"power2", (ins I64:$block),
    "`(` $block `)` attr-dict"> {
  let summary = "d = p/block - k/block is 0 or a power of two";
}
def Attn_StripeOp : Attn_PrimitiveOp<"stripe",
    (ins I64:$stride, I64:$width, I64:$offset),
    "`(` $stride `,` $width `,` $offset `)` attr-dict"> {
  let summary = "(k - offset) mod stride < width";
}
def Attn_StridedOp : Attn_PrimitiveOp<"strided", (ins I64:$stride),
    "`(` $stride `)` attr-dict"> {
  let summary = "(p - k) mod stride == 0";
}
def Attn_BlockLayoutOp : Attn_PrimitiveOp<"block_layout",
    (ins I64:$block, ElementsAttr:$table),
    "`(` $block `)` `table` $table attr-dict"> {
  let hasVerifier = 1;
  let summary = "table[h][p/block][k/block] (or table[p/block][k/block])";
  let extraClassDeclaration = [{
    bool isPerHead() { return ::llvm::cast<::mlir::ShapedType>(getTable().getType()).getRank() == 3; }
  }];
}
def Attn_BigBirdOp : Attn_PrimitiveOp<"bigbird",
    (ins I64:$block, I64:$window, I64:$globals, I64:$random, I64:$seed),
    "`(` $block `,` $window `,` $globals `,` $random `,` $seed `)` attr-dict"> {
  let summary = "BigBird block pattern: window, global and random blocks";
}

// Grid primitives carry their grid [H, W]; tokens are n = y * W + x.
def Attn_Window2dOp : Attn_PrimitiveOp<"window2d",
    (ins I64:$height, I64:$width, I64:$shift, DenseI64ArrayAttr:$grid),
    "`(` $height `,` $width `,` $shift `)` `grid` $grid attr-dict"> {
  let hasVerifier = 1;
  let summary = "same (shifted) window in both grid axes";
}
def Attn_NeighborhoodOp : Attn_PrimitiveOp<"neighborhood",
    (ins I64:$height, I64:$width, DenseI64ArrayAttr:$grid),
    "`(` $height `,` $width `)` `grid` $grid attr-dict"> {
  let hasVerifier = 1;
  let summary = "NATTEN neighborhood, shifted at the border";
}
def Attn_AxialOp : Attn_PrimitiveOp<"axial", (ins DenseI64ArrayAttr:$grid),
    "`grid` $grid attr-dict"> {
  let hasVerifier = 1;
  let summary = "qy == ky or qx == kx";
}

//===----------------------------------------------------------------------===//
// Set algebra, per-head selection, index predicates
//===----------------------------------------------------------------------===//

def Attn_UnionOp : Attn_MaskOp<"union", [Commutative]> {
  let summary = "pairs in either mask";
  let arguments = (ins Attn_MaskType:$lhs, Attn_MaskType:$rhs);
  let assemblyFormat = "$lhs `,` $rhs attr-dict";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Attn_IntersectOp : Attn_MaskOp<"intersect", [Commutative]> {
  let summary = "pairs in both masks";
  let arguments = (ins Attn_MaskType:$lhs, Attn_MaskType:$rhs);
  let assemblyFormat = "$lhs `,` $rhs attr-dict";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Attn_ComplementOp : Attn_MaskOp<"complement"> {
  let summary = "pairs not in the mask";
  let arguments = (ins Attn_MaskType:$input);
  let assemblyFormat = "$input attr-dict";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Attn_DifferenceOp : Attn_MaskOp<"difference"> {
  let summary = "pairs in lhs and not in rhs";
  let arguments = (ins Attn_MaskType:$lhs, Attn_MaskType:$rhs);
  let assemblyFormat = "$lhs `,` $rhs attr-dict";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Attn_SelectHeadsOp : Attn_MaskOp<"select_heads"> {
  let summary = "mask i applies to heads bounds[i] <= h < bounds[i+1]";
  let arguments = (ins Variadic<Attn_MaskType>:$masks,
                       DenseI64ArrayAttr:$bounds);
  let assemblyFormat = "$masks `bounds` $bounds attr-dict";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Attn_PredicateOp : Attn_MaskOp<"predicate", [
    SingleBlock, RecursiveMemoryEffects,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "a mask given by an index expression";
  let description = [{
    The region's arguments are `q, k, h, b, p` (i64), plus `qy, qx, ky, kx`
    when the op has a `grid`; the body is `arith`/`math` ops ending in
    `attn.yield` of an `i1`. It may use values of the enclosing pattern.
    Tiles are classified soundly by interval arithmetic.
  }];
  let arguments = (ins OptionalAttr<DenseI64ArrayAttr>:$grid);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "(`grid` $grid^)? $body attr-dict";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumIndexArgs() { return getGrid() ? 9 : 5; }
  }];
  let skipDefaultBuilders = 0;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Attn_FloatTensor : RankedTensorOf<[F16, BF16, F32]>;

def Attn_AttentionOp : Attn_Op<"attention", [Pure]> {
  let summary = "out = softmax(scale * q k^T, masked) v";
  let description = [{
    `q` is `[B, H, Nq, D]`, `k` and `v` are `[B, Hkv, Nk, D]` (H a multiple of
    Hkv: GQA/MQA), `out` is `[B, H, Nq, Dv]` with the dtype of `q`. `scale`
    defaults to 1/sqrt(D).
  }];
  let arguments = (ins Attn_FloatTensor:$q, Attn_FloatTensor:$k,
                       Attn_FloatTensor:$v, Attn_MaskType:$mask,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Attn_FloatTensor:$out);
  let assemblyFormat = [{
    $q `,` $k `,` $v `mask` $mask attr-dict `:` type($q) `,` type($k) `,`
    type($v) `->` type($out)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_OPS_TD
