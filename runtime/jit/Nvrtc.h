//===- Nvrtc.h - compile generated CUDA C++ with NVRTC ----------*- C++ -*-===//
//
// A thin wrapper over NVRTC: one translation unit (made by the CUDA emitter)
// to PTX or a cubin for one architecture. The kernel headers of
// runtime/device are embedded in the binary at build time and handed to NVRTC
// from memory, so an installed attnc needs no source tree. Without the CUDA
// toolkit at build time every function here throws attn::Error.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_JIT_NVRTC_H
#define ATTN_RUNTIME_JIT_NVRTC_H

#include <string>
#include <vector>

namespace attn::jit {

struct EmbeddedHeader {
  const char *name; // the #include name, e.g. "attn_kernels.cuh"
  const char *text;
};
/// runtime/device/attn_kernels.cuh and attn_params.h as they were built.
const std::vector<EmbeddedHeader> &embeddedDeviceHeaders();

struct NvrtcOptions {
  /// A real architecture: sm_80, sm_86, sm_89, sm_90, sm_90a, sm_100a, ...
  std::string arch = "sm_90a";
  /// PTX (for compute_XX of arch) instead of a cubin.
  bool ptx = false;
  /// Ask ptxas for its resource report (-Xptxas -v); cubin only.
  bool verbose = false;
};

struct NvrtcResult {
  std::string binary; // cubin bytes or PTX text
  std::string log;    // the compile log (the ptxas report when verbose)
  std::string version; // NVRTC's "major.minor", for cache keys
};

/// Whether this attnc was built with NVRTC.
bool nvrtcAvailable();
/// NVRTC's version as "major.minor"; throws attn::Error without NVRTC.
std::string nvrtcVersion();
/// "" when `arch` is an accepted form (sm_<digits>[a|f]), else the error
/// message listing the accepted forms.
std::string checkCudaArch(const std::string &arch);
/// Compiles `source` (named `name` in messages); throws attn::Error holding
/// NVRTC's full log when compilation fails.
NvrtcResult compileWithNvrtc(const std::string &source, const std::string &name,
                             const NvrtcOptions &options);

} // namespace attn::jit

#endif // ATTN_RUNTIME_JIT_NVRTC_H
