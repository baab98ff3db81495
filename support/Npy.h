// Reading and writing NumPy .npy files (format 1.0/2.0/3.0, plain dtypes).
#ifndef ATTN_RUNTIME_NPY_H
#define ATTN_RUNTIME_NPY_H

#include "support/Half.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn {

enum class NpyDType { Bool, U8, I8, I16, I32, I64, F16, F32, F64 };

/// Bytes per element of `dtype`.
size_t npyDTypeSize(NpyDType dtype);
/// The NumPy descr written to files: "|b1", "|u1", "|i1", "<i2", ..., "<f8".
std::string_view npyDTypeDescr(NpyDType dtype);
/// The NumPy name, for messages: "bool", "uint8", ..., "float64".
std::string_view npyDTypeName(NpyDType dtype);

/// A dense array: C (row-major) order, elements little-endian in `data`.
struct NpyArray {
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape; ///< Empty for a 0-d (scalar) array.
  std::vector<uint8_t> data;  ///< numel() * itemSize() bytes.

  /// A zero-filled array. The shape must be valid (see checkNpyArray).
  static NpyArray zeros(NpyDType dtype, std::vector<int64_t> shape);

  /// Product of the dimensions (1 for a scalar, 0 if any dimension is 0).
  size_t numel() const;
  size_t itemSize() const { return npyDTypeSize(dtype); }

  /// Element `i` (flat C-order index, i < numel()) as an integer. Bool gives
  /// 0/1; floating values are truncated toward zero, saturated to the int64
  /// range, NaN gives 0.
  int64_t intAt(size_t i) const;
  /// Element `i` as a double (fp16 exactly; int64 beyond 2^53 rounds).
  double floatAt(size_t i) const;
  /// Stores `value` at element `i`, converted like a C++ cast would, but
  /// saturating for integers; Bool stores value != 0.
  void setInt(size_t i, int64_t value);
  /// Stores `value` at element `i`: rounded to nearest even for F16/F32,
  /// truncated toward zero and saturated (NaN → 0) for integer dtypes.
  void setFloat(size_t i, double value);
};

/// Checks that every dimension is >= 0, the size does not overflow, and
/// `data` holds exactly numel() * itemSize() bytes.
bool checkNpyArray(const NpyArray &a, std::string &error);

/// Reads a .npy file. On failure `error` names the file and the problem,
/// `out` is left unchanged, and false is returned.
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Parses the bytes of a .npy file. Errors describe the problem without a
/// file name (readNpy prefixes it).
bool parseNpy(const uint8_t *bytes, size_t size, NpyArray &out,
              std::string &error);

/// The bytes of a .npy file for `a` (which must pass checkNpyArray): format
/// 1.0 unless the header needs 2.0, header laid out exactly as NumPy 2 does.
std::vector<uint8_t> serializeNpy(const NpyArray &a);

/// Writes `a` to `path` atomically (see writeFileAtomic).
bool writeNpy(const std::string &path, const NpyArray &a, std::string &error);

} // namespace attn

#endif // ATTN_RUNTIME_NPY_H
