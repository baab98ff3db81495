//===- ReferenceTest.cpp - unit tests of the reference pattern semantics --===//

#include "runtime/reference/BigBird.h"
#include "runtime/reference/BlockMap.h"
#include "runtime/reference/Reference.h"

#include "dialect/AttnDialect.h"
#include "dialect/AttnOps.h"
#include "passes/Pipeline.h"
#include "runtime/reference/ArithInterpreter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <tuple>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Python floor division and modulo, written independently of the library.
int64_t pyDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t pyMod(int64_t a, int64_t b) { return a - pyDiv(a, b) * b; }

class ReferenceTest : public ::testing::Test {
protected:
  ReferenceTest() {
    ctx.loadDialect<AttnDialect, arith::ArithDialect, func::FuncDialect,
                    math::MathDialect, memref::MemRefDialect,
                    scf::SCFDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &ctx, [this](Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return success();
        });
  }

  PatternOp parse(StringRef src, StringRef name = "p") {
    module = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(module) << "parse failed:\n" << src.str() << "\n"
                        << diagnostics;
    if (!module)
      return PatternOp();
    auto p = module->lookupSymbol<PatternOp>(name);
    EXPECT_TRUE(p) << "no pattern @" << name.str();
    return p;
  }

  /// Rows of the mask of head `head`, joined by '|': "1100|0110".
  std::string mask(PatternOp p, int64_t nq, int64_t nk,
                   ArrayRef<int64_t> params = {}, int64_t heads = 1,
                   int64_t head = 0) {
    if (!p)
      return "<no pattern>";
    FailureOr<std::vector<uint8_t>> m =
        evaluateMask(p, params, MaskDims{1, heads, nq, nk});
    if (failed(m))
      return "<error: " + diagnostics + ">";
    std::string s;
    for (int64_t q = 0; q < nq; ++q) {
      if (q)
        s += '|';
      for (int64_t k = 0; k < nk; ++k)
        s += (*m)[(head * nq + q) * nk + k] ? '1' : '0';
    }
    return s;
  }

  std::string maskOf(StringRef body, int64_t nq, int64_t nk) {
    return mask(parse(wrap(body)), nq, nk);
  }

  /// A pattern @p() with the given body (which defines %m).
  static std::string wrap(StringRef body, StringRef header = "()") {
    return "attn.pattern @p" + header.str() + " {\n" + body.str() +
           "\n  attn.yield %m : !attn.mask\n}\n";
  }

  /// Compares every element with `expected(h, q, p, k)`.
  void expectMatches(PatternOp p, const MaskDims &dims,
                     const std::function<bool(int64_t, int64_t, int64_t,
                                              int64_t)> &expected,
                     ArrayRef<int64_t> params = {}) {
    ASSERT_TRUE(p);
    FailureOr<MaskEvaluator> ev = MaskEvaluator::create(p, params, dims);
    ASSERT_TRUE(succeeded(ev)) << diagnostics;
    FailureOr<std::vector<uint8_t>> m = evaluateMask(p, params, dims);
    ASSERT_TRUE(succeeded(m)) << diagnostics;
    int errors = 0;
    for (int64_t h = 0; h < dims.heads; ++h)
      for (int64_t q = 0; q < dims.nq; ++q)
        for (int64_t k = 0; k < dims.nk; ++k) {
          bool want = expected(h, q, q + dims.nk - dims.nq, k);
          bool got = (*m)[(h * dims.nq + q) * dims.nk + k];
          EXPECT_EQ(ev->at(0, h, q, k), got);
          if (got != want && errors++ < 5)
            ADD_FAILURE() << "h " << h << " q " << q << " k " << k
                          << " (Nq " << dims.nq << ", Nk " << dims.nk
                          << "): got " << got << ", expected " << want;
        }
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::string diagnostics;
};

//===----------------------------------------------------------------------===//
// Hand-computed masks
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, FullEmptyCausal) {
  EXPECT_EQ(maskOf("%m = attn.full", 2, 3), "111|111");
  EXPECT_EQ(maskOf("%m = attn.empty", 2, 3), "000|000");
  EXPECT_EQ(maskOf("%m = attn.causal", 4, 4), "1000|1100|1110|1111");
  // Nq < Nk: bottom-right aligned, p = q + 2.
  EXPECT_EQ(maskOf("%m = attn.causal", 2, 4), "1110|1111");
  // Nq > Nk: the first queries see nothing.
  EXPECT_EQ(maskOf("%m = attn.causal", 4, 2), "00|00|10|11");
}

TEST_F(ReferenceTest, Sliding) {
  const char *body = "%c = arith.constant 2 : i64\n%m = attn.sliding(%c)";
  EXPECT_EQ(maskOf(body, 4, 4), "1000|1100|0110|0011");
  EXPECT_EQ(maskOf(body, 3, 5), "01100|00110|00011");
  EXPECT_EQ(maskOf(body, 3, 2), "00|10|11");
}

TEST_F(ReferenceTest, Band) {
  const char *body = "%l = arith.constant 1 : i64\n"
                     "%r = arith.constant 2 : i64\n"
                     "%m = attn.band(%l, %r)";
  EXPECT_EQ(maskOf(body, 4, 4), "1110|1111|0111|0011");
  EXPECT_EQ(maskOf(body, 2, 5), "00111|00011");
}

TEST_F(ReferenceTest, Sink) {
  const char *body = "%c = arith.constant 2 : i64\n%m = attn.sink(%c)";
  EXPECT_EQ(maskOf(body, 2, 4), "1100|1100");
  EXPECT_EQ(maskOf("%c = arith.constant 0 : i64\n%m = attn.sink(%c)", 1, 3),
            "000");
}

TEST_F(ReferenceTest, Global) {
  const char *body = "%m = attn.global [0, 3]";
  EXPECT_EQ(maskOf(body, 5, 5), "11111|10010|10010|11111|10010");
  // p = q + 3: query 0 is position 3 (a global row).
  EXPECT_EQ(maskOf(body, 2, 5), "11111|10010");
  // A position beyond the keys only marks rows/columns that exist.
  EXPECT_EQ(maskOf("%m = attn.global [1, 9]", 3, 3),
            "010|111|010");
}

TEST_F(ReferenceTest, BlockSliding) {
  const char *body = "%b = arith.constant 2 : i64\n"
                     "%w = arith.constant 2 : i64\n"
                     "%m = attn.block_sliding(%b, %w)";
  // Blocks of 2; the diagonal block and the one before it.
  EXPECT_EQ(maskOf(body, 6, 6),
            "110000|110000|111100|111100|001111|001111");
  // Nq = 3, Nk = 6: p = 3, 4, 5.
  EXPECT_EQ(maskOf(body, 3, 6), "111100|001111|001111");
}

TEST_F(ReferenceTest, Power2) {
  const char *body = "%b = arith.constant 1 : i64\n%m = attn.power2(%b)";
  // d = p - k in {0, 1, 2, 4}.
  EXPECT_EQ(maskOf(body, 6, 6),
            "100000|110000|111000|011100|101110|010111");
  const char *blocks = "%b = arith.constant 2 : i64\n%m = attn.power2(%b)";
  // Block distances 0, 1, 2 (all powers of two or zero up to 2).
  EXPECT_EQ(maskOf(blocks, 6, 6),
            "110000|110000|111100|111100|111111|111111");
}

TEST_F(ReferenceTest, Stripe) {
  // (k - 2) % 3 < 1: columns 2 and 5 (and -1 -> no).
  EXPECT_EQ(maskOf("%s = arith.constant 3 : i64\n%w = arith.constant 1 : i64\n"
                   "%o = arith.constant 2 : i64\n"
                   "%m = attn.stripe(%s, %w, %o)",
                   2, 7),
            "0010010|0010010");
  // Width 2, offset 0: columns 0, 1, 4, 5.
  EXPECT_EQ(maskOf("%s = arith.constant 4 : i64\n%w = arith.constant 2 : i64\n"
                   "%o = arith.constant 0 : i64\n"
                   "%m = attn.stripe(%s, %w, %o)",
                   1, 7),
            "1100110");
  // A negative offset still uses the non-negative remainder.
  EXPECT_EQ(maskOf("%s = arith.constant 3 : i64\n%w = arith.constant 1 : i64\n"
                   "%o = arith.constant -1 : i64\n"
                   "%m = attn.stripe(%s, %w, %o)",
                   1, 7),
            "0010010");
}

TEST_F(ReferenceTest, Strided) {
  // (p - k) % 3 == 0 also for k > p (Python modulo).
  const char *body = "%s = arith.constant 3 : i64\n%m = attn.strided(%s)";
  EXPECT_EQ(maskOf(body, 4, 4), "1001|0100|0010|1001");
  EXPECT_EQ(maskOf(body, 2, 4), "0010|1001");
}

TEST_F(ReferenceTest, BlockLayout2d) {
  const char *body =
      "%b = arith.constant 2 : i64\n"
      "%m = attn.block_layout(%b) table dense<[[true, false], [true, true]]> "
      ": tensor<2x2xi1>";
  EXPECT_EQ(maskOf(body, 4, 4), "1100|1100|1111|1111");
  // Nq < Nk: the table is indexed by the aligned query p = q + 2.
  EXPECT_EQ(maskOf(body, 2, 4), "1111|1111");
  // Nq > Nk: rows before the first key (p < 0) are not attended.
  EXPECT_EQ(maskOf(body, 5, 3), "000|000|110|110|111");
  // A 6x6 sequence needs 3x3 blocks: the table is too small (docs/LANGUAGE.md).
  diagnostics.clear();
  PatternOp p = parse(wrap(body));
  EXPECT_TRUE(failed(evaluateMask(p, {}, MaskDims{1, 1, 6, 6})));
  EXPECT_NE(diagnostics.find("block_layout table of 2x2 blocks is smaller "
                             "than the 3x3 block grid"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ReferenceTest, BlockLayoutPerHead) {
  PatternOp p = parse(wrap(
      "%b = arith.constant 1 : i64\n"
      "%m = attn.block_layout(%b) table dense<[[[true, false], [false, "
      "true]], [[false, true], [true, false]]]> : tensor<2x2x2xi1>"));
  EXPECT_EQ(mask(p, 2, 2, {}, 2, 0), "10|01");
  EXPECT_EQ(mask(p, 2, 2, {}, 2, 1), "01|10");
  // One head requested: fine (head 0).
  EXPECT_EQ(mask(p, 2, 2, {}, 1, 0), "10|01");
  // Three heads requested, two in the table: an error, not a crash.
  diagnostics.clear();
  EXPECT_TRUE(failed(evaluateMask(p, {}, MaskDims{1, 3, 2, 2})));
  EXPECT_NE(diagnostics.find("table has 2 heads, but 3 heads were requested"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ReferenceTest, SplitMix64) {
  // The first output of the reference SplitMix64 generator seeded with 0.
  EXPECT_EQ(::attn::bigbird::splitmix64(0), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(::attn::bigbird::splitmix64(0x9E3779B97F4A7C15ull),
            0x6E789E6AA1B965F4ull);
}

TEST_F(ReferenceTest, BigBird) {
  const int64_t B = 2, window = 3, globals = 1, random = 2, seed = 7;
  PatternOp p = parse(wrap("%b = arith.constant 2 : i64\n"
                           "%w = arith.constant 3 : i64\n"
                           "%g = arith.constant 1 : i64\n"
                           "%r = arith.constant 2 : i64\n"
                           "%s = arith.constant 7 : i64\n"
                           "%m = attn.bigbird(%b, %w, %g, %r, %s)"));
  for (auto [nq, nk] : {std::pair<int64_t, int64_t>{16, 16}, {6, 16}, {15, 15},
                        {16, 9}}) {
    MaskDims dims{1, 2, nq, nk};
    int64_t numK = (nk + B - 1) / B;
    // The definition, written out independently of BigBird.h's helpers
    // (except the key function).
    auto expected = [&](int64_t h, int64_t, int64_t pp, int64_t k) {
      int64_t r = pyDiv(pp, B), c = pyDiv(k, B);
      auto isStatic = [&](int64_t cc) {
        return std::abs(r - cc) <= window / 2 || r < globals || cc < globals;
      };
      if (isStatic(c))
        return true;
      std::vector<std::pair<uint64_t, int64_t>> cands;
      for (int64_t cc = 0; cc < numK; ++cc)
        if (!isStatic(cc))
          cands.push_back({::attn::bigbird::blockKey(seed, h, r, cc), cc});
      std::sort(cands.begin(), cands.end());
      for (size_t i = 0; i < cands.size() && i < size_t(random); ++i)
        if (cands[i].second == c)
          return true;
      return false;
    };
    expectMatches(p, dims, expected);
  }
  // Every row block of a long sequence gets exactly `random` extra blocks.
  FailureOr<MaskEvaluator> ev =
      MaskEvaluator::create(p, {}, MaskDims{1, 1, 64, 64});
  ASSERT_TRUE(succeeded(ev));
  for (int64_t r = 1; r < 32; ++r) {
    int64_t extra = 0;
    for (int64_t c = 1; c < 32; ++c)
      extra += std::abs(r - c) > 1 && ev->at(0, 0, r * B, c * B);
    EXPECT_EQ(extra, random) << "row block " << r;
  }
  // The key depends on the seed and head: different heads differ somewhere.
  FailureOr<std::vector<uint8_t>> m2 =
      evaluateMask(p, {}, MaskDims{1, 2, 64, 64});
  ASSERT_TRUE(succeeded(m2));
  EXPECT_FALSE(std::equal(m2->begin(), m2->begin() + 64 * 64,
                          m2->begin() + 64 * 64));
}

TEST_F(ReferenceTest, Window2d) {
  PatternOp p = parse(wrap("%h = arith.constant 2 : i64\n"
                           "%w = arith.constant 2 : i64\n"
                           "%s = arith.constant 1 : i64\n"
                           "%m = attn.window2d(%h, %w, %s) grid [4, 4]",
                           "()"));
  // Tokens n = y * 4 + x; shift 1 groups rows {0}, {1, 2}, {3}.
  expectMatches(p, MaskDims{1, 1, 16, 16},
                [](int64_t, int64_t, int64_t pp, int64_t k) {
                  int64_t qy = pp / 4, qx = pp % 4, ky = k / 4, kx = k % 4;
                  return pyDiv(qy - 1, 2) == pyDiv(ky - 1, 2) &&
                         pyDiv(qx - 1, 2) == pyDiv(kx - 1, 2);
                });
  // Hand-checked row: token 5 = (1, 1) sees (1..2) x (1..2) = 5, 6, 9, 10.
  std::string all = mask(p, 16, 16);
  EXPECT_EQ(all.substr(5 * 17, 16), "0000011001100000");
}

TEST_F(ReferenceTest, Neighborhood) {
  PatternOp p = parse(wrap("%h = arith.constant 3 : i64\n"
                           "%w = arith.constant 3 : i64\n"
                           "%m = attn.neighborhood(%h, %w) grid [5, 5]"));
  FailureOr<std::vector<uint8_t>> m = evaluateMask(p, {}, {1, 1, 25, 25});
  ASSERT_TRUE(succeeded(m)) << diagnostics;
  for (int64_t q = 0; q < 25; ++q) {
    int64_t count = 0;
    for (int64_t k = 0; k < 25; ++k)
      count += (*m)[q * 25 + k];
    EXPECT_EQ(count, 9) << "query " << q;
  }
  // Corner (0, 0): the window shifts to rows/cols 0..2.
  std::string all = mask(p, 25, 25);
  EXPECT_EQ(all.substr(0, 25), "1110011100111000000000000");
  // Centre (2, 2) = token 12: rows/cols 1..3.
  EXPECT_EQ(all.substr(12 * 26, 25), "0000001110011100111000000");
}

TEST_F(ReferenceTest, Axial) {
  PatternOp p = parse(wrap("%m = attn.axial grid [2, 3]"));
  // Token 4 = (1, 1): row 1 (3, 4, 5) and column 1 (1, 4).
  std::string all = mask(p, 6, 6);
  EXPECT_EQ(all, "111100|111010|111001|100111|010111|001111");
}

TEST_F(ReferenceTest, GridMustMatchLengths) {
  PatternOp p = parse(wrap("%m = attn.axial grid [2, 3]"));
  diagnostics.clear();
  EXPECT_TRUE(failed(evaluateMask(p, {}, {1, 1, 6, 8})));
  EXPECT_NE(diagnostics.find("grid 2x3 needs Nq = Nk = 6, got Nq = 6 and "
                             "Nk = 8"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ReferenceTest, SetAlgebra) {
  const char *prefix = "%c2 = arith.constant 2 : i64\n"
                       "%a = attn.sliding(%c2)\n"
                       "%b = attn.sink(%c2)\n";
  EXPECT_EQ(maskOf(std::string(prefix) + "%m = attn.union %a, %b", 4, 4),
            "1100|1100|1110|1111");
  EXPECT_EQ(maskOf(std::string(prefix) + "%m = attn.intersect %a, %b", 4, 4),
            "1000|1100|0100|0000");
  EXPECT_EQ(maskOf(std::string(prefix) + "%m = attn.complement %a", 4, 4),
            "0111|0011|1001|1100");
  EXPECT_EQ(maskOf(std::string(prefix) + "%m = attn.difference %a, %b", 4, 4),
            "0000|0000|0010|0011");
  // A shared sub-mask used twice.
  EXPECT_EQ(maskOf(std::string(prefix) +
                       "%x = attn.causal\n%u = attn.union %a, %x\n"
                       "%m = attn.intersect %u, %x",
                   3, 3),
            "100|110|111");
}

TEST_F(ReferenceTest, PowerAttentionExpression) {
  // causal & (block_sliding(B, w) | power2(B) | sink(B)), checked against
  // the formula on several shapes.
  PatternOp p = parse(wrap("%B = arith.constant 4 : i64\n"
                           "%w = arith.constant 2 : i64\n"
                           "%c = attn.causal\n"
                           "%s = attn.block_sliding(%B, %w)\n"
                           "%q = attn.power2(%B)\n"
                           "%k = attn.sink(%B)\n"
                           "%u1 = attn.union %s, %q\n"
                           "%u2 = attn.union %u1, %k\n"
                           "%m = attn.intersect %c, %u2"));
  auto expected = [](int64_t, int64_t, int64_t pp, int64_t k) {
    int64_t d = pyDiv(pp, 4) - pyDiv(k, 4);
    bool bs = 0 <= d && d < 2;
    bool p2 = d >= 0 && (d & (d - 1)) == 0;
    return k <= pp && (bs || p2 || k < 4);
  };
  for (auto [nq, nk] : {std::pair<int64_t, int64_t>{37, 37}, {5, 40}, {40, 9}})
    expectMatches(p, MaskDims{1, 1, nq, nk}, expected);
}

TEST_F(ReferenceTest, SelectHeads) {
  PatternOp p = parse(wrap("%c1 = arith.constant 1 : i64\n"
                           "%a = attn.sliding(%c1)\n"
                           "%b = attn.causal\n"
                           "%m = attn.select_heads %a, %b bounds [0, 1, 3]",
                           "() heads 3"));
  EXPECT_EQ(mask(p, 3, 3, {}, 3, 0), "100|010|001");
  EXPECT_EQ(mask(p, 3, 3, {}, 3, 1), "100|110|111");
  EXPECT_EQ(mask(p, 3, 3, {}, 3, 2), "100|110|111");
  diagnostics.clear();
  EXPECT_TRUE(failed(evaluateMask(p, {}, MaskDims{1, 2, 3, 3})));
  EXPECT_NE(diagnostics.find("has 3 heads, but 2 were requested"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ReferenceTest, Predicate) {
  // k <= q & (q - k) % s == 0 with s = 3 from the pattern body; it uses q,
  // not p, so Nq != Nk shows the difference.
  PatternOp p = parse(wrap(R"mlir(
  %s = arith.constant 3 : i64
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %d = arith.subi %q, %k : i64
    %r = arith.remsi %d, %s : i64
    %c0 = arith.constant 0 : i64
    %z = arith.cmpi eq, %r, %c0 : i64
    %le = arith.cmpi sle, %k, %q : i64
    %y = arith.andi %z, %le : i1
    attn.yield %y : i1
  })mlir"));
  EXPECT_EQ(mask(p, 4, 4), "1000|0100|0010|1001");
  EXPECT_EQ(mask(p, 2, 5), "10000|01000");
  expectMatches(p, MaskDims{1, 1, 9, 13},
                [](int64_t, int64_t q, int64_t, int64_t k) {
                  return k <= q && (q - k) % 3 == 0;
                });
}

TEST_F(ReferenceTest, PredicateHeadsAndGrid) {
  PatternOp p = parse(wrap(R"mlir(
  %m = attn.predicate grid [3, 3] {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64, %qy: i64, %qx: i64, %ky: i64, %kx: i64):
    %e = arith.cmpi eq, %qy, %ky : i64
    %x = arith.cmpi sle, %kx, %qx : i64
    %c = arith.andi %e, %x : i1
    %h1 = arith.constant 1 : i64
    %odd = arith.cmpi eq, %h, %h1 : i64
    %y = arith.xori %c, %odd : i1
    attn.yield %y : i1
  })mlir"));
  expectMatches(p, MaskDims{1, 2, 9, 9},
                [](int64_t h, int64_t, int64_t pp, int64_t k) {
                  bool c = pp / 3 == k / 3 && k % 3 <= pp % 3;
                  return h == 1 ? !c : c;
                });
}

TEST_F(ReferenceTest, RuntimeParameters) {
  PatternOp p = parse(wrap("%c2 = arith.constant 2 : i64\n"
                           "%w2 = arith.muli %w, %c2 : i64\n"
                           "%m = attn.sliding(%w2)",
                           "(param %w: i64, %unused: i64 = 4)"));
  ASSERT_TRUE(p);
  EXPECT_EQ(MaskEvaluator::numRuntimeParams(p), 1u);
  EXPECT_EQ(mask(p, 4, 4, {1}), "1000|1100|0110|0011");
  EXPECT_EQ(mask(p, 4, 4, {2}), "1000|1100|1110|1111");
  diagnostics.clear();
  EXPECT_TRUE(failed(evaluateMask(p, {}, MaskDims{1, 1, 4, 4})));
  EXPECT_NE(diagnostics.find("expects 1 run-time parameter"),
            std::string::npos)
      << diagnostics;
  // A run-time value outside the primitive's range is an error.
  diagnostics.clear();
  EXPECT_TRUE(failed(evaluateMask(p, {0}, MaskDims{1, 1, 4, 4})));
  EXPECT_NE(diagnostics.find("sliding window must be at least 1, got 0"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ReferenceTest, RuntimeParameterInPredicate) {
  PatternOp p = parse(wrap(R"mlir(
  %m = attn.predicate {
  ^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):
    %d = arith.subi %p, %k : i64
    %y = arith.cmpi eq, %d, %off : i64
    attn.yield %y : i1
  })mlir",
                           "(param %off: i64)"));
  EXPECT_EQ(mask(p, 3, 3, {1}), "000|100|010");
  EXPECT_EQ(mask(p, 3, 3, {-2}), "001|000|000");
}

TEST_F(ReferenceTest, CallIsAnError) {
  module = parseSourceString<ModuleOp>(R"mlir(
    attn.pattern @inner() {
      %m = attn.causal
      attn.yield %m : !attn.mask
    }
    attn.pattern @p() {
      %m = attn.call @inner()
      attn.yield %m : !attn.mask
    })mlir",
                                       &ctx);
  ASSERT_TRUE(module) << diagnostics;
  auto p = module->lookupSymbol<PatternOp>("p");
  diagnostics.clear();
  EXPECT_TRUE(failed(evaluateMask(p, {}, MaskDims{1, 1, 2, 2})));
  EXPECT_NE(diagnostics.find("attn.call @inner must be inlined"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ReferenceTest, LargeShapesWithoutDenseMemory) {
  PatternOp p = parse(wrap("%w = arith.constant 4096 : i64\n"
                           "%m = attn.sliding(%w)"));
  FailureOr<MaskEvaluator> ev =
      MaskEvaluator::create(p, {}, MaskDims{1, 1, 1000000, 1000000});
  ASSERT_TRUE(succeeded(ev)) << diagnostics;
  EXPECT_TRUE(ev->at(0, 0, 999999, 999999));
  EXPECT_TRUE(ev->at(0, 0, 999999, 999999 - 4095));
  EXPECT_FALSE(ev->at(0, 0, 999999, 999999 - 4096));
  EXPECT_FALSE(ev->at(0, 0, 5, 6));
}

//===----------------------------------------------------------------------===//
// Block maps
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, BlockMapFromMask) {
  PatternOp p = parse(wrap("%m = attn.causal"));
  FailureOr<std::vector<uint8_t>> m = evaluateMask(p, {}, {1, 1, 10, 10});
  ASSERT_TRUE(succeeded(m));
  BlockMap bm = blockMapFromMask(*m, 1, 10, 10, 4, 4);
  EXPECT_EQ(bm.numQTiles, 3);
  EXPECT_EQ(bm.numKTiles, 3);
  EXPECT_EQ(bm.row(0, 0).full, std::vector<int32_t>{});
  EXPECT_EQ(bm.row(0, 0).partial, std::vector<int32_t>{0});
  EXPECT_EQ(bm.row(0, 1).full, std::vector<int32_t>{0});
  EXPECT_EQ(bm.row(0, 1).partial, std::vector<int32_t>{1});
  // The last, clipped tile (rows 8..9, keys 8..9) is partial: 8 sees 8 only.
  EXPECT_EQ(bm.row(0, 2).full, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(bm.row(0, 2).partial, std::vector<int32_t>{2});
  EXPECT_EQ(bm.tilesVisited(), 6);
  EXPECT_DOUBLE_EQ(bm.density(), 6.0 / 9.0);
  FailureOr<MaskEvaluator> ev = MaskEvaluator::create(p, {}, {1, 1, 10, 10});
  ASSERT_TRUE(succeeded(ev));
  EXPECT_EQ(checkBlockMapSound(blockMapFromEvaluator(*ev, 4, 4), bm, true),
            "");
}

constexpr const char *kCausalClassifier = R"mlir(
  func.func @c__mask(%b: i64, %h: i64, %q: i64, %k: i64, %nq: i64, %nk: i64) -> i1 {
    %d = arith.subi %nk, %nq : i64
    %p = arith.addi %q, %d : i64
    %r = arith.cmpi sle, %k, %p : i64
    return %r : i1
  }
  func.func @c__classify(%b: i64, %h: i64, %q0: i64, %q1: i64, %k0: i64,
                         %k1: i64, %nq: i64, %nk: i64) -> i8 {
    %d = arith.subi %nk, %nq : i64
    %p0 = arith.addi %q0, %d : i64
    %p1 = arith.addi %q1, %d : i64
    %c1 = arith.constant 1 : i64
    %plast = arith.subi %p1, %c1 : i64
    %klast = arith.subi %k1, %c1 : i64
    %empty = arith.cmpi sgt, %k0, %plast : i64
    %full = arith.cmpi sle, %klast, %p0 : i64
    %e = arith.constant 0 : i8
    %pa = arith.constant 1 : i8
    %f = arith.constant 2 : i8
    %x = arith.select %full, %f, %pa : i8
    %r = arith.select %empty, %e, %x : i8
    return %r : i8
  }
  func.func @bad__classify(%b: i64, %h: i64, %q0: i64, %q1: i64, %k0: i64,
                           %k1: i64, %nq: i64, %nk: i64) -> i8 {
    %r = arith.constant 3 : i8
    return %r : i8
  }
  func.func @short__classify(%b: i64, %h: i64) -> i8 {
    %r = arith.constant 0 : i8
    return %r : i8
  }
  attn.pattern @c() {
    %m = attn.causal
    attn.yield %m : !attn.mask
  })mlir";

TEST_F(ReferenceTest, BuildBlockMapFromClassifier) {
  PatternOp p = parse(kCausalClassifier, "c");
  ASSERT_TRUE(p);
  for (auto [nq, nk, tq, tk] :
       {std::tuple<int64_t, int64_t, int64_t, int64_t>{10, 10, 4, 4},
        {7, 19, 4, 8},
        {19, 7, 8, 2},
        {64, 64, 16, 16},
        {1, 1, 16, 16}}) {
    FailureOr<BlockMap> gen = buildBlockMap(*module, "c", {}, 2, nq, nk, tq, tk);
    ASSERT_TRUE(succeeded(gen)) << diagnostics;
    FailureOr<std::vector<uint8_t>> m = evaluateMask(p, {}, {1, 2, nq, nk});
    ASSERT_TRUE(succeeded(m));
    BlockMap exact = blockMapFromMask(*m, 2, nq, nk, tq, tk);
    // The causal classifier is exact.
    EXPECT_EQ(checkBlockMapSound(*gen, exact, /*exactOnly=*/true), "")
        << nq << "x" << nk << " tiles " << tq << "x" << tk;
  }
}

TEST_F(ReferenceTest, SoundnessCheckFindsViolations) {
  PatternOp p = parse(wrap("%m = attn.causal"));
  FailureOr<std::vector<uint8_t>> m = evaluateMask(p, {}, {1, 1, 8, 8});
  ASSERT_TRUE(succeeded(m));
  BlockMap exact = blockMapFromMask(*m, 1, 8, 8, 4, 4);
  BlockMap all = exact;
  // Everything PARTIAL is sound (but not exact).
  for (BlockMap::Row &r : all.rows) {
    r.partial = {0, 1};
    r.full.clear();
  }
  EXPECT_EQ(checkBlockMapSound(all, exact), "");
  EXPECT_NE(checkBlockMapSound(all, exact, true), "");
  // Dropping a non-empty tile is unsound; calling a partial tile full too.
  BlockMap dropped = exact;
  dropped.rows[1].partial.clear();
  EXPECT_NE(checkBlockMapSound(dropped, exact).find("EMPTY, exact PARTIAL"),
            std::string::npos);
  BlockMap tooFull = exact;
  tooFull.rows[0].full = {0};
  tooFull.rows[0].partial.clear();
  EXPECT_NE(checkBlockMapSound(tooFull, exact).find("FULL, exact PARTIAL"),
            std::string::npos);
}

TEST_F(ReferenceTest, BlockMapErrors) {
  ASSERT_TRUE(parse(kCausalClassifier, "c"));
  diagnostics.clear();
  EXPECT_TRUE(failed(buildBlockMap(*module, "nope", {}, 1, 8, 8, 4, 4)));
  EXPECT_NE(diagnostics.find("no classifier @nope__classify"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(buildBlockMap(*module, "bad", {}, 1, 8, 8, 4, 4)));
  EXPECT_NE(diagnostics.find("returned 3"), std::string::npos) << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(buildBlockMap(*module, "short", {}, 1, 8, 8, 4, 4)));
  EXPECT_NE(diagnostics.find("must take 8 i64 arguments"), std::string::npos)
      << diagnostics;
  diagnostics.clear();
  // One run-time parameter too many for @c__classify.
  EXPECT_TRUE(failed(buildBlockMap(*module, "c", {5}, 1, 8, 8, 4, 4)));
  EXPECT_TRUE(failed(buildBlockMap(*module, "c", {}, 1, 8, 8, 0, 4)));
}

//===----------------------------------------------------------------------===//
// The generated code (attn pipeline + attn-classify-tiles) against the
// reference: the element predicate must agree exactly, the classifier must
// be sound (never FULL for a tile that is not, never EMPTY for a tile that
// has a pair).
//===----------------------------------------------------------------------===//

struct CrossCase {
  const char *name;
  const char *header; // parameters and attributes of @p
  const char *body;   // defines %m
  std::vector<std::vector<int64_t>> params = {{}};
  int64_t heads = 1;
  int64_t gridN = 0; // grid patterns: Nq = Nk = gridN only
  std::vector<std::pair<int64_t, int64_t>> shapes = {}; // default: all
};

const CrossCase kCrossCases[] = {
    {"causal", "()", "%m = attn.causal"},
    {"full", "()", "%m = attn.full"},
    {"sliding", "()", "%c = arith.constant 5 : i64\n%m = attn.sliding(%c)"},
    {"band", "()",
     "%l = arith.constant 3 : i64\n%r = arith.constant 2 : i64\n"
     "%m = attn.band(%l, %r)"},
    {"sink", "()", "%c = arith.constant 3 : i64\n%m = attn.sink(%c)"},
    {"global", "()", "%m = attn.global [0, 5, 17]"},
    {"block_sliding", "()",
     "%b = arith.constant 4 : i64\n%w = arith.constant 2 : i64\n"
     "%m = attn.block_sliding(%b, %w)"},
    {"power2", "()", "%b = arith.constant 4 : i64\n%m = attn.power2(%b)"},
    {"power2_1", "()", "%b = arith.constant 1 : i64\n%m = attn.power2(%b)"},
    {"stripe", "()",
     "%s = arith.constant 5 : i64\n%w = arith.constant 2 : i64\n"
     "%o = arith.constant 3 : i64\n%m = attn.stripe(%s, %w, %o)"},
    {"strided", "()", "%s = arith.constant 3 : i64\n%m = attn.strided(%s)"},
    {"block_layout", "()",
     "%b = arith.constant 8 : i64\n%m = attn.block_layout(%b) table "
     "dense<[[true, false, true], [false, true, false], [true, true, "
     "false]]> : tensor<3x3xi1>",
     {{}},
     1,
     0,
     {{24, 24}, {13, 20}, {20, 13}, {1, 1}, {30, 17}}},
    {"block_layout_heads", "()",
     "%b = arith.constant 16 : i64\n%m = attn.block_layout(%b) table "
     "dense<[[[true, false], [true, true]], [[false, true], [true, "
     "false]]]> : tensor<2x2x2xi1>",
     {{}},
     2,
     0,
     {{32, 32}, {13, 30}, {30, 13}, {1, 1}}},
    {"bigbird", "()",
     "%b = arith.constant 4 : i64\n%w = arith.constant 3 : i64\n"
     "%g = arith.constant 1 : i64\n%r = arith.constant 2 : i64\n"
     "%s = arith.constant 7 : i64\n%m = attn.bigbird(%b, %w, %g, %r, %s)",
     {{}},
     2},
    {"window2d", "() layout grid(6, 6)",
     "%h = arith.constant 2 : i64\n%w = arith.constant 3 : i64\n"
     "%s = arith.constant 1 : i64\n"
     "%m = attn.window2d(%h, %w, %s) grid [6, 6]",
     {{}},
     1,
     36},
    {"neighborhood", "() layout grid(6, 6)",
     "%h = arith.constant 3 : i64\n%w = arith.constant 3 : i64\n"
     "%m = attn.neighborhood(%h, %w) grid [6, 6]",
     {{}},
     1,
     36},
    {"axial", "() layout grid(6, 6)", "%m = attn.axial grid [6, 6]", {{}}, 1, 36},
    {"power", "()",
     "%B = arith.constant 4 : i64\n%w = arith.constant 2 : i64\n"
     "%c = attn.causal\n%s = attn.block_sliding(%B, %w)\n"
     "%q = attn.power2(%B)\n%k = attn.sink(%B)\n"
     "%u1 = attn.union %s, %q\n%u2 = attn.union %u1, %k\n"
     "%m = attn.intersect %c, %u2"},
    {"difference", "()",
     "%w = arith.constant 4 : i64\n%c = attn.causal\n"
     "%s = attn.sliding(%w)\n%m = attn.difference %c, %s"},
    {"complement", "()",
     "%w = arith.constant 4 : i64\n%s = attn.sliding(%w)\n"
     "%m = attn.complement %s"},
    {"predicate", "()",
     "%s = arith.constant 3 : i64\n"
     "%m = attn.predicate {\n"
     "^bb0(%q: i64, %k: i64, %h: i64, %b: i64, %p: i64):\n"
     "  %d = arith.subi %q, %k : i64\n"
     "  %r = arith.remsi %d, %s : i64\n"
     "  %c0 = arith.constant 0 : i64\n"
     "  %z = arith.cmpi eq, %r, %c0 : i64\n"
     "  %le = arith.cmpi sle, %k, %q : i64\n"
     "  %y = arith.andi %z, %le : i1\n"
     "  attn.yield %y : i1\n"
     "}"},
    {"select_heads", "() heads 3",
     "%c1 = arith.constant 3 : i64\n%a = attn.sliding(%c1)\n"
     "%b = attn.causal\n%m = attn.select_heads %a, %b bounds [0, 1, 3]",
     {{}},
     3},
    {"runtime_sliding", "(param %w: i64)", "%m = attn.sliding(%w)",
     {{1}, {4}, {100}}},
    {"runtime_stripe", "(param %s: i64, param %o: i64)",
     "%c1 = arith.constant 1 : i64\n%m = attn.stripe(%s, %c1, %o)",
     {{3, 0}, {7, -2}}},
};

TEST_F(ReferenceTest, GeneratedCodeAgreesWithReference) {
  const std::pair<int64_t, int64_t> shapes[] = {
      {37, 37}, {13, 40}, {40, 13}, {1, 1}, {1, 9}};
  const std::pair<int64_t, int64_t> tiles[] = {{8, 8}, {16, 4}, {5, 7}};
  // One case per lambda call, so that a failing case does not hide others.
  auto check = [&](const CrossCase &c) {
    SCOPED_TRACE(c.name);
    diagnostics.clear();
    PatternOp original = parse(wrap(c.body, c.header));
    ASSERT_TRUE(original) << diagnostics;
    OwningOpRef<ModuleOp> compiled(cast<ModuleOp>((*module)->clone()));
    PassManager pm(&ctx);
    PipelineOptions options;
    options.pattern = "p";
    buildAttnPipeline(pm, options);
    ASSERT_TRUE(succeeded(pm.run(*compiled))) << diagnostics;
    auto maskFn = compiled->lookupSymbol<func::FuncOp>("p__mask");
    ASSERT_TRUE(maskFn) << "no @p__mask";
    FailureOr<CompiledFunction> element = CompiledFunction::compile(maskFn);
    ASSERT_TRUE(succeeded(element)) << diagnostics;

    std::vector<std::pair<int64_t, int64_t>> dims(std::begin(shapes),
                                                  std::end(shapes));
    if (c.gridN)
      dims = {{c.gridN, c.gridN}};
    if (!c.shapes.empty())
      dims = c.shapes;
    for (const std::vector<int64_t> &params : c.params)
      for (auto [nq, nk] : dims) {
        SCOPED_TRACE(testing::Message() << "Nq " << nq << " Nk " << nk);
        FailureOr<std::vector<uint8_t>> ref =
            evaluateMask(original, params, MaskDims{1, c.heads, nq, nk});
        ASSERT_TRUE(succeeded(ref)) << diagnostics;
        SmallVector<int64_t, 8> args = {0, 0, 0, 0, nq, nk};
        args.append(params.begin(), params.end());
        int mismatches = 0;
        for (int64_t h = 0; h < c.heads; ++h)
          for (int64_t q = 0; q < nq; ++q)
            for (int64_t k = 0; k < nk; ++k) {
              args[1] = h;
              args[2] = q;
              args[3] = k;
              FailureOr<int64_t> got = element->run1(args);
              ASSERT_TRUE(succeeded(got)) << element->lastError();
              bool want = (*ref)[(h * nq + q) * nk + k];
              if (bool(*got) != want && mismatches++ < 5)
                ADD_FAILURE() << "@p__mask(h " << h << ", q " << q << ", k "
                              << k << ") = " << *got << ", reference "
                              << want;
            }
        for (auto [tq, tk] : tiles) {
          FailureOr<BlockMap> gen =
              buildBlockMap(*compiled, "p", params, c.heads, nq, nk, tq, tk);
          ASSERT_TRUE(succeeded(gen)) << diagnostics;
          BlockMap exact = blockMapFromMask(*ref, c.heads, nq, nk, tq, tk);
          EXPECT_EQ(checkBlockMapSound(*gen, exact), "")
              << "tiles " << tq << "x" << tk;
        }
      }
  };
  for (const CrossCase &c : kCrossCases)
    check(c);
}

} // namespace
