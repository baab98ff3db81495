//===- AttnCodegen.h - state for emitting masks and tile classes -*- C++ -*-===//
//
// Pattern ops emit their element predicate and tile classification as arith
// code into a function being built; this state carries the index values of
// that function and the mapping from pattern values to emitted values.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTNCODEGEN_H
#define ATTN_DIALECT_ATTNCODEGEN_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::attn {

/// Tile classes, as the i8 a classifier returns.
enum class TileClass : int8_t { Empty = 0, Partial = 1, Full = 2 };

struct CodegenState {
  Location loc;
  /// The module that receives constant globals (block layout tables).
  ModuleOp module;
  /// Pattern values (parameters, masks, constants) -> emitted values.
  IRMapping mapping;

  /// Always set: batch, head, query and key lengths (i64).
  Value b, h, nq, nk;
  /// Element mode: the query, key and aligned query p = q + nk - nq.
  Value q, k, p;
  /// Tile mode: half-open ranges [q0, q1), [k0, k1) and the aligned
  /// [p0, p1); tiles are clipped to the lengths and never empty.
  Value q0, q1, k0, k1, p0, p1;

  explicit CodegenState(Location loc) : loc(loc) {}
  Value lookup(Value v) const { return mapping.lookup(v); }
};

/// Small helpers for emitting i64/i1/i8 arith code.
class CodeBuilder {
public:
  CodeBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}
  Value c64(int64_t v);
  Value ci1(bool v);
  Value ci8(int8_t v);
  Value add(Value x, Value y);
  Value sub(Value x, Value y);
  Value mul(Value x, Value y);
  /// Floor division and non-negative remainder; a zero divisor yields 0.
  Value floorDiv(Value x, Value y);
  Value floorMod(Value x, Value y);
  Value min(Value x, Value y);
  Value max(Value x, Value y);
  Value eq(Value x, Value y);
  Value ne(Value x, Value y);
  Value lt(Value x, Value y);
  Value le(Value x, Value y);
  Value gt(Value x, Value y);
  Value ge(Value x, Value y);
  Value land(Value x, Value y);
  Value lor(Value x, Value y);
  Value lnot(Value x);
  Value select(Value c, Value x, Value y);
  Value isPow2OrZero(Value d);
  /// Highest power of two <= x, for x >= 1 (0 for x <= 0).
  Value highestPow2(Value x);
  /// Tile class from "certainly full" and "certainly empty" flags.
  Value tileClass(Value isFull, Value isEmpty);
  /// Three-valued logic on tile classes.
  Value classUnion(Value x, Value y);
  Value classIntersect(Value x, Value y);
  Value classComplement(Value x);
  /// Combines the classes of disjoint sub-tiles (valid flags select them).
  Value classMerge(ArrayRef<std::pair<Value, Value>> validAndClass);

  OpBuilder &b;
  Location loc;
};

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTNCODEGEN_H
