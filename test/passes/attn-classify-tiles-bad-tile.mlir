// RUN: not attn-opt %s --attn-classify-tiles="tile-q=0" 2>&1 | FileCheck %s --check-prefixes=ZERO
// RUN: not attn-opt %s --attn-classify-tiles="tile-q=16 tile-k=-8" 2>&1 | FileCheck %s --check-prefixes=NEG
// BUG (passes/ClassifyTiles.cpp, runOnOperation): the pass options are
// streamed into the diagnostic as characters, so tile-q=0 prints
// "got \0x@" instead of "got 0x64".

// ZERO: error: tile sizes must be positive, got 0x64
// NEG: error: tile sizes must be positive, got 16x-8

attn.pattern @causal() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}
