// Bounded reads of regular files: every file attnc reads goes through here.
#ifndef ATTN_RUNTIME_FILEREAD_H
#define ATTN_RUNTIME_FILEREAD_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// What each format allows. A file over its limit is refused with an error
// naming the limit, before anything is allocated for it.

/// A `.attn` source file.
constexpr uint64_t kMaxSourceBytes = uint64_t(16) << 20; // 16 MiB
/// A `.npy` header (NumPy itself refuses headers over 10000 bytes by default).
constexpr uint64_t kMaxNpyHeaderBytes = uint64_t(1) << 20; // 1 MiB
/// The data of one `.npy` array.
constexpr uint64_t kMaxNpyDataBytes = uint64_t(16) << 30; // 16 GiB
/// A JIT cache entry (header, key and compiled code).
constexpr uint64_t kMaxCacheEntryBytes = uint64_t(256) << 20; // 256 MiB
/// A CUDA bundle's manifest.txt.
constexpr uint64_t kMaxManifestBytes = uint64_t(1) << 20; // 1 MiB
/// A CUDA bundle's cubin or PTX.
constexpr uint64_t kMaxBundleBinaryBytes = uint64_t(256) << 20; // 256 MiB
/// Anything else (attn::readFile).
constexpr uint64_t kMaxOtherFileBytes = uint64_t(1) << 30; // 1 GiB

/// strerror's text for file errors, lower-case for messages ("no such file
/// or directory", "permission denied", ...).
std::string errnoText(int err);

/// "16 MiB", "1.5 KiB", "12 bytes": sizes in messages.
std::string formatByteSize(uint64_t bytes);

struct OpenOptions {
  /// Refuse a symbolic link at the path itself (O_NOFOLLOW); by default a
  /// link to a regular file is read like the file.
  bool noFollow = false;
  /// Refuse a file that is not owned by the effective user or that others
  /// (group or world) may write: for files whose contents are trusted, such
  /// as JIT cache entries.
  bool trusted = false;
};

/// An open regular file, read from the start. Opening never blocks (a FIFO is
/// refused before it is opened, and opened O_NONBLOCK in case one was put in
/// place in between) and never follows a link when `noFollow` is set.
class RegularFile {
public:
  RegularFile() = default;
  RegularFile(const RegularFile &) = delete;
  RegularFile &operator=(const RegularFile &) = delete;
  ~RegularFile();

  /// Opens `path`; on failure `error` names the path and the cause (missing,
  /// permission denied, a directory, a FIFO, a device, a socket, a link when
  /// noFollow is set, not owned by the user when trusted is set).
  bool open(const std::string &path, std::string &error,
            const OpenOptions &options = {});
  /// The size fstat reported at open (0 for /proc files, which have
  /// contents nonetheless: read until the end).
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }

  /// Reads up to `n` bytes; `got` < n only at the end of the file.
  bool read(void *out, size_t n, size_t &got, std::string &error);
  /// Reads up to `maxBytes` bytes to the end of the file into `out`; a file
  /// with more is refused (it may have grown since open).
  bool readRest(uint64_t maxBytes, std::vector<uint8_t> &out,
                std::string &error);

private:
  int fd = -1;
  uint64_t size_ = 0;
  std::string path_;
};

/// Reads the whole regular file at `path` into `out` (replacing its
/// contents), refusing files larger than `maxBytes` and anything that is not
/// a regular file (see RegularFile::open). On failure `error` names the path
/// and the cause, `out` is left unchanged and false is returned.
bool readRegularFile(const std::string &path, uint64_t maxBytes,
                     std::vector<uint8_t> &out, std::string &error,
                     const OpenOptions &options = {});
/// The same, as text.
bool readRegularFile(const std::string &path, uint64_t maxBytes,
                     std::string &out, std::string &error,
                     const OpenOptions &options = {});

} // namespace attn

#endif // ATTN_RUNTIME_FILEREAD_H
