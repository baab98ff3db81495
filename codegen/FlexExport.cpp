//===- FlexExport.cpp - a pattern's mask as a FlexAttention module --------===//
//
// Prints the generated element predicate `@P__mask` as Python. The same code
// runs on torch tensors (FlexAttention calls mask_mod under vmap and
// torch.compile: no Python `if` on values, torch.where instead) and on plain
// Python ints (tests need no torch), through a few helpers that dispatch on
// the argument type. An interval analysis of every integer value decides
// where plain Python ints need explicit 64-bit wrapping, so the common path
// (indices, lengths, small constants) stays plain arithmetic.
//
//===----------------------------------------------------------------------===//
#include "codegen/FlexExport.h"
#include "dialect/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/Passes.h"
#include "support/TextEscape.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

using Int = __int128;

/// The values an integer SSA value can take (closed interval).
struct Interval {
  Int lo = 0, hi = 0;
};

Int minOf(unsigned w) { return -(Int(1) << (w - 1)); }
Int maxOf(unsigned w) { return (Int(1) << (w - 1)) - 1; }
Interval fullRange(unsigned w) { return {minOf(w), maxOf(w)}; }
Interval join(Interval a, Interval b) {
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

/// Lengths are checked to be at most this in the generated module, so index
/// arithmetic has known bounds (and fits int32 when it can).
constexpr int64_t kMaxLen = int64_t(1) << 30;
constexpr int64_t kMaxIndex = (int64_t(1) << 31) - 1;

std::string str(Int v) {
  if (v == 0)
    return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : v;
  std::string digits;
  while (u) {
    digits.insert(digits.begin(), char('0' + int(u % 10)));
    u /= 10;
  }
  return neg ? "-" + digits : digits;
}

/// Bit width of an integer or index type; 0 for anything else.
unsigned widthOf(Type t) {
  if (t.isIndex())
    return 64;
  if (auto i = dyn_cast<IntegerType>(t))
    return i.getWidth();
  return 0;
}

bool isPythonKeyword(StringRef s) {
  static const char *const kw[] = {
      "False",  "None",   "True",    "and",      "as",     "assert", "async",
      "await",  "break",  "class",   "continue", "def",    "del",    "elif",
      "else",   "except", "finally", "for",      "from",   "global", "if",
      "import", "in",     "is",      "lambda",   "match",  "case",   "nonlocal",
      "not",    "or",     "pass",    "raise",    "return", "try",    "while",
      "with",   "yield",  "type",    "print",    "range",  "abs",    "int",
      "bool",   "min",    "max",     "len",      "tuple",  "list"};
  return llvm::is_contained(kw, s);
}

/// The Python runtime every generated module carries (no dependency on
/// attnc; torch optional).
const char *kHelpers = R"PY(try:
    import torch
except ImportError:  # plain Python ints work without torch
    torch = None

_MASK64 = (1 << 64) - 1
_MIN64 = -(1 << 63)
_MAX_LEN = 1 << 30


def _is_tensor(x):
    return torch is not None and isinstance(x, torch.Tensor)


def _index(x):
    # 64-bit code needs int64 tensors (FlexAttention may pass int32).
    if _is_tensor(x) and x.dtype != torch.int64:
        return x.to(torch.int64)
    return x


def _i64(x):
    # Wraps a Python int to signed 64 bits, as the CPU code does; int64
    # tensors wrap by themselves.
    if _is_tensor(x):
        return x
    return ((x - _MIN64) & _MASK64) + _MIN64


def _wrap(x, bits):
    # Wraps to a signed integer of `bits` bits (narrow types).
    half = 1 << (bits - 1)
    return ((x + half) & ((1 << bits) - 1)) - half


def _select(c, a, b):
    if _is_tensor(c):
        return torch.where(c, a, b)
    return a if c else b


def _min(a, b):
    return _select(a <= b, a, b)


def _max(a, b):
    return _select(a >= b, a, b)


def _floordiv(a, b):
    # Floor division (Python and torch `//` both floor); 0 for a zero
    # divisor, whose result attnc's code never uses.
    if _is_tensor(b):
        zero = b == 0
        return torch.where(zero, 0, a // torch.where(zero, 1, b))
    if b == 0:
        return a * 0
    return a // b


def _ult(a, b):
    # Unsigned 64-bit order: flip the sign bits, compare signed.
    return (a ^ _MIN64) < (b ^ _MIN64)


def _ule(a, b):
    return (a ^ _MIN64) <= (b ^ _MIN64)


def _ugt(a, b):
    return (a ^ _MIN64) > (b ^ _MIN64)


def _uge(a, b):
    return (a ^ _MIN64) >= (b ^ _MIN64)


def _shl(x, n):
    # 64-bit shift left; 0 for shift amounts outside [0, 64).
    if not _is_tensor(x) and not _is_tensor(n):
        return _i64(x << n) if 0 <= n < 64 else 0
    return _select((n >= 0) & (n < 64), x << _min(_max(n, 0), 63), 0)


def _shrui(x, n):
    # Logical 64-bit shift right, also for negative values: an arithmetic
    # shift, then the copies of the sign bit cleared.
    if not _is_tensor(x) and not _is_tensor(n):
        return _i64((x & _MASK64) >> n) if 0 <= n < 64 else 0
    s = _min(_max(n, 0), 63)
    r = (x >> s) & ~((-1 << (63 - s)) << 1)
    return _select((n >= 0) & (n < 64), r, 0)


def _shrsi(x, n):
    return x >> _select((n < 0) | (n > 63), 63, n)


def _ctlz(x):
    # Leading zeros of a 64-bit value (64 for 0).
    if not _is_tensor(x):
        return 64 - (x & _MASK64).bit_length()
    n = torch.zeros_like(x)
    for s in (32, 16, 8, 4, 2, 1):
        hi = _shrui(x, s)
        nonzero = hi != 0
        x = torch.where(nonzero, hi, x)
        n = torch.where(nonzero, n, n + s)
    return n + (x == 0).to(x.dtype)


def _b2i(c):
    # i1 -> integer (zero extension).
    if _is_tensor(c):
        return c.to(torch.int64)
    return int(c)


class _Table:
    # A constant table: nested lists for ints, one tensor per device for torch.
    def __init__(self, dtype, data):
        self.dtype, self.data, self.tensors = dtype, data, {}
        self.shape = []
        d = data
        while isinstance(d, list):
            self.shape.append(len(d))
            d = d[0]

    def tensor(self, device):
        t = self.tensors.get(device)
        if t is None:
            t = torch.tensor(self.data, dtype=getattr(torch, self.dtype),
                             device=device)
            self.tensors[device] = t
        return t


def _load(table, *index):
    # table[index] with every index clamped into the table (attnc's code
    # clamps them itself; this keeps reads in bounds whatever happens).
    ref = None
    clamped = []
    for i, n in zip(index, table.shape):
        if ref is None and _is_tensor(i):
            ref = i
        clamped.append(_min(_max(i, 0), n - 1))
    if ref is None:
        v = table.data
        for i in clamped:
            v = v[i]
        return v
    return table.tensor(ref.device)[tuple(clamped)]


def _mask_result(m, like):
    # FlexAttention wants a bool tensor even for a constant mask.
    if _is_tensor(like) and not _is_tensor(m):
        return torch.full_like(like, bool(m), dtype=torch.bool)
    return m


def _length(name, n):
    if isinstance(n, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        n = n.__index__()
    except AttributeError:
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if not 1 <= n <= _MAX_LEN:
        raise ValueError(f"{name} must be in [1, {_MAX_LEN}], got {n}")
    return n


def _seq_and_device(x):
    # A length, or a query/key tensor [..., seq, head_dim]: the length and
    # the tensor's device (None for a plain int).
    if _is_tensor(x):
        return (x.shape[-2] if x.dim() >= 2 else x), x.device
    return x, None


def _default_device(*devices):
    # The tensors' device; else CUDA only where it is available.
    for d in devices:
        if d is not None:
            return d
    return "cuda" if torch.cuda.is_available() else "cpu"


def _merge_params(params, kwargs):
    # block_mask's run-time parameters: params={...} and keyword arguments.
    given = {} if params is None else dict(params)
    for name, value in kwargs.items():
        if name in given:
            raise TypeError(f"run-time parameter '{name}' is given twice")
        given[name] = value
    return given


def _params(given):
    # The run-time parameters in PARAMS order, checked.
    unknown = sorted(set(given) - set(PARAMS))
    if unknown:
        raise TypeError(
            f"pattern '{PATTERN}' has no run-time parameter '{unknown[0]}' "
            f"(run-time parameters: {', '.join(PARAMS) or 'none'})")
    values = []
    for name in PARAMS:
        if name in given:
            v = given[name]
        elif name in DEFAULTS:
            v = DEFAULTS[name]
        else:
            raise TypeError(
                f"pattern '{PATTERN}' needs a value for its run-time "
                f"parameter '{name}': make_mask_mod(nq, nk, {name}=...)")
        try:
            v = v.__index__()
        except AttributeError:
            raise TypeError(f"run-time parameter '{name}' must be an int or "
                            f"a bool, got {type(v).__name__}")
        if _PARAM_KINDS[name] == "bool":
            if v not in (0, 1):
                raise ValueError(
                    f"run-time parameter '{name}' is a bool, got {v}")
        elif not _MIN64 <= v < -_MIN64:
            raise ValueError(f"run-time parameter '{name}' must fit in 64 "
                             f"bits, got {v}")
        values.append(v)
    return values
)PY";

class FlexEmitter {
public:
  FlexEmitter(ModuleOp module, PatternOp pattern, func::FuncOp fn,
              const FlexExportOptions &options)
      : module(module), pattern(pattern), fn(fn), options(options) {}

  FailureOr<std::string> run();

private:
  InFlightDiagnostic error(Operation *op) {
    return op->emitError() << "pattern '" << pattern.getSymName()
                           << "' cannot be exported to FlexAttention: ";
  }
  void findDynamic();
  LogicalResult emitBlock(Block &block, unsigned indent);
  LogicalResult emitOp(Operation &op, unsigned indent);
  LogicalResult emitFor(scf::ForOp op, unsigned indent);
  LogicalResult emitIf(scf::IfOp op, unsigned indent);
  LogicalResult emitCast(Operation &op, unsigned indent, bool isSigned);
  LogicalResult emitLoad(memref::LoadOp op, unsigned indent);

  std::string ref(Value v);
  Interval range(Value v);
  std::optional<int64_t> constant(Value v);
  std::string fresh(const char *prefix) {
    return prefix + std::to_string(nextId++);
  }
  /// `name = expr` for `result`, wrapped when `exact` leaves its type.
  void assign(unsigned indent, Value result, std::string expr, Interval exact);
  void alias(Value result, Value source) {
    names[result] = ref(source);
    if (widthOf(source.getType()) > 1)
      ranges[result] = range(source);
  }
  void line(unsigned indent, const std::string &text) {
    body.append(indent * 4, ' ');
    body += text;
    body += '\n';
  }
  void locComment(Operation &op, unsigned indent);
  std::string sourceLine(FileLineColLoc loc);
  std::string locText(Location loc);

  std::string header();
  std::string constants();
  std::string tables();
  std::string makeMaskMod();
  std::string blockMask();

  ModuleOp module;
  PatternOp pattern;
  /// A private copy of the mask function, with common subexpressions merged.
  func::FuncOp fn;
  const FlexExportOptions &options;

  DenseMap<Value, std::string> names;
  DenseMap<Value, Interval> ranges;
  DenseSet<Value> dynamic;
  /// memref.global ops read by the mask, with their Python names.
  llvm::MapVector<Operation *, std::string> tables_;
  DenseMap<Value, memref::GlobalOp> globalOf;
  std::vector<std::string> paramVars;
  std::string body;
  unsigned nextId = 0;
  unsigned lastLine = 0;
  /// Values may leave int32: index tensors are widened to int64 first.
  bool wide = false;
};

} // namespace

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

// A value is dynamic when it depends on b, h, q_idx or kv_idx (a tensor under
// FlexAttention); loop bounds must not be.
void FlexEmitter::findDynamic() {
  for (unsigned i = 0; i < 4; ++i)
    dynamic.insert(fn.getArgument(i));
  bool changed = true;
  auto mark = [&](Value v) { changed |= dynamic.insert(v).second; };
  auto isDyn = [&](Value v) { return dynamic.contains(v); };
  while (changed) {
    changed = false;
    fn.walk([&](Operation *op) {
      if (auto f = dyn_cast<scf::ForOp>(op)) {
        bool bounds = isDyn(f.getLowerBound()) || isDyn(f.getUpperBound()) ||
                      isDyn(f.getStep());
        if (bounds)
          mark(f.getInductionVar());
        auto yielded = f.getYieldedValues();
        for (unsigned i = 0; i < f.getNumResults(); ++i)
          if (bounds || isDyn(f.getInitArgs()[i]) || isDyn(yielded[i])) {
            mark(f.getRegionIterArgs()[i]);
            mark(f.getResult(i));
          }
        return;
      }
      if (auto i = dyn_cast<scf::IfOp>(op)) {
        for (unsigned r = 0; r < i.getNumResults(); ++r)
          if (isDyn(i.getCondition()) || isDyn(i.thenYield().getOperand(r)) ||
              (i.elseBlock() && isDyn(i.elseYield().getOperand(r))))
            mark(i.getResult(r));
        return;
      }
      if (llvm::any_of(op->getOperands(), isDyn))
        for (Value r : op->getResults())
          mark(r);
    });
  }
}

std::optional<int64_t> FlexEmitter::constant(Value v) {
  IntegerAttr attr;
  if (matchPattern(v, m_Constant(&attr)) && widthOf(v.getType()) > 1)
    return attr.getValue().getSExtValue();
  return std::nullopt;
}

Interval FlexEmitter::range(Value v) {
  if (auto c = constant(v))
    return {*c, *c};
  auto it = ranges.find(v);
  if (it != ranges.end())
    return it->second;
  unsigned w = widthOf(v.getType());
  return fullRange(w ? w : 64);
}

std::string FlexEmitter::ref(Value v) {
  IntegerAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    unsigned w = widthOf(v.getType());
    if (w == 1)
      return attr.getValue().isZero() ? "False" : "True";
    int64_t c = attr.getValue().getSExtValue();
    if (c < INT32_MIN || c > INT32_MAX)
      wide = true;
    return c < 0 ? "(" + std::to_string(c) + ")" : std::to_string(c);
  }
  auto it = names.find(v);
  assert(it != names.end() && "value used before it was emitted");
  return it->second;
}

void FlexEmitter::assign(unsigned indent, Value result, std::string expr,
                         Interval exact) {
  unsigned w = widthOf(result.getType());
  if (w > 1 && (exact.lo < minOf(w) || exact.hi > maxOf(w))) {
    expr = w == 64 ? "_i64(" + expr + ")"
                   : "_wrap(" + expr + ", " + std::to_string(w) + ")";
    exact = fullRange(w);
    wide = true;
  }
  if (w > 1 && (exact.lo < INT32_MIN || exact.hi > INT32_MAX))
    wide = true;
  std::string name = fresh("v");
  line(indent, name + " = " + expr);
  names[result] = name;
  if (w > 1)
    ranges[result] = exact;
}

//===----------------------------------------------------------------------===//
// Source locations
//===----------------------------------------------------------------------===//

std::string FlexEmitter::locText(Location loc) {
  auto flc = loc->findInstanceOf<FileLineColLoc>();
  if (!flc)
    return "<unknown location>";
  return (flc.getFilename().getValue() + ":" + Twine(flc.getLine()) + ":" +
          Twine(flc.getColumn()))
      .str();
}

std::string FlexEmitter::sourceLine(FileLineColLoc loc) {
  llvm::SourceMgr *sm = options.sourceMgr;
  if (!sm)
    return "";
  for (unsigned id = 1; id <= sm->getNumBuffers(); ++id) {
    const llvm::MemoryBuffer *buf = sm->getMemoryBuffer(id);
    if (buf->getBufferIdentifier() != loc.getFilename().getValue())
      continue;
    llvm::SMLoc at = sm->FindLocForLineAndColumn(id, loc.getLine(), 1);
    if (!at.isValid())
      return "";
    StringRef rest(at.getPointer(), buf->getBufferEnd() - at.getPointer());
    return rest.take_until([](char c) { return c == '\n' || c == '\r'; })
        .trim()
        .str();
  }
  return "";
}

// One comment per .attn line the following code comes from.
void FlexEmitter::locComment(Operation &op, unsigned indent) {
  auto flc = op.getLoc()->findInstanceOf<FileLineColLoc>();
  if (!flc || flc.getLine() == lastLine)
    return;
  lastLine = flc.getLine();
  std::string text = sourceLine(flc);
  // The file name and the quoted line are user text: escaped, so neither
  // can end the comment (a newline in a directory name) or the module.
  line(indent, "# " +
                   ::attn::escapeComment(llvm::sys::path::filename(
                       flc.getFilename().getValue())) +
                   ":" + std::to_string(flc.getLine()) +
                   (text.empty() ? "" : ": " + ::attn::escapeComment(text)));
}

//===----------------------------------------------------------------------===//
// Code
//===----------------------------------------------------------------------===//

LogicalResult FlexEmitter::emitBlock(Block &block, unsigned indent) {
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    if (failed(emitOp(op, indent)))
      return failure();
  }
  return success();
}

LogicalResult FlexEmitter::emitOp(Operation &op, unsigned indent) {
  for (Type t : op.getResultTypes())
    if (!widthOf(t) && !isa<MemRefType>(t))
      return error(&op) << "values of type " << t << " are not supported";
  if (isa<arith::ConstantOp>(op)) {
    if (!constant(op.getResult(0)) && !op.getResult(0).getType().isInteger(1))
      return error(&op) << "unsupported constant";
    return success(); // printed inline where used
  }
  if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
    auto global = dyn_cast_or_null<memref::GlobalOp>(
        SymbolTable::lookupSymbolIn(module, get.getNameAttr()));
    auto init = global ? dyn_cast_or_null<DenseIntOrFPElementsAttr>(
                             global.getInitialValueAttr())
                       : nullptr;
    if (!global || !global.getConstant() || !init ||
        !widthOf(init.getElementType()))
      return error(&op) << "only constant integer tables are supported";
    if (!tables_.count(global)) {
      std::string name = "_TABLE_";
      for (char c : global.getSymName().ltrim('_'))
        name += llvm::isAlnum(c) ? c : '_';
      // Distinct symbols may map to one Python name ("a.b", "a_b").
      std::string unique = name;
      for (int n = 1; llvm::any_of(
               tables_, [&](auto &entry) { return entry.second == unique; });
           ++n)
        unique = name + "_" + std::to_string(n);
      tables_[global] = unique;
    }
    globalOf[get.getResult()] = global;
    return success();
  }
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return emitLoad(load, indent);
  if (auto f = dyn_cast<scf::ForOp>(op))
    return emitFor(f, indent);
  if (auto i = dyn_cast<scf::IfOp>(op))
    return emitIf(i, indent);
  if (isa<arith::ExtSIOp, arith::IndexCastOp>(op))
    return emitCast(op, indent, /*isSigned=*/true);
  if (isa<arith::ExtUIOp, arith::IndexCastUIOp>(op))
    return emitCast(op, indent, /*isSigned=*/false);

  locComment(op, indent);
  if (op.getNumResults() != 1)
    return error(&op) << "unsupported operation '" << op.getName() << "'";
  Value res = op.getResult(0);
  unsigned w = widthOf(res.getType());

  if (auto trunc = dyn_cast<arith::TruncIOp>(op)) {
    Value in = trunc.getIn();
    if (w == 1) {
      assign(indent, res, "(" + ref(in) + " & 1) != 0", {});
      return success();
    }
    Interval r = range(in);
    if (r.lo >= minOf(w) && r.hi <= maxOf(w)) {
      alias(res, in);
      return success();
    }
    assign(indent, res, "_wrap(" + ref(in) + ", " + std::to_string(w) + ")",
           fullRange(w));
    return success();
  }

  if (auto abs = dyn_cast<math::AbsIOp>(op)) {
    if (w == 1)
      return error(&op) << "absi on i1 is not supported";
    Interval r = range(abs.getOperand());
    Int m = std::max(r.lo < 0 ? -r.lo : r.lo, r.hi < 0 ? -r.hi : r.hi);
    Int lo = r.lo <= 0 && r.hi >= 0
                 ? 0
                 : std::min(r.lo < 0 ? -r.lo : r.lo, r.hi < 0 ? -r.hi : r.hi);
    assign(indent, res, "abs(" + ref(abs.getOperand()) + ")", {lo, m});
    return success();
  }
  if (auto ctlz = dyn_cast<math::CountLeadingZerosOp>(op)) {
    if (w != 64)
      return error(&op) << "ctlz is supported on 64-bit values only";
    wide = true;
    assign(indent, res, "_ctlz(" + ref(ctlz.getOperand()) + ")", {0, 64});
    return success();
  }

  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    unsigned ow = widthOf(cmp.getLhs().getType());
    std::string a = ref(cmp.getLhs()), b = ref(cmp.getRhs());
    using P = arith::CmpIPredicate;
    P pred = cmp.getPredicate();
    if (ow == 1 && pred != P::eq && pred != P::ne)
      return error(&op) << "ordered comparisons of i1 are not supported";
    const char *sym = nullptr, *fnName = nullptr;
    switch (pred) {
    case P::eq:
      sym = "==";
      break;
    case P::ne:
      sym = "!=";
      break;
    case P::slt:
      sym = "<";
      break;
    case P::sle:
      sym = "<=";
      break;
    case P::sgt:
      sym = ">";
      break;
    case P::sge:
      sym = ">=";
      break;
    case P::ult:
      fnName = "_ult";
      break;
    case P::ule:
      fnName = "_ule";
      break;
    case P::ugt:
      fnName = "_ugt";
      break;
    case P::uge:
      fnName = "_uge";
      break;
    }
    if (fnName) {
      if (ow != 64)
        return error(&op) << "unsigned comparisons are supported on 64-bit "
                             "values only";
      wide = true;
      assign(indent, res, std::string(fnName) + "(" + a + ", " + b + ")", {});
    } else {
      assign(indent, res, a + " " + sym + " " + b, {});
    }
    return success();
  }

  if (auto sel = dyn_cast<arith::SelectOp>(op)) {
    Interval r =
        w > 1 ? join(range(sel.getTrueValue()), range(sel.getFalseValue()))
              : Interval{};
    assign(indent, res,
           "_select(" + ref(sel.getCondition()) + ", " +
               ref(sel.getTrueValue()) + ", " + ref(sel.getFalseValue()) + ")",
           r);
    return success();
  }

  if (op.getNumOperands() != 2)
    return error(&op) << "unsupported operation '" << op.getName() << "'";
  Value lhs = op.getOperand(0), rhs = op.getOperand(1);
  std::string a = ref(lhs), b = ref(rhs);

  // Bitwise logic works alike on Python bools and bool tensors (no `~`,
  // which is -2 for a Python bool: `x ^ True` negates).
  if (w == 1) {
    const char *sym = isa<arith::AndIOp>(op)   ? "&"
                      : isa<arith::OrIOp>(op)  ? "|"
                      : isa<arith::XOrIOp>(op) ? "^"
                                               : nullptr;
    if (!sym)
      return error(&op) << "unsupported operation '" << op.getName()
                        << "' on i1";
    assign(indent, res, a + " " + sym + " " + b, {});
    return success();
  }

  Interval ra = range(lhs), rb = range(rhs);
  auto nonNeg = [](Interval r) { return r.lo >= 0; };
  auto bitsFor = [](Int v) {
    unsigned n = 0;
    while (v > 0) {
      ++n;
      v >>= 1;
    }
    return n;
  };
  // Smallest n with r inside [-2^n, 2^n - 1].
  auto signedBits = [](Interval r) {
    unsigned n = 0;
    while (r.lo < -(Int(1) << n) || r.hi > (Int(1) << n) - 1)
      ++n;
    return n;
  };
  std::optional<int64_t> cb = constant(rhs);

  if (isa<arith::AddIOp>(op)) {
    assign(indent, res, a + " + " + b, {ra.lo + rb.lo, ra.hi + rb.hi});
  } else if (isa<arith::SubIOp>(op)) {
    assign(indent, res, a + " - " + b, {ra.lo - rb.hi, ra.hi - rb.lo});
  } else if (isa<arith::MulIOp>(op)) {
    Int c[] = {ra.lo * rb.lo, ra.lo * rb.hi, ra.hi * rb.lo, ra.hi * rb.hi};
    assign(indent, res, a + " * " + b,
           {*std::min_element(c, c + 4), *std::max_element(c, c + 4)});
  } else if (isa<arith::FloorDivSIOp>(op)) {
    auto floorDiv = [](Int x, Int y) {
      Int q = x / y;
      if (x % y != 0 && ((x < 0) != (y < 0)))
        --q;
      return q;
    };
    if (cb && *cb != 0) {
      Int x = floorDiv(ra.lo, *cb), y = floorDiv(ra.hi, *cb);
      assign(indent, res, a + " // " + b, {std::min(x, y), std::max(x, y)});
    } else {
      // |a // b| <= |a| for b != 0; 0 for b == 0; MIN // -1 leaves i64.
      Int m = std::max(ra.lo < 0 ? -ra.lo : ra.lo, ra.hi < 0 ? -ra.hi : ra.hi);
      assign(indent, res, "_floordiv(" + a + ", " + b + ")", {-m, m});
    }
  } else if (isa<arith::AndIOp, arith::OrIOp, arith::XOrIOp>(op)) {
    // Two's complement values of n bits combine into n bits.
    unsigned n = std::max(signedBits(ra), signedBits(rb));
    Interval r = {-(Int(1) << n), (Int(1) << n) - 1};
    if (nonNeg(ra) && nonNeg(rb))
      r = {0, isa<arith::AndIOp>(op)
                  ? std::min(ra.hi, rb.hi)
                  : (Int(1) << bitsFor(std::max(ra.hi, rb.hi))) - 1};
    else if (isa<arith::AndIOp>(op) && (nonNeg(ra) || nonNeg(rb)))
      r = {0, nonNeg(ra) ? ra.hi : rb.hi};
    const char *sym = isa<arith::AndIOp>(op)  ? " & "
                      : isa<arith::OrIOp>(op) ? " | "
                                              : " ^ ";
    assign(indent, res, a + sym + b, r);
  } else if (isa<arith::MaxSIOp>(op)) {
    assign(indent, res, "_max(" + a + ", " + b + ")",
           {std::max(ra.lo, rb.lo), std::max(ra.hi, rb.hi)});
  } else if (isa<arith::MinSIOp>(op)) {
    assign(indent, res, "_min(" + a + ", " + b + ")",
           {std::min(ra.lo, rb.lo), std::min(ra.hi, rb.hi)});
  } else if (isa<arith::ShLIOp>(op)) {
    if (w != 64)
      return error(&op) << "shifts are supported on 64-bit values only";
    wide = true;
    if (cb && *cb >= 0 && *cb < 64)
      assign(indent, res, a + " << " + b,
             {ra.lo * (Int(1) << *cb), ra.hi * (Int(1) << *cb)});
    else
      assign(indent, res, "_shl(" + a + ", " + b + ")", fullRange(64));
  } else if (isa<arith::ShRUIOp>(op)) {
    if (w != 64)
      return error(&op) << "shifts are supported on 64-bit values only";
    wide = true;
    Interval r = fullRange(64);
    if (cb && *cb >= 1 && *cb < 64)
      r = nonNeg(ra) ? Interval{ra.lo >> *cb, ra.hi >> *cb}
                     : Interval{0, (Int(1) << (64 - *cb)) - 1};
    assign(indent, res, "_shrui(" + a + ", " + b + ")", r);
  } else if (isa<arith::ShRSIOp>(op)) {
    if (w != 64)
      return error(&op) << "shifts are supported on 64-bit values only";
    if (cb && *cb >= 0 && *cb < 64)
      assign(indent, res, a + " >> " + b, {ra.lo >> *cb, ra.hi >> *cb});
    else
      assign(indent, res, "_shrsi(" + a + ", " + b + ")", ra);
  } else {
    return error(&op) << "unsupported operation '" << op.getName() << "'";
  }
  return success();
}

LogicalResult FlexEmitter::emitCast(Operation &op, unsigned indent,
                                    bool isSigned) {
  Value in = op.getOperand(0), res = op.getResult(0);
  unsigned from = widthOf(in.getType()), to = widthOf(res.getType());
  if (from == 1) {
    locComment(op, indent);
    if (to == 1)
      alias(res, in);
    else if (isSigned)
      assign(indent, res, "-_b2i(" + ref(in) + ")", {-1, 0});
    else
      assign(indent, res, "_b2i(" + ref(in) + ")", {0, 1});
    return success();
  }
  if (to == 1)
    return error(&op) << "casts to i1 are not supported";
  Interval r = range(in);
  // Values are kept sign-extended, so a signed widening changes nothing.
  if (to >= from && (isSigned || r.lo >= 0)) {
    alias(res, in);
    return success();
  }
  locComment(op, indent);
  if (to >= from) { // zero extension of a possibly negative value
    assign(indent, res, ref(in) + " & " + str((Int(1) << from) - 1),
           {0, (Int(1) << from) - 1});
    return success();
  }
  if (r.lo >= minOf(to) && r.hi <= maxOf(to)) {
    alias(res, in);
    return success();
  }
  assign(indent, res, "_wrap(" + ref(in) + ", " + std::to_string(to) + ")",
         fullRange(to));
  return success();
}

LogicalResult FlexEmitter::emitLoad(memref::LoadOp op, unsigned indent) {
  auto it = globalOf.find(op.getMemRef());
  if (it == globalOf.end())
    return error(op) << "only loads from constant tables are supported";
  locComment(*op, indent);
  memref::GlobalOp global = it->second;
  auto init = cast<DenseIntOrFPElementsAttr>(global.getInitialValueAttr());
  Interval r{0, 0};
  bool first = true;
  for (const APInt &v : init.getValues<APInt>()) {
    Int x = init.getElementType().isInteger(1) ? Int(v.getZExtValue())
                                               : Int(v.getSExtValue());
    r = first ? Interval{x, x} : join(r, {x, x});
    first = false;
  }
  std::string args = tables_[global];
  for (Value i : op.getIndices())
    args += ", " + ref(i);
  assign(indent, op.getResult(), "_load(" + args + ")", r);
  return success();
}

LogicalResult FlexEmitter::emitFor(scf::ForOp op, unsigned indent) {
  for (Value v : {op.getLowerBound(), op.getUpperBound(), op.getStep()})
    if (dynamic.contains(v))
      return error(op) << "the bounds of a loop depend on the query, key, "
                          "head or batch index (FlexAttention traces "
                          "mask_mod with tensor indices)";
  if (op.getUnsignedCmp())
    return error(op) << "loops with unsigned bounds are not supported";
  if (op.getNumResults() == 0)
    return success(); // a pure body without results computes nothing
  locComment(*op, indent);
  std::vector<std::string> vars, inits;
  for (auto [arg, init] : llvm::zip(op.getRegionIterArgs(), op.getInitArgs())) {
    std::string name = fresh("v");
    names[arg] = name;
    unsigned w = widthOf(arg.getType());
    // Conservative: whatever the loop accumulates stays within the type.
    if (w > 1) {
      ranges[arg] = fullRange(w);
      if (w == 64)
        wide = true;
    }
    vars.push_back(name);
    inits.push_back(ref(init));
  }
  line(indent, llvm::join(vars, ", ") + " = " + llvm::join(inits, ", "));
  Value iv = op.getInductionVar();
  std::string ivName = iv.use_empty() ? "_" : fresh("i");
  names[iv] = ivName;
  Interval lb = range(op.getLowerBound()), ub = range(op.getUpperBound());
  ranges[iv] = {lb.lo, std::max(lb.lo, ub.hi - 1)};
  std::string bounds = ref(op.getLowerBound()) + ", " + ref(op.getUpperBound());
  if (constant(op.getStep()) != std::optional<int64_t>(1))
    bounds += ", " + ref(op.getStep());
  line(indent, "for " + ivName + " in range(" + bounds + "):");
  if (failed(emitBlock(*op.getBody(), indent + 1)))
    return failure();
  std::vector<std::string> next;
  for (Value v : op.getYieldedValues())
    next.push_back(ref(v));
  line(indent + 1, llvm::join(vars, ", ") + " = " + llvm::join(next, ", "));
  for (auto [i, res] : llvm::enumerate(op.getResults())) {
    names[res] = vars[i];
    if (widthOf(res.getType()) > 1)
      ranges[res] = ranges[op.getRegionIterArgs()[i]];
  }
  return success();
}

LogicalResult FlexEmitter::emitIf(scf::IfOp op, unsigned indent) {
  if (op.getNumResults() == 0)
    return success(); // pure branches without results compute nothing
  // Both branches are pure: evaluate both and select (no Python `if` on a
  // value that may be a tensor).
  locComment(*op, indent);
  line(indent, "# if " + ref(op.getCondition()) +
                   ": both branches, then "
                   "select");
  if (failed(emitBlock(*op.thenBlock(), indent)) ||
      failed(emitBlock(*op.elseBlock(), indent)))
    return failure();
  for (auto [i, res] : llvm::enumerate(op.getResults())) {
    Value t = op.thenYield().getOperand(i), e = op.elseYield().getOperand(i);
    Interval r =
        widthOf(res.getType()) > 1 ? join(range(t), range(e)) : Interval{};
    assign(indent, res,
           "_select(" + ref(op.getCondition()) + ", " + ref(t) + ", " + ref(e) +
               ")",
           r);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// The module
//===----------------------------------------------------------------------===//

namespace {
std::string pyString(StringRef s) { return ::attn::pythonString(s); }

void printTable(llvm::raw_ostream &os, ArrayRef<std::string> values,
                ArrayRef<int64_t> shape, unsigned indent) {
  if (shape.size() == 1) {
    os << "[" << llvm::join(values, ", ") << "]";
    return;
  }
  int64_t inner = 1;
  for (int64_t d : shape.drop_front())
    inner *= d;
  os << "[\n";
  for (int64_t i = 0; i < shape[0]; ++i) {
    os.indent(indent + 4);
    printTable(os, values.slice(i * inner, inner), shape.drop_front(),
               indent + 4);
    os << ",\n";
  }
  os.indent(indent) << "]";
}
} // namespace

std::string FlexEmitter::header() {
  std::string source = options.sourceName;
  if (source.empty())
    if (auto flc = pattern.getLoc()->findInstanceOf<FileLineColLoc>())
      source = flc.getFilename().getValue().str();
  std::string out;
  llvm::raw_string_ostream os(out);
  std::vector<std::string> settings;
  for (const std::string &s : options.settings)
    settings.push_back(::attn::escapeComment(s));
  // User text (the path, the names, the settings) only from the third line
  // on, where Python does not look for a source encoding declaration, and
  // escaped (::attn::escapeComment) so it cannot end its comment line.
  os << "# Generated by attnc (attnc compile --emit=flex). Do not edit: "
        "regenerate it.\n"
     << "#\n"
     << "# Source: " << ::attn::escapeComment(source) << "\n"
     << "# Pattern: " << ::attn::escapeComment(pattern.getSymName()) << "\n";
  if (!settings.empty())
    os << "# Compile-time settings: " << llvm::join(settings, " ") << "\n";
  os << "#\n"
     << "# A PyTorch FlexAttention mask_mod with exactly attnc's mask for this "
        "pattern\n"
     << "# (queries aligned bottom-right when nq != nk). It runs on torch "
        "tensors\n"
     << "# (flex_attention, create_block_mask, vmap, torch.compile) and on "
        "plain\n"
     << "# Python ints; torch is optional:\n#\n"
     << "#   mask_mod = make_mask_mod(nq, nk"
     << (pattern.getNumParams() ? ", **params" : "") << ")\n"
     << "#   mask_mod(0, 0, q, k)  # True: query q may attend key k\n"
     << "#   bm = block_mask(query, key)  # or block_mask(nq, nk, device=...)\n"
     << "#   flex_attention(query, key, value, block_mask=bm)\n\n";
  return out;
}

std::string FlexEmitter::constants() {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "PATTERN = " << pyString(pattern.getSymName()) << "\n";
  os << "HEADS = ";
  if (auto h = pattern.getHeads())
    os << *h << "\n";
  else
    os << "None\n";
  os << "LAYOUT = ";
  if (auto l = pattern.getLayout())
    os << "(" << (*l)[0] << ", " << (*l)[1] << ")  # grid(H, W)\n";
  else
    os << "None\n";
  std::vector<std::string> params, defaults, kinds;
  Block &body = pattern.getBodyBlock();
  for (unsigned i = 0; i < pattern.getNumParams(); ++i) {
    std::string name = pyString(pattern.getParamName(i));
    params.push_back(name);
    bool isBool = body.getArgument(i).getType().isInteger(1);
    kinds.push_back(name + ": \"" + (isBool ? "bool" : "int") + "\"");
    if (auto def = dyn_cast_or_null<IntegerAttr>(pattern.getParamDefault(i))) {
      std::string v = isBool ? (def.getValue().isZero() ? "False" : "True")
                             : std::to_string(def.getValue().getSExtValue());
      defaults.push_back(name + ": " + v);
    }
  }
  os << "PARAMS = [" << llvm::join(params, ", ")
     << "]  # run-time parameters, in order\n";
  os << "DEFAULTS = {" << llvm::join(defaults, ", ") << "}\n";
  os << "_PARAM_KINDS = {" << llvm::join(kinds, ", ") << "}\n";
  os << "DEPENDS_ON_HEAD = "
     << (fn.getArgument(1).use_empty() ? "False" : "True") << "\n";
  os << "DEPENDS_ON_BATCH = "
     << (fn.getArgument(0).use_empty() ? "False" : "True") << "\n";
  return out;
}

std::string FlexEmitter::tables() {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (tables_.empty())
    return out;
  os << "\n# Constant tables (block layouts) the mask reads.\n";
  for (auto &[op, name] : tables_) {
    auto global = cast<memref::GlobalOp>(op);
    auto init = cast<DenseIntOrFPElementsAttr>(global.getInitialValueAttr());
    bool isBool = init.getElementType().isInteger(1);
    std::vector<std::string> values;
    for (const APInt &v : init.getValues<APInt>())
      values.push_back(isBool ? (v.isZero() ? "False" : "True")
                              : std::to_string(v.getSExtValue()));
    ArrayRef<int64_t> shape = init.getType().getShape();
    os << name << " = _Table(" << (isBool ? "\"bool\"" : "\"int64\"") << ", ";
    if (shape.empty())
      os << "[" << values.front() << "]";
    else
      printTable(os, values, shape, 0);
    os << ")\n";
  }
  return out;
}

std::string FlexEmitter::makeMaskMod() {
  std::string out;
  llvm::raw_string_ostream os(out);
  // The name goes into comments escaped, into docstrings only when it is a
  // plain identifier, and into messages through PATTERN.
  StringRef name = pattern.getSymName();
  std::string docName =
      ::attn::isPlainIdentifier(name) ? name.str() : "PATTERN";
  os << "\n\n# Pattern " << ::attn::escapeComment(name) << " at "
     << ::attn::escapeComment(locText(pattern.getLoc()))
     << "\ndef make_mask_mod(nq, nk, /, **params):\n"
     << "    \"\"\"mask_mod(b, h, q_idx, kv_idx) of pattern " << docName
     << "\n    for nq queries and nk keys.\n\n"
     << "    True where query q_idx may attend key kv_idx. Run-time "
        "parameters are\n"
     << "    keyword arguments (PARAMS), whatever their names; a missing one "
        "raises\n"
     << "    TypeError.\n"
     << "    \"\"\"\n"
     << "    nq = _length(\"nq\", nq)\n"
     << "    nk = _length(\"nk\", nk)\n";
  ShapeRequirements req = getShapeRequirements(pattern);
  if (req.grid) {
    int64_t tokens = req.grid->first * req.grid->second;
    os << "    if nq != " << tokens << " or nk != " << tokens << ":\n"
       << "        raise ValueError(f\"pattern '{PATTERN}' has layout grid("
       << req.grid->first << ", " << req.grid->second
       << "), so both lengths must be " << tokens
       << "; got {nq} queries and {nk} keys\")\n";
  }
  for (const ShapeRequirements::Table &t : req.tables) {
    os << "    if " << t.rows << " < (nk - 1) // " << t.block << " + 1 or "
       << t.cols << " < (nk - 1) // " << t.block << " + 1:\n"
       << "        raise ValueError(f\"pattern '{PATTERN}': the block_layout "
          "table has "
       << t.rows << "x" << t.cols << " blocks of " << t.block
       << ", smaller than the block grid of {nk} "
       << "keys\")\n";
  }
  if (!paramVars.empty())
    os << "    " << llvm::join(paramVars, ", ")
       << (paramVars.size() == 1 ? "," : "") << " = _params(params)\n";
  else
    os << "    _params(params)\n";
  os << "\n    def mask_mod(b, h, q_idx, kv_idx):\n";
  if (wide) {
    std::vector<std::string> used;
    const char *argNames[] = {"b", "h", "q_idx", "kv_idx"};
    for (unsigned i = 0; i < 4; ++i)
      if (!fn.getArgument(i).use_empty())
        used.push_back(argNames[i]);
    if (!used.empty()) {
      std::vector<std::string> calls;
      for (auto &u : used)
        calls.push_back("_index(" + u + ")");
      os << "        # 64-bit arithmetic: widen int32 index tensors.\n"
         << "        " << llvm::join(used, ", ") << " = "
         << llvm::join(calls, ", ") << "\n";
    }
  }
  os << body;
  os << "    return mask_mod\n";
  return out;
}

std::string FlexEmitter::blockMask() {
  std::string out;
  llvm::raw_string_ostream os(out);
  StringRef name = pattern.getSymName();
  std::string docName =
      ::attn::isPlainIdentifier(name) ? name.str() : "PATTERN";
  // nq and nk are positional-only and the run-time parameters may also come
  // in params={...}: a parameter named like an argument of block_mask
  // (device, batch, ...) never collides with it.
  os << "\n\ndef block_mask(nq, nk, /, heads=None, batch=None, device=None,\n"
        "               BLOCK_SIZE=128, params=None, **kwargs):\n"
     << "    \"\"\"create_block_mask(...) for pattern " << docName << ".\n\n"
     << "    nq and nk are lengths, or the query and key tensors\n"
        "    ([..., seq, head_dim]) whose lengths (dimension -2) are used. "
        "The mask\n"
        "    is built on `device`: by default the device of those tensors, "
        "else\n"
        "    \"cuda\" when torch.cuda.is_available(), else \"cpu\". "
        "Run-time parameters\n"
        "    are keyword arguments; one named like an argument of "
        "block_mask (heads,\n"
        "    batch, device, BLOCK_SIZE, params) goes in params={...}, which "
        "takes\n"
        "    any of them. Needs PyTorch with FlexAttention.\n"
        "    \"\"\"\n"
     << "    from torch.nn.attention.flex_attention import "
        "create_block_mask\n\n"
     << "    nq, q_device = _seq_and_device(nq)\n"
     << "    nk, k_device = _seq_and_device(nk)\n"
     << "    nq = _length(\"nq\", nq)\n"
     << "    nk = _length(\"nk\", nk)\n"
     << "    if device is None:\n"
     << "        device = _default_device(q_device, k_device)\n"
     << "    mask_mod = make_mask_mod(nq, nk, **_merge_params(params, "
        "kwargs))\n"
     << "    if HEADS is not None:\n"
     << "        if heads is not None and heads != HEADS:\n"
     << "            raise ValueError(f\"pattern '{PATTERN}' has {HEADS} "
        "heads, got heads={heads}\")\n"
     << "        heads = HEADS\n"
     << "    elif heads is None and DEPENDS_ON_HEAD:\n"
     << "        raise ValueError(f\"pattern '{PATTERN}' differs per head: "
        "give heads=\")\n"
     << "    if batch is None and DEPENDS_ON_BATCH:\n"
     << "        raise ValueError(f\"pattern '{PATTERN}' differs per batch "
        "entry: give batch=\")\n";
  for (const ShapeRequirements::Table &t : getShapeRequirements(pattern).tables)
    if (t.heads)
      os << "    if heads is None or heads > " << t.heads << ":\n"
         << "        raise ValueError(f\"pattern '{PATTERN}': the per-head "
            "block_layout table has "
         << t.heads << " heads, but heads={heads}\")\n";
  os << "    return create_block_mask(mask_mod, B=batch, H=heads, Q_LEN=nq, "
        "KV_LEN=nk,\n"
     << "                             device=device, "
        "BLOCK_SIZE=BLOCK_SIZE)\n";
  return out;
}

FailureOr<std::string> FlexEmitter::run() {
  StringRef name = pattern.getSymName();
  if (fn.getNumArguments() != 6 + pattern.getNumParams() ||
      fn.getNumResults() != 1 || !fn.getResultTypes()[0].isInteger(1))
    return fn.emitError() << "'" << fn.getName()
                          << "' does not have the signature of pattern '"
                          << name << "''s mask function";
  if (!fn.getBody().hasOneBlock())
    return error(fn) << "the mask function has more than one block";

  // Names: FlexAttention's for the indices, the .attn names for parameters
  // unless a name is taken by the generated code (locals, module names,
  // builtins it calls) or is not a plain identifier. The keyword arguments
  // of make_mask_mod keep the .attn names whatever the variable is called.
  llvm::StringSet<> taken;
  for (StringRef n :
       llvm::split("b h q_idx kv_idx nq nk params mask_mod torch make_mask_mod "
                   "block_mask PATTERN HEADS LAYOUT PARAMS DEFAULTS "
                   "DEPENDS_ON_HEAD DEPENDS_ON_BATCH ValueError TypeError "
                   "AttributeError isinstance getattr zip sorted set str float "
                   "dict iter",
                   ' '))
    taken.insert(n);
  const char *argNames[] = {"b", "h", "q_idx", "kv_idx", "nq", "nk"};
  Interval argRanges[] = {{0, kMaxIndex},   {0, kMaxIndex}, {0, kMaxLen - 1},
                          {0, kMaxLen - 1}, {1, kMaxLen},   {1, kMaxLen}};
  for (unsigned i = 0; i < 6; ++i) {
    names[fn.getArgument(i)] = argNames[i];
    ranges[fn.getArgument(i)] = argRanges[i];
  }
  Block &patternBody = pattern.getBodyBlock();
  for (unsigned i = 0; i < pattern.getNumParams(); ++i) {
    Type t = patternBody.getArgument(i).getType();
    if (!t.isInteger(64) && !t.isInteger(1))
      return error(pattern)
             << "run-time parameter '" << pattern.getParamName(i)
             << "' has type " << t << "; only int and bool are supported";
    std::string var = pattern.getParamName(i).str();
    if (!::attn::isPlainIdentifier(var))
      var = "p_" + std::to_string(i);
    auto clash = [&](StringRef v) {
      return taken.contains(v) || isPythonKeyword(v) || v.starts_with("_") ||
             ((v[0] == 'v' || v[0] == 'i') && v.size() > 1 &&
              llvm::all_of(v.drop_front(), llvm::isDigit));
    };
    while (clash(var))
      var = "p_" + var;
    taken.insert(var);
    paramVars.push_back(var);
    Value arg = fn.getArgument(6 + i);
    names[arg] = var;
    ranges[arg] = t.isInteger(1) ? Interval{0, 1} : fullRange(64);
  }

  findDynamic();
  Block &entry = fn.getBody().front();
  if (failed(emitBlock(entry, 2)))
    return failure();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  line(2, "return _mask_result(" + ref(ret.getOperand(0)) + ", kv_idx)");

  std::string out = header();
  out += constants();
  out += "\n";
  out += kHelpers;
  out += tables();
  out += makeMaskMod();
  out += blockMask();
  return out;
}

FailureOr<std::string>
mlir::attn::exportFlexModule(ModuleOp module, StringRef patternName,
                             const FlexExportOptions &options) {
  auto pattern = dyn_cast_or_null<PatternOp>(
      SymbolTable::lookupSymbolIn(module, patternName));
  if (!pattern)
    return module.emitError() << "no pattern named '" << patternName << "'";
  auto fn = dyn_cast_or_null<func::FuncOp>(SymbolTable::lookupSymbolIn(
      module, maskFunctionName(pattern.getSymName())));
  if (!fn || fn.isExternal())
    return pattern.emitError()
           << "pattern '" << patternName
           << "' has no mask function: run attn-classify-tiles first";
  // Merge the repeated subexpressions the primitives emit (p / B for every
  // block primitive, ...) in a copy: the module stays as it was.
  OwningOpRef<func::FuncOp> copy = fn.clone();
  // Folding only (no patterns): `64 - 1` becomes 63, `0 ^ x` becomes x.
  (void)applyPatternsGreedily(copy->getOperation(), FrozenRewritePatternSet());
  IRRewriter rewriter(module.getContext());
  DominanceInfo dominance;
  eliminateCommonSubExpressions(rewriter, dominance, *copy);
  FlexEmitter emitter(module, pattern, *copy, options);
  return emitter.run();
}
