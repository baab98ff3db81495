// RUN: attn-opt %s --attn-classify-tiles | FileCheck %s
// BUG (passes/ClassifyTiles.cpp, emitFunction): the builder is placed after
// the pattern before an old @P__mask is erased; when that old function is
// the op right after the pattern, the insertion point dangles and the pass
// crashes (segfault in OpBuilder::create from func::FuncOp::create).

// CHECK-LABEL: attn.pattern @again()
// CHECK-SAME: attn.tile = array<i64: 64, 64>
// CHECK: func.func @again__classify({{.*}}) -> i8 {
// CHECK: func.func @again__mask({{.*}}) -> i1 {
// CHECK-NOT: func.func @again__mask(
attn.pattern @again() {
  %c = attn.full
  attn.yield %c : !attn.mask
}
func.func @again__mask() {
  return
}
