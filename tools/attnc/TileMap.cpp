//===- TileMap.cpp - block maps from the JIT-compiled classifier ----------===//
#include "tools/attnc/TileMap.h"
#include "codegen/CpuLowering.h"
#include "passes/Passes.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>

using namespace attnc;
namespace ma = mlir::attn;

std::unique_ptr<JitPattern> JitPattern::compile(mlir::ModuleOp scheduled,
                                                llvm::StringRef name,
                                                std::string &error) {
  error.clear();
  auto lowered = ma::lowerPatternToLLVM(scheduled, name);
  if (mlir::failed(lowered))
    return nullptr;
  std::vector<char> object;
  if (!ma::compileToObject(**lowered, object, error))
    return nullptr;
  auto module = ma::CpuJitModule::load(object, name.str(), error);
  if (!module)
    return nullptr;
  std::unique_ptr<JitPattern> out(new JitPattern());
  out->module = std::move(module);
  return out;
}

RowVisitor::~RowVisitor() = default;
void RowVisitor::begin(unsigned, int64_t, int64_t) {}
void RowVisitor::work(unsigned, const TileRow &) {}
bool RowVisitor::endChunk() { return true; }

TileMapper::TileMapper(const JitPattern &code, MapDims dims, unsigned threads,
                       int64_t chunkBytes, int64_t bufferBytes)
    : fns(code.entryPoints()), mapDims(std::move(dims)),
      chunkBytes(std::max<int64_t>(chunkBytes, 1)),
      bufferBytes(std::max<int64_t>(bufferBytes, 1)) {
  if (!threads)
    threads = std::thread::hardware_concurrency();
  numWorkers = std::clamp(threads, 1u, 64u);
}

std::vector<int64_t> TileMapper::context(int64_t head) const {
  std::vector<int64_t> ctx(ma::kCtxParams);
  ctx[ma::kCtxBatch] = mapDims.batch;
  ctx[ma::kCtxHead] = head;
  ctx[ma::kCtxNq] = mapDims.nq;
  ctx[ma::kCtxNk] = mapDims.nk;
  ctx[ma::kCtxTileQ] = mapDims.tileQ;
  ctx[ma::kCtxTileK] = mapDims.tileK;
  ctx[ma::kCtxNumQTiles] = mapDims.numQTiles();
  ctx[ma::kCtxNumKTiles] = mapDims.numKTiles();
  ctx.insert(ctx.end(), mapDims.params.begin(), mapDims.params.end());
  return ctx;
}

void TileMapper::tileMask(int64_t head, int64_t q0, int64_t q1, int64_t k0,
                          int64_t k1, uint8_t *out, int64_t ld) const {
  std::vector<int64_t> ctx = context(head);
  fns.tileMask(ctx.data(), q0, q1, k0, k1, out, ld);
}

namespace {

/// The FULL (class 2) and PARTIAL (class 1) tiles of one row of classes.
/// Sparse rows are mostly EMPTY: 128 of them are skipped per test (an OR of
/// 16 words, which the compiler vectorizes).
void scanRow(const int8_t *row, int64_t n, std::vector<int32_t> &full,
             std::vector<int32_t> &partial) {
  auto take = [&](int64_t c) {
    if (row[c] == 2)
      full.push_back(static_cast<int32_t>(c));
    else if (row[c] == 1)
      partial.push_back(static_cast<int32_t>(c));
  };
  constexpr int64_t kBlock = 128;
  int64_t c = 0;
  for (; c + kBlock <= n; c += kBlock) {
    std::array<uint64_t, kBlock / 8> w;
    std::memcpy(w.data(), row + c, sizeof(w));
    uint64_t any = 0;
    for (uint64_t x : w)
      any |= x;
    if (any == 0)
      continue;
    for (int64_t i = c; i < c + kBlock; ++i)
      take(i);
  }
  for (; c < n; ++c)
    take(c);
}

/// One worker's rows of a chunk: the tiles, and where each row ends.
struct WorkerRows {
  std::vector<int32_t> full, partial;
  std::vector<std::pair<size_t, size_t>> ends;
  void clear() {
    full.clear();
    partial.clear();
    ends.clear();
  }
};

/// Counts allowed pairs per picture cell from the map: FULL tiles whole,
/// PARTIAL tiles from their JIT element mask (on the workers), EMPTY ones
/// not at all.
class PairCounter : public RowVisitor {
public:
  PairCounter(const TileMapper &mapper, int64_t head,
              const std::vector<attn::CountGrid *> &grids)
      : mapper(mapper), grids(grids), workers(mapper.workers()) {
    const MapDims &d = mapper.dims();
    for (Worker &w : workers) {
      w.mask.resize(static_cast<size_t>(d.tileQ * d.tileK));
      w.context = mapper.context(head);
    }
  }

  void begin(unsigned worker, int64_t first, int64_t last) override {
    const MapDims &d = mapper.dims();
    Worker &w = workers[worker];
    w.bands.clear();
    for (attn::CountGrid *g : grids)
      w.bands.push_back(
          g->band(first * d.tileQ, std::min(d.nq, last * d.tileQ)));
    w.active = true;
  }

  void work(unsigned worker, const TileRow &r) override {
    const MapDims &d = mapper.dims();
    Worker &w = workers[worker];
    int64_t q0 = r.qTile * d.tileQ, q1 = std::min(d.nq, q0 + d.tileQ);
    for (int32_t c : r.partial) {
      int64_t k0 = c * d.tileK, k1 = std::min(d.nk, k0 + d.tileK);
      mapper.tileMask(w.context, q0, q1, k0, k1, w.mask.data(), d.tileK);
      // A band covers the worker's whole query range, so what the first one
      // adds is the tile's count.
      if (w.bands.empty()) {
        for (int64_t i = 0; i < q1 - q0; ++i) {
          const uint8_t *row = w.mask.data() + i * d.tileK;
          for (int64_t j = 0; j < k1 - k0; ++j)
            w.allowed += row[j] != 0;
        }
      }
      for (size_t i = 0; i < w.bands.size(); ++i) {
        int64_t added =
            w.bands[i].addMask(q0, q1, k0, k1, w.mask.data(), d.tileK);
        if (i == 0)
          w.allowed += added;
      }
    }
  }

  bool row(const TileRow &r) override {
    const MapDims &d = mapper.dims();
    counts.full += static_cast<int64_t>(r.full.size());
    counts.partial += static_cast<int64_t>(r.partial.size());
    int64_t q0 = r.qTile * d.tileQ, q1 = std::min(d.nq, q0 + d.tileQ);
    for (int32_t c : r.full) {
      int64_t k0 = c * d.tileK, k1 = std::min(d.nk, k0 + d.tileK);
      counts.allowed += (q1 - q0) * (k1 - k0);
      for (attn::CountGrid *g : grids)
        g->addRect(q0, q1, k0, k1);
    }
    return true;
  }

  bool endChunk() override {
    for (Worker &w : workers) {
      if (!w.active)
        continue;
      for (size_t i = 0; i < grids.size(); ++i)
        grids[i]->merge(w.bands[i]);
      counts.allowed += w.allowed;
      w.allowed = 0;
      w.active = false;
    }
    return true;
  }

  PairCounts counts;

private:
  struct Worker {
    std::vector<uint8_t> mask;
    std::vector<int64_t> context;
    std::vector<attn::CountGrid> bands;
    int64_t allowed = 0;
    bool active = false;
  };
  const TileMapper &mapper;
  std::vector<attn::CountGrid *> grids;
  std::vector<Worker> workers;
};

} // namespace

PairCounts attnc::countPairs(const TileMapper &mapper, int64_t head,
                             const std::vector<attn::CountGrid *> &grids) {
  PairCounter counter(mapper, head, grids);
  mapper.forEachRow(head, counter);
  return counter.counts;
}

bool TileMapper::forEachRow(int64_t head, RowVisitor &visitor) const {
  const int64_t nqt = mapDims.numQTiles(), nkt = mapDims.numKTiles();
  if (nqt <= 0 || nkt <= 0)
    return true;
  const std::vector<int64_t> ctx = context(head);
  // A chunk is handed out to the workers at once; each classifies its share
  // a few rows at a time into its own buffer, small enough to stay in the
  // cache (the entry point writes one byte per tile, then it is scanned).
  const int64_t chunkRows = std::clamp<int64_t>(chunkBytes / nkt, 1, nqt);
  const int64_t bufferRows =
      std::clamp<int64_t>(bufferBytes / nkt, 1, chunkRows);
  std::vector<std::vector<int8_t>> buffers(numWorkers);
  std::vector<WorkerRows> parts(numWorkers);

  for (int64_t first = 0; first < nqt; first += chunkRows) {
    const int64_t last = std::min(nqt, first + chunkRows);
    // Small chunks are not worth a thread.
    int64_t wanted = std::max<int64_t>(1, (last - first) * nkt / 65536);
    unsigned used = static_cast<unsigned>(
        std::min<int64_t>({numWorkers, last - first, wanted}));
    const int64_t step = (last - first + used - 1) / used;
    auto job = [&](unsigned w) {
      WorkerRows &part = parts[w];
      part.clear();
      int64_t a = first + w * step, b = std::min(last, a + step);
      if (a >= b)
        return;
      visitor.begin(w, a, b);
      std::vector<int8_t> &classes = buffers[w];
      classes.resize(static_cast<size_t>(std::min(bufferRows, b - a) * nkt));
      for (int64_t r0 = a; r0 < b; r0 += bufferRows) {
        int64_t r1 = std::min(b, r0 + bufferRows);
        // The entry point writes row r at classes + r * nkt, counted from
        // row 0: shift the base so that row r0 lands at the buffer's start
        // (integer arithmetic: the shifted pointer itself is never used).
        int8_t *base = reinterpret_cast<int8_t *>(
            reinterpret_cast<uintptr_t>(classes.data()) -
            static_cast<uintptr_t>(r0) * static_cast<uintptr_t>(nkt));
        fns.blockMap(ctx.data(), base, r0, r1);
        for (int64_t r = r0; r < r1; ++r) {
          size_t f0 = part.full.size(), p0 = part.partial.size();
          scanRow(classes.data() + (r - r0) * nkt, nkt, part.full,
                  part.partial);
          part.ends.push_back({part.full.size(), part.partial.size()});
          TileRow row{r, llvm::ArrayRef(part.full).drop_front(f0),
                      llvm::ArrayRef(part.partial).drop_front(p0)};
          visitor.work(w, row);
        }
      }
    };
    if (used == 1) {
      job(0);
    } else {
      std::vector<std::thread> pool;
      pool.reserve(used);
      for (unsigned w = 0; w < used; ++w)
        pool.emplace_back(job, w);
      for (std::thread &t : pool)
        t.join();
    }
    for (unsigned w = 0; w < used; ++w) {
      const WorkerRows &part = parts[w];
      size_t f0 = 0, p0 = 0;
      int64_t r = first + w * step;
      for (auto [f1, p1] : part.ends) {
        TileRow row{r++, llvm::ArrayRef(part.full).slice(f0, f1 - f0),
                    llvm::ArrayRef(part.partial).slice(p0, p1 - p0)};
        if (!visitor.row(row))
          return false;
        f0 = f1;
        p0 = p1;
      }
    }
    if (!visitor.endChunk())
      return false;
  }
  return true;
}
