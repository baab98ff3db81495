// RUN: not attn-opt %s --attn-classify-tiles 2>&1 | FileCheck %s
// BUG (passes/ClassifyTiles.cpp, emitFunction): the generated name @a__mask
// is taken by another pattern; the pass erases that pattern (any op with the
// name) while it is still queued for classification, and crashes. Expected:
// a diagnostic naming the collision.

// CHECK: error: {{.*}}a__mask

attn.pattern @a() {
  %c = attn.full
  attn.yield %c : !attn.mask
}
attn.pattern @a__mask() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}
