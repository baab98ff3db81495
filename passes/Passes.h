//===- Passes.h - attn pass declarations ------------------------*- C++ -*-===//
#ifndef ATTN_PASSES_PASSES_H
#define ATTN_PASSES_PASSES_H

#include "dialect/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Left by attn-inline-patterns on an inlined primitive for
/// attn-check-ranges (which removes it): per operand, a NameLoc naming the
/// called pattern's parameter the value was passed as ("argument 'block' of
/// 'power'") at the call's argument, or a unit attribute.
inline constexpr llvm::StringLiteral kOriginsAttrName = "attn.origins";

/// The checks of attn-check-ranges on one pattern (attn-classify-tiles runs
/// them again: the code it emits relies on them). Emits one error and fails
/// at the first problem.
LogicalResult checkIndexRanges(PatternOp pattern);

/// What a pattern requires of the run-time shape: its head count, grid, and
/// block-layout tables covering the block grid (docs/LANGUAGE.md).
struct ShapeRequirements {
  std::optional<int64_t> heads;
  std::optional<std::pair<int64_t, int64_t>> grid;
  struct Table {
    int64_t block, rows, cols;
    int64_t heads; // 0 for a table shared by every head
  };
  std::vector<Table> tables;
  /// One per run-time parameter, in order: the values it accepts.
  struct Param {
    std::string name;
    bool isBool = false;
    int64_t min = 0, max = 0;
    /// Why `min` is what it is ("argument 'w' of 'sliding'"), or empty.
    std::string minReason;
  };
  std::vector<Param> params;
};
ShapeRequirements getShapeRequirements(PatternOp pattern);
/// Empty when `heads` x `nq` x `nk` fits, else the reason (the limits of
/// dialect/AttnLimits.h included).
std::string checkShape(const ShapeRequirements &req, StringRef pattern,
                       int64_t heads, int64_t nq, int64_t nk);
/// Empty when `values` (one per run-time parameter, in order) are accepted,
/// else the reason. Every place that takes run-time parameter values calls
/// it before running anything.
std::string checkRuntimeParams(const ShapeRequirements &req, StringRef pattern,
                               ArrayRef<int64_t> values);

/// Names of the functions attn-classify-tiles emits for a pattern.
inline std::string maskFunctionName(StringRef pattern) {
  return (pattern + "__mask").str();
}
inline std::string classifyFunctionName(StringRef pattern) {
  return (pattern + "__classify").str();
}
inline std::string cpuBlockMapName(StringRef pattern) {
  return (pattern + "__cpu_blockmap").str();
}
inline std::string cpuTileMaskName(StringRef pattern) {
  return (pattern + "__cpu_tile_mask").str();
}
/// Fixed slots of the ctx array of the CPU entry points.
enum CpuCtxSlot : int { kCtxBatch, kCtxHead, kCtxNq, kCtxNk, kCtxTileQ,
                        kCtxTileK, kCtxNumQTiles, kCtxNumKTiles, kCtxParams };

} // namespace mlir::attn

#endif // ATTN_PASSES_PASSES_H
