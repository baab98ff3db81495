//===- main.cpp - example 02: sliding windows through the C++ API ---------===//
//
// Compiles sliding.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-02-sliding-window examples/02-sliding-window/sliding.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s sliding.attn\n", argv[0]);
    return 2;
  }
  try {
    // The first pattern of the file: sliding_window(w = 128).
    attn::Program program = attn::Program::compileFile(argv[1]);
    // bf16 inputs (fp32 accumulation), 1024 tokens, grouped-query attention:
    // 8 query heads share 2 key/value heads.
    runAndReport(program, /*heads=*/8, /*kvHeads=*/2, /*nq=*/1024,
                 /*nk=*/1024, /*dim=*/64, attn::DType::BF16);
    // Decoding: one new query against 1024 cached keys (the query is
    // aligned with the last key).
    runAndReport(program, 8, 2, /*nq=*/1, /*nk=*/1024, 64, attn::DType::BF16);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
