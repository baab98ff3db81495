//===- VerifyPattern.cpp - attn-verify-pattern -----------------------------===//
#include "dialect/AttnLimits.h"
#include "dialect/AttnPrimitives.h"
#include "passes/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNVERIFYPATTERNPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

static std::optional<ArrayRef<int64_t>> gridOf(Operation *op) {
  if (auto w = dyn_cast<Window2dOp>(op))
    return w.getGrid();
  if (auto n = dyn_cast<NeighborhoodOp>(op))
    return n.getGrid();
  if (auto a = dyn_cast<AxialOp>(op))
    return a.getGrid();
  if (auto p = dyn_cast<PredicateOp>(op))
    if (auto g = p.getGrid())
      return *g;
  return std::nullopt;
}

static LogicalResult verifyPattern(PatternOp p) {
  std::optional<int64_t> heads = p.getHeads();
  for (unsigned i = 0; i < p.getNumParams(); ++i)
    if (p.getBodyBlock().getArgument(i).getType().isF64() &&
        p.isRuntimeParam(i))
      return p.emitError() << "run-time parameter '" << p.getParamName(i)
                           << "' must be int or bool, not float";
  WalkResult r = p.walk([&](Operation *op) -> WalkResult {
    if (auto call = dyn_cast<CallOp>(op))
      return call.emitError() << "call to '" << call.getCallee()
                              << "' was not inlined (run "
                                 "attn-inline-patterns first)";
    if (auto sel = dyn_cast<SelectHeadsOp>(op)) {
      int64_t covered = sel.getBounds().back();
      if (!heads)
        return sel.emitError()
               << "per-head masks cover heads [0, " << covered
               << ") but the pattern declares no head count (add 'heads "
               << covered << "')";
      if (covered != *heads)
        return sel.emitError() << "per-head masks cover heads [0, " << covered
                               << ") but the pattern has " << *heads
                               << " heads";
    }
    if (auto layout = dyn_cast<BlockLayoutOp>(op); layout && layout.isPerHead()) {
      int64_t tableHeads =
          cast<ShapedType>(layout.getTable().getType()).getDimSize(0);
      if (heads && tableHeads != *heads)
        return layout.emitError() << "per-head table has " << tableHeads
                                  << " heads but the pattern has " << *heads;
    }
    if (auto grid = gridOf(op)) {
      auto layout = p.getLayout();
      if (!layout)
        return op->emitError() << "'" << op->getName()
                               << "' needs a grid layout, but pattern '"
                               << p.getSymName() << "' has layout seq";
      if (*layout != *grid)
        return op->emitError()
               << "'" << op->getName() << "' uses grid(" << (*grid)[0] << ", "
               << (*grid)[1] << ") but pattern '" << p.getSymName()
               << "' has layout grid(" << (*layout)[0] << ", " << (*layout)[1]
               << ")";
    }
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

ShapeRequirements mlir::attn::getShapeRequirements(PatternOp p) {
  ShapeRequirements req;
  req.heads = p.getHeads();
  if (auto layout = p.getLayout())
    req.grid = std::make_pair((*layout)[0], (*layout)[1]);
  // Run-time parameters: the index range (the compiler assumed it), and the
  // minimum of a primitive argument they are passed to directly.
  namespace lim = ::attn::limits;
  Block &body = p.getBodyBlock();
  for (unsigned i = 0; i < p.getNumParams(); ++i) {
    ShapeRequirements::Param param;
    param.name = p.getParamName(i).str();
    BlockArgument arg = body.getArgument(i);
    param.isBool = arg.getType().isInteger(1);
    param.min = param.isBool ? 0 : -lim::kMaxRuntimeParam;
    param.max = param.isBool ? 1 : lim::kMaxRuntimeParam;
    for (OpOperand &use : arg.getUses()) {
      Operation *user = use.getOwner();
      if (!isa<AttnDialect>(user->getDialect()))
        continue;
      const Primitive *prim = lookupPrimitive(user->getName().stripDialect());
      const PrimitiveArg *primArg =
          prim ? prim->operandArg(use.getOperandNumber()) : nullptr;
      if (primArg && !primArg->anyValue && primArg->min > param.min) {
        param.min = primArg->min;
        param.minReason = (llvm::Twine("argument '") + primArg->name +
                           "' of '" + prim->name + "'")
                              .str();
      }
    }
    req.params.push_back(std::move(param));
  }
  p.walk([&](BlockLayoutOp op) {
    auto block = getConstantInt(op.getBlock());
    if (!block)
      return; // a run-time block size: blocks outside the table are false
    auto type = cast<ShapedType>(op.getTable().getType());
    int64_t rank = type.getRank();
    req.tables.push_back({*block, type.getDimSize(rank - 2),
                          type.getDimSize(rank - 1),
                          rank == 3 ? type.getDimSize(0) : 0});
  });
  return req;
}

std::string mlir::attn::checkShape(const ShapeRequirements &req,
                                   StringRef pattern, int64_t heads,
                                   int64_t nq, int64_t nk) {
  std::string msg = ::attn::limits::checkRunSizes(1, heads, nq, nk);
  if (!msg.empty())
    return msg;
  llvm::raw_string_ostream os(msg);
  if (req.heads && heads != *req.heads) {
    os << "pattern '" << pattern << "' has " << *req.heads
       << " heads, but the input has " << heads;
    return msg;
  }
  if (req.grid) {
    int64_t tokens = req.grid->first * req.grid->second;
    if (nq != tokens || nk != tokens) {
      os << "pattern '" << pattern << "' has layout grid(" << req.grid->first
         << ", " << req.grid->second << "), so both lengths must be "
         << tokens << "; got " << nq << " queries and " << nk << " keys";
      return msg;
    }
  }
  for (const ShapeRequirements::Table &t : req.tables) {
    // Rows are indexed by p / block with p < nk, columns by k / block.
    int64_t need = (nk - 1) / t.block + 1;
    if (t.rows < need || t.cols < need) {
      os << "pattern '" << pattern << "': the block_layout table has "
         << t.rows << "x" << t.cols << " blocks of " << t.block
         << ", smaller than the " << need << "x" << need
         << " block grid of " << nk << " keys";
      return msg;
    }
    if (t.heads && heads > t.heads) {
      os << "pattern '" << pattern << "': the per-head block_layout table has "
         << t.heads << " heads, but the input has " << heads;
      return msg;
    }
  }
  return msg;
}

std::string mlir::attn::checkRuntimeParams(const ShapeRequirements &req,
                                           StringRef pattern,
                                           ArrayRef<int64_t> values) {
  if (values.size() != req.params.size())
    return ("pattern '" + pattern + "' takes " +
            llvm::Twine(req.params.size()) + " run-time parameter value(s), got " +
            llvm::Twine(values.size()))
        .str();
  for (auto [param, value] : llvm::zip_equal(req.params, values)) {
    std::string problem =
        ::attn::limits::checkRuntimeParamValue(param.name, param.isBool, value);
    if (!problem.empty())
      return problem;
    if (value < param.min)
      return "run-time parameter '" + param.name + "' = " +
             std::to_string(value) + " is too small: it is " +
             param.minReason + ", which must be at least " +
             std::to_string(param.min);
  }
  return {};
}

namespace {
struct VerifyPattern
    : mlir::attn::impl::AttnVerifyPatternPassBase<VerifyPattern> {
  using AttnVerifyPatternPassBase::AttnVerifyPatternPassBase;
  void runOnOperation() override {
    bool ok = true;
    for (PatternOp p : getOperation().getOps<PatternOp>())
      ok &= succeeded(verifyPattern(p));
    if (!ok)
      signalPassFailure();
  }
};
} // namespace
