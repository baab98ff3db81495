//===- Pipeline.h - the attn compilation pipeline ---------------*- C++ -*-===//
//
// One function builds the pipeline for attnc, attn-opt and the runtime alike.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_PIPELINE_H
#define ATTN_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"
#include <string>
#include <vector>

namespace mlir::attn {

/// The named stages, as used by `attnc --emit=`.
enum class Stage { Attn, AttnScheduled };

struct PipelineOptions {
  /// Pattern to compile; empty keeps every pattern.
  std::string pattern;
  /// Compile-time parameter values, `name=value`.
  std::vector<std::string> values;
  int64_t tileQ = 64, tileK = 64;
  Stage stop = Stage::AttnScheduled;
};

/// inline -> bind -> check ranges -> simplify -> verify [-> classify tiles].
void buildAttnPipeline(OpPassManager &pm, const PipelineOptions &options);

/// Registers `attn-pipeline` for attn-opt.
void registerAttnPipeline();

} // namespace mlir::attn

#endif // ATTN_PASSES_PIPELINE_H
