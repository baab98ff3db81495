//===- CudaSchedule.cpp - choosing the CUDA kernel's query tile -------------===//
#include "runtime/jit/CudaSchedule.h"
#include "dialect/AttnOps.h"
#include "runtime/reference/BlockMap.h"
#include "mlir/IR/Diagnostics.h"
#include <fmt/core.h>

namespace ma = mlir::attn;

namespace attn::jit {

CudaTileChoice chooseCudaTileQ(mlir::ModuleOp scheduled,
                               const std::string &name, int64_t probe) {
  auto pattern = scheduled.lookupSymbol<ma::PatternOp>(name);
  if (!pattern)
    return {64, "no such pattern"};
  if (pattern.getNumParams() > 0)
    return {64, "run-time parameters: the block structure is unknown at "
                "compile time"};
  int64_t heads = pattern.getHeads().value_or(1);
  // The classifier may legitimately reject a probe length (a grid layout
  // wants H*W tokens): silence its diagnostics and keep 64 then.
  mlir::ScopedDiagnosticHandler quiet(scheduled.getContext(),
                                      [](mlir::Diagnostic &) {
                                        return mlir::success();
                                      });
  auto area = [&](int64_t tileQ) -> int64_t {
    auto map = ma::buildBlockMap(scheduled, name, {}, heads, probe, probe,
                                 tileQ, 64);
    if (mlir::failed(map))
      return -1;
    return map->tilesVisited() * tileQ * 64;
  };
  int64_t a64 = area(64), a128 = a64 < 0 ? -1 : area(128);
  if (a64 <= 0 || a128 <= 0)
    return {64, fmt::format("the block map at {} tokens could not be built",
                            probe)};
  double ratio = static_cast<double>(a128) / static_cast<double>(a64);
  if (ratio <= 1.10)
    return {128, fmt::format("128x64 tiles visit {:.2f}x the area of 64x64 "
                             "tiles at {} tokens",
                             ratio, probe)};
  return {64, fmt::format("128x64 tiles would visit {:.2f}x the area of "
                          "64x64 tiles at {} tokens",
                          ratio, probe)};
}

} // namespace attn::jit
