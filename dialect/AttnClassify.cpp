//===- AttnClassify.cpp - tile classification of the attn pattern ops -----===//
//
// For a tile q in [q0, q1), k in [k0, k1) every pattern op emits its class:
// EMPTY (0), PARTIAL (1) or FULL (2). Primitives are exact: they reason on
// the ranges of the derived quantities (p - k, block distances, residues),
// which take every value between their bounds over a rectangle. Grid
// primitives split a flat token range into at most three rectangles of the
// grid. attn.predicate is classified soundly by interval arithmetic.
//
//===----------------------------------------------------------------------===//
#include "dialect/AttnCodegenUtils.h"
#include "dialect/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

/// BigBird ranges of more blocks than this classify as PARTIAL.
static constexpr int64_t kBigBirdExactBlocks = 4096;

namespace {
/// Inclusive bounds of the aligned query and key ranges of a tile.
struct TileBounds {
  Value pa, pb, ka, kb;
};
TileBounds bounds(CodeBuilder &cb, CodegenState &s) {
  Value one = cb.c64(1);
  return {s.p0, cb.sub(s.p1, one), s.k0, cb.sub(s.k1, one)};
}

/// Class of "lo <= d <= hi for every d in [dlo, dhi]" over a range of d that
/// takes every value between its bounds.
Value rangeClass(CodeBuilder &cb, Value dlo, Value dhi, Value lo, Value hi) {
  Value full = cb.land(cb.ge(dlo, lo), cb.le(dhi, hi));
  Value empty = cb.lor(cb.lt(dhi, lo), cb.gt(dlo, hi));
  return cb.tileClass(full, empty);
}
} // namespace

Value EmptyOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).ci8(0);
}
Value FullOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).ci8(2);
}
Value CausalOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  return cb.tileClass(cb.le(t.kb, t.pa), cb.gt(t.ka, t.pb));
}
Value SlidingOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  Value w = s.lookup(getWindow());
  return rangeClass(cb, cb.sub(t.pa, t.kb), cb.sub(t.pb, t.ka), cb.c64(0),
                    cb.sub(w, cb.c64(1)));
}
Value BandOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  Value l = s.lookup(getLeft()), r = s.lookup(getRight());
  return rangeClass(cb, cb.sub(t.pa, t.kb), cb.sub(t.pb, t.ka),
                    cb.sub(cb.c64(0), r), l);
}
Value SinkOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  Value n = s.lookup(getCount());
  return cb.tileClass(cb.lt(t.kb, n), cb.ge(t.ka, n));
}
Value GlobalOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  Value one = cb.c64(1);
  if (getPositions().size() > kGlobalChainMax) {
    // Positions in [lo, hi] by two binary searches of the sorted table.
    GlobalPositions table = getGlobalPositions(b, s.loc, s.module, *this);
    auto count = [&](Value lo, Value hi) {
      return cb.sub(table.countAtMost(cb, hi),
                    table.countAtMost(cb, cb.sub(lo, one)));
    };
    Value inP = count(t.pa, t.pb), inK = count(t.ka, t.kb);
    Value full = cb.lor(cb.eq(inP, cb.add(cb.sub(t.pb, t.pa), one)),
                        cb.eq(inK, cb.add(cb.sub(t.kb, t.ka), one)));
    Value empty = cb.land(cb.eq(inP, cb.c64(0)), cb.eq(inK, cb.c64(0)));
    return cb.tileClass(full, empty);
  }
  Value inP = cb.c64(0), inK = cb.c64(0);
  auto count = [&](Value acc, Value lo, Value hi, Value c) {
    Value in = cb.land(cb.ge(c, lo), cb.le(c, hi));
    return cb.add(acc, arith::ExtUIOp::create(b, s.loc, b.getI64Type(), in));
  };
  for (int64_t pos : getPositions()) {
    Value c = cb.c64(pos);
    inP = count(inP, t.pa, t.pb, c);
    inK = count(inK, t.ka, t.kb, c);
  }
  Value full = cb.lor(cb.eq(inP, cb.add(cb.sub(t.pb, t.pa), one)),
                      cb.eq(inK, cb.add(cb.sub(t.kb, t.ka), one)));
  Value empty = cb.land(cb.eq(inP, cb.c64(0)), cb.eq(inK, cb.c64(0)));
  return cb.tileClass(full, empty);
}

/// Range of the block distance p/B - k/B over the tile.
static std::pair<Value, Value> blockDistance(CodeBuilder &cb, TileBounds t,
                                             Value block) {
  Value lo = cb.sub(cb.floorDiv(t.pa, block), cb.floorDiv(t.kb, block));
  Value hi = cb.sub(cb.floorDiv(t.pb, block), cb.floorDiv(t.ka, block));
  return {lo, hi};
}

Value BlockSlidingOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  auto [lo, hi] = blockDistance(cb, bounds(cb, s), s.lookup(getBlock()));
  return rangeClass(cb, lo, hi, cb.c64(0),
                    cb.sub(s.lookup(getWindow()), cb.c64(1)));
}
Value Power2Op::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  auto [lo, hi] = blockDistance(cb, bounds(cb, s), s.lookup(getBlock()));
  // Allowed distances: 0, 1, 2, 4, 8, ... The only runs of consecutive
  // allowed values lie in [0, 2]; any other full range is a single point.
  Value zero = cb.c64(0);
  Value full = cb.land(cb.ge(lo, zero),
                       cb.lor(cb.le(hi, cb.c64(2)),
                              cb.land(cb.eq(lo, hi), cb.isPow2OrZero(lo))));
  Value lo0 = cb.max(lo, zero);
  Value noneAbove = cb.land(cb.gt(lo0, zero), cb.lt(cb.highestPow2(hi), lo0));
  Value empty = cb.lor(cb.lt(hi, zero), noneAbove);
  return cb.tileClass(full, empty);
}
Value StripeOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  Value st = s.lookup(getStride()), w = s.lookup(getWidth()),
        off = s.lookup(getOffset());
  Value one = cb.c64(1);
  Value len = cb.add(cb.sub(t.kb, t.ka), one);
  Value m = cb.floorMod(cb.sub(t.ka, off), st);
  Value last = cb.add(m, cb.sub(len, one));
  // Residues cover everything, or wrap around (then contain 0 and s - 1).
  Value wraps = cb.lor(cb.ge(len, st), cb.ge(last, st));
  Value full = cb.select(wraps, cb.ge(w, st), cb.lt(last, w));
  Value empty = cb.select(wraps, cb.le(w, cb.c64(0)), cb.ge(m, w));
  return cb.tileClass(full, empty);
}
Value StridedOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  Value st = s.lookup(getStride());
  Value lo = cb.sub(t.pa, t.kb), hi = cb.sub(t.pb, t.ka);
  Value zero = cb.c64(0);
  Value full = cb.lor(cb.eq(st, cb.c64(1)),
                      cb.land(cb.eq(lo, hi), cb.eq(cb.floorMod(lo, st), zero)));
  Value empty = cb.lt(cb.mul(cb.floorDiv(hi, st), st), lo);
  return cb.tileClass(full, empty);
}
Value BlockLayoutOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  BlockTables tab = getBlockTables(b, s.loc, s.module, *this);
  Value bl = s.lookup(getBlock());
  Value zero = cb.c64(0), one = cb.c64(1);
  Value ra = cb.floorDiv(t.pa, bl), rb = cb.floorDiv(t.pb, bl);
  Value ca = cb.floorDiv(t.ka, bl), cbk = cb.floorDiv(t.kb, bl);
  Value hh = tab.perHead ? s.h : zero;
  Value headOk = cb.land(cb.ge(hh, zero), cb.lt(hh, cb.c64(tab.heads)));
  // Blocks outside the table are false: count ones in the clipped range.
  Value r0 = cb.max(ra, zero), r1 = cb.min(rb, cb.c64(tab.rows - 1));
  Value c0 = cb.max(ca, zero), c1 = cb.min(cbk, cb.c64(tab.cols - 1));
  Value nonEmpty = cb.land(headOk, cb.land(cb.le(r0, r1), cb.le(c0, c1)));
  auto clampTo = [&](Value v, int64_t hi) {
    return cb.max(zero, cb.min(v, cb.c64(hi)));
  };
  Value hs = clampTo(hh, tab.heads - 1);
  auto sum = [&](Value r, Value c) {
    return loadTable(cb, tab.sumsName, tab.sumsType,
                     {hs, clampTo(r, tab.rows), clampTo(c, tab.cols)});
  };
  Value r1p = cb.add(r1, one), c1p = cb.add(c1, one);
  Value ones = cb.add(cb.sub(sum(r1p, c1p), cb.add(sum(r0, c1p), sum(r1p, c0))),
                      sum(r0, c0));
  ones = cb.select(nonEmpty, ones, zero);
  // Full only when every block of the tile is inside the table (outside ones
  // are false); then the area is that of the clipped range, which cannot
  // overflow (the unclipped one can, on a 2^40-token tile of 1-token blocks).
  Value inside = cb.land(cb.land(cb.ge(ra, zero), cb.lt(rb, cb.c64(tab.rows))),
                         cb.land(cb.ge(ca, zero), cb.lt(cbk, cb.c64(tab.cols))));
  Value area = cb.mul(cb.add(cb.sub(r1, r0), one), cb.add(cb.sub(c1, c0), one));
  Value full = cb.land(cb.land(nonEmpty, inside), cb.eq(ones, area));
  return cb.tileClass(full, cb.eq(ones, zero));
}
Value BigBirdOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  BigBirdParams bp{s.lookup(getBlock()), s.lookup(getWindow()),
                   s.lookup(getGlobals()), s.lookup(getRandom()),
                   s.lookup(getSeed())};
  Value ra = cb.floorDiv(t.pa, bp.block), rb = cb.floorDiv(t.pb, bp.block);
  Value ca = cb.floorDiv(t.ka, bp.block), ce = cb.floorDiv(t.kb, bp.block);
  Value nkb = bp.numKeyBlocks(cb, s.nk);
  Value one = cb.c64(1);
  // Counting is exact but costs O(blocks); a range wider than this (the
  // block-map builder's first, coarse queries) is PARTIAL, which is sound.
  // Each side is bounded first, so that the product cannot overflow.
  Value rows = cb.add(cb.sub(rb, ra), one), cols = cb.add(cb.sub(ce, ca), one);
  Value limit = cb.c64(kBigBirdExactBlocks);
  Value small = cb.land(cb.land(cb.le(rows, limit), cb.le(cols, limit)),
                        cb.le(cb.mul(cb.min(rows, limit), cb.min(cols, limit)),
                              limit));
  Value area = cb.mul(cb.min(rows, limit), cb.min(cols, limit));
  auto ifOp = scf::IfOp::create(
      b, s.loc, small,
      [&](OpBuilder &tb, Location tl) {
        CodeBuilder tcb(tb, tl);
        // Count allowed blocks row by row (a tile spans few block rows).
        auto rows = scf::ForOp::create(
            tb, tl, ra, tcb.add(rb, tcb.c64(1)), tcb.c64(1),
            ValueRange{tcb.c64(0)},
            [&](OpBuilder &rb2, Location l, Value r, ValueRange acc) {
              CodeBuilder rcb(rb2, l);
              auto [thrKey, thrC] = bp.threshold(rcb, s.h, r, nkb);
              auto cols = scf::ForOp::create(
                  rb2, l, ca, rcb.add(ce, rcb.c64(1)), rcb.c64(1),
                  ValueRange{acc[0]},
                  [&](OpBuilder &cbld, Location cl, Value c, ValueRange cacc) {
                    CodeBuilder ccb(cbld, cl);
                    Value ok = bp.allowed(ccb, s.h, r, c, thrKey, thrC);
                    Value inc =
                        arith::ExtUIOp::create(cbld, cl, cbld.getI64Type(), ok);
                    scf::YieldOp::create(cbld, cl,
                                         ValueRange{ccb.add(cacc[0], inc)});
                  });
              scf::YieldOp::create(rb2, l, cols.getResults());
            });
        Value allowed = rows.getResult(0);
        scf::YieldOp::create(tb, tl,
                             tcb.tileClass(tcb.eq(allowed, area),
                                           tcb.eq(allowed, tcb.c64(0))));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(eb, el, CodeBuilder(eb, el).ci8(1));
      });
  return ifOp.getResult(0);
}

//===----------------------------------------------------------------------===//
// Grid primitives: a flat range is at most three grid rectangles
//===----------------------------------------------------------------------===//

namespace {
struct Rect {
  Value valid, y0, y1, x0, x1; // inclusive
};
/// Splits the inclusive flat range [a, b] of a row-major grid of `width`.
std::array<Rect, 3> splitRange(CodeBuilder &cb, Value a, Value b,
                               int64_t width) {
  GridCoords ca = gridCoords(cb, a, width), cbb = gridCoords(cb, b, width);
  Value one = cb.c64(1), zero = cb.c64(0), last = cb.c64(width - 1);
  Value sameRow = cb.eq(ca.y, cbb.y);
  Rect first{cb.ci1(true), ca.y, ca.y, ca.x, cb.select(sameRow, cbb.x, last)};
  Rect middle{cb.ge(cb.sub(cbb.y, ca.y), cb.c64(2)), cb.add(ca.y, one),
              cb.sub(cbb.y, one), zero, last};
  Rect final{cb.lnot(sameRow), cbb.y, cbb.y, zero, cbb.x};
  return {first, middle, final};
}

using RectClassifier = llvm::function_ref<Value(const Rect &, const Rect &)>;
Value classifyGrid(CodeBuilder &cb, CodegenState &s, int64_t width,
                   RectClassifier classify) {
  TileBounds t = bounds(cb, s);
  auto qs = splitRange(cb, t.pa, t.pb, width);
  auto ks = splitRange(cb, t.ka, t.kb, width);
  SmallVector<std::pair<Value, Value>> parts;
  for (const Rect &qr : qs)
    for (const Rect &kr : ks)
      parts.push_back({cb.land(qr.valid, kr.valid), classify(qr, kr)});
  return cb.classMerge(parts);
}
} // namespace

Value Window2dOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  Value wh = s.lookup(getHeight()), ww = s.lookup(getWidth()),
        sh = s.lookup(getShift());
  auto axis = [&](Value q0, Value q1, Value k0, Value k1, Value size,
                  Value &full, Value &empty) {
    auto win = [&](Value v) { return cb.floorDiv(cb.sub(v, sh), size); };
    Value wq0 = win(q0), wq1 = win(q1), wk0 = win(k0), wk1 = win(k1);
    full = cb.land(cb.land(cb.eq(wq0, wq1), cb.eq(wk0, wk1)), cb.eq(wq0, wk0));
    empty = cb.lor(cb.lt(wq1, wk0), cb.lt(wk1, wq0));
  };
  return classifyGrid(cb, s, getGrid()[1], [&](const Rect &q, const Rect &k) {
    Value fy, ey, fx, ex;
    axis(q.y0, q.y1, k.y0, k.y1, wh, fy, ey);
    axis(q.x0, q.x1, k.x0, k.x1, ww, fx, ex);
    return cb.tileClass(cb.land(fy, fx), cb.lor(ey, ex));
  });
}
Value NeighborhoodOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  ArrayRef<int64_t> grid = getGrid();
  Value kh = s.lookup(getHeight()), kw = s.lookup(getWidth());
  // The window start is non-decreasing in the query coordinate and moves by
  // at most one, so the union of windows is contiguous.
  auto axis = [&](Value q0, Value q1, Value k0, Value k1, Value size,
                  int64_t extent, Value &full, Value &empty) {
    Value s0 = neighborhoodStart(cb, q0, size, extent);
    Value s1 = neighborhoodStart(cb, q1, size, extent);
    full = cb.land(cb.le(s1, k0), cb.lt(k1, cb.add(s0, size)));
    empty = cb.lor(cb.lt(k1, s0), cb.ge(k0, cb.add(s1, size)));
  };
  return classifyGrid(cb, s, grid[1], [&](const Rect &q, const Rect &k) {
    Value fy, ey, fx, ex;
    axis(q.y0, q.y1, k.y0, k.y1, kh, grid[0], fy, ey);
    axis(q.x0, q.x1, k.x0, k.x1, kw, grid[1], fx, ex);
    return cb.tileClass(cb.land(fy, fx), cb.lor(ey, ex));
  });
}
Value AxialOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  auto axis = [&](Value q0, Value q1, Value k0, Value k1, Value &full,
                  Value &empty) {
    full = cb.land(cb.land(cb.eq(q0, q1), cb.eq(k0, k1)), cb.eq(q0, k0));
    empty = cb.lor(cb.lt(q1, k0), cb.lt(k1, q0));
  };
  return classifyGrid(cb, s, getGrid()[1], [&](const Rect &q, const Rect &k) {
    Value fy, ey, fx, ex;
    axis(q.y0, q.y1, k.y0, k.y1, fy, ey);
    axis(q.x0, q.x1, k.x0, k.x1, fx, ex);
    return cb.tileClass(cb.lor(fy, fx), cb.land(ey, ex));
  });
}

//===----------------------------------------------------------------------===//
// Combinators: three-valued logic
//===----------------------------------------------------------------------===//

Value UnionOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).classUnion(s.lookup(getLhs()),
                                          s.lookup(getRhs()));
}
Value IntersectOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).classIntersect(s.lookup(getLhs()),
                                              s.lookup(getRhs()));
}
Value ComplementOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  return CodeBuilder(b, s.loc).classComplement(s.lookup(getInput()));
}
Value DifferenceOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  return cb.classIntersect(s.lookup(getLhs()),
                           cb.classComplement(s.lookup(getRhs())));
}
Value SelectHeadsOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  SmallVector<Value> values;
  for (Value m : getMasks())
    values.push_back(s.lookup(m));
  return selectByHead(cb, *this, s.h, values);
}

//===----------------------------------------------------------------------===//
// attn.predicate: interval arithmetic over its body
//===----------------------------------------------------------------------===//

namespace {
/// Emits [lo, hi] bounds for every value of a predicate body. Values whose
/// op is not understood get the widest bounds, which keeps the result sound.
class IntervalEmitter {
public:
  IntervalEmitter(CodeBuilder &cb, CodegenState &s) : cb(cb), s(s) {}

  using Interval = std::pair<Value, Value>;

  void bind(Value v, Value lo, Value hi) { bounds[v] = {lo, hi}; }

  Interval get(Value v) {
    if (auto it = bounds.find(v); it != bounds.end())
      return it->second;
    // A value of the enclosing pattern: a known point.
    Value e = s.lookup(v);
    if (e && e.getType().isInteger(64))
      return {e, e};
    if (e && e.getType().isInteger(1)) {
      Value x = arith::ExtUIOp::create(cb.b, cb.loc, cb.b.getI64Type(), e);
      return {x, x};
    }
    return top(v.getType());
  }

  /// Any value of the type: no bound is assumed for what is not understood
  /// (attn-check-ranges refuses arithmetic on such values).
  Interval top(Type t) {
    if (t.isInteger(1))
      return {cb.c64(0), cb.c64(1)};
    return {cb.c64(INT64_MIN), cb.c64(INT64_MAX)};
  }

  void emit(Operation &op);

private:
  Value isPoint(Interval i) { return cb.eq(i.first, i.second); }
  /// max(|lo|, |hi|); exact because attn-check-ranges keeps bounds of
  /// arithmetic within +-2^62.
  Value maxAbs(Interval i) {
    Value zero = cb.c64(0);
    return cb.max(cb.max(i.first, cb.sub(zero, i.first)),
                  cb.max(i.second, cb.sub(zero, i.second)));
  }
  Interval hull(Interval a, Interval b) {
    return {cb.min(a.first, b.first), cb.max(a.second, b.second)};
  }
  Interval corners(Interval a, Interval b,
                   llvm::function_ref<Value(Value, Value)> f) {
    Value v1 = f(a.first, b.first), v2 = f(a.first, b.second),
          v3 = f(a.second, b.first), v4 = f(a.second, b.second);
    return {cb.min(cb.min(v1, v2), cb.min(v3, v4)),
            cb.max(cb.max(v1, v2), cb.max(v3, v4))};
  }
  Interval boolean(Value certainTrue, Value certainFalse) {
    Value lo = arith::ExtUIOp::create(cb.b, cb.loc, cb.b.getI64Type(),
                                      certainTrue);
    Value hi = arith::ExtUIOp::create(cb.b, cb.loc, cb.b.getI64Type(),
                                      cb.lnot(certainFalse));
    return {lo, hi};
  }
  Interval compare(arith::CmpIPredicate pred, Interval a, Interval b);
  std::optional<Interval> matchFloorMod(arith::SubIOp op);

  CodeBuilder &cb;
  CodegenState &s;
  DenseMap<Value, Interval> bounds;
};
} // namespace

IntervalEmitter::Interval
IntervalEmitter::compare(arith::CmpIPredicate pred, Interval a, Interval b) {
  using P = arith::CmpIPredicate;
  auto [alo, ahi] = a;
  auto [blo, bhi] = b;
  switch (pred) {
  case P::slt:
    return boolean(cb.lt(ahi, blo), cb.ge(alo, bhi));
  case P::sle:
    return boolean(cb.le(ahi, blo), cb.gt(alo, bhi));
  case P::sgt:
    return boolean(cb.gt(alo, bhi), cb.le(ahi, blo));
  case P::sge:
    return boolean(cb.ge(alo, bhi), cb.lt(ahi, blo));
  case P::eq:
  case P::ne: {
    Value sure = cb.land(cb.land(isPoint(a), isPoint(b)), cb.eq(alo, blo));
    Value never = cb.lor(cb.lt(ahi, blo), cb.lt(bhi, alo));
    return pred == P::eq ? boolean(sure, never) : boolean(never, sure);
  }
  default: {
    // Unsigned predicates agree with signed ones on non-negative values.
    Value nonNeg = cb.land(cb.ge(alo, cb.c64(0)), cb.ge(blo, cb.c64(0)));
    P signedPred = pred == P::ult   ? P::slt
                   : pred == P::ule ? P::sle
                   : pred == P::ugt ? P::sgt
                                    : P::sge;
    Interval r = compare(signedPred, a, b);
    return {cb.select(nonNeg, r.first, cb.c64(0)),
            cb.select(nonNeg, r.second, cb.c64(1))};
  }
  }
}

/// x - floordiv(x, m) * m is the floor remainder: in [0, m - 1] for m > 0,
/// exact when x stays within one period; in general between 0 and m - 1 or
/// m + 1, and x itself where m may be 0 (the rules of attn-check-ranges).
std::optional<IntervalEmitter::Interval>
IntervalEmitter::matchFloorMod(arith::SubIOp op) {
  auto xm = mlir::attn::matchFloorMod(op);
  if (!xm)
    return std::nullopt;
  Value zero = cb.c64(0), one = cb.c64(1);
  Interval xi = get(xm->first), mi = get(xm->second);
  Value mpos = cb.land(isPoint(mi), cb.gt(mi.first, zero));
  Value safeM = cb.select(mpos, mi.first, one);
  Value sameP =
      cb.eq(cb.floorDiv(xi.first, safeM), cb.floorDiv(xi.second, safeM));
  Value exact = cb.land(mpos, sameP);
  Value lo = cb.select(exact, cb.floorMod(xi.first, safeM), zero);
  Value hi = cb.select(exact, cb.floorMod(xi.second, safeM),
                       cb.sub(safeM, one));
  Interval general = {cb.min(zero, cb.add(mi.first, one)),
                      cb.max(zero, cb.sub(mi.second, one))};
  Value mayBeZero = cb.land(cb.le(mi.first, zero), cb.ge(mi.second, zero));
  general = {cb.select(mayBeZero, cb.min(general.first, xi.first),
                       general.first),
             cb.select(mayBeZero, cb.max(general.second, xi.second),
                       general.second)};
  return Interval{cb.select(mpos, lo, general.first),
                  cb.select(mpos, hi, general.second)};
}

void IntervalEmitter::emit(Operation &op) {
  auto result = [&](Interval i) { bounds[op.getResult(0)] = i; };
  auto exactOr = [&](Interval approx) {
    // When every operand is a point, compute the exact value.
    Value allPoints = cb.ci1(true);
    SmallVector<Value> points;
    for (Value operand : op.getOperands()) {
      Interval i = get(operand);
      allPoints = cb.land(allPoints, isPoint(i));
      Value v = i.first;
      if (operand.getType().isInteger(1))
        v = arith::TruncIOp::create(cb.b, cb.loc, cb.b.getI1Type(), v);
      else if (!operand.getType().isInteger(64))
        return result(approx);
      points.push_back(v);
    }
    IRMapping map;
    for (auto [operand, v] : llvm::zip(op.getOperands(), points))
      map.map(operand, v);
    Operation *clone = cb.b.clone(op, map);
    Value exact = clone->getResult(0);
    if (exact.getType().isInteger(1))
      exact = arith::ExtUIOp::create(cb.b, cb.loc, cb.b.getI64Type(), exact);
    else if (!exact.getType().isInteger(64))
      return result(approx);
    result({cb.select(allPoints, exact, approx.first),
            cb.select(allPoints, exact, approx.second)});
  };
  bool isBool = op.getNumResults() == 1 && op.getResult(0).getType().isInteger(1);
  llvm::TypeSwitch<Operation *>(&op)
      .Case([&](arith::ConstantOp c) {
        APInt v = cast<IntegerAttr>(c.getValue()).getValue();
        Value x = cb.c64(c.getType().isInteger(1) ? v.getZExtValue()
                                                  : v.getSExtValue());
        result({x, x});
      })
      .Case([&](arith::AddIOp a) {
        auto [l1, h1] = get(a.getLhs());
        auto [l2, h2] = get(a.getRhs());
        result({cb.add(l1, l2), cb.add(h1, h2)});
      })
      .Case([&](arith::SubIOp sOp) {
        if (auto m = matchFloorMod(sOp))
          return result(*m);
        auto [l1, h1] = get(sOp.getLhs());
        auto [l2, h2] = get(sOp.getRhs());
        result({cb.sub(l1, h2), cb.sub(h1, l2)});
      })
      .Case([&](arith::MulIOp m) {
        // floordiv(x, m) * m lies within |m| of x (corners could overflow).
        if (auto xm = matchFloorDivTimes(m)) {
          Interval x = get(xm->first);
          Value d = maxAbs(get(xm->second));
          return result({cb.sub(x.first, d), cb.add(x.second, d)});
        }
        result(corners(get(m.getLhs()), get(m.getRhs()),
                       [&](Value x, Value y) { return cb.mul(x, y); }));
      })
      .Case([&](arith::FloorDivSIOp d) {
        Interval a = get(d.getLhs()), bI = get(d.getRhs());
        // Monotone in each argument while the divisor keeps its sign.
        Value noZero = cb.lor(cb.gt(bI.first, cb.c64(0)),
                              cb.lt(bI.second, cb.c64(0)));
        Interval c = corners(a, bI, [&](Value x, Value y) {
          return cb.floorDiv(x, y);
        });
        // Else |a / b| <= |a| (and a zero divisor gives 0).
        Value m = maxAbs(a);
        result({cb.select(noZero, c.first, cb.sub(cb.c64(0), m)),
                cb.select(noZero, c.second, m)});
      })
      .Case([&](arith::MinSIOp m) {
        Interval a = get(m.getLhs()), bI = get(m.getRhs());
        result({cb.min(a.first, bI.first), cb.min(a.second, bI.second)});
      })
      .Case([&](arith::MaxSIOp m) {
        Interval a = get(m.getLhs()), bI = get(m.getRhs());
        result({cb.max(a.first, bI.first), cb.max(a.second, bI.second)});
      })
      .Case([&](math::AbsIOp a) {
        auto [lo, hi] = get(a.getOperand());
        Value zero = cb.c64(0);
        Value neg = cb.sub(zero, lo), negHi = cb.sub(zero, hi);
        Value rlo = cb.select(cb.ge(lo, zero), lo,
                              cb.select(cb.le(hi, zero), negHi, zero));
        Value rhi = cb.max(neg, hi);
        result({rlo, rhi});
      })
      .Case([&](arith::CmpIOp c) {
        result(compare(c.getPredicate(), get(c.getLhs()), get(c.getRhs())));
      })
      .Case([&](arith::SelectOp sel) {
        auto [clo, chi] = get(sel.getCondition());
        Interval t = get(sel.getTrueValue()), f = get(sel.getFalseValue());
        Interval h = hull(t, f);
        Value one = cb.c64(1), zero = cb.c64(0);
        Value isTrue = cb.eq(clo, one), isFalse = cb.eq(chi, zero);
        result({cb.select(isTrue, t.first, cb.select(isFalse, f.first, h.first)),
                cb.select(isTrue, t.second,
                          cb.select(isFalse, f.second, h.second))});
      })
      .Case([&](arith::AndIOp a) {
        Interval x = get(a.getLhs()), y = get(a.getRhs());
        if (isBool)
          return result({arith::AndIOp::create(cb.b, cb.loc, x.first, y.first),
                         arith::AndIOp::create(cb.b, cb.loc, x.second,
                                               y.second)});
        // Non-negative operands: 0 <= x & y <= min(x, y).
        Value nonNeg = cb.land(cb.ge(x.first, cb.c64(0)),
                               cb.ge(y.first, cb.c64(0)));
        Interval t = top(a.getType());
        exactOr({cb.select(nonNeg, cb.c64(0), t.first),
                 cb.select(nonNeg, cb.min(x.second, y.second), t.second)});
      })
      .Case([&](arith::OrIOp o) {
        Interval x = get(o.getLhs()), y = get(o.getRhs());
        if (isBool)
          return result({arith::OrIOp::create(cb.b, cb.loc, x.first, y.first),
                         arith::OrIOp::create(cb.b, cb.loc, x.second,
                                              y.second)});
        Value nonNeg = cb.land(cb.ge(x.first, cb.c64(0)),
                               cb.ge(y.first, cb.c64(0)));
        Interval t = top(o.getType());
        exactOr({cb.select(nonNeg, cb.max(x.first, y.first), t.first),
                 cb.select(nonNeg, cb.add(x.second, y.second), t.second)});
      })
      .Case([&](arith::XOrIOp x) {
        Interval a = get(x.getLhs()), bI = get(x.getRhs());
        if (isBool) {
          // Certain only when both sides are certain.
          Value certain = cb.land(isPoint(a), isPoint(bI));
          Value v = arith::XOrIOp::create(cb.b, cb.loc, a.first, bI.first);
          return result({cb.select(certain, v, cb.c64(0)),
                         cb.select(certain, v, cb.c64(1))});
        }
        Value nonNeg = cb.land(cb.ge(a.first, cb.c64(0)),
                               cb.ge(bI.first, cb.c64(0)));
        Interval t = top(x.getType());
        exactOr({cb.select(nonNeg, cb.c64(0), t.first),
                 cb.select(nonNeg, cb.add(a.second, bI.second), t.second)});
      })
      .Case([&](arith::ExtUIOp e) {
        result(get(e.getIn()));
      })
      .Case([&](arith::ExtSIOp e) {
        Interval i = get(e.getIn());
        if (e.getIn().getType().isInteger(1))
          return result({cb.sub(cb.c64(0), i.second),
                         cb.sub(cb.c64(0), i.first)});
        result(i);
      })
      .Case([&](math::CountLeadingZerosOp c) {
        auto [lo, hi] = get(c.getOperand());
        Value pos = cb.gt(lo, cb.c64(0));
        Value clo = math::CountLeadingZerosOp::create(cb.b, cb.loc, hi);
        Value chi = math::CountLeadingZerosOp::create(cb.b, cb.loc, lo);
        result({cb.select(pos, clo, cb.c64(0)),
                cb.select(pos, chi, cb.c64(64))});
      })
      .Default([&](Operation *other) {
        if (other->getNumResults() == 1 &&
            (other->getResult(0).getType().isInteger(64) ||
             other->getResult(0).getType().isInteger(1)))
          return exactOr(top(other->getResult(0).getType()));
        for (Value r : other->getResults())
          bounds[r] = top(r.getType());
      });
}

Value PredicateOp::buildTileClass(OpBuilder &b, CodegenState &s) {
  CodeBuilder cb(b, s.loc);
  TileBounds t = bounds(cb, s);
  IntervalEmitter iv(cb, s);
  Block &block = getBody().front();
  Value one = cb.c64(1);
  SmallVector<std::pair<Value, Value>> args = {
      {s.q0, cb.sub(s.q1, one)}, {t.ka, t.kb}, {s.h, s.h}, {s.b, s.b},
      {t.pa, t.pb}};
  if (auto grid = getGrid()) {
    int64_t w = (*grid)[1];
    auto axes = [&](Value lo, Value hi) {
      GridCoords a = gridCoords(cb, lo, w), z = gridCoords(cb, hi, w);
      Value sameRow = cb.eq(a.y, z.y);
      args.push_back({a.y, z.y});
      return std::pair<Value, Value>{cb.select(sameRow, a.x, cb.c64(0)),
                                     cb.select(sameRow, z.x, cb.c64(w - 1))};
    };
    auto qx = axes(t.pa, t.pb);
    auto ky = gridCoords(cb, t.ka, w).y, ky1 = gridCoords(cb, t.kb, w).y;
    args.push_back(qx);
    args.push_back({ky, ky1});
    Value kSame = cb.eq(ky, ky1);
    args.push_back({cb.select(kSame, gridCoords(cb, t.ka, w).x, cb.c64(0)),
                    cb.select(kSame, gridCoords(cb, t.kb, w).x,
                              cb.c64(w - 1))});
  }
  for (auto [arg, range] : llvm::zip(block.getArguments(), args))
    iv.bind(arg, range.first, range.second);
  for (Operation &op : block.without_terminator())
    iv.emit(op);
  auto [lo, hi] = iv.get(cast<YieldOp>(block.getTerminator()).getValue());
  return cb.tileClass(cb.eq(lo, one), cb.eq(hi, cb.c64(0)));
}
