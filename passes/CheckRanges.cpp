//===- CheckRanges.cpp - attn-check-ranges ---------------------------------===//
//
// Interval analysis of every integer of a pattern, in 128-bit arithmetic (so
// that the bounds themselves never overflow), over every shape attnc accepts
// (dialect/AttnLimits.h). It proves that the index arithmetic stays within
// [-2^62, 2^62]: then the 64-bit code of every backend is exact, all of them
// compute the same mask, and the generated tile classifiers' own interval
// arithmetic (whose values are bounds of the same expressions) cannot
// overflow either. Only arithmetic results need the bound: comparisons,
// selections, min and max never overflow, whatever their operands.
//
// Errors are reported in the user's file: a primitive argument that came
// through a pattern call at that call's argument (attn-inline-patterns leaves
// an `attn.origins` note on the primitive, removed here), anything else in
// an inlined pattern at the outermost call.
//
//===----------------------------------------------------------------------===//
#include "dialect/AttnCodegenUtils.h"
#include "dialect/AttnLimits.h"
#include "dialect/AttnPrimitives.h"
#include "passes/Passes.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCHECKRANGESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
namespace lim = ::attn::limits;

namespace {

using Int = __int128;

struct Range {
  Int lo, hi;
  bool isPoint() const { return lo == hi; }
};

constexpr Int kI64Min = INT64_MIN, kI64Max = INT64_MAX;
constexpr Int kBound = lim::kMaxIndexValue;

Range fullRange() { return {kI64Min, kI64Max}; }
Range hull(Range a, Range b) {
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}
Int absInt(Int v) { return v < 0 ? -v : v; }
Int maxAbs(Range r) { return std::max(absInt(r.lo), absInt(r.hi)); }

std::string toString(Int v) {
  if (v == 0)
    return "0";
  bool negative = v < 0;
  auto u = negative ? static_cast<unsigned __int128>(0) -
                          static_cast<unsigned __int128>(v)
                    : static_cast<unsigned __int128>(v);
  std::string s;
  for (; u; u /= 10)
    s.insert(s.begin(), char('0' + int(u % 10)));
  return negative ? "-" + s : s;
}

Int floorDivInt(Int a, Int b) {
  Int q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// Extremes of f over the four corners (exact for functions monotone in
/// each argument over the ranges).
Range corners(Range a, Range b, llvm::function_ref<Int(Int, Int)> f) {
  Int v[] = {f(a.lo, b.lo), f(a.lo, b.hi), f(a.hi, b.lo), f(a.hi, b.hi)};
  return {*std::min_element(v, v + 4), *std::max_element(v, v + 4)};
}

std::optional<int64_t> constantOf(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
      return i.getType().isInteger(1) ? int64_t(i.getValue().getZExtValue())
                                      : i.getValue().getSExtValue();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Expressions as the user wrote them (for messages)
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kIndexNames[] = {"q",  "k",  "h",  "b", "p",
                                               "qy", "qx", "ky", "kx"};

std::string exprText(Value v, unsigned depth = 0);

std::string operandText(Value v, unsigned depth) {
  std::string s = exprText(v, depth + 1);
  Operation *def = v.getDefiningOp();
  bool atomic = !def || isa<arith::ConstantOp, arith::MinSIOp, arith::MaxSIOp,
                            math::AbsIOp>(def);
  return atomic ? s : "(" + s + ")";
}

std::string exprText(Value v, unsigned depth) {
  if (depth > 4)
    return "...";
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *owner = arg.getOwner()->getParentOp();
    if (isa_and_nonnull<PredicateOp>(owner) && arg.getArgNumber() < 9)
      return kIndexNames[arg.getArgNumber()].str();
    if (auto p = dyn_cast_or_null<PatternOp>(owner))
      if (arg.getArgNumber() < p.getNumParams())
        return p.getParamName(arg.getArgNumber()).str();
    return "?";
  }
  Operation *op = v.getDefiningOp();
  auto bin = [&](Value a, llvm::StringRef sym, Value b) {
    return operandText(a, depth) + " " + sym.str() + " " +
           operandText(b, depth);
  };
  auto call = [&](llvm::StringRef name, ValueRange args) {
    std::string s = name.str() + "(";
    for (auto [i, a] : llvm::enumerate(args))
      s += (i ? ", " : "") + exprText(a, depth + 1);
    return s + ")";
  };
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([&](arith::ConstantOp c) -> std::string {
        // A value bound by attn-bind-parameters carries the parameter name.
        if (auto name = dyn_cast<NameLoc>(c.getLoc()))
          return name.getName().str();
        if (auto x = constantOf(c))
          return c.getType().isInteger(1) ? (*x ? "true" : "false")
                                          : std::to_string(*x);
        return "?";
      })
      .Case([&](arith::AddIOp o) { return bin(o.getLhs(), "+", o.getRhs()); })
      .Case([&](arith::SubIOp o) {
        if (auto xm = matchFloorMod(o))
          return bin(xm->first, "%", unguardDivisor(xm->second));
        if (constantOf(o.getLhs()) == 0)
          return "-" + operandText(o.getRhs(), depth);
        return bin(o.getLhs(), "-", o.getRhs());
      })
      .Case([&](arith::MulIOp o) { return bin(o.getLhs(), "*", o.getRhs()); })
      .Case([&](arith::FloorDivSIOp o) {
        return bin(o.getLhs(), "/", unguardDivisor(o.getRhs()));
      })
      .Case([&](arith::SelectOp o) -> std::string {
        // The frontend's `select(d == 0, 0, x / d)`.
        auto cmp = o.getCondition().getDefiningOp<arith::CmpIOp>();
        if (cmp && cmp.getPredicate() == arith::CmpIPredicate::eq &&
            constantOf(o.getTrueValue()) == 0)
          return exprText(o.getFalseValue(), depth);
        return call("select", o->getOperands());
      })
      .Case([&](arith::MinSIOp o) { return call("min", o->getOperands()); })
      .Case([&](arith::MaxSIOp o) { return call("max", o->getOperands()); })
      .Case([&](math::AbsIOp o) { return call("abs", o->getOperands()); })
      .Default([&](Operation *o) {
        return call(o->getName().stripDialect(), o->getOperands());
      });
}

//===----------------------------------------------------------------------===//
// Locations in the user's file
//===----------------------------------------------------------------------===//

/// The outermost call site of an inlined op (the user's call), else the op's
/// own place; as a plain file location so the diagnostic shows that line.
Location userLoc(Location loc, bool *inlined = nullptr) {
  if (auto cs = dyn_cast<CallSiteLoc>(loc)) {
    if (inlined)
      *inlined = true;
    return userLoc(cs.getCaller());
  }
  if (auto name = dyn_cast<NameLoc>(loc))
    return userLoc(name.getChildLoc(), inlined);
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations())
      if (!isa<UnknownLoc>(userLoc(l)))
        return userLoc(l, inlined);
  }
  return loc;
}

//===----------------------------------------------------------------------===//
// The analysis
//===----------------------------------------------------------------------===//

class RangeChecker {
public:
  explicit RangeChecker(PatternOp pattern) : pattern(pattern) {}
  LogicalResult run();

private:
  Range get(Value v) {
    auto it = ranges.find(v);
    return it != ranges.end() ? it->second : fullRange();
  }
  LogicalResult visit(Operation *op);
  LogicalResult checkArithmetic(Operation *op, Range r);
  LogicalResult checkPrimitive(Operation *op, const Primitive &prim);
  LogicalResult reportArg(Operation *op, unsigned operand,
                          const PrimitiveArg &arg, llvm::StringRef primName,
                          const std::string &problem);
  void bindPredicate(PredicateOp op);
  Range divide(Operation *op, Range a, Range b);

  PatternOp pattern;
  DenseMap<Value, Range> ranges;
};

void RangeChecker::bindPredicate(PredicateOp op) {
  Block &block = op.getBody().front();
  const Int len = lim::kMaxLength;
  const Int heads = pattern.getHeads().value_or(lim::kMaxHeads);
  // q, k, h, b, p: p = q + Nk - Nq lies in (-Nq, Nk).
  Range args[9] = {{0, len - 1},     {0, len - 1}, {0, heads - 1},
                   {0, len - 1},     {1 - len, len - 1}};
  unsigned n = 5;
  if (auto grid = op.getGrid()) {
    // A grid pattern has Nq = Nk = H * W, so p = q.
    Range y = {0, Int((*grid)[0]) - 1}, x = {0, Int((*grid)[1]) - 1};
    args[5] = y;
    args[6] = x;
    args[7] = y;
    args[8] = x;
    n = 9;
  }
  for (unsigned i = 0; i < block.getNumArguments() && i < n; ++i)
    ranges[block.getArgument(i)] = args[i];
}

Range RangeChecker::divide(Operation *op, Range a, Range b) {
  // Monotone in each argument while the divisor keeps its sign.
  if (b.lo > 0 || b.hi < 0)
    return corners(a, b, floorDivInt);
  // |a / b| <= |a| for b != 0; a zero divisor gives 0 where it is defined.
  Int m = maxAbs(a);
  return {-m, m};
}

/// The rules below are those of the tile classifier's interval arithmetic
/// (PredicateOp::buildTileClass), in 128 bits: a bound proven here bounds
/// every value that code computes. Ops it does not know get the whole int64
/// range (i1: 0 or 1), so arithmetic on them is refused.
LogicalResult RangeChecker::checkArithmetic(Operation *op, Range r) {
  if (r.lo >= -kBound && r.hi <= kBound)
    return success();
  bool inlined = false;
  Location at = userLoc(op->getLoc(), &inlined);
  Int worst = r.hi > kBound ? r.hi : r.lo;
  return emitError(at) << "index expression '" << exprText(op->getResult(0))
                       << "'" << (inlined ? " in the pattern called here" : "")
                       << " can reach " << toString(worst)
                       << ", outside the index range [-2^62, 2^62] (for "
                          "lengths up to 2^40 and run-time parameters within "
                          "+-2^40)";
}

LogicalResult RangeChecker::visit(Operation *op) {
  if (auto pred = dyn_cast<PredicateOp>(op)) {
    bindPredicate(pred);
    return success();
  }
  if (isa<AttnDialect>(op->getDialect())) {
    if (const Primitive *prim = lookupPrimitive(op->getName().stripDialect()))
      return checkPrimitive(op, *prim);
    return success();
  }
  if (op->getNumResults() != 1)
    return success();
  Value result = op->getResult(0);
  if (!result.getType().isSignlessInteger())
    return success();
  auto set = [&](Range r) { ranges[result] = r; };
  auto arith = [&](Range r) {
    set(r);
    return checkArithmetic(op, r);
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](arith::ConstantOp c) {
        if (auto v = constantOf(c))
          set({*v, *v});
        return success();
      })
      .Case([&](arith::AddIOp o) {
        Range a = get(o.getLhs()), b = get(o.getRhs());
        return arith({a.lo + b.lo, a.hi + b.hi});
      })
      .Case([&](arith::SubIOp o) {
        Range a = get(o.getLhs()), b = get(o.getRhs());
        if (auto xm = matchFloorMod(o)) {
          // The floor remainder has the sign of m and |r| < |m|; x itself
          // where m may be 0 (unguarded IR).
          Range m = get(xm->second);
          Range r = {std::min<Int>(0, m.lo + 1), std::max<Int>(0, m.hi - 1)};
          if (m.lo <= 0 && m.hi >= 0)
            r = hull(r, get(xm->first));
          return arith(r);
        }
        return arith({a.lo - b.hi, a.hi - b.lo});
      })
      .Case([&](arith::MulIOp o) {
        if (auto xm = matchFloorDivTimes(o)) {
          Range x = get(xm->first);
          Int m = maxAbs(get(xm->second));
          return arith({x.lo - m, x.hi + m});
        }
        return arith(corners(get(o.getLhs()), get(o.getRhs()),
                             [](Int x, Int y) { return x * y; }));
      })
      .Case([&](arith::FloorDivSIOp o) {
        return arith(divide(o, get(o.getLhs()), get(o.getRhs())));
      })
      .Case([&](math::AbsIOp o) {
        Range a = get(o.getOperand());
        Int lo = a.lo >= 0 ? a.lo : a.hi <= 0 ? -a.hi : 0;
        return arith({lo, maxAbs(a)});
      })
      .Case([&](arith::MinSIOp o) {
        Range a = get(o.getLhs()), b = get(o.getRhs());
        set({std::min(a.lo, b.lo), std::min(a.hi, b.hi)});
        return success();
      })
      .Case([&](arith::MaxSIOp o) {
        Range a = get(o.getLhs()), b = get(o.getRhs());
        set({std::max(a.lo, b.lo), std::max(a.hi, b.hi)});
        return success();
      })
      .Case([&](arith::SelectOp o) {
        Range c = get(o.getCondition());
        Range t = get(o.getTrueValue()), f = get(o.getFalseValue());
        set(c.isPoint() ? (c.lo ? t : f) : hull(t, f));
        return success();
      })
      .Case([&](arith::ExtUIOp o) {
        set(get(o.getIn()));
        return success();
      })
      .Case([&](arith::ExtSIOp o) {
        set(o.getIn().getType().isInteger(1) ? Range{-1, 0} : get(o.getIn()));
        return success();
      })
      .Case([&](math::CountLeadingZerosOp) {
        set({0, 64});
        return success();
      })
      .Case<arith::AndIOp, arith::OrIOp, arith::XOrIOp>([&](Operation *o) {
        if (result.getType().isInteger(1)) {
          set({0, 1});
          return success();
        }
        // Non-negative operands (the rules of the tile classifier's interval
        // arithmetic, which computes these bounds).
        Range a = get(o->getOperand(0)), b = get(o->getOperand(1));
        if (a.lo < 0 || b.lo < 0)
          return success();
        if (isa<arith::AndIOp>(o)) {
          set({0, std::min(a.hi, b.hi)});
          return success();
        }
        return arith({isa<arith::OrIOp>(o) ? std::max(a.lo, b.lo) : Int(0),
                      a.hi + b.hi});
      })
      .Default([&](Operation *) {
        if (result.getType().isInteger(1))
          set({0, 1});
        return success();
      });
}

LogicalResult RangeChecker::reportArg(Operation *op, unsigned operand,
                                      const PrimitiveArg &arg,
                                      llvm::StringRef primName,
                                      const std::string &problem) {
  // A value passed to a pattern: blame the call's argument.
  if (auto origins = op->getAttrOfType<ArrayAttr>(kOriginsAttrName))
    if (operand < origins.size())
      if (auto origin = dyn_cast<NameLoc>(origins[operand]))
        return emitError(userLoc(origin.getChildLoc()))
               << origin.getName().getValue() << " " << problem;
  bool inlined = false;
  Location at = userLoc(op->getLoc(), &inlined);
  return emitError(at) << "argument '" << arg.name << "' of '" << primName
                       << "'" << (inlined ? " in the pattern called here" : "")
                       << " " << problem;
}

LogicalResult RangeChecker::checkPrimitive(Operation *op,
                                           const Primitive &prim) {
  SmallVector<std::optional<int64_t>> known(op->getNumOperands());
  for (unsigned i = 0; i < op->getNumOperands(); ++i) {
    const PrimitiveArg *arg = prim.operandArg(i);
    if (!arg || arg->anyValue)
      continue;
    Range r = get(op->getOperand(i));
    std::string problem;
    if (r.isPoint()) {
      known[i] = static_cast<int64_t>(r.lo);
      problem = checkArgValue(*arg, *known[i]);
    } else if (r.lo < -kBound || r.hi > kBound) {
      problem = "can reach " + toString(r.hi > kBound ? r.hi : r.lo) +
                ", outside the index range [-2^62, 2^62]";
    }
    if (!problem.empty())
      return reportArg(op, i, *arg, prim.name, problem);
  }
  // Checks between arguments, on known values.
  if (auto stripe = dyn_cast<StripeOp>(op); stripe && known[0] && known[1] &&
                                            *known[1] > *known[0])
    return reportArg(op, 1, *prim.operandArg(1), prim.name,
                     "must be at most s = " + std::to_string(*known[0]) +
                         ", got " + std::to_string(*known[1]));
  if (auto nb = dyn_cast<NeighborhoodOp>(op)) {
    ArrayRef<int64_t> grid = nb.getGrid();
    const char *axis[] = {"height", "width"};
    for (unsigned i = 0; i < 2 && grid.size() == 2; ++i)
      if (known[i] && *known[i] > grid[i])
        return reportArg(op, i, *prim.operandArg(i), prim.name,
                         std::string("must be at most the grid ") + axis[i] +
                             " " + std::to_string(grid[i]) + ", got " +
                             std::to_string(*known[i]));
  }
  return success();
}

LogicalResult RangeChecker::run() {
  for (BlockArgument arg : pattern.getBodyBlock().getArguments()) {
    if (arg.getType().isInteger(1))
      ranges[arg] = {0, 1};
    else if (arg.getType().isInteger(64))
      ranges[arg] = {-Int(lim::kMaxRuntimeParam), Int(lim::kMaxRuntimeParam)};
  }
  WalkResult result = pattern.getBody().walk<WalkOrder::PreOrder>(
      [&](Operation *op) {
        return failed(visit(op)) ? WalkResult::interrupt()
                                 : WalkResult::advance();
      });
  return failure(result.wasInterrupted());
}

struct CheckRanges : mlir::attn::impl::AttnCheckRangesPassBase<CheckRanges> {
  using AttnCheckRangesPassBase::AttnCheckRangesPassBase;
  void runOnOperation() override {
    for (PatternOp p : getOperation().getOps<PatternOp>())
      if (failed(checkIndexRanges(p)))
        return signalPassFailure();
    // The origins have served: they are not part of the pattern.
    getOperation().walk(
        [](Operation *op) { op->removeAttr(kOriginsAttrName); });
  }
};

} // namespace

LogicalResult mlir::attn::checkIndexRanges(PatternOp pattern) {
  return RangeChecker(pattern).run();
}
