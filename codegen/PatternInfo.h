//===- PatternInfo.h - facts about a pattern shared by the backends -*- C++ -*-===//
//
// Small queries on an attn.pattern that the CPU runtime (Program.cpp) and the
// CUDA bundle compiler both need, kept in one place so they cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CODEGEN_PATTERNINFO_H
#define ATTN_CODEGEN_PATTERNINFO_H

#include "dialect/AttnOps.h"

namespace mlir::attn {

/// Whether the mask may differ between heads (then the block map is built per
/// head): select_heads, bigbird (random blocks per head), a per-head block
/// layout, or a predicate that reads the head index.
inline bool isHeadDependent(PatternOp p) {
  bool dependent = false;
  p.walk([&](Operation *op) {
    if (isa<SelectHeadsOp, BigBirdOp>(op))
      dependent = true;
    if (auto layout = dyn_cast<BlockLayoutOp>(op); layout && layout.isPerHead())
      dependent = true;
    if (auto pred = dyn_cast<PredicateOp>(op))
      if (!pred.getBody().front().getArgument(2).use_empty())
        dependent = true;
  });
  return dependent;
}

} // namespace mlir::attn

#endif // ATTN_CODEGEN_PATTERNINFO_H
