//===- types.h - the types both attnc C++ APIs share ------------*- C++ -*-===//
//
// attn/attn.h (compile patterns with the JIT; library attnc::attnc) and
// attn/runtime.h (run ahead-of-time bundles; library attnc::runtime, no MLIR
// or LLVM) both take these: the error type, tensor views and run options.
// No MLIR or LLVM type here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TYPES_H
#define ATTN_TYPES_H

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace attn {

/// Every failure: a bad pattern, shapes, dtypes, a missing parameter, ...
class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

enum class DType { F32, F16, BF16 };
enum class Device { CPU, CUDA };

/// A view of a [batch, heads, seq, dim] tensor; strides are in elements, so
/// [b, s, h, d] memory works by permuting strides. Memory is not owned.
struct Tensor {
  void *data = nullptr;
  DType dtype = DType::F32;
  std::array<int64_t, 4> shape{};
  std::array<int64_t, 4> strides{};
  /// Where `data` points. CUDA tensors are used in place: head-dim stride 1,
  /// other strides multiples of 8 elements, 16-byte aligned data.
  Device device = Device::CPU;

  /// A densely packed row-major view.
  static Tensor contiguous(void *data, DType dtype,
                           std::array<int64_t, 4> shape);
};

struct RunOptions {
  /// Values of run-time (`param`) parameters.
  std::map<std::string, int64_t> params;
  /// Softmax scale; default 1 / sqrt(head_dim).
  std::optional<float> scale;
  /// CPU threads; 0 uses every hardware thread.
  int threads = 0;
  /// CUDA: the CUstream to run on (nullptr: the legacy default stream). With
  /// device tensors run() returns once the kernels are queued (the first run
  /// of a shape waits for its block map); with host tensors it waits.
  void *stream = nullptr;
};

} // namespace attn

#endif // ATTN_TYPES_H
