// Unit tests for writeFileAtomic on what is not a plain new or regular file:
// symbolic links are written through, devices, FIFOs and sockets refused.
#include "support/AtomicFile.h"
#include "TempDir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

using namespace attn;
namespace fs = std::filesystem;

namespace {

using attn::test::readAll;
using attn::test::TempDir;

bool write(const std::string &path, const std::string &text,
           std::string &error) {
  return writeFileAtomic(path, text.data(), text.size(), error);
}

TEST(AtomicFileLinkTest, WritesThroughASymlink) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(write(dir / "target", "old", error)) << error;
  ASSERT_EQ(::chmod((dir / "target").c_str(), 0640), 0);
  fs::create_symlink("target", dir / "link"); // relative to the link's dir
  ASSERT_TRUE(write(dir / "link", "new", error)) << error;
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(fs::read_symlink(dir / "link"), "target");
  EXPECT_EQ(readAll(dir / "target"), "new");
  EXPECT_EQ(fs::status(dir / "target").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write |
                fs::perms::group_read);
  // No temporary is left behind, here or anywhere.
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"link", "target"}));
}

TEST(AtomicFileLinkTest, FollowsChainsAndCreatesADanglingTarget) {
  TempDir dir;
  fs::create_directory(dir / "sub");
  fs::create_symlink(dir / "sub/new.txt", dir / "inner"); // absolute
  fs::create_symlink("inner", dir / "outer");
  std::string error;
  ASSERT_TRUE(write(dir / "outer", "made", error)) << error;
  EXPECT_EQ(readAll(dir / "sub/new.txt"), "made");
  EXPECT_TRUE(fs::is_symlink(dir / "outer"));
  EXPECT_TRUE(fs::is_symlink(dir / "inner"));
}

TEST(AtomicFileLinkTest, DanglingLinkIntoAMissingDirectoryNamesBoth) {
  TempDir dir;
  fs::create_symlink("nowhere/out.txt", dir / "link");
  std::string error;
  EXPECT_FALSE(write(dir / "link", "x", error));
  EXPECT_NE(error.find(dir / "link"), std::string::npos) << error;
  EXPECT_NE(error.find("nowhere"), std::string::npos) << error;
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
}

TEST(AtomicFileLinkTest, LinkLoopsAreErrors) {
  TempDir dir;
  fs::create_symlink("b", dir / "a");
  fs::create_symlink("a", dir / "b");
  std::string error;
  EXPECT_FALSE(write(dir / "a", "x", error));
  EXPECT_NE(error.find("symbolic links"), std::string::npos) << error;
  EXPECT_TRUE(fs::is_symlink(dir / "a"));
  EXPECT_TRUE(fs::is_symlink(dir / "b"));
}

TEST(AtomicFileLinkTest, RefusesFifos) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  fs::create_symlink("fifo", dir / "to-fifo");
  for (const char *name : {"fifo", "to-fifo"}) {
    std::string error;
    EXPECT_FALSE(write(dir / name, "x", error));
    EXPECT_NE(error.find("a FIFO (named pipe), not a regular file"),
              std::string::npos)
        << error;
  }
  EXPECT_TRUE(fs::is_fifo(dir / "fifo"));
  EXPECT_TRUE(fs::is_symlink(dir / "to-fifo"));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"fifo", "to-fifo"}));
}

// A device node of our own (the machine's /dev/null is never a target: were
// the check broken, a root test run would replace it). Creating one needs
// CAP_MKNOD; without it the FIFO and socket tests cover the same check.
TEST(AtomicFileLinkTest, RefusesDevices) {
  TempDir dir;
  if (::mknod((dir / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot create a device node here";
  fs::create_symlink("null", dir / "to-null");
  for (const char *name : {"null", "to-null"}) {
    std::string error;
    EXPECT_FALSE(write(dir / name, "x", error));
    EXPECT_NE(error.find("a character device, not a regular file"),
              std::string::npos)
        << error;
  }
  EXPECT_TRUE(fs::is_character_file(dir / "null"));
  EXPECT_TRUE(fs::is_symlink(dir / "to-null"));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"null", "to-null"}));
}

TEST(AtomicFileLinkTest, RefusesSockets) {
  TempDir dir;
  std::string path = dir / "sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
  std::string error;
  EXPECT_FALSE(write(path, "x", error));
  EXPECT_NE(error.find("a socket"), std::string::npos) << error;
  ::close(fd);
  EXPECT_TRUE(fs::is_socket(path));
}

TEST(AtomicFileLinkTest, LinkToADirectoryIsADirectory) {
  TempDir dir;
  fs::create_directory(dir / "d");
  fs::create_symlink("d", dir / "link");
  std::string error;
  EXPECT_FALSE(write(dir / "link", "x", error));
  EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
  EXPECT_TRUE(fs::is_empty(dir / "d"));
}

} // namespace
