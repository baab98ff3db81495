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
#include "support/AtomicFile.h"
#include "support/Npy.h"
#include "runtime/cpu/CpuAttention.h"
#include "runtime/jit/CudaCompile.h"
#include "runtime/jit/CudaSchedule.h"
#include "runtime/jit/Nvrtc.h"
#include "runtime/reference/BlockMap.h"
#include "runtime/reference/Reference.h"
#include "tools/attnc/Driver.h"
#include "tools/attnc/Render.h"
#include "llvm/Config/llvm-config.h"
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
  run       compute attention with a pattern on the CPU or the GPU (check,
            benchmark)
  cache     show or clear the JIT cache
  version   print the attnc, LLVM and CUDA compiler versions

Run 'attnc help <command>' or 'attnc <command> --help' for the options of a
command, 'attnc --version' for the version.
)";

/// Writes text to -o OUT atomically, or to stdout.
int emitText(const Args &args, const std::string &text) {
  auto path = args.get("-o");
  if (!path || *path == "-") {
    out(text);
    return 0;
  }
  std::string error;
  if (!rt::writeFileAtomic(*path, text.data(), text.size(), error))
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
  auto outPath = args.get("-o");
  if (emit == "cubin" && (!outPath || *outPath == "-"))
    return fail(cmd, "--emit=cubin needs -o DIR (the bundle directory)");
  if (emit != "cuda" && !rt::jit::nvrtcAvailable())
    return fail(cmd, fmt::format("--emit={}: this attnc was built without "
                                 "the CUDA toolkit (NVRTC); --emit=cuda "
                                 "still writes the kernel source",
                                 emit));
  // The emitter checks the query tile (an error located at the pattern); the
  // key tile it would silently take as 64.
  if (args.has("--tile") && tk != 64)
    return fail(cmd, fmt::format("the CUDA kernels use 64x64 or 128x64 tiles "
                                 "(queries x keys), got --tile {}x{}",
                                 tq, tk));
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
    if (emit == "ptx" && (!outPath || *outPath == "-")) {
      out(bundle.binary);
      return 0;
    }
    bundle.write(*outPath);
  } catch (const rt::Error &e) {
    return fail(cmd, e.what());
  }
  return 0;
}

int runCompile(std::vector<std::string> argv) {
  Args args("compile", std::move(argv));
  addCommonOptions(args);
  args.option("--emit");
  args.option("-o");
  args.option("--tile");
  args.option("--target");
  args.option("--dtype", /*multi=*/true);
  args.option("--head-dim", /*multi=*/true);
  args.flag("--resource-usage");
  args.flag("--json");
  std::string help =
      std::string(R"(usage: attnc compile FILE [options] --emit=STAGE [-o OUT]

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
  --tile BQxBK         tile size recorded in attn-scheduled (default 64x64,
                       sizes up to 4096). The CUDA kernels use 64x64 or
                       128x64 tiles: for cuda, ptx and cubin --tile picks
                       one, else attnc chooses per pattern
  --target ARCH        CUDA architecture for ptx and cubin: sm_80, sm_86,
                       sm_89, sm_90, sm_90a (default), sm_100a, ... (sm_NN
                       or sm_NNa/f, NN >= 80)
  --dtype DT           CUDA kernels for DT: bf16 | f16 (repeatable;
                       default both)
  --head-dim D         CUDA kernels for head dim D: 32 | 64 | 96 | 128
                       (repeatable; default 64 and 128)
  --resource-usage     with --emit=cubin: print the ptxas report (registers,
                       spills per kernel) on stderr
)") + kCommonHelp;
  int exit = 0;
  std::string file;
  if (!setupCommand(args, help, exit, file))
    return exit;
  if (rejectJson(args, "compile prints IR or source text (--emit), which has "
                       "no JSON form"))
    return 1;
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
  addCommonOptions(args);
  addShapeOptions(args);
  args.option("-o");
  args.flag("--json");
  std::string help = std::string(
                         R"(usage: attnc mask FILE [options] --seq N -o OUT.npy

Writes the exact mask of batch index --b as a NumPy array of bool, shape
[H, Nq, Nk] (true: the query may attend the key), from the reference
evaluator. Masks over 4 GiB (H * Nq * Nk bytes) are refused.

options:
  -o OUT.npy           output file (written completely or not at all)
)") + kShapeHelp + kCommonHelp;
  int exit = 0;
  std::string file;
  if (!setupCommand(args, help, exit, file))
    return exit;
  if (rejectJson(args, "mask prints nothing; it writes the mask to -o "
                       "OUT.npy"))
    return 1;
  auto path = args.get("-o");
  if (!path)
    return fail(args.command, "-o OUT.npy is required");
  Session s;
  if (!s.load(args.command, file) ||
      !s.compile(args, ma::Stage::Attn))
    return 1;
  Shape shape;
  if (!readShape(args, s.pattern(), shape))
    return 1;
  // Lengths are at most 2^31 and heads 2^16: no overflow in 128 bits.
  __int128 bytes = __int128(shape.heads) * shape.nq * shape.nk;
  if (bytes > kMaxMaskBytes)
    return fail(args.command,
                fmt::format("the mask would take {:.1f} GiB, more than the "
                            "{} GiB limit; use 'attnc blockmap' or 'attnc "
                            "show' for long sequences",
                            double(bytes) / double(1 << 30),
                            kMaxMaskBytes >> 30));
  ma::MaskDims dims;
  dims.batch = shape.batches;
  dims.heads = shape.heads;
  dims.nq = shape.nq;
  dims.nk = shape.nk;
  auto eval = ma::MaskEvaluator::create(s.pattern(), {}, dims);
  if (failed(eval))
    return 1;
  rt::NpyArray array;
  array.dtype = rt::NpyDType::Bool;
  array.shape = {shape.heads, shape.nq, shape.nk};
  array.data.resize(static_cast<size_t>(bytes));
  size_t i = 0;
  for (int64_t h = 0; h < shape.heads; ++h)
    for (int64_t q = 0; q < shape.nq; ++q)
      for (int64_t k = 0; k < shape.nk; ++k)
        array.data[i++] = eval->at(shape.batch, h, q, k);
  std::string error;
  if (!rt::writeNpy(*path, array, error))
    return fail(args.command, error);
  return 0;
}

//===----------------------------------------------------------------------===//
// attnc version, attnc help, and the dispatch
//===----------------------------------------------------------------------===//

const char *kVersionHelp = R"(usage: attnc version | attnc --version

Prints the attnc version, the LLVM it was built with, the CPU kernel build
this machine runs and whether CUDA kernels can be compiled (NVRTC).
)";

int runVersion(std::vector<std::string> argv) {
  if (argv.size() == 1 && (argv[0] == "--help" || argv[0] == "-h")) {
    out(kVersionHelp);
    return 0;
  }
  if (!argv.empty()) {
    fail("version", fmt::format("unexpected argument '{}' (see attnc "
                                "version --help)",
                                argv[0]));
    return 2;
  }
  outf("attnc {}\nLLVM {}\nCPU kernel: {}\nCUDA compilation: {}\n",
       ATTNC_VERSION_STRING, LLVM_VERSION_STRING, rt::cpu::kernelBuildName(),
       rt::jit::nvrtcAvailable()
           ? "NVRTC " + rt::jit::nvrtcVersion()
           : std::string("not available (built without the CUDA toolkit)"));
  return 0;
}

using CommandFn = int (*)(std::vector<std::string>);
struct Command {
  const char *name;
  CommandFn run;
};
const Command kCommands[] = {
    {"compile", runCompile}, {"mask", runMask}, {"blockmap", runBlockmap},
    {"show", runShow},       {"run", runRun},   {"cache", runCache},
    {"version", runVersion},
};

CommandFn findCommand(const std::string &name) {
  for (const Command &c : kCommands)
    if (name == c.name)
      return c.run;
  return nullptr;
}

int unknownCommand(const std::string &name) {
  std::fputs(
      fmt::format("attnc: error: unknown command '{}'\n\n{}", name, kUsage)
          .c_str(),
      stderr);
  return 2;
}

int dispatch(const std::string &command, std::vector<std::string> rest) {
  if (command == "--help" || command == "-h" ||
      (command == "help" && rest.empty())) {
    out(kUsage);
    return 0;
  }
  if (command == "help") {
    if (rest.size() > 1) {
      fail("help", "expected one command name (attnc help COMMAND)");
      return 2;
    }
    CommandFn fn = findCommand(rest[0]);
    return fn ? fn({"--help"}) : unknownCommand(rest[0]);
  }
  if (command == "--version")
    return runVersion(std::move(rest));
  if (CommandFn fn = findCommand(command))
    return fn(std::move(rest));
  return unknownCommand(command);
}

} // namespace

int main(int argc, char **argv) {
  guardStandardDescriptors();
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string command = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  // The name errors are reported under.
  std::string name = findCommand(command)     ? command
                     : command == "--version" ? "version"
                                              : "help";
  int status = 0;
  try {
    status = dispatch(command, std::move(rest));
  } catch (const std::exception &e) {
    // A last resort (fmt throws when a stream fails): a message, not abort.
    status = fail(name, e.what());
  }
  // An error printing diagnostics must not turn into an abort at exit.
  llvm::errs().clear_error();
  return finishOutput(name, status);
}
