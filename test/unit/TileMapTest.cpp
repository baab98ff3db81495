//===- TileMapTest.cpp - attnc's streamed JIT block maps and pair counts --===//
//
// tools/attnc/TileMap walks a block map row by row in chunks, on several
// workers, with the JIT-compiled entry points. Its rows must equal those of
// one whole-grid call of the same entry point (what attnc run builds), for
// any chunk size and worker count, and be sound against the exact map of
// the reference mask; countPairs() must count exactly the pairs and cell
// densities of the reference mask, for every batch index.
//
//===----------------------------------------------------------------------===//
#include "tools/attnc/TileMap.h"
#include "AttnTestContext.h"
#include "codegen/CpuLowering.h"
#include "passes/Passes.h"
#include "runtime/reference/BlockMap.h"
#include "runtime/reference/Reference.h"
#include "tools/attnc/Render.h"
#include <gtest/gtest.h>
#include <mutex>

using namespace attnc;
namespace ma = mlir::attn;

namespace {

struct Case {
  std::string name, source;
  int64_t nq, nk, heads, tileQ, tileK, batches = 1;
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

std::vector<Case> cases() {
  return {
      {"causal", "pattern p { mask causal() }", 200, 200, 1, 16, 16},
      {"sliding_kv", "pattern p { mask sliding(5) }", 37, 53, 1, 8, 4},
      {"per_head",
       "pattern p { heads 2\n mask[0:1] causal()\n mask[1:2] sliding(3) }", 45,
       45, 2, 8, 8},
      {"batch_window", "pattern p { mask k <= p & p - k <= b * 3 }", 70, 61, 1,
       8, 16, 3},
      {"checker", "pattern p { mask (q / 3 + k / 5) % 2 == 0 }", 50, 47, 1, 7,
       9},
      {"power", "pattern p { mask power() }", 300, 300, 1, 32, 16},
      {"one_token", "pattern p { mask causal() }", 1, 1, 1, 64, 64},
  };
}

class TileMapTest : public ::testing::TestWithParam<Case>,
                    public attn::test::AttnTestContext {
public:
  TileMapTest() : AttnTestContext(ma::registerCpuLoweringDialects) {}

  void SetUp() override {
    const Case &c = GetParam();
    module = compilePattern(c.source, c.name + ".attn", {}, c.tileQ, c.tileK);
    ASSERT_TRUE(module) << diagnostics;
    std::string error;
    code = JitPattern::compile(*module, "p", error);
    ASSERT_TRUE(code) << error << diagnostics;
  }

  ma::PatternOp pattern() { return module->lookupSymbol<ma::PatternOp>("p"); }

  MapDims dims(int64_t batch) const {
    const Case &c = GetParam();
    MapDims d;
    d.batch = batch;
    d.nq = c.nq;
    d.nk = c.nk;
    d.tileQ = c.tileQ;
    d.tileK = c.tileK;
    return d;
  }

  /// FULL and PARTIAL lists of every row of one whole-grid entry-point call.
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>>
  wholeGrid(const MapDims &d, int64_t head) {
    int64_t nqt = d.numQTiles(), nkt = d.numKTiles();
    std::vector<int64_t> ctx = {d.batch, head,    d.nq, d.nk,
                                d.tileQ, d.tileK, nqt,  nkt};
    std::vector<int8_t> classes(static_cast<size_t>(nqt * nkt), -1);
    code->entryPoints().blockMap(ctx.data(), classes.data(), 0, nqt);
    std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> rows(
        static_cast<size_t>(nqt));
    for (int64_t r = 0; r < nqt; ++r)
      for (int64_t c = 0; c < nkt; ++c) {
        int8_t cls = classes[static_cast<size_t>(r * nkt + c)];
        EXPECT_TRUE(cls >= 0 && cls <= 2) << "class " << int(cls);
        if (cls == 2)
          rows[r].first.push_back(int32_t(c));
        else if (cls == 1)
          rows[r].second.push_back(int32_t(c));
      }
    return rows;
  }

  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<JitPattern> code;
};

/// Collects rows in the order they are handed out.
struct Collector : RowVisitor {
  std::vector<int64_t> order;
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> rows;
  std::vector<int64_t> workedRows;
  std::mutex mutex;
  int64_t stopAfter = -1;
  void work(unsigned, const TileRow &r) override {
    std::lock_guard<std::mutex> lock(mutex);
    workedRows.push_back(r.qTile);
  }
  bool row(const TileRow &r) override {
    order.push_back(r.qTile);
    rows.push_back({r.full.vec(), r.partial.vec()});
    return stopAfter < 0 || int64_t(order.size()) < stopAfter;
  }
};

TEST_P(TileMapTest, StreamedRowsEqualTheWholeGridMap) {
  const Case &c = GetParam();
  for (int64_t batch = 0; batch < c.batches; ++batch)
    for (int64_t head = 0; head < c.heads; ++head) {
      MapDims d = dims(batch);
      auto expected = wholeGrid(d, head);
      int64_t nkt = d.numKTiles();
      // One row per chunk, a few rows per chunk, everything in one chunk.
      for (int64_t chunk : {int64_t(1), 3 * nkt + 1, TileMapper::kChunkBytes})
        for (unsigned threads : {1u, 3u}) {
          SCOPED_TRACE(testing::Message()
                       << "batch " << batch << " head " << head << " chunk "
                       << chunk << " threads " << threads);
          TileMapper mapper(*code, d, threads, chunk);
          Collector got;
          ASSERT_TRUE(mapper.forEachRow(head, got));
          ASSERT_EQ(got.rows.size(), expected.size());
          for (size_t r = 0; r < expected.size(); ++r) {
            EXPECT_EQ(got.order[r], int64_t(r));
            EXPECT_EQ(got.rows[r], expected[r]) << "row " << r;
          }
          std::sort(got.workedRows.begin(), got.workedRows.end());
          EXPECT_EQ(got.workedRows, got.order);
        }
    }
}

TEST_P(TileMapTest, MapIsSoundForTheReferenceMask) {
  const Case &c = GetParam();
  for (int64_t batch = 0; batch < c.batches; ++batch) {
    ma::MaskDims md{c.batches, c.heads, c.nq, c.nk};
    auto eval = ma::MaskEvaluator::create(pattern(), {}, md);
    ASSERT_TRUE(mlir::succeeded(eval)) << diagnostics;
    // The exact map of this batch index, from the reference.
    ma::BlockMap exact, generated;
    for (ma::BlockMap *m : {&exact, &generated}) {
      m->tileQ = c.tileQ;
      m->tileK = c.tileK;
      m->heads = c.heads;
      m->nq = c.nq;
      m->nk = c.nk;
      m->numQTiles = dims(batch).numQTiles();
      m->numKTiles = dims(batch).numKTiles();
    }
    TileMapper mapper(*code, dims(batch), 2, 64);
    for (int64_t h = 0; h < c.heads; ++h) {
      for (int64_t r = 0; r < exact.numQTiles; ++r) {
        ma::BlockMap::Row row;
        for (int64_t t = 0; t < exact.numKTiles; ++t) {
          int64_t all = 0, set = 0;
          for (int64_t q = r * c.tileQ; q < std::min(c.nq, (r + 1) * c.tileQ);
               ++q)
            for (int64_t k = t * c.tileK; k < std::min(c.nk, (t + 1) * c.tileK);
                 ++k) {
              ++all;
              set += eval->at(batch, h, q, k);
            }
          if (set == all)
            row.full.push_back(int32_t(t));
          else if (set)
            row.partial.push_back(int32_t(t));
        }
        exact.rows.push_back(row);
      }
      Collector got;
      ASSERT_TRUE(mapper.forEachRow(h, got));
      for (auto &[full, partial] : got.rows)
        generated.rows.push_back({full, partial});
    }
    EXPECT_EQ(ma::checkBlockMapSound(generated, exact), "")
        << "batch " << batch;
  }
}

TEST_P(TileMapTest, PairCountsAndCellsAreExact) {
  const Case &c = GetParam();
  ma::MaskDims md{c.batches, c.heads, c.nq, c.nk};
  auto eval = ma::MaskEvaluator::create(pattern(), {}, md);
  ASSERT_TRUE(mlir::succeeded(eval)) << diagnostics;
  for (int64_t batch = 0; batch < c.batches; ++batch)
    for (int64_t head = 0; head < c.heads; ++head)
      for (unsigned threads : {1u, 3u}) {
        SCOPED_TRACE(testing::Message() << "batch " << batch << " head " << head
                                        << " threads " << threads);
        TileMapper mapper(*code, dims(batch), threads, 3 * c.nk, 2 * c.nk);
        attn::CountGrid coarse(c.nq, c.nk, 5, 7), fine(c.nq, c.nk, 64, 64);
        PairCounts counts = countPairs(mapper, head, {&coarse, &fine});
        auto allowed = [&](int64_t q, int64_t k) {
          return eval->at(batch, head, q, k);
        };
        int64_t exact = 0;
        for (int64_t q = 0; q < c.nq; ++q)
          for (int64_t k = 0; k < c.nk; ++k)
            exact += allowed(q, k);
        EXPECT_EQ(counts.allowed, exact);
        Collector rows;
        mapper.forEachRow(head, rows);
        int64_t full = 0, partial = 0;
        for (auto &[f, p] : rows.rows) {
          full += int64_t(f.size());
          partial += int64_t(p.size());
        }
        EXPECT_EQ(counts.full, full);
        EXPECT_EQ(counts.partial, partial);
        for (attn::CountGrid *g : {&coarse, &fine}) {
          attn::DensityGrid want =
              attn::downsampleMask(c.nq, c.nk, g->rows(), g->cols(), allowed);
          attn::DensityGrid have = g->density();
          ASSERT_EQ(have.rows, want.rows);
          ASSERT_EQ(have.cols, want.cols);
          EXPECT_EQ(have.density, want.density);
        }
      }
}

TEST_P(TileMapTest, VisitorStopsTheWalk) {
  const Case &c = GetParam();
  MapDims d = dims(0);
  if (d.numQTiles() < 3)
    GTEST_SKIP() << "needs three query tiles";
  TileMapper mapper(*code, d, 2, 1);
  Collector got;
  got.stopAfter = 2;
  EXPECT_FALSE(mapper.forEachRow(0, got));
  EXPECT_EQ(got.order, (std::vector<int64_t>{0, 1}));
  (void)c;
}

INSTANTIATE_TEST_SUITE_P(Patterns, TileMapTest, ::testing::ValuesIn(cases()),
                         [](const auto &info) { return info.param.name; });

} // namespace
