//===- Lexer.cpp - tokens of the .attn pattern language -------------------===//
#include "frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::attn;

llvm::StringRef mlir::attn::tokenKindSpelling(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Identifier:
    return "identifier";
  case TokenKind::Integer:
    return "integer";
  case TokenKind::Float:
    return "float";
  case TokenKind::String:
    return "string";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Assign:
    return "'='";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::Percent:
    return "'%'";
  case TokenKind::Bang:
    return "'!'";
  case TokenKind::Amp:
    return "'&'";
  case TokenKind::Pipe:
    return "'|'";
  case TokenKind::Less:
    return "'<'";
  case TokenKind::LessEq:
    return "'<='";
  case TokenKind::Greater:
    return "'>'";
  case TokenKind::GreaterEq:
    return "'>='";
  case TokenKind::EqEq:
    return "'=='";
  case TokenKind::NotEq:
    return "'!='";
  }
  return "token";
}

Lexer::Lexer(llvm::StringRef buffer, ErrorFn onError, void *errorCtx)
    : buffer(buffer), cur(buffer.begin()), onError(onError),
      errorCtx(errorCtx) {}

Token Lexer::make(TokenKind kind, const char *start) {
  Token t;
  t.kind = kind;
  t.text = llvm::StringRef(start, cur - start);
  t.loc = llvm::SMLoc::getFromPointer(start);
  return t;
}

Token Lexer::error(const char *at, const llvm::Twine &msg) {
  if (!failed)
    onError(errorCtx, llvm::SMLoc::getFromPointer(at), msg);
  failed = true;
  cur = buffer.end();
  Token t;
  t.kind = TokenKind::Error;
  t.loc = llvm::SMLoc::getFromPointer(at);
  return t;
}

/// Binary input is rejected up front, with one error at the first bad byte,
/// so that no later stage ever sees a NUL or a broken UTF-8 sequence (not
/// even in a comment, where it would otherwise hide).
bool Lexer::validateEncoding() {
  const auto *p = reinterpret_cast<const unsigned char *>(buffer.begin());
  const auto *end = reinterpret_cast<const unsigned char *>(buffer.end());
  while (p < end) {
    unsigned char c = *p;
    const char *at = reinterpret_cast<const char *>(p);
    if (c == 0) {
      error(at, "NUL byte in input (binary file?)");
      return false;
    }
    if (c < 0x80) {
      ++p;
      continue;
    }
    unsigned len = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    }
    bool ok = len != 0 && end - p >= len;
    uint32_t cp = len ? (c & (0x7F >> len)) : 0;
    for (unsigned i = 1; ok && i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
      ok = false;
    if (!ok) {
      std::string msg;
      llvm::raw_string_ostream os(msg);
      os << "invalid UTF-8 byte 0x" << llvm::format_hex_no_prefix(c, 2, true)
         << " in input (binary file?)";
      error(at, msg);
      return false;
    }
    p += len;
  }
  return true;
}

void Lexer::skipSpaceAndComments() {
  const char *end = buffer.end();
  while (cur < end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      ++cur;
      continue;
    }
    if (c == '/' && cur + 1 < end && cur[1] == '/') {
      while (cur < end && *cur != '\n')
        ++cur;
      continue;
    }
    break;
  }
}

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

Token Lexer::next() {
  if (failed)
    return error(buffer.end(), "");
  if (!validated) {
    validated = true;
    if (!validateEncoding())
      return Token{TokenKind::Error, {}, llvm::SMLoc::getFromPointer(cur)};
  }
  skipSpaceAndComments();
  const char *start = cur;
  const char *end = buffer.end();
  if (cur >= end)
    return make(TokenKind::Eof, start);

  char c = *cur++;
  if (isIdentStart(c)) {
    while (cur < end && isIdentChar(*cur))
      ++cur;
    return make(TokenKind::Identifier, start);
  }
  if (llvm::isDigit(c)) {
    while (cur < end && llvm::isDigit(*cur))
      ++cur;
    bool isFloat = false;
    if (cur + 1 < end && *cur == '.' && llvm::isDigit(cur[1])) {
      isFloat = true;
      ++cur;
      while (cur < end && llvm::isDigit(*cur))
        ++cur;
    }
    if (cur < end && (*cur == 'e' || *cur == 'E')) {
      const char *e = cur + 1;
      if (e < end && (*e == '+' || *e == '-'))
        ++e;
      if (e < end && llvm::isDigit(*e)) {
        isFloat = true;
        cur = e;
        while (cur < end && llvm::isDigit(*cur))
          ++cur;
      }
    }
    // `12abc` is one bad token, not the number 12 followed by `abc`.
    if (cur < end && (isIdentChar(*cur) || *cur == '.')) {
      while (cur < end && (isIdentChar(*cur) || *cur == '.'))
        ++cur;
      return error(start, "invalid number '" +
                              llvm::StringRef(start, cur - start) + "'");
    }
    return make(isFloat ? TokenKind::Float : TokenKind::Integer, start);
  }

  switch (c) {
  case '"': {
    while (cur < end && *cur != '"' && *cur != '\n') {
      if (*cur == '\\') {
        if (cur + 1 >= end || (cur[1] != '"' && cur[1] != '\\'))
          return error(cur, "invalid escape in string (only \\\" and \\\\)");
        ++cur;
      }
      ++cur;
    }
    if (cur >= end || *cur != '"')
      return error(start, "unterminated string");
    ++cur;
    return make(TokenKind::String, start);
  }
  case '(':
    return make(TokenKind::LParen, start);
  case ')':
    return make(TokenKind::RParen, start);
  case '[':
    return make(TokenKind::LBracket, start);
  case ']':
    return make(TokenKind::RBracket, start);
  case '{':
    return make(TokenKind::LBrace, start);
  case '}':
    return make(TokenKind::RBrace, start);
  case ',':
    return make(TokenKind::Comma, start);
  case ':':
    return make(TokenKind::Colon, start);
  case '+':
    return make(TokenKind::Plus, start);
  case '-':
    return make(TokenKind::Minus, start);
  case '*':
    return make(TokenKind::Star, start);
  case '/':
    return make(TokenKind::Slash, start);
  case '%':
    return make(TokenKind::Percent, start);
  case '&':
    return make(TokenKind::Amp, start);
  case '|':
    return make(TokenKind::Pipe, start);
  case '=':
    if (cur < end && *cur == '=') {
      ++cur;
      return make(TokenKind::EqEq, start);
    }
    return make(TokenKind::Assign, start);
  case '!':
    if (cur < end && *cur == '=') {
      ++cur;
      return make(TokenKind::NotEq, start);
    }
    return make(TokenKind::Bang, start);
  case '<':
    if (cur < end && *cur == '=') {
      ++cur;
      return make(TokenKind::LessEq, start);
    }
    return make(TokenKind::Less, start);
  case '>':
    if (cur < end && *cur == '=') {
      ++cur;
      return make(TokenKind::GreaterEq, start);
    }
    return make(TokenKind::Greater, start);
  default:
    break;
  }

  // A stray byte: show it when printable, else its code.
  if (static_cast<unsigned char>(c) >= 0x20 &&
      static_cast<unsigned char>(c) < 0x7F)
    return error(start,
                 "unexpected character '" + llvm::StringRef(start, 1) + "'");
  // A multi-byte UTF-8 character (already validated): quote it whole.
  const char *e = cur;
  while (e < end && (static_cast<unsigned char>(*e) & 0xC0) == 0x80)
    ++e;
  if (static_cast<unsigned char>(c) >= 0x80)
    return error(start, "unexpected character '" +
                            llvm::StringRef(start, e - start) + "'");
  std::string msg;
  llvm::raw_string_ostream os(msg);
  os << "unexpected character 0x"
     << llvm::format_hex_no_prefix(static_cast<unsigned char>(c), 2, true);
  return error(start, msg);
}

std::string Lexer::stringValue(const Token &tok) {
  std::string out;
  llvm::StringRef body = tok.text.drop_front().drop_back();
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size())
      ++i;
    out.push_back(body[i]);
  }
  return out;
}
