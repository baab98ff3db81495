// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-check-ranges
// Every message of attn-check-ranges: primitive arguments whose value is
// known, and index arithmetic that can leave [-2^62, 2^62].

//===----------------------------------------------------------------------===//
// Primitive arguments
//===----------------------------------------------------------------------===//

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  // expected-error @+1 {{argument 'w' of 'sliding' must be at least 1, got 0}}
  %m = attn.sliding(%c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %cm1 = arith.constant -1 : i64
  // expected-error @+1 {{argument 'left' of 'band' must be at least 0, got -1}}
  %m = attn.band(%cm1, %c1)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %cm3 = arith.constant -3 : i64
  // expected-error @+1 {{argument 'right' of 'band' must be at least 0, got -3}}
  %m = attn.band(%c1, %cm3)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %cm1 = arith.constant -1 : i64
  // expected-error @+1 {{argument 'n' of 'sink' must be at least 0, got -1}}
  %m = attn.sink(%cm1)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{argument 'block' of 'block_sliding' must be at least 1, got 0}}
  %m = attn.block_sliding(%c0, %c2)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{argument 'window' of 'block_sliding' must be at least 1, got 0}}
  %m = attn.block_sliding(%c2, %c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  // expected-error @+1 {{argument 'block' of 'power2' must be at least 1, got 0}}
  %m = attn.power2(%c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  // expected-error @+1 {{argument 's' of 'stripe' must be at least 1, got 0}}
  %m = attn.stripe(%c0, %c1, %c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  %c4 = arith.constant 4 : i64
  // expected-error @+1 {{argument 'width' of 'stripe' must be at least 1, got 0}}
  %m = attn.stripe(%c4, %c0, %c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  %c4 = arith.constant 4 : i64
  %c5 = arith.constant 5 : i64
  // expected-error @+1 {{argument 'width' of 'stripe' must be at most s = 4, got 5}}
  %m = attn.stripe(%c4, %c5, %c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %cm2 = arith.constant -2 : i64
  // expected-error @+1 {{argument 's' of 'strided' must be at least 1, got -2}}
  %m = attn.strided(%cm2)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  // expected-error @+1 {{argument 'block' of 'bigbird' must be at least 1, got 0}}
  %m = attn.bigbird(%c0, %c1, %c1, %c1, %c0)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %cm1 = arith.constant -1 : i64
  // expected-error @+1 {{argument 'window' of 'bigbird' must be at least 0, got -1}}
  %m = attn.bigbird(%c1, %cm1, %c1, %c1, %c1)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %cm1 = arith.constant -1 : i64
  // expected-error @+1 {{argument 'globals' of 'bigbird' must be at least 0, got -1}}
  %m = attn.bigbird(%c1, %c1, %cm1, %c1, %c1)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %cm1 = arith.constant -1 : i64
  // expected-error @+1 {{argument 'random' of 'bigbird' must be at least 0, got -1}}
  %m = attn.bigbird(%c1, %c1, %c1, %cm1, %c1)
  attn.yield %m : !attn.mask
}

// -----

// A negative seed is fine: it only seeds the generator.
attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %c0 = arith.constant 0 : i64
  %cm1 = arith.constant -1 : i64
  %bb = attn.bigbird(%c1, %c0, %c0, %c0, %cm1)
  %c0b = arith.constant 0 : i64
  // expected-error @+1 {{argument 'w' of 'sliding' must be at least 1, got 0}}
  %m = attn.sliding(%c0b)
  %u = attn.union %bb, %m
  attn.yield %u : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 4) {
  %c0 = arith.constant 0 : i64
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{argument 'wh' of 'window2d' must be at least 1, got 0}}
  %m = attn.window2d(%c0, %c2, %c0) grid [4, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 4) {
  %c0 = arith.constant 0 : i64
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{argument 'ww' of 'window2d' must be at least 1, got 0}}
  %m = attn.window2d(%c2, %c0, %c0) grid [4, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 4) {
  %c0 = arith.constant 0 : i64
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{argument 'kh' of 'neighborhood' must be at least 1, got 0}}
  %m = attn.neighborhood(%c0, %c2) grid [4, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 4) {
  %c0 = arith.constant 0 : i64
  %c2 = arith.constant 2 : i64
  // expected-error @+1 {{argument 'kw' of 'neighborhood' must be at least 1, got 0}}
  %m = attn.neighborhood(%c2, %c0) grid [4, 4]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 6) {
  %c3 = arith.constant 3 : i64
  %c5 = arith.constant 5 : i64
  // expected-error @+1 {{argument 'kh' of 'neighborhood' must be at most the grid height 4, got 5}}
  %m = attn.neighborhood(%c5, %c3) grid [4, 6]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() layout grid(4, 6) {
  %c3 = arith.constant 3 : i64
  %c7 = arith.constant 7 : i64
  // expected-error @+1 {{argument 'kw' of 'neighborhood' must be at most the grid width 6, got 7}}
  %m = attn.neighborhood(%c3, %c7) grid [4, 6]
  attn.yield %m : !attn.mask
}

// -----

// A run-time size is only checked when it is known.
attn.pattern @p(param %h: i64) layout grid(4, 6) {
  %c9 = arith.constant 9 : i64
  // expected-error @+1 {{argument 'kw' of 'neighborhood' must be at most the grid width 6, got 9}}
  %m = attn.neighborhood(%h, %c9) grid [4, 6]
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c0 = arith.constant 0 : i64
  // expected-error @+1 {{argument 'block' of 'block_layout' must be at least 1, got 0}}
  %m = attn.block_layout(%c0) table dense<true> : tensor<2x2xi1>
  attn.yield %m : !attn.mask
}


// -----

// Values beyond the index range, even where the formula would not mind.
attn.pattern @p() {
  %big = arith.constant 9223372036854775807 : i64
  // expected-error @+1 {{argument 'left' of 'band' must be at most 2^62 = 4611686018427387904, got 9223372036854775807}}
  %m = attn.band(%big, %big)
  attn.yield %m : !attn.mask
}

// -----

attn.pattern @p() {
  %c4 = arith.constant 4 : i64
  %c1 = arith.constant 1 : i64
  %min = arith.constant -9223372036854775808 : i64
  // expected-error @+1 {{argument 'offset' of 'stripe' must be at least -2^62 = -4611686018427387904, got -9223372036854775808}}
  %m = attn.stripe(%c4, %c1, %min)
  attn.yield %m : !attn.mask
}

// -----

// A seed is only hashed: any value.
attn.pattern @p() {
  %c1 = arith.constant 1 : i64
  %c0 = arith.constant 0 : i64
  %seed = arith.constant -9223372036854775808 : i64
  %m = attn.bigbird(%c1, %c0, %c0, %c1, %seed)
  attn.yield %m : !attn.mask
}

// -----

// Run-time parameters are assumed within +-2^40.
attn.pattern @p(param %w: i64) {
  %s = arith.constant 1099511627776 : i64
  // expected-error @+1 {{index expression 'w * 1099511627776' can reach 1208925819614629174706176, outside the index range [-2^62, 2^62] (for lengths up to 2^40 and run-time parameters within +-2^40)}}
  %x = arith.muli %w, %s : i64
  %m = attn.sliding(%x)
  attn.yield %m : !attn.mask
}

// -----

// A run-time argument out of the index range.
attn.pattern @p(param %w: i64) {
  %x = arith.constant 4611686018427387904 : i64
  %y = arith.addi %w, %w : i64
  %z = arith.maxsi %x, %y : i64
  %z2 = arith.maxsi %z, %x : i64
  %shift = arith.shli %w, %w : i64
  // expected-error @+1 {{argument 'w' of 'sliding' can reach 9223372036854775807, outside the index range [-2^62, 2^62]}}
  %m = attn.sliding(%shift)
  attn.yield %m : !attn.mask
}

// -----

//===----------------------------------------------------------------------===//
// Index expressions
//===----------------------------------------------------------------------===//

// q * k reaches (2^40 - 1)^2 at lengths of 2^40.
attn.pattern @p() {
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    // expected-error @+1 {{index expression 'q * k' can reach 1208925819612430151450625, outside the index range}}
    %x = arith.muli %q, %k : i64
    %c7 = arith.constant 7 : i64
    %r = arith.cmpi slt, %x, %c7 : i64
    attn.yield %r : i1
  }
  attn.yield %m : !attn.mask
}

// -----

// INT64_MIN / -1 (the CLI binds run-time parameters as constants).
attn.pattern @p() {
  %mn = arith.constant -9223372036854775808 : i64
  %d = arith.constant -1 : i64
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %zero = arith.constant 0 : i64
    %one = arith.constant 1 : i64
    %isz = arith.cmpi eq, %d, %zero : i64
    %safe = arith.select %isz, %one, %d : i64
    // expected-error @+1 {{index expression '-9223372036854775808 / -1' can reach 9223372036854775808, outside the index range}}
    %fd = arith.floordivsi %mn, %safe : i64
    %t = arith.muli %fd, %safe : i64
    %r = arith.subi %mn, %t : i64
    %rem = arith.select %isz, %zero, %r : i64
    %c = arith.cmpi eq, %rem, %k : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}

// -----

// Remainders and quotients by run-time divisors stay in range: no error.
attn.pattern @p(param %d: i64) {
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %zero = arith.constant 0 : i64
    %one = arith.constant 1 : i64
    %isz = arith.cmpi eq, %d, %zero : i64
    %safe = arith.select %isz, %one, %d : i64
    %fd = arith.floordivsi %q, %safe : i64
    %t = arith.muli %fd, %safe : i64
    %r = arith.subi %q, %t : i64
    %rem = arith.select %isz, %zero, %r : i64
    %quot = arith.select %isz, %zero, %fd : i64
    %two = arith.constant 2 : i64
    %q2 = arith.muli %quot, %two : i64
    %sum = arith.addi %rem, %q2 : i64
    %c = arith.cmpi eq, %sum, %k : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}

// -----

// A literal beyond the range is fine where nothing computes with it.
attn.pattern @p() {
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %big = arith.constant 9223372036854775807 : i64
    %c = arith.cmpi slt, %k, %big : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}

// -----

// Grid coordinates are bounded by the grid.
attn.pattern @p() layout grid(1048576, 1048576) {
  %m = attn.predicate grid [1048576, 1048576] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %x = arith.muli %qy, %kx : i64
    %y = arith.muli %x, %qx : i64
    // expected-error @+1 {{index expression '((qy * kx) * qx) * ky' can reach 1208921207935207812890625, outside the index range}}
    %z = arith.muli %y, %ky : i64
    %c = arith.cmpi slt, %z, %k : i64
    attn.yield %c : i1
  }
  attn.yield %m : !attn.mask
}
