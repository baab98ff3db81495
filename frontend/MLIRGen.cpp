//===- MLIRGen.cpp - lowering of the .attn AST to the attn dialect --------===//
//
// Type checks each pattern (names, arguments, literal ranges, head coverage,
// grids) and emits attn ops. The first error stops everything, so malformed
// input gets exactly one diagnostic.
//
//===----------------------------------------------------------------------===//
#include "frontend/MLIRGen.h"

#include "dialect/AttnLimits.h"
#include "dialect/AttnOps.h"
#include "dialect/AttnPrimitives.h"
#include "support/Npy.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Path.h"

#include <array>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::ast;

Location mlir::attn::getLoc(MLIRContext *ctx, llvm::SourceMgr &sm,
                            llvm::SMLoc loc) {
  unsigned buf = loc.isValid() ? sm.FindBufferContainingLoc(loc) : 0;
  if (!buf)
    return UnknownLoc::get(ctx);
  auto [line, col] = sm.getLineAndColumn(loc, buf);
  return FileLineColLoc::get(
      ctx, sm.getMemoryBuffer(buf)->getBufferIdentifier(), line, col);
}

namespace {

//===----------------------------------------------------------------------===//
// Types, primitives and built-in functions
//===----------------------------------------------------------------------===//

enum class Kind { Mask, Int, Bool, Float, List };

/// The type of an expression; `index` marks ints and bools that depend on
/// the index variables (they can only end up inside an attn.predicate).
struct Ty {
  Kind kind = Kind::Mask;
  bool index = false;
};

llvm::StringRef kindName(Kind k) {
  switch (k) {
  case Kind::Mask:
    return "mask";
  case Kind::Int:
    return "int";
  case Kind::Bool:
    return "bool";
  case Kind::Float:
    return "float";
  case Kind::List:
    return "list";
  }
  return "?";
}

llvm::StringRef kindName(ParamType t) { return spelling(t); }

using ArgKind = PrimArgKind;
using PrimArg = PrimitiveArg;

/// Built-in integer functions: name and arity.
std::optional<unsigned> functionArity(llvm::StringRef name) {
  if (name == "min" || name == "max")
    return 2;
  if (name == "abs" || name == "is_pow2" || name == "log2_floor")
    return 1;
  return std::nullopt;
}

/// Index variables: the order is that of attn.predicate's block arguments.
constexpr std::array<llvm::StringLiteral, 9> kIndexVars = {
    "q", "k", "h", "b", "p", "qy", "qx", "ky", "kx"};

std::optional<unsigned> indexVarPosition(llvm::StringRef name) {
  for (unsigned i = 0; i < kIndexVars.size(); ++i)
    if (name == kIndexVars[i])
      return i;
  return std::nullopt;
}

bool isGridVar(llvm::StringRef name) {
  auto pos = indexVarPosition(name);
  return pos && *pos >= 5;
}

/// Evaluates an integer expression made only of literals (Python semantics
/// for / and %); nullopt when it is not constant, divides by zero or
/// overflows.
std::optional<int64_t> constInt(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Int:
    return e.intValue;
  case ExprKind::Unary: {
    if (e.unaryOp != UnaryOp::Neg)
      return std::nullopt;
    auto v = constInt(*e.operands[0]);
    if (!v || *v == INT64_MIN)
      return std::nullopt;
    return -*v;
  }
  case ExprKind::Binary: {
    auto a = constInt(*e.operands[0]);
    auto b = constInt(*e.operands[1]);
    if (!a || !b)
      return std::nullopt;
    int64_t r;
    switch (e.binaryOp) {
    case BinaryOp::Add:
      if (__builtin_add_overflow(*a, *b, &r))
        return std::nullopt;
      return r;
    case BinaryOp::Sub:
      if (__builtin_sub_overflow(*a, *b, &r))
        return std::nullopt;
      return r;
    case BinaryOp::Mul:
      if (__builtin_mul_overflow(*a, *b, &r))
        return std::nullopt;
      return r;
    case BinaryOp::Div:
    case BinaryOp::Rem: {
      if (*b == 0 || (*a == INT64_MIN && *b == -1))
        return std::nullopt;
      int64_t q = *a / *b, m = *a % *b;
      if (m != 0 && ((m < 0) != (*b < 0))) {
        --q;
        m += *b;
      }
      return e.binaryOp == BinaryOp::Div ? q : m;
    }
    default:
      return std::nullopt;
    }
  }
  case ExprKind::Call: {
    if (e.args.size() == 2 && (e.name == "min" || e.name == "max")) {
      auto a = constInt(*e.args[0].value), b = constInt(*e.args[1].value);
      if (!a || !b)
        return std::nullopt;
      return e.name == "min" ? std::min(*a, *b) : std::max(*a, *b);
    }
    return std::nullopt;
  }
  default:
    return std::nullopt;
  }
}

bool usesGridVars(const Expr &e) {
  if (e.kind == ExprKind::Ident)
    return isGridVar(e.name);
  for (const ExprPtr &x : e.operands)
    if (usesGridVars(*x))
      return true;
  for (const Arg &a : e.args)
    if (usesGridVars(*a.value))
      return true;
  return false;
}

using Grid = std::optional<std::array<int64_t, 2>>;

/// What the type checker learned about a call, for the generator.
struct CallInfo {
  const Primitive *prim = nullptr;
  const PatternDecl *callee = nullptr;
  Grid calleeGrid;
  std::string symbol;
  llvm::SmallVector<const Arg *, 6> slots; // per parameter; null = default
  ElementsAttr table;
  llvm::SmallVector<int64_t> positions;
};

/// State of the pattern being generated (saved and restored around callees).
struct PatternState {
  const PatternDecl *decl = nullptr;
  Grid grid;
  llvm::StringMap<Value> params;
  llvm::DenseMap<const Expr *, Ty> types;
  llvm::DenseMap<const Expr *, CallInfo> calls;
  Block *indexBlock = nullptr; // the attn.predicate body being filled
};

class Generator {
public:
  Generator(MLIRContext *ctx, llvm::SourceMgr &sm, llvm::StringRef baseDir)
      : ctx(ctx), sm(sm), baseDir(baseDir.str()), builder(ctx) {
    maskTy = MaskType::get(ctx);
    i64 = builder.getI64Type();
    i1 = builder.getI1Type();
    f64 = builder.getF64Type();
  }

  OwningOpRef<ModuleOp> run(const Module &user, const Module *prelude);

private:
  static constexpr unsigned kMaxCallDepth = 64;

  Location loc(llvm::SMLoc l);
  LogicalResult error(llvm::SMLoc l, const llvm::Twine &msg) {
    if (!hadError)
      emitError(loc(l), msg);
    hadError = true;
    return failure();
  }

  // Name resolution.
  const PatternDecl *resolvePattern(llvm::StringRef name,
                                    const PatternDecl *from);
  bool needsGrid(const PatternDecl *decl);
  std::string symbolFor(const PatternDecl *decl, const Grid &grid);

  // Type checking.
  FailureOr<Ty> typeOf(const Expr &e);
  FailureOr<Ty> computeType(const Expr &e);
  FailureOr<Ty> identType(const Expr &e);
  FailureOr<Ty> binaryType(const Expr &e);
  FailureOr<Ty> chainType(const Expr &e);
  FailureOr<Ty> callType(const Expr &e);
  LogicalResult matchArgs(const Expr &call, llvm::ArrayRef<std::string> names,
                          llvm::ArrayRef<bool> hasDefault,
                          llvm::SmallVectorImpl<const Arg *> &slots);
  LogicalResult checkPrimitiveCall(const Expr &call, const Primitive &prim,
                                   CallInfo &info);
  LogicalResult checkPatternCall(const Expr &call, const PatternDecl &callee,
                                 CallInfo &info);
  LogicalResult checkPositions(const Expr &arg, CallInfo &info);
  LogicalResult checkTable(const Arg &arg, CallInfo &info);
  LogicalResult checkInlineTable(const Expr &list, CallInfo &info);
  LogicalResult checkFileTable(const Expr &call, CallInfo &info);
  LogicalResult checkTableSize(llvm::ArrayRef<int64_t> shape, llvm::SMLoc at,
                               const std::string &what);

  // Generation.
  LogicalResult ensurePattern(const PatternDecl *decl, const Grid &grid,
                              const std::string &symbol, llvm::SMLoc callLoc);
  LogicalResult genPattern(const PatternDecl *decl, const Grid &grid,
                           const std::string &symbol);
  LogicalResult checkHeader(const PatternDecl &decl);
  Value genMask(const Expr &e);
  Value genPredicate(llvm::ArrayRef<const Expr *> exprs, BinaryOp combine,
                     llvm::SMLoc l);
  Value genScalar(const Expr &e);
  std::function<Value(Location, Value, Value)> boolCombiner(BinaryOp op);
  Value genDivRem(const Expr &e, Value a, Value b);
  Value genFunction(const Expr &e);
  Value genPrimitive(const Expr &e, CallInfo &info);
  Value genPatternCall(const Expr &e, CallInfo &info);
  Value constI64(Location l, int64_t v) {
    return arith::ConstantOp::create(builder, l, builder.getI64IntegerAttr(v));
  }
  Value constLiteral(Location l, const Expr &lit, ParamType type);

  MLIRContext *ctx;
  llvm::SourceMgr &sm;
  std::string baseDir;
  OpBuilder builder;
  Type maskTy, i64, i1, f64;
  bool hadError = false;

  /// Line starts of each buffer, for loc(): SourceMgr finds a column by
  /// scanning back to the line start, quadratic on a long one-line file.
  llvm::DenseMap<unsigned, std::vector<const char *>> lineStarts;
  llvm::DenseMap<unsigned, StringAttr> bufferNames;

  llvm::StringMap<const PatternDecl *> userMap, preludeMap;
  llvm::StringMap<PatternOp> done;
  std::vector<PatternOp> preludeOps;
  std::vector<std::pair<std::string, const PatternDecl *>> stack;
  llvm::DenseMap<const PatternDecl *, bool> needsGridMemo;
  llvm::DenseSet<const PatternDecl *> needsGridVisiting;
  PatternState *cur = nullptr;
};

} // namespace

Location Generator::loc(llvm::SMLoc l) {
  unsigned buf = l.isValid() ? sm.FindBufferContainingLoc(l) : 0;
  if (!buf)
    return UnknownLoc::get(ctx);
  std::vector<const char *> &starts = lineStarts[buf];
  if (starts.empty()) {
    llvm::StringRef text = sm.getMemoryBuffer(buf)->getBuffer();
    starts.push_back(text.begin());
    for (const char &c : text)
      if (c == '\n')
        starts.push_back(&c + 1);
    bufferNames[buf] = StringAttr::get(
        ctx, sm.getMemoryBuffer(buf)->getBufferIdentifier());
  }
  const char *at = l.getPointer();
  auto it = std::upper_bound(starts.begin(), starts.end(), at);
  unsigned line = it - starts.begin();
  unsigned col = at - *(it - 1) + 1;
  return FileLineColLoc::get(bufferNames[buf], line, col);
}

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

/// User patterns see their own file first, then the prelude (so a user
/// pattern shadows a prelude one). Prelude patterns see only the prelude, so
/// a user's `power` cannot change what the prelude's patterns mean.
const PatternDecl *Generator::resolvePattern(llvm::StringRef name,
                                             const PatternDecl *from) {
  if (!from->fromPrelude)
    if (const PatternDecl *d = userMap.lookup(name))
      return d;
  return preludeMap.lookup(name);
}

/// Whether a pattern without its own `layout` uses grid constructs (directly
/// or through the patterns it calls): such a pattern takes its caller's grid.
bool Generator::needsGrid(const PatternDecl *decl) {
  if (decl->layout == LayoutKind::Grid)
    return true;
  if (decl->layout == LayoutKind::Seq)
    return false;
  auto it = needsGridMemo.find(decl);
  if (it != needsGridMemo.end())
    return it->second;
  if (!needsGridVisiting.insert(decl).second)
    return false; // a cycle: reported as recursion when generated
  std::function<bool(const Expr &)> walk = [&](const Expr &e) -> bool {
    if (e.kind == ExprKind::Ident && isGridVar(e.name) &&
        !decl->findParam(e.name))
      return true;
    if (e.kind == ExprKind::Call) {
      if (const Primitive *p = lookupPrimitive(e.name)) {
        if (p->grid)
          return true;
      } else if (const PatternDecl *callee = resolvePattern(e.name, decl)) {
        if (needsGrid(callee))
          return true;
      }
    }
    for (const ExprPtr &x : e.operands)
      if (walk(*x))
        return true;
    for (const Arg &a : e.args)
      if (walk(*a.value))
        return true;
    return false;
  };
  bool result = false;
  for (const MaskClause &m : decl->masks)
    if (walk(*m.expr)) {
      result = true;
      break;
    }
  needsGridVisiting.erase(decl);
  needsGridMemo[decl] = result;
  return result;
}

std::string Generator::symbolFor(const PatternDecl *decl, const Grid &grid) {
  std::string sym = decl->name;
  if (decl->fromPrelude && userMap.count(decl->name))
    sym += "__prelude";
  if (decl->layout == LayoutKind::Unspecified && grid)
    sym += "__grid" + std::to_string((*grid)[0]) + "x" +
           std::to_string((*grid)[1]);
  return sym;
}

//===----------------------------------------------------------------------===//
// Type checking
//===----------------------------------------------------------------------===//

FailureOr<Ty> Generator::typeOf(const Expr &e) {
  auto it = cur->types.find(&e);
  if (it != cur->types.end())
    return it->second;
  FailureOr<Ty> t = computeType(e);
  if (succeeded(t))
    cur->types[&e] = *t;
  return t;
}

FailureOr<Ty> Generator::computeType(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Int:
    return Ty{Kind::Int};
  case ExprKind::Float:
    return Ty{Kind::Float};
  case ExprKind::Bool:
    return Ty{Kind::Bool};
  case ExprKind::List:
    return Ty{Kind::List};
  case ExprKind::String:
    return error(e.loc, "a string can only be used in 'file(\"...\")' as the "
                        "table of 'block_layout'");
  case ExprKind::Ident:
    return identType(e);
  case ExprKind::Unary: {
    FailureOr<Ty> t = typeOf(*e.operands[0]);
    if (failed(t))
      return failure();
    if (e.unaryOp == UnaryOp::Not) {
      if (t->kind == Kind::Mask || t->kind == Kind::Bool)
        return *t;
      return error(e.loc,
                   "'!' expects a mask or a bool, got " + kindName(t->kind));
    }
    if (t->kind == Kind::Int)
      return *t;
    return error(e.loc, "unary '-' expects an int, got " + kindName(t->kind));
  }
  case ExprKind::Binary:
    return binaryType(e);
  case ExprKind::Call:
    return callType(e);
  }
  return failure();
}

FailureOr<Ty> Generator::identType(const Expr &e) {
  if (const Param *p = cur->decl->findParam(e.name)) {
    switch (p->type) {
    case ParamType::Int:
      return Ty{Kind::Int};
    case ParamType::Float:
      return Ty{Kind::Float};
    case ParamType::Bool:
      return Ty{Kind::Bool};
    }
  }
  if (auto pos = indexVarPosition(e.name)) {
    if (*pos >= 5 && !cur->grid)
      return error(e.loc, "index variable '" + e.name +
                              "' needs 'layout grid(H, W)' in the pattern");
    return Ty{Kind::Int, true};
  }
  if (lookupPrimitive(e.name) || functionArity(e.name) ||
      resolvePattern(e.name, cur->decl))
    return error(e.loc, "'" + e.name + "' is not a variable; call it as '" +
                            e.name + "(...)'");
  return error(e.loc, "unknown variable '" + e.name + "'");
}

/// A chain `x0 | x1 | ...` (or `&`), typed as the left-associated operator
/// would be: mask when any operand is a mask, else bool.
FailureOr<Ty> Generator::chainType(const Expr &e) {
  auto maskLike = [](Ty t) {
    return t.kind == Kind::Mask || t.kind == Kind::Bool;
  };
  FailureOr<Ty> acc = typeOf(*e.operands[0]);
  if (failed(acc))
    return failure();
  for (size_t i = 1; i < e.operands.size(); ++i) {
    FailureOr<Ty> r = typeOf(*e.operands[i]);
    if (failed(r))
      return failure();
    if (!maskLike(*acc) || !maskLike(*r))
      return error(e.opLocs[i - 1],
                   "'" + spelling(e.binaryOp) + "' expects masks or bools, got " +
                       kindName(acc->kind) + " and " + kindName(r->kind));
    if (acc->kind == Kind::Bool && r->kind == Kind::Bool)
      acc = Ty{Kind::Bool, acc->index || r->index};
    else
      acc = Ty{Kind::Mask};
  }
  return acc;
}

FailureOr<Ty> Generator::binaryType(const Expr &e) {
  if (e.binaryOp == BinaryOp::Or || e.binaryOp == BinaryOp::And)
    return chainType(e);
  FailureOr<Ty> l = typeOf(*e.operands[0]);
  if (failed(l))
    return failure();
  FailureOr<Ty> r = typeOf(*e.operands[1]);
  if (failed(r))
    return failure();
  auto maskLike = [](Ty t) {
    return t.kind == Kind::Mask || t.kind == Kind::Bool;
  };
  bool index = l->index || r->index;
  llvm::StringRef op = spelling(e.binaryOp);
  std::string got =
      ("got " + kindName(l->kind) + " and " + kindName(r->kind)).str();
  switch (e.binaryOp) {
  case BinaryOp::Sub:
    if (l->kind == Kind::Int && r->kind == Kind::Int)
      return Ty{Kind::Int, index};
    if (maskLike(*l) && maskLike(*r) &&
        (l->kind == Kind::Mask || r->kind == Kind::Mask))
      return Ty{Kind::Mask};
    return error(e.loc, "'-' expects two ints or two masks, " + got);
  case BinaryOp::Add:
  case BinaryOp::Mul:
  case BinaryOp::Div:
  case BinaryOp::Rem:
    if (l->kind != Kind::Int || r->kind != Kind::Int)
      return error(e.loc, "'" + op + "' expects ints, " + got);
    if ((e.binaryOp == BinaryOp::Div || e.binaryOp == BinaryOp::Rem) &&
        constInt(*e.operands[1]) == 0)
      return error(e.loc, "division by zero");
    return Ty{Kind::Int, index};
  default: // comparisons
    if (l->kind == Kind::Int && r->kind == Kind::Int)
      return Ty{Kind::Bool, index};
    if ((e.binaryOp == BinaryOp::Eq || e.binaryOp == BinaryOp::Ne) &&
        l->kind == Kind::Bool && r->kind == Kind::Bool)
      return Ty{Kind::Bool, index};
    return error(e.loc, "'" + op + "' expects ints, " + got);
  }
}

LogicalResult Generator::matchArgs(const Expr &call,
                                   llvm::ArrayRef<std::string> names,
                                   llvm::ArrayRef<bool> hasDefault,
                                   llvm::SmallVectorImpl<const Arg *> &slots) {
  slots.assign(names.size(), nullptr);
  size_t positional = 0;
  for (const Arg &a : call.args)
    if (a.name.empty())
      ++positional;
  if (positional > names.size()) {
    size_t required = llvm::count(hasDefault, false);
    std::string takes = required == names.size()
                            ? std::to_string(names.size())
                            : "at most " + std::to_string(names.size());
    return error(call.loc,
                 "'" + call.name + "' takes " + takes +
                     (names.size() == 1 ? " argument" : " arguments") +
                     ", got " + std::to_string(positional));
  }
  size_t pos = 0;
  for (const Arg &a : call.args) {
    size_t idx;
    if (a.name.empty()) {
      idx = pos++;
    } else {
      auto it = llvm::find(names, a.name);
      if (it == names.end())
        return error(a.nameLoc, "'" + call.name + "' has no parameter named '" +
                                    a.name + "'");
      idx = it - names.begin();
    }
    if (slots[idx])
      return error(a.nameLoc, "argument '" + names[idx] + "' of '" + call.name +
                                  "' is given twice");
    slots[idx] = &a;
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!slots[i] && !hasDefault[i])
      return error(call.loc, "missing argument '" + names[i] +
                                 "' in call to '" + call.name + "'");
  return success();
}

FailureOr<Ty> Generator::callType(const Expr &e) {
  if (e.name == "file")
    return error(e.loc,
                 "'file(...)' can only be used as the table of 'block_layout'");
  if (auto arity = functionArity(e.name)) {
    for (const Arg &a : e.args)
      if (!a.name.empty())
        return error(a.nameLoc, "'" + e.name + "' takes no named arguments");
    if (e.args.size() != *arity)
      return error(e.loc, "'" + e.name + "' takes " + std::to_string(*arity) +
                              (*arity == 1 ? " argument" : " arguments") +
                              ", got " + std::to_string(e.args.size()));
    bool index = false;
    for (const Arg &a : e.args) {
      FailureOr<Ty> t = typeOf(*a.value);
      if (failed(t))
        return failure();
      if (t->kind != Kind::Int)
        return error(a.nameLoc, "'" + e.name + "' expects int arguments, got " +
                                    kindName(t->kind));
      index |= t->index;
    }
    return Ty{e.name == "is_pow2" ? Kind::Bool : Kind::Int, index};
  }
  CallInfo info;
  if (const Primitive *prim = lookupPrimitive(e.name)) {
    if (failed(checkPrimitiveCall(e, *prim, info)))
      return failure();
  } else if (const PatternDecl *callee = resolvePattern(e.name, cur->decl)) {
    if (failed(checkPatternCall(e, *callee, info)))
      return failure();
  } else {
    return error(e.loc, "unknown pattern or primitive '" + e.name + "'");
  }
  cur->calls[&e] = std::move(info);
  return Ty{Kind::Mask};
}

LogicalResult Generator::checkPrimitiveCall(const Expr &call,
                                            const Primitive &prim,
                                            CallInfo &info) {
  info.prim = &prim;
  if (prim.grid && !cur->grid)
    return error(call.loc, "'" + call.name +
                               "' needs 'layout grid(H, W)' in the pattern");
  std::vector<std::string> names;
  std::vector<bool> hasDefault;
  for (const PrimArg &a : prim.args) {
    names.push_back(a.name);
    hasDefault.push_back(a.defaultValue.has_value() || a.computedDefault);
  }
  llvm::SmallVector<bool> hd(hasDefault.begin(), hasDefault.end());
  if (failed(matchArgs(call, names, hd, info.slots)))
    return failure();

  std::vector<std::optional<int64_t>> values(prim.args.size());
  for (size_t i = 0; i < prim.args.size(); ++i) {
    const PrimArg &pa = prim.args[i];
    const Arg *a = info.slots[i];
    if (!a) {
      values[i] = pa.defaultValue;
      continue;
    }
    std::string what =
        ("argument '" + llvm::Twine(pa.name) + "' of '" + call.name + "'")
            .str();
    if (pa.kind == ArgKind::Positions) {
      if (failed(checkPositions(*a->value, info)))
        return failure();
      continue;
    }
    if (pa.kind == ArgKind::Table) {
      if (failed(checkTable(*a, info)))
        return failure();
      continue;
    }
    FailureOr<Ty> t = typeOf(*a->value);
    if (failed(t))
      return failure();
    if (t->kind != Kind::Int)
      return error(a->nameLoc,
                   what + " must be an int, got " + kindName(t->kind));
    if (t->index)
      return error(a->nameLoc, what + " cannot depend on the index variables");
    values[i] = constInt(*a->value);
    // A parameter passed straight through: its default is a literal too,
    // and an out-of-range default is a bug whenever it is used.
    if (a->value->kind == ExprKind::Ident) {
      const Param *param = cur->decl->findParam(a->value->name);
      if (param && param->defaultValue &&
          param->defaultValue->kind == ExprKind::Int) {
        int64_t d = param->defaultValue->intValue;
        std::string problem = checkArgValue(pa, d);
        // "must be at least 1, got 0" -> "... (it is argument 'w' of ...)".
        if (!problem.empty()) {
          size_t got = problem.rfind(", got ");
          return error(param->defaultValue->loc,
                       "default value of '" + param->name + "' " +
                           problem.substr(0, got) + " (it is " + what + ")" +
                           problem.substr(got));
        }
      }
    }
    if (values[i]) {
      std::string problem = checkArgValue(pa, *values[i]);
      if (!problem.empty())
        return error(a->nameLoc, what + " " + problem);
    }
  }

  // Checks between arguments, on literal values only (the dialect verifiers
  // repeat them once parameters are bound).
  if (prim.name == llvm::StringRef("stripe") && values[0] && values[1] &&
      *values[1] > *values[0])
    return error(info.slots[1]->nameLoc,
                 "argument 'width' of 'stripe' must be at most s = " +
                     std::to_string(*values[0]) + ", got " +
                     std::to_string(*values[1]));
  if (prim.name == llvm::StringRef("neighborhood")) {
    if (values[0] && *values[0] > (*cur->grid)[0])
      return error(info.slots[0]->nameLoc,
                   "argument 'kh' of 'neighborhood' must be at most the grid "
                   "height " +
                       std::to_string((*cur->grid)[0]) + ", got " +
                       std::to_string(*values[0]));
    if (values[1] && *values[1] > (*cur->grid)[1])
      return error(info.slots[1]->nameLoc,
                   "argument 'kw' of 'neighborhood' must be at most the grid "
                   "width " +
                       std::to_string((*cur->grid)[1]) + ", got " +
                       std::to_string(*values[1]));
  }
  return success();
}

LogicalResult Generator::checkPositions(const Expr &arg, CallInfo &info) {
  if (arg.kind != ExprKind::List)
    return error(arg.loc, "argument 'positions' of 'global' must be a list of "
                          "non-negative integer literals, like [0, 1]");
  if (arg.operands.empty())
    return error(arg.loc, "argument 'positions' of 'global' must not be empty");
  if (static_cast<int64_t>(arg.operands.size()) >
      ::attn::limits::kMaxGlobalPositions)
    return error(arg.loc, "'global' takes at most " +
                              std::to_string(::attn::limits::kMaxGlobalPositions) +
                              " positions, got " +
                              std::to_string(arg.operands.size()));
  for (const ExprPtr &x : arg.operands) {
    std::optional<int64_t> v = constInt(*x);
    if (!v)
      return error(x->loc,
                   "global positions must be non-negative integer literals");
    if (*v < 0)
      return error(x->loc, "global position must be at least 0, got " +
                               std::to_string(*v));
    if (*v >= ::attn::limits::kMaxLength)
      return error(x->loc, "global position must be less than the longest "
                           "supported sequence, 2^40 = " +
                               std::to_string(::attn::limits::kMaxLength) +
                               ", got " + std::to_string(*v));
    info.positions.push_back(*v);
  }
  llvm::sort(info.positions);
  info.positions.erase(llvm::unique(info.positions), info.positions.end());
  return success();
}

LogicalResult Generator::checkTable(const Arg &arg, CallInfo &info) {
  const Expr &v = *arg.value;
  if (v.kind == ExprKind::List)
    return checkInlineTable(v, info);
  if (v.kind == ExprKind::Call && v.name == "file")
    return checkFileTable(v, info);
  return error(arg.nameLoc, "argument 'table' of 'block_layout' must be a "
                            "nested list of 0/1 or 'file(\"x.npy\")'");
}

LogicalResult Generator::checkInlineTable(const Expr &list, CallInfo &info) {
  llvm::SmallVector<int64_t, 3> shape;
  const Expr *x = &list;
  while (x->kind == ExprKind::List) {
    if (x->operands.empty())
      return error(x->loc, "block table must not be empty");
    shape.push_back(x->operands.size());
    x = x->operands.front().get();
  }
  if (shape.size() != 2 && shape.size() != 3)
    return error(list.loc, "block table must be a 2-D [rows][cols] or 3-D "
                           "[heads][rows][cols] list, got " +
                               std::to_string(shape.size()) + "-D");
  if (failed(checkTableSize(shape, list.loc, "block table")))
    return failure();
  llvm::SmallVector<bool> values;
  std::function<LogicalResult(const Expr &, unsigned)> flatten =
      [&](const Expr &e, unsigned dim) -> LogicalResult {
    if (dim == shape.size()) {
      if (e.kind == ExprKind::Bool) {
        values.push_back(e.boolValue);
        return success();
      }
      if (e.kind == ExprKind::Int && (e.intValue == 0 || e.intValue == 1)) {
        values.push_back(e.intValue == 1);
        return success();
      }
      if (e.kind == ExprKind::Int)
        return error(e.loc, "block table entries must be 0/1 or true/false, "
                            "got " +
                                std::to_string(e.intValue));
      return error(e.loc, "block table entries must be the literals 0/1 or "
                          "true/false");
    }
    if (e.kind != ExprKind::List ||
        e.operands.size() != static_cast<size_t>(shape[dim]))
      return error(e.loc, "block table is not rectangular: expected a list "
                          "of " +
                              std::to_string(shape[dim]) + " elements here");
    for (const ExprPtr &c : e.operands)
      if (failed(flatten(*c, dim + 1)))
        return failure();
    return success();
  };
  if (failed(flatten(list, 0)))
    return failure();
  auto type = RankedTensorType::get(shape, i1);
  info.table = llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  return success();
}

/// The table becomes constant data in every compiled kernel: its size is
/// bounded (the product is computed without overflow).
LogicalResult Generator::checkTableSize(llvm::ArrayRef<int64_t> shape,
                                        llvm::SMLoc at,
                                        const std::string &what) {
  int64_t cells = 1;
  for (int64_t d : shape) {
    if (d > ::attn::limits::kMaxTableCells / cells) {
      std::string dims;
      for (int64_t x : shape)
        dims += (dims.empty() ? "" : "x") + std::to_string(x);
      return error(at, what + " has " + dims + " cells, more than the " +
                           "supported " +
                           std::to_string(::attn::limits::kMaxTableCells));
    }
    cells *= d;
  }
  return success();
}

LogicalResult Generator::checkFileTable(const Expr &call, CallInfo &info) {
  if (call.args.size() != 1 || !call.args[0].name.empty() ||
      call.args[0].value->kind != ExprKind::String)
    return error(call.loc, "'file' takes one string: file(\"layout.npy\")");
  const Expr &str = *call.args[0].value;
  llvm::SmallString<256> path;
  if (llvm::sys::path::is_absolute(str.name)) {
    path = str.name;
  } else {
    path = baseDir;
    llvm::sys::path::append(path, str.name);
  }
  ::attn::NpyArray array;
  std::string err;
  if (!::attn::readNpy(std::string(path), array, err))
    return error(str.loc, "cannot read block table: " + err);
  using ::attn::NpyDType;
  if (array.dtype != NpyDType::Bool && array.dtype != NpyDType::U8 &&
      array.dtype != NpyDType::I8 && array.dtype != NpyDType::I32 &&
      array.dtype != NpyDType::I64)
    return error(str.loc, "block table '" + str.name + "' has dtype " +
                              std::string(::attn::npyDTypeName(array.dtype)) +
                              "; expected bool, uint8, int8, int32 or int64");
  if (array.shape.size() != 2 && array.shape.size() != 3)
    return error(str.loc, "block table '" + str.name +
                              "' must be 2-D or 3-D, got " +
                              std::to_string(array.shape.size()) + "-D");
  if (array.numel() == 0)
    return error(str.loc, "block table '" + str.name + "' is empty");
  llvm::SmallVector<int64_t, 3> dims(array.shape.begin(), array.shape.end());
  if (failed(checkTableSize(dims, str.loc, "block table '" + str.name + "'")))
    return failure();
  llvm::SmallVector<bool> values;
  values.reserve(array.numel());
  for (size_t i = 0, e = array.numel(); i < e; ++i) {
    int64_t v = array.intAt(i);
    if (v != 0 && v != 1)
      return error(str.loc, "block table '" + str.name + "' has the value " +
                                std::to_string(v) + " at flat index " +
                                std::to_string(i) + "; expected 0 or 1");
    values.push_back(v == 1);
  }
  auto type = RankedTensorType::get(array.shape, i1);
  info.table = llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  return success();
}

LogicalResult Generator::checkPatternCall(const Expr &call,
                                          const PatternDecl &callee,
                                          CallInfo &info) {
  info.callee = &callee;
  std::vector<std::string> names;
  llvm::SmallVector<bool> hasDefault;
  for (const Param &p : callee.params) {
    names.push_back(p.name);
    hasDefault.push_back(p.defaultValue != nullptr);
  }
  if (failed(matchArgs(call, names, hasDefault, info.slots)))
    return failure();
  for (size_t i = 0; i < callee.params.size(); ++i) {
    const Arg *a = info.slots[i];
    if (!a)
      continue;
    const Param &p = callee.params[i];
    FailureOr<Ty> t = typeOf(*a->value);
    if (failed(t))
      return failure();
    std::string what = "argument '" + p.name + "' of '" + call.name + "'";
    bool ok = false;
    switch (p.type) {
    case ParamType::Int:
      ok = t->kind == Kind::Int;
      break;
    case ParamType::Bool:
      ok = t->kind == Kind::Bool;
      break;
    case ParamType::Float:
      ok = t->kind == Kind::Float ||
           (t->kind == Kind::Int && constInt(*a->value));
      break;
    }
    if (!ok)
      return error(a->nameLoc, what + " must be " +
                                   (p.type == ParamType::Int ? "an " : "a ") +
                                   kindName(p.type) + ", got " +
                                   kindName(t->kind));
    if (t->index)
      return error(a->nameLoc, what + " cannot depend on the index variables");
  }

  // Grids: an explicit grid must be the caller's; a pattern without a layout
  // that uses grid constructs takes the caller's grid.
  if (callee.layout == LayoutKind::Grid) {
    std::array<int64_t, 2> g = {callee.gridH, callee.gridW};
    if (!cur->grid || *cur->grid != g) {
      std::string from = cur->grid
                             ? "a pattern with layout grid(" +
                                   std::to_string((*cur->grid)[0]) + ", " +
                                   std::to_string((*cur->grid)[1]) + ")"
                             : std::string("a pattern without a grid layout");
      return error(call.loc, "pattern '" + callee.name + "' has layout grid(" +
                                 std::to_string(g[0]) + ", " +
                                 std::to_string(g[1]) +
                                 ") and cannot be called from " + from);
    }
    info.calleeGrid = g;
  } else if (callee.layout == LayoutKind::Unspecified && callee.fromPrelude &&
             needsGrid(&callee)) {
    if (!cur->grid)
      return error(call.loc, "pattern '" + callee.name +
                                 "' uses grid primitives and must be called "
                                 "from a pattern with 'layout grid(H, W)'");
    info.calleeGrid = cur->grid;
  }
  if (callee.heads && cur->decl->heads && *callee.heads != *cur->decl->heads)
    return error(call.loc, "pattern '" + callee.name + "' has " +
                               std::to_string(*callee.heads) +
                               " heads but is called from a pattern with " +
                               std::to_string(*cur->decl->heads) + " heads");
  info.symbol = symbolFor(&callee, info.calleeGrid);
  return success();
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

LogicalResult Generator::ensurePattern(const PatternDecl *decl,
                                       const Grid &grid,
                                       const std::string &symbol,
                                       llvm::SMLoc callLoc) {
  if (done.count(symbol))
    return success();
  auto it = llvm::find_if(stack, [&](auto &e) { return e.first == symbol; });
  if (it != stack.end()) {
    std::string chain;
    for (auto i = it; i != stack.end(); ++i)
      chain += i->second->name + " -> ";
    chain += decl->name;
    return error(callLoc,
                 "recursive call to pattern '" + decl->name + "': " + chain);
  }
  if (stack.size() >= kMaxCallDepth)
    return error(callLoc, "pattern calls nested too deeply (limit " +
                              std::to_string(kMaxCallDepth) + ")");
  return genPattern(decl, grid, symbol);
}

LogicalResult Generator::checkHeader(const PatternDecl &decl) {
  llvm::StringMap<const Param *> seen;
  for (const Param &p : decl.params) {
    if (!seen.try_emplace(p.name, &p).second)
      return error(p.loc, "duplicate parameter '" + p.name + "' in pattern '" +
                              decl.name + "'");
    if (indexVarPosition(p.name))
      return error(p.loc, "parameter '" + p.name +
                              "' shadows the index variable of the same name");
    if (!p.defaultValue)
      continue;
    const Expr &d = *p.defaultValue;
    bool ok = (p.type == ParamType::Int && d.kind == ExprKind::Int) ||
              (p.type == ParamType::Float &&
               (d.kind == ExprKind::Float || d.kind == ExprKind::Int)) ||
              (p.type == ParamType::Bool && d.kind == ExprKind::Bool);
    if (!ok) {
      llvm::StringRef got = d.kind == ExprKind::Int     ? "int"
                            : d.kind == ExprKind::Float ? "float"
                                                        : "bool";
      return error(d.loc, "default value of '" + p.name + "' must be " +
                              (p.type == ParamType::Int ? "an " : "a ") +
                              spelling(p.type) + ", got " + got);
    }
  }

  if (decl.masks.empty())
    return error(decl.loc, "pattern '" + decl.name + "' has no 'mask'");
  bool anyRange = false, anyAll = false;
  for (const MaskClause &m : decl.masks) {
    anyRange |= m.hasRange;
    anyAll |= !m.hasRange;
  }
  if (anyAll && decl.masks.size() > 1) {
    const MaskClause &second = decl.masks[1];
    return error(second.loc, anyRange
                                 ? "'mask' for all heads cannot be combined "
                                   "with 'mask[a:b]' clauses"
                                 : "duplicate 'mask' (use 'mask[a:b]' with "
                                   "'heads N' for per-head masks)");
  }
  if (!anyRange)
    return success();
  if (decl.masks.size() > size_t(::attn::limits::kMaxMaskClauses))
    return error(decl.masks[::attn::limits::kMaxMaskClauses].loc,
                 "pattern '" + decl.name + "' has more than " +
                     std::to_string(::attn::limits::kMaxMaskClauses) +
                     " 'mask' clauses (give heads with the same mask one "
                     "clause, 'mask[a:b]')");
  for (const MaskClause &m : decl.masks) {
    if (!decl.heads)
      return error(m.rangeLoc, "'mask[" + std::to_string(m.lo) + ":" +
                                   std::to_string(m.hi) +
                                   "]' needs 'heads N' in the pattern");
    if (m.lo >= m.hi)
      return error(m.rangeLoc, "empty head range [" + std::to_string(m.lo) +
                                   ":" + std::to_string(m.hi) + "]");
    if (m.hi > *decl.heads)
      return error(m.rangeLoc, "head range [" + std::to_string(m.lo) + ":" +
                                   std::to_string(m.hi) +
                                   "] is out of range for " +
                                   std::to_string(*decl.heads) + " heads");
  }
  llvm::SmallVector<const MaskClause *> sorted;
  for (const MaskClause &m : decl.masks)
    sorted.push_back(&m);
  // Stable, so which of two clauses is reported never varies.
  llvm::stable_sort(sorted, [](auto *a, auto *b) {
    return std::tie(a->lo, a->hi) < std::tie(b->lo, b->hi);
  });
  int64_t next = 0;
  for (const MaskClause *m : sorted) {
    if (m->lo < next)
      return error(m->rangeLoc, "heads [" + std::to_string(m->lo) + ":" +
                                    std::to_string(std::min(next, m->hi)) +
                                    "] are covered twice");
    if (m->lo > next)
      return error(decl.loc, "heads [" + std::to_string(next) + ":" +
                                 std::to_string(m->lo) + "] of pattern '" +
                                 decl.name + "' are not covered by any 'mask'");
    next = m->hi;
  }
  if (next < *decl.heads)
    return error(decl.loc, "heads [" + std::to_string(next) + ":" +
                               std::to_string(*decl.heads) + "] of pattern '" +
                               decl.name + "' are not covered by any 'mask'");
  return success();
}

Value Generator::constLiteral(Location l, const Expr &lit, ParamType type) {
  switch (type) {
  case ParamType::Int:
    return constI64(l, lit.intValue);
  case ParamType::Float: {
    double v = lit.kind == ExprKind::Int ? static_cast<double>(lit.intValue)
                                         : lit.floatValue;
    return arith::ConstantOp::create(builder, l, builder.getF64FloatAttr(v));
  }
  case ParamType::Bool:
    return arith::ConstantOp::create(builder, l,
                                     builder.getIntegerAttr(i1, lit.boolValue));
  }
  return {};
}

LogicalResult Generator::genPattern(const PatternDecl *decl, const Grid &grid,
                                    const std::string &symbol) {
  stack.emplace_back(symbol, decl);
  PatternState state;
  state.decl = decl;
  state.grid = grid;
  PatternState *saved = cur;
  cur = &state;
  OpBuilder::InsertionGuard guard(builder);
  auto restore = llvm::scope_exit([&] {
    cur = saved;
    stack.pop_back();
  });

  if (failed(checkHeader(*decl)))
    return failure();
  for (const MaskClause &m : decl->masks) {
    FailureOr<Ty> t = typeOf(*m.expr);
    if (failed(t))
      return failure();
    if (t->kind != Kind::Mask && t->kind != Kind::Bool)
      return error(m.expr->loc,
                   "expected a mask expression, got " + kindName(t->kind));
  }

  // Attributes.
  llvm::SmallVector<Attribute> names, defaults;
  llvm::SmallVector<bool> runtime;
  llvm::SmallVector<Type> types;
  for (const Param &p : decl->params) {
    names.push_back(builder.getStringAttr(p.name));
    runtime.push_back(p.runtime);
    Type t = p.type == ParamType::Int     ? i64
             : p.type == ParamType::Float ? f64
                                          : i1;
    types.push_back(t);
    if (!p.defaultValue) {
      defaults.push_back(builder.getUnitAttr());
      continue;
    }
    const Expr &d = *p.defaultValue;
    switch (p.type) {
    case ParamType::Int:
      defaults.push_back(builder.getI64IntegerAttr(d.intValue));
      break;
    case ParamType::Float:
      defaults.push_back(builder.getF64FloatAttr(
          d.kind == ExprKind::Int ? static_cast<double>(d.intValue)
                                  : d.floatValue));
      break;
    case ParamType::Bool:
      defaults.push_back(builder.getBoolAttr(d.boolValue));
      break;
    }
  }
  OpBuilder top(ctx); // no insertion point: the op is placed by run()
  auto op = PatternOp::create(
      top, loc(decl->loc), builder.getStringAttr(symbol),
      decl->fromPrelude ? builder.getStringAttr("private") : StringAttr(),
      builder.getArrayAttr(names), builder.getArrayAttr(defaults),
      builder.getDenseBoolArrayAttr(runtime),
      decl->heads ? builder.getI64IntegerAttr(*decl->heads) : IntegerAttr(),
      grid ? builder.getDenseI64ArrayAttr({(*grid)[0], (*grid)[1]})
           : DenseI64ArrayAttr());
  Block *body = new Block();
  op.getBody().push_back(body);
  for (size_t i = 0; i < decl->params.size(); ++i)
    state.params[decl->params[i].name] =
        body->addArgument(types[i], loc(decl->params[i].loc));
  builder.setInsertionPointToStart(body);

  Value mask;
  if (!decl->masks.front().hasRange) {
    mask = genMask(*decl->masks.front().expr);
  } else {
    llvm::SmallVector<const MaskClause *> sorted;
    for (const MaskClause &m : decl->masks)
      sorted.push_back(&m);
    llvm::sort(sorted, [](auto *a, auto *b) {
      return std::tie(a->lo, a->hi) < std::tie(b->lo, b->hi);
    });
    llvm::SmallVector<Value> masks;
    llvm::SmallVector<int64_t> bounds;
    for (const MaskClause *m : sorted) {
      Value v = genMask(*m->expr);
      if (!v)
        break;
      masks.push_back(v);
      bounds.push_back(m->lo);
    }
    if (masks.size() == sorted.size()) {
      bounds.push_back(*decl->heads);
      mask =
          SelectHeadsOp::create(builder, loc(decl->masks.front().loc), maskTy,
                                masks, builder.getDenseI64ArrayAttr(bounds));
    }
  }
  if (!mask) {
    op->erase();
    return failure();
  }
  YieldOp::create(builder, loc(decl->masks.front().loc), mask);
  done[symbol] = op;
  if (decl->fromPrelude)
    preludeOps.push_back(op);
  return success();
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// Collects the operands of a chain of the same mask operator (`a & b & c`,
/// parenthesized sub-chains included), so that all its boolean operands go
/// into one attn.predicate. `opLocs[i]` is the operator before operand i + 1.
static void flattenChain(const Expr &e, BinaryOp op,
                         llvm::DenseMap<const Expr *, Ty> &types,
                         llvm::SmallVectorImpl<const Expr *> &operands,
                         llvm::SmallVectorImpl<llvm::SMLoc> &opLocs) {
  for (size_t i = 0; i < e.operands.size(); ++i) {
    if (i > 0)
      opLocs.push_back(e.opLocs[i - 1]);
    const Expr &x = *e.operands[i];
    if (x.kind == ExprKind::Binary && x.binaryOp == op &&
        types.lookup(&x).kind == Kind::Mask)
      flattenChain(x, op, types, operands, opLocs);
    else
      operands.push_back(&x);
  }
}

namespace {
/// Combines the operands of a chain (`x0 | x1 | ...`) as they are generated.
/// Up to kLeftDeep operands the result is left-deep, like the source; a
/// longer chain becomes a balanced tree (depth log2 of the count), so that no
/// later walk over the IR recurses deeply. The node joining two parts gets
/// the location of the operator between them.
class ChainBuilder {
public:
  static constexpr size_t kLeftDeep = 64;
  using MakeFn = std::function<Value(Location, Value, Value)>;

  ChainBuilder(size_t count, MakeFn make)
      : balanced(count > kLeftDeep), make(std::move(make)) {}

  /// `opLoc` is the operator before `v` (ignored for the first operand).
  void add(Value v, Location opLoc) {
    if (!balanced) {
      acc = acc ? make(opLoc, acc, v) : v;
      return;
    }
    if (!values.empty())
      locs.push_back(opLoc);
    values.push_back(v);
  }

  Value finish() {
    if (!balanced)
      return acc;
    return tree(0, values.size());
  }

private:
  Value tree(size_t lo, size_t hi) {
    if (hi - lo == 1)
      return values[lo];
    size_t mid = lo + (hi - lo + 1) / 2;
    Value l = tree(lo, mid), r = tree(mid, hi);
    return make(locs[mid - 1], l, r);
  }

  bool balanced;
  MakeFn make;
  Value acc;
  llvm::SmallVector<Value> values;
  llvm::SmallVector<Location> locs;
};
} // namespace

Value Generator::genMask(const Expr &e) {
  FailureOr<Ty> t = typeOf(e);
  if (failed(t))
    return {};
  if (t->kind == Kind::Bool)
    return genPredicate({&e}, BinaryOp::And, e.loc);
  Location l = loc(e.loc);
  switch (e.kind) {
  case ExprKind::Unary: {
    Value v = genMask(*e.operands[0]);
    return v ? ComplementOp::create(builder, l, maskTy, v).getResult()
             : Value();
  }
  case ExprKind::Binary: {
    if (e.binaryOp == BinaryOp::Sub) {
      Value a = genMask(*e.operands[0]);
      Value b = a ? genMask(*e.operands[1]) : Value();
      return b ? DifferenceOp::create(builder, l, maskTy, a, b).getResult()
               : Value();
    }
    llvm::SmallVector<const Expr *> operands, bools;
    llvm::SmallVector<llvm::SMLoc> opLocs;
    flattenChain(e, e.binaryOp, cur->types, operands, opLocs);
    // Masks in operand order, then one predicate for all the bools.
    size_t numMasks = llvm::count_if(operands, [&](const Expr *x) {
      return cur->types.lookup(x).kind != Kind::Bool;
    });
    bool isOr = e.binaryOp == BinaryOp::Or;
    ChainBuilder chain(numMasks + (numMasks < operands.size()),
                       [&](Location ol, Value a, Value b) -> Value {
                         if (isOr)
                           return UnionOp::create(builder, ol, maskTy, a, b);
                         return IntersectOp::create(builder, ol, maskTy, a, b);
                       });
    Location unknown = UnknownLoc::get(ctx);
    for (auto [i, x] : llvm::enumerate(operands)) {
      if (cur->types.lookup(x).kind == Kind::Bool) {
        bools.push_back(x);
        continue;
      }
      Value v = genMask(*x);
      if (!v)
        return {};
      chain.add(v, i ? loc(opLocs[i - 1]) : unknown);
    }
    if (!bools.empty()) {
      Value p = genPredicate(bools, e.binaryOp, bools.front()->loc);
      if (!p)
        return {};
      chain.add(p, loc(opLocs.back()));
    }
    return chain.finish();
  }
  case ExprKind::Call: {
    auto it = cur->calls.find(&e);
    if (it == cur->calls.end())
      return {};
    if (it->second.prim)
      return genPrimitive(e, it->second);
    return genPatternCall(e, it->second);
  }
  default:
    (void)error(e.loc, "expected a mask expression");
    return {};
  }
}

Value Generator::genPredicate(llvm::ArrayRef<const Expr *> exprs,
                              BinaryOp combine, llvm::SMLoc at) {
  Location l = loc(at);
  bool grid = cur->grid && llvm::any_of(exprs, [](const Expr *x) {
                return usesGridVars(*x);
              });
  auto op = PredicateOp::create(
      builder, l, maskTy,
      grid ? builder.getDenseI64ArrayAttr({(*cur->grid)[0], (*cur->grid)[1]})
           : DenseI64ArrayAttr());
  Block *block = new Block();
  op.getBody().push_back(block);
  for (unsigned i = 0, e = grid ? 9 : 5; i < e; ++i)
    block->addArgument(i64, l);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(block);
  Block *saved = cur->indexBlock;
  cur->indexBlock = block;
  auto restore = llvm::scope_exit([&] { cur->indexBlock = saved; });
  ChainBuilder chain(exprs.size(), boolCombiner(combine));
  for (const Expr *x : exprs) {
    Value v = genScalar(*x);
    if (!v)
      return {};
    chain.add(v, loc(x->loc));
  }
  YieldOp::create(builder, l, chain.finish());
  return op.getResult();
}

Value Generator::genScalar(const Expr &e) {
  Location l = loc(e.loc);
  switch (e.kind) {
  case ExprKind::Int:
    return constI64(l, e.intValue);
  case ExprKind::Float:
    return arith::ConstantOp::create(builder, l,
                                     builder.getF64FloatAttr(e.floatValue));
  case ExprKind::Bool:
    return arith::ConstantOp::create(builder, l,
                                     builder.getIntegerAttr(i1, e.boolValue));
  case ExprKind::Ident: {
    if (Value v = cur->params.lookup(e.name))
      return v;
    auto pos = indexVarPosition(e.name);
    if (pos && cur->indexBlock && *pos < cur->indexBlock->getNumArguments())
      return cur->indexBlock->getArgument(*pos);
    (void)error(e.loc, "internal error: '" + e.name + "' has no value here");
    return {};
  }
  case ExprKind::Unary: {
    Value v = genScalar(*e.operands[0]);
    if (!v)
      return {};
    if (e.unaryOp == UnaryOp::Neg)
      return arith::SubIOp::create(builder, l, constI64(l, 0), v);
    Value t =
        arith::ConstantOp::create(builder, l, builder.getIntegerAttr(i1, true));
    return arith::XOrIOp::create(builder, l, v, t);
  }
  case ExprKind::Binary: {
    if (e.binaryOp == BinaryOp::Or || e.binaryOp == BinaryOp::And) {
      ChainBuilder chain(e.operands.size(), boolCombiner(e.binaryOp));
      for (auto [i, x] : llvm::enumerate(e.operands)) {
        Value v = genScalar(*x);
        if (!v)
          return {};
        chain.add(v, i ? loc(e.opLocs[i - 1]) : l);
      }
      return chain.finish();
    }
    Value a = genScalar(*e.operands[0]);
    Value b = a ? genScalar(*e.operands[1]) : Value();
    if (!b)
      return {};
    switch (e.binaryOp) {
    case BinaryOp::Or:
    case BinaryOp::And:
      return {}; // handled above
    case BinaryOp::Add:
      return arith::AddIOp::create(builder, l, a, b);
    case BinaryOp::Sub:
      return arith::SubIOp::create(builder, l, a, b);
    case BinaryOp::Mul:
      return arith::MulIOp::create(builder, l, a, b);
    case BinaryOp::Div:
    case BinaryOp::Rem:
      return genDivRem(e, a, b);
    case BinaryOp::Eq:
      return arith::CmpIOp::create(builder, l, arith::CmpIPredicate::eq, a, b);
    case BinaryOp::Ne:
      return arith::CmpIOp::create(builder, l, arith::CmpIPredicate::ne, a, b);
    case BinaryOp::Lt:
      return arith::CmpIOp::create(builder, l, arith::CmpIPredicate::slt, a, b);
    case BinaryOp::Le:
      return arith::CmpIOp::create(builder, l, arith::CmpIPredicate::sle, a, b);
    case BinaryOp::Gt:
      return arith::CmpIOp::create(builder, l, arith::CmpIPredicate::sgt, a, b);
    case BinaryOp::Ge:
      return arith::CmpIOp::create(builder, l, arith::CmpIPredicate::sge, a, b);
    }
    return {};
  }
  case ExprKind::Call:
    return genFunction(e);
  default:
    (void)error(e.loc, "internal error: not a scalar expression");
    return {};
  }
}

/// Builds `a | b` or `a & b` on i1.
std::function<Value(Location, Value, Value)>
Generator::boolCombiner(BinaryOp op) {
  return [this, op](Location l, Value a, Value b) -> Value {
    if (op == BinaryOp::Or)
      return arith::OrIOp::create(builder, l, a, b);
    return arith::AndIOp::create(builder, l, a, b);
  };
}

/// Floor division and the non-negative remainder (Python semantics). A
/// divisor that is not a non-zero constant is guarded: x / 0 = x % 0 = 0.
Value Generator::genDivRem(const Expr &e, Value a, Value b) {
  Location l = loc(e.loc);
  bool rem = e.binaryOp == BinaryOp::Rem;
  std::optional<int64_t> c = constInt(*e.operands[1]);
  if (c && *c != 0) {
    Value q = arith::FloorDivSIOp::create(builder, l, a, b);
    if (!rem)
      return q;
    return arith::SubIOp::create(builder, l, a,
                                 arith::MulIOp::create(builder, l, q, b));
  }
  Value zero = constI64(l, 0);
  Value one = constI64(l, 1);
  Value isZero =
      arith::CmpIOp::create(builder, l, arith::CmpIPredicate::eq, b, zero);
  Value safe = arith::SelectOp::create(builder, l, isZero, one, b);
  Value q = arith::FloorDivSIOp::create(builder, l, a, safe);
  Value r = q;
  if (rem)
    r = arith::SubIOp::create(builder, l, a,
                              arith::MulIOp::create(builder, l, q, safe));
  return arith::SelectOp::create(builder, l, isZero, zero, r);
}

Value Generator::genFunction(const Expr &e) {
  Location l = loc(e.loc);
  llvm::SmallVector<Value, 2> args;
  for (const Arg &a : e.args) {
    Value v = genScalar(*a.value);
    if (!v)
      return {};
    args.push_back(v);
  }
  if (e.name == "min")
    return arith::MinSIOp::create(builder, l, args[0], args[1]);
  if (e.name == "max")
    return arith::MaxSIOp::create(builder, l, args[0], args[1]);
  if (e.name == "abs")
    return math::AbsIOp::create(builder, l, args[0]);
  Value x = args[0];
  Value zero = constI64(l, 0);
  Value positive =
      arith::CmpIOp::create(builder, l, arith::CmpIPredicate::sgt, x, zero);
  if (e.name == "is_pow2") {
    Value xm1 = arith::SubIOp::create(builder, l, x, constI64(l, 1));
    Value bits = arith::AndIOp::create(builder, l, x, xm1);
    Value single =
        arith::CmpIOp::create(builder, l, arith::CmpIPredicate::eq, bits, zero);
    return arith::AndIOp::create(builder, l, positive, single);
  }
  if (e.name == "log2_floor") {
    Value lz = math::CountLeadingZerosOp::create(builder, l, x);
    Value lg = arith::SubIOp::create(builder, l, constI64(l, 63), lz);
    return arith::SelectOp::create(builder, l, positive, lg, constI64(l, -1));
  }
  (void)error(e.loc, "internal error: unknown function '" + e.name + "'");
  return {};
}

Value Generator::genPrimitive(const Expr &e, CallInfo &info) {
  Location l = loc(e.loc);
  const Primitive &prim = *info.prim;
  llvm::SmallVector<Value, 5> v(prim.args.size());
  for (size_t i = 0; i < prim.args.size(); ++i) {
    const PrimArg &pa = prim.args[i];
    if (pa.kind != ArgKind::Int)
      continue;
    if (const Arg *a = info.slots[i]) {
      v[i] = genScalar(*a->value);
      if (!v[i])
        return {};
    } else if (pa.defaultValue) {
      v[i] = constI64(l, *pa.defaultValue);
    }
  }
  llvm::StringRef n = prim.name;
  DenseI64ArrayAttr grid =
      cur->grid
          ? builder.getDenseI64ArrayAttr({(*cur->grid)[0], (*cur->grid)[1]})
          : DenseI64ArrayAttr();
  if (n == "full")
    return FullOp::create(builder, l, maskTy);
  if (n == "causal")
    return CausalOp::create(builder, l, maskTy);
  if (n == "sliding")
    return SlidingOp::create(builder, l, maskTy, v[0]);
  if (n == "band")
    return BandOp::create(builder, l, maskTy, v[0], v[1]);
  if (n == "sink")
    return SinkOp::create(builder, l, maskTy, v[0]);
  if (n == "global")
    return GlobalOp::create(builder, l, maskTy,
                            builder.getDenseI64ArrayAttr(info.positions));
  if (n == "block_sliding")
    return BlockSlidingOp::create(builder, l, maskTy, v[0], v[1]);
  if (n == "power2")
    return Power2Op::create(builder, l, maskTy, v[0]);
  if (n == "stripe") {
    // The default offset s - width puts each stripe at the end of its period.
    if (!v[2])
      v[2] = arith::SubIOp::create(builder, l, v[0], v[1]);
    return StripeOp::create(builder, l, maskTy, v[0], v[1], v[2]);
  }
  if (n == "strided")
    return StridedOp::create(builder, l, maskTy, v[0]);
  if (n == "block_layout")
    return BlockLayoutOp::create(builder, l, maskTy, v[0], info.table);
  if (n == "bigbird")
    return BigBirdOp::create(builder, l, maskTy, v[0], v[1], v[2], v[3], v[4]);
  if (n == "window2d")
    return Window2dOp::create(builder, l, maskTy, v[0], v[1], v[2], grid);
  if (n == "neighborhood")
    return NeighborhoodOp::create(builder, l, maskTy, v[0], v[1], grid);
  if (n == "axial")
    return AxialOp::create(builder, l, maskTy, grid);
  (void)error(e.loc, "internal error: primitive '" + n + "' has no op");
  return {};
}

Value Generator::genPatternCall(const Expr &e, CallInfo &info) {
  const PatternDecl *callee = info.callee;
  if (failed(ensurePattern(callee, info.calleeGrid, info.symbol, e.loc)))
    return {};
  Location l = loc(e.loc);
  llvm::SmallVector<Value> args;
  for (size_t i = 0; i < callee->params.size(); ++i) {
    const Param &p = callee->params[i];
    Value v;
    if (const Arg *a = info.slots[i]) {
      FailureOr<Ty> t = typeOf(*a->value);
      if (failed(t))
        return {};
      if (p.type == ParamType::Float && t->kind == Kind::Int) {
        double d = static_cast<double>(*constInt(*a->value));
        v = arith::ConstantOp::create(builder, loc(a->nameLoc),
                                      builder.getF64FloatAttr(d));
      } else {
        v = genScalar(*a->value);
      }
    } else {
      v = constLiteral(l, *p.defaultValue, p.type);
    }
    if (!v)
      return {};
    args.push_back(v);
  }
  return CallOp::create(builder, l, maskTy,
                        FlatSymbolRefAttr::get(ctx, info.symbol), args);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Generator::run(const Module &user,
                                     const Module *prelude) {
  auto isBuiltinName = [](llvm::StringRef n) {
    return lookupPrimitive(n) || functionArity(n) || n == "file";
  };
  auto addAll = [&](const Module &m,
                    llvm::StringMap<const PatternDecl *> &map) {
    for (const auto &p : m.patterns) {
      if (isBuiltinName(p->name))
        return error(p->loc, "'" + p->name +
                                 "' is a built-in primitive and cannot be "
                                 "redefined as a pattern");
      auto [it, inserted] = map.try_emplace(p->name, p.get());
      if (!inserted) {
        (void)error(p->loc, "duplicate pattern '" + p->name + "'");
        return failure();
      }
    }
    return success();
  };
  if (prelude && failed(addAll(*prelude, preludeMap)))
    return nullptr;
  if (failed(addAll(user, userMap)))
    return nullptr;

  for (const auto &p : user.patterns) {
    Grid grid;
    if (p->layout == LayoutKind::Grid)
      grid = std::array<int64_t, 2>{p->gridH, p->gridW};
    if (failed(ensurePattern(p.get(), grid, p->name, p->loc)))
      break;
  }
  if (hadError) {
    for (auto &entry : done)
      if (!entry.second->getBlock())
        entry.second->erase();
    return nullptr;
  }

  llvm::SMLoc start = user.patterns.front()->loc;
  auto module = ModuleOp::create(loc(start));
  for (const auto &p : user.patterns)
    module.push_back(done[p->name]);
  for (PatternOp op : preludeOps)
    module.push_back(op);
  return module;
}

OwningOpRef<ModuleOp> mlir::attn::mlirGen(MLIRContext *ctx, llvm::SourceMgr &sm,
                                          const Module &user,
                                          const Module *prelude,
                                          llvm::StringRef baseDir) {
  Generator gen(ctx, sm, baseDir);
  return gen.run(user, prelude);
}
