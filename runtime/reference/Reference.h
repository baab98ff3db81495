//===- Reference.h - reference semantics of attn patterns -----------------===//
//
// An evaluator that interprets the attn dialect directly, with the meaning
// docs/LANGUAGE.md gives every primitive, independently of the generated code. It
// is the oracle the classifier, the CPU and the CUDA kernels are tested
// against.
//
// Input: an `attn.pattern` after the pipeline (no attn.call left). Its
// parameters are either bound to constants (the block argument is then
// unused) or are run-time parameters: the caller passes ONE int64 PER BLOCK
// ARGUMENT THAT IS STILL USED, in block-argument order (an i1 parameter is
// 0/1). One int64 per block argument (used or not) is accepted as well: that
// is the convention of the generated @NAME__mask / @NAME__classify functions,
// after attn-bind-parameters has removed the bound parameters. Scalar operands of the primitives are computed from the parameters
// by the arith/math ops of the pattern body (with the ArithInterpreter).
//
// Semantics (Python floor division `/` and non-negative `%`):
//   p = q + (Nk - Nq) is the aligned query; 1D primitives use p and k.
//   global(list): p or k in the list. block_layout(B, table):
//   table[h][p/B][k/B] (rank 3) or table[p/B][k/B] (rank 2); a table with
//   fewer than ceil(Nk/B) rows or columns, or a rank-3 table with fewer
//   heads than the requested head count, is an error (rows with p < 0, when
//   Nq > Nk, are not attended). Grid primitives (window2d,
//   neighborhood, axial, predicates with a grid) need H*W == Nq == Nk and
//   use qy = p / W, qx = p % W, ky = k / W, kx = k % W. bigbird: see
//   BigBird.h. attn.select_heads: mask i for bounds[i] <= h < bounds[i+1];
//   heads beyond the last bound are an error. attn.predicate regions get
//   (q, k, h, b, p [, qy, qx, ky, kx]). A pattern with `heads N` requires
//   the head count to be N.
// Run-time parameter values outside a primitive's valid range (e.g. a
// sliding window < 1) are errors, like the verifier's for constants.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_REFERENCE_REFERENCE_H
#define ATTN_RUNTIME_REFERENCE_REFERENCE_H

#include "runtime/reference/ArithInterpreter.h"

#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace mlir::attn {

class PatternOp;

struct MaskDims {
  int64_t batch = 1, heads = 1, nq = 0, nk = 0;
};

/// A per-element evaluator for any shape (memory O(Nk + tables), not
/// O(Nq * Nk)): compile once, query many. Not thread-safe (predicates share
/// interpreter scratch); copy it per thread.
class MaskEvaluator {
public:
  /// Errors are emitted on the offending op.
  static FailureOr<MaskEvaluator> create(PatternOp pattern,
                                         ArrayRef<int64_t> runtimeParams,
                                         const MaskDims &dims);

  /// True when query q of head h, batch b may attend key k. Arguments are
  /// expected in range (0 <= q < nq, 0 <= k < nk, 0 <= h < heads).
  bool at(int64_t b, int64_t h, int64_t q, int64_t k) const;

  const MaskDims &dims() const { return maskDims; }

  /// The number of run-time parameters `pattern` expects (its used block
  /// arguments).
  static unsigned numRuntimeParams(PatternOp pattern);

  struct Node;
  MaskEvaluator(MaskEvaluator &&) noexcept;
  MaskEvaluator &operator=(MaskEvaluator &&) noexcept;
  MaskEvaluator(const MaskEvaluator &);
  MaskEvaluator &operator=(const MaskEvaluator &);
  ~MaskEvaluator();

private:
  MaskEvaluator();
  friend class MaskBuilder;
  std::vector<Node> nodes; // children before parents; the root is last
  MaskDims maskDims;
};

/// The exact mask as bytes [heads][nq][nk] for batch 0 (1 = attend).
FailureOr<std::vector<uint8_t>> evaluateMask(PatternOp pattern,
                                             ArrayRef<int64_t> runtimeParams,
                                             const MaskDims &dims);

} // namespace mlir::attn

#endif // ATTN_RUNTIME_REFERENCE_REFERENCE_H
