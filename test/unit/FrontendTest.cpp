//===- FrontendTest.cpp - unit tests for the .attn lexer and parser -------===//
#include "frontend/AST.h"
#include "frontend/Lexer.h"
#include "frontend/Parser.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mlir::attn;

namespace {

struct Errors {
  std::vector<std::string> messages;
  std::vector<const char *> locs;
  static void record(void *ctx, llvm::SMLoc loc, const llvm::Twine &msg) {
    auto *self = static_cast<Errors *>(ctx);
    self->messages.push_back(msg.str());
    self->locs.push_back(loc.getPointer());
  }
};

std::vector<Token> lexAll(llvm::StringRef text, Errors &errors) {
  Lexer lexer(text, &Errors::record, &errors);
  std::vector<Token> out;
  for (;;) {
    Token t = lexer.next();
    out.push_back(t);
    if (t.is(TokenKind::Eof) || t.is(TokenKind::Error))
      return out;
  }
}

struct ParseResult {
  std::unique_ptr<ast::Module> module;
  std::vector<std::string> errors;
  std::vector<size_t> offsets;
};

ParseResult parse(llvm::StringRef text) {
  ParseResult r;
  Parser parser(text, [&](llvm::SMLoc loc, const llvm::Twine &msg) {
    r.errors.push_back(msg.str());
    r.offsets.push_back(loc.getPointer() - text.data());
  });
  r.module = parser.parseModule();
  return r;
}

std::string dump(const ast::Module &m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.dump(os);
  return s;
}

TEST(LexerTest, TokenKinds) {
  Errors errors;
  auto toks = lexAll("pattern p(w: int = 3) { mask k <= q & (q - k) % 2 == 0 "
                     "| x != 1.5e2 >= \"s\" }",
                     errors);
  std::vector<TokenKind> kinds;
  for (const Token &t : toks)
    kinds.push_back(t.kind);
  using K = TokenKind;
  std::vector<TokenKind> expected = {
      K::Identifier, K::Identifier, K::LParen,  K::Identifier, K::Colon,
      K::Identifier, K::Assign,     K::Integer, K::RParen,     K::LBrace,
      K::Identifier, K::Identifier, K::LessEq,  K::Identifier, K::Amp,
      K::LParen,     K::Identifier, K::Minus,   K::Identifier, K::RParen,
      K::Percent,    K::Integer,    K::EqEq,    K::Integer,    K::Pipe,
      K::Identifier, K::NotEq,      K::Float,   K::GreaterEq,  K::String,
      K::RBrace,     K::Eof};
  EXPECT_EQ(kinds, expected);
  EXPECT_TRUE(errors.messages.empty());
}

TEST(LexerTest, CommentsAndWhitespace) {
  Errors errors;
  auto toks = lexAll("// a comment with é and ( \n  x // more\n", errors);
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_TRUE(toks[0].isIdent("x"));
  EXPECT_TRUE(toks[1].is(TokenKind::Eof));
}

TEST(LexerTest, StrayCharacterIsOneError) {
  Errors errors;
  std::string text = "pattern $ $ $";
  auto toks = lexAll(text, errors);
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_EQ(errors.messages[0], "unexpected character '$'");
  EXPECT_EQ(errors.locs[0], text.data() + 8);
  EXPECT_TRUE(toks.back().is(TokenKind::Error));
}

TEST(LexerTest, BinaryInputReportedOnce) {
  Errors errors;
  std::string text("pattern p { mask causal() }\0\0\0\xff", 31);
  lexAll(text, errors);
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_NE(errors.messages[0].find("NUL byte"), std::string::npos);

  Errors errors2;
  lexAll("x \xc3\x28 y", errors2);
  ASSERT_EQ(errors2.messages.size(), 1u);
  EXPECT_NE(errors2.messages[0].find("invalid UTF-8"), std::string::npos);
}

TEST(LexerTest, BadNumbersAndStrings) {
  Errors e1;
  lexAll("12abc", e1);
  ASSERT_EQ(e1.messages.size(), 1u);
  EXPECT_EQ(e1.messages[0], "invalid number '12abc'");
  Errors e2;
  lexAll("\"no end", e2);
  ASSERT_EQ(e2.messages.size(), 1u);
  EXPECT_EQ(e2.messages[0], "unterminated string");
}

TEST(LexerTest, StringValue) {
  Errors errors;
  auto toks = lexAll(R"("a\"b\\c")", errors);
  ASSERT_TRUE(toks[0].is(TokenKind::String));
  EXPECT_EQ(Lexer::stringValue(toks[0]), "a\"b\\c");
}

TEST(ParserTest, FullPattern) {
  auto r = parse("pattern mixed(param w: int = 4, f: float = -1.5, b: bool) {\n"
                 "  heads 8\n"
                 "  layout grid(4, 2)\n"
                 "  mask[0:4] sliding(w)\n"
                 "  mask[4:8] causal() & (stripe(64, width = 2) | k < q)\n"
                 "}\n");
  ASSERT_TRUE(r.module) << (r.errors.empty() ? "" : r.errors[0]);
  ASSERT_EQ(r.module->patterns.size(), 1u);
  const ast::PatternDecl &p = *r.module->patterns[0];
  EXPECT_EQ(p.name, "mixed");
  ASSERT_EQ(p.params.size(), 3u);
  EXPECT_TRUE(p.params[0].runtime);
  EXPECT_EQ(p.params[1].type, ast::ParamType::Float);
  EXPECT_DOUBLE_EQ(p.params[1].defaultValue->floatValue, -1.5);
  EXPECT_FALSE(p.params[2].defaultValue);
  EXPECT_EQ(p.heads, 8);
  EXPECT_EQ(p.layout, ast::LayoutKind::Grid);
  EXPECT_EQ(p.gridH, 4);
  EXPECT_EQ(p.gridW, 2);
  ASSERT_EQ(p.masks.size(), 2u);
  EXPECT_TRUE(p.masks[1].hasRange);
  EXPECT_EQ(p.masks[1].lo, 4);
  EXPECT_EQ(p.masks[1].hi, 8);
}

TEST(ParserTest, Precedence) {
  // unary > * / % > + - > comparisons > & > |
  auto r = parse("pattern p { mask a | b & c < d + e * -f }");
  ASSERT_TRUE(r.module);
  std::string s = dump(*r.module);
  EXPECT_EQ(s, "Pattern p\n"
               "  Mask\n"
               "    Binary |\n"
               "      Ident a\n"
               "      Binary &\n"
               "        Ident b\n"
               "        Binary <\n"
               "          Ident c\n"
               "          Binary +\n"
               "            Ident d\n"
               "            Binary *\n"
               "              Ident e\n"
               "              Unary -\n"
               "                Ident f\n");
}

TEST(ParserTest, LeftAssociativity) {
  auto r = parse("pattern p { mask a - b - c }");
  ASSERT_TRUE(r.module);
  const ast::Expr &e = *r.module->patterns[0]->masks[0].expr;
  ASSERT_EQ(e.kind, ast::ExprKind::Binary);
  EXPECT_EQ(e.operands[0]->kind, ast::ExprKind::Binary);
  EXPECT_EQ(e.operands[1]->name, "c");
}

TEST(ParserTest, NegativeLiteralFolds) {
  auto r = parse("pattern p { mask sliding(-3) }");
  ASSERT_TRUE(r.module);
  const ast::Expr &call = *r.module->patterns[0]->masks[0].expr;
  ASSERT_EQ(call.args.size(), 1u);
  EXPECT_EQ(call.args[0].value->kind, ast::ExprKind::Int);
  EXPECT_EQ(call.args[0].value->intValue, -3);
}

TEST(ParserTest, NamedArgumentsAndLists) {
  auto r = parse("pattern p { mask bigbird(64, seed = 3) | global([0, 2]) | "
                 "block_layout(2, [[1, 0], [0, 1]]) }");
  ASSERT_TRUE(r.module);
  std::string s = dump(*r.module);
  EXPECT_NE(s.find("Named seed"), std::string::npos);
  EXPECT_NE(s.find("List (2)"), std::string::npos);
}

TEST(ParserTest, EmptyFile) {
  auto r = parse("  // nothing here\n");
  EXPECT_FALSE(r.module);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "no pattern in file");
}

TEST(ParserTest, UnterminatedPattern) {
  auto r = parse("pattern p {\n  mask causal()\n");
  EXPECT_FALSE(r.module);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "missing '}' to close pattern 'p'");
  EXPECT_EQ(r.offsets[0], 10u);
}

TEST(ParserTest, UnclosedParenthesis) {
  auto r = parse("pattern p { mask (causal() }");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "expected ')', found '}'");
  auto r2 = parse("pattern p { mask (causal()");
  ASSERT_EQ(r2.errors.size(), 1u);
  EXPECT_EQ(r2.errors[0], "missing ')' to close this '('");
}

TEST(ParserTest, OnlyFirstError) {
  auto r = parse("pattern p { mask ) ) ) }\npattern { }");
  EXPECT_FALSE(r.module);
  EXPECT_EQ(r.errors.size(), 1u);
}

TEST(ParserTest, DeepParenthesesStop) {
  std::string text = "pattern p { mask " + std::string(100000, '(');
  auto r = parse(text);
  EXPECT_FALSE(r.module);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("nested too deeply"), std::string::npos);
}

TEST(ParserTest, DeepUnaryAndListsStop) {
  auto r = parse("pattern p { mask " + std::string(100000, '!') + "causal() }");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("nested too deeply"), std::string::npos);
  auto r2 = parse("pattern p { mask global(" + std::string(50000, '[') + "}");
  ASSERT_EQ(r2.errors.size(), 1u);
  EXPECT_NE(r2.errors[0].find("nested too deeply"), std::string::npos);
}

TEST(ParserTest, LongMaskChainIsOneNode) {
  // A flat chain of '|' is not nesting: one node with every operand.
  std::string text = "pattern p { mask causal()";
  for (int i = 0; i < 10000; ++i)
    text += i % 2 ? " | causal()" : " | k < 3";
  text += " }";
  auto r = parse(text);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  const ast::Expr &e = *r.module->patterns[0]->masks[0].expr;
  EXPECT_EQ(e.kind, ast::ExprKind::Binary);
  EXPECT_EQ(e.binaryOp, ast::BinaryOp::Or);
  EXPECT_EQ(e.operands.size(), 10001u);
  ASSERT_EQ(e.opLocs.size(), 10000u);
  // Each operator's place is kept for messages.
  EXPECT_EQ(e.opLocs[0].getPointer() - text.data(), 26);
  EXPECT_EQ(e.loc.getPointer(), e.opLocs[0].getPointer());
}

TEST(ParserTest, LongArithmeticChainStops) {
  std::string text = "pattern p { mask k < q";
  for (int i = 0; i < 10000; ++i)
    text += " + 1";
  text += " }";
  auto r = parse(text);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("nested too deeply"), std::string::npos);
}

TEST(ParserTest, ChainedComparison) {
  auto r = parse("pattern p { mask 0 < k < q }");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("cannot be chained"), std::string::npos);
}

TEST(ParserTest, PositionalAfterNamed) {
  auto r = parse("pattern p { mask stripe(width = 2, 8) }");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("positional argument after"), std::string::npos);
}

TEST(ParserTest, IntegerTooLarge) {
  auto r = parse("pattern p { mask sliding(99999999999999999999) }");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("too large"), std::string::npos);
}

TEST(ParserTest, StandaloneExpression) {
  Parser parser("min(q, 3) + 1", [](llvm::SMLoc, const llvm::Twine &) {});
  ast::ExprPtr e = parser.parseStandaloneExpr();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ast::ExprKind::Binary);
  EXPECT_EQ(e->depth, 3u);
}

} // namespace
