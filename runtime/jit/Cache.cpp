//===- Cache.cpp - the on-disk JIT cache ----------------------------------===//
#include "runtime/jit/Cache.h"
#include "runtime/AtomicFile.h"
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <mutex>
#include <system_error>

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
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/attnc";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/attnc";
  return (fs::temp_directory_path() / "attnc-cache").string();
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

std::optional<std::vector<char>>
attn::jit::decodeEntry(const std::vector<uint8_t> &bytes,
                       const std::string &key) {
  const size_t header = 8 + 4 * 8;
  if (bytes.size() < header || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return std::nullopt;
  if (getU64(&bytes[8]) != kFormat)
    return std::nullopt;
  uint64_t keySize = getU64(&bytes[16]), size = getU64(&bytes[24]),
           sum = getU64(&bytes[32]);
  if (keySize != key.size() || bytes.size() != header + keySize + size)
    return std::nullopt;
  if (std::memcmp(&bytes[header], key.data(), keySize) != 0)
    return std::nullopt;
  std::vector<char> payload(bytes.begin() + header + keySize, bytes.end());
  if (fnv1a(payload.data(), payload.size(), fnv1a(key.data(), key.size())) !=
      sum)
    return std::nullopt;
  return payload;
}

JitCache::JitCache(std::string target)
    : target(target), dir(cacheRoot() + "/" + ATTNC_VERSION + "/" + target) {}

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

std::optional<std::vector<char>>
JitCache::load(const std::string &key) const {
  std::vector<uint8_t> bytes;
  std::string error;
  if (!attn::readFile(entryPath(key), bytes, error))
    return std::nullopt;
  return decodeEntry(bytes, key);
}

bool JitCache::store(const std::string &key,
                     const std::vector<char> &payload) const {
  static std::atomic<bool> warned{false};
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string error;
  std::vector<char> entry = encodeEntry(key, payload);
  if (!ec && attn::writeFileAtomic(entryPath(key), entry.data(), entry.size(),
                                   error))
    return true;
  if (ec)
    error = fmt::format("cannot create '{}': {}", dir, ec.message());
  if (!warned.exchange(true))
    fmt::print(stderr,
               "attnc: warning: the JIT cache is not writable ({}); "
               "compiled code is kept in memory only\n",
               error);
  return false;
}

std::vector<CacheEntryInfo> JitCache::list() {
  std::vector<CacheEntryInfo> out;
  std::error_code ec;
  fs::path root = cacheRoot();
  if (!fs::is_directory(root, ec))
    return out;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".bin")
      continue;
    CacheEntryInfo info;
    info.path = it->path().string();
    info.target = it->path().parent_path().filename().string();
    info.size = it->file_size(ec);
    std::vector<uint8_t> bytes;
    std::string error;
    if (attn::readFile(info.path, bytes, error) && bytes.size() >= 40 &&
        std::memcmp(bytes.data(), kMagic, 8) == 0) {
      uint64_t keySize = getU64(&bytes[16]);
      if (40 + keySize <= bytes.size()) {
        std::string key(bytes.begin() + 40, bytes.begin() + 40 + keySize);
        info.valid = decodeEntry(bytes, key).has_value();
      }
    }
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
