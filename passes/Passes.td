//===- Passes.td - attn passes ---------------------------------*- tablegen -*-===//
#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Pattern assembly
//===----------------------------------------------------------------------===//

def AttnInlinePatternsPass : Pass<"attn-inline-patterns", "::mlir::ModuleOp"> {
  let summary = "Inline pattern calls (user and prelude patterns)";
  let description = [{
    Replaces every `attn.call` by the body of its callee, callees first, and
    reports recursion (direct or mutual) at the call that closes the cycle.
    Private (prelude) patterns are erased afterwards. With `entry`, only that
    pattern is kept.
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"\"",
           "Keep only this pattern after inlining">,
  ];
  let statistics = [
    Statistic<"numInlined", "num-inlined", "Number of calls inlined">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def AttnBindParametersPass : Pass<"attn-bind-parameters", "::mlir::ModuleOp"> {
  let summary = "Bind compile-time pattern parameters to constants";
  let description = [{
    Every parameter that is not a run-time `param` becomes an
    `arith.constant`: the value given in `values` (`name=value`) or else its
    default. A parameter with neither is an error, as is an unknown name.
    A run-time parameter given in `values` is bound as well.
  }];
  let options = [
    ListOption<"values", "values", "std::string",
               "Parameter values, as name=value">,
    Option<"pattern", "pattern", "std::string", /*default=*/"\"\"",
           "Only bind this pattern's parameters (default: every pattern)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// Mask algebra
//===----------------------------------------------------------------------===//

def AttnSimplifyMasksPass : Pass<"attn-simplify-masks", "::mlir::ModuleOp"> {
  let summary = "Fold constants and simplify the mask algebra";
  let description = [{
    Canonicalizes attn and arith ops (identities with full and empty,
    idempotence, double complement, absorption such as
    `sliding(w) & causal()` -> `sliding(w)`, constant parameter arithmetic)
    and removes common subexpressions.
  }];
  let statistics = [
    Statistic<"numErased", "num-erased", "Number of ops removed">,
  ];
}

def AttnCheckRangesPass : Pass<"attn-check-ranges", "::mlir::ModuleOp"> {
  let summary = "Check the value ranges of the index arithmetic";
  let description = [{
    Proves, by interval arithmetic, that no integer of a pattern's index
    arithmetic leaves the index range [-2^62, 2^62] for any shape attnc
    accepts (lengths and batch up to 2^40, the declared heads or up to 65536,
    run-time parameters within +-2^40), so that 64-bit code is exact on every
    backend. Checks every primitive argument whose value is known against its
    range (a window of at least 1, ...). Runs before attn-simplify-masks,
    whose constant folding would wrap an overflowing value silently.

    Errors point at the user's source: a value passed to a pattern is
    reported at the call's argument, naming that pattern's parameter; an
    error inside an inlined pattern at the outermost call.
  }];
}

def AttnVerifyPatternPass : Pass<"attn-verify-pattern", "::mlir::ModuleOp"> {
  let summary = "Whole-pattern checks (heads, grid layout, calls, parameters)";
  let description = [{
    Checks what no single op can: per-head masks cover exactly the declared
    heads, grid primitives match the pattern's layout, per-head block tables
    match the head count, no call is left, run-time parameters are integers
    or booleans.
  }];
}

//===----------------------------------------------------------------------===//
// Code generation
//===----------------------------------------------------------------------===//

def AttnClassifyTilesPass : Pass<"attn-classify-tiles", "::mlir::ModuleOp"> {
  let summary = "Emit the element predicate and tile classifier as functions";
  let description = [{
    For each pattern @P emits, in plain func/arith/scf/math/memref:

    - `@P__mask(b, h, q, k, nq, nk, params...) -> i1`
    - `@P__classify(b, h, q0, q1, k0, k1, nq, nk, params...) -> i8`
      (0 EMPTY, 1 PARTIAL, 2 FULL for the tile [q0, q1) x [k0, k1))

    Every argument is i64; `params` are the run-time parameters in order.
    The pattern gets `attn.tile = [tile-q, tile-k]` and the function names.
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", /*default=*/"64", "Query tile size">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"64", "Key tile size">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def AttnEmitCpuEntryPointsPass
    : Pass<"attn-emit-cpu-entry-points", "::mlir::ModuleOp"> {
  let summary = "Emit the C-ABI entry points the CPU runtime calls";
  let description = [{
    For each classified pattern @P adds two functions with a fixed C ABI
    (every pointer is an `!llvm.ptr`), whatever its run-time parameters:

    - `void P__cpu_blockmap(const int64_t *ctx, int8_t *classes, int64_t r0,
      int64_t r1)` writes the class of every tile in query-tile rows
      [r0, r1) of head ctx[1] into `classes`, row-major [numQT][numKT]; a
      range of key tiles that is all EMPTY or all FULL costs one classifier
      call (recursive halving);
    - `void P__cpu_tile_mask(const int64_t *ctx, int64_t q0, int64_t q1,
      int64_t k0, int64_t k1, uint8_t *out, int64_t ld)` writes the element
      mask of one tile, `out[(q - q0) * ld + (k - k0)]`.

    `ctx` is `[b, h, nq, nk, tileQ, tileK, numQT, numKT, params...]`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect"
  ];
}

#endif // ATTN_PASSES_TD
