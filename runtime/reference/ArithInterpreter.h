//===- ArithInterpreter.h - fast interpreter for generated integer code ---===//
//
// Compiles a `func.func` (or one region) built from arith/math/scf/memref/func
// ops on integers once into a compact register bytecode, and runs it many
// times cheaply (it is called per matrix element and per tile).
//
// Value semantics: every value is an int64 register normalized to its type's
// width: i1 is 0 or 1, iN (N < 64) is sign-extended, i64 and index are 64
// bits. Unsigned ops look at the low N bits. Deliberate choices where LLVM
// says "undefined" or "poison", so that the interpreter never crashes:
//   - division or remainder by zero (all div/rem flavours) yields 0;
//   - signed INT_MIN / -1 wraps to INT_MIN, INT_MIN % -1 is 0;
//   - shli/shrui by an amount >= width (amount read unsigned) yield 0,
//     shrsi yields the sign fill (0 or -1);
//   - math.ctlz / math.cttz of 0 yield the width.
// Run-time errors (a memref.load out of bounds, an scf.for whose step is not
// positive) make run() fail with a message (lastError()).
//
// func.call of another function in the same module is inlined at compile
// time (recursion is rejected). memref.get_global must name a constant
// `memref.global` with an integer (or index) element type.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_REFERENCE_ARITHINTERPRETER_H
#define ATTN_RUNTIME_REFERENCE_ARITHINTERPRETER_H

#include "mlir/IR/Region.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
namespace func {
class FuncOp;
} // namespace func

namespace attn {

namespace interp {
/// One bytecode instruction: an opcode and register indices. Defined in the
/// .cpp; exposed only so that CompiledFunction can hold them by value.
struct Instr;
struct Program;
} // namespace interp

/// Registers of one execution. A CompiledFunction keeps one for run(); give
/// each thread its own with makeScratch() and the run() overload taking it.
class InterpreterScratch {
public:
  InterpreterScratch() = default;

private:
  friend class CompiledFunction;
  std::vector<int64_t> regs;
  const void *owner = nullptr;
  int32_t errorId = -1;
};

/// Bytecode for one func.func or region. Cheap to move; copying shares the
/// (immutable) program and copies the scratch registers.
class CompiledFunction {
public:
  /// Compiles `fn` (a single-block body ending in func.return); calls and
  /// globals are resolved in its enclosing module. Errors are emitted on the
  /// offending op.
  static FailureOr<CompiledFunction> compile(func::FuncOp fn);

  /// Compiles a single-block region. Inputs are the region's block arguments
  /// first, then `outerValues` (values defined outside the region that it
  /// uses). Other outside values are accepted only when they are defined by
  /// an arith.constant. The operands of the block's terminator (whatever op
  /// it is: scf.yield, attn.yield, func.return, ...) are the results.
  static FailureOr<CompiledFunction> compileRegion(Region &region,
                                                    ArrayRef<Value> outerValues);

  /// Compiles the computation of `results` from `inputs`: the defining ops
  /// of the results (arith/math ops, recursively) are compiled; a value that
  /// is neither an input nor computed by such ops is an error, emitted on
  /// `diagOp`. Used to evaluate the scalar parameters of a pattern.
  static FailureOr<CompiledFunction> compileValues(ArrayRef<Value> inputs,
                                                   ArrayRef<Value> results,
                                                   Operation *diagOp);

  /// Runs with the object's own scratch (not thread-safe per object). `args`
  /// has numInputs() values, each normalized to its input's width. Fails on
  /// a run-time error or a wrong number of arguments (see lastError()).
  FailureOr<SmallVector<int64_t, 2>> run(ArrayRef<int64_t> args) const;
  /// Single-result fast path (the first result).
  FailureOr<int64_t> run1(ArrayRef<int64_t> args) const;

  /// Thread-safe flavour: the caller owns the registers. `results` must have
  /// numResults() slots.
  LogicalResult run(ArrayRef<int64_t> args, MutableArrayRef<int64_t> results,
                    InterpreterScratch &scratch) const;
  FailureOr<int64_t> run1(ArrayRef<int64_t> args,
                          InterpreterScratch &scratch) const;
  InterpreterScratch makeScratch() const;

  /// The message of the last run-time error of the object's own scratch
  /// (or of `scratch`); empty when there was none.
  std::string lastError() const;
  std::string lastError(const InterpreterScratch &scratch) const;

  unsigned numInputs() const;
  unsigned numResults() const;
  /// Width in bits of input / result `i` (1, 8, ..., 64; index is 64).
  unsigned inputWidth(unsigned i) const;
  unsigned resultWidth(unsigned i) const;
  /// Number of bytecode instructions and registers (for tests and tuning).
  size_t numInstructions() const;
  size_t numRegisters() const;
  /// A human-readable listing of the bytecode.
  std::string dump() const;

  CompiledFunction(CompiledFunction &&) noexcept;
  CompiledFunction &operator=(CompiledFunction &&) noexcept;
  CompiledFunction(const CompiledFunction &);
  CompiledFunction &operator=(const CompiledFunction &);
  ~CompiledFunction();

private:
  explicit CompiledFunction(std::shared_ptr<const interp::Program> program);
  void prepare(InterpreterScratch &scratch) const;

  std::shared_ptr<const interp::Program> program;
  mutable InterpreterScratch ownScratch;
};

/// Normalizes `v` to an integer of `width` bits (i1: 0/1, else sign-extended).
inline int64_t normalizeToWidth(int64_t v, unsigned width) {
  if (width >= 64)
    return v;
  if (width == 1)
    return v & 1;
  unsigned sh = 64 - width;
  return static_cast<int64_t>(static_cast<uint64_t>(v) << sh) >> sh;
}

} // namespace attn
} // namespace mlir

#endif // ATTN_RUNTIME_REFERENCE_ARITHINTERPRETER_H
