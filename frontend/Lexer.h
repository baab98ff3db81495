//===- Lexer.h - tokens of the .attn pattern language ----------*- C++ -*-===//
#ifndef ATTN_FRONTEND_LEXER_H
#define ATTN_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <string>

namespace mlir::attn {

enum class TokenKind {
  Eof,
  Error, // the lexer already reported this; the parser stops
  Identifier,
  Integer,
  Float,
  String,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Assign, // =
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Bang,
  Amp,
  Pipe,
  Less,
  LessEq,
  Greater,
  GreaterEq,
  EqEq,
  NotEq,
};

/// A human-readable spelling of a token kind, for "expected X" messages.
llvm::StringRef tokenKindSpelling(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text; // points into the source buffer
  llvm::SMLoc loc;

  bool is(TokenKind k) const { return kind == k; }
  bool isIdent(llvm::StringRef s) const {
    return kind == TokenKind::Identifier && text == s;
  }
};

/// Turns a buffer into tokens. Errors go to the callback given at construction
/// (the frontend turns them into MLIR diagnostics); after the first error the
/// lexer returns only Error tokens, so each input gets exactly one lexical
/// error.
class Lexer {
public:
  using ErrorFn = void (*)(void *ctx, llvm::SMLoc loc, const llvm::Twine &msg);

  Lexer(llvm::StringRef buffer, ErrorFn onError, void *errorCtx);

  Token next();
  bool hadError() const { return failed; }

  /// Decodes the value of a String token (quotes removed, escapes resolved).
  static std::string stringValue(const Token &tok);

private:
  Token make(TokenKind kind, const char *start);
  Token error(const char *at, const llvm::Twine &msg);
  bool validateEncoding();
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *cur;
  ErrorFn onError;
  void *errorCtx;
  bool failed = false;
  bool validated = false;
};

} // namespace mlir::attn

#endif // ATTN_FRONTEND_LEXER_H
