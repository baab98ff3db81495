//===- main.cpp - example 07: Swin windows through the C++ API ------------===//
//
// Compiles swin.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-07-swin examples/07-swin/swin.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s swin.attn\n", argv[0]);
    return 2;
  }
  try {
    // swin_windows and swin_shifted have layout grid(28, 28): both lengths
    // must be 28 * 28 = 784 tokens, row-major.
    const int64_t tokens = 28 * 28;
    attn::Program windows = attn::Program::compileFile(argv[1]);
    runAndReport(windows, /*heads=*/4, /*kvHeads=*/4, tokens, tokens,
                 /*dim=*/32, attn::DType::F32);
    attn::CompileOptions options;
    options.pattern = "swin_shifted";
    runAndReport(attn::Program::compileFile(argv[1], options), 4, 4, tokens,
                 tokens, 32, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
