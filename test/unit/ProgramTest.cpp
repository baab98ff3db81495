//===- ProgramTest.cpp - the C++ API and CPU kernel against the reference -===//
//
// Compiles patterns through attn::Program (JIT to host code) and compares
// the CPU kernel's output with the naive dense reference masked by the
// reference semantics, for every dtype, odd lengths, Nq != Nk, decoding,
// GQA, per-head and grid patterns, run-time parameters, strided layouts and
// rows with no allowed key: every primitive and every prelude pattern.
//
//===----------------------------------------------------------------------===//
#include "attn/attn.h"
#include "dialect/AttnOps.h"
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Pipeline.h"
#include "support/Half.h"
#include "runtime/cpu/CpuAttention.h"
#include "runtime/reference/Reference.h"
#include "TestSupport.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace ma = mlir::attn;
using mlir::DialectRegistry;
using mlir::MLIRContext;
using mlir::ModuleOp;
using mlir::OwningOpRef;
using mlir::PassManager;
using mlir::failed;
using mlir::succeeded;

namespace {

struct Buffer {
  attn::DType dtype;
  std::vector<uint16_t> half;
  std::vector<float> f32;
  void *data() {
    return dtype == attn::DType::F32 ? static_cast<void *>(f32.data())
                                     : static_cast<void *>(half.data());
  }
};

Buffer randomBuffer(attn::DType dtype, size_t n, std::mt19937 &rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Buffer b{dtype, {}, {}};
  if (dtype == attn::DType::F32) {
    b.f32.resize(n);
    for (float &x : b.f32)
      x = dist(rng);
  } else {
    b.half.resize(n);
    for (uint16_t &x : b.half)
      x = dtype == attn::DType::F16 ? attn::floatToHalf(dist(rng))
                                    : attn::floatToBf16(dist(rng));
  }
  return b;
}

float valueAt(const Buffer &b, size_t i) {
  switch (b.dtype) {
  case attn::DType::F32:
    return b.f32[i];
  case attn::DType::F16:
    return attn::halfToFloat(b.half[i]);
  case attn::DType::BF16:
    return attn::bf16ToFloat(b.half[i]);
  }
  return 0;
}

attn::cpu::View toView(const attn::Tensor &t) {
  attn::cpu::View v;
  v.data = t.data;
  v.type = t.dtype == attn::DType::F32   ? attn::cpu::ElemType::F32
           : t.dtype == attn::DType::F16 ? attn::cpu::ElemType::F16
                                         : attn::cpu::ElemType::BF16;
  for (int i = 0; i < 4; ++i) {
    v.shape[i] = t.shape[i];
    v.strides[i] = t.strides[i];
  }
  return v;
}

struct Case {
  std::string name, source;
  std::map<std::string, std::string> values;
  std::map<std::string, int64_t> params;
  int64_t batch, heads, kvHeads, nq, nk, dim;
  /// Store tensors as [b, s, h, d] (strided views) instead of [b, h, s, d].
  bool bshd = false;
};

/// Compiles a case, runs it on the CPU and compares with the reference.
class ProgramTestBase : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    auto dir = std::filesystem::temp_directory_path() /
               ("attnc-programtest-" + std::to_string(getpid()));
    setenv("ATTNC_CACHE_DIR", dir.c_str(), 1);
  }

  /// The reference mask of the case, through the reference evaluator.
  std::function<bool(int64_t, int64_t, int64_t, int64_t)>
  referenceMask(const Case &c) {
    DialectRegistry registry;
    ma::registerAttnDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    llvm::SourceMgr sm;
    sm.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(c.source, "case.attn"),
        llvm::SMLoc());
    module = ma::importAttn(sm, &ctx);
    EXPECT_TRUE(module);
    if (!module)
      return nullptr;
    PassManager pm(&ctx);
    ma::PipelineOptions o;
    o.pattern = "p";
    for (const auto &[k, v] : c.values)
      o.values.push_back(k + "=" + v);
    for (const auto &[k, v] : c.params)
      o.values.push_back(k + "=" + std::to_string(v));
    o.stop = ma::Stage::Attn;
    ma::buildAttnPipeline(pm, o);
    EXPECT_TRUE(succeeded(pm.run(*module)));
    auto p = module->lookupSymbol<ma::PatternOp>("p");
    auto ev = ma::MaskEvaluator::create(
        p, {}, ma::MaskDims{c.batch, c.heads, c.nq, c.nk});
    EXPECT_TRUE(succeeded(ev));
    if (failed(ev))
      return nullptr;
    auto shared = std::make_shared<ma::MaskEvaluator>(std::move(*ev));
    return [shared](int64_t b, int64_t h, int64_t q, int64_t k) {
      return shared->at(b, h, q, k);
    };
  }

  void checkCase(const Case &c, attn::DType dtype);

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
};

class ProgramTest
    : public ProgramTestBase,
      public ::testing::WithParamInterface<std::tuple<Case, attn::DType>> {};

attn::Tensor makeTensor(Buffer &buf, attn::DType dtype,
                        std::array<int64_t, 4> shape, bool bshd) {
  attn::Tensor t = attn::Tensor::contiguous(buf.data(), dtype, shape);
  if (bshd) {
    // Memory [b, s, h, d]; the view stays [b, h, s, d].
    t.strides = {shape[2] * shape[1] * shape[3], shape[3],
                 shape[1] * shape[3], 1};
  }
  return t;
}

void ProgramTestBase::checkCase(const Case &c, attn::DType dtype) {
  auto allowed = referenceMask(c);
  ASSERT_TRUE(allowed);
  attn::CompileOptions options;
  options.pattern = "p";
  options.values = c.values;
  attn::Program program = [&] {
    try {
      return attn::Program::compileString(c.source, options, c.name + ".attn");
    } catch (const attn::Error &e) {
      ADD_FAILURE() << e.what();
      throw;
    }
  }();

  std::mt19937 rng(42);
  size_t qn = c.batch * c.heads * c.nq * c.dim,
         kn = c.batch * c.kvHeads * c.nk * c.dim;
  Buffer qb = randomBuffer(dtype, qn, rng), kb = randomBuffer(dtype, kn, rng),
         vb = randomBuffer(dtype, kn, rng), ob = randomBuffer(dtype, qn, rng),
         rb = randomBuffer(attn::DType::F32, qn, rng);
  attn::Tensor q = makeTensor(qb, dtype, {c.batch, c.heads, c.nq, c.dim}, c.bshd);
  attn::Tensor k = makeTensor(kb, dtype, {c.batch, c.kvHeads, c.nk, c.dim}, c.bshd);
  attn::Tensor v = makeTensor(vb, dtype, {c.batch, c.kvHeads, c.nk, c.dim}, c.bshd);
  attn::Tensor out = makeTensor(ob, dtype, {c.batch, c.heads, c.nq, c.dim}, c.bshd);
  attn::Tensor ref = makeTensor(rb, attn::DType::F32,
                                {c.batch, c.heads, c.nq, c.dim}, c.bshd);
  attn::RunOptions run;
  run.params = c.params;
  run.threads = 2;
  try {
    program.run(q, k, v, out, run);
  } catch (const attn::Error &e) {
    FAIL() << e.what();
  }
  attn::cpu::referenceAttention(toView(q), toView(k), toView(v), toView(ref),
                                0.0f, allowed);
  double tol = dtype == attn::DType::F32   ? 2e-5
               : dtype == attn::DType::F16 ? 4e-3
                                           : 3e-2;
  double worst = 0;
  for (size_t i = 0; i < qn; ++i)
    worst = std::max(worst, std::abs(double(valueAt(ob, i)) - rb.f32[i]));
  EXPECT_LE(worst, tol) << "largest absolute error";
}

TEST_P(ProgramTest, MatchesReference) {
  auto [c, dtype] = GetParam();
  checkCase(c, dtype);
}

std::vector<Case> cases() {
  return {
      {"causal", "pattern p { mask causal() }", {}, {}, 1, 2, 2, 67, 67, 16},
      {"sliding", "pattern p(w: int) { mask sliding(w) }", {{"w", "20"}}, {},
       2, 2, 2, 130, 130, 32},
      {"power", "pattern p { mask power(16, 3) }", {}, {}, 1, 1, 1, 200, 200,
       64},
      {"decode", "pattern p { mask causal() & !sliding(10) | sink(3) }", {},
       {}, 1, 2, 1, 1, 150, 16},
      {"chunked", "pattern p { mask sliding(50) }", {}, {}, 1, 1, 1, 37, 141,
       16},
      {"gqa", "pattern p { mask causal() }", {}, {}, 1, 4, 2, 70, 70, 16},
      {"empty_rows", "pattern p { mask causal() - sliding(5) }", {}, {}, 1, 1,
       1, 40, 40, 8},
      {"per_head",
       "pattern p { heads 3 mask[0:1] sliding(8) mask[1:3] stripe(7) & "
       "causal() }",
       {}, {}, 1, 3, 3, 90, 90, 16},
      {"grid", "pattern p { layout grid(9, 9) mask neighborhood(3, 5) }", {},
       {}, 1, 1, 1, 81, 81, 16},
      {"runtime_param", "pattern p(param w: int) { mask sliding(w) }", {},
       {{"w", 13}}, 1, 1, 1, 77, 77, 16},
      {"predicate", "pattern p { mask k <= q & (q - k) % 5 == 0 }", {}, {}, 1,
       1, 1, 64, 64, 16},
      {"bshd", "pattern p { mask causal() }", {}, {}, 2, 3, 3, 45, 45, 16,
       true},
      {"block_layout",
       "pattern p { mask block_layout(32, [[1, 0, 0], [1, 1, 0], [0, 1, 1]]) "
       "}",
       {}, {}, 1, 1, 1, 96, 96, 16},
      {"bigbird", "pattern p { mask bigbird(16, 3, 1, 2, 5) }", {}, {}, 1, 2, 2,
       128, 128, 16},
      // Every primitive, with odd lengths, Nq != Nk, Nq = 1 and GQA/MQA.
      {"full", "pattern p { mask full() }", {}, {}, 1, 2, 1, 53, 101, 32},
      {"causal_nq_gt_nk", "pattern p { mask causal() }", {}, {}, 1, 1, 1, 120,
       75, 16},
      {"band", "pattern p { mask band(17, 5) }", {}, {}, 1, 4, 2, 99, 131, 16},
      {"sink_decode", "pattern p { mask sink(9) }", {}, {}, 1, 2, 2, 1, 133,
       64},
      {"global", "pattern p { mask global([0, 7, 100]) }", {}, {}, 1, 3, 1, 61,
       150, 16},
      {"block_sliding_decode", "pattern p { mask block_sliding(12, 3) }", {},
       {}, 1, 2, 1, 1, 177, 32},
      {"power2", "pattern p { mask power2(8) }", {}, {}, 1, 1, 1, 190, 190,
       48},
      {"stripe", "pattern p { mask causal() & stripe(10, 3) }", {}, {}, 1, 2, 2,
       77, 143, 16},
      {"strided", "pattern p { mask strided(7) }", {}, {}, 1, 1, 1, 111, 111,
       32},
      {"block_layout_decode",
       "pattern p { mask block_layout(32, [[1, 0, 0], [1, 1, 0], [0, 1, 1]]) "
       "}",
       {}, {}, 1, 2, 1, 1, 90, 16},
      {"bigbird_decode", "pattern p { mask bigbird(16, 3, 1, 2, 5) }", {}, {},
       1, 2, 1, 1, 150, 16},
      {"window2d", "pattern p { layout grid(9, 11) mask window2d(4, 3, 1) }",
       {}, {}, 1, 2, 1, 99, 99, 16},
      {"neighborhood_gqa",
       "pattern p { layout grid(7, 13) mask neighborhood(5, 3) }", {}, {}, 1,
       4, 2, 91, 91, 32},
      {"axial", "pattern p { layout grid(13, 7) mask axial() }", {}, {}, 1, 2,
       2, 91, 91, 32},
      // Every prelude pattern.
      {"power_decode_mqa", "pattern p { mask power(16, 3) }", {}, {}, 1, 4, 1,
       1, 200, 16},
      {"streaming", "pattern p { mask streaming(4, 30) }", {}, {}, 1, 4, 1, 1,
       199, 64},
      {"streaming_chunk", "pattern p { mask streaming(4, 30) }", {}, {}, 1, 2,
       2, 57, 199, 16},
      {"longformer", "pattern p { mask longformer(20, 3) }", {}, {}, 1, 2, 2,
       83, 170, 16},
      {"stride_slash", "pattern p { mask stride_slash(16, 2, 3) }", {}, {}, 1,
       1, 1, 173, 173, 32},
      {"dilated", "pattern p { mask dilated(8, 6) }", {}, {}, 1, 2, 1, 45, 190,
       16},
      {"swin", "pattern p { layout grid(10, 14) mask swin(4, 2) }", {}, {}, 1,
       1, 1, 140, 140, 32},
      {"sparse_transformer_fixed",
       "pattern p { mask sparse_transformer_fixed(16, 4) }", {}, {}, 1, 4, 2, 1,
       181, 16},
      {"sparse_transformer_fixed_square",
       "pattern p { mask sparse_transformer_fixed(16, 4) }", {}, {}, 2, 1, 1,
       129, 129, 16},
      {"sparse_transformer_strided",
       "pattern p { mask sparse_transformer_strided(13) }", {}, {}, 1, 2, 2, 97,
       131, 16},
      // The kernel builds specialized for head dims 64 and 128 (64-key
      // tiles), with ragged last tiles and a row tail, and a head dim that
      // is not a multiple of the 16-column strips.
      {"causal_d64", "pattern p { mask causal() }", {}, {}, 1, 2, 1, 143, 143,
       64},
      {"sliding_d128", "pattern p { mask sliding(70) }", {}, {}, 1, 2, 2, 131,
       150, 128},
      {"causal_d24", "pattern p { mask causal() }", {}, {}, 1, 1, 1, 77, 77,
       24},
      // Masks that read the batch index, three batch entries: the block map
      // has a slice per entry (FULL/EMPTY tiles of entry 0 are wrong for
      // the others).
      {"batch_causal_or_b0",
       "pattern p { mask causal() & (b == 0 | k >= 16) }", {}, {}, 3, 2, 1,
       100, 100, 16},
      {"batch_only_one", "pattern p { mask b == 1 }", {}, {}, 3, 2, 2, 70, 90,
       16},
      {"batch_mod", "pattern p { mask (q + b * 17) % 5 != 0 }", {}, {}, 3, 2,
       1, 77, 77, 32},
      {"batch_per_head",
       "pattern p { heads 2 mask[0:1] causal() & (k + b) % 3 != 0 "
       "mask[1:2] sliding(20) | k < b * 40 }",
       {}, {}, 3, 2, 2, 95, 95, 16},
      {"batch_and_head_predicate",
       "pattern p { mask causal() & ((h + b) % 2 == 0 | k > q - 8) }", {}, {},
       3, 4, 2, 70, 70, 16},
      {"batch_decode", "pattern p { mask causal() & k >= b * 60 }", {}, {}, 3,
       2, 1, 1, 150, 64},
      {"batch_runtime_param",
       // (b * s could leave the index range: b % 4 * s cannot.)
       "pattern p(param s: int) { mask k >= b % 4 * s | k == q }", {},
       {{"s", 33}},
       3, 1, 1, 120, 120, 16},
      {"batch_bshd", "pattern p { mask causal() & (b == 2 | k < 50) }", {}, {},
       3, 2, 2, 81, 81, 16, true},
  };
}

INSTANTIATE_TEST_SUITE_P(
    Patterns, ProgramTest,
    ::testing::Combine(::testing::ValuesIn(cases()),
                       ::testing::Values(attn::DType::F32, attn::DType::F16,
                                         attn::DType::BF16)),
    [](const auto &info) {
      auto dtype = std::get<1>(info.param);
      return std::get<0>(info.param).name + "_" +
             (dtype == attn::DType::F32   ? "f32"
              : dtype == attn::DType::F16 ? "f16"
                                          : "bf16");
    });

TEST(ProgramErrors, ReportsDiagnosticsAndShapes) {
  try {
    attn::Program::compileString("pattern p { mask sliding(0) }", {}, "bad.attn");
    FAIL() << "expected an error";
  } catch (const attn::Error &e) {
    EXPECT_NE(std::string(e.what()).find("bad.attn:1:26"), std::string::npos)
        << e.what();
  }
  attn::Program prog =
      attn::Program::compileString("pattern p(param w: int) { mask sliding(w) }");
  std::vector<float> buf(4 * 8 * 16);
  attn::Tensor q = attn::Tensor::contiguous(buf.data(), attn::DType::F32,
                                            {1, 2, 8, 16});
  attn::Tensor k = q, v = q, out = q;
  EXPECT_THROW(prog.run(q, k, v, out), attn::Error); // w missing
  attn::RunOptions run;
  run.params["w"] = 4;
  EXPECT_NO_THROW(prog.run(q, k, v, out, run));
  run.params["x"] = 1;
  EXPECT_THROW(prog.run(q, k, v, out, run), attn::Error); // unknown param
  run.params.erase("x");
  attn::Tensor bad = attn::Tensor::contiguous(buf.data(), attn::DType::F32,
                                              {1, 3, 8, 16});
  EXPECT_THROW(prog.run(q, bad, bad, out, run), attn::Error); // GQA 2 % 3

  // A program compiled for one dtype and head dimension checks them.
  attn::CompileOptions fixed;
  fixed.dtype = attn::DType::BF16;
  fixed.headDim = 32;
  attn::Program strict =
      attn::Program::compileString("pattern p { mask causal() }", fixed);
  try {
    strict.run(q, k, v, out);
    FAIL() << "expected a dtype error";
  } catch (const attn::Error &e) {
    EXPECT_STREQ(e.what(), "program 'p' was compiled for bf16 inputs, got f32");
  }
  fixed.dtype = attn::DType::F32;
  attn::Program dims =
      attn::Program::compileString("pattern p { mask causal() }", fixed);
  try {
    dims.run(q, k, v, out);
    FAIL() << "expected a head_dim error";
  } catch (const attn::Error &e) {
    EXPECT_STREQ(e.what(),
                 "program 'p' was compiled for head_dim 32, got 16");
  }
}

/// Runs `program` on random f32 inputs [batch, heads, n, 16] and returns the
/// largest absolute difference from the reference with mask `allowed`.
double runAgainstReference(
    const attn::Program &program, int64_t batch, int64_t heads, int64_t n,
    const std::function<bool(int64_t, int64_t, int64_t, int64_t)> &allowed) {
  std::mt19937 rng(7);
  size_t count = batch * heads * n * 16;
  Buffer qb = randomBuffer(attn::DType::F32, count, rng),
         kb = randomBuffer(attn::DType::F32, count, rng),
         vb = randomBuffer(attn::DType::F32, count, rng),
         ob = randomBuffer(attn::DType::F32, count, rng),
         rb = randomBuffer(attn::DType::F32, count, rng);
  std::array<int64_t, 4> shape{batch, heads, n, 16};
  attn::Tensor q = makeTensor(qb, attn::DType::F32, shape, false);
  attn::Tensor k = makeTensor(kb, attn::DType::F32, shape, false);
  attn::Tensor v = makeTensor(vb, attn::DType::F32, shape, false);
  attn::Tensor out = makeTensor(ob, attn::DType::F32, shape, false);
  attn::Tensor ref = makeTensor(rb, attn::DType::F32, shape, false);
  program.run(q, k, v, out);
  attn::cpu::referenceAttention(toView(q), toView(k), toView(v), toView(ref),
                                0.0f, allowed);
  double worst = 0;
  for (size_t i = 0; i < count; ++i)
    worst = std::max(worst, std::abs(double(ob.f32[i]) - rb.f32[i]));
  return worst;
}

bool batchMask(int64_t b, int64_t, int64_t q, int64_t k) {
  return k <= q && (b == 0 || k >= 16);
}

TEST(ProgramBatch, OnlyBatchDependentMasksGetAMapPerEntry) {
  attn::Program bdep = attn::Program::compileString(
      "pattern p { mask causal() & (b == 0 | k >= 16) }");
  attn::Program causal =
      attn::Program::compileString("pattern p { mask causal() }");
  attn::Program perHead = attn::Program::compileString(
      "pattern p { mask causal() & (h == 0 | k >= 16) }");
  EXPECT_TRUE(bdep.batchDependent());
  EXPECT_FALSE(causal.batchDependent());
  EXPECT_FALSE(perHead.batchDependent());

  attn::BlockMapInfo one = causal.blockMap(2, 100, 100, {}, 3);
  EXPECT_EQ(one.batches, 1);
  EXPECT_EQ(one.heads, 1);
  attn::BlockMapInfo heads = perHead.blockMap(2, 100, 100, {}, 3);
  EXPECT_EQ(heads.batches, 1);
  EXPECT_EQ(heads.heads, 2);
  attn::BlockMapInfo three = bdep.blockMap(2, 100, 100, {}, 3);
  EXPECT_EQ(three.batches, 3);
  EXPECT_EQ(three.heads, 1);
  // Batch entry 0 is causal, the others lose the first key tile's PARTIAL
  // diagonal tile: the slices differ.
  attn::BlockMapInfo first = bdep.blockMap(2, 100, 100, {}, 1);
  EXPECT_EQ(first.batches, 1);
  EXPECT_EQ(three.fullTiles + three.partialTiles,
            3 * (causal.blockMap(2, 100, 100).fullTiles +
                 causal.blockMap(2, 100, 100).partialTiles));
  EXPECT_LT(three.fullTiles, 3 * first.fullTiles);

  // Allowed pairs over the batch entries, against a direct count.
  for (int64_t batch : {1, 2, 3}) {
    int64_t want = 0;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t q = 0; q < 100; ++q)
        for (int64_t k = 0; k < 100; ++k)
          want += 2 * batchMask(b, 0, q, k);
    EXPECT_EQ(bdep.allowedPairs(2, 100, 100, {}, batch), want) << batch;
    EXPECT_EQ(causal.allowedPairs(2, 100, 100, {}, batch),
              batch * 2 * 5050)
        << batch;
  }
  EXPECT_EQ(bdep.allowedPairs(2, 100, 100), 2 * 5050); // batch entry 0
  EXPECT_NE(attn::test::errorOf([&] { bdep.blockMap(2, 100, 100, {}, 0); })
                .find("batch size must be at least 1"),
            std::string::npos);
}

TEST(ProgramBatch, MapCacheIsKeyedByTheBatch) {
  // A map built for one batch entry must not serve a run with three (the
  // cache key had no batch, so entries 1 and 2 used entry 0's FULL tiles).
  attn::Program bdep = attn::Program::compileString(
      "pattern p { mask causal() & (b == 0 | k >= 16) }");
  EXPECT_LE(runAgainstReference(bdep, 1, 1, 96, batchMask), 2e-5);
  EXPECT_LE(runAgainstReference(bdep, 3, 1, 96, batchMask), 2e-5);
  EXPECT_LE(runAgainstReference(bdep, 2, 1, 96, batchMask), 2e-5);
  EXPECT_LE(runAgainstReference(bdep, 3, 1, 96, batchMask), 2e-5);
}

TEST(ProgramErrors, HugeTilesAreAnError) {
  for (auto [tq, tk] : {std::pair<int64_t, int64_t>{100000, 0},
                        {0, 100000},
                        {int64_t(1) << 62, int64_t(1) << 62},
                        {attn::kMaxTileSize + 1, 64}}) {
    attn::CompileOptions o;
    o.tileQ = tq;
    o.tileK = tk;
    o.target = attn::Target::CPU;
    EXPECT_EQ(attn::test::errorOf([&] {
                attn::Program::compileString("pattern p { mask causal() }", o);
              }),
              fmt::format("tile sizes must be at most {} (tileQ {}, tileK {})",
                          attn::kMaxTileSize, tq, tk));
  }
  // The largest tiles work, and a shape whose map cannot exist is an error
  // before anything is allocated.
  attn::CompileOptions big;
  big.tileQ = big.tileK = attn::kMaxTileSize;
  big.target = attn::Target::CPU;
  attn::Program p = attn::Program::compileString("pattern p { mask causal() }",
                                                 big);
  EXPECT_EQ(p.allowedPairs(1, 1500, 1500), 1500 * 1501 / 2);
  big.tileQ = big.tileK = 1;
  attn::Program tiny =
      attn::Program::compileString("pattern p { mask causal() }", big);
  std::string e = attn::test::errorOf(
      [&] { tiny.blockMap(1, int64_t(1) << 40, int64_t(1) << 40); });
  EXPECT_NE(e.find("is too large"), std::string::npos) << e;
}

} // namespace

/// The other kernel builds (ATTNC_CPU_KERNEL): the baseline ISA, and the
/// AVX-512 build's 16-lane code compiled for AVX2 ("wide16"), on a subset of
/// the cases that covers row tails, ragged tiles, odd head dims, GQA,
/// decoding, strides and empty rows.
class ProgramBuildTest
    : public ProgramTestBase,
      public ::testing::WithParamInterface<
          std::tuple<Case, attn::DType, std::string>> {};

TEST_P(ProgramBuildTest, MatchesReference) {
  auto [c, dtype, build] = GetParam();
  struct EnvGuard {
    ~EnvGuard() { unsetenv("ATTNC_CPU_KERNEL"); }
  } guard;
  setenv("ATTNC_CPU_KERNEL", build.c_str(), 1);
  if (build != attn::cpu::kernelBuildName())
    GTEST_SKIP() << "this CPU does not run the " << build << " kernel build";
  checkCase(c, dtype);
}

std::vector<Case> buildCases() {
  std::vector<Case> out;
  for (const Case &c : cases())
    for (const char *name : {"causal", "decode", "chunked", "gqa",
                             "empty_rows", "bshd", "bigbird", "causal_d64",
                             "sliding_d128", "causal_d24"})
      if (c.name == name)
        out.push_back(c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Builds, ProgramBuildTest,
    ::testing::Combine(::testing::ValuesIn(buildCases()),
                       ::testing::Values(attn::DType::F32, attn::DType::BF16),
                       ::testing::Values(std::string("generic"),
                                         std::string("wide16"))),
    [](const auto &info) {
      return std::get<0>(info.param).name + "_" +
             (std::get<1>(info.param) == attn::DType::F32 ? "f32" : "bf16") +
             "_" + std::get<2>(info.param);
    });

TEST(KernelBuild, DefaultIsTheWidestTheCpuRuns) {
  unsetenv("ATTNC_CPU_KERNEL");
  std::string name = attn::cpu::kernelBuildName();
#if defined(__x86_64__)
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("f16c");
  EXPECT_EQ(name, avx2 && __builtin_cpu_supports("avx512f") ? "avx512"
                  : avx2                                    ? "avx2"
                                                            : "generic");
#endif
  // Unknown names are ignored.
  setenv("ATTNC_CPU_KERNEL", "sse9", 1);
  EXPECT_EQ(name, attn::cpu::kernelBuildName());
  setenv("ATTNC_CPU_KERNEL", "generic", 1);
  EXPECT_STREQ("generic", attn::cpu::kernelBuildName());
  unsetenv("ATTNC_CPU_KERNEL");
}
