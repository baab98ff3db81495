//===- Reference.cpp - direct evaluator of attn patterns (the oracle) -----===//

#include "runtime/reference/Reference.h"

#include "dialect/AttnOps.h"
#include "runtime/reference/BigBird.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <optional>

using namespace mlir;
using namespace mlir::attn;

namespace {

// The oracle computes with mathematical integers: 128 bits hold every sum,
// difference and quotient of two int64 values, so no parameter value (the
// reference also runs on IR that attn-check-ranges never saw) can overflow.
using Wide = __int128;

/// Floor division; 0 for a zero divisor (as in the generated code).
Wide floorDiv(Wide a, Wide b) {
  if (b == 0)
    return 0;
  Wide q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// Python modulo: the result has the sign of b (non-negative for b > 0).
Wide floorMod(Wide a, Wide b) {
  if (b == 0)
    return 0;
  Wide r = a % b;
  return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
}

enum class Kind : uint8_t {
  Empty,
  Full,
  Causal,
  Sliding,
  Band,
  Sink,
  Global,
  BlockSliding,
  Power2,
  Stripe,
  Strided,
  BlockLayout,
  BigBird,
  Window2d,
  Neighborhood,
  Axial,
  Union,
  Intersect,
  Complement,
  Difference,
  SelectHeads,
  Predicate,
};

struct Ctx {
  int64_t b, h, q, k, p;
};

} // namespace

struct MaskEvaluator::Node {
  Kind kind = Kind::Empty;
  int64_t a = 0, b = 0, c = 0, d = 0, e = 0; // scalar parameters
  int64_t gridH = 0, gridW = 0;
  SmallVector<int32_t, 2> children;
  SmallVector<int64_t, 4> bounds; // select_heads
  // global: flags of size nk; block_layout: the table, row-major.
  std::shared_ptr<const std::vector<uint8_t>> bits;
  int64_t tHeads = 0, tRows = 0, tCols = 0;
  // bigbird: `random` slots per (h, r - rowBase), -1 when unused.
  std::shared_ptr<const std::vector<int64_t>> randomBlocks;
  int64_t rowBase = 0, numRows = 0;
  // predicate
  std::optional<CompiledFunction> predicate;
  SmallVector<int64_t, 4> outer;
  mutable SmallVector<int64_t, 16> args;
};

MaskEvaluator::MaskEvaluator() = default;
MaskEvaluator::MaskEvaluator(MaskEvaluator &&) noexcept = default;
MaskEvaluator &MaskEvaluator::operator=(MaskEvaluator &&) noexcept = default;
MaskEvaluator::MaskEvaluator(const MaskEvaluator &) = default;
MaskEvaluator &MaskEvaluator::operator=(const MaskEvaluator &) = default;
MaskEvaluator::~MaskEvaluator() = default;

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

static bool evalNode(const std::vector<MaskEvaluator::Node> &nodes, int32_t i,
                     const Ctx &x) {
  const MaskEvaluator::Node &n = nodes[i];
  const int64_t p = x.p, k = x.k;
  switch (n.kind) {
  case Kind::Empty:
    return false;
  case Kind::Full:
    return true;
  case Kind::Causal:
    return k <= p;
  case Kind::Sliding:
    return Wide(p) - n.a < k && k <= p;
  case Kind::Band:
    return Wide(p) - n.a <= k && k <= Wide(p) + n.b;
  case Kind::Sink:
    return k < n.a;
  case Kind::Global:
    return (p >= 0 && (*n.bits)[p]) || (*n.bits)[k];
  case Kind::BlockSliding: {
    Wide d = floorDiv(p, n.a) - floorDiv(k, n.a);
    return 0 <= d && d < n.b;
  }
  case Kind::Power2: {
    Wide d = floorDiv(p, n.a) - floorDiv(k, n.a);
    return d >= 0 && (d & (d - 1)) == 0;
  }
  case Kind::Stripe:
    return floorMod(Wide(k) - n.c, n.a) < n.b;
  case Kind::Strided:
    return floorMod(Wide(p) - k, n.a) == 0;
  case Kind::BlockLayout: {
    int64_t r = floorDiv(p, n.a), c = floorDiv(k, n.a);
    if (r < 0 || r >= n.tRows || c < 0 || c >= n.tCols)
      return false;
    int64_t head = n.tHeads ? x.h : 0;
    return (*n.bits)[(head * n.tRows + r) * n.tCols + c];
  }
  case Kind::BigBird: {
    int64_t r = floorDiv(p, n.a), c = floorDiv(k, n.a);
    if (::attn::bigbird::staticAllowed(r, c, n.b, n.c))
      return true;
    int64_t row = r - n.rowBase;
    if (n.d <= 0 || row < 0 || row >= n.numRows)
      return false;
    const int64_t *slots =
        n.randomBlocks->data() + (x.h * n.numRows + row) * n.d;
    for (int64_t s = 0; s < n.d; ++s)
      if (slots[s] == c)
        return true;
    return false;
  }
  case Kind::Window2d: {
    Wide qy = floorDiv(p, n.gridW), qx = floorMod(p, n.gridW);
    Wide ky = floorDiv(k, n.gridW), kx = floorMod(k, n.gridW);
    return floorDiv(qy - n.c, n.a) == floorDiv(ky - n.c, n.a) &&
           floorDiv(qx - n.c, n.b) == floorDiv(kx - n.c, n.b);
  }
  case Kind::Neighborhood: {
    Wide qy = floorDiv(p, n.gridW), qx = floorMod(p, n.gridW);
    Wide ky = floorDiv(k, n.gridW), kx = floorMod(k, n.gridW);
    Wide sy = std::clamp<Wide>(qy - floorDiv(n.a, 2), 0, Wide(n.gridH) - n.a);
    Wide sx = std::clamp<Wide>(qx - floorDiv(n.b, 2), 0, Wide(n.gridW) - n.b);
    return sy <= ky && ky < sy + n.a && sx <= kx && kx < sx + n.b;
  }
  case Kind::Axial: {
    int64_t qy = floorDiv(p, n.gridW), qx = floorMod(p, n.gridW);
    int64_t ky = floorDiv(k, n.gridW), kx = floorMod(k, n.gridW);
    return qy == ky || qx == kx;
  }
  case Kind::Union:
    return evalNode(nodes, n.children[0], x) ||
           evalNode(nodes, n.children[1], x);
  case Kind::Intersect:
    return evalNode(nodes, n.children[0], x) &&
           evalNode(nodes, n.children[1], x);
  case Kind::Complement:
    return !evalNode(nodes, n.children[0], x);
  case Kind::Difference:
    return evalNode(nodes, n.children[0], x) &&
           !evalNode(nodes, n.children[1], x);
  case Kind::SelectHeads: {
    for (size_t j = 0; j + 1 < n.bounds.size(); ++j)
      if (n.bounds[j] <= x.h && x.h < n.bounds[j + 1])
        return evalNode(nodes, n.children[j], x);
    return false;
  }
  case Kind::Predicate: {
    int64_t *a = n.args.data();
    a[0] = x.q;
    a[1] = k;
    a[2] = x.h;
    a[3] = x.b;
    a[4] = p;
    size_t next = 5;
    if (n.gridW) {
      a[5] = static_cast<int64_t>(floorDiv(p, n.gridW));
      a[6] = static_cast<int64_t>(floorMod(p, n.gridW));
      a[7] = static_cast<int64_t>(floorDiv(k, n.gridW));
      a[8] = static_cast<int64_t>(floorMod(k, n.gridW));
      next = 9;
    }
    std::copy(n.outer.begin(), n.outer.end(), a + next);
    FailureOr<int64_t> r = n.predicate->run1(n.args);
    // The body is arith/math only after the verifier: no run-time errors
    // but an out-of-bounds load, which reads as "not attended".
    return succeeded(r) && *r != 0;
  }
  }
  return false;
}

bool MaskEvaluator::at(int64_t b, int64_t h, int64_t q, int64_t k) const {
  Ctx x{b, h, q, k, q + (maskDims.nk - maskDims.nq)};
  return evalNode(nodes, static_cast<int32_t>(nodes.size()) - 1, x);
}

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

namespace mlir::attn {

class MaskBuilder {
public:
  MaskBuilder(MaskEvaluator &ev, PatternOp pattern, const MaskDims &dims)
      : ev(ev), pattern(pattern), dims(dims) {}

  LogicalResult build(ArrayRef<int64_t> runtimeParams) {
    if (dims.nq < 0 || dims.nk < 0 || dims.heads < 1 || dims.batch < 1)
      return pattern.emitError()
             << "reference: invalid dimensions (batch " << dims.batch
             << ", heads " << dims.heads << ", Nq " << dims.nq << ", Nk "
             << dims.nk << ")";
    if (auto heads = pattern.getHeads(); heads && *heads != dims.heads)
      return pattern.emitError()
             << "reference: pattern @" << pattern.getSymName() << " has "
             << *heads << " heads, but " << dims.heads << " were requested";
    if (auto layout = pattern.getLayout())
      if (failed(checkGrid(pattern, *layout)))
        return failure();
    if (failed(evaluateScalars(runtimeParams)))
      return failure();
    FailureOr<int32_t> root = buildMask(pattern.getMask());
    if (failed(root))
      return failure();
    // The root must be the last node: evaluation starts there.
    if (*root != static_cast<int32_t>(ev.nodes.size()) - 1) {
      MaskEvaluator::Node copy = ev.nodes[*root];
      ev.nodes.push_back(std::move(copy));
    }
    return success();
  }

private:
  MaskEvaluator &ev;
  PatternOp pattern;
  const MaskDims &dims;
  DenseMap<Value, int64_t> scalars;
  DenseMap<Value, int32_t> built;

  LogicalResult checkGrid(Operation *op, ArrayRef<int64_t> grid) {
    if (grid.size() != 2 || grid[0] < 1 || grid[1] < 1)
      return op->emitError() << "reference: invalid grid";
    int64_t n = grid[0] * grid[1];
    if (n != dims.nq || n != dims.nk)
      return op->emitError()
             << "reference: grid " << grid[0] << "x" << grid[1]
             << " needs Nq = Nk = " << n << ", got Nq = " << dims.nq
             << " and Nk = " << dims.nk;
    return success();
  }

  /// Scalar operands of primitives and values used by predicate regions.
  void collectScalars(SetVector<Value> &out) {
    pattern.getBody().walk([&](Operation *op) {
      if (isa<PredicateOp>(op)) {
        SetVector<Value> above;
        getUsedValuesDefinedAbove(op->getRegion(0), above);
        out.insert(above.begin(), above.end());
        return;
      }
      if (op->getDialect() != pattern->getDialect() ||
          op->getParentOp() != pattern.getOperation())
        return;
      for (Value v : op->getOperands())
        if (!isa<MaskType>(v.getType()))
          out.insert(v);
    });
  }

  LogicalResult evaluateScalars(ArrayRef<int64_t> runtimeParams) {
    Block &body = pattern.getBodyBlock();
    unsigned numArgs = body.getNumArguments();
    unsigned numUsed = MaskEvaluator::numRuntimeParams(pattern);
    // One value per used block argument, or one per block argument (the
    // convention of the generated functions; after attn-bind-parameters
    // every block argument is a run-time parameter).
    bool perArgument = runtimeParams.size() == numArgs;
    if (!perArgument && runtimeParams.size() != numUsed)
      return pattern.emitError()
             << "reference: pattern @" << pattern.getSymName() << " expects "
             << numUsed << " run-time parameter value(s) (one per used "
             << "parameter, in order), got " << runtimeParams.size();
    SmallVector<Value> inputs;
    SmallVector<int64_t> inputValues;
    unsigned next = 0;
    for (BlockArgument arg : body.getArguments()) {
      if (!perArgument && arg.use_empty())
        continue;
      int64_t value = runtimeParams[next++];
      if (arg.use_empty() || !arg.getType().isIntOrIndex())
        continue;
      inputs.push_back(arg);
      inputValues.push_back(value);
    }
    SetVector<Value> needed;
    collectScalars(needed);
    SmallVector<Value> results(needed.begin(), needed.end());
    if (results.empty())
      return success();
    FailureOr<CompiledFunction> fn =
        CompiledFunction::compileValues(inputs, results, pattern);
    if (failed(fn))
      return failure();
    FailureOr<SmallVector<int64_t, 2>> values = fn->run(inputValues);
    if (failed(values))
      return pattern.emitError()
             << "reference: evaluating the parameters failed: "
             << fn->lastError();
    for (auto [v, x] : llvm::zip_equal(results, *values))
      scalars[v] = x;
    return success();
  }

  int64_t scalar(Value v) { return scalars.lookup(v); }

  LogicalResult atLeast(Operation *op, Value v, int64_t min, StringRef name) {
    int64_t x = scalar(v);
    if (x < min)
      return op->emitError() << "reference: " << name << " must be at least "
                             << min << ", got " << x;
    return success();
  }

  int32_t add(MaskEvaluator::Node node) {
    ev.nodes.push_back(std::move(node));
    return static_cast<int32_t>(ev.nodes.size()) - 1;
  }

  int32_t leaf(Kind kind, int64_t a = 0, int64_t b = 0, int64_t c = 0,
               int64_t d = 0, int64_t e = 0) {
    MaskEvaluator::Node n;
    n.kind = kind;
    n.a = a;
    n.b = b;
    n.c = c;
    n.d = d;
    n.e = e;
    return add(std::move(n));
  }

  FailureOr<int32_t> combine(Kind kind, ValueRange operands) {
    MaskEvaluator::Node n;
    n.kind = kind;
    for (Value v : operands) {
      FailureOr<int32_t> c = buildMask(v);
      if (failed(c))
        return failure();
      n.children.push_back(*c);
    }
    return add(std::move(n));
  }

  FailureOr<int32_t> buildMask(Value mask) {
    auto it = built.find(mask);
    if (it != built.end())
      return it->second;
    Operation *op = mask.getDefiningOp();
    if (!op)
      return pattern.emitError()
             << "reference: a mask is a block argument, not an op result";
    FailureOr<int32_t> r = buildOp(op);
    if (succeeded(r))
      built[mask] = *r;
    return r;
  }

  FailureOr<int32_t> buildOp(Operation *op) {
    using R = FailureOr<int32_t>;
    return TypeSwitch<Operation *, R>(op)
        .Case([&](EmptyOp) -> R { return leaf(Kind::Empty); })
        .Case([&](FullOp) -> R { return leaf(Kind::Full); })
        .Case([&](CausalOp) -> R { return leaf(Kind::Causal); })
        .Case([&](SlidingOp o) -> R {
          if (failed(atLeast(o, o.getWindow(), 1, "sliding window")))
            return failure();
          return leaf(Kind::Sliding, scalar(o.getWindow()));
        })
        .Case([&](BandOp o) -> R {
          if (failed(atLeast(o, o.getLeft(), 0, "band left")) ||
              failed(atLeast(o, o.getRight(), 0, "band right")))
            return failure();
          return leaf(Kind::Band, scalar(o.getLeft()), scalar(o.getRight()));
        })
        .Case([&](SinkOp o) -> R {
          if (failed(atLeast(o, o.getCount(), 0, "sink count")))
            return failure();
          return leaf(Kind::Sink, scalar(o.getCount()));
        })
        .Case([&](GlobalOp o) -> R {
          auto flags = std::make_shared<std::vector<uint8_t>>(
              std::max<int64_t>(dims.nk, 1), 0);
          for (int64_t pos : o.getPositions())
            if (pos >= 0 && pos < dims.nk)
              (*flags)[pos] = 1;
          MaskEvaluator::Node n;
          n.kind = Kind::Global;
          n.bits = std::move(flags);
          return add(std::move(n));
        })
        .Case([&](BlockSlidingOp o) -> R {
          if (failed(atLeast(o, o.getBlock(), 1, "block_sliding block")) ||
              failed(atLeast(o, o.getWindow(), 1, "block_sliding window")))
            return failure();
          return leaf(Kind::BlockSliding, scalar(o.getBlock()),
                      scalar(o.getWindow()));
        })
        .Case([&](Power2Op o) -> R {
          if (failed(atLeast(o, o.getBlock(), 1, "power2 block")))
            return failure();
          return leaf(Kind::Power2, scalar(o.getBlock()));
        })
        .Case([&](StripeOp o) -> R {
          if (failed(atLeast(o, o.getStride(), 1, "stripe stride")) ||
              failed(atLeast(o, o.getWidth(), 1, "stripe width")))
            return failure();
          int64_t s = scalar(o.getStride()), w = scalar(o.getWidth());
          if (w > s)
            return o.emitError()
                   << "reference: stripe width " << w
                   << " must not exceed the stride " << s;
          return leaf(Kind::Stripe, s, w, scalar(o.getOffset()));
        })
        .Case([&](StridedOp o) -> R {
          if (failed(atLeast(o, o.getStride(), 1, "strided stride")))
            return failure();
          return leaf(Kind::Strided, scalar(o.getStride()));
        })
        .Case([&](BlockLayoutOp o) -> R { return buildBlockLayout(o); })
        .Case([&](BigBirdOp o) -> R { return buildBigBird(o); })
        .Case([&](Window2dOp o) -> R {
          if (failed(checkGrid(o, o.getGrid())) ||
              failed(atLeast(o, o.getHeight(), 1, "window2d height")) ||
              failed(atLeast(o, o.getWidth(), 1, "window2d width")))
            return failure();
          return gridLeaf(Kind::Window2d, o.getGrid(), scalar(o.getHeight()),
                          scalar(o.getWidth()), scalar(o.getShift()));
        })
        .Case([&](NeighborhoodOp o) -> R {
          if (failed(checkGrid(o, o.getGrid())) ||
              failed(atLeast(o, o.getHeight(), 1, "neighborhood height")) ||
              failed(atLeast(o, o.getWidth(), 1, "neighborhood width")))
            return failure();
          int64_t kh = scalar(o.getHeight()), kw = scalar(o.getWidth());
          ArrayRef<int64_t> grid = o.getGrid();
          if (kh > grid[0] || kw > grid[1])
            return o.emitError()
                   << "reference: neighborhood " << kh << "x" << kw
                   << " does not fit the grid " << grid[0] << "x" << grid[1];
          return gridLeaf(Kind::Neighborhood, grid, kh, kw, 0);
        })
        .Case([&](AxialOp o) -> R {
          if (failed(checkGrid(o, o.getGrid())))
            return failure();
          return gridLeaf(Kind::Axial, o.getGrid(), 0, 0, 0);
        })
        .Case([&](UnionOp o) -> R {
          return combine(Kind::Union, {o.getLhs(), o.getRhs()});
        })
        .Case([&](IntersectOp o) -> R {
          return combine(Kind::Intersect, {o.getLhs(), o.getRhs()});
        })
        .Case([&](ComplementOp o) -> R {
          return combine(Kind::Complement, {o.getInput()});
        })
        .Case([&](DifferenceOp o) -> R {
          return combine(Kind::Difference, {o.getLhs(), o.getRhs()});
        })
        .Case([&](SelectHeadsOp o) -> R {
          ArrayRef<int64_t> bounds = o.getBounds();
          if (bounds.empty() || dims.heads > bounds.back())
            return o.emitError()
                   << "reference: select_heads covers heads [0, "
                   << (bounds.empty() ? 0 : bounds.back()) << "), but "
                   << dims.heads << " heads were requested";
          FailureOr<int32_t> n = combine(Kind::SelectHeads, o.getMasks());
          if (failed(n))
            return failure();
          ev.nodes[*n].bounds.assign(bounds.begin(), bounds.end());
          return n;
        })
        .Case([&](PredicateOp o) -> R { return buildPredicate(o); })
        .Case([&](CallOp o) -> R {
          return o.emitError() << "reference: attn.call @" << o.getCallee()
                               << " must be inlined before evaluation";
        })
        .Default([&](Operation *o) -> R {
          return o->emitError() << "reference: unsupported mask op '"
                                << o->getName() << "'";
        });
  }

  int32_t gridLeaf(Kind kind, ArrayRef<int64_t> grid, int64_t a, int64_t b,
                   int64_t c) {
    MaskEvaluator::Node n;
    n.kind = kind;
    n.a = a;
    n.b = b;
    n.c = c;
    n.gridH = grid[0];
    n.gridW = grid[1];
    return add(std::move(n));
  }

  FailureOr<int32_t> buildBlockLayout(BlockLayoutOp o) {
    if (failed(atLeast(o, o.getBlock(), 1, "block_layout block")))
      return failure();
    ElementsAttr table = o.getTable();
    auto type = cast<ShapedType>(table.getType());
    ArrayRef<int64_t> shape = type.getShape();
    if (shape.size() != 2 && shape.size() != 3)
      return o.emitError() << "reference: block_layout table must have rank "
                              "2 or 3";
    MaskEvaluator::Node n;
    n.kind = Kind::BlockLayout;
    n.a = scalar(o.getBlock());
    if (shape.size() == 3) {
      n.tHeads = shape[0];
      if (n.tHeads < dims.heads)
        return o.emitError()
               << "reference: block_layout table has " << n.tHeads
               << " heads, but " << dims.heads << " heads were requested";
    }
    n.tRows = shape[shape.size() - 2];
    n.tCols = shape[shape.size() - 1];
    // docs/LANGUAGE.md: a table smaller than the sequence's block grid is an
    // error. Rows are indexed by p / B with p < Nk, columns by k / B.
    int64_t need = dims.nk <= 0 ? 0 : floorDiv(dims.nk - 1, n.a) + 1;
    if (n.tRows < need || n.tCols < need)
      return o.emitError()
             << "reference: block_layout table of " << n.tRows << "x"
             << n.tCols << " blocks is smaller than the " << need << "x"
             << need << " block grid of the sequence (block " << n.a
             << ", Nk " << dims.nk << ")";
    auto bits = std::make_shared<std::vector<uint8_t>>();
    bits->reserve(type.getNumElements());
    if (auto values = table.tryGetValues<bool>()) {
      for (bool v : *values)
        bits->push_back(v);
    } else if (auto ints = table.tryGetValues<APInt>()) {
      for (const APInt &v : *ints)
        bits->push_back(!v.isZero());
    } else {
      return o.emitError() << "reference: cannot read the block_layout table";
    }
    if (static_cast<int64_t>(bits->size()) != type.getNumElements())
      return o.emitError() << "reference: block_layout table has the wrong "
                              "number of elements";
    n.bits = std::move(bits);
    return add(std::move(n));
  }

  FailureOr<int32_t> buildBigBird(BigBirdOp o) {
    if (failed(atLeast(o, o.getBlock(), 1, "bigbird block")) ||
        failed(atLeast(o, o.getWindow(), 0, "bigbird window")) ||
        failed(atLeast(o, o.getGlobals(), 0, "bigbird globals")) ||
        failed(atLeast(o, o.getRandom(), 0, "bigbird random")))
      return failure();
    MaskEvaluator::Node n;
    n.kind = Kind::BigBird;
    n.a = scalar(o.getBlock());
    n.b = scalar(o.getWindow());
    n.c = scalar(o.getGlobals());
    n.d = scalar(o.getRandom());
    n.e = scalar(o.getSeed());
    if (dims.nq > 0 && dims.nk > 0 && n.d > 0) {
      // Rows reachable by p in [Nk - Nq, Nk).
      n.rowBase = floorDiv(dims.nk - dims.nq, n.a);
      n.numRows = floorDiv(dims.nk - 1, n.a) - n.rowBase + 1;
      int64_t numK = ::attn::bigbird::numKeyBlocks(dims.nk, n.a);
      // A row has at most numK candidates: more random blocks change nothing
      // (and must not size the slots).
      n.d = std::min(n.d, numK);
      auto blocks = std::make_shared<std::vector<int64_t>>(
          dims.heads * n.numRows * n.d, -1);
      for (int64_t h = 0; h < dims.heads; ++h)
        for (int64_t row = 0; row < n.numRows; ++row) {
          std::vector<int64_t> rb = ::attn::bigbird::randomBlocks(
              n.e, h, n.rowBase + row, numK, n.b, n.c, n.d);
          std::copy(rb.begin(), rb.end(),
                    blocks->begin() + (h * n.numRows + row) * n.d);
        }
      n.randomBlocks = std::move(blocks);
    }
    return add(std::move(n));
  }

  FailureOr<int32_t> buildPredicate(PredicateOp o) {
    MaskEvaluator::Node n;
    n.kind = Kind::Predicate;
    if (auto grid = o.getGrid()) {
      if (failed(checkGrid(o, *grid)))
        return failure();
      n.gridH = (*grid)[0];
      n.gridW = (*grid)[1];
    }
    SetVector<Value> above;
    getUsedValuesDefinedAbove(o.getBody(), above);
    SmallVector<Value> outerValues(above.begin(), above.end());
    for (Value v : outerValues)
      n.outer.push_back(scalar(v));
    FailureOr<CompiledFunction> fn =
        CompiledFunction::compileRegion(o.getBody(), outerValues);
    if (failed(fn))
      return failure();
    if (fn->numResults() != 1)
      return o.emitError() << "reference: a predicate must yield one i1";
    unsigned numIndex = n.gridW ? 9 : 5;
    if (o.getBody().getNumArguments() != numIndex)
      return o.emitError() << "reference: a predicate takes " << numIndex
                           << " index arguments";
    n.args.assign(numIndex + n.outer.size(), 0);
    n.predicate = std::move(*fn);
    return add(std::move(n));
  }
};

} // namespace mlir::attn

FailureOr<MaskEvaluator> MaskEvaluator::create(PatternOp pattern,
                                               ArrayRef<int64_t> runtimeParams,
                                               const MaskDims &dims) {
  MaskEvaluator ev;
  ev.maskDims = dims;
  MaskBuilder builder(ev, pattern, dims);
  if (failed(builder.build(runtimeParams)))
    return failure();
  return ev;
}

unsigned MaskEvaluator::numRuntimeParams(PatternOp pattern) {
  unsigned n = 0;
  for (BlockArgument arg : pattern.getBodyBlock().getArguments())
    n += !arg.use_empty();
  return n;
}

FailureOr<std::vector<uint8_t>>
mlir::attn::evaluateMask(PatternOp pattern, ArrayRef<int64_t> runtimeParams,
                         const MaskDims &dims) {
  FailureOr<MaskEvaluator> ev =
      MaskEvaluator::create(pattern, runtimeParams, dims);
  if (failed(ev))
    return failure();
  std::vector<uint8_t> mask(static_cast<size_t>(dims.heads) * dims.nq *
                            dims.nk);
  size_t i = 0;
  for (int64_t h = 0; h < dims.heads; ++h)
    for (int64_t q = 0; q < dims.nq; ++q)
      for (int64_t k = 0; k < dims.nk; ++k)
        mask[i++] = ev->at(0, h, q, k);
  return mask;
}
