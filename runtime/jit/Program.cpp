//===- Program.cpp - the attnc C++ API: compile and run patterns ----------===//
#include "attn/attn.h"
#include "codegen/CpuJit.h"
#include "codegen/CpuLowering.h"
#include "codegen/CudaEmitter.h"
#include "codegen/PatternInfo.h"
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "runtime/cpu/CpuAttention.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/CudaRuntime.h"
#include "support/FileRead.h"
#include "runtime/jit/Cache.h"
#include "runtime/jit/CudaCompile.h"
#include "runtime/jit/Nvrtc.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <fmt/core.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>
#include <tuple>

using namespace mlir;
namespace ma = mlir::attn;

namespace attn {

struct Program::Impl {
  std::string pattern;
  std::vector<std::string> runtimeParams;
  int64_t heads = 0;
  std::optional<std::pair<int64_t, int64_t>> grid;
  ma::ShapeRequirements requirements;
  bool headDependent = true;
  /// Whether the mask reads the batch index: then the block map has one
  /// slice per batch entry.
  bool batchDependent = true;
  int64_t tileQ = 64, tileK = 64;
  std::optional<DType> dtype;
  int64_t headDim = 0;
  bool fromCache = false;
  std::unique_ptr<ma::CpuJitModule> jit;
  /// The CUDA kernels, when the program runs on the GPU.
  std::unique_ptr<cuda::LoadedBundle> cuda;
  Target target = Target::CPU;
  std::string fallbackReason;

  /// (map batch entries, map heads, nq, nk, run-time parameter values).
  using MapKey =
      std::tuple<int64_t, int64_t, int64_t, int64_t, std::vector<int64_t>>;
  mutable std::mutex mapMutex;
  mutable std::map<MapKey, std::shared_ptr<const cpu::TileLists>> maps;

  /// The block map of a run with `batch` entries and `heads` heads: one
  /// slice per entry only when the mask reads the batch index, one per head
  /// only when it reads the head.
  std::shared_ptr<const cpu::TileLists>
  tileLists(int64_t batch, int64_t heads, int64_t nq, int64_t nk,
            const std::vector<int64_t> &params) const;
  std::vector<int64_t> paramValues(const RunOptions &options) const;
  void checkShape(int64_t heads, int64_t nq, int64_t nk) const;
};

std::string cacheDirectory() { return jit::cacheRoot(); }

namespace {

/// Collects diagnostics as text with source lines and carets.
struct DiagnosticCapture {
  DiagnosticCapture(llvm::SourceMgr &sm, MLIRContext &ctx)
      : os(text), handler(sm, &ctx, os) {}
  std::string text;
  llvm::raw_string_ostream os;
  SourceMgrDiagnosticHandler handler;
  [[noreturn]] void fail(const std::string &fallback) {
    os.flush();
    throw Error(text.empty() ? fallback : text);
  }
};

std::string moduleText(ModuleOp m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os);
  return s;
}

} // namespace

/// The (dtype, head dim) kernels to build: what the options fix, else bf16
/// and fp16 with head dims 64 and 128.
static std::vector<std::pair<std::string, int64_t>>
cudaVariants(const CompileOptions &options) {
  std::vector<std::string> dtypes = {"bf16", "f16"};
  if (options.dtype)
    dtypes = {*options.dtype == DType::F16 ? "f16" : "bf16"};
  std::vector<int64_t> dims = {64, 128};
  if (options.headDim)
    dims = {options.headDim};
  std::vector<std::pair<std::string, int64_t>> out;
  for (const std::string &d : dtypes)
    for (int64_t dim : dims)
      out.push_back({d, dim});
  return out;
}

/// Compiles (or loads from the JIT cache) the pattern's CUDA bundle for the
/// present GPU and loads it. `normalized` is the module at the attn stage.
static std::unique_ptr<cuda::LoadedBundle>
compileCuda(ModuleOp normalized, const std::string &name,
            const CompileOptions &options) {
  if (options.tileQ && options.tileK &&
      ((options.tileQ != 64 && options.tileQ != 128) ||
       options.tileK != 64) &&
      options.target == Target::CUDA)
    throw Error(fmt::format("the CUDA kernels use 64x64 or 128x64 tiles; "
                            "got {}x{}",
                            options.tileQ, options.tileK));
  jit::CudaCompileOptions copts;
  // A tile the kernels take, else the per-pattern choice.
  if ((options.tileQ == 64 || options.tileQ == 128) &&
      (!options.tileK || options.tileK == 64))
    copts.tileQ = options.tileQ;
  copts.arch = cuda::deviceInfo().arch;
  copts.format = "cubin";
  copts.variants = cudaVariants(options);
  OwningOpRef<ModuleOp> scheduled = normalized.clone();
  {
    PassManager pm(normalized.getContext());
    ma::AttnClassifyTilesPassOptions tiles;
    tiles.tileQ = copts.tileQ ? copts.tileQ : 64;
    tiles.tileK = 64;
    pm.addPass(ma::createAttnClassifyTilesPass(tiles));
    if (failed(pm.run(*scheduled)))
      throw Error("tile classification failed");
  }
  // The key: the scheduled IR, the GPU architecture, NVRTC, the variants.
  std::string key = fmt::format("attnc {}\nnvrtc {}\narch {}\ntile {}\n",
                                ATTNC_VERSION_STRING, jit::nvrtcVersion(),
                                copts.arch, copts.tileQ);
  for (const auto &[d, dim] : copts.variants)
    key += fmt::format("variant {} {}\n", d, dim);
  key += moduleText(*scheduled);

  jit::JitCache cache("cuda");
  std::optional<std::vector<char>> payload;
  if (options.useCache)
    payload = cache.lookup(key);
  std::optional<cuda::Bundle> bundle;
  if (payload) {
    // Manifest text, NUL, binary. The entry is checksummed by the cache and
    // the binary again by the manifest; anything odd is compiled afresh.
    auto nul = std::find(payload->begin(), payload->end(), '\0');
    if (nul != payload->end()) {
      try {
        cuda::Bundle b = cuda::Bundle::parseManifest(
            std::string(payload->begin(), nul), "cached CUDA bundle");
        std::string binary(nul + 1, payload->end());
        if (cuda::checksum(binary) == b.binary) {
          b.binary = std::move(binary);
          bundle = std::move(b);
        }
      } catch (const Error &) {
      }
    }
  }
  if (bundle) {
    // A cached bundle the driver refuses (tampered code with valid checksums)
    // is dropped and rebuilt once, not an error on every run.
    try {
      auto loaded = std::make_unique<cuda::LoadedBundle>(*bundle);
      cache.remember(key, *payload);
      return loaded;
    } catch (const Error &) {
      cache.discard(key);
      bundle.reset();
    }
  }
  if (!bundle) {
    bundle = jit::compileCudaBundle(*scheduled, name, copts);
    std::string manifest = bundle->manifest();
    std::vector<char> bytes(manifest.begin(), manifest.end());
    bytes.push_back('\0');
    bytes.insert(bytes.end(), bundle->binary.begin(), bundle->binary.end());
    payload = std::move(bytes);
    if (options.useCache)
      cache.store(key, *payload);
  }
  if (options.useCache)
    cache.remember(key, *payload);
  return std::make_unique<cuda::LoadedBundle>(std::move(*bundle));
}

static Program compileBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                             const CompileOptions &options) {
  auto impl = std::make_shared<Program::Impl>();
  MLIRContext ctx(MLIRContext::Threading::DISABLED);
  DialectRegistry registry;
  ma::registerAttnDialects(registry);
  ma::registerCpuLoweringDialects(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  DiagnosticCapture diag(sm, ctx);

  OwningOpRef<ModuleOp> module = ma::importAttn(sm, &ctx);
  if (!module)
    diag.fail("cannot parse the pattern");
  std::string name = options.pattern;
  if (name.empty())
    for (auto p : module->getOps<ma::PatternOp>())
      if (!p.isPrivate()) {
        name = p.getSymName().str();
        break;
      }
  // Where it runs, decided before compiling anything (a CUDA target on a
  // machine without a GPU fails at once).
  impl->target = options.target;
  bool wantCuda = false;
  if (options.target != Target::CPU) {
    std::string why;
    if (!cuda::available())
      why = "CUDA is not available: " + cuda::unavailableReason();
    else if (!jit::nvrtcAvailable())
      why = "this attnc was built without the CUDA toolkit (NVRTC), so it "
            "cannot compile CUDA kernels";
    else if (options.dtype == DType::F32)
      why = "the CUDA path takes bf16 or fp16, and the program was compiled "
            "for f32";
    else if (options.headDim > 0 && !ma::isCudaHeadDim(options.headDim))
      why = fmt::format("the CUDA kernels take head dims {}, and the program "
                        "was compiled for head_dim {}",
                        ma::cudaHeadDimList(), options.headDim);
    if (why.empty())
      wantCuda = true;
    else if (options.target == Target::CUDA)
      throw Error(why);
    else
      impl->fallbackReason = why;
  }
  if (options.tileQ < 0 || options.tileK < 0 || options.headDim < 0)
    throw Error(fmt::format("tile sizes and the head dimension must not be "
                            "negative (tileQ {}, tileK {}, headDim {})",
                            options.tileQ, options.tileK, options.headDim));
  // Larger tiles only cost memory (the CPU kernel keeps tileQ x tileK
  // scores per thread) and overflow the tile arithmetic long before they
  // could help.
  if (options.tileQ > kMaxTileSize || options.tileK > kMaxTileSize)
    throw Error(fmt::format("tile sizes must be at most {} (tileQ {}, tileK "
                            "{})",
                            kMaxTileSize, options.tileQ, options.tileK));
  impl->dtype = options.dtype;
  impl->headDim = options.headDim;
  impl->tileQ = options.tileQ > 0 ? options.tileQ : 64;
  impl->tileK = options.tileK > 0 ? options.tileK : 64;

  ma::PipelineOptions popts;
  popts.pattern = name;
  for (const auto &[k, v] : options.values)
    popts.values.push_back(k + "=" + v);
  popts.stop = ma::Stage::Attn;
  {
    PassManager pm(&ctx);
    ma::buildAttnPipeline(pm, popts);
    if (failed(pm.run(*module)))
      diag.fail("the pattern does not compile");
  }
  auto pattern = module->lookupSymbol<ma::PatternOp>(name);
  impl->pattern = name;
  for (unsigned i = 0; i < pattern.getNumParams(); ++i)
    impl->runtimeParams.push_back(pattern.getParamName(i).str());
  impl->heads = pattern.getHeads().value_or(0);
  if (auto layout = pattern.getLayout())
    impl->grid = std::make_pair((*layout)[0], (*layout)[1]);
  impl->headDependent = ma::isHeadDependent(pattern);
  impl->batchDependent = ma::isBatchDependent(pattern);
  impl->requirements = ma::getShapeRequirements(pattern);
  if (wantCuda)
    impl->cuda = compileCuda(*module, name, options);

  // The cache key: normalized IR, options and toolchain.
  std::string key = fmt::format(
      "attnc {}\nllvm {}\ncpu {}\ntile {}x{}\n{}", ATTNC_VERSION_STRING,
      LLVM_VERSION_STRING, ma::hostCpuDescription(), impl->tileQ,
      impl->tileK, moduleText(*module));
  jit::JitCache cache("cpu");
  std::optional<std::vector<char>> object;
  std::string error;
  if (options.useCache)
    object = cache.lookup(key);
  if (object) {
    impl->jit = ma::CpuJitModule::load(*object, name, error);
    // Cached code that does not load (a tampered or foreign entry with a
    // valid checksum) is dropped and rebuilt, not an error on every run.
    if (!impl->jit) {
      cache.discard(key);
      object.reset();
    }
  }
  impl->fromCache = object.has_value();
  if (!object) {
    PassManager pm(&ctx);
    ma::AttnClassifyTilesPassOptions tiles;
    tiles.tileQ = impl->tileQ;
    tiles.tileK = impl->tileK;
    pm.addPass(ma::createAttnClassifyTilesPass(tiles));
    if (failed(pm.run(*module)))
      diag.fail("tile classification failed");
    auto lowered = ma::lowerPatternToLLVM(*module, name);
    if (failed(lowered))
      diag.fail("lowering to LLVM failed");
    std::vector<char> code;
    if (!ma::compileToObject(**lowered, code, error))
      throw Error(error);
    impl->jit = ma::CpuJitModule::load(code, name, error);
    if (!impl->jit)
      throw Error(error);
    object = std::move(code);
    if (options.useCache)
      cache.store(key, *object);
  }
  if (options.useCache)
    cache.remember(key, *object);
  return Program(impl);
}

Program Program::compileFile(const std::string &path,
                             const CompileOptions &options) {
  std::string text, error;
  if (!readRegularFile(path, kMaxSourceBytes, text, error))
    throw Error(error);
  return compileBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, path),
                       options);
}

Program Program::compileString(const std::string &source,
                               const CompileOptions &options,
                               const std::string &bufferName) {
  return compileBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, bufferName),
                       options);
}

const std::string &Program::patternName() const { return impl->pattern; }
const std::vector<std::string> &Program::runtimeParams() const {
  return impl->runtimeParams;
}
int64_t Program::heads() const { return impl->heads; }
bool Program::fromCache() const { return impl->fromCache; }
bool Program::batchDependent() const { return impl->batchDependent; }
Device Program::device() const {
  return impl->cuda ? Device::CUDA : Device::CPU;
}
const std::string &Program::fallbackReason() const {
  return impl->fallbackReason;
}

std::vector<int64_t>
Program::Impl::paramValues(const RunOptions &options) const {
  std::vector<int64_t> values;
  for (const std::string &name : runtimeParams) {
    auto it = options.params.find(name);
    if (it == options.params.end())
      throw Error(fmt::format("pattern '{}' needs a value for its run-time "
                              "parameter '{}'",
                              pattern, name));
    values.push_back(it->second);
  }
  for (const auto &[name, value] : options.params)
    if (std::find(runtimeParams.begin(), runtimeParams.end(), name) ==
        runtimeParams.end())
      throw Error(fmt::format("pattern '{}' has no run-time parameter '{}'",
                              pattern, name));
  // The compiler proved the index arithmetic exact for values in this range.
  std::string problem = ma::checkRuntimeParams(requirements, pattern, values);
  if (!problem.empty())
    throw Error(problem);
  return values;
}

void Program::Impl::checkShape(int64_t h, int64_t nq, int64_t nk) const {
  std::string problem = ma::checkShape(requirements, pattern, h, nq, nk);
  if (!problem.empty())
    throw Error(problem);
  if (heads && h != heads)
    throw Error(fmt::format("pattern '{}' has {} heads, the query has {}",
                            pattern, heads, h));
  if (grid && (nq != grid->first * grid->second ||
               nk != grid->first * grid->second))
    throw Error(fmt::format("pattern '{}' has layout grid({}, {}), so both "
                            "lengths must be {}; got Nq {} and Nk {}",
                            pattern, grid->first, grid->second,
                            grid->first * grid->second, nq, nk));
}

/// ceil(n / tile) without overflow (n >= 0, tile >= 1).
static int64_t ceilDiv(int64_t n, int64_t tile) {
  return n / tile + (n % tile != 0);
}

std::shared_ptr<const cpu::TileLists>
Program::Impl::tileLists(int64_t batch, int64_t h, int64_t nq, int64_t nk,
                         const std::vector<int64_t> &params) const {
  int64_t mapHeads = headDependent ? h : 1;
  int64_t mapBatches = batchDependent ? batch : 1;
  if (nq < 0 || nk < 0 || mapHeads < 0 || mapBatches < 0)
    throw Error(fmt::format("lengths, heads and batch must not be negative "
                            "(batch {}, heads {}, Nq {}, Nk {})",
                            batch, h, nq, nk));
  MapKey key{mapBatches, mapHeads, nq, nk, params};
  std::lock_guard<std::mutex> lock(mapMutex);
  if (auto it = maps.find(key); it != maps.end())
    return it->second;
  int64_t numQTiles = ceilDiv(nq, tileQ), numKTiles = ceilDiv(nk, tileK);
  // Key tiles are int32 entries (~c for PARTIAL); the classes of one slice
  // and the lists must fit in memory. Checked before any allocation so a
  // huge shape is an error, not std::bad_alloc or a wrapped size.
  int64_t sliceTiles = 0, rows = 0;
  constexpr int64_t kMaxMapTiles = int64_t(1) << 34;
  if (numKTiles > INT32_MAX ||
      __builtin_mul_overflow(numQTiles, numKTiles, &sliceTiles) ||
      __builtin_mul_overflow(mapBatches * mapHeads, numQTiles, &rows) ||
      sliceTiles > kMaxMapTiles || rows > kMaxMapTiles)
    throw Error(fmt::format("the block map of Nq {} x Nk {} with {}x{} tiles "
                            "({} x {} tiles per head) is too large; use "
                            "larger tiles or shorter sequences",
                            nq, nk, tileQ, tileK, numQTiles, numKTiles));
  auto start = std::chrono::steady_clock::now();
  auto t = std::make_shared<cpu::TileLists>();
  t->tileQ = tileQ;
  t->tileK = tileK;
  t->numQTiles = numQTiles;
  t->numKTiles = numKTiles;
  t->heads = mapHeads;
  t->batches = mapBatches;
  std::vector<int64_t> ctx = {0,     0,          nq, nk, tileQ, tileK,
                              t->numQTiles, t->numKTiles};
  ctx.insert(ctx.end(), params.begin(), params.end());
  try {
    std::vector<int8_t> classes(sliceTiles);
    t->rowStart.reserve(rows + 1);
    t->rowStart.push_back(0);
    for (int64_t b = 0; b < mapBatches; ++b)
      for (int64_t head = 0; head < mapHeads; ++head) {
        ctx[ma::kCtxBatch] = b;
        ctx[ma::kCtxHead] = head;
        // Rows are independent: split them over the hardware threads.
        unsigned workers = std::clamp<int64_t>(
            std::thread::hardware_concurrency(), 1,
            std::max<int64_t>(1, t->numQTiles * t->numKTiles / 65536));
        if (workers <= 1) {
          jit->entryPoints().blockMap(ctx.data(), classes.data(), 0,
                                      t->numQTiles);
        } else {
          std::vector<std::thread> pool;
          int64_t step = (t->numQTiles + workers - 1) / workers;
          for (unsigned w = 0; w < workers; ++w)
            pool.emplace_back([&, w] {
              jit->entryPoints().blockMap(
                  ctx.data(), classes.data(), std::min(t->numQTiles, w * step),
                  std::min(t->numQTiles, (w + 1) * step));
            });
          for (auto &th : pool)
            th.join();
        }
        for (int64_t r = 0; r < t->numQTiles; ++r) {
          const int8_t *row = classes.data() + r * t->numKTiles;
          for (int64_t c = 0; c < t->numKTiles;) {
            // Skip EMPTY tiles eight at a time.
            uint64_t word;
            if (c + 8 <= t->numKTiles &&
                (std::memcpy(&word, row + c, 8), word == 0)) {
              c += 8;
              continue;
            }
            if (row[c] == 2)
              t->tiles.push_back(static_cast<int32_t>(c));
            else if (row[c] == 1)
              t->tiles.push_back(~static_cast<int32_t>(c));
            ++c;
          }
          t->rowStart.push_back(static_cast<int64_t>(t->tiles.size()));
        }
      }
  } catch (const std::bad_alloc &) {
    throw Error(fmt::format("not enough memory for the block map of Nq {} x "
                            "Nk {} ({} batch entries, {} heads, {}x{} tiles)",
                            nq, nk, mapBatches, mapHeads, tileQ, tileK));
  }
  t->buildSeconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  maps.emplace(key, t);
  return t;
}

BlockMapInfo Program::blockMap(int64_t h, int64_t nq, int64_t nk,
                               const RunOptions &options, int64_t batch) const {
  if (batch < 1)
    throw Error(
        fmt::format("the batch size must be at least 1, got {}", batch));
  impl->checkShape(h, nq, nk);
  auto t = impl->tileLists(batch, h, nq, nk, impl->paramValues(options));
  BlockMapInfo info;
  info.tileQ = t->tileQ;
  info.tileK = t->tileK;
  info.numQTiles = t->numQTiles;
  info.numKTiles = t->numKTiles;
  info.heads = t->heads;
  info.batches = t->batches;
  for (int32_t e : t->tiles)
    (e >= 0 ? info.fullTiles : info.partialTiles)++;
  int64_t all = t->batches * t->heads * t->numQTiles * t->numKTiles;
  info.density = all ? double(info.fullTiles + info.partialTiles) / all : 0;
  info.buildSeconds = t->buildSeconds;
  return info;
}

int64_t Program::allowedPairs(int64_t h, int64_t nq, int64_t nk,
                              const RunOptions &options, int64_t batch) const {
  if (batch < 1)
    throw Error(
        fmt::format("the batch size must be at least 1, got {}", batch));
  impl->checkShape(h, nq, nk);
  std::vector<int64_t> params = impl->paramValues(options);
  auto t = impl->tileLists(batch, h, nq, nk, params);
  std::vector<int64_t> ctx = {0,     0,     nq, nk, t->tileQ, t->tileK,
                              t->numQTiles, t->numKTiles};
  ctx.insert(ctx.end(), params.begin(), params.end());
  std::vector<uint8_t> mask(t->tileQ * t->tileK);
  int64_t total = 0;
  // A batch-independent mask counts once, then scales.
  int64_t entries = t->batches == 1 ? 1 : batch;
  for (int64_t b = 0; b < entries; ++b) {
    ctx[ma::kCtxBatch] = b;
    for (int64_t head = 0; head < h; ++head) {
      ctx[ma::kCtxHead] = head;
      for (int64_t r = 0; r < t->numQTiles; ++r) {
        int64_t row = t->rowIndex(b, head, r);
        int64_t q0 = r * t->tileQ, q1 = std::min(nq, q0 + t->tileQ);
        for (int64_t e = t->rowStart[row]; e < t->rowStart[row + 1]; ++e) {
          int32_t entry = t->tiles[e];
          int64_t c = entry < 0 ? ~entry : entry;
          int64_t k0 = c * t->tileK, k1 = std::min(nk, k0 + t->tileK);
          if (entry >= 0) {
            total += (q1 - q0) * (k1 - k0);
            continue;
          }
          impl->jit->entryPoints().tileMask(ctx.data(), q0, q1, k0, k1,
                                            mask.data(), t->tileK);
          for (int64_t i = 0; i < q1 - q0; ++i)
            for (int64_t j = 0; j < k1 - k0; ++j)
              total += mask[i * t->tileK + j];
        }
      }
    }
  }
  return t->batches == 1 ? total * batch : total;
}

static cpu::View toView(const Tensor &t, const char *name) {
  if (t.device != Device::CPU)
    throw Error(fmt::format("{} is in CUDA memory, but the program runs on "
                            "the CPU (compile with Target::CUDA)",
                            name));
  cpu::View v;
  v.data = t.data;
  v.type = t.dtype == DType::F32   ? cpu::ElemType::F32
           : t.dtype == DType::F16 ? cpu::ElemType::F16
                                   : cpu::ElemType::BF16;
  for (int i = 0; i < 4; ++i) {
    v.shape[i] = t.shape[i];
    v.strides[i] = t.strides[i];
  }
  return v;
}

void Program::run(const Tensor &q, const Tensor &k, const Tensor &v,
                  Tensor &out, const RunOptions &options) const {
  // Under Auto, f32 host tensors still run on the CPU code.
  bool allHost = q.device == Device::CPU && k.device == Device::CPU &&
                 v.device == Device::CPU && out.device == Device::CPU;
  if (impl->cuda &&
      !(impl->target == Target::Auto && q.dtype == DType::F32 && allHost)) {
    auto dtypeName = [](DType t) {
      return t == DType::F32 ? "f32" : t == DType::F16 ? "f16" : "bf16";
    };
    if (impl->dtype && q.dtype != *impl->dtype)
      throw Error(fmt::format("program '{}' was compiled for {} inputs, got "
                              "{}",
                              impl->pattern, dtypeName(*impl->dtype),
                              dtypeName(q.dtype)));
    if (impl->headDim && q.shape[3] != impl->headDim)
      throw Error(fmt::format("program '{}' was compiled for head_dim {}, "
                              "got {}",
                              impl->pattern, impl->headDim, q.shape[3]));
    impl->checkShape(q.shape[1], q.shape[2], k.shape[2]);
    impl->cuda->run(q, k, v, out, impl->paramValues(options), options.scale,
                    options.stream);
    return;
  }
  cpu::AttentionArgs args;
  args.q = toView(q, "q");
  args.k = toView(k, "k");
  args.v = toView(v, "v");
  args.out = toView(out, "out");
  args.threads = options.threads;
  if (options.scale) {
    if (!(*options.scale > 0) || !std::isfinite(*options.scale))
      throw Error(fmt::format("scale must be a positive finite number, got {}",
                              *options.scale));
    args.scale = *options.scale;
  }
  std::string problem = cpu::checkAttentionArgs(
      [&] {
        cpu::AttentionArgs a = args;
        static const cpu::TileLists dummy;
        a.tiles = &dummy;
        return a;
      }());
  if (!problem.empty())
    throw Error(problem);
  int64_t heads = q.shape[1], nq = q.shape[2], nk = k.shape[2];
  auto dtypeName = [](DType t) {
    return t == DType::F32 ? "f32" : t == DType::F16 ? "f16" : "bf16";
  };
  if (impl->dtype && q.dtype != *impl->dtype)
    throw Error(fmt::format("program '{}' was compiled for {} inputs, got {}",
                            impl->pattern, dtypeName(*impl->dtype),
                            dtypeName(q.dtype)));
  if (impl->headDim && q.shape[3] != impl->headDim)
    throw Error(fmt::format("program '{}' was compiled for head_dim {}, got "
                            "{}",
                            impl->pattern, impl->headDim, q.shape[3]));
  impl->checkShape(heads, nq, nk);
  std::vector<int64_t> params = impl->paramValues(options);
  auto tiles = impl->tileLists(q.shape[0], heads, nq, nk, params);
  args.tiles = tiles.get();
  auto tileMask = impl->jit->entryPoints().tileMask;
  args.tileMask = [&](int64_t b, int64_t h, int64_t q0, int64_t q1, int64_t k0,
                      int64_t k1, uint8_t *maskOut, int64_t ld) {
    int64_t ctx[ma::kCtxParams + 16];
    std::vector<int64_t> big;
    int64_t *c = ctx;
    if (params.size() > 16) {
      big.resize(ma::kCtxParams + params.size());
      c = big.data();
    }
    c[ma::kCtxBatch] = b;
    c[ma::kCtxHead] = h;
    c[ma::kCtxNq] = nq;
    c[ma::kCtxNk] = nk;
    c[ma::kCtxTileQ] = tiles->tileQ;
    c[ma::kCtxTileK] = tiles->tileK;
    c[ma::kCtxNumQTiles] = tiles->numQTiles;
    c[ma::kCtxNumKTiles] = tiles->numKTiles;
    for (size_t i = 0; i < params.size(); ++i)
      c[ma::kCtxParams + i] = params[i];
    tileMask(c, q0, q1, k0, k1, maskOut, ld);
  };
  cpu::runAttention(args);
}

} // namespace attn
