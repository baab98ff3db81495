//===- runner.cpp - run a CUDA bundle on .npy inputs, check and time it ---===//
//
// Built on the GPU machine by build_runner.sh with only g++, the fmt headers
// and the driver (no CMake, MLIR or CUDA headers needed):
//
//   attnc-gpu-runner BUNDLE_DIR --q Q.npy --k K.npy --v V.npy [-o OUT.npy]
//       [--dtype bf16|f16] [--param NAME=VALUE]... [--scale S]
//       [--expect EXPECTED.npy [--tol T]] [--bench R]
//   attnc-gpu-runner --probe
//
// Exit codes: 0 done (and the check passed), 1 an error or a failed check,
// 3 no usable GPU (no driver, a stub driver, no device, ...), so scripts can
// tell "this machine has no GPU" from "the kernels are wrong". --probe
// prints one line, "cuda: ok: NAME ARCH driver VERSION" or
// "cuda: unavailable: REASON", and exits 0 or 3.
//
// Inputs are [B, H, N, D] .npy files: float16 runs as fp16; float32 is
// rounded to --dtype (default bf16); int16/uint16 arrays are taken as raw
// bf16 bits (NumPy has no bf16; torch: x.view(torch.int16).numpy()). The
// output is float16 for fp16 runs and float32 (exact) for bf16 runs.
// --expect compares with any float .npy: the largest absolute error, exit 1
// above the tolerance (default 5e-3 fp16, 4e-2 bf16, as attnc run --check).
// --bench R times R runs on the device (CUDA events, after one warm-up) and
// prints one JSON line with the median.
//
//===----------------------------------------------------------------------===//
#include "attn/attn.h"
#include "support/Half.h"
#include "support/Npy.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/CudaRuntime.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>


namespace {

const char *kUsage =
    "usage: attnc-gpu-runner BUNDLE_DIR --q Q.npy --k K.npy --v V.npy "
    "[-o OUT.npy]\n"
    "         [--dtype bf16|f16] [--param NAME=VALUE]... [--scale S]\n"
    "         [--expect EXPECTED.npy [--tol T]] [--bench R]\n"
    "       attnc-gpu-runner --probe\n";

/// The exit code for "no usable GPU".
constexpr int kNoGpu = 3;

[[noreturn]] void die(const std::string &msg) {
  fmt::print(stderr, "attnc-gpu-runner: error: {}\n", msg);
  std::exit(1);
}

/// A host tensor of 16-bit elements.
struct Host {
  attn::DType dtype = attn::DType::BF16;
  std::array<int64_t, 4> shape{};
  std::vector<uint16_t> bits;
  size_t bytes() const { return bits.size() * 2; }
};

Host load(const std::string &what, const std::string &path,
          const std::string &dtype) {
  attn::NpyArray a;
  std::string error;
  if (!attn::readNpy(path, a, error))
    die(error);
  if (a.shape.size() != 4)
    die(fmt::format("{} ({}): expected [batch, heads, seq, head_dim], got {} "
                    "dimensions",
                    what, path, a.shape.size()));
  Host h;
  std::copy(a.shape.begin(), a.shape.end(), h.shape.begin());
  h.bits.resize(a.numel());
  if (a.dtype == attn::NpyDType::F16) {
    if (dtype == "bf16")
      die(fmt::format("{} ({}) is float16 but --dtype is bf16", what, path));
    h.dtype = attn::DType::F16;
    std::memcpy(h.bits.data(), a.data.data(), h.bytes());
  } else if (a.dtype == attn::NpyDType::I16) {
    if (dtype == "f16")
      die(fmt::format("{} ({}) holds raw bf16 bits (int16) but --dtype is "
                      "f16",
                      what, path));
    h.dtype = attn::DType::BF16;
    std::memcpy(h.bits.data(), a.data.data(), h.bytes());
  } else if (a.dtype == attn::NpyDType::F32 ||
             a.dtype == attn::NpyDType::F64) {
    h.dtype = dtype == "f16" ? attn::DType::F16 : attn::DType::BF16;
    for (size_t i = 0; i < h.bits.size(); ++i) {
      float x = static_cast<float>(a.floatAt(i));
      h.bits[i] = h.dtype == attn::DType::F16 ? attn::floatToHalf(x)
                                              : attn::floatToBf16(x);
    }
  } else {
    die(fmt::format("{} ({}): expected float16, float32 or int16 (bf16 "
                    "bits), got {}",
                    what, path, attn::npyDTypeName(a.dtype)));
  }
  return h;
}

float toFloat(attn::DType t, uint16_t b) {
  return t == attn::DType::F16 ? attn::halfToFloat(b) : attn::bf16ToFloat(b);
}

attn::Tensor deviceView(void *data, attn::DType dtype,
                        std::array<int64_t, 4> shape) {
  attn::Tensor t;
  t.data = data;
  t.dtype = dtype;
  t.shape = shape;
  t.strides = {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3],
               1};
  t.device = attn::Device::CUDA;
  return t;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string bundleDir, qPath, kPath, vPath, outPath, expectPath, dtype;
  std::map<std::string, int64_t> params;
  std::optional<float> scale;
  double tol = -1;
  int bench = 0;
  if (args.size() == 1 && args[0] == "--probe") {
    if (!attn::cuda::available()) {
      fmt::print("cuda: unavailable: {}\n", attn::cuda::unavailableReason());
      return kNoGpu;
    }
    const attn::cuda::DeviceInfo &dev = attn::cuda::deviceInfo();
    fmt::print("cuda: ok: {} {} driver {}\n", dev.name, dev.arch,
               dev.driverVersion);
    return 0;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&]() -> const std::string & {
      if (i + 1 >= args.size())
        die(fmt::format("{} needs a value\n{}", a, kUsage));
      return args[++i];
    };
    auto number = [&](const std::string &text) {
      char *end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end)
        die(fmt::format("{} expects a number, got '{}'", a, text));
      return v;
    };
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "--q") {
      qPath = value();
    } else if (a == "--k") {
      kPath = value();
    } else if (a == "--v") {
      vPath = value();
    } else if (a == "-o") {
      outPath = value();
    } else if (a == "--expect") {
      expectPath = value();
    } else if (a == "--tol") {
      tol = number(value());
    } else if (a == "--scale") {
      scale = static_cast<float>(number(value()));
    } else if (a == "--bench") {
      double r = number(value());
      if (r < 1 || r != std::floor(r))
        die("--bench expects a positive count");
      bench = static_cast<int>(r);
    } else if (a == "--dtype") {
      dtype = value();
      if (dtype != "bf16" && dtype != "f16")
        die(fmt::format("--dtype must be bf16 or f16, got '{}'", dtype));
    } else if (a == "--param") {
      const std::string &kv = value();
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        die(fmt::format("--param expects NAME=VALUE, got '{}'", kv));
      params[kv.substr(0, eq)] =
          static_cast<int64_t>(number(kv.substr(eq + 1)));
    } else if (!a.empty() && a[0] == '-') {
      die(fmt::format("unknown option '{}'\n{}", a, kUsage));
    } else if (bundleDir.empty()) {
      bundleDir = a;
    } else {
      die(fmt::format("unexpected argument '{}'\n{}", a, kUsage));
    }
  }
  if (bundleDir.empty() || qPath.empty() || kPath.empty() || vPath.empty())
    die(fmt::format("a bundle directory and --q, --k, --v are required\n{}",
                    kUsage));

  try {
    attn::cuda::Bundle bundle = attn::cuda::Bundle::read(bundleDir);
    std::vector<int64_t> paramValues;
    for (const std::string &name : bundle.params) {
      auto it = params.find(name);
      if (it == params.end())
        die(fmt::format("pattern '{}' needs --param {}=VALUE", bundle.pattern,
                        name));
      paramValues.push_back(it->second);
      params.erase(it);
    }
    if (!params.empty())
      die(fmt::format("pattern '{}' has no run-time parameter '{}'",
                      bundle.pattern, params.begin()->first));
    Host q = load("q", qPath, dtype), k = load("k", kPath, dtype),
         v = load("v", vPath, dtype);
    if (!attn::cuda::available()) {
      fmt::print(stderr, "attnc-gpu-runner: error: CUDA is not available: {}\n",
                 attn::cuda::unavailableReason());
      return kNoGpu;
    }
    const attn::cuda::DeviceInfo &dev = attn::cuda::deviceInfo();
    attn::cuda::LoadedBundle loaded(std::move(bundle));

    // Inputs live on the device for the whole run, so timing sees kernels only.
    Host out;
    out.dtype = q.dtype;
    out.shape = q.shape;
    out.bits.resize(q.bits.size());
    const attn::cuda::DriverApi &api = attn::cuda::api();
    attn::cuda::ContextScope scope;
    attn::cuda::DeviceBuffer dq(q.bytes()), dk(k.bytes()), dv(v.bytes()),
        dout(out.bytes());
    for (auto [buf, host] : {std::pair{&dq, &q}, {&dk, &k}, {&dv, &v}})
      attn::cuda::check(api.cuMemcpyHtoD(buf->get(), host->bits.data(),
                                         host->bytes()),
                        "cuMemcpyHtoD");
    attn::Tensor tq = deviceView(dq.data(), q.dtype, q.shape),
                 tk = deviceView(dk.data(), k.dtype, k.shape),
                 tv = deviceView(dv.data(), v.dtype, v.shape),
                 to = deviceView(dout.data(), out.dtype, out.shape);
    auto runOnce = [&] { loaded.run(tq, tk, tv, to, paramValues, scale); };
    runOnce();
    attn::cuda::check(api.cuCtxSynchronize(), "cuCtxSynchronize");
    attn::cuda::check(
        api.cuMemcpyDtoH(out.bits.data(), dout.get(), out.bytes()),
        "cuMemcpyDtoH(out)");

    int status = 0;
    const char *dt = q.dtype == attn::DType::F16 ? "f16" : "bf16";
    if (!outPath.empty()) {
      attn::NpyArray a;
      a.shape.assign(out.shape.begin(), out.shape.end());
      if (out.dtype == attn::DType::F16) {
        a.dtype = attn::NpyDType::F16;
        a.data.resize(out.bytes());
        std::memcpy(a.data.data(), out.bits.data(), out.bytes());
      } else {
        a.dtype = attn::NpyDType::F32;
        a.data.resize(out.bits.size() * 4);
        for (size_t i = 0; i < out.bits.size(); ++i) {
          float x = attn::bf16ToFloat(out.bits[i]);
          std::memcpy(a.data.data() + 4 * i, &x, 4);
        }
      }
      std::string error;
      if (!attn::writeNpy(outPath, a, error))
        die(error);
    }
    if (!expectPath.empty()) {
      attn::NpyArray e;
      std::string error;
      if (!attn::readNpy(expectPath, e, error))
        die(error);
      if (e.numel() != out.bits.size())
        die(fmt::format("{} has {} elements, the output {}", expectPath,
                        e.numel(), out.bits.size()));
      double worst = 0;
      size_t at = 0;
      for (size_t i = 0; i < out.bits.size(); ++i) {
        double d = std::abs(double(toFloat(out.dtype, out.bits[i])) -
                            e.floatAt(i));
        if (!(d <= worst)) { // NaN counts as the worst
          worst = std::isnan(d) ? INFINITY : d;
          at = i;
        }
      }
      double limit = tol >= 0 ? tol : out.dtype == attn::DType::F16 ? 5e-3
                                                                    : 4e-2;
      bool ok = worst <= limit;
      fmt::print("check: largest absolute error {:.3g} at element {} ({} "
                 "tolerance {:.0e}): {}\n",
                 worst, at, dt, limit, ok ? "ok" : "FAILED");
      if (!ok)
        status = 1;
    }
    if (bench > 0) {
      attn::cuda::CUevent start = nullptr, end = nullptr;
      attn::cuda::check(api.cuEventCreate(&start, attn::cuda::CU_EVENT_DEFAULT),
                        "cuEventCreate");
      attn::cuda::check(api.cuEventCreate(&end, attn::cuda::CU_EVENT_DEFAULT),
                        "cuEventCreate");
      std::vector<double> ms;
      for (int r = 0; r < bench; ++r) {
        attn::cuda::check(api.cuEventRecord(start, nullptr), "cuEventRecord");
        runOnce();
        attn::cuda::check(api.cuEventRecord(end, nullptr), "cuEventRecord");
        attn::cuda::check(api.cuEventSynchronize(end), "cuEventSynchronize");
        float t = 0;
        attn::cuda::check(api.cuEventElapsedTime(&t, start, end),
                          "cuEventElapsedTime");
        ms.push_back(t);
      }
      api.cuEventDestroy(start);
      api.cuEventDestroy(end);
      std::sort(ms.begin(), ms.end());
      double median = ms.size() % 2 ? ms[ms.size() / 2]
                                    : 0.5 * (ms[ms.size() / 2 - 1] +
                                             ms[ms.size() / 2]);
      fmt::print("{{\"pattern\": \"{}\", \"shape\": [{}, {}, {}, {}, {}], "
                 "\"kv_heads\": {}, \"dtype\": \"{}\", \"gpu\": \"{}\", "
                 "\"arch\": \"{}\", \"splits\": {}, \"repeat\": {}, "
                 "\"median_ms\": {:.4f}, \"min_ms\": {:.4f}}}\n",
                 loaded.bundle().pattern, q.shape[0], q.shape[1], q.shape[2],
                 k.shape[2], q.shape[3], k.shape[1], dt, dev.name, dev.arch,
                 loaded.lastSplits(), bench, median, ms.front());
    }
    return status;
  } catch (const attn::Error &e) {
    die(e.what());
  }
}
