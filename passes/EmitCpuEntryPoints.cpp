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

void emitBlockMap(OpBuilder &b, PatternOp p, func::FuncOp classify) {
  Location loc = p.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  auto fn = func::FuncOp::create(
      b, loc, cpuBlockMapName(p.getSymName()),
      b.getFunctionType({ptrType, ptrType}, {}));
  Block *entry = fn.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value ctx = entry->getArgument(0), out = entry->getArgument(1);
  Value bIdx = loadSlot(b, loc, ctx, kCtxBatch),
        h = loadSlot(b, loc, ctx, kCtxHead), nq = loadSlot(b, loc, ctx, kCtxNq),
        nk = loadSlot(b, loc, ctx, kCtxNk),
        tq = loadSlot(b, loc, ctx, kCtxTileQ),
        tk = loadSlot(b, loc, ctx, kCtxTileK),
        nqt = loadSlot(b, loc, ctx, kCtxNumQTiles),
        nkt = loadSlot(b, loc, ctx, kCtxNumKTiles);
  SmallVector<Value> params =
      loadParams(b, loc, ctx, p.getBodyBlock().getNumArguments());
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
  forRange(b, loc, zero, nqt, [&](OpBuilder &b1, Location l1, Value qt) {
    Value q0 = arith::MulIOp::create(b1, l1, qt, tq);
    Value q1 = arith::MinSIOp::create(
        b1, l1, arith::AddIOp::create(b1, l1, q0, tq), nq);
    Value rowBase = arith::MulIOp::create(b1, l1, qt, nkt);
    Value z = arith::ConstantIntOp::create(b1, l1, b1.getI64Type(), 0);
    forRange(b1, l1, z, nkt, [&](OpBuilder &b2, Location l2, Value kt) {
      Value k0 = arith::MulIOp::create(b2, l2, kt, tk);
      Value k1 = arith::MinSIOp::create(
          b2, l2, arith::AddIOp::create(b2, l2, k0, tk), nk);
      SmallVector<Value> args = {bIdx, h, q0, q1, k0, k1, nq, nk};
      args.append(params);
      Value cls = func::CallOp::create(b2, l2, classify, args).getResult(0);
      storeByte(b2, l2, out, arith::AddIOp::create(b2, l2, rowBase, kt), cls);
    });
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
