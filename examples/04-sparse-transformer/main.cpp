//===- main.cpp - example 04: Sparse Transformer through the C++ API ------===//
//
// Compiles sparse_transformer.attn (path in argv[1]) with attn::Program, runs
// it on random inputs and prints the block map, the allowed pairs and the
// median time:
//
//   build/bin/example-04-sparse-transformer
//   examples/04-sparse-transformer/sparse_transformer.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s sparse_transformer.attn\n", argv[0]);
    return 2;
  }
  try {
    // fixed_pattern(l = 128, c = 16), then the strided pattern.
    attn::Program fixed = attn::Program::compileFile(argv[1]);
    runAndReport(fixed, /*heads=*/4, /*kvHeads=*/4, /*nq=*/1024, /*nk=*/1024,
                 /*dim=*/64, attn::DType::F32);
    attn::CompileOptions options;
    options.pattern = "strided_pattern";
    options.values = {{"l", "64"}};
    runAndReport(attn::Program::compileFile(argv[1], options), 4, 4, 1024, 1024,
                 64, attn::DType::F32);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
