//===- CpuAttention.h - the CPU tiled block-sparse attention kernel -*- C++ -*-===//
//
// FlashAttention-2-style online softmax over the key tiles a block map
// lists: FULL tiles unmasked, PARTIAL tiles masked by the generated element
// predicate. fp32, fp16 and bf16 inputs with fp32 accumulation; GQA; Nq != Nk
// (the block map and predicate carry the bottom-right alignment); arbitrary
// strides; rows with no allowed key give zeros. No MLIR or LLVM here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_CPU_CPUATTENTION_H
#define ATTN_RUNTIME_CPU_CPUATTENTION_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace attn::cpu {

enum class ElemType { F32, F16, BF16 };

/// A [batch, heads, seq, dim] view with strides in elements.
struct View {
  void *data = nullptr;
  ElemType type = ElemType::F32;
  int64_t shape[4] = {0, 0, 0, 0};
  int64_t strides[4] = {0, 0, 0, 0};
};

/// Key tiles to visit for each (batch entry, head, query tile), as CSR
/// lists.
struct TileLists {
  int64_t tileQ = 64, tileK = 64, numQTiles = 0, numKTiles = 0;
  /// Heads the map was built for: 1 when the pattern ignores the head.
  int64_t heads = 1;
  /// Batch entries the map was built for: 1 when the pattern ignores the
  /// batch index (one map serves every entry).
  int64_t batches = 1;
  /// rowStart has batches * heads * numQTiles + 1 entries; tiles[i] >= 0 is
  /// a FULL key tile, ~tiles[i] (negative) a PARTIAL one; ascending per row.
  std::vector<int64_t> rowStart;
  std::vector<int32_t> tiles;
  /// Seconds spent building the lists.
  double buildSeconds = 0;

  int64_t rowIndex(int64_t batch, int64_t head, int64_t qTile) const {
    return ((batches == 1 ? 0 : batch) * heads + (heads == 1 ? 0 : head)) *
               numQTiles +
           qTile;
  }
};

/// Writes the element mask of a tile: out[(q - q0) * ld + (k - k0)] in {0,1}.
using TileMaskFn = std::function<void(int64_t b, int64_t h, int64_t q0,
                                      int64_t q1, int64_t k0, int64_t k1,
                                      uint8_t *out, int64_t ld)>;

struct AttentionArgs {
  View q, k, v, out;
  float scale = 0; // 0: 1 / sqrt(head_dim)
  const TileLists *tiles = nullptr;
  TileMaskFn tileMask;
  /// 0: all hardware threads.
  int threads = 0;
};

/// Checks shapes, dtypes and strides; returns an error message or "".
std::string checkAttentionArgs(const AttentionArgs &args);

/// Runs the kernel (call checkAttentionArgs first).
void runAttention(const AttentionArgs &args);

/// The kernel build runAttention uses now: "avx512" (AVX-512F, 16 lanes),
/// "avx2" (AVX2 + FMA + F16C, 8 lanes) or "generic" (the baseline ISA), the
/// widest the CPU runs. The environment variable ATTNC_CPU_KERNEL picks
/// another one the CPU runs ("generic", "avx2", "avx512", or "wide16": the
/// AVX-512 build's 16-lane code compiled for AVX2, for tests); names the
/// CPU cannot run are ignored.
const char *kernelBuildName();

/// The naive reference: dense scores, masked by `allowed(b, h, q, k)`, in
/// double precision. For tests and --check.
void referenceAttention(
    const View &q, const View &k, const View &v, const View &out, float scale,
    const std::function<bool(int64_t, int64_t, int64_t, int64_t)> &allowed);

} // namespace attn::cpu

#endif // ATTN_RUNTIME_CPU_CPUATTENTION_H
