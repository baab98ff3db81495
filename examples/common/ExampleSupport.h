//===- ExampleSupport.h - shared by the C++ API examples ---------*- C++ -*-===//
//
// Random [batch, heads, seq, dim] inputs and a report of one run: the block
// map, the allowed pairs and the median time. Each example's main.cpp shows
// the API calls that matter for its pattern family.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_EXAMPLES_COMMON_EXAMPLESUPPORT_H
#define ATTN_EXAMPLES_COMMON_EXAMPLESUPPORT_H

#include "attn/attn.h"
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace example {

inline const char *dtypeName(attn::DType t) {
  return t == attn::DType::F32 ? "f32" : t == attn::DType::F16 ? "f16" : "bf16";
}

/// float -> bf16 bits (round to nearest even); the API takes raw buffers.
inline uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

/// A [batch, heads, seq, dim] buffer of N(0, 1) values, fp32 or bf16.
struct Buffer {
  std::vector<float> f32;
  std::vector<uint16_t> bf16;
  attn::Tensor tensor;

  Buffer(attn::DType dtype, std::array<int64_t, 4> shape, std::mt19937 &rng) {
    size_t n = shape[0] * shape[1] * shape[2] * shape[3];
    std::normal_distribution<float> dist(0.0f, 1.0f);
    void *data;
    if (dtype == attn::DType::F32) {
      f32.resize(n);
      for (float &x : f32)
        x = dist(rng);
      data = f32.data();
    } else {
      bf16.resize(n);
      for (uint16_t &x : bf16)
        x = toBf16(dist(rng));
      data = bf16.data();
    }
    tensor = attn::Tensor::contiguous(data, dtype, shape);
  }
};

/// Runs `program` on random inputs of the given shape and prints the
/// pattern, the shape, the block map, the allowed pairs and the median time.
inline void runAndReport(const attn::Program &program, int64_t heads, int64_t kvHeads,
                  int64_t nq, int64_t nk, int64_t dim, attn::DType dtype,
                  const attn::RunOptions &run = {}, int repeats = 5) {
  std::mt19937 rng(0);
  Buffer q(dtype, {1, heads, nq, dim}, rng),
      k(dtype, {1, kvHeads, nk, dim}, rng),
      v(dtype, {1, kvHeads, nk, dim}, rng),
      out(dtype, {1, heads, nq, dim}, rng);

  std::printf("pattern %s\n", program.patternName().c_str());
  std::printf("shape: q [1, %lld, %lld, %lld], k/v [1, %lld, %lld, %lld], %s\n",
              (long long)heads, (long long)nq, (long long)dim,
              (long long)kvHeads, (long long)nk, (long long)dim,
              dtypeName(dtype));
  attn::BlockMapInfo map = program.blockMap(heads, nq, nk, run);
  std::printf(
      "block map: tiles %lldx%lld, %lldx%lld per head, %lld head "
      "map(s): %lld visited (%lld full, %lld partial), density %.4f\n",
      (long long)map.tileQ, (long long)map.tileK, (long long)map.numQTiles,
      (long long)map.numKTiles, (long long)map.heads,
      (long long)(map.fullTiles + map.partialTiles), (long long)map.fullTiles,
      (long long)map.partialTiles, map.density);
  int64_t pairs = program.allowedPairs(heads, nq, nk, run);
  int64_t all = heads * nq * nk;
  std::printf("allowed pairs: %lld of %lld (density %.4f)\n", (long long)pairs,
              (long long)all, all ? double(pairs) / all : 0.0);

  program.run(q.tensor, k.tensor, v.tensor, out.tensor, run); // warm-up
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    program.run(q.tensor, k.tensor, v.tensor, out.tensor, run);
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("median time: %.3f ms over %d runs\n", ms[ms.size() / 2],
              repeats);
}

} // namespace example

#endif // ATTN_EXAMPLES_COMMON_EXAMPLESUPPORT_H
