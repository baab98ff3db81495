// RUN: attn-opt %s --attn-classify-tiles | FileCheck %s
// An old @P__mask function right after the pattern is replaced by the newly
// generated one (the insertion point must not dangle when it is erased).

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
