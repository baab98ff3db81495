// Bounded reads of regular files: every file attnc reads goes through here.
#include "support/FileRead.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attn {
namespace {

/// Why a file of this type cannot be read, or "" for a regular file.
std::string notRegular(mode_t mode) {
  if (S_ISREG(mode))
    return "";
  if (S_ISDIR(mode))
    return "is a directory";
  if (S_ISFIFO(mode))
    return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(mode))
    return "is a character device, not a regular file";
  if (S_ISBLK(mode))
    return "is a block device, not a regular file";
  if (S_ISSOCK(mode))
    return "is a socket, not a regular file";
  if (S_ISLNK(mode))
    return "is a symbolic link";
  return "is not a regular file";
}

} // namespace

std::string errnoText(int err) {
  switch (err) {
  case ENOENT:
    return "no such file or directory";
  case EACCES:
  case EPERM:
    return "permission denied";
  case EISDIR:
    return "is a directory";
  case ENOTDIR:
    return "a component of the path is not a directory";
  case ELOOP:
    return "too many levels of symbolic links";
  case EROFS:
    return "read-only file system";
  case ENOSPC:
    return "no space left on device";
  default:
    return std::generic_category().message(err);
  }
}

std::string formatByteSize(uint64_t bytes) {
  static const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024)
    return fmt::format("{} byte{}", bytes, bytes == 1 ? "" : "s");
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v >= 1024 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  if (v == static_cast<double>(static_cast<uint64_t>(v)))
    return fmt::format("{} {}", static_cast<uint64_t>(v), units[unit]);
  return fmt::format("{:.1f} {}", v, units[unit]);
}

RegularFile::~RegularFile() {
  if (fd >= 0)
    ::close(fd);
}

bool RegularFile::open(const std::string &path, std::string &error,
                       const OpenOptions &options) {
  if (path.empty()) {
    error = "cannot read file: the path is empty";
    return false;
  }
  auto fail = [&](const std::string &why) {
    error = fmt::format("cannot read '{}': {}", path, why);
    return false;
  };
  // Look before opening: opening a FIFO waits for a writer, and opening a
  // device may have side effects.
  struct stat before;
  int rc = options.noFollow ? ::lstat(path.c_str(), &before)
                            : ::stat(path.c_str(), &before);
  if (rc != 0)
    return fail(errnoText(errno));
  if (std::string why = notRegular(before.st_mode); !why.empty())
    return fail(why);
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  if (options.noFollow)
    flags |= O_NOFOLLOW;
  int newFd = ::open(path.c_str(), flags);
  if (newFd < 0) {
    int err = errno;
    return fail(err == ELOOP && options.noFollow ? "is a symbolic link"
                                                 : errnoText(err));
  }
  struct stat st;
  if (::fstat(newFd, &st) != 0) {
    int err = errno;
    ::close(newFd);
    return fail(errnoText(err));
  }
  // The path may have been replaced between the two looks (atomic writers
  // rename over it): what counts is what was opened.
  std::string why = notRegular(st.st_mode);
  if (why.empty() && options.trusted) {
    if (st.st_uid != ::geteuid())
      why = fmt::format("owned by user id {}, not by this user (id {})",
                        static_cast<long>(st.st_uid),
                        static_cast<long>(::geteuid()));
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
      why = fmt::format("writable by other users (mode {:04o})",
                        st.st_mode & 07777);
  }
  if (!why.empty()) {
    ::close(newFd);
    return fail(why);
  }
  if (fd >= 0)
    ::close(fd);
  fd = newFd;
  size_ = st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
  path_ = path;
  return true;
}

bool RegularFile::read(void *out, size_t n, size_t &got, std::string &error) {
  got = 0;
  auto *p = static_cast<uint8_t *>(out);
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      error = fmt::format("cannot read '{}': {}", path_, errnoText(errno));
      return false;
    }
    if (r == 0)
      break;
    got += static_cast<size_t>(r);
  }
  return true;
}

bool RegularFile::readRest(uint64_t maxBytes, std::vector<uint8_t> &out,
                           std::string &error) {
  auto tooLarge = [&] {
    error = fmt::format("cannot read '{}': the file is larger than the "
                        "limit of {}",
                        path_, formatByteSize(maxBytes));
    return false;
  };
  if (size_ > maxBytes)
    return tooLarge();
  // st_size is only a hint (/proc files report 0, and a file may grow while
  // it is read): read to the end, but never more than maxBytes + 1 bytes.
  uint64_t limit = maxBytes == UINT64_MAX ? maxBytes : maxBytes + 1;
  std::vector<uint8_t> bytes(static_cast<size_t>(std::min(size_ + 1, limit)));
  size_t used = 0;
  while (true) {
    size_t want = bytes.size() - used, got = 0;
    if (!read(bytes.data() + used, want, got, error))
      return false;
    used += got;
    if (used > maxBytes)
      return tooLarge();
    if (got < want)
      break; // the end of the file
    bytes.resize(static_cast<size_t>(std::min<uint64_t>(
        std::max<uint64_t>(uint64_t(used) * 2, 65536), limit)));
  }
  bytes.resize(used);
  out = std::move(bytes);
  return true;
}

bool readRegularFile(const std::string &path, uint64_t maxBytes,
                     std::vector<uint8_t> &out, std::string &error,
                     const OpenOptions &options) {
  RegularFile file;
  if (!file.open(path, error, options))
    return false;
  return file.readRest(maxBytes, out, error);
}

bool readRegularFile(const std::string &path, uint64_t maxBytes,
                     std::string &out, std::string &error,
                     const OpenOptions &options) {
  std::vector<uint8_t> bytes;
  if (!readRegularFile(path, maxBytes, bytes, error, options))
    return false;
  out.assign(bytes.begin(), bytes.end());
  return true;
}

} // namespace attn
