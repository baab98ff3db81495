//===- JitBlockMapTest.cpp - JIT'd block maps and tile masks vs reference -===//
//
// For every pattern family (primitives, prelude patterns, compositions,
// per-head, grid, predicates, run-time parameters), random parameters,
// lengths and tiles: the block map computed by the JIT-compiled CPU entry
// point equals, tile by tile, the one the interpreted classifier gives
// (buildBlockMap), and is sound against the exact block map of the
// reference mask (exact for primitives); the JIT-compiled tile mask equals
// the reference mask on every tile of the grid and on random rectangles.
//
//===----------------------------------------------------------------------===//
#include "AttnTestContext.h"
#include "codegen/CpuJit.h"
#include "codegen/CpuLowering.h"
#include "frontend/Frontend.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "passes/InitAll.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "runtime/reference/BlockMap.h"
#include "runtime/reference/Reference.h"
#include "llvm/Support/MemoryBuffer.h"
#include <functional>
#include <gtest/gtest.h>
#include <random>

using namespace mlir;
using namespace mlir::attn;

namespace {

int64_t uniform(std::mt19937 &rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
std::string set(const std::string &name, int64_t v) {
  return name + "=" + std::to_string(v);
}

/// A pattern family: .attn source defining `pattern p`, a generator of
/// compile-time `--set` values and one of run-time parameter values (in
/// declaration order).
struct Family {
  std::string name;
  std::string source;
  std::function<std::vector<std::string>(std::mt19937 &)> values;
  std::function<std::vector<int64_t>(std::mt19937 &)> runtime;
  bool exact;             // primitives promise exact classification
  int64_t gridTokens = 0; // > 0: a grid layout, the length is H*W
  int64_t heads = 1;
  int variants = 2; // compiled variants (LLVM compiles cost ~0.2 s each)
};

void PrintTo(const Family &f, std::ostream *os) { *os << f.name; }

std::vector<Family> families() {
  using V = std::vector<std::string>;
  using R = std::vector<int64_t>;
  auto none = [](std::mt19937 &) { return V{}; };
  auto noRuntime = [](std::mt19937 &) { return R{}; };
  return {
      {"full", "pattern p { mask full() }", none, noRuntime, true, 0, 1, 1},
      {"causal", "pattern p { mask causal() }", none, noRuntime, true, 0, 2, 1},
      {"sliding", "pattern p(param w: int) { mask sliding(w) }", none,
       [](std::mt19937 &r) { return R{uniform(r, 1, 70)}; }, true, 0, 1, 1},
      {"band", "pattern p(param l: int, param r: int) { mask band(l, r) }",
       none,
       [](std::mt19937 &r) {
         return R{uniform(r, 0, 40), uniform(r, 0, 40)};
       },
       true, 0, 1, 1},
      {"sink", "pattern p(n: int) { mask sink(n) }",
       [](std::mt19937 &r) { return V{set("n", uniform(r, 0, 50))}; },
       noRuntime, true},
      {"global", "pattern p { mask global([0, 3, 4, 17, 60]) }", none,
       noRuntime, true, 0, 1, 1},
      {"block_sliding",
       "pattern p(bl: int, param w: int) { mask block_sliding(bl, w) }",
       [](std::mt19937 &r) { return V{set("bl", uniform(r, 1, 24))}; },
       [](std::mt19937 &r) { return R{uniform(r, 1, 5)}; }, true},
      {"power2", "pattern p(param bl: int) { mask power2(bl) }", none,
       [](std::mt19937 &r) { return R{uniform(r, 1, 16)}; }, true, 0, 1, 1},
      {"stripe", "pattern p(s: int, w: int, o: int) { mask stripe(s, w, o) }",
       [](std::mt19937 &r) {
         int64_t s = uniform(r, 1, 20);
         return V{set("s", s), set("w", uniform(r, 1, s)),
                  set("o", uniform(r, -30, 30))};
       },
       noRuntime, true},
      {"strided", "pattern p(param s: int) { mask strided(s) }", none,
       [](std::mt19937 &r) { return R{uniform(r, 1, 12)}; }, true, 0, 1, 1},
      {"block_layout",
       // 8x8 blocks of at least 20 tokens cover every length drawn (<= 160).
       "pattern p(bl: int) { mask block_layout(bl, ["
       "[1, 0, 1, 1, 0, 0, 1, 0], [0, 1, 1, 0, 1, 1, 1, 1], "
       "[1, 1, 0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], "
       "[0, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 1, 1], "
       "[0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 1, 1, 1]]) }",
       [](std::mt19937 &r) { return V{set("bl", uniform(r, 20, 45))}; },
       noRuntime, true},
      {"block_layout_per_head",
       "pattern p { heads 2 mask block_layout(24, ["
       "[[1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0], "
       "[1, 0, 0, 1, 0, 0, 1], [0, 0, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1], "
       "[0, 0, 0, 0, 0, 1, 1]], "
       "[[0, 1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 1, 1, 1], "
       "[0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 1], [0, 1, 1, 0, 0, 1, 0], "
       "[1, 1, 0, 0, 1, 1, 0]]]) }",
       none, noRuntime, true, 0, 2, 1},
      {"bigbird",
       "pattern p(bl: int, w: int, g: int, n: int, s: int) "
       "{ mask bigbird(bl, w, g, n, s) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 16)), set("w", uniform(r, 0, 4)),
                  set("g", uniform(r, 0, 2)), set("n", uniform(r, 0, 4)),
                  set("s", uniform(r, 0, 1000))};
       },
       noRuntime, true, 0, 2},
      {"window2d",
       "pattern p(param a: int, param c: int, param s: int) "
       "{ layout grid(12, 12) mask window2d(a, c, s) }",
       none,
       [](std::mt19937 &r) {
         return R{uniform(r, 1, 6), uniform(r, 1, 6), uniform(r, 0, 5)};
       },
       true, 144, 1, 1},
      {"neighborhood",
       "pattern p(a: int, c: int) { layout grid(11, 11) "
       "mask neighborhood(a, c) }",
       [](std::mt19937 &r) {
         return V{set("a", uniform(r, 1, 11)), set("c", uniform(r, 1, 11))};
       },
       noRuntime, true, 121},
      {"axial", "pattern p { layout grid(12, 12) mask axial() }", none,
       noRuntime, true, 144, 1, 1},
      // Prelude patterns and compositions: sound, not necessarily exact.
      {"power", "pattern p(bl: int, w: int) { mask power(bl, w) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 16)), set("w", uniform(r, 1, 6))};
       },
       noRuntime, false},
      {"power_runtime",
       "pattern p(param bl: int, param w: int) { mask power(bl, w) }", none,
       [](std::mt19937 &r) {
         return R{uniform(r, 1, 16), uniform(r, 1, 6)};
       },
       false, 0, 1, 1},
      {"streaming", "pattern p(s: int, w: int) { mask streaming(s, w) }",
       [](std::mt19937 &r) {
         return V{set("s", uniform(r, 0, 8)), set("w", uniform(r, 1, 40))};
       },
       noRuntime, false},
      {"longformer", "pattern p(w: int, g: int) { mask longformer(w, g) }",
       [](std::mt19937 &r) {
         return V{set("w", uniform(r, 0, 40)), set("g", uniform(r, 0, 5))};
       },
       noRuntime, false},
      {"stride_slash",
       "pattern p(bl: int, w: int, s: int) { mask stride_slash(bl, w, s) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 12)), set("w", uniform(r, 1, 4)),
                  set("s", uniform(r, 1, 6))};
       },
       noRuntime, false},
      {"dilated", "pattern p(bl: int, m: int) { mask dilated(bl, m) }",
       [](std::mt19937 &r) {
         return V{set("bl", uniform(r, 1, 12)), set("m", uniform(r, 1, 10))};
       },
       noRuntime, false},
      {"sparse_transformer_fixed",
       "pattern p(l: int, c: int) { mask sparse_transformer_fixed(l, c) }",
       [](std::mt19937 &r) {
         int64_t l = uniform(r, 1, 24);
         return V{set("l", l), set("c", uniform(r, 1, l))};
       },
       noRuntime, false},
      {"sparse_transformer_strided",
       "pattern p(l: int) { mask sparse_transformer_strided(l) }",
       [](std::mt19937 &r) { return V{set("l", uniform(r, 1, 24))}; },
       noRuntime, false},
      {"swin",
       "pattern p(w: int, s: int) { layout grid(10, 13) mask swin(w, s) }",
       [](std::mt19937 &r) {
         return V{set("w", uniform(r, 1, 6)), set("s", uniform(r, 0, 5))};
       },
       noRuntime, false, 130},
      {"composition",
       "pattern p(a: int, s: int) { mask (causal() - sliding(a)) | "
       "(stripe(s) & !sink(3)) }",
       [](std::mt19937 &r) {
         return V{set("a", uniform(r, 1, 30)), set("s", uniform(r, 1, 9))};
       },
       noRuntime, false},
      {"per_head",
       "pattern p(w: int) { heads 3 mask[0:1] sliding(w) "
       "mask[1:3] causal() & !band(w, 0) }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 20))}; },
       noRuntime, false, 0, 3},
      {"predicate_mod",
       "pattern p(param s: int) { mask k <= q & (q - k) % s == 0 }", none,
       [](std::mt19937 &r) { return R{uniform(r, 0, 9)}; }, false, 0, 1, 1},
      {"predicate_functions",
       "pattern p(w: int) { mask abs(p - k) < w | is_pow2(p - k + 1) | "
       "(log2_floor(k + 1) % 2 == 0 & min(p, k) > w) | max(q, k) / 7 == 3 }",
       [](std::mt19937 &r) { return V{set("w", uniform(r, 1, 20))}; },
       noRuntime, false},
      {"predicate_head",
       "pattern p(param w: int) { mask k <= p & p - k < w * (h + 1) }", none,
       [](std::mt19937 &r) { return R{uniform(r, 1, 10)}; }, false, 0, 3, 1},
      {"predicate_grid",
       "pattern p(param r: int) { layout grid(10, 10) "
       "mask abs(qy - ky) + abs(qx - kx) <= r }",
       none, [](std::mt19937 &r) { return R{uniform(r, 0, 6)}; }, false, 100, 1,
       1},
      {"runtime_composition",
       "pattern p(param w: int, param n: int) "
       "{ mask causal() & !sliding(w) | sink(n) | global([5]) }",
       none,
       [](std::mt19937 &r) {
         return R{uniform(r, 1, 30), uniform(r, 0, 9)};
       },
       false, 0, 1, 1},
  };
}

class JitBlockMap : public ::testing::TestWithParam<Family>,
                    protected ::attn::test::AttnTestContext {
protected:
  JitBlockMap() : AttnTestContext(registerCpuLoweringDialects) {}

  OwningOpRef<ModuleOp> compile(const Family &f,
                                const std::vector<std::string> &values,
                                int64_t tq, int64_t tk) {
    return compilePattern(f.source, "jit.attn", values, tq, tk);
  }

  std::unique_ptr<CpuJitModule> jit(ModuleOp module) {
    auto lowered = lowerPatternToLLVM(module, "p");
    if (failed(lowered))
      return nullptr;
    std::vector<char> object;
    std::string error;
    if (!compileToObject(**lowered, object, error)) {
      diagnostics += error;
      return nullptr;
    }
    auto loaded = CpuJitModule::load(object, "p", error);
    if (!loaded)
      diagnostics += error;
    return loaded;
  }

};

TEST_P(JitBlockMap, EqualsInterpretedAndReference) {
  const Family &f = GetParam();
  std::mt19937 rng(std::hash<std::string>{}(f.name) & 0xffffffff);
  const int shapesPerVariant = 4;
  for (int variant = 0; variant < f.variants; ++variant) {
    std::vector<std::string> values = f.values(rng);
    int64_t compileTq = uniform(rng, 1, 40), compileTk = uniform(rng, 1, 40);
    std::string where;
    for (const std::string &v : values)
      where += v + " ";
    SCOPED_TRACE(testing::Message() << f.name << " " << where);
    diagnostics.clear();
    OwningOpRef<ModuleOp> module = compile(f, values, compileTq, compileTk);
    ASSERT_TRUE(module) << diagnostics;
    auto pattern = module->lookupSymbol<PatternOp>("p");
    ASSERT_TRUE(pattern);
    std::unique_ptr<CpuJitModule> code = jit(*module);
    ASSERT_TRUE(code) << diagnostics;
    const CpuEntryPoints &fns = code->entryPoints();

    for (int s = 0; s < shapesPerVariant; ++s) {
      std::vector<int64_t> params = f.runtime(rng);
      int64_t nq, nk;
      if (f.gridTokens) {
        nq = nk = f.gridTokens;
      } else {
        nq = uniform(rng, 1, 160);
        nk = uniform(rng, 0, 3) == 0 ? nq : uniform(rng, 1, 160);
        if (s == 0)
          nq = 1; // decoding
      }
      // The first shape uses the compiled tile sizes, the others any tile:
      // the entry points read the tile sizes from ctx.
      int64_t tq = s == 0 ? compileTq : uniform(rng, 1, 48);
      int64_t tk = s == 0 ? compileTk : uniform(rng, 1, 48);
      std::string runtimeText;
      for (int64_t v : params)
        runtimeText += std::to_string(v) + " ";
      SCOPED_TRACE(testing::Message()
                   << "params [" << runtimeText << "] Nq " << nq << " Nk " << nk
                   << " tile " << tq << "x" << tk);
      diagnostics.clear();
      MaskDims dims{1, f.heads, nq, nk};
      FailureOr<std::vector<uint8_t>> mask =
          evaluateMask(pattern, params, dims);
      ASSERT_TRUE(succeeded(mask)) << diagnostics;
      BlockMap exact = blockMapFromMask(*mask, f.heads, nq, nk, tq, tk);
      FailureOr<BlockMap> interpreted =
          buildBlockMap(*module, "p", params, f.heads, nq, nk, tq, tk);
      ASSERT_TRUE(succeeded(interpreted)) << diagnostics;

      // (b) the JIT'd block map, one head at a time.
      const int64_t numQT = (nq + tq - 1) / tq, numKT = (nk + tk - 1) / tk;
      std::vector<int64_t> c = {0, 0, nq, nk, tq, tk, numQT, numKT};
      c.insert(c.end(), params.begin(), params.end());
      ASSERT_EQ(c.size(), size_t(kCtxParams) + params.size());
      BlockMap jitMap;
      jitMap.tileQ = tq;
      jitMap.tileK = tk;
      jitMap.heads = f.heads;
      jitMap.nq = nq;
      jitMap.nk = nk;
      jitMap.numQTiles = numQT;
      jitMap.numKTiles = numKT;
      jitMap.rows.resize(f.heads * numQT);
      int mismatches = 0;
      for (int64_t h = 0; h < f.heads; ++h) {
        c[kCtxHead] = h;
        // A canary past the end catches writes out of bounds.
        std::vector<int8_t> classes(numQT * numKT + 1, int8_t(-7));
        fns.blockMap(c.data(), classes.data(), 0, numQT);
        EXPECT_EQ(classes.back(), -7) << "write past the class array";
        // Row ranges (the runtime splits rows over threads) write exactly
        // their rows, with the same classes.
        if (numQT > 1) {
          int64_t mid = uniform(rng, 1, numQT - 1);
          std::vector<int8_t> split(numQT * numKT + 1, int8_t(-7));
          fns.blockMap(c.data(), split.data(), mid, numQT);
          for (int64_t i = 0; i < mid * numKT; ++i)
            ASSERT_EQ(split[i], -7) << "row range [" << mid << ", " << numQT
                                    << ") wrote element " << i;
          fns.blockMap(c.data(), split.data(), 0, mid);
          EXPECT_EQ(split, classes) << "rows split at " << mid;
        }
        for (int64_t r = 0; r < numQT; ++r)
          for (int64_t col = 0; col < numKT; ++col) {
            int cls = classes[r * numKT + col];
            ASSERT_TRUE(cls >= 0 && cls <= 2) << "class " << cls;
            if (cls == 2)
              jitMap.rows[h * numQT + r].full.push_back(col);
            else if (cls == 1)
              jitMap.rows[h * numQT + r].partial.push_back(col);
            int want = interpreted->classOf(h, r, col);
            if (cls != want && ++mismatches <= 3)
              ADD_FAILURE() << "tile (h " << h << ", " << r << ", " << col
                            << "): JIT " << cls << ", interpreted " << want;
          }
      }
      EXPECT_EQ(mismatches, 0);
      std::string problems = checkBlockMapSound(jitMap, exact, f.exact);
      EXPECT_TRUE(problems.empty()) << problems;

      // The JIT'd tile mask on every tile of the grid (which covers every
      // element) and on random rectangles with a wider leading dimension.
      int maskMismatches = 0;
      auto checkRect = [&](int64_t h, int64_t q0, int64_t q1, int64_t k0,
                           int64_t k1, int64_t ld) {
        c[kCtxHead] = h;
        std::vector<uint8_t> out((q1 - q0) * ld + 1, 0xee);
        fns.tileMask(c.data(), q0, q1, k0, k1, out.data(), ld);
        EXPECT_EQ(out.back(), 0xee) << "write past the tile";
        for (int64_t q = q0; q < q1; ++q)
          for (int64_t k = k0; k < k1; ++k) {
            uint8_t got = out[(q - q0) * ld + (k - k0)];
            uint8_t want = (*mask)[(h * nq + q) * nk + k];
            if (got != want && ++maskMismatches <= 3)
              ADD_FAILURE() << "element (h " << h << ", q " << q << ", k " << k
                            << "): JIT " << int(got) << ", reference "
                            << int(want) << " (tile [" << q0 << ", " << q1
                            << ") x [" << k0 << ", " << k1 << "))";
          }
      };
      for (int64_t h = 0; h < f.heads; ++h)
        for (int64_t r = 0; r < numQT; ++r)
          for (int64_t col = 0; col < numKT; ++col)
            checkRect(h, r * tq, std::min(nq, (r + 1) * tq), col * tk,
                      std::min(nk, (col + 1) * tk), tk);
      for (int i = 0; i < 20; ++i) {
        int64_t q0 = uniform(rng, 0, nq - 1), q1 = uniform(rng, q0 + 1, nq);
        int64_t k0 = uniform(rng, 0, nk - 1), k1 = uniform(rng, k0 + 1, nk);
        checkRect(uniform(rng, 0, f.heads - 1), q0, q1, k0, k1,
                  k1 - k0 + uniform(rng, 0, 5));
      }
      EXPECT_EQ(maskMismatches, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, JitBlockMap, ::testing::ValuesIn(families()),
                         [](const ::testing::TestParamInfo<Family> &info) {
                           return info.param.name;
                         });

} // namespace
