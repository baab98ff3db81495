//===- KernelEmulator.h - run the CUDA kernel templates on the host -------===//
//
// A warp-level emulation of the few CUDA features runtime/device's kernels
// use, so that their indexing (swizzled shared memory, ldmatrix and mma
// fragment layouts, the online softmax, the block-map protocol, split-key
// decoding) is tested on a machine without a GPU:
//
// - a CTA is blockDim.x host threads, run one CTA at a time (so `__shared__`
//   variables can be function statics); __syncthreads and __syncwarp are
//   barriers;
// - warp collectives (ldmatrix, mma.sync m16n8k16, shfl_xor, ballot) publish
//   each lane's operands in a per-warp exchange area, wait for the warp, and
//   compute each lane's result from the documented PTX fragment layouts:
//     A (16x16): reg0 = (g, 2t..2t+1), reg1 = (g+8, 2t..), reg2 = (g, 2t+8..),
//                reg3 = (g+8, 2t+8..);  B (16x8): reg0 = (2t..2t+1, g),
//                reg1 = (2t+8.., g);  C/D: c0,c1 = (g, 2t..), c2,c3 = (g+8, 2t..)
//     with g = lane / 4, t = lane % 4; ldmatrix: lanes 8i..8i+7 give the row
//     addresses of matrix i, lane l receives row l/4, columns 2(l%4), +1
//     (.trans: rows 2(l%4), +1 of column l/4);
// - cp.async copies synchronously (zero-filling when bytes == 0).
//
// Include this, then runtime/device/attn_kernels.cuh.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_KERNEL_EMULATOR_H
#define ATTN_TEST_KERNEL_EMULATOR_H

#include <atomic>
#include <barrier>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#define ATTN_EMULATE 1
#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __align__(n) alignas(n)
#define __shared__ static

namespace attn_emu {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};
struct Thread {
  Dim3 threadIdx, blockIdx, blockDim, gridDim;
};
inline thread_local Thread self;

/// One warp's exchange area and barrier.
struct Warp {
  std::barrier<> sync{32};
  uint32_t slot[32][12] = {};
};

struct Cta {
  std::vector<unsigned char> smem;
  std::unique_ptr<std::barrier<>> all;
  std::vector<std::unique_ptr<Warp>> warps;
};
inline Cta *cta = nullptr;

inline int lane() { return self.threadIdx.x & 31; }
inline Warp &warp() { return *cta->warps[self.threadIdx.x >> 5]; }

/// Runs `kernel` over the grid, one CTA at a time, blockDim.x threads each.
inline void launch(Dim3 grid, unsigned threads, size_t smemBytes,
                   const std::function<void()> &kernel) {
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        Cta c;
        // Garbage, not zeros: the kernels must not read what they never wrote.
        c.smem.assign(smemBytes + 16, 0xA5);
        c.all = std::make_unique<std::barrier<>>(threads);
        for (unsigned w = 0; w < threads / 32; ++w)
          c.warps.push_back(std::make_unique<Warp>());
        cta = &c;
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            self.threadIdx = {t, 0, 0};
            self.blockIdx = {x, y, z};
            self.blockDim = {threads, 1, 1};
            self.gridDim = grid;
            kernel();
          });
        for (auto &th : pool)
          th.join();
        cta = nullptr;
      }
}

inline float halfToFloat(uint16_t h, bool bf16) {
  if (bf16)
    return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 31, man = h & 1023;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31)
    v = man ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(man | 1024), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

inline uint16_t floatToHalf(float f, bool bf16) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if (bf16) {
    if (std::isnan(f))
      return 0x7fc0;
    uint32_t rounding = 0x7fff + ((x >> 16) & 1);
    return static_cast<uint16_t>((x + rounding) >> 16);
  }
  // fp16, round to nearest even (via float arithmetic on the scaled value).
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  float a = std::fabs(f);
  if (std::isnan(f))
    return 0x7e00;
  if (a >= 65520.f)
    return sign | 0x7c00;
  if (a < std::ldexp(1.f, -14)) { // subnormal
    float m = std::nearbyint(std::ldexp(a, 24));
    return sign | static_cast<uint16_t>(m);
  }
  int e;
  float m = std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1)
  float mant = std::nearbyint(std::ldexp(m, 11)); // 11 significant bits
  if (mant >= 2048.f) {
    mant /= 2;
    ++e;
  }
  uint32_t exp = static_cast<uint32_t>(e - 1 + 15);
  if (exp >= 31)
    return sign | 0x7c00;
  return sign | static_cast<uint16_t>((exp << 10) | (static_cast<uint32_t>(mant) - 1024));
}

} // namespace attn_emu

// The CUDA builtins the kernels use.
#define threadIdx (attn_emu::self.threadIdx)
#define blockIdx (attn_emu::self.blockIdx)
#define blockDim (attn_emu::self.blockDim)
#define gridDim (attn_emu::self.gridDim)

struct uint4 {
  unsigned x, y, z, w;
};
inline void __syncthreads() { attn_emu::cta->all->arrive_and_wait(); }
inline void __syncwarp() { attn_emu::warp().sync.arrive_and_wait(); }
inline float __int_as_float(int x) { return std::bit_cast<float>(x); }
inline float __log2f(float x) { return std::log2(x); }
inline int __popc(unsigned x) { return std::popcount(x); }
inline int atomicAdd(int *p, int v) {
  return std::atomic_ref<int>(*p).fetch_add(v);
}
template <class T> inline T __shfl_xor_sync(unsigned, T v, int mask) {
  auto &w = attn_emu::warp();
  int l = attn_emu::lane();
  std::memcpy(&w.slot[l][0], &v, sizeof(T));
  w.sync.arrive_and_wait();
  T r;
  std::memcpy(&r, &w.slot[l ^ mask][0], sizeof(T));
  w.sync.arrive_and_wait();
  return r;
}
inline unsigned __ballot_sync(unsigned, int pred) {
  auto &w = attn_emu::warp();
  int l = attn_emu::lane();
  w.slot[l][0] = pred != 0;
  w.sync.arrive_and_wait();
  unsigned r = 0;
  for (int i = 0; i < 32; ++i)
    r |= w.slot[i][0] << i;
  w.sync.arrive_and_wait();
  return r;
}

namespace attn_dev {
typedef unsigned short u16;
typedef unsigned int u32;

#define ATTN_DYNAMIC_SMEM(name) unsigned char *name = attn_emu::cta->smem.data()

inline u32 smemAddr(const void *p) {
  return static_cast<u32>(static_cast<const unsigned char *>(p) -
                          attn_emu::cta->smem.data());
}
inline void cpAsync16(u32 dst, const void *src, int bytes) {
  unsigned char *d = attn_emu::cta->smem.data() + dst;
  if (bytes == 16)
    std::memcpy(d, src, 16);
  else
    std::memset(d, 0, 16);
}
inline void cpAsyncCommit() {}
template <int N> inline void cpAsyncWait() {}

namespace detail {
inline u16 smem16(u32 addr) {
  u16 v;
  std::memcpy(&v, attn_emu::cta->smem.data() + addr, 2);
  return v;
}
inline void ldmatrix(u32 addr, u32 *r, bool trans) {
  auto &w = attn_emu::warp();
  int l = attn_emu::lane();
  w.slot[l][0] = addr;
  w.sync.arrive_and_wait();
  for (int m = 0; m < 4; ++m) {
    if (!trans) {
      u32 rowAddr = w.slot[8 * m + l / 4][0];
      r[m] = smem16(rowAddr + 4 * (l % 4)) |
             (static_cast<u32>(smem16(rowAddr + 4 * (l % 4) + 2)) << 16);
    } else {
      int col = l / 4, row = 2 * (l % 4);
      u32 lo = smem16(w.slot[8 * m + row][0] + 2 * col);
      u32 hi = smem16(w.slot[8 * m + row + 1][0] + 2 * col);
      r[m] = lo | (hi << 16);
    }
  }
  w.sync.arrive_and_wait();
}
} // namespace detail

inline void ldmatrixX4(u32 addr, u32 &r0, u32 &r1, u32 &r2, u32 &r3) {
  u32 r[4];
  detail::ldmatrix(addr, r, false);
  r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}
inline void ldmatrixX4Trans(u32 addr, u32 &r0, u32 &r1, u32 &r2, u32 &r3) {
  u32 r[4];
  detail::ldmatrix(addr, r, true);
  r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}

template <bool IsBF16> inline void mma16816(float *d, const u32 *a, const u32 *b) {
  auto &w = attn_emu::warp();
  int l = attn_emu::lane();
  for (int i = 0; i < 4; ++i)
    w.slot[l][i] = a[i];
  w.slot[l][4] = b[0];
  w.slot[l][5] = b[1];
  w.sync.arrive_and_wait();
  float A[16][16], B[16][8];
  for (int L = 0; L < 32; ++L) {
    int g = L / 4, t = L % 4;
    for (int e = 0; e < 2; ++e) {
      auto h = [&](u32 reg) {
        return attn_emu::halfToFloat(static_cast<u16>(reg >> (16 * e)), IsBF16);
      };
      A[g][2 * t + e] = h(w.slot[L][0]);
      A[g + 8][2 * t + e] = h(w.slot[L][1]);
      A[g][2 * t + 8 + e] = h(w.slot[L][2]);
      A[g + 8][2 * t + 8 + e] = h(w.slot[L][3]);
      B[2 * t + e][g] = h(w.slot[L][4]);
      B[2 * t + 8 + e][g] = h(w.slot[L][5]);
    }
  }
  w.sync.arrive_and_wait();
  int g = l / 4, t = l % 4;
  for (int i = 0; i < 4; ++i) {
    int m = g + 8 * (i >> 1), n = 2 * t + (i & 1);
    float acc = d[i];
    for (int k = 0; k < 16; ++k)
      acc += A[m][k] * B[k][n];
    d[i] = acc;
  }
}

template <bool IsBF16> inline u32 packPair(float lo, float hi) {
  return attn_emu::floatToHalf(lo, IsBF16) |
         (static_cast<u32>(attn_emu::floatToHalf(hi, IsBF16)) << 16);
}

inline float fastExp2(float x) { return std::exp2(x); }
} // namespace attn_dev

#endif // ATTN_TEST_KERNEL_EMULATOR_H
