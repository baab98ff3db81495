//===- main.cpp - example 11: custom predicates through the C++ API -------===//
//
// Compiles custom.attn (path in argv[1]) with attn::Program, runs it on random
// inputs and prints the block map, the allowed pairs and the median time:
//
//   build/bin/example-11-custom-predicate
//   examples/11-custom-predicate/custom.attn
//
//===----------------------------------------------------------------------===//
#include "examples/common/ExampleSupport.h"

using namespace example;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s custom.attn\n", argv[0]);
    return 2;
  }
  try {
    // dilated_diagonals: every 4th diagonal of a causal 512-key window.
    attn::Program program = attn::Program::compileFile(argv[1]);
    runAndReport(program, /*heads=*/4, /*kvHeads=*/4, /*nq=*/1024,
                 /*nk=*/1024, /*dim=*/64, attn::DType::F32);
    // runtime_dilation(param d): compiled once, d given at run time.
    attn::CompileOptions options;
    options.pattern = "runtime_dilation";
    attn::Program dilation = attn::Program::compileFile(argv[1], options);
    for (int64_t d : {8, 2}) {
      attn::RunOptions run;
      run.params["d"] = d;
      std::printf("run-time parameter d = %lld\n", (long long)d);
      runAndReport(dilation, 4, 4, 1024, 1024, 64, attn::DType::F32, run);
    }
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
