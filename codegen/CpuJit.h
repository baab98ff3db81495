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

/// A function of JIT-compiled code, called like a function pointer.
///
/// UBSan's -fsanitize=function checks an indirect call by reading a type
/// signature from the 8 bytes before the callee. The JIT'd code is not built
/// with it, and ORC often places a function at the start of a page, so the
/// check itself faults (SEGV) in a sanitizer build. Calls into JIT'd code go
/// through here, where that one check is off; the rest of UBSan stays on.
template <typename Signature> class JitFunction;
template <typename R, typename... Args> class JitFunction<R(Args...)> {
public:
  JitFunction() = default;
  explicit JitFunction(void *address)
      : fn(reinterpret_cast<R (*)(Args...)>(address)) {}
  explicit operator bool() const { return fn != nullptr; }
#if defined(__clang__)
  __attribute__((no_sanitize("function")))
#endif
  R operator()(Args... args) const {
    return fn(args...);
  }

private:
  R (*fn)(Args...) = nullptr;
};

struct CpuEntryPoints {
  using BlockMapFn = JitFunction<void(const int64_t *ctx, int8_t *classes,
                                      int64_t firstRow, int64_t lastRow)>;
  using TileMaskFn =
      JitFunction<void(const int64_t *ctx, int64_t q0, int64_t q1, int64_t k0,
                       int64_t k1, uint8_t *out, int64_t ld)>;
  BlockMapFn blockMap;
  TileMaskFn tileMask;
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
