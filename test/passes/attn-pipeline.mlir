// RUN: attn-opt %s --attn-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-pipeline="classify=false" | FileCheck %s --check-prefixes=ATTN
// RUN: attn-opt %s --attn-pipeline="pattern=other values=w=4 tile-q=32 tile-k=16" | FileCheck %s --check-prefixes=OPTS
// RUN: attn-opt %s --attn-pipeline="classify=false" --mlir-print-ir-after-all 2>&1 >/dev/null | FileCheck %s --check-prefixes=ORDER
// RUN: not attn-opt %s --attn-pipeline="pattern=nope" 2>&1 | FileCheck %s --check-prefixes=NOPE
// RUN: not attn-opt %s --attn-pipeline="values=bogus=1" 2>&1 | FileCheck %s --check-prefixes=BOGUS

// inline -> bind -> simplify -> verify [-> classify tiles], in that order.
// ORDER: IR Dump After AttnInlinePatternsPass
// ORDER: IR Dump After AttnBindParametersPass
// ORDER: IR Dump After AttnSimplifyMasksPass
// ORDER: IR Dump After AttnVerifyPatternPass
// ORDER-NOT: IR Dump After AttnClassifyTilesPass

// The private helper is inlined and erased; w is bound to its default; the
// absorbed causal() is gone; the run-time n stays a parameter.
// ATTN-NOT: @helper
// ATTN-LABEL: attn.pattern @main(
// ATTN-SAME: param %[[N:[a-z0-9_]+]]: i64) {
// ATTN-NEXT: %[[C64:.*]] = arith.constant 64 : i64
// ATTN-NEXT: %[[S:.*]] = attn.sliding(%[[C64]])
// ATTN-NEXT: %[[K:.*]] = attn.sink(%[[N]])
// ATTN-NEXT: %[[U:.*]] = attn.union %[[S]], %[[K]]
// ATTN-NEXT: attn.yield %[[U]] : !attn.mask
// ATTN-LABEL: attn.pattern @other() {
// ATTN-DAG: %[[C8:.*]] = arith.constant 8 : i64
// ATTN-DAG: %[[C16:.*]] = arith.constant 16 : i64
// ATTN: attn.band(%[[C16]], %[[C8]])
// ATTN-NOT: func.func

// CHECK-NOT: @helper
// CHECK-LABEL: attn.pattern @main(param %{{[a-z0-9_]+}}: i64) attributes {attn.classify_fn = @main__classify, attn.mask_fn = @main__mask, attn.tile = array<i64: 64, 64>}
// CHECK-LABEL: func.func @main__classify(
// CHECK-SAME: %{{[a-z0-9]+}}: i64) -> i8
// CHECK-LABEL: func.func @main__mask(
// CHECK-SAME: %[[NK:[a-z0-9]+]]: i64, %[[N:[a-z0-9]+]]: i64) -> i1
// CHECK: arith.cmpi slt, %{{.*}}, %[[N]] : i64
// CHECK-LABEL: attn.pattern @other() attributes {attn.classify_fn = @other__classify, attn.mask_fn = @other__mask, attn.tile = array<i64: 64, 64>}
// CHECK-LABEL: func.func @other__classify(
// CHECK-LABEL: func.func @other__mask(

// Only @other is kept; w = 4 gives band(8, 4).
// OPTS-NOT: @main
// OPTS-LABEL: attn.pattern @other() attributes {attn.classify_fn = @other__classify, attn.mask_fn = @other__mask, attn.tile = array<i64: 32, 16>} {
// OPTS-DAG: %[[C4:.*]] = arith.constant 4 : i64
// OPTS-DAG: %[[C8:.*]] = arith.constant 8 : i64
// OPTS: attn.band(%[[C8]], %[[C4]])
// OPTS: func.func @other__classify(
// OPTS: func.func @other__mask(
// OPTS-NOT: @main

// NOPE: error: no pattern named 'nope' (patterns: main, other)
// BOGUS: error: pattern 'main' has no parameter 'bogus' (parameters: w, n)

attn.pattern private @helper(%w: i64) {
  %s = attn.sliding(%w)
  %c = attn.causal
  %i = attn.intersect %c, %s
  attn.yield %i : !attn.mask
}
attn.pattern @main(%w: i64 = 64, param %n: i64) {
  %m = attn.call @helper(%w) : i64
  %k = attn.sink(%n)
  %u = attn.union %m, %k
  attn.yield %u : !attn.mask
}
attn.pattern @other(%w: i64 = 8) {
  %c2 = arith.constant 2 : i64
  %h = arith.muli %w, %c2 : i64
  %m = attn.band(%h, %w)
  attn.yield %m : !attn.mask
}
