//===- BigBird.h - the normative BigBird block rule, shared by all backends ===//
//
// Header-only, plain C++ (no MLIR/LLVM), so that the reference evaluator,
// the code generator and the runtimes compute the same random blocks.
//
// bigbird(B, window, globals, random, seed): with r = p / B (the query block,
// floor division, p the aligned query) and c = k / B (the key block), the
// block (r, c) is allowed for head h when
//   - |r - c| <= window / 2, or r < globals, or c < globals   (the "static"
//     part), or
//   - c is one of the `random` blocks drawn for (h, r).
// The random draw is DEFINED as: the candidates are the key blocks c in
// [0, ceil(Nk / B)) that the static part does not already allow; each
// candidate gets the key
//   splitmix64(seed ^ splitmix64(h ^ splitmix64(r ^ splitmix64(c))))
// (all operands as uint64, two's complement), and the `random` candidates
// with the smallest (key, c) pairs are selected (all candidates when there
// are fewer). splitmix64 is the standard finalizer:
//   z += 0x9E3779B97F4A7C15;
//   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//   z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//   return z ^ (z >> 31);
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_REFERENCE_BIGBIRD_H
#define ATTN_RUNTIME_REFERENCE_BIGBIRD_H

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace attn::bigbird {

inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The random key of key block `c` in row `r` of head `h`.
inline uint64_t blockKey(int64_t seed, int64_t h, int64_t r, int64_t c) {
  uint64_t kc = splitmix64(static_cast<uint64_t>(c));
  uint64_t kr = splitmix64(static_cast<uint64_t>(r) ^ kc);
  uint64_t kh = splitmix64(static_cast<uint64_t>(h) ^ kr);
  return splitmix64(static_cast<uint64_t>(seed) ^ kh);
}

/// Floor division (b > 0, so a / b cannot overflow).
inline int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// The static part of the rule: window and global blocks.
inline bool staticAllowed(int64_t r, int64_t c, int64_t window,
                          int64_t globals) {
  // |r - c| in 128 bits: any pair of block indices, no overflow.
  __int128 d = __int128(r) - c;
  d = d < 0 ? -d : d;
  return d <= floorDiv(window, 2) || r < globals || c < globals;
}

/// Number of key blocks: ceil(nk / block).
inline int64_t numKeyBlocks(int64_t nk, int64_t block) {
  // Without nk + block - 1, which overflows for a huge block.
  return nk <= 0 ? 0 : nk / block + (nk % block != 0);
}

/// The random key blocks of row `r` for head `h`, ascending (at most
/// `random` of them).
inline std::vector<int64_t> randomBlocks(int64_t seed, int64_t h, int64_t r,
                                         int64_t numKBlocks, int64_t window,
                                         int64_t globals, int64_t random) {
  std::vector<int64_t> out;
  if (random <= 0)
    return out;
  std::vector<std::pair<uint64_t, int64_t>> cands;
  for (int64_t c = 0; c < numKBlocks; ++c)
    if (!staticAllowed(r, c, window, globals))
      cands.push_back({blockKey(seed, h, r, c), c});
  size_t n = std::min<size_t>(cands.size(), static_cast<size_t>(random));
  std::partial_sort(cands.begin(), cands.begin() + n, cands.end());
  for (size_t i = 0; i < n; ++i)
    out.push_back(cands[i].second);
  std::sort(out.begin(), out.end());
  return out;
}

/// The whole rule for one block pair (computes the row's random blocks: for
/// many queries, cache randomBlocks() per (h, r) instead).
inline bool blockAllowed(int64_t seed, int64_t h, int64_t r, int64_t c,
                         int64_t numKBlocks, int64_t window, int64_t globals,
                         int64_t random) {
  if (staticAllowed(r, c, window, globals))
    return true;
  if (c < 0 || c >= numKBlocks)
    return false;
  std::vector<int64_t> rb =
      randomBlocks(seed, h, r, numKBlocks, window, globals, random);
  return std::binary_search(rb.begin(), rb.end(), c);
}

} // namespace attn::bigbird

#endif // ATTN_RUNTIME_REFERENCE_BIGBIRD_H
