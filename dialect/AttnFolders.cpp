//===- AttnFolders.cpp - folding and canonicalization of the mask algebra -===//
#include "dialect/AttnOps.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::attn;

static bool isFull(Value v) { return v.getDefiningOp<FullOp>() != nullptr; }
static bool isEmpty(Value v) { return v.getDefiningOp<EmptyOp>() != nullptr; }

/// a <= b for constants (or the same SSA value).
static bool leq(Value a, Value b) {
  if (a == b)
    return true;
  auto x = getConstantInt(a), y = getConstantInt(b);
  return x && y && *x <= *y;
}
static bool leqPlus(Value a, int64_t delta, Value b) {
  auto x = getConstantInt(a), y = getConstantInt(b);
  int64_t sum;
  // Constants may be anything here (attn-check-ranges has not run on every
  // input): an overflowing sum proves nothing.
  return x && y && !__builtin_add_overflow(*x, delta, &sum) && sum <= *y;
}

/// Primitive facts: is every pair of `a` also a pair of `b`?
static bool primitiveSubset(Operation *a, Operation *b) {
  if (auto s = dyn_cast<SlidingOp>(a)) {
    if (isa<CausalOp>(b))
      return true;
    if (auto t = dyn_cast<SlidingOp>(b))
      return leq(s.getWindow(), t.getWindow());
    if (auto t = dyn_cast<BandOp>(b))
      return leqPlus(s.getWindow(), -1, t.getLeft());
  }
  if (auto s = dyn_cast<BandOp>(a)) {
    if (isa<CausalOp>(b))
      return getConstantInt(s.getRight()) == 0;
    if (auto t = dyn_cast<BandOp>(b))
      return leq(s.getLeft(), t.getLeft()) && leq(s.getRight(), t.getRight());
  }
  if (auto s = dyn_cast<SinkOp>(a))
    if (auto t = dyn_cast<SinkOp>(b))
      return leq(s.getCount(), t.getCount());
  if (auto s = dyn_cast<BlockSlidingOp>(a)) {
    if (auto t = dyn_cast<BlockSlidingOp>(b))
      return s.getBlock() == t.getBlock() &&
             leq(s.getWindow(), t.getWindow());
    if (auto t = dyn_cast<Power2Op>(b)) {
      auto w = getConstantInt(s.getWindow());
      return s.getBlock() == t.getBlock() && w && *w <= 3;
    }
  }
  if (auto s = dyn_cast<GlobalOp>(a))
    if (auto t = dyn_cast<GlobalOp>(b))
      return llvm::all_of(s.getPositions(), [&](int64_t p) {
        return std::binary_search(t.getPositions().begin(),
                                  t.getPositions().end(), p); // sorted
      });
  return false;
}

/// A conservative, structural subset test (false when unsure).
static bool isSubset(Value a, Value b, int depth = 0) {
  if (a == b || isFull(b) || isEmpty(a))
    return true;
  if (depth > 6)
    return false;
  if (auto u = a.getDefiningOp<UnionOp>())
    return isSubset(u.getLhs(), b, depth + 1) &&
           isSubset(u.getRhs(), b, depth + 1);
  if (auto i = b.getDefiningOp<IntersectOp>())
    return isSubset(a, i.getLhs(), depth + 1) &&
           isSubset(a, i.getRhs(), depth + 1);
  if (auto i = a.getDefiningOp<IntersectOp>())
    if (isSubset(i.getLhs(), b, depth + 1) || isSubset(i.getRhs(), b, depth + 1))
      return true;
  if (auto u = b.getDefiningOp<UnionOp>())
    if (isSubset(a, u.getLhs(), depth + 1) || isSubset(a, u.getRhs(), depth + 1))
      return true;
  if (auto d = a.getDefiningOp<DifferenceOp>())
    return isSubset(d.getLhs(), b, depth + 1);
  Operation *opA = a.getDefiningOp(), *opB = b.getDefiningOp();
  return opA && opB && primitiveSubset(opA, opB);
}

static bool isComplementOf(Value a, Value b) {
  auto c = a.getDefiningOp<ComplementOp>();
  return c && c.getInput() == b;
}

template <typename OpT>
static Value makeMask(PatternRewriter &rewriter, Operation *op) {
  return OpT::create(rewriter, op->getLoc());
}

//===----------------------------------------------------------------------===//
// Folders
//===----------------------------------------------------------------------===//

OpFoldResult UnionOp::fold(FoldAdaptor) {
  if (getLhs() == getRhs() || isFull(getLhs()) || isEmpty(getRhs()))
    return getLhs();
  if (isFull(getRhs()) || isEmpty(getLhs()))
    return getRhs();
  return {};
}

OpFoldResult IntersectOp::fold(FoldAdaptor) {
  if (getLhs() == getRhs() || isEmpty(getLhs()) || isFull(getRhs()))
    return getLhs();
  if (isEmpty(getRhs()) || isFull(getLhs()))
    return getRhs();
  return {};
}

OpFoldResult ComplementOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<ComplementOp>())
    return inner.getInput();
  return {};
}

OpFoldResult DifferenceOp::fold(FoldAdaptor) {
  if (isEmpty(getRhs()) || isEmpty(getLhs()))
    return getLhs();
  return {};
}

//===----------------------------------------------------------------------===//
// Canonicalization patterns
//===----------------------------------------------------------------------===//

namespace {
/// Absorption for a binary set operation: when one operand is a subset of
/// the other, union keeps the larger (`KeepSuperset`), intersection the
/// smaller; x op !x is the constant `Whole` (full for union, empty for
/// intersection).
template <typename OpT, typename Whole, bool KeepSuperset>
struct Subsumption : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    Value a = op.getLhs(), b = op.getRhs();
    if (isComplementOf(a, b) || isComplementOf(b, a)) {
      rewriter.replaceOp(op, makeMask<Whole>(rewriter, op));
      return success();
    }
    if (isSubset(a, b)) {
      rewriter.replaceOp(op, KeepSuperset ? b : a);
      return success();
    }
    if (isSubset(b, a)) {
      rewriter.replaceOp(op, KeepSuperset ? a : b);
      return success();
    }
    return failure();
  }
};
using UnionSubsumption = Subsumption<UnionOp, FullOp, /*KeepSuperset=*/true>;
using IntersectSubsumption =
    Subsumption<IntersectOp, EmptyOp, /*KeepSuperset=*/false>;

/// !full -> empty, !empty -> full.
struct ComplementConstant : OpRewritePattern<ComplementOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ComplementOp op,
                                PatternRewriter &rewriter) const override {
    if (isFull(op.getInput())) {
      rewriter.replaceOp(op, makeMask<EmptyOp>(rewriter, op));
      return success();
    }
    if (isEmpty(op.getInput())) {
      rewriter.replaceOp(op, makeMask<FullOp>(rewriter, op));
      return success();
    }
    return failure();
  }
};

/// a - b -> empty when a is a subset of b; a - full -> empty;
/// full - b -> !b.
struct DifferenceSimplify : OpRewritePattern<DifferenceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DifferenceOp op,
                                PatternRewriter &rewriter) const override {
    if (isSubset(op.getLhs(), op.getRhs())) {
      rewriter.replaceOp(op, makeMask<EmptyOp>(rewriter, op));
      return success();
    }
    if (isFull(op.getLhs())) {
      rewriter.replaceOpWithNewOp<ComplementOp>(op, op.getRhs());
      return success();
    }
    return failure();
  }
};

/// Merges adjacent head ranges with the same mask; one range -> its mask.
struct SelectHeadsMerge : OpRewritePattern<SelectHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectHeadsOp op,
                                PatternRewriter &rewriter) const override {
    auto masks = op.getMasks();
    ArrayRef<int64_t> bounds = op.getBounds();
    SmallVector<Value> newMasks;
    SmallVector<int64_t> newBounds = {bounds.front()};
    for (auto [i, m] : llvm::enumerate(masks)) {
      if (!newMasks.empty() && newMasks.back() == m) {
        newBounds.back() = bounds[i + 1];
        continue;
      }
      newMasks.push_back(m);
      newBounds.push_back(bounds[i + 1]);
    }
    if (newMasks.size() == masks.size())
      return failure();
    if (newMasks.size() == 1) {
      rewriter.replaceOp(op, newMasks.front());
      return success();
    }
    rewriter.replaceOpWithNewOp<SelectHeadsOp>(
        op, newMasks, rewriter.getDenseI64ArrayAttr(newBounds));
    return success();
  }
};
} // namespace

void UnionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<UnionSubsumption>(context);
}
void IntersectOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<IntersectSubsumption>(context);
}
void ComplementOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<ComplementConstant>(context);
}
void DifferenceOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<DifferenceSimplify>(context);
}
void SelectHeadsOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                MLIRContext *context) {
  results.add<SelectHeadsMerge>(context);
}
