//===- CacheTest.cpp - the JIT cache: entries, files, processes -----------===//
//
// The entry format rejects every truncation and every flipped byte; the
// on-disk cache misses then hits (across processes: Program also keeps an
// in-process copy, so disk hits are observed in forked children), a damaged
// file is rebuilt, concurrent threads and processes compiling one pattern
// all succeed and leave one valid entry, and an unwritable cache directory
// only warns (once) and keeps compiled code in memory.
//
//===----------------------------------------------------------------------===//
#include "runtime/jit/Cache.h"
#include "attn/attn.h"
#include "runtime/cpu/CpuAttention.h"
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <pwd.h>
#include <random>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using attn::jit::decodeEntry;
using attn::jit::encodeEntry;
using attn::jit::JitCache;

namespace {

std::vector<uint8_t> bytesOf(const std::vector<char> &v) {
  return std::vector<uint8_t>(v.begin(), v.end());
}

std::vector<char> randomPayload(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<char> p(n);
  for (char &c : p)
    c = static_cast<char>(rng() & 0xff);
  return p;
}

//===----------------------------------------------------------------------===//
// The entry format
//===----------------------------------------------------------------------===//

TEST(CacheEntry, RoundTrip) {
  for (size_t n : {0, 1, 7, 64, 1000}) {
    std::vector<char> payload = randomPayload(n, n + 1);
    for (std::string key :
         {std::string(), std::string("k"),
          std::string("attnc 0.1.0\nllvm 22\n") + std::string(300, 'x'),
          std::string("with\0zero", 9)}) {
      auto decoded = decodeEntry(bytesOf(encodeEntry(key, payload)), key);
      ASSERT_TRUE(decoded) << "payload " << n << " key size " << key.size();
      EXPECT_EQ(*decoded, payload);
    }
  }
}

TEST(CacheEntry, WrongKeyIsRejected) {
  std::vector<char> payload = randomPayload(100, 7);
  std::vector<uint8_t> entry = bytesOf(encodeEntry("pattern-a", payload));
  EXPECT_FALSE(decodeEntry(entry, "pattern-b")); // same length
  EXPECT_FALSE(decodeEntry(entry, "pattern-aa"));
  EXPECT_FALSE(decodeEntry(entry, "pattern-"));
  EXPECT_FALSE(decodeEntry(entry, ""));
  EXPECT_TRUE(decodeEntry(entry, "pattern-a"));
}

TEST(CacheEntry, EveryTruncationIsRejected) {
  const std::string key = "the key";
  std::vector<char> payload = randomPayload(90, 3);
  std::vector<uint8_t> entry = bytesOf(encodeEntry(key, payload));
  for (size_t len = 0; len < entry.size(); ++len) {
    std::vector<uint8_t> cut(entry.begin(), entry.begin() + len);
    EXPECT_FALSE(decodeEntry(cut, key))
        << "truncated to " << len << " of " << entry.size() << " bytes";
  }
  // Trailing garbage is damage too.
  std::vector<uint8_t> longer = entry;
  longer.push_back(0);
  EXPECT_FALSE(decodeEntry(longer, key));
}

TEST(CacheEntry, EveryFlippedByteIsRejected) {
  // Header (magic, format, key size, payload size, checksum), key and
  // payload: a change of any single byte is detected.
  const std::string key = "attnc key\nwith lines";
  std::vector<char> payload = randomPayload(120, 11);
  std::vector<uint8_t> entry = bytesOf(encodeEntry(key, payload));
  const size_t header = 40;
  ASSERT_EQ(entry.size(), header + key.size() + payload.size());
  for (size_t i = 0; i < entry.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bad = entry;
      bad[i] ^= mask;
      const char *where = i < header                ? "header"
                          : i < header + key.size() ? "key"
                                                    : "payload";
      EXPECT_FALSE(decodeEntry(bad, key))
          << "byte " << i << " (" << where << ") xor " << int(mask);
    }
  }
}

TEST(CacheEntry, GarbageIsRejected) {
  std::mt19937 rng(5);
  for (size_t n : {0, 8, 39, 40, 41, 200}) {
    std::vector<uint8_t> junk(n);
    for (uint8_t &b : junk)
      b = rng() & 0xff;
    EXPECT_FALSE(decodeEntry(junk, "k"));
  }
  // A valid header claiming sizes beyond the file.
  std::vector<uint8_t> entry = bytesOf(encodeEntry("k", randomPayload(10, 1)));
  for (int i = 0; i < 8; ++i)
    entry[24 + i] = 0xff;
  EXPECT_FALSE(decodeEntry(entry, "k"));
}

//===----------------------------------------------------------------------===//
// Fixtures: a fresh cache directory per test, programs, forked children
//===----------------------------------------------------------------------===//

class CacheDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir = fs::temp_directory_path() /
          ("attnc-cachetest-" + std::to_string(getpid()) + "-" +
           std::to_string(counter++));
    fs::remove_all(dir);
    if (const char *old = std::getenv("ATTNC_CACHE_DIR"))
      saved = old;
    setenv("ATTNC_CACHE_DIR", dir.c_str(), 1);
  }
  void TearDown() override {
    if (saved)
      setenv("ATTNC_CACHE_DIR", saved->c_str(), 1);
    else
      unsetenv("ATTNC_CACHE_DIR");
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }

  /// Every file under the cache directory (entries and anything else).
  std::vector<fs::path> allFiles() const {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::exists(dir, ec))
      return out;
    for (auto &e : fs::recursive_directory_iterator(dir, ec))
      if (e.is_regular_file())
        out.push_back(e.path());
    return out;
  }

  fs::path dir;
  std::optional<std::string> saved;
};

/// A pattern no other test compiles: Program's in-process cache is keyed by
/// the normalized IR, which includes the pattern name and the window.
std::string uniqueSource(int64_t &window) {
  static std::atomic<int> counter{0};
  int n = counter++;
  window = 3 + (getpid() % 50) + 7 * n;
  return "pattern cachetest_" + std::to_string(getpid()) + "_" +
         std::to_string(n) + " { mask sliding(" + std::to_string(window) +
         ") }";
}

/// Runs `program` (a sliding(w) pattern) on small inputs and compares with
/// the reference; returns an empty string when it matches.
std::string checkSliding(const attn::Program &program, int64_t w) {
  const int64_t h = 2, n = 77, d = 16;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  std::vector<float> q(h * n * d), k(h * n * d), v(h * n * d), out(h * n * d),
      ref(h * n * d);
  for (auto *buf : {&q, &k, &v})
    for (float &x : *buf)
      x = dist(rng);
  auto view = [&](std::vector<float> &b) {
    return attn::Tensor::contiguous(b.data(), attn::DType::F32, {1, h, n, d});
  };
  attn::Tensor tq = view(q), tk = view(k), tv = view(v), to = view(out);
  attn::RunOptions run;
  run.threads = 2;
  program.run(tq, tk, tv, to, run);
  auto cpuView = [&](std::vector<float> &b) {
    attn::cpu::View cv;
    cv.data = b.data();
    int64_t shape[4] = {1, h, n, d}, strides[4] = {h * n * d, n * d, d, 1};
    for (int i = 0; i < 4; ++i) {
      cv.shape[i] = shape[i];
      cv.strides[i] = strides[i];
    }
    return cv;
  };
  attn::cpu::referenceAttention(cpuView(q), cpuView(k), cpuView(v),
                                cpuView(ref), 0.0f,
                                [w](int64_t, int64_t, int64_t qi, int64_t ki) {
                                  return qi - w < ki && ki <= qi;
                                });
  for (size_t i = 0; i < out.size(); ++i)
    if (!(std::abs(out[i] - ref[i]) <= 2e-5))
      return "output " + std::to_string(i) + ": " + std::to_string(out[i]) +
             " vs reference " + std::to_string(ref[i]);
  return "";
}

/// Runs `body` in a forked child and returns its exit status (-1 when it
/// died of a signal). The child never returns into the test framework.
int inChild(const std::function<int()> &body) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    int code = 100;
    try {
      code = body();
    } catch (const std::exception &e) {
      fprintf(stderr, "child %d: %s\n", getpid(), e.what());
      code = 101;
    }
    fflush(stdout);
    fflush(stderr);
    _exit(code);
  }
  if (pid < 0)
    return -2;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid)
    return -3;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Exit codes of a child that compiles: 0 miss, 1 hit, 2 wrong output.
int compileInChild(const std::string &source, int64_t w) {
  return inChild([&] {
    attn::Program p = attn::Program::compileString(source);
    std::string problem = checkSliding(p, w);
    if (!problem.empty()) {
      fprintf(stderr, "child %d: %s\n", getpid(), problem.c_str());
      return 2;
    }
    return p.fromCache() ? 1 : 0;
  });
}

//===----------------------------------------------------------------------===//
// JitCache
//===----------------------------------------------------------------------===//

TEST_F(CacheDirTest, RootFollowsTheEnvironment) {
  EXPECT_EQ(attn::jit::cacheRoot(), dir.string());
  EXPECT_EQ(attn::cacheDirectory(), dir.string());
  std::optional<std::string> xdg;
  if (const char *x = std::getenv("XDG_CACHE_HOME"))
    xdg = x;
  unsetenv("ATTNC_CACHE_DIR");
  setenv("XDG_CACHE_HOME", "/some/xdg", 1);
  EXPECT_EQ(attn::jit::cacheRoot(), "/some/xdg/attnc");
  unsetenv("XDG_CACHE_HOME");
  if (const char *home = std::getenv("HOME"); home && *home)
    EXPECT_EQ(attn::jit::cacheRoot(), std::string(home) + "/.cache/attnc");
  if (xdg)
    setenv("XDG_CACHE_HOME", xdg->c_str(), 1);
  setenv("ATTNC_CACHE_DIR", dir.c_str(), 1);
}

TEST_F(CacheDirTest, StoreLoadListClear) {
  JitCache cpu("cpu-test"), other("other-test");
  const std::string key = "key one", key2 = "key two";
  std::vector<char> payload = randomPayload(500, 9);
  EXPECT_TRUE(JitCache::list().empty()); // the directory does not exist yet
  EXPECT_FALSE(cpu.load(key));
  ASSERT_TRUE(cpu.store(key, payload));
  auto loaded = cpu.load(key);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, payload);
  EXPECT_FALSE(cpu.load(key2));
  EXPECT_FALSE(other.load(key)); // targets are separate directories

  fs::path path = cpu.entryPath(key);
  EXPECT_EQ(path.parent_path().filename(), "cpu-test");
  EXPECT_EQ(path.extension(), ".bin");
  EXPECT_EQ(path.string().rfind(dir.string() + "/", 0), 0u) << path;

  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].path, path.string());
  EXPECT_EQ(entries[0].target, "cpu-test");
  EXPECT_EQ(entries[0].size, fs::file_size(path));
  EXPECT_TRUE(entries[0].valid);

  // Overwriting stores the new payload.
  std::vector<char> payload2 = randomPayload(20, 10);
  ASSERT_TRUE(cpu.store(key, payload2));
  EXPECT_EQ(*cpu.load(key), payload2);

  ASSERT_TRUE(other.store(key2, payload));
  ASSERT_TRUE(cpu.store(key2, payload));
  EXPECT_EQ(JitCache::list().size(), 3u);
  // Files that are not entries are neither listed nor removed.
  std::ofstream(dir / "notes.txt") << "not an entry";

  // A damaged entry is listed as invalid and does not load.
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "garbage";
  }
  EXPECT_FALSE(cpu.load(key));
  int invalid = 0;
  for (const auto &e : JitCache::list())
    invalid += !e.valid;
  EXPECT_EQ(invalid, 1);

  std::string error;
  EXPECT_EQ(JitCache::clear(error), 3) << error;
  EXPECT_TRUE(JitCache::list().empty());
  EXPECT_FALSE(cpu.load(key2));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_EQ(JitCache::clear(error), 0) << error;
}

TEST_F(CacheDirTest, AnEntryForAnotherKeyIsNotTrusted) {
  // Two keys whose files were swapped (as with a hash collision): the full
  // key in the header tells them apart.
  JitCache cache("cpu-test");
  std::vector<char> a = randomPayload(64, 1), b = randomPayload(64, 2);
  ASSERT_TRUE(cache.store("key a", a));
  ASSERT_TRUE(cache.store("key b", b));
  fs::path pa = cache.entryPath("key a"), pb = cache.entryPath("key b");
  ASSERT_NE(pa, pb);
  fs::copy_file(pa, pb, fs::copy_options::overwrite_existing);
  EXPECT_FALSE(cache.load("key b"));
  EXPECT_TRUE(cache.load("key a"));
  // The copy is intact, but under another key's name: --list says so.
  for (const auto &e : JitCache::list()) {
    EXPECT_EQ(e.valid, e.path == pa.string()) << e.path;
    if (e.path == pb.string())
      EXPECT_EQ(e.problem, "stored under another entry's name");
  }
  // Swapping two files: both are listed as bad.
  fs::rename(pa, dir / "tmp.bin");
  ASSERT_TRUE(cache.store("key b", b));
  fs::rename(pb, pa);
  fs::rename(dir / "tmp.bin", pb);
  for (const auto &e : JitCache::list())
    EXPECT_FALSE(e.valid) << e.path;
  EXPECT_FALSE(cache.load("key a"));
  EXPECT_FALSE(cache.load("key b"));
}

TEST_F(CacheDirTest, ListSurvivesACorruptedKeySize) {
  // A key-size field that wraps 40 + size to a small number must not read
  // out of bounds.
  JitCache cache("cpu-test");
  ASSERT_TRUE(cache.store("key", randomPayload(32, 5)));
  fs::path path = cache.entryPath("key");
  for (uint64_t keySize : {~uint64_t(0) - 39, ~uint64_t(0) - 38, ~uint64_t(0),
                           uint64_t(1) << 63, uint64_t(1000)}) {
    std::vector<char> entry = encodeEntry("key", randomPayload(32, 5));
    for (int i = 0; i < 8; ++i)
      entry[16 + i] = static_cast<char>((keySize >> (8 * i)) & 0xff);
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(entry.data(), entry.size());
    }
    auto entries = JitCache::list();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_FALSE(entries[0].valid) << keySize;
    EXPECT_EQ(entries[0].problem, "bad header");
    EXPECT_FALSE(cache.load("key"));
    EXPECT_FALSE(attn::jit::entryKey(bytesOf(entry)));
  }
  // The payload-size field too.
  std::vector<char> entry = encodeEntry("key", randomPayload(32, 5));
  for (int i = 0; i < 8; ++i)
    entry[24 + i] = static_cast<char>(0xff);
  EXPECT_FALSE(decodeEntry(bytesOf(entry), "key"));
}

TEST_F(CacheDirTest, StoreIntoAnUnwritableRootFails) {
  // Run in a child: the warning is printed once per process.
  std::ofstream(dir.string() + ".file") << "x";
  setenv("ATTNC_CACHE_DIR", (dir.string() + ".file/cache").c_str(), 1);
  int code = inChild([] {
    JitCache cache("cpu-test");
    testing::internal::CaptureStderr();
    bool first = cache.store("k", {'a'});
    bool second = cache.store("k2", {'b'});
    std::string err = testing::internal::GetCapturedStderr();
    if (first || second)
      return 1;
    if (cache.load("k"))
      return 2;
    if (err.find("warning") == std::string::npos ||
        err.find("not writable") == std::string::npos)
      return 3;
    if (err.find("warning") != err.rfind("warning"))
      return 4;
    return 0;
  });
  fs::remove(dir.string() + ".file");
  EXPECT_EQ(code, 0) << "1: store succeeded, 2: load succeeded, 3: no "
                        "warning, 4: more than one warning";
}

//===----------------------------------------------------------------------===//
// Program and the cache
//===----------------------------------------------------------------------===//

TEST_F(CacheDirTest, ProgramMissThenHit) {
  int64_t w;
  std::string source = uniqueSource(w);
  // Each child starts with this process's (empty for this pattern) memory
  // cache, so the second child's hit comes from the disk.
  EXPECT_EQ(compileInChild(source, w), 0) << "expected a miss";
  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].valid);
  EXPECT_EQ(compileInChild(source, w), 1) << "expected a disk hit";
  EXPECT_EQ(JitCache::list().size(), 1u);

  // In this process: a disk hit, then an in-memory one.
  attn::Program a = attn::Program::compileString(source);
  EXPECT_TRUE(a.fromCache());
  EXPECT_EQ(checkSliding(a, w), "");
  attn::Program b = attn::Program::compileString(source);
  EXPECT_TRUE(b.fromCache());
  EXPECT_EQ(checkSliding(b, w), "");

  // Another pattern misses, and useCache = false writes nothing.
  int64_t w2;
  std::string source2 = uniqueSource(w2);
  attn::CompileOptions noCache;
  noCache.useCache = false;
  attn::Program c = attn::Program::compileString(source2, noCache);
  EXPECT_FALSE(c.fromCache());
  EXPECT_EQ(checkSliding(c, w2), "");
  EXPECT_EQ(JitCache::list().size(), 1u);

  // Different tile sizes are different entries.
  attn::CompileOptions tiles;
  tiles.tileQ = 32;
  tiles.tileK = 16;
  int code = inChild([&] {
    attn::Program p = attn::Program::compileString(source, tiles);
    return checkSliding(p, w).empty() ? (p.fromCache() ? 1 : 0) : 2;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(JitCache::list().size(), 2u);
}

TEST_F(CacheDirTest, DamagedEntryIsRebuilt) {
  int64_t w;
  std::string source = uniqueSource(w);
  ASSERT_EQ(compileInChild(source, w), 0);
  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  const std::string path = entries[0].path;
  std::vector<char> good;
  {
    std::ifstream f(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(f), {});
  }
  ASSERT_GT(good.size(), 100u);

  struct Damage {
    const char *what;
    std::function<std::vector<char>(std::vector<char>)> apply;
  };
  std::vector<Damage> damages = {
      {"empty file", [](std::vector<char>) { return std::vector<char>(); }},
      {"truncated to the header",
       [](std::vector<char> b) {
         b.resize(40);
         return b;
       }},
      {"truncated by one byte",
       [](std::vector<char> b) {
         b.pop_back();
         return b;
       }},
      {"flipped magic",
       [](std::vector<char> b) {
         b[0] ^= 1;
         return b;
       }},
      {"flipped key byte",
       [](std::vector<char> b) {
         b[45] ^= 0x20;
         return b;
       }},
      {"flipped payload byte",
       [](std::vector<char> b) {
         b[b.size() - b.size() / 3] ^= 0x40;
         return b;
       }},
      {"random bytes",
       [](std::vector<char> b) { return randomPayload(b.size(), 77); }},
  };
  for (const Damage &d : damages) {
    SCOPED_TRACE(d.what);
    std::vector<char> bad = d.apply(good);
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(bad.data(), bad.size());
    }
    ASSERT_FALSE(JitCache::list()[0].valid);
    EXPECT_EQ(compileInChild(source, w), 0) << "a damaged entry must miss";
    auto now = JitCache::list();
    ASSERT_EQ(now.size(), 1u);
    EXPECT_TRUE(now[0].valid) << "the entry is rewritten";
    EXPECT_EQ(compileInChild(source, w), 1) << "and then hits";
  }
  // In this process too (no memory copy of this pattern here yet).
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(good.data(), good.size() / 2);
  }
  attn::Program p = attn::Program::compileString(source);
  EXPECT_FALSE(p.fromCache());
  EXPECT_EQ(checkSliding(p, w), "");
  EXPECT_TRUE(JitCache::list()[0].valid);
}

TEST_F(CacheDirTest, ConcurrentThreadsCompileOnePattern) {
  int64_t w;
  std::string source = uniqueSource(w);
  const int n = 6;
  std::vector<std::string> problems(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      try {
        attn::Program p = attn::Program::compileString(source);
        problems[i] = checkSliding(p, w);
      } catch (const std::exception &e) {
        problems[i] = e.what();
      }
    });
  for (auto &t : threads)
    t.join();
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(problems[i], "") << "thread " << i;
  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].valid);
  EXPECT_EQ(allFiles().size(), 1u) << "no temporary file is left behind";
}

TEST_F(CacheDirTest, ConcurrentProcessesCompileOnePattern) {
  int64_t w;
  std::string source = uniqueSource(w);
  const int n = 5;
  std::vector<pid_t> pids;
  fflush(stdout);
  fflush(stderr);
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      int code = 3;
      try {
        // Two threads per process as well.
        std::string problem[2];
        std::thread t([&] {
          problem[1] = checkSliding(attn::Program::compileString(source), w);
        });
        problem[0] = checkSliding(attn::Program::compileString(source), w);
        t.join();
        code = problem[0].empty() && problem[1].empty() ? 0 : 2;
      } catch (const std::exception &e) {
        fprintf(stderr, "child %d: %s\n", getpid(), e.what());
        code = 1;
      }
      fflush(stderr);
      _exit(code);
    }
    ASSERT_GT(pid, 0);
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "child " << pid << " status " << status;
  }
  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].valid);
  EXPECT_EQ(allFiles().size(), 1u) << "no temporary file is left behind";
  EXPECT_EQ(compileInChild(source, w), 1);
}

TEST_F(CacheDirTest, UnwritableCacheFallsBackToMemory) {
  // ATTNC_CACHE_DIR below a regular file cannot be created. In a child, so
  // that this test sees the process's first (and only) warning.
  fs::create_directories(dir);
  std::ofstream(dir / "file") << "a regular file";
  setenv("ATTNC_CACHE_DIR", (dir / "file" / "cache").c_str(), 1);
  int64_t w1, w2;
  std::string s1 = uniqueSource(w1), s2 = uniqueSource(w2);
  int code = inChild([&] {
    testing::internal::CaptureStderr();
    int result = 0;
    try {
      attn::Program a = attn::Program::compileString(s1);
      attn::Program b = attn::Program::compileString(s2);
      attn::Program again = attn::Program::compileString(s1);
      if (!checkSliding(a, w1).empty() || !checkSliding(b, w2).empty() ||
          !checkSliding(again, w1).empty())
        result = 2;
      else if (a.fromCache() || b.fromCache())
        result = 3;
      else if (!again.fromCache())
        result = 4; // kept in memory
    } catch (const std::exception &e) {
      result = 1;
    }
    std::string err = testing::internal::GetCapturedStderr();
    if (result)
      return result;
    size_t first = err.find("warning");
    if (first == std::string::npos ||
        err.find("not writable") == std::string::npos)
      return 5;
    if (err.find("warning", first + 1) != std::string::npos)
      return 6;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: compile threw, 2: wrong output, 3: claimed a "
                        "cache hit, 4: not kept in memory, 5: no warning, "
                        "6: warned more than once";
  EXPECT_TRUE(fs::is_regular_file(dir / "file"));
}

TEST_F(CacheDirTest, ReadOnlyCacheDirectoryFallsBackToMemory) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  int64_t w;
  std::string s = uniqueSource(w);
  int code = inChild([&] {
    attn::Program p = attn::Program::compileString(s);
    return checkSliding(p, w).empty() ? 0 : 2;
  });
  fs::permissions(dir, fs::perms::owner_all);
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(allFiles().empty());
}

//===----------------------------------------------------------------------===//
// Trust: the cache holds code this process runs
//===----------------------------------------------------------------------===//

TEST_F(CacheDirTest, TheRootNeverFallsBackToASharedDirectory) {
  std::map<std::string, std::optional<std::string>> saved;
  for (const char *name : {"ATTNC_CACHE_DIR", "XDG_CACHE_HOME", "HOME"}) {
    if (const char *v = std::getenv(name))
      saved[name] = v;
    else
      saved[name] = std::nullopt;
    unsetenv(name);
  }
  std::string root = attn::jit::cacheRoot();
  struct passwd *pw = getpwuid(geteuid());
  if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
    EXPECT_EQ(root, std::string(pw->pw_dir) + "/.cache/attnc");
  else
    EXPECT_EQ(root, "");
  EXPECT_EQ(root.find(fs::temp_directory_path().string()), std::string::npos)
      << root;
  // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
  setenv("HOME", "/home/someone", 1);
  setenv("XDG_CACHE_HOME", "relative/cache", 1);
  EXPECT_EQ(attn::jit::cacheRoot(), "/home/someone/.cache/attnc");
  for (auto &[name, value] : saved)
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
}

TEST_F(CacheDirTest, DirectoriesAreCreatedPrivate) {
  fs::path root = dir / "a" / "b" / "cache";
  setenv("ATTNC_CACHE_DIR", root.c_str(), 1);
  fs::create_directories(dir);
  JitCache cache("cpu-test");
  ASSERT_TRUE(cache.store("k", randomPayload(10, 1)));
  for (fs::path p : {dir / "a", dir / "a" / "b", root,
                     fs::path(cache.entryPath("k")).parent_path().parent_path(),
                     fs::path(cache.entryPath("k")).parent_path()}) {
    struct stat st;
    ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << p;
  }
  struct stat st;
  ASSERT_EQ(::stat(cache.entryPath("k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(attn::jit::checkCacheDirectory(root.string()), "");
}

/// In a child (one warning per process): the cache at `root` is refused
/// with a warning containing `why`, nothing is written, and compiled code is
/// still kept in memory.
void expectUntrusted(const fs::path &root, const std::string &why) {
  setenv("ATTNC_CACHE_DIR", root.c_str(), 1);
  std::string problem = attn::jit::checkCacheDirectory(root.string());
  EXPECT_NE(problem.find(why), std::string::npos) << problem;
  int64_t w;
  std::string source = uniqueSource(w);
  int code = inChild([&] {
    testing::internal::CaptureStderr();
    JitCache cache("cpu-test");
    bool stored = cache.store("k", {'a'});
    attn::Program a = attn::Program::compileString(source);
    attn::Program b = attn::Program::compileString(source);
    std::string err = testing::internal::GetCapturedStderr();
    if (stored)
      return 1;
    if (!checkSliding(a, w).empty() || a.fromCache() || !b.fromCache())
      return 2;
    size_t first = err.find("warning: not using the JIT cache in");
    if (first == std::string::npos || err.find(why) == std::string::npos)
      return 3;
    if (err.find("warning", first + 1) != std::string::npos)
      return 4;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: stored, 2: wrong program or cache use, 3: no "
                        "warning saying why, 4: more than one warning";
  std::error_code ec;
  for (auto &e : fs::recursive_directory_iterator(root, ec))
    EXPECT_FALSE(e.is_regular_file()) << e.path();
}

TEST_F(CacheDirTest, AWorldWritableRootIsNotUsed) {
  fs::create_directories(dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  expectUntrusted(dir, "is writable by other users (mode 0777)");
  // Even with entries planted in it (in a child: the warning is printed
  // once per process, and later tests' children inherit the state).
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  JitCache cache("cpu-test");
  ASSERT_TRUE(cache.store("k", {'x'}));
  ASSERT_EQ(::chmod(dir.c_str(), 0775), 0);
  EXPECT_EQ(inChild([&] {
              testing::internal::CaptureStderr();
              bool loaded = cache.load("k").has_value();
              std::string err = testing::internal::GetCapturedStderr();
              return loaded ? 1 : err.find("mode 0775") == std::string::npos;
            }),
            0);
  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_FALSE(entries[0].valid);
  EXPECT_NE(entries[0].problem.find("not trusted"), std::string::npos);
}

TEST_F(CacheDirTest, AWritableParentIsNotTrusted) {
  fs::create_directories(dir / "cache");
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  expectUntrusted(dir / "cache", "the directory '" + dir.string() +
                                     "' above it is writable by other users "
                                     "(mode 0777)");
  // Sticky, like /tmp: others cannot rename what is not theirs.
  ASSERT_EQ(::chmod(dir.c_str(), 01777), 0);
  EXPECT_EQ(attn::jit::checkCacheDirectory((dir / "cache").string()), "");
}

TEST_F(CacheDirTest, ARootOwnedByAnotherUserIsNotUsed) {
  if (geteuid() != 0)
    GTEST_SKIP() << "only root can give a directory away";
  fs::create_directories(dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  expectUntrusted(dir, "is owned by user id 65534, not by this user (id 0)");
  ASSERT_EQ(::chown(dir.c_str(), 0, 0), 0);
  // A subdirectory (version, target) given away is refused too.
  JitCache cache("cpu-test");
  ASSERT_TRUE(cache.store("k", {'x'}));
  fs::path target = fs::path(cache.entryPath("k")).parent_path();
  ASSERT_EQ(::chown(target.c_str(), 65534, 65534), 0);
  EXPECT_EQ(inChild([&] {
              testing::internal::CaptureStderr();
              bool loaded = cache.load("k").has_value();
              std::string err = testing::internal::GetCapturedStderr();
              return loaded ? 1
                            : err.find("is owned by user id 65534") ==
                                  std::string::npos;
            }),
            0);
}

/// Replaces the cache file of `source`'s compiled code by what `plant`
/// makes at that path, then checks that a compile in a child ignores it,
/// succeeds, prints nothing, and rewrites the entry as a trusted file that
/// the next child hits.
void expectEntryRebuilt(const std::string &source, int64_t w,
                        const std::function<void(const fs::path &)> &plant) {
  auto entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  fs::path path = entries[0].path;
  fs::remove(path);
  plant(path);
  int code = inChild([&] {
    alarm(60); // a FIFO must not block the compile
    testing::internal::CaptureStderr();
    attn::Program p = attn::Program::compileString(source);
    std::string err = testing::internal::GetCapturedStderr();
    if (!checkSliding(p, w).empty())
      return 2;
    if (p.fromCache())
      return 3;
    if (!err.empty()) {
      fprintf(stderr, "unexpected output: %s\n", err.c_str());
      return 4;
    }
    return 0;
  });
  EXPECT_EQ(code, 0) << "2: wrong output, 3: used the planted entry, 4: "
                        "printed something";
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  entries = JitCache::list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].valid) << entries[0].problem;
  EXPECT_EQ(compileInChild(source, w), 1) << "the rewritten entry hits";
}

TEST_F(CacheDirTest, UntrustedEntriesAreIgnoredAndRebuilt) {
  int64_t w;
  std::string source = uniqueSource(w);
  ASSERT_EQ(compileInChild(source, w), 0);
  std::vector<char> good;
  {
    std::ifstream f(JitCache::list()[0].path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(f), {});
  }
  auto writeGood = [&](const fs::path &p, mode_t mode) {
    std::ofstream(p, std::ios::binary).write(good.data(), good.size());
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  };
  {
    SCOPED_TRACE("a FIFO");
    expectEntryRebuilt(source, w, [](const fs::path &p) {
      ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
      auto e = JitCache::list(); // listing does not block either
      ASSERT_EQ(e.size(), 1u);
      EXPECT_FALSE(e[0].valid);
    });
  }
  {
    SCOPED_TRACE("a link to /dev/zero");
    expectEntryRebuilt(source, w, [](const fs::path &p) {
      ASSERT_EQ(::symlink("/dev/zero", p.c_str()), 0);
    });
  }
  {
    SCOPED_TRACE("a link to a good entry");
    fs::path elsewhere = dir.string() + ".good";
    expectEntryRebuilt(source, w, [&](const fs::path &p) {
      writeGood(elsewhere, 0600);
      ASSERT_EQ(::symlink(elsewhere.c_str(), p.c_str()), 0);
    });
    fs::remove(elsewhere);
  }
  {
    SCOPED_TRACE("a good entry others may write");
    expectEntryRebuilt(source, w,
                       [&](const fs::path &p) { writeGood(p, 0666); });
  }
  if (geteuid() == 0) {
    SCOPED_TRACE("a good entry of another user");
    expectEntryRebuilt(source, w, [&](const fs::path &p) {
      writeGood(p, 0600);
      ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
    });
  }
}

TEST_F(CacheDirTest, ATamperedEntryWithAValidChecksumIsRebuilt) {
  // The entry of pattern 2 replaced by pattern 1's code under pattern 2's
  // key, with a valid checksum: the code does not load (its symbols are
  // pattern 1's). It must be rebuilt silently, not fail every run.
  int64_t w1, w2;
  std::string s1 = uniqueSource(w1), s2 = uniqueSource(w2);
  ASSERT_EQ(compileInChild(s1, w1), 0);
  ASSERT_EQ(JitCache::list().size(), 1u);
  std::string p1 = JitCache::list()[0].path;
  ASSERT_EQ(compileInChild(s2, w2), 0);
  std::string p2;
  for (const auto &e : JitCache::list())
    if (e.path != p1)
      p2 = e.path;
  ASSERT_FALSE(p2.empty());
  auto readBytes = [](const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
  };
  std::vector<uint8_t> e1 = readBytes(p1), e2 = readBytes(p2);
  std::optional<std::string> k1 = attn::jit::entryKey(e1),
                             k2 = attn::jit::entryKey(e2);
  ASSERT_TRUE(k1 && k2);
  std::optional<std::vector<char>> code1 = decodeEntry(e1, *k1);
  ASSERT_TRUE(code1);
  // An object with pattern 2's entry points that calls a function nobody
  // defines: it fails while linking, which ORC would also report on stderr.
  std::string pattern2 = s2.substr(8, s2.find(' ', 8) - 8); // "pattern X {"
  fs::create_directories(dir);
  fs::path cSource = dir / "unresolved.c", cObject = dir / "unresolved.o";
  std::string body = "(void) {\n  attn_no_such_function();\n}\n";
  std::ofstream(cSource) << "extern void attn_no_such_function(void);\n"
                         << "void " + pattern2 + "__cpu_blockmap" + body
                         << "void " + pattern2 + "__cpu_tile_mask" + body;
  std::string cc = std::string(ATTNC_HOST_CXX) + " -x c -fPIC -c " +
                   cSource.string() + " -o " + cObject.string();
  ASSERT_EQ(std::system(cc.c_str()), 0) << cc;
  std::vector<uint8_t> unresolved = readBytes(cObject.string());
  fs::remove(cSource);
  fs::remove(cObject);
  for (const std::vector<char> &bad :
       {std::vector<char>(unresolved.begin(), unresolved.end()), *code1,
        randomPayload(4096, 3), std::vector<char>()}) {
    std::vector<char> tampered = encodeEntry(*k2, bad);
    {
      std::ofstream f(p2, std::ios::binary | std::ios::trunc);
      f.write(tampered.data(), tampered.size());
    }
    ASSERT_TRUE(decodeEntry(bytesOf(tampered), *k2)) << "a valid checksum";
    int code = inChild([&] {
      testing::internal::CaptureStderr();
      int result = 0;
      for (int run = 0; run < 2 && !result; ++run) {
        attn::Program p = attn::Program::compileString(s2);
        if (!checkSliding(p, w2).empty())
          result = 2;
        else if (p.fromCache() != (run == 1))
          result = 3; // rebuilt, then served from memory
      }
      std::string err = testing::internal::GetCapturedStderr();
      if (!result && !err.empty()) {
        fprintf(stderr, "unexpected output: %s\n", err.c_str());
        result = 4;
      }
      return result;
    });
    EXPECT_EQ(code, 0) << "2: wrong output, 3: cache use, 4: printed "
                          "something (an error)";
    EXPECT_NE(readBytes(p2), bytesOf(tampered)) << "the entry is rewritten";
    EXPECT_EQ(compileInChild(s2, w2), 1) << "and then hits";
  }
}

} // namespace
