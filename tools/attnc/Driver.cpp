//===- Driver.cpp - shared parts of the attnc commands ---------------------===//
#include "tools/attnc/Driver.h"
#include "support/TextEscape.h"
#include "codegen/CpuLowering.h"
#include "frontend/Frontend.h"
#include "passes/InitAll.h"
#include "passes/Passes.h"
#include "support/FileRead.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace mlir;
using namespace attnc;

namespace attnc {
// In this file `attn` is the dialect's namespace (the runtime's is ::attn,
// for support/FileRead.h).
namespace attn = mlir::attn;
} // namespace attnc

int attnc::fail(const std::string &command, const std::string &msg) {
  // fputs, not fmt::print: a failing stderr must not throw.
  std::fputs(fmt::format("attnc{}{}: error: {}\n", command.empty() ? "" : " ",
                         command, msg)
                 .c_str(),
             stderr);
  return 1;
}

//===----------------------------------------------------------------------===//
// Checked standard output
//===----------------------------------------------------------------------===//

namespace {
/// The first failure writing standard output (0: none yet).
int outputErrno = 0;
bool stdoutClosed = false;
} // namespace

bool attnc::out(std::string_view text) {
  if (outputErrno)
    return false;
  if (text.empty())
    return true;
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    outputErrno = errno ? errno : EIO;
    return false;
  }
  return true;
}

bool attnc::outputFailed() { return outputErrno != 0; }

int attnc::finishOutput(const std::string &command, int status) {
  if (!outputErrno) {
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout))
      outputErrno = errno ? errno : EIO;
  }
  if (!outputErrno)
    return status;
  std::string why =
      stdoutClosed ? "standard output is closed" : std::strerror(outputErrno);
  fail(command, "cannot write to standard output: " + why);
  // Report once, and let exit() drop what is still buffered.
  std::clearerr(stdout);
  return 1;
}

void attnc::guardStandardDescriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
      continue;
    // Read-only for stdout: writes then fail (EBADF) and are reported.
    int flags = fd == 2 ? O_WRONLY : O_RDONLY;
    int opened = ::open("/dev/null", flags | O_CLOEXEC);
    if (opened < 0)
      continue;
    if (opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
    if (fd == 1)
      stdoutClosed = true;
  }
}

std::string attnc::jsonString(std::string_view text) {
  return ::attn::jsonString(text);
}

bool attnc::rejectJson(const Args &args, const std::string &why) {
  if (!args.has("--json"))
    return false;
  fail(args.command, "--json does not apply: " + why);
  return true;
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

bool Args::getInt(const std::string &name, int64_t &out, int64_t min,
                  int64_t max) const {
  auto v = get(name);
  if (!v)
    return true;
  llvm::StringRef text(*v);
  int64_t value = 0;
  if (text.getAsInteger(10, value)) {
    // Digits that do not fit in 64 bits are out of range, not malformed.
    llvm::StringRef digits = text.starts_with("-") || text.starts_with("+")
                                 ? text.drop_front()
                                 : text;
    bool number = !digits.empty() && digits.find_first_not_of("0123456789") ==
                                         llvm::StringRef::npos;
    if (number && text.starts_with("-"))
      fail(command,
           fmt::format("{} must be at least {}, got {}", name, min, *v));
    else if (number)
      fail(command,
           fmt::format("{} must be at most {}, got {}", name, max, *v));
    else
      fail(command, fmt::format("{} expects an integer, got '{}'", name, *v));
    return false;
  }
  if (value < min) {
    fail(command,
         fmt::format("{} must be at least {}, got {}", name, min, value));
    return false;
  }
  if (value > max) {
    fail(command,
         fmt::format("{} must be at most {}, got {}", name, max, value));
    return false;
  }
  out = value;
  return true;
}

/// Reads "64x64" or "64"; sizes must be positive (not yet bounded).
static bool parseTileText(const std::string &text, int64_t &q, int64_t &k) {
  auto [a, b] = llvm::StringRef(text).split('x');
  if (a.getAsInteger(10, q))
    return false;
  if (b.empty() && !llvm::StringRef(text).contains('x'))
    k = q;
  else if (b.getAsInteger(10, k))
    return false;
  return q >= 1 && k >= 1;
}

bool attnc::parseTile(const std::string &text, int64_t &q, int64_t &k) {
  int64_t tq = 0, tk = 0;
  if (!parseTileText(text, tq, tk) || tq > kMaxTile || tk > kMaxTile)
    return false;
  q = tq;
  k = tk;
  return true;
}

bool attnc::readTile(const Args &args, int64_t &q, int64_t &k,
                     bool required) {
  auto text = args.get("--tile");
  if (!text) {
    if (required)
      fail(args.command, "--tile BQxBK is required");
    return !required;
  }
  int64_t tq = 0, tk = 0;
  if (!parseTileText(*text, tq, tk)) {
    fail(args.command, fmt::format("--tile expects BQxBK with positive "
                                   "sizes, got '{}'",
                                   *text));
    return false;
  }
  if (tq > kMaxTile || tk > kMaxTile) {
    fail(args.command, fmt::format("--tile sizes must be at most {}, got "
                                   "'{}'",
                                   kMaxTile, *text));
    return false;
  }
  q = tq;
  k = tk;
  return true;
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

const char *const attnc::kCommonHelp =
    R"(  --pattern NAME       pattern to use (default: the first in the file)
  --set NAME=VALUE     set a parameter (repeatable); run-time 'param'
                       parameters need a value for mask, blockmap and show
)";

const char *const attnc::kShapeHelp =
    R"(  --seq N              query length (for a grid layout, H*W)
  --kv-seq M           key length (default N); queries align bottom-right
  --heads H            head count (default: the pattern's, else 1)
  --batch B            batch size (default 1)
  --b I                the batch index whose mask is shown (default 0,
                       below B): for patterns that read the index b
)";

void attnc::addCommonOptions(Args &args) {
  args.option("--pattern");
  args.option("--set", /*multi=*/true);
  args.flag("--help");
}

void attnc::addShapeOptions(Args &args) {
  args.option("--seq");
  args.option("--kv-seq");
  args.option("--heads");
  args.option("--batch");
  args.option("--b");
}

bool attnc::setupCommand(Args &args, const std::string &help, int &exit,
                         std::string &file) {
  if (!args.parse()) {
    exit = 2;
    return false;
  }
  if (args.has("--help")) {
    out(help);
    exit = 0;
    return false;
  }
  if (args.positional().size() != 1) {
    exit =
        fail(args.command,
             args.positional().empty()
                 ? "expected one .attn FILE"
                 : fmt::format("expected one .attn FILE, got {} ({}, ...)",
                               args.positional().size(), args.positional()[0]));
    return false;
  }
  file = args.positional()[0];
  return true;
}

bool attnc::readShape(const Args &args, attn::PatternOp pattern,
                      Shape &shape) {
  const std::string &cmd = args.command;
  if (!args.has("--seq")) {
    fail(cmd, "--seq N is required");
    return false;
  }
  if (!args.getInt("--seq", shape.nq, 1, kMaxLength))
    return false;
  shape.nk = shape.nq;
  if (!args.getInt("--kv-seq", shape.nk, 1, kMaxLength))
    return false;
  if (!args.getInt("--batch", shape.batches, 1, kMaxBatch) ||
      !args.getInt("--b", shape.batch, 0, kMaxBatch - 1))
    return false;
  if (shape.batch >= shape.batches) {
    fail(cmd, fmt::format("--b {} is out of range: --batch is {} (indices 0 "
                          "to {})",
                          shape.batch, shape.batches, shape.batches - 1));
    return false;
  }
  std::optional<int64_t> declared = pattern.getHeads();
  shape.heads = declared.value_or(1);
  if (args.has("--heads")) {
    int64_t h = 0;
    if (!args.getInt("--heads", h, 1, kMaxHeads))
      return false;
    if (declared && h != *declared) {
      fail(cmd, fmt::format("pattern '{}' has {} heads, but --heads is {}",
                            pattern.getSymName().str(), *declared, h));
      return false;
    }
    shape.heads = h;
  }
  if (auto layout = pattern.getLayout()) {
    int64_t tokens = 0;
    bool huge = __builtin_mul_overflow((*layout)[0], (*layout)[1], &tokens);
    if (huge || shape.nq != tokens || shape.nk != tokens) {
      fail(cmd, fmt::format(
                    "pattern '{}' has layout grid({}, {}), so the "
                    "sequence length must be {}, got --seq {}{}",
                    pattern.getSymName().str(), (*layout)[0], (*layout)[1],
                    huge ? fmt::format("{}*{}", (*layout)[0], (*layout)[1])
                         : fmt::format("{}", tokens),
                    shape.nq,
                    shape.nk != shape.nq ? fmt::format(" --kv-seq {}", shape.nk)
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
