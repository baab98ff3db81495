//===- main.cpp - example 03: Longformer through the C++ API --------------===//
//
// Compiles longformer.attn (path in argv[1]) with attn::Program, runs it on
// random inputs and prints the block map, the allowed pairs and the median
// time:
//
//   build/bin/example-03-longformer examples/03-longformer/longformer.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s longformer.attn\n", argv[0]);
    return 2;
  }
  try {
    // longformer_qa: band(64, 64) and global tokens 0-3 and 512.
    attn::Program program = attn::Program::compileFile(argv[1]);
    runAndReport(program, /*heads=*/4, /*kvHeads=*/4, /*nq=*/1024,
                 /*nk=*/1024, /*dim=*/64, attn::DType::F32);
    // The prelude's longformer(w, globals) from the same file.
    attn::CompileOptions options;
    options.pattern = "longformer_prelude";
    runAndReport(attn::Program::compileFile(argv[1], options), 4, 4, 1024, 1024,
                 64, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
