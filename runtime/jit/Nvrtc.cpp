//===- Nvrtc.cpp - compile generated CUDA C++ with NVRTC -------------------===//
#include "runtime/jit/Nvrtc.h"
#include "attn/attn.h"
#include <fmt/core.h>
#include <cctype>
#include <cstring>
#include <mutex>

#if defined(ATTNC_HAVE_NVRTC)
#include <nvrtc.h>
#endif

namespace attn::jit {

std::string checkCudaArch(const std::string &arch) {
  // sm_<major><minor>, optionally with the a (arch-specific) or f (family)
  // suffix: sm_80, sm_86, sm_90a, sm_100a, sm_120f.
  bool ok = arch.size() > 3 && arch.compare(0, 3, "sm_") == 0;
  size_t i = 3, digits = 0;
  while (ok && i < arch.size() && std::isdigit(static_cast<unsigned char>(arch[i])))
    ++i, ++digits;
  if (ok && i < arch.size() && (arch[i] == 'a' || arch[i] == 'f'))
    ++i;
  ok = ok && (digits == 2 || digits == 3) && i == arch.size();
  if (ok && std::stoi(arch.substr(3, digits)) < 80)
    return fmt::format("target '{}' is too old: the kernels use bf16 "
                       "mma.sync and cp.async, which need sm_80 or newer",
                       arch);
  if (ok)
    return "";
  return fmt::format("unknown CUDA target '{}' (accepted: sm_<NN> or "
                     "sm_<NN>a/f with NN >= 80, e.g. sm_80, sm_86, sm_89, "
                     "sm_90, sm_90a, sm_100a, sm_120)",
                     arch);
}

#if defined(ATTNC_HAVE_NVRTC)

bool nvrtcAvailable() { return true; }

std::string nvrtcVersion() {
  int major = 0, minor = 0;
  if (::nvrtcVersion(&major, &minor) != NVRTC_SUCCESS)
    throw Error("cannot query the NVRTC version");
  return fmt::format("{}.{}", major, minor);
}

NvrtcResult compileWithNvrtc(const std::string &source,
                             const std::string &name,
                             const NvrtcOptions &options) {
  if (std::string problem = checkCudaArch(options.arch); !problem.empty())
    throw Error(problem);
  if (options.ptx && options.verbose)
    throw Error("the ptxas resource report needs a cubin, not PTX");
  const auto &headers = embeddedDeviceHeaders();
  std::vector<const char *> texts, names;
  for (const EmbeddedHeader &h : headers) {
    names.push_back(h.name);
    texts.push_back(h.text);
  }
  // NVRTC prints the program name in its log (and debug info): only plain
  // characters, whatever the pattern is called.
  std::string programName = name;
  for (char &c : programName)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '-')
      c = '_';
  nvrtcProgram prog = nullptr;
  nvrtcResult rc = nvrtcCreateProgram(
      &prog, source.c_str(), programName.c_str(),
      static_cast<int>(headers.size()), texts.data(), names.data());
  if (rc != NVRTC_SUCCESS)
    throw Error(fmt::format("NVRTC cannot create a program for {}: {}", name,
                            nvrtcGetErrorString(rc)));
  struct Guard {
    nvrtcProgram &p;
    ~Guard() { nvrtcDestroyProgram(&p); }
  } guard{prog};

  // A real architecture makes a cubin; its virtual one (compute_XX) PTX.
  std::string gpu = options.ptx ? "compute_" + options.arch.substr(3)
                                : options.arch;
  std::vector<std::string> opts = {"--gpu-architecture=" + gpu, "-std=c++17"};
  if (options.verbose)
    opts.push_back("--ptxas-options=-v");
  std::vector<const char *> argv;
  for (const std::string &o : opts)
    argv.push_back(o.c_str());
  rc = nvrtcCompileProgram(prog, static_cast<int>(argv.size()), argv.data());

  NvrtcResult result;
  size_t logSize = 0;
  if (nvrtcGetProgramLogSize(prog, &logSize) == NVRTC_SUCCESS && logSize > 1) {
    result.log.resize(logSize);
    nvrtcGetProgramLog(prog, result.log.data());
    result.log.resize(std::strlen(result.log.c_str())); // the trailing NUL
  }
  if (rc != NVRTC_SUCCESS)
    throw Error(fmt::format("NVRTC failed to compile {} for {} ({}):\n{}",
                            name, options.arch, nvrtcGetErrorString(rc),
                            result.log));
  size_t size = 0;
  if (options.ptx) {
    rc = nvrtcGetPTXSize(prog, &size);
    if (rc == NVRTC_SUCCESS) {
      result.binary.resize(size);
      rc = nvrtcGetPTX(prog, result.binary.data());
      // PTX is text: drop the trailing NUL.
      if (!result.binary.empty() && result.binary.back() == '\0')
        result.binary.pop_back();
    }
  } else {
    rc = nvrtcGetCUBINSize(prog, &size);
    if (rc == NVRTC_SUCCESS) {
      result.binary.resize(size);
      rc = nvrtcGetCUBIN(prog, result.binary.data());
    }
  }
  if (rc != NVRTC_SUCCESS || result.binary.empty())
    throw Error(fmt::format("NVRTC produced no {} for {}: {}",
                            options.ptx ? "PTX" : "cubin", name,
                            nvrtcGetErrorString(rc)));
  result.version = nvrtcVersion();
  return result;
}

#else // !ATTNC_HAVE_NVRTC

namespace {
const char *kNoNvrtc =
    "this attnc was built without the CUDA toolkit (NVRTC)";
} // namespace

bool nvrtcAvailable() { return false; }
std::string nvrtcVersion() { throw Error(kNoNvrtc); }
NvrtcResult compileWithNvrtc(const std::string &, const std::string &,
                             const NvrtcOptions &) {
  throw Error(kNoNvrtc);
}

#endif

} // namespace attn::jit
