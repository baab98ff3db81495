// RUN: not attn-opt %s --attn-classify-tiles 2>&1 | FileCheck %s
// The generated name @a__mask is taken by another pattern: a diagnostic
// names the collision (the pattern is not erased, nothing crashes).

// CHECK: error: cannot emit '@a__mask': the name is taken by attn.pattern

attn.pattern @a() {
  %c = attn.full
  attn.yield %c : !attn.mask
}
attn.pattern @a__mask() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}
