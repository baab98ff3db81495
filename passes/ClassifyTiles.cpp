//===- ClassifyTiles.cpp - attn-classify-tiles -----------------------------===//
//
// Turns each pattern into two plain functions, the element predicate and the
// tile classifier, by asking every pattern op (MaskOpInterface) to emit its
// part. Sequence lengths and run-time parameters are function arguments, so
// a new length never needs a recompile.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCLASSIFYTILESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
enum class Mode { Element, Tile };

/// Emits one function for `pattern` in the given mode.
static LogicalResult emitFunction(PatternOp pattern, Mode mode) {
  MLIRContext *ctx = pattern.getContext();
  ModuleOp module = pattern->getParentOfType<ModuleOp>();
  Location loc = pattern.getLoc();
  OpBuilder b(ctx);
  Type i64 = b.getI64Type();

  Block &body = pattern.getBodyBlock();
  unsigned fixedArgs = mode == Mode::Element ? 6 : 8;
  SmallVector<Type> argTypes(fixedArgs + body.getNumArguments(), i64);
  Type resultType = mode == Mode::Element ? b.getI1Type() : b.getI8Type();
  std::string name = mode == Mode::Element
                         ? maskFunctionName(pattern.getSymName())
                         : classifyFunctionName(pattern.getSymName());
  // A function from an earlier run is replaced; any other symbol of that
  // name is a clash.
  if (Operation *existing = SymbolTable::lookupSymbolIn(module, name)) {
    if (!isa<func::FuncOp>(existing))
      return pattern.emitError()
             << "cannot emit '@" << name << "': the name is taken by "
             << existing->getName();
    existing->erase();
  }
  b.setInsertionPointAfter(pattern);
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(argTypes, resultType));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);

  CodegenState s(loc);
  s.module = module;
  auto arg = [&](unsigned i) { return entry->getArgument(i); };
  s.b = arg(0);
  s.h = arg(1);
  CodeBuilder cb(b, loc);
  if (mode == Mode::Element) {
    s.q = arg(2);
    s.k = arg(3);
    s.nq = arg(4);
    s.nk = arg(5);
    s.p = cb.add(s.q, cb.sub(s.nk, s.nq));
  } else {
    s.q0 = arg(2);
    s.q1 = arg(3);
    s.k0 = arg(4);
    s.k1 = arg(5);
    s.nq = arg(6);
    s.nk = arg(7);
    Value shift = cb.sub(s.nk, s.nq);
    s.p0 = cb.add(s.q0, shift);
    s.p1 = cb.add(s.q1, shift);
  }
  for (BlockArgument param : body.getArguments()) {
    Value v = arg(fixedArgs + param.getArgNumber());
    if (param.getType().isInteger(1))
      v = arith::TruncIOp::create(b, loc, b.getI1Type(), v);
    s.mapping.map(param, v);
  }

  for (Operation &op : body) {
    if (auto yield = dyn_cast<YieldOp>(op)) {
      func::ReturnOp::create(b, loc, s.lookup(yield.getValue()));
      break;
    }
    if (auto mask = dyn_cast<MaskOpInterface>(op)) {
      s.loc = op.getLoc();
      cb.loc = op.getLoc();
      Value v = mode == Mode::Element ? mask.buildElement(b, s)
                                      : mask.buildTileClass(b, s);
      s.mapping.map(op.getResult(0), v);
      continue;
    }
    if (isa<CallOp>(op))
      return op.emitError("pattern calls must be inlined before "
                          "attn-classify-tiles");
    b.clone(op, s.mapping);
  }
  return success();
}
} // namespace

namespace {
struct ClassifyTiles
    : mlir::attn::impl::AttnClassifyTilesPassBase<ClassifyTiles> {
  using AttnClassifyTilesPassBase::AttnClassifyTilesPassBase;

  void runOnOperation() override {
    if (tileQ < 1 || tileK < 1) {
      getOperation().emitError()
          << "tile sizes must be positive, got " << static_cast<int64_t>(tileQ)
          << "x" << static_cast<int64_t>(tileK);
      return signalPassFailure();
    }
    SmallVector<PatternOp> patterns(getOperation().getOps<PatternOp>());
    for (PatternOp p : patterns) {
      for (unsigned i = 0; i < p.getNumParams(); ++i)
        if (!p.isRuntimeParam(i)) {
          p.emitError() << "parameter '" << p.getParamName(i)
                        << "' is not bound (run attn-bind-parameters first)";
          return signalPassFailure();
        }
      // The generated code is exact only within the index range.
      if (failed(checkIndexRanges(p)) ||
          failed(emitFunction(p, Mode::Element)) ||
          failed(emitFunction(p, Mode::Tile)))
        return signalPassFailure();
      Builder b(p.getContext());
      p->setAttr("attn.tile", b.getDenseI64ArrayAttr({tileQ, tileK}));
      p->setAttr("attn.mask_fn",
                 FlatSymbolRefAttr::get(p.getContext(),
                                        maskFunctionName(p.getSymName())));
      p->setAttr("attn.classify_fn",
                 FlatSymbolRefAttr::get(
                     p.getContext(), classifyFunctionName(p.getSymName())));
    }
  }
};
} // namespace
