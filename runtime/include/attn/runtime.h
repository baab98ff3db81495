//===- runtime.h - running ahead-of-time compiled bundles -------*- C++ -*-===//
//
// The runtime alone (CMake target attnc::runtime: no MLIR, no LLVM, no
// compiler) runs a CUDA bundle that attnc compiled ahead of time:
//
//   $ attnc compile local.attn --emit=cubin --target sm_90a -o local.bundle
//
//   attn::Bundle bundle = attn::Bundle::load("local.bundle");
//   bundle.run(q, k, v, out, run);     // attn::Tensor views, [B, H, N, D]
//
// A bundle is a directory: manifest.txt and the cubin (or PTX) it names. The
// machine that runs it needs only the NVIDIA driver (libcuda.so.1, loaded at
// run time, so a program using this header starts without it). Errors throw
// attn::Error with the whole message. No MLIR or LLVM type here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_H
#define ATTN_RUNTIME_H

#include "attn/types.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attn {

/// A kernel of a bundle: the dtype and head dimension it takes.
struct BundleVariant {
  DType dtype = DType::BF16;
  int64_t headDim = 0;
};

/// An ahead-of-time compiled pattern, loaded on the GPU. Thread-safe: runs
/// on different streams may overlap. Copies share the loaded kernels.
class Bundle {
public:
  /// Reads the bundle directory `dir` (the manifest, and the binary, whose
  /// checksum must match) and loads its kernels into the primary context of
  /// device 0. Throws attn::Error for a missing or damaged bundle, and
  /// "CUDA is not available: <reason>" without a usable GPU (no driver, a
  /// stub driver, no device, compute capability below 8.0), or when the
  /// binary was built for another architecture.
  static Bundle load(const std::string &dir);

  /// out = softmax(scale * q k^T, masked) v, as attn::Program::run: q
  /// [B, H, Nq, D], k and v [B, Hkv, Nk, D] with H a multiple of Hkv, out
  /// [B, H, Nq, D]; bf16 or fp16 with a dtype and head dim the bundle has a
  /// kernel for (variants()). Tensors may be device memory (used in place,
  /// on RunOptions::stream) or host memory (copied in and out). options.params
  /// gives the run-time parameters by name; options.threads is not used.
  void run(const Tensor &q, const Tensor &k, const Tensor &v, Tensor &out,
           const RunOptions &options = {}) const;

  const std::string &patternName() const;
  /// Run-time parameter names, in order.
  const std::vector<std::string> &runtimeParams() const;
  /// The head count the pattern fixes, or 0 when any is accepted.
  int64_t heads() const;
  /// The GPU architecture the binary is for ("sm_90a"), as in the manifest.
  const std::string &arch() const;
  /// The dtypes and head dimensions the bundle has kernels for.
  const std::vector<BundleVariant> &variants() const;

  /// The implementation is private to the library.
  struct Impl;
  explicit Bundle(std::shared_ptr<const Impl> impl) : impl(std::move(impl)) {}

private:
  std::shared_ptr<const Impl> impl;
};

} // namespace attn

#endif // ATTN_RUNTIME_H
