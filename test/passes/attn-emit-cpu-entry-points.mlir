// RUN: attn-opt %s --attn-classify-tiles --attn-emit-cpu-entry-points | FileCheck %s
// RUN: not attn-opt %s --attn-emit-cpu-entry-points 2>&1 | FileCheck %s --check-prefix=NOCLASS

// The entry points have one C ABI whatever the parameters: a context array
// (b, h, nq, nk, tileQ, tileK, numQT, numKT, params...) and output pointers.

// Key-tile ranges are classified with one call when all EMPTY or all FULL,
// else halved recursively.
// CHECK-LABEL: func.func private @slide__cpu_classify_range(
// CHECK: %[[CLS:.*]] = call @slide__classify({{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64) -> i8
// CHECK: scf.if
// CHECK: call @slide__cpu_classify_range(
// CHECK: call @slide__cpu_classify_range(
// CHECK: } else {
// CHECK: llvm.store %[[CLS]], %{{.*}} : i8, !llvm.ptr
// CHECK-LABEL: func.func @slide__cpu_blockmap(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[OUT:.*]]: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// CHECK: %[[P:.*]] = llvm.getelementptr %[[CTX]][8] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: %[[W:.*]] = llvm.load %[[P]] : !llvm.ptr -> i64
// CHECK: scf.for
// CHECK: call @slide__cpu_classify_range({{.*}}, %[[W]])
// CHECK-LABEL: func.func @slide__cpu_tile_mask(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK: %[[BIT:.*]] = func.call @slide__mask({{.*}}) : (i64, i64, i64, i64, i64, i64, i64) -> i1
// CHECK: %[[BYTE:.*]] = arith.extui %[[BIT]] : i1 to i8
// CHECK: llvm.store %[[BYTE]]
attn.pattern @slide(param %w: i64) {
  %m = attn.sliding(%w)
  attn.yield %m : !attn.mask
}

// NOCLASS: error: pattern has no classifier (run attn-classify-tiles first)
