//===- Driver.h - shared parts of the attnc commands ------------*- C++ -*-===//
#ifndef ATTN_TOOLS_ATTNC_DRIVER_H
#define ATTN_TOOLS_ATTNC_DRIVER_H

#include "dialect/AttnOps.h"
#include "passes/Pipeline.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnc {

/// Command-line arguments: `--name value`, `--name=value`, flags, positionals.
class Args {
public:
  Args(std::string command, std::vector<std::string> argv)
      : command(std::move(command)), argv(std::move(argv)) {}
  /// Declares an option taking a value (repeatable when `multi`).
  void option(const std::string &name, bool multi = false) {
    valued[name] = multi;
  }
  void flag(const std::string &name) { flags[name] = false; }
  /// Parses; false after printing an error.
  bool parse();

  std::optional<std::string> get(const std::string &name) const;
  std::vector<std::string> getAll(const std::string &name) const;
  bool has(const std::string &name) const;
  const std::vector<std::string> &positional() const { return positionals; }

  /// Integer option; prints an error and returns nullopt on a bad value.
  bool getInt(const std::string &name, int64_t &out, int64_t min) const;

  std::string command;

private:
  std::vector<std::string> argv;
  std::map<std::string, bool> valued, flags;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positionals;
};

/// Prints `attnc <command>: error: msg` to stderr; returns 1.
int fail(const std::string &command, const std::string &msg);

/// A parsed, compiled pattern with its diagnostics plumbing.
struct Session {
  Session();
  ~Session();
  mlir::MLIRContext context;
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<mlir::SourceMgrDiagnosticHandler> diagnostics;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string patternName;

  /// Reads FILE into the source manager (clear error when unreadable).
  bool load(const std::string &command, const std::string &path);
  /// Imports the file and runs the pipeline up to `stop`; the pattern is
  /// --pattern or the first pattern of the file.
  bool compile(const Args &args, mlir::attn::Stage stop, int64_t tileQ = 64,
               int64_t tileK = 64);
  mlir::attn::PatternOp pattern();
};

/// Shape options shared by mask, blockmap and show.
struct Shape {
  int64_t heads = 1, nq = 0, nk = 0;
};
/// Reads --seq, --kv-seq and --heads, checked against the pattern.
bool readShape(const Args &args, mlir::attn::PatternOp pattern, Shape &shape);

/// attnc run and attnc cache (RunCommand.cpp).
int runRun(std::vector<std::string> argv);
int runCache(std::vector<std::string> argv);

/// Parses "64x64" or "64".
bool parseTile(const std::string &text, int64_t &q, int64_t &k);
/// Reads --tile into q and k (left unchanged when absent and not
/// `required`); prints the error and returns false on a bad value.
bool readTile(const Args &args, int64_t &q, int64_t &k, bool required);

} // namespace attnc

#endif // ATTN_TOOLS_ATTNC_DRIVER_H
