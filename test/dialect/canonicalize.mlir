// RUN: attn-opt %s -canonicalize -split-input-file | FileCheck %s
// Folding and canonicalization of the mask algebra (dialect/AttnFolders.cpp).

//===----------------------------------------------------------------------===//
// Identities with full and empty
//===----------------------------------------------------------------------===//

// CHECK-LABEL: attn.pattern @union_full(
// CHECK-NEXT: %[[F:.*]] = attn.full
// CHECK-NEXT: attn.yield %[[F]] : !attn.mask
attn.pattern @union_full() {
  %c = attn.causal
  %f = attn.full
  %u = attn.union %c, %f
  attn.yield %u : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @full_union(
// CHECK-NEXT: %[[F:.*]] = attn.full
// CHECK-NEXT: attn.yield %[[F]] : !attn.mask
attn.pattern @full_union() {
  %f = attn.full
  %c = attn.causal
  %u = attn.union %f, %c
  attn.yield %u : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @union_empty(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @union_empty() {
  %e = attn.empty
  %c = attn.causal
  %u = attn.union %e, %c
  %v = attn.union %u, %e
  attn.yield %v : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @intersect_full(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @intersect_full() {
  %f = attn.full
  %c = attn.causal
  %i = attn.intersect %f, %c
  %j = attn.intersect %i, %f
  attn.yield %j : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @intersect_empty(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @intersect_empty() {
  %c = attn.causal
  %e = attn.empty
  %i = attn.intersect %c, %e
  attn.yield %i : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @empty_intersect(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @empty_intersect() {
  %e = attn.empty
  %c = attn.causal
  %i = attn.intersect %e, %c
  attn.yield %i : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @complement_full(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @complement_full() {
  %f = attn.full
  %n = attn.complement %f
  attn.yield %n : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @complement_empty(
// CHECK-NEXT: %[[F:.*]] = attn.full
// CHECK-NEXT: attn.yield %[[F]] : !attn.mask
attn.pattern @complement_empty() {
  %e = attn.empty
  %n = attn.complement %e
  attn.yield %n : !attn.mask
}

//===----------------------------------------------------------------------===//
// Idempotence and double complement
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: attn.pattern @idempotent(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[S:.*]] = attn.sliding(%[[W]])
// CHECK-NEXT: attn.yield %[[S]] : !attn.mask
attn.pattern @idempotent(%w: i64) {
  %s = attn.sliding(%w)
  %u = attn.union %s, %s
  %i = attn.intersect %u, %u
  attn.yield %i : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @double_complement(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @double_complement() {
  %c = attn.causal
  %n = attn.complement %c
  %nn = attn.complement %n
  attn.yield %nn : !attn.mask
}

// -----

// Three complements leave one.
// CHECK-LABEL: attn.pattern @triple_complement(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: %[[N:.*]] = attn.complement %[[C]]
// CHECK-NEXT: attn.yield %[[N]] : !attn.mask
attn.pattern @triple_complement() {
  %c = attn.causal
  %n = attn.complement %c
  %nn = attn.complement %n
  %nnn = attn.complement %nn
  attn.yield %nnn : !attn.mask
}

//===----------------------------------------------------------------------===//
// Absorption
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: attn.pattern @sliding_and_causal(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[S:.*]] = attn.sliding(%[[W]])
// CHECK-NEXT: attn.yield %[[S]] : !attn.mask
attn.pattern @sliding_and_causal(%w: i64) {
  %c = attn.causal
  %s = attn.sliding(%w)
  %i = attn.intersect %c, %s
  attn.yield %i : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @sliding_or_causal(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @sliding_or_causal(%w: i64) {
  %s = attn.sliding(%w)
  %c = attn.causal
  %u = attn.union %s, %c
  attn.yield %u : !attn.mask
}

// -----

// x | (x & y) -> x
// CHECK-LABEL: attn.pattern @absorb_union(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[X:.*]] = attn.sink(%[[W]])
// CHECK-NEXT: attn.yield %[[X]] : !attn.mask
attn.pattern @absorb_union(%w: i64) {
  %x = attn.sink(%w)
  %y = attn.strided(%w)
  %i = attn.intersect %x, %y
  %u = attn.union %x, %i
  attn.yield %u : !attn.mask
}

// -----

// x & (x | y) -> x
// CHECK-LABEL: attn.pattern @absorb_intersect(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[X:.*]] = attn.strided(%[[W]])
// CHECK-NEXT: attn.yield %[[X]] : !attn.mask
attn.pattern @absorb_intersect(%w: i64) {
  %x = attn.strided(%w)
  %y = attn.sink(%w)
  %u = attn.union %y, %x
  %i = attn.intersect %u, %x
  attn.yield %i : !attn.mask
}

// -----

// The smaller of two constant windows is absorbed by the larger.
// CHECK-LABEL: attn.pattern @sliding_windows(
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-NEXT: %[[S:.*]] = attn.sliding(%[[C8]])
// CHECK-NEXT: attn.yield %[[S]] : !attn.mask
attn.pattern @sliding_windows() {
  %c4 = arith.constant 4 : i64
  %c8 = arith.constant 8 : i64
  %a = attn.sliding(%c4)
  %b = attn.sliding(%c8)
  %u = attn.union %a, %b
  attn.yield %u : !attn.mask
}

// -----

// sliding(5) is band(4, 0): inside band(4, 2).
// CHECK-LABEL: attn.pattern @sliding_in_band(
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK: %[[B:.*]] = attn.band(%[[C4]], %[[C2]])
// CHECK-NEXT: attn.yield %[[B]] : !attn.mask
attn.pattern @sliding_in_band() {
  %c5 = arith.constant 5 : i64
  %c4 = arith.constant 4 : i64
  %c2 = arith.constant 2 : i64
  %s = attn.sliding(%c5)
  %b = attn.band(%c4, %c2)
  %u = attn.union %s, %b
  attn.yield %u : !attn.mask
}

// -----

// band(l, 0) lies in causal.
// CHECK-LABEL: attn.pattern @band_left_only(
// CHECK: %[[B:.*]] = attn.band
// CHECK-NEXT: attn.yield %[[B]] : !attn.mask
attn.pattern @band_left_only(%l: i64) {
  %c0 = arith.constant 0 : i64
  %b = attn.band(%l, %c0)
  %c = attn.causal
  %i = attn.intersect %b, %c
  attn.yield %i : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @sinks_and_globals(
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[S:.*]] = attn.sink(%[[C5]])
// CHECK-DAG: %[[G:.*]] = attn.global [1, 3, 7]
// CHECK: %[[U:.*]] = attn.union %[[S]], %[[G]]
// CHECK-NEXT: attn.yield %[[U]] : !attn.mask
// CHECK-NOT: attn.global [3, 7]
attn.pattern @sinks_and_globals() {
  %c2 = arith.constant 2 : i64
  %c5 = arith.constant 5 : i64
  %s2 = attn.sink(%c2)
  %s5 = attn.sink(%c5)
  %s = attn.union %s2, %s5
  %g1 = attn.global [3, 7]
  %g2 = attn.global [1, 3, 7]
  %g = attn.union %g1, %g2
  %u = attn.union %s, %g
  attn.yield %u : !attn.mask
}

// -----

// A window of at most 3 blocks only has distances 0, 1, 2: all in power2.
// CHECK-LABEL: attn.pattern @block_sliding_in_power2(
// CHECK-SAME: %[[B:[a-z0-9_]+]]: i64)
// CHECK-NEXT: %[[P:.*]] = attn.power2(%[[B]])
// CHECK-NEXT: attn.yield %[[P]] : !attn.mask
attn.pattern @block_sliding_in_power2(%b: i64) {
  %c3 = arith.constant 3 : i64
  %bs = attn.block_sliding(%b, %c3)
  %p = attn.power2(%b)
  %u = attn.union %bs, %p
  attn.yield %u : !attn.mask
}

//===----------------------------------------------------------------------===//
// x & !x, x | !x
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: attn.pattern @and_not_self(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @and_not_self(%w: i64) {
  %x = attn.sliding(%w)
  %n = attn.complement %x
  %i = attn.intersect %x, %n
  attn.yield %i : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @or_not_self(
// CHECK-NEXT: %[[F:.*]] = attn.full
// CHECK-NEXT: attn.yield %[[F]] : !attn.mask
attn.pattern @or_not_self() {
  %x = attn.causal
  %n = attn.complement %x
  %u = attn.union %n, %x
  attn.yield %u : !attn.mask
}

//===----------------------------------------------------------------------===//
// Difference
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: attn.pattern @difference_empty(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @difference_empty() {
  %c = attn.causal
  %e = attn.empty
  %d = attn.difference %c, %e
  attn.yield %d : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @empty_difference(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @empty_difference() {
  %e = attn.empty
  %c = attn.causal
  %d = attn.difference %e, %c
  attn.yield %d : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @difference_full(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @difference_full() {
  %c = attn.causal
  %f = attn.full
  %d = attn.difference %c, %f
  attn.yield %d : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @full_difference(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: %[[N:.*]] = attn.complement %[[C]]
// CHECK-NEXT: attn.yield %[[N]] : !attn.mask
// CHECK-NOT: attn.difference
attn.pattern @full_difference() {
  %f = attn.full
  %c = attn.causal
  %d = attn.difference %f, %c
  attn.yield %d : !attn.mask
}

// -----

// CHECK-LABEL: attn.pattern @difference_self(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @difference_self(%w: i64) {
  %s = attn.sliding(%w)
  %d = attn.difference %s, %s
  attn.yield %d : !attn.mask
}

// -----

// sliding(w) - causal() is empty: every sliding pair is causal.
// CHECK-LABEL: attn.pattern @difference_subset(
// CHECK-NEXT: %[[E:.*]] = attn.empty
// CHECK-NEXT: attn.yield %[[E]] : !attn.mask
attn.pattern @difference_subset(%w: i64) {
  %s = attn.sliding(%w)
  %c = attn.causal
  %d = attn.difference %s, %c
  attn.yield %d : !attn.mask
}

// -----

// causal() - sliding(w) keeps the keys older than the window.
// CHECK-LABEL: attn.pattern @difference_kept(
// CHECK-SAME: %[[W:[a-z0-9_]+]]: i64)
// CHECK-DAG: %[[C:.*]] = attn.causal
// CHECK-DAG: %[[S:.*]] = attn.sliding(%[[W]])
// CHECK: %[[D:.*]] = attn.difference %[[C]], %[[S]]
// CHECK-NEXT: attn.yield %[[D]] : !attn.mask
attn.pattern @difference_kept(%w: i64) {
  %c = attn.causal
  %s = attn.sliding(%w)
  %d = attn.difference %c, %s
  attn.yield %d : !attn.mask
}

//===----------------------------------------------------------------------===//
// select_heads
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: attn.pattern @merge_heads(
// CHECK-DAG: %[[S:.*]] = attn.sliding
// CHECK-DAG: %[[C:.*]] = attn.causal
// CHECK: %[[M:.*]] = attn.select_heads %[[S]], %[[C]], %[[S]] bounds [0, 5, 6, 8]
// CHECK-NEXT: attn.yield %[[M]] : !attn.mask
attn.pattern @merge_heads() heads 8 {
  %c4 = arith.constant 4 : i64
  %s = attn.sliding(%c4)
  %c = attn.causal
  %m = attn.select_heads %s, %s, %s, %c, %s, %s bounds [0, 1, 2, 5, 6, 7, 8]
  attn.yield %m : !attn.mask
}

// -----

// One range left: the mask itself.
// CHECK-LABEL: attn.pattern @merge_all_heads(
// CHECK-NEXT: %[[C:.*]] = attn.causal
// CHECK-NEXT: attn.yield %[[C]] : !attn.mask
attn.pattern @merge_all_heads() heads 4 {
  %c = attn.causal
  %m = attn.select_heads %c, %c, %c bounds [0, 1, 3, 4]
  attn.yield %m : !attn.mask
}

// -----

// Different masks in every range: nothing to merge.
// CHECK-LABEL: attn.pattern @no_merge(
// CHECK: attn.select_heads %{{.*}}, %{{.*}}, %{{.*}} bounds [0, 2, 4, 8]
attn.pattern @no_merge() heads 8 {
  %c = attn.causal
  %f = attn.full
  %m = attn.select_heads %c, %f, %c bounds [0, 2, 4, 8]
  attn.yield %m : !attn.mask
}

//===----------------------------------------------------------------------===//
// Must not fire
//===----------------------------------------------------------------------===//

// -----

// block_sliding reaches keys after p inside the diagonal block: not causal.
// CHECK-LABEL: attn.pattern @block_sliding_and_causal(
// CHECK-DAG: %[[C:.*]] = attn.causal
// CHECK-DAG: %[[BS:.*]] = attn.block_sliding
// CHECK: %[[I:.*]] = attn.intersect %[[C]], %[[BS]]
// CHECK-NEXT: attn.yield %[[I]] : !attn.mask
attn.pattern @block_sliding_and_causal(%b: i64, %w: i64) {
  %c = attn.causal
  %bs = attn.block_sliding(%b, %w)
  %i = attn.intersect %c, %bs
  attn.yield %i : !attn.mask
}

// -----

// power2 includes the whole diagonal block: not absorbed by causal.
// CHECK-LABEL: attn.pattern @power2_and_causal(
// CHECK-DAG: %[[C:.*]] = attn.causal
// CHECK-DAG: %[[P:.*]] = attn.power2
// CHECK: %[[U:.*]] = attn.union %[[P]], %[[C]]
// CHECK-NEXT: attn.yield %[[U]] : !attn.mask
attn.pattern @power2_and_causal(%b: i64) {
  %p = attn.power2(%b)
  %c = attn.causal
  %u = attn.union %p, %c
  attn.yield %u : !attn.mask
}

// -----

// A 4-block window has distance 3, which power2 lacks.
// CHECK-LABEL: attn.pattern @block_sliding_4_not_in_power2(
// CHECK: %[[BS:.*]] = attn.block_sliding
// CHECK: %[[P:.*]] = attn.power2
// CHECK: %[[U:.*]] = attn.union %[[BS]], %[[P]]
// CHECK-NEXT: attn.yield %[[U]] : !attn.mask
attn.pattern @block_sliding_4_not_in_power2(%b: i64) {
  %c4 = arith.constant 4 : i64
  %bs = attn.block_sliding(%b, %c4)
  %p = attn.power2(%b)
  %u = attn.union %bs, %p
  attn.yield %u : !attn.mask
}

// -----

// Different block sizes: no subset fact.
// CHECK-LABEL: attn.pattern @block_sliding_other_block(
// CHECK: attn.union
attn.pattern @block_sliding_other_block(%b: i64, %b2: i64) {
  %c2 = arith.constant 2 : i64
  %bs = attn.block_sliding(%b, %c2)
  %p = attn.power2(%b2)
  %u = attn.union %bs, %p
  attn.yield %u : !attn.mask
}

// -----

// A run-time window is not known to be the smaller.
// CHECK-LABEL: attn.pattern @sliding_runtime_windows(
// CHECK: %[[A:.*]] = attn.sliding
// CHECK: %[[B:.*]] = attn.sliding
// CHECK: %[[U:.*]] = attn.union %[[A]], %[[B]]
// CHECK-NEXT: attn.yield %[[U]] : !attn.mask
attn.pattern @sliding_runtime_windows(param %w: i64) {
  %c8 = arith.constant 8 : i64
  %a = attn.sliding(%c8)
  %b = attn.sliding(%w)
  %u = attn.union %a, %b
  attn.yield %u : !attn.mask
}

// -----

// band(l, r) with r > 0 looks ahead: not causal.
// CHECK-LABEL: attn.pattern @band_lookahead_and_causal(
// CHECK: %[[I:.*]] = attn.intersect
// CHECK-NEXT: attn.yield %[[I]] : !attn.mask
attn.pattern @band_lookahead_and_causal(%l: i64) {
  %c1 = arith.constant 1 : i64
  %b = attn.band(%l, %c1)
  %c = attn.causal
  %i = attn.intersect %b, %c
  attn.yield %i : !attn.mask
}

// -----

// sliding(6) reaches p - 5, band(4, 2) only p - 4.
// CHECK-LABEL: attn.pattern @sliding_wider_than_band(
// CHECK: %[[U:.*]] = attn.union
// CHECK-NEXT: attn.yield %[[U]] : !attn.mask
attn.pattern @sliding_wider_than_band() {
  %c6 = arith.constant 6 : i64
  %c4 = arith.constant 4 : i64
  %c2 = arith.constant 2 : i64
  %s = attn.sliding(%c6)
  %b = attn.band(%c4, %c2)
  %u = attn.union %s, %b
  attn.yield %u : !attn.mask
}

// -----

// x & !y with y != x stays.
// CHECK-LABEL: attn.pattern @and_not_other(
// CHECK: %[[N:.*]] = attn.complement
// CHECK: %[[I:.*]] = attn.intersect %{{.*}}, %[[N]]
// CHECK-NEXT: attn.yield %[[I]] : !attn.mask
attn.pattern @and_not_other(%w: i64) {
  %x = attn.sliding(%w)
  %y = attn.sink(%w)
  %n = attn.complement %y
  %i = attn.intersect %x, %n
  attn.yield %i : !attn.mask
}
