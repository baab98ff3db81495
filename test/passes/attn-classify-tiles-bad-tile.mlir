// RUN: not attn-opt %s --attn-classify-tiles="tile-q=0" 2>&1 | FileCheck %s --check-prefixes=ZERO
// RUN: not attn-opt %s --attn-classify-tiles="tile-q=16 tile-k=-8" 2>&1 | FileCheck %s --check-prefixes=NEG
// Non-positive tile sizes are an error naming both sizes.

// ZERO: error: tile sizes must be positive, got 0x64
// NEG: error: tile sizes must be positive, got 16x-8

attn.pattern @causal() {
  %c = attn.causal
  attn.yield %c : !attn.mask
}
