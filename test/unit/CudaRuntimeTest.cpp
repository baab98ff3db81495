//===- CudaRuntimeTest.cpp - the CUDA runtime without a GPU ---------------===//
//
// What runtime/cuda can show on a machine without a device: the driver probe
// and its one-line reasons, argument validation, the block-map protocol's
// host steps (scan, work order, split ranges) and the split choice, and the
// protocol end to end with the device kernels run by KernelEmulator.h.
//
//===----------------------------------------------------------------------===//
#include "TestSupport.h"
#include "KernelEmulator.h"
#include "runtime/device/attn_kernels.cuh"

#include "attn/attn.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/CudaRuntime.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

using namespace attn;
using namespace attn::cuda;

namespace {

const char *kStub = "/usr/local/cuda/lib64/stubs/libcuda.so";

using attn::test::errorOf;

Bundle bundle() {
  Bundle b;
  b.pattern = "p";
  b.arch = "sm_90a";
  b.format = "cubin";
  b.params = {"w"};
  b.variants = {{"bf16", 64, 40960, 4}, {"bf16", 128, 81920, 4},
                {"f16", 64, 40960, 4}};
  return b;
}

/// Device tensors need no real memory for validation: only addresses.
struct Args {
  std::array<int64_t, 4> qShape{2, 8, 100, 64}, kvShape{2, 2, 300, 64};
  DType dtype = DType::BF16;
  Device device = Device::CUDA;
  Tensor q, k, v, out;
  Args() { make(); }
  void make() {
    auto t = [&](std::array<int64_t, 4> shape, uintptr_t addr) {
      Tensor x = Tensor::contiguous(reinterpret_cast<void *>(addr), dtype,
                                    shape);
      x.device = device;
      return x;
    };
    q = t(qShape, 0x10000);
    k = t(kvShape, 0x20000);
    v = t(kvShape, 0x30000);
    out = t(qShape, 0x40000);
  }
  std::string check(const Bundle &b = bundle()) const {
    return errorOf([&] { validateRun(b, q, k, v, out); });
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

TEST(CudaDriver, MissingLibrary) {
  DriverStatus st = probeDriver("/nonexistent.so");
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.reason.rfind("cannot load the CUDA driver: /nonexistent.so", 0),
            0u)
      << st.reason;
}

TEST(CudaDriver, BareNameIsSearchedLikeTheDriver) {
  DriverStatus st = probeDriver("libcuda-absent.so.1");
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.reason, "libcuda-absent.so.1 not found (no NVIDIA driver)");
}

TEST(CudaDriver, DefaultLibraryNameGivesTheDriverReason) {
  // Only meaningful on a machine without a driver (like CI).
  DriverStatus st = probeDriver("libcuda.so.1");
  if (st.ok || st.reason.find("not found") == std::string::npos)
    GTEST_SKIP() << "a libcuda.so.1 is installed: " << st.reason;
  EXPECT_EQ(st.reason, "libcuda.so.1 not found (no NVIDIA driver)");
}

TEST(CudaDriver, StubLibrary) {
  if (!std::filesystem::exists(kStub))
    GTEST_SKIP() << "no CUDA toolkit stub at " << kStub;
  DriverStatus st = probeDriver(kStub);
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.reason,
            "the CUDA driver is a stub library (CUDA_ERROR_STUB_LIBRARY)");
}

TEST(CudaDriver, NotADriver) {
  // A real shared library without the driver's symbols.
  const char *libc = "libc.so.6";
  DriverStatus st = probeDriver(libc);
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.reason, "the CUDA driver 'libc.so.6' has no cuInit (the driver "
                       "is too old or not a CUDA driver)");
}

TEST(CudaDriver, UnavailableMeansCleanErrors) {
  if (available())
    GTEST_SKIP() << "a CUDA device is present";
  EXPECT_FALSE(unavailableReason().empty());
  EXPECT_EQ(errorOf([] { api(); }),
            "CUDA is not available: " + unavailableReason());
  EXPECT_EQ(errorOf([] { deviceInfo(); }),
            "CUDA is not available: " + unavailableReason());
  EXPECT_EQ(errorOf([] { DeviceBuffer b(16); }),
            "CUDA is not available: " + unavailableReason());
  EXPECT_EQ(errorOf([] { LoadedBundle lb(bundle()); }),
            "CUDA is not available: " + unavailableReason());
  // The error text needs no driver.
  EXPECT_EQ(describeError(1).rfind("CUDA_ERROR_INVALID_VALUE", 0), 0u);
  EXPECT_EQ(describeError(34).rfind("CUDA_ERROR_STUB_LIBRARY", 0), 0u);
  EXPECT_EQ(describeError(123456), "CUDA error 123456");
  EXPECT_EQ(errorOf([] { check(700, "cuLaunchKernel(x)"); }),
            "cuLaunchKernel(x) failed: CUDA_ERROR_ILLEGAL_ADDRESS");
  EXPECT_EQ(errorOf([] { check(0, "cuInit"); }), "<no error>");
}

TEST(CudaDriver, ArchStrings) {
  EXPECT_EQ(archForComputeCapability(8, 0), "sm_80");
  EXPECT_EQ(archForComputeCapability(8, 6), "sm_86");
  EXPECT_EQ(archForComputeCapability(8, 9), "sm_89");
  EXPECT_EQ(archForComputeCapability(9, 0), "sm_90a");
  EXPECT_EQ(archForComputeCapability(10, 0), "sm_100");
  EXPECT_EQ(archForComputeCapability(12, 0), "sm_120");
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

TEST(CudaValidate, GoodArguments) {
  Args a;
  Bundle b = bundle(); // s.variant points into it
  RunShape s = validateRun(b, a.q, a.k, a.v, a.out);
  EXPECT_EQ(s.batch, 2);
  EXPECT_EQ(s.heads, 8);
  EXPECT_EQ(s.kvHeads, 2);
  EXPECT_EQ(s.nq, 100);
  EXPECT_EQ(s.nk, 300);
  EXPECT_EQ(s.headDim, 64);
  EXPECT_EQ(s.dtype, "bf16");
  ASSERT_NE(s.variant, nullptr);
  EXPECT_EQ(s.variant->fwdName(), "attn_fwd_bf16_d64");
  // [b, s, h, d] memory: strides permuted, still multiples of 8.
  a.q.strides = {100 * 8 * 64, 64, 8 * 64, 1};
  EXPECT_EQ(a.check(), "<no error>");
}

TEST(CudaValidate, DTypes) {
  Args a;
  a.dtype = DType::F32;
  a.make();
  EXPECT_EQ(a.check(), "the CUDA path takes bf16 or fp16 tensors; q is f32 "
                       "(use the CPU for f32)");
  a = Args();
  a.v.dtype = DType::F16;
  EXPECT_EQ(a.check(), "q, k, v and out must have one dtype; q is bf16, v is "
                       "f16");
  a = Args();
  a.out.dtype = DType::F32;
  EXPECT_EQ(a.check(), "the CUDA path takes bf16 or fp16 tensors; out is f32 "
                       "(use the CPU for f32)");
}

TEST(CudaValidate, HeadDimMustBeAVariant) {
  Args a;
  a.dtype = DType::F16;
  a.qShape[3] = a.kvShape[3] = 128;
  a.make();
  EXPECT_EQ(a.check(), "pattern 'p' has no CUDA kernel for f16 with head dim "
                       "128; its kernels are: bf16 d64, bf16 d128, f16 d64");
  a.qShape[3] = a.kvShape[3] = 96;
  a.dtype = DType::BF16;
  a.make();
  EXPECT_EQ(a.check(), "pattern 'p' has no CUDA kernel for bf16 with head dim "
                       "96; its kernels are: bf16 d64, bf16 d128, f16 d64");
}

TEST(CudaValidate, Shapes) {
  Args a;
  a.k.shape[0] = 3;
  EXPECT_NE(a.check().find("one batch size"), std::string::npos);
  a = Args();
  a.v.shape[2] = 299;
  EXPECT_EQ(a.check(), "k [2, 2, 300, 64] and v [2, 2, 299, 64] must have the "
                       "same heads and length");
  a = Args();
  a.kvShape[3] = 128;
  a.make();
  EXPECT_NE(a.check().find("share the head dim"), std::string::npos);
  a = Args();
  a.out.shape[2] = 99;
  EXPECT_EQ(a.check(), "out must be [2, 8, 100, 64], got [2, 8, 99, 64]");
  a = Args();
  a.kvShape[1] = 3;
  a.make();
  EXPECT_EQ(a.check(), "q has 8 heads, which is not a multiple of k/v's 3 "
                       "(GQA needs a multiple)");
  a = Args();
  a.q.shape[2] = -1;
  EXPECT_NE(a.check().find("q has a negative size"), std::string::npos);
  a = Args();
  Bundle b = bundle();
  b.heads = 4;
  EXPECT_EQ(a.check(b), "pattern 'p' has 4 heads, the query has 8");
  a = Args();
  a.qShape[0] = a.kvShape[0] = 70000;
  a.make();
  EXPECT_EQ(a.check(), "the CUDA path runs at most 65535 batches at once, got "
                       "70000");
  a = Args();
  a.q.data = nullptr;
  EXPECT_EQ(a.check(), "q has no data (null pointer)");
}

TEST(CudaValidate, DeviceLayout) {
  Args a;
  a.k.strides[3] = 2;
  EXPECT_EQ(a.check(), "k in CUDA memory must have head-dim stride 1, got 2 "
                       "(pass a contiguous tensor or a host tensor)");
  a = Args();
  a.q.strides[2] = 68;
  EXPECT_EQ(a.check(), "q in CUDA memory must have batch, head and sequence "
                       "strides that are multiples of 8 elements (16 bytes); "
                       "its strides are [51200, 6400, 68, 1]");
  a = Args();
  a.v.data = reinterpret_cast<void *>(0x30008);
  EXPECT_EQ(a.check(), "v in CUDA memory must be 16-byte aligned, its address "
                       "is 0x30008");
  a = Args();
  a.out.strides[0] = -51200;
  EXPECT_NE(a.check().find("out has a negative stride"), std::string::npos);
  // Host tensors are packed before the upload: any layout will do.
  a = Args();
  a.device = Device::CPU;
  a.make();
  a.k.strides[3] = 2;
  a.q.strides[2] = 68;
  a.v.data = reinterpret_cast<void *>(0x30008);
  EXPECT_EQ(a.check(), "<no error>");
}

TEST(CudaValidate, Params) {
  Bundle b = bundle();
  EXPECT_EQ(errorOf([&] { validateParams(b, {5}); }), "<no error>");
  EXPECT_EQ(errorOf([&] { validateParams(b, {}); }),
            "pattern 'p' takes 1 run-time parameter, got 0");
  b.params = {"a", "b"};
  EXPECT_EQ(errorOf([&] { validateParams(b, {1}); }),
            "pattern 'p' takes 2 run-time parameters, got 1");
}

//===----------------------------------------------------------------------===//
// Block map and scheduling
//===----------------------------------------------------------------------===//

TEST(CudaSchedule, ExclusiveScan) {
  EXPECT_EQ(exclusiveScan({}), std::vector<int32_t>({0}));
  EXPECT_EQ(exclusiveScan({3, 0, 2, 5}), std::vector<int32_t>({0, 3, 3, 5, 10}));
  std::vector<int32_t> big(3, 0x40000000);
  EXPECT_NE(errorOf([&] { exclusiveScan(big); }).find("more than"),
            std::string::npos);
}

TEST(CudaSchedule, WorkOrderLongestFirst) {
  // One map row set shared by three heads.
  std::vector<int32_t> counts = {1, 4, 2, 4};
  std::vector<int32_t> order = workOrder(counts, 3, 4, 1);
  ASSERT_EQ(order.size(), 12u);
  EXPECT_EQ(order, std::vector<int32_t>({1, 3, 5, 7, 9, 11, 2, 6, 10, 0, 4,
                                          8}));
  // Head-dependent map: each head has its own rows.
  std::vector<int32_t> perHead = {1, 2, /*h1*/ 5, 0};
  EXPECT_EQ(workOrder(perHead, 2, 2, 2), std::vector<int32_t>({2, 1, 0, 3}));
  // Every work item exactly once.
  std::vector<int32_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(sorted[i], i);
  // Batch-dependent map (2 entries) shared by two heads: one order per
  // entry, each by its own counts.
  std::vector<int32_t> perBatch = {1, 3, /*b1*/ 4, 0};
  EXPECT_EQ(workOrder(perBatch, 2, 2, 1, 2),
            std::vector<int32_t>({1, 3, 0, 2, /*b1*/ 0, 2, 1, 3}));
  // Per batch entry and head: rows (b, h, qt).
  std::vector<int32_t> both = {0, 1, 2, 3, /*b1*/ 3, 2, 1, 0};
  EXPECT_EQ(workOrder(both, 2, 2, 2, 2),
            std::vector<int32_t>({3, 2, 1, 0, /*b1*/ 0, 1, 2, 3}));
}

TEST(CudaBundleShape, ManifestTileMustMatchTheKernels) {
  Bundle b = bundle(); // tile 64x64, 4 warps x 1 row block
  EXPECT_EQ(errorOf([&] { validateBundleShape(b); }), "<no error>");
  b.tileQ = 128; // 4 warps x 1 block covers only half of each tile
  EXPECT_EQ(errorOf([&] { validateBundleShape(b); }),
            "bundle of 'p': tile 128x64 does not match the bf16 d64 kernel's "
            "4 warps x 1 row blocks of 16 (it needs a 64x64 tile); recompile "
            "the bundle");
  for (KernelVariant &v : b.variants)
    v.rowBlocks = 2;
  EXPECT_EQ(errorOf([&] { validateBundleShape(b); }), "<no error>");
  b.tileK = 32;
  EXPECT_NE(errorOf([&] { validateBundleShape(b); }).find("tile 128x32"),
            std::string::npos);
  // Refused at load before the driver is asked for anything, so also on a
  // machine without a GPU.
  Bundle half = bundle();
  half.tileQ = 128;
  EXPECT_EQ(errorOf([&] { LoadedBundle lb(half); })
                .rfind("bundle of 'p': "
                       "tile 128x64",
                       0),
            0u);
}

TEST(CudaBundleShape, CompiledShapeMustMatchTheManifest) {
  // The loader reads {warps, row blocks} from the module's
  // attn_fwd_<dtype>_d<D>_shape constant and compares.
  Bundle b = bundle();
  b.tileQ = 128;
  b.variants = {{"bf16", 64, 40960, 4, 2}};
  const KernelVariant &v = b.variants[0];
  EXPECT_EQ(v.shapeName(), "attn_fwd_bf16_d64_shape");
  EXPECT_EQ(errorOf([&] { checkCompiledShape(b, v, 4, 2); }), "<no error>");
  EXPECT_EQ(errorOf([&] { checkCompiledShape(b, v, 4, 1); }),
            "bundle of 'p': the manifest says the bf16 d64 kernel has 4 "
            "warps x 2 row blocks per warp, but it was compiled with 4 x 1; "
            "the manifest does not belong to this binary (recompile the "
            "bundle)");
  EXPECT_NE(errorOf([&] { checkCompiledShape(b, v, 8, 2); }).find("8 x 2"),
            std::string::npos);
}

TEST(CudaSchedule, SplitChoice) {
  // Enough work items for the GPU: no split.
  EXPECT_EQ(chooseSplits(132, 1000, 132), 1);
  EXPECT_EQ(chooseSplits(4096, 1000, 132), 1);
  // Decoding: 8 heads x 1 query tile on 132 SMs, 256 key tiles.
  EXPECT_EQ(chooseSplits(8, 256, 132), 33);
  // Short rows limit the split (two tiles per part at least).
  EXPECT_EQ(chooseSplits(8, 10, 132), 5);
  EXPECT_EQ(chooseSplits(8, 3, 132), 1);
  EXPECT_EQ(chooseSplits(8, 0, 132), 1);
  // At most 64 parts.
  EXPECT_EQ(chooseSplits(1, 100000, 132), 64);
  EXPECT_EQ(chooseSplits(0, 100, 132), 1);
  EXPECT_EQ(chooseSplits(1, 100, 0), 1);
}

TEST(CudaSchedule, SplitRangesCoverTheList) {
  for (int64_t n : {0, 1, 5, 17, 64})
    for (int64_t splits : {1, 2, 3, 7, 33}) {
      std::vector<int> seen(n, 0);
      int64_t prevEnd = 10;
      for (int64_t s = 0; s < splits; ++s) {
        auto [b, e] = splitRange(10, 10 + n, splits, s);
        EXPECT_LE(b, e);
        EXPECT_EQ(b, prevEnd) << "parts are contiguous";
        prevEnd = e;
        for (int64_t i = b; i < e; ++i)
          seen[i - 10]++;
      }
      EXPECT_EQ(prevEnd, 10 + n);
      for (int c : seen)
        EXPECT_EQ(c, 1);
    }
}

namespace {
/// sliding(100) with a head-dependent hole: head 1 sees no key from 640 on.
struct SlidingHole {
  static bool mask(attn_i64, attn_i64 h, attn_i64 q, attn_i64 k, attn_i64 nq,
                   attn_i64 nk, const attn_i64 *) {
    attn_i64 p = q + nk - nq;
    return k <= p && k > p - 100 && !(h == 1 && k >= 640);
  }
  static int classify(attn_i64, attn_i64 h, attn_i64 q0, attn_i64 q1,
                      attn_i64 k0, attn_i64 k1, attn_i64 nq, attn_i64 nk,
                      const attn_i64 *) {
    attn_i64 p0 = q0 + nk - nq, p1 = q1 - 1 + nk - nq;
    if (k0 > p1 || k1 - 1 <= p0 - 100 || (h == 1 && k0 >= 640))
      return 0;
    return (k1 - 1 <= p0 && k0 > p1 - 100) ? 2 : 1;
  }
};
} // namespace

TEST(CudaSchedule, BlockMapProtocolOnTheEmulator) {
  // The launch sequence of attn_params.h with the runtime's host steps and
  // the device kernels run by the emulator.
  const int tileQ = 64, tileK = 64, heads = 2;
  const int64_t nq = 300, nk = 700;
  const int numQT = (nq + tileQ - 1) / tileQ, numKT = (nk + tileK - 1) / tileK;
  AttnBlockMapParams p{};
  p.nq = nq, p.nk = nk, p.tileQ = tileQ, p.tileK = tileK;
  p.numQTiles = numQT, p.numKTiles = numKT, p.mapHeads = heads;
  p.mapBatches = 1;
  std::vector<int32_t> counts(heads * numQT, -1);
  p.rowCounts = counts.data();
  attn_emu::Dim3 grid{unsigned(numQT), unsigned(heads), 1};
  attn_emu::launch(grid, 128, 0,
                   [&] { attn_dev::blockMapCount<SlidingHole>(p); });
  std::vector<int32_t> offsets = exclusiveScan(counts);
  std::vector<int32_t> tiles(offsets.back() + 1, -7);
  p.rowOffsets = offsets.data();
  p.tiles = tiles.data();
  attn_emu::launch(grid, 128, 0,
                   [&] { attn_dev::blockMapFill<SlidingHole>(p); });
  EXPECT_EQ(tiles.back(), -7);
  for (int h = 0; h < heads; ++h)
    for (int qt = 0; qt < numQT; ++qt) {
      std::vector<int32_t> expect;
      for (int kt = 0; kt < numKT; ++kt) {
        int cls = SlidingHole::classify(
            0, h, qt * tileQ, std::min<int64_t>(nq, (qt + 1) * tileQ),
            kt * tileK, std::min<int64_t>(nk, (kt + 1) * tileK), nq, nk,
            nullptr);
        if (cls)
          expect.push_back(kt | (cls == 1 ? ATTN_PARTIAL_BIT : 0));
      }
      int row = h * numQT + qt;
      EXPECT_EQ(std::vector<int32_t>(tiles.begin() + offsets[row],
                                     tiles.begin() + offsets[row + 1]),
                expect)
          << "head " << h << " query tile " << qt;
    }
  std::vector<int32_t> order = workOrder(counts, heads, numQT, heads);
  for (size_t i = 1; i < order.size(); ++i)
    EXPECT_GE(counts[order[i - 1]], counts[order[i]]);
  // Head 1 lost key tile 10 on its last query tile: that row goes later
  // than head 0's.
  EXPECT_EQ(counts[numQT + 4], counts[4] - 1);
  auto pos = [&](int item) {
    return std::find(order.begin(), order.end(), item) - order.begin();
  };
  EXPECT_LT(pos(4), pos(numQT + 4));
}
