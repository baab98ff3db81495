//===- CudaEmitterTest.cpp - the CUDA source printer, checked on the host --===//
//
// The emitted translation unit also compiles as host C++. These tests print
// hand-written functions full of edge cases (wrapping, floor division of
// negatives, shifts of 64, ctlz(0), i1/i8/i32 casts, loops and ifs), compile
// them with the host compiler, and compare every result bit with the arith
// interpreter (which the CPU path is tested against). Also: unsupported ops
// are errors on the op, output is deterministic, run-time params are named.
//
//===----------------------------------------------------------------------===//
#include "AttnTestContext.h"
#include "codegen/CudaEmitter.h"
#include "passes/InitAll.h"
#include "runtime/reference/ArithInterpreter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Snippets computing %r : i64 from %q and %k (i64). `%X` is replaced by a
/// unique prefix per snippet.
const std::vector<std::string> kSnippets = {
    "%X = arith.addi %q, %k : i64",
    "%X = arith.subi %q, %k : i64",
    "%X = arith.muli %q, %k : i64",
    "%X = arith.floordivsi %q, %k : i64",
    "%Xc = arith.constant 28 : i64\n"
    "    %X = arith.floordivsi %q, %Xc : i64",
    "%Xc = arith.constant 1 : i64\n"
    "    %X = arith.floordivsi %q, %Xc : i64",
    "%Xc = arith.constant -7 : i64\n"
    "    %X = arith.floordivsi %q, %Xc : i64",
    "%X = arith.shli %q, %k : i64",
    "%X = arith.shrui %q, %k : i64",
    "%X = arith.shrsi %q, %k : i64",
    "%X = math.ctlz %q : i64",
    "%X = math.absi %q : i64",
    "%X = arith.maxsi %q, %k : i64",
    "%X = arith.minsi %q, %k : i64",
    "%X = arith.maxui %q, %k : i64",
    "%X = arith.minui %q, %k : i64",
    "%X = arith.andi %q, %k : i64",
    "%X = arith.ori %q, %k : i64",
    "%X = arith.xori %q, %k : i64",
    "%Xc = arith.cmpi ult, %q, %k : i64\n"
    "    %X = arith.extui %Xc : i1 to i64",
    "%Xc = arith.cmpi sle, %q, %k : i64\n"
    "    %X = arith.extsi %Xc : i1 to i64",
    "%Xc = arith.cmpi uge, %q, %k : i64\n"
    "    %Xd = arith.cmpi ne, %q, %k : i64\n"
    "    %Xe = arith.xori %Xc, %Xd : i1\n"
    "    %Xf = arith.ori %Xe, %Xc : i1\n"
    "    %X = arith.select %Xf, %q, %k : i64",
    "%Xt = arith.trunci %q : i64 to i8\n"
    "    %X = arith.extsi %Xt : i8 to i64",
    "%Xt = arith.trunci %q : i64 to i8\n"
    "    %X = arith.extui %Xt : i8 to i64",
    "%Xt = arith.trunci %q : i64 to i32\n"
    "    %X = arith.extui %Xt : i32 to i64",
    "%Xt = arith.trunci %q : i64 to i32\n"
    "    %Xi = arith.index_cast %Xt : i32 to index\n"
    "    %X = arith.index_cast %Xi : index to i64",
    "%Xt = arith.trunci %q : i64 to i8\n"
    "    %Xu = arith.trunci %k : i64 to i8\n"
    "    %Xm = arith.maxsi %Xt, %Xu : i8\n"
    "    %Xc = arith.cmpi ugt, %Xt, %Xu : i8\n"
    "    %Xs = arith.select %Xc, %Xm, %Xu : i8\n"
    "    %X = arith.extsi %Xs : i8 to i64",
    "%Xmin = arith.constant -9223372036854775808 : i64\n"
    "    %Xbig = arith.constant 4611686018427387904 : i64\n"
    "    %Xa = arith.addi %q, %Xmin : i64\n"
    "    %X = arith.muli %Xa, %Xbig : i64",
    // A loop with two carried values that swap, and a bounded trip count.
    "%Xc0 = arith.constant 0 : i64\n"
    "    %Xc1 = arith.constant 1 : i64\n"
    "    %Xc3 = arith.constant 3 : i64\n"
    "    %Xn = arith.andi %k, %Xc3 : i64\n"
    "    %Xl:2 = scf.for %Xi = %Xc0 to %Xn step %Xc1 iter_args(%Xa = %q, "
    "%Xb = %k) -> (i64, i64) : i64 {\n"
    "      %Xm = arith.muli %Xa, %Xc3 : i64\n"
    "      %Xs = arith.addi %Xm, %Xi : i64\n"
    "      scf.yield %Xb, %Xs : i64, i64\n"
    "    }\n"
    "    %X = arith.subi %Xl#0, %Xl#1 : i64",
    // scf.if with results.
    "%Xc = arith.cmpi slt, %q, %k : i64\n"
    "    %X = scf.if %Xc -> (i64) {\n"
    "      %Xd = arith.floordivsi %k, %q : i64\n"
    "      scf.yield %Xd : i64\n"
    "    } else {\n"
    "      %Xe = arith.shrui %q, %k : i64\n"
    "      scf.yield %Xe : i64\n"
    "    }",
};

/// A pattern whose mask is bit `nq` of snippet number `b` at (q, k).
std::string snippetModule() {
  std::string body;
  std::string prev = "%zero";
  for (size_t i = 0; i < kSnippets.size(); ++i) {
    std::string x = "%s" + std::to_string(i);
    std::string s = kSnippets[i];
    for (size_t pos; (pos = s.find("%X")) != std::string::npos;)
      s.replace(pos, 2, x);
    body += "    " + s + "\n";
    body += "    %is" + std::to_string(i) + " = arith.cmpi eq, %b, %idx" +
            std::to_string(i) + " : i64\n";
    body += "    %idx" + std::to_string(i) + " = arith.constant " +
            std::to_string(i) + " : i64\n";
    std::string next = "%sel" + std::to_string(i);
    body += "    " + next + " = arith.select %is" + std::to_string(i) + ", " +
            x + ", " + prev + " : i64\n";
    prev = next;
  }
  // Constants must dominate their uses: move the %idx lines up front.
  std::string consts, rest;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);)
    (line.find("%idx") != std::string::npos &&
             line.find("arith.constant") != std::string::npos
         ? consts
         : rest) += line + "\n";
  return R"(module {
  attn.pattern @t() attributes {attn.classify_fn = @t__classify, attn.mask_fn = @t__mask, attn.tile = array<i64: 64, 64>} {
    %0 = attn.causal
    attn.yield %0 : !attn.mask
  }
  func.func @t__mask(%b: i64, %h: i64, %q: i64, %k: i64, %nq: i64, %nk: i64) -> i1 {
    %zero = arith.constant 0 : i64
    %one = arith.constant 1 : i64
)" + consts + rest +
         "    %shifted = arith.shrui " + prev + R"(, %nq : i64
    %bit = arith.andi %shifted, %one : i64
    %set = arith.cmpi ne, %bit, %zero : i64
    return %set : i1
  }
  func.func @t__classify(%b: i64, %h: i64, %q0: i64, %q1: i64, %k0: i64, %k1: i64, %nq: i64, %nk: i64) -> i8 {
    %a = arith.trunci %q0 : i64 to i8
    %c = arith.trunci %k0 : i64 to i8
    %m = arith.minsi %a, %c : i8
    %x = arith.maxsi %m, %c : i8
    return %x : i8
  }
}
)";
}

const std::vector<int64_t> kValues = {
    0,  1,  -1, 2,  -2, 3,  -3, 7,  -7,  63, 64, 65, -64, 100, -100,
    127, 128, -128, 255, 256, 0x7fffffff, -0x80000000LL, 0x100000000LL,
    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
    std::numeric_limits<int64_t>::min() + 1, 0x5555555555555555LL,
    -0x123456789LL};

class CudaEmitterTest : public ::testing::Test,
                        protected ::attn::test::AttnTestContext {
protected:
  ModuleOp parse(const std::string &src) {
    module = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(module) << diagnostics;
    return module ? *module : ModuleOp();
  }
  OwningOpRef<ModuleOp> module;
};

TEST_F(CudaEmitterTest, HostCompiledFunctionsMatchTheInterpreter) {
  ModuleOp m = parse(snippetModule());
  ASSERT_TRUE(m);
  auto source = emitCudaSource(m, "t", CudaEmitOptions());
  ASSERT_TRUE(succeeded(source)) << diagnostics;

  // The interpreter's answer for every snippet, value pair and bit.
  auto maskFn = m.lookupSymbol<func::FuncOp>("t__mask");
  auto compiled = CompiledFunction::compile(maskFn);
  ASSERT_TRUE(succeeded(compiled)) << diagnostics;
  std::ostringstream expected;
  for (size_t s = 0; s < kSnippets.size(); ++s)
    for (int64_t q : kValues)
      for (int64_t k : kValues) {
        uint64_t bits = 0;
        for (int64_t bit = 0; bit < 64; ++bit) {
          auto r = compiled->run({int64_t(s), 0, q, k, bit, 0});
          ASSERT_TRUE(succeeded(r));
          bits |= uint64_t((*r)[0] & 1) << bit;
        }
        expected << s << " " << q << " " << k << " " << int64_t(bits) << "\n";
      }

  // The same from the emitted code, compiled for the host.
  SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cuda-emitter", dir));
  std::string gen = (dir + "/gen.cu").str(), main = (dir + "/main.cpp").str(),
              exe = (dir + "/check").str(), out = (dir + "/out.txt").str();
  std::ofstream(gen) << *source;
  std::ostringstream values;
  for (int64_t v : kValues)
    values << (v == std::numeric_limits<int64_t>::min()
                   ? std::string("(-9223372036854775807LL - 1)")
                   : std::to_string(v) + "LL")
           << ", ";
  std::ofstream(main) << "#include <cstdio>\n"
                         "static const long long vals[] = {"
                      << values.str() << "};\nint main() {\n"
                      << "  for (int s = 0; s < " << kSnippets.size()
                      << "; ++s)\n"
                         "    for (long long q : vals) for (long long k : vals) {\n"
                         "      unsigned long long bits = 0;\n"
                         "      for (int bit = 0; bit < 64; ++bit)\n"
                         "        bits |= (unsigned long long)AttnPattern::mask("
                         "s, 0, q, k, bit, 0, nullptr) << bit;\n"
                         "      std::printf(\"%d %lld %lld %lld\\n\", s, q, k, "
                         "(long long)bits);\n"
                         "    }\n"
                         "  int c = AttnPattern::classify(0, 0, 300, 0, 5, 0, "
                         "0, 0, nullptr);\n"
                         "  std::printf(\"classify %d\\n\", c);\n"
                         "}\n";
  std::string include = std::string(ATTNC_SOURCE_DIR) + "/runtime/device";
  // ATTN_DEVICE_DIVISION: the GPU's floor division (32-bit fast path and
  // inline 64-bit loop) instead of the host's.
  std::string cmd = std::string(ATTNC_HOST_CXX) +
                    " -std=c++17 -O2 -Wall -Werror -Wno-unused-variable "
                    "-DATTN_DEVICE_DIVISION "
                    "-Wno-unused-but-set-variable -I " + include +
                    " -include " + gen + " " + main + " -o " + exe +
                    " 2>&1 && " + exe + " > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << *source;
  std::ifstream in(out);
  std::stringstream got;
  got << in.rdbuf();
  // classify: trunci(300) = 44, min(44, 5) = 5, max(5, 5) = 5.
  EXPECT_EQ(got.str(), expected.str() + "classify 5\n");
  llvm::sys::fs::remove_directories(dir);
}

TEST_F(CudaEmitterTest, UnsupportedOpIsAnErrorOnThatOp) {
  std::string src = snippetModule();
  std::string from = "%s0 = arith.addi %q, %k : i64";
  src.replace(src.find(from), from.size(), "%s0 = arith.divui %q, %k : i64");
  ModuleOp m = parse(src);
  ASSERT_TRUE(m);
  auto source = emitCudaSource(m, "t", CudaEmitOptions());
  EXPECT_TRUE(failed(source));
  EXPECT_NE(diagnostics.find("does not support 'arith.divui'"),
            std::string::npos)
      << diagnostics;
}

TEST_F(CudaEmitterTest, DeterministicAndChecksTheTile) {
  ModuleOp m = parse(snippetModule());
  ASSERT_TRUE(m);
  auto a = emitCudaSource(m, "t", CudaEmitOptions());
  auto b = emitCudaSource(m, "t", CudaEmitOptions());
  ASSERT_TRUE(succeeded(a) && succeeded(b));
  EXPECT_EQ(*a, *b);
  EXPECT_NE(a->find("ATTN_DEFINE_FWD_KERNELS_M(AttnPattern, f16, 128, 4, 1)"),
            std::string::npos);
  // 128-row tiles: eight warps.
  CudaEmitOptions wide;
  wide.tileQ = 128;
  auto c = emitCudaSource(m, "t", wide);
  ASSERT_TRUE(succeeded(c));
  EXPECT_NE(c->find("ATTN_DEFINE_FWD_KERNELS_M(AttnPattern, f16, 64, 8, 1)"),
            std::string::npos);
  EXPECT_NE(c->find("ATTN_DEFINE_FWD_KERNELS_M(AttnPattern, f16, 128, 8, 1)"),
            std::string::npos);
  CudaEmitOptions odd;
  odd.tileQ = 96;
  EXPECT_TRUE(failed(emitCudaSource(m, "t", odd)));
  EXPECT_NE(diagnostics.find("use 64x64 or 128x64 tiles"), std::string::npos)
      << diagnostics;
  EXPECT_TRUE(failed(emitCudaSource(m, "nope", CudaEmitOptions())));
}

} // namespace
