//===- TempDir.h - scratch directories for the unit tests ------*- C++ -*-===//
#ifndef ATTN_TEST_UNIT_TEMPDIR_H
#define ATTN_TEST_UNIT_TEMPDIR_H

#include "support/AtomicFile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace attn::test {

/// A scratch directory under the system's temporary directory, removed with
/// everything in it when the object goes.
class TempDir {
public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "attn-test-XXXXXX");
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    char *made = ::mkdtemp(buffer.data());
    EXPECT_NE(made, nullptr);
    path = made ? made : "/nonexistent";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  std::string operator/(const std::string &name) const {
    return path + "/" + name;
  }
  /// The names in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(path))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string path;
};

/// The whole file at `path` as text (a failure to read fails the test).
inline std::string readAll(const std::string &path) {
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(readFile(path, bytes, error)) << error;
  return std::string(bytes.begin(), bytes.end());
}

} // namespace attn::test

#endif // ATTN_TEST_UNIT_TEMPDIR_H
