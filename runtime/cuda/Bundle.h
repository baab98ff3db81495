//===- Bundle.h - a compiled CUDA pattern: binary + manifest ---*- C++ -*-===//
//
// What attnc compiles for the CUDA path, in memory and on disk. On disk a
// bundle is a directory (written by `attnc compile --emit=cubin|ptx -o DIR`)
// holding `manifest.txt` and the binary it names; attn_rt loads it on a
// machine that has only the driver. The manifest is line-oriented text:
//
//   attnc-cuda-bundle 2
//   pattern power_attention
//   location examples/01-power/power.attn:24:1
//   arch sm_90a
//   format cubin                  (cubin | ptx)
//   binary kernels.cubin          (file name inside the directory)
//   tile 64 64                    (tileQ tileK of the forward kernel)
//   head_dependent 0              (1: the block map differs per head)
//   batch_dependent 0             (1: the block map differs per batch entry;
//                                  both default to 1, always correct)
//   heads 0                       (the head count the pattern fixes, 0: any)
//   param d                       (one line per run-time param, in order)
//   variant bf16 128 81920 4 1    (dtype, head dim, dynamic smem bytes,
//                                  warps per CTA of the forward kernel,
//                                  16-row blocks per warp: tileQ must be
//                                  16 x warps x row blocks)
//   checksum 1234567890abcdef     (FNV-1a 64 of the binary, hex)
//
// The pattern, location and param values are written with encodeWord
// (support/TextEscape.h): a space, a line break or '%' in a path becomes
// %XX, so no value can add a line or a word.
//
// Version 2 added batch_dependent and the row blocks per warp; version 1
// bundles are refused (they lack both), so recompile them.
//
// Kernel names follow runtime/device/attn_kernels.cuh: attn_blockmap_count,
// attn_blockmap_fill and, per variant, attn_fwd_<dtype>_d<D>,
// attn_fwd_split_<dtype>_d<D>, attn_combine_<dtype>_d<D>, and the device
// constant attn_fwd_<dtype>_d<D>_shape ({warps, row blocks} as compiled).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_CUDA_BUNDLE_H
#define ATTN_RUNTIME_CUDA_BUNDLE_H

#include <cstdint>
#include <string>
#include <vector>

namespace attn::cuda {

struct KernelVariant {
  std::string dtype; // "bf16" | "f16"
  int64_t headDim = 0;
  int64_t smemBytes = 0;
  /// Warps per CTA of attn_fwd / attn_fwd_split (tileQ = 16 * warps *
  /// rowBlocks).
  int64_t warps = 4;
  /// 16-row query blocks per warp.
  int64_t rowBlocks = 1;

  std::string fwdName() const;
  std::string splitName() const;
  std::string combineName() const;
  /// The device constant holding {warps, rowBlocks} as compiled.
  std::string shapeName() const;
};

struct Bundle {
  std::string pattern;
  std::string location;
  std::string arch;   // "sm_80", "sm_90a", ...
  std::string format; // "cubin" | "ptx"
  std::string binaryFile = "kernels.cubin";
  int64_t tileQ = 64, tileK = 64;
  bool headDependent = true;
  bool batchDependent = true;
  int64_t heads = 0;
  std::vector<std::string> params;
  std::vector<KernelVariant> variants;
  /// The cubin bytes or the PTX text.
  std::string binary;

  /// The variant for a dtype and head dim, or nullptr.
  const KernelVariant *find(const std::string &dtype, int64_t headDim) const;

  /// manifest.txt's text (without the binary).
  std::string manifest() const;
  /// Parses a manifest; throws attn::Error naming `what` and the line.
  static Bundle parseManifest(const std::string &text, const std::string &what);

  /// Writes DIR/manifest.txt and DIR/<binaryFile> atomically (creates DIR).
  void write(const std::string &dir) const;
  /// Reads a bundle directory; a missing file, a bad manifest or a binary
  /// whose checksum differs throws attn::Error.
  static Bundle read(const std::string &dir);
};

/// FNV-1a 64-bit hash, as hex text.
std::string checksum(const std::string &bytes);

} // namespace attn::cuda

#endif // ATTN_RUNTIME_CUDA_BUNDLE_H
