//===- Cache.h - the on-disk JIT cache --------------------------*- C++ -*-===//
//
// $ATTNC_CACHE_DIR, else $XDG_CACHE_HOME/attnc, else ~/.cache/attnc, then
// <attnc version>/<target>/<hash>.bin. An entry holds a header (magic,
// format version, the full key, payload size and checksum) and the payload;
// a damaged entry never loads. Writes are atomic (temporary + rename), so
// concurrent processes are safe; an unwritable directory only warns.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_JIT_CACHE_H
#define ATTN_RUNTIME_JIT_CACHE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn::jit {

/// The cache root (without version and target).
std::string cacheRoot();

/// 64-bit FNV-1a.
uint64_t fnv1a(const void *data, size_t size, uint64_t seed = 0xcbf29ce484222325ULL);

struct CacheEntryInfo {
  std::string path, target;
  uint64_t size = 0;
  bool valid = false;
};

class JitCache {
public:
  /// `target` names the code kind, e.g. "cpu-x86_64".
  explicit JitCache(std::string target);

  /// The payload stored for `key`, if present and intact.
  std::optional<std::vector<char>> load(const std::string &key) const;
  /// The payload this process remembered for `key` (see remember), else
  /// load(key).
  std::optional<std::vector<char>> lookup(const std::string &key) const;
  /// Keeps `payload` in memory for the rest of the process, for this target
  /// whatever the cache directory (the disk is untouched: see store).
  void remember(const std::string &key, const std::vector<char> &payload) const;
  /// Stores atomically; on failure warns once on stderr and returns false.
  bool store(const std::string &key, const std::vector<char> &payload) const;
  /// The file an entry for `key` lives in.
  std::string entryPath(const std::string &key) const;

  /// Every entry under the root (all versions and targets).
  static std::vector<CacheEntryInfo> list();
  /// Removes every entry; returns the number removed or -1 with `error`.
  static int64_t clear(std::string &error);

private:
  std::string target, dir;
};

/// Serializes and checks the entry format (exposed for tests).
std::vector<char> encodeEntry(const std::string &key,
                              const std::vector<char> &payload);
std::optional<std::vector<char>> decodeEntry(const std::vector<uint8_t> &bytes,
                                             const std::string &key);

} // namespace attn::jit

#endif // ATTN_RUNTIME_JIT_CACHE_H
