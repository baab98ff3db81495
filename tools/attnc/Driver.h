//===- Driver.h - shared parts of the attnc commands ------------*- C++ -*-===//
#ifndef ATTN_TOOLS_ATTNC_DRIVER_H
#define ATTN_TOOLS_ATTNC_DRIVER_H

#include "dialect/AttnOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "passes/Pipeline.h"
#include "llvm/Support/SourceMgr.h"
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnc {

/// Limits on sizes from the command line, so that absurd values get a clear
/// message before anything is allocated (docs/CLI.md, "Limits").
constexpr int64_t kMaxLength = int64_t(1) << 31; // --seq, --kv-seq, NQ, NK
constexpr int64_t kMaxHeads = 65536;             // --heads, H of --random
constexpr int64_t kMaxBatch = 65536;             // --batch, B of --random
constexpr int64_t kMaxHeadDim = 65536;           // D of --random
constexpr int64_t kMaxTile = 4096;               // each side of --tile
constexpr int64_t kMaxPicture = 4096;            // --size
constexpr int64_t kMaxThreads = 4096;            // --threads
constexpr int64_t kMaxRepeat = 1000000;          // --repeat
/// Tiles one blockmap or show may classify (heads x query x key tiles).
constexpr int64_t kMaxMapTiles = int64_t(1) << 38;
/// Bytes of the mask `attnc mask` builds.
constexpr int64_t kMaxMaskBytes = int64_t(1) << 32;

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

  /// Integer option in [min, max]; leaves `out` unchanged when absent.
  /// Prints an error and returns false on a bad value.
  bool getInt(const std::string &name, int64_t &out, int64_t min,
              int64_t max = INT64_MAX) const;

  std::string command;

private:
  std::vector<std::string> argv;
  std::map<std::string, bool> valued, flags;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positionals;
};

/// Prints `attnc <command>: error: msg` to stderr; returns 1.
int fail(const std::string &command, const std::string &msg);

//===----------------------------------------------------------------------===//
// Checked standard output
//===----------------------------------------------------------------------===//

/// Writes to standard output and checks the write. After a failure (a full
/// disk, a closed descriptor) further writes are skipped; returns false
/// when the output has failed.
bool out(std::string_view text);
template <typename... T>
bool outf(fmt::format_string<T...> format, T &&...args) {
  return out(fmt::format(format, std::forward<T>(args)...));
}
/// Whether a write to standard output has failed.
bool outputFailed();
/// Flushes standard output. When a write failed, prints the error for
/// `command` and returns 1; otherwise returns `status`.
int finishOutput(const std::string &command, int status);
/// Reopens closed standard descriptors on /dev/null (stdout read-only, so
/// that writing to it fails and is reported) so that no file opened later
/// takes their place. Called first by main().
void guardStandardDescriptors();

/// A JSON string literal (with the quotes): attn::jsonString
/// (support/TextEscape.h), plain ASCII, invalid UTF-8 bytes as U+FFFD.
std::string jsonString(std::string_view text);

/// --json: commands that print nothing to format reject it with a reason.
bool rejectJson(const Args &args, const std::string &why);

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
  int64_t batches = 1, batch = 0; // --batch B and --b I
};
/// Declares --seq, --kv-seq, --heads, --batch and --b.
void addShapeOptions(Args &args);
/// Reads them, checked against the limits and the pattern.
bool readShape(const Args &args, mlir::attn::PatternOp pattern, Shape &shape);
/// The help text of the shape options.
extern const char *const kShapeHelp;

/// attnc blockmap and attnc show (MapCommands.cpp).
int runBlockmap(std::vector<std::string> argv);
int runShow(std::vector<std::string> argv);

/// Options shared by every command that compiles a pattern.
void addCommonOptions(Args &args);
extern const char *const kCommonHelp;
/// Parses the arguments and the one FILE; prints the help when asked (then
/// `exit` is 0) and errors (then `exit` is the status). False: return exit.
bool setupCommand(Args &args, const std::string &help, int &exit,
                  std::string &file);

/// attnc run and attnc cache (RunCommand.cpp).
int runRun(std::vector<std::string> argv);
int runCache(std::vector<std::string> argv);

/// Parses "64x64" or "64" (sizes 1 to kMaxTile).
bool parseTile(const std::string &text, int64_t &q, int64_t &k);
/// Reads --tile into q and k (left unchanged when absent and not
/// `required`); prints the error and returns false on a bad value.
bool readTile(const Args &args, int64_t &q, int64_t &k, bool required);

} // namespace attnc

#endif // ATTN_TOOLS_ATTNC_DRIVER_H
