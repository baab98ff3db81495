//===- Parser.h - recursive-descent parser for .attn files -----*- C++ -*-===//
#ifndef ATTN_FRONTEND_PARSER_H
#define ATTN_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Lexer.h"

#include <functional>
#include <optional>

namespace mlir::attn {

/// Parses one buffer into an ast::Module. Only the first error is reported
/// (through `onError`), so malformed input gets one precise message and no
/// cascade; parseModule then returns null.
class Parser {
public:
  using ErrorFn = std::function<void(llvm::SMLoc, const llvm::Twine &)>;

  /// Deepest expression nesting accepted: parentheses, lists, unary chains
  /// and arithmetic operator chains count; a flat chain of `|` or `&` is one
  /// level however long. Keeps every recursive walk over the tree
  /// (here, in MLIRGen, in destructors) far from the stack limit.
  static constexpr unsigned kMaxDepth = 256;

  Parser(llvm::StringRef buffer, ErrorFn onError);

  /// User files may not name patterns with "__" (attnc's internal names);
  /// the embedded prelude is parsed with this off.
  bool reserveInternalNames = true;

  std::unique_ptr<ast::Module> parseModule();
  /// Parses a whole buffer as one expression (for tests and tools).
  ast::ExprPtr parseStandaloneExpr();

  bool hadError() const { return failed; }

private:
  void advance();
  const Token &peek();
  bool error(llvm::SMLoc loc, const llvm::Twine &msg);
  bool errorHere(const llvm::Twine &msg);
  std::string describe(const Token &t);
  bool expect(TokenKind kind, llvm::StringRef context);
  bool expectClose(TokenKind close, llvm::SMLoc openLoc);
  bool consumeIf(TokenKind kind);

  std::unique_ptr<ast::PatternDecl> parsePattern();
  bool parseParam(ast::PatternDecl &p);
  bool parseItem(ast::PatternDecl &p);
  std::optional<int64_t> parseIntLiteral(llvm::StringRef what);
  ast::ExprPtr parseLiteral();

  ast::ExprPtr parseExpr();
  ast::ExprPtr parseChain(ast::BinaryOp op, TokenKind opTok,
                          ast::ExprPtr (Parser::*operand)());
  ast::ExprPtr parseOr();
  ast::ExprPtr parseAnd();
  ast::ExprPtr parseCmp();
  ast::ExprPtr parseAdd();
  ast::ExprPtr parseMul();
  ast::ExprPtr parseUnary();
  ast::ExprPtr parsePrimary();
  ast::ExprPtr parseCallArgs(const Token &name);
  ast::ExprPtr makeBinary(ast::BinaryOp op, llvm::SMLoc loc, ast::ExprPtr lhs,
                          ast::ExprPtr rhs);
  bool checkDepth(ast::Expr &e);

  static void lexerError(void *ctx, llvm::SMLoc loc, const llvm::Twine &msg);

  ErrorFn onError;
  Lexer lexer;
  Token tok;
  std::optional<Token> lookahead;
  unsigned nesting = 0;
  bool failed = false;
};

} // namespace mlir::attn

#endif // ATTN_FRONTEND_PARSER_H
