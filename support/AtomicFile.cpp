// Whole-file reads and crash-safe whole-file writes (temporary file + rename).
#include "support/AtomicFile.h"
#include "support/FileRead.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attn {
namespace {

/// The directory holding `path` ("." for a bare name).
std::string parentDir(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// What a non-regular file is, for messages.
const char *fileKind(mode_t mode) {
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISDIR(mode))
    return "a directory";
  return "not a regular file";
}

/// The file a chain of symbolic links at `path` ends in (`path` itself when
/// it is not a link). The end may not exist yet (a dangling link names the
/// file to create). False with `error` on a loop or an unreadable link.
bool resolveLinks(const std::string &path, std::string &out,
                  std::string &error) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      out = current;
      return true;
    }
    std::vector<char> target(
        static_cast<size_t>(st.st_size > 0 ? st.st_size + 1 : 4096));
    ssize_t n = ::readlink(current.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<size_t>(n) >= target.size()) {
      error = fmt::format("cannot write '{}': cannot read the symbolic link "
                          "'{}'",
                          path, current);
      return false;
    }
    std::string next(target.data(), static_cast<size_t>(n));
    if (next.empty() || next[0] != '/') {
      size_t slash = current.find_last_of('/');
      if (slash != std::string::npos)
        next = current.substr(0, slash + 1) + next;
    }
    current = next;
  }
  error =
      fmt::format("cannot write '{}': too many levels of symbolic links", path);
  return false;
}

std::string baseName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

uint64_t randomBits() {
  uint64_t bits = 0;
  if (getrandom(&bits, sizeof(bits), GRND_NONBLOCK) != sizeof(bits)) {
    // No entropy available yet: the pid and O_EXCL already make clashes
    // harmless, the clock and a counter only make them unlikely.
    static std::atomic<uint64_t> counter{0};
    bits = static_cast<uint64_t>(
               std::chrono::steady_clock::now().time_since_epoch().count()) ^
           (counter.fetch_add(1) * 0x9e3779b97f4a7c15ull);
  }
  return bits;
}

bool writeAll(int fd, const uint8_t *data, size_t size, int &err) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      err = errno;
      return false;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

} // namespace

/// writeFileAtomic, or with `replaceAny` replaceFileAtomic.
static bool writeOrReplace(const std::string &userPath, const void *data,
                           size_t size, std::string &error, int mode,
                           bool replaceAny) {
  if (userPath.empty()) {
    error = "cannot write file: the path is empty";
    return false;
  }
  // Only a regular file can be replaced by renaming a temporary over it: a
  // device, FIFO or socket (even behind a link) is refused, not replaced.
  struct stat existing;
  if (!replaceAny && ::stat(userPath.c_str(), &existing) == 0 &&
      !S_ISREG(existing.st_mode) &&
      !S_ISDIR(existing.st_mode)) {
    error = fmt::format("cannot write '{}': it is {}, not a regular file "
                        "(outputs are written to a temporary file that is "
                        "renamed into place)",
                        userPath, fileKind(existing.st_mode));
    return false;
  }
  // A symbolic link is written through: its target is replaced, the link
  // stays.
  std::string path = userPath;
  if (!replaceAny && !resolveLinks(userPath, path, error))
    return false;
  // Messages name the path given, and the link's target when it differs.
  std::string shown =
      path == userPath ? path : fmt::format("{}' -> '{}", userPath, path);
  std::string dir = parentDir(path);
  std::string base = baseName(path);
  if (base.empty() || base == "." || base == "..") {
    error = fmt::format("cannot write '{}': is a directory", shown);
    return false;
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT)
      error = fmt::format("cannot write '{}': directory '{}' does not exist",
                          shown, dir);
    else
      error = fmt::format("cannot write '{}': cannot access directory '{}': {}",
                          shown, dir, errnoText(err));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    error =
        fmt::format("cannot write '{}': '{}' is not a directory", shown, dir);
    return false;
  }
  struct stat target;
  bool targetExists = ::stat(path.c_str(), &target) == 0;
  if (targetExists && S_ISDIR(target.st_mode)) {
    error = fmt::format("cannot write '{}': is a directory", shown);
    return false;
  }

  // Keep the temporary's name within NAME_MAX even for long target names.
  std::string stem = base.size() > 128 ? base.substr(0, 128) : base;
  std::string tempPath;
  int fd = -1;
  for (int attempt = 0; attempt < 32 && fd < 0; ++attempt) {
    tempPath = fmt::format("{}/.{}.tmp.{}.{:016x}", dir, stem,
                           static_cast<long>(::getpid()), randomBits());
    fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                mode >= 0 ? (mode & 0777) : 0666);
    if (fd < 0 && errno != EEXIST) {
      int err = errno;
      if (err == EACCES || err == EPERM)
        error = fmt::format(
            "cannot write '{}': permission denied (cannot create files in "
            "directory '{}')",
            shown, dir);
      else
        error = fmt::format("cannot write '{}': {}", shown, errnoText(err));
      return false;
    }
  }
  if (fd < 0) {
    error = fmt::format(
        "cannot write '{}': could not create a unique temporary file in '{}'",
        shown, dir);
    return false;
  }

  auto fail = [&](int err, const char *what) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(tempPath.c_str());
    error = fmt::format("cannot write '{}': {}{}", shown, what, errnoText(err));
    return false;
  };

  if (mode >= 0) {
    if (::fchmod(fd, static_cast<mode_t>(mode & 07777)) != 0)
      return fail(errno, "cannot set its permissions: ");
  } else if (targetExists && S_ISREG(target.st_mode)) {
    (void)::fchmod(fd, target.st_mode & 07777); // Best effort.
  }
  int err = 0;
  if (!writeAll(fd, static_cast<const uint8_t *>(data), size, err))
    return fail(err, "");
  if (::fsync(fd) != 0)
    return fail(errno, "fsync failed: ");
  int closeResult = ::close(fd);
  fd = -1;
  if (closeResult != 0)
    return fail(errno, "");
  if (::rename(tempPath.c_str(), path.c_str()) != 0)
    return fail(errno, "rename failed: ");

  // Make the rename itself durable; failure here cannot be undone, and the
  // file is already complete, so it is not reported.
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    (void)::fsync(dirFd);
    ::close(dirFd);
  }
  return true;
}

bool writeFileAtomic(const std::string &userPath, const void *data, size_t size,
                     std::string &error, int mode) {
  return writeOrReplace(userPath, data, size, error, mode, false);
}

bool replaceFileAtomic(const std::string &path, const void *data, size_t size,
                       std::string &error, int mode) {
  return writeOrReplace(path, data, size, error, mode, true);
}

bool readFile(const std::string &path, std::vector<uint8_t> &out,
              std::string &error) {
  return readRegularFile(path, kMaxOtherFileBytes, out, error);
}

} // namespace attn
