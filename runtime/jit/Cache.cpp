//===- Cache.cpp - the on-disk JIT cache ----------------------------------===//
#include "runtime/jit/Cache.h"
#include "support/AtomicFile.h"
#include "support/FileRead.h"
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <mutex>
#include <pwd.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace attn::jit;

#ifndef ATTNC_VERSION
#define ATTNC_VERSION "0.1.0"
#endif

namespace {
constexpr char kMagic[8] = {'A', 'T', 'T', 'N', 'C', 'J', 'I', 'T'};
constexpr uint32_t kFormat = 1;

void putU64(std::vector<char> &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t getU64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}
} // namespace

uint64_t attn::jit::fnv1a(const void *data, size_t size, uint64_t h) {
  auto *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string attn::jit::cacheRoot() {
  if (const char *d = std::getenv("ATTNC_CACHE_DIR"); d && *d)
    return d;
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x == '/')
    return std::string(x) + "/attnc";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/attnc";
  // No HOME (daemons, some containers): the passwd entry's home, never a
  // shared place such as /tmp.
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<size_t>(hint) : 16384);
  struct passwd pw, *found = nullptr;
  while (::getpwuid_r(::geteuid(), &pw, buffer.data(), buffer.size(), &found) ==
             ERANGE &&
         buffer.size() < (size_t(1) << 20))
    buffer.resize(buffer.size() * 2);
  if (found && found->pw_dir && *found->pw_dir == '/')
    return std::string(found->pw_dir) + "/.cache/attnc";
  return "";
}

namespace {
/// "" when `st` (a directory) is owned by this user and only it can write.
std::string ownDirectoryProblem(const std::string &path,
                                const struct stat &st) {
  if (!S_ISDIR(st.st_mode))
    return fmt::format("'{}' is not a directory", path);
  if (st.st_uid != ::geteuid())
    return fmt::format("'{}' is owned by user id {}, not by this user (id {})",
                       path, static_cast<long>(st.st_uid),
                       static_cast<long>(::geteuid()));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fmt::format("'{}' is writable by other users (mode {:04o})", path,
                       st.st_mode & 07777);
  return "";
}
} // namespace

std::string attn::jit::checkCacheDirectory(const std::string &dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return fmt::format("cannot access '{}': {}", dir, std::strerror(errno));
  if (std::string why = ownDirectoryProblem(dir, st); !why.empty())
    return why;
  // Whoever can write an ancestor can replace the whole directory: each must
  // belong to the user or root and be writable by nobody else, unless it is
  // sticky (like /tmp: others cannot rename what they do not own).
  char *real = ::realpath(dir.c_str(), nullptr);
  if (!real)
    return fmt::format("cannot resolve '{}': {}", dir, std::strerror(errno));
  fs::path path(real);
  std::free(real);
  for (fs::path p = path.parent_path();; p = p.parent_path()) {
    if (::stat(p.c_str(), &st) != 0)
      return fmt::format("cannot access '{}': {}", p.string(),
                         std::strerror(errno));
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
      return fmt::format("the directory '{}' above it is owned by user id {}, "
                         "who could replace it",
                         p.string(), static_cast<long>(st.st_uid));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
      return fmt::format("the directory '{}' above it is writable by other "
                         "users (mode {:04o}), who could replace it",
                         p.string(), st.st_mode & 07777);
    if (p == p.parent_path())
      break;
  }
  return "";
}

std::vector<char> attn::jit::encodeEntry(const std::string &key,
                                         const std::vector<char> &payload) {
  std::vector<char> out(kMagic, kMagic + 8);
  putU64(out, kFormat);
  putU64(out, key.size());
  putU64(out, payload.size());
  // The checksum covers the key too: a damaged key is a damaged entry.
  putU64(out, fnv1a(payload.data(), payload.size(),
                    fnv1a(key.data(), key.size())));
  out.insert(out.end(), key.begin(), key.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

namespace {
constexpr size_t kHeader = 8 + 4 * 8;
} // namespace

std::optional<std::string>
attn::jit::entryKey(const std::vector<uint8_t> &bytes) {
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, 8) != 0 ||
      getU64(&bytes[8]) != kFormat)
    return std::nullopt;
  // Compared without adding to the field: a damaged size must not wrap.
  uint64_t keySize = getU64(&bytes[16]), size = getU64(&bytes[24]);
  if (keySize > bytes.size() - kHeader ||
      size != bytes.size() - kHeader - keySize)
    return std::nullopt;
  return std::string(bytes.begin() + kHeader,
                     bytes.begin() + kHeader + keySize);
}

std::optional<std::vector<char>>
attn::jit::decodeEntry(const std::vector<uint8_t> &bytes,
                       const std::string &key) {
  std::optional<std::string> stored = entryKey(bytes);
  if (!stored || *stored != key)
    return std::nullopt;
  std::vector<char> payload(bytes.begin() + kHeader + key.size(), bytes.end());
  if (fnv1a(payload.data(), payload.size(), fnv1a(key.data(), key.size())) !=
      getU64(&bytes[32]))
    return std::nullopt;
  return payload;
}

JitCache::JitCache(std::string target)
    : target(target), root(cacheRoot()),
      dir(root.empty() ? "" : root + "/" + ATTNC_VERSION + "/" + target) {}

namespace {
std::mutex memoryMutex;
/// (target, key) -> payload, for the whole process.
std::map<std::pair<std::string, std::string>, std::vector<char>> memoryCache;
} // namespace

std::optional<std::vector<char>>
JitCache::lookup(const std::string &key) const {
  {
    std::lock_guard<std::mutex> lock(memoryMutex);
    if (auto it = memoryCache.find({target, key}); it != memoryCache.end())
      return it->second;
  }
  return load(key);
}

void JitCache::remember(const std::string &key,
                        const std::vector<char> &payload) const {
  std::lock_guard<std::mutex> lock(memoryMutex);
  memoryCache[{target, key}] = payload;
}

std::string JitCache::entryPath(const std::string &key) const {
  return fmt::format("{}/{:016x}.bin", dir, fnv1a(key.data(), key.size()));
}

namespace {
/// One warning per process about the cache, whatever the cause.
std::atomic<bool> warned{false};

void warnOnce(const std::string &text) {
  if (!warned.exchange(true))
    fmt::print(stderr,
               "attnc: warning: {}; compiled code is kept in memory only\n",
               text);
}

/// Entries are code: only regular files of this user that nobody else may
/// write are read, and a link is not followed.
const attn::OpenOptions kEntryOpen{/*noFollow=*/true, /*trusted=*/true};
} // namespace

namespace {
/// mkdir -p with mode 0700 for every directory it creates (as XDG asks for
/// the cache's parents too); "" or the error.
std::string makePrivateDirectories(const std::string &path) {
  fs::path sofar;
  for (const fs::path &part : fs::path(path)) {
    sofar /= part;
    if (part == "/" || part.empty())
      continue;
    if (::mkdir(sofar.c_str(), 0700) != 0 && errno != EEXIST)
      return fmt::format("cannot create '{}': {}", sofar.string(),
                         std::strerror(errno));
  }
  return "";
}
} // namespace

bool JitCache::usable(bool create) const {
  if (root.empty()) {
    if (create)
      warnOnce("the JIT cache has no directory (set ATTNC_CACHE_DIR or "
               "HOME)");
    return false;
  }
  const std::string version = root + "/" + ATTNC_VERSION;
  for (const std::string *d : {&root, &version, &dir}) {
    // The root may be a link the user made; below it, links are refused.
    bool isRoot = d == &root;
    struct stat st;
    auto look = [&] {
      return (isRoot ? ::stat(d->c_str(), &st) : ::lstat(d->c_str(), &st)) == 0;
    };
    if (!look()) {
      if (!create)
        return false;
      std::string error =
          errno != ENOENT
              ? fmt::format("cannot access '{}': {}", *d, std::strerror(errno))
          : isRoot ? makePrivateDirectories(*d)
                   : "";
      if (error.empty() && !isRoot && ::mkdir(d->c_str(), 0700) != 0 &&
          errno != EEXIST)
        error = fmt::format("cannot create '{}': {}", *d, std::strerror(errno));
      if (!error.empty()) {
        warnOnce(fmt::format("the JIT cache is not writable ({})", error));
        return false;
      }
      if (!look())
        return false;
    }
    std::string why =
        isRoot ? checkCacheDirectory(*d) : ownDirectoryProblem(*d, st);
    if (!why.empty()) {
      warnOnce(fmt::format("not using the JIT cache in '{}': {}", root, why));
      return false;
    }
  }
  return true;
}

std::optional<std::vector<char>>
JitCache::load(const std::string &key) const {
  if (!usable(/*create=*/false))
    return std::nullopt;
  std::vector<uint8_t> bytes;
  std::string error;
  if (!attn::readRegularFile(entryPath(key), kMaxCacheEntryBytes, bytes, error,
                             kEntryOpen))
    return std::nullopt;
  return decodeEntry(bytes, key);
}

bool JitCache::store(const std::string &key,
                     const std::vector<char> &payload) const {
  if (!usable(/*create=*/true))
    return false;
  std::vector<char> entry = encodeEntry(key, payload);
  if (entry.size() > kMaxCacheEntryBytes)
    return false; // it would never be read back: keep it in memory only
  std::string error;
  if (attn::replaceFileAtomic(entryPath(key), entry.data(), entry.size(),
                              error, 0600))
    return true;
  warnOnce(fmt::format("the JIT cache is not writable ({})", error));
  return false;
}

void JitCache::discard(const std::string &key) const {
  {
    std::lock_guard<std::mutex> lock(memoryMutex);
    memoryCache.erase({target, key});
  }
  if (usable(/*create=*/false))
    (void)::unlink(entryPath(key).c_str());
}

std::vector<CacheEntryInfo> JitCache::list() {
  std::vector<CacheEntryInfo> out;
  std::error_code ec;
  std::string rootDir = cacheRoot();
  if (rootDir.empty() || !fs::is_directory(rootDir, ec))
    return out;
  std::string untrusted = checkCacheDirectory(rootDir);
  for (auto it = fs::recursive_directory_iterator(rootDir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    // Links and special files named like entries are listed (as invalid),
    // so that --clear removes them; directories are walked, not listed.
    fs::file_status status = it->symlink_status(ec);
    if (ec || fs::is_directory(status) || it->path().extension() != ".bin" ||
        it->path().filename().string().front() == '.')
      continue;
    CacheEntryInfo info;
    info.path = it->path().string();
    info.target = it->path().parent_path().filename().string();
    struct stat st;
    if (::lstat(info.path.c_str(), &st) == 0)
      info.size = static_cast<uint64_t>(st.st_size);
    std::vector<uint8_t> bytes;
    std::string error;
    if (!untrusted.empty()) {
      info.problem = "the cache directory is not trusted: " + untrusted;
    } else if (!attn::readRegularFile(info.path, kMaxCacheEntryBytes, bytes,
                                      error, kEntryOpen)) {
      info.problem = error;
    } else if (std::optional<std::string> key = entryKey(bytes); !key) {
      info.problem = "bad header";
    } else if (fmt::format("{:016x}", fnv1a(key->data(), key->size())) !=
               it->path().stem().string()) {
      // Intact, but for another key: a file moved or copied over another.
      info.problem = "stored under another entry's name";
    } else if (!decodeEntry(bytes, *key)) {
      info.problem = "bad checksum";
    }
    info.valid = info.problem.empty();
    out.push_back(info);
  }
  return out;
}

int64_t JitCache::clear(std::string &error) {
  int64_t removed = 0;
  for (const CacheEntryInfo &e : list()) {
    std::error_code ec;
    if (fs::remove(e.path, ec))
      ++removed;
    else if (ec) {
      error = fmt::format("cannot remove '{}': {}", e.path, ec.message());
      return -1;
    }
  }
  return removed;
}
