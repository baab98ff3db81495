//===- attn_params.h - kernel argument blocks shared by host and device ---===//
//
// Plain structs passed by value to the generated CUDA kernels. This header is
// compiled both by the host runtime (attn_rt, no CUDA headers) and by NVRTC
// inside the generated kernel source, so it uses only fixed-width integers and
// must not include anything.
//
// The block map has mapBatches x mapHeads x numQTiles rows: mapBatches is
// the batch size when the mask reads the batch index, else 1; mapHeads is
// the head count when it reads the head, else 1. Row of (mb, mh, qt):
// (mb * mapHeads + mh) * numQTiles + qt.
//
// The kernels of one pattern (names in kKernel*), launched in this order:
//   1. attn_blockmap_count  grid (numQTiles, mapHeads, mapBatches), 128
//        threads: rowCounts[row] = number of non-EMPTY key tiles.
//   2. (host) offsets = exclusive scan of rowCounts; workOrder = per map
//        batch entry, its (head, query tile) items sorted by count, longest
//        first; both uploaded.
//   3. attn_blockmap_fill   same grid: tiles[offsets[row] ...] = key tile
//        index, with kPartialBit set for PARTIAL tiles, ascending.
//   4. attn_fwd             grid (numWork, batch), kThreads: CTA (x, b) runs
//        item workOrder[(mapBatches == 1 ? 0 : b) * numWork + x] of batch b.
//      or attn_fwd_split + attn_combine for decoding (few query tiles, many
//        key tiles): the key-tile list of a row is cut into numSplits parts.
//
// Each forward kernel attn_fwd_<dtype>_d<D> comes with a device constant
// attn_fwd_<dtype>_d<D>_shape = {warps per CTA, 16-row blocks per warp}: the
// shape it was compiled with, which the loader checks against the bundle
// manifest before running anything.
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
  attn_i32 mapBatches;           // 1 when the mask ignores the batch index
  attn_i32 numParams;
  attn_i64 params[ATTN_MAX_PARAMS];
  attn_i32 *rowCounts;        // [mapBatches * mapHeads * numQTiles] (count)
  const attn_i32 *rowOffsets; // [that + 1]                          (fill)
  attn_i32 *tiles;            // [rowOffsets[last]]                  (fill)
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
  attn_i32 numQTiles, numKTiles, mapHeads, mapBatches;
  const attn_i32 *rowOffsets; // block map (see AttnBlockMapParams)
  const attn_i32 *tiles;
  const attn_i32 *workOrder;  // [mapBatches][numWork]: h * numQTiles + qt
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
