// Unit tests for support/Npy, support/Half.h and support/AtomicFile.
#include "support/Npy.h"
#include "support/AtomicFile.h"
#include "TempDir.h"
#include "support/FileRead.h"
#include "support/Half.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace attn;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Real NumPy 2.4 files (generated once with the commands in the comments;
// the tests do not need NumPy).
//===----------------------------------------------------------------------===//

// np.save(f, np.arange(6, dtype='<f4').reshape(2, 3))
const std::string kF32Matrix(
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, '"
    "shape': (2, 3), }                                               "
    "           \012\000\000\000\000\000\000\200\077\000\000\000@\000"
    "\000@@\000\000\200@\000\000\240@",
    152);
// np.save(f, np.array(3.5))
const std::string kF64Scalar(
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, '"
    "shape': (), }                                                   "
    "           \012\000\000\000\000\000\000\014@",
    136);
// np.save(f, np.zeros((0, 3), dtype=np.int16))
const std::string
    kI16Empty("\223NUMPY\001\000v\000{'descr': '<i2', 'fortran_order': False, '"
              "shape': (0, 3), }                                               "
              "           \012",
              128);
// np.save(f, np.array([True, False, True]))
const std::string kBoolVector(
    "\223NUMPY\001\000v\000{'descr': '|b1', 'fortran_order': False, '"
    "shape': (3,), }                                                 "
    "           \012\001\000\001",
    131);
// np.save(f, np.array([0, 255, 7], dtype=np.uint8))
const std::string
    kU8Vector("\223NUMPY\001\000v\000{'descr': '|u1', 'fortran_order': False, '"
              "shape': (3,), }                                                 "
              "           \012\000\377\007",
              131);
// np.save(f, np.array([-128, 127, -1], dtype=np.int8))
const std::string
    kI8Vector("\223NUMPY\001\000v\000{'descr': '|i1', 'fortran_order': False, '"
              "shape': (3,), }                                                 "
              "           \012\200\177\377",
              131);
// np.save(f, np.array([[1, -2], [3, -4]], dtype=np.int32))
const std::string kI32Matrix(
    "\223NUMPY\001\000v\000{'descr': '<i4', 'fortran_order': False, '"
    "shape': (2, 2), }                                               "
    "           \012\001\000\000\000\376\377\377\377\003\000\000\000\374"
    "\377\377\377",
    144);
// np.save(f, np.array([-2**63, 2**63 - 1, 5], dtype=np.int64))
const std::string kI64Vector(
    "\223NUMPY\001\000v\000{'descr': '<i8', 'fortran_order': False, '"
    "shape': (3,), }                                                 "
    "           \012\000\000\000\000\000\000\000\200\377\377\377\377\377"
    "\377\377\177\005\000\000\000\000\000\000\000",
    152);
// np.save(f, np.array([1.0, -2.5, 65504, np.inf, 2**-24], dtype=np.float16))
const std::string kF16Vector(
    "\223NUMPY\001\000v\000{'descr': '<f2', 'fortran_order': False, '"
    "shape': (5,), }                                                 "
    "           \012\000<\000\301\377{\000|\001\000",
    138);
// np.save(f, np.array([0, 4, 8, 12, 16, 20], dtype='<f4').reshape(2, 3, 1))
const std::string kF32Rank3(
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, '"
    "shape': (2, 3, 1), }                                            "
    "           \012\000\000\000\000\000\000\200@\000\000\000A\000\000"
    "@A\000\000\200A\000\000\240A",
    152);
// np.save(f, np.asfortranarray(np.arange(6.0).reshape(2, 3)))
const std::string kFortranF64(
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': True, 's"
    "hape': (2, 3), }                                                "
    "           \012\000\000\000\000\000\000\000\000\000\000\000\000\000"
    "\000\010@\000\000\000\000\000\000\360\077\000\000\000\000\000\000"
    "\020@\000\000\000\000\000\000\000@\000\000\000\000\000\000\024@",
    176);
// np.save(f, np.array([1.0, 2.0], dtype='>f4'))
const std::string kBigEndianF32(
    "\223NUMPY\001\000v\000{'descr': '>f4', 'fortran_order': False, '"
    "shape': (2,), }                                                 "
    "           \012\077\200\000\000@\000\000\000",
    136);
// numpy.lib.format.write_array(f, np.array([1, 2], dtype="<i4"), version=(2,
// 0))
const std::string
    kI32V2("\223NUMPY\002\000t\000\000\000{'descr': '<i4', 'fortran_order': "
           "False, 'shape': (2,), }                                         "
           "                 \012\001\000\000\000\002\000\000\000",
           136);
// numpy.lib.format.write_array(f, np.array([1, 2], dtype="<i4"), version=(3,
// 0))
const std::string
    kI32V3("\223NUMPY\003\000t\000\000\000{'descr': '<i4', 'fortran_order': "
           "False, 'shape': (2,), }                                         "
           "                 \012\001\000\000\000\002\000\000\000",
           136);

using attn::test::TempDir;

bool parse(const std::string &bytes, NpyArray &out, std::string &error) {
  return parseNpy(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                  out, error);
}

/// Parses bytes that must be rejected and returns the error text.
std::string parseError(const std::string &bytes) {
  NpyArray out;
  std::string error;
  EXPECT_FALSE(parse(bytes, out, error)) << "accepted: " << bytes;
  EXPECT_FALSE(error.empty());
  return error;
}

/// A version 1.0 file with the given header text (no padding) and data.
std::string npyV1(const std::string &header, const std::string &data = "") {
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header + data;
}

std::string header(const std::string &descr, const std::string &shape,
                   const std::string &order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + order +
         ", 'shape': " + shape + ", }\n";
}

std::string asString(const std::vector<uint8_t> &bytes) {
  return std::string(bytes.begin(), bytes.end());
}

using attn::test::readAll;

//===----------------------------------------------------------------------===//
// fp16 / bf16
//===----------------------------------------------------------------------===//

TEST(HalfTest, KnownValues) {
  EXPECT_EQ(floatToHalf(0.0f), 0x0000);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.5f), 0xc100);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(0x1p-14f), 0x0400); // Smallest normal.
  EXPECT_EQ(floatToHalf(0x1p-24f), 0x0001); // Smallest subnormal.
  EXPECT_EQ(floatToHalf(INFINITY), 0x7c00);
  EXPECT_EQ(floatToHalf(-INFINITY), 0xfc00);
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(halfToFloat(0x03ff), 1023 * 0x1p-24f);
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0xfc00), -INFINITY);
}

TEST(HalfTest, RoundsToNearestEven) {
  // Between 1 and 1 + 2^-10: the tie goes to the even mantissa (1.0).
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
  // Between 1 + 2^-10 (odd) and 1 + 2^-9: the tie goes up.
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-10f + 0x1p-11f), 0x3c02);
  // Overflow: 65519 rounds to 65504, 65520 (tie, odd below) to infinity.
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(1e10f), 0x7c00);
  // Subnormals: 2^-25 ties to 0, anything above rounds up to 2^-24.
  EXPECT_EQ(floatToHalf(0x1p-25f), 0x0000);
  EXPECT_EQ(floatToHalf(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(floatToHalf(-0x1p-26f), 0x8000);
  EXPECT_EQ(floatToHalf(3 * 0x1p-25f), 0x0002); // 1.5 ulp: tie to even.
  EXPECT_EQ(floatToHalf(5 * 0x1p-25f), 0x0002); // 2.5 ulp: tie to even.
  // The largest subnormal rounds up into the smallest normal.
  EXPECT_EQ(floatToHalf(0x1p-14f - 0x1p-26f), 0x0400);
}

TEST(HalfTest, EveryHalfRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(value)))) << bits;
      continue;
    }
    EXPECT_EQ(floatToHalf(value), bits) << bits;
    EXPECT_EQ(doubleToHalf(value), bits) << bits;
  }
}

TEST(HalfTest, NaNStaysNaN) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(floatToHalf(nan) & 0x7c00, 0x7c00);
  EXPECT_NE(floatToHalf(nan) & 0x03ff, 0);
  // A signalling NaN whose payload lives only in the low bits.
  float snan = std::bit_cast<float>(0x7f800001u);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(snan))));
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(snan))));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
}

TEST(HalfTest, DoubleToHalfRoundsOnce) {
  // Rounding to float first would land on the tie 1 + 2^-11 and then round
  // down to 1.0; the correct result is 1 + 2^-10.
  EXPECT_EQ(doubleToHalf(1.0 + 0x1p-11 + 0x1p-40), 0x3c01);
  EXPECT_EQ(doubleToHalf(1.0 + 0x1p-11 - 0x1p-40), 0x3c00);
  EXPECT_EQ(doubleToHalf(1.0 + 0x1p-11), 0x3c00);
  EXPECT_EQ(doubleToHalf(1e300), 0x7c00);
  EXPECT_EQ(doubleToHalf(-1e-300), 0x8000);
  EXPECT_EQ(doubleToHalf(0.1), floatToHalf(0.1f));
}

TEST(HalfTest, BFloat16) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBf16(-2.0f), 0xc000);
  EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToFloat(0x4049), 3.140625f);
  // Ties to even: 1 + 2^-8 sits between 1 (even) and 1 + 2^-7.
  EXPECT_EQ(floatToBf16(1.0f + 0x1p-8f), 0x3f80);
  EXPECT_EQ(floatToBf16(1.0f + 0x1p-7f + 0x1p-8f), 0x3f82);
  EXPECT_EQ(floatToBf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(floatToBf16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(floatToBf16(INFINITY), 0x7f80);
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float value = bf16ToFloat(static_cast<uint16_t>(bits));
    if (!std::isnan(value)) {
      EXPECT_EQ(floatToBf16(value), bits) << bits;
    }
  }
}

//===----------------------------------------------------------------------===//
// AtomicFile
//===----------------------------------------------------------------------===//

TEST(AtomicFileTest, WritesAndReplaces) {
  TempDir dir;
  std::string path = dir / "out.bin";
  std::string error;
  ASSERT_TRUE(writeFileAtomic(path, "hello", 5, error)) << error;
  EXPECT_EQ(readAll(path), "hello");
  ASSERT_TRUE(writeFileAtomic(path, "bye", 3, error)) << error;
  EXPECT_EQ(readAll(path), "bye");
  ASSERT_TRUE(writeFileAtomic(path, nullptr, 0, error)) << error;
  EXPECT_EQ(readAll(path), "");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFileTest, RelativePathAndMode) {
  TempDir dir;
  std::string path = dir / "script.sh";
  std::string error;
  ASSERT_TRUE(writeFileAtomic(path, "a", 1, error)) << error;
  ASSERT_EQ(::chmod(path.c_str(), 0750), 0);
  ASSERT_TRUE(writeFileAtomic(path, "b", 1, error)) << error;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);

  std::string cwd = fs::current_path();
  fs::current_path(dir.path);
  EXPECT_TRUE(writeFileAtomic("plain.txt", "xyz", 3, error)) << error;
  fs::current_path(cwd);
  EXPECT_EQ(readAll(dir / "plain.txt"), "xyz");
}

TEST(AtomicFileTest, MissingDirectory) {
  TempDir dir;
  std::string path = dir / "no/such/dir/out.bin";
  std::string error;
  EXPECT_FALSE(writeFileAtomic(path, "x", 1, error));
  EXPECT_EQ(error, "cannot write '" + path + "': directory '" + dir.path +
                       "/no/such/dir' does not exist");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFileTest, TargetIsADirectory) {
  TempDir dir;
  fs::create_directory(dir / "sub");
  std::string error;
  EXPECT_FALSE(writeFileAtomic(dir / "sub", "x", 1, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "sub") + "': is a directory");
  EXPECT_FALSE(writeFileAtomic(dir / "sub/", "x", 1, error));
  EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sub"});
}

TEST(AtomicFileTest, ParentIsAFile) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(writeFileAtomic(dir / "file", "x", 1, error)) << error;
  EXPECT_FALSE(writeFileAtomic(dir / "file/out", "x", 1, error));
  EXPECT_NE(error.find("'" + (dir / "file") + "' is not a directory"),
            std::string::npos)
      << error;
}

TEST(AtomicFileTest, PermissionDenied) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  std::string error;
  ASSERT_TRUE(writeFileAtomic(dir / "keep", "old", 3, error)) << error;
  ASSERT_EQ(::chmod(dir.path.c_str(), 0500), 0);
  EXPECT_FALSE(writeFileAtomic(dir / "keep", "new", 3, error));
  EXPECT_NE(error.find("permission denied"), std::string::npos) << error;
  EXPECT_NE(error.find(dir / "keep"), std::string::npos) << error;
  ::chmod(dir.path.c_str(), 0700);
  EXPECT_EQ(readAll(dir / "keep"), "old");
}

TEST(AtomicFileTest, FailedWriteKeepsOldFileAndLeavesNoTemporary) {
  TempDir dir;
  std::string path = dir / "keep.bin";
  std::string error;
  ASSERT_TRUE(writeFileAtomic(path, "old contents", 12, error)) << error;
  // Make write() fail half way: a file size limit (EFBIG) instead of SIGXFSZ.
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::vector<char> big(100000, 'x');
  bool ok = writeFileAtomic(path, big.data(), big.size(), error);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, oldHandler);
  EXPECT_FALSE(ok);
  EXPECT_NE(error.find("cannot write '" + path + "'"), std::string::npos)
      << error;
  EXPECT_EQ(readAll(path), "old contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.bin"});
}

TEST(AtomicFileTest, ConcurrentWritersNeverTearTheFile) {
  TempDir dir;
  std::string path = dir / "shared.bin";
  std::string a(50000, 'a'), b(50000, 'b');
  std::string error;
  ASSERT_TRUE(writeFileAtomic(path, a.data(), a.size(), error));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string childError;
    for (int i = 0; i < 50; ++i)
      if (!writeFileAtomic(path, b.data(), b.size(), childError))
        ::_exit(1);
    ::_exit(0);
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(writeFileAtomic(path, a.data(), a.size(), error)) << error;
    std::string now = readAll(path);
    EXPECT_TRUE(now == a || now == b);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"shared.bin"});
}

TEST(AtomicFileTest, ReadErrors) {
  TempDir dir;
  std::vector<uint8_t> bytes{1, 2, 3};
  std::string error;
  EXPECT_FALSE(readFile(dir / "missing", bytes, error));
  EXPECT_EQ(error, "cannot read '" + (dir / "missing") +
                       "': no such file or directory");
  EXPECT_FALSE(readFile(dir.path, bytes, error));
  EXPECT_EQ(error, "cannot read '" + dir.path + "': is a directory");
  EXPECT_FALSE(readFile("", bytes, error));
  EXPECT_EQ(error, "cannot read file: the path is empty");
  EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 2, 3})); // Unchanged on failure.
  if (::geteuid() != 0) {
    ASSERT_TRUE(writeFileAtomic(dir / "secret", "x", 1, error));
    ASSERT_EQ(::chmod((dir / "secret").c_str(), 0), 0);
    EXPECT_FALSE(readFile(dir / "secret", bytes, error));
    EXPECT_EQ(error,
              "cannot read '" + (dir / "secret") + "': permission denied");
  }
}

TEST(AtomicFileTest, ReadsLargeAndSpecialFiles) {
  TempDir dir;
  std::string big(300000, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  std::string error;
  ASSERT_TRUE(writeFileAtomic(dir / "big", big.data(), big.size(), error));
  EXPECT_EQ(readAll(dir / "big"), big);
  // /proc files report size 0 but have contents.
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(readFile("/proc/self/status", bytes, error)) << error;
  EXPECT_GT(bytes.size(), 0u);
}

//===----------------------------------------------------------------------===//
// Npy: real NumPy files
//===----------------------------------------------------------------------===//

struct Golden {
  const std::string &bytes;
  NpyDType dtype;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

TEST(NpyTest, ParsesNumPyFiles) {
  const double inf = INFINITY;
  const Golden cases[] = {
      {kF32Matrix, NpyDType::F32, {2, 3}, {0, 1, 2, 3, 4, 5}},
      {kF64Scalar, NpyDType::F64, {}, {3.5}},
      {kI16Empty, NpyDType::I16, {0, 3}, {}},
      {kBoolVector, NpyDType::Bool, {3}, {1, 0, 1}},
      {kU8Vector, NpyDType::U8, {3}, {0, 255, 7}},
      {kI8Vector, NpyDType::I8, {3}, {-128, 127, -1}},
      {kI32Matrix, NpyDType::I32, {2, 2}, {1, -2, 3, -4}},
      {kF16Vector, NpyDType::F16, {5}, {1.0, -2.5, 65504, inf, 0x1p-24}},
      {kF32Rank3, NpyDType::F32, {2, 3, 1}, {0, 4, 8, 12, 16, 20}},
      {kI32V2, NpyDType::I32, {2}, {1, 2}},
      {kI32V3, NpyDType::I32, {2}, {1, 2}},
  };
  for (const Golden &c : cases) {
    NpyArray a;
    std::string error;
    ASSERT_TRUE(parse(c.bytes, a, error)) << error;
    EXPECT_EQ(a.dtype, c.dtype);
    EXPECT_EQ(a.shape, c.shape);
    ASSERT_EQ(a.numel(), c.values.size());
    EXPECT_EQ(a.data.size(), a.numel() * a.itemSize());
    for (size_t i = 0; i < c.values.size(); ++i)
      EXPECT_EQ(a.floatAt(i), c.values[i]) << npyDTypeName(c.dtype) << i;
  }
}

TEST(NpyTest, ParsesInt64Extremes) {
  NpyArray a;
  std::string error;
  ASSERT_TRUE(parse(kI64Vector, a, error)) << error;
  EXPECT_EQ(a.dtype, NpyDType::I64);
  EXPECT_EQ(a.intAt(0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(a.intAt(1), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(a.intAt(2), 5);
}

TEST(NpyTest, SerializesExactlyLikeNumPy) {
  for (const std::string *golden :
       {&kF32Matrix, &kF64Scalar, &kI16Empty, &kBoolVector, &kU8Vector,
        &kI8Vector, &kI32Matrix, &kI64Vector, &kF16Vector, &kF32Rank3}) {
    NpyArray a;
    std::string error;
    ASSERT_TRUE(parse(*golden, a, error)) << error;
    EXPECT_EQ(asString(serializeNpy(a)), *golden);
  }
}

TEST(NpyTest, AcceptsOtherHeaderSpellings) {
  struct Case {
    std::string header;
    NpyDType dtype;
    std::vector<int64_t> shape;
  };
  const Case cases[] = {
      // What NumPy 1.x wrote: no growth padding, 16-byte alignment.
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }      \n",
       NpyDType::I32,
       {2}},
      // Python 2 long literals, other key order, double quotes, no spaces.
      {"{\"shape\":(1L,2L),\"fortran_order\":False,\"descr\":\"<i2\"}",
       NpyDType::I16,
       {1, 2}},
      {"{'descr': '<u1', 'fortran_order': False, 'shape': (2,)}\n",
       NpyDType::U8,
       {2}},
      {"{'descr': '<b1', 'fortran_order': False, 'shape': (2,)}\n",
       NpyDType::Bool,
       {2}},
      {"{'descr': '>i1', 'fortran_order': False, 'shape': (2,)}\n",
       NpyDType::I8,
       {2}},
      {"{'descr': '=f8', 'fortran_order': False, 'shape': ()}\n",
       NpyDType::F64,
       {}},
      {"{'descr': 'i8', 'fortran_order': False, 'shape': ()}\n",
       NpyDType::I64,
       {}},
      {"{ 'descr' : '<f2' , 'fortran_order' : False , 'shape' : ( 1 , ) , } "
       "\t\r\n",
       NpyDType::F16,
       {1}},
  };
  for (const Case &c : cases) {
    size_t bytes = npyDTypeSize(c.dtype);
    for (int64_t dim : c.shape)
      bytes *= static_cast<size_t>(dim);
    NpyArray a;
    std::string error;
    ASSERT_TRUE(parse(npyV1(c.header, std::string(bytes, '\1')), a, error))
        << c.header << ": " << error;
    EXPECT_EQ(a.dtype, c.dtype) << c.header;
    EXPECT_EQ(a.shape, c.shape) << c.header;
  }
}

//===----------------------------------------------------------------------===//
// Npy: round trips
//===----------------------------------------------------------------------===//

TEST(NpyTest, RoundTripsEveryDTypeAndShape) {
  const NpyDType dtypes[] = {NpyDType::Bool, NpyDType::U8,  NpyDType::I8,
                             NpyDType::I16,  NpyDType::I32, NpyDType::I64,
                             NpyDType::F16,  NpyDType::F32, NpyDType::F64};
  const std::vector<int64_t> shapes[] = {
      {}, {0}, {1}, {7}, {3, 5}, {2, 0, 4}, {2, 3, 4}, {1, 2, 1, 3, 1}};
  TempDir dir;
  for (NpyDType dtype : dtypes) {
    for (const auto &shape : shapes) {
      NpyArray a = NpyArray::zeros(dtype, shape);
      for (size_t i = 0; i < a.numel(); ++i)
        a.setInt(
            i, static_cast<int64_t>(i % 5) -
                   (dtype == NpyDType::Bool || dtype == NpyDType::U8 ? 0 : 2));
      std::string error;
      ASSERT_TRUE(checkNpyArray(a, error)) << error;
      std::string path = dir / "a.npy";
      ASSERT_TRUE(writeNpy(path, a, error)) << error;
      NpyArray b;
      ASSERT_TRUE(readNpy(path, b, error)) << error;
      EXPECT_EQ(b.dtype, a.dtype);
      EXPECT_EQ(b.shape, a.shape);
      EXPECT_EQ(b.data, a.data);
      std::vector<uint8_t> bytes = serializeNpy(a);
      EXPECT_EQ(bytes.size() % 64, a.data.size() % 64) << "data not aligned";
      EXPECT_EQ(bytes[6], 1); // Version 1.0 whenever the header fits.
    }
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.npy"});
}

TEST(NpyTest, RoundTripsValues) {
  NpyArray f = NpyArray::zeros(NpyDType::F32, {4});
  f.setFloat(0, 1.5);
  f.setFloat(1, -0.0);
  f.setFloat(2, INFINITY);
  f.setFloat(3, 1e-40); // Subnormal float.
  NpyArray back;
  std::string error;
  std::vector<uint8_t> bytes = serializeNpy(f);
  ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), back, error)) << error;
  EXPECT_EQ(back.floatAt(0), 1.5);
  EXPECT_TRUE(std::signbit(back.floatAt(1)));
  EXPECT_EQ(back.floatAt(2), INFINITY);
  EXPECT_EQ(back.floatAt(3), static_cast<double>(1e-40f));
}

TEST(NpyTest, LargeHeaderUsesVersion2) {
  // NumPy itself caps ndim at 64; a long shape is the simple way to need a
  // header over 64 KiB.
  NpyArray a = NpyArray::zeros(NpyDType::I8, std::vector<int64_t>(30000, 1));
  a.setInt(0, -7);
  std::vector<uint8_t> bytes = serializeNpy(a);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ(bytes.size() % 64, 1u);
  NpyArray back;
  std::string error;
  ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), back, error)) << error;
  EXPECT_EQ(back.shape.size(), 30000u);
  EXPECT_EQ(back.intAt(0), -7);
}

TEST(NpyTest, ElementAccessConverts) {
  NpyArray i8 = NpyArray::zeros(NpyDType::I8, {3});
  i8.setInt(0, 1000);
  i8.setInt(1, -1000);
  i8.setFloat(2, -3.9);
  EXPECT_EQ(i8.intAt(0), 127);
  EXPECT_EQ(i8.intAt(1), -128);
  EXPECT_EQ(i8.intAt(2), -3);

  NpyArray u8 = NpyArray::zeros(NpyDType::U8, {2});
  u8.setInt(0, -5);
  u8.setFloat(1, 300.0);
  EXPECT_EQ(u8.intAt(0), 0);
  EXPECT_EQ(u8.intAt(1), 255);

  NpyArray i64 = NpyArray::zeros(NpyDType::I64, {3});
  i64.setFloat(0, 1e30);
  i64.setFloat(1, -1e30);
  i64.setFloat(2, NAN);
  EXPECT_EQ(i64.intAt(0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(i64.intAt(1), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(i64.intAt(2), 0);

  NpyArray f16 = NpyArray::zeros(NpyDType::F16, {3});
  f16.setFloat(0, 0.1);
  f16.setInt(1, 70000);
  f16.setFloat(2, 2.75);
  EXPECT_EQ(f16.data[0] | f16.data[1] << 8, 0x2e66);
  EXPECT_EQ(f16.floatAt(1), INFINITY);
  EXPECT_EQ(f16.intAt(2), 2);

  NpyArray b = NpyArray::zeros(NpyDType::Bool, {2});
  b.setFloat(0, 0.5);
  b.setInt(1, 0);
  EXPECT_EQ(b.intAt(0), 1);
  EXPECT_EQ(b.floatAt(1), 0.0);
}

//===----------------------------------------------------------------------===//
// Npy: malformed input
//===----------------------------------------------------------------------===//

TEST(NpyTest, RejectsBadMagicAndVersion) {
  EXPECT_EQ(parseError(""), "not a .npy file: the file is empty");
  EXPECT_EQ(parseError(std::string("PK\x03\x04rest", 8)),
            "not a .npy file: bad magic string (expected \"\\x93NUMPY\")");
  EXPECT_EQ(parseError("\x93NUMPX\x01\x00"),
            "not a .npy file: bad magic string (expected \"\\x93NUMPY\")");
  EXPECT_EQ(parseError("\x93NUM"),
            "truncated .npy file: 4 bytes, too short for the magic string and "
            "version");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
            "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x01\x01\x10\x00", 10)),
            "unsupported .npy format version 1.1 (supported: 1.0, 2.0, 3.0)");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x01\x00\x10", 9)),
            "truncated .npy file: 9 bytes, too short for the header length "
            "field");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x02\x00\x10\x00\x00", 11)),
            "truncated .npy file: 11 bytes, too short for the header length "
            "field");
}

TEST(NpyTest, RejectsHeaderBeyondTheFile) {
  EXPECT_EQ(parseError(kF32Matrix.substr(0, 60)),
            "truncated .npy file: the header length is 118 bytes but only 50 "
            "bytes follow the length field");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14)),
            "truncated .npy file: the header length is 4294967295 bytes but "
            "only 2 bytes follow the length field");
}

TEST(NpyTest, RejectsUnparsableHeaders) {
  EXPECT_EQ(parseError(npyV1("descr: f4")),
            "unparsable header dictionary: expected '{' at offset 0 (near "
            "\"descr: f4\")");
  EXPECT_EQ(parseError(npyV1("{'descr' '<f4'}")),
            "unparsable header dictionary: expected ':' after key 'descr' at "
            "offset 9 (near \"'<f4'}\")");
  EXPECT_EQ(parseError(npyV1("{'descr: '<f4'}")),
            "unparsable header dictionary: expected ':' after key 'descr: ' "
            "at offset 10 (near \"<f4'}\")");
  EXPECT_EQ(parseError(npyV1("{'descr': '<f4")),
            "unparsable header dictionary: unterminated string at offset 14 "
            "(near \"\")");
  EXPECT_EQ(parseError(npyV1("{'descr': '<f4'")),
            "unparsable header dictionary: expected ',' or '}' at offset 15 "
            "(near \"\")");
  EXPECT_EQ(parseError(npyV1("{descr: 1}")),
            "unparsable header dictionary: expected a quoted string at offset "
            "1 (near \"descr: 1}\")");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(2,)") + "junk")),
            "unparsable header dictionary: unexpected text after the header "
            "dictionary at offset 58 (near \"junk\")");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(2,)", "0"))),
            "unparsable header dictionary: 'fortran_order' must be True or "
            "False at offset 34 (near \"0, 'shape': (2,), }\\n\")");
  EXPECT_EQ(parseError(npyV1(header("<f4", "[2]"))),
            "unparsable header dictionary: 'shape' must be a tuple at offset "
            "50 (near \"[2], }\\n\")");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(2, x)"))),
            "unparsable header dictionary: 'shape' must be a tuple of integers "
            "at offset 54 (near \"x), }\\n\")");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(2 3)"))),
            "unparsable header dictionary: expected ',' or ')' in 'shape' at "
            "offset 53 (near \"3), }\\n\")");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(3)"))),
            "'shape' must be a tuple, found a parenthesized integer");
  EXPECT_EQ(parseError(npyV1("{'descr': 4}")),
            "unparsable header dictionary: 'descr' must be a string at offset "
            "10 (near \"4}\")");
  // Non-printable bytes are escaped in the excerpt.
  EXPECT_EQ(parseError(npyV1(std::string("\x01\xff", 2))),
            "unparsable header dictionary: expected '{' at offset 0 (near "
            "\"\\x01\\xff\")");
}

TEST(NpyTest, RejectsMissingAndUnknownKeys) {
  EXPECT_EQ(parseError(npyV1("{'descr': '<f4', 'fortran_order': False}")),
            "the header has no 'shape' key");
  EXPECT_EQ(parseError(npyV1("{'shape': (), 'fortran_order': False}")),
            "the header has no 'descr' key");
  EXPECT_EQ(parseError(npyV1("{'descr': '<f4', 'shape': ()}")),
            "the header has no 'fortran_order' key");
  EXPECT_EQ(parseError(npyV1("{}")), "the header has no 'descr' key");
  EXPECT_EQ(parseError(npyV1("{'descr': '<f4', 'align': True}")),
            "unexpected key 'align' in the header (expected 'descr', "
            "'fortran_order' and 'shape')");
  EXPECT_EQ(parseError(npyV1("{'descr': '<f4', 'descr': '<f4'}")),
            "duplicate key 'descr' in the header");
}

TEST(NpyTest, RejectsUnsupportedLayouts) {
  EXPECT_EQ(parseError(kFortranF64),
            "Fortran-order arrays are not supported (save a C-order array, "
            "e.g. numpy.ascontiguousarray(a))");
  EXPECT_EQ(parseError(kBigEndianF32),
            "big-endian data (dtype '>f4') is not supported; save it as "
            "little-endian, e.g. with a.astype(a.dtype.newbyteorder('<'))");
  const std::string unsupported =
      "' (supported: bool, uint8, int8, int16, int32, int64, float16, "
      "float32, float64)";
  for (std::string descr : {"<u2", "<u8", "<c8", "|O", "<U10", "|S3", "<f16",
                            "<M8[ns]", "", "<", "<i", "<i4x", "<i99999999999"})
    EXPECT_EQ(parseError(npyV1(header(descr, "(1,)"), "12345678")),
              "unsupported dtype '" + descr + unsupported);
  EXPECT_EQ(parseError(npyV1("{'descr': [('a', '<i4')], 'fortran_order': "
                             "False, 'shape': (1,)}")),
            "structured dtypes (a list as 'descr') are not supported");
}

TEST(NpyTest, RejectsBadShapesAndData) {
  EXPECT_EQ(parseError(kF32Matrix.substr(0, kF32Matrix.size() - 4)),
            "truncated .npy file: shape (2, 3) of float32 needs 24 bytes of "
            "data, the file has 20");
  EXPECT_EQ(parseError(kF64Scalar.substr(0, 128)),
            "truncated .npy file: shape () of float64 needs 8 bytes of data, "
            "the file has 0");
  EXPECT_EQ(parseError(kU8Vector + "xy"),
            "damaged .npy file: 2 unexpected bytes after the 3 bytes of data "
            "for shape (3,) of uint8");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(-1,)"))),
            "negative dimension -1 in shape (-1,)");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(4611686018427387904, 4)"))),
            "shape (4611686018427387904, 4) is too large: its size in bytes "
            "overflows");
  EXPECT_EQ(parseError(npyV1(header("<f8", "(4294967296, 4294967296)"))),
            "shape (4294967296, 4294967296) is too large: its size in bytes "
            "overflows");
  // 2^61 float32 elements: the element count fits, the bytes do not.
  EXPECT_EQ(parseError(npyV1(header("<f4", "(2305843009213693952,)"))),
            "shape (2305843009213693952,) is too large: its size in bytes "
            "overflows");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(1000000000000,)"))),
            "truncated .npy file: shape (1000000000000,) of float32 needs "
            "4000000000000 bytes of data, the file has 0");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(99999999999999999999,)"))),
            "a dimension in 'shape' does not fit in 64 bits");
  EXPECT_EQ(parseError(npyV1(header("<f4", "(9223372036854775808,)"))),
            "a dimension in 'shape' does not fit in 64 bits");
}

TEST(NpyTest, EveryTruncationIsAnError) {
  for (const std::string *golden : {&kF32Matrix, &kI32V2, &kF64Scalar}) {
    for (size_t size = 0; size < golden->size(); ++size) {
      std::string prefix = golden->substr(0, size);
      // Copy into an exactly sized heap buffer so that sanitizers catch any
      // read past the end.
      std::vector<uint8_t> bytes(prefix.begin(), prefix.end());
      NpyArray out;
      std::string error;
      EXPECT_FALSE(parseNpy(bytes.data(), bytes.size(), out, error)) << size;
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(NpyTest, CorruptedBytesNeverCrash) {
  std::mt19937 rng(12345);
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string bytes = iteration % 2 ? kF32Matrix : kI32V3;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i)
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
    NpyArray out;
    std::string error;
    if (parseNpy(buffer.data(), buffer.size(), out, error)) {
      std::string check;
      EXPECT_TRUE(checkNpyArray(out, check)) << check;
    } else {
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(NpyTest, FailedParseLeavesOutputUnchanged) {
  NpyArray a = NpyArray::zeros(NpyDType::I16, {2});
  std::string error;
  EXPECT_FALSE(parse(kF32Matrix.substr(0, 140), a, error));
  EXPECT_EQ(a.dtype, NpyDType::I16);
  EXPECT_EQ(a.shape, std::vector<int64_t>{2});
  EXPECT_EQ(a.data.size(), 4u);
}

TEST(NpyTest, FileErrorsNameTheFile) {
  TempDir dir;
  NpyArray a;
  std::string error;
  EXPECT_FALSE(readNpy(dir / "missing.npy", a, error));
  EXPECT_EQ(error, "cannot read '" + (dir / "missing.npy") +
                       "': no such file or directory");
  ASSERT_TRUE(writeFileAtomic(dir / "bad.npy", kFortranF64.data(),
                              kFortranF64.size(), error));
  EXPECT_FALSE(readNpy(dir / "bad.npy", a, error));
  EXPECT_EQ(error, dir / "bad.npy" +
                       ": Fortran-order arrays are not supported (save a "
                       "C-order array, e.g. numpy.ascontiguousarray(a))");
  EXPECT_FALSE(readNpy(dir.path, a, error));
  EXPECT_EQ(error, "cannot read '" + dir.path + "': is a directory");
}

// readNpy reads the header, then exactly the data: for every damaged or
// truncated file it says what parseNpy says of the same bytes.
TEST(NpyTest, ReadNpyAgreesWithParseNpy) {
  TempDir dir;
  std::string path = dir / "a.npy";
  std::vector<std::string> files = {kF32Matrix,  kF64Scalar,   kI16Empty,
                                    kBoolVector, kI32V2,       kI32V3,
                                    kFortranF64, kBigEndianF32};
  files.push_back(kF32Matrix + "x"); // a byte too many
  files.push_back(npyV1(""));        // an empty header
  files.push_back(npyV1("{"));
  files.push_back(std::string("\x93NUMPY\x02\x00\xff\xff", 10)); // v2 cut
  for (const std::string &golden : files) {
    for (size_t len = 0; len <= golden.size(); ++len) {
      std::string bytes = golden.substr(0, len);
      {
        // Not writeFileAtomic: its fsync per file makes this test slow.
        FILE *f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
        std::fclose(f);
      }
      NpyArray fromFile, fromBytes;
      std::string fileError, bytesError;
      bool fileOk = readNpy(path, fromFile, fileError);
      bool bytesOk = parse(bytes, fromBytes, bytesError);
      ASSERT_EQ(fileOk, bytesOk) << len << " bytes: " << fileError;
      if (fileOk) {
        EXPECT_EQ(fromFile.shape, fromBytes.shape);
        EXPECT_EQ(fromFile.data, fromBytes.data);
      } else {
        EXPECT_EQ(fileError, path + ": " + bytesError) << len << " bytes";
      }
    }
  }
}

// Special files are refused at once (a FIFO would block, /dev/zero never
// ends), also through a link.
TEST(NpyTest, ReadNpyRefusesSpecialFiles) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo.npy").c_str(), 0600), 0);
  ASSERT_EQ(::symlink("/dev/zero", (dir / "zero.npy").c_str()), 0);
  ::alarm(30); // a hang fails the test instead of blocking ctest
  NpyArray a;
  std::string error;
  EXPECT_FALSE(readNpy("/dev/zero", a, error));
  EXPECT_EQ(error, "cannot read '/dev/zero': is a character device, not a "
                   "regular file");
  EXPECT_FALSE(readNpy(dir / "zero.npy", a, error));
  EXPECT_EQ(error, "cannot read '" + (dir / "zero.npy") +
                       "': is a character device, not a regular file");
  EXPECT_FALSE(readNpy(dir / "fifo.npy", a, error));
  EXPECT_EQ(error, "cannot read '" + (dir / "fifo.npy") +
                       "': is a FIFO (named pipe), not a regular file");
  ::alarm(0);
  // A link to a regular file reads the file.
  std::string ok = npyV1(header("|u1", "(2,)"), "\x01\x02");
  ASSERT_TRUE(writeFileAtomic(dir / "real.npy", ok.data(), ok.size(), error));
  ASSERT_EQ(::symlink("real.npy", (dir / "link.npy").c_str()), 0);
  ASSERT_TRUE(readNpy(dir / "link.npy", a, error)) << error;
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2}));
}

// The header bounds the data; the limits bound the header and the data, and
// a header claiming more than the file holds allocates nothing.
TEST(NpyTest, ReadNpyLimits) {
  TempDir dir;
  std::string path = dir / "a.npy";
  std::string error;
  // A header length over the limit (format 2.0: a 4-byte length).
  std::string bigHeader("\x93NUMPY\x02\x00", 8);
  uint32_t length = static_cast<uint32_t>(kMaxNpyHeaderBytes + 1);
  for (int i = 0; i < 4; ++i)
    bigHeader += static_cast<char>((length >> (8 * i)) & 0xff);
  bigHeader += std::string(64, ' ');
  ASSERT_TRUE(writeFileAtomic(path, bigHeader.data(), bigHeader.size(), error));
  NpyArray a;
  EXPECT_FALSE(readNpy(path, a, error));
  EXPECT_EQ(error, path + ": the header is 1.0 MiB long, more than the limit "
                          "of 1 MiB");
  // Data over the limit: refused from the header alone.
  std::string huge = npyV1(header("<f8", "(1024, 1024, 4096)"), "x");
  ASSERT_TRUE(writeFileAtomic(path, huge.data(), huge.size(), error));
  EXPECT_FALSE(readNpy(path, a, error));
  EXPECT_EQ(error, path + ": shape (1024, 1024, 4096) of float64 needs 32 GiB "
                          "of data, more than the limit of 16 GiB");
  // Under the limit but more than the file holds: the size check comes
  // before any allocation (a 4 GiB buffer would fail under this limit).
  struct rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_AS, &old), 0);
  std::string lying = npyV1(header("<f4", "(1024, 1024, 1024)"), "abcd");
  ASSERT_TRUE(writeFileAtomic(path, lying.data(), lying.size(), error));
  pid_t child = ::fork();
  if (child == 0) {
    // Room for 2 GiB more than the process maps now: not for 4 GiB.
    size_t pages = 0;
    if (FILE *f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%zu", &pages) != 1)
        pages = 0;
      std::fclose(f);
    }
    rlim_t now = static_cast<rlim_t>(pages) * ::sysconf(_SC_PAGESIZE);
    struct rlimit cap = {now + (rlim_t(2) << 30), old.rlim_max};
    ::setrlimit(RLIMIT_AS, &cap);
    NpyArray b;
    std::string childError;
    bool refused =
        !readNpy(path, b, childError) &&
        childError.find("truncated .npy file: shape (1024, 1024, "
                        "1024) of float32 needs 4294967296 bytes "
                        "of data, the file has 4") != std::string::npos;
    ::_exit(refused ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(NpyTest, WriteErrors) {
  TempDir dir;
  std::string error;
  NpyArray bad = NpyArray::zeros(NpyDType::F32, {2, 3});
  bad.data.pop_back();
  EXPECT_FALSE(checkNpyArray(bad, error));
  EXPECT_FALSE(writeNpy(dir / "bad.npy", bad, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "bad.npy") +
                       "': shape (2, 3) of float32 needs 24 bytes of data, "
                       "the array has 23");
  NpyArray negative;
  negative.dtype = NpyDType::U8;
  negative.shape = {2, -1};
  EXPECT_FALSE(writeNpy(dir / "neg.npy", negative, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "neg.npy") +
                       "': negative dimension -1 in shape (2, -1)");
  NpyArray good = NpyArray::zeros(NpyDType::F32, {2});
  EXPECT_FALSE(writeNpy(dir / "nodir/a.npy", good, error));
  EXPECT_EQ(error, "cannot write '" + (dir / "nodir/a.npy") + "': directory '" +
                       (dir / "nodir") + "' does not exist");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(NpyTest, DTypeNames) {
  EXPECT_EQ(npyDTypeDescr(NpyDType::Bool), "|b1");
  EXPECT_EQ(npyDTypeDescr(NpyDType::I64), "<i8");
  EXPECT_EQ(npyDTypeName(NpyDType::F16), "float16");
  EXPECT_EQ(npyDTypeSize(NpyDType::F64), 8u);
  EXPECT_EQ(NpyArray::zeros(NpyDType::I32, {}).numel(), 1u);
  EXPECT_EQ(NpyArray::zeros(NpyDType::I32, {4, 0}).numel(), 0u);
}

} // namespace
