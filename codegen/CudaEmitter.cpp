//===- CudaEmitter.cpp - print the generated predicate as CUDA C++ ---------===//
//
// A small printer, not EmitC: the functions made by attn-classify-tiles use a
// fixed, flat set of arith/math/scf/memref ops, and printing them directly
// keeps the output readable (named arguments, inlined constants, source
// locations) and the semantics exact (helpers for wrapping i64 arithmetic,
// floor division, shifts and ctlz).
//
//===----------------------------------------------------------------------===//
#include "codegen/CudaEmitter.h"
#include "dialect/AttnOps.h"
#include "support/TextEscape.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>
#include <map>

using namespace mlir;
using namespace mlir::attn;

std::vector<CudaVariant> mlir::attn::defaultCudaVariants() {
  return {{"bf16", 64}, {"bf16", 128}, {"f16", 64}, {"f16", 128}};
}

std::string mlir::attn::formatFileLocation(Location loc) {
  std::string out;
  loc->walk([&](Location l) {
    if (auto file = dyn_cast<FileLineColLoc>(l)) {
      out = (file.getFilename().strref() + ":" + Twine(file.getLine()) + ":" +
             Twine(file.getColumn()))
                .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return out;
}

namespace {

/// How an MLIR integer type is held in C++.
enum class Kind { Bool, I8, I32, I64 };

std::optional<Kind> kindOf(Type t) {
  if (t.isIndex())
    return Kind::I64;
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return std::nullopt;
  switch (it.getWidth()) {
  case 1:
    return Kind::Bool;
  case 8:
    return Kind::I8;
  case 32:
    return Kind::I32;
  case 64:
    return Kind::I64;
  default:
    return std::nullopt;
  }
}

const char *cType(Kind k) {
  switch (k) {
  case Kind::Bool:
    return "bool";
  case Kind::I8:
  case Kind::I32:
    return "int";
  case Kind::I64:
    return "attn_i64";
  }
  return "?";
}

/// The unsigned C++ type of the same width (for unsigned compares/extends).
const char *unsignedType(Kind k) {
  switch (k) {
  case Kind::Bool:
    return "bool";
  case Kind::I8:
    return "unsigned char";
  case Kind::I32:
    return "unsigned";
  case Kind::I64:
    return "unsigned long long";
  }
  return "?";
}

std::string literal(Kind k, const APInt &value) {
  if (k == Kind::Bool)
    return value.isZero() ? "false" : "true";
  int64_t v = value.getSExtValue();
  if (v == INT64_MIN)
    return "(-9223372036854775807LL - 1)";
  std::string text = std::to_string(v);
  if (v > INT32_MAX || v < INT32_MIN)
    text += "LL";
  return v < 0 ? "(" + text + ")" : text;
}

/// Identifiers the printer itself uses or C++ reserves.
bool isReservedName(StringRef name) {
  static const llvm::StringSet<> reserved = {
      "b",      "h",        "q",        "k",        "nq",       "nk",
      "q0",     "q1",       "k0",       "k1",       "params",   "auto",
      "bool",   "break",    "case",     "char",     "class",    "const",
      "continue", "default", "delete",  "do",       "double",   "else",
      "enum",   "extern",   "float",    "for",      "goto",     "if",
      "inline", "int",      "long",     "new",      "operator", "private",
      "public", "register", "return",   "short",    "signed",   "sizeof",
      "static", "struct",   "switch",   "template", "this",     "typedef",
      "union",  "unsigned", "void",     "volatile", "while",    "true",
      "false",  "and",      "or",       "not",      "xor",      "this",
      "mask",   "classify", "namespace", "using",   "friend",   "virtual"};
  if (reserved.contains(name) || name.starts_with("attn_") ||
      name.starts_with("_"))
    return true;
  // v<N> and v<N>_next are the printer's temporaries.
  if (name.size() > 1 && name[0] == 'v' && isdigit(name[1]))
    return true;
  return false;
}

/// A constant table: its C++ name and shape.
struct Table {
  std::string name;
  std::vector<int64_t> shape;
};

/// Prints the body of one function.
class FunctionPrinter {
public:
  FunctionPrinter(llvm::raw_ostream &os,
                  const std::map<std::string, Table> &tables, bool opLocations)
      : os(os), tables(tables), opLocations(opLocations) {}

  void name(Value v, std::string n) { names[v] = std::move(n); }

  LogicalResult printBlock(Block &block, int depth) {
    for (Operation &op : block)
      if (failed(printOp(&op, depth)))
        return failure();
    return success();
  }

  /// The location comment printed last (the function's own).
  std::string lastLocation;
  /// The helpers (kHelpers) the printed code calls.
  llvm::StringSet<> *helpersUsed = nullptr;

private:
  llvm::raw_ostream &os;
  const std::map<std::string, Table> &tables;
  bool opLocations;
  llvm::DenseMap<Value, std::string> names;
  llvm::DenseMap<Value, const Table *> tableOf;
  int counter = 0;

  std::string fresh() { return "v" + std::to_string(counter++); }

  void useHelper(StringRef name) {
    helpersUsed->insert(name);
    // floordiv and abs negate with attn_sub.
    if (name == "attn_floordiv" || name == "attn_abs")
      helpersUsed->insert("attn_sub");
  }

  llvm::raw_ostream &line(int depth) {
    os.indent(2 * depth);
    return os;
  }

  std::string expr(Value v) const {
    auto it = names.find(v);
    return it == names.end() ? "/*?*/" : it->second;
  }

  FailureOr<Kind> kind(Operation *op, Type t) {
    if (auto k = kindOf(t))
      return *k;
    return op->emitError() << "the CUDA emitter does not support type " << t
                           << " here";
  }

  /// `const T name = text;` for the op's single result.
  LogicalResult define(Operation *op, const std::string &text, int depth) {
    FailureOr<Kind> k = kind(op, op->getResult(0).getType());
    if (failed(k))
      return failure();
    std::string n = fresh();
    line(depth) << "const " << cType(*k) << " " << n << " = " << text << ";\n";
    names[op->getResult(0)] = n;
    return success();
  }

  void locationComment(Operation *op, int depth) {
    if (!opLocations)
      return;
    std::string loc = formatFileLocation(op->getLoc());
    if (loc.empty() || loc == lastLocation)
      return;
    lastLocation = loc;
    line(depth) << "// " << ::attn::escapeComment(loc) << "\n";
  }

  LogicalResult unsupported(Operation *op, StringRef why = "") {
    auto diag = op->emitError() << "the CUDA emitter does not support '"
                                << op->getName() << "'";
    if (!why.empty())
      diag << " " << why;
    return failure();
  }

  LogicalResult printOp(Operation *op, int depth);
  LogicalResult printBinary(Operation *op, int depth);
  LogicalResult printCast(Operation *op, int depth);
  LogicalResult printFor(scf::ForOp op, int depth);
  LogicalResult printIf(scf::IfOp op, int depth);
};

LogicalResult FunctionPrinter::printBinary(Operation *op, int depth) {
  FailureOr<Kind> k = kind(op, op->getOperand(0).getType());
  if (failed(k))
    return failure();
  std::string a = expr(op->getOperand(0)), b = expr(op->getOperand(1));
  auto call = [&](StringRef fn) {
    useHelper(fn);
    return (fn + "(" + a + ", " + b + ")").str();
  };
  bool isBool = *k == Kind::Bool, is64 = *k == Kind::I64;
  std::string text;
  if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::FloorDivSIOp,
          arith::ShLIOp, arith::ShRUIOp, arith::ShRSIOp>(op) && !is64)
    return unsupported(op, "on a type other than i64");
  if (isa<arith::AddIOp>(op))
    text = call("attn_add");
  else if (isa<arith::SubIOp>(op))
    text = call("attn_sub");
  else if (isa<arith::MulIOp>(op))
    text = call("attn_mul");
  else if (isa<arith::FloorDivSIOp>(op)) {
    // By a positive constant: the compiler divides by multiplying.
    IntegerAttr divisor;
    if (matchPattern(op->getOperand(1), m_Constant(&divisor)) &&
        divisor.getValue().isStrictlyPositive())
      text = call("attn_floordiv_pos");
    else
      text = call("attn_floordiv");
  }
  else if (isa<arith::ShLIOp>(op))
    text = call("attn_shl");
  else if (isa<arith::ShRUIOp>(op))
    text = call("attn_shrui");
  else if (isa<arith::ShRSIOp>(op))
    text = call("attn_shrsi");
  else if (isa<arith::AndIOp>(op))
    text = "(" + a + (isBool ? " && " : " & ") + b + ")";
  else if (isa<arith::OrIOp>(op))
    text = "(" + a + (isBool ? " || " : " | ") + b + ")";
  else if (isa<arith::XOrIOp>(op))
    text = "(" + a + (isBool ? " != " : " ^ ") + b + ")";
  else if (isa<arith::MaxSIOp, arith::MinSIOp>(op)) {
    if (isBool)
      return unsupported(op, "on i1");
    text = "(" + a + (isa<arith::MaxSIOp>(op) ? " > " : " < ") + b + " ? " +
           a + " : " + b + ")";
  } else if (isa<arith::MaxUIOp, arith::MinUIOp>(op)) {
    if (isBool)
      return unsupported(op, "on i1");
    std::string u = std::string("(") + unsignedType(*k) + ")";
    text = "(" + u + a + (isa<arith::MaxUIOp>(op) ? " > " : " < ") + u + b +
           " ? " + a + " : " + b + ")";
  } else {
    return unsupported(op);
  }
  return define(op, text, depth);
}

LogicalResult FunctionPrinter::printCast(Operation *op, int depth) {
  FailureOr<Kind> from = kind(op, op->getOperand(0).getType());
  FailureOr<Kind> to = kind(op, op->getResult(0).getType());
  if (failed(from) || failed(to))
    return failure();
  std::string a = expr(op->getOperand(0));
  std::string t = std::string("(") + cType(*to) + ")";
  std::string text;
  if (isa<arith::ExtUIOp, arith::IndexCastUIOp>(op) && *from != Kind::I64) {
    text = *from == Kind::Bool ? t + a
                               : t + "(" + unsignedType(*from) + ")" + a;
  } else if (isa<arith::ExtSIOp, arith::IndexCastOp, arith::ExtUIOp,
                 arith::IndexCastUIOp>(op) &&
             *from == Kind::Bool) {
    text = "(" + a + " ? -1 : 0)";
  } else if (*from == *to) {
    text = a;
  } else if (*to == Kind::Bool) {
    text = "((" + a + " & 1) != 0)";
  } else if (*to == Kind::I8) {
    text = "(int)(signed char)" + a;
  } else {
    // Sign extension or truncation to i32 (wraps).
    text = t + a;
  }
  return define(op, text, depth);
}

LogicalResult FunctionPrinter::printFor(scf::ForOp op, int depth) {
  FailureOr<Kind> ivKind = kind(op, op.getInductionVar().getType());
  if (failed(ivKind))
    return failure();
  if (op.getUnsignedCmp())
    return unsupported(op, "with an unsigned comparison");
  // Loop-carried values live in variables declared before the loop; the
  // loop's results are those variables afterwards.
  std::vector<std::string> carried;
  for (auto [init, arg, result] :
       llvm::zip(op.getInitArgs(), op.getRegionIterArgs(), op.getResults())) {
    FailureOr<Kind> k = kind(op, arg.getType());
    if (failed(k))
      return failure();
    std::string n = fresh();
    line(depth) << cType(*k) << " " << n << " = " << expr(init) << ";\n";
    names[arg] = n;
    names[result] = n;
    carried.push_back(n);
  }
  std::string iv = fresh();
  names[op.getInductionVar()] = iv;
  line(depth) << "for (" << cType(*ivKind) << " " << iv << " = "
              << expr(op.getLowerBound()) << "; " << iv << " < "
              << expr(op.getUpperBound()) << "; " << iv
              << " += " << expr(op.getStep()) << ") {\n";
  Block &body = *op.getBody();
  for (Operation &inner : body.without_terminator())
    if (failed(printOp(&inner, depth + 1)))
      return failure();
  auto yield = cast<scf::YieldOp>(body.getTerminator());
  if (carried.size() == 1) {
    line(depth + 1) << carried[0] << " = " << expr(yield.getOperand(0))
                    << ";\n";
  } else {
    // Through temporaries: a yielded value may be another carried variable.
    for (auto [n, v] : llvm::zip(carried, yield.getOperands()))
      line(depth + 1) << "const " << cType(*kindOf(v.getType())) << " " << n
                      << "_next = " << expr(v) << ";\n";
    for (const std::string &n : carried)
      line(depth + 1) << n << " = " << n << "_next;\n";
  }
  line(depth) << "}\n";
  return success();
}

LogicalResult FunctionPrinter::printIf(scf::IfOp op, int depth) {
  std::vector<std::string> results;
  for (Value r : op.getResults()) {
    FailureOr<Kind> k = kind(op, r.getType());
    if (failed(k))
      return failure();
    std::string n = fresh();
    line(depth) << cType(*k) << " " << n << ";\n";
    names[r] = n;
    results.push_back(n);
  }
  auto printBranch = [&](Region &region) -> LogicalResult {
    Block &block = region.front();
    for (Operation &inner : block.without_terminator())
      if (failed(printOp(&inner, depth + 1)))
        return failure();
    auto yield = cast<scf::YieldOp>(block.getTerminator());
    for (auto [n, v] : llvm::zip(results, yield.getOperands()))
      line(depth + 1) << n << " = " << expr(v) << ";\n";
    return success();
  };
  line(depth) << "if (" << expr(op.getCondition()) << ") {\n";
  if (failed(printBranch(op.getThenRegion())))
    return failure();
  if (!op.getElseRegion().empty()) {
    line(depth) << "} else {\n";
    if (failed(printBranch(op.getElseRegion())))
      return failure();
  }
  line(depth) << "}\n";
  return success();
}

LogicalResult FunctionPrinter::printOp(Operation *op, int depth) {
  // Constants are printed where they are used.
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    auto attr = dyn_cast<IntegerAttr>(c.getValue());
    std::optional<Kind> k = kindOf(c.getType());
    if (!attr || !k)
      return unsupported(op, "of a non-integer value");
    names[c.getResult()] = literal(*k, attr.getValue());
    return success();
  }
  if (auto g = dyn_cast<memref::GetGlobalOp>(op)) {
    auto it = tables.find(g.getName().str());
    if (it == tables.end())
      return unsupported(op, "of a table that is not a constant global");
    names[g.getResult()] = it->second.name;
    tableOf[g.getResult()] = &it->second;
    return success();
  }
  locationComment(op, depth);
  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    if (ret.getNumOperands() != 1)
      return unsupported(op, "with other than one value");
    line(depth) << "return " << expr(ret.getOperand(0)) << ";\n";
    return success();
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    FailureOr<Kind> k = kind(op, cmp.getLhs().getType());
    if (failed(k))
      return failure();
    std::string a = expr(cmp.getLhs()), b = expr(cmp.getRhs());
    const char *sym = "";
    bool isUnsigned = false;
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      sym = "==";
      break;
    case arith::CmpIPredicate::ne:
      sym = "!=";
      break;
    case arith::CmpIPredicate::slt:
      sym = "<";
      break;
    case arith::CmpIPredicate::sle:
      sym = "<=";
      break;
    case arith::CmpIPredicate::sgt:
      sym = ">";
      break;
    case arith::CmpIPredicate::sge:
      sym = ">=";
      break;
    case arith::CmpIPredicate::ult:
      sym = "<", isUnsigned = true;
      break;
    case arith::CmpIPredicate::ule:
      sym = "<=", isUnsigned = true;
      break;
    case arith::CmpIPredicate::ugt:
      sym = ">", isUnsigned = true;
      break;
    case arith::CmpIPredicate::uge:
      sym = ">=", isUnsigned = true;
      break;
    }
    std::string symText = sym;
    bool ordered = symText != "==" && symText != "!=";
    if (isUnsigned && *k != Kind::Bool) {
      std::string u = std::string("(") + unsignedType(*k) + ")";
      a = u + a;
      b = u + b;
    } else if (!isUnsigned && ordered && *k == Kind::Bool) {
      // Signed i1: true is -1.
      a = "(" + a + " ? -1 : 0)";
      b = "(" + b + " ? -1 : 0)";
    }
    return define(op, "(" + a + " " + symText + " " + b + ")", depth);
  }
  if (auto sel = dyn_cast<arith::SelectOp>(op)) {
    if (!sel.getCondition().getType().isInteger(1))
      return unsupported(op, "on a vector condition");
    return define(op,
                  "(" + expr(sel.getCondition()) + " ? " +
                      expr(sel.getTrueValue()) + " : " +
                      expr(sel.getFalseValue()) + ")",
                  depth);
  }
  if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::FloorDivSIOp,
          arith::ShLIOp, arith::ShRUIOp, arith::ShRSIOp, arith::AndIOp,
          arith::OrIOp, arith::XOrIOp, arith::MaxSIOp, arith::MinSIOp,
          arith::MaxUIOp, arith::MinUIOp>(op))
    return printBinary(op, depth);
  if (isa<arith::ExtUIOp, arith::ExtSIOp, arith::TruncIOp, arith::IndexCastOp,
          arith::IndexCastUIOp>(op))
    return printCast(op, depth);
  if (isa<math::CountLeadingZerosOp, math::AbsIOp>(op)) {
    FailureOr<Kind> k = kind(op, op->getOperand(0).getType());
    if (failed(k))
      return failure();
    if (*k != Kind::I64)
      return unsupported(op, "on a type other than i64");
    const char *fn =
        isa<math::CountLeadingZerosOp>(op) ? "attn_ctlz" : "attn_abs";
    useHelper(fn);
    return define(op, std::string(fn) + "(" + expr(op->getOperand(0)) + ")",
                  depth);
  }
  if (auto load = dyn_cast<memref::LoadOp>(op)) {
    auto it = tableOf.find(load.getMemRef());
    if (it == tableOf.end())
      return unsupported(op, "from a memref that is not a constant table");
    const Table &t = *it->second;
    // Tables are flat arrays: row-major linear index.
    std::string index;
    for (auto [i, idx] : llvm::enumerate(load.getIndices())) {
      index = i == 0 ? expr(idx)
                     : "(" + index + ") * " + std::to_string(t.shape[i]) +
                           " + " + expr(idx);
    }
    if (load.getIndices().empty())
      index = "0";
    return define(op, t.name + "[" + index + "]", depth);
  }
  if (auto f = dyn_cast<scf::ForOp>(op))
    return printFor(f, depth);
  if (auto i = dyn_cast<scf::IfOp>(op))
    return printIf(i, depth);
  return unsupported(op);
}

/// Helpers with the exact semantics of the arith ops on i64, in dependency
/// order; only those a pattern uses are printed.
const std::pair<const char *, const char *> kHelpers[] = {
    {"attn_add", R"(static ATTN_DEVICE attn_i64 attn_add(attn_i64 a, attn_i64 b) {
  return (attn_i64)((unsigned long long)a + (unsigned long long)b);
}
)"},
    {"attn_sub", R"(static ATTN_DEVICE attn_i64 attn_sub(attn_i64 a, attn_i64 b) {
  return (attn_i64)((unsigned long long)a - (unsigned long long)b);
}
)"},
    {"attn_mul", R"(static ATTN_DEVICE attn_i64 attn_mul(attn_i64 a, attn_i64 b) {
  return (attn_i64)((unsigned long long)a * (unsigned long long)b);
}
)"},
    {"attn_floordiv", R"(static ATTN_DEVICE attn_i64 attn_floordiv(attn_i64 a, attn_i64 b) {
  if (b == 0) // undefined in arith; kept defined (no trap on the host)
    return 0;
  if (b == -1)
    return attn_sub(0, a);
#if defined(__CUDA_ARCH__) || defined(ATTN_DEVICE_DIVISION)
  // On the GPU 32-bit division is inline but 64-bit division is a call,
  // whose saved registers would spill inside the attention loop: 32 bits
  // when the operands fit, else an inline shift-subtract loop.
  if (a == (attn_i64)(int)a && b == (attn_i64)(int)b) {
    int qi = (int)a / (int)b, ri = (int)a % (int)b;
    return (ri != 0 && ((ri < 0) != (b < 0))) ? qi - 1 : qi;
  }
  unsigned long long n = a < 0 ? 0ull - (unsigned long long)a
                                : (unsigned long long)a;
  unsigned long long d = b < 0 ? 0ull - (unsigned long long)b
                                : (unsigned long long)b;
  unsigned long long q = 0, r = 0;
#pragma unroll 1
  for (int i = 63; i >= 0; --i) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= 1ull << i;
    }
  }
  if ((a < 0) != (b < 0))
    return (attn_i64)(0ull - q - (r != 0 ? 1ull : 0ull));
  return (attn_i64)q;
#else
  attn_i64 q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
#endif
}
)"},
    {"attn_floordiv_pos", R"(static ATTN_DEVICE attn_i64 attn_floordiv_pos(attn_i64 a, attn_i64 b) {
  attn_i64 q = a / b; // b is a positive constant
  return (a < 0 && q * b != a) ? q - 1 : q;
}
)"},
    {"attn_shl", R"(static ATTN_DEVICE attn_i64 attn_shl(attn_i64 a, attn_i64 s) {
  return (unsigned long long)s >= 64 ? 0
                                     : (attn_i64)((unsigned long long)a << s);
}
)"},
    {"attn_shrui", R"(static ATTN_DEVICE attn_i64 attn_shrui(attn_i64 a, attn_i64 s) {
  return (unsigned long long)s >= 64 ? 0
                                     : (attn_i64)((unsigned long long)a >> s);
}
)"},
    {"attn_shrsi", R"(static ATTN_DEVICE attn_i64 attn_shrsi(attn_i64 a, attn_i64 s) {
  return (unsigned long long)s >= 64 ? (a < 0 ? -1 : 0) : (a >> s);
}
)"},
    {"attn_ctlz", R"(static ATTN_DEVICE attn_i64 attn_ctlz(attn_i64 a) {
#if defined(__CUDA_ARCH__)
  return __clzll(a);
#else
  return a == 0 ? 64 : __builtin_clzll((unsigned long long)a);
#endif
}
)"},
    {"attn_abs", R"(static ATTN_DEVICE attn_i64 attn_abs(attn_i64 a) {
  return a < 0 ? attn_sub(0, a) : a;
}
)"},
};

/// Collects the constant tables the two functions read, in module order.
LogicalResult collectTables(ModuleOp module, ArrayRef<func::FuncOp> fns,
                            std::map<std::string, Table> &tables,
                            std::vector<memref::GlobalOp> &ordered) {
  llvm::StringSet<> used;
  for (func::FuncOp fn : fns)
    fn.walk([&](memref::GetGlobalOp g) { used.insert(g.getName()); });
  llvm::StringSet<> taken;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    if (!used.contains(global.getSymName()))
      continue;
    auto init = dyn_cast_or_null<DenseElementsAttr>(
        global.getInitialValue().value_or(Attribute()));
    std::optional<Kind> k = kindOf(global.getType().getElementType());
    if (!global.getConstant() || !init || !k)
      return global.emitError()
             << "the CUDA emitter needs a constant integer table here";
    std::string name;
    for (char c : global.getSymName().ltrim('_'))
      name += isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (!StringRef(name).starts_with("attn_"))
      name = "attn_table_" + name;
    std::string unique = name;
    for (int i = 1; taken.contains(unique); ++i)
      unique = name + "_" + std::to_string(i);
    taken.insert(unique);
    ArrayRef<int64_t> shape = global.getType().getShape();
    tables[global.getSymName().str()] = {
        unique, std::vector<int64_t>(shape.begin(), shape.end())};
    ordered.push_back(global);
  }
  return success();
}

void printTable(llvm::raw_ostream &os, memref::GlobalOp global,
                const Table &t) {
  auto init = cast<DenseElementsAttr>(*global.getInitialValue());
  Kind k = *kindOf(global.getType().getElementType());
  const char *elem = k == Kind::Bool ? "bool"
                     : k == Kind::I8 ? "signed char"
                     : k == Kind::I32 ? "int"
                                      : "long long";
  int64_t count = global.getType().getNumElements();
  int64_t row = t.shape.empty() ? 1 : std::max<int64_t>(1, t.shape.back());
  if (row > 32)
    row = 32;
  os << "// " << ::attn::escapeComment(global.getSymName()) << ": "
     << global.getType() << ", row-major\n";
  os << "ATTN_TABLE " << elem << " " << t.name << "[" << count << "] = {";
  int64_t i = 0;
  for (APInt v : init.getValues<APInt>()) {
    if (i % row == 0)
      os << "\n   ";
    os << " " << literal(k, v) << ",";
    ++i;
  }
  os << "\n};\n";
}

} // namespace

bool mlir::attn::isCudaHeadDim(int64_t headDim) {
  return headDim == 32 || headDim == 64 || headDim == 96 || headDim == 128;
}

const char *mlir::attn::cudaHeadDimList() { return "32, 64, 96, 128"; }

mlir::attn::CudaKernelShape mlir::attn::cudaKernelShape(int64_t tileQ,
                                                        int64_t headDim) {
  if (!isCudaHeadDim(headDim))
    return {};
  if (tileQ == 64)
    return {4, 1};
  if (tileQ == 128)
    return {8, 1};
  return {};
}

FailureOr<std::string>
mlir::attn::emitCudaSource(ModuleOp module, StringRef patternName,
                           const CudaEmitOptions &options) {
  auto pattern = module.lookupSymbol<PatternOp>(patternName);
  if (!pattern)
    return module.emitError() << "no pattern named '" << patternName << "'";
  auto maskRef = pattern->getAttrOfType<FlatSymbolRefAttr>("attn.mask_fn");
  auto classifyRef =
      pattern->getAttrOfType<FlatSymbolRefAttr>("attn.classify_fn");
  if (!maskRef || !classifyRef)
    return pattern.emitError()
           << "pattern '" << patternName
           << "' has no generated functions (run attn-classify-tiles first)";
  auto maskFn = module.lookupSymbol<func::FuncOp>(maskRef.getAttr());
  auto classifyFn = module.lookupSymbol<func::FuncOp>(classifyRef.getAttr());
  if (!maskFn || !classifyFn)
    return pattern.emitError() << "the generated functions of '" << patternName
                               << "' are missing";

  // The kernels walk 64-key tiles with 64 or 128 queries.
  int64_t tileQ = 64, tileK = 64;
  if (auto tile = pattern->getAttrOfType<DenseI64ArrayAttr>("attn.tile");
      tile && tile.size() == 2) {
    tileQ = tile[0];
    tileK = tile[1];
  }
  if (options.tileQ)
    tileQ = options.tileQ, tileK = 64;
  if ((tileQ != 64 && tileQ != 128) || tileK != 64)
    return pattern.emitError()
           << "the CUDA kernels use 64x64 or 128x64 tiles (queries x keys); "
              "pattern '"
           << patternName << "' was scheduled for " << tileQ << "x" << tileK;
  for (const CudaVariant &v : options.variants)
    if ((v.dtype != "bf16" && v.dtype != "f16") || !isCudaHeadDim(v.headDim))
      return pattern.emitError()
             << "no CUDA kernel for dtype '" << v.dtype << "' and head dim "
             << v.headDim << " (dtypes: bf16, f16; head dims: "
             << cudaHeadDimList() << ")";

  // Run-time parameters, named after the pattern's declaration.
  std::vector<std::string> paramNames;
  for (unsigned i = 0; i < pattern.getNumParams(); ++i) {
    if (!pattern.isRuntimeParam(i))
      return pattern.emitError()
             << "parameter '" << pattern.getParamName(i)
             << "' is not bound; only run-time parameters remain at this stage";
    std::string n = pattern.getParamName(i).str();
    bool valid = !n.empty() && !isdigit(static_cast<unsigned char>(n[0]));
    for (char c : n)
      valid &= isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!valid || isReservedName(n))
      n = "param_" + std::to_string(i);
    paramNames.push_back(n);
  }
  if (paramNames.size() > 16)
    return pattern.emitError() << "the CUDA kernels take at most 16 run-time "
                                  "parameters, pattern '"
                               << patternName << "' has "
                               << paramNames.size();

  std::map<std::string, Table> tables;
  std::vector<memref::GlobalOp> globals;
  if (failed(collectTables(module, {maskFn, classifyFn}, tables, globals)))
    return failure();

  std::string out;
  llvm::raw_string_ostream os(out);
  std::string where = formatFileLocation(pattern.getLoc());
  std::string file = where.empty() ? "<unknown>" : where.substr(0, where.find(':'));
  std::string variantText;
  for (const CudaVariant &v : options.variants) {
    CudaKernelShape shape = cudaKernelShape(tileQ, v.headDim);
    variantText += (variantText.empty() ? "" : ", ") + v.dtype + " d" +
                   std::to_string(v.headDim) + " (" +
                   std::to_string(shape.warps) + "x" +
                   std::to_string(shape.rowBlocks) + ")";
  }
  // Paths and names are user text: escaped, so none can end a comment line.
  os << "// Generated by attnc from " << ::attn::escapeComment(file)
     << ": pattern " << ::attn::escapeComment(patternName)
     << ". Do not edit.\n";
  if (!where.empty())
    os << "// Pattern defined at " << ::attn::escapeComment(where) << ".\n";
  os << "// Tiles: " << tileQ << " queries x " << tileK
     << " keys; forward kernels (warps x 16-row blocks per warp): "
     << (variantText.empty() ? "none" : variantText) << ".\n";
  if (!paramNames.empty()) {
    os << "// Run-time parameters:";
    for (auto [i, n] : llvm::enumerate(paramNames))
      os << " params[" << i
         << "] = " << ::attn::escapeComment(pattern.getParamName(i))
         << (i + 1 < paramNames.size() ? "," : "");
    os << ".\n";
  }
  os << "//\n// As CUDA (NVRTC or nvcc) this defines the kernels of\n"
        "// runtime/device/attn_kernels.cuh; as host C++ only struct "
        "AttnPattern.\n";
  os << R"(#if defined(__CUDACC__)
#include "attn_kernels.cuh"
#define ATTN_DEVICE __device__ __forceinline__
#define ATTN_TABLE static __device__ const
#else
#include "attn_params.h"
#define ATTN_DEVICE inline
#define ATTN_TABLE static const
#endif

)";
  // The functions go first into their own buffer, to learn the helpers used.
  std::string structText;
  llvm::raw_string_ostream fos(structText);
  llvm::StringSet<> helpersUsed;
  auto printFunction = [&](func::FuncOp fn, bool isMask) -> LogicalResult {
    llvm::raw_ostream &os = fos;
    static const char *maskArgs[] = {"b", "h", "q", "k", "nq", "nk"};
    static const char *classifyArgs[] = {"b",  "h",  "q0", "q1",
                                         "k0", "k1", "nq", "nk"};
    size_t fixed = isMask ? 6 : 8;
    FunctionType type = fn.getFunctionType();
    Type i64 = IntegerType::get(fn.getContext(), 64);
    if (type.getNumInputs() != fixed + paramNames.size() ||
        type.getNumResults() != 1 ||
        type.getResult(0) !=
            IntegerType::get(fn.getContext(), isMask ? 1 : 8) ||
        llvm::any_of(type.getInputs(), [&](Type t) { return t != i64; }))
      return fn.emitError() << "unexpected signature " << type << " for the "
                            << (isMask ? "element predicate" : "classifier")
                            << " of '" << patternName << "'";
    FunctionPrinter printer(os, tables, options.opLocations);
    printer.helpersUsed = &helpersUsed;
    std::string fnLoc = formatFileLocation(fn.getLoc());
    if (fnLoc.empty())
      fnLoc = where;
    if (!fnLoc.empty())
      os << "  // " << ::attn::escapeComment(fnLoc) << "\n";
    printer.lastLocation = fnLoc;
    if (isMask)
      os << "  // The element predicate: may query q attend key k?\n"
            "  static ATTN_DEVICE bool mask(attn_i64 b, attn_i64 h, attn_i64 "
            "q, attn_i64 k,\n"
            "                               attn_i64 nq, attn_i64 nk,\n"
            "                               const attn_i64 *params) {\n";
    else
      os << "  // The tile classifier of q in [q0, q1), k in [k0, k1):\n"
            "  // 0 EMPTY, 1 PARTIAL, 2 FULL.\n"
            "  static ATTN_DEVICE int classify(attn_i64 b, attn_i64 h, "
            "attn_i64 q0,\n"
            "                                  attn_i64 q1, attn_i64 k0, "
            "attn_i64 k1,\n"
            "                                  attn_i64 nq, attn_i64 nk,\n"
            "                                  const attn_i64 *params) {\n";
    Block &entry = fn.getBody().front();
    for (size_t i = 0; i < fixed; ++i)
      printer.name(entry.getArgument(i), isMask ? maskArgs[i] : classifyArgs[i]);
    os << "    (void)b, (void)h, (void)nq, (void)nk, (void)params;\n";
    for (auto [i, n] : llvm::enumerate(paramNames)) {
      os << "    const attn_i64 " << n << " = params[" << i << "];\n";
      printer.name(entry.getArgument(fixed + i), n);
    }
    if (!fn.getBody().hasOneBlock())
      return fn.emitError() << "the CUDA emitter needs structured control "
                               "flow (one block per function)";
    if (failed(printer.printBlock(entry, 2)))
      return failure();
    os << "  }\n";
    return success();
  };

  fos << "struct AttnPattern {\n";
  if (failed(printFunction(maskFn, true)))
    return failure();
  fos << "\n";
  if (failed(printFunction(classifyFn, false)))
    return failure();
  fos << "};\n\n";

  if (!helpersUsed.empty()) {
    os << "// Exact i64 semantics: two's complement wrapping (through "
          "unsigned\n// arithmetic), floor division, shifts of 64 or more "
          "give 0, ctlz(0) = 64.\n";
    for (const auto &[name, text] : kHelpers)
      if (helpersUsed.contains(name))
        os << text;
    os << "\n";
  }
  for (memref::GlobalOp g : globals) {
    printTable(os, g, tables[g.getSymName().str()]);
    os << "\n";
  }
  os << structText;

  os << "#if defined(__CUDACC__)\nATTN_DEFINE_BLOCKMAP_KERNELS(AttnPattern)\n";
  for (const CudaVariant &v : options.variants) {
    CudaKernelShape shape = cudaKernelShape(tileQ, v.headDim);
    os << "ATTN_DEFINE_FWD_KERNELS_M(AttnPattern, " << v.dtype << ", "
       << v.headDim << ", " << shape.warps << ", " << shape.rowBlocks
       << ")\n";
  }
  os << "#endif\n";
  return out;
}
