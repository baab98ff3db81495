//===- PatternInfo.h - facts about a pattern shared by the backends -*- C++ -*-===//
//
// Small queries on an attn.pattern that the CPU runtime (Program.cpp) and the
// CUDA bundle compiler both need, kept in one place so they cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CODEGEN_PATTERNINFO_H
#define ATTN_CODEGEN_PATTERNINFO_H

#include "dialect/AttnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

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

/// Whether the mask may differ between batch entries (then the block map is
/// built per batch entry): a predicate that reads the batch index `b`, or,
/// once attn-classify-tiles has run, generated code that reads it (the
/// element predicate's or the classifier's first argument). Conservative: a
/// use that cannot change the result still counts.
inline bool isBatchDependent(PatternOp p) {
  bool dependent = false;
  p.walk([&](PredicateOp pred) {
    // The region's arguments are q, k, h, b, p, ...
    if (!pred.getBody().front().getArgument(3).use_empty())
      dependent = true;
  });
  auto module = p->getParentOfType<ModuleOp>();
  for (const char *attr : {"attn.mask_fn", "attn.classify_fn"}) {
    auto ref = p->getAttrOfType<FlatSymbolRefAttr>(attr);
    if (!ref || !module)
      continue;
    auto fn = module.lookupSymbol<func::FuncOp>(ref.getAttr());
    if (fn && !fn.isExternal() && fn.getNumArguments() > 0 &&
        !fn.getArgument(0).use_empty())
      dependent = true;
  }
  return dependent;
}

} // namespace mlir::attn

#endif // ATTN_CODEGEN_PATTERNINFO_H
