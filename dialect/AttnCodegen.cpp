//===- AttnCodegen.cpp - element predicates of the attn pattern ops -------===//
//
// Every pattern op emits `mask(b, h, q, k)` as arith code, exactly as
// docs/LANGUAGE.md defines it; p is the query aligned to the end of the keys.
//
//===----------------------------------------------------------------------===//
#include "dialect/AttnCodegenUtils.h"
#include "dialect/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// CodeBuilder
//===----------------------------------------------------------------------===//

Value CodeBuilder::c64(int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}
Value CodeBuilder::ci1(bool v) {
  return arith::ConstantIntOp::create(b, loc, b.getI1Type(), v);
}
Value CodeBuilder::ci8(int8_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI8Type(), v);
}
Value CodeBuilder::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value CodeBuilder::sub(Value x, Value y) {
  return arith::SubIOp::create(b, loc, x, y);
}
Value CodeBuilder::mul(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
Value CodeBuilder::floorDiv(Value x, Value y) {
  if (auto c = getConstantInt(y); c && *c != 0)
    return arith::FloorDivSIOp::create(b, loc, x, y);
  Value zero = c64(0), isZero = eq(y, zero);
  Value safe = select(isZero, c64(1), y);
  return select(isZero, zero, arith::FloorDivSIOp::create(b, loc, x, safe));
}
Value CodeBuilder::floorMod(Value x, Value y) {
  return sub(x, mul(floorDiv(x, y), y));
}
Value CodeBuilder::min(Value x, Value y) {
  return arith::MinSIOp::create(b, loc, x, y);
}
Value CodeBuilder::max(Value x, Value y) {
  return arith::MaxSIOp::create(b, loc, x, y);
}
static Value cmp(CodeBuilder &cb, arith::CmpIPredicate pred, Value x,
                 Value y) {
  return arith::CmpIOp::create(cb.b, cb.loc, pred, x, y);
}
Value CodeBuilder::eq(Value x, Value y) {
  return cmp(*this, arith::CmpIPredicate::eq, x, y);
}
Value CodeBuilder::ne(Value x, Value y) {
  return cmp(*this, arith::CmpIPredicate::ne, x, y);
}
Value CodeBuilder::lt(Value x, Value y) {
  return cmp(*this, arith::CmpIPredicate::slt, x, y);
}
Value CodeBuilder::le(Value x, Value y) {
  return cmp(*this, arith::CmpIPredicate::sle, x, y);
}
Value CodeBuilder::gt(Value x, Value y) {
  return cmp(*this, arith::CmpIPredicate::sgt, x, y);
}
Value CodeBuilder::ge(Value x, Value y) {
  return cmp(*this, arith::CmpIPredicate::sge, x, y);
}
Value CodeBuilder::land(Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}
Value CodeBuilder::lor(Value x, Value y) {
  return arith::OrIOp::create(b, loc, x, y);
}
Value CodeBuilder::lnot(Value x) {
  return arith::XOrIOp::create(b, loc, x, ci1(true));
}
Value CodeBuilder::select(Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
Value CodeBuilder::isPow2OrZero(Value d) {
  Value masked = arith::AndIOp::create(b, loc, d, sub(d, c64(1)));
  return land(ge(d, c64(0)), eq(masked, c64(0)));
}
Value CodeBuilder::highestPow2(Value x) {
  // 1 << (63 - ctlz(x)) for x >= 1.
  Value lz = math::CountLeadingZerosOp::create(b, loc, x);
  Value shift = sub(c64(63), lz);
  Value safeShift = select(gt(x, c64(0)), shift, c64(0));
  Value pow = arith::ShLIOp::create(b, loc, c64(1), safeShift);
  return select(gt(x, c64(0)), pow, c64(0));
}
Value CodeBuilder::tileClass(Value isFull, Value isEmpty) {
  return select(isFull, ci8(2), select(isEmpty, ci8(0), ci8(1)));
}
Value CodeBuilder::classUnion(Value x, Value y) {
  return arith::MaxSIOp::create(b, loc, x, y);
}
Value CodeBuilder::classIntersect(Value x, Value y) {
  return arith::MinSIOp::create(b, loc, x, y);
}
Value CodeBuilder::classComplement(Value x) {
  return arith::SubIOp::create(b, loc, ci8(2), x);
}
Value CodeBuilder::classMerge(ArrayRef<std::pair<Value, Value>> parts) {
  Value lo = ci8(2), hi = ci8(0);
  for (auto [valid, cls] : parts) {
    lo = arith::MinSIOp::create(b, loc, lo, select(valid, cls, ci8(2)));
    hi = arith::MaxSIOp::create(b, loc, hi, select(valid, cls, ci8(0)));
  }
  Value isEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, hi,
                                        ci8(0));
  Value isFull = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lo,
                                       ci8(2));
  return tileClass(land(isFull, lnot(isEmpty)), isEmpty);
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

Value mlir::attn::unguardDivisor(Value m) {
  auto sel = m.getDefiningOp<arith::SelectOp>();
  if (!sel || getConstantInt(sel.getTrueValue()) != 1)
    return m;
  auto cmp = sel.getCondition().getDefiningOp<arith::CmpIOp>();
  if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::eq ||
      cmp.getLhs() != sel.getFalseValue() || getConstantInt(cmp.getRhs()) != 0)
    return m;
  return sel.getFalseValue();
}

std::optional<std::pair<Value, Value>>
mlir::attn::matchFloorDivTimes(Operation *op) {
  auto mul = dyn_cast_or_null<arith::MulIOp>(op);
  if (!mul)
    return std::nullopt;
  for (auto [div, m] : {std::pair{mul.getLhs(), mul.getRhs()},
                        std::pair{mul.getRhs(), mul.getLhs()}}) {
    // CodeBuilder::floorDiv wraps the quotient: select(m == 0, 0, q) (then
    // the product is 0 exactly when m is).
    if (auto sel = div.getDefiningOp<arith::SelectOp>()) {
      auto cmp = sel.getCondition().getDefiningOp<arith::CmpIOp>();
      if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::eq ||
          unguardDivisor(cmp.getLhs()) != unguardDivisor(m) ||
          getConstantInt(cmp.getRhs()) != 0 ||
          getConstantInt(sel.getTrueValue()) != 0)
        continue;
      div = sel.getFalseValue();
    }
    auto fd = div.getDefiningOp<arith::FloorDivSIOp>();
    if (fd && unguardDivisor(fd.getRhs()) == unguardDivisor(m))
      return std::pair{fd.getLhs(), m};
  }
  return std::nullopt;
}

std::optional<std::pair<Value, Value>> mlir::attn::matchFloorMod(Operation *op) {
  auto sub = dyn_cast_or_null<arith::SubIOp>(op);
  if (!sub)
    return std::nullopt;
  auto xm = matchFloorDivTimes(sub.getRhs().getDefiningOp());
  if (!xm || xm->first != sub.getLhs())
    return std::nullopt;
  return xm;
}

GridCoords mlir::attn::gridCoords(CodeBuilder &cb, Value n, int64_t width) {
  Value w = cb.c64(width);
  return {cb.floorDiv(n, w), cb.floorMod(n, w)};
}

Value mlir::attn::splitMix64(CodeBuilder &cb, Value z) {
  auto mulc = [&](Value v, uint64_t c) {
    return arith::MulIOp::create(cb.b, cb.loc, v,
                                 cb.c64(static_cast<int64_t>(c)));
  };
  auto xorShift = [&](Value v, int64_t s) {
    Value sh = arith::ShRUIOp::create(cb.b, cb.loc, v, cb.c64(s));
    return arith::XOrIOp::create(cb.b, cb.loc, v, sh);
  };
  z = cb.add(z, cb.c64(static_cast<int64_t>(0x9E3779B97F4A7C15ULL)));
  z = mulc(xorShift(z, 30), 0xBF58476D1CE4E5B9ULL);
  z = mulc(xorShift(z, 27), 0x94D049BB133111EBULL);
  return xorShift(z, 31);
}

Value mlir::attn::bigBirdKey(CodeBuilder &cb, Value seed, Value h, Value r,
                             Value c) {
  auto x = [&](Value a, Value v) {
    return arith::XOrIOp::create(cb.b, cb.loc, a, v);
  };
  Value kc = splitMix64(cb, c);
  Value kr = splitMix64(cb, x(r, kc));
  Value kh = splitMix64(cb, x(h, kr));
  return splitMix64(cb, x(seed, kh));
}

/// (k1, c1) < (k2, c2) with the key compared unsigned.
Value mlir::attn::keyLess(CodeBuilder &cb, Value k1, Value c1, Value k2,
                          Value c2) {
  Value ult = arith::CmpIOp::create(cb.b, cb.loc, arith::CmpIPredicate::ult,
                                    k1, k2);
  return cb.lor(ult, cb.land(cb.eq(k1, k2), cb.lt(c1, c2)));
}

Value mlir::attn::BigBirdParams::numKeyBlocks(CodeBuilder &cb, Value nk) {
  return cb.floorDiv(cb.add(nk, cb.sub(block, cb.c64(1))), block);
}

Value mlir::attn::BigBirdParams::fixedAllowed(CodeBuilder &cb, Value r,
                                              Value c) {
  Value d = math::AbsIOp::create(cb.b, cb.loc, cb.sub(r, c));
  Value inWindow = cb.le(d, cb.floorDiv(window, cb.c64(2)));
  return cb.lor(inWindow, cb.lor(cb.lt(r, globals), cb.lt(c, globals)));
}

/// The threshold in one pass over the key blocks, keeping the R smallest
/// candidate pairs sorted in 2R loop-carried values (R = `random`, a small
/// constant): each block's key is hashed once instead of R times. Empty
/// slots hold (UMAX, INT64_MAX), above every real pair.
static std::pair<Value, Value> thresholdOnePass(BigBirdParams &bp,
                                                CodeBuilder &cb, Value h,
                                                Value r, Value nkb,
                                                int64_t R) {
  Value emptyKey = cb.c64(-1), emptyC = cb.c64(INT64_MAX);
  SmallVector<Value> init;
  for (int64_t i = 0; i < R; ++i)
    init.append({emptyKey, emptyC});
  auto loop = scf::ForOp::create(
      cb.b, cb.loc, cb.c64(0), nkb, cb.c64(1), init,
      [&](OpBuilder &ib, Location il, Value c, ValueRange slots) {
        CodeBuilder icb(ib, il);
        Value valid = icb.lnot(bp.fixedAllowed(icb, r, c));
        Value xk = bigBirdKey(icb, bp.seed, h, r, c), xc = c;
        SmallVector<Value> next;
        // Insertion into the sorted slots: swap down while smaller.
        for (int64_t i = 0; i < R; ++i) {
          Value sk = slots[2 * i], sc = slots[2 * i + 1];
          Value less = icb.land(valid, keyLess(icb, xk, xc, sk, sc));
          next.push_back(icb.select(less, xk, sk));
          next.push_back(icb.select(less, xc, sc));
          xk = icb.select(less, sk, xk);
          xc = icb.select(less, sc, xc);
        }
        scf::YieldOp::create(ib, il, next);
      });
  // The largest filled slot; none: (0, -1), below every pair.
  Value thrKey = cb.c64(0), thrC = cb.c64(-1);
  for (int64_t i = 0; i < R; ++i) {
    Value sk = loop.getResult(2 * i), sc = loop.getResult(2 * i + 1);
    Value filled = cb.lnot(cb.land(cb.eq(sk, emptyKey), cb.eq(sc, emptyC)));
    thrKey = cb.select(filled, sk, thrKey);
    thrC = cb.select(filled, sc, thrC);
  }
  return {thrKey, thrC};
}

Value mlir::attn::BigBirdParams::numCandidates(CodeBuilder &cb, Value r,
                                               Value nkb) {
  // nkb minus the blocks below `globals` and those of the window
  // [r - window/2, r + window/2], both clipped to [0, nkb), minus their
  // overlap; none when r itself is a global row.
  Value zero = cb.c64(0), one = cb.c64(1);
  Value g = cb.min(cb.max(globals, zero), nkb);
  Value hw = cb.floorDiv(window, cb.c64(2));
  Value lo = cb.max(cb.sub(r, hw), zero);
  Value hi = cb.min(cb.add(r, hw), cb.sub(nkb, one));
  Value win = cb.max(cb.add(cb.sub(hi, lo), one), zero);
  Value overlap =
      cb.max(cb.add(cb.sub(cb.min(hi, cb.sub(g, one)), lo), one), zero);
  Value cand = cb.sub(nkb, cb.sub(cb.add(g, win), overlap));
  return cb.select(cb.lt(r, globals), zero, cand);
}

/// Candidates c' of row r with (key(c'), c') <= (k, c): one pass.
static Value countAtMost(BigBirdParams &bp, CodeBuilder &cb, Value h, Value r,
                         Value nkb, Value k, Value c) {
  auto loop = scf::ForOp::create(
      cb.b, cb.loc, cb.c64(0), nkb, cb.c64(1), ValueRange{cb.c64(0)},
      [&](OpBuilder &ib, Location il, Value x, ValueRange acc) {
        CodeBuilder icb(ib, il);
        Value key = bigBirdKey(icb, bp.seed, h, r, x);
        Value in = icb.land(icb.lnot(bp.fixedAllowed(icb, r, x)),
                            icb.lnot(keyLess(icb, k, c, key, x)));
        Value inc =
            arith::ExtUIOp::create(ib, il, ib.getI64Type(), in).getResult();
        scf::YieldOp::create(ib, il, ValueRange{icb.add(acc[0], inc)});
      });
  return loop.getResult(0);
}

/// The R-th smallest candidate pair (0 < R < candidates) by bisection: first
/// the smallest key K with at least R pairs (key, c) <= (K, max), then the
/// smallest block C with R pairs <= (K, C). About 64 + log2(nkb) passes,
/// whatever R.
static std::pair<Value, Value> thresholdBisect(BigBirdParams &bp,
                                               CodeBuilder &cb, Value h,
                                               Value r, Value nkb) {
  Value one = cb.c64(1), maxC = cb.c64(INT64_MAX);
  auto keys = scf::ForOp::create(
      cb.b, cb.loc, cb.c64(0), cb.c64(64), one,
      ValueRange{cb.c64(0), cb.c64(-1)}, // unsigned [0, UMAX]
      [&](OpBuilder &ib, Location il, Value, ValueRange lh) {
        CodeBuilder icb(ib, il);
        Value half = arith::ShRUIOp::create(ib, il, icb.sub(lh[1], lh[0]),
                                            icb.c64(1));
        Value mid = icb.add(lh[0], half);
        Value enough =
            icb.ge(countAtMost(bp, icb, h, r, nkb, mid, maxC), bp.random);
        scf::YieldOp::create(
            ib, il,
            ValueRange{icb.select(enough, lh[0], icb.add(mid, icb.c64(1))),
                       icb.select(enough, mid, lh[1])});
      });
  Value key = keys.getResult(0);
  auto blocks = scf::ForOp::create(
      cb.b, cb.loc, cb.c64(0), cb.c64(64), one,
      ValueRange{cb.c64(0), cb.sub(nkb, one)},
      [&](OpBuilder &ib, Location il, Value, ValueRange lh) {
        CodeBuilder icb(ib, il);
        auto step = scf::IfOp::create(
            ib, il, icb.lt(lh[0], lh[1]),
            [&](OpBuilder &tb, Location tl) {
              CodeBuilder tcb(tb, tl);
              Value mid = tcb.floorDiv(tcb.add(lh[0], lh[1]), tcb.c64(2));
              Value enough = tcb.ge(countAtMost(bp, tcb, h, r, nkb, key, mid),
                                    bp.random);
              scf::YieldOp::create(
                  tb, tl,
                  ValueRange{
                      tcb.select(enough, lh[0], tcb.add(mid, tcb.c64(1))),
                      tcb.select(enough, mid, lh[1])});
            },
            [&](OpBuilder &eb, Location el) {
              scf::YieldOp::create(eb, el, ValueRange{lh[0], lh[1]});
            });
        scf::YieldOp::create(ib, il, step.getResults());
      });
  return {key, blocks.getResult(0)};
}

std::pair<Value, Value>
mlir::attn::BigBirdParams::threshold(CodeBuilder &cb, Value h, Value r,
                                     Value nkb) {
  if (std::optional<int64_t> R = getConstantIntValue(random);
      R && *R >= 1 && *R <= 8)
    return thresholdOnePass(*this, cb, h, r, nkb, *R);
  // A run-time or large `random`. When it is at least the number of
  // candidates, all of them are chosen: the threshold is above every pair
  // (so a huge `random` costs nothing). Else R passes, each finding the
  // next smallest pair, or bisection for R > 64.
  OpBuilder &b = cb.b;
  Location loc = cb.loc;
  Value takeAll = cb.ge(random, numCandidates(cb, r, nkb));
  auto all = scf::IfOp::create(
      b, loc, takeAll,
      [&](OpBuilder &tb, Location tl) {
        CodeBuilder tcb(tb, tl);
        scf::YieldOp::create(tb, tl,
                             ValueRange{tcb.c64(-1), tcb.c64(INT64_MAX)});
      },
      [&](OpBuilder &eb, Location el) {
        CodeBuilder ecb(eb, el);
        auto few = scf::IfOp::create(
            eb, el, ecb.le(random, ecb.c64(64)),
            [&](OpBuilder &fb, Location fl) {
              CodeBuilder fcb(fb, fl);
              auto [k, c] = thresholdPasses(fcb, h, r, nkb);
              scf::YieldOp::create(fb, fl, ValueRange{k, c});
            },
            [&](OpBuilder &bb, Location bl) {
              CodeBuilder bcb(bb, bl);
              auto [k, c] = thresholdBisect(*this, bcb, h, r, nkb);
              scf::YieldOp::create(bb, bl, ValueRange{k, c});
            });
        scf::YieldOp::create(eb, el, few.getResults());
      });
  return {all.getResult(0), all.getResult(1)};
}

std::pair<Value, Value>
mlir::attn::BigBirdParams::thresholdPasses(CodeBuilder &cb, Value h, Value r,
                                           Value nkb) {
  // `random` passes, each finding the next smallest pair.
  OpBuilder &b = cb.b;
  Location loc = cb.loc;
  Value zero = cb.c64(0), one = cb.c64(1);
  auto outer = scf::ForOp::create(
      b, loc, zero, random, one, ValueRange{zero, cb.c64(-1)},
      [&](OpBuilder &ob, Location l, Value, ValueRange thr) {
        CodeBuilder ocb(ob, l);
        Value maxKey = ocb.c64(-1), maxC = ocb.c64(INT64_MAX);
        auto inner = scf::ForOp::create(
            ob, l, ocb.c64(0), nkb, ocb.c64(1),
            ValueRange{maxKey, maxC, ocb.ci1(false)},
            [&](OpBuilder &ib, Location il, Value c, ValueRange best) {
              CodeBuilder icb(ib, il);
              Value key = bigBirdKey(icb, seed, h, r, c);
              Value cand = icb.land(icb.lnot(fixedAllowed(icb, r, c)),
                                    keyLess(icb, thr[0], thr[1], key, c));
              Value better = icb.land(
                  cand, icb.lor(icb.lnot(best[2]),
                                keyLess(icb, key, c, best[0], best[1])));
              scf::YieldOp::create(
                  ib, il,
                  ValueRange{icb.select(better, key, best[0]),
                             icb.select(better, c, best[1]),
                             icb.lor(best[2], better)});
            });
        Value found = inner.getResult(2);
        scf::YieldOp::create(
            ob, l,
            ValueRange{ocb.select(found, inner.getResult(0), thr[0]),
                       ocb.select(found, inner.getResult(1), thr[1])});
      });
  return {outer.getResult(0), outer.getResult(1)};
}

Value mlir::attn::BigBirdParams::chosen(CodeBuilder &cb, Value h, Value r,
                                        Value c, Value nkb) {
  // c is chosen when fewer than `random` candidates have a smaller pair: one
  // pass, skipped when every candidate is chosen.
  Value takeAll = cb.ge(random, numCandidates(cb, r, nkb));
  auto rank = scf::IfOp::create(
      cb.b, cb.loc, takeAll,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, ValueRange{CodeBuilder(tb, tl).ci1(true)});
      },
      [&](OpBuilder &eb, Location el) {
        CodeBuilder ecb(eb, el);
        Value key = bigBirdKey(ecb, seed, h, r, c);
        auto loop = scf::ForOp::create(
            eb, el, ecb.c64(0), nkb, ecb.c64(1), ValueRange{ecb.c64(0)},
            [&](OpBuilder &ib, Location il, Value x, ValueRange acc) {
              CodeBuilder icb(ib, il);
              Value kx = bigBirdKey(icb, seed, h, r, x);
              Value before = icb.land(icb.lnot(fixedAllowed(icb, r, x)),
                                      keyLess(icb, kx, x, key, c));
              Value inc = arith::ExtUIOp::create(ib, il, ib.getI64Type(),
                                                 before)
                              .getResult();
              scf::YieldOp::create(ib, il, ValueRange{icb.add(acc[0], inc)});
            });
        scf::YieldOp::create(eb, el,
                             ValueRange{ecb.lt(loop.getResult(0), random)});
      });
  return rank.getResult(0);
}

Value mlir::attn::BigBirdParams::allowed(CodeBuilder &cb, Value h, Value r,
                                         Value c, Value thrKey, Value thrC) {
  Value fixed = fixedAllowed(cb, r, c);
  Value key = bigBirdKey(cb, seed, h, r, c);
  Value chosen = cb.lnot(keyLess(cb, thrKey, thrC, key, c));
  return cb.lor(fixed, chosen);
}

Value mlir::attn::loadTable(CodeBuilder &cb, StringRef name, MemRefType type,
                            ArrayRef<Value> indices) {
  Value ref = memref::GetGlobalOp::create(cb.b, cb.loc, type, name);
  SmallVector<Value> idx;
  for (Value v : indices)
    idx.push_back(
        arith::IndexCastOp::create(cb.b, cb.loc, cb.b.getIndexType(), v));
  Value loaded = memref::LoadOp::create(cb.b, cb.loc, ref, idx);
  if (loaded.getType().getIntOrFloatBitWidth() < 64)
    loaded = arith::ExtSIOp::create(cb.b, cb.loc, cb.b.getI64Type(), loaded);
  return loaded;
}

GlobalPositions mlir::attn::getGlobalPositions(OpBuilder &b, Location loc,
                                               ModuleOp module, GlobalOp op) {
  ArrayRef<int64_t> positions = op.getPositions();
  GlobalPositions t;
  t.size = positions.size();
  t.type = MemRefType::get({t.size}, b.getI64Type());
  llvm::hash_code hash =
      llvm::hash_combine_range(positions.begin(), positions.end());
  t.name = "__attn_global_" + llvm::utohexstr(static_cast<uint64_t>(hash)) +
           "_" + std::to_string(t.size);
  SymbolTable symbols(module);
  if (!symbols.lookup(t.name)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto type = RankedTensorType::get({t.size}, b.getI64Type());
    memref::GlobalOp::create(b, loc, t.name, b.getStringAttr("private"),
                             t.type, DenseElementsAttr::get(type, positions),
                             /*constant=*/true, IntegerAttr());
  }
  return t;
}

/// The largest i with table[i] <= x (0 when there is none), by a binary
/// search whose steps are fixed by the size: straight-line code, log2(size)
/// loads.
static Value lastAtMost(const GlobalPositions &t, CodeBuilder &cb, Value x) {
  Value base = cb.c64(0);
  for (int64_t len = t.size; len > 1;) {
    int64_t half = len / 2;
    Value probe = cb.add(base, cb.c64(half));
    Value v = loadTable(cb, t.name, t.type, {probe});
    base = cb.select(cb.le(v, x), probe, base);
    len -= half;
  }
  return base;
}

Value mlir::attn::GlobalPositions::contains(CodeBuilder &cb, Value x) const {
  Value v = loadTable(cb, name, type, {lastAtMost(*this, cb, x)});
  return cb.eq(v, x);
}

Value mlir::attn::GlobalPositions::countAtMost(CodeBuilder &cb,
                                               Value x) const {
  Value i = lastAtMost(*this, cb, x);
  Value v = loadTable(cb, name, type, {i});
  return cb.select(cb.le(v, x), cb.add(i, cb.c64(1)), cb.c64(0));
}

BlockTables mlir::attn::getBlockTables(OpBuilder &b, Location loc,
                                       ModuleOp module, BlockLayoutOp op) {
  auto type = cast<ShapedType>(op.getTable().getType());
  int64_t heads = type.getRank() == 3 ? type.getDimSize(0) : 1;
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  SmallVector<bool> bits;
  for (bool v : cast<DenseElementsAttr>(op.getTable()).getValues<bool>())
    bits.push_back(v);
  SmallVector<int8_t> cells(bits.begin(), bits.end());
  SmallVector<int32_t> sums(heads * (rows + 1) * (cols + 1), 0);
  auto at = [&](int64_t h, int64_t r, int64_t c) -> int32_t & {
    return sums[(h * (rows + 1) + r) * (cols + 1) + c];
  };
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        at(h, r + 1, c + 1) = at(h, r, c + 1) + at(h, r + 1, c) -
                              at(h, r, c) + cells[(h * rows + r) * cols + c];
  BlockTables t;
  t.heads = heads;
  t.rows = rows;
  t.cols = cols;
  t.perHead = type.getRank() == 3;
  auto cellType = RankedTensorType::get({heads, rows, cols}, b.getI8Type());
  auto sumType =
      RankedTensorType::get({heads, rows + 1, cols + 1}, b.getI32Type());
  t.cellsType = MemRefType::get(cellType.getShape(), b.getI8Type());
  t.sumsType = MemRefType::get(sumType.getShape(), b.getI32Type());
  // Name the globals after a hash of their contents so both generated
  // functions share them.
  llvm::hash_code hash = llvm::hash_combine_range(cells.begin(), cells.end());
  std::string base = "__attn_layout_" +
                     llvm::utohexstr(static_cast<uint64_t>(hash)) + "_" +
                     std::to_string(heads) + "x" + std::to_string(rows) +
                     "x" + std::to_string(cols);
  t.cellsName = base + "_cells";
  t.sumsName = base + "_sums";
  SymbolTable symbols(module);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  if (!symbols.lookup(t.cellsName))
    memref::GlobalOp::create(
        b, loc, t.cellsName, b.getStringAttr("private"), t.cellsType,
        DenseElementsAttr::get(cellType, ArrayRef<int8_t>(cells)),
        /*constant=*/true, IntegerAttr());
  if (!symbols.lookup(t.sumsName))
    memref::GlobalOp::create(
        b, loc, t.sumsName, b.getStringAttr("private"), t.sumsType,
        DenseElementsAttr::get(sumType, ArrayRef<int32_t>(sums)),
        /*constant=*/true, IntegerAttr());
  return t;
}

//===----------------------------------------------------------------------===//
// Element predicates
//===----------------------------------------------------------------------===//

Value EmptyOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).ci1(false);
}
Value FullOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).ci1(true);
}
Value CausalOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).le(s.k, s.p);
}
Value SlidingOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value w = s.lookup(getWindow());
  return cb.land(cb.le(s.k, s.p), cb.gt(s.k, cb.sub(s.p, w)));
}
Value BandOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value l = s.lookup(getLeft()), r = s.lookup(getRight());
  return cb.land(cb.ge(s.k, cb.sub(s.p, l)), cb.le(s.k, cb.add(s.p, r)));
}
Value SinkOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).lt(s.k, s.lookup(getCount()));
}
Value GlobalOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  ArrayRef<int64_t> positions = getPositions();
  if (positions.size() > kGlobalChainMax) {
    GlobalPositions table = getGlobalPositions(b, s.loc, s.module, *this);
    return cb.lor(table.contains(cb, s.p), table.contains(cb, s.k));
  }
  Value result = cb.ci1(false);
  for (int64_t pos : positions) {
    Value c = cb.c64(pos);
    result = cb.lor(result, cb.lor(cb.eq(s.p, c), cb.eq(s.k, c)));
  }
  return result;
}
Value BlockSlidingOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value bl = s.lookup(getBlock()), w = s.lookup(getWindow());
  Value d = cb.sub(cb.floorDiv(s.p, bl), cb.floorDiv(s.k, bl));
  return cb.land(cb.ge(d, cb.c64(0)), cb.lt(d, w));
}
Value Power2Op::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value bl = s.lookup(getBlock());
  Value d = cb.sub(cb.floorDiv(s.p, bl), cb.floorDiv(s.k, bl));
  return cb.isPow2OrZero(d);
}
Value StripeOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value st = s.lookup(getStride()), w = s.lookup(getWidth()),
        off = s.lookup(getOffset());
  return cb.lt(cb.floorMod(cb.sub(s.k, off), st), w);
}
Value StridedOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value st = s.lookup(getStride());
  return cb.eq(cb.floorMod(cb.sub(s.p, s.k), st), cb.c64(0));
}
Value BlockLayoutOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  BlockTables t = getBlockTables(b, s.loc, s.module, *this);
  Value bl = s.lookup(getBlock());
  Value r = cb.floorDiv(s.p, bl), c = cb.floorDiv(s.k, bl);
  Value hh = t.perHead ? s.h : cb.c64(0);
  Value inside = cb.land(cb.land(cb.ge(r, cb.c64(0)), cb.lt(r, cb.c64(t.rows))),
                         cb.land(cb.ge(c, cb.c64(0)), cb.lt(c, cb.c64(t.cols))));
  inside = cb.land(inside, cb.land(cb.ge(hh, cb.c64(0)),
                                   cb.lt(hh, cb.c64(t.heads))));
  // Clamp so the load stays in bounds; the result is masked by `inside`.
  auto clamp = [&](Value v, int64_t hi) {
    return cb.max(cb.c64(0), cb.min(v, cb.c64(hi - 1)));
  };
  Value cell = loadTable(cb, t.cellsName, t.cellsType,
                         {clamp(hh, t.heads), clamp(r, t.rows),
                          clamp(c, t.cols)});
  return cb.land(inside, cb.ne(cell, cb.c64(0)));
}
Value BigBirdOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  BigBirdParams bp{s.lookup(getBlock()), s.lookup(getWindow()),
                   s.lookup(getGlobals()), s.lookup(getRandom()),
                   s.lookup(getSeed())};
  Value r = cb.floorDiv(s.p, bp.block), c = cb.floorDiv(s.k, bp.block);
  // A few random blocks: the threshold in one pass (R slots).
  if (std::optional<int64_t> R = getConstantIntValue(bp.random);
      R && *R >= 1 && *R <= 8) {
    auto [thrKey, thrC] = bp.threshold(cb, s.h, r, bp.numKeyBlocks(cb, s.nk));
    return bp.allowed(cb, s.h, r, c, thrKey, thrC);
  }
  // Else the rank of c among the row's candidates: one pass over the key
  // blocks whatever `random` is (none when every candidate is chosen).
  Value fixed = bp.fixedAllowed(cb, r, c);
  auto ifOp = scf::IfOp::create(
      b, s.loc, fixed,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, ValueRange{CodeBuilder(tb, tl).ci1(true)});
      },
      [&](OpBuilder &eb, Location el) {
        CodeBuilder ecb(eb, el);
        Value chosen =
            bp.chosen(ecb, s.h, r, c, bp.numKeyBlocks(ecb, s.nk));
        scf::YieldOp::create(eb, el, ValueRange{chosen});
      });
  return ifOp.getResult(0);
}
Value Window2dOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  int64_t width = getGrid()[1];
  GridCoords q = gridCoords(cb, s.p, width), k = gridCoords(cb, s.k, width);
  Value wh = s.lookup(getHeight()), ww = s.lookup(getWidth()),
        sh = s.lookup(getShift());
  auto same = [&](Value a, Value c, Value size) {
    return cb.eq(cb.floorDiv(cb.sub(a, sh), size),
                 cb.floorDiv(cb.sub(c, sh), size));
  };
  return cb.land(same(q.y, k.y, wh), same(q.x, k.x, ww));
}
Value NeighborhoodOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  ArrayRef<int64_t> grid = getGrid();
  GridCoords q = gridCoords(cb, s.p, grid[1]), k = gridCoords(cb, s.k, grid[1]);
  auto axis = [&](Value qc, Value kc, Value size, int64_t extent) {
    Value start = neighborhoodStart(cb, qc, size, extent);
    return cb.land(cb.ge(kc, start), cb.lt(kc, cb.add(start, size)));
  };
  return cb.land(axis(q.y, k.y, s.lookup(getHeight()), grid[0]),
                 axis(q.x, k.x, s.lookup(getWidth()), grid[1]));
}
Value mlir::attn::neighborhoodStart(CodeBuilder &cb, Value coord, Value size,
                                    int64_t extent) {
  Value start = cb.sub(coord, cb.floorDiv(size, cb.c64(2)));
  return cb.max(cb.c64(0), cb.min(start, cb.sub(cb.c64(extent), size)));
}
Value AxialOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  int64_t width = getGrid()[1];
  GridCoords q = gridCoords(cb, s.p, width), k = gridCoords(cb, s.k, width);
  return cb.lor(cb.eq(q.y, k.y), cb.eq(q.x, k.x));
}
Value UnionOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).lor(s.lookup(getLhs()), s.lookup(getRhs()));
}
Value IntersectOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).land(s.lookup(getLhs()), s.lookup(getRhs()));
}
Value ComplementOp::buildElement(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).lnot(s.lookup(getInput()));
}
Value DifferenceOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  return cb.land(s.lookup(getLhs()), cb.lnot(s.lookup(getRhs())));
}

Value mlir::attn::selectByHead(CodeBuilder &cb, SelectHeadsOp op, Value h,
                               ArrayRef<Value> values) {
  ArrayRef<int64_t> bounds = op.getBounds();
  Value result = values.back();
  for (int i = static_cast<int>(values.size()) - 2; i >= 0; --i)
    result = cb.select(cb.lt(h, cb.c64(bounds[i + 1])), values[i], result);
  return result;
}
Value SelectHeadsOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  SmallVector<Value> values;
  for (Value m : getMasks())
    values.push_back(s.lookup(m));
  return selectByHead(cb, *this, s.h, values);
}
Value PredicateOp::buildElement(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Block &block = getBody().front();
  SmallVector<Value> args = {s.q, s.k, s.h, s.b, s.p};
  if (auto grid = getGrid()) {
    GridCoords q = gridCoords(cb, s.p, (*grid)[1]),
               k = gridCoords(cb, s.k, (*grid)[1]);
    args.append({q.y, q.x, k.y, k.x});
  }
  for (auto [arg, v] : llvm::zip(block.getArguments(), args))
    s.mapping.map(arg, v);
  for (Operation &op : block.without_terminator())
    b.clone(op, s.mapping);
  return s.lookup(cast<YieldOp>(block.getTerminator()).getValue());
}
