//===- EmitCpuEntryPoints.cpp - attn-emit-cpu-entry-points -----------------===//
//
// The CPU runtime calls generated code through two functions with a fixed C
// ABI, so one function-pointer type fits every pattern whatever its run-time
// parameters: the block map of one head, and the element mask of one tile.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEMITCPUENTRYPOINTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Loads ctx[slot] (i64).
Value loadSlot(OpBuilder &b, Location loc, Value ctx, int64_t slot) {
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value addr = LLVM::GEPOp::create(b, loc, ptrType, i64, ctx,
                                   ArrayRef<LLVM::GEPArg>{slot});
  return LLVM::LoadOp::create(b, loc, i64, addr);
}

/// Stores an i8 at base[index].
void storeByte(OpBuilder &b, Location loc, Value base, Value index,
               Value byte) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value addr = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), base,
                                   ValueRange{index});
  LLVM::StoreOp::create(b, loc, byte, addr);
}

/// Runtime parameters, read from ctx.
SmallVector<Value> loadParams(OpBuilder &b, Location loc, Value ctx,
                              unsigned count) {
  SmallVector<Value> params;
  for (unsigned i = 0; i < count; ++i)
    params.push_back(loadSlot(b, loc, ctx, kCtxParams + i));
  return params;
}

/// A nested scf.for over [lo, hi) with i64 bounds.
template <typename Body>
void forRange(OpBuilder &b, Location loc, Value lo, Value hi, Body body) {
  Value one = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 1);
  scf::ForOp::create(b, loc, lo, hi, one, ValueRange{},
                     [&](OpBuilder &nb, Location nl, Value iv, ValueRange) {
                       body(nb, nl, iv);
                       scf::YieldOp::create(nb, nl);
                     });
}

/// Emits the recursive range classifier: classifies key tiles [c0, c1) of
/// one query tile with a single call when the whole range is EMPTY or FULL,
/// else splits it in two. Sparse rows cost O(runs x log(tiles)) calls instead
/// of one call per tile.
func::FuncOp emitRangeClassifier(OpBuilder &b, PatternOp p,
                                 func::FuncOp classify) {
  Location loc = p.getLoc();
  MLIRContext *ctx = b.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  unsigned numParams = p.getBodyBlock().getNumArguments();
  // (b, h, q0, q1, nq, nk, tileK, out, c0, c1, params...)
  SmallVector<Type> types(7, i64);
  types.push_back(ptrType);
  types.append({i64, i64});
  types.append(numParams, i64);
  auto fn = func::FuncOp::create(
      b, loc, (p.getSymName() + "__cpu_classify_range").str(),
      b.getFunctionType(types, {}));
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  auto arg = [&](unsigned i) { return entry->getArgument(i); };
  Value bIdx = arg(0), h = arg(1), q0 = arg(2), q1 = arg(3), nq = arg(4),
        nk = arg(5), tk = arg(6), out = arg(7), c0 = arg(8), c1 = arg(9);
  SmallVector<Value> params;
  for (unsigned i = 0; i < numParams; ++i)
    params.push_back(arg(10 + i));
  Value k0 = arith::MulIOp::create(b, loc, c0, tk);
  Value k1 = arith::MinSIOp::create(b, loc, arith::MulIOp::create(b, loc, c1, tk),
                                    nk);
  SmallVector<Value> args = {bIdx, h, q0, q1, k0, k1, nq, nk};
  args.append(params);
  Value cls = func::CallOp::create(b, loc, classify, args).getResult(0);
  Value one = arith::ConstantIntOp::create(b, loc, i64, 1);
  Value partial = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, cls,
      arith::ConstantIntOp::create(b, loc, b.getI8Type(), 1));
  Value wide = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                     arith::SubIOp::create(b, loc, c1, c0), one);
  Value split = arith::AndIOp::create(b, loc, partial, wide);
  scf::IfOp::create(
      b, loc, split,
      [&](OpBuilder &tb, Location tl) {
        Value two = arith::ConstantIntOp::create(tb, tl, i64, 2);
        Value mid = arith::DivSIOp::create(
            tb, tl, arith::AddIOp::create(tb, tl, c0, c1), two);
        SmallVector<Value> lo = {bIdx, h, q0, q1, nq, nk, tk, out, c0, mid};
        lo.append(params);
        SmallVector<Value> hi = {bIdx, h, q0, q1, nq, nk, tk, out, mid, c1};
        hi.append(params);
        func::CallOp::create(tb, tl, fn, lo);
        func::CallOp::create(tb, tl, fn, hi);
        scf::YieldOp::create(tb, tl);
      },
      [&](OpBuilder &eb, Location el) {
        forRange(eb, el, c0, c1, [&](OpBuilder &fb, Location fl, Value c) {
          storeByte(fb, fl, out, c, cls);
        });
        scf::YieldOp::create(eb, el);
      });
  func::ReturnOp::create(b, loc);
  return fn;
}

void emitBlockMap(OpBuilder &b, PatternOp p, func::FuncOp classify) {
  Location loc = p.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  func::FuncOp range = emitRangeClassifier(b, p, classify);
  Type i64 = b.getI64Type();
  auto fn = func::FuncOp::create(
      b, loc, cpuBlockMapName(p.getSymName()),
      b.getFunctionType({ptrType, ptrType, i64, i64}, {}));
  Block *entry = fn.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value ctx = entry->getArgument(0), out = entry->getArgument(1);
  Value firstRow = entry->getArgument(2), lastRow = entry->getArgument(3);
  Value bIdx = loadSlot(b, loc, ctx, kCtxBatch),
        h = loadSlot(b, loc, ctx, kCtxHead), nq = loadSlot(b, loc, ctx, kCtxNq),
        nk = loadSlot(b, loc, ctx, kCtxNk),
        tq = loadSlot(b, loc, ctx, kCtxTileQ),
        tk = loadSlot(b, loc, ctx, kCtxTileK),
        nqt = loadSlot(b, loc, ctx, kCtxNumQTiles),
        nkt = loadSlot(b, loc, ctx, kCtxNumKTiles);
  SmallVector<Value> params =
      loadParams(b, loc, ctx, p.getBodyBlock().getNumArguments());
  Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
  Value lo = arith::MaxSIOp::create(b, loc, firstRow, zero);
  Value hi = arith::MinSIOp::create(b, loc, lastRow, nqt);
  forRange(b, loc, lo, hi, [&](OpBuilder &b1, Location l1, Value qt) {
    Value q0 = arith::MulIOp::create(b1, l1, qt, tq);
    Value q1 = arith::MinSIOp::create(
        b1, l1, arith::AddIOp::create(b1, l1, q0, tq), nq);
    Value rowBase = arith::MulIOp::create(b1, l1, qt, nkt);
    Value rowPtr = LLVM::GEPOp::create(b1, l1, ptrType, b1.getI8Type(), out,
                                       ValueRange{rowBase});
    Value z = arith::ConstantIntOp::create(b1, l1, b1.getI64Type(), 0);
    SmallVector<Value> args = {bIdx, h, q0, q1, nq, nk, tk, rowPtr, z, nkt};
    args.append(params);
    func::CallOp::create(b1, l1, range, args);
  });
  func::ReturnOp::create(b, loc);
}

void emitTileMask(OpBuilder &b, PatternOp p, func::FuncOp mask) {
  Location loc = p.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Type i64 = b.getI64Type();
  auto fn = func::FuncOp::create(
      b, loc, cpuTileMaskName(p.getSymName()),
      b.getFunctionType({ptrType, i64, i64, i64, i64, ptrType, i64}, {}));
  Block *entry = fn.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value ctx = entry->getArgument(0);
  Value q0 = entry->getArgument(1), q1 = entry->getArgument(2),
        k0 = entry->getArgument(3), k1 = entry->getArgument(4),
        out = entry->getArgument(5), ld = entry->getArgument(6);
  Value bIdx = loadSlot(b, loc, ctx, kCtxBatch),
        h = loadSlot(b, loc, ctx, kCtxHead), nq = loadSlot(b, loc, ctx, kCtxNq),
        nk = loadSlot(b, loc, ctx, kCtxNk);
  SmallVector<Value> params =
      loadParams(b, loc, ctx, p.getBodyBlock().getNumArguments());
  forRange(b, loc, q0, q1, [&](OpBuilder &b1, Location l1, Value q) {
    Value row = arith::MulIOp::create(
        b1, l1, arith::SubIOp::create(b1, l1, q, q0), ld);
    forRange(b1, l1, k0, k1, [&](OpBuilder &b2, Location l2, Value k) {
      SmallVector<Value> args = {bIdx, h, q, k, nq, nk};
      args.append(params);
      Value bit = func::CallOp::create(b2, l2, mask, args).getResult(0);
      Value byte = arith::ExtUIOp::create(b2, l2, b2.getI8Type(), bit);
      Value idx = arith::AddIOp::create(
          b2, l2, row, arith::SubIOp::create(b2, l2, k, k0));
      storeByte(b2, l2, out, idx, byte);
    });
  });
  func::ReturnOp::create(b, loc);
}

struct EmitCpuEntryPoints
    : mlir::attn::impl::AttnEmitCpuEntryPointsPassBase<EmitCpuEntryPoints> {
  using AttnEmitCpuEntryPointsPassBase::AttnEmitCpuEntryPointsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    for (PatternOp p : llvm::to_vector(module.getOps<PatternOp>())) {
      auto mask =
          module.lookupSymbol<func::FuncOp>(maskFunctionName(p.getSymName()));
      auto classify = module.lookupSymbol<func::FuncOp>(
          classifyFunctionName(p.getSymName()));
      if (!mask || !classify) {
        p.emitError("pattern has no classifier (run attn-classify-tiles "
                    "first)");
        return signalPassFailure();
      }
      for (const std::string &name : {cpuBlockMapName(p.getSymName()),
                                      cpuTileMaskName(p.getSymName())})
        if (Operation *old = module.lookupSymbol(name))
          old->erase();
      b.setInsertionPointToEnd(module.getBody());
      emitBlockMap(b, p, classify);
      b.setInsertionPointToEnd(module.getBody());
      emitTileMask(b, p, mask);
    }
  }
};
} // namespace
