//===- main.cpp - example 12: paper baselines through the C++ API ---------===//
//
// Compiles baselines.attn (path in argv[1]) with attn::Program, runs it on
// random inputs and prints the block map, the allowed pairs and the median
// time:
//
//   build/bin/example-12-dilated-stride-slash
//   examples/12-dilated-stride-slash/baselines.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s baselines.attn\n", argv[0]);
    return 2;
  }
  try {
    // The three patterns of the file on 4096 tokens (64 blocks of 64).
    for (const char *name :
         {"stride_slash_baseline", "dilated_baseline", "power_reference"}) {
      attn::CompileOptions options;
      options.pattern = name;
      runAndReport(attn::Program::compileFile(argv[1], options), /*heads=*/1,
                   /*kvHeads=*/1, /*nq=*/4096, /*nk=*/4096, /*dim=*/64,
                   attn::DType::F32, {}, /*repeats=*/3);
    }
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
