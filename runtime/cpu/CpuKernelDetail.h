//===- CpuKernelDetail.h - internals shared by the kernel builds -*- C++ -*-===//
//
// The kernel body (CpuKernel.inc) is compiled once per ISA (KernelBuild);
// CpuAttention.cpp picks one at run time.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_CPU_CPUKERNELDETAIL_H
#define ATTN_RUNTIME_CPU_CPUKERNELDETAIL_H

#include "support/Half.h"
#include "runtime/cpu/CpuAttention.h"
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace attn::cpu::detail {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kLog2e = 1.4426950408889634f;

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

inline float loadElem(const void *base, ElemType t, int64_t i) {
  switch (t) {
  case ElemType::F32:
    return static_cast<const float *>(base)[i];
  case ElemType::F16:
    return attn::halfToFloat(static_cast<const uint16_t *>(base)[i]);
  case ElemType::BF16:
    return attn::bf16ToFloat(static_cast<const uint16_t *>(base)[i]);
  }
  return 0;
}

inline void storeElem(void *base, ElemType t, int64_t i, float v) {
  switch (t) {
  case ElemType::F32:
    static_cast<float *>(base)[i] = v;
    break;
  case ElemType::F16:
    static_cast<uint16_t *>(base)[i] = attn::floatToHalf(v);
    break;
  case ElemType::BF16:
    static_cast<uint16_t *>(base)[i] = attn::floatToBf16(v);
    break;
  }
}

/// Per-thread scratch; key and value columns padded to whole micro-kernel
/// strips of `colBlock` columns.
struct Scratch {
  int64_t ldk = 0, ldv = 0;
  std::vector<float> q, s, acc, m, l, row;
  std::vector<uint8_t> mask;
  void resize(int64_t bq, int64_t bk, int64_t d, int64_t dv,
              int64_t colBlock) {
    ldk = roundUp(bk, colBlock);
    ldv = roundUp(dv, colBlock);
    q.assign(bq * d, 0);
    s.assign(bq * ldk, 0);
    acc.assign(bq * ldv, 0);
    m.assign(bq, 0);
    l.assign(bq, 0);
    row.assign(std::max(d, ldv), 0);
    mask.assign(bq * bk, 0);
  }
};

struct WorkItem {
  int64_t b, h, qTile, cost;
};

/// K^T and V of every key tile of one (batch, kv head), in fp32.
struct PackedKV {
  int64_t ldk = 0, ldv = 0, ktStride = 0, vStride = 0;
  float *kt = nullptr, *v = nullptr;
};

/// One build of the kernel body (CpuKernel.inc) for an ISA.
struct KernelBuild {
  const char *name;
  /// The width of the packed key/value strips: PackedKV and Scratch pad
  /// keys and value columns to a multiple of it.
  int64_t colBlock;
  void (*packTile)(const AttentionArgs &a, int64_t b, int64_t hk,
                   int64_t kTile, const PackedKV &pack, Scratch &sc);
  void (*runItem)(const AttentionArgs &a, const WorkItem &w,
                  const PackedKV &pack, Scratch &sc);
};

namespace generic {
extern const KernelBuild build; // the baseline ISA, 8 lanes
}
namespace avx2 {
extern const KernelBuild build; // AVX2 + FMA + F16C, 8 lanes
}
namespace avx512 {
extern const KernelBuild build; // AVX-512F, 16 lanes
}
namespace wide16 {
/// The AVX-512 build's 16-lane code compiled for AVX2, so that machines
/// without AVX-512 test it (ATTNC_CPU_KERNEL=wide16); slower than avx2.
extern const KernelBuild build;
}

} // namespace attn::cpu::detail

#endif // ATTN_RUNTIME_CPU_CPUKERNELDETAIL_H
