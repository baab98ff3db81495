// Unit tests for support/FileRead: bounded reads of regular files only.
#include "support/FileRead.h"
#include "attn/attn.h"
#include "runtime/cuda/Bundle.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace attn;
namespace fs = std::filesystem;

namespace {

class FileReadTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "attn-fileread-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    // A test that would block (opening a FIFO) fails instead of hanging.
    ::alarm(60);
  }
  void TearDown() override {
    ::alarm(0);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string &name) const { return dir + "/" + name; }
  void write(const std::string &name, const std::string &bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  /// The error of reading `p` (which must fail).
  std::string failure(const std::string &p, uint64_t max = 1 << 20,
                      const OpenOptions &options = {}) const {
    std::vector<uint8_t> out{7};
    std::string error;
    EXPECT_FALSE(readRegularFile(p, max, out, error, options)) << p;
    EXPECT_EQ(out, std::vector<uint8_t>{7}) << "out changed on failure";
    return error;
  }
  std::string dir;
};

TEST_F(FileReadTest, ReadsRegularFilesUpToTheLimit) {
  std::string bytes(100000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 13);
  write("a", bytes);
  write("empty", "");
  std::string text, error;
  ASSERT_TRUE(readRegularFile(path("a"), bytes.size(), text, error)) << error;
  EXPECT_EQ(text, bytes);
  ASSERT_TRUE(readRegularFile(path("empty"), 0, text, error)) << error;
  EXPECT_EQ(text, "");
  EXPECT_EQ(failure(path("a"), bytes.size() - 1),
            "cannot read '" + path("a") +
                "': the file is larger than the limit of 97.7 KiB");
}

TEST_F(FileReadTest, TheLimitHoldsWhenTheSizeIsUnknown) {
  // /proc files report size 0: read to the end, but never past the limit.
  std::string text, error;
  ASSERT_TRUE(readRegularFile("/proc/self/status", 1 << 20, text, error))
      << error;
  EXPECT_NE(text.find("Name:"), std::string::npos);
  EXPECT_EQ(failure("/proc/self/status", 10),
            "cannot read '/proc/self/status': the file is larger than the "
            "limit of 10 bytes");
}

TEST_F(FileReadTest, RefusesEverythingButRegularFiles) {
  EXPECT_EQ(failure("/dev/zero"),
            "cannot read '/dev/zero': is a character device, not a regular "
            "file");
  EXPECT_EQ(failure(dir), "cannot read '" + dir + "': is a directory");
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_EQ(failure(path("fifo")),
            "cannot read '" + path("fifo") +
                "': is a FIFO (named pipe), not a regular file");
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sockPath = path("sock");
  ASSERT_LT(sockPath.size(), sizeof(addr.sun_path));
  std::copy(sockPath.begin(), sockPath.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(failure(sockPath),
            "cannot read '" + sockPath + "': is a socket, not a regular file");
  ::close(sock);
  EXPECT_EQ(failure(path("missing")),
            "cannot read '" + path("missing") + "': no such file or directory");
  EXPECT_EQ(failure(""), "cannot read file: the path is empty");
}

TEST_F(FileReadTest, LinksAreFollowedUnlessNoFollow) {
  write("real", "contents");
  ASSERT_EQ(::symlink("real", path("link").c_str()), 0);
  ASSERT_EQ(::symlink("/dev/zero", path("zero").c_str()), 0);
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  ASSERT_EQ(::symlink("fifo", path("tofifo").c_str()), 0);
  std::string text, error;
  ASSERT_TRUE(readRegularFile(path("link"), 100, text, error)) << error;
  EXPECT_EQ(text, "contents");
  EXPECT_EQ(failure(path("zero")),
            "cannot read '" + path("zero") +
                "': is a character device, not a regular file");
  EXPECT_EQ(failure(path("tofifo")),
            "cannot read '" + path("tofifo") +
                "': is a FIFO (named pipe), not a regular file");
  OpenOptions noFollow;
  noFollow.noFollow = true;
  EXPECT_EQ(failure(path("link"), 100, noFollow),
            "cannot read '" + path("link") + "': is a symbolic link");
  ASSERT_TRUE(readRegularFile(path("real"), 100, text, error, noFollow))
      << error;
}

TEST_F(FileReadTest, TrustedFilesBelongToTheUserAlone) {
  write("mine", "code");
  ASSERT_EQ(::chmod(path("mine").c_str(), 0600), 0);
  OpenOptions trusted;
  trusted.trusted = true;
  std::string text, error;
  ASSERT_TRUE(readRegularFile(path("mine"), 100, text, error, trusted))
      << error;
  ASSERT_EQ(::chmod(path("mine").c_str(), 0666), 0);
  EXPECT_EQ(failure(path("mine"), 100, trusted),
            "cannot read '" + path("mine") +
                "': writable by other users (mode 0666)");
  ASSERT_EQ(::chmod(path("mine").c_str(), 0620), 0);
  EXPECT_EQ(failure(path("mine"), 100, trusted),
            "cannot read '" + path("mine") +
                "': writable by other users (mode 0620)");
  // Only root can give a file away.
  if (::geteuid() == 0) {
    ASSERT_EQ(::chmod(path("mine").c_str(), 0600), 0);
    ASSERT_EQ(::chown(path("mine").c_str(), 65534, 65534), 0);
    EXPECT_EQ(failure(path("mine"), 100, trusted),
              "cannot read '" + path("mine") +
                  "': owned by user id 65534, not by this user (id 0)");
    // Untrusted reads do not care who owns the file.
    ASSERT_TRUE(readRegularFile(path("mine"), 100, text, error)) << error;
  }
}

// CUDA bundles are read the same way.
TEST_F(FileReadTest, BundlesRefuseSpecialFiles) {
  auto errorOf = [&](const std::string &d) {
    try {
      cuda::Bundle::read(d);
    } catch (const Error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ASSERT_EQ(::mkfifo(path("manifest.txt").c_str(), 0600), 0);
  EXPECT_EQ(errorOf(dir), "cannot read '" + path("manifest.txt") +
                              "': is a FIFO (named pipe), not a regular file");
  ::unlink(path("manifest.txt").c_str());
  cuda::Bundle b;
  b.pattern = "p";
  b.arch = "sm_90a";
  b.format = "cubin";
  b.variants.push_back({"bf16", 64, 1024, 4});
  b.binary = "binary";
  b.write(dir);
  EXPECT_EQ(cuda::Bundle::read(dir).binary, "binary");
  ::unlink(path("kernels.cubin").c_str());
  ASSERT_EQ(::symlink("/dev/zero", path("kernels.cubin").c_str()), 0);
  EXPECT_EQ(errorOf(dir), "cannot read '" + path("kernels.cubin") +
                              "': is a character device, not a regular file");
}

TEST(FileReadSizes, Format) {
  EXPECT_EQ(formatByteSize(0), "0 bytes");
  EXPECT_EQ(formatByteSize(1), "1 byte");
  EXPECT_EQ(formatByteSize(1023), "1023 bytes");
  EXPECT_EQ(formatByteSize(1024), "1 KiB");
  EXPECT_EQ(formatByteSize(1536), "1.5 KiB");
  EXPECT_EQ(formatByteSize(kMaxSourceBytes), "16 MiB");
  EXPECT_EQ(formatByteSize(kMaxNpyDataBytes), "16 GiB");
}

} // namespace
