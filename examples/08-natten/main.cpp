//===- main.cpp - example 08: NATTEN through the C++ API ------------------===//
//
// Compiles natten.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-08-natten examples/08-natten/natten.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s natten.attn\n", argv[0]);
    return 2;
  }
  try {
    // natten_7x7 on a 28 x 28 grid: 784 tokens, 49 keys per query.
    const int64_t tokens = 28 * 28;
    attn::Program program = attn::Program::compileFile(argv[1]);
    runAndReport(program, /*heads=*/4, /*kvHeads=*/4, tokens, tokens,
                 /*dim=*/32, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
