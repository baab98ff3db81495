//===- ArithInterpreter.cpp - register bytecode for generated integer code ===//

#include "runtime/reference/ArithInterpreter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <bit>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace mlir::attn::interp {

enum class Opc : uint8_t {
  // d = a
  Mov,
  // d = norm(a op b)
  AddI,
  SubI,
  MulI,
  DivSI,
  DivUI,
  FloorDivSI,
  CeilDivSI,
  CeilDivUI,
  RemSI,
  RemUI,
  AndI,
  OrI,
  XOrI,
  ShlI,
  ShrSI,
  ShrUI,
  MinSI,
  MaxSI,
  MinUI,
  MaxUI,
  CmpEq,
  CmpNe,
  CmpSlt,
  CmpSle,
  CmpSgt,
  CmpSge,
  CmpUlt,
  CmpUle,
  CmpUgt,
  CmpUge,
  // d = a ? b : c
  Select,
  // d = norm(sext_w(a), w2) / norm(zext_w(a), w2)
  CastS,
  CastU,
  AbsI,
  Ctlz,
  Cttz,
  Ctpop,
  // pc = d
  Jmp,
  // if (!a) pc = d
  JmpIfZero,
  // if !(a < b) pc = d   (signed / unsigned at width w)
  ForEnterS,
  ForEnterU,
  // a += b; if (a < c) pc = d
  ForNextS,
  ForNextU,
  // if a is not a valid step (signed: <= 0, unsigned: == 0): error d
  StepCheckS,
  StepCheckU,
  // d = global[a][R[idx[b .. b+w)]], error c when out of bounds
  Load,
  // 64-bit fast paths (no normalization)
  AddI64,
  SubI64,
  MulI64,
  CmpSlt64,
  CmpSle64,
  CmpSgt64,
  CmpSge64,
  CmpUlt64,
  CmpUle64,
  CmpUgt64,
  CmpUge64,
  MinSI64,
  MaxSI64,
};

struct Instr {
  Opc op;
  uint8_t w = 64;  // operand width (bits)
  uint8_t w2 = 64; // second width (casts) or rank (Load)
  uint32_t d = 0, a = 0, b = 0, c = 0;
};

struct Global {
  std::string name;
  std::vector<int64_t> data;
  SmallVector<int64_t, 4> shape, strides;
};

struct Program {
  std::vector<Instr> code;
  std::vector<uint32_t> indexRegs; // operands of Load
  std::vector<Global> globals;
  std::vector<std::string> errors;
  std::vector<int64_t> initRegs; // constants pre-set, everything else 0
  SmallVector<uint8_t, 8> inputWidths, resultWidths;
  SmallVector<uint32_t, 2> resultRegs; // inputs are registers [0, n)
  bool allInputs64 = true;
};

} // namespace mlir::attn::interp

using interp::Instr;
using interp::Opc;

/// errorId of a call with the wrong number of arguments or result slots.
static constexpr int32_t kWrongArity = -2;

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

static inline int64_t sx(int64_t v, unsigned w) {
  return w == 1 ? -(v & 1) : v;
}
static inline uint64_t zx(int64_t v, unsigned w) {
  return w >= 64 ? static_cast<uint64_t>(v)
                 : static_cast<uint64_t>(v) & ((uint64_t(1) << w) - 1);
}
static inline int64_t nrm(int64_t v, unsigned w) {
  return normalizeToWidth(v, w);
}
static inline int64_t nrmU(uint64_t v, unsigned w) {
  return normalizeToWidth(static_cast<int64_t>(v), w);
}

static inline int64_t divS(int64_t a, int64_t b, unsigned w) {
  if (b == 0)
    return 0;
  if (b == -1)
    return nrm(static_cast<int64_t>(0 - static_cast<uint64_t>(a)), w);
  return nrm(a / b, w);
}
static inline int64_t remS(int64_t a, int64_t b) {
  if (b == 0 || b == -1)
    return 0;
  return a % b;
}
static inline int64_t floorDivS(int64_t a, int64_t b, unsigned w) {
  if (b == 0)
    return 0;
  if (b == -1)
    return divS(a, b, w);
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return nrm(q, w);
}
static inline int64_t ceilDivS(int64_t a, int64_t b, unsigned w) {
  if (b == 0)
    return 0;
  if (b == -1)
    return divS(a, b, w);
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) == (b < 0)))
    ++q;
  return nrm(q, w);
}

LogicalResult CompiledFunction::run(ArrayRef<int64_t> args,
                                    MutableArrayRef<int64_t> results,
                                    InterpreterScratch &scratch) const {
  const interp::Program &prog = *program;
  prepare(scratch);
  int64_t *r = scratch.regs.data();
  size_t numIn = prog.inputWidths.size();
  if (args.size() != numIn || results.size() < prog.resultRegs.size()) {
    scratch.errorId = kWrongArity;
    return failure();
  }
  if (prog.allInputs64)
    std::copy(args.begin(), args.end(), r);
  else
    for (size_t i = 0; i < numIn; ++i)
      r[i] = nrm(args[i], prog.inputWidths[i]);

  const Instr *code = prog.code.data();
  const size_t n = prog.code.size();
  size_t pc = 0;
  while (pc < n) {
    const Instr &in = code[pc++];
    const unsigned w = in.w;
    switch (in.op) {
    case Opc::Mov:
      r[in.d] = r[in.a];
      break;
    case Opc::AddI:
      r[in.d] = nrmU(uint64_t(r[in.a]) + uint64_t(r[in.b]), w);
      break;
    case Opc::SubI:
      r[in.d] = nrmU(uint64_t(r[in.a]) - uint64_t(r[in.b]), w);
      break;
    case Opc::MulI:
      r[in.d] = nrmU(uint64_t(r[in.a]) * uint64_t(r[in.b]), w);
      break;
    case Opc::DivSI:
      r[in.d] = divS(sx(r[in.a], w), sx(r[in.b], w), w);
      break;
    case Opc::DivUI: {
      uint64_t b = zx(r[in.b], w);
      r[in.d] = b == 0 ? 0 : nrmU(zx(r[in.a], w) / b, w);
      break;
    }
    case Opc::FloorDivSI:
      r[in.d] = floorDivS(sx(r[in.a], w), sx(r[in.b], w), w);
      break;
    case Opc::CeilDivSI:
      r[in.d] = ceilDivS(sx(r[in.a], w), sx(r[in.b], w), w);
      break;
    case Opc::CeilDivUI: {
      uint64_t a = zx(r[in.a], w), b = zx(r[in.b], w);
      r[in.d] = b == 0 ? 0 : nrmU(a / b + (a % b != 0), w);
      break;
    }
    case Opc::RemSI:
      r[in.d] = nrm(remS(sx(r[in.a], w), sx(r[in.b], w)), w);
      break;
    case Opc::RemUI: {
      uint64_t b = zx(r[in.b], w);
      r[in.d] = b == 0 ? 0 : nrmU(zx(r[in.a], w) % b, w);
      break;
    }
    case Opc::AndI:
      r[in.d] = r[in.a] & r[in.b];
      break;
    case Opc::OrI:
      r[in.d] = r[in.a] | r[in.b];
      break;
    case Opc::XOrI:
      r[in.d] = r[in.a] ^ r[in.b];
      break;
    case Opc::ShlI: {
      uint64_t s = zx(r[in.b], w);
      r[in.d] = s >= w ? 0 : nrmU(uint64_t(r[in.a]) << s, w);
      break;
    }
    case Opc::ShrSI: {
      uint64_t s = zx(r[in.b], w);
      int64_t a = sx(r[in.a], w);
      r[in.d] = nrm(s >= w ? (a < 0 ? -1 : 0) : (a >> s), w);
      break;
    }
    case Opc::ShrUI: {
      uint64_t s = zx(r[in.b], w);
      r[in.d] = s >= w ? 0 : nrmU(zx(r[in.a], w) >> s, w);
      break;
    }
    case Opc::MinSI: {
      int64_t a = sx(r[in.a], w), b = sx(r[in.b], w);
      r[in.d] = a < b ? r[in.a] : r[in.b];
      break;
    }
    case Opc::MaxSI: {
      int64_t a = sx(r[in.a], w), b = sx(r[in.b], w);
      r[in.d] = a > b ? r[in.a] : r[in.b];
      break;
    }
    case Opc::MinUI:
      r[in.d] = zx(r[in.a], w) < zx(r[in.b], w) ? r[in.a] : r[in.b];
      break;
    case Opc::MaxUI:
      r[in.d] = zx(r[in.a], w) > zx(r[in.b], w) ? r[in.a] : r[in.b];
      break;
    case Opc::CmpEq:
      r[in.d] = r[in.a] == r[in.b];
      break;
    case Opc::CmpNe:
      r[in.d] = r[in.a] != r[in.b];
      break;
    case Opc::CmpSlt:
      r[in.d] = sx(r[in.a], w) < sx(r[in.b], w);
      break;
    case Opc::CmpSle:
      r[in.d] = sx(r[in.a], w) <= sx(r[in.b], w);
      break;
    case Opc::CmpSgt:
      r[in.d] = sx(r[in.a], w) > sx(r[in.b], w);
      break;
    case Opc::CmpSge:
      r[in.d] = sx(r[in.a], w) >= sx(r[in.b], w);
      break;
    case Opc::CmpUlt:
      r[in.d] = zx(r[in.a], w) < zx(r[in.b], w);
      break;
    case Opc::CmpUle:
      r[in.d] = zx(r[in.a], w) <= zx(r[in.b], w);
      break;
    case Opc::CmpUgt:
      r[in.d] = zx(r[in.a], w) > zx(r[in.b], w);
      break;
    case Opc::CmpUge:
      r[in.d] = zx(r[in.a], w) >= zx(r[in.b], w);
      break;
    case Opc::Select:
      r[in.d] = r[in.a] ? r[in.b] : r[in.c];
      break;
    case Opc::CastS:
      r[in.d] = nrm(sx(r[in.a], w), in.w2);
      break;
    case Opc::CastU:
      r[in.d] = nrmU(zx(r[in.a], w), in.w2);
      break;
    case Opc::AbsI: {
      int64_t a = sx(r[in.a], w);
      r[in.d] = nrmU(a < 0 ? 0 - uint64_t(a) : uint64_t(a), w);
      break;
    }
    case Opc::Ctlz: {
      uint64_t a = zx(r[in.a], w);
      r[in.d] = nrm(int64_t(std::countl_zero(a)) - (64 - int64_t(w)), w);
      break;
    }
    case Opc::Cttz: {
      uint64_t a = zx(r[in.a], w);
      r[in.d] = nrm(a == 0 ? int64_t(w) : int64_t(std::countr_zero(a)), w);
      break;
    }
    case Opc::Ctpop:
      r[in.d] = nrm(std::popcount(zx(r[in.a], w)), w);
      break;
    case Opc::Jmp:
      pc = in.d;
      break;
    case Opc::JmpIfZero:
      if (!r[in.a])
        pc = in.d;
      break;
    case Opc::ForEnterS:
      if (!(sx(r[in.a], w) < sx(r[in.b], w)))
        pc = in.d;
      break;
    case Opc::ForEnterU:
      if (!(zx(r[in.a], w) < zx(r[in.b], w)))
        pc = in.d;
      break;
    case Opc::ForNextS: {
      int64_t iv = nrmU(uint64_t(r[in.a]) + uint64_t(r[in.b]), w);
      // Stop on wrap-around as well: the loop never runs past its bound.
      if (sx(iv, w) > sx(r[in.a], w) && sx(iv, w) < sx(r[in.c], w)) {
        r[in.a] = iv;
        pc = in.d;
      }
      break;
    }
    case Opc::ForNextU: {
      int64_t iv = nrmU(uint64_t(r[in.a]) + uint64_t(r[in.b]), w);
      if (zx(iv, w) > zx(r[in.a], w) && zx(iv, w) < zx(r[in.c], w)) {
        r[in.a] = iv;
        pc = in.d;
      }
      break;
    }
    case Opc::StepCheckS:
      if (sx(r[in.a], w) <= 0) {
        scratch.errorId = static_cast<int32_t>(in.d);
        return failure();
      }
      break;
    case Opc::StepCheckU:
      if (zx(r[in.a], w) == 0) {
        scratch.errorId = static_cast<int32_t>(in.d);
        return failure();
      }
      break;
    case Opc::Load: {
      const interp::Global &g = prog.globals[in.a];
      const uint32_t *idx = prog.indexRegs.data() + in.b;
      int64_t off = 0;
      for (unsigned i = 0, e = in.w2; i < e; ++i) {
        int64_t v = r[idx[i]];
        if (v < 0 || v >= g.shape[i]) {
          scratch.errorId = static_cast<int32_t>(in.c);
          return failure();
        }
        off += v * g.strides[i];
      }
      r[in.d] = g.data[off];
      break;
    }
    case Opc::AddI64:
      r[in.d] = int64_t(uint64_t(r[in.a]) + uint64_t(r[in.b]));
      break;
    case Opc::SubI64:
      r[in.d] = int64_t(uint64_t(r[in.a]) - uint64_t(r[in.b]));
      break;
    case Opc::MulI64:
      r[in.d] = int64_t(uint64_t(r[in.a]) * uint64_t(r[in.b]));
      break;
    case Opc::CmpSlt64:
      r[in.d] = r[in.a] < r[in.b];
      break;
    case Opc::CmpSle64:
      r[in.d] = r[in.a] <= r[in.b];
      break;
    case Opc::CmpSgt64:
      r[in.d] = r[in.a] > r[in.b];
      break;
    case Opc::CmpSge64:
      r[in.d] = r[in.a] >= r[in.b];
      break;
    case Opc::CmpUlt64:
      r[in.d] = uint64_t(r[in.a]) < uint64_t(r[in.b]);
      break;
    case Opc::CmpUle64:
      r[in.d] = uint64_t(r[in.a]) <= uint64_t(r[in.b]);
      break;
    case Opc::CmpUgt64:
      r[in.d] = uint64_t(r[in.a]) > uint64_t(r[in.b]);
      break;
    case Opc::CmpUge64:
      r[in.d] = uint64_t(r[in.a]) >= uint64_t(r[in.b]);
      break;
    case Opc::MinSI64:
      r[in.d] = std::min(r[in.a], r[in.b]);
      break;
    case Opc::MaxSI64:
      r[in.d] = std::max(r[in.a], r[in.b]);
      break;
    }
  }
  for (size_t i = 0, e = prog.resultRegs.size(); i < e; ++i)
    results[i] = r[prog.resultRegs[i]];
  scratch.errorId = -1;
  return success();
}

FailureOr<int64_t> CompiledFunction::run1(ArrayRef<int64_t> args,
                                          InterpreterScratch &scratch) const {
  int64_t result[1] = {0};
  if (numResults() == 1) {
    if (failed(run(args, result, scratch)))
      return failure();
    return result[0];
  }
  SmallVector<int64_t, 4> all(numResults());
  if (failed(run(args, all, scratch)))
    return failure();
  if (all.empty()) {
    scratch.errorId = kWrongArity;
    return failure();
  }
  return all[0];
}

FailureOr<SmallVector<int64_t, 2>>
CompiledFunction::run(ArrayRef<int64_t> args) const {
  SmallVector<int64_t, 2> results(numResults());
  if (failed(run(args, results, ownScratch)))
    return failure();
  return results;
}

FailureOr<int64_t> CompiledFunction::run1(ArrayRef<int64_t> args) const {
  return run1(args, ownScratch);
}

void CompiledFunction::prepare(InterpreterScratch &scratch) const {
  if (scratch.owner == program.get())
    return;
  // Constants live in registers that no instruction writes: set them once.
  scratch.regs = program->initRegs;
  scratch.owner = program.get();
  scratch.errorId = -1;
}

InterpreterScratch CompiledFunction::makeScratch() const {
  InterpreterScratch s;
  prepare(s);
  return s;
}

std::string CompiledFunction::lastError() const {
  return lastError(ownScratch);
}
std::string
CompiledFunction::lastError(const InterpreterScratch &scratch) const {
  if (scratch.owner != program.get() || scratch.errorId == -1)
    return {};
  if (scratch.errorId == kWrongArity)
    return "interpreter: called with " + std::string("the wrong number of "
                                                     "arguments or results");
  return program->errors[scratch.errorId];
}

unsigned CompiledFunction::numInputs() const {
  return program->inputWidths.size();
}
unsigned CompiledFunction::numResults() const {
  return program->resultRegs.size();
}
unsigned CompiledFunction::inputWidth(unsigned i) const {
  return program->inputWidths[i];
}
unsigned CompiledFunction::resultWidth(unsigned i) const {
  return program->resultWidths[i];
}
size_t CompiledFunction::numInstructions() const {
  return program->code.size();
}
size_t CompiledFunction::numRegisters() const {
  return program->initRegs.size();
}

static StringRef opcName(Opc op) {
  static const char *names[] = {
      "mov",       "addi",      "subi",       "muli",       "divsi",
      "divui",     "floordivsi", "ceildivsi", "ceildivui",  "remsi",
      "remui",     "andi",      "ori",        "xori",       "shli",
      "shrsi",     "shrui",     "minsi",      "maxsi",      "minui",
      "maxui",     "cmp.eq",    "cmp.ne",     "cmp.slt",    "cmp.sle",
      "cmp.sgt",   "cmp.sge",   "cmp.ult",    "cmp.ule",    "cmp.ugt",
      "cmp.uge",   "select",    "casts",      "castu",      "absi",
      "ctlz",      "cttz",      "ctpop",      "jmp",        "jz",
      "for.enter.s", "for.enter.u", "for.next.s", "for.next.u",
      "stepcheck.s", "stepcheck.u", "load", "addi64", "subi64", "muli64",
      "cmp.slt64", "cmp.sle64", "cmp.sgt64", "cmp.sge64", "cmp.ult64",
      "cmp.ule64", "cmp.ugt64", "cmp.uge64", "minsi64", "maxsi64"};
  static_assert(sizeof(names) / sizeof(names[0]) ==
                    static_cast<size_t>(Opc::MaxSI64) + 1,
                "opcode names out of sync");
  return names[static_cast<size_t>(op)];
}

std::string CompiledFunction::dump() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  const interp::Program &p = *program;
  os << "inputs " << p.inputWidths.size() << ", registers " << p.initRegs.size()
     << ", results";
  for (uint32_t r : p.resultRegs)
    os << " r" << r;
  os << "\n";
  for (size_t i = 0; i < p.code.size(); ++i) {
    const Instr &in = p.code[i];
    os << i << ": " << opcName(in.op) << " w" << unsigned(in.w) << " d" << in.d
       << " a" << in.a << " b" << in.b << " c" << in.c;
    if (in.op == Opc::CastS || in.op == Opc::CastU || in.op == Opc::Load)
      os << " w2 " << unsigned(in.w2);
    os << "\n";
  }
  return s;
}

CompiledFunction::CompiledFunction(
    std::shared_ptr<const interp::Program> program)
    : program(std::move(program)) {
  prepare(ownScratch);
}
CompiledFunction::CompiledFunction(CompiledFunction &&) noexcept = default;
CompiledFunction &
CompiledFunction::operator=(CompiledFunction &&) noexcept = default;
CompiledFunction::CompiledFunction(const CompiledFunction &) = default;
CompiledFunction &
CompiledFunction::operator=(const CompiledFunction &) = default;
CompiledFunction::~CompiledFunction() = default;

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

namespace {

/// Width in bits of an integer or index type; 0 when unsupported.
unsigned widthOf(Type type) {
  if (auto it = dyn_cast<IntegerType>(type))
    return it.getWidth() <= 64 ? it.getWidth() : 0;
  if (isa<IndexType>(type))
    return 64;
  return 0;
}

class Compiler {
public:
  explicit Compiler(interp::Program &p) : prog(p) {}

  /// Registers for `n` inputs of the given types (registers [0, n)).
  LogicalResult addInputs(Operation *where, ValueRange values) {
    for (Value v : values) {
      unsigned w = widthOf(v.getType());
      if (!w)
        return where->emitError()
               << "interpreter: unsupported input type " << v.getType()
               << " (only integers up to 64 bits and index)";
      prog.inputWidths.push_back(w);
      prog.allInputs64 &= w == 64;
      (*regOf)[v] = newReg();
    }
    return success();
  }

  LogicalResult setResults(Operation *term) {
    return setResults(term->getOperands(), term);
  }
  LogicalResult setResults(ValueRange values, Operation *term) {
    for (Value v : values) {
      unsigned w = widthOf(v.getType());
      if (!w)
        return term->emitError()
               << "interpreter: unsupported result type " << v.getType();
      FailureOr<uint32_t> r = lookup(v, term);
      if (failed(r))
        return failure();
      prog.resultRegs.push_back(*r);
      prog.resultWidths.push_back(w);
    }
    return success();
  }

  /// Compiles every op of `block` but its terminator.
  LogicalResult compileBody(Block &block) {
    for (Operation &op : block.without_terminator())
      if (failed(compileOp(op)))
        return failure();
    return success();
  }

  LogicalResult compileFuncBody(func::FuncOp fn, Operation *where) {
    if (fn.isExternal())
      return where->emitError()
             << "interpreter: function @" << fn.getSymName()
             << " has no body";
    if (!fn.getBody().hasOneBlock())
      return fn.emitError() << "interpreter: function @" << fn.getSymName()
                            << " must have a single block (structured "
                               "control flow only)";
    return compileBody(fn.getBody().front());
  }

  DenseMap<Value, uint32_t> *regOf = nullptr;
  DenseMap<Value, unsigned> *memrefOf = nullptr;
  SmallPtrSet<Operation *, 4> inlining;

  uint32_t newReg(int64_t init = 0) {
    prog.initRegs.push_back(init);
    return static_cast<uint32_t>(prog.initRegs.size() - 1);
  }

  FailureOr<uint32_t> lookup(Value v, Operation *user) {
    auto it = regOf->find(v);
    if (it != regOf->end())
      return it->second;
    // A constant (or an arith/math expression of constants) defined outside
    // a compiled region: compile it here.
    if (Operation *def = v.getDefiningOp()) {
      StringRef ns = def->getName().getDialectNamespace();
      if ((ns == "arith" || ns == "math") && def->getNumRegions() == 0) {
        if (failed(compileOp(*def)))
          return failure();
        return (*regOf)[v];
      }
    }
    auto pos = llvm::find(user->getOperands(), v);
    if (pos == user->operand_end())
      return user->emitError()
             << "interpreter: a value is not computable from the inputs";
    return user->emitError()
           << "interpreter: operand #" << (pos - user->operand_begin())
           << " of '" << user->getName()
           << "' is defined outside the compiled code and is not an input";
  }

private:
  interp::Program &prog;

  size_t here() const { return prog.code.size(); }
  size_t emit(Instr in) {
    prog.code.push_back(in);
    return prog.code.size() - 1;
  }
  uint32_t addError(Operation *op, const Twine &msg) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << op->getLoc() << ": " << msg;
    prog.errors.push_back(std::move(s));
    return static_cast<uint32_t>(prog.errors.size() - 1);
  }

  LogicalResult checkTypes(Operation *op) {
    for (Type t : op->getResultTypes())
      if (!widthOf(t))
        return op->emitError() << "interpreter: unsupported result type " << t
                               << " of '" << op->getName() << "'";
    for (Type t : op->getOperandTypes())
      if (!widthOf(t))
        return op->emitError() << "interpreter: unsupported operand type "
                               << t << " of '" << op->getName() << "'";
    return success();
  }

  /// dst[i] = src[i] for all i at once (sources may overlap destinations).
  void parallelCopy(ArrayRef<uint32_t> dst, ArrayRef<uint32_t> src) {
    SmallVector<std::pair<uint32_t, uint32_t>> moves;
    for (auto [d, s] : llvm::zip_equal(dst, src))
      if (d != s)
        moves.push_back({d, s});
    bool overlap = llvm::any_of(moves, [&](auto m) {
      return llvm::any_of(moves, [&](auto o) { return o.first == m.second; });
    });
    if (!overlap) {
      for (auto [d, s] : moves)
        emit({Opc::Mov, 64, 64, d, s});
      return;
    }
    SmallVector<uint32_t> tmps;
    for (auto [d, s] : moves) {
      uint32_t t = newReg();
      tmps.push_back(t);
      emit({Opc::Mov, 64, 64, t, s});
    }
    for (auto [m, t] : llvm::zip_equal(moves, tmps))
      emit({Opc::Mov, 64, 64, m.first, t});
  }

  FailureOr<SmallVector<uint32_t>> lookupAll(ValueRange values,
                                             Operation *user) {
    SmallVector<uint32_t> regs;
    for (Value v : values) {
      FailureOr<uint32_t> r = lookup(v, user);
      if (failed(r))
        return failure();
      regs.push_back(*r);
    }
    return regs;
  }

  SmallVector<uint32_t> defineAll(ValueRange values) {
    SmallVector<uint32_t> regs;
    for (Value v : values) {
      uint32_t r = newReg();
      (*regOf)[v] = r;
      regs.push_back(r);
    }
    return regs;
  }

  LogicalResult compileConstant(arith::ConstantOp op) {
    unsigned w = widthOf(op.getType());
    auto attr = dyn_cast<IntegerAttr>(op.getValue());
    if (!w || !attr)
      return op.emitError()
             << "interpreter: unsupported constant " << op.getValue()
             << " (only integer, i1 and index scalars)";
    int64_t v = w == 1 ? int64_t(attr.getValue().getZExtValue() & 1)
                       : attr.getValue().getSExtValue();
    (*regOf)[op.getResult()] = newReg(nrm(v, w));
    return success();
  }

  LogicalResult binary(Operation *op, Opc opc) {
    if (failed(checkTypes(op)))
      return failure();
    auto a = lookup(op->getOperand(0), op), b = lookup(op->getOperand(1), op);
    if (failed(a) || failed(b))
      return failure();
    unsigned w = widthOf(op->getOperand(0).getType());
    uint32_t d = newReg();
    (*regOf)[op->getResult(0)] = d;
    if (w == 64)
      opc = wide(opc);
    emit({opc, uint8_t(w), 64, d, *a, *b});
    return success();
  }

  /// The 64-bit fast path of `opc`, or `opc` itself.
  static Opc wide(Opc opc) {
    switch (opc) {
    case Opc::AddI: return Opc::AddI64;
    case Opc::SubI: return Opc::SubI64;
    case Opc::MulI: return Opc::MulI64;
    case Opc::CmpSlt: return Opc::CmpSlt64;
    case Opc::CmpSle: return Opc::CmpSle64;
    case Opc::CmpSgt: return Opc::CmpSgt64;
    case Opc::CmpSge: return Opc::CmpSge64;
    case Opc::CmpUlt: return Opc::CmpUlt64;
    case Opc::CmpUle: return Opc::CmpUle64;
    case Opc::CmpUgt: return Opc::CmpUgt64;
    case Opc::CmpUge: return Opc::CmpUge64;
    case Opc::MinSI: return Opc::MinSI64;
    case Opc::MaxSI: return Opc::MaxSI64;
    default: return opc;
    }
  }

  LogicalResult unary(Operation *op, Opc opc) {
    if (failed(checkTypes(op)))
      return failure();
    auto a = lookup(op->getOperand(0), op);
    if (failed(a))
      return failure();
    unsigned w = widthOf(op->getOperand(0).getType());
    unsigned w2 = widthOf(op->getResult(0).getType());
    uint32_t d = newReg();
    (*regOf)[op->getResult(0)] = d;
    emit({opc, uint8_t(w), uint8_t(w2), d, *a});
    return success();
  }

  LogicalResult compileCmp(arith::CmpIOp op) {
    using P = arith::CmpIPredicate;
    Opc opc;
    switch (op.getPredicate()) {
    case P::eq: opc = Opc::CmpEq; break;
    case P::ne: opc = Opc::CmpNe; break;
    case P::slt: opc = Opc::CmpSlt; break;
    case P::sle: opc = Opc::CmpSle; break;
    case P::sgt: opc = Opc::CmpSgt; break;
    case P::sge: opc = Opc::CmpSge; break;
    case P::ult: opc = Opc::CmpUlt; break;
    case P::ule: opc = Opc::CmpUle; break;
    case P::ugt: opc = Opc::CmpUgt; break;
    case P::uge: opc = Opc::CmpUge; break;
    }
    return binary(op, opc);
  }

  LogicalResult compileSelect(arith::SelectOp op) {
    if (failed(checkTypes(op)))
      return failure();
    auto c = lookup(op.getCondition(), op);
    auto t = lookup(op.getTrueValue(), op);
    auto f = lookup(op.getFalseValue(), op);
    if (failed(c) || failed(t) || failed(f))
      return failure();
    uint32_t d = newReg();
    (*regOf)[op.getResult()] = d;
    emit({Opc::Select, 64, 64, d, *c, *t, *f});
    return success();
  }

  LogicalResult compileIf(scf::IfOp op) {
    if (failed(checkTypes(op)))
      return failure();
    auto cond = lookup(op.getCondition(), op);
    if (failed(cond))
      return failure();
    SmallVector<uint32_t> results = defineAll(op.getResults());
    size_t jz = emit({Opc::JmpIfZero, 64, 64, 0, *cond});
    if (failed(compileYieldingBlock(op.getThenRegion().front(), results)))
      return failure();
    if (op.getElseRegion().empty()) {
      prog.code[jz].d = here();
      return success();
    }
    size_t jmp = emit({Opc::Jmp});
    prog.code[jz].d = here();
    if (failed(compileYieldingBlock(op.getElseRegion().front(), results)))
      return failure();
    prog.code[jmp].d = here();
    return success();
  }

  /// Compiles `block` and copies its terminator's operands into `dst`.
  LogicalResult compileYieldingBlock(Block &block, ArrayRef<uint32_t> dst) {
    if (failed(compileBody(block)))
      return failure();
    Operation *term = block.getTerminator();
    auto src = lookupAll(term->getOperands(), term);
    if (failed(src))
      return failure();
    parallelCopy(dst, *src);
    return success();
  }

  LogicalResult compileFor(scf::ForOp op) {
    if (failed(checkTypes(op)))
      return failure();
    auto lb = lookup(op.getLowerBound(), op);
    auto ub = lookup(op.getUpperBound(), op);
    auto step = lookup(op.getStep(), op);
    auto inits = lookupAll(op.getInitArgs(), op);
    if (failed(lb) || failed(ub) || failed(step) || failed(inits))
      return failure();
    unsigned w = widthOf(op.getLowerBound().getType());
    bool isUnsigned = op.getUnsignedCmp();
    // The iteration arguments and the results share registers: the region's
    // values are dead once the loop exits.
    uint32_t iv = newReg();
    (*regOf)[op.getInductionVar()] = iv;
    SmallVector<uint32_t> iters = defineAll(op.getRegionIterArgs());
    for (auto [res, r] : llvm::zip_equal(op.getResults(), iters))
      (*regOf)[res] = r;

    uint32_t err = addError(op, "scf.for step must be positive");
    emit({isUnsigned ? Opc::StepCheckU : Opc::StepCheckS, uint8_t(w), 64, err,
          *step});
    emit({Opc::Mov, 64, 64, iv, *lb});
    parallelCopy(iters, *inits);
    size_t enter = emit({isUnsigned ? Opc::ForEnterU : Opc::ForEnterS,
                         uint8_t(w), 64, 0, iv, *ub});
    size_t bodyStart = here();
    if (failed(compileYieldingBlock(*op.getBody(), iters)))
      return failure();
    emit({isUnsigned ? Opc::ForNextU : Opc::ForNextS, uint8_t(w), 64,
          uint32_t(bodyStart), iv, *step, *ub});
    prog.code[enter].d = here();
    return success();
  }

  LogicalResult compileWhile(scf::WhileOp op) {
    if (failed(checkTypes(op)))
      return failure();
    auto inits = lookupAll(op.getInits(), op);
    if (failed(inits))
      return failure();
    Block &before = op.getBefore().front();
    Block &after = op.getAfter().front();
    for (Type t : before.getArgumentTypes())
      if (!widthOf(t))
        return op.emitError() << "interpreter: unsupported type " << t;
    SmallVector<uint32_t> beforeArgs = defineAll(before.getArguments());
    // After-region arguments and the results share registers.
    SmallVector<uint32_t> afterArgs = defineAll(after.getArguments());
    for (auto [res, r] : llvm::zip_equal(op.getResults(), afterArgs))
      (*regOf)[res] = r;

    parallelCopy(beforeArgs, *inits);
    size_t loop = here();
    if (failed(compileBody(before)))
      return failure();
    auto cond = cast<scf::ConditionOp>(before.getTerminator());
    auto c = lookup(cond.getCondition(), cond);
    auto vals = lookupAll(cond.getArgs(), cond);
    if (failed(c) || failed(vals))
      return failure();
    parallelCopy(afterArgs, *vals);
    size_t jz = emit({Opc::JmpIfZero, 64, 64, 0, *c});
    if (failed(compileYieldingBlock(after, beforeArgs)))
      return failure();
    emit({Opc::Jmp, 64, 64, uint32_t(loop)});
    prog.code[jz].d = here();
    return success();
  }

  LogicalResult compileCall(func::CallOp op) {
    auto callee =
        SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op,
                                                          op.getCalleeAttr());
    if (!callee)
      return op.emitError() << "interpreter: cannot find function @"
                            << op.getCallee();
    if (inlining.contains(callee))
      return op.emitError() << "interpreter: recursive call to @"
                            << op.getCallee() << " is not supported";
    if (failed(checkTypes(op)))
      return failure();
    auto args = lookupAll(op.getOperands(), op);
    if (failed(args))
      return failure();
    if (callee.isExternal())
      return op.emitError() << "interpreter: function @" << op.getCallee()
                            << " has no body";
    // Inline: the callee's arguments alias the call's operand registers, the
    // call's results alias the registers of the callee's return operands.
    DenseMap<Value, uint32_t> calleeRegs;
    DenseMap<Value, unsigned> calleeMemrefs;
    for (auto [arg, r] : llvm::zip_equal(callee.getArguments(), *args))
      calleeRegs[arg] = r;
    auto *savedRegs = regOf;
    auto *savedMemrefs = memrefOf;
    regOf = &calleeRegs;
    memrefOf = &calleeMemrefs;
    inlining.insert(callee);
    LogicalResult ok = compileFuncBody(callee, op);
    SmallVector<uint32_t> rets;
    if (succeeded(ok)) {
      Operation *ret = callee.getBody().front().getTerminator();
      auto r = lookupAll(ret->getOperands(), ret);
      if (failed(r))
        ok = failure();
      else
        rets = *r;
    }
    inlining.erase(callee);
    regOf = savedRegs;
    memrefOf = savedMemrefs;
    if (failed(ok))
      return failure();
    if (rets.size() != op.getNumResults())
      return op.emitError() << "interpreter: @" << op.getCallee()
                            << " returns " << rets.size() << " values";
    for (auto [res, r] : llvm::zip_equal(op.getResults(), rets))
      (*regOf)[res] = r;
    return success();
  }

  LogicalResult compileGetGlobal(memref::GetGlobalOp op) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        op, op.getNameAttr());
    if (!global)
      return op.emitError() << "interpreter: cannot find memref.global @"
                            << op.getName();
    auto it = globalIds.find(global);
    if (it != globalIds.end()) {
      (*memrefOf)[op.getResult()] = it->second;
      return success();
    }
    MemRefType type = global.getType();
    unsigned w = widthOf(type.getElementType());
    if (!w)
      return op.emitError() << "interpreter: memref.global @" << op.getName()
                            << " has unsupported element type "
                            << type.getElementType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return op.emitError() << "interpreter: memref.global @" << op.getName()
                            << " must have a static shape and identity layout";
    auto init = dyn_cast_or_null<DenseElementsAttr>(
        global.getInitialValue().value_or(Attribute()));
    if (!global.getConstant() || !init)
      return op.emitError() << "interpreter: memref.global @" << op.getName()
                            << " must be constant with a dense initializer";
    interp::Global g;
    g.name = global.getSymName().str();
    g.shape.assign(type.getShape().begin(), type.getShape().end());
    g.strides.resize(g.shape.size());
    int64_t stride = 1;
    for (int i = int(g.shape.size()) - 1; i >= 0; --i) {
      g.strides[i] = stride;
      stride *= g.shape[i];
    }
    g.data.reserve(stride);
    if (init.isSplat()) {
      APInt v = init.getSplatValue<APInt>();
      g.data.assign(stride, w == 1 ? int64_t(v.getZExtValue() & 1)
                                   : v.getSExtValue());
    } else {
      for (APInt v : init.getValues<APInt>())
        g.data.push_back(w == 1 ? int64_t(v.getZExtValue() & 1)
                                : v.getSExtValue());
    }
    if (int64_t(g.data.size()) != stride)
      return op.emitError() << "interpreter: memref.global @" << op.getName()
                            << " initializer has the wrong size";
    unsigned id = prog.globals.size();
    prog.globals.push_back(std::move(g));
    globalIds[global] = id;
    (*memrefOf)[op.getResult()] = id;
    return success();
  }

  LogicalResult compileLoad(memref::LoadOp op) {
    auto it = memrefOf->find(op.getMemRef());
    if (it == memrefOf->end())
      return op.emitError() << "interpreter: memref.load must read a memref "
                               "produced by memref.get_global";
    auto idx = lookupAll(op.getIndices(), op);
    if (failed(idx))
      return failure();
    if (!widthOf(op.getType()))
      return op.emitError() << "interpreter: unsupported element type "
                            << op.getType() << " of 'memref.load'";
    const interp::Global &g = prog.globals[it->second];
    if (idx->size() != g.shape.size() || idx->size() > 255)
      return op.emitError() << "interpreter: wrong number of indices";
    uint32_t start = prog.indexRegs.size();
    prog.indexRegs.insert(prog.indexRegs.end(), idx->begin(), idx->end());
    uint32_t err = addError(op, "memref.load out of bounds of @" + g.name);
    uint32_t d = newReg();
    (*regOf)[op.getResult()] = d;
    emit({Opc::Load, 64, uint8_t(idx->size()), d, it->second, start, err});
    return success();
  }

  LogicalResult compileOp(Operation &op) {
    return TypeSwitch<Operation *, LogicalResult>(&op)
        .Case([&](arith::ConstantOp o) { return compileConstant(o); })
        .Case([&](arith::AddIOp o) { return binary(o, Opc::AddI); })
        .Case([&](arith::SubIOp o) { return binary(o, Opc::SubI); })
        .Case([&](arith::MulIOp o) { return binary(o, Opc::MulI); })
        .Case([&](arith::DivSIOp o) { return binary(o, Opc::DivSI); })
        .Case([&](arith::DivUIOp o) { return binary(o, Opc::DivUI); })
        .Case([&](arith::FloorDivSIOp o) { return binary(o, Opc::FloorDivSI); })
        .Case([&](arith::CeilDivSIOp o) { return binary(o, Opc::CeilDivSI); })
        .Case([&](arith::CeilDivUIOp o) { return binary(o, Opc::CeilDivUI); })
        .Case([&](arith::RemSIOp o) { return binary(o, Opc::RemSI); })
        .Case([&](arith::RemUIOp o) { return binary(o, Opc::RemUI); })
        .Case([&](arith::AndIOp o) { return binary(o, Opc::AndI); })
        .Case([&](arith::OrIOp o) { return binary(o, Opc::OrI); })
        .Case([&](arith::XOrIOp o) { return binary(o, Opc::XOrI); })
        .Case([&](arith::ShLIOp o) { return binary(o, Opc::ShlI); })
        .Case([&](arith::ShRSIOp o) { return binary(o, Opc::ShrSI); })
        .Case([&](arith::ShRUIOp o) { return binary(o, Opc::ShrUI); })
        .Case([&](arith::MinSIOp o) { return binary(o, Opc::MinSI); })
        .Case([&](arith::MaxSIOp o) { return binary(o, Opc::MaxSI); })
        .Case([&](arith::MinUIOp o) { return binary(o, Opc::MinUI); })
        .Case([&](arith::MaxUIOp o) { return binary(o, Opc::MaxUI); })
        .Case([&](arith::CmpIOp o) { return compileCmp(o); })
        .Case([&](arith::SelectOp o) { return compileSelect(o); })
        .Case([&](arith::ExtSIOp o) { return unary(o, Opc::CastS); })
        .Case([&](arith::ExtUIOp o) { return unary(o, Opc::CastU); })
        .Case([&](arith::TruncIOp o) { return unary(o, Opc::CastS); })
        .Case([&](arith::IndexCastOp o) { return unary(o, Opc::CastS); })
        .Case([&](arith::IndexCastUIOp o) { return unary(o, Opc::CastU); })
        .Case([&](math::AbsIOp o) { return unary(o, Opc::AbsI); })
        .Case([&](math::CountLeadingZerosOp o) { return unary(o, Opc::Ctlz); })
        .Case([&](math::CountTrailingZerosOp o) { return unary(o, Opc::Cttz); })
        .Case([&](math::CtPopOp o) { return unary(o, Opc::Ctpop); })
        .Case([&](scf::IfOp o) { return compileIf(o); })
        .Case([&](scf::ForOp o) { return compileFor(o); })
        .Case([&](scf::WhileOp o) { return compileWhile(o); })
        .Case([&](func::CallOp o) { return compileCall(o); })
        .Case([&](memref::GetGlobalOp o) { return compileGetGlobal(o); })
        .Case([&](memref::LoadOp o) { return compileLoad(o); })
        .Default([&](Operation *o) {
          return o->emitError()
                 << "interpreter: unsupported op '" << o->getName() << "'";
        });
  }

  DenseMap<Operation *, unsigned> globalIds;
};

} // namespace

FailureOr<CompiledFunction> CompiledFunction::compile(func::FuncOp fn) {
  auto prog = std::make_shared<interp::Program>();
  Compiler c(*prog);
  DenseMap<Value, uint32_t> regs;
  DenseMap<Value, unsigned> memrefs;
  c.regOf = &regs;
  c.memrefOf = &memrefs;
  if (fn.isExternal())
    return fn.emitError() << "interpreter: function @" << fn.getSymName()
                          << " has no body";
  if (failed(c.addInputs(fn, fn.getArguments())))
    return failure();
  c.inlining.insert(fn);
  if (failed(c.compileFuncBody(fn, fn)))
    return failure();
  if (failed(c.setResults(fn.getBody().front().getTerminator())))
    return failure();
  return CompiledFunction(std::move(prog));
}

FailureOr<CompiledFunction>
CompiledFunction::compileRegion(Region &region, ArrayRef<Value> outerValues) {
  Operation *parent = region.getParentOp();
  if (!region.hasOneBlock())
    return parent->emitError()
           << "interpreter: region must have exactly one block";
  auto prog = std::make_shared<interp::Program>();
  Compiler c(*prog);
  DenseMap<Value, uint32_t> regs;
  DenseMap<Value, unsigned> memrefs;
  c.regOf = &regs;
  c.memrefOf = &memrefs;
  Block &block = region.front();
  if (failed(c.addInputs(parent, block.getArguments())) ||
      failed(c.addInputs(parent, outerValues)))
    return failure();
  if (failed(c.compileBody(block)))
    return failure();
  if (failed(c.setResults(block.getTerminator())))
    return failure();
  return CompiledFunction(std::move(prog));
}

FailureOr<CompiledFunction>
CompiledFunction::compileValues(ArrayRef<Value> inputs, ArrayRef<Value> results,
                                Operation *diagOp) {
  auto prog = std::make_shared<interp::Program>();
  Compiler c(*prog);
  DenseMap<Value, uint32_t> regs;
  DenseMap<Value, unsigned> memrefs;
  c.regOf = &regs;
  c.memrefOf = &memrefs;
  if (failed(c.addInputs(diagOp, inputs)))
    return failure();
  for (Value v : results) {
    Operation *user = v.getDefiningOp() ? v.getDefiningOp() : diagOp;
    if (failed(c.setResults(ValueRange(v), user)))
      return failure();
  }
  return CompiledFunction(std::move(prog));
}
