//===- attn_kernels.cuh - block-sparse attention kernel templates ---------===//
//
// The CUDA kernel library of attnc. A generated translation unit defines one
// pattern struct and instantiates the kernels for it:
//
//   struct AttnPattern {
//     static __device__ bool mask(attn_i64 b, attn_i64 h, attn_i64 q,
//                                 attn_i64 k, attn_i64 nq, attn_i64 nk,
//                                 const attn_i64 *params);
//     static __device__ int classify(attn_i64 b, attn_i64 h, attn_i64 q0,
//                                    attn_i64 q1, attn_i64 k0, attn_i64 k1,
//                                    attn_i64 nq, attn_i64 nk,
//                                    const attn_i64 *params);
//   };
//   ATTN_DEFINE_BLOCKMAP_KERNELS(AttnPattern)
//   ATTN_DEFINE_FWD_KERNELS_M(AttnPattern, bf16, 128, 8, 1) // D, warps, row blocks
//
// classify returns 0 (EMPTY), 1 (PARTIAL) or 2 (FULL) for the tile
// q in [q0, q1), k in [k0, k1); mask is the element predicate (raw query
// index; bottom-right alignment for nq != nk is inside the function).
//
// The forward kernel is FlashAttention-2 style: a CTA of kWarps warps owns a
// 16*kM*kWarps query tile (kM 16-row blocks per warp), keeps Q in registers
// (or reloads it from shared memory for large heads), walks its key-tile
// list with cp.async double buffering, computes S = Q K^T and O += P V with
// mma.sync.m16n8k16 (bf16 or fp16 in, fp32 accumulate), ldmatrix from
// XOR-swizzled shared memory, and the online softmax in registers. FULL tiles
// skip the predicate; PARTIAL tiles and the last (ragged) key tile mask.
//
// Nothing here includes a CUDA header: the 16-bit types are raw bits and the
// conversions are PTX, so NVRTC needs no include path.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DEVICE_ATTN_KERNELS_CUH
#define ATTN_DEVICE_ATTN_KERNELS_CUH

#include "attn_params.h"

namespace attn_dev {

typedef unsigned short u16;
typedef unsigned int u32;

constexpr int kTileN = 64; // keys per tile

// ---------------------------------------------------------------------------
// PTX helpers. Under ATTN_EMULATE (test/unit/KernelEmulatorTest.cpp) the
// includer provides these functions instead, as a warp-level emulation on
// the host, so the kernels' data movement is tested without a GPU.
// ---------------------------------------------------------------------------
#ifndef ATTN_EMULATE
#define ATTN_DYNAMIC_SMEM(name) extern __shared__ __align__(128) unsigned char name[]

__device__ __forceinline__ u32 smemAddr(const void *p) {
  return static_cast<u32>(__cvta_generic_to_shared(p));
}

/// 16-byte asynchronous copy; bytes = 0 writes zeros.
__device__ __forceinline__ void cpAsync16(u32 dst, const void *src, int bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst),
               "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cpAsyncCommit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void cpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void ldmatrixX4(u32 addr, u32 &r0, u32 &r1, u32 &r2,
                                           u32 &r3) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrixX4Trans(u32 addr, u32 &r0, u32 &r1,
                                                u32 &r2, u32 &r3) {
  asm volatile(
      "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
      : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
      : "r"(addr));
}

/// d += a * b, m16n8k16, bf16 (IsBF16) or fp16 inputs, fp32 accumulators.
template <bool IsBF16>
__device__ __forceinline__ void mma16816(float *d, const u32 *a, const u32 *b);
template <>
__device__ __forceinline__ void mma16816<true>(float *d, const u32 *a,
                                               const u32 *b) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}
template <>
__device__ __forceinline__ void mma16816<false>(float *d, const u32 *a,
                                                const u32 *b) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}

/// Two floats to a packed 16-bit pair (round to nearest even); lo goes to
/// the low half.
template <bool IsBF16> __device__ __forceinline__ u32 packPair(float lo, float hi);
template <> __device__ __forceinline__ u32 packPair<true>(float lo, float hi) {
  u32 r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
template <> __device__ __forceinline__ u32 packPair<false>(float lo, float hi) {
  u32 r;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

#endif // ATTN_EMULATE

__device__ __forceinline__ float negInf() { return __int_as_float(0xff800000); }

/// The 16-bit element type: bf16 (IsBF16) or fp16.
template <bool IsBF16> struct Half16 {
  static __device__ __forceinline__ void mma(float *d, const u32 *a,
                                             const u32 *b) {
    mma16816<IsBF16>(d, a, b);
  }
  static __device__ __forceinline__ u32 pack(float lo, float hi) {
    return packPair<IsBF16>(lo, hi);
  }
};

// ---------------------------------------------------------------------------
// Shared-memory tiles: rows of D 16-bit elements in 16-byte chunks, swizzled
// so that ldmatrix, which reads one chunk column of 8 consecutive rows, hits
// 8 different 16-byte bank groups (a 128-byte period). Rows of a multiple of
// 128 bytes (D = 64, 128, 256): chunk ^ (row % 8). Rows of 64 or 192 bytes
// (D = 32, 96): two consecutive rows already fall in different halves of the
// period, and chunk ^ ((row / 2) % 4) separates the four pairs while keeping
// each chunk inside its aligned group of four.
// ---------------------------------------------------------------------------

template <int D>
__device__ __forceinline__ int swz(int row, int chunk) {
  static_assert(D % 32 == 0 && D >= 32 && D <= 256,
                "head dim must be a multiple of 32, at most 256");
  if constexpr (D % 64 == 0)
    return row * D + ((chunk ^ (row & 7)) << 3);
  else
    return row * D + ((chunk ^ ((row >> 1) & 3)) << 3);
}

/// Loads rows [row0, row0 + Rows) of a [n, D] matrix (row stride `stride`
/// elements) into a swizzled tile; rows at or past n are zero-filled.
template <int Rows, int D, int Threads>
__device__ __forceinline__ void loadTile(u16 *tile, const u16 *base,
                                         attn_i64 stride, attn_i64 row0,
                                         attn_i64 n, int tid) {
  constexpr int kChunks = D / 8;
  constexpr int kTotal = Rows * kChunks;
  static_assert(kTotal % Threads == 0, "tile does not split evenly");
#pragma unroll
  for (int i = 0; i < kTotal / Threads; ++i) {
    int idx = tid + i * Threads;
    int r = idx / kChunks, c = idx % kChunks;
    bool valid = row0 + r < n;
    const u16 *src = valid ? base + (row0 + r) * stride + c * 8 : base;
    cpAsync16(smemAddr(tile + swz<D>(r, c)), src, valid ? 16 : 0);
  }
}

// ---------------------------------------------------------------------------
// Block map kernels
// ---------------------------------------------------------------------------

/// Classifies tile (qt, kt) of map batch entry mb and map head mh (the batch
/// index and head the pattern sees: 0 when the map ignores them).
template <class Pattern>
__device__ __forceinline__ int classifyTile(const AttnBlockMapParams &p, int mb,
                                            int mh, int qt, int kt) {
  attn_i64 q0 = (attn_i64)qt * p.tileQ, k0 = (attn_i64)kt * p.tileK;
  attn_i64 q1 = q0 + p.tileQ < p.nq ? q0 + p.tileQ : p.nq;
  attn_i64 k1 = k0 + p.tileK < p.nk ? k0 + p.tileK : p.nk;
  return Pattern::classify(mb, mh, q0, q1, k0, k1, p.nq, p.nk, p.params);
}

/// The map row of (map batch entry, map head, query tile).
__device__ __forceinline__ attn_i64 mapRowOf(int mapHeads, int numQTiles,
                                             int mb, int mh, int qt) {
  return ((attn_i64)mb * mapHeads + mh) * numQTiles + qt;
}

/// Grid (numQTiles, mapHeads, mapBatches), 128 threads: the non-EMPTY tiles
/// of a row.
template <class Pattern>
__device__ void blockMapCount(const AttnBlockMapParams &p) {
  __shared__ int total;
  int qt = blockIdx.x, mh = blockIdx.y, mb = blockIdx.z;
  if (threadIdx.x == 0)
    total = 0;
  __syncthreads();
  int count = 0;
  for (int kt = threadIdx.x; kt < p.numKTiles; kt += blockDim.x)
    count += classifyTile<Pattern>(p, mb, mh, qt, kt) != 0;
  for (int off = 16; off > 0; off >>= 1)
    count += __shfl_xor_sync(0xffffffffu, count, off);
  if ((threadIdx.x & 31) == 0)
    atomicAdd(&total, count);
  __syncthreads();
  if (threadIdx.x == 0)
    p.rowCounts[mapRowOf(p.mapHeads, p.numQTiles, mb, mh, qt)] = total;
}

/// Same grid, blockDim.x == 128: writes the row's tiles in ascending order,
/// PARTIAL ones tagged with ATTN_PARTIAL_BIT.
template <class Pattern>
__device__ void blockMapFill(const AttnBlockMapParams &p) {
  __shared__ int warpCounts[4];
  __shared__ int base;
  int qt = blockIdx.x, mh = blockIdx.y, mb = blockIdx.z;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  attn_i32 *out =
      p.tiles + p.rowOffsets[mapRowOf(p.mapHeads, p.numQTiles, mb, mh, qt)];
  if (threadIdx.x == 0)
    base = 0;
  __syncthreads();
  for (int start = 0; start < p.numKTiles; start += 128) {
    int kt = start + threadIdx.x;
    int cls = kt < p.numKTiles ? classifyTile<Pattern>(p, mb, mh, qt, kt) : 0;
    u32 ballot = __ballot_sync(0xffffffffu, cls != 0);
    if (lane == 0)
      warpCounts[warp] = __popc(ballot);
    __syncthreads();
    int before = base;
    for (int w = 0; w < warp; ++w)
      before += warpCounts[w];
    if (cls != 0)
      out[before + __popc(ballot & ((1u << lane) - 1))] =
          kt | (cls == 1 ? ATTN_PARTIAL_BIT : 0);
    __syncthreads();
    if (threadIdx.x == 0)
      base += warpCounts[0] + warpCounts[1] + warpCounts[2] + warpCounts[3];
    __syncthreads();
  }
}

// ---------------------------------------------------------------------------
// Forward kernel
// ---------------------------------------------------------------------------

/// kWarps warps, each owning kM blocks of 16 query rows: the query tile is
/// 16 * kM * kWarps rows. kM = 2 halves the shared-memory reads per mma (each
/// K/V fragment feeds two row blocks) at the cost of twice the accumulators.
template <int D, int kWarps, int kM = 1> struct FwdShape {
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kTileM = 16 * kM * kWarps;
  /// Q, then two stages of K and V, in 16-bit elements.
  static constexpr int kSmemElems = kTileM * D + 4 * kTileN * D;
  static constexpr int kSmemBytes = kSmemElems * 2;
};

/// One CTA: one (batch, head, query tile) work item and a range of its key
/// tile list. Split: write the normalized partial output and the base-2
/// log-sum-exp to p.partialO / p.partialLse (split index blockIdx.z) instead
/// of the output.
template <class Pattern, bool IsBF16, int D, int kWarps, bool Split,
          int kM = 1>
__device__ void flashForward(const AttnFwdParams &p) {
  typedef FwdShape<D, kWarps, kM> S;
  typedef Half16<IsBF16> H;
  constexpr int kNB = kTileN / 8; // n8 blocks of S
  constexpr int kDB = D / 8;      // n8 blocks of O
  constexpr int kKS = D / 16;     // k16 steps of Q K^T
  ATTN_DYNAMIC_SMEM(smemRaw);
  u16 *sQ = reinterpret_cast<u16 *>(smemRaw);
  u16 *sK = sQ + S::kTileM * D;       // two stages
  u16 *sV = sK + 2 * kTileN * D;      // two stages

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int b = blockIdx.y;
  const int mb = p.mapBatches == 1 ? 0 : b;
  const int row = p.workOrder[(attn_i64)mb * p.numWork + blockIdx.x];
  const int h = row / p.numQTiles, qt = row % p.numQTiles;
  const int hk = h / (p.heads / p.kvHeads);
  const attn_i64 mapRow =
      mapRowOf(p.mapHeads, p.numQTiles, mb, p.mapHeads == 1 ? 0 : h, qt);
  int listBegin = p.rowOffsets[mapRow], listEnd = p.rowOffsets[mapRow + 1];
  if (Split) {
    int n = listEnd - listBegin, per = (n + p.numSplits - 1) / p.numSplits;
    int s0 = listBegin + blockIdx.z * per;
    listBegin = s0 < listEnd ? s0 : listEnd;
    listEnd = s0 + per < listEnd ? s0 + per : listEnd;
  }
  const attn_i64 q0 = (attn_i64)qt * S::kTileM;

  const u16 *qBase = static_cast<const u16 *>(p.q) + b * p.qStride[0] +
                     h * p.qStride[1];
  const u16 *kBase = static_cast<const u16 *>(p.k) + b * p.kStride[0] +
                     hk * p.kStride[1];
  const u16 *vBase = static_cast<const u16 *>(p.v) + b * p.vStride[0] +
                     hk * p.vStride[1];

  // Q and the first K/V tile.
  loadTile<S::kTileM, D, S::kThreads>(sQ, qBase + q0 * p.qStride[2],
                                      p.qStride[2], 0, p.nq - q0, tid);
  auto loadKV = [&](int listIdx, int stage) {
    int kt = p.tiles[listIdx] & ~ATTN_PARTIAL_BIT;
    attn_i64 k0 = (attn_i64)kt * kTileN;
    loadTile<kTileN, D, S::kThreads>(sK + stage * kTileN * D, kBase,
                                     p.kStride[2], k0, p.nk, tid);
    loadTile<kTileN, D, S::kThreads>(sV + stage * kTileN * D, vBase,
                                     p.vStride[2], k0, p.nk, tid);
  };
  if (listBegin < listEnd)
    loadKV(listBegin, 0);
  cpAsyncCommit();

  float o[kM][kDB][4];
  float mRow[kM][2], lRow[kM][2];
#pragma unroll
  for (int m = 0; m < kM; ++m) {
#pragma unroll
    for (int i = 0; i < kDB; ++i)
      o[m][i][0] = o[m][i][1] = o[m][i][2] = o[m][i][3] = 0.f;
    mRow[m][0] = mRow[m][1] = negInf();
    lRow[m][0] = lRow[m][1] = 0.f;
  }
  // Q fragments stay in registers when they fit beside the accumulators;
  // otherwise they are reloaded from shared memory per k step.
  constexpr bool kQInRegs = D * kM <= 64;
  u32 qf[kM][kQInRegs ? kKS : 1][4];
  const int wRow0 = warp * 16 * kM; // this warp's first row in the tile
  // Row of accumulator element (m, e) relative to q0: wRow0 + 16m + g + 8(e/2).
  auto qRow = [&](int m, int r) { return q0 + wRow0 + 16 * m + g + 8 * r; };
  auto loadQ = [&](int m, int kk, u32 *dst) {
    ldmatrixX4(smemAddr(sQ + swz<D>(wRow0 + 16 * m + (lane & 15),
                                    kk * 2 + (lane >> 4))),
               dst[0], dst[1], dst[2], dst[3]);
  };

  for (int it = listBegin; it < listEnd; ++it) {
    const int stage = (it - listBegin) & 1;
    if (it + 1 < listEnd) {
      loadKV(it + 1, stage ^ 1);
      cpAsyncCommit();
      cpAsyncWait<1>();
    } else {
      cpAsyncWait<0>();
    }
    __syncthreads();
    if (kQInRegs && it == listBegin) {
#pragma unroll
      for (int m = 0; m < kM; ++m)
#pragma unroll
        for (int kk = 0; kk < kKS; ++kk)
          loadQ(m, kk, qf[m][kk]);
    }
    const u16 *tK = sK + stage * kTileN * D;
    const u16 *tV = sV + stage * kTileN * D;
    const int entry = p.tiles[it];
    const attn_i64 k0 = (attn_i64)(entry & ~ATTN_PARTIAL_BIT) * kTileN;

    // S = Q K^T
    float s[kM][kNB][4];
#pragma unroll
    for (int m = 0; m < kM; ++m)
#pragma unroll
      for (int j = 0; j < kNB; ++j)
        s[m][j][0] = s[m][j][1] = s[m][j][2] = s[m][j][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kKS; ++kk) {
      if (!kQInRegs) {
#pragma unroll
        for (int m = 0; m < kM; ++m)
          loadQ(m, kk, qf[m][0]);
      }
#pragma unroll
      for (int j = 0; j < kNB; j += 2) {
        u32 bk[4];
        int keyRow = j * 8 + (lane & 7) + ((lane >> 4) << 3);
        ldmatrixX4(smemAddr(tK + swz<D>(keyRow, kk * 2 + ((lane >> 3) & 1))),
                   bk[0], bk[1], bk[2], bk[3]);
#pragma unroll
        for (int m = 0; m < kM; ++m) {
          const u32 *qa = qf[m][kQInRegs ? kk : 0];
          H::mma(s[m][j], qa, bk);
          H::mma(s[m][j + 1], qa, bk + 2);
        }
      }
    }

    // Scale, mask, online softmax.
    const bool partial = (entry & ATTN_PARTIAL_BIT) != 0;
    const bool ragged = k0 + kTileN > p.nk;
#pragma unroll
    for (int m = 0; m < kM; ++m)
#pragma unroll
      for (int j = 0; j < kNB; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          s[m][j][e] *= p.scaleLog2;
          if (partial || ragged) {
            attn_i64 key = k0 + j * 8 + 2 * t + (e & 1);
            attn_i64 q = qRow(m, e >> 1);
            bool ok = key < p.nk;
            if (ok && partial && q < p.nq)
              ok = Pattern::mask(b, h, q, key, p.nq, p.nk, p.params);
            if (!ok)
              s[m][j][e] = negInf();
          }
        }
#pragma unroll
    for (int m = 0; m < kM; ++m) {
      float alpha[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        float mx = mRow[m][r];
#pragma unroll
        for (int j = 0; j < kNB; ++j)
          mx = fmaxf(mx, fmaxf(s[m][j][2 * r], s[m][j][2 * r + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        float base = mx == negInf() ? 0.f : mx;
        alpha[r] = fastExp2(mRow[m][r] - base);
        mRow[m][r] = mx;
        float sum = 0.f;
#pragma unroll
        for (int j = 0; j < kNB; ++j) {
          s[m][j][2 * r] = fastExp2(s[m][j][2 * r] - base);
          s[m][j][2 * r + 1] = fastExp2(s[m][j][2 * r + 1] - base);
          sum += s[m][j][2 * r] + s[m][j][2 * r + 1];
        }
        lRow[m][r] = lRow[m][r] * alpha[r] + sum;
      }
#pragma unroll
      for (int i = 0; i < kDB; ++i) {
        o[m][i][0] *= alpha[0];
        o[m][i][1] *= alpha[0];
        o[m][i][2] *= alpha[1];
        o[m][i][3] *= alpha[1];
      }
    }

    // O += P V
#pragma unroll
    for (int ks = 0; ks < kTileN / 16; ++ks) {
      u32 a[kM][4];
#pragma unroll
      for (int m = 0; m < kM; ++m) {
        a[m][0] = H::pack(s[m][2 * ks][0], s[m][2 * ks][1]);
        a[m][1] = H::pack(s[m][2 * ks][2], s[m][2 * ks][3]);
        a[m][2] = H::pack(s[m][2 * ks + 1][0], s[m][2 * ks + 1][1]);
        a[m][3] = H::pack(s[m][2 * ks + 1][2], s[m][2 * ks + 1][3]);
      }
#pragma unroll
      for (int n = 0; n < kDB; n += 2) {
        u32 bv[4];
        int keyRow = ks * 16 + (lane & 7) + (((lane >> 3) & 1) << 3);
        ldmatrixX4Trans(smemAddr(tV + swz<D>(keyRow, n + (lane >> 4))), bv[0],
                        bv[1], bv[2], bv[3]);
#pragma unroll
        for (int m = 0; m < kM; ++m) {
          H::mma(o[m][n], a[m], bv);
          H::mma(o[m][n + 1], a[m], bv + 2);
        }
      }
    }
    __syncthreads(); // the next iteration overwrites this stage
  }
  cpAsyncWait<0>();
  __syncthreads(); // every copy into sQ landed before rows are reused

  // Row sums across the four lanes of a row; normalize.
  float inv[kM][2];
#pragma unroll
  for (int m = 0; m < kM; ++m)
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float l = lRow[m][r];
      l += __shfl_xor_sync(0xffffffffu, l, 1);
      l += __shfl_xor_sync(0xffffffffu, l, 2);
      lRow[m][r] = l;
      inv[m][r] = l > 0.f ? 1.f / l : 0.f;
    }

  if (Split) {
    // Partial results in fp32, straight from the registers.
    const attn_i64 rowBase =
        (((attn_i64)blockIdx.z * p.batch + b) * p.heads + h) * p.nq;
#pragma unroll
    for (int m = 0; m < kM; ++m)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        attn_i64 q = qRow(m, r);
        if (q >= p.nq)
          continue;
        float *dst = p.partialO + (rowBase + q) * D;
#pragma unroll
        for (int n = 0; n < kDB; ++n) {
          dst[n * 8 + 2 * t] = o[m][n][2 * r] * inv[m][r];
          dst[n * 8 + 2 * t + 1] = o[m][n][2 * r + 1] * inv[m][r];
        }
        if (t == 0)
          p.partialLse[rowBase + q] =
              lRow[m][r] > 0.f ? mRow[m][r] + __log2f(lRow[m][r]) : negInf();
      }
    return;
  }

  // Stage the output through this warp's rows of sQ, then 16-byte stores.
  __syncwarp();
  u16 *sO = sQ;
#pragma unroll
  for (int m = 0; m < kM; ++m)
#pragma unroll
    for (int n = 0; n < kDB; ++n)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        int rr = wRow0 + 16 * m + g + 8 * r;
        u32 packed = H::pack(o[m][n][2 * r] * inv[m][r],
                             o[m][n][2 * r + 1] * inv[m][r]);
        *reinterpret_cast<u32 *>(sO + swz<D>(rr, n) + 2 * t) = packed;
      }
  __syncwarp();
  u16 *oBase = static_cast<u16 *>(p.o) + b * p.oStride[0] + h * p.oStride[1];
  for (int i = lane; i < 16 * kM * (D / 8); i += 32) {
    int rr = wRow0 + i / (D / 8), c = i % (D / 8);
    attn_i64 q = q0 + rr;
    if (q < p.nq)
      *reinterpret_cast<uint4 *>(oBase + q * p.oStride[2] + c * 8) =
          *reinterpret_cast<const uint4 *>(sO + swz<D>(rr, c));
  }
}

/// Merges the split partial outputs: one warp per (batch, head, query) row.
template <bool IsBF16, int D>
__device__ void combineSplits(const AttnFwdParams &p) {
  typedef Half16<IsBF16> H;
  const attn_i64 rows = (attn_i64)p.batch * p.heads * p.nq;
  const attn_i64 r = (attn_i64)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x & 31;
  if (r >= rows)
    return;
  float mx = negInf();
  for (int s = 0; s < p.numSplits; ++s)
    mx = fmaxf(mx, p.partialLse[s * rows + r]);
  float acc[D / 32];
#pragma unroll
  for (int i = 0; i < D / 32; ++i)
    acc[i] = 0.f;
  float wsum = 0.f;
  if (mx != negInf()) {
    for (int s = 0; s < p.numSplits; ++s) {
      float lse = p.partialLse[s * rows + r];
      if (lse == negInf())
        continue;
      float w = fastExp2(lse - mx);
      wsum += w;
      const float *src = p.partialO + (s * rows + r) * D;
#pragma unroll
      for (int i = 0; i < D / 32; ++i)
        acc[i] += w * src[lane + 32 * i];
    }
  }
  float inv = wsum > 0.f ? 1.f / wsum : 0.f;
  attn_i64 q = r % p.nq, bh = r / p.nq;
  attn_i64 h = bh % p.heads, b = bh / p.heads;
  u16 *dst = static_cast<u16 *>(p.o) + b * p.oStride[0] + h * p.oStride[1] +
             q * p.oStride[2];
#pragma unroll
  for (int i = 0; i < D / 32; ++i) {
    u32 bits = H::pack(acc[i] * inv, 0.f);
    dst[lane + 32 * i] = static_cast<u16>(bits & 0xffffu);
  }
}

} // namespace attn_dev

/// The two block-map kernels of a pattern.
#define ATTN_DEFINE_BLOCKMAP_KERNELS(PATTERN)                                  \
  extern "C" __global__ void __launch_bounds__(128)                          \
      attn_blockmap_count(const AttnBlockMapParams p) {                        \
    attn_dev::blockMapCount<PATTERN>(p);                                       \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(128)                          \
      attn_blockmap_fill(const AttnBlockMapParams p) {                         \
    attn_dev::blockMapFill<PATTERN>(p);                                        \
  }

/// attn_fwd_<DT>_d<D>, attn_fwd_split_<DT>_d<D> and attn_combine_<DT>_d<D>
/// for DT in {bf16, f16}: WARPS warps per CTA, each with M blocks of 16
/// query rows (query tile 16 * M * WARPS). attn_fwd_<DT>_d<D>_shape records
/// {WARPS, M} in the module, so a manifest that claims another shape is
/// refused at load instead of computing only some of each tile's rows.
#define ATTN_IS_BF16_bf16 true
#define ATTN_IS_BF16_f16 false
#define ATTN_DEFINE_FWD_KERNELS_M(PATTERN, DT, D, WARPS, M)                    \
  extern "C" __device__ int attn_fwd_##DT##_d##D##_shape[2] = {WARPS, M};      \
  extern "C" __global__ void __launch_bounds__(32 * WARPS)                     \
      attn_fwd_##DT##_d##D(const AttnFwdParams p) {                            \
    attn_dev::flashForward<PATTERN, ATTN_IS_BF16_##DT, D, WARPS, false, M>(p); \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(32 * WARPS)                     \
      attn_fwd_split_##DT##_d##D(const AttnFwdParams p) {                      \
    attn_dev::flashForward<PATTERN, ATTN_IS_BF16_##DT, D, WARPS, true, M>(p);  \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(128)                            \
      attn_combine_##DT##_d##D(const AttnFwdParams p) {                        \
    attn_dev::combineSplits<ATTN_IS_BF16_##DT, D>(p);                          \
  }

#endif // ATTN_DEVICE_ATTN_KERNELS_CUH
