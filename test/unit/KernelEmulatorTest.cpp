//===- KernelEmulatorTest.cpp - the CUDA kernels, run on the host ---------===//
//
// Runs runtime/device/attn_kernels.cuh through KernelEmulator.h (host threads
// as GPU threads, warp collectives from the PTX fragment layouts) and checks
// the block map and the attention output against a naive reference, for
// both 16-bit types, head dims 64 and 128, PARTIAL and FULL tiles, ragged
// lengths, Nq != Nk, GQA, empty rows, run-time parameters and split-key
// decoding. What this cannot show: timing, real asynchrony of cp.async, and
// whether the PTX layouts quoted in KernelEmulator.h are right (they are the
// PTX ISA's); the GPU check (bench/gpu/) covers those.
//
//===----------------------------------------------------------------------===//
#include "KernelEmulator.h"
#include "runtime/device/attn_kernels.cuh"

#include <gtest/gtest.h>
#include <set>

#include <algorithm>
#include <numeric>
#include <random>

namespace {

using attn_emu::Dim3;

// ---- Patterns (what the generated code provides) --------------------------

struct Causal {
  static bool mask(attn_i64, attn_i64, attn_i64 q, attn_i64 k, attn_i64 nq,
                   attn_i64 nk, const attn_i64 *) {
    return k <= q + (nk - nq);
  }
  static int classify(attn_i64, attn_i64, attn_i64 q0, attn_i64 q1,
                      attn_i64 k0, attn_i64 k1, attn_i64 nq, attn_i64 nk,
                      const attn_i64 *) {
    attn_i64 off = nk - nq;
    if (k0 > q1 - 1 + off)
      return 0;
    return k1 - 1 <= q0 + off ? 2 : 1;
  }
};

/// sliding(50): p - 50 < k <= p with p the aligned query.
struct Sliding50 {
  static bool mask(attn_i64, attn_i64, attn_i64 q, attn_i64 k, attn_i64 nq,
                   attn_i64 nk, const attn_i64 *) {
    attn_i64 p = q + nk - nq;
    return k <= p && k > p - 50;
  }
  static int classify(attn_i64, attn_i64, attn_i64 q0, attn_i64 q1,
                      attn_i64 k0, attn_i64 k1, attn_i64 nq, attn_i64 nk,
                      const attn_i64 *) {
    attn_i64 p0 = q0 + nk - nq, p1 = q1 - 1 + nk - nq;
    if (k0 > p1 || k1 - 1 <= p0 - 50)
      return 0;
    return (k1 - 1 <= p0 && k0 > p1 - 50) ? 2 : 1;
  }
};

/// Head-dependent holes: rows q % 5 == 0 see nothing; keys with
/// (k + h) % 3 == 0 are hidden; and a run-time modulus: key k % params[0] == 1
/// is hidden too. Every tile is PARTIAL except the last query tile's keys
/// beyond 128, which are EMPTY (exercises skipped tiles).
struct Holes {
  static bool mask(attn_i64, attn_i64 h, attn_i64 q, attn_i64 k, attn_i64,
                   attn_i64, const attn_i64 *params) {
    return q % 5 != 0 && (k + h) % 3 != 0 && k % params[0] != 1 &&
           !(q >= 128 && k >= 128);
  }
  static int classify(attn_i64, attn_i64, attn_i64 q0, attn_i64, attn_i64 k0,
                      attn_i64, attn_i64, attn_i64, const attn_i64 *) {
    return (q0 >= 128 && k0 >= 128) ? 0 : 1;
  }
};

/// Reads the batch index: causal, and batch entry b > 0 sees only keys from
/// 64 * b on (whole key tiles, so FULL and EMPTY differ per entry); entry 2
/// also hides (q + k) % 7 == 0, so its tiles are PARTIAL. With entry 0's map
/// for every entry (the old behaviour), entries 1 and 2 attend keys their
/// mask forbids.
struct BatchDependent {
  static bool mask(attn_i64 b, attn_i64, attn_i64 q, attn_i64 k, attn_i64 nq,
                   attn_i64 nk, const attn_i64 *) {
    return k <= q + (nk - nq) && k >= 64 * b && (b != 2 || (q + k) % 7 != 0);
  }
  static int classify(attn_i64 b, attn_i64, attn_i64 q0, attn_i64 q1,
                      attn_i64 k0, attn_i64 k1, attn_i64 nq, attn_i64 nk,
                      const attn_i64 *) {
    attn_i64 off = nk - nq;
    if (k0 > q1 - 1 + off || k1 - 1 < 64 * b)
      return 0;
    return k1 - 1 <= q0 + off && k0 >= 64 * b && b != 2 ? 2 : 1;
  }
};

template <class P> struct Kernels {
  static void count(const AttnBlockMapParams &p) {
    attn_dev::blockMapCount<P>(p);
  }
  static void fill(const AttnBlockMapParams &p) {
    attn_dev::blockMapFill<P>(p);
  }
  template <bool BF16, int D, bool Split, int M, int W>
  static void fwd(const AttnFwdParams &p) {
    attn_dev::flashForward<P, BF16, D, W, Split, M>(p);
  }
};

struct Case {
  int batch = 1, heads = 2, kvHeads = 1;
  int64_t nq = 100, nk = 100;
  int splits = 1;
  bool headDependent = false;
  bool batchDependent = false;
  std::vector<attn_i64> params;
};

template <class P, bool BF16, int D, int M = 1, int W = 4>
void runCase(const Case &c) {
  SCOPED_TRACE(::testing::Message()
               << (BF16 ? "bf16" : "f16") << " D" << D << " nq " << c.nq
               << " nk " << c.nk << " heads " << c.heads << "/" << c.kvHeads
               << " splits " << c.splits << " batch " << c.batch
               << (c.batchDependent ? " (map per entry)" : "") << " warps " << W
               << " row blocks per warp " << M);
  typedef attn_dev::FwdShape<D, W, M> Shape;
  constexpr int kTileM = Shape::kTileM, kTileN = 64;
  const int numQT = static_cast<int>((c.nq + kTileM - 1) / kTileM);
  const int numKT = static_cast<int>((c.nk + kTileN - 1) / kTileN);
  const int mapHeads = c.headDependent ? c.heads : 1;
  const int mapBatches = c.batchDependent ? c.batch : 1;

  // Block map: count, scan + work order on the host, fill.
  AttnBlockMapParams bm{};
  bm.nq = c.nq, bm.nk = c.nk, bm.tileQ = kTileM, bm.tileK = kTileN;
  bm.numQTiles = numQT, bm.numKTiles = numKT, bm.mapHeads = mapHeads;
  bm.mapBatches = mapBatches;
  bm.numParams = static_cast<int>(c.params.size());
  std::copy(c.params.begin(), c.params.end(), bm.params);
  std::vector<attn_i32> counts(mapBatches * mapHeads * numQT, -1);
  bm.rowCounts = counts.data();
  Dim3 mapGrid{static_cast<unsigned>(numQT), static_cast<unsigned>(mapHeads),
               static_cast<unsigned>(mapBatches)};
  attn_emu::launch(mapGrid, 128, 0, [&] { Kernels<P>::count(bm); });
  std::vector<attn_i32> offsets(counts.size() + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), offsets.begin() + 1);
  std::vector<attn_i32> tiles(offsets.back() + 1, -7);
  bm.rowOffsets = offsets.data();
  bm.tiles = tiles.data();
  attn_emu::launch(mapGrid, 128, 0, [&] { Kernels<P>::fill(bm); });
  EXPECT_EQ(tiles.back(), -7) << "fill wrote past the map";
  for (int mb = 0; mb < mapBatches; ++mb)
    for (int mh = 0; mh < mapHeads; ++mh)
      for (int qt = 0; qt < numQT; ++qt) {
        int row = (mb * mapHeads + mh) * numQT + qt, at = offsets[row];
        for (int kt = 0; kt < numKT; ++kt) {
          int cls = P::classify(
              mb, mh, qt * kTileM, std::min<int64_t>(c.nq, (qt + 1) * kTileM),
              kt * kTileN, std::min<int64_t>(c.nk, (kt + 1) * kTileN), c.nq,
              c.nk, c.params.data());
          if (cls == 0)
            continue;
          ASSERT_LT(at, offsets[row + 1]);
          EXPECT_EQ(tiles[at++], kt | (cls == 1 ? ATTN_PARTIAL_BIT : 0))
              << "batch " << mb << " head " << mh << " query tile " << qt;
        }
        EXPECT_EQ(at, offsets[row + 1]);
      }
  // One work order per map batch entry, longest lists first.
  const int numWork = c.heads * numQT;
  std::vector<attn_i32> work(mapBatches * numWork);
  for (int mb = 0; mb < mapBatches; ++mb) {
    auto begin = work.begin() + mb * numWork;
    std::iota(begin, begin + numWork, 0);
    auto len = [&](int w) {
      int row =
          (mb * mapHeads + (mapHeads == 1 ? 0 : w / numQT)) * numQT + w % numQT;
      return offsets[row + 1] - offsets[row];
    };
    std::stable_sort(begin, begin + numWork,
                     [&](int a, int b) { return len(a) > len(b); });
  }

  // Inputs: [b, h, n, d] contiguous, values rounded to the 16-bit type.
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  auto make = [&](int heads, int64_t n) {
    std::vector<attn_dev::u16> v(static_cast<size_t>(c.batch) * heads * n * D);
    for (auto &x : v)
      x = attn_emu::floatToHalf(dist(rng), BF16);
    return v;
  };
  auto q = make(c.heads, c.nq), k = make(c.kvHeads, c.nk),
       v = make(c.kvHeads, c.nk);
  std::vector<attn_dev::u16> o(q.size(), 0xFFFF); // NaN: must be overwritten
  auto strides = [&](attn_i64 *s, int heads, int64_t n) {
    s[0] = heads * n * D, s[1] = n * D, s[2] = D;
  };
  AttnFwdParams fp{};
  fp.q = q.data(), fp.k = k.data(), fp.v = v.data(), fp.o = o.data();
  strides(fp.qStride, c.heads, c.nq), strides(fp.oStride, c.heads, c.nq);
  strides(fp.kStride, c.kvHeads, c.nk), strides(fp.vStride, c.kvHeads, c.nk);
  fp.nq = c.nq, fp.nk = c.nk, fp.batch = c.batch, fp.heads = c.heads;
  fp.kvHeads = c.kvHeads, fp.headDim = D;
  const float scale = 1.f / std::sqrt(static_cast<float>(D));
  fp.scaleLog2 = scale * 1.4426950408889634f;
  fp.numQTiles = numQT, fp.numKTiles = numKT, fp.mapHeads = mapHeads;
  fp.mapBatches = mapBatches;
  fp.rowOffsets = offsets.data(), fp.tiles = tiles.data();
  fp.workOrder = work.data(), fp.numWork = numWork;
  fp.numParams = bm.numParams;
  std::copy(c.params.begin(), c.params.end(), fp.params);
  const size_t smem = Shape::kSmemBytes;
  Dim3 grid{static_cast<unsigned>(numWork), static_cast<unsigned>(c.batch), 1};
  if (c.splits == 1) {
    attn_emu::launch(grid, Shape::kThreads, smem, [&] {
      Kernels<P>::template fwd<BF16, D, false, M, W>(fp);
    });
  } else {
    size_t rows = static_cast<size_t>(c.batch) * c.heads * c.nq;
    std::vector<float> po(c.splits * rows * D, NAN), lse(c.splits * rows, NAN);
    fp.numSplits = c.splits, fp.partialO = po.data(), fp.partialLse = lse.data();
    grid.z = c.splits;
    attn_emu::launch(grid, Shape::kThreads, smem, [&] {
      Kernels<P>::template fwd<BF16, D, true, M, W>(fp);
    });
    Dim3 cg{static_cast<unsigned>((rows + 3) / 4), 1, 1};
    attn_emu::launch(cg, 128, 0,
                     [&] { attn_dev::combineSplits<BF16, D>(fp); });
  }

  // Naive reference in double over the same rounded inputs.
  double worst = 0;
  const int group = c.heads / c.kvHeads;
  for (int b = 0; b < c.batch; ++b)
    for (int h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.nq; ++i) {
        auto at = [&](const std::vector<attn_dev::u16> &t, int heads,
                      int64_t n, int hh, int64_t row, int d) {
          return attn_emu::halfToFloat(
              t[((static_cast<size_t>(b) * heads + hh) * n + row) * D + d],
              BF16);
        };
        std::vector<double> s(c.nk);
        double mx = -INFINITY;
        for (int64_t j = 0; j < c.nk; ++j) {
          if (!P::mask(b, h, i, j, c.nq, c.nk, c.params.data())) {
            s[j] = -INFINITY;
            continue;
          }
          double dot = 0;
          for (int d = 0; d < D; ++d)
            dot += at(q, c.heads, c.nq, h, i, d) *
                   at(k, c.kvHeads, c.nk, h / group, j, d);
          s[j] = dot * scale;
          mx = std::max(mx, s[j]);
        }
        double l = 0;
        for (auto &x : s)
          l += (x = mx == -INFINITY ? 0 : std::exp(x - mx));
        for (int d = 0; d < D; ++d) {
          double want = 0;
          for (int64_t j = 0; j < c.nk; ++j)
            want += s[j] * at(v, c.kvHeads, c.nk, h / group, j, d);
          want = l > 0 ? want / l : 0;
          double got = at(o, c.heads, c.nq, h, i, d);
          double err = std::fabs(got - want);
          if (!(err <= worst)) // NaN-safe
            worst = std::isnan(err) ? INFINITY : err;
        }
      }
  EXPECT_LE(worst, BF16 ? 1.5e-2 : 4e-3);
}

TEST(KernelEmulator, CausalBf16D64) {
  Case c;
  c.batch = 2, c.heads = 2, c.kvHeads = 1, c.nq = c.nk = 150;
  runCase<Causal, true, 64>(c);
}

TEST(KernelEmulator, CausalF16D128FewerQueries) {
  Case c;
  c.heads = 1, c.kvHeads = 1, c.nq = 37, c.nk = 200;
  runCase<Causal, false, 128>(c);
}

TEST(KernelEmulator, SlidingRaggedGqa) {
  Case c;
  c.heads = 4, c.kvHeads = 2, c.nq = c.nk = 190;
  runCase<Sliding50, true, 64>(c);
}

TEST(KernelEmulator, HolesEmptyRowsHeadsAndParams) {
  Case c;
  c.heads = 2, c.kvHeads = 2, c.nq = c.nk = 140, c.headDependent = true;
  c.params = {4};
  runCase<Holes, false, 64>(c);
}

TEST(KernelEmulator, SplitKeyDecoding) {
  Case c;
  c.heads = 2, c.kvHeads = 1, c.nq = 1, c.nk = 333, c.splits = 3;
  runCase<Causal, true, 128>(c);
  c.nq = 3, c.splits = 4; // more splits than some rows have tiles
  runCase<Sliding50, false, 64>(c);
}

TEST(KernelEmulator, TwoRowBlocksPerWarp) {
  Case c;
  c.heads = 2, c.kvHeads = 1, c.nq = 150, c.nk = 170;
  runCase<Sliding50, true, 64, 2>(c);
  c.heads = 2, c.kvHeads = 2, c.nq = c.nk = 140, c.headDependent = true;
  c.params = {4};
  runCase<Holes, false, 128, 2>(c);
  c.heads = 1, c.kvHeads = 1, c.nq = 2, c.nk = 300, c.splits = 2;
  c.headDependent = false, c.params = {};
  runCase<Causal, true, 64, 2>(c);
}

TEST(KernelEmulator, HeadDims32And96) {
  Case c;
  c.heads = 2, c.kvHeads = 1, c.nq = c.nk = 150;
  runCase<Causal, true, 32>(c);
  runCase<Causal, false, 96>(c);
  c.heads = 4, c.kvHeads = 2, c.nq = 70, c.nk = 190;
  runCase<Sliding50, false, 32, 1, 8>(c);
  runCase<Sliding50, true, 96, 1, 8>(c);
  c.heads = 2, c.kvHeads = 1, c.nq = 2, c.nk = 333, c.splits = 3;
  runCase<Causal, true, 96>(c);
  runCase<Causal, false, 32>(c);
}

/// Every (row, chunk) of a tile gets its own 16-byte slot, and the 8 rows
/// one ldmatrix reads at one chunk column (8 consecutive rows from a
/// multiple of 8) fall in 8 different 16-byte bank groups.
template <int D> void checkSwizzle() {
  SCOPED_TRACE(::testing::Message() << "D" << D);
  constexpr int kRows = 64, kChunks = D / 8;
  std::vector<int> owner(kRows * D / 8, -1);
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kChunks; ++c) {
      int e = attn_dev::swz<D>(r, c);
      ASSERT_EQ(e % 8, 0);
      ASSERT_GE(e, r * D);
      ASSERT_LT(e, (r + 1) * D) << "chunk " << c << " left row " << r;
      EXPECT_EQ(owner[e / 8], -1) << "row " << r << " chunk " << c;
      owner[e / 8] = r * kChunks + c;
    }
  for (int r0 = 0; r0 < kRows; r0 += 8)
    for (int c = 0; c < kChunks; ++c) {
      std::set<int> groups;
      for (int r = r0; r < r0 + 8; ++r)
        groups.insert((attn_dev::swz<D>(r, c) * 2 / 16) % 8);
      EXPECT_EQ(groups.size(), 8u) << "rows " << r0 << "..+8 chunk " << c;
    }
}

TEST(KernelEmulator, SwizzleIsConflictFree) {
  checkSwizzle<32>();
  checkSwizzle<64>();
  checkSwizzle<96>();
  checkSwizzle<128>();
  checkSwizzle<256>();
}

TEST(KernelEmulator, BatchDependentMaskWithThreeEntries) {
  Case c;
  c.batch = 3, c.heads = 2, c.kvHeads = 1, c.nq = c.nk = 200;
  c.batchDependent = true;
  runCase<BatchDependent, true, 64>(c);
  runCase<BatchDependent, false, 128>(c);
  // Per head too, GQA, Nq != Nk, two row blocks per warp and 8 warps.
  c.heads = 4, c.kvHeads = 2, c.nq = 150, c.nk = 230, c.headDependent = true;
  runCase<BatchDependent, false, 64, 2>(c);
  runCase<BatchDependent, true, 96, 1, 8>(c);
  // Split-key decoding reads the batch's rows too.
  c.heads = 2, c.kvHeads = 1, c.nq = 1, c.nk = 333, c.splits = 3;
  c.headDependent = false;
  runCase<BatchDependent, true, 128>(c);
}

TEST(KernelEmulator, EightWarps) {
  Case c;
  c.heads = 1, c.kvHeads = 1, c.nq = 140, c.nk = 150;
  runCase<Sliding50, true, 128, 1, 8>(c);
}

} // namespace
