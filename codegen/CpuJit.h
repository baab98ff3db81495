//===- CpuJit.h - compile generated CPU code and load it in process -*- C++ -*-===//
//
// The generated functions are compiled to a host object file (the unit the
// JIT cache stores) and loaded with ORC; the runtime then calls the two C-ABI
// entry points of attn-emit-cpu-entry-points.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CODEGEN_CPUJIT_H
#define ATTN_CODEGEN_CPUJIT_H

#include "mlir/IR/BuiltinOps.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llvm::orc {
class LLJIT;
}

namespace mlir::attn {

struct CpuEntryPoints {
  using BlockMapFn = void (*)(const int64_t *ctx, int8_t *classes,
                              int64_t firstRow, int64_t lastRow);
  using TileMaskFn = void (*)(const int64_t *ctx, int64_t q0, int64_t q1,
                              int64_t k0, int64_t k1, uint8_t *out,
                              int64_t ld);
  BlockMapFn blockMap = nullptr;
  TileMaskFn tileMask = nullptr;
};

/// A string naming the host CPU and its features (part of the cache key).
std::string hostCpuDescription();

/// Compiles an LLVM-dialect module to an optimized object file for the host.
bool compileToObject(ModuleOp llvmModule, std::vector<char> &object,
                     std::string &error);

/// Object code loaded in process; owns the JIT that holds it.
class CpuJitModule {
public:
  static std::unique_ptr<CpuJitModule> load(const std::vector<char> &object,
                                            const std::string &pattern,
                                            std::string &error);
  ~CpuJitModule();
  const CpuEntryPoints &entryPoints() const { return fns; }

private:
  CpuJitModule() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  CpuEntryPoints fns;
};

} // namespace mlir::attn

#endif // ATTN_CODEGEN_CPUJIT_H
