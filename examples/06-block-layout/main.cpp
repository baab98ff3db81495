//===- main.cpp - example 06: block layouts through the C++ API -----------===//
//
// Compiles block_layout.attn (path in argv[1]) with attn::Program, runs it on
// random inputs and prints the block map, the allowed pairs and the median
// time:
//
//   build/bin/example-06-block-layout
//   examples/06-block-layout/block_layout.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s block_layout.attn\n", argv[0]);
    return 2;
  }
  try {
    // inline_table: an 8 x 8 table of 128-token blocks covers 1024 tokens
    // (a longer sequence is an error: the table must cover the block grid).
    attn::Program program = attn::Program::compileFile(argv[1]);
    runAndReport(program, /*heads=*/4, /*kvHeads=*/4, /*nq=*/1024,
                 /*nk=*/1024, /*dim=*/64, attn::DType::F32);
    // A per-head table (heads 2), with 128 x 128 tiles (one per block).
    attn::CompileOptions options;
    options.pattern = "per_head";
    options.tileQ = options.tileK = 128;
    runAndReport(attn::Program::compileFile(argv[1], options), 2, 2, 1024, 1024,
                 64, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
