//===- ProgramDeviceTest.cpp - Program targets on a machine without a GPU -===//
//
// CompileOptions::target: CUDA throws the reason CUDA is unavailable, Auto
// falls back to the CPU and says why, and CUDA tensors are refused by a CPU
// program. Skipped where a GPU is usable (the GPU check covers that side).
//
//===----------------------------------------------------------------------===//
#include "TestSupport.h"
#include "attn/attn.h"
#include "runtime/cuda/CudaDriver.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace attn;

namespace {
const char *kSource = "pattern local { mask sliding(5) | sink(2) }";

using attn::test::errorOf;
} // namespace

TEST(ProgramDevice, CudaTargetThrowsTheReason) {
  if (cuda::available())
    GTEST_SKIP() << "a CUDA device is usable";
  CompileOptions o;
  o.target = Target::CUDA;
  EXPECT_EQ(errorOf([&] { Program::compileString(kSource, o); }),
            "CUDA is not available: " + cuda::unavailableReason());
}

TEST(ProgramDevice, AutoFallsBackToTheCpu) {
  if (cuda::available())
    GTEST_SKIP() << "a CUDA device is usable";
  CompileOptions o;
  o.target = Target::Auto;
  Program p = Program::compileString(kSource, o);
  EXPECT_EQ(p.device(), Device::CPU);
  EXPECT_EQ(p.fallbackReason(),
            "CUDA is not available: " + cuda::unavailableReason());
  // And it computes.
  std::vector<float> q(1 * 2 * 9 * 8, 0.25f), out(q.size(), NAN);
  Tensor tq = Tensor::contiguous(q.data(), DType::F32, {1, 2, 9, 8});
  Tensor to = Tensor::contiguous(out.data(), DType::F32, {1, 2, 9, 8});
  RunOptions r;
  r.stream = nullptr;
  p.run(tq, tq, tq, to, r);
  for (float x : out)
    EXPECT_FLOAT_EQ(x, 0.25f);
}

TEST(ProgramDevice, CpuTargetHasNoFallbackReason) {
  CompileOptions o;
  o.target = Target::CPU;
  Program p = Program::compileString(kSource, o);
  EXPECT_EQ(p.device(), Device::CPU);
  EXPECT_EQ(p.fallbackReason(), "");
}

TEST(ProgramDevice, CudaTensorsOnACpuProgram) {
  CompileOptions o;
  o.target = Target::CPU;
  Program p = Program::compileString(kSource, o);
  std::vector<float> q(1 * 1 * 4 * 8, 1.f), out(q.size());
  Tensor tq = Tensor::contiguous(q.data(), DType::F32, {1, 1, 4, 8});
  Tensor to = Tensor::contiguous(out.data(), DType::F32, {1, 1, 4, 8});
  Tensor dq = tq;
  dq.device = Device::CUDA;
  EXPECT_EQ(errorOf([&] { p.run(dq, tq, tq, to); }),
            "q is in CUDA memory, but the program runs on the CPU (compile "
            "with Target::CUDA)");
}
