//===- main.cpp - example 10: per-head patterns through the C++ API -------===//
//
// Compiles per_head.attn (path in argv[1]) with attn::Program, runs it on
// random inputs and prints the block map, the allowed pairs and the median
// time:
//
//   build/bin/example-10-per-head examples/10-per-head/per_head.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s per_head.attn\n", argv[0]);
    return 2;
  }
  try {
    // mixed_heads declares `heads 8`; running it with another head count is
    // an error (attn::Error).
    attn::Program program = attn::Program::compileFile(argv[1]);
    runAndReport(program, program.heads(), program.heads(), /*nq=*/1024,
                 /*nk=*/1024, /*dim=*/64, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
