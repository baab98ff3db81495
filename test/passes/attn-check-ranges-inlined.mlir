// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-inline-patterns --attn-check-ranges
// A value passed to a pattern is reported at the caller's argument, naming
// the callee's parameter; the notes the inliner leaves for it are removed.

attn.pattern private @callee(%block: i64) {
  %m = attn.power2(%block)
  attn.yield %m : !attn.mask
}
attn.pattern @user() {
  // expected-error @+1 {{argument 'block' of 'callee' must be at least 1, got 0}}
  %c0 = arith.constant 0 : i64
  %m = attn.call @callee(%c0) : i64
  attn.yield %m : !attn.mask
}

// -----

// Through two calls: the outer call's argument.
attn.pattern private @inner(%w: i64) {
  %m = attn.sliding(%w)
  attn.yield %m : !attn.mask
}
attn.pattern private @outer(%x: i64) {
  %m = attn.call @inner(%x) : i64
  attn.yield %m : !attn.mask
}
attn.pattern @user() {
  // expected-error @+1 {{argument 'x' of 'outer' must be at least 1, got -2}}
  %c = arith.constant -2 : i64
  %m = attn.call @outer(%c) : i64
  attn.yield %m : !attn.mask
}

// -----

// A value computed inside the callee: the call is blamed, naming the
// primitive.
attn.pattern private @callee(%w: i64) {
  %one = arith.constant 1 : i64
  %x = arith.subi %w, %one : i64
  %m = attn.sliding(%x)
  attn.yield %m : !attn.mask
}
attn.pattern @user() {
  %c = arith.constant 1 : i64
  // expected-error @+1 {{argument 'w' of 'sliding' in the pattern called here must be at least 1, got 0}}
  %m = attn.call @callee(%c) : i64
  attn.yield %m : !attn.mask
}
