//===- main.cpp - example 01: PowerAttention through the C++ API ----------===//
//
// Compiles power.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-01-power examples/01-power/power.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s power.attn\n", argv[0]);
    return 2;
  }
  try {
    // The first pattern of the file (power_attention), its compile-time
    // parameters set explicitly (these are also the defaults).
    attn::CompileOptions options;
    options.values = {{"block", "64"}, {"window", "5"}};
    attn::Program program = attn::Program::compileFile(argv[1], options);
    // 4096 tokens: a 64 x 64 grid of 64-token blocks.
    runAndReport(program, /*heads=*/2, /*kvHeads=*/2, /*nq=*/4096,
                 /*nk=*/4096, /*dim=*/64, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
