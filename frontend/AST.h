//===- AST.h - syntax tree of the .attn pattern language -------*- C++ -*-===//
#ifndef ATTN_FRONTEND_AST_H
#define ATTN_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn::ast {

enum class ExprKind {
  Int,
  Float,
  Bool,
  String,
  Ident,
  Unary,
  Binary,
  Call,
  List
};

enum class UnaryOp { Not, Neg };

enum class BinaryOp {
  Or,
  And,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Add,
  Sub,
  Mul,
  Div,
  Rem,
};

llvm::StringRef spelling(BinaryOp op);
llvm::StringRef spelling(UnaryOp op);
bool isComparison(BinaryOp op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One argument of a call: positional when `name` is empty.
struct Arg {
  std::string name;
  llvm::SMLoc nameLoc;
  ExprPtr value;
};

/// One node kind with all fields: the language is small, and a flat struct
/// keeps the parser, the dumper and MLIRGen short.
struct Expr {
  ExprKind kind;
  llvm::SMLoc loc;    // the literal, name or operator token
  unsigned depth = 1; // height of this subtree (bounded by the parser)

  int64_t intValue = 0;   // Int
  double floatValue = 0;  // Float
  bool boolValue = false; // Bool
  std::string name;       // Ident, Call (callee), String (decoded)
  UnaryOp unaryOp = UnaryOp::Not;
  BinaryOp binaryOp = BinaryOp::Or;
  /// Unary: 1; Binary: 2, or 2 and more for a flat chain of `|` or `&`
  /// (then `opLocs` holds the operator tokens, `loc` is the first); List:
  /// the elements.
  std::vector<ExprPtr> operands;
  std::vector<llvm::SMLoc> opLocs;
  std::vector<Arg> args;         // Call

  explicit Expr(ExprKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

enum class ParamType { Int, Float, Bool };
llvm::StringRef spelling(ParamType type);

struct Param {
  std::string name;
  llvm::SMLoc loc;
  ParamType type = ParamType::Int;
  bool runtime = false; // declared with `param`
  ExprPtr defaultValue; // a literal, or null
};

/// `mask EXPR` (all heads) or `mask[lo:hi] EXPR`.
struct MaskClause {
  llvm::SMLoc loc; // the `mask` keyword
  bool hasRange = false;
  int64_t lo = 0, hi = 0;
  llvm::SMLoc rangeLoc; // the `[`
  ExprPtr expr;
};

enum class LayoutKind { Unspecified, Seq, Grid };

struct PatternDecl {
  std::string name;
  llvm::SMLoc loc; // the name
  std::vector<Param> params;
  std::optional<int64_t> heads;
  llvm::SMLoc headsLoc;
  LayoutKind layout = LayoutKind::Unspecified;
  int64_t gridH = 0, gridW = 0;
  llvm::SMLoc layoutLoc;
  std::vector<MaskClause> masks;
  bool fromPrelude = false;

  const Param *findParam(llvm::StringRef n) const {
    for (const Param &p : params)
      if (p.name == n)
        return &p;
    return nullptr;
  }
};

struct Module {
  std::vector<std::unique_ptr<PatternDecl>> patterns;
  void dump(llvm::raw_ostream &os) const;
};

void dump(const Expr &e, llvm::raw_ostream &os, unsigned indent = 0);
void dump(const PatternDecl &p, llvm::raw_ostream &os);

} // namespace mlir::attn::ast

#endif // ATTN_FRONTEND_AST_H
