//===- MapCommands.cpp - attnc blockmap and attnc show --------------------===//
//
// Both walk the block map built by the pattern's JIT-compiled classifier, row
// by row (TileMap.h): time and output are O(visited tiles) plus one byte per
// tile of classification, memory is bounded, and show evaluates elements of
// PARTIAL tiles only (FULL tiles count whole, EMPTY ones are skipped).
//
//===----------------------------------------------------------------------===//
#include "tools/attnc/Driver.h"
#include "tools/attnc/Render.h"
#include "tools/attnc/TileMap.h"
#include <fmt/format.h>

#include <algorithm>

using namespace attnc;
namespace ma = mlir::attn;
namespace rt = ::attn;

namespace {

/// "0-3,7,9-12": ranges compress long runs; "-" for none.
std::string joinTiles(llvm::ArrayRef<int32_t> tiles) {
  std::string text;
  for (size_t i = 0; i < tiles.size();) {
    size_t j = i;
    while (j + 1 < tiles.size() && tiles[j + 1] == tiles[j] + 1)
      ++j;
    if (!text.empty())
      text += ',';
    text += j > i ? fmt::format("{}-{}", tiles[i], tiles[j])
                  : fmt::format("{}", tiles[i]);
    i = j + 1;
  }
  return text.empty() ? "-" : text;
}

std::string jsonList(llvm::ArrayRef<int32_t> v) {
  return fmt::format("[{}]", fmt::join(v, ", "));
}

/// Refuses maps too large to walk in reasonable time and memory: at most
/// kMaxMapTiles tiles, and one row of key tiles within a chunk.
bool checkMapSize(const std::string &cmd, int64_t heads, const MapDims &d) {
  int64_t nqt = d.numQTiles(), nkt = d.numKTiles();
  if (nkt > TileMapper::kChunkBytes) {
    fail(cmd, fmt::format("{} keys in tiles of {} make {} key tiles per "
                          "row, more than {}: use larger tiles (--tile)",
                          d.nk, d.tileK, nkt, TileMapper::kChunkBytes));
    return false;
  }
  // Lengths are at most 2^31 and heads 2^16: no overflow in 128 bits.
  __int128 tiles = __int128(heads) * nqt * nkt;
  if (tiles > kMaxMapTiles) {
    fail(cmd, fmt::format("the block map would have {} tiles ({} head(s) x "
                          "{} query tiles x {} key tiles), more than {}: "
                          "use larger tiles (--tile)",
                          static_cast<double>(tiles) < 1e18
                              ? fmt::format("{}", int64_t(tiles))
                              : fmt::format("{:.3g}", double(tiles)),
                          heads, nqt, nkt, kMaxMapTiles));
    return false;
  }
  return true;
}

/// Loads, compiles and JIT-compiles the pattern; reads and checks the shape.
struct MapSetup {
  Session session;
  Shape shape;
  MapDims dims;
  std::unique_ptr<JitPattern> code;

  bool prepare(const Args &args, const std::string &file, int64_t tq,
               int64_t tk, bool allHeads) {
    const std::string &cmd = args.command;
    if (!session.load(cmd, file) ||
        !session.compile(args, ma::Stage::AttnScheduled, tq, tk) ||
        !readShape(args, session.pattern(), shape))
      return false;
    dims.batch = shape.batch;
    dims.nq = shape.nq;
    dims.nk = shape.nk;
    dims.tileQ = tq;
    dims.tileK = tk;
    if (!checkMapSize(cmd, allHeads ? shape.heads : 1, dims))
      return false;
    std::string error;
    code = JitPattern::compile(*session.module, session.patternName, error);
    if (!code) {
      if (!error.empty())
        fail(cmd, error);
      return false;
    }
    return true;
  }

  /// ", batch index I of B" when a batch was given.
  std::string batchText() const {
    return shape.batches > 1 || shape.batch > 0
               ? fmt::format(", batch index {} of {}", shape.batch,
                             shape.batches)
               : "";
  }
};

struct TileTotals {
  int64_t full = 0, partial = 0;
};

//===----------------------------------------------------------------------===//
// attnc blockmap
//===----------------------------------------------------------------------===//

/// Prints each row as it comes; stops when standard output fails.
class BlockmapPrinter : public RowVisitor {
public:
  BlockmapPrinter(int64_t head, const MapDims &dims, bool json,
                  TileTotals &totals)
      : head(head), dims(dims), json(json), totals(totals) {}
  bool row(const TileRow &r) override {
    totals.full += static_cast<int64_t>(r.full.size());
    totals.partial += static_cast<int64_t>(r.partial.size());
    if (json)
      return outf("{}{{\"full\": {}, \"partial\": {}}}", r.qTile ? ", " : "",
                  jsonList(r.full), jsonList(r.partial));
    int64_t q0 = r.qTile * dims.tileQ;
    return outf("head {} qtile {} [{}, {}): full {} partial {}\n", head,
                r.qTile, q0, std::min(dims.nq, q0 + dims.tileQ),
                joinTiles(r.full), joinTiles(r.partial));
  }

private:
  int64_t head;
  const MapDims &dims;
  bool json;
  TileTotals &totals;
};

} // namespace

int attnc::runBlockmap(std::vector<std::string> argv) {
  Args args("blockmap", std::move(argv));
  addCommonOptions(args);
  addShapeOptions(args);
  args.option("--tile");
  args.flag("--json");
  std::string help =
      std::string(
          R"(usage: attnc blockmap FILE [options] --seq N --tile BQxBK [--json]

Runs the pattern's JIT-compiled tile classifier (the code attnc run uses) and
prints, for each head and query tile, the FULL key tiles (no masking needed)
and the PARTIAL ones (masked element by element), then the totals.

options:
  --tile BQxBK         tile size (queries x keys), e.g. 64x64 (at most 4096)
  --json               print one JSON object instead of text
)") + kShapeHelp +
      kCommonHelp;
  int exit = 0;
  std::string file;
  if (!setupCommand(args, help, exit, file))
    return exit;
  int64_t tq = 0, tk = 0;
  if (!readTile(args, tq, tk, /*required=*/true))
    return 1;
  MapSetup m;
  if (!m.prepare(args, file, tq, tk, /*allHeads=*/true))
    return 1;
  const Shape &shape = m.shape;
  const MapDims &dims = m.dims;
  bool json = args.has("--json");
  int64_t nqt = dims.numQTiles(), nkt = dims.numKTiles();
  if (json)
    outf("{{\"pattern\": {}, \"tile\": [{}, {}], \"seq\": [{}, {}], "
         "\"heads\": [",
         jsonString(m.session.patternName), tq, tk, shape.nq, shape.nk);
  else
    outf("pattern {}: seq {}x{}, {} head(s){}, tile {}x{}, {}x{} tiles per "
         "head\n",
         m.session.patternName, shape.nq, shape.nk, shape.heads, m.batchText(),
         tq, tk, nqt, nkt);
  TileMapper mapper(*m.code, dims);
  TileTotals totals;
  for (int64_t h = 0; h < shape.heads && !outputFailed(); ++h) {
    if (json)
      out(h ? ", {\"rows\": [" : "{\"rows\": [");
    BlockmapPrinter printer(h, dims, json, totals);
    if (!mapper.forEachRow(h, printer))
      break;
    if (json)
      out("]}");
  }
  int64_t total = shape.heads * nqt * nkt;
  int64_t visited = totals.full + totals.partial;
  double density = total ? double(visited) / double(total) : 0.0;
  if (json)
    outf("], \"query_tiles\": {}, \"key_tiles\": {}, \"tiles_total\": {}, "
         "\"tiles_visited\": {}, \"tiles_full\": {}, \"tiles_partial\": {}, "
         "\"density\": {:.6f}, \"batch\": {}, \"batch_index\": {}}}\n",
         nqt, nkt, total, visited, totals.full, totals.partial, density,
         shape.batches, shape.batch);
  else
    outf("tiles visited: {} of {} ({} full, {} partial), density {:.4f}\n",
         visited, total, totals.full, totals.partial, density);
  return 0;
}

//===----------------------------------------------------------------------===//
// attnc show
//===----------------------------------------------------------------------===//

namespace {

std::string jsonGrid(const rt::DensityGrid &g) {
  std::string s = fmt::format("{{\"rows\": {}, \"cols\": {}, \"density\": [",
                              g.rows, g.cols);
  for (int64_t r = 0; r < g.rows; ++r) {
    s += r ? ", [" : "[";
    for (int64_t c = 0; c < g.cols; ++c)
      s += fmt::format("{}{:.4f}", c ? ", " : "",
                       g.density[static_cast<size_t>(r * g.cols + c)]);
    s += "]";
  }
  return s + "]}";
}

} // namespace

int attnc::runShow(std::vector<std::string> argv) {
  Args args("show", std::move(argv));
  addCommonOptions(args);
  addShapeOptions(args);
  args.option("-o");
  args.option("--head");
  args.option("--tile");
  args.option("--size");
  args.flag("--ascii");
  args.flag("--json");
  std::string help =
      std::string(
          R"(usage: attnc show FILE [options] --seq N [-o OUT.png|OUT.svg] [--json]

Draws one head of the mask, downsampled, with its exact density and tile
statistics; with -o also as a PNG or SVG image. The picture is counted from
the JIT-compiled block map: FULL tiles whole, PARTIAL tiles element by
element, EMPTY tiles not at all.

options:
  -o OUT.png|OUT.svg   also write an image (written completely or not at all)
  --head I             head to draw (default 0)
  --tile BQxBK         tile size of the statistics (default 64x64, at most
                       4096)
  --size N             picture size in cells (terminal default 64, image 512;
                       at most 4096)
  --ascii              plain ASCII characters instead of Unicode shades
  --json               print the statistics and the cell densities as one
                       JSON object instead of the picture
)") + kShapeHelp +
      kCommonHelp;
  int exit = 0;
  std::string file;
  if (!setupCommand(args, help, exit, file))
    return exit;
  int64_t tq = 64, tk = 64;
  if (!readTile(args, tq, tk, /*required=*/false))
    return 1;
  int64_t size = 0, head = 0;
  if (!args.getInt("--size", size, 1, kMaxPicture) ||
      !args.getInt("--head", head, 0, kMaxHeads - 1))
    return 1;
  auto image = args.get("-o");
  std::string error;
  if (image && !rt::checkImagePath(*image, error))
    return fail(args.command, error);
  MapSetup m;
  if (!m.prepare(args, file, tq, tk, /*allHeads=*/false))
    return 1;
  const Shape &shape = m.shape;
  if (head >= shape.heads)
    return fail(args.command, fmt::format("--head {} is out of range: the "
                                          "pattern has {} head(s)",
                                          head, shape.heads));
  int64_t termSize = size ? size : 64, imgSize = size ? size : 512;
  rt::CountGrid terminal(shape.nq, shape.nk, std::max<int64_t>(1, termSize / 2),
                         termSize);
  std::optional<rt::CountGrid> picture;
  std::vector<rt::CountGrid *> grids = {&terminal};
  if (image) {
    picture.emplace(shape.nq, shape.nk, imgSize, imgSize);
    grids.push_back(&*picture);
  }
  TileMapper mapper(*m.code, m.dims);
  PairCounts counter = countPairs(mapper, head, grids);

  int64_t nqt = m.dims.numQTiles(), nkt = m.dims.numKTiles();
  int64_t tiles = nqt * nkt, visited = counter.full + counter.partial;
  int64_t pairs = shape.nq * shape.nk;
  double density = double(counter.allowed) / double(pairs);
  double tileDensity = tiles ? double(visited) / double(tiles) : 0.0;
  rt::DensityGrid cells = terminal.density();
  // The image first: when it cannot be written, only the error is printed.
  if (image && !rt::writeImage(*image, picture->density(), error))
    return fail(args.command, error);
  if (args.has("--json")) {
    std::string text = fmt::format(
        "{{\"pattern\": {}, \"head\": {}, \"heads\": {}, \"batch\": {}, "
        "\"batch_index\": {}, \"seq\": [{}, {}], \"pairs\": {}, "
        "\"allowed_pairs\": {}, \"density\": {:.6f}, \"tile\": [{}, {}], "
        "\"tiles_total\": {}, \"tiles_visited\": {}, \"tiles_full\": {}, "
        "\"tiles_partial\": {}, \"tiles_empty\": {}, \"tile_density\": "
        "{:.6f}, \"grid\": {}",
        jsonString(m.session.patternName), head, shape.heads, shape.batches,
        shape.batch, shape.nq, shape.nk, pairs, counter.allowed, density, tq,
        tk, tiles, visited, counter.full, counter.partial, tiles - visited,
        tileDensity, jsonGrid(cells));
    out(text + fmt::format(", \"image\": {}}}\n",
                           image ? jsonString(*image) : "null"));
    return 0;
  }
  outf("pattern {} (head {} of {}{}), seq {}x{}\n", m.session.patternName, head,
       shape.heads, m.batchText(), shape.nq, shape.nk);
  out(rt::renderTerminal(cells, !args.has("--ascii")));
  outf("density {:.4f} ({} of {} pairs)\n", density, counter.allowed, pairs);
  outf("tiles {}x{}: {} of {} visited ({} full, {} partial, {} empty), "
       "tile density {:.4f}\n",
       tq, tk, visited, tiles, counter.full, counter.partial, tiles - visited,
       tileDensity);
  if (image)
    outf("wrote {}\n", *image);
  return 0;
}
