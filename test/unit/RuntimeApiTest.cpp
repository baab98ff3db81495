//===- RuntimeApiTest.cpp - attn/runtime.h: loading bundles, Tensor -------===//
#include "TestSupport.h"
#include "attn/runtime.h"
#include "runtime/cuda/Bundle.h"
#include "runtime/cuda/CudaDriver.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using attn::test::errorOf;

namespace {

/// A valid bundle directory (the binary is not real GPU code).
struct BundleDir {
  fs::path path;
  BundleDir() {
    path = fs::temp_directory_path() /
           ("attnc-runtime-api-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    attn::cuda::Bundle b;
    b.pattern = "local";
    b.arch = "sm_90a";
    b.format = "cubin";
    b.params = {"d"};
    b.variants = {{"bf16", 64, 40960, 4}};
    b.binary = "not a cubin";
    b.write(path.string());
  }
  ~BundleDir() { fs::remove_all(path); }
};

} // namespace

TEST(RuntimeApi, TensorContiguousIsRowMajor) {
  float x = 0;
  attn::Tensor t =
      attn::Tensor::contiguous(&x, attn::DType::BF16, {2, 3, 5, 7});
  EXPECT_EQ(t.data, &x);
  EXPECT_EQ(t.dtype, attn::DType::BF16);
  EXPECT_EQ(t.device, attn::Device::CPU);
  EXPECT_EQ(t.shape, (std::array<int64_t, 4>{2, 3, 5, 7}));
  EXPECT_EQ(t.strides, (std::array<int64_t, 4>{105, 35, 7, 1}));
}

TEST(RuntimeApi, LoadMissingBundleNamesTheManifest) {
  fs::path dir = fs::temp_directory_path() / "attnc-runtime-api-no-such-dir";
  fs::remove_all(dir);
  EXPECT_EQ(errorOf([&] { attn::Bundle::load(dir.string()); }),
            "cannot read '" + dir.string() +
                "/manifest.txt': no such file or directory");
}

TEST(RuntimeApi, LoadDamagedBundleSaysSo) {
  BundleDir dir;
  std::ofstream(dir.path / "kernels.cubin", std::ios::app) << "x";
  std::string error = errorOf([&] { attn::Bundle::load(dir.path.string()); });
  EXPECT_NE(error.find("kernels.cubin' is damaged"), std::string::npos)
      << error;
}

// Reading a bundle needs no GPU; loading it does, and says why it cannot.
TEST(RuntimeApi, LoadWithoutGpuSaysCudaIsNotAvailable) {
  if (attn::cuda::available())
    GTEST_SKIP() << "a GPU is usable here (the test's binary is not real)";
  BundleDir dir;
  EXPECT_EQ(errorOf([&] { attn::Bundle::load(dir.path.string()); }),
            "CUDA is not available: " + attn::cuda::unavailableReason());
}
