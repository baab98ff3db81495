// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// Round trip of every attn op, in custom and in generic form.

// The parameter metadata as attributes: a unit default means "no default".
// GENERIC: "attn.pattern"() <{heads = 8 : i64, layout = array<i64: 56, 56>, param_defaults = [128, unit, 2.500000e-01, true, false, unit], param_names = ["w", "x", "f", "b", "r", "n"], param_runtime = array<i1: false, true, false, false, true, false>, sym_name = "params"}>
// GENERIC: "attn.pattern"() <{param_defaults = [], param_names = [], param_runtime = array<i1>, sym_name = "noparams", sym_visibility = "private"}>

// CHECK-LABEL: attn.pattern @params(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64 = 128, param %[[X:[a-z0-9_]+]]: i64, %[[F:[a-z0-9_]+]]: f64 = 2.500000e-01, %[[B:[a-z0-9_]+]]: i1 = true, param %[[R:[a-z0-9_]+]]: i1 = false, %[[N:[a-z0-9_]+]]: i64)
// CHECK-SAME: heads 8 layout grid(56, 56) {
// CHECK: %[[S:.*]] = attn.sliding(%[[W]])
// CHECK-NEXT: attn.yield %[[S]] : !attn.mask
attn.pattern @params(%w: i64 = 128, param %x: i64, %f: f64 = 0.25,
                     %b: i1 = true, param %r: i1 = false, %n: i64)
    heads 8 layout grid(56, 56) {
  %m = attn.sliding(%w)
  attn.yield %m : !attn.mask
}

// CHECK-LABEL: attn.pattern private @noparams() {
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern private @noparams() {
  %e = attn.empty
  attn.yield %e : !attn.mask
}

// CHECK-LABEL: attn.pattern @primitives(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: i64, %[[C:[a-z0-9_]+]]: i64)
// CHECK: attn.full
// CHECK: attn.causal
// CHECK: attn.sliding(%[[A]])
// CHECK: attn.band(%[[A]], %[[C]])
// CHECK: attn.sink(%[[C]])
// CHECK: attn.global [0, 5, 9]
// CHECK: attn.block_sliding(%[[A]], %[[C]])
// CHECK: attn.power2(%[[A]])
// CHECK: attn.stripe(%[[A]], %[[C]], %[[A]])
// CHECK: attn.strided(%[[C]])
// CHECK: attn.bigbird(%[[A]], %[[C]], %[[C]], %[[C]], %[[A]])
attn.pattern @primitives(%a: i64, %c: i64) {
  %0 = attn.full
  %1 = attn.causal
  %2 = attn.sliding(%a)
  %3 = attn.band(%a, %c)
  %4 = attn.sink(%c)
  %5 = attn.global [0, 5, 9]
  %6 = attn.block_sliding(%a, %c)
  %7 = attn.power2(%a)
  %8 = attn.stripe(%a, %c, %a)
  %9 = attn.strided(%c)
  %10 = attn.bigbird(%a, %c, %c, %c, %a)
  %u1 = attn.union %0, %1
  %u2 = attn.union %u1, %2
  %u3 = attn.union %u2, %3
  %u4 = attn.union %u3, %4
  %u5 = attn.union %u4, %5
  %u6 = attn.union %u5, %6
  %u7 = attn.union %u6, %7
  %u8 = attn.union %u7, %8
  %u9 = attn.union %u8, %9
  %u10 = attn.union %u9, %10
  attn.yield %u10 : !attn.mask
}

// CHECK-LABEL: attn.pattern @algebra()
// CHECK: %[[C1:.*]] = attn.causal
// CHECK: %[[F1:.*]] = attn.full
// CHECK: %[[U:.*]] = attn.union %[[C1]], %[[F1]]
// CHECK: %[[I:.*]] = attn.intersect %[[U]], %[[C1]]
// CHECK: %[[NOT:.*]] = attn.complement %[[I]]
// CHECK: %[[D:.*]] = attn.difference %[[NOT]], %[[F1]]
// CHECK: attn.yield %[[D]] : !attn.mask
attn.pattern @algebra() {
  %c = attn.causal
  %f = attn.full
  %u = attn.union %c, %f
  %i = attn.intersect %u, %c
  %n = attn.complement %i
  %d = attn.difference %n, %f
  attn.yield %d : !attn.mask
}

// CHECK-LABEL: attn.pattern @caller(
// CHECK-SAME: %[[CW:[a-z0-9_]+]]: i64 = 64)
// CHECK: %[[CALL1:.*]] = attn.call @primitives(%[[CW]], %[[CW]]) : i64, i64
// CHECK: %[[CALL2:.*]] = attn.call @noparams(){{$}}
// CHECK: attn.union %[[CALL1]], %[[CALL2]]
attn.pattern @caller(%w: i64 = 64) {
  %0 = attn.call @primitives(%w, %w) : i64, i64
  %1 = attn.call @noparams()
  %2 = attn.union %0, %1
  attn.yield %2 : !attn.mask
}

// CHECK-LABEL: attn.pattern @seq_predicate(
// CHECK-SAME: %[[PS:[a-z0-9_]+]]: i64)
// CHECK: attn.predicate {
// CHECK-NEXT: ^bb0(%[[Q:q]]: i64, %[[K:k]]: i64, %[[H:h]]: i64, %[[BB:b]]: i64, %[[P:p]]: i64):
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[P]], %[[K]] : i64
// CHECK-NEXT: %[[CMP:.*]] = arith.cmpi slt, %[[D]], %[[PS]] : i64
// CHECK-NEXT: attn.yield %[[CMP]] : i1
// CHECK-NEXT: }
attn.pattern @seq_predicate(%s: i64) {
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %d = arith.subi %p, %k : i64
    %c = arith.cmpi slt, %d, %s : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}

// CHECK-LABEL: attn.pattern @grid_ops() layout grid(4, 6)
// CHECK: attn.predicate grid [4, 6] {
// CHECK-NEXT: ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %[[QY:qy]]: i64, %qx: i64, %[[KY:ky]]: i64, %kx: i64):
// CHECK-NEXT: %[[EQ:.*]] = arith.cmpi eq, %[[QY]], %[[KY]] : i64
// CHECK-NEXT: attn.yield %[[EQ]] : i1
// CHECK: %[[C2:.*]] = arith.constant 2 : i64
// CHECK: attn.window2d(%[[C2]], %[[C2]], %[[C2]]) grid [4, 6]
// CHECK: attn.neighborhood(%[[C2]], %[[C2]]) grid [4, 6]
// CHECK: attn.axial grid [4, 6]
attn.pattern @grid_ops() layout grid(4, 6) {
  %pr = attn.predicate grid [4, 6] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %e = arith.cmpi eq, %qy, %ky : i64
    attn.yield %e : i1
  }
  %c2 = arith.constant 2 : i64
  %w = attn.window2d(%c2, %c2, %c2) grid [4, 6]
  %n = attn.neighborhood(%c2, %c2) grid [4, 6]
  %a = attn.axial grid [4, 6]
  %u0 = attn.union %pr, %w
  %u1 = attn.union %u0, %n
  %u2 = attn.union %u1, %a
  attn.yield %u2 : !attn.mask
}

// CHECK-LABEL: attn.pattern @heads() heads 6
// CHECK: %[[HS:.*]] = attn.sliding
// CHECK: %[[HC:.*]] = attn.causal
// CHECK: attn.select_heads %[[HS]], %[[HC]], %[[HS]] bounds [0, 2, 5, 6]
attn.pattern @heads() heads 6 {
  %c4 = arith.constant 4 : i64
  %s = attn.sliding(%c4)
  %c = attn.causal
  %m = attn.select_heads %s, %c, %s bounds [0, 2, 5, 6]
  attn.yield %m : !attn.mask
}

// CHECK-LABEL: attn.pattern @layouts() heads 2
// CHECK: attn.block_layout(%{{.*}}) table dense<{{\[}}[true, false], [true, true]]> : tensor<2x2xi1>
// CHECK: attn.block_layout(%{{.*}}) table dense<{{\[\[}}[true]], {{\[\[}}false]]]> : tensor<2x1x1xi1>
attn.pattern @layouts() heads 2 {
  %c16 = arith.constant 16 : i64
  %t = attn.block_layout(%c16) table dense<[[true, false], [true, true]]> : tensor<2x2xi1>
  %h = attn.block_layout(%c16) table dense<[[[true]], [[false]]]> : tensor<2x1x1xi1>
  %u = attn.union %t, %h
  attn.yield %u : !attn.mask
}

// CHECK-LABEL: func.func @attention(
// CHECK-SAME: %[[AQ:.*]]: tensor<2x8x16x64xf16>, %[[AK:.*]]: tensor<2x2x32x64xf16>, %[[AV:.*]]: tensor<2x2x32x32xf16>, %[[AQ2:.*]]: tensor<?x4x?x8xbf16>)
// CHECK: %[[AM:.*]] = attn.causal
// CHECK: attn.attention %[[AQ]], %[[AK]], %[[AV]] mask %[[AM]] : tensor<2x8x16x64xf16>, tensor<2x2x32x64xf16>, tensor<2x2x32x32xf16> -> tensor<2x8x16x32xf16>
// CHECK: attn.attention %[[AQ2]], %[[AQ2]], %[[AQ2]] mask %[[AM]] {scale = 1.250000e-01 : f64} : tensor<?x4x?x8xbf16>, tensor<?x4x?x8xbf16>, tensor<?x4x?x8xbf16> -> tensor<?x4x?x8xbf16>
func.func @attention(%q: tensor<2x8x16x64xf16>, %k: tensor<2x2x32x64xf16>,
                     %v: tensor<2x2x32x32xf16>, %q2: tensor<?x4x?x8xbf16>)
    -> (tensor<2x8x16x32xf16>, tensor<?x4x?x8xbf16>) {
  %m = attn.causal
  %o = attn.attention %q, %k, %v mask %m : tensor<2x8x16x64xf16>, tensor<2x2x32x64xf16>, tensor<2x2x32x32xf16> -> tensor<2x8x16x32xf16>
  %o2 = attn.attention %q2, %q2, %q2 mask %m {scale = 0.125 : f64} : tensor<?x4x?x8xbf16>, tensor<?x4x?x8xbf16>, tensor<?x4x?x8xbf16> -> tensor<?x4x?x8xbf16>
  return %o, %o2 : tensor<2x8x16x32xf16>, tensor<?x4x?x8xbf16>
}
