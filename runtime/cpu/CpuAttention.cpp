//===- CpuAttention.cpp - the CPU tiled block-sparse attention kernel -----===//
#include "runtime/cpu/CpuAttention.h"
#include "runtime/cpu/CpuKernelDetail.h"
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <tuple>
#include <fmt/core.h>

using namespace attn::cpu;

namespace {

using namespace attn::cpu::detail;

/// AVX2+FMA when the CPU has it, else the baseline build.
void runItem(const AttentionArgs &a, const WorkItem &w, Scratch &sc) {
#if defined(__x86_64__)
  static const bool hasAvx2 = __builtin_cpu_supports("avx2") &&
                              __builtin_cpu_supports("fma") &&
                              __builtin_cpu_supports("f16c");
  if (hasAvx2)
    return avx2::runItem(a, w, sc);
#endif
  generic::runItem(a, w, sc);
}

const char *typeName(ElemType t) {
  switch (t) {
  case ElemType::F32:
    return "f32";
  case ElemType::F16:
    return "f16";
  case ElemType::BF16:
    return "bf16";
  }
  return "?";
}

} // namespace

std::string attn::cpu::checkAttentionArgs(const AttentionArgs &a) {
  const View *views[] = {&a.q, &a.k, &a.v, &a.out};
  const char *names[] = {"q", "k", "v", "out"};
  for (int i = 0; i < 4; ++i) {
    if (!views[i]->data)
      return fmt::format("{} has no data", names[i]);
    for (int d = 0; d < 4; ++d)
      if (views[i]->shape[d] < 1)
        return fmt::format("{} has an empty dimension {} (shape [{}, {}, {}, "
                           "{}])",
                           names[i], d, views[i]->shape[0], views[i]->shape[1],
                           views[i]->shape[2], views[i]->shape[3]);
  }
  auto shape = [](const View &v) {
    return fmt::format("[{}, {}, {}, {}]", v.shape[0], v.shape[1], v.shape[2],
                       v.shape[3]);
  };
  if (a.k.type != a.q.type || a.v.type != a.q.type || a.out.type != a.q.type)
    return fmt::format("q, k, v and out must have one dtype, got {}, {}, {} "
                       "and {}",
                       typeName(a.q.type), typeName(a.k.type),
                       typeName(a.v.type), typeName(a.out.type));
  if (a.k.shape[0] != a.q.shape[0] || a.v.shape[0] != a.q.shape[0] ||
      a.out.shape[0] != a.q.shape[0])
    return fmt::format("batch sizes differ: q {}, k {}, v {}, out {}",
                       shape(a.q), shape(a.k), shape(a.v), shape(a.out));
  if (a.k.shape[3] != a.q.shape[3])
    return fmt::format("head_dim of q {} and k {} differ", shape(a.q),
                       shape(a.k));
  if (a.v.shape[1] != a.k.shape[1] || a.v.shape[2] != a.k.shape[2])
    return fmt::format("k {} and v {} must have the same heads and length",
                       shape(a.k), shape(a.v));
  if (a.q.shape[1] % a.k.shape[1] != 0)
    return fmt::format("query heads ({}) must be a multiple of key/value "
                       "heads ({})",
                       a.q.shape[1], a.k.shape[1]);
  if (a.out.shape[1] != a.q.shape[1] || a.out.shape[2] != a.q.shape[2] ||
      a.out.shape[3] != a.v.shape[3])
    return fmt::format("out {} must be [batch, q heads, q length, v "
                       "head_dim] = [{}, {}, {}, {}]",
                       shape(a.out), a.q.shape[0], a.q.shape[1], a.q.shape[2],
                       a.v.shape[3]);
  if (!a.tiles)
    return "no block map";
  return "";
}

void attn::cpu::runAttention(const AttentionArgs &a) {
  const TileLists &t = *a.tiles;
  int64_t batch = a.q.shape[0], heads = a.q.shape[1];
  std::vector<WorkItem> work;
  work.reserve(batch * heads * t.numQTiles);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t r = 0; r < t.numQTiles; ++r) {
        int64_t row = t.rowIndex(h, r);
        work.push_back({b, h, r, t.rowStart[row + 1] - t.rowStart[row]});
      }
  // Longest rows first balances the threads' finishing times.
  std::sort(work.begin(), work.end(), [](const WorkItem &x, const WorkItem &y) {
    return x.cost != y.cost ? x.cost > y.cost
                            : std::tie(x.b, x.h, x.qTile) <
                                  std::tie(y.b, y.h, y.qTile);
  });
  int threads = a.threads > 0 ? a.threads
                              : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<int>(
      std::min<int64_t>(threads, std::max<int64_t>(1, work.size())));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    Scratch sc;
    sc.resize(t.tileQ, t.tileK, a.q.shape[3], a.v.shape[3]);
    for (size_t i; (i = next.fetch_add(1)) < work.size();)
      runItem(a, work[i], sc);
  };
  if (threads == 1) {
    worker();
    return;
  }
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back(worker);
  for (auto &th : pool)
    th.join();
}

void attn::cpu::referenceAttention(
    const View &q, const View &k, const View &v, const View &out, float scale,
    const std::function<bool(int64_t, int64_t, int64_t, int64_t)> &allowed) {
  int64_t batch = q.shape[0], heads = q.shape[1], nq = q.shape[2],
          nk = k.shape[2], dim = q.shape[3], dv = v.shape[3];
  int64_t groups = heads / k.shape[1];
  double sc = scale > 0 ? scale : 1.0 / std::sqrt(double(dim));
  auto at = [](const View &t, int64_t b, int64_t h, int64_t r, int64_t d) {
    return double(loadElem(t.data, t.type,
                           b * t.strides[0] + h * t.strides[1] +
                               r * t.strides[2] + d * t.strides[3]));
  };
  std::vector<double> s(nk), o(dv);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < nq; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < nk; ++j) {
          if (!allowed(b, h, i, j)) {
            s[j] = -std::numeric_limits<double>::infinity();
            continue;
          }
          double dot = 0;
          for (int64_t d = 0; d < dim; ++d)
            dot += at(q, b, h, i, d) * at(k, b, h / groups, j, d);
          s[j] = dot * sc;
          mx = std::max(mx, s[j]);
        }
        std::fill(o.begin(), o.end(), 0.0);
        double sum = 0;
        if (mx != -std::numeric_limits<double>::infinity())
          for (int64_t j = 0; j < nk; ++j) {
            if (s[j] == -std::numeric_limits<double>::infinity())
              continue;
            double p = std::exp(s[j] - mx);
            sum += p;
            for (int64_t d = 0; d < dv; ++d)
              o[d] += p * at(v, b, h / groups, j, d);
          }
        for (int64_t d = 0; d < dv; ++d)
          storeElem(out.data, out.type,
                    b * out.strides[0] + h * out.strides[1] +
                        i * out.strides[2] + d * out.strides[3],
                    float(sum > 0 ? o[d] / sum : 0.0));
      }
}
