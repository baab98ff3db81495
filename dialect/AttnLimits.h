//===- AttnLimits.h - the sizes and value ranges attnc accepts --*- C++ -*-===//
//
// Header-only and free of MLIR and LLVM, so that the runtime, the tools and
// the compiler read the same numbers. docs/LANGUAGE.md ("Limits") is the user
// documentation of every constant here.
//
// The index arithmetic of a pattern (its primitives and its index
// expressions) is computed in 64-bit integers. It is exact, and every backend
// (JIT, CUDA, the reference, the FlexAttention export) computes the same
// mask, because no value ever leaves the index range [-2^62, 2^62]: the
// compiler proves it for every expression by interval arithmetic, assuming
// the sizes and run-time parameter values below, and the runtime checks the
// sizes and run-time parameters it is given against the same bounds.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTNLIMITS_H
#define ATTN_DIALECT_ATTNLIMITS_H

#include <cstdint>
#include <string>

namespace attn::limits {

/// Longest query or key sequence, largest batch, most tokens in a grid.
inline constexpr int64_t kMaxLength = int64_t(1) << 40;
/// Most heads: `heads N` in a pattern and the head count of a run.
inline constexpr int64_t kMaxHeads = 65536;
/// Run-time (`param`) int parameters lie in [-kMaxRuntimeParam,
/// kMaxRuntimeParam]; the compiler assumes it when it checks expressions.
inline constexpr int64_t kMaxRuntimeParam = int64_t(1) << 40;
/// Every integer of the index arithmetic (a primitive's argument, a literal
/// or an intermediate value of an index expression) lies in
/// [-kMaxIndexValue, kMaxIndexValue]. The margin to 2^63 keeps the generated
/// tile classifiers' own interval arithmetic exact as well.
inline constexpr int64_t kMaxIndexValue = int64_t(1) << 62;
/// Most cells (heads x rows x columns) in a block_layout table.
inline constexpr int64_t kMaxTableCells = int64_t(1) << 22;
/// Most `mask[a:b]` clauses in one pattern (each clause's mask is compiled
/// into the kernels; past a few thousand, LLVM's time grows steeply).
inline constexpr int64_t kMaxMaskClauses = 4096;
/// Most positions in one global([...]) list.
inline constexpr int64_t kMaxGlobalPositions = int64_t(1) << 20;

/// Empty when a run of `batch` x `heads` x `nq` x `nk` is within the limits,
/// else the reason (for the runtime and the CLI).
inline std::string checkRunSizes(int64_t batch, int64_t heads, int64_t nq,
                                 int64_t nk) {
  auto outside = [](const char *what, int64_t v, int64_t min, int64_t max) {
    return std::string(what) + " " + std::to_string(v) +
           " is outside the supported range [" + std::to_string(min) + ", " +
           std::to_string(max) + "]";
  };
  if (batch < 1 || batch > kMaxLength)
    return outside("batch size", batch, 1, kMaxLength);
  if (heads < 1 || heads > kMaxHeads)
    return outside("head count", heads, 1, kMaxHeads);
  if (nq < 0 || nq > kMaxLength)
    return outside("query length", nq, 0, kMaxLength);
  if (nk < 0 || nk > kMaxLength)
    return outside("key length", nk, 0, kMaxLength);
  return {};
}

/// Empty when `value` is a valid value of a run-time parameter (int: within
/// +-kMaxRuntimeParam; bool: 0 or 1), else the reason.
inline std::string checkRuntimeParamValue(const std::string &name, bool isBool,
                                          int64_t value) {
  if (isBool) {
    if (value == 0 || value == 1)
      return {};
    return "run-time parameter '" + name + "' is a bool and must be 0 or 1, got " +
           std::to_string(value);
  }
  if (value >= -kMaxRuntimeParam && value <= kMaxRuntimeParam)
    return {};
  return "run-time parameter '" + name + "' = " + std::to_string(value) +
         " is outside the supported range [-2^40, 2^40] (|value| <= " +
         std::to_string(kMaxRuntimeParam) + ")";
}

} // namespace attn::limits

#endif // ATTN_DIALECT_ATTNLIMITS_H
