//===- compile_blockmap_bench.cpp - JIT compile time and block-map build time ===//
//
// Two requirements of the CPU path measured in-process through the public API
// (runtime/include/attn/attn.h), without process start-up:
//
//  * compiling a pattern from source to a runnable CPU program, the first
//    compile of the process (`first_ms`): cold when the JIT cache directory is
//    empty, from the on-disk cache when an earlier process filled it
//    (`first_from_cache`). run_all.sh runs this tool twice on one fresh
//    --cache-dir for the two. Later compiles in the same process
//    (`again_median_ms`) also hit the runtime's in-memory object cache;
//  * building the block map of a pattern for a long sequence (default:
//    power() at 131072 tokens, 64x64 tiles): the first Program::blockMap call
//    for a shape builds it; it is timed on several fresh Programs (each loaded
//    from the cache, so nothing is memoized between them) and the median taken.
//
//   compile_blockmap_bench PATTERN.attn [--seq N] [--tile T] [--heads H]
//                          [--repeat R] [--cache-dir DIR]
//
// Prints JSON lines. Built by bench/cpu/build_tools.sh against a build tree.
//===----------------------------------------------------------------------===//
#include "attn/attn.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATTERN.attn [--seq N] [--tile T] "
                         "[--heads H] [--repeat R] [--cache-dir DIR]\n",
                 argv[0]);
    return 2;
  }
  std::string file = argv[1];
  int64_t seq = 131072, tile = 64, heads = 1, repeat = 7;
  std::string cacheDir;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string o = argv[i], v = argv[i + 1];
    if (o == "--seq")
      seq = std::atoll(v.c_str());
    else if (o == "--tile")
      tile = std::atoll(v.c_str());
    else if (o == "--heads")
      heads = std::atoll(v.c_str());
    else if (o == "--repeat")
      repeat = std::atoll(v.c_str());
    else if (o == "--cache-dir")
      cacheDir = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", o.c_str());
      return 2;
    }
  }
  try {
    if (!cacheDir.empty())
      setenv("ATTNC_CACHE_DIR", cacheDir.c_str(), 1);
    attn::CompileOptions opts;
    opts.target = attn::Target::CPU;
    opts.tileQ = opts.tileK = tile;

    double t0 = now();
    attn::Program first = attn::Program::compileFile(file, opts);
    double firstS = now() - t0;
    bool firstFromCache = first.fromCache();

    std::vector<double> cached, build;
    int64_t full = 0, partial = 0;
    double density = 0;
    for (int64_t r = 0; r < repeat; ++r) {
      t0 = now();
      attn::Program p = attn::Program::compileFile(file, opts);
      cached.push_back(now() - t0);
      if (!p.fromCache())
        std::fprintf(stderr, "warning: compile %lld did not come from a "
                             "cache\n",
                     (long long)r);
      t0 = now();
      attn::BlockMapInfo info = p.blockMap(heads, seq, seq);
      build.push_back(now() - t0);
      full = info.fullTiles;
      partial = info.partialTiles;
      density = info.density;
    }
    std::printf("{\"what\": \"compile\", \"file\": \"%s\", \"first_ms\": %.3f, "
                "\"first_from_cache\": %s, \"again_median_ms\": %.3f, "
                "\"again_min_ms\": %.3f, \"repeat\": %lld, "
                "\"cache_dir\": \"%s\"}\n",
                file.c_str(), firstS * 1e3, firstFromCache ? "true" : "false",
                median(cached) * 1e3,
                *std::min_element(cached.begin(), cached.end()) * 1e3,
                (long long)repeat, attn::cacheDirectory().c_str());
    std::printf("{\"what\": \"blockmap\", \"file\": \"%s\", \"seq\": %lld, "
                "\"heads\": %lld, \"tile\": [%lld, %lld], \"median_ms\": %.3f, "
                "\"min_ms\": %.3f, \"max_ms\": %.3f, \"full_tiles\": %lld, "
                "\"partial_tiles\": %lld, \"tile_density\": %.6f, "
                "\"repeat\": %lld}\n",
                file.c_str(), (long long)seq, (long long)heads,
                (long long)tile, (long long)tile, median(build) * 1e3,
                *std::min_element(build.begin(), build.end()) * 1e3,
                *std::max_element(build.begin(), build.end()) * 1e3,
                (long long)full, (long long)partial, density,
                (long long)repeat);
  } catch (const attn::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
