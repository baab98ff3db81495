//===- kernel_ab.cpp - paired timing of CPU kernel builds -----------------===//
//
// Loads two or more builds of the CPU attention kernel (shared libraries
// made by kernel_ab.sh from git revisions) and times them on the same inputs
// in one process, alternating run by run, so that a slow phase of a shared
// machine hits every build alike. Prints each build's fastest and median run
// and the median over runs of (first build's time / this build's time).
//
//   kernel_ab LIB1.so LIB2.so ... -- H N D f32|bf16 THREADS RUNS
//
// The block map is dense causal with 64 x 64 tiles, or sliding with
// WINDOW=<tokens> in the environment. Outputs of every build are compared
// with the first (f32: at most 1e-4 apart).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuAttention.h"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <random>
#include <string>
#include <vector>

using namespace attn::cpu;

namespace {
uint16_t toBf16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return uint16_t((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}
typedef void (*RunFn)(const AttentionArgs &);
} // namespace

int main(int argc, char **argv) {
  std::vector<RunFn> fns;
  std::vector<std::string> names;
  int i = 1;
  for (; i < argc && std::string(argv[i]) != "--"; ++i) {
    void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      std::fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    auto fn = reinterpret_cast<RunFn>(
        dlsym(h, "_ZN4attn3cpu12runAttentionERKNS0_13AttentionArgsE"));
    if (!fn) {
      std::fprintf(stderr, "%s: no attn::cpu::runAttention\n", argv[i]);
      return 1;
    }
    fns.push_back(fn);
    names.push_back(argv[i]);
  }
  if (fns.empty() || argc - i != 7) {
    std::fprintf(stderr, "usage: kernel_ab LIB.so... -- H N D f32|bf16 "
                         "THREADS RUNS\n");
    return 2;
  }
  ++i;
  const int64_t H = std::atoll(argv[i]), N = std::atoll(argv[i + 1]),
                D = std::atoll(argv[i + 2]);
  const bool bf = std::string(argv[i + 3]) == "bf16";
  const int threads = std::atoi(argv[i + 4]), runs = std::atoi(argv[i + 5]);
  const int64_t W =
      std::getenv("WINDOW") ? std::atoll(std::getenv("WINDOW")) : 0;
  auto allowed = [W](int64_t q, int64_t k) {
    return k <= q && (W == 0 || q - k < W);
  };

  const int64_t T = 64, nt = (N + T - 1) / T;
  TileLists tl;
  tl.tileQ = tl.tileK = T;
  tl.numQTiles = tl.numKTiles = nt;
  tl.rowStart.push_back(0);
  double pairs = 0;
  for (int64_t r = 0; r < nt; ++r) {
    for (int64_t c = 0; c <= r; ++c) {
      bool any = false, all = true;
      for (int64_t q = r * T; q < std::min(N, (r + 1) * T); ++q)
        for (int64_t k = c * T; k < std::min(N, (c + 1) * T); ++k) {
          bool a = allowed(q, k);
          any |= a, all &= a, pairs += a;
        }
      if (any)
        tl.tiles.push_back(all ? int32_t(c) : ~int32_t(c));
    }
    tl.rowStart.push_back(static_cast<int64_t>(tl.tiles.size()));
  }
  pairs *= H;

  const size_t n = H * N * D;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> qf(n), kf(n), vf(n), of(n), first(n);
  for (auto *v : {&qf, &kf, &vf})
    for (float &x : *v)
      x = nd(rng);
  std::vector<uint16_t> qb(n), kb(n), vb(n), ob(n);
  for (size_t j = 0; j < n; ++j)
    qb[j] = toBf16(qf[j]), kb[j] = toBf16(kf[j]), vb[j] = toBf16(vf[j]);
  auto view = [&](void *p) {
    View v;
    v.data = p;
    v.type = bf ? ElemType::BF16 : ElemType::F32;
    const int64_t shape[4] = {1, H, N, D},
                  strides[4] = {H * N * D, N * D, D, 1};
    for (int d = 0; d < 4; ++d)
      v.shape[d] = shape[d], v.strides[d] = strides[d];
    return v;
  };
  AttentionArgs a;
  a.q = view(bf ? static_cast<void *>(qb.data()) : qf.data());
  a.k = view(bf ? static_cast<void *>(kb.data()) : kf.data());
  a.v = view(bf ? static_cast<void *>(vb.data()) : vf.data());
  a.out = view(bf ? static_cast<void *>(ob.data()) : of.data());
  a.tiles = &tl;
  a.threads = threads;
  a.tileMask = [allowed](int64_t, int64_t, int64_t q0, int64_t q1, int64_t k0,
                         int64_t k1, uint8_t *out, int64_t ld) {
    for (int64_t q = q0; q < q1; ++q)
      for (int64_t k = k0; k < k1; ++k)
        out[(q - q0) * ld + (k - k0)] = allowed(q, k);
  };

  // Warm-up, and the same answer from every build.
  for (size_t v = 0; v < fns.size(); ++v) {
    fns[v](a);
    if (v == 0) {
      first = of;
      continue;
    }
    double err = 0;
    for (size_t j = 0; j < n; ++j)
      err = std::max(err, double(std::fabs(of[j] - first[j])));
    if (!bf && err > 1e-4)
      std::printf("%s differs from %s by %g\n", names[v].c_str(),
                  names[0].c_str(), err);
  }
  std::vector<std::vector<double>> times(fns.size());
  for (int r = 0; r < runs; ++r)
    for (size_t v = 0; v < fns.size(); ++v) {
      auto t0 = std::chrono::steady_clock::now();
      fns[v](a);
      times[v].push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count());
    }
  for (size_t v = 0; v < fns.size(); ++v) {
    std::vector<double> ratio, sorted = times[v];
    for (int r = 0; r < runs; ++r)
      ratio.push_back(times[0][r] / times[v][r]);
    std::sort(ratio.begin(), ratio.end());
    std::sort(sorted.begin(), sorted.end());
    std::printf("%s: H%lld N%lld D%lld %s, %d threads%s: fastest %.2f ms "
                "(%.1f GFLOP/s), median %.2f ms; speedup over the first "
                "(median of pairs) %.3f\n",
                names[v].c_str(), (long long)H, (long long)N, (long long)D,
                bf ? "bf16" : "f32", threads,
                W ? (" sliding " + std::to_string(W)).c_str() : " causal",
                sorted[0] * 1e3, 4.0 * D * pairs / sorted[0] / 1e9,
                sorted[sorted.size() / 2] * 1e3, ratio[ratio.size() / 2]);
  }
  return 0;
}
