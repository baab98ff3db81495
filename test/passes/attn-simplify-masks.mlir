// RUN: attn-opt %s --attn-simplify-masks --split-input-file | FileCheck %s

// Parameter arithmetic folds to constants, which then enable absorption:
// sliding(w / 2) | sliding(w) with w = 64 -> sliding(64).
// CHECK-LABEL: attn.pattern @fold_arith()
// CHECK-NEXT: %[[C64:.*]] = arith.constant 64 : i64
// CHECK-NEXT: %[[S:.*]] = attn.sliding(%[[C64]])
// CHECK-NEXT: attn.yield %[[S]] : !attn.mask
attn.pattern @fold_arith() {
  %w = arith.constant 64 : i64
  %c2 = arith.constant 2 : i64
  %half = arith.divsi %w, %c2 : i64
  %a = attn.sliding(%half)
  %b = attn.sliding(%w)
  %u = attn.union %a, %b
  attn.yield %u : !attn.mask
}

// -----

// stripe(s) has offset s - width: folded to a constant.
// CHECK-LABEL: attn.pattern @fold_stripe_offset()
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C63:.*]] = arith.constant 63 : i64
// CHECK: attn.stripe(%[[C64]], %[[C1]], %[[C63]])
// CHECK-NOT: arith.subi
attn.pattern @fold_stripe_offset() {
  %c64 = arith.constant 64 : i64
  %c1 = arith.constant 1 : i64
  %off = arith.subi %c64, %c1 : i64
  %m = attn.stripe(%c64, %c1, %off)
  attn.yield %m : !attn.mask
}

// -----

// PowerAttention with block_sliding(B, 3): the window is inside power2(B)
// and the whole pattern stays causal.
// CHECK-LABEL: attn.pattern @absorb_power()
// CHECK-DAG: %[[B:.*]] = arith.constant 256 : i64
// CHECK-DAG: %[[C:.*]] = attn.causal
// CHECK-DAG: %[[P:.*]] = attn.power2(%[[B]])
// CHECK-DAG: %[[K:.*]] = attn.sink(%[[B]])
// CHECK: %[[U:.*]] = attn.union %[[P]], %[[K]]
// CHECK-NEXT: %[[I:.*]] = attn.intersect %[[C]], %[[U]]
// CHECK-NEXT: attn.yield %[[I]] : !attn.mask
// CHECK-NOT: attn.block_sliding
attn.pattern @absorb_power() {
  %block = arith.constant 256 : i64
  %window = arith.constant 3 : i64
  %c = attn.causal
  %bs = attn.block_sliding(%block, %window)
  %p = attn.power2(%block)
  %u0 = attn.union %bs, %p
  %k = attn.sink(%block)
  %u1 = attn.union %u0, %k
  %i = attn.intersect %c, %u1
  attn.yield %i : !attn.mask
}

// -----

// The default PowerAttention window (5 blocks) is not inside power2: kept.
// CHECK-LABEL: attn.pattern @power_window5()
// CHECK: attn.block_sliding
// CHECK: attn.power2
// CHECK: attn.sink
attn.pattern @power_window5() {
  %block = arith.constant 256 : i64
  %window = arith.constant 5 : i64
  %c = attn.causal
  %bs = attn.block_sliding(%block, %window)
  %p = attn.power2(%block)
  %u0 = attn.union %bs, %p
  %k = attn.sink(%block)
  %u1 = attn.union %u0, %k
  %i = attn.intersect %c, %u1
  attn.yield %i : !attn.mask
}

// -----

// CSE makes two equal subexpressions one value, then a | a folds.
// CHECK-LABEL: attn.pattern @cse(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[S:.*]] = attn.sink(%[[W]])
// CHECK-NEXT: %[[T:.*]] = attn.strided(%[[W]])
// CHECK-NEXT: %[[I:.*]] = attn.intersect %[[S]], %[[T]]
// CHECK-NEXT: attn.yield %[[I]] : !attn.mask
attn.pattern @cse(%w: i64) {
  %s1 = attn.sink(%w)
  %t1 = attn.strided(%w)
  %i1 = attn.intersect %s1, %t1
  %s2 = attn.sink(%w)
  %t2 = attn.strided(%w)
  %i2 = attn.intersect %s2, %t2
  %u = attn.union %i1, %i2
  attn.yield %u : !attn.mask
}

// -----

// Per-head masks built separately merge once CSE made them one value.
// CHECK-LABEL: attn.pattern @cse_heads() heads 4
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @cse_heads() heads 4 {
  %a = attn.causal
  %b = attn.causal
  %m = attn.select_heads %a, %b bounds [0, 2, 4]
  attn.yield %m : !attn.mask
}

// -----

// Constants inside a predicate fold too; a dead branch of the algebra goes.
// The folded constant is hoisted out of the predicate into the pattern.
// CHECK-LABEL: attn.pattern @predicate_fold()
// CHECK-NEXT: %[[C6:.*]] = arith.constant 6 : i64
// CHECK-NEXT: %[[M:.*]] = attn.predicate {
// CHECK-NEXT: ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
// CHECK-NEXT: %[[D:.*]] = arith.subi %p, %k : i64
// CHECK-NEXT: %[[LT:.*]] = arith.cmpi slt, %[[D]], %[[C6]] : i64
// CHECK-NEXT: attn.yield %[[LT]] : i1
// CHECK-NEXT: }
// CHECK-NEXT: attn.yield %[[M]] : !attn.mask
attn.pattern @predicate_fold() {
  %c2 = arith.constant 2 : i64
  %c3 = arith.constant 3 : i64
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %six = arith.muli %c2, %c3 : i64
    %d = arith.subi %p, %k : i64
    %lt = arith.cmpi slt, %d, %six : i64
    attn.yield %lt : i1
  }
  %f = attn.full
  %i = attn.intersect %f, %m
  attn.yield %i : !attn.mask
}

// -----

// A run-time parameter stays symbolic: nothing to fold.
// CHECK-LABEL: attn.pattern @runtime(
// CHECK-SAME: param %[[W:[a-z0-9_]+]]: i64)
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[H:.*]] = arith.divsi %[[W]], %[[C2]] : i64
// CHECK: %[[A:.*]] = attn.sliding(%[[H]])
// CHECK: %[[B:.*]] = attn.sliding(%[[W]])
// CHECK: attn.union %[[A]], %[[B]]
attn.pattern @runtime(param %w: i64) {
  %c2 = arith.constant 2 : i64
  %half = arith.divsi %w, %c2 : i64
  %a = attn.sliding(%half)
  %b = attn.sliding(%w)
  %u = attn.union %a, %b
  attn.yield %u : !attn.mask
}
