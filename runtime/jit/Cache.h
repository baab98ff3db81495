//===- Cache.h - the on-disk JIT cache --------------------------*- C++ -*-===//
//
// $ATTNC_CACHE_DIR, else $XDG_CACHE_HOME/attnc, else ~/.cache/attnc ($HOME,
// else the home directory of the user's passwd entry), then
// <attnc version>/<target>/<hash>.bin. An entry holds a header (magic,
// format version, the full key, payload size and checksum) and the payload;
// a damaged entry never loads. Writes are atomic (temporary + rename), so
// concurrent processes are safe; an unwritable directory only warns.
//
// The entries are code this process runs, so only the user's own files are
// trusted: every directory of the cache must be owned by the user and not
// writable by group or others (created 0700), its ancestors must not let
// others replace it, and an entry must be a regular file owned by the user
// and not writable by others (written 0600). Otherwise the disk is not used
// (one warning; compiled code is kept in memory) or the entry is ignored and
// rebuilt. The checksum only detects accidental damage.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_JIT_CACHE_H
#define ATTN_RUNTIME_JIT_CACHE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn::jit {

/// The cache root (without version and target); "" when there is none (no
/// variable set and no home directory).
std::string cacheRoot();

/// "" when `dir`, an existing directory, may hold the cache: owned by this
/// user and not writable by group or others, with ancestors that are owned
/// by the user or root and are not writable by others unless sticky (like
/// /tmp). Else why not, for messages.
std::string checkCacheDirectory(const std::string &dir);

/// 64-bit FNV-1a.
uint64_t fnv1a(const void *data, size_t size, uint64_t seed = 0xcbf29ce484222325ULL);

struct CacheEntryInfo {
  std::string path, target;
  uint64_t size = 0;
  bool valid = false;
  /// Why the entry is not valid ("" when it is).
  std::string problem;
};

class JitCache {
public:
  /// `target` names the code kind, e.g. "cpu-x86_64".
  explicit JitCache(std::string target);

  /// The payload stored for `key`, if present, intact and trusted.
  std::optional<std::vector<char>> load(const std::string &key) const;
  /// The payload this process remembered for `key` (see remember), else
  /// load(key).
  std::optional<std::vector<char>> lookup(const std::string &key) const;
  /// Keeps `payload` in memory for the rest of the process, for this target
  /// whatever the cache directory (the disk is untouched: see store).
  void remember(const std::string &key, const std::vector<char> &payload) const;
  /// Stores atomically; on failure warns once on stderr and returns false.
  bool store(const std::string &key, const std::vector<char> &payload) const;
  /// Drops the entry for `key` from memory and disk: for a payload that
  /// decoded but turned out unusable (e.g. object code that does not load),
  /// so it is rebuilt instead of failing every later run.
  void discard(const std::string &key) const;
  /// The file an entry for `key` lives in.
  std::string entryPath(const std::string &key) const;

  /// Every entry under the root (all versions and targets), including files
  /// named like entries that are not regular files (invalid).
  static std::vector<CacheEntryInfo> list();
  /// Removes every entry; returns the number removed or -1 with `error`.
  static int64_t clear(std::string &error);

private:
  /// Whether the cache directories may be used (creating them when
  /// `create`); warns once when they exist but are not trusted.
  bool usable(bool create) const;

  std::string target, root, dir;
};

/// Serializes and checks the entry format (exposed for tests).
std::vector<char> encodeEntry(const std::string &key,
                              const std::vector<char> &payload);
std::optional<std::vector<char>> decodeEntry(const std::vector<uint8_t> &bytes,
                                             const std::string &key);
/// The key stored in an entry's header, if the header is well formed (the
/// checksum is not checked: see decodeEntry).
std::optional<std::string> entryKey(const std::vector<uint8_t> &bytes);

} // namespace attn::jit

#endif // ATTN_RUNTIME_JIT_CACHE_H
