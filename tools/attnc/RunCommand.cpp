//===- RunCommand.cpp - attnc run (compute, check, benchmark) and cache ---===//
#include "attn/attn.h"
#include "support/AtomicFile.h"
#include "support/Half.h"
#include "support/Npy.h"
#include "runtime/cpu/CpuAttention.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/jit/Cache.h"
#include "runtime/reference/Reference.h"
#include "tools/attnc/Driver.h"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/core.h>
#include <random>
#include <thread>
#include <unistd.h>

#include "llvm/ADT/StringExtras.h"

using namespace attnc;
namespace ma = mlir::attn;
namespace rt = ::attn;

namespace {

const char *kRunHelp =
    R"(usage: attnc run FILE [options] --q Q.npy --k K.npy --v V.npy -o OUT.npy
       attnc run FILE [options] --random B,H,NQ[,NK],D [--dtype f32|f16|bf16]
                 --bench [--repeat R] [--json]

Computes out = softmax(scale * q k^T, masked) v with the compiled pattern.
Inputs are [B, H, N, D] float32 or float16 .npy files; k and v may have
fewer heads than q (GQA/MQA). The output has the input dtype.

options:
  --q/--k/--v FILE     input tensors
  -o OUT.npy           output (written completely or not at all)
  --device DEV         cpu | cuda | auto (default auto: CUDA when a usable GPU
                       is present and the inputs are f16/bf16, else the CPU).
                       cuda fails when there is no GPU; the CUDA kernels take
                       f16/bf16 with head dim 32, 64, 96 or 128
  --scale S            softmax scale (default 1/sqrt(head_dim))
  --check              also compute the naive reference and print the largest
                       absolute error; exit 1 above the dtype's tolerance or
                       when an output is NaN or Inf
  --random SHAPE       random inputs of shape B,H,NQ[,NK],D
  --dtype T            dtype of random inputs (default f32)
  --bench              time the kernel: median, GFLOP/s over allowed pairs,
                       density and the speedup over dense causal attention
  --repeat R           timed runs (default 5)
  --threads N          CPU threads (default: all)
  --tile BQxBK         tile sizes (default 64x64)
  --json               print the results (check, benchmark, output file) as
                       one JSON object
  --quiet              no progress messages
  --verbose            say which device runs (and why the CPU under auto)
  --pattern NAME       pattern to use (default: the first in the file)
  --set NAME=VALUE     set a parameter (run-time 'param' ones too)
)";

struct HostTensor {
  rt::DType dtype = rt::DType::F32;
  std::array<int64_t, 4> shape{};
  std::vector<uint8_t> bytes;
  rt::Tensor view() {
    return rt::Tensor::contiguous(bytes.data(), dtype, shape);
  }
  /// Shapes are checked before a tensor is made, so the product fits;
  /// unsigned arithmetic keeps it defined regardless.
  size_t numel() const {
    return static_cast<size_t>(shape[0]) * static_cast<size_t>(shape[1]) *
           static_cast<size_t>(shape[2]) * static_cast<size_t>(shape[3]);
  }
  float at(size_t i) const {
    const uint16_t *h = reinterpret_cast<const uint16_t *>(bytes.data());
    switch (dtype) {
    case rt::DType::F32:
      return reinterpret_cast<const float *>(bytes.data())[i];
    case rt::DType::F16:
      return rt::halfToFloat(h[i]);
    case rt::DType::BF16:
      return rt::bf16ToFloat(h[i]);
    }
    return 0;
  }
};

size_t elemSize(rt::DType t) { return t == rt::DType::F32 ? 4 : 2; }
const char *dtypeName(rt::DType t) {
  return t == rt::DType::F32 ? "f32" : t == rt::DType::F16 ? "f16" : "bf16";
}

/// The machine's physical memory in bytes (0 when unknown).
double physicalMemory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? double(pages) * double(size) : 0.0;
}

std::string gibText(double bytes) {
  double gib = bytes / double(int64_t(1) << 30);
  return gib < 1e6 ? fmt::format("{:.1f} GiB", gib)
                   : fmt::format("{:.3g} GiB", gib);
}

/// NaN and infinite values in a tensor.
size_t countNonFinite(const HostTensor &t) {
  size_t n = 0;
  for (size_t i = 0; i < t.numel(); ++i)
    n += !std::isfinite(t.at(i));
  return n;
}

bool readInput(const std::string &cmd, const std::string &what,
               const std::string &path, HostTensor &out) {
  rt::NpyArray a;
  std::string error;
  if (!rt::readNpy(path, a, error)) {
    fail(cmd, error);
    return false;
  }
  if (a.shape.size() != 4) {
    fail(cmd, fmt::format("{} ({}): expected a [batch, heads, seq, head_dim] "
                          "array, got {} dimensions",
                          what, path, a.shape.size()));
    return false;
  }
  if (a.dtype != rt::NpyDType::F32 && a.dtype != rt::NpyDType::F16) {
    fail(cmd, fmt::format("{} ({}): expected float32 or float16, got {}", what,
                          path, rt::npyDTypeName(a.dtype)));
    return false;
  }
  out.dtype = a.dtype == rt::NpyDType::F32 ? rt::DType::F32 : rt::DType::F16;
  for (int i = 0; i < 4; ++i)
    out.shape[i] = a.shape[i];
  out.bytes = std::move(a.data);
  return true;
}

HostTensor randomTensor(rt::DType dtype, std::array<int64_t, 4> shape,
                        std::mt19937 &rng) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.bytes.resize(t.numel() * elemSize(dtype));
  std::normal_distribution<float> dist(0, 1);
  for (size_t i = 0; i < t.numel(); ++i) {
    float x = dist(rng);
    if (dtype == rt::DType::F32)
      reinterpret_cast<float *>(t.bytes.data())[i] = x;
    else
      reinterpret_cast<uint16_t *>(t.bytes.data())[i] =
          dtype == rt::DType::F16 ? rt::floatToHalf(x) : rt::floatToBf16(x);
  }
  return t;
}

rt::cpu::View cpuView(rt::Tensor t) {
  rt::cpu::View v;
  v.data = t.data;
  v.type = t.dtype == rt::DType::F32   ? rt::cpu::ElemType::F32
           : t.dtype == rt::DType::F16 ? rt::cpu::ElemType::F16
                                       : rt::cpu::ElemType::BF16;
  for (int i = 0; i < 4; ++i) {
    v.shape[i] = t.shape[i];
    v.strides[i] = t.strides[i];
  }
  return v;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct Timing {
  double median, min;
};

/// Median and fastest seconds of `repeat` runs after one warm-up run.
Timing timeRuns(const std::function<void()> &fn, int repeat, bool progress,
                const std::string &label) {
  fn();
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    if (progress)
      fmt::print(stderr, "\r{}: run {}/{}", label, i + 1, repeat);
    auto t0 = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - t0)
                        .count());
  }
  if (progress)
    fmt::print(stderr, "\r\033[K");
  return {median(times), *std::min_element(times.begin(), times.end())};
}

} // namespace

int attnc::runRun(std::vector<std::string> argv) {
  Args args("run", std::move(argv));
  args.option("--pattern");
  args.option("--set", true);
  args.option("--q");
  args.option("--k");
  args.option("--v");
  args.option("-o");
  args.option("--device");
  args.option("--scale");
  args.option("--random");
  args.option("--dtype");
  args.option("--repeat");
  args.option("--threads");
  args.option("--tile");
  args.flag("--check");
  args.flag("--bench");
  args.flag("--json");
  args.flag("--quiet");
  args.flag("--verbose");
  args.flag("--help");
  const std::string cmd = args.command;
  if (!args.parse())
    return 2;
  if (args.has("--help")) {
    out(kRunHelp);
    return 0;
  }
  if (args.positional().size() != 1)
    return fail(cmd, "expected one .attn FILE");
  const std::string file = args.positional()[0];
  bool progress = !args.has("--quiet") && isatty(2);

  std::string device = args.get("--device").value_or("auto");
  if (device != "cpu" && device != "cuda" && device != "auto")
    return fail(cmd, fmt::format("--device must be cpu, cuda or auto, got "
                                 "'{}'",
                                 device));
  if (device == "cuda" && !rt::cuda::available())
    return fail(cmd, "CUDA is not available: " +
                         rt::cuda::unavailableReason());

  rt::RunOptions run;
  int64_t threads = 0;
  if (!args.getInt("--threads", threads, 0, kMaxThreads))
    return 1;
  run.threads = static_cast<int>(threads);
  int64_t repeat = 5;
  if (!args.getInt("--repeat", repeat, 1, kMaxRepeat))
    return 1;
  if (auto s = args.get("--scale")) {
    char *end = nullptr;
    double v = std::strtod(s->c_str(), &end);
    if (end == s->c_str() || *end || !(v > 0) || !std::isfinite(v))
      return fail(cmd, fmt::format("--scale expects a positive number, got "
                                   "'{}'",
                                   *s));
    run.scale = static_cast<float>(v);
  }

  rt::CompileOptions copts;
  copts.pattern = args.get("--pattern").value_or("");
  if (!readTile(args, copts.tileQ, copts.tileK, /*required=*/false))
    return 1;
  copts.target = device == "cuda"   ? rt::Target::CUDA
                 : device == "auto" ? rt::Target::Auto
                                    : rt::Target::CPU;
  for (const std::string &kv : args.getAll("--set")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(cmd, fmt::format("--set expects NAME=VALUE, got '{}'", kv));
    copts.values[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  // Inputs.
  HostTensor q, k, v;
  bool random = args.has("--random");
  if (random) {
    std::vector<int64_t> dims;
    std::string shapeText = *args.get("--random");
    for (llvm::StringRef part : llvm::split(shapeText, ',')) {
      int64_t x;
      if (part.trim().getAsInteger(10, x) || x < 1) {
        bool digits =
            !part.trim().empty() && llvm::all_of(part.trim(), llvm::isDigit);
        return fail(cmd, fmt::format("--random expects B,H,NQ[,NK],D with "
                                     "positive sizes, got '{}'{}",
                                     shapeText,
                                     digits ? " (a size does not fit in 64 "
                                              "bits)"
                                            : ""));
      }
      dims.push_back(x);
    }
    if (dims.size() != 4 && dims.size() != 5)
      return fail(cmd, "--random expects B,H,NQ[,NK],D");
    int64_t b = dims[0], h = dims[1], nq = dims[2],
            nk = dims.size() == 5 ? dims[3] : dims[2], d = dims.back();
    struct Limit {
      const char *name;
      int64_t value, max;
    };
    for (Limit l : {Limit{"B", b, kMaxBatch}, Limit{"H", h, kMaxHeads},
                    Limit{"NQ", nq, kMaxLength}, Limit{"NK", nk, kMaxLength},
                    Limit{"D", d, kMaxHeadDim}})
      if (l.value > l.max)
        return fail(cmd, fmt::format("--random {}: {} must be at most {}, "
                                     "got {}",
                                     shapeText, l.name, l.max, l.value));
    std::string dt = args.get("--dtype").value_or("f32");
    rt::DType dtype = dt == "f32"    ? rt::DType::F32
                      : dt == "f16"  ? rt::DType::F16
                      : dt == "bf16" ? rt::DType::BF16
                                     : rt::DType(-1);
    if (dt != "f32" && dt != "f16" && dt != "bf16")
      return fail(cmd, fmt::format("--dtype must be f32, f16 or bf16, got "
                                   "'{}'",
                                   dt));
    // Everything the run holds at once, before any of it is allocated (in
    // double: the limits above keep it far from overflow, not from huge).
    double elem = double(elemSize(dtype));
    double bytes = elem * b * h * (2.0 * nq * d + 2.0 * nk * d);
    if (args.has("--check"))
      bytes += 4.0 * b * h * nq * d; // the f32 reference output
    // The block map: one byte per tile while it is built.
    double tiles =
        std::ceil(double(nq) / double(copts.tileQ ? copts.tileQ : 64)) *
        std::ceil(double(nk) / double(copts.tileK ? copts.tileK : 64));
    bytes += tiles;
    double memory = physicalMemory();
    if (memory > 0 && bytes > memory)
      return fail(cmd,
                  fmt::format("--random {} needs {} for q, k, v, out "
                              "and the block map in {}, more than the "
                              "{} of memory of this machine",
                              shapeText, gibText(bytes), dt, gibText(memory)));
    std::mt19937 rng(1234);
    q = randomTensor(dtype, {b, h, nq, d}, rng);
    k = randomTensor(dtype, {b, h, nk, d}, rng);
    v = randomTensor(dtype, {b, h, nk, d}, rng);
  } else {
    for (const char *opt : {"--q", "--k", "--v"})
      if (!args.has(opt))
        return fail(cmd, fmt::format("{} FILE is required (or --random)", opt));
    if (!readInput(cmd, "q", *args.get("--q"), q) ||
        !readInput(cmd, "k", *args.get("--k"), k) ||
        !readInput(cmd, "v", *args.get("--v"), v))
      return 1;
    if (!args.has("-o") && !args.has("--check") && !args.has("--bench"))
      return fail(cmd, "-o OUT.npy is required");
  }
  if (args.has("--dtype") && !random)
    return fail(cmd, "--dtype applies to --random inputs only");
  // The CUDA kernels take 16-bit inputs: f32 runs on the CPU under auto.
  std::string cpuNote;
  if (q.dtype == rt::DType::F32) {
    if (device == "cuda")
      return fail(cmd, "the CUDA path takes f16 or bf16 inputs, these are "
                       "f32 (use float16 .npy files or --dtype f16/bf16)");
    if (device == "auto") {
      copts.target = rt::Target::CPU;
      if (rt::cuda::available())
        cpuNote = "the inputs are f32 and the CUDA path takes f16 or bf16";
    }
  }

  // The GPU kernels are built for exactly these inputs' dtype and head dim
  // (a head dim they do not take sends auto to the CPU, with the reason).
  if (copts.target != rt::Target::CPU) {
    copts.dtype = q.dtype;
    copts.headDim = q.shape[3];
  }

  std::optional<rt::Program> program;
  try {
    program = rt::Program::compileFile(file, copts);
  } catch (const rt::Error &e) {
    fmt::print(stderr, "{}", e.what());
    if (std::string(e.what()).find("error") == std::string::npos)
      fail(cmd, e.what());
    return 1;
  }

  if (device == "auto" && (progress || args.has("--verbose"))) {
    if (cpuNote.empty())
      cpuNote = program->fallbackReason();
    if (program->device() == rt::Device::CUDA)
      fmt::print(stderr, "attnc {}: note: running on the GPU ({})\n", cmd,
                 rt::cuda::deviceInfo().name);
    else
      fmt::print(stderr, "attnc {}: note: running on the CPU ({} kernel){}{}\n",
                 cmd, attn::cpu::kernelBuildName(), cpuNote.empty() ? "" : ": ",
                 cpuNote);
  } else if (args.has("--verbose")) {
    if (program->device() == rt::Device::CUDA)
      fmt::print(stderr, "attnc {}: note: running on the GPU\n", cmd);
    else
      fmt::print(stderr, "attnc {}: note: running on the CPU ({} kernel)\n",
                 cmd, attn::cpu::kernelBuildName());
  }

  HostTensor result;
  result.dtype = q.dtype;
  result.shape = {q.shape[0], q.shape[1], q.shape[2], v.shape[3]};
  result.bytes.resize(result.numel() * elemSize(result.dtype));
  rt::Tensor qv = q.view(), kv = k.view(), vv = v.view(), ov = result.view();
  try {
    program->run(qv, kv, vv, ov, run);
  } catch (const rt::Error &e) {
    return fail(cmd, e.what());
  }

  // With --json, one object at the end: pattern, shape, dtype, then the
  // benchmark, the device, the check and the output file.
  bool json = args.has("--json");
  int64_t b = q.shape[0], h = q.shape[1], nq = q.shape[2], nk = k.shape[2],
          d = q.shape[3];
  bool onGpu = program->device() == rt::Device::CUDA;
  std::string jsonFields;

  int status = 0;
  if (args.has("--check")) {
    // The reference semantics of the same pattern.
    Session s;
    if (!s.load(cmd, file))
      return 1;
    std::vector<std::string> compileArgv;
    if (auto p = args.get("--pattern"))
      compileArgv = {"--pattern", *p};
    for (const std::string &kv2 : args.getAll("--set")) {
      compileArgv.push_back("--set");
      compileArgv.push_back(kv2);
    }
    compileArgv.push_back(file);
    Args cargs("run", compileArgv);
    cargs.option("--pattern");
    cargs.option("--set", true);
    cargs.parse();
    if (!s.compile(cargs, ma::Stage::Attn))
      return 1;
    ma::MaskDims dims{b, h, nq, nk};
    auto eval = ma::MaskEvaluator::create(s.pattern(), {}, dims);
    if (mlir::failed(eval))
      return 1;
    HostTensor ref;
    ref.dtype = rt::DType::F32;
    ref.shape = result.shape;
    ref.bytes.resize(ref.numel() * 4);
    rt::cpu::referenceAttention(
        cpuView(qv), cpuView(kv), cpuView(vv), cpuView(ref.view()),
        run.scale.value_or(0.0f),
        [&](int64_t bi, int64_t hi, int64_t i, int64_t j) {
          return eval->at(bi, hi, i, j);
        });
    double tol = result.dtype == rt::DType::F32   ? 1e-4
                 : result.dtype == rt::DType::F16 ? 5e-3
                                                  : 4e-2;
    // NaN and Inf never pass: a difference that is not <= tol (NaN
    // included) is a mismatch, and the largest error is then not finite.
    double worst = 0;
    bool nanSeen = false;
    size_t mismatches = 0, nonFiniteOut = 0;
    for (size_t i = 0; i < result.numel(); ++i) {
      double o = result.at(i), diff = std::abs(o - double(ref.at(i)));
      nonFiniteOut += !std::isfinite(o);
      mismatches += !(diff <= tol);
      if (std::isnan(diff))
        nanSeen = true;
      else
        worst = std::max(worst, diff);
    }
    if (nanSeen)
      worst = std::numeric_limits<double>::quiet_NaN();
    size_t badQ = countNonFinite(q), badK = countNonFinite(k),
           badV = countNonFinite(v);
    bool ok = mismatches == 0;
    if (!ok)
      status = 1;
    if (json) {
      jsonFields += fmt::format(
          ", \"check\": {{\"ok\": {}, \"max_abs_error\": {}, \"tolerance\": "
          "{}, \"mismatches\": {}, \"nonfinite_outputs\": {}, "
          "\"nonfinite_inputs\": {{\"q\": {}, \"k\": {}, \"v\": {}}}}}",
          ok ? "true" : "false",
          std::isfinite(worst) ? fmt::format("{:.6g}", worst) : "null", tol,
          mismatches, nonFiniteOut, badQ, badK, badV);
    } else {
      std::string why;
      if (nonFiniteOut)
        why = fmt::format(": {} of {} outputs are NaN or Inf", nonFiniteOut,
                          result.numel());
      else if (!ok)
        why = fmt::format(": {} of {} outputs differ", mismatches,
                          result.numel());
      outf("check: largest absolute error {:.3g} ({} tolerance {:.0e}): "
           "{}{}\n",
           worst, dtypeName(result.dtype), tol, ok ? "ok" : "FAILED", why);
      if (badQ || badK || badV) {
        std::vector<std::string> parts;
        for (auto [name, n] :
             {std::pair{"q", badQ}, std::pair{"k", badK}, std::pair{"v", badV}})
          if (n)
            parts.push_back(fmt::format("{} holds {}", name, n));
        outf("check: note: the inputs are not finite ({} NaN or Inf "
             "value(s))\n",
             fmt::join(parts, ", "));
      }
    }
  }

  if (auto path = args.get("-o")) {
    if (result.dtype == rt::DType::BF16)
      return fail(cmd, "bf16 outputs cannot be written as .npy");
    rt::NpyArray a;
    a.dtype =
        result.dtype == rt::DType::F32 ? rt::NpyDType::F32 : rt::NpyDType::F16;
    a.shape.assign(result.shape.begin(), result.shape.end());
    a.data = result.bytes;
    std::string error;
    if (!rt::writeNpy(*path, a, error))
      return fail(cmd, error);
    if (json)
      jsonFields += fmt::format(", \"output\": {}", jsonString(*path));
  }

  std::string benchFields;
  if (args.has("--bench")) {
    double mapMs = program->blockMap(h, nq, nk, run).buildSeconds * 1e3;
    int64_t allowed = program->allowedPairs(h, nq, nk, run) * b;
    double density = double(allowed) / (double(b) * h * nq * nk);
    // On the GPU the inputs stay on the device, so the kernels are timed,
    // not the copies; each run ends with a synchronization.
    std::optional<rt::cuda::ContextScope> scope;
    std::vector<rt::cuda::DeviceBuffer> staged;
    rt::Tensor bq = qv, bk = kv, bv = vv, bo = ov;
    if (onGpu) {
      scope.emplace();
      staged.reserve(4);
      auto toDevice = [&](rt::Tensor t, const HostTensor &host) {
        staged.emplace_back(host.bytes.size());
        rt::cuda::check(rt::cuda::api().cuMemcpyHtoD(staged.back().get(),
                                                     host.bytes.data(),
                                                     host.bytes.size()),
                        "cuMemcpyHtoD");
        t.data = staged.back().data();
        t.device = rt::Device::CUDA;
        return t;
      };
      bq = toDevice(qv, q);
      bk = toDevice(kv, k);
      bv = toDevice(vv, v);
      bo = toDevice(ov, result);
    }
    auto sync = [&] {
      if (onGpu)
        rt::cuda::check(rt::cuda::api().cuCtxSynchronize(),
                        "cuCtxSynchronize");
    };
    auto body = [&] {
      program->run(bq, bk, bv, bo, run);
      sync();
    };
    Timing tp = timeRuns(body, static_cast<int>(repeat), progress, "pattern");
    double t = tp.median;
    // The same kernel with dense causal attention, for the speedup.
    rt::CompileOptions dense;
    dense.target = onGpu ? rt::Target::CUDA : rt::Target::CPU;
    dense.tileQ = copts.tileQ;
    dense.tileK = copts.tileK;
    dense.dtype = copts.dtype;
    dense.headDim = copts.headDim;
    rt::Program causal = rt::Program::compileString(
        "pattern causal_baseline { mask causal() }", dense, "<baseline>");
    rt::RunOptions crun = run;
    crun.params.clear();
    int64_t causalPairs = causal.allowedPairs(h, nq, nk) * b;
    Timing tcp = timeRuns(
        [&] {
          causal.run(bq, bk, bv, bo, crun);
          sync();
        },
        static_cast<int>(repeat), progress, "causal baseline");
    double tc = tcp.median;
    double gflops = 4.0 * d * double(allowed) / t / 1e9;
    double cgflops = 4.0 * d * double(causalPairs) / tc / 1e9;
    unsigned hw =
        run.threads ? run.threads : std::thread::hardware_concurrency();
    if (json)
      benchFields = fmt::format(
          ", \"threads\": {}, \"median_ms\": {:.4f}, \"min_ms\": {:.4f}, "
          "\"gflops\": {:.3f}, \"density\": {:.6f}, \"allowed_pairs\": {}, "
          "\"causal_median_ms\": {:.4f}, \"causal_min_ms\": {:.4f}, "
          "\"causal_gflops\": {:.3f}, \"speedup_vs_causal\": {:.3f}, "
          "\"blockmap_ms\": {:.3f}, \"repeat\": {}",
          hw, t * 1e3, tp.min * 1e3, gflops, density, allowed, tc * 1e3,
          tcp.min * 1e3, cgflops, tc / t, mapMs, repeat);
    else
      outf("pattern {}: [{}, {}, {}, {}, {}] {}, {}\n"
           "  median {:.3f} ms (fastest {:.3f}), {:.2f} GFLOP/s over "
           "allowed pairs, density {:.4f}\n"
           "  dense causal: {:.3f} ms ({:.2f} GFLOP/s); speedup {:.2f}x\n"
           "  block map built in {:.3f} ms\n",
           program->patternName(), b, h, nq, nk, d, dtypeName(q.dtype),
           onGpu ? "GPU " + rt::cuda::deviceInfo().name
                 : fmt::format("{} threads, {} kernel", hw,
                               attn::cpu::kernelBuildName()),
           t * 1e3, tp.min * 1e3, gflops, density, tc * 1e3, cgflops, tc / t,
           mapMs);
  }

  if (json)
    outf("{{\"pattern\": {}, \"shape\": [{}, {}, {}, {}, {}], \"dtype\": "
         "\"{}\"{}, \"device\": \"{}\"{}{}}}\n",
         jsonString(program->patternName()), b, h, nq, nk, d,
         dtypeName(q.dtype), benchFields, onGpu ? "cuda" : "cpu",
         onGpu ? std::string()
               : fmt::format(", \"cpu_kernel\": \"{}\"",
                             attn::cpu::kernelBuildName()),
         jsonFields);
  return status;
}

int attnc::runCache(std::vector<std::string> argv) {
  Args args("cache", std::move(argv));
  args.flag("--path");
  args.flag("--clear");
  args.flag("--list");
  args.flag("--json");
  args.flag("--help");
  if (!args.parse())
    return 2;
  const char *help = R"(usage: attnc cache --path | --list | --clear [--json]

The JIT cache of compiled patterns: $ATTNC_CACHE_DIR, else
$XDG_CACHE_HOME/attnc, else ~/.cache/attnc.
  --path    print the cache directory
  --list    list the entries (size, target, intact or damaged)
  --clear   remove every entry
  --json    print the result as one JSON object
)";
  if (args.has("--help")) {
    out(help);
    return 0;
  }
  int actions = args.has("--path") + args.has("--clear") + args.has("--list");
  if (actions != 1 || !args.positional().empty())
    return fail(args.command, "expected exactly one of --path, --list, --clear");
  bool json = args.has("--json");
  std::string root = rt::jit::cacheRoot();
  if (args.has("--path")) {
    if (json)
      outf("{{\"path\": {}}}\n", jsonString(root));
    else
      outf("{}\n", root);
    return 0;
  }
  if (args.has("--list")) {
    auto entries = rt::jit::JitCache::list();
    uint64_t total = 0;
    std::string list;
    for (const auto &e : entries) {
      if (json)
        list += fmt::format("{}{{\"path\": {}, \"target\": {}, \"size\": "
                            "{}, \"intact\": {}{}}}",
                            list.empty() ? "" : ", ", jsonString(e.path),
                            jsonString(e.target), e.size,
                            e.valid ? "true" : "false",
                            e.valid ? std::string()
                                    : ", \"problem\": " + jsonString(e.problem));
      else
        outf("{:>10}  {:<6} {}  {}{}\n", e.size, e.target,
             e.valid ? "ok     " : "damaged", e.path,
             e.valid ? std::string() : " (" + e.problem + ")");
      total += e.size;
    }
    if (json)
      outf("{{\"root\": {}, \"entries\": [{}], \"count\": {}, \"bytes\": "
           "{}}}\n",
           jsonString(root), list, entries.size(), total);
    else
      outf("{} entries, {} bytes in {}\n", entries.size(), total, root);
    return 0;
  }
  std::string error;
  int64_t removed = rt::jit::JitCache::clear(error);
  if (removed < 0)
    return fail(args.command, error);
  if (json)
    outf("{{\"root\": {}, \"removed\": {}}}\n", jsonString(root), removed);
  else
    outf("removed {} entries from {}\n", removed, root);
  return 0;
}
