//===- InterpreterTest.cpp - unit tests of the integer code interpreter ---===//

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
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    ctx.loadDialect<arith::ArithDialect, func::FuncDialect, math::MathDialect,
                    memref::MemRefDialect, scf::SCFDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &ctx, [this](Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return success();
        });
  }

  ModuleOp parse(StringRef src) {
    module = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(module) << "parse failed:\n" << src.str() << "\n"
                        << diagnostics;
    return module ? *module : ModuleOp();
  }

  func::FuncOp lookup(StringRef name) {
    return module->lookupSymbol<func::FuncOp>(name);
  }

  /// Parses `src` and compiles @f; a test failure if either fails.
  FailureOr<CompiledFunction> compile(StringRef src, StringRef name = "f") {
    if (!parse(src))
      return failure();
    func::FuncOp fn = lookup(name);
    EXPECT_TRUE(fn) << "no function @" << name.str();
    if (!fn)
      return failure();
    return CompiledFunction::compile(fn);
  }

  /// Compiles a one-op function `%r = OP %a, %b : T` (or with operand type
  /// `T` and result type `R` for comparisons).
  FailureOr<CompiledFunction> compileBinary(StringRef op, StringRef type,
                                            StringRef resultType = "") {
    std::string rt = resultType.empty() ? type.str() : resultType.str();
    std::string src = "func.func @f(%a: " + type.str() + ", %b: " +
                      type.str() + ") -> " + rt + " {\n  %r = " + op.str() +
                      " %a, %b : " + type.str() + "\n  return %r : " + rt +
                      "\n}\n";
    return compile(src);
  }

  FailureOr<CompiledFunction> compileUnary(StringRef op, StringRef from,
                                           StringRef to) {
    std::string src = "func.func @f(%a: " + from.str() + ") -> " + to.str() +
                      " {\n  %r = " + op.str() + " %a : " + from.str() +
                      (from == to ? std::string() : " to " + to.str()) +
                      "\n  return %r : " + to.str() + "\n}\n";
    return compile(src);
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::string diagnostics;
};

struct Case {
  int64_t a, b, expected;
};

void checkBinary(const CompiledFunction &fn, StringRef what,
                 std::initializer_list<Case> cases) {
  for (const Case &c : cases) {
    FailureOr<int64_t> r = fn.run1({c.a, c.b});
    ASSERT_TRUE(succeeded(r)) << what.str();
    EXPECT_EQ(*r, c.expected)
        << what.str() << "(" << c.a << ", " << c.b << ")";
  }
}

#define BINARY(op, type, ...)                                                  \
  do {                                                                         \
    auto fn = compileBinary(op, type);                                         \
    ASSERT_TRUE(succeeded(fn)) << diagnostics;                                 \
    checkBinary(*fn, std::string(op) + " " + type, {__VA_ARGS__});            \
  } while (false)

TEST_F(InterpreterTest, AddSubMul) {
  BINARY("arith.addi", "i64", {3, 4, 7}, {kMax64, 1, kMin64}, {-5, 2, -3});
  BINARY("arith.addi", "i8", {100, 100, -56}, {-128, -1, 127}, {3, 4, 7});
  BINARY("arith.addi", "i1", {1, 1, 0}, {1, 0, 1}, {0, 0, 0});
  BINARY("arith.addi", "index", {kMax64, 1, kMin64});
  BINARY("arith.subi", "i8", {-128, 1, 127}, {5, 7, -2});
  BINARY("arith.subi", "i32", {0, 1, -1}, {-2147483647 - 1, 1, 2147483647});
  BINARY("arith.muli", "i32", {65536, 65536, 0}, {-3, 5, -15});
  BINARY("arith.muli", "i8", {16, 16, 0}, {16, 8, -128}, {-3, 5, -15});
  BINARY("arith.muli", "i64", {kMin64, -1, kMin64}, {1 << 20, 1 << 20, 1ll << 40});
}

TEST_F(InterpreterTest, Division) {
  BINARY("arith.divsi", "i64", {7, 2, 3}, {-7, 2, -3}, {7, -2, -3},
         {7, 0, 0}, {kMin64, -1, kMin64}, {0, 0, 0});
  BINARY("arith.divsi", "i8", {-128, -1, -128}, {-128, 2, -64}, {5, 0, 0});
  BINARY("arith.divsi", "i1", {1, 1, 1}, {0, 1, 0}, {1, 0, 0});
  BINARY("arith.divui", "i8", {-1, 2, 127}, {7, 0, 0}, {-128, 1, -128});
  BINARY("arith.divui", "i64", {-1, 2, kMax64}, {7, 2, 3});
  BINARY("arith.floordivsi", "i64", {-7, 2, -4}, {7, -2, -4}, {7, 2, 3},
         {-8, 2, -4}, {-1, 3, -1}, {0, 5, 0}, {5, 0, 0}, {kMin64, -1, kMin64});
  BINARY("arith.floordivsi", "i8", {-128, 3, -43}, {-128, -1, -128});
  BINARY("arith.ceildivsi", "i64", {-7, 2, -3}, {7, 2, 4}, {7, -2, -3},
         {-7, -2, 4}, {8, 2, 4}, {5, 0, 0}, {kMin64, -1, kMin64});
  BINARY("arith.ceildivui", "i8", {-1, 2, -128}, {7, 7, 1}, {8, 7, 2},
         {0, 3, 0}, {9, 0, 0});
  BINARY("arith.remsi", "i64", {-7, 2, -1}, {7, -2, 1}, {7, 0, 0},
         {kMin64, -1, 0}, {-8, 4, 0});
  BINARY("arith.remsi", "i8", {-128, 3, -2}, {-128, -1, 0});
  BINARY("arith.remui", "i8", {-1, 10, 5}, {9, 0, 0}, {-128, 3, 2});
  BINARY("arith.remui", "i64", {-1, 10, 5}, {7, 3, 1});
}

TEST_F(InterpreterTest, Bitwise) {
  BINARY("arith.andi", "i8", {-1, 15, 15}, {0x70, 0x1f, 0x10});
  BINARY("arith.ori", "i8", {0x70, 0x0f, 0x7f}, {-128, 1, -127});
  BINARY("arith.xori", "i8", {-1, 1, -2}, {5, 3, 6});
  BINARY("arith.xori", "i1", {1, 1, 0}, {1, 0, 1});
  BINARY("arith.andi", "i1", {1, 1, 1}, {1, 0, 0});
  BINARY("arith.ori", "i1", {0, 0, 0}, {1, 0, 1});
}

TEST_F(InterpreterTest, Shifts) {
  BINARY("arith.shli", "i8", {1, 7, -128}, {1, 8, 0}, {3, 2, 12},
         {1, -1, 0}, {-1, 1, -2});
  BINARY("arith.shli", "i64", {1, 63, kMin64}, {1, 64, 0}, {1, 1000, 0},
         {5, 0, 5});
  BINARY("arith.shrsi", "i8", {-128, 7, -1}, {-128, 8, -1}, {64, 9, 0},
         {-16, 2, -4}, {100, 2, 25}, {-1, -1, -1});
  BINARY("arith.shrsi", "i64", {kMin64, 63, -1}, {kMin64, 64, -1},
         {kMax64, 64, 0}, {-8, 1, -4});
  BINARY("arith.shrui", "i8", {-128, 7, 1}, {-1, 4, 15}, {-1, 8, 0},
         {100, 2, 25});
  BINARY("arith.shrui", "i64", {-1, 63, 1}, {-1, 64, 0}, {-1, 1, kMax64});
  BINARY("arith.shrui", "i1", {1, 0, 1}, {1, 1, 0});
}

TEST_F(InterpreterTest, MinMax) {
  BINARY("arith.minsi", "i8", {-1, 1, -1}, {5, 3, 3});
  BINARY("arith.maxsi", "i8", {-1, 1, 1}, {-128, 127, 127});
  BINARY("arith.minui", "i8", {-1, 1, 1}, {-128, 127, 127});
  BINARY("arith.maxui", "i8", {-1, 1, -1}, {-128, 127, -128});
  BINARY("arith.minsi", "i64", {kMin64, kMax64, kMin64});
  BINARY("arith.maxui", "i64", {kMin64, kMax64, kMin64});
  BINARY("arith.minsi", "index", {-3, 2, -3});
}

TEST_F(InterpreterTest, Compare) {
  struct Pred {
    const char *name;
    int64_t ltSigned;   // (-1, 1)
    int64_t equal;      // (5, 5)
    int64_t gtSigned;   // (1, -1)
  };
  // As i8: -1 is 255 unsigned, so the unsigned order of (-1, 1) is reversed.
  const Pred preds[] = {{"eq", 0, 1, 0},  {"ne", 1, 0, 1},  {"slt", 1, 0, 0},
                        {"sle", 1, 1, 0}, {"sgt", 0, 0, 1}, {"sge", 0, 1, 1},
                        {"ult", 0, 0, 1}, {"ule", 0, 1, 1}, {"ugt", 1, 0, 0},
                        {"uge", 1, 1, 0}};
  for (const char *type : {"i8", "i64", "index", "i32"}) {
    for (const Pred &p : preds) {
      auto fn = compileBinary(std::string("arith.cmpi ") + p.name + ",",
                              type, "i1");
      ASSERT_TRUE(succeeded(fn)) << diagnostics;
      checkBinary(*fn, std::string("cmpi ") + p.name + " " + type,
                  {{-1, 1, p.ltSigned}, {5, 5, p.equal}, {1, -1, p.gtSigned}});
    }
  }
  // i1: true is -1 signed.
  auto slt = compileBinary("arith.cmpi slt,", "i1", "i1");
  ASSERT_TRUE(succeeded(slt));
  checkBinary(*slt, "cmpi slt i1", {{1, 0, 1}, {0, 1, 0}, {1, 1, 0}});
  auto ult = compileBinary("arith.cmpi ult,", "i1", "i1");
  ASSERT_TRUE(succeeded(ult));
  checkBinary(*ult, "cmpi ult i1", {{1, 0, 0}, {0, 1, 1}});
}

TEST_F(InterpreterTest, Select) {
  auto fn = compile(R"mlir(
    func.func @f(%c: i1, %a: i32, %b: i32) -> i32 {
      %r = arith.select %c, %a, %b : i32
      return %r : i32
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run1({1, 10, 20}), 10);
  EXPECT_EQ(*fn->run1({0, 10, 20}), 20);
  // Arguments are normalized to their width: 2 as i1 is 0.
  EXPECT_EQ(*fn->run1({2, 10, 20}), 20);
  EXPECT_EQ(*fn->run1({3, 10, 20}), 10);
}

TEST_F(InterpreterTest, Casts) {
  struct C {
    const char *op, *from, *to;
    int64_t in, out;
  };
  const C cases[] = {
      {"arith.extsi", "i1", "i64", 1, -1},
      {"arith.extsi", "i1", "i64", 0, 0},
      {"arith.extui", "i1", "i64", 1, 1},
      {"arith.extsi", "i8", "i32", -5, -5},
      {"arith.extui", "i8", "i32", -5, 251},
      {"arith.extui", "i32", "i64", -1, 4294967295ll},
      {"arith.extsi", "i32", "i64", -1, -1},
      {"arith.trunci", "i64", "i8", 300, 44},
      {"arith.trunci", "i64", "i8", 255, -1},
      {"arith.trunci", "i64", "i8", 128, -128},
      {"arith.trunci", "i64", "i1", 3, 1},
      {"arith.trunci", "i64", "i1", 2, 0},
      {"arith.trunci", "i32", "i16", 65537, 1},
      {"arith.index_cast", "i32", "index", -5, -5},
      {"arith.index_cast", "index", "i8", 257, 1},
      {"arith.index_cast", "index", "i64", kMin64, kMin64},
      {"arith.index_cast", "i1", "index", 1, -1},
      {"arith.index_castui", "i32", "index", -1, 4294967295ll},
      {"arith.index_castui", "i1", "index", 1, 1},
      {"arith.index_castui", "index", "i8", 511, -1},
  };
  for (const C &c : cases) {
    auto fn = compileUnary(c.op, c.from, c.to);
    ASSERT_TRUE(succeeded(fn)) << c.op << " " << diagnostics;
    EXPECT_EQ(*fn->run1({c.in}), c.out)
        << c.op << " " << c.from << " -> " << c.to << " of " << c.in;
  }
}

TEST_F(InterpreterTest, MathOps) {
  struct C {
    const char *op, *type;
    int64_t in, out;
  };
  const C cases[] = {
      {"math.absi", "i8", -128, -128}, {"math.absi", "i8", -5, 5},
      {"math.absi", "i64", kMin64, kMin64}, {"math.absi", "i64", 7, 7},
      {"math.absi", "i64", -7, 7},     {"math.ctlz", "i8", 1, 7},
      {"math.ctlz", "i8", 0, 8},       {"math.ctlz", "i8", -1, 0},
      {"math.ctlz", "i64", 1, 63},     {"math.ctlz", "i64", 0, 64},
      {"math.ctlz", "i32", 255, 24},   {"math.cttz", "i32", 8, 3},
      {"math.cttz", "i32", 0, 32},     {"math.cttz", "i8", -128, 7},
      {"math.cttz", "i64", kMin64, 63}, {"math.ctpop", "i8", -1, 8},
      {"math.ctpop", "i64", -1, 64},   {"math.ctpop", "i16", 0x0f0f, 8},
      {"math.ctpop", "i64", 0, 0},
  };
  for (const C &c : cases) {
    auto fn = compileUnary(c.op, c.type, c.type);
    ASSERT_TRUE(succeeded(fn)) << c.op << " " << diagnostics;
    EXPECT_EQ(*fn->run1({c.in}), c.out) << c.op << " " << c.type << " of "
                                        << c.in;
  }
}

TEST_F(InterpreterTest, ConstantsAndArgumentWidths) {
  auto fn = compile(R"mlir(
    func.func @f(%x: i8) -> (i1, i8, index, i64, i8, i32) {
      %t = arith.constant true
      %m = arith.constant -1 : i8
      %i = arith.constant 42 : index
      %big = arith.constant -9223372036854775808 : i64
      %s = arith.addi %x, %m : i8
      %u = arith.constant 4000000000 : i32
      return %t, %m, %i, %big, %s, %u : i1, i8, index, i64, i8, i32
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(fn->numInputs(), 1u);
  EXPECT_EQ(fn->numResults(), 6u);
  EXPECT_EQ(fn->inputWidth(0), 8u);
  EXPECT_EQ(fn->resultWidth(0), 1u);
  EXPECT_EQ(fn->resultWidth(2), 64u);
  auto r = fn->run({300}); // 300 as i8 is 44
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ((*r)[0], 1);
  EXPECT_EQ((*r)[1], -1);
  EXPECT_EQ((*r)[2], 42);
  EXPECT_EQ((*r)[3], kMin64);
  EXPECT_EQ((*r)[4], 43);
  EXPECT_EQ((*r)[5], 4000000000ll - 4294967296ll);
}

TEST_F(InterpreterTest, IfWithResults) {
  auto fn = compile(R"mlir(
    func.func @f(%a: i64, %b: i64) -> (i64, i64) {
      %c = arith.cmpi slt, %a, %b : i64
      %r:2 = scf.if %c -> (i64, i64) {
        %d = arith.subi %b, %a : i64
        scf.yield %d, %a : i64, i64
      } else {
        %z = arith.cmpi eq, %a, %b : i64
        %e = scf.if %z -> (i64) {
          %k = arith.constant 100 : i64
          scf.yield %k : i64
        } else {
          %d = arith.subi %a, %b : i64
          scf.yield %d : i64
        }
        scf.yield %e, %b : i64, i64
      }
      return %r#0, %r#1 : i64, i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run({3, 10}), (SmallVector<int64_t, 2>{7, 3}));
  EXPECT_EQ(*fn->run({10, 3}), (SmallVector<int64_t, 2>{7, 3}));
  EXPECT_EQ(*fn->run({4, 4}), (SmallVector<int64_t, 2>{100, 4}));
}

TEST_F(InterpreterTest, IfWithoutElse) {
  auto fn = compile(R"mlir(
    memref.global "private" constant @g : memref<2xi64> = dense<[5, 6]>
    func.func @f(%c: i1, %i: index) -> i64 {
      %m = memref.get_global @g : memref<2xi64>
      scf.if %c {
        %v = memref.load %m[%i] : memref<2xi64>
      }
      %one = arith.constant 1 : i64
      return %one : i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run1({1, 0}), 1);
  // The out-of-bounds load is skipped when the condition is false.
  EXPECT_TRUE(succeeded(fn->run1({0, 7})));
  EXPECT_TRUE(failed(fn->run1({1, 7})));
}

TEST_F(InterpreterTest, ForLoops) {
  auto fn = compile(R"mlir(
    func.func @f(%n: i64) -> (i64, i64) {
      %c0 = arith.constant 0 : i64
      %c1 = arith.constant 1 : i64
      // Sum of 0..n-1 and the n-th Fibonacci number (the yield swaps).
      %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c0) -> (i64) : i64 {
        %t = arith.addi %acc, %i : i64
        scf.yield %t : i64
      }
      %f:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0, %b = %c1) -> (i64, i64) : i64 {
        %t = arith.addi %a, %b : i64
        scf.yield %b, %t : i64, i64
      }
      return %s, %f#0 : i64, i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run({0}), (SmallVector<int64_t, 2>{0, 0}));
  EXPECT_EQ(*fn->run({1}), (SmallVector<int64_t, 2>{0, 1}));
  EXPECT_EQ(*fn->run({10}), (SmallVector<int64_t, 2>{45, 55}));
  EXPECT_EQ(*fn->run({-3}), (SmallVector<int64_t, 2>{0, 0}));
}

TEST_F(InterpreterTest, ForLoopSwapAndIndexBounds) {
  auto fn = compile(R"mlir(
    func.func @f(%lb: index, %ub: index, %st: index) -> (i64, i64, index) {
      %x = arith.constant 1 : i64
      %y = arith.constant 2 : i64
      %c0 = arith.constant 0 : index
      %r:3 = scf.for %i = %lb to %ub step %st iter_args(%a = %x, %b = %y, %n = %c0) -> (i64, i64, index) {
        %one = arith.constant 1 : index
        %n1 = arith.addi %n, %one : index
        scf.yield %b, %a, %n1 : i64, i64, index
      }
      return %r#0, %r#1, %r#2 : i64, i64, index
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run({0, 10, 3}), (SmallVector<int64_t, 2>{1, 2, 4}));
  EXPECT_EQ(*fn->run({0, 9, 3}), (SmallVector<int64_t, 2>{2, 1, 3}));
  EXPECT_EQ(*fn->run({-5, -4, 1}), (SmallVector<int64_t, 2>{2, 1, 1}));
  // Never runs past the bound, even when the induction variable would wrap.
  EXPECT_EQ(*fn->run({kMax64 - 1, kMax64, 5}),
            (SmallVector<int64_t, 2>{2, 1, 1}));
  // A step that is not positive is a run-time error, not a hang.
  EXPECT_TRUE(failed(fn->run({0, 10, 0})));
  EXPECT_NE(fn->lastError().find("step must be positive"), std::string::npos)
      << fn->lastError();
  EXPECT_TRUE(failed(fn->run({0, 10, -1})));
  // The object recovers after an error.
  EXPECT_EQ(*fn->run({0, 2, 1}), (SmallVector<int64_t, 2>{1, 2, 2}));
  EXPECT_EQ(fn->lastError(), "");
}

TEST_F(InterpreterTest, NestedLoopsSmallWidth) {
  auto fn = compile(R"mlir(
    func.func @f(%n: i8) -> i8 {
      %c0 = arith.constant 0 : i8
      %c1 = arith.constant 1 : i8
      %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c0) -> (i8) : i8 {
        %in = scf.for %j = %c0 to %i step %c1 iter_args(%a = %acc) -> (i8) : i8 {
          %t = arith.addi %a, %c1 : i8
          scf.yield %t : i8
        }
        scf.yield %in : i8
      }
      return %r : i8
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run1({5}), 10);
  EXPECT_EQ(*fn->run1({17}), (17 * 16 / 2) - 256); // 136 wraps in i8
  // The loop stops at 127 instead of wrapping forever.
  EXPECT_EQ(*fn->run1({127}), int8_t(uint8_t((127 * 126 / 2) & 0xff)));
}

TEST_F(InterpreterTest, UnsignedFor) {
  auto fn = compile(R"mlir(
    func.func @f(%lb: i8, %ub: i8) -> i64 {
      %c1 = arith.constant 1 : i8
      %z = arith.constant 0 : i64
      %one = arith.constant 1 : i64
      %r = scf.for unsigned %i = %lb to %ub step %c1 iter_args(%a = %z) -> (i64) : i8 {
        %t = arith.addi %a, %one : i64
        scf.yield %t : i64
      }
      return %r : i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  // Unsigned: 0 to -56 (= 200) runs 200 times; signed would run 0 times.
  EXPECT_EQ(*fn->run1({0, -56}), 200);
  EXPECT_EQ(*fn->run1({-56, 0}), 0);
  EXPECT_EQ(*fn->run1({250, -1}), 5);
}

TEST_F(InterpreterTest, WhileLoop) {
  // Collatz steps.
  auto fn = compile(R"mlir(
    func.func @f(%n0: i64) -> i64 {
      %c0 = arith.constant 0 : i64
      %c1 = arith.constant 1 : i64
      %c2 = arith.constant 2 : i64
      %c3 = arith.constant 3 : i64
      %r:2 = scf.while (%n = %n0, %s = %c0) : (i64, i64) -> (i64, i64) {
        %go = arith.cmpi sgt, %n, %c1 : i64
        scf.condition(%go) %n, %s : i64, i64
      } do {
      ^bb0(%n: i64, %s: i64):
        %odd = arith.remsi %n, %c2 : i64
        %isodd = arith.cmpi ne, %odd, %c0 : i64
        %next = scf.if %isodd -> (i64) {
          %m = arith.muli %n, %c3 : i64
          %p = arith.addi %m, %c1 : i64
          scf.yield %p : i64
        } else {
          %h = arith.divsi %n, %c2 : i64
          scf.yield %h : i64
        }
        %s1 = arith.addi %s, %c1 : i64
        scf.yield %next, %s1 : i64, i64
      }
      return %r#1 : i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run1({1}), 0);
  EXPECT_EQ(*fn->run1({6}), 8);
  EXPECT_EQ(*fn->run1({27}), 111);
}

TEST_F(InterpreterTest, WhileGcd) {
  auto fn = compile(R"mlir(
    func.func @f(%a0: i32, %b0: i32) -> i32 {
      %c0 = arith.constant 0 : i32
      %r:2 = scf.while (%a = %a0, %b = %b0) : (i32, i32) -> (i32, i32) {
        %go = arith.cmpi ne, %b, %c0 : i32
        scf.condition(%go) %a, %b : i32, i32
      } do {
      ^bb0(%x: i32, %y: i32):
        %m = arith.remui %x, %y : i32
        scf.yield %y, %m : i32, i32
      }
      return %r#0 : i32
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run1({48, 18}), 6);
  EXPECT_EQ(*fn->run1({17, 5}), 1);
  EXPECT_EQ(*fn->run1({0, 9}), 9);
  EXPECT_EQ(*fn->run1({9, 0}), 9);
}

TEST_F(InterpreterTest, Calls) {
  auto fn = compile(R"mlir(
    func.func private @sq(%x: i64) -> i64 {
      %r = arith.muli %x, %x : i64
      return %r : i64
    }
    func.func private @both(%x: i64, %y: i64) -> (i64, i64) {
      %a = func.call @sq(%x) : (i64) -> i64
      %b = func.call @sq(%y) : (i64) -> i64
      return %b, %a : i64, i64
    }
    func.func @f(%n: i64) -> (i64, i64) {
      %c0 = arith.constant 0 : i64
      %c1 = arith.constant 1 : i64
      // sum of squares of 0..n-1, computed with a call inside the loop.
      %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c0) -> (i64) : i64 {
        %q = func.call @sq(%i) : (i64) -> i64
        %t = arith.addi %acc, %q : i64
        scf.yield %t : i64
      }
      %p:2 = func.call @both(%n, %c1) : (i64, i64) -> (i64, i64)
      %d = arith.subi %p#1, %p#0 : i64
      return %s, %d : i64, i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run({4}), (SmallVector<int64_t, 2>{14, 15}));
  EXPECT_EQ(*fn->run({0}), (SmallVector<int64_t, 2>{0, -1}));
}

TEST_F(InterpreterTest, RecursionIsAnError) {
  auto fn = compile(R"mlir(
    func.func @f(%n: i64) -> i64 {
      %r = func.call @f(%n) : (i64) -> i64
      return %r : i64
    })mlir");
  EXPECT_TRUE(failed(fn));
  EXPECT_NE(diagnostics.find("recursive call to @f"), std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, ExternalCalleeIsAnError) {
  auto fn = compile(R"mlir(
    func.func private @ext(i64) -> i64
    func.func @f(%n: i64) -> i64 {
      %r = func.call @ext(%n) : (i64) -> i64
      return %r : i64
    })mlir");
  EXPECT_TRUE(failed(fn));
  EXPECT_NE(diagnostics.find("@ext has no body"), std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, Globals) {
  auto fn = compile(R"mlir(
    memref.global "private" constant @t : memref<2x3xi8> = dense<[[1, 2, 3], [4, 5, -1]]>
    memref.global "private" constant @b : memref<2x2x2xi1> = dense<[[[true, false], [false, true]], [[true, true], [false, false]]]>
    memref.global "private" constant @s : memref<4xi32> = dense<7>
    memref.global "private" constant @z : memref<i64> = dense<-9>
    func.func @f(%i: index, %j: index, %k: index) -> (i8, i1, i32, i64) {
      %t = memref.get_global @t : memref<2x3xi8>
      %b = memref.get_global @b : memref<2x2x2xi1>
      %s = memref.get_global @s : memref<4xi32>
      %z = memref.get_global @z : memref<i64>
      %v = memref.load %t[%i, %j] : memref<2x3xi8>
      %w = memref.load %b[%i, %j, %k] : memref<2x2x2xi1>
      %x = memref.load %s[%j] : memref<4xi32>
      %y = memref.load %z[] : memref<i64>
      return %v, %w, %x, %y : i8, i1, i32, i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run({0, 0, 0}), (SmallVector<int64_t, 2>{1, 1, 7, -9}));
  EXPECT_EQ(*fn->run({1, 1, 1}), (SmallVector<int64_t, 2>{5, 0, 7, -9}));
  EXPECT_EQ(*fn->run({1, 0, 1}), (SmallVector<int64_t, 2>{4, 1, 7, -9}));
  EXPECT_EQ(*fn->run({0, 1, 1}), (SmallVector<int64_t, 2>{2, 1, 7, -9}));
  EXPECT_TRUE(failed(fn->run({0, 2, 0}))); // j = 2 is out of @b
  EXPECT_NE(fn->lastError().find("out of bounds of @b"), std::string::npos)
      << fn->lastError();
  EXPECT_TRUE(failed(fn->run({2, 0, 0})));
  EXPECT_TRUE(failed(fn->run({-1, 0, 0})));
}

TEST_F(InterpreterTest, GlobalThroughCall) {
  auto fn = compile(R"mlir(
    memref.global "private" constant @t : memref<3xi64> = dense<[10, 20, 30]>
    func.func private @get(%i: index) -> i64 {
      %t = memref.get_global @t : memref<3xi64>
      %v = memref.load %t[%i] : memref<3xi64>
      return %v : i64
    }
    func.func @f(%i: i64) -> i64 {
      %x = arith.index_cast %i : i64 to index
      %a = func.call @get(%x) : (index) -> i64
      %c0 = arith.constant 0 : index
      %b = func.call @get(%c0) : (index) -> i64
      %r = arith.addi %a, %b : i64
      return %r : i64
    })mlir");
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(*fn->run1({2}), 40);
  EXPECT_TRUE(failed(fn->run1({3})));
}

TEST_F(InterpreterTest, NonConstantGlobalIsAnError) {
  auto fn = compile(R"mlir(
    memref.global "private" @t : memref<3xi64> = dense<[10, 20, 30]>
    func.func @f(%i: index) -> i64 {
      %t = memref.get_global @t : memref<3xi64>
      %v = memref.load %t[%i] : memref<3xi64>
      return %v : i64
    })mlir");
  EXPECT_TRUE(failed(fn));
  EXPECT_NE(diagnostics.find("must be constant"), std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, UnsupportedOpIsAnError) {
  auto fn = compile(R"mlir(
    func.func @f(%a: i64) -> i64 {
      %c = arith.constant 2 : i64
      %r = math.ipowi %a, %c : i64
      return %r : i64
    })mlir");
  EXPECT_TRUE(failed(fn));
  EXPECT_NE(diagnostics.find("unsupported op 'math.ipowi'"), std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, UnsupportedTypeIsAnError) {
  auto fn = compile(R"mlir(
    func.func @f(%a: f32) -> f32 {
      %r = arith.addf %a, %a : f32
      return %r : f32
    })mlir");
  EXPECT_TRUE(failed(fn));
  EXPECT_NE(diagnostics.find("unsupported input type 'f32'"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  auto g = compile(R"mlir(
    func.func @f(%a: i128) -> i128 {
      return %a : i128
    })mlir");
  EXPECT_TRUE(failed(g));
  EXPECT_NE(diagnostics.find("unsupported input type"), std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, CompileRegion) {
  ModuleOp m = parse(R"mlir(
    func.func @f(%x: i64, %y: i64) -> i64 {
      %c3 = arith.constant 3 : i64
      %c0 = arith.constant 0 : i64
      %c1 = arith.constant 1 : i64
      %d = arith.muli %c3, %c3 : i64
      %r = scf.for %i = %c0 to %x step %c1 iter_args(%acc = %c0) -> (i64) : i64 {
        %t = arith.addi %acc, %y : i64
        %u = arith.addi %t, %d : i64
        %v = arith.muli %u, %i : i64
        scf.yield %v : i64
      }
      return %r : i64
    })mlir");
  ASSERT_TRUE(m);
  scf::ForOp loop;
  m.walk([&](scf::ForOp op) { loop = op; });
  func::FuncOp f = lookup("f");
  Value y = f.getArgument(1);
  // Inputs: %i, %acc (the region's arguments), then %y. %d is computed from
  // constants outside the region and compiled into it.
  auto fn = CompiledFunction::compileRegion(loop.getRegion(), {y});
  ASSERT_TRUE(succeeded(fn)) << diagnostics;
  EXPECT_EQ(fn->numInputs(), 3u);
  EXPECT_EQ(*fn->run1({2, 5, 1}), (5 + 1 + 9) * 2);
  // Without %y as an input the region cannot be compiled.
  auto bad = CompiledFunction::compileRegion(loop.getRegion(), {});
  EXPECT_TRUE(failed(bad));
  EXPECT_NE(diagnostics.find("not an input"), std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, ThreadScratchAndCopies) {
  auto fn = compile(R"mlir(
    func.func @f(%a: i64) -> i64 {
      %c = arith.constant 5 : i64
      %r = arith.addi %a, %c : i64
      return %r : i64
    })mlir");
  ASSERT_TRUE(succeeded(fn));
  InterpreterScratch s = fn->makeScratch();
  EXPECT_EQ(*fn->run1({1}, s), 6);
  CompiledFunction copy = *fn;
  EXPECT_EQ(*copy.run1({2}), 7);
  // A scratch of another function is re-initialized, not misused.
  auto other = compile(R"mlir(
    func.func @f(%a: i64) -> i64 {
      %c = arith.constant 100 : i64
      %r = arith.subi %a, %c : i64
      return %r : i64
    })mlir");
  ASSERT_TRUE(succeeded(other));
  EXPECT_EQ(*other->run1({1}, s), -99);
  EXPECT_EQ(*fn->run1({1}, s), 6);
  // The wrong number of arguments is an error, not a crash.
  EXPECT_TRUE(failed(fn->run1({1, 2})));
  EXPECT_TRUE(failed(fn->run1({})));
  EXPECT_NE(fn->lastError().find("wrong number"), std::string::npos);
  EXPECT_EQ(*fn->run1({3}), 8);
}

// Not a benchmark: a generous bound that catches an accidentally slow path
// (e.g. allocation per call). Prints the measured cost.
TEST_F(InterpreterTest, SpeedSanity) {
  auto fn = compile(R"mlir(
    func.func @f(%q: i64, %k: i64, %nq: i64, %nk: i64) -> i1 {
      %d = arith.subi %nk, %nq : i64
      %p = arith.addi %q, %d : i64
      %c64 = arith.constant 64 : i64
      %w = arith.subi %p, %c64 : i64
      %a = arith.cmpi sgt, %k, %w : i64
      %b = arith.cmpi sle, %k, %p : i64
      %r = arith.andi %a, %b : i1
      return %r : i1
    })mlir");
  ASSERT_TRUE(succeeded(fn));
  const int64_t n = 1024;
  int64_t count = 0;
  auto start = std::chrono::steady_clock::now();
  int64_t args[4] = {0, 0, n, n};
  for (int64_t q = 0; q < n; ++q)
    for (int64_t k = 0; k < n; ++k) {
      args[0] = q;
      args[1] = k;
      count += *fn->run1(args);
    }
  double ns = std::chrono::duration<double, std::nano>(
                  std::chrono::steady_clock::now() - start)
                  .count() /
              double(n * n);
  EXPECT_EQ(count, 64 * n - 64 * 63 / 2);
  llvm::errs() << "sliding predicate: " << fn->numInstructions()
               << " instructions, " << ns << " ns per call\n";
  EXPECT_LT(ns, 2000.0);
}

} // namespace
