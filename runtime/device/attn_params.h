//===- attn_params.h - kernel argument blocks shared by host and device ---===//
//
// Plain structs passed by value to the generated CUDA kernels. This header is
// compiled both by the host runtime (attn_rt, no CUDA headers) and by NVRTC
// inside the generated kernel source, so it uses only fixed-width integers and
// must not include anything.
//
// The kernels of one pattern (names in kKernel*), launched in this order:
//   1. attn_blockmap_count  grid (numQTiles, mapHeads), 128 threads:
//        rowCounts[mh * numQTiles + qt] = number of non-EMPTY key tiles.
//   2. (host) offsets = exclusive scan of rowCounts; workOrder = rows sorted
//        by count, longest first; both uploaded.
//   3. attn_blockmap_fill   same grid: tiles[offsets[row] ...] = key tile
//        index, with kPartialBit set for PARTIAL tiles, ascending.
//   4. attn_fwd             grid (numRows(work items), batch), kThreads:
//        one CTA per (head, query tile) from workOrder, per batch.
//      or attn_fwd_split + attn_combine for decoding (few query tiles, many
//        key tiles): the key-tile list of a row is cut into numSplits parts.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DEVICE_ATTN_PARAMS_H
#define ATTN_DEVICE_ATTN_PARAMS_H

#ifdef __CUDACC_RTC__
typedef long long attn_i64;
typedef int attn_i32;
typedef unsigned int attn_u32;
#else
#include <cstdint>
typedef int64_t attn_i64;
typedef int32_t attn_i32;
typedef uint32_t attn_u32;
#endif

/// Most run-time parameters a pattern may declare on the CUDA path.
#define ATTN_MAX_PARAMS 16
/// Key-tile entries with this bit set are PARTIAL (apply the predicate).
#define ATTN_PARTIAL_BIT 0x40000000

/// Arguments of attn_blockmap_count and attn_blockmap_fill.
struct AttnBlockMapParams {
  attn_i64 nq, nk;               // sequence lengths
  attn_i32 tileQ, tileK;         // the forward kernel's tile sizes
  attn_i32 numQTiles, numKTiles; // ceil(n / tile)
  attn_i32 mapHeads;             // 1 when the mask ignores the head
  attn_i32 numParams;
  attn_i64 params[ATTN_MAX_PARAMS];
  attn_i32 *rowCounts;       // [mapHeads * numQTiles]           (count)
  const attn_i32 *rowOffsets; // [mapHeads * numQTiles + 1]      (fill)
  attn_i32 *tiles;           // [rowOffsets[last]]               (fill)
};

/// Arguments of attn_fwd, attn_fwd_split and attn_combine. Strides are in
/// elements, [batch, head, seq, dim]; the dim stride must be 1, the others
/// multiples of 8 elements and the base pointers 16-byte aligned (the host
/// checks and packs otherwise).
struct AttnFwdParams {
  const void *q, *k, *v;
  void *o;
  attn_i64 qStride[3], kStride[3], vStride[3], oStride[3]; // b, h, seq
  attn_i64 nq, nk;
  attn_i32 batch, heads, kvHeads, headDim;
  float scaleLog2; // softmax scale * log2(e)
  attn_i32 numQTiles, numKTiles, mapHeads;
  const attn_i32 *rowOffsets; // block map (see AttnBlockMapParams)
  const attn_i32 *tiles;
  const attn_i32 *workOrder;  // [heads * numQTiles]: h * numQTiles + qt
  attn_i32 numWork;           // heads * numQTiles
  attn_i32 numParams;
  attn_i64 params[ATTN_MAX_PARAMS];
  // Split-key decoding: attn_fwd_split writes one normalized partial output
  // and log-sum-exp (base 2) per split; attn_combine merges them into o.
  attn_i32 numSplits;
  float *partialO;   // [numSplits, batch, heads, nq, headDim]
  float *partialLse; // [numSplits, batch, heads, nq]
};

#endif // ATTN_DEVICE_ATTN_PARAMS_H
