//===- BundleTest.cpp - CUDA bundles on disk: round trip and every error --===//
#include "TestSupport.h"
#include "attn/attn.h"
#include "runtime/cuda/Bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <sstream>
#include <fstream>
#include <unistd.h>

using namespace attn;
using namespace attn::cuda;
namespace fs = std::filesystem;

namespace {

Bundle sample() {
  Bundle b;
  b.pattern = "power_attention";
  b.location = "examples/01-power/power.attn:24:1";
  b.arch = "sm_90a";
  b.format = "cubin";
  b.binaryFile = "kernels.cubin";
  b.tileQ = 64;
  b.tileK = 64;
  b.headDependent = false;
  b.batchDependent = false;
  b.heads = 8;
  b.params = {"d", "w"};
  b.variants = {{"bf16", 128, 98304, 4, 1}, {"f16", 64, 40960, 2, 2}};
  b.binary = std::string("\x7f" "ELF\0\x01\x02 binary bytes", 20);
  return b;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("attnc-bundle-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

using attn::test::errorOf;

void writeText(const fs::path &p, const std::string &text) {
  std::ofstream(p, std::ios::binary) << text;
}

} // namespace

TEST(Bundle, RoundTripThroughDisk) {
  TempDir dir;
  Bundle b = sample();
  b.write(dir.path.string());
  EXPECT_TRUE(fs::exists(dir.path / "manifest.txt"));
  EXPECT_TRUE(fs::exists(dir.path / "kernels.cubin"));
  Bundle r = Bundle::read(dir.path.string());
  EXPECT_EQ(r.pattern, b.pattern);
  EXPECT_EQ(r.location, b.location);
  EXPECT_EQ(r.arch, b.arch);
  EXPECT_EQ(r.format, b.format);
  EXPECT_EQ(r.binaryFile, b.binaryFile);
  EXPECT_EQ(r.tileQ, 64);
  EXPECT_EQ(r.tileK, 64);
  EXPECT_FALSE(r.headDependent);
  EXPECT_FALSE(r.batchDependent);
  EXPECT_EQ(r.heads, 8);
  EXPECT_EQ(r.params, b.params);
  ASSERT_EQ(r.variants.size(), 2u);
  EXPECT_EQ(r.variants[0].dtype, "bf16");
  EXPECT_EQ(r.variants[0].headDim, 128);
  EXPECT_EQ(r.variants[0].smemBytes, 98304);
  EXPECT_EQ(r.variants[0].warps, 4);
  EXPECT_EQ(r.variants[0].rowBlocks, 1);
  EXPECT_EQ(r.variants[1].warps, 2);
  EXPECT_EQ(r.variants[1].rowBlocks, 2);
  EXPECT_EQ(r.binary, b.binary);
  EXPECT_EQ(r.manifest(), b.manifest());
  ASSERT_NE(r.find("f16", 64), nullptr);
  EXPECT_EQ(r.find("f16", 64)->fwdName(), "attn_fwd_f16_d64");
  EXPECT_EQ(r.find("f16", 64)->splitName(), "attn_fwd_split_f16_d64");
  EXPECT_EQ(r.find("f16", 64)->combineName(), "attn_combine_f16_d64");
  EXPECT_EQ(r.find("f16", 64)->shapeName(), "attn_fwd_f16_d64_shape");
  EXPECT_EQ(r.find("f16", 128), nullptr);
  // Writing again over an existing bundle replaces it.
  b.binary = "other";
  b.write(dir.path.string());
  EXPECT_EQ(Bundle::read(dir.path.string()).binary, "other");
}

TEST(Bundle, PtxRoundTrip) {
  TempDir dir;
  Bundle b = sample();
  b.format = "ptx";
  b.binaryFile = "kernels.ptx";
  b.binary = ".version 8.0\n.target sm_80\n";
  b.location.clear();
  b.params.clear();
  b.write(dir.path.string());
  Bundle r = Bundle::read(dir.path.string());
  EXPECT_EQ(r.format, "ptx");
  EXPECT_EQ(r.binary, b.binary);
  EXPECT_TRUE(r.location.empty());
  EXPECT_TRUE(r.params.empty());
}

TEST(Bundle, ChecksumIsFnv1a64) {
  EXPECT_EQ(checksum(""), "cbf29ce484222325");
  EXPECT_EQ(checksum("a"), "af63dc4c8601ec8c");
}

TEST(Bundle, ManifestErrors) {
  const std::string good = sample().manifest();
  auto parse = [](const std::string &text) {
    return errorOf([&] { Bundle::parseManifest(text, "m.txt"); });
  };
  EXPECT_EQ(parse(good), "<no error>");
  EXPECT_EQ(parse(""), "m.txt: empty manifest");
  EXPECT_EQ(parse("hello 1\n"), "m.txt:1: not an attnc CUDA bundle manifest");
  // Version 1 lacks batch_dependent and the row blocks per warp.
  EXPECT_EQ(parse("attnc-cuda-bundle 1\n"),
            "m.txt:1: bundle version 1 is not supported (this attnc reads "
            "version 2; recompile the bundle with attnc compile)");
  EXPECT_EQ(good.rfind("attnc-cuda-bundle 2\n", 0), 0u);
  EXPECT_NE(good.find("\nbatch_dependent 0\n"), std::string::npos);
  Bundle dependent = sample();
  dependent.batchDependent = true;
  EXPECT_TRUE(
      Bundle::parseManifest(dependent.manifest(), "m.txt").batchDependent);
  EXPECT_NE(good.find("\nvariant f16 64 40960 2 2\n"), std::string::npos);
  EXPECT_EQ(parse(good + "colour blue\n"), "m.txt:16: unknown key 'colour'");
  EXPECT_EQ(parse(good + "pattern a b\n"), "m.txt:16: 'pattern' takes 1 value");
  EXPECT_EQ(parse(good + "tile 64\n"), "m.txt:16: 'tile' takes 2 values");
  EXPECT_EQ(parse(good + "heads four\n"),
            "m.txt:16: expected an integer, got 'four'");
  EXPECT_EQ(parse(good + "format sass\n"),
            "m.txt:16: unknown format 'sass' (cubin or ptx)");
  EXPECT_EQ(parse(good + "binary ../x\n"),
            "m.txt:16: the binary must be a file name inside the bundle");
  EXPECT_EQ(parse(good + "batch_dependent\n"),
            "m.txt:16: 'batch_dependent' takes 1 value");
  EXPECT_EQ(parse(good + "variant f32 64 100 4 1\n"),
            "m.txt:16: unknown dtype 'f32' (bf16 or f16)");
  EXPECT_EQ(parse(good + "variant f16 64 100 4\n"),
            "m.txt:16: 'variant' takes 5 values");
  EXPECT_EQ(parse(good + "variant f16 64 100 0 1\n"),
            "m.txt:16: 0 warps per CTA is out of range");
  EXPECT_EQ(parse(good + "variant f16 64 100 4 0\n"),
            "m.txt:16: 0 row blocks per warp is out of range (1 to 4)");
  // Without a batch_dependent line a bundle is taken as batch-dependent
  // (one map per batch entry: always right).
  std::string noBatch;
  {
    std::istringstream in(good);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("batch_dependent ", 0) != 0)
        noBatch += line + "\n";
  }
  Bundle nb = Bundle::parseManifest(noBatch, "m.txt");
  EXPECT_TRUE(nb.batchDependent);
  // Required lines.
  for (const char *key : {"pattern", "arch", "format", "binary", "checksum"}) {
    std::string text;
    std::istringstream in(good);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(std::string(key) + " ", 0) != 0)
        text += line + "\n";
    EXPECT_EQ(parse(text),
              std::string("m.txt: the manifest has no '") + key + "' line")
        << key;
  }
  std::string noVariants;
  std::istringstream in(good);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("variant ", 0) != 0)
      noVariants += line + "\n";
  EXPECT_EQ(parse(noVariants), "m.txt: the manifest lists no kernel variant");
  std::string many = good;
  for (int i = 0; i < 16; ++i)
    many += "param p" + std::to_string(i) + "\n";
  EXPECT_EQ(parse(many), "m.txt: more than 16 run-time parameters");
}

TEST(Bundle, ReadErrors) {
  TempDir dir;
  std::string d = dir.path.string();
  // No directory at all.
  EXPECT_NE(errorOf([&] { Bundle::read(d); })
                .find("cannot read '" + d + "/manifest.txt'"),
            std::string::npos);
  sample().write(d);
  // Checksum mismatch: the binary changed after the manifest was written.
  writeText(dir.path / "kernels.cubin", "tampered");
  std::string e = errorOf([&] { Bundle::read(d); });
  EXPECT_NE(e.find("'" + d + "/kernels.cubin' is damaged: its checksum"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("differs from the manifest's"), std::string::npos) << e;
  // Missing binary.
  fs::remove(dir.path / "kernels.cubin");
  e = errorOf([&] { Bundle::read(d); });
  EXPECT_NE(e.find("cannot read '" + d + "/kernels.cubin'"), std::string::npos)
      << e;
  // A bad manifest names the file and the line.
  writeText(dir.path / "manifest.txt", "attnc-cuda-bundle 2\nbogus 1\n");
  EXPECT_EQ(errorOf([&] { Bundle::read(d); }),
            d + "/manifest.txt:2: unknown key 'bogus'");
}

TEST(Bundle, WriteIntoUncreatableDirectory) {
  std::string e = errorOf(
      [&] { sample().write("/nonexistent-attnc-dir/sub/bundle"); });
  EXPECT_NE(e.find("cannot create directory '/nonexistent-attnc-dir/sub/"
                   "bundle'"),
            std::string::npos)
      << e;
}
