//===- AttnPrimitives.h - the table of pattern primitives ------*- C++ -*-===//
//
// One table of the language's primitives, read by every layer: the frontend
// (names, arguments, defaults, ranges), the range checks of the compiler
// (user-facing names of the operands of each primitive op) and the runtime's
// checks of run-time parameters. The op of primitive NAME is `attn.NAME`, and
// its i64 operands are the primitive's Int arguments, in order.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTNPRIMITIVES_H
#define ATTN_DIALECT_ATTNPRIMITIVES_H

#include "dialect/AttnLimits.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn {

enum class PrimArgKind { Int, Positions, Table };

struct PrimitiveArg {
  const char *name;
  PrimArgKind kind = PrimArgKind::Int;
  std::optional<int64_t> defaultValue = std::nullopt;
  /// Smallest value; every Int argument is also within the index range
  /// [-kMaxIndexValue, kMaxIndexValue] unless `anyValue`.
  int64_t min = -::attn::limits::kMaxIndexValue;
  bool computedDefault = false; // stripe's offset = s - width
  /// Not index arithmetic (bigbird's seed is only hashed): any int64.
  bool anyValue = false;
};

struct Primitive {
  const char *name;
  std::vector<PrimitiveArg> args;
  bool grid = false;

  /// The argument behind i64 operand `i` of the primitive's op.
  const PrimitiveArg *operandArg(unsigned i) const {
    for (const PrimitiveArg &a : args)
      if (a.kind == PrimArgKind::Int && i-- == 0)
        return &a;
    return nullptr;
  }
};

/// Empty when `v` is a valid value of `arg`, else the problem, worded to
/// follow "argument 'w' of 'sliding' ".
inline std::string checkArgValue(const PrimitiveArg &arg, int64_t v) {
  if (arg.anyValue)
    return {};
  if (v < arg.min)
    return arg.min == -::attn::limits::kMaxIndexValue
               ? "must be at least -2^62 = " + std::to_string(arg.min) +
                     ", got " + std::to_string(v)
               : "must be at least " + std::to_string(arg.min) + ", got " +
                     std::to_string(v);
  if (v > ::attn::limits::kMaxIndexValue)
    return "must be at most 2^62 = " +
           std::to_string(::attn::limits::kMaxIndexValue) + ", got " +
           std::to_string(v);
  return {};
}

inline const std::vector<Primitive> &getPrimitives() {
  using K = PrimArgKind;
  constexpr auto none = std::nullopt;
  static const std::vector<Primitive> table = {
      {"full", {}},
      {"causal", {}},
      {"sliding", {{"w", K::Int, none, 1}}},
      {"band", {{"left", K::Int, none, 0}, {"right", K::Int, none, 0}}},
      {"sink", {{"n", K::Int, none, 0}}},
      {"global", {{"positions", K::Positions}}},
      {"block_sliding",
       {{"block", K::Int, none, 1}, {"window", K::Int, none, 1}}},
      {"power2", {{"block", K::Int, none, 1}}},
      {"stripe",
       {{"s", K::Int, none, 1},
        {"width", K::Int, 1, 1},
        {"offset", K::Int, none, -::attn::limits::kMaxIndexValue, true}}},
      {"strided", {{"s", K::Int, none, 1}}},
      {"block_layout", {{"block", K::Int, none, 1}, {"table", K::Table}}},
      {"bigbird",
       {{"block", K::Int, none, 1},
        {"window", K::Int, 3, 0},
        {"globals", K::Int, 1, 0},
        {"random", K::Int, 3, 0},
        {"seed", K::Int, 0, INT64_MIN, false, /*anyValue=*/true}}},
      {"window2d",
       {{"wh", K::Int, none, 1}, {"ww", K::Int, none, 1}, {"shift", K::Int, 0, 0}},
       true},
      {"neighborhood", {{"kh", K::Int, none, 1}, {"kw", K::Int, none, 1}}, true},
      {"axial", {}, true},
  };
  return table;
}

inline const Primitive *lookupPrimitive(llvm::StringRef name) {
  for (const Primitive &p : getPrimitives())
    if (name == p.name)
      return &p;
  return nullptr;
}

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTNPRIMITIVES_H
