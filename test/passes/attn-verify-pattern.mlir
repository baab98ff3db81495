// RUN: attn-opt %s --attn-verify-pattern --split-input-file -verify-diagnostics | FileCheck %s

// Well-formed patterns pass through unchanged.
// CHECK-LABEL: attn.pattern @heads_ok(param %w: i64, param %flag: i1) heads 8
// CHECK: attn.select_heads %{{.*}}, %{{.*}} bounds [0, 3, 8]
// CHECK: attn.block_layout(%{{.*}}) table dense<{{.*}}> : tensor<8x1x1xi1>
attn.pattern @heads_ok(param %w: i64, param %flag: i1) heads 8 {
  %s = attn.sliding(%w)
  %c = attn.causal
  %m = attn.select_heads %s, %c bounds [0, 3, 8]
  %c4 = arith.constant 4 : i64
  %t = attn.block_layout(%c4) table dense<true> : tensor<8x1x1xi1>
  %u = attn.union %m, %t
  attn.yield %u : !attn.mask
}

// CHECK-LABEL: attn.pattern @grid_ok() layout grid(3, 5)
// CHECK: attn.axial grid [3, 5]
// CHECK: attn.predicate grid [3, 5]
attn.pattern @grid_ok() layout grid(3, 5) {
  %a = attn.axial grid [3, 5]
  %p = attn.predicate grid [3, 5] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %e = arith.cmpi eq, %qx, %kx : i64
    attn.yield %e : i1
  }
  %u = attn.union %a, %p
  attn.yield %u : !attn.mask
}

// A float parameter fixed at compile time is fine.
// CHECK-LABEL: attn.pattern @float_ok(%f: f64 = 5.000000e-01)
// A shared (rank-2) table fits any head count.
// CHECK: tensor<1x1xi1>
attn.pattern @float_ok(%f: f64 = 0.5) heads 4 {
  %c4 = arith.constant 4 : i64
  %t = attn.block_layout(%c4) table dense<true> : tensor<1x1xi1>
  attn.yield %t : !attn.mask
}

// -----

attn.pattern @p() heads 6 {
  %s = attn.causal
  %c = attn.full
  // expected-error @+1 {{per-head masks cover heads [0, 8) but the pattern has 6 heads}}
  %m = attn.select_heads %s, %c bounds [0, 4, 8]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() heads 8 {
  %s = attn.causal
  %c = attn.full
  // expected-error @+1 {{per-head masks cover heads [0, 4) but the pattern has 8 heads}}
  %m = attn.select_heads %s, %c bounds [0, 2, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %s = attn.causal
  %c = attn.full
  // expected-error @+1 {{per-head masks cover heads [0, 4) but the pattern declares no head count (add 'heads 4')}}
  %m = attn.select_heads %s, %c bounds [0, 2, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 4) {
  // expected-error @+1 {{'attn.axial' uses grid(4, 5) but pattern 'p' has layout grid(4, 4)}}
  %m = attn.axial grid [4, 5]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(8, 8) {
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{'attn.window2d' uses grid(8, 4) but pattern 'p' has layout grid(8, 8)}}
  %m = attn.window2d(%c2, %c2, %c2) grid [8, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(2, 3) {
  // expected-error @+1 {{'attn.predicate' uses grid(3, 2) but pattern 'p' has layout grid(2, 3)}}
  %m = attn.predicate grid [3, 2] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %t = arith.constant true
    attn.yield %t : i1
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @seq() {
  %c3 = arith.constant 3 : i64
  // expected-error @+1 {{'attn.neighborhood' needs a grid layout, but pattern 'seq' has layout seq}}
  %m = attn.neighborhood(%c3, %c3) grid [8, 8]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @seq() {
  // expected-error @+1 {{'attn.predicate' needs a grid layout, but pattern 'seq' has layout seq}}
  %m = attn.predicate grid [2, 2] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %t = arith.constant true
    attn.yield %t : i1
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() heads 4 {
  %c16 = arith.constant 16 : i64
  // expected-error @+1 {{per-head table has 2 heads but the pattern has 4}}
  %m = attn.block_layout(%c16) table dense<true> : tensor<2x3x3xi1>
  attn.yield %m : !attn.mask
}

// -----

// expected-error @+1 {{run-time parameter 'scale' must be int or bool, not float}}
attn.pattern @p(%w: i64 = 4, param %scale: f64) {
  %m = attn.sliding(%w)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @callee() {
  %m = attn.causal
  attn.yield %m : !attn.mask
}
attn.pattern @p() {
  // expected-error @+1 {{call to 'callee' was not inlined (run attn-inline-patterns first)}}
  %m = attn.call @callee()
  attn.yield %m : !attn.mask
}

// -----

// Every pattern is checked, not just the first.
attn.pattern @good() {
  %m = attn.causal
  attn.yield %m : !attn.mask
}
attn.pattern @bad1() heads 2 {
  %m = attn.causal
  // expected-error @+1 {{per-head masks cover heads [0, 3) but the pattern has 2 heads}}
  %s = attn.select_heads %m bounds [0, 3]
  attn.yield %s : !attn.mask
}
// expected-error @+1 {{run-time parameter 'f' must be int or bool, not float}}
attn.pattern @bad2(param %f: f64) {
  %m = attn.causal
  attn.yield %m : !attn.mask
}
