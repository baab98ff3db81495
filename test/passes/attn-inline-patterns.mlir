// RUN: attn-opt %s --attn-inline-patterns --split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --attn-inline-patterns=entry=outer --split-input-file -verify-diagnostics | FileCheck %s --check-prefixes=ENTRY --implicit-check-not='attn.pattern {{.*}}@{{[^o]}}'
// RUN: not attn-opt %s --attn-inline-patterns=entry=nope --split-input-file 2>&1 | FileCheck %s --check-prefixes=NOENTRY
// Every case has a public @outer, so entry=outer keeps the same diagnostics.

// NOENTRY: error: no pattern named 'nope' (patterns: outer, public_callee)

// A call is replaced by the callee's body, its arguments mapped to the
// parameters; the private callee is erased, the public one kept.

// CHECK-NOT: attn.call
// CHECK-NOT: @helper
// CHECK-LABEL: attn.pattern @outer(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64 = 16)
// CHECK-NEXT: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[S:.*]] = attn.sliding(%[[W]])
// CHECK-NEXT: %[[K:.*]] = attn.sink(%[[C2]])
// CHECK-NEXT: %[[U:.*]] = attn.union %[[S]], %[[K]]
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: %[[I:.*]] = attn.intersect %[[C]], %[[U]]
// CHECK-NEXT: attn.yield %[[I]] : !attn.mask
// CHECK-LABEL: attn.pattern @public_callee(
// CHECK-NEXT: attn.causal

// With entry, only @outer is left (the implicit check rejects every other
// pattern, @public_callee included).
// ENTRY-LABEL: attn.pattern @outer(
// ENTRY-NOT: attn.call
// ENTRY: attn.sliding


attn.pattern private @helper(%w: i64, %n: i64) {
  %s = attn.sliding(%w)
  %k = attn.sink(%n)
  %u = attn.union %s, %k
  attn.yield %u : !attn.mask
}
attn.pattern @outer(%w: i64 = 16) {
  %c2 = arith.constant 2 : i64
  %m = attn.call @helper(%w, %c2) : i64, i64
  %c = attn.call @public_callee()
  %i = attn.intersect %c, %m
  attn.yield %i : !attn.mask
}
attn.pattern @public_callee() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}

// -----

// Nested calls, callees defined after their callers: every level is inlined.
// CHECK-NOT: attn.call
// CHECK-LABEL: attn.pattern @outer(
// CHECK-SAME: %[[B:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[P:.*]] = attn.power2(%[[B]])
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: %[[I:.*]] = attn.intersect %[[C]], %[[P]]
// CHECK-NEXT: %[[P2:.*]] = attn.power2(%[[B]])
// CHECK-NEXT: %[[C2:.*]] = attn.causal
// CHECK-NEXT: %[[I2:.*]] = attn.intersect %[[C2]], %[[P2]]
// CHECK-NEXT: %[[U:.*]] = attn.union %[[I]], %[[I2]]
// CHECK-NEXT: attn.yield %[[U]] : !attn.mask
// CHECK-NOT: attn.pattern

// ENTRY-LABEL: attn.pattern @outer(
// ENTRY: attn.power2

attn.pattern @outer(%b: i64) {
  %m = attn.call @middle(%b) : i64
  %n = attn.call @middle(%b) : i64
  %u = attn.union %m, %n
  attn.yield %u : !attn.mask
}
attn.pattern private @middle(%x: i64) {
  %p = attn.call @leaf(%x) : i64
  %c = attn.causal
  %i = attn.intersect %c, %p
  attn.yield %i : !attn.mask
}
attn.pattern private @leaf(%y: i64) {
  %p = attn.power2(%y)
  attn.yield %p : !attn.mask
}


// -----

// Predicates that use the callee's parameters see the caller's values.
// CHECK-LABEL: attn.pattern @outer()
// CHECK-NEXT: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %{{.*}} = attn.predicate {
// CHECK-NEXT: ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
// CHECK-NEXT: %[[D:.*]] = arith.subi %p, %k : i64
// CHECK-NEXT: arith.cmpi slt, %[[D]], %[[C3]] : i64
attn.pattern @outer() {
  %c3 = arith.constant 3 : i64
  %m = attn.call @near(%c3) : i64
  attn.yield %m : !attn.mask
}
attn.pattern private @near(%s: i64) {
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %d = arith.subi %p, %k : i64
    %c = arith.cmpi slt, %d, %s : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}


// -----

// Recursion is reported at the call that closes the cycle.
attn.pattern @outer(%w: i64) {
  // expected-error @+1 {{recursive pattern call: outer -> outer}}
  %m = attn.call @outer(%w) : i64
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @outer() {
  %m = attn.call @even()
  attn.yield %m : !attn.mask
}
attn.pattern private @even() {
  %m = attn.call @odd()
  attn.yield %m : !attn.mask
}
attn.pattern private @odd() {
  %c = attn.causal
  // expected-error @+1 {{recursive pattern call: even -> odd -> even}}
  %m = attn.call @even()
  %u = attn.union %c, %m
  attn.yield %u : !attn.mask
}

// -----

// A pattern called twice is not a cycle.
// CHECK-LABEL: attn.pattern @outer()
// CHECK-NEXT: %[[A:.*]] = attn.causal
// CHECK-NEXT: %[[B:.*]] = attn.causal
// CHECK-NEXT: %[[U:.*]] = attn.union %[[A]], %[[B]]
// CHECK-NEXT: attn.yield %[[U]]
attn.pattern @outer() {
  %a = attn.call @leaf()
  %b = attn.call @leaf()
  %u = attn.union %a, %b
  attn.yield %u : !attn.mask
}
attn.pattern private @leaf() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}
