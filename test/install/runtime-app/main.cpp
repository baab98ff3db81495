//===- main.cpp - a bundle run with attnc::runtime alone ------------------===//
//
//   bundle_app BUNDLE_DIR W
//
// Loads the bundle that `attnc compile sliding.attn --pattern sliding_window
// --set w=W --emit=cubin -o BUNDLE_DIR` wrote, runs it on random bf16 host
// tensors and checks the result against a naive loop over the causal window
// (prints "check: ok"). Any attn::Error (a damaged bundle; without a GPU,
// "CUDA is not available: ...") is printed on stderr, exit status 1.
//
//===----------------------------------------------------------------------===//
#include "attn/runtime.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

static uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

static float fromBf16(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BUNDLE_DIR W\n", argv[0]);
    return 2;
  }
  const int64_t window = std::atoll(argv[2]);
  const int64_t heads = 4, kvHeads = 2, n = 200, dim = 64;
  try {
    attn::Bundle bundle = attn::Bundle::load(argv[1]);
    std::printf("bundle %s for %s, %zu kernel(s)\n",
                bundle.patternName().c_str(), bundle.arch().c_str(),
                bundle.variants().size());

    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<uint16_t> q(heads * n * dim), k(kvHeads * n * dim),
        v(kvHeads * n * dim), out(heads * n * dim);
    for (std::vector<uint16_t> *t : {&q, &k, &v})
      for (uint16_t &x : *t)
        x = toBf16(dist(rng));
    attn::Tensor tq = attn::Tensor::contiguous(q.data(), attn::DType::BF16,
                                               {1, heads, n, dim});
    attn::Tensor tk = attn::Tensor::contiguous(k.data(), attn::DType::BF16,
                                               {1, kvHeads, n, dim});
    attn::Tensor tv = attn::Tensor::contiguous(v.data(), attn::DType::BF16,
                                               {1, kvHeads, n, dim});
    attn::Tensor to = attn::Tensor::contiguous(out.data(), attn::DType::BF16,
                                               {1, heads, n, dim});
    bundle.run(tq, tk, tv, to);

    // sliding(w): query i sees keys i - w < j <= i.
    double worst = 0;
    const double scale = 1.0 / std::sqrt(double(dim));
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kh = h / (heads / kvHeads);
      for (int64_t i = 0; i < n; ++i) {
        int64_t first = std::max<int64_t>(0, i - window + 1);
        std::vector<double> s;
        double mx = -INFINITY;
        for (int64_t j = first; j <= i; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < dim; ++d)
            dot += double(fromBf16(q[(h * n + i) * dim + d])) *
                   fromBf16(k[(kh * n + j) * dim + d]);
          s.push_back(dot * scale);
          mx = std::max(mx, s.back());
        }
        double sum = 0;
        for (double &x : s)
          sum += (x = std::exp(x - mx));
        for (int64_t d = 0; d < dim; ++d) {
          double acc = 0;
          for (int64_t j = first; j <= i; ++j)
            acc += s[j - first] * fromBf16(v[(kh * n + j) * dim + d]);
          worst =
              std::max(worst, std::fabs(acc / sum -
                                        fromBf16(out[(h * n + i) * dim + d])));
        }
      }
    }
    std::printf("largest error %.3g\n", worst);
    if (!(worst < 4e-2)) {
      std::printf("check: FAILED (bf16 tolerance 4e-2)\n");
      return 1;
    }
    std::printf("check: ok\n");
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
