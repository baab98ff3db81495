//===- main.cpp - example 02, built against an installed attnc ------------===//
//
// Compiles sliding.attn (argv[1]) with attn::Program, as
// examples/02-sliding-window does, runs it on random fp32 inputs (grouped
// query attention, a length that is not a multiple of the tile) and checks
// the result against a naive loop over the causal window. Prints "check: ok"
// and exits 0 when they agree.
//
//===----------------------------------------------------------------------===//
#include "attn/attn.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s sliding.attn\n", argv[0]);
    return 2;
  }
  const int64_t heads = 4, kvHeads = 2, n = 200, dim = 32, window = 48;
  try {
    attn::CompileOptions options;
    options.pattern = "sliding_window";
    options.values["w"] = std::to_string(window);
    options.target = attn::Target::CPU;
    attn::Program program = attn::Program::compileFile(argv[1], options);

    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> q(heads * n * dim), k(kvHeads * n * dim),
        v(kvHeads * n * dim), out(heads * n * dim, -1.0f);
    for (std::vector<float> *t : {&q, &k, &v})
      for (float &x : *t)
        x = dist(rng);
    attn::Tensor tq = attn::Tensor::contiguous(q.data(), attn::DType::F32,
                                               {1, heads, n, dim});
    attn::Tensor tk = attn::Tensor::contiguous(k.data(), attn::DType::F32,
                                               {1, kvHeads, n, dim});
    attn::Tensor tv = attn::Tensor::contiguous(v.data(), attn::DType::F32,
                                               {1, kvHeads, n, dim});
    attn::Tensor to = attn::Tensor::contiguous(out.data(), attn::DType::F32,
                                               {1, heads, n, dim});
    program.run(tq, tk, tv, to);

    // sliding(w): query i sees keys i - w < j <= i.
    double worst = 0;
    const float scale = 1.0f / std::sqrt(float(dim));
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kh = h / (heads / kvHeads);
      for (int64_t i = 0; i < n; ++i) {
        const float *qi = &q[(h * n + i) * dim];
        int64_t first = std::max<int64_t>(0, i - window + 1);
        std::vector<double> s;
        double mx = -INFINITY;
        for (int64_t j = first; j <= i; ++j) {
          const float *kj = &k[(kh * n + j) * dim];
          double dot = 0;
          for (int64_t d = 0; d < dim; ++d)
            dot += double(qi[d]) * kj[d];
          s.push_back(dot * scale);
          mx = std::max(mx, s.back());
        }
        double sum = 0;
        for (double &x : s)
          sum += (x = std::exp(x - mx));
        for (int64_t d = 0; d < dim; ++d) {
          double acc = 0;
          for (int64_t j = first; j <= i; ++j)
            acc += s[j - first] * v[(kh * n + j) * dim + d];
          worst = std::max(worst,
                           std::fabs(acc / sum - out[(h * n + i) * dim + d]));
        }
      }
    }
    std::printf("pattern %s, %lld heads, %lld tokens: largest error %.3g\n",
                program.patternName().c_str(), (long long)heads, (long long)n,
                worst);
    if (!(worst < 1e-4)) {
      std::printf("check: FAILED (tolerance 1e-4)\n");
      return 1;
    }
    std::printf("check: ok\n");
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
