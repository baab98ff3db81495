//===- attnc.cpp - the attnc command-line compiler -------------------------===//
//
// attnc compile | mask | blockmap | show. Each command reads a .attn file,
// runs the shared pipeline and reports every error with file:line:col.
//
//===----------------------------------------------------------------------===//
#include "attn/attn.h"
#include "codegen/CpuLowering.h"
#include "codegen/CudaEmitter.h"
#include "codegen/FlexExport.h"
#include "frontend/Frontend.h"
#include "passes/Passes.h"
#include "runtime/Npy.h"
#include "runtime/AtomicFile.h"
#include "runtime/TextEscape.h"
#include "runtime/reference/BlockMap.h"
#include "runtime/reference/Reference.h"
#include "runtime/jit/CudaCompile.h"
#include "runtime/jit/CudaSchedule.h"
#include "runtime/jit/Nvrtc.h"
#include "tools/attnc/Driver.h"
#include "tools/attnc/Render.h"
#include "llvm/Support/raw_ostream.h"
#include <fmt/core.h>
#include <fmt/format.h>
#include <unistd.h>

using namespace attnc;
namespace ma = mlir::attn;
namespace rt = ::attn;
using mlir::failed;

namespace {

const char *kUsage = R"(attnc - a compiler for sparse attention patterns

usage: attnc <command> FILE.attn [options]

commands:
  compile   print the AST or the IR of a pattern at a named stage
  mask      write the exact mask of a pattern as a NumPy .npy file
  blockmap  list, per head and query tile, the FULL and PARTIAL key tiles
  show      draw a pattern in the terminal or as a PNG/SVG image
  run       compute attention with a pattern on the CPU (check, benchmark)
  cache     show or clear the JIT cache

Run 'attnc <command> --help' for the options of a command.
)";

const char *kCommon = R"(  --pattern NAME       pattern to use (default: the first in the file)
  --set NAME=VALUE     set a parameter (repeatable); run-time 'param'
                       parameters need a value for mask, blockmap and show
)";

const char *kShape = R"(  --seq N              query length (for a grid layout, H*W)
  --kv-seq M           key length (default N); queries align bottom-right
  --heads H            head count (default: the pattern's, else 1)
)";

void addCommon(Args &a) {
  a.option("--pattern");
  a.option("--set", /*multi=*/true);
  a.flag("--help");
}
void addShape(Args &a) {
  a.option("--seq");
  a.option("--kv-seq");
  a.option("--heads");
}

/// Parses the arguments and the one FILE; prints help when asked.
bool setup(Args &args, const char *help, int &exit, std::string &file) {
  if (!args.parse()) {
    exit = 2;
    return false;
  }
  if (args.has("--help")) {
    fmt::print("{}", help);
    exit = 0;
    return false;
  }
  if (args.positional().size() != 1) {
    exit = fail(args.command,
                args.positional().empty()
                    ? "expected one .attn FILE"
                    : fmt::format("expected one .attn FILE, got {} ({}, ...)",
                                  args.positional().size(),
                                  args.positional()[0]));
    return false;
  }
  file = args.positional()[0];
  return true;
}

/// Writes text to -o OUT atomically, or to stdout.
int emitText(const Args &args, const std::string &text) {
  auto out = args.get("-o");
  if (!out || *out == "-") {
    fmt::print("{}", text);
    return 0;
  }
  std::string error;
  if (!rt::writeFileAtomic(*out, text.data(), text.size(), error))
    return fail(args.command, error);
  return 0;
}

//===----------------------------------------------------------------------===//
// attnc compile
//===----------------------------------------------------------------------===//

/// --emit=cuda|ptx|cubin: the kernel source, or a bundle compiled by NVRTC.
int emitCuda(const Args &args, Session &s, const std::string &emit,
             int64_t tq, int64_t tk) {
  const std::string &cmd = args.command;
  std::string target = args.get("--target").value_or("sm_90a");
  if (std::string problem = rt::jit::checkCudaArch(target); !problem.empty())
    return fail(cmd, "--target: " + problem);
  std::vector<std::string> dtypes = args.getAll("--dtype");
  if (dtypes.empty())
    dtypes = {"bf16", "f16"};
  for (const std::string &d : dtypes)
    if (d != "bf16" && d != "f16")
      return fail(cmd, fmt::format("unknown --dtype '{}' (the CUDA kernels "
                                   "take bf16 or f16)",
                                   d));
  std::vector<int64_t> dims;
  for (const std::string &text : args.getAll("--head-dim")) {
    int64_t dim = 0;
    if (llvm::StringRef(text).getAsInteger(10, dim) ||
        !mlir::attn::isCudaHeadDim(dim))
      return fail(cmd, fmt::format("unsupported --head-dim '{}' (the CUDA "
                                   "kernels take {})",
                                   text, mlir::attn::cudaHeadDimList()));
    dims.push_back(dim);
  }
  if (dims.empty())
    dims = {64, 128};
  bool usage = args.has("--resource-usage");
  if (usage && emit != "cubin")
    return fail(cmd, "--resource-usage needs --emit=cubin (ptxas runs only "
                     "when a cubin is made)");
  auto out = args.get("-o");
  if (emit == "cubin" && (!out || *out == "-"))
    return fail(cmd, "--emit=cubin needs -o DIR (the bundle directory)");
  if (emit != "cuda" && !rt::jit::nvrtcAvailable())
    return fail(cmd, fmt::format("--emit={}: this attnc was built without "
                                 "the CUDA toolkit (NVRTC); --emit=cuda "
                                 "still writes the kernel source",
                                 emit));
  if (!s.compile(args, ma::Stage::AttnScheduled, tq, tk))
    return 1;

  std::vector<std::pair<std::string, int64_t>> variants;
  for (const std::string &d : dtypes)
    for (int64_t dim : dims)
      if (std::find(variants.begin(), variants.end(),
                    std::make_pair(d, dim)) == variants.end())
        variants.push_back({d, dim});
  // The query tile: --tile when given, else chosen per pattern.
  rt::jit::CudaTileChoice tile{tq, "--tile"};
  if (!args.has("--tile"))
    tile = rt::jit::chooseCudaTileQ(*s.module, s.patternName);
  // Emitting first reports source errors with the .attn line and caret.
  ma::CudaEmitOptions emitOptions;
  emitOptions.tileQ = tile.tileQ;
  emitOptions.variants.clear();
  for (const auto &[d, dim] : variants)
    emitOptions.variants.push_back({d, dim});
  auto source = ma::emitCudaSource(*s.module, s.patternName, emitOptions);
  if (mlir::failed(source))
    return 1;
  if (emit == "cuda")
    return emitText(args, *source);
  rt::jit::CudaCompileOptions options;
  options.arch = target;
  options.format = emit;
  options.variants = variants;
  options.verbose = usage;
  options.tileQ = tile.tileQ;
  if (usage)
    fmt::print(stderr, "query tile {}: {}\n", tile.tileQ, tile.reason);
  try {
    rt::jit::CudaCompileInfo info;
    rt::cuda::Bundle bundle =
        rt::jit::compileCudaBundle(*s.module, s.patternName, options, &info);
    if (usage)
      fmt::print(stderr, "{}{}", info.log,
                 !info.log.empty() && info.log.back() != '\n' ? "\n" : "");
    if (emit == "ptx" && (!out || *out == "-")) {
      fmt::print("{}", bundle.binary);
      return 0;
    }
    bundle.write(*out);
  } catch (const rt::Error &e) {
    return fail(cmd, e.what());
  }
  return 0;
}

int runCompile(std::vector<std::string> argv) {
  Args args("compile", std::move(argv));
  addCommon(args);
  args.option("--emit");
  args.option("-o");
  args.option("--tile");
  args.option("--target");
  args.option("--dtype", /*multi=*/true);
  args.option("--head-dim", /*multi=*/true);
  args.flag("--resource-usage");
  std::string help = std::string(R"(usage: attnc compile FILE [options] --emit=STAGE [-o OUT]

Prints a pattern at a named stage of the pipeline:
  ast             the parsed syntax tree
  attn            the attn dialect after inlining, parameter binding,
                  simplification and verification
  attn-scheduled  plus the element predicate and tile classifier functions
  llvm            the LLVM IR of the CPU entry points (block map, tile mask)
  flex            a Python module with the PyTorch FlexAttention mask_mod
                  (and create_block_mask) of the pattern
  cuda            the CUDA C++ source of the kernels (one translation unit)
  ptx             the kernels compiled by NVRTC to PTX: a bundle directory
                  with -o DIR, else the PTX text on stdout
  cubin           the kernels compiled by NVRTC to a cubin: a bundle
                  directory (manifest.txt + kernels.cubin), -o DIR required

options:
  --emit STAGE         ast | attn | attn-scheduled | llvm | flex | cuda |
                       ptx | cubin
  -o OUT               write to OUT (atomically) instead of stdout; the
                       bundle directory for ptx and cubin
  --tile BQxBK         tile size recorded in attn-scheduled (default 64x64;
                       the CUDA kernels need 64x64)
  --target ARCH        CUDA architecture for ptx and cubin: sm_80, sm_86,
                       sm_89, sm_90, sm_90a (default), sm_100a, ... (sm_NN
                       or sm_NNa/f, NN >= 80)
  --dtype DT           CUDA kernels for DT: bf16 | f16 (repeatable;
                       default both)
  --head-dim D         CUDA kernels for head dim D: 32 | 64 | 96 | 128
                       (repeatable; default 64 and 128)
  --resource-usage     with --emit=cubin: print the ptxas report (registers,
                       spills per kernel) on stderr
)") + kCommon;
  int exit = 0;
  std::string file;
  if (!setup(args, help.c_str(), exit, file))
    return exit;
  auto emit = args.get("--emit");
  if (!emit)
    return fail(args.command,
                "--emit=ast|attn|attn-scheduled|llvm|flex|cuda|ptx|cubin "
                "is required");
  int64_t tq = 64, tk = 64;
  if (!readTile(args, tq, tk, /*required=*/false))
    return 1;
  bool cudaStage = *emit == "cuda" || *emit == "ptx" || *emit == "cubin";
  for (const char *opt : {"--target", "--dtype", "--head-dim",
                          "--resource-usage"})
    if (!cudaStage && args.has(opt))
      return fail(args.command, fmt::format("{} applies only to "
                                            "--emit=cuda|ptx|cubin",
                                            opt));
  Session s;
  if (!s.load(args.command, file))
    return 1;
  if (cudaStage)
    return emitCuda(args, s, *emit, tq, tk);
  std::string text;
  llvm::raw_string_ostream os(text);
  if (*emit == "ast") {
    if (failed(ma::dumpAttnAST(s.sourceMgr, &s.context, os)))
      return 1;
  } else if (*emit == "attn" || *emit == "attn-scheduled") {
    auto stage =
        *emit == "attn" ? ma::Stage::Attn : ma::Stage::AttnScheduled;
    if (!s.compile(args, stage, tq, tk))
      return 1;
    s.module->print(os);
    os << "\n";
  } else if (*emit == "llvm") {
    if (!s.compile(args, ma::Stage::AttnScheduled, tq, tk))
      return 1;
    auto lowered = ma::lowerPatternToLLVM(*s.module, s.patternName);
    if (mlir::failed(lowered))
      return 1;
    auto ir = ma::translateToLLVMIRText(**lowered);
    if (mlir::failed(ir))
      return 1;
    text = *ir;
  } else if (*emit == "flex") {
    if (!s.compile(args, ma::Stage::AttnScheduled, tq, tk))
      return 1;
    ma::FlexExportOptions flex;
    flex.sourceName = file;
    flex.settings = args.getAll("--set");
    flex.sourceMgr = &s.sourceMgr;
    auto py = ma::exportFlexModule(*s.module, s.patternName, flex);
    if (mlir::failed(py))
      return 1;
    text = *py;
  } else {
    return fail(args.command,
                fmt::format("unknown stage '{}' (stages: ast, attn, "
                            "attn-scheduled, llvm, flex, cuda, ptx, cubin)",
                            *emit));
  }
  return emitText(args, text);
}

//===----------------------------------------------------------------------===//
// attnc mask
//===----------------------------------------------------------------------===//

int runMask(std::vector<std::string> argv) {
  Args args("mask", std::move(argv));
  addCommon(args);
  addShape(args);
  args.option("-o");
  std::string help =
      std::string(R"(usage: attnc mask FILE [options] --seq N -o OUT.npy

Writes the exact mask as a NumPy array of bool, shape [H, Nq, Nk]
(true: the query may attend the key).

options:
  -o OUT.npy           output file (written completely or not at all)
)") + kShape + kCommon;
  int exit = 0;
  std::string file;
  if (!setup(args, help.c_str(), exit, file))
    return exit;
  auto out = args.get("-o");
  if (!out)
    return fail(args.command, "-o OUT.npy is required");
  Session s;
  if (!s.load(args.command, file) ||
      !s.compile(args, ma::Stage::Attn))
    return 1;
  Shape shape;
  if (!readShape(args, s.pattern(), shape))
    return 1;
  double bytes = double(shape.heads) * shape.nq * shape.nk;
  if (bytes > double(int64_t(1) << 32))
    return fail(args.command,
                fmt::format("the mask would take {:.1f} GiB; use 'attnc "
                            "blockmap' or 'attnc show' for long sequences",
                            bytes / double(1 << 30)));
  ma::MaskDims dims;
  dims.heads = shape.heads;
  dims.nq = shape.nq;
  dims.nk = shape.nk;
  auto mask = ma::evaluateMask(s.pattern(), {}, dims);
  if (failed(mask))
    return 1;
  rt::NpyArray array;
  array.dtype = rt::NpyDType::Bool;
  array.shape = {shape.heads, shape.nq, shape.nk};
  array.data = std::move(*mask);
  std::string error;
  if (!rt::writeNpy(*out, array, error))
    return fail(args.command, error);
  return 0;
}

//===----------------------------------------------------------------------===//
// attnc blockmap
//===----------------------------------------------------------------------===//

std::string joinTiles(const std::vector<int32_t> &tiles) {
  // Ranges compress long runs: 0-3,7,9-12.
  std::string out;
  for (size_t i = 0; i < tiles.size();) {
    size_t j = i;
    while (j + 1 < tiles.size() && tiles[j + 1] == tiles[j] + 1)
      ++j;
    if (!out.empty())
      out += ",";
    out += j > i ? fmt::format("{}-{}", tiles[i], tiles[j])
                 : fmt::format("{}", tiles[i]);
    i = j + 1;
  }
  return out.empty() ? "-" : out;
}

std::string jsonList(const std::vector<int32_t> &v) {
  return "[" + fmt::format("{}", fmt::join(v, ", ")) + "]";
}

struct TileTotals {
  int64_t full = 0, partial = 0, total = 0;
};
TileTotals totals(const ma::BlockMap &map) {
  TileTotals t;
  for (const auto &row : map.rows) {
    t.full += row.full.size();
    t.partial += row.partial.size();
  }
  t.total = map.heads * map.numQTiles * map.numKTiles;
  return t;
}

int runBlockmap(std::vector<std::string> argv) {
  Args args("blockmap", std::move(argv));
  addCommon(args);
  addShape(args);
  args.option("--tile");
  args.flag("--json");
  std::string help =
      std::string(R"(usage: attnc blockmap FILE [options] --seq N --tile BQxBK [--json]

Runs the generated tile classifier for every tile and prints, for each head
and query tile, the FULL key tiles (no masking needed) and the PARTIAL ones
(masked element by element), then the totals.

options:
  --tile BQxBK         tile size (queries x keys), e.g. 64x64
  --json               print one JSON object instead of text
)") + kShape + kCommon;
  int exit = 0;
  std::string file;
  if (!setup(args, help.c_str(), exit, file))
    return exit;
  int64_t tq = 0, tk = 0;
  if (!readTile(args, tq, tk, /*required=*/true))
    return 1;
  Session s;
  if (!s.load(args.command, file) ||
      !s.compile(args, ma::Stage::AttnScheduled, tq, tk))
    return 1;
  Shape shape;
  if (!readShape(args, s.pattern(), shape))
    return 1;
  auto map = ma::buildBlockMap(*s.module, s.patternName, {}, shape.heads,
                                 shape.nq, shape.nk, tq, tk);
  if (failed(map))
    return 1;
  TileTotals t = totals(*map);
  std::string out;
  if (args.has("--json")) {
    out +=
        fmt::format("{{\"pattern\": {}, \"tile\": [{}, {}], \"seq\": "
                    "[{}, {}], \"heads\": [",
                    rt::jsonString(s.patternName), tq, tk, shape.nq, shape.nk);
    for (int64_t h = 0; h < map->heads; ++h) {
      out += h ? ", {\"rows\": [" : "{\"rows\": [";
      for (int64_t r = 0; r < map->numQTiles; ++r) {
        const auto &row = map->row(h, r);
        out += fmt::format("{}{{\"full\": {}, \"partial\": {}}}",
                           r ? ", " : "", jsonList(row.full),
                           jsonList(row.partial));
      }
      out += "]}";
    }
    out += fmt::format("], \"query_tiles\": {}, \"key_tiles\": {}, "
                       "\"tiles_total\": {}, \"tiles_visited\": {}, "
                       "\"tiles_full\": {}, \"tiles_partial\": {}, "
                       "\"density\": {:.6f}}}\n",
                       map->numQTiles, map->numKTiles, t.total,
                       t.full + t.partial, t.full, t.partial,
                       map->density());
  } else {
    out += fmt::format("pattern {}: seq {}x{}, {} head(s), tile {}x{}, {}x{} "
                       "tiles per head\n",
                       s.patternName, shape.nq, shape.nk, shape.heads, tq, tk,
                       map->numQTiles, map->numKTiles);
    for (int64_t h = 0; h < map->heads; ++h)
      for (int64_t r = 0; r < map->numQTiles; ++r) {
        const auto &row = map->row(h, r);
        out += fmt::format("head {} qtile {} [{}, {}): full {} partial {}\n",
                           h, r, r * tq, std::min(shape.nq, (r + 1) * tq),
                           joinTiles(row.full), joinTiles(row.partial));
      }
    out += fmt::format("tiles visited: {} of {} ({} full, {} partial), "
                       "density {:.4f}\n",
                       t.full + t.partial, t.total, t.full, t.partial,
                       map->density());
  }
  fmt::print("{}", out);
  return 0;
}

//===----------------------------------------------------------------------===//
// attnc show
//===----------------------------------------------------------------------===//

int runShow(std::vector<std::string> argv) {
  Args args("show", std::move(argv));
  addCommon(args);
  addShape(args);
  args.option("-o");
  args.option("--head");
  args.option("--tile");
  args.option("--size");
  args.flag("--ascii");
  std::string help =
      std::string(R"(usage: attnc show FILE [options] --seq N [-o OUT.png|OUT.svg]

Draws one head of the mask, downsampled, with its density and tile
statistics; with -o also as a PNG or SVG image.

options:
  -o OUT.png|OUT.svg   also write an image (written completely or not at all)
  --head I             head to draw (default 0)
  --tile BQxBK         tile size of the statistics (default 64x64)
  --size N             picture size in cells (terminal default 64, image 512)
  --ascii              plain ASCII characters instead of Unicode shades
)") + kShape + kCommon;
  int exit = 0;
  std::string file;
  if (!setup(args, help.c_str(), exit, file))
    return exit;
  int64_t tq = 64, tk = 64;
  if (!readTile(args, tq, tk, /*required=*/false))
    return 1;
  Session s;
  if (!s.load(args.command, file) ||
      !s.compile(args, ma::Stage::AttnScheduled, tq, tk))
    return 1;
  Shape shape;
  if (!readShape(args, s.pattern(), shape))
    return 1;
  int64_t head = 0;
  if (!args.getInt("--head", head, 0))
    return 1;
  if (head >= shape.heads)
    return fail(args.command, fmt::format("--head {} is out of range: the "
                                          "pattern has {} head(s)",
                                          head, shape.heads));
  int64_t size = 0;
  if (!args.getInt("--size", size, 1))
    return 1;

  ma::MaskDims dims;
  dims.heads = shape.heads;
  dims.nq = shape.nq;
  dims.nk = shape.nk;
  auto eval = ma::MaskEvaluator::create(s.pattern(), {}, dims);
  if (failed(eval))
    return 1;
  // Cell density: exact for small cells, else a regular 16x16 sample.
  auto cellDensity = [&](int64_t q0, int64_t q1, int64_t k0, int64_t k1) {
    int64_t sq = std::min<int64_t>(q1 - q0, 16),
            sk = std::min<int64_t>(k1 - k0, 16);
    int64_t hits = 0;
    for (int64_t i = 0; i < sq; ++i)
      for (int64_t j = 0; j < sk; ++j) {
        int64_t q = q0 + (q1 - q0) * (2 * i + 1) / (2 * sq);
        int64_t k = k0 + (k1 - k0) * (2 * j + 1) / (2 * sk);
        hits += eval->at(0, head, q, k);
      }
    return double(hits) / double(sq * sk);
  };
  int64_t termSize = size ? size : 64;
  rt::DensityGrid grid = rt::downsample(
      shape.nq, shape.nk, std::max<int64_t>(1, termSize / 2), termSize,
      cellDensity);

  // Exact density when affordable, else from the tile map's sample.
  std::string densityText;
  double pairs = double(shape.nq) * shape.nk;
  if (pairs <= 64.0 * 1024 * 1024) {
    int64_t allowed = 0;
    for (int64_t q = 0; q < shape.nq; ++q)
      for (int64_t k = 0; k < shape.nk; ++k)
        allowed += eval->at(0, head, q, k);
    densityText = fmt::format("density {:.4f} ({} of {} pairs)",
                              allowed / pairs, allowed, int64_t(pairs));
  } else {
    double sum = 0;
    for (float d : grid.density)
      sum += d;
    densityText = fmt::format("density ~{:.4f} (sampled)",
                              sum / double(grid.density.size()));
  }
  auto map = ma::buildBlockMap(*s.module, s.patternName, {}, shape.heads,
                                 shape.nq, shape.nk, tq, tk);
  if (failed(map))
    return 1;
  int64_t full = 0, partial = 0;
  for (int64_t r = 0; r < map->numQTiles; ++r) {
    full += map->row(head, r).full.size();
    partial += map->row(head, r).partial.size();
  }
  int64_t tiles = map->numQTiles * map->numKTiles;
  fmt::print("pattern {} (head {} of {}), seq {}x{}\n", s.patternName, head,
             shape.heads, shape.nq, shape.nk);
  fmt::print("{}", rt::renderTerminal(grid, !args.has("--ascii")));
  fmt::print("{}\n", densityText);
  fmt::print("tiles {}x{}: {} of {} visited ({} full, {} partial, {} empty), "
             "tile density {:.4f}\n",
             tq, tk, full + partial, tiles, full, partial,
             tiles - full - partial,
             tiles ? double(full + partial) / double(tiles) : 0.0);
  if (auto out = args.get("-o")) {
    int64_t imgSize = size ? size : 512;
    rt::DensityGrid image = rt::downsample(
        shape.nq, shape.nk, imgSize, imgSize, cellDensity);
    std::string error;
    if (!rt::writeImage(*out, image, error))
      return fail(args.command, error);
    fmt::print("wrote {}\n", *out);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  std::string command = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (command == "compile")
    return runCompile(rest);
  if (command == "mask")
    return runMask(rest);
  if (command == "blockmap")
    return runBlockmap(rest);
  if (command == "show")
    return runShow(rest);
  if (command == "run")
    return runRun(rest);
  if (command == "cache")
    return runCache(rest);
  fmt::print(stderr, "attnc: error: unknown command '{}'\n\n{}", command,
             kUsage);
  return 2;
}
