//===- ClassifierPropertyTest.cpp - generated classifiers vs the reference ===//
//
// Property tests: for every pattern family, random parameters, random
// lengths (Nq != Nk included) and random tile sizes, the generated tile
// classifier is sound against the reference mask (FULL => every element
// allowed, EMPTY => none), exact for primitives, and the generated element
// predicate equals the reference element by element.
//
//===----------------------------------------------------------------------===//
#include "AttnTestContext.h"
#include "attn/attn.h"
#include "dialect/AttnLimits.h"
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "runtime/reference/ArithInterpreter.h"
#include "runtime/reference/BlockMap.h"
#include "runtime/reference/Reference.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include <gtest/gtest.h>
#include <functional>
#include <random>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A pattern family: .attn source and a generator of `--set` values.
struct Family {
  std::string name;
  std::string source; // defines `pattern p`
  std::function<std::vector<std::string>(std::mt19937 &)> params;
  bool exact;         // primitives promise exact classification
  int64_t grid = 0;   // > 0: grid(grid, grid), the length is grid^2
  int64_t heads = 1;
};

void PrintTo(const Family &f, std::ostream *os) { *os << f.name; }

int64_t uniform(std::mt19937 &rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
std::string set(const std::string &name, int64_t v) {
  return name + "=" + std::to_string(v);
}

std::vector<Family> families() {
  using V = std::vector<std::string>;
  auto none = [](std::mt19937 &) { return V{}; };
  std::vector<Family> f = {
      {"full", "pattern p { mask full() }", none, true},
      {"causal", "pattern p { mask causal() }", none, true},
      {"sliding", "pattern p(w: int) { mask sliding(w) }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 70))}; }, true},
      {"band", "pattern p(l: int, r: int) { mask band(l, r) }",
       [](std::mt19937 &r) {
         return V{set("l", uniform(r, 0, 40)), set("r", uniform(r, 0, 40))};
       },
       true},
      {"sink", "pattern p(n: int) { mask sink(n) }",
       [](std::mt19937 &r) { return V{set("n", uniform(r, 0, 50))}; }, true},
      {"global", "pattern p { mask global([0, 3, 4, 17, 60]) }", none, true},
      {"block_sliding", "pattern p(bl: int, w: int) { mask block_sliding(bl, w) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 24)), set("w", uniform(r, 1, 5))};
       },
       true},
      {"power2", "pattern p(bl: int) { mask power2(bl) }",
       [](std::mt19937 &r) { return V{set("bl", uniform(r, 1, 16))}; }, true},
      {"stripe", "pattern p(s: int, w: int, o: int) { mask stripe(s, w, o) }",
       [](std::mt19937 &r) {
         int64_t s = uniform(r, 1, 20);
         return V{set("s", s), set("w", uniform(r, 1, s)),
                  set("o", uniform(r, -30, 30))};
       },
       true},
      {"strided", "pattern p(s: int) { mask strided(s) }",
       [](std::mt19937 &r) { return V{set("s", uniform(r, 1, 12))}; }, true},
      {"block_layout",
       // 8x8 blocks of at least 20 tokens cover every length drawn (<= 160).
       "pattern p(bl: int) { mask block_layout(bl, ["
       "[1, 0, 1, 1, 0, 0, 1, 0], [0, 1, 1, 0, 1, 1, 1, 1], "
       "[1, 1, 0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], "
       "[0, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 1, 1], "
       "[0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 1, 1, 1]]) }",
       [](std::mt19937 &r) { return V{set("bl", uniform(r, 20, 45))}; }, true},
      {"bigbird",
       "pattern p(bl: int, w: int, g: int, n: int, s: int) "
       "{ mask bigbird(bl, w, g, n, s) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 16)), set("w", uniform(r, 0, 4)),
                  set("g", uniform(r, 0, 2)), set("n", uniform(r, 0, 4)),
                  set("s", uniform(r, 0, 1000))};
       },
       true, 0, 2},
      {"window2d",
       "pattern p(a: int, c: int, s: int) { layout grid(12, 12) "
       "mask window2d(a, c, s) }",
       [](std::mt19937 &r) {
         return V{set("a", uniform(r, 1, 6)), set("c", uniform(r, 1, 6)),
                  set("s", uniform(r, 0, 5))};
       },
       true, 12},
      {"neighborhood",
       "pattern p(a: int, c: int) { layout grid(12, 12) "
       "mask neighborhood(a, c) }",
       [](std::mt19937 &r) {
         return V{set("a", uniform(r, 1, 12)), set("c", uniform(r, 1, 12))};
       },
       true, 12},
      {"axial", "pattern p { layout grid(12, 12) mask axial() }", none, true,
       12},
      // Prelude patterns and compositions: sound, not necessarily exact.
      {"power", "pattern p(bl: int, w: int) { mask power(bl, w) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 16)), set("w", uniform(r, 1, 6))};
       },
       false},
      {"streaming", "pattern p(s: int, w: int) { mask streaming(s, w) }",
       [](std::mt19937 &r) {
         return V{set("s", uniform(r, 0, 8)), set("w", uniform(r, 1, 40))};
       },
       false},
      {"longformer", "pattern p(w: int, g: int) { mask longformer(w, g) }",
       [](std::mt19937 &r) {
         return V{set("w", uniform(r, 0, 40)), set("g", uniform(r, 0, 5))};
       },
       false},
      {"stride_slash",
       "pattern p(bl: int, w: int, s: int) { mask stride_slash(bl, w, s) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 12)), set("w", uniform(r, 1, 4)),
                  set("s", uniform(r, 1, 6))};
       },
       false},
      {"dilated", "pattern p(bl: int, m: int) { mask dilated(bl, m) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 12)), set("m", uniform(r, 1, 10))};
       },
       false},
      {"sparse_transformer_fixed",
       "pattern p(l: int, c: int) { mask sparse_transformer_fixed(l, c) }",
       [](std::mt19937 &r) {
         int64_t l = uniform(r, 1, 24);
         return V{set("l", l), set("c", uniform(r, 1, l))};
       },
       false},
      {"sparse_transformer_strided",
       "pattern p(l: int) { mask sparse_transformer_strided(l) }",
       [](std::mt19937 &r) { return V{set("l", uniform(r, 1, 24))}; }, false},
      {"swin", "pattern p(w: int, s: int) { layout grid(12, 12) mask swin(w, s) }",
       [](std::mt19937 &r) {
         return V{set("w", uniform(r, 1, 6)), set("s", uniform(r, 0, 5))};
       },
       false, 12},
      {"composition",
       "pattern p(a: int, s: int) { mask (causal() - sliding(a)) | "
       "(stripe(s) & !sink(3)) }",
       [](std::mt19937 &r) {
         return V{set("a", uniform(r, 1, 30)), set("s", uniform(r, 1, 9))};
       },
       false},
      {"per_head",
       "pattern p(w: int) { heads 3 mask[0:1] sliding(w) "
       "mask[1:3] causal() & !band(w, 0) }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 20))}; }, false,
       0, 3},
      {"predicate_mod",
       "pattern p(s: int) { mask k <= q & (q - k) % s == 0 }",
       [](std::mt19937 &r) { return V{set("s", uniform(r, 1, 9))}; }, false},
      {"predicate_functions",
       "pattern p(w: int) { mask abs(p - k) < w | is_pow2(p - k + 1) | "
       "(log2_floor(k + 1) % 2 == 0 & min(p, k) > w) | max(q, k) / 7 == 3 }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 20))}; }, false},
      {"predicate_head",
       "pattern p(w: int) { mask k <= p & p - k < w * (h + 1) }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 10))}; }, false,
       0, 2},
      {"predicate_grid",
       "pattern p(r: int) { layout grid(10, 10) "
       "mask abs(qy - ky) + abs(qx - kx) <= r }",
       [](std::mt19937 &r) { return V{set("r", uniform(r, 0, 6))}; }, false,
       10},
      {"runtime_param",
       "pattern p(param w: int) { mask causal() & !sliding(w) | sink(2) }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 30))}; }, false},
  };
  return f;
}

/// The generated classifier of pattern `p` is sound against the reference
/// mask (exact when `exact`), and its element predicate equals it.
void expectAgreesWithReference(ModuleOp module, int64_t heads, int64_t nq,
                               int64_t nk, int64_t tq, int64_t tk, bool exact,
                               llvm::ArrayRef<int64_t> runtime = {}) {
  auto pattern = module.lookupSymbol<PatternOp>("p");
  ASSERT_TRUE(pattern);
  MaskDims dims{1, heads, nq, nk};
  FailureOr<std::vector<uint8_t>> mask = evaluateMask(pattern, runtime, dims);
  ASSERT_TRUE(succeeded(mask));
  BlockMap exactMap = blockMapFromMask(*mask, heads, nq, nk, tq, tk);
  FailureOr<BlockMap> generated =
      buildBlockMap(module, "p", runtime, heads, nq, nk, tq, tk);
  ASSERT_TRUE(succeeded(generated));
  std::string problems = checkBlockMapSound(*generated, exactMap, exact);
  EXPECT_TRUE(problems.empty()) << problems;

  // The generated element predicate equals the reference.
  auto fn = module.lookupSymbol<func::FuncOp>(maskFunctionName("p"));
  ASSERT_TRUE(fn);
  FailureOr<CompiledFunction> element = CompiledFunction::compile(fn);
  ASSERT_TRUE(succeeded(element));
  int mismatches = 0;
  std::vector<int64_t> args(6 + runtime.size());
  std::copy(runtime.begin(), runtime.end(), args.begin() + 6);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t q = 0; q < nq; ++q)
      for (int64_t k = 0; k < nk; ++k) {
        bool want = (*mask)[(h * nq + q) * nk + k];
        args[0] = 0, args[1] = h, args[2] = q, args[3] = k, args[4] = nq;
        args[5] = nk;
        bool got = element->run1(args) != 0;
        if (want != got && ++mismatches <= 3)
          ADD_FAILURE() << "element (h " << h << ", q " << q << ", k " << k
                        << "): generated " << got << ", reference " << want;
      }
  EXPECT_EQ(mismatches, 0);
}

class ClassifierProperty : public ::testing::TestWithParam<Family>,
                           protected ::attn::test::AttnTestContext {
protected:
  OwningOpRef<ModuleOp> compile(const Family &f,
                                const std::vector<std::string> &values,
                                int64_t tq, int64_t tk) {
    return compilePattern(f.source, "property.attn", values, tq, tk);
  }
};

TEST_P(ClassifierProperty, SoundAndExactOnRandomShapes) {
  const Family &f = GetParam();
  std::mt19937 rng(std::hash<std::string>{}(f.name) & 0xffffffff);
  const int trials = 12;
  for (int t = 0; t < trials; ++t) {
    std::vector<std::string> values = f.params(rng);
    int64_t nq, nk;
    if (f.grid) {
      nq = nk = f.grid * f.grid;
    } else {
      nq = uniform(rng, 1, 160);
      nk = uniform(rng, 0, 3) == 0 ? nq : uniform(rng, 1, 160);
    }
    int64_t tq = uniform(rng, 1, 40), tk = uniform(rng, 1, 40);
    std::string where;
    for (const std::string &v : values)
      where += v + " ";
    SCOPED_TRACE(testing::Message() << f.name << " " << where << "Nq " << nq
                                    << " Nk " << nk << " tile " << tq << "x"
                                    << tk);
    diagnostics.clear();
    OwningOpRef<ModuleOp> module = compile(f, values, tq, tk);
    ASSERT_TRUE(module) << diagnostics;
    expectAgreesWithReference(*module, f.heads, nq, nk, tq, tk, f.exact);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Families, ClassifierProperty, ::testing::ValuesIn(families()),
    [](const ::testing::TestParamInfo<Family> &info) {
      return info.param.name;
    });

//===----------------------------------------------------------------------===//
// PowerAttention's figure: block 256, 32 768 tokens, at most 10 key blocks
//===----------------------------------------------------------------------===//

class PowerAttentionTest : public ClassifierProperty {};

TEST_F(PowerAttentionTest, AtMostTenKeyBlocksPerQueryBlockAt32K) {
  Family f{"power", "pattern p { mask power() }", nullptr, false};
  OwningOpRef<ModuleOp> module = compile(f, {}, 256, 256);
  ASSERT_TRUE(module) << diagnostics;
  const int64_t n = 32768;
  FailureOr<BlockMap> map = buildBlockMap(*module, "p", {}, 1, n, n, 256, 256);
  ASSERT_TRUE(succeeded(map)) << diagnostics;
  ASSERT_EQ(map->numQTiles, 128);
  size_t most = 0;
  for (int64_t r = 0; r < map->numQTiles; ++r)
    most = std::max(most, map->row(0, r).full.size() +
                              map->row(0, r).partial.size());
  EXPECT_LE(most, 10u);
  EXPECT_EQ(most, 10u) << "the last query blocks see 5 local, 4 power-of-two "
                          "and 1 sink block";
  // Only the diagonal block needs masking.
  for (int64_t r = 0; r < map->numQTiles; ++r)
    EXPECT_EQ(map->row(0, r).partial, std::vector<int32_t>{int32_t(r)});
  // Sparsity of the block map: about 0.93 at 32K.
  EXPECT_LT(map->density(), 0.075);
}

//===----------------------------------------------------------------------===//
// The index range: extreme values (docs/LANGUAGE.md, "Limits")
//===----------------------------------------------------------------------===//

constexpr int64_t kM = int64_t(1) << 62; // the largest index value
constexpr int64_t kL = int64_t(1) << 40; // the longest sequence

/// One pattern with values at the edges of the index range.
struct Extreme {
  std::string source;
  std::vector<std::string> values; // --set, compile time
  std::vector<int64_t> runtime;    // run-time parameter values
  bool exact;
  int64_t grid = 0;
  int64_t heads = 1;
};

std::vector<Extreme> extremes() {
  std::vector<Extreme> e;
  auto add = [&](std::string src, std::vector<std::string> v, bool exact,
                 int64_t grid = 0, int64_t heads = 1) {
    e.push_back({std::move(src), std::move(v), {}, exact, grid, heads});
  };
  for (int64_t l : {int64_t(0), int64_t(1), kL - 1, kL, kM - 1, kM})
    for (int64_t r : {int64_t(0), kL, kM})
      add("pattern p(l: int, r: int) { mask band(l, r) }",
          {set("l", l), set("r", r)}, true);
  for (int64_t w : {int64_t(1), int64_t(3), kL, kM})
    add("pattern p(w: int) { mask sliding(w) }", {set("w", w)}, true);
  for (int64_t n : {int64_t(0), kM})
    add("pattern p(n: int) { mask sink(n) }", {set("n", n)}, true);
  for (int64_t st : {int64_t(1), int64_t(7), kM})
    for (int64_t w : {int64_t(1), std::min<int64_t>(st, 3), st})
      for (int64_t o : {-kM, int64_t(-5), int64_t(0), kM})
        add("pattern p(s: int, w: int, o: int) { mask stripe(s, w, o) }",
            {set("s", st), set("w", w), set("o", o)}, true);
  for (int64_t st : {int64_t(1), int64_t(5), kM})
    add("pattern p(s: int) { mask strided(s) }", {set("s", st)}, true);
  for (int64_t bl : {int64_t(1), int64_t(5), kM})
    for (int64_t w : {int64_t(1), kM}) {
      add("pattern p(bl: int, w: int) { mask block_sliding(bl, w) }",
          {set("bl", bl), set("w", w)}, true);
      add("pattern p(bl: int) { mask power2(bl) }", {set("bl", bl)}, true);
    }
  add("pattern p(bl: int) { mask block_layout(bl, [[1]]) }", {set("bl", kM)},
      true);
  for (int64_t bl : {int64_t(1), int64_t(3), kM})
    for (int64_t w : {int64_t(0), kM})
      for (int64_t g : {int64_t(0), int64_t(2), kM})
        for (int64_t n : {int64_t(0), int64_t(5), int64_t(9), int64_t(70), kM})
          for (int64_t seed : {INT64_MIN, INT64_MAX})
            add("pattern p(bl: int, w: int, g: int, n: int, s: int) "
                "{ mask bigbird(bl, w, g, n, s) }",
                {set("bl", bl), set("w", w), set("g", g), set("n", n),
                 set("s", seed)},
                true, 0, 2);
  for (int64_t a : {int64_t(1), kM})
    for (int64_t sh : {int64_t(0), kM})
      add("pattern p(a: int, s: int) { layout grid(6, 6) "
          "mask window2d(a, a, s) }",
          {set("a", a), set("s", sh)}, true, 6);
  // Index expressions with values near the ends of the range.
  // (x % d computes x - (x / d) * d, whose bound is x's plus |d|: |d| up to
  // 2^62 - 2^40 keeps it within the index range.)
  for (int64_t d : {int64_t(1), int64_t(-1), int64_t(7), int64_t(-7),
                    kM - kL, -(kM - kL)})
    add("pattern p(d: int) { mask (q - k) % d == 0 | q / d == k / d - 1 }",
        {set("d", d)}, false);
  for (int64_t d : {kM / 2, -kM / 2})
    add("pattern p(d: int) { mask (p + d) / 3 < (k + d) / 3 | "
        "max(q - d, k) == k | abs(k - d) > d }",
        {set("d", d)}, false);
  for (int64_t d : {int64_t(1) << 21, -(int64_t(1) << 21)})
    add("pattern p(d: int) { mask k * d > q * d - d }", {set("d", d)}, false);
  // Run-time values at the ends of their range (and a zero divisor).
  for (int64_t d : {int64_t(0), int64_t(1), int64_t(-1), kL, -kL})
    e.push_back({"pattern p(param d: int) { mask (q - k) % d == 0 | "
                 "p / d == k | abs(k - d) < 3 }",
                 {},
                 {d},
                 false});
  for (int64_t m : {int64_t(0), int64_t(3), kL})
    e.push_back(
        {"pattern p(param m: int) { mask band(m, m) }", {}, {m}, true});
  return e;
}

class IndexRangeTest : public ::testing::Test,
                       protected ::attn::test::AttnTestContext {};

/// Extreme values agree between the classifier, the element predicate and
/// the reference (before the range rule, the reference wrapped where the
/// kernel did not, and the classifier said FULL where the mask disagreed).
TEST_F(IndexRangeTest, ExtremeValuesAgreeWithReference) {
  std::mt19937 rng(4242);
  for (const Extreme &x : extremes()) {
    for (int t = 0; t < 3; ++t) {
      int64_t nq = x.grid ? x.grid * x.grid : uniform(rng, 1, 90);
      int64_t nk = x.grid ? nq : (t == 0 ? nq : uniform(rng, 1, 90));
      int64_t tq = uniform(rng, 1, 32), tk = uniform(rng, 1, 32);
      std::string where;
      for (const std::string &v : x.values)
        where += v + " ";
      for (int64_t v : x.runtime)
        where += "runtime " + std::to_string(v) + " ";
      SCOPED_TRACE(testing::Message() << x.source << " " << where << "Nq "
                                      << nq << " Nk " << nk << " tile " << tq
                                      << "x" << tk);
      diagnostics.clear();
      OwningOpRef<ModuleOp> module =
          compilePattern(x.source, "extreme.attn", x.values, tq, tk);
      ASSERT_TRUE(module) << diagnostics;
      expectAgreesWithReference(*module, x.heads, nq, nk, tq, tk, x.exact,
                                x.runtime);
    }
  }
}

TEST_F(IndexRangeTest, HugeLiteralArgumentIsACompileError) {
  OwningOpRef<ModuleOp> module = compilePattern(
      "pattern p { mask band(9223372036854775807, 9223372036854775807) }",
      "band.attn", {}, 64, 64);
  EXPECT_FALSE(module);
  // (Its location is checked by test/frontend/range-errors.attn.)
  EXPECT_NE(diagnostics.find("argument 'left' of 'band' must be at most 2^62"),
            std::string::npos)
      << diagnostics;
}

TEST_F(IndexRangeTest, CompileTimeValueOutOfRangeIsLocated) {
  // `--set m=...` binds a run-time parameter as a constant: m % d with
  // m = INT64_MIN, d = -1 cannot be computed exactly in 64 bits.
  OwningOpRef<ModuleOp> module = compilePattern(
      "pattern p(param m: int, param d: int) { mask k == m % d }", "mod.attn",
      {"m=-9223372036854775808", "d=-1"}, 64, 64);
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("index expression 'm / d' can reach "
                             "9223372036854775808"),
            std::string::npos)
      << diagnostics;
}

TEST_F(IndexRangeTest, RuntimeParamsAreChecked) {
  OwningOpRef<ModuleOp> module = compilePattern(
      "pattern p(param m: int, param on: bool) { mask band(m, m) | on }",
      "rt.attn", {}, 64, 64);
  ASSERT_TRUE(module) << diagnostics;
  auto pattern = module->lookupSymbol<PatternOp>("p");
  ShapeRequirements req = getShapeRequirements(pattern);
  EXPECT_EQ(checkRuntimeParams(req, "p", {5, 1}), "");
  EXPECT_EQ(checkRuntimeParams(req, "p", {::attn::limits::kMaxRuntimeParam, 0}),
            "");
  EXPECT_NE(checkRuntimeParams(req, "p", {INT64_MAX, 0})
                .find("run-time parameter 'm' = 9223372036854775807 is "
                      "outside the supported range"),
            std::string::npos);
  EXPECT_NE(checkRuntimeParams(req, "p", {1, 2}).find("must be 0 or 1"),
            std::string::npos);
  EXPECT_NE(checkRuntimeParams(req, "p", {1}).find("takes 2"),
            std::string::npos);
  // Lengths and heads beyond the limits are refused with the shape.
  EXPECT_NE(checkShape(req, "p", 1, int64_t(1) << 41, 4).find("query length"),
            std::string::npos);
  EXPECT_NE(checkShape(req, "p", 70000, 4, 4).find("head count 70000"),
            std::string::npos);
}

/// The runtime (the JIT kernel) refuses out-of-range run-time values, and
/// agrees with the reference on the edge of the range and on a zero divisor.
TEST_F(IndexRangeTest, ProgramChecksRuntimeParams) {
  ::attn::CompileOptions options;
  options.useCache = false;
  ::attn::Program band = ::attn::Program::compileString(
      "pattern p(param m: int) { mask band(m, m) }", options);
  ::attn::RunOptions run;
  run.params["m"] = INT64_MAX;
  EXPECT_THROW(band.allowedPairs(1, 40, 40, run), ::attn::Error);
  // Below a primitive's minimum (checked on the pattern before lowering).
  run.params["m"] = -1;
  try {
    band.allowedPairs(1, 40, 40, run);
    ADD_FAILURE() << "m = -1 was accepted";
  } catch (const ::attn::Error &e) {
    // (m is both arguments: either may be named.)
    EXPECT_NE(std::string(e.what()).find(
                  "run-time parameter 'm' = -1 is too small: it is argument "),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(
                  "of 'band', which must be at least 0"),
              std::string::npos)
        << e.what();
  }
  run.params["m"] = kL;
  EXPECT_EQ(band.allowedPairs(1, 40, 40, run), 40 * 40);
  ::attn::BlockMapInfo map = band.blockMap(1, 200, 200, run);
  EXPECT_EQ(map.partialTiles, 0);

  ::attn::Program mod = ::attn::Program::compileString(
      "pattern p(param m: int, param d: int) { mask k == m % d }", options);
  run.params = {{"m", INT64_MIN}, {"d", -1}};
  EXPECT_THROW(mod.allowedPairs(1, 8, 8, run), ::attn::Error);
  // x % 0 is 0: k == 0 for every query.
  run.params = {{"m", 5}, {"d", 0}};
  EXPECT_EQ(mod.allowedPairs(1, 8, 8, run), 8);
  run.params = {{"m", -kL}, {"d", 3}};
  EXPECT_EQ(mod.allowedPairs(1, 8, 8, run), 8); // -2^40 % 3 == 2
}

} // namespace
