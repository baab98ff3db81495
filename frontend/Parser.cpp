//===- Parser.cpp - recursive-descent parser for .attn files --------------===//
#include "frontend/Parser.h"

#include "dialect/AttnLimits.h"
#include "llvm/ADT/StringExtras.h"

#include <cerrno>
#include <cstdlib>

using namespace mlir::attn;
using namespace mlir::attn::ast;

Parser::Parser(llvm::StringRef buffer, ErrorFn onError)
    : onError(std::move(onError)), lexer(buffer, &Parser::lexerError, this) {
  advance();
}

void Parser::lexerError(void *ctx, llvm::SMLoc loc, const llvm::Twine &msg) {
  static_cast<Parser *>(ctx)->error(loc, msg);
}

void Parser::advance() {
  if (lookahead) {
    tok = *lookahead;
    lookahead.reset();
    return;
  }
  tok = lexer.next();
}

const Token &Parser::peek() {
  if (!lookahead)
    lookahead = lexer.next();
  return *lookahead;
}

bool Parser::error(llvm::SMLoc loc, const llvm::Twine &msg) {
  // Only the first error is worth reading: later ones are consequences.
  if (!failed)
    onError(loc, msg);
  failed = true;
  return false;
}

bool Parser::errorHere(const llvm::Twine &msg) { return error(tok.loc, msg); }

std::string Parser::describe(const Token &t) {
  switch (t.kind) {
  case TokenKind::Identifier:
  case TokenKind::Integer:
  case TokenKind::Float:
    return ("'" + t.text + "'").str();
  case TokenKind::String:
    return "string " + t.text.str();
  default:
    return tokenKindSpelling(t.kind).str();
  }
}

bool Parser::consumeIf(TokenKind kind) {
  if (!tok.is(kind))
    return false;
  advance();
  return true;
}

bool Parser::expect(TokenKind kind, llvm::StringRef context) {
  if (tok.is(kind)) {
    advance();
    return true;
  }
  if (tok.is(TokenKind::Error))
    return false;
  return errorHere("expected " + tokenKindSpelling(kind) + " " + context +
                   ", found " + describe(tok));
}

bool Parser::expectClose(TokenKind close, llvm::SMLoc openLoc) {
  if (tok.is(close)) {
    advance();
    return true;
  }
  if (tok.is(TokenKind::Error))
    return false;
  llvm::StringRef open = close == TokenKind::RParen     ? "'('"
                         : close == TokenKind::RBracket ? "'['"
                                                        : "'{'";
  if (tok.is(TokenKind::Eof))
    return error(openLoc, "missing " + tokenKindSpelling(close) +
                              " to close this " + open);
  return errorHere("expected " + tokenKindSpelling(close) + ", found " +
                   describe(tok));
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> Parser::parseModule() {
  auto module = std::make_unique<Module>();
  while (!tok.is(TokenKind::Eof)) {
    if (tok.is(TokenKind::Error))
      return nullptr;
    if (!tok.isIdent("pattern")) {
      errorHere("expected 'pattern', found " + describe(tok));
      return nullptr;
    }
    auto p = parsePattern();
    if (!p)
      return nullptr;
    module->patterns.push_back(std::move(p));
  }
  if (failed)
    return nullptr;
  if (module->patterns.empty()) {
    errorHere("no pattern in file");
    return nullptr;
  }
  return module;
}

static bool isReservedWord(llvm::StringRef s) {
  return llvm::is_contained(
      {"pattern", "mask", "heads", "layout", "param", "true", "false"}, s);
}

std::unique_ptr<PatternDecl> Parser::parsePattern() {
  advance(); // 'pattern'
  auto p = std::make_unique<PatternDecl>();
  if (!tok.is(TokenKind::Identifier) || isReservedWord(tok.text)) {
    if (!tok.is(TokenKind::Error))
      errorHere("expected a pattern name after 'pattern', found " +
                describe(tok));
    return nullptr;
  }
  p->name = tok.text.str();
  p->loc = tok.loc;
  // Generated names (specializations like swin__grid14x14, the prelude's
  // shadowed patterns, the classifier's P__mask) all contain "__": a user
  // name never can, so the two never meet.
  if (reserveInternalNames && tok.text.contains("__")) {
    errorHere("pattern name '" + tok.text +
              "' is reserved: names containing '__' are attnc's internal "
              "names");
    return nullptr;
  }
  advance();

  if (tok.is(TokenKind::LParen)) {
    llvm::SMLoc open = tok.loc;
    advance();
    if (!tok.is(TokenKind::RParen)) {
      do {
        if (!parseParam(*p))
          return nullptr;
      } while (consumeIf(TokenKind::Comma));
    }
    if (!expectClose(TokenKind::RParen, open))
      return nullptr;
  }

  if (!tok.is(TokenKind::LBrace)) {
    if (!tok.is(TokenKind::Error))
      errorHere("expected '{' to start pattern '" + p->name + "', found " +
                describe(tok));
    return nullptr;
  }
  llvm::SMLoc open = tok.loc;
  advance();
  while (!tok.is(TokenKind::RBrace)) {
    if (tok.is(TokenKind::Eof)) {
      error(open, "missing '}' to close pattern '" + p->name + "'");
      return nullptr;
    }
    if (!parseItem(*p))
      return nullptr;
  }
  advance(); // '}'
  return p;
}

bool Parser::parseParam(PatternDecl &p) {
  Param param;
  if (tok.isIdent("param") && peek().is(TokenKind::Identifier)) {
    param.runtime = true;
    advance();
  }
  if (!tok.is(TokenKind::Identifier) || isReservedWord(tok.text)) {
    if (!tok.is(TokenKind::Error))
      errorHere("expected a parameter name, found " + describe(tok));
    return false;
  }
  param.name = tok.text.str();
  param.loc = tok.loc;
  advance();
  if (!expect(TokenKind::Colon, "and a type after the parameter name"))
    return false;
  if (tok.isIdent("int"))
    param.type = ParamType::Int;
  else if (tok.isIdent("float"))
    param.type = ParamType::Float;
  else if (tok.isIdent("bool"))
    param.type = ParamType::Bool;
  else {
    if (!tok.is(TokenKind::Error))
      errorHere("expected a parameter type (int, float or bool), found " +
                describe(tok));
    return false;
  }
  advance();
  if (consumeIf(TokenKind::Assign)) {
    param.defaultValue = parseLiteral();
    if (!param.defaultValue)
      return false;
  }
  p.params.push_back(std::move(param));
  return true;
}

/// A default value: an optionally negated number, or true/false.
ExprPtr Parser::parseLiteral() {
  llvm::SMLoc loc = tok.loc;
  bool negate = consumeIf(TokenKind::Minus);
  if (tok.is(TokenKind::Integer) || tok.is(TokenKind::Float) ||
      (!negate && (tok.isIdent("true") || tok.isIdent("false")))) {
    ExprPtr e = parsePrimary();
    if (!e)
      return nullptr;
    e->loc = loc;
    if (negate) {
      if (e->kind == ExprKind::Int)
        e->intValue = -e->intValue;
      else
        e->floatValue = -e->floatValue;
    }
    return e;
  }
  if (!tok.is(TokenKind::Error))
    errorHere("a default value must be a literal (number, true or false), "
              "found " +
              describe(tok));
  return nullptr;
}

std::optional<int64_t> Parser::parseIntLiteral(llvm::StringRef what) {
  if (!tok.is(TokenKind::Integer)) {
    if (!tok.is(TokenKind::Error))
      errorHere("expected an integer " + what + ", found " + describe(tok));
    return std::nullopt;
  }
  int64_t v;
  if (tok.text.getAsInteger(10, v)) {
    errorHere("integer literal '" + tok.text + "' is too large");
    return std::nullopt;
  }
  advance();
  return v;
}

bool Parser::parseItem(PatternDecl &p) {
  if (tok.isIdent("heads")) {
    llvm::SMLoc loc = tok.loc;
    if (p.heads)
      return errorHere("duplicate 'heads' in pattern '" + p.name + "'");
    advance();
    llvm::SMLoc valueLoc = tok.loc;
    auto n = parseIntLiteral("head count after 'heads'");
    if (!n)
      return false;
    if (*n < 1)
      return error(valueLoc, "'heads' must be at least 1");
    if (*n > ::attn::limits::kMaxHeads)
      return error(valueLoc, "'heads' must be at most " +
                                 llvm::Twine(::attn::limits::kMaxHeads) +
                                 ", got " + llvm::Twine(*n));
    p.heads = *n;
    p.headsLoc = loc;
    return true;
  }
  if (tok.isIdent("layout")) {
    if (p.layout != LayoutKind::Unspecified)
      return errorHere("duplicate 'layout' in pattern '" + p.name + "'");
    p.layoutLoc = tok.loc;
    advance();
    if (tok.isIdent("seq")) {
      advance();
      p.layout = LayoutKind::Seq;
      return true;
    }
    if (!tok.isIdent("grid")) {
      if (tok.is(TokenKind::Error))
        return false;
      return errorHere("expected 'seq' or 'grid(H, W)' after 'layout', found " +
                       describe(tok));
    }
    advance();
    llvm::SMLoc open = tok.loc;
    if (!expect(TokenKind::LParen, "after 'grid'"))
      return false;
    llvm::SMLoc hLoc = tok.loc;
    auto h = parseIntLiteral("grid height");
    if (!h)
      return false;
    if (!expect(TokenKind::Comma, "between grid height and width"))
      return false;
    llvm::SMLoc wLoc = tok.loc;
    auto w = parseIntLiteral("grid width");
    if (!w)
      return false;
    if (!expectClose(TokenKind::RParen, open))
      return false;
    if (*h < 1)
      return error(hLoc, "grid height must be at least 1");
    if (*w < 1)
      return error(wLoc, "grid width must be at least 1");
    // Compared by division: H * W itself may not fit in 64 bits.
    if (*h > ::attn::limits::kMaxLength / *w)
      return error(hLoc, "grid(" + llvm::Twine(*h) + ", " + llvm::Twine(*w) +
                             ") has more tokens than the supported " +
                             llvm::Twine(::attn::limits::kMaxLength) +
                             " (2^40)");
    p.layout = LayoutKind::Grid;
    p.gridH = *h;
    p.gridW = *w;
    return true;
  }
  if (tok.isIdent("mask")) {
    MaskClause clause;
    clause.loc = tok.loc;
    advance();
    if (tok.is(TokenKind::LBracket)) {
      clause.hasRange = true;
      clause.rangeLoc = tok.loc;
      llvm::SMLoc open = tok.loc;
      advance();
      auto lo = parseIntLiteral("first head of the range");
      if (!lo)
        return false;
      if (!expect(TokenKind::Colon, "in head range 'mask[a:b]'"))
        return false;
      auto hi = parseIntLiteral("end of the head range");
      if (!hi)
        return false;
      if (!expectClose(TokenKind::RBracket, open))
        return false;
      clause.lo = *lo;
      clause.hi = *hi;
    }
    clause.expr = parseExpr();
    if (!clause.expr)
      return false;
    p.masks.push_back(std::move(clause));
    return true;
  }
  if (tok.is(TokenKind::Error))
    return false;
  return errorHere("expected 'heads', 'layout', 'mask' or '}' in pattern '" +
                   p.name + "', found " + describe(tok));
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

namespace {
/// Counts the parser's own recursion, so that 100 000 '(' stop at the limit
/// instead of overflowing the stack.
struct NestingGuard {
  unsigned &n;
  explicit NestingGuard(unsigned &n) : n(n) { ++n; }
  ~NestingGuard() { --n; }
};
} // namespace

ExprPtr Parser::parseStandaloneExpr() {
  ExprPtr e = parseExpr();
  if (!e)
    return nullptr;
  if (!tok.is(TokenKind::Eof)) {
    if (!tok.is(TokenKind::Error))
      errorHere("unexpected " + describe(tok) + " after expression");
    return nullptr;
  }
  return e;
}

bool Parser::checkDepth(Expr &e) {
  unsigned d = 0;
  for (const ExprPtr &x : e.operands)
    d = std::max(d, x->depth);
  for (const Arg &a : e.args)
    d = std::max(d, a.value->depth);
  e.depth = d + 1;
  if (e.depth > kMaxDepth)
    return error(e.loc, "expression nested too deeply (limit " +
                            llvm::Twine(kMaxDepth) + ")");
  return true;
}

ExprPtr Parser::makeBinary(BinaryOp op, llvm::SMLoc loc, ExprPtr lhs,
                           ExprPtr rhs) {
  auto e = std::make_unique<Expr>(ExprKind::Binary, loc);
  e->binaryOp = op;
  e->operands.push_back(std::move(lhs));
  e->operands.push_back(std::move(rhs));
  if (!checkDepth(*e))
    return nullptr;
  return e;
}

ExprPtr Parser::parseExpr() {
  NestingGuard guard(nesting);
  if (nesting > kMaxDepth) {
    error(tok.loc, "expression nested too deeply (limit " +
                       llvm::Twine(kMaxDepth) + ")");
    return nullptr;
  }
  return parseOr();
}

/// `a | b | c` (and `&` alike) is one node with every operand: a flat chain
/// is not nesting, so its length does not count toward kMaxDepth, and no
/// later walk recurses along it.
ExprPtr Parser::parseChain(BinaryOp op, TokenKind opTok,
                           ExprPtr (Parser::*operand)()) {
  ExprPtr first = (this->*operand)();
  if (!first || !tok.is(opTok))
    return first;
  auto e = std::make_unique<Expr>(ExprKind::Binary, tok.loc);
  e->binaryOp = op;
  e->operands.push_back(std::move(first));
  while (tok.is(opTok)) {
    e->opLocs.push_back(tok.loc);
    advance();
    ExprPtr rhs = (this->*operand)();
    if (!rhs)
      return nullptr;
    e->operands.push_back(std::move(rhs));
  }
  if (!checkDepth(*e))
    return nullptr;
  return e;
}

ExprPtr Parser::parseOr() {
  return parseChain(BinaryOp::Or, TokenKind::Pipe, &Parser::parseAnd);
}

ExprPtr Parser::parseAnd() {
  return parseChain(BinaryOp::And, TokenKind::Amp, &Parser::parseCmp);
}

static std::optional<BinaryOp> comparisonOp(TokenKind k) {
  switch (k) {
  case TokenKind::EqEq:
    return BinaryOp::Eq;
  case TokenKind::NotEq:
    return BinaryOp::Ne;
  case TokenKind::Less:
    return BinaryOp::Lt;
  case TokenKind::LessEq:
    return BinaryOp::Le;
  case TokenKind::Greater:
    return BinaryOp::Gt;
  case TokenKind::GreaterEq:
    return BinaryOp::Ge;
  default:
    return std::nullopt;
  }
}

ExprPtr Parser::parseCmp() {
  ExprPtr lhs = parseAdd();
  if (!lhs)
    return nullptr;
  if (auto op = comparisonOp(tok.kind)) {
    llvm::SMLoc loc = tok.loc;
    advance();
    ExprPtr rhs = parseAdd();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(*op, loc, std::move(lhs), std::move(rhs));
    if (!lhs)
      return nullptr;
    // `a < b < c` does not mean what it looks like: make the user say it.
    if (comparisonOp(tok.kind)) {
      errorHere("comparisons cannot be chained; use '&' to combine them");
      return nullptr;
    }
  }
  return lhs;
}

ExprPtr Parser::parseAdd() {
  ExprPtr lhs = parseMul();
  while (lhs && (tok.is(TokenKind::Plus) || tok.is(TokenKind::Minus))) {
    BinaryOp op = tok.is(TokenKind::Plus) ? BinaryOp::Add : BinaryOp::Sub;
    llvm::SMLoc loc = tok.loc;
    advance();
    ExprPtr rhs = parseMul();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseMul() {
  ExprPtr lhs = parseUnary();
  while (lhs && (tok.is(TokenKind::Star) || tok.is(TokenKind::Slash) ||
                 tok.is(TokenKind::Percent))) {
    BinaryOp op = tok.is(TokenKind::Star)    ? BinaryOp::Mul
                  : tok.is(TokenKind::Slash) ? BinaryOp::Div
                                             : BinaryOp::Rem;
    llvm::SMLoc loc = tok.loc;
    advance();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (tok.is(TokenKind::Bang) || tok.is(TokenKind::Minus)) {
    NestingGuard guard(nesting);
    if (nesting > kMaxDepth) {
      error(tok.loc, "expression nested too deeply (limit " +
                         llvm::Twine(kMaxDepth) + ")");
      return nullptr;
    }
    UnaryOp op = tok.is(TokenKind::Bang) ? UnaryOp::Not : UnaryOp::Neg;
    llvm::SMLoc loc = tok.loc;
    advance();
    ExprPtr operand = parseUnary();
    if (!operand)
      return nullptr;
    // A negative number is a literal (so `sliding(-1)` is a range error on
    // the literal, and the IR gets one constant).
    if (op == UnaryOp::Neg && operand->kind == ExprKind::Int &&
        operand->intValue != INT64_MIN) {
      operand->intValue = -operand->intValue;
      operand->loc = loc;
      return operand;
    }
    if (op == UnaryOp::Neg && operand->kind == ExprKind::Float) {
      operand->floatValue = -operand->floatValue;
      operand->loc = loc;
      return operand;
    }
    auto e = std::make_unique<Expr>(ExprKind::Unary, loc);
    e->unaryOp = op;
    e->operands.push_back(std::move(operand));
    if (!checkDepth(*e))
      return nullptr;
    return e;
  }
  return parsePrimary();
}

ExprPtr Parser::parsePrimary() {
  switch (tok.kind) {
  case TokenKind::Integer: {
    auto e = std::make_unique<Expr>(ExprKind::Int, tok.loc);
    if (tok.text.getAsInteger(10, e->intValue)) {
      errorHere("integer literal '" + tok.text + "' is too large");
      return nullptr;
    }
    advance();
    return e;
  }
  case TokenKind::Float: {
    auto e = std::make_unique<Expr>(ExprKind::Float, tok.loc);
    std::string s = tok.text.str();
    errno = 0;
    e->floatValue = std::strtod(s.c_str(), nullptr);
    if (errno == ERANGE) {
      errorHere("float literal '" + tok.text + "' is out of range");
      return nullptr;
    }
    advance();
    return e;
  }
  case TokenKind::String: {
    auto e = std::make_unique<Expr>(ExprKind::String, tok.loc);
    e->name = Lexer::stringValue(tok);
    advance();
    return e;
  }
  case TokenKind::Identifier: {
    Token name = tok;
    advance();
    if (name.text == "true" || name.text == "false") {
      auto e = std::make_unique<Expr>(ExprKind::Bool, name.loc);
      e->boolValue = name.text == "true";
      return e;
    }
    if (tok.is(TokenKind::LParen))
      return parseCallArgs(name);
    auto e = std::make_unique<Expr>(ExprKind::Ident, name.loc);
    e->name = name.text.str();
    return e;
  }
  case TokenKind::LParen: {
    llvm::SMLoc open = tok.loc;
    advance();
    ExprPtr e = parseExpr();
    if (!e || !expectClose(TokenKind::RParen, open))
      return nullptr;
    return e;
  }
  case TokenKind::LBracket: {
    auto e = std::make_unique<Expr>(ExprKind::List, tok.loc);
    llvm::SMLoc open = tok.loc;
    advance();
    if (!tok.is(TokenKind::RBracket)) {
      do {
        ExprPtr elem = parseExpr();
        if (!elem)
          return nullptr;
        e->operands.push_back(std::move(elem));
      } while (consumeIf(TokenKind::Comma));
    }
    if (!expectClose(TokenKind::RBracket, open) || !checkDepth(*e))
      return nullptr;
    return e;
  }
  case TokenKind::Error:
    return nullptr;
  default:
    errorHere("expected an expression, found " + describe(tok));
    return nullptr;
  }
}

ExprPtr Parser::parseCallArgs(const Token &name) {
  auto e = std::make_unique<Expr>(ExprKind::Call, name.loc);
  e->name = name.text.str();
  llvm::SMLoc open = tok.loc;
  advance(); // '('
  bool sawNamed = false;
  if (!tok.is(TokenKind::RParen)) {
    do {
      Arg arg;
      if (tok.is(TokenKind::Identifier) && peek().is(TokenKind::Assign)) {
        arg.name = tok.text.str();
        arg.nameLoc = tok.loc;
        advance();
        advance(); // '='
        sawNamed = true;
      } else if (sawNamed) {
        if (!tok.is(TokenKind::Error))
          errorHere("positional argument after a named argument in call to '" +
                    e->name + "'");
        return nullptr;
      }
      llvm::SMLoc valueLoc = tok.loc;
      arg.value = parseExpr();
      if (!arg.value)
        return nullptr;
      if (arg.name.empty())
        arg.nameLoc = valueLoc;
      e->args.push_back(std::move(arg));
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expectClose(TokenKind::RParen, open) || !checkDepth(*e))
    return nullptr;
  return e;
}
