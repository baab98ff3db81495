//===- NpyFuzzer.cpp - libFuzzer target: the .npy reader ------------------===//
//
// Each input is the bytes of a .npy file. parseNpy must reject it with a
// message or return an array that passes checkNpyArray, reads element by
// element, and survives a write and re-read unchanged.
//
//===----------------------------------------------------------------------===//
#include "support/Npy.h"
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  attn::NpyArray array;
  std::string error;
  if (!attn::parseNpy(data, size, array, error)) {
    if (error.empty())
      std::abort(); // A rejection must say why.
    return 0;
  }
  if (!attn::checkNpyArray(array, error))
    std::abort();
  // Every conversion of the element accessors (float to int saturation,
  // fp16, bool), on the first elements.
  size_t n = std::min<size_t>(array.numel(), 64);
  int64_t intSum = 0;
  double floatSum = 0;
  for (size_t i = 0; i < n; ++i) {
    intSum ^= array.intAt(i);
    floatSum += array.floatAt(i);
  }
  (void)intSum;
  (void)floatSum;
  std::vector<uint8_t> bytes = attn::serializeNpy(array);
  attn::NpyArray again;
  if (!attn::parseNpy(bytes.data(), bytes.size(), again, error) ||
      again.dtype != array.dtype || again.shape != array.shape ||
      again.data != array.data)
    std::abort();
  return 0;
}
