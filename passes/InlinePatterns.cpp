//===- InlinePatterns.cpp - attn-inline-patterns ---------------------------===//
#include "passes/Passes.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNINLINEPATTERNSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// The name the user calls a pattern by: its symbol without the suffixes
/// of specializations ("swin__grid14x14" is swin).
static StringRef userName(PatternOp p) {
  return p.getSymName().split("__").first;
}

/// Records, on an inlined primitive, which of its operands are arguments of
/// the call (see kOriginsAttrName): a range error in such a value is the
/// caller's, at the argument it passed. Operands computed inside the callee
/// lose any older note, which points into the callee.
static void noteOrigins(Operation &original, Operation *clone,
                        PatternOp callee, CallOp call) {
  if (!isa<MaskOpInterface>(clone) || clone->getNumOperands() == 0)
    return;
  MLIRContext *ctx = clone->getContext();
  Block &body = callee.getBodyBlock();
  SmallVector<Attribute> origins;
  bool any = false;
  for (Value v : original.getOperands()) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body) {
      origins.push_back(UnitAttr::get(ctx));
      continue;
    }
    Value actual = call.getArgs()[arg.getArgNumber()];
    Location at = actual.getDefiningOp() ? actual.getDefiningOp()->getLoc()
                                         : call.getLoc();
    std::string what = ("argument '" +
                        callee.getParamName(arg.getArgNumber()) + "' of '" +
                        userName(callee) + "'")
                           .str();
    origins.push_back(NameLoc::get(StringAttr::get(ctx, what), at));
    any = true;
  }
  if (any)
    clone->setAttr(kOriginsAttrName, ArrayAttr::get(ctx, origins));
  else
    clone->removeAttr(kOriginsAttrName);
}

namespace {
struct InlinePatterns
    : mlir::attn::impl::AttnInlinePatternsPassBase<InlinePatterns> {
  using AttnInlinePatternsPassBase::AttnInlinePatternsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<PatternOp> patterns(module.getOps<PatternOp>());

    if (!entry.empty() && !symbols.lookup<PatternOp>(entry)) {
      std::string names;
      for (PatternOp p : patterns)
        if (!p.isPrivate())
          names += (names.empty() ? "" : ", ") + p.getSymName().str();
      module.emitError() << "no pattern named '" << entry << "' (patterns: "
                         << (names.empty() ? "none" : names) << ")";
      return signalPassFailure();
    }

    // Order patterns callees-first, reporting cycles at the closing call.
    enum class State { Unvisited, Active, Done };
    DenseMap<Operation *, State> state;
    SmallVector<PatternOp> order;
    SmallVector<StringRef> stack;
    std::function<LogicalResult(PatternOp)> visit =
        [&](PatternOp p) -> LogicalResult {
      state[p] = State::Active;
      stack.push_back(p.getSymName());
      WalkResult r = p.walk([&](CallOp call) {
        auto callee = symbols.lookup<PatternOp>(call.getCallee());
        if (!callee) {
          call.emitOpError() << "calls unknown pattern '" << call.getCallee()
                             << "'";
          return WalkResult::interrupt();
        }
        State s = state.lookup(callee);
        if (s == State::Active) {
          std::string cycle;
          auto it = llvm::find(stack, callee.getSymName());
          for (; it != stack.end(); ++it)
            cycle += it->str() + " -> ";
          cycle += callee.getSymName().str();
          call.emitError() << "recursive pattern call: " << cycle;
          return WalkResult::interrupt();
        }
        if (s == State::Unvisited && failed(visit(callee)))
          return WalkResult::interrupt();
        return WalkResult::advance();
      });
      stack.pop_back();
      state[p] = State::Done;
      if (r.wasInterrupted())
        return failure();
      order.push_back(p);
      return success();
    };
    for (PatternOp p : patterns)
      if (state.lookup(p) == State::Unvisited && failed(visit(p)))
        return signalPassFailure();

    // Callees come first, so one level of inlining per call suffices.
    for (PatternOp p : order) {
      SmallVector<CallOp> calls;
      p.walk([&](CallOp c) { calls.push_back(c); });
      for (CallOp call : calls) {
        auto callee = symbols.lookup<PatternOp>(call.getCallee());
        IRMapping map;
        Block &body = callee.getBodyBlock();
        map.map(body.getArguments(), call.getArgs());
        OpBuilder b(call);
        // Inlined ops remember the call: errors show "called from".
        for (Operation &op : body.without_terminator()) {
          Operation *clone = b.clone(op, map);
          clone->walk([&](Operation *nested) {
            nested->setLoc(CallSiteLoc::get(nested->getLoc(), call.getLoc()));
          });
          noteOrigins(op, clone, callee, call);
        }
        call.replaceAllUsesWith(map.lookup(callee.getMask()));
        call.erase();
        ++numInlined;
      }
    }

    for (PatternOp p : patterns) {
      bool isEntry = !entry.empty() && p.getSymName() == entry;
      if (isEntry && p.isPrivate()) {
        // A prelude pattern chosen as the entry becomes the module's own.
        p.removeSymVisibilityAttr();
        continue;
      }
      if (p.isPrivate() || (!entry.empty() && !isEntry))
        p.erase();
    }
  }
};
} // namespace
