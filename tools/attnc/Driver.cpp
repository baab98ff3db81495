//===- Driver.cpp - shared parts of the attnc commands ---------------------===//
#include "tools/attnc/Driver.h"
#include "codegen/CpuLowering.h"
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Passes.h"
#include "runtime/FileRead.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include <fmt/core.h>

using namespace mlir;
using namespace attnc;

namespace attnc {
// In this file `attn` is the dialect's namespace (the runtime's is ::attn,
// for runtime/FileRead.h).
namespace attn = mlir::attn;
} // namespace attnc

int attnc::fail(const std::string &command, const std::string &msg) {
  fmt::print(stderr, "attnc {}: error: {}\n", command, msg);
  return 1;
}

bool Args::parse() {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string &a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a == "-") {
      positionals.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool inlineValue = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inlineValue = true;
    }
    if (flags.count(name)) {
      if (inlineValue) {
        fail(command, fmt::format("option '{}' takes no value", name));
        return false;
      }
      values[name].push_back("1");
      continue;
    }
    auto it = valued.find(name);
    if (it == valued.end()) {
      fail(command, fmt::format("unknown option '{}' (see attnc {} --help)",
                                name, command));
      return false;
    }
    if (!inlineValue) {
      if (i + 1 >= argv.size()) {
        fail(command, fmt::format("option '{}' needs a value", name));
        return false;
      }
      value = argv[++i];
    }
    if (!it->second && values.count(name)) {
      fail(command, fmt::format("option '{}' given twice", name));
      return false;
    }
    values[name].push_back(value);
  }
  return true;
}

std::optional<std::string> Args::get(const std::string &name) const {
  auto it = values.find(name);
  if (it == values.end())
    return std::nullopt;
  return it->second.back();
}
std::vector<std::string> Args::getAll(const std::string &name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}
bool Args::has(const std::string &name) const { return values.count(name); }

bool Args::getInt(const std::string &name, int64_t &out, int64_t min) const {
  auto v = get(name);
  if (!v)
    return true;
  llvm::StringRef text(*v);
  if (text.getAsInteger(10, out)) {
    fail(command, fmt::format("{} expects an integer, got '{}'", name, *v));
    return false;
  }
  if (out < min) {
    fail(command, fmt::format("{} must be at least {}, got {}", name, min, out));
    return false;
  }
  return true;
}

bool attnc::parseTile(const std::string &text, int64_t &q, int64_t &k) {
  auto [a, b] = llvm::StringRef(text).split('x');
  if (a.getAsInteger(10, q))
    return false;
  if (b.empty() && !llvm::StringRef(text).contains('x'))
    k = q;
  else if (b.getAsInteger(10, k))
    return false;
  return q >= 1 && k >= 1;
}

bool attnc::readTile(const Args &args, int64_t &q, int64_t &k,
                     bool required) {
  auto text = args.get("--tile");
  if (!text) {
    if (required)
      fail(args.command, "--tile BQxBK is required");
    return !required;
  }
  if (parseTile(*text, q, k))
    return true;
  fail(args.command, fmt::format("--tile expects BQxBK with positive sizes, "
                                 "got '{}'",
                                 *text));
  return false;
}

Session::Session() {
  DialectRegistry registry;
  attn::registerAttnDialects(registry);
  attn::registerCpuLoweringDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  // Users see their .attn source with a caret; IR dumps would be noise.
  context.printOpOnDiagnostic(false);
  diagnostics =
      std::make_unique<SourceMgrDiagnosticHandler>(sourceMgr, &context);
}
Session::~Session() = default;

bool Session::load(const std::string &command, const std::string &path) {
  if (llvm::sys::fs::is_directory(path)) {
    fail(command, fmt::format("'{}' is a directory, not a .attn file", path));
    return false;
  }
  // A regular file within the source limit: /dev/zero or a FIFO is refused.
  std::string text, error;
  if (!::attn::readRegularFile(path, ::attn::kMaxSourceBytes, text, error)) {
    fail(command, error);
    return false;
  }
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, path),
                               llvm::SMLoc());
  return true;
}

bool Session::compile(const Args &args, attn::Stage stop, int64_t tileQ,
                      int64_t tileK) {
  module = attn::importAttn(sourceMgr, &context);
  if (!module)
    return false;
  if (auto name = args.get("--pattern")) {
    patternName = *name;
    std::string names;
    bool found = false;
    for (auto p : module->getOps<attn::PatternOp>()) {
      found |= p.getSymName() == patternName;
      if (!p.isPrivate())
        names += (names.empty() ? "" : ", ") + p.getSymName().str();
    }
    if (!found) {
      fail(args.command,
           fmt::format("no pattern named '{}' in {} (patterns: {})",
                       patternName, args.positional()[0], names));
      return false;
    }
  } else {
    for (auto p : module->getOps<attn::PatternOp>())
      if (!p.isPrivate()) {
        patternName = p.getSymName().str();
        break;
      }
  }
  attn::PipelineOptions options;
  options.pattern = patternName;
  options.values = args.getAll("--set");
  options.tileQ = tileQ;
  options.tileK = tileK;
  options.stop = stop;
  PassManager pm(&context);
  attn::buildAttnPipeline(pm, options);
  if (failed(pm.run(*module)))
    return false;
  if (!pattern()) {
    fail(args.command, fmt::format("pattern '{}' vanished during "
                                   "compilation",
                                   patternName));
    return false;
  }
  return true;
}

mlir::attn::PatternOp Session::pattern() {
  return dyn_cast_or_null<attn::PatternOp>(
      SymbolTable::lookupSymbolIn(*module, patternName));
}

bool attnc::readShape(const Args &args, attn::PatternOp pattern,
                      Shape &shape) {
  const std::string &cmd = args.command;
  if (!args.has("--seq")) {
    fail(cmd, "--seq N is required");
    return false;
  }
  if (!args.getInt("--seq", shape.nq, 1))
    return false;
  shape.nk = shape.nq;
  if (!args.getInt("--kv-seq", shape.nk, 1))
    return false;
  std::optional<int64_t> declared = pattern.getHeads();
  shape.heads = declared.value_or(1);
  if (args.has("--heads")) {
    int64_t h = 0;
    if (!args.getInt("--heads", h, 1))
      return false;
    if (declared && h != *declared) {
      fail(cmd, fmt::format("pattern '{}' has {} heads, but --heads is {}",
                            pattern.getSymName().str(), *declared, h));
      return false;
    }
    shape.heads = h;
  }
  if (auto layout = pattern.getLayout()) {
    int64_t tokens = (*layout)[0] * (*layout)[1];
    if (shape.nq != tokens || shape.nk != tokens) {
      fail(cmd, fmt::format("pattern '{}' has layout grid({}, {}), so the "
                            "sequence length must be {}, got --seq {}{}",
                            pattern.getSymName().str(), (*layout)[0],
                            (*layout)[1], tokens, shape.nq,
                            shape.nk != shape.nq
                                ? fmt::format(" --kv-seq {}", shape.nk)
                                : ""));
      return false;
    }
  }
  std::string problem =
      attn::checkShape(attn::getShapeRequirements(pattern),
                       pattern.getSymName(), shape.heads, shape.nq, shape.nk);
  if (!problem.empty()) {
    fail(cmd, problem);
    return false;
  }
  for (unsigned i = 0; i < pattern.getNumParams(); ++i) {
    fail(cmd, fmt::format("run-time parameter '{}' needs a value here: add "
                          "--set {}=VALUE",
                          pattern.getParamName(i).str(),
                          pattern.getParamName(i).str()));
    return false;
  }
  return true;
}
