// RUN: attn-opt %s --attn-classify-tiles --split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --attn-classify-tiles="tile-q=128 tile-k=32" --split-input-file -verify-diagnostics | FileCheck %s --check-prefixes=TILE
// Non-positive tile sizes: attn-classify-tiles-bad-tile.mlir.

// The pattern records its tile and its two functions; the element predicate
// takes (b, h, q, k, nq, nk) and aligns p = q + (nk - nq).
// CHECK-LABEL: attn.pattern @causal()
// CHECK-SAME: attributes {attn.classify_fn = @causal__classify, attn.mask_fn = @causal__mask, attn.tile = array<i64: 64, 64>}
// CHECK-LABEL: func.func @causal__classify(
// CHECK-SAME: %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %[[Q0:[a-z0-9]+]]: i64, %[[Q1:[a-z0-9]+]]: i64, %[[K0:[a-z0-9]+]]: i64, %[[K1:[a-z0-9]+]]: i64, %[[NQ:[a-z0-9]+]]: i64, %[[NK:[a-z0-9]+]]: i64) -> i8 {
// CHECK-NEXT: %[[SHIFT:.*]] = arith.subi %[[NK]], %[[NQ]] : i64
// CHECK-NEXT: %[[P0:.*]] = arith.addi %[[Q0]], %[[SHIFT]] : i64
// CHECK-NEXT: %[[P1:.*]] = arith.addi %[[Q1]], %[[SHIFT]] : i64
// CHECK: %[[FULL:.*]] = arith.cmpi sle, %{{.*}}, %[[P0]] : i64
// CHECK: %[[EMPTY:.*]] = arith.cmpi sgt, %[[K0]], %{{.*}} : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i8
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i8
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i8
// CHECK: %[[E:.*]] = arith.select %[[EMPTY]], %[[C0]], %[[C1]] : i8
// CHECK-NEXT: %[[R:.*]] = arith.select %[[FULL]], %[[C2]], %[[E]] : i8
// CHECK-NEXT: return %[[R]] : i8
// CHECK-LABEL: func.func @causal__mask(
// CHECK-SAME: %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %[[Q:[a-z0-9]+]]: i64, %[[K:[a-z0-9]+]]: i64, %[[NQ:[a-z0-9]+]]: i64, %[[NK:[a-z0-9]+]]: i64) -> i1 {
// CHECK-NEXT: %[[SHIFT:.*]] = arith.subi %[[NK]], %[[NQ]] : i64
// CHECK-NEXT: %[[P:.*]] = arith.addi %[[Q]], %[[SHIFT]] : i64
// CHECK-NEXT: %[[LE:.*]] = arith.cmpi sle, %[[K]], %[[P]] : i64
// CHECK-NEXT: return %[[LE]] : i1

// TILE-LABEL: attn.pattern @causal()
// TILE-SAME: attn.tile = array<i64: 128, 32>
attn.pattern @causal() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}

// -----

// Run-time parameters follow the fixed arguments, in order, as i64; a bool
// is truncated to i1.
// CHECK-LABEL: attn.pattern @runtime(param %w: i64, param %flag: i1)
// CHECK-LABEL: func.func @runtime__classify(
// CHECK-SAME: %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %[[W:[a-z0-9]+]]: i64, %[[FLAG:[a-z0-9]+]]: i64) -> i8
// CHECK: arith.trunci %[[FLAG]] : i64 to i1
// CHECK-LABEL: func.func @runtime__mask(
// CHECK-SAME: %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %[[W:[a-z0-9]+]]: i64, %[[FLAG:[a-z0-9]+]]: i64) -> i1
// CHECK: %[[B:.*]] = arith.trunci %[[FLAG]] : i64 to i1
// CHECK: arith.subi %{{.*}}, %[[W]] : i64
// CHECK: arith.select %[[B]]
// CHECK: return %{{.*}} : i1

// TILE-LABEL: attn.pattern @runtime(
// TILE-SAME: attn.tile = array<i64: 128, 32>
attn.pattern @runtime(param %w: i64, param %flag: i1) {
  %s = attn.sliding(%w)
  %c = attn.causal
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %t = arith.constant true
    %r = arith.select %flag, %t, %t : i1
    attn.yield %r : i1
  }
  %u = attn.union %s, %c
  %i = attn.intersect %u, %m
  attn.yield %i : !attn.mask
}

// -----

// A block table becomes constant globals (cells for the predicate, prefix
// sums for the classifier), shared by both functions.
// CHECK: memref.global "private" constant @[[$CELLS:__attn_layout_[0-9A-F]+_1x2x2_cells]] : memref<1x2x2xi8> = dense<{{\[\[\[}}1, 0], [1, 1]]]>
// CHECK: memref.global "private" constant @[[$SUMS:__attn_layout_[0-9A-F]+_1x2x2_sums]] : memref<1x3x3xi32> = dense<{{\[\[\[}}0, 0, 0], [0, 1, 1], [0, 2, 3]]]>
// CHECK-LABEL: func.func @layout__classify(
// CHECK: memref.get_global @[[$SUMS]] : memref<1x3x3xi32>
// CHECK: return %{{.*}} : i8
// CHECK-LABEL: func.func @layout__mask(
// CHECK: %[[G:.*]] = memref.get_global @[[$CELLS]] : memref<1x2x2xi8>
// CHECK: memref.load %[[G]]
// CHECK: return %{{.*}} : i1
attn.pattern @layout() {
  %c2 = arith.constant 2 : i64
  %t = attn.block_layout(%c2) table dense<[[true, false], [true, true]]> : tensor<2x2xi1>
  attn.yield %t : !attn.mask
}

// -----

// A per-head table keeps its head dimension.
// CHECK: memref.global "private" constant @{{.*}}_2x1x2_cells : memref<2x1x2xi8> = dense<{{\[\[\[}}1, 0]], {{\[\[}}0, 1]]]>
// CHECK-LABEL: attn.pattern @per_head() heads 2
attn.pattern @per_head() heads 2 {
  %c8 = arith.constant 8 : i64
  %t = attn.block_layout(%c8) table dense<[[[true, false]], [[false, true]]]> : tensor<2x1x2xi1>
  attn.yield %t : !attn.mask
}

// -----

// BigBird draws its random blocks in loops.
// CHECK-LABEL: func.func @bigbird__classify(
// CHECK: scf.for
// CHECK: return %{{.*}} : i8
// CHECK-LABEL: func.func @bigbird__mask(
// CHECK: scf.for
// CHECK: return %{{.*}} : i1
attn.pattern @bigbird() {
  %c4 = arith.constant 4 : i64
  %c3 = arith.constant 3 : i64
  %c1 = arith.constant 1 : i64
  %c0 = arith.constant 0 : i64
  %m = attn.bigbird(%c4, %c3, %c1, %c3, %c0)
  attn.yield %m : !attn.mask
}

// -----

// Functions left by an earlier run are replaced, not duplicated, and the
// tile attribute is overwritten. (An old function right after its pattern
// crashes the pass: see attn-classify-tiles-existing.mlir.)
// CHECK-LABEL: attn.pattern @again()
// CHECK-SAME: attn.tile = array<i64: 64, 64>
// CHECK-NEXT: %[[F:.*]] = attn.full
// CHECK-NEXT: attn.yield %[[F]]
// CHECK-NEXT: }
// CHECK-NEXT: func.func @again__classify({{.*}}) -> i8 {
// CHECK-NOT: func.func @again__classify(
// CHECK: func.func @again__mask({{.*}}) -> i1 {
// CHECK-NOT: func.func @again__mask(
// CHECK: func.func @other()
// CHECK-NOT: @again__
attn.pattern @again() attributes {attn.tile = array<i64: 16, 16>} {
  %c = attn.full
  attn.yield %c : !attn.mask
}
func.func @other() {
  return
}
func.func @again__classify() {
  return
}
func.func @again__mask() {
  return
}

// -----

// expected-error @+1 {{parameter 'w' is not bound (run attn-bind-parameters first)}}
attn.pattern @unbound(%w: i64 = 4) {
  %s = attn.sliding(%w)
  attn.yield %s : !attn.mask
}

// -----

attn.pattern @callee() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}
attn.pattern @caller() {
  // expected-error @+1 {{pattern calls must be inlined before attn-classify-tiles}}
  %m = attn.call @callee()
  attn.yield %m : !attn.mask
}
