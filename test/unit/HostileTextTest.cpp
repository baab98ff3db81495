//===- HostileTextTest.cpp - user text in generated code stays inert ------===//
//
// A pattern whose source path, name, run-time parameter name and settings
// hold line breaks, quotes, backslashes, comment ends, Python and C++ code,
// a bidi override and invalid UTF-8 goes through every emitter: the
// FlexAttention module (parsed and imported by Python: the injected code
// must not run, the mask must be right), the CUDA source (compiled as host
// C++: an injected `#error` line must stay in its comment, the predicate
// must be right), the LLVM IR (parsed back by LLVM, JIT-compiled and run)
// and the CUDA bundle manifest (no injected lines, exact round trip).
//
//===----------------------------------------------------------------------===//
#include "AttnTestContext.h"
#include "attn/attn.h"
#include "codegen/CpuJit.h"
#include "codegen/CpuLowering.h"
#include "codegen/CudaEmitter.h"
#include "codegen/FlexExport.h"
#include "dialect/AttnOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "runtime/cuda/Bundle.h"
#include "runtime/jit/Nvrtc.h"
#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace mlir;
namespace ma = mlir::attn;

namespace {

class HostileTextTest : public ::testing::Test,
                        public ::attn::test::AttnTestContext {
protected:
  HostileTextTest()
      : AttnTestContext(
            [](DialectRegistry &r) { ma::registerCpuLoweringDialects(r); }) {}

  void SetUp() override {
    llvm::SmallString<128> made;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("attn-hostile", made));
    dir = made.str().str();
    marker = dir + "/INJECTED";
    // Text that ends a comment line and continues with live code in each
    // language, plus everything else that could break out of an escape.
    std::string code = "\nimport os; open('" + marker +
                       "', 'w').write('x')\n#error INJECTED\n"
                       "int injected = 1; /* */ \"\"\" ''' {open('" +
                       marker + "', 'w')}\r\n";
    path = dir + "/evil" + code + "\\ \" ' */ \xe2\x80\xae \xff\x01/p.attn";
    name = "p" + code + "\\";
    param = "n" + code;
    setting = "n=1" + code;
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// `pattern p(param n: int) { mask sliding(n) }` renamed to the hostile
  /// names, at the attn-scheduled stage, located in the hostile path.
  OwningOpRef<ModuleOp> compileHostile() {
    llvm::SourceMgr sm;
    sm.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(
            "pattern p(param n: int) {\n  mask sliding(n)\n}\n", path),
        llvm::SMLoc());
    OwningOpRef<ModuleOp> module = ma::importAttn(sm, &ctx);
    if (!module)
      return nullptr;
    auto pattern = module->lookupSymbol<ma::PatternOp>("p");
    if (!pattern)
      return nullptr;
    if (failed(SymbolTable::replaceAllSymbolUses(
            pattern, StringAttr::get(&ctx, name), *module)))
      return nullptr;
    SymbolTable::setSymbolName(pattern, name);
    Builder b(&ctx);
    pattern.setParamNamesAttr(b.getStrArrayAttr({param}));
    PassManager pm(&ctx);
    ma::PipelineOptions options;
    options.pattern = name;
    options.stop = ma::Stage::AttnScheduled;
    ma::buildAttnPipeline(pm, options);
    if (failed(pm.run(*module)))
      return nullptr;
    return module;
  }

  void writeFile(const std::string &file, const std::string &text) {
    std::ofstream(file, std::ios::binary) << text;
  }

  /// No line of `text` starts (after white space) with injected code.
  void expectNoLiveInjection(const std::string &text) {
    std::istringstream in(text);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      size_t start = line.find_first_not_of(" \t");
      std::string rest = start == std::string::npos ? "" : line.substr(start);
      for (const char *bad : {"import os", "#error", "int injected"})
        EXPECT_NE(rest.rfind(bad, 0), 0u)
            << "line " << number << " is live injected code: " << line;
    }
  }

  std::string dir, marker, path, name, param, setting;
};

TEST_F(HostileTextTest, FlexModuleIsInert) {
  OwningOpRef<ModuleOp> module = compileHostile();
  ASSERT_TRUE(module) << diagnostics;
  ma::FlexExportOptions options;
  options.sourceName = path;
  options.settings = {setting};
  FailureOr<std::string> text = ma::exportFlexModule(*module, name, options);
  ASSERT_TRUE(succeeded(text)) << diagnostics;
  expectNoLiveInjection(*text);
  // Python reads a source encoding from the first two lines only.
  EXPECT_EQ(text->find(path.substr(dir.size())), text->npos);
  std::string firstTwo =
      text->substr(0, text->find('\n', text->find('\n') + 1));
  EXPECT_EQ(firstTwo.find("evil"), std::string::npos) << firstTwo;

  auto python = llvm::sys::findProgramByName("python3");
  if (!python)
    GTEST_SKIP() << "python3 is not installed";
  std::string module_ = dir + "/hostile_flex.py", check = dir + "/check.py";
  writeFile(module_, *text);
  // The parameter's name is passed through a file: it is not valid text
  // for a command line.
  writeFile(dir + "/param.txt", param);
  writeFile(check, "import ast, importlib.util, os, sys\n"
                   "src = open(sys.argv[1], 'rb').read()\n"
                   "ast.parse(src)\n"
                   "spec = importlib.util.spec_from_file_location('m', "
                   "sys.argv[1])\n"
                   "m = importlib.util.module_from_spec(spec)\n"
                   "spec.loader.exec_module(m)\n"
                   "param = open(sys.argv[2], 'rb').read().decode()\n"
                   "assert m.PARAMS == [param], m.PARAMS\n"
                   "assert m.PATTERN.startswith('p\\nimport os'), m.PATTERN\n"
                   "for n in (1, 3, 8):\n"
                   "    mm = m.make_mask_mod(20, 20, **{param: n})\n"
                   "    for q in range(20):\n"
                   "        for k in range(20):\n"
                   "            assert mm(0, 0, q, k) == (q - n < k <= q), "
                   "(n, q, k)\n"
                   "try:\n"
                   "    m.make_mask_mod(20, 20)\n"
                   "    sys.exit('a missing parameter was accepted')\n"
                   "except TypeError:\n"
                   "    pass\n"
                   "print('ok')\n");
  std::string out = dir + "/out.txt";
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(out), llvm::StringRef(out)};
  int rc = llvm::sys::ExecuteAndWait(
      *python, {*python, check, module_, dir + "/param.txt"}, std::nullopt,
      redirects);
  std::ifstream in(out);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(rc, 0) << got.str();
  EXPECT_EQ(got.str(), "ok\n");
  EXPECT_FALSE(llvm::sys::fs::exists(marker)) << "the injected code ran";
}

TEST_F(HostileTextTest, CudaSourceIsInert) {
  OwningOpRef<ModuleOp> module = compileHostile();
  ASSERT_TRUE(module) << diagnostics;
  // The classifier is generated at the scheduled stage by the pipeline.
  ma::CudaEmitOptions options;
  options.variants = {};
  FailureOr<std::string> source = ma::emitCudaSource(*module, name, options);
  ASSERT_TRUE(succeeded(source)) << diagnostics;
  expectNoLiveInjection(*source);
  // As host C++ (an injected #error line would stop the compile), the
  // predicate reads the parameter and gives sliding(n).
  std::string gen = dir + "/gen.cu", main = dir + "/main.cpp",
              exe = dir + "/check", out = dir + "/out.txt";
  writeFile(gen, *source);
  writeFile(main,
            "#include <cstdio>\n#include <initializer_list>\n"
            "int main() {\n"
            "  long long bad = 0;\n"
            "  for (long long n : {1, 3, 8}) {\n"
            "    const attn_i64 params[1] = {n};\n"
            "    for (long long q = 0; q < 20; ++q)\n"
            "      for (long long k = 0; k < 20; ++k)\n"
            "        bad += AttnPattern::mask(0, 0, q, k, 20, 20, params) "
            "!= (q - n < k && k <= q);\n"
            "  }\n"
            "  std::printf(\"%lld\\n\", bad);\n"
            "}\n");
  std::string include = std::string(ATTNC_SOURCE_DIR) + "/runtime/device";
  std::string cmd = std::string(ATTNC_HOST_CXX) +
                    " -std=c++17 -O1 -Wall -Werror -Wno-unused-variable "
                    "-Wno-unused-but-set-variable -I " +
                    include + " -include " + gen + " " + main + " -o " + exe +
                    " > " + out + " 2>&1 && " + exe + " > " + out;
  int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  std::stringstream got;
  got << in.rdbuf();
  ASSERT_EQ(rc, 0) << got.str() << "\n" << *source;
  EXPECT_EQ(got.str(), "0\n");
}

TEST_F(HostileTextTest, LlvmIrParsesAndRuns) {
  OwningOpRef<ModuleOp> module = compileHostile();
  ASSERT_TRUE(module) << diagnostics;
  auto lowered = ma::lowerPatternToLLVM(*module, name);
  ASSERT_TRUE(succeeded(lowered)) << diagnostics;
  FailureOr<std::string> ir = ma::translateToLLVMIRText(**lowered);
  ASSERT_TRUE(succeeded(ir)) << diagnostics;
  expectNoLiveInjection(*ir);
  llvm::LLVMContext llvmContext;
  llvm::SMDiagnostic error;
  std::unique_ptr<llvm::Module> parsed =
      llvm::parseAssemblyString(*ir, error, llvmContext);
  ASSERT_TRUE(parsed) << error.getMessage().str() << "\n" << *ir;
  // The entry points keep their names (the pattern's, escaped by LLVM).
  std::vector<char> object;
  std::string message;
  ASSERT_TRUE(ma::compileToObject(**lowered, object, message)) << message;
  auto jit = ma::CpuJitModule::load(object, name, message);
  ASSERT_TRUE(jit) << message;
  EXPECT_TRUE(bool(jit->entryPoints().blockMap));
  EXPECT_TRUE(bool(jit->entryPoints().tileMask));
}

TEST_F(HostileTextTest, NvrtcLogNamesAPlainProgram) {
  if (!::attn::jit::nvrtcAvailable())
    GTEST_SKIP() << "built without NVRTC";
  // NVRTC starts every log line with the program name: a name with a line
  // break would forge log lines, so only plain characters reach it.
  std::string log;
  try {
    ::attn::jit::compileWithNvrtc("int x = ;\n", "evil\n#error x\n.cu",
                                  ::attn::jit::NvrtcOptions());
  } catch (const ::attn::Error &e) {
    log = e.what();
  }
  EXPECT_NE(log.find("evil__error_x_.cu(1): error"), std::string::npos) << log;
}

TEST_F(HostileTextTest, BundleManifestRoundTrips) {
  ::attn::cuda::Bundle b;
  b.pattern = name;
  b.location = path + ":1:9";
  b.arch = "sm_90a";
  b.format = "cubin";
  b.params = {param, "second param", "100%"};
  b.variants.push_back({"bf16", 64, 1024, 4});
  b.binary = "binary";
  std::string text = b.manifest();
  // One line per field: nothing injected a line.
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_EQ(lines, 15u) << text;
  expectNoLiveInjection(text);
  ::attn::cuda::Bundle back =
      ::attn::cuda::Bundle::parseManifest(text, "manifest.txt");
  EXPECT_EQ(back.pattern, b.pattern);
  EXPECT_EQ(back.location, b.location);
  EXPECT_EQ(back.params, b.params);
  EXPECT_EQ(back.binaryFile, "kernels.cubin");
  EXPECT_EQ(back.variants.size(), 1u);
}

} // namespace
