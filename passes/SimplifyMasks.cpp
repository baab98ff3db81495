//===- SimplifyMasks.cpp - attn-simplify-masks -----------------------------===//
#include "passes/Passes.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSIMPLIFYMASKSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct SimplifyMasks
    : mlir::attn::impl::AttnSimplifyMasksPassBase<SimplifyMasks> {
  using AttnSimplifyMasksPassBase::AttnSimplifyMasksPassBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    SmallVector<Dialect *> dialects = {
        ctx->getLoadedDialect<AttnDialect>(),
        ctx->getLoadedDialect<arith::ArithDialect>()};
    for (Dialect *d : dialects)
      if (d)
        d->getCanonicalizationPatterns(set);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      if (isa<AttnDialect, arith::ArithDialect>(op.getDialect()))
        op.getCanonicalizationPatterns(set, ctx);
    patterns = std::make_shared<FrozenRewritePatternSet>(std::move(set));
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t before = 0, after = 0;
    module.walk([&](Operation *) { ++before; });
    for (PatternOp p : module.getOps<PatternOp>()) {
      if (failed(applyPatternsGreedily(p.getBody(), *patterns)))
        return signalPassFailure();
      IRRewriter rewriter(p.getContext());
      DominanceInfo dom(p);
      eliminateCommonSubExpressions(rewriter, dom, p);
      // CSE can expose new folds (a | a once both sides are one value).
      if (failed(applyPatternsGreedily(p.getBody(), *patterns)))
        return signalPassFailure();
    }
    module.walk([&](Operation *) { ++after; });
    numErased += before > after ? before - after : 0;
  }

  std::shared_ptr<FrozenRewritePatternSet> patterns;
};
} // namespace
