// RUN: attn-opt %s -split-input-file -verify-diagnostics --allow-unregistered-dialect
// Every verifier message of dialect/AttnOps.cpp, one case each. The ranges of
// primitive arguments are not the verifiers' (attn-check-ranges.mlir).

//===----------------------------------------------------------------------===//
// Grids
//===----------------------------------------------------------------------===//

attn.pattern @p() {
  // expected-error @+1 {{'attn.axial' op grid must be [height, width], got 3 values}}
  %m = attn.axial grid [2, 2, 2]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.axial' op grid dimensions must be positive, got [0, 4]}}
  %m = attn.axial grid [0, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  // expected-error @+1 {{'attn.window2d' op grid must be [height, width], got 1 values}}
  %m = attn.window2d(%c1, %c1, %c1) grid [4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  // expected-error @+1 {{'attn.neighborhood' op grid dimensions must be positive, got [4, -1]}}
  %m = attn.neighborhood(%c1, %c1) grid [4, -1]
  attn.yield %m : !attn.mask
}

// -----

// expected-error @+1 {{'attn.pattern' op grid dimensions must be positive, got [0, 4]}}
attn.pattern @p() layout grid(0, 4) {
  %m = attn.full
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// Global positions
//===----------------------------------------------------------------------===//

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.global' op positions must be non-negative, got -1}}
  %m = attn.global [-1, 3]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.global' op positions must be strictly increasing}}
  %m = attn.global [0, 4, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.global' op positions must be strictly increasing}}
  %m = attn.global [5, 2]
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// block_layout tables
//===----------------------------------------------------------------------===//

// -----

attn.pattern @p() {
  %c4 = arith.constant 4 : i64
  // expected-error @+1 {{'attn.block_layout' op table must have rank 2 [rows, cols] or 3 [heads, rows, cols], got rank 1}}
  %m = attn.block_layout(%c4) table dense<[true, false]> : tensor<2xi1>
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c4 = arith.constant 4 : i64
  // expected-error @+1 {{'attn.block_layout' op table must have rank 2 [rows, cols] or 3 [heads, rows, cols], got rank 4}}
  %m = attn.block_layout(%c4) table dense<true> : tensor<1x1x1x1xi1>
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c4 = arith.constant 4 : i64
  // expected-error @+1 {{'attn.block_layout' op table elements must be i1}}
  %m = attn.block_layout(%c4) table dense<[[1, 0], [0, 1]]> : tensor<2x2xi8>
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c4 = arith.constant 4 : i64
  // expected-error @+1 {{'attn.block_layout' op table dimensions must be positive}}
  %m = attn.block_layout(%c4) table dense<> : tensor<2x0xi1>
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// select_heads
//===----------------------------------------------------------------------===//

// -----

attn.pattern @p() heads 4 {
  %a = attn.causal
  %b = attn.full
  // expected-error @+1 {{'attn.select_heads' op expects 3 bounds for 2 masks, got 2}}
  %m = attn.select_heads %a, %b bounds [0, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.select_heads' op expects at least one mask}}
  %m = attn.select_heads bounds [0]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() heads 4 {
  %a = attn.causal
  %b = attn.full
  // expected-error @+1 {{'attn.select_heads' op head ranges must start at head 0, got 1}}
  %m = attn.select_heads %a, %b bounds [1, 2, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() heads 4 {
  %a = attn.causal
  %b = attn.full
  // expected-error @+1 {{'attn.select_heads' op head range 1 [2, 2) is empty or out of order}}
  %m = attn.select_heads %a, %b, %a bounds [0, 2, 2, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() heads 4 {
  %a = attn.causal
  %b = attn.full
  // expected-error @+1 {{'attn.select_heads' op head range 1 [3, 2) is empty or out of order}}
  %m = attn.select_heads %a, %b bounds [0, 3, 2]
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// predicate and yield
//===----------------------------------------------------------------------===//

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.predicate' op expects 5 index arguments (q, k, h, b, p), got 4}}
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64):
    %c = arith.cmpi sle, %k, %q : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(2, 2) {
  // expected-error @+1 {{'attn.predicate' op expects 9 index arguments (q, k, h, b, p, qy, qx, ky, kx), got 5}}
  %m = attn.predicate grid [2, 2] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %c = arith.cmpi sle, %k, %q : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.predicate' op index arguments must be i64}}
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i32, %h: i64, %b: i64, %p: i64):
    %t = arith.constant true
    attn.yield %t : i1
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.predicate' op grid dimensions must be positive, got [2, 0]}}
  %m = attn.predicate grid [2, 0] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %t = arith.constant true
    attn.yield %t : i1
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.predicate' op body must end with attn.yield of an i1}}
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    "test.terminator"() : () -> ()
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %f = attn.full
    // expected-error @+1 {{'attn.yield' op in a predicate must yield an i1}}
    attn.yield %f : !attn.mask
  }
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %t = arith.constant true
  // expected-error @+1 {{'attn.yield' op in a pattern must yield an !attn.mask}}
  attn.yield %t : i1
}

//===----------------------------------------------------------------------===//
// pattern: parameter metadata, defaults, duplicates, heads, body
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'attn.pattern' op has 2 parameter names but 1 defaults and 2 run-time flags}}
"attn.pattern"() <{param_names = ["a", "b"], param_defaults = [unit], param_runtime = array<i1: false, false>, sym_name = "p"}> ({
^bb0(%a: i64, %b: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op has 1 parameter names but 1 defaults and 0 run-time flags}}
"attn.pattern"() <{param_names = ["a"], param_defaults = [unit], param_runtime = array<i1>, sym_name = "p"}> ({
^bb0(%a: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op parameter 1 has no name}}
"attn.pattern"() <{param_names = ["a", ""], param_defaults = [unit, unit], param_runtime = array<i1: false, false>, sym_name = "p"}> ({
^bb0(%a: i64, %b: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op parameter 0 has no name}}
"attn.pattern"() <{param_names = [3], param_defaults = [unit], param_runtime = array<i1: false>, sym_name = "p"}> ({
^bb0(%a: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op duplicate parameter 'w'}}
"attn.pattern"() <{param_names = ["w", "x", "w"], param_defaults = [unit, unit, unit], param_runtime = array<i1: false, false, false>, sym_name = "p"}> ({
^bb0(%a: i64, %b: i64, %c: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op heads must be at least 1, got 0}}
attn.pattern @p() heads 0 {
  %m = attn.full
  attn.yield %m : !attn.mask
}

// -----

// expected-error @+1 {{'attn.pattern' op has 1 parameters but its body takes 2 arguments}}
"attn.pattern"() <{param_names = ["a"], param_defaults = [unit], param_runtime = array<i1: false>, sym_name = "p"}> ({
^bb0(%a: i64, %b: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op parameter 'x' must be i64, f64 or i1, got 'i32'}}
attn.pattern @p(%w: i64, %x: i32) {
  %m = attn.full
  attn.yield %m : !attn.mask
}

// -----

// expected-error @+1 {{'attn.pattern' op parameter 'f' must be i64, f64 or i1, got 'f32'}}
attn.pattern @p(%f: f32 = 1.0) {
  %m = attn.full
  attn.yield %m : !attn.mask
}

// -----

// expected-error @+1 {{'attn.pattern' op default of parameter 'w' has type 'f64', expected 'i64'}}
"attn.pattern"() <{param_names = ["w"], param_defaults = [1.0 : f64], param_runtime = array<i1: false>, sym_name = "p"}> ({
^bb0(%w: i64):
  %m = attn.full
  attn.yield %m : !attn.mask
}) : () -> ()

// -----

// expected-error @+1 {{'attn.pattern' op body must end with attn.yield}}
attn.pattern @p() {
  %m = attn.full
}

// -----

// expected-error @+1 {{expected true or false}}
attn.pattern @p(%b: i1 = 1) {
  %m = attn.full
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// call
//===----------------------------------------------------------------------===//

// -----

attn.pattern @p() {
  // expected-error @+1 {{'attn.call' op 'nope' does not name an attn.pattern}}
  %m = attn.call @nope()
  attn.yield %m : !attn.mask
}

// -----

func.func @f() {
  return
}
attn.pattern @p() {
  // expected-error @+1 {{'attn.call' op 'f' does not name an attn.pattern}}
  %m = attn.call @f()
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @callee(%w: i64, %b: i1) {
  %m = attn.sliding(%w)
  attn.yield %m : !attn.mask
}
attn.pattern @p(%w: i64) {
  // expected-error @+1 {{'attn.call' op passes 1 arguments to 'callee', which takes 2}}
  %m = attn.call @callee(%w) : i64
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @callee(%w: i64, %b: i1) {
  %m = attn.sliding(%w)
  attn.yield %m : !attn.mask
}
attn.pattern @p(%w: i64) {
  // expected-error @+1 {{'attn.call' op argument 1 of 'callee' has type 'i64', expected 'i1'}}
  %m = attn.call @callee(%w, %w) : i64, i64
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

// -----

func.func @f(%q: tensor<8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op q must be [batch, heads, seq, head_dim], got rank 3}}
  %o = attn.attention %q, %k, %k mask %m : tensor<8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op out must be [batch, heads, seq, head_dim], got rank 5}}
  %o = attn.attention %q, %q, %q mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf32>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op q, k, v and out must have the same element type}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xbf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op q, k, v and out must have the same element type}}
  %o = attn.attention %q, %q, %q mask %m : tensor<1x8x16x64xbf16>, tensor<1x8x16x64xbf16>, tensor<1x8x16x64xbf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<2x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op batch sizes of q, k, v and out differ}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x8x16x64xf16>, tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op batch sizes of q, k, v and out differ}}
  %o = attn.attention %q, %q, %q mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<3x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x32xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op head_dim of q (64) and k (32) differ}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x32xf16>, tensor<1x8x16x32xf16> -> tensor<1x8x16x32xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x4x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op k and v must have the same heads and length}}
  %o = attn.attention %q, %k, %v mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x4x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x17x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op k and v must have the same heads and length}}
  %o = attn.attention %q, %k, %v mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x17x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x6x16x64xf16>, %k: tensor<1x4x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op query heads (6) must be a multiple of key/value heads (4)}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x6x16x64xf16>, tensor<1x4x16x64xf16>, tensor<1x4x16x64xf16> -> tensor<1x6x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x6x16x64xf16>, %k: tensor<1x0x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op query heads (6) must be a multiple of key/value heads (0)}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x6x16x64xf16>, tensor<1x0x16x64xf16>, tensor<1x0x16x64xf16> -> tensor<1x6x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<1x2x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op out must be [batch, q heads, q length, v head_dim]}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x8x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16> -> tensor<1x2x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x32x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op out must be [batch, q heads, q length, v head_dim]}}
  %o = attn.attention %q, %k, %k mask %m : tensor<1x8x16x64xf16>, tensor<1x8x32x64xf16>, tensor<1x8x32x64xf16> -> tensor<1x8x32x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x32xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op out must be [batch, q heads, q length, v head_dim]}}
  %o = attn.attention %q, %q, %v mask %m : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x32xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op scale must be a positive finite number}}
  %o = attn.attention %q, %q, %q mask %m {scale = 0.0 : f64} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op scale must be a positive finite number}}
  %o = attn.attention %q, %q, %q mask %m {scale = -0.5 : f64} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op scale must be a positive finite number}}
  %o = attn.attention %q, %q, %q mask %m {scale = 0x7FF0000000000000 : f64} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @f(%q: tensor<1x8x16x64xf16>, %m: !attn.mask) {
  // expected-error @+1 {{'attn.attention' op scale must be a positive finite number}}
  %o = attn.attention %q, %q, %q mask %m {scale = 0x7FF8000000000000 : f64} : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}
