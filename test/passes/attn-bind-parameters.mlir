// RUN: attn-opt %s --attn-bind-parameters --split-input-file --allow-unregistered-dialect -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --attn-bind-parameters="values=w=32,flag=false" --split-input-file --allow-unregistered-dialect | FileCheck %s --check-prefixes=VALUES
// RUN: attn-opt %s --attn-bind-parameters="pattern=other" --split-input-file --allow-unregistered-dialect | FileCheck %s --check-prefixes=ONLY
// RUN: attn-opt %s --attn-bind-parameters="values=w=32,r=5" --split-input-file --allow-unregistered-dialect | FileCheck %s --check-prefixes=RUNTIME
// RUN: not attn-opt %s --attn-bind-parameters="values=zz=1" --split-input-file --allow-unregistered-dialect 2>&1 | FileCheck %s --check-prefixes=UNKNOWN
// RUN: not attn-opt %s --attn-bind-parameters="values=w=abc" --split-input-file --allow-unregistered-dialect 2>&1 | FileCheck %s --check-prefixes=BADINT
// RUN: not attn-opt %s --attn-bind-parameters="values=w=32,flag=maybe" --split-input-file --allow-unregistered-dialect 2>&1 | FileCheck %s --check-prefixes=BADBOOL
// RUN: not attn-opt %s --attn-bind-parameters="values=w=32,f=x1" --split-input-file --allow-unregistered-dialect 2>&1 | FileCheck %s --check-prefixes=BADFLOAT
// RUN: not attn-opt %s --attn-bind-parameters="values=noequals" --split-input-file --allow-unregistered-dialect 2>&1 | FileCheck %s --check-prefixes=MALFORMED

// Defaults become arith.constant; a run-time `param` stays a parameter.
// CHECK-LABEL: attn.pattern @bind(
// CHECK-SAME: param %[[R:[a-z0-9_]+]]: i64 = 3) {
// CHECK-DAG: %[[F:.*]] = arith.constant 2.500000e-01 : f64
// CHECK-DAG: %[[FLAG:.*]] = arith.constant true
// CHECK-DAG: %[[W:.*]] = arith.constant 128 : i64
// CHECK: %[[S:.*]] = attn.sliding(%[[W]])
// CHECK-NEXT: %[[K:.*]] = attn.sink(%[[R]])
// CHECK-NEXT: %[[U:.*]] = attn.union %[[S]], %[[K]]
// CHECK-NEXT: "test.use"(%[[F]], %[[FLAG]]) : (f64, i1) -> ()
// CHECK-NEXT: attn.yield %[[U]]

// VALUES-LABEL: attn.pattern @bind(
// VALUES-SAME: param %{{[a-z0-9_]+}}: i64 = 3) {
// VALUES-DAG: %[[FLAG:.*]] = arith.constant false
// VALUES-DAG: %[[W:.*]] = arith.constant 32 : i64
// VALUES: attn.sliding(%[[W]])

// A value for a run-time parameter binds it too.
// RUNTIME-LABEL: attn.pattern @bind() {
// RUNTIME-DAG: %[[R:.*]] = arith.constant 5 : i64
// RUNTIME-DAG: %[[W:.*]] = arith.constant 32 : i64
// RUNTIME: attn.sliding(%[[W]])
// RUNTIME-NEXT: attn.sink(%[[R]])

// Only @other is bound: @bind keeps its parameters.
// ONLY-LABEL: attn.pattern @bind(
// ONLY-SAME: %w: i64 = 128, param %r: i64 = 3, %f: f64 = 2.500000e-01, %flag: i1 = true)
// ONLY-NOT: arith.constant

// UNKNOWN: error: pattern 'bind' has no parameter 'zz' (parameters: w, r, f, flag)
// BADINT: error: value 'abc' for parameter 'w' is not {{an?}} int
// BADBOOL: error: value 'maybe' for parameter 'flag' is not a bool
// BADFLOAT: error: value 'x1' for parameter 'f' is not a float
// MALFORMED: error: malformed parameter value 'noequals', expected NAME=VALUE

attn.pattern @bind(%w: i64 = 128, param %r: i64 = 3, %f: f64 = 0.25, %flag: i1 = true) {
  %s = attn.sliding(%w)
  %k = attn.sink(%r)
  %u = attn.union %s, %k
  "test.use"(%f, %flag) : (f64, i1) -> ()
  attn.yield %u : !attn.mask
}

// -----

// Other patterns name the same parameters, so the values apply to each.
// CHECK-LABEL: attn.pattern @other(
// CHECK-SAME: param %{{[a-z0-9_]+}}: i64) {
// CHECK: arith.constant 7 : i64

// ONLY-LABEL: attn.pattern @other(
// ONLY-SAME: param %[[R:[a-z0-9_]+]]: i64) {
// ONLY-DAG: %[[W:.*]] = arith.constant 7 : i64
// ONLY-DAG: arith.constant 1.000000e+00 : f64
// ONLY-DAG: arith.constant false
// ONLY: attn.block_sliding(%[[W]], %[[R]])
attn.pattern @other(%w: i64 = 7, param %r: i64, %f: f64 = 1.0, %flag: i1 = false) {
  %m = attn.block_sliding(%w, %r)
  "test.use"(%f, %flag) : (f64, i1) -> ()
  attn.yield %m : !attn.mask
}

// -----

// A compile-time parameter with no default needs a value.
// VALUES-LABEL: attn.pattern @nodefault() {
// VALUES-DAG: %[[W:.*]] = arith.constant 32 : i64
// VALUES-DAG: %[[R:.*]] = arith.constant 1 : i64
// VALUES: attn.band(%[[W]], %[[R]])

// ONLY-LABEL: attn.pattern @nodefault(%w: i64, %r: i64 = 1, %flag: i1 = true)

// expected-error @+1 {{parameter 'w' of pattern 'nodefault' has no default and no value was given (set it with --set w=VALUE)}}
attn.pattern @nodefault(%w: i64, %r: i64 = 1, %flag: i1 = true) {
  %m = attn.band(%w, %r)
  "test.use"(%flag) : (i1) -> ()
  attn.yield %m : !attn.mask
}
