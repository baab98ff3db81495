//===- BlockMap.cpp - block maps from generated classifiers or the reference ===//

#include "runtime/reference/BlockMap.h"

#include "runtime/reference/ArithInterpreter.h"
#include "runtime/reference/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::attn;

int64_t BlockMap::tilesVisited() const {
  int64_t n = 0;
  for (const Row &r : rows)
    n += r.full.size() + r.partial.size();
  return n;
}

double BlockMap::density() const {
  int64_t all = heads * numQTiles * numKTiles;
  return all ? double(tilesVisited()) / double(all) : 0.0;
}

int BlockMap::classOf(int64_t head, int64_t qTile, int64_t kTile) const {
  const Row &r = row(head, qTile);
  if (std::binary_search(r.full.begin(), r.full.end(), int32_t(kTile)))
    return 2;
  if (std::binary_search(r.partial.begin(), r.partial.end(), int32_t(kTile)))
    return 1;
  return 0;
}

/// ceil(a / b) for a >= 0, b >= 1, without forming a + b - 1 (which
/// overflows for lengths near 2^63).
static int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

static BlockMap emptyMap(int64_t heads, int64_t nq, int64_t nk, int64_t tileQ,
                         int64_t tileK) {
  BlockMap m;
  m.tileQ = tileQ;
  m.tileK = tileK;
  m.heads = heads;
  m.nq = nq;
  m.nk = nk;
  m.numQTiles = ceilDiv(nq, tileQ);
  m.numKTiles = ceilDiv(nk, tileK);
  m.rows.resize(heads * m.numQTiles);
  return m;
}

FailureOr<BlockMap> mlir::attn::buildBlockMap(ModuleOp module,
                                              StringRef patternName,
                                              ArrayRef<int64_t> runtimeParams,
                                              int64_t heads, int64_t nq,
                                              int64_t nk, int64_t tileQ,
                                              int64_t tileK) {
  if (heads < 1 || nq < 0 || nk < 0 || tileQ < 1 || tileK < 1)
    return module.emitError()
           << "block map: invalid sizes (heads " << heads << ", Nq " << nq
           << ", Nk " << nk << ", tiles " << tileQ << "x" << tileK << ")";
  std::string name = (patternName + "__classify").str();
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn)
    return module.emitError()
           << "block map: no classifier @" << name
           << " (run attn-classify-tiles first)";
  unsigned expected = 8 + runtimeParams.size();
  if (fn.getNumArguments() != expected || fn.getNumResults() != 1)
    return fn.emitError() << "block map: @" << name << " must take " << expected
                          << " i64 arguments (b, h, q0, q1, k0, k1, nq, nk and "
                          << runtimeParams.size()
                          << " run-time parameters) and return one i8";
  FailureOr<CompiledFunction> classify = CompiledFunction::compile(fn);
  if (failed(classify))
    return failure();

  BlockMap m = emptyMap(heads, nq, nk, tileQ, tileK);
  SmallVector<int64_t, 16> args(expected, 0);
  std::copy(runtimeParams.begin(), runtimeParams.end(), args.begin() + 8);
  args[6] = nq;
  args[7] = nk;
  InterpreterScratch scratch = classify->makeScratch();
  for (int64_t h = 0; h < heads; ++h) {
    args[1] = h;
    for (int64_t qt = 0; qt < m.numQTiles; ++qt) {
      args[2] = qt * tileQ;
      args[3] = std::min(nq, (qt + 1) * tileQ);
      BlockMap::Row &row = m.rows[h * m.numQTiles + qt];
      for (int64_t kt = 0; kt < m.numKTiles; ++kt) {
        args[4] = kt * tileK;
        args[5] = std::min(nk, (kt + 1) * tileK);
        FailureOr<int64_t> cls = classify->run1(args, scratch);
        if (failed(cls))
          return fn.emitError() << "block map: @" << name << " failed: "
                                << classify->lastError(scratch);
        if (*cls == 2)
          row.full.push_back(int32_t(kt));
        else if (*cls == 1)
          row.partial.push_back(int32_t(kt));
        else if (*cls != 0)
          return fn.emitError()
                 << "block map: @" << name << " returned " << *cls
                 << " for head " << h << ", tile [" << args[2] << ", "
                 << args[3] << ") x [" << args[4] << ", " << args[5]
                 << "); expected 0 (EMPTY), 1 (PARTIAL) or 2 (FULL)";
      }
    }
  }
  return m;
}

template <typename At>
static BlockMap exactMap(int64_t heads, int64_t nq, int64_t nk, int64_t tileQ,
                         int64_t tileK, At at) {
  BlockMap m = emptyMap(heads, nq, nk, tileQ, tileK);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t qt = 0; qt < m.numQTiles; ++qt) {
      BlockMap::Row &row = m.rows[h * m.numQTiles + qt];
      int64_t q1 = std::min(nq, (qt + 1) * tileQ);
      for (int64_t kt = 0; kt < m.numKTiles; ++kt) {
        int64_t k1 = std::min(nk, (kt + 1) * tileK);
        int64_t set = 0, all = 0;
        for (int64_t q = qt * tileQ; q < q1; ++q)
          for (int64_t k = kt * tileK; k < k1; ++k, ++all)
            set += at(h, q, k) ? 1 : 0;
        if (set == all)
          row.full.push_back(int32_t(kt));
        else if (set)
          row.partial.push_back(int32_t(kt));
      }
    }
  return m;
}

BlockMap mlir::attn::blockMapFromMask(ArrayRef<uint8_t> mask, int64_t heads,
                                      int64_t nq, int64_t nk, int64_t tileQ,
                                      int64_t tileK) {
  assert(int64_t(mask.size()) == heads * nq * nk && "mask size mismatch");
  return exactMap(heads, nq, nk, tileQ, tileK,
                  [&](int64_t h, int64_t q, int64_t k) {
                    return mask[(h * nq + q) * nk + k] != 0;
                  });
}

BlockMap mlir::attn::blockMapFromEvaluator(const MaskEvaluator &eval,
                                           int64_t tileQ, int64_t tileK) {
  const MaskDims &d = eval.dims();
  return exactMap(d.heads, d.nq, d.nk, tileQ, tileK,
                  [&](int64_t h, int64_t q, int64_t k) {
                    return eval.at(0, h, q, k);
                  });
}

std::string mlir::attn::checkBlockMapSound(const BlockMap &generated,
                                           const BlockMap &exact,
                                           bool exactOnly) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (generated.heads != exact.heads || generated.nq != exact.nq ||
      generated.nk != exact.nk || generated.tileQ != exact.tileQ ||
      generated.tileK != exact.tileK) {
    os << "block maps have different shapes";
    return s;
  }
  static const char *names[] = {"EMPTY", "PARTIAL", "FULL"};
  int violations = 0;
  for (int64_t h = 0; h < exact.heads; ++h)
    for (int64_t qt = 0; qt < exact.numQTiles; ++qt)
      for (int64_t kt = 0; kt < exact.numKTiles; ++kt) {
        int g = generated.classOf(h, qt, kt), e = exact.classOf(h, qt, kt);
        bool bad = exactOnly ? g != e : ((g == 2 && e != 2) || (g == 0 && e));
        if (!bad)
          continue;
        if (violations++ < 8)
          os << "head " << h << " tile (" << qt << ", " << kt << "): "
             << names[g] << ", exact " << names[e] << "\n";
      }
  if (violations > 8)
    os << "... " << violations << " violations in all\n";
  return s;
}
