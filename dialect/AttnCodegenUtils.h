//===- AttnCodegenUtils.h - helpers shared by predicate and classifier -*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTNCODEGENUTILS_H
#define ATTN_DIALECT_ATTNCODEGENUTILS_H

#include "dialect/AttnCodegen.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::attn {
class BlockLayoutOp;
class GlobalOp;
class SelectHeadsOp;

struct GridCoords {
  Value y, x;
};
/// (n / width, n % width) for a row-major grid token n.
GridCoords gridCoords(CodeBuilder &cb, Value n, int64_t width);

/// NATTEN window start: clamp(coord - size / 2, 0, extent - size).
Value neighborhoodStart(CodeBuilder &cb, Value coord, Value size,
                        int64_t extent);

/// splitmix64's finalizer (the BigBird random draw; see runtime/reference).
Value splitMix64(CodeBuilder &cb, Value z);
/// The BigBird ordering key of key block c in row r of head h.
Value bigBirdKey(CodeBuilder &cb, Value seed, Value h, Value r, Value c);
/// Lexicographic (key unsigned, block index) comparison.
Value keyLess(CodeBuilder &cb, Value k1, Value c1, Value k2, Value c2);

/// BigBird's parameters as emitted values, and its row-wise random draw:
/// the `random` candidate blocks (not allowed by window or globals) with the
/// smallest (key, c) are chosen; `threshold` is the largest chosen pair.
struct BigBirdParams {
  Value block, window, globals, random, seed;
  Value numKeyBlocks(CodeBuilder &cb, Value nk);
  Value fixedAllowed(CodeBuilder &cb, Value r, Value c);
  /// Blocks of row r that only the random draw can allow.
  Value numCandidates(CodeBuilder &cb, Value r, Value nkb);
  std::pair<Value, Value> threshold(CodeBuilder &cb, Value h, Value r,
                                    Value nkb);
  std::pair<Value, Value> thresholdPasses(CodeBuilder &cb, Value h, Value r,
                                          Value nkb);
  /// Whether the candidate block c is among the row's random blocks.
  Value chosen(CodeBuilder &cb, Value h, Value r, Value c, Value nkb);
  Value allowed(CodeBuilder &cb, Value h, Value r, Value c, Value thrKey,
                Value thrC);
};

/// global([...]) with more positions than this is emitted as a sorted table
/// with a binary search instead of a chain of comparisons (whose size made
/// LLVM's compile time grow steeply and its recursion overflow the stack).
inline constexpr size_t kGlobalChainMax = 16;

/// The sorted positions of a global op as a constant i64 table.
struct GlobalPositions {
  int64_t size;
  std::string name;
  MemRefType type;
  /// Whether x is one of the positions.
  Value contains(CodeBuilder &cb, Value x) const;
  /// How many positions are <= x.
  Value countAtMost(CodeBuilder &cb, Value x) const;
};
GlobalPositions getGlobalPositions(OpBuilder &b, Location loc, ModuleOp module,
                                   GlobalOp op);

/// Constant globals holding a block layout (as i8 cells) and its 2D prefix
/// sums (i32, one row and column larger), both shaped [heads, rows, cols].
struct BlockTables {
  int64_t heads, rows, cols;
  bool perHead;
  std::string cellsName, sumsName;
  MemRefType cellsType, sumsType;
};
BlockTables getBlockTables(OpBuilder &b, Location loc, ModuleOp module,
                           BlockLayoutOp op);
/// Loads one element of a constant global, sign-extended to i64.
Value loadTable(CodeBuilder &cb, StringRef name, MemRefType type,
                ArrayRef<Value> indices);

/// values[i] for the head range of `op` that contains h.
Value selectByHead(CodeBuilder &cb, SelectHeadsOp op, Value h,
                   ArrayRef<Value> values);

/// The divisor d of the guard `select(d == 0, 1, d)` (the frontend's and
/// CodeBuilder::floorDiv's protection against a zero divisor), else `m`.
Value unguardDivisor(Value m);
/// `floordivsi(x, m') * m` (either order) with m' and m the same divisor
/// (up to the zero guard): returns (x, m). The product lies within |m| of x.
std::optional<std::pair<Value, Value>> matchFloorDivTimes(Operation *mul);
/// `x - floordivsi(x, m) * m`, the floor remainder: returns (x, m).
std::optional<std::pair<Value, Value>> matchFloorMod(Operation *sub);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTNCODEGENUTILS_H
