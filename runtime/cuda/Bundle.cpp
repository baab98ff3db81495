//===- Bundle.cpp - reading and writing CUDA bundles -----------------------===//
#include "runtime/cuda/Bundle.h"
#include "attn/types.h"
#include "support/AtomicFile.h"
#include "support/FileRead.h"
#include "support/TextEscape.h"
#include <fmt/core.h>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <sys/stat.h>

namespace attn::cuda {

namespace {
/// The manifest format this attnc writes and reads.
constexpr int kBundleVersion = 2;
} // namespace

std::string KernelVariant::fwdName() const {
  return fmt::format("attn_fwd_{}_d{}", dtype, headDim);
}
std::string KernelVariant::splitName() const {
  return fmt::format("attn_fwd_split_{}_d{}", dtype, headDim);
}
std::string KernelVariant::combineName() const {
  return fmt::format("attn_combine_{}_d{}", dtype, headDim);
}
std::string KernelVariant::shapeName() const { return fwdName() + "_shape"; }

const KernelVariant *Bundle::find(const std::string &dtype,
                                  int64_t headDim) const {
  for (const KernelVariant &v : variants)
    if (v.dtype == dtype && v.headDim == headDim)
      return &v;
  return nullptr;
}

std::string checksum(const std::string &bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

std::string Bundle::manifest() const {
  std::string out = fmt::format("attnc-cuda-bundle {}\n", kBundleVersion);
  out += fmt::format("pattern {}\n", encodeWord(pattern));
  if (!location.empty())
    out += fmt::format("location {}\n", encodeWord(location));
  out += fmt::format("arch {}\nformat {}\nbinary {}\n", arch, format,
                     binaryFile);
  out += fmt::format("tile {} {}\n", tileQ, tileK);
  out += fmt::format("head_dependent {}\nbatch_dependent {}\nheads {}\n",
                     headDependent ? 1 : 0, batchDependent ? 1 : 0, heads);
  for (const std::string &p : params)
    out += fmt::format("param {}\n", encodeWord(p));
  for (const KernelVariant &v : variants)
    out += fmt::format("variant {} {} {} {} {}\n", v.dtype, v.headDim,
                       v.smemBytes, v.warps, v.rowBlocks);
  out += fmt::format("checksum {}\n", checksum(binary));
  return out;
}

namespace {
int64_t toInt(const std::string &word, const std::string &what, int line) {
  try {
    size_t used = 0;
    long long v = std::stoll(word, &used);
    if (used == word.size())
      return v;
  } catch (...) {
  }
  throw Error(fmt::format("{}:{}: expected an integer, got '{}'", what, line,
                          word));
}
} // namespace

Bundle Bundle::parseManifest(const std::string &text, const std::string &what) {
  Bundle b;
  b.binaryFile.clear();
  std::istringstream in(text);
  std::string lineText, sum;
  int line = 0;
  bool sawHeader = false;
  auto bad = [&](const std::string &msg) {
    return Error(fmt::format("{}:{}: {}", what, line, msg));
  };
  while (std::getline(in, lineText)) {
    ++line;
    std::istringstream ls(lineText);
    std::vector<std::string> w;
    for (std::string s; ls >> s;)
      w.push_back(s);
    if (w.empty())
      continue;
    if (!sawHeader) {
      if (w.size() != 2 || w[0] != "attnc-cuda-bundle")
        throw bad("not an attnc CUDA bundle manifest");
      if (w[1] != std::to_string(kBundleVersion))
        throw bad(fmt::format("bundle version {} is not supported (this "
                              "attnc reads version {}; recompile the bundle "
                              "with attnc compile)",
                              w[1], kBundleVersion));
      sawHeader = true;
      continue;
    }
    const std::string &key = w[0];
    auto need = [&](size_t n) {
      if (w.size() != n + 1)
        throw bad(fmt::format("'{}' takes {} value{}", key, n,
                              n == 1 ? "" : "s"));
    };
    auto decoded = [&] {
      std::string text;
      if (!decodeWord(w[1], text))
        throw bad(fmt::format("bad %-escape in '{}'", w[1]));
      return text;
    };
    if (key == "pattern") {
      need(1), b.pattern = decoded();
    } else if (key == "location") {
      need(1), b.location = decoded();
    } else if (key == "arch") {
      need(1), b.arch = w[1];
    } else if (key == "format") {
      need(1), b.format = w[1];
      if (b.format != "cubin" && b.format != "ptx")
        throw bad(fmt::format("unknown format '{}' (cubin or ptx)", b.format));
    } else if (key == "binary") {
      need(1), b.binaryFile = w[1];
      if (b.binaryFile.find('/') != std::string::npos)
        throw bad("the binary must be a file name inside the bundle");
    } else if (key == "tile") {
      need(2), b.tileQ = toInt(w[1], what, line),
               b.tileK = toInt(w[2], what, line);
    } else if (key == "head_dependent") {
      need(1), b.headDependent = toInt(w[1], what, line) != 0;
    } else if (key == "batch_dependent") {
      need(1), b.batchDependent = toInt(w[1], what, line) != 0;
    } else if (key == "heads") {
      need(1), b.heads = toInt(w[1], what, line);
    } else if (key == "param") {
      need(1), b.params.push_back(decoded());
    } else if (key == "variant") {
      need(5);
      KernelVariant v;
      v.dtype = w[1];
      if (v.dtype != "bf16" && v.dtype != "f16")
        throw bad(fmt::format("unknown dtype '{}' (bf16 or f16)", v.dtype));
      v.headDim = toInt(w[2], what, line);
      v.smemBytes = toInt(w[3], what, line);
      v.warps = toInt(w[4], what, line);
      v.rowBlocks = toInt(w[5], what, line);
      if (v.warps < 1 || v.warps > 32)
        throw bad(fmt::format("{} warps per CTA is out of range", v.warps));
      if (v.rowBlocks < 1 || v.rowBlocks > 4)
        throw bad(fmt::format("{} row blocks per warp is out of range (1 to "
                              "4)",
                              v.rowBlocks));
      b.variants.push_back(v);
    } else if (key == "checksum") {
      need(1), sum = w[1];
    } else {
      throw bad(fmt::format("unknown key '{}'", key));
    }
  }
  if (!sawHeader)
    throw Error(fmt::format("{}: empty manifest", what));
  for (auto [field, name] :
       {std::pair{&b.pattern, "pattern"}, {&b.arch, "arch"},
        {&b.format, "format"}, {&b.binaryFile, "binary"}, {&sum, "checksum"}})
    if (field->empty())
      throw Error(fmt::format("{}: the manifest has no '{}' line", what, name));
  if (b.variants.empty())
    throw Error(fmt::format("{}: the manifest lists no kernel variant", what));
  if (b.params.size() > 16)
    throw Error(fmt::format("{}: more than 16 run-time parameters", what));
  b.binary = sum; // checked by read() once the binary is loaded
  return b;
}

void Bundle::write(const std::string &dir) const {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw Error(fmt::format("cannot create directory '{}': {}", dir,
                            std::strerror(errno)));
  std::string error;
  // The binary first: a reader never sees a manifest naming a missing file.
  if (!writeFileAtomic(dir + "/" + binaryFile, binary.data(), binary.size(),
                       error))
    throw Error(error);
  std::string text = manifest();
  if (!writeFileAtomic(dir + "/manifest.txt", text.data(), text.size(), error))
    throw Error(error);
}

namespace {
std::string slurp(const std::string &path, uint64_t maxBytes) {
  std::string text, error;
  if (!readRegularFile(path, maxBytes, text, error))
    throw Error(error);
  return text;
}
} // namespace

Bundle Bundle::read(const std::string &dir) {
  std::string manifestPath = dir + "/manifest.txt";
  Bundle b =
      parseManifest(slurp(manifestPath, kMaxManifestBytes), manifestPath);
  std::string expected = b.binary;
  b.binary = slurp(dir + "/" + b.binaryFile, kMaxBundleBinaryBytes);
  if (checksum(b.binary) != expected)
    throw Error(fmt::format("'{}/{}' is damaged: its checksum {} differs from "
                            "the manifest's {}",
                            dir, b.binaryFile, checksum(b.binary), expected));
  return b;
}

} // namespace attn::cuda
