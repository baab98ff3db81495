//===- CudaCompile.cpp - a scheduled pattern to a CUDA bundle --------------===//
#include "runtime/jit/CudaCompile.h"
#include "attn/attn.h"
#include "codegen/CudaEmitter.h"
#include "codegen/PatternInfo.h"
#include "dialect/AttnOps.h"
#include "runtime/jit/CudaSchedule.h"
#include "runtime/jit/Nvrtc.h"
#include "mlir/IR/Diagnostics.h"
#include <fmt/core.h>

using namespace mlir;
namespace ma = mlir::attn;

namespace attn::jit {

cuda::Bundle compileCudaBundle(ModuleOp scheduled, const std::string &name,
                               const CudaCompileOptions &options,
                               CudaCompileInfo *info) {
  if (options.format != "cubin" && options.format != "ptx")
    throw Error(fmt::format("unknown CUDA binary format '{}' (cubin, ptx)",
                            options.format));
  if (std::string problem = checkCudaArch(options.arch); !problem.empty())
    throw Error(problem);
  auto pattern = scheduled.lookupSymbol<ma::PatternOp>(name);
  if (!pattern)
    throw Error(fmt::format("no pattern named '{}'", name));

  ma::CudaEmitOptions emit;
  CudaTileChoice tile{options.tileQ, "given"};
  if (!options.tileQ)
    tile = chooseCudaTileQ(scheduled, name);
  else if (options.tileQ != 64 && options.tileQ != 128)
    throw Error(fmt::format("the CUDA kernels take 64 or 128 queries per "
                            "tile, not {}",
                            options.tileQ));
  emit.tileQ = tile.tileQ;
  if (!options.variants.empty()) {
    emit.variants.clear();
    for (const auto &[dtype, headDim] : options.variants)
      emit.variants.push_back({dtype, headDim});
  }

  // The emitter reports through MLIR diagnostics; collect them as text.
  std::string diagnostics;
  FailureOr<std::string> source;
  {
    ScopedDiagnosticHandler handler(
        scheduled.getContext(), [&](Diagnostic &d) {
          std::string where = ma::formatFileLocation(d.getLocation());
          diagnostics += (where.empty() ? "" : where + ": ") + "error: " +
                         d.str() + "\n";
          return success();
        });
    source = ma::emitCudaSource(scheduled, name, emit);
  }
  if (failed(source))
    throw Error(diagnostics.empty()
                    ? fmt::format("cannot emit CUDA for pattern '{}'", name)
                    : diagnostics.substr(0, diagnostics.size() - 1));

  cuda::Bundle bundle;
  bundle.pattern = name;
  bundle.location = ma::formatFileLocation(pattern.getLoc());
  bundle.arch = options.arch;
  bundle.format = options.format;
  bundle.binaryFile = options.format == "ptx" ? "kernels.ptx" : "kernels.cubin";
  bundle.tileQ = tile.tileQ;
  bundle.tileK = 64;
  bundle.headDependent = ma::isHeadDependent(pattern);
  bundle.batchDependent = ma::isBatchDependent(pattern);
  bundle.heads = pattern.getHeads().value_or(0);
  for (unsigned i = 0; i < pattern.getNumParams(); ++i)
    bundle.params.push_back(pattern.getParamName(i).str());
  for (const ma::CudaVariant &v : emit.variants) {
    ma::CudaKernelShape shape = ma::cudaKernelShape(bundle.tileQ, v.headDim);
    bundle.variants.push_back({v.dtype, v.headDim,
                               cudaForwardSmemBytes(bundle.tileQ, v.headDim),
                               shape.warps, shape.rowBlocks});
  }

  NvrtcOptions nvrtc;
  nvrtc.arch = options.arch;
  nvrtc.ptx = options.format == "ptx";
  nvrtc.verbose = options.verbose && !nvrtc.ptx;
  NvrtcResult result = compileWithNvrtc(*source, name + ".cu", nvrtc);
  bundle.binary = std::move(result.binary);
  if (info) {
    info->source = std::move(*source);
    info->log = std::move(result.log);
    info->nvrtcVersion = std::move(result.version);
    info->tileReason = tile.reason;
  }
  return bundle;
}

} // namespace attn::jit
