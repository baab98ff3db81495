// Whole-file reads and crash-safe whole-file writes (temporary file + rename).
#ifndef ATTN_RUNTIME_ATOMICFILE_H
#define ATTN_RUNTIME_ATOMICFILE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

/// Writes `size` bytes to `path` atomically: the bytes go to a uniquely named
/// temporary file in the same directory (".<name>.tmp.<pid>.<random>"), which
/// is fsync'ed and then renamed over `path`. Readers therefore see either the
/// old file or the complete new one, and concurrent writers of the same path
/// are safe (the last rename wins). An existing target keeps its permission
/// bits. On failure the temporary is removed, an existing target is left
/// untouched, `error` names the path and the cause, and false is returned.
/// Only regular files are replaced: when `path` is (or a link at `path`
/// leads to) a device, FIFO or socket, nothing is written and the error
/// says so. A symbolic link is written through: the file it points to is
/// replaced (created when the link dangles) and the link stays.
/// A `mode` >= 0 gives the new file exactly those permission bits instead
/// (e.g. 0600).
bool writeFileAtomic(const std::string &path, const void *data, size_t size,
                     std::string &error, int mode = -1);

/// writeFileAtomic for a path the caller owns (the JIT cache's entries):
/// whatever is at `path` itself (a symbolic link, a FIFO, a device node
/// planted there) is replaced by the new regular file, never followed or
/// written into.
bool replaceFileAtomic(const std::string &path, const void *data, size_t size,
                       std::string &error, int mode = -1);

/// Reads the whole file at `path` into `out` (replacing its contents): a
/// regular file of at most 1 GiB (see readRegularFile in support/FileRead.h,
/// which takes a format's own limit). On failure (missing, a directory, a
/// FIFO or device, too large, unreadable) `error` names the path and the
/// cause, `out` is left unchanged and false is returned.
bool readFile(const std::string &path, std::vector<uint8_t> &out,
              std::string &error);

} // namespace attn

#endif // ATTN_RUNTIME_ATOMICFILE_H
