//===- Pipeline.cpp - the attn compilation pipeline ------------------------===//
#include "passes/Pipeline.h"
#include "passes/Passes.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::buildAttnPipeline(OpPassManager &pm,
                                   const PipelineOptions &options) {
  AttnInlinePatternsPassOptions inlineOpts;
  inlineOpts.entry = options.pattern;
  pm.addPass(createAttnInlinePatternsPass(inlineOpts));
  AttnBindParametersPassOptions bindOpts;
  bindOpts.values.assign(options.values.begin(), options.values.end());
  bindOpts.pattern = options.pattern;
  pm.addPass(createAttnBindParametersPass(bindOpts));
  // Before simplification, whose constant folding would wrap silently.
  pm.addPass(createAttnCheckRangesPass());
  pm.addPass(createAttnSimplifyMasksPass());
  pm.addPass(createAttnVerifyPatternPass());
  if (options.stop == Stage::Attn)
    return;
  AttnClassifyTilesPassOptions tileOpts;
  tileOpts.tileQ = options.tileQ;
  tileOpts.tileK = options.tileK;
  pm.addPass(createAttnClassifyTilesPass(tileOpts));
}

namespace {
struct PipelineCLOptions : public PassPipelineOptions<PipelineCLOptions> {
  Option<std::string> pattern{*this, "pattern",
                              llvm::cl::desc("Pattern to compile")};
  ListOption<std::string> values{*this, "values",
                                 llvm::cl::desc("name=value parameters")};
  Option<int64_t> tileQ{*this, "tile-q", llvm::cl::init(64),
                        llvm::cl::desc("Query tile size")};
  Option<int64_t> tileK{*this, "tile-k", llvm::cl::init(64),
                        llvm::cl::desc("Key tile size")};
  Option<bool> classify{*this, "classify", llvm::cl::init(true),
                        llvm::cl::desc("Run attn-classify-tiles")};
};
} // namespace

void mlir::attn::registerAttnPipeline() {
  PassPipelineRegistration<PipelineCLOptions>(
      "attn-pipeline", "The attnc pipeline up to the scheduled attn stage",
      [](OpPassManager &pm, const PipelineCLOptions &cl) {
        PipelineOptions o;
        o.pattern = cl.pattern;
        o.values.assign(cl.values.begin(), cl.values.end());
        o.tileQ = cl.tileQ;
        o.tileK = cl.tileK;
        o.stop = cl.classify ? Stage::AttnScheduled : Stage::Attn;
        buildAttnPipeline(pm, o);
      });
}
