//===- CpuAttention.cpp - the CPU tiled block-sparse attention kernel -----===//
#include "runtime/cpu/CpuAttention.h"
#include "runtime/Half.h"
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

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kLog2e = 1.4426950408889634f;

inline float loadElem(const void *base, ElemType t, int64_t i) {
  switch (t) {
  case ElemType::F32:
    return static_cast<const float *>(base)[i];
  case ElemType::F16:
    return attn::halfToFloat(static_cast<const uint16_t *>(base)[i]);
  case ElemType::BF16:
    return attn::bf16ToFloat(static_cast<const uint16_t *>(base)[i]);
  }
  return 0;
}

inline void storeElem(void *base, ElemType t, int64_t i, float v) {
  switch (t) {
  case ElemType::F32:
    static_cast<float *>(base)[i] = v;
    break;
  case ElemType::F16:
    static_cast<uint16_t *>(base)[i] = attn::floatToHalf(v);
    break;
  case ElemType::BF16:
    static_cast<uint16_t *>(base)[i] = attn::floatToBf16(v);
    break;
  }
}

/// Loads rows [r0, r1) of head (b, h) into dst[(r - r0) * dim + d] (fp32).
void loadRows(const View &t, int64_t b, int64_t h, int64_t r0, int64_t r1,
              float *dst) {
  int64_t dim = t.shape[3];
  int64_t base = b * t.strides[0] + h * t.strides[1];
  for (int64_t r = r0; r < r1; ++r) {
    int64_t row = base + r * t.strides[2];
    float *out = dst + (r - r0) * dim;
    if (t.type == ElemType::F32 && t.strides[3] == 1) {
      std::memcpy(out, static_cast<const float *>(t.data) + row,
                  dim * sizeof(float));
      continue;
    }
    for (int64_t d = 0; d < dim; ++d)
      out[d] = loadElem(t.data, t.type, row + d * t.strides[3]);
  }
}

/// 2^x for x <= 0, vectorizable, relative error ~2e-7 (Cody-Waite split and
/// a degree-6 polynomial); below -126 returns 0.
__attribute__((always_inline)) inline float fastExp2(float x) {
  x = std::max(x, -126.0f);
  float xi = std::floor(x);
  float f = x - xi;
  float p = 1.5353362e-4f;
  p = p * f + 1.3398874e-3f;
  p = p * f + 9.6180206e-3f;
  p = p * f + 5.5503324e-2f;
  p = p * f + 2.4022648e-1f;
  p = p * f + 6.9314718e-1f;
  p = p * f + 1.0f;
  int32_t bits = (static_cast<int32_t>(xi) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

/// Per-thread scratch buffers.
struct Scratch {
  std::vector<float> q, kt, v, s, acc, m, l;
  std::vector<uint8_t> mask;
  void resize(int64_t bq, int64_t bk, int64_t d, int64_t dv) {
    q.resize(bq * d);
    kt.resize(d * bk);
    v.resize(bk * dv);
    s.resize(bq * bk);
    acc.resize(bq * dv);
    m.resize(bq);
    l.resize(bq);
    mask.resize(bq * bk);
  }
};

/// s[i][j] = sum_d q[i][d] * kt[d][j] for rows [0, rows), cols [0, cols).
#if defined(__x86_64__) && defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void scores(const float *q, const float *kt, float *s, int64_t rows,
            int64_t cols, int64_t dim, int64_t bk) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    float *s0 = s + i * bk, *s1 = s0 + bk, *s2 = s1 + bk, *s3 = s2 + bk;
    for (int64_t j = 0; j < cols; ++j)
      s0[j] = s1[j] = s2[j] = s3[j] = 0;
    const float *q0 = q + i * dim, *q1 = q0 + dim, *q2 = q1 + dim,
                *q3 = q2 + dim;
    for (int64_t d = 0; d < dim; ++d) {
      const float *kr = kt + d * bk;
      float a0 = q0[d], a1 = q1[d], a2 = q2[d], a3 = q3[d];
      for (int64_t j = 0; j < cols; ++j) {
        float kv = kr[j];
        s0[j] += a0 * kv;
        s1[j] += a1 * kv;
        s2[j] += a2 * kv;
        s3[j] += a3 * kv;
      }
    }
  }
  for (; i < rows; ++i) {
    float *si = s + i * bk;
    for (int64_t j = 0; j < cols; ++j)
      si[j] = 0;
    for (int64_t d = 0; d < dim; ++d) {
      float a = q[i * dim + d];
      const float *kr = kt + d * bk;
      for (int64_t j = 0; j < cols; ++j)
        si[j] += a * kr[j];
    }
  }
}

/// Online softmax update of one tile: scores in s (already scaled by
/// log2(e) * scale), then acc = acc * alpha + P v.
#if defined(__x86_64__) && defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void softmaxUpdate(float *s, const float *v, float *acc, float *m, float *l,
                   int64_t rows, int64_t cols, int64_t bk, int64_t dv) {
  for (int64_t i = 0; i < rows; ++i) {
    float *si = s + i * bk;
    float rowMax = kNegInf;
    for (int64_t j = 0; j < cols; ++j)
      rowMax = std::max(rowMax, si[j]);
    float newMax = std::max(m[i], rowMax);
    float *ai = acc + i * dv;
    if (newMax == kNegInf) {
      // Nothing allowed in this row so far: P is all zero.
      for (int64_t j = 0; j < cols; ++j)
        si[j] = 0;
      continue;
    }
    float alpha = fastExp2(m[i] - newMax);
    float sum = 0;
    for (int64_t j = 0; j < cols; ++j) {
      float p = fastExp2(si[j] - newMax);
      si[j] = p;
      sum += p;
    }
    l[i] = l[i] * alpha + sum;
    m[i] = newMax;
    for (int64_t d = 0; d < dv; ++d)
      ai[d] *= alpha;
  }
  // acc += P v, four rows at a time to reuse each v row.
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    float *a0 = acc + i * dv, *a1 = a0 + dv, *a2 = a1 + dv, *a3 = a2 + dv;
    const float *p0 = s + i * bk, *p1 = p0 + bk, *p2 = p1 + bk, *p3 = p2 + bk;
    for (int64_t j = 0; j < cols; ++j) {
      const float *vr = v + j * dv;
      float b0 = p0[j], b1 = p1[j], b2 = p2[j], b3 = p3[j];
      for (int64_t d = 0; d < dv; ++d) {
        float x = vr[d];
        a0[d] += b0 * x;
        a1[d] += b1 * x;
        a2[d] += b2 * x;
        a3[d] += b3 * x;
      }
    }
  }
  for (; i < rows; ++i) {
    float *ai = acc + i * dv;
    const float *pi = s + i * bk;
    for (int64_t j = 0; j < cols; ++j) {
      const float *vr = v + j * dv;
      float b0 = pi[j];
      for (int64_t d = 0; d < dv; ++d)
        ai[d] += b0 * vr[d];
    }
  }
}

struct WorkItem {
  int64_t b, h, qTile, cost;
};

void runItem(const AttentionArgs &a, const WorkItem &w, Scratch &sc) {
  const TileLists &t = *a.tiles;
  int64_t nq = a.q.shape[2], nk = a.k.shape[2];
  int64_t dim = a.q.shape[3], dv = a.v.shape[3];
  int64_t groups = a.q.shape[1] / a.k.shape[1];
  int64_t hk = w.h / groups;
  int64_t bq = t.tileQ, bk = t.tileK;
  int64_t q0 = w.qTile * bq, q1 = std::min(nq, q0 + bq), rows = q1 - q0;
  float scale = (a.scale > 0 ? a.scale : 1.0f / std::sqrt(float(dim))) *
                kLog2e;

  loadRows(a.q, w.b, w.h, q0, q1, sc.q.data());
  for (int64_t i = 0; i < rows * dim; ++i)
    sc.q[i] *= scale;
  std::fill(sc.acc.begin(), sc.acc.begin() + rows * dv, 0.0f);
  std::fill(sc.m.begin(), sc.m.begin() + rows, kNegInf);
  std::fill(sc.l.begin(), sc.l.begin() + rows, 0.0f);

  int64_t row = t.rowIndex(w.h, w.qTile);
  for (int64_t e = t.rowStart[row]; e < t.rowStart[row + 1]; ++e) {
    int32_t entry = t.tiles[e];
    bool partial = entry < 0;
    int64_t kTile = partial ? ~entry : entry;
    int64_t k0 = kTile * bk, k1 = std::min(nk, k0 + bk), cols = k1 - k0;
    // K transposed to [dim][bk] so the score loop runs along keys.
    {
      const View &kv = a.k;
      int64_t base = w.b * kv.strides[0] + hk * kv.strides[1];
      for (int64_t j = 0; j < cols; ++j) {
        int64_t r = base + (k0 + j) * kv.strides[2];
        for (int64_t d = 0; d < dim; ++d)
          sc.kt[d * bk + j] = loadElem(kv.data, kv.type, r + d * kv.strides[3]);
      }
    }
    loadRows(a.v, w.b, hk, k0, k1, sc.v.data());
    scores(sc.q.data(), sc.kt.data(), sc.s.data(), rows, cols, dim, bk);
    if (partial) {
      a.tileMask(w.b, w.h, q0, q1, k0, k1, sc.mask.data(), bk);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          if (!sc.mask[i * bk + j])
            sc.s[i * bk + j] = kNegInf;
    }
    softmaxUpdate(sc.s.data(), sc.v.data(), sc.acc.data(), sc.m.data(),
                  sc.l.data(), rows, cols, bk, dv);
  }

  const View &o = a.out;
  int64_t base = w.b * o.strides[0] + w.h * o.strides[1];
  for (int64_t i = 0; i < rows; ++i) {
    float inv = sc.l[i] > 0 ? 1.0f / sc.l[i] : 0.0f;
    int64_t r = base + (q0 + i) * o.strides[2];
    for (int64_t d = 0; d < dv; ++d)
      storeElem(o.data, o.type, r + d * o.strides[3], sc.acc[i * dv + d] * inv);
  }
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
