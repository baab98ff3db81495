//===- TileMap.h - block maps from the JIT-compiled classifier --*- C++ -*-===//
//
// attnc blockmap and attnc show run the same generated CPU code as attnc run
// (the @P__cpu_blockmap and @P__cpu_tile_mask entry points, compiled by
// LLVM and loaded with ORC), and stream the map row by row so that memory
// stays bounded whatever the sequence length: one chunk of query-tile rows
// (about kChunkBytes tiles) is classified at a time by the workers, each
// through a small cache-resident buffer, and its rows are handed out in
// order before the next chunk.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TOOLS_ATTNC_TILEMAP_H
#define ATTN_TOOLS_ATTNC_TILEMAP_H

#include "codegen/CpuJit.h"
#include "mlir/IR/BuiltinOps.h"
#include "tools/attnc/Render.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnc {

/// A pattern's generated CPU code, compiled and loaded in this process.
class JitPattern {
public:
  /// Lowers pattern `name` of `scheduled` (a module after
  /// attn-classify-tiles) to LLVM and loads it. Lowering errors are emitted
  /// as diagnostics; JIT errors are returned in `error` (then empty when a
  /// diagnostic was emitted). Returns null on failure.
  static std::unique_ptr<JitPattern>
  compile(mlir::ModuleOp scheduled, llvm::StringRef name, std::string &error);
  const mlir::attn::CpuEntryPoints &entryPoints() const {
    return module->entryPoints();
  }

private:
  std::unique_ptr<mlir::attn::CpuJitModule> module;
};

/// What a map covers: batch index, lengths, tiles and run-time parameters.
struct MapDims {
  int64_t batch = 0;
  int64_t nq = 0, nk = 0, tileQ = 64, tileK = 64;
  std::vector<int64_t> params;
  /// ceil(n / tile), without overflowing.
  int64_t numQTiles() const { return nq / tileQ + (nq % tileQ != 0); }
  int64_t numKTiles() const { return nk / tileK + (nk % tileK != 0); }
};

/// The key tiles of query tile `qTile`: FULL and PARTIAL, ascending.
struct TileRow {
  int64_t qTile = 0;
  llvm::ArrayRef<int32_t> full, partial;
};

/// Receives the rows of one head's map (see TileMapper::forEachRow).
class RowVisitor {
public:
  virtual ~RowVisitor();
  /// Runs on worker `worker` before it classifies query tiles
  /// [firstQTile, lastQTile) of a chunk.
  virtual void begin(unsigned worker, int64_t firstQTile, int64_t lastQTile);
  /// Runs on worker `worker` (0 <= worker < TileMapper::workers()) as soon
  /// as the row is classified; the rows of one worker come in ascending
  /// order, workers run in parallel. For work that may go in parallel.
  virtual void work(unsigned worker, const TileRow &row);
  /// Then, on the calling thread, every row in ascending order; returning
  /// false stops the walk.
  virtual bool row(const TileRow &row) = 0;
  /// On the calling thread after the rows of a chunk (the workers are done
  /// with it); returning false stops the walk.
  virtual bool endChunk();
};

/// Walks block maps row by row with the JIT-compiled classifier.
class TileMapper {
public:
  /// Tiles per chunk: the rows of a chunk are classified (in parallel)
  /// before they are handed out in order, so the tile lists of a chunk are
  /// what is held at once. A row of numKTiles tiles is the least.
  static constexpr int64_t kChunkBytes = int64_t(16) << 20;
  /// Each worker classifies into a buffer of about this many bytes (one per
  /// tile, at least one row), so that writing and scanning it stays in the
  /// cache.
  static constexpr int64_t kWorkerBufferBytes = int64_t(256) << 10;

  /// `threads` 0: all hardware threads. `chunkBytes` is the chunk size in
  /// tiles, `bufferBytes` a worker's buffer (tests make them small to
  /// exercise many chunks and buffers).
  TileMapper(const JitPattern &code, MapDims dims, unsigned threads = 0,
             int64_t chunkBytes = kChunkBytes,
             int64_t bufferBytes = kWorkerBufferBytes);

  const MapDims &dims() const { return mapDims; }
  unsigned workers() const { return numWorkers; }

  /// Classifies every tile of head `head` (for batch dims().batch) and calls
  /// the visitor for every query tile. False when the visitor stopped.
  bool forEachRow(int64_t head, RowVisitor &visitor) const;

  /// The element mask of the tile [q0, q1) x [k0, k1) of head `head`:
  /// out[(q - q0) * ld + (k - k0)] = 1 where q may attend k. Thread-safe.
  void tileMask(int64_t head, int64_t q0, int64_t q1, int64_t k0, int64_t k1,
                uint8_t *out, int64_t ld) const;
  /// The same with a context() made once (no allocation per tile).
  void tileMask(const std::vector<int64_t> &context, int64_t q0, int64_t q1,
                int64_t k0, int64_t k1, uint8_t *out, int64_t ld) const {
    fns.tileMask(context.data(), q0, q1, k0, k1, out, ld);
  }
  /// The argument block of the entry points for head `head`.
  std::vector<int64_t> context(int64_t head) const;

private:
  const mlir::attn::CpuEntryPoints &fns;
  MapDims mapDims;
  unsigned numWorkers = 1;
  int64_t chunkBytes, bufferBytes;
};

/// Tile and pair counts of one head's map.
struct PairCounts {
  int64_t full = 0, partial = 0; ///< Tiles visited, by class.
  int64_t allowed = 0;           ///< Pairs the mask allows.
};

/// Walks head `head`'s map and counts its allowed pairs, exactly: FULL tiles
/// count whole, PARTIAL tiles are evaluated with the JIT tile mask (on the
/// mapper's workers), EMPTY tiles are skipped. Each grid of `grids` receives
/// the pairs of its cells.
PairCounts countPairs(const TileMapper &mapper, int64_t head,
                      const std::vector<attn::CountGrid *> &grids);

} // namespace attnc

#endif // ATTN_TOOLS_ATTNC_TILEMAP_H
