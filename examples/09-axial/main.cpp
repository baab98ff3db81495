//===- main.cpp - example 09: axial attention through the C++ API ---------===//
//
// Compiles axial.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-09-axial examples/09-axial/axial.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s axial.attn\n", argv[0]);
    return 2;
  }
  try {
    // axial_2d on a 16 x 16 grid: 256 tokens, 31 keys per query.
    const int64_t tokens = 16 * 16;
    attn::Program program = attn::Program::compileFile(argv[1]);
    runAndReport(program, /*heads=*/4, /*kvHeads=*/4, tokens, tokens,
                 /*dim=*/32, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
