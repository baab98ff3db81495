//===- main.cpp - example 05: BigBird through the C++ API -----------------===//
//
// Compiles bigbird.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-05-bigbird examples/05-bigbird/bigbird.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s bigbird.attn\n", argv[0]);
    return 2;
  }
  try {
    // bigbird_itc declares `heads 4`: every head draws its own random
    // blocks, so the block map has one map per head.
    attn::Program program = attn::Program::compileFile(argv[1]);
    int64_t heads = program.heads(); // 4
    runAndReport(program, heads, heads, /*nq=*/1024, /*nk=*/1024, /*dim=*/64,
                 attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
