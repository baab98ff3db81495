//===- CpuAttention.cpp - the CPU tiled block-sparse attention kernel -----===//
#include "runtime/cpu/CpuAttention.h"
#include "runtime/cpu/CpuKernelDetail.h"
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <limits>
#include <memory>
#include <thread>
#include <tuple>
#include <fmt/core.h>

using namespace attn::cpu;

namespace {

using namespace attn::cpu::detail;

struct CpuFeatures {
  bool avx2 = false, avx512 = false;
};

const CpuFeatures &cpuFeatures() {
  static const CpuFeatures f = [] {
    CpuFeatures r;
#if defined(__x86_64__)
    r.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    r.avx512 = r.avx2 && __builtin_cpu_supports("avx512f");
#else
    // Other hosts: every build is plain C++ compiled for the host.
    r.avx2 = r.avx512 = true;
#endif
    return r;
  }();
  return f;
}

/// The widest build the CPU runs, or the one ATTNC_CPU_KERNEL names when
/// the CPU runs it (read on every call, so tests can switch builds).
const KernelBuild &selectBuild() {
  const CpuFeatures &f = cpuFeatures();
  if (const char *env = std::getenv("ATTNC_CPU_KERNEL")) {
    std::string_view want = env;
    if (want == "generic")
      return generic::build;
    if (want == "avx2" && f.avx2)
      return avx2::build;
    if (want == "wide16" && f.avx2)
      return wide16::build;
    if (want == "avx512" && f.avx512)
      return avx512::build;
  }
  return f.avx512 ? avx512::build : f.avx2 ? avx2::build : generic::build;
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
  // A map of one batch entry or head serves them all; any other count must
  // match, or the kernel would read rows past the map.
  if ((a.tiles->batches != 1 && a.tiles->batches != a.q.shape[0]) ||
      (a.tiles->heads != 1 && a.tiles->heads != a.q.shape[1]))
    return fmt::format("the block map was built for {} batch entries and {} "
                       "heads, but q is {}",
                       a.tiles->batches, a.tiles->heads, shape(a.q));
  return "";
}

const char *attn::cpu::kernelBuildName() { return selectBuild().name; }

void attn::cpu::runAttention(const AttentionArgs &a) {
  const TileLists &t = *a.tiles;
  const int64_t batch = a.q.shape[0], heads = a.q.shape[1];
  const int64_t kvHeads = a.k.shape[1], groupSize = heads / kvHeads;
  const int64_t dim = a.q.shape[3], dv = a.v.shape[3];
  const KernelBuild &isa = selectBuild();
  auto pack = isa.packTile;
  auto item = isa.runItem;

  // Work is done one (batch, kv head) group at a time: its key tiles are
  // packed once (K transposed, fp32), then every query tile of the group's
  // heads runs over them, longest rows first to balance the threads.
  struct Group {
    int64_t b, hk;
    std::vector<int32_t> tiles; // key tiles some row visits
    std::vector<WorkItem> work;
  };
  std::vector<Group> groups;
  std::vector<uint8_t> used(t.numKTiles);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t hk = 0; hk < kvHeads; ++hk) {
      Group g{b, hk, {}, {}};
      std::fill(used.begin(), used.end(), 0);
      for (int64_t h = hk * groupSize; h < (hk + 1) * groupSize; ++h)
        for (int64_t r = 0; r < t.numQTiles; ++r) {
          int64_t row = t.rowIndex(b, h, r);
          int64_t cost = t.rowStart[row + 1] - t.rowStart[row];
          if (cost == 0) {
            // No key at all: zeros, written by a trivial item.
            g.work.push_back({b, h, r, 0});
            continue;
          }
          g.work.push_back({b, h, r, cost});
          for (int64_t e = t.rowStart[row]; e < t.rowStart[row + 1]; ++e) {
            int32_t entry = t.tiles[e];
            used[entry < 0 ? ~entry : entry] = 1;
          }
        }
      for (int64_t c = 0; c < t.numKTiles; ++c)
        if (used[c])
          g.tiles.push_back(static_cast<int32_t>(c));
      std::sort(g.work.begin(), g.work.end(),
                [](const WorkItem &x, const WorkItem &y) {
                  return x.cost != y.cost ? x.cost > y.cost
                                          : std::tie(x.h, x.qTile) <
                                                std::tie(y.h, y.qTile);
                });
      groups.push_back(std::move(g));
    }

  PackedKV packed;
  packed.ldk = roundUp(t.tileK, isa.colBlock);
  packed.ldv = roundUp(dv, isa.colBlock);
  packed.ktStride = dim * packed.ldk;
  packed.vStride = packed.ldk * packed.ldv;
  // Not zeroed: packTile writes every element of a tile, padding included,
  // and no other tile is read.
  std::unique_ptr<float[]> kt(new float[t.numKTiles * packed.ktStride]),
      vv(new float[t.numKTiles * packed.vStride]);
  packed.kt = kt.get();
  packed.v = vv.get();

  int64_t maxWork = 1;
  for (const Group &g : groups)
    maxWork = std::max<int64_t>(maxWork, g.work.size());
  int threads = a.threads > 0 ? a.threads
                              : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<int>(std::min<int64_t>(threads, maxWork));
  std::barrier<> sync(threads);
  std::vector<std::atomic<size_t>> nextPack(groups.size()),
      nextItem(groups.size());
  auto worker = [&] {
    Scratch sc;
    sc.resize(t.tileQ, t.tileK, dim, dv, isa.colBlock);
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const Group &g = groups[gi];
      for (size_t i; (i = nextPack[gi].fetch_add(1)) < g.tiles.size();)
        pack(a, g.b, g.hk, g.tiles[i], packed, sc);
      sync.arrive_and_wait();
      for (size_t i; (i = nextItem[gi].fetch_add(1)) < g.work.size();)
        item(a, g.work[i], packed, sc);
      // The next group's packing reuses the buffers.
      sync.arrive_and_wait();
    }
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
